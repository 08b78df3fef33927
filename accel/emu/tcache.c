#include "accel/emu/tcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "accel/emu/smp.h"
#include "base/compiler.h"
#include "base/error.h"

#define ARENA_SIZE (64u << 20)
#define HASH_BITS 16
#define BLOCK_BYTES_MAX (sizeof(struct block) + (BLOCK_MAX_INSNS + 1) * sizeof(struct dinsn) + 16)

int tcache_init(struct tcache *tc, uint8_t *ram_host, uint64_t ram_size, const void *const *labels)
{
	memset(tc, 0, sizeof(*tc));
	tc->arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (tc->arena == MAP_FAILED) {
		tc->arena = NULL;
		return error_errno(-errno, "cannot allocate the translation cache");
	}
	tc->arena_size = ARENA_SIZE;
	tc->hash_bits = HASH_BITS;
	tc->hash = calloc(1u << HASH_BITS, sizeof(*tc->hash));
	tc->ram_pages = ram_size >> PAGE_SHIFT;
	tc->page_blocks = calloc(tc->ram_pages, sizeof(*tc->page_blocks));
	if (!tc->hash || !tc->page_blocks) {
		tcache_destroy(tc);
		return error_set(-ENOMEM, "cannot allocate the translation cache");
	}
	tc->ram_host = ram_host;
	tc->labels = labels;
	/* without executable memory the interpreter runs alone */
	tc->jit_threshold = jit_init(&tc->jit) == 0 ? JIT_THRESHOLD : 0;
	return 0;
}

void tcache_destroy(struct tcache *tc)
{
	if (tc->arena)
		munmap(tc->arena, tc->arena_size);
	jit_destroy(&tc->jit);
	free(tc->hash);
	free(tc->page_blocks);
	memset(tc, 0, sizeof(*tc));
}

static unsigned hash_index(const struct tcache *tc, uintptr_t host_pc)
{
	return (unsigned)(((uint64_t)host_pc * 0x9e3779b97f4a7c15ull) >> (64 - tc->hash_bits));
}

/* This hart no longer has code on page pfn: take its bit off the machine's mask. */
static void unmark(struct tcache *tc, uint64_t pfn)
{
	if (tc->smp_code)
		__atomic_and_fetch(&tc->smp_code[pfn], ~tc->smp_bit, __ATOMIC_SEQ_CST);
}

void tcache_flush(struct tcache *tc)
{
	uint64_t pfn;

	for (pfn = 0; tc->smp_code && pfn < tc->ram_pages; pfn++)
		if (tc->page_blocks[pfn])
			unmark(tc, pfn);
	tc->arena_used = 0;
	memset(tc->hash, 0, sizeof(*tc->hash) << tc->hash_bits);
	memset(tc->page_blocks, 0, tc->ram_pages * sizeof(*tc->page_blocks));
	memset(tc->jcache, 0, sizeof(tc->jcache));
	jit_reset(&tc->jit);
	tc->want_flush = false;
	tc->flushes++;
}

static void unhash(struct tcache *tc, struct block *b)
{
	struct block **p = &tc->hash[hash_index(tc, b->host_pc)];

	while (*p && *p != b)
		p = &(*p)->hash_next;
	if (*p)
		*p = b->hash_next;
	if (tc->jcache[jcache_index(b->host_pc)] == b)
		tc->jcache[jcache_index(b->host_pc)] = NULL;
	b->host_pc = 0;
}

void tcache_invalidate_page(struct tcache *tc, uintptr_t host)
{
	uint64_t pfn = (host - (uintptr_t)tc->ram_host) >> PAGE_SHIFT;
	struct block *b;

	if (pfn >= tc->ram_pages || !tc->page_blocks[pfn])
		return;
	for (b = tc->page_blocks[pfn]; b; b = b->page_next)
		unhash(tc, b);
	__atomic_store_n(&tc->page_blocks[pfn], NULL, __ATOMIC_RELAXED);
	unmark(tc, pfn);
}

void tcache_invalidate_range(struct tcache *tc, uintptr_t host, uint64_t len)
{
	uintptr_t p, end = host + len;

	if (!len)
		return;
	for (p = host & PAGE_MASK; p < end; p += PAGE_SIZE)
		tcache_invalidate_page(tc, p);
}

