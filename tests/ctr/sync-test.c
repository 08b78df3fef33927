/* ctr/sync.c: the runtime/child messages, errors carried back, fds passed, a dead peer. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/sync.h"

static void test_messages(void **state)
{
	char buf[128], big[CTR_SYNC_MAX];
	int sp[2], err, fd, t;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(ctr_sync_send(sp[1], CTR_SYNC_PID, 0, "1234", 4, -1), 0);
	assert_int_equal(ctr_sync_expect(sp[0], CTR_SYNC_PID, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "1234");

	/* an fd travels with its message */
	assert_int_equal(ctr_sync_send(sp[1], CTR_SYNC_CONSOLE, 0, NULL, 0, 0), 0);
	t = ctr_sync_recv(sp[0], &err, buf, sizeof(buf), &fd);
	assert_int_equal(t, CTR_SYNC_CONSOLE);
	assert_true(fd > 2);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	/* the child's error becomes ours, text and errno */
	error_set(-ENOENT, "exec: \"x\": not found");
	ctr_sync_report(sp[1], -ENOENT);
	error_clear();
	assert_int_equal(ctr_sync_expect(sp[0], CTR_SYNC_READY, buf, sizeof(buf), NULL), -ENOENT);
	assert_string_equal(error_msg(), "exec: \"x\": not found");

	/* the wrong message, a too big one */
	assert_int_equal(ctr_sync_send(sp[1], CTR_SYNC_GO, 0, NULL, 0, -1), 0);
	assert_int_equal(ctr_sync_expect(sp[0], CTR_SYNC_READY, buf, sizeof(buf), NULL), -EPROTO);
	memset(big, 'x', sizeof(big));
	assert_int_equal(ctr_sync_send(sp[1], CTR_SYNC_GO, 0, big, sizeof(big), -1), -EMSGSIZE);

	/* a dead peer */
	close(sp[1]);
	assert_int_equal(ctr_sync_expect(sp[0], CTR_SYNC_READY, buf, sizeof(buf), NULL), -EPIPE);
	assert_non_null(strstr(error_msg(), "exited during setup"));
	close(sp[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
