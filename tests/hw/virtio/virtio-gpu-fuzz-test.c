/*
 * Runs the virtio-gpu libFuzzer target (`make fuzz`: BUILD/fuzz/virtio-gpu-fuzz)
 * for a bounded number of inputs, from seeds made here: a driver's whole
 * session (display info, EDID, a resource with backing, transfers, the
 * scanout, flushes, the cursor, unrefs). Exit 77 (skipped) where the fuzzer
 * is not built, and in the ASan build (the fuzzer has its own sanitizers).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/fuzz-target.h"

#include "hw/virtio/virtio-gpu.h"

#define FUZZ_RUNS	"10000"
#define RAM_BASE	0x80000000ull	/* as the target lays guest RAM out */

static char fuzzer[PATH_MAX + 32];

struct seed {
	uint8_t b[8192];
	size_t len;
	size_t rec;	/* where the open record's length goes */
};

static void put(struct seed *s, const void *p, size_t n)
{
	assert_true(s->len + n <= sizeof(s->b));
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void u32(struct seed *s, uint32_t v)
{
	put(s, &v, 4);
}

static void u64(struct seed *s, uint64_t v)
{
	put(s, &v, 8);
}

/* A record: flags, length (filled by end()), the header. */
static void cmd(struct seed *s, bool cursor, uint32_t type)
{
	uint8_t flags = (uint8_t)(cursor | 3 << 1), len[2] = { 0, 0 };
	uint8_t hdr[24] = { 0 };

	put(s, &flags, 1);
	s->rec = s->len;
	put(s, len, 2);
	memcpy(hdr, &type, 4);
	put(s, hdr, sizeof(hdr));
}

static void end(struct seed *s)
{
	size_t n = s->len - s->rec - 2;

	s->b[s->rec] = (uint8_t)n;
	s->b[s->rec + 1] = (uint8_t)(n >> 8);
}

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(s->b, 1, s->len, f), s->len);
	fclose(f);
}

static void session(struct seed *s, uint32_t format, uint32_t w, uint32_t h)
{
	memset(s, 0, sizeof(*s));
	s->b[0] = 1;	/* EDID */
	s->len = 1;
	cmd(s, false, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_GET_EDID);
	u32(s, 0);
	u32(s, 0);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	u32(s, 1);
	u32(s, format);
	u32(s, w);
	u32(s, h);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
	u32(s, 1);
	u32(s, 2);
	u64(s, RAM_BASE);
	u32(s, w * h * 2);
	u32(s, 0);
	u64(s, RAM_BASE + 0x10000);
	u32(s, w * h * 2);
	u32(s, 0);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
	u32(s, 1);
	u32(s, 1);
	u32(s, w - 2);
	u32(s, h - 2);
	u64(s, w * 4 + 4);
	u32(s, 1);
	u32(s, 0);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_SET_SCANOUT);
	u32(s, 0);
	u32(s, 0);
	u32(s, w);
	u32(s, h);
	u32(s, 0);
	u32(s, 1);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_RESOURCE_FLUSH);
	u32(s, 0);
	u32(s, 0);
	u32(s, w);
	u32(s, h);
	u32(s, 1);
	u32(s, 0);
	end(s);
	cmd(s, true, VIRTIO_GPU_CMD_UPDATE_CURSOR);
	u32(s, 0);
	u32(s, 5);
	u32(s, 5);
	u32(s, 0);
	u32(s, 1);
	u32(s, 0);
	u32(s, 0);
	u32(s, 0);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING);
	u32(s, 1);
	u32(s, 0);
	end(s);
	cmd(s, false, VIRTIO_GPU_CMD_RESOURCE_UNREF);
	u32(s, 1);
	u32(s, 0);
	end(s);
}

static void test_fuzz(void **state)
{
	char dir[] = "/tmp/gasang-gpu-fuzz-XXXXXX", *cmdline, *log;
	struct seed s;
	int st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	session(&s, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64);
	write_seed(dir, "session-64", &s);
	session(&s, VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, 16, 8);
	write_seed(dir, "session-16x8", &s);
	assert_true(asprintf(&log, "%s.log", dir) > 0);
	assert_true(asprintf(&cmdline, "'%s' -runs=" FUZZ_RUNS " -seed=1 -max_len=4096 "
			     "-timeout=20 -rss_limit_mb=2048 '%s' > '%s' 2>&1", fuzzer, dir,
			     log) > 0);
	st = system(cmdline);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char *tail;

		assert_true(asprintf(&tail, "tail -n 40 '%s'", log) > 0);
		if (system(tail)) {
		}
		free(tail);
		fail_msg("the fuzzer failed (status %d); log in %s", st, log);
	}
	unlink(log);
	assert_true(asprintf(&cmdline, "rm -rf '%s'", dir) > 0);
	if (system(cmdline)) {
	}
	free(cmdline);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fuzz) };
	int skip = fuzz_target_find("virtio-gpu-fuzz", fuzzer, sizeof(fuzzer));

	if (skip)
		return skip;
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
