/*
 * A small machine for the state file's fuzzer and its seed: guest RAM, a
 * PLIC, an ACLINT, a UART and two virtio-mmio slots (rng, input) listed as
 * a board lists them (base/state.h), without a hart, so the libFuzzer target
 * (tests/vm/state-fuzz.c) builds from a handful of files.
 */
#ifndef TESTS_VM_STATE_RIG_H
#define TESTS_VM_STATE_RIG_H

#include <string.h>

#include "base/state.h"
#include "hw/guest-mem.h"
#include "hw/riscv/aclint.h"
#include "hw/riscv/plic.h"
#include "hw/uart16550.h"
#include "hw/vclock.h"
#include "hw/virtio/virtio-input.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio-rng.h"
#include "vm/state.h"

#define RIG_RAM_BASE	0x80000000ull
#define RIG_RAM_SIZE	(1ull << 20)
#define RIG_RING	(RIG_RAM_BASE + 0x10000)
#define RIG_QSIZE	16

struct rig {
	struct guest_mem mem;
	struct vclock clock;
	struct hw_timer timer;
	struct plic plic;
	struct aclint aclint;
	struct uart16550 uart;
	struct virtio_rng rng;
	struct virtio_input input;
	struct virtio_mmio mmio[2];
	struct state_list l;
};

static inline void rig_shape(struct state_shape *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->arch, "riscv64");
	s->mem_size = RIG_RAM_SIZE;
	s->cpus = 1;
}

static inline int rig_init(struct rig *r)
{
	struct hw_timer *timers[1] = { &r->timer };

	memset(r, 0, sizeof(*r));
	if (guest_mem_init(&r->mem, RIG_RAM_BASE, RIG_RAM_SIZE))
		return -1;
	vclock_init(&r->clock);
	r->timer.deadline = TIMER_OFF;
	if (plic_init(&r->plic, 1, NULL) || aclint_init(&r->aclint, 1, &r->clock, NULL, timers) ||
	    uart16550_init(&r->uart, plic_input(&r->plic, 10), NULL))
		return -1;
	virtio_rng_init(&r->rng, &r->mem);
	virtio_mmio_init(&r->mmio[0], &r->rng.vd, plic_input(&r->plic, 1));
	virtio_input_init(&r->input, &r->mem);
	virtio_mmio_init(&r->mmio[1], &r->input.vd, plic_input(&r->plic, 2));
	if (state_list_add(&r->l, &aclint_state_ops, &r->aclint, 0) ||
	    state_list_add(&r->l, &plic_state_ops, &r->plic, 0) ||
	    state_list_add(&r->l, &uart16550_state_ops, &r->uart, 0) ||
	    state_list_add(&r->l, &virtio_mmio_state_ops, &r->mmio[0], 0) ||
	    state_list_add(&r->l, &virtio_mmio_state_ops, &r->mmio[1], 1))
		return -1;
	return 0;
}

static inline void rig_destroy(struct rig *r)
{
	virtio_mmio_reset(&r->mmio[0]);
	virtio_mmio_reset(&r->mmio[1]);
	virtio_mmio_destroy(&r->mmio[0]);
	virtio_mmio_destroy(&r->mmio[1]);
	virtio_rng_destroy(&r->rng);
	virtio_input_destroy(&r->input);
	uart16550_destroy(&r->uart);
	aclint_destroy(&r->aclint);
	plic_destroy(&r->plic);
	guest_mem_free(&r->mem);
}

static inline void rig_wr(struct rig *r, unsigned slot, uint64_t off, uint32_t v)
{
	virtio_mmio_ops.write(&r->mmio[slot], off, v, 4);
}

/* The rng's driver up with one queue live and a request served; registers set. */
static inline void rig_drive(struct rig *r)
{
	uint8_t desc[16] = { 0 };
	uint64_t addr = RIG_RING + 0x3000;
	uint32_t len = 32;
	uint16_t flags = VIRTQ_DESC_F_WRITE, head = 0, idx = 1;
	const uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	rig_wr(r, 0, VIRTIO_MMIO_STATUS, st);
	rig_wr(r, 0, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	rig_wr(r, 0, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	rig_wr(r, 0, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_FEATURES_OK);
	rig_wr(r, 0, VIRTIO_MMIO_QUEUE_NUM, RIG_QSIZE);
	rig_wr(r, 0, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RIG_RING);
	rig_wr(r, 0, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(RIG_RING + 0x1000));
	rig_wr(r, 0, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(RIG_RING + 0x2000));
	rig_wr(r, 0, VIRTIO_MMIO_QUEUE_READY, 1);
	rig_wr(r, 0, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	memcpy(desc, &addr, 8);
	memcpy(desc + 8, &len, 4);
	memcpy(desc + 12, &flags, 2);
	guest_mem_write(&r->mem, RIG_RING, desc, sizeof(desc));
	guest_mem_write(&r->mem, RIG_RING + 0x1000 + 4, &head, 2);
	guest_mem_write(&r->mem, RIG_RING + 0x1000 + 2, &idx, 2);
	rig_wr(r, 0, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	plic_ops.write(&r->plic, PLIC_PRIORITY_BASE + 4 * 10, 3, 4);
	plic_ops.write(&r->plic, PLIC_ENABLE_BASE, 1u << 10, 4);
	aclint_ops.write(&r->aclint, ACLINT_MTIMECMP_BASE, 12345, 8);
	uart16550_ops.write(&r->uart, 2, 0x01, 1);	/* FIFOs on */
	uart16550_ops.write(&r->uart, 1, 0x01, 1);
	uart16550_receive(&r->uart, (const uint8_t *)"ok", 2);
	virtio_input_power_press(&r->input);	/* pending: its driver is not up */
}

#endif
