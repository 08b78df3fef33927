#include "hw/riscv/plic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#define PLIC_REG_SIZE	4

static bool bit_test(const uint32_t *map, unsigned n)
{
	return map[n / 32] & (1u << (n % 32));
}

static void bit_assign(uint32_t *map, unsigned n, bool v)
{
	if (v)
		map[n / 32] |= 1u << (n % 32);
	else
		map[n / 32] &= ~(1u << (n % 32));
}

static bool source_valid(unsigned source)
{
	return source >= 1 && source < PLIC_SOURCES;
}

/*
 * The source a claim on 'c' would return: the pending, enabled source of the
 * highest priority above the threshold, the lowest id among equals; 0 if none.
 */
static unsigned plic_best(const struct plic *p, const struct plic_context *c)
{
	unsigned best = 0, best_prio = c->threshold;
	unsigned w;

	for (w = 0; w < PLIC_WORDS; w++) {
		uint32_t cand = p->pending[w] & c->enable[w];

		while (cand) {
			unsigned s = w * 32 + __builtin_ctz(cand);

			cand &= cand - 1;
			if (p->priority[s] > best_prio) {
				best = s;
				best_prio = p->priority[s];
			}
		}
	}
	return best;
}

static void plic_update(struct plic *p)
{
	unsigned i;

	for (i = 0; i < p->nr_contexts; i++) {
		struct plic_context *c = &p->ctx[i];
		bool level = plic_best(p, c) != 0;

		if (level == c->level)
			continue;
		c->level = level;
		irq_line_set(&c->out, level);
	}
}

static void plic_set_input(void *opaque, unsigned source, bool level)
{
	struct plic *p = opaque;

	if (!source_valid(source))
		return;
	pthread_mutex_lock(&p->lock);
	bit_assign(p->input, source, level);
	if (!bit_test(p->claimed, source))
		bit_assign(p->pending, source, level);
	plic_update(p);
	pthread_mutex_unlock(&p->lock);
}

struct irq_line plic_input(struct plic *p, unsigned source)
{
	return (struct irq_line){ .set = plic_set_input, .opaque = p, .num = source };
}

int plic_init(struct plic *p, unsigned nr_harts, const struct irq_line *outputs)
{
	unsigned i;
	int err;

	memset(p, 0, sizeof(*p));
	if (nr_harts == 0 || nr_harts > PLIC_MAX_HARTS)
		return error_set(-EINVAL, "plic: %u harts (1..%u)", nr_harts, PLIC_MAX_HARTS);
	p->nr_contexts = nr_harts * PLIC_CONTEXTS_PER_HART;
	p->ctx = calloc(p->nr_contexts, sizeof(*p->ctx));
	if (!p->ctx)
		return error_set(-ENOMEM, "plic: out of memory");
	err = pthread_mutex_init(&p->lock, NULL);
	if (err) {
		free(p->ctx);
		p->ctx = NULL;
		return error_errno(-err, "plic: mutex");
	}
	for (i = 0; outputs && i < p->nr_contexts; i++)
		p->ctx[i].out = outputs[i];
	return 0;
}

void plic_destroy(struct plic *p)
{
	if (!p->ctx)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->ctx);
	p->ctx = NULL;
}

static uint32_t plic_claim(struct plic *p, struct plic_context *c)
{
	unsigned s = plic_best(p, c);

	if (!s)
		return 0;
	bit_assign(p->pending, s, false);
	bit_assign(p->claimed, s, true);
	return s;
}

/* Completion of a source not enabled for this context is ignored (SiFive spec). */
static void plic_complete(struct plic *p, struct plic_context *c, uint32_t source)
{
	if (!source_valid(source) || !bit_test(c->enable, source))
		return;
	if (!bit_test(p->claimed, source))
		return;
	bit_assign(p->claimed, source, false);
	if (bit_test(p->input, source))
		bit_assign(p->pending, source, true);
}

static uint32_t plic_context_read(struct plic *p, uint64_t off)
{
	uint64_t i = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
	uint64_t reg = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;

	if (i >= p->nr_contexts)
		return 0;
	if (reg == PLIC_CONTEXT_THRESHOLD)
		return p->ctx[i].threshold;
	if (reg == PLIC_CONTEXT_CLAIM)
		return plic_claim(p, &p->ctx[i]);
	return 0;
}

static void plic_context_write(struct plic *p, uint64_t off, uint32_t val)
{
	uint64_t i = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
	uint64_t reg = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;

	if (i >= p->nr_contexts)
		return;
	if (reg == PLIC_CONTEXT_THRESHOLD)
		p->ctx[i].threshold = val & PLIC_MAX_PRIORITY;
	else if (reg == PLIC_CONTEXT_CLAIM)
		plic_complete(p, &p->ctx[i], val);
}

