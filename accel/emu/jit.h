/*
 * The JIT: hot blocks of decoded instructions become host code (x86-64 today:
 * jit-x86_64.c; on other hosts there is none and every block is interpreted). It covers
 * the straight-line integer work (ALU, M, loads and stores with the TLB
 * fast path inline, branches and jumps); at the first instruction it does not
 * cover, its code hands the block back to the interpreter at that
 * instruction, so every instruction keeps exactly one implementation of its
 * system-level behaviour (CSRs, AMOs, F/D, traps live in the interpreter).
 *
 * A compiled block runs a trace: the block, then on through its not-taken
 * conditional branches within the page; a branch back to the block's start
 * loops inside the generated code. It is a function
 *   uint32_t fn(struct hart *h, uint64_t block_vpc)
 * returning one of:
 *   k < JIT_EXC            continue interpreting at the block's k-th instruction
 *                          (nothing retired by the compiled code)
 *   JIT_EXC                an instruction faulted: h->pc is its pc, those before
 *                          it retired, h->exc_cause/exc_tval set
 *   JIT_TAKEN / JIT_FALL   the trace left through the block's own final branch,
 *                          taken / not taken: h->pc set, what ran retired
 *   JIT_JUMP               any other way out: h->pc set, what ran retired
 * Guest registers live in h->x between traces; within one the most used are
 * kept in host registers and written back at every exit.
 */
#ifndef ACCEL_EMU_JIT_H
#define ACCEL_EMU_JIT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hart;
struct block;

#define JIT_EXC		0x10000u
#define JIT_TAKEN	0x20000u
#define JIT_FALL	0x30000u
#define JIT_JUMP	0x40000u

/* executions of a block before it is compiled */
#define JIT_THRESHOLD	16

typedef uint32_t (*jit_fn)(struct hart *h, uint64_t block_vpc);

struct jit {
	uint8_t *code;		/* executable buffer */
	size_t size, used;
	uint64_t compiled, refused;
	uint64_t isa;		/* the extensions a trace decodes with (accel/emu/isa.h) */
	bool smp;		/* other harts run: FENCEs ordering stores before loads need one */
};

#ifdef EMU_JIT	/* the Makefile found accel/emu/jit-<host arch>.c */
int jit_init(struct jit *j);
void jit_destroy(struct jit *j);
/* Forget all code (with the translation cache's flush). */
void jit_reset(struct jit *j);
/*
 * Compile b; NULL when its first instruction is not covered (the block stays
 * interpreted) or the buffer is full (jit_full() then says so).
 */
jit_fn jit_compile(struct jit *j, const struct block *b);
int jit_full(const struct jit *j);
#else
/* No JIT for this host: jit_init fails, so the translation cache never compiles. */
static inline int jit_init(struct jit *j)
{
	(void)j;
	return -ENOTSUP;
}

static inline void jit_destroy(struct jit *j)
{
	(void)j;
}

static inline void jit_reset(struct jit *j)
{
	(void)j;
}

static inline jit_fn jit_compile(struct jit *j, const struct block *b)
{
	(void)j;
	(void)b;
	return NULL;
}

static inline int jit_full(const struct jit *j)
{
	(void)j;
	return 0;
}
#endif

#endif
