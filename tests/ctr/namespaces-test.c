/* ctr/namespaces.c: id map text, which namespaces are made, namespace files checked by type. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/config.h"
#include "ctr/namespaces.h"

static struct ctr_config *parse(const char *lx)
{
	char text[2048];
	struct ctr_config *c = NULL;

	snprintf(text, sizeof(text), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"linux\":%s}", lx);
	if (ctr_config_parse(text, strlen(text), "config.json", &c))
		fail_msg("%s", error_msg());
	return c;
}

static void test_idmap_text(void **state)
{
	struct ctr_idmap m[2] = { { 0, 100000, 65536 }, { 65536, 1000, 1 } };
	char buf[64], tiny[10];

	(void)state;
	assert_int_equal(ctr_ns_format_idmap(m, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0 100000 65536\n65536 1000 1\n");
	assert_int_equal(ctr_ns_format_idmap(m, 2, tiny, sizeof(tiny)), -ENOSPC);
}

static void test_flags_and_paths(void **state)
{
	struct ctr_config *c;
	int fds[CTR_NS_COUNT];

	(void)state;
	c = parse("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"},"
		  "{\"type\":\"mount\"},{\"type\":\"cgroup\"}]}");
	assert_int_equal(ctr_ns_new_flags(c), CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWCGROUP);
	assert_int_equal(ctr_ns_open_paths(c, fds), 0);
	assert_true(fds[CTR_NS_NET] >= 0);
	assert_int_equal(fds[CTR_NS_PID], -1);
	ctr_ns_close(fds);
	assert_int_equal(fds[CTR_NS_NET], -1);
	ctr_config_free(c);

	/* a namespace file of another type, a file that is no namespace, a missing one */
	c = parse("{\"namespaces\":[{\"type\":\"network\",\"path\":\"/proc/self/ns/ipc\"}]}");
	assert_int_equal(ctr_ns_open_paths(c, fds), -EINVAL);
	assert_non_null(strstr(error_msg(), "not a network namespace"));
	ctr_config_free(c);
	c = parse("{\"namespaces\":[{\"type\":\"ipc\",\"path\":\"/etc/hostname\"}]}");
	assert_true(ctr_ns_open_paths(c, fds) < 0);
	assert_non_null(strstr(error_msg(), "not a namespace"));
	ctr_config_free(c);
	c = parse("{\"namespaces\":[{\"type\":\"uts\",\"path\":\"/nonexistent\"}]}");
	assert_int_equal(ctr_ns_open_paths(c, fds), -ENOENT);
	ctr_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idmap_text),
		cmocka_unit_test(test_flags_and_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
