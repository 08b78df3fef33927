/*
 * x86 page tables read as a debugger (and an error message) needs them:
 * linear to physical through a vCPU's control registers, in every paging
 * mode (none, 32-bit, PAE, 4- and 5-level long mode), without setting
 * accessed or dirty bits; and every mapping the tables make.
 */
#ifndef ACCEL_KVM_X86_PAGING_H
#define ACCEL_KVM_X86_PAGING_H

#include <linux/kvm.h>
#include <stdint.h>

#include "debug/debug.h"

struct kvm;

/* The walk of lin: w->mapped and w->pa say where it goes; 0, or -EINVAL for an unknown mode. */
int x86_page_walk(struct kvm *k, const struct kvm_sregs *s, uint64_t lin, struct debug_walk *w);
/* Every leaf mapping in address order; fn returning non-zero ends the walk with it. */
int x86_page_mappings(struct kvm *k, const struct kvm_sregs *s,
		      int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque);

#endif
