/* The paging tests, shared by sv39.c and sv48.c. */
#ifndef GUEST_RISCV_PAGING_H
#define GUEST_RISCV_PAGING_H

#include <stdint.h>

/* Runs every paging check under satp mode SATP_MODE_SV39 or SATP_MODE_SV48. */
int paging_test(uint64_t satp_mode);

#endif