/* Which context and word an enable offset names; false for a reserved offset. */
static bool plic_enable_index(const struct plic *p, uint64_t off, uint64_t *ctx, uint64_t *word)
{
	*ctx = (off - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
	*word = (off - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE / PLIC_REG_SIZE;
	return *ctx < p->nr_contexts && *word < PLIC_WORDS;
}

/* The enable bits of word w that name real sources (not id 0, not past the last). */
static uint32_t plic_enable_mask(uint64_t w)
{
	uint32_t mask = UINT32_MAX;

	if (w == 0)
		mask &= ~1u;
	if (w == PLIC_WORDS - 1 && PLIC_SOURCES % 32)
		mask &= (1u << (PLIC_SOURCES % 32)) - 1;
	return mask;
}

static uint32_t plic_read_reg(struct plic *p, uint64_t off)
{
	uint64_t i, w;

	if (off >= PLIC_CONTEXT_BASE)
		return plic_context_read(p, off);
	if (off >= PLIC_ENABLE_BASE)
		return plic_enable_index(p, off, &i, &w) ? p->ctx[i].enable[w] : 0;
	if (off >= PLIC_PENDING_BASE) {
		off = (off - PLIC_PENDING_BASE) / PLIC_REG_SIZE;
		return off < PLIC_WORDS ? p->pending[off] : 0;
	}
	off /= PLIC_REG_SIZE;
	return off < PLIC_SOURCES ? p->priority[off] : 0;
}

static void plic_write_reg(struct plic *p, uint64_t off, uint32_t val)
{
	uint64_t i, w;

	if (off >= PLIC_CONTEXT_BASE) {
		plic_context_write(p, off, val);
		return;
	}
	if (off >= PLIC_ENABLE_BASE) {
		if (plic_enable_index(p, off, &i, &w))
			p->ctx[i].enable[w] = val & plic_enable_mask(w);
		return;
	}
	if (off >= PLIC_PENDING_BASE)
		return;		/* pending bits are read-only */
	off /= PLIC_REG_SIZE;
	if (source_valid(off))
		p->priority[off] = val & PLIC_MAX_PRIORITY;
}

static bool plic_access_ok(uint64_t off, unsigned size)
{
	return size == PLIC_REG_SIZE && off % PLIC_REG_SIZE == 0 && off < PLIC_MMIO_SIZE;
}

static uint64_t plic_mmio_read(void *dev, uint64_t off, unsigned size)
{
	struct plic *p = dev;
	uint32_t v;

	if (!plic_access_ok(off, size))
		return 0;
	pthread_mutex_lock(&p->lock);
	v = plic_read_reg(p, off);
	plic_update(p);
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void plic_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct plic *p = dev;

	if (!plic_access_ok(off, size))
		return;
	pthread_mutex_lock(&p->lock);
	plic_write_reg(p, off, val);
	plic_update(p);
	pthread_mutex_unlock(&p->lock);
}

const struct bus_device_ops plic_ops = {
	.read = plic_mmio_read,
	.write = plic_mmio_write,
};

/* ---- saved state ---- */

static int plic_save(void *obj, struct state_out *o)
{
	struct plic *p = obj;
	unsigned i, w;

	pthread_mutex_lock(&p->lock);
	state_put_u32(o, p->nr_contexts);
	state_put_bytes(o, p->priority, sizeof(p->priority));
	for (w = 0; w < PLIC_WORDS; w++) {
		state_put_u32(o, p->input[w]);
		state_put_u32(o, p->pending[w]);
		state_put_u32(o, p->claimed[w]);
	}
	for (i = 0; i < p->nr_contexts; i++) {
		for (w = 0; w < PLIC_WORDS; w++)
			state_put_u32(o, p->ctx[i].enable[w]);
		state_put_u32(o, p->ctx[i].threshold);
		state_put_u8(o, p->ctx[i].level);
	}
	pthread_mutex_unlock(&p->lock);
	return o->err;
}

static int plic_load(void *obj, struct state_in *in)
{
	struct plic *p = obj;
	unsigned i, w;

	if (state_get_u32(in) != p->nr_contexts)
		return state_bad(in, "the number of contexts (harts)");
	state_get_bytes(in, p->priority, sizeof(p->priority));
	for (i = 0; i < PLIC_SOURCES; i++)
		if (p->priority[i] > PLIC_MAX_PRIORITY)
			return state_bad(in, "a priority");
	for (w = 0; w < PLIC_WORDS; w++) {
		p->input[w] = state_get_u32(in);
		p->pending[w] = state_get_u32(in);
		p->claimed[w] = state_get_u32(in);
	}
	for (i = 0; i < p->nr_contexts; i++) {
		for (w = 0; w < PLIC_WORDS; w++)
			p->ctx[i].enable[w] = state_get_u32(in);
		p->ctx[i].threshold = state_get_u32(in);
		if (p->ctx[i].threshold > PLIC_MAX_PRIORITY)
			return state_bad(in, "a threshold");
		p->ctx[i].level = state_get_bool(in);
		p->ctx[i].enable[0] &= ~1u;	/* source 0 is "none" */
	}
	p->input[0] &= ~1u;
	p->pending[0] &= ~1u;
	p->claimed[0] &= ~1u;
	return state_in_end(in);
}

/* The outputs as the state left them: each context's line to its hart. */
static int plic_post_load(void *obj)
{
	struct plic *p = obj;
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nr_contexts; i++) {
		p->ctx[i].level = plic_best(p, &p->ctx[i]) != 0;
		irq_line_set(&p->ctx[i].out, p->ctx[i].level);
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

const struct state_ops plic_state_ops = {
	.name = "plic",
	.version = 1,
	.save = plic_save,
	.load = plic_load,
	.post_load = plic_post_load,
};
