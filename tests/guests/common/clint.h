/*
 * The CLINT, where gasang's riscv64 machine has it (as QEMU's spike and virt
 * machines do). Plain #defines only, so that start-up files can include it.
 */
#ifndef GUEST_COMMON_CLINT_H
#define GUEST_COMMON_CLINT_H

#define CLINT_BASE     0x02000000
#define CLINT_MSIP     (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME    (CLINT_BASE + 0xbff8)
#define CLINT_MTIME_HZ 10000000UL

#endif
