/*
 * RV64GC disassembly for traces: one instruction as text in objdump's
 * style (ABI register names; compressed instructions shown as what they
 * expand to), through the emulator's own decoder, so a trace shows what
 * the hart ran; and the names a trace gives causes and SBI extensions.
 */
#ifndef ACCEL_EMU_DISASM_H
#define ACCEL_EMU_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The instruction raw (its upper half ignored when 16 bits long) at pc, into buf. */
void riscv_disasm(uint32_t raw, uint64_t pc, char *buf, size_t size);
/* "load page fault", "supervisor timer": a trap's cause (without the interrupt bit), or NULL. */
const char *riscv_cause_name(uint64_t cause, bool interrupt);
/* "TIME", "HSM", "legacy set_timer": an SBI extension's name, or NULL. */
const char *sbi_extension_name(uint64_t ext);

#endif
