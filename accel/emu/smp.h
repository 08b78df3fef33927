/*
 * The harts of one machine, each a host thread, and what they share beyond
 * RAM and the bus:
 *
 * - which harts hold translated code on each page of RAM (a bit per hart).
 *   No hart's TLB grants a fast-path write to a page any hart has code on, so
 *   every such store reaches smp_code_stored(): the writer drops its own
 *   translations at once and queues the page for the others, which drop it
 *   before their next block (and at FENCE.I). A page becoming code takes
 *   write permission away from every hart's TLB first, then is decoded.
 *   What stays open is a store racing with the decode of its page, from a
 *   TLB entry read just before: as on QEMU's TCG, code modified while another
 *   hart fetches it is unspecified until a FENCE.I that comes after both.
 *
 * - requests between harts (SBI remote fences): posted as bits, the target
 *   kicked, the caller waiting until each busy target has served them; an
 *   idle target (WFI, parked, stopped) serves them before it runs guest code.
 *
 * - SBI HSM: hart_start/stop/get_status across harts.
 */
#ifndef ACCEL_EMU_SMP_H
#define ACCEL_EMU_SMP_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;
struct hart;

#define SMP_MAX_HARTS 64	/* one bit each in a page's code mask */

/* Requests one hart posts to another (struct hart.req). */
#define HART_REQ_SFENCE_VMA	0x1u	/* flush the TLB */
#define HART_REQ_FENCE_I	0x2u	/* drop translations of code written elsewhere */

struct smp {
	struct hart **harts;
	unsigned n;
	uint64_t *code_harts;		/* per RAM page (region 0): bit i = hart i has code there */
	uint64_t ram_pages;
	uint8_t *ram_host;
	struct guest_mem *mem;
};

/*
 * harts[0..n-1] are initialised (hart_init) on 'mem'; hart i gets index and
 * hart id i. The array must outlive the smp.
 */
int smp_init(struct smp *s, struct hart **harts, unsigned n, struct guest_mem *mem);
void smp_destroy(struct smp *s);

/* The code mask of the page holding host address 'host' (0 outside RAM). */
static inline uint64_t smp_code_harts(const struct smp *s, uintptr_t host)
{
	uint64_t pfn = (host - (uintptr_t)s->ram_host) >> 12;

	return pfn < s->ram_pages ? __atomic_load_n(&s->code_harts[pfn], __ATOMIC_SEQ_CST) : 0;
}

/* Hart h is about to translate code on host_page (no code of its own there yet). */
void smp_code_mark(struct hart *h, uintptr_t host_page);
/* Hart h dropped every translation on host_page. */
void smp_code_unmark(struct hart *h, uintptr_t host_page);
/* Hart h stored into host address 'host', on a page whose code mask is 'mask'. */
void smp_code_stored(struct hart *h, uintptr_t host, uint64_t mask);

/*
 * Post 'req' to every hart in 'targets' (a mask of indices) but h, which
 * serves it itself, and wait until each busy one has served it.
 */
void smp_request(struct hart *h, uint64_t targets, unsigned req);

/* SBI HSM on hart 'id' (a value from the guest: checked). 0 or an SBI_ERR_*. */
long smp_hart_start(struct hart *h, uint64_t id, uint64_t addr, uint64_t opaque);
long smp_hart_status(struct hart *h, uint64_t id, uint64_t *state);
/* Whether h may stop: not while it is the only started hart. */
bool smp_may_stop(struct hart *h);

/*
 * A stopped hart waits here (its thread) until started, or until a stop,
 * pause or debugger halt is asked. True when it was started: its registers
 * are set for the S-mode entry.
 */
bool smp_wait_start(struct hart *h);

#endif
