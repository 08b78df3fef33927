/*
 * ctr/exec-process.c: exec's process from the container's config.json and
 * runc exec's flags: environment merging, user, groups, capabilities, and
 * the container's config found (or not) under the runtime root.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/exec-process.h"

#define CONFIG(process) \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}" process "}"
#define PROCESS \
	",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"terminal\":true," \
	"\"consoleSize\":{\"height\":24,\"width\":80},\"env\":[\"PATH=/bin\",\"HOME=/root\"]," \
	"\"user\":{\"uid\":1,\"gid\":2,\"additionalGids\":[3]}," \
	"\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}}"

#define STRV(...) ((struct ctr_strv){ (const char *[]){ __VA_ARGS__, NULL }, \
				      sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *) })

static struct ctr_config *parsed(const char *text)
{
	struct ctr_config *c = NULL;

	if (ctr_config_parse(text, strlen(text), "config.json", &c))
		fail_msg("%s", error_msg());
	return c;
}

static void test_env_merge(void **state)
{
	struct ctr_config *c = parsed(CONFIG(""));
	struct ctr_strv base = STRV("PATH=/bin", "HOME=/root", "EMPTY=");
	struct ctr_strv add = STRV("HOME=/home/x", "NEW=1", "PATHX=3", "NEW=2", "EMPTY");
	struct ctr_strv out;

	(void)state;
	assert_int_equal(ctr_env_merge(c, &base, &add, &out), 0);
	assert_int_equal(out.n, 5);
	assert_string_equal(out.v[0], "PATH=/bin");	/* PATHX is another name */
	assert_string_equal(out.v[1], "HOME=/home/x");
	assert_string_equal(out.v[2], "EMPTY");
	assert_string_equal(out.v[3], "NEW=2");		/* the later one wins */
	assert_string_equal(out.v[4], "PATHX=3");
	/* the base is left as it was */
	assert_string_equal(base.v[1], "HOME=/root");

	/* into itself, and nothing to add */
	add.n = 0;
	assert_int_equal(ctr_env_merge(c, &base, &add, &base), 0);
	assert_int_equal(base.n, 3);
	ctr_config_free(c);
}

static void test_apply(void **state)
{
	struct ctr_config *c = parsed(CONFIG(PROCESS));
	struct ctr_exec_flags f = {
		.args = STRV("ls", "-l"), .cwd = "/tmp", .no_new_privs = true,
		.env = STRV("HOME=/x", "A=b"), .user = "1000", .gids = STRV("7", "8"),
		.caps = STRV("CAP_NET_RAW"),
	};
	struct ctr_process *p = c->process;

	(void)state;
	assert_int_equal(ctr_exec_apply(c, &f), 0);
	assert_int_equal(p->args.n, 2);
	assert_string_equal(p->args.v[1], "-l");
	assert_false(p->terminal);
	assert_int_equal(p->console_height, 0);
	assert_string_equal(p->cwd, "/tmp");
	assert_true(p->no_new_privileges);
	assert_int_equal(p->env.n, 3);
	assert_string_equal(p->env.v[1], "HOME=/x");
	assert_string_equal(p->env.v[2], "A=b");
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 2);	/* no GID given: the process's */
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 8);
	assert_int_equal(p->caps.bounding, (1ull << 5) | (1ull << 13));
	assert_int_equal(p->caps.effective, 1ull << 13);
	assert_int_equal(p->caps.permitted, 1ull << 13);
	ctr_config_free(c);

	/* nothing but a command and a terminal: the rest stays the process's */
	c = parsed(CONFIG(PROCESS));
	f = (struct ctr_exec_flags){ .args = STRV("true"), .tty = true, .user = "5:6" };
	assert_int_equal(ctr_exec_apply(c, &f), 0);
	assert_string_equal(c->process->cwd, "/");
	assert_int_equal(c->process->env.n, 2);
	assert_int_equal(c->process->user.gid, 6);
	assert_int_equal(c->process->user.n_additional_gids, 1);
	assert_true(c->process->terminal);
	ctr_config_free(c);
}

static void test_apply_refused(void **state)
{
	struct ctr_config *c = parsed(CONFIG(PROCESS));
	struct ctr_exec_flags f = { .args = STRV("true"), .user = "root" };

	(void)state;
	assert_int_equal(ctr_exec_apply(c, &f), -EINVAL);
	assert_string_equal(error_msg(), "--user root: expected UID[:GID] (numbers)");
	f.user = "4294967295";
	assert_int_equal(ctr_exec_apply(c, &f), -EINVAL);
	f.user = NULL;
	f.caps = STRV("CAP_KILL", "CAP_NOPE");
	assert_int_equal(ctr_exec_apply(c, &f), -EINVAL);
	assert_string_equal(error_msg(), "--cap CAP_NOPE: unknown capability");
	f.caps = STRV("kill");
	assert_int_equal(ctr_exec_apply(c, &f), -EINVAL);
	ctr_config_free(c);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_config_load(void **state)
{
	char root[64], path[128], cmd[160];
	struct ctr_runtime rt = { .root = root };
	struct ctr_config *c = NULL;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/ctr-exec-test.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/box", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/box/config.json", root);
	put(path, CONFIG(PROCESS));
	assert_int_equal(ctr_exec_config_load(&rt, "box", &c), 0);
	assert_string_equal(c->process->args.v[0], "sh");
	ctr_config_free(c);

	c = NULL;
	assert_int_equal(ctr_exec_config_load(&rt, "nobox", &c), -ENOENT);
	assert_string_equal(error_msg(), "container 'nobox' does not exist");
	assert_int_equal(ctr_exec_config_load(&rt, "../box", &c), -EINVAL);
	assert_non_null(strstr(error_msg(), "invalid container id"));
	put(path, CONFIG(""));
	assert_int_equal(ctr_exec_config_load(&rt, "box", &c), -EINVAL);
	assert_non_null(strstr(error_msg(), "has no process"));
	assert_null(c);
	put(path, "{");
	assert_int_equal(ctr_exec_config_load(&rt, "box", &c), -EINVAL);
	assert_null(c);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_merge),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_refused),
		cmocka_unit_test(test_config_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
