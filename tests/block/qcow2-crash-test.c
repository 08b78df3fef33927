/*
 * Crash consistency of qcow2 writes: a child process writes, zeroes and
 * discards through the block API and flushes now and then, reporting each
 * completed flush on a pipe; the parent kills it with SIGKILL at a random
 * moment after some flushes. Afterwards everything written before the last
 * reported flush must read back, and the image must check without
 * corruptions (leaked clusters are allowed), by our check and by qemu-img.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "tests/block/block-test.h"

#define MiB (1ull << 20)
#define OPS 3000

struct crash_case {
	uint64_t cs, size;
	bool backing;
	size_t l2_cache;
	uint64_t seed;
};

enum op_kind { OP_WRITE, OP_ZERO, OP_DISCARD, OP_FLUSH };

struct op {
	enum op_kind kind;
	uint64_t off, len;
};

static struct op gen_op(const struct crash_case *cc, uint64_t *s)
{
	struct op o;
	uint64_t r = rnd(s);

	if (r % 6 == 0) {
		o.kind = OP_FLUSH;
		o.off = o.len = 0;
		return o;
	}
	o.kind = r % 13 == 1 ? OP_ZERO : r % 17 == 2 ? OP_DISCARD : OP_WRITE;
	o.len = 1 + rnd(s) % (r & 8 ? 6 * cc->cs : 2048);
	if (o.len > MiB)
		o.len = MiB;
	o.off = rnd(s) % cc->size;
	if (r & 16)
		o.off &= ~(cc->cs - 1);
	if (o.len > cc->size - o.off)
		o.len = cc->size - o.off;
	return o;
}

static void child(const struct crash_case *cc, const char *img, int fd)
{
	struct block_open_opts o = { .l2_cache_bytes = cc->l2_cache };
	uint8_t *buf = malloc(MiB);
	struct block_dev *bd;
	uint64_t s = cc->seed;
	uint32_t i;

	if (!buf || block_open(&bd, img, &o))
		_exit(2);
	for (i = 0; i < OPS; i++) {
		struct op op = gen_op(cc, &s);
		int err = 0;

		switch (op.kind) {
		case OP_WRITE:
			fill_pattern(buf, op.len, op.off, (uint8_t)i);
			err = block_pwrite(bd, op.off, buf, op.len);
			break;
		case OP_ZERO:
			err = block_write_zeroes(bd, op.off, op.len, i & 1 ? BLOCK_ZERO_MAY_UNMAP : 0);
			break;
		case OP_DISCARD:
			err = block_discard(bd, op.off, op.len);
			break;
		case OP_FLUSH:
			err = block_flush(bd);
			if (!err && write(fd, &i, sizeof(i)) != sizeof(i))
				_exit(3);
			break;
		}
		if (err) {
			fprintf(stderr, "child: op %u: %s\n", i, error_msg());
			_exit(4);
		}
	}
	block_close(bd);
	_exit(0);
}

static void crash_run(const struct crash_case *cc, int rounds)
{
	const char *img = tpath(0, "crash.qcow2"), *base = tpath(1, "crash-base.raw");
	uint8_t *data = malloc(cc->size), *known = malloc(cc->size), *got = malloc(cc->size);
	uint8_t *buf = malloc(MiB);
	uint64_t ks = cc->seed ^ 0xabcdef;
	int round, killed = 0;

	assert_non_null(data);
	assert_non_null(known);
	assert_non_null(got);
	assert_non_null(buf);
	for (round = 0; round < rounds; round++) {
		struct crash_case c = *cc;
		struct block_create_opts co = { .cluster_size = cc->cs };
		struct block_check r;
		struct block_dev *bd;
		uint32_t ack, last = 0, i;
		unsigned target = 1 + (unsigned)(rnd(&ks) % 40), acks = 0;
		bool any = false;
		int p[2], st;
		pid_t pid;
		uint64_t s, j;

		c.seed = cc->seed + (uint64_t)round * 7919;
		s = c.seed;
		memset(data, 0, cc->size);
		memset(known, 1, cc->size);
		if (cc->backing) {
			must(block_create(base, "raw", cc->size, NULL));
			open_ok(&bd, base, NULL);
			fill_pattern(data, cc->size, 0, 0xee);
			must(block_pwrite(bd, 0, data, cc->size));
			block_close(bd);
			co.backing_file = "crash-base.raw";
			co.backing_format = "raw";
		}
		must(block_create(img, "qcow2", cc->size, &co));

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			child(&c, img, p[1]);
		}
		close(p[1]);
		while (acks < target && read(p[0], &ack, sizeof(ack)) == sizeof(ack)) {
			last = ack;
			any = true;
			acks++;
		}
		/* a random moment after the target flush */
		{
			struct timespec ts = { 0, (long)(rnd(&ks) % 20000000) };

			nanosleep(&ts, NULL);
		}
		kill(pid, SIGKILL);
		while (read(p[0], &ack, sizeof(ack)) == sizeof(ack)) {
			last = ack;
			any = true;
		}
		close(p[0]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			fail_msg("child failed with status %d", WEXITSTATUS(st));
		if (WIFSIGNALED(st))
			killed++;
		print_message("round %d: killed=%d, last flush after op %u\n", round,
			      WIFSIGNALED(st), any ? last : 0);

		/* the model: ops up to the last acknowledged flush happened; later ones may have */
		for (i = 0; i < OPS; i++) {
			struct op op = gen_op(&c, &s);
			bool sure = any && i <= last;

			if (op.kind == OP_FLUSH)
				continue;
			if (!sure) {
				memset(known + op.off, 0, op.len);
				continue;
			}
			switch (op.kind) {
			case OP_WRITE:
				fill_pattern(data + op.off, op.len, op.off, (uint8_t)i);
				memset(known + op.off, 1, op.len);
				break;
			case OP_ZERO:
				memset(data + op.off, 0, op.len);
				memset(known + op.off, 1, op.len);
				break;
			default:	/* discarded: unspecified until written again */
				memset(known + op.off, 0, op.len);
				break;
			}
		}

		open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
		must(block_pread(bd, 0, got, cc->size));
		for (j = 0; j < cc->size; j++)
			if (known[j] && got[j] != data[j])
				fail_msg("round %d (seed %llu, last flush after op %u): byte %llu is "
					 "0x%02x, flushed 0x%02x", round, (unsigned long long)c.seed,
					 last, (unsigned long long)j, got[j], data[j]);
		check_after_kill(bd, img, round);

		/* still a usable image: write on, repair the leaks, check clean */
		open_ok(&bd, img, NULL);
		memset(buf, 0x42, 65536);
		must(block_pwrite(bd, 0, buf, 65536));
		must(block_check(bd, &r, BLOCK_CHECK_REPAIR_LEAKS, NULL, NULL));
		assert_int_equal(r.corruptions + r.leaks, 0);
		block_close(bd);
	}
	/* the point is to kill it in the middle */
	assert_true(killed * 2 >= rounds);
	free(data);
	free(known);
	free(got);
	free(buf);
}

static void test_crash_4k(void **state)
{
	(void)state;
	crash_run(&(struct crash_case){ .cs = 4096, .size = 16 * MiB, .seed = 1 }, 6);
}

static void test_crash_512_backing_tiny_cache(void **state)
{
	(void)state;
	crash_run(&(struct crash_case){ .cs = 512, .size = 4 * MiB, .backing = true,
					.l2_cache = 1, .seed = 2 }, 6);
}

static void test_crash_64k_backing(void **state)
{
	(void)state;
	crash_run(&(struct crash_case){ .cs = 65536, .size = 32 * MiB, .backing = true,
					.seed = 3 }, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_4k),
		cmocka_unit_test(test_crash_512_backing_tiny_cache),
		cmocka_unit_test(test_crash_64k_backing),
	};

	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
