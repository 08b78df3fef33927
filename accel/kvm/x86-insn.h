/* x86 instruction bytes at a vCPU's rip, and names for the ones KVM may fail to emulate. */
#ifndef ACCEL_KVM_X86_INSN_H
#define ACCEL_KVM_X86_INSN_H

#include <stdint.h>

#include "accel/kvm/vcpu.h"

#define X86_MAX_INSN_BYTES	15

/* The bytes at the vCPU's rip, for a message: how many were found (0: none), *rip set. */
unsigned x86_fetch_insn(struct kvm_vcpu *v, uint64_t *rip, uint8_t *buf);
/* A name for the instruction at p (n bytes) if KVM's emulator is known to fail on it, or NULL. */
const char *x86_insn_name(const uint8_t *p, unsigned n);

#endif
