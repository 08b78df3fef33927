/*
 * ctr/seccomp.c: filters built from configs (every action, argument
 * conditions, architectures, unknown names skipped) exported as BPF, and
 * loaded for real in children: a denied syscall's errno, the default
 * action, and the terminal guard refusing TIOCSTI on a pty.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/config.h"
#include "ctr/seccomp.h"

static struct ctr_config *parse(const char *seccomp)
{
	char text[4096];
	struct ctr_config *c = NULL;

	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"linux\":{\"seccomp\":%s}}", seccomp);
	if (ctr_config_parse(text, strlen(text), "config.json", &c))
		fail_msg("%s", error_msg());
	return c;
}

static size_t exported(const char *seccomp)
{
	struct ctr_config *c = parse(seccomp);
	void *bpf = NULL;
	size_t len = 0;
	int err = ctr_seccomp_export(c->lx.seccomp, &bpf, &len);

	if (err)
		fail_msg("export: %s", error_msg());
	free(bpf);
	ctr_config_free(c);
	/* classic BPF: 8 bytes an instruction */
	assert_int_equal(len % 8, 0);
	return len / 8;
}

static void test_export(void **state)
{
	size_t base, more;

	(void)state;
	base = exported("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	more = exported("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			"{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42},"
			"{\"names\":[\"no_such_syscall\"],\"action\":\"SCMP_ACT_KILL\"},"
			"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
			" {\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
			" {\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
			"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_TRAP\",\"args\":["
			" {\"index\":1,\"value\":511,\"valueTwo\":448,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
			"{\"names\":[\"sync\"],\"action\":\"SCMP_ACT_LOG\"},"
			"{\"names\":[\"syncfs\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":3},"
			"{\"names\":[\"acct\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
			"{\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},"
			"{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	assert_true(more > base);
	exported("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
		 "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
		 "\"flags\":[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_LOG\"],"
		 "\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
}

static void test_refused(void **state)
{
	struct ctr_config *c;
	void *bpf = NULL;
	size_t len;

	(void)state;
	c = parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}");
	assert_int_equal(ctr_seccomp_export(c->lx.seccomp, &bpf, &len), -EINVAL);
	assert_non_null(strstr(error_msg(), "SCMP_ARCH_VAX"));
	ctr_config_free(c);
}

/* Load the config's filter in a child (with no_new_privs) and report what getpriority does. */
static int child_errno(const char *seccomp)
{
	struct ctr_config *c = parse(seccomp);
	int status, nfd;
	pid_t pid = fork();

	if (pid == 0) {
		long r;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (ctr_seccomp_load(c->lx.seccomp, &nfd))
			_exit(200);
		errno = 0;
		r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
		_exit(r < 0 ? errno : 0);
	}
	waitpid(pid, &status, 0);
	ctr_config_free(c);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

static void test_load(void **state)
{
	(void)state;
	assert_int_equal(child_errno("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
				     "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}"),
			 42);
	/* default errno is EPERM */
	assert_int_equal(child_errno("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
				     "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\"}]}"),
			 EPERM);
	/* the argument must match */
	assert_int_equal(child_errno("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
				     "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":9,"
				     "\"args\":[{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
			 0);
	/* the default action, with its errno (what exiting needs stays allowed, sanitizers too) */
	assert_int_equal(child_errno("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":7,"
				     "\"syscalls\":[{\"names\":[\"exit_group\",\"exit\",\"write\",\"mmap\","
				     "\"munmap\",\"madvise\",\"rt_sigprocmask\",\"rt_sigaction\",\"sigaltstack\","
				     "\"futex\",\"getpid\",\"gettid\",\"close\",\"prctl\",\"sched_yield\"],"
				     "\"action\":\"SCMP_ACT_ALLOW\"}]}"),
			 7);
	/* KILL_PROCESS */
	assert_int_equal(child_errno("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
				     "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}"),
			 1000 + SIGSYS);
}

static void test_tty_guard(void **state)
{
	int status, m;
	pid_t pid;

	(void)state;
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0)
		skip();
	grantpt(m);
	unlockpt(m);
	pid = fork();
	if (pid == 0) {
		int s = open(ptsname(m), O_RDWR | O_NOCTTY);
		char c = 'x';

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (s < 0 || ctr_seccomp_load_tty_guard())
			_exit(200);
		if (ioctl(s, TIOCSTI, &c) == 0)
			_exit(100);
		_exit(errno);
	}
	waitpid(pid, &status, 0);
	close(m);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_tty_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
