/*
 * A lock-heavy riscv64 Linux program with no libc (built by smp-debian.sh
 * with riscv64-unknown-elf-gcc): NPROC processes share an anonymous mapping
 * and each adds ITERS to three counters: with LR/SC, with AMOADD, and with a
 * plain load and store under a spinlock made of AMOSWAP.W.AQ and a release
 * store. It prints "locks: lrsc=N amo=N locked=N" once all have finished;
 * every counter must be NPROC * ITERS (no lost update).
 */
#include <stdint.h>

#define NPROC		4
#define ITERS		20000
#define SPINS_BEFORE_YIELD 200

#define SYS_write	64
#define SYS_exit_group	94
#define SYS_sched_yield	124
#define SYS_clone	220
#define SYS_mmap	222
#define SYS_wait4	260

#define PROT_RW		3
#define MAP_SHARED_ANON	0x21
#define SIGCHLD		17

struct shared {
	uint32_t lock;
	uint32_t started;
	uint64_t lrsc, amo, locked;
};

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long a0 asm("a0") = a, a1 asm("a1") = b, a2 asm("a2") = c;
	register long a3 asm("a3") = d, a4 asm("a4") = e, a5 asm("a5") = f, a7 asm("a7") = n;

	asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
		     : "memory");
	return a0;
}

static void lrsc_add(uint64_t *p)
{
	uint64_t v, fail;

	do {
		asm volatile("lr.d %0, (%2)\n"
			     "addi %0, %0, 1\n"
			     "sc.d %1, %0, (%2)"
			     : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
	} while (fail);
}

static void lock(uint32_t *l)
{
	uint32_t old;
	unsigned spins = 0;

	for (;;) {
		asm volatile("amoswap.w.aq %0, %2, (%1)" : "=r"(old) : "r"(l), "r"(1) : "memory");
		if (!old)
			return;
		/* a preempted holder runs sooner when we give way (2 host cores, 4 harts) */
		if (++spins % SPINS_BEFORE_YIELD == 0)
			sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
}

static void unlock(uint32_t *l)
{
	asm volatile("fence rw, w\n"
		     "sw zero, (%0)" :: "r"(l) : "memory");
}

static void work(struct shared *s)
{
	unsigned i;

	__atomic_add_fetch(&s->started, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&s->started, __ATOMIC_ACQUIRE) < NPROC)
		sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	for (i = 0; i < ITERS; i++) {
		lrsc_add(&s->lrsc);
		__atomic_add_fetch(&s->amo, 1, __ATOMIC_RELAXED);	/* amoadd.d */
		lock(&s->lock);
		*(volatile uint64_t *)&s->locked = *(volatile uint64_t *)&s->locked + 1;
		unlock(&s->lock);
	}
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

void start_c(void)
{
	struct shared *s = (struct shared *)sys6(SYS_mmap, 0, 4096, PROT_RW, MAP_SHARED_ANON, -1, 0);
	char line[128], *p = line;
	unsigned i;

	if ((long)s < 0 && (long)s > -4096)
		sys6(SYS_exit_group, 1, 0, 0, 0, 0, 0);
	for (i = 1; i < NPROC; i++) {
		long pid = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);	/* fork */

		if (pid == 0) {
			work(s);
			sys6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
		}
		if (pid < 0)
			sys6(SYS_exit_group, 2, 0, 0, 0, 0, 0);
	}
	work(s);
	for (i = 1; i < NPROC; i++)
		sys6(SYS_wait4, -1, 0, 0, 0, 0, 0);
	p = put_str(p, "locks: lrsc=");
	p = put_u64(p, s->lrsc);
	p = put_str(p, " amo=");
	p = put_u64(p, s->amo);
	p = put_str(p, " locked=");
	p = put_u64(p, s->locked);
	p = put_str(p, " want=");
	p = put_u64(p, (uint64_t)NPROC * ITERS);
	*p++ = '\n';
	sys6(SYS_write, 1, (long)line, p - line, 0, 0, 0);
	sys6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* the kernel enters with sp set; no gp is used (built with -mno-relax) */
asm(".globl _start\n"
    "_start:\n"
    "	andi sp, sp, -16\n"
    "	call start_c\n");
