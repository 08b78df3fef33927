/* ctr/log.c: the --log file, as text and as JSON lines containerd's shim reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/log.h"

static void test_json(void **state)
{
	char path[] = "/tmp/ctr-log-test.XXXXXX", line[1024];
	struct ctr_log l = { .prog = "gasang-oci" };
	json_t *o;
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	close(fd);
	assert_int_equal(ctr_log_open(&l, path, "yaml"), -EINVAL);
	assert_int_equal(ctr_log_open(&l, path, "json"), 0);
	ctr_log_warn(&l, "hook \"%s\" failed", "x");
	ctr_log_debug(&l, "not shown");
	ctr_log_close(&l);
	f = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	o = json_loads(line, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "warning");
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "hook \"x\" failed");
	assert_non_null(json_object_get(o, "time"));
	json_decref(o);
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);

	assert_int_equal(ctr_log_open(&l, path, NULL), 0);
	ctr_log_warn(&l, "plain");
	ctr_log_close(&l);
	f = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "level=warning msg=\"plain\""));
	fclose(f);
	unlink(path);
	assert_int_equal(ctr_log_open(&l, "/nonexistent/dir/log", "text"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
