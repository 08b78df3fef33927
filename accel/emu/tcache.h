/*
 * Translation cache: guest code decoded once into blocks of struct dinsn,
 * keyed by the host address of the block's first byte (guest RAM is one host
 * mapping, so that is the physical address). A block never crosses a page and
 * ends at the first instruction that changes pc, privilege or translation.
 *
 * Coherence with stores: a page holding translated code is a "code page"; the
 * TLB never grants fast-path writes to it, so every store there reaches
 * tcache_invalidate_page() first, and devices writing RAM go through
 * guest_mem_dirty(). With other harts, code pages are the machine's
 * (accel/emu/smp.h): their stores queue the page here, and FENCE.I drops
 * what is queued.
 */
#ifndef ACCEL_EMU_TCACHE_H
#define ACCEL_EMU_TCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/emu/decode.h"
#include "accel/emu/jit.h"

struct hart;

#define BLOCK_MAX_INSNS 128
#define BLOCK_NEXT_TAKEN 0
#define BLOCK_NEXT_FALL 1
#define JCACHE_BITS 12
#define JCACHE_SIZE (1u << JCACHE_BITS)

struct block {
	uintptr_t host_pc;		/* key; 0 once invalidated */
	struct block *hash_next;
	struct block *page_next;	/* blocks that start on the same page */
	/*
	 * Chained successors on the same page: [BLOCK_NEXT_TAKEN] for the final
	 * branch or jump's target, [BLOCK_NEXT_FALL] for falling through. Valid
	 * while the successor's host_pc is still what the exit computes.
	 */
	struct block *next[2];
	jit_fn jit;			/* compiled code, or NULL */
	uint32_t execs;			/* entries while not compiled */
	uint32_t ninsns;
	uint32_t bytes;
	struct dinsn ins[];		/* ninsns instructions, then OP_END */
};

struct tcache {
	uint8_t *arena;
	size_t arena_size, arena_used;
	struct block **hash;
	unsigned hash_bits;
	struct block **page_blocks;	/* per RAM page; non-NULL marks a code page */
	uint64_t ram_pages;
	uint8_t *ram_host;
	struct block *jcache[JCACHE_SIZE];
	const void *const *labels;	/* enum op -> interpreter entry */
	struct jit jit;
	int jit_threshold;		/* entries before compiling; 0: never */
	uint64_t isa;			/* the extensions instructions decode with */
	bool want_flush;		/* the JIT's buffer is full: flush between blocks */
	/* the machine's code masks (struct smp), this hart's bit in them; NULL: alone */
	uint64_t *smp_code;
	uint64_t smp_bit;
	bool smp;			/* other harts run beside this one */
	uint64_t flushes, translated;
};

int tcache_init(struct tcache *tc, uint8_t *ram_host, uint64_t ram_size, const void *const *labels);
void tcache_destroy(struct tcache *tc);

static inline unsigned jcache_index(uintptr_t host_pc)
{
	return (unsigned)(host_pc >> 1) & (JCACHE_SIZE - 1);
}

/* The block at host_pc, translating it if needed; NULL when the first
 * instruction straddles the page end (the caller runs it on its own). */
struct block *tcache_get(struct hart *h, uintptr_t host_pc);

/* Decode the straddling instruction raw into a one-instruction block in buf. */
struct block *tcache_single(struct tcache *tc, uint32_t raw, void *buf, size_t size);

static inline int tcache_is_code_page(const struct tcache *tc, uintptr_t host)
{
	uint64_t pfn = (host - (uintptr_t)tc->ram_host) >> 12;

	return pfn < tc->ram_pages && tc->page_blocks[pfn] != NULL;
}

/* The same, from a thread that does not own the cache (a hint). */
static inline int tcache_is_code_page_racy(const struct tcache *tc, uintptr_t host)
{
	uint64_t pfn = (host - (uintptr_t)tc->ram_host) >> 12;

	return pfn < tc->ram_pages &&
	       __atomic_load_n(&tc->page_blocks[pfn], __ATOMIC_RELAXED) != NULL;
}

/* Drop every block on the page holding host address 'host'. */
void tcache_invalidate_page(struct tcache *tc, uintptr_t host);
/* Drop blocks on every page overlapping [host, host + len). */
void tcache_invalidate_range(struct tcache *tc, uintptr_t host, uint64_t len);
void tcache_flush(struct tcache *tc);
/* Compile b (hot); a full code buffer asks for a flush between blocks. */
void tcache_compile(struct tcache *tc, struct block *b);

#endif
