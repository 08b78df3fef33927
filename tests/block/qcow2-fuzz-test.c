/*
 * Runs the qcow2 libFuzzer target (`make fuzz`: BUILD/fuzz/qcow2-fuzz) for a
 * bounded number of inputs, from a seed corpus of small images made here
 * with the block API: many cluster sizes, compressed clusters (zlib, zstd),
 * snapshots, a backing file name, version 2, refcount widths, a dirty image.
 * Exit 77 (skipped) where the fuzzer is not built, and in the ASan build
 * (the fuzzer carries its own sanitizers: once is enough).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/block/block-test.h"
#include "tests/fuzz-target.h"

#define FUZZ_RUNS "20000"

static char fuzzer[PATH_MAX + 32];

static void seed(const char *name, uint64_t size, const struct block_create_opts *o,
		 unsigned what)
{
	const char *img = tpath(0, name);
	struct block_dev *bd;
	uint8_t buf[8192];
	unsigned i;

	must(block_create(img, "qcow2", size, o));
	open_ok(&bd, img, &(struct block_open_opts){ .no_backing = true });
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i / 64);
	if (what & 1)
		must(block_pwrite(bd, 100, buf, sizeof(buf)));
	if (what & 2)
		must(block_pwrite_compressed(bd, 0, buf, o->cluster_size));
	if (what & 4)
		must(block_snapshot_create(bd, "s1"));
	if (what & 8) {
		must(block_pwrite(bd, size / 2, buf, 2000));
		must(block_write_zeroes(bd, size / 4, o->cluster_size * 2, 0));
	}
	block_close(bd);
	if (what & 16)
		patch_be64(img, 72, 1);	/* dirty */
}

static void test_fuzz(void **state)
{
	char *cmd, *corpus;
	int st;

	(void)state;
	test_dir_make();
	seed("plain.qcow2", 1 << 20, &(struct block_create_opts){ .cluster_size = 512 }, 1 | 8);
	seed("z.qcow2", 1 << 20, &(struct block_create_opts){ .cluster_size = 4096 }, 1 | 2);
	seed("zstd.qcow2", 1 << 20, &(struct block_create_opts){ .cluster_size = 4096,
							       .compression = "zstd" }, 2 | 8);
	seed("snap.qcow2", 1 << 20, &(struct block_create_opts){ .cluster_size = 512 }, 1 | 4 | 8);
	seed("v2.qcow2", 1 << 20, &(struct block_create_opts){ .cluster_size = 512, .version = 2 },
	     1 | 4);
	seed("rc1.qcow2", 1 << 18, &(struct block_create_opts){ .cluster_size = 512,
							      .refcount_bits = 1 }, 1);
	seed("rc64.qcow2", 1 << 18, &(struct block_create_opts){ .cluster_size = 512,
							       .refcount_bits = 64 }, 1 | 4);
	seed("dirty.qcow2", 1 << 20, &(struct block_create_opts){ .cluster_size = 1024 }, 1 | 16);
	must(block_create(tpath(0, "base.raw"), "raw", 4096, NULL));
	seed("backing.qcow2", 1 << 16, &(struct block_create_opts){ .cluster_size = 512,
								  .backing_file = "base.raw",
								  .backing_format = "raw" }, 1);
	unlink(tpath(0, "base.raw"));
	corpus = strdup(test_dir);
	assert_true(asprintf(&cmd, "'%s' -runs=" FUZZ_RUNS " -seed=1 -max_len=70000 -timeout=20 "
			     "-rss_limit_mb=2048 '%s' > '%s.log' 2>&1", fuzzer, corpus, corpus) > 0);
	st = system(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char *tail;

		assert_true(asprintf(&tail, "tail -n 40 '%s.log'", corpus) > 0);
		if (system(tail)) {
		}
		free(tail);
		fail_msg("the fuzzer failed (status %d); log in %s.log", st, corpus);
	}
	free(cmd);
	{
		char *log;

		assert_true(asprintf(&log, "%s.log", corpus) > 0);
		unlink(log);
		free(log);
	}
	free(corpus);
	test_dir_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fuzz) };
	int skip = fuzz_target_find("qcow2-fuzz", fuzzer, sizeof(fuzzer));

	if (skip)
		return skip;
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