static struct block *block_alloc(struct tcache *tc, unsigned ninsns)
{
	size_t size = sizeof(struct block) + (ninsns + 1) * sizeof(struct dinsn);
	struct block *b;

	size = (size + 15) & ~(size_t)15;
	if (tc->arena_size - tc->arena_used < size)
		tcache_flush(tc);
	b = (struct block *)(tc->arena + tc->arena_used);
	tc->arena_used += size;
	return b;
}

static void finish(const struct tcache *tc, struct dinsn *d, unsigned n, uint32_t bytes)
{
	unsigned i;

	memset(&d[n], 0, sizeof(d[n]));
	d[n].op = OP_END;
	d[n].off = (uint16_t)bytes;
	for (i = 0; i <= n; i++) {
		d[i].handler = tc->labels[d[i].op];
		d[i].seq = (uint16_t)i;
	}
}

struct block *tcache_get(struct hart *h, uintptr_t host_pc)
{
	struct tcache *tc = h->tc;
	struct dinsn tmp[BLOCK_MAX_INSNS];
	uintptr_t page_end = (host_pc & PAGE_MASK) + PAGE_SIZE, p = host_pc;
	unsigned n = 0, hi;
	uint64_t pfn;
	struct block *b;
	bool fresh;

	for (b = tc->hash[hash_index(tc, host_pc)]; b; b = b->hash_next)
		if (b->host_pc == host_pc)
			goto found;

	/* room first: a flush in block_alloc() would forget the page's mark below */
	if (tc->arena_size - tc->arena_used < BLOCK_BYTES_MAX)
		tcache_flush(tc);
	/* no store may reach the page unseen from before it is read */
	pfn = (host_pc - (uintptr_t)tc->ram_host) >> PAGE_SHIFT;
	fresh = !tc->page_blocks[pfn];
	if (fresh) {
		if (h->smp)
			smp_code_mark(h, host_pc & PAGE_MASK);
		else
			mmu_protect_code_page(h, host_pc & PAGE_MASK);
	}
	while (n < BLOCK_MAX_INSNS && p + 2 <= page_end) {
		uint32_t raw = *(const uint16_t *)p;

		if (insn_length((uint16_t)raw) == 4) {
			if (p + 4 > page_end)
				break;
			raw |= (uint32_t)*(const uint16_t *)(p + 2) << 16;
		}
		decode_isa(raw, &tmp[n], tc->isa);
		tmp[n].off = (uint16_t)(p - host_pc);
		p += tmp[n].len;
		if (op_ends_block(tmp[n++].op))
			break;
	}
	if (!n) {
		if (fresh)
			unmark(tc, pfn);
		return NULL;
	}

	b = block_alloc(tc, n);
	b->host_pc = host_pc;
	b->next[0] = b->next[1] = NULL;
	b->jit = NULL;
	b->execs = 0;
	b->ninsns = n;
	b->bytes = (uint32_t)(p - host_pc);
	memcpy(b->ins, tmp, n * sizeof(tmp[0]));
	finish(tc, b->ins, n, b->bytes);

	hi = hash_index(tc, host_pc);
	b->hash_next = tc->hash[hi];
	tc->hash[hi] = b;
	b->page_next = tc->page_blocks[pfn];
	__atomic_store_n(&tc->page_blocks[pfn], b, __ATOMIC_RELAXED);
	tc->translated++;
found:
	tc->jcache[jcache_index(host_pc)] = b;
	return b;
}

struct block *tcache_single(struct tcache *tc, uint32_t raw, void *buf, size_t size)
{
	struct block *b = buf;

	if (size < sizeof(*b) + 2 * sizeof(struct dinsn))
		return NULL;
	memset(b, 0, sizeof(*b));	/* never compiled: it is not cached */
	decode_isa(raw, &b->ins[0], tc->isa);
	b->ninsns = 1;
	b->bytes = b->ins[0].len;
	finish(tc, b->ins, 1, b->bytes);
	return b;
}

void tcache_compile(struct tcache *tc, struct block *b)
{
	b->jit = jit_compile(&tc->jit, b);
	if (!b->jit && jit_full(&tc->jit))
		tc->want_flush = true;	/* between blocks, not under this one */
}
