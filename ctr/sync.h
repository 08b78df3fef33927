/*
 * The runtime and the processes it starts talk over a SOCK_SEQPACKET pair:
 * one message per step (id maps written, go on, pid of the init, run the
 * createRuntime hooks, ready), errors carried back as text so the runtime
 * prints one line that says what failed inside. File descriptors (pty
 * master, seccomp notification fd) travel with SCM_RIGHTS.
 */
#ifndef CTR_SYNC_H
#define CTR_SYNC_H

#include <stddef.h>

enum ctr_sync {
	CTR_SYNC_EOF,		/* the other side closed */
	CTR_SYNC_ERROR,		/* child -> runtime: message text, errno */
	CTR_SYNC_USERNS,	/* stage 1 -> runtime: write my id maps */
	CTR_SYNC_GO,		/* runtime -> child: go on (payload may hold the state JSON) */
	CTR_SYNC_PID,		/* stage 1 -> runtime: the init's pid, decimal */
	CTR_SYNC_HOOKS,		/* init -> runtime: run the createRuntime hooks now */
	CTR_SYNC_SECCOMP,	/* init -> runtime: the seccomp notification fd attached */
	CTR_SYNC_CONSOLE,	/* init -> runtime: the pty master attached */
	CTR_SYNC_READY,		/* init -> runtime: set up; waiting for start (or exec'ing) */
};

#define CTR_SYNC_MAX 65536

int ctr_sync_send(int sock, enum ctr_sync type, int err, const void *data, size_t len, int fd);
/*
 * Receive one message into buf (n bytes, NUL-terminated); *fd gets a
 * passed fd or -1. Returns the type (CTR_SYNC_EOF at end) or -errno.
 */
int ctr_sync_recv(int sock, int *err, char *buf, size_t n, int *fd);
/*
 * Receive and require type: an ERROR message becomes this thread's error
 * (its text, its errno); EOF means the child died without a word.
 */
int ctr_sync_expect(int sock, enum ctr_sync type, char *buf, size_t n, int *fd);
/* Child side: send error_msg() with err. */
void ctr_sync_report(int sock, int err);

/* SCM_RIGHTS over any unix socket, with a payload (console socket, seccomp listener). */
int ctr_send_fds(int sock, const int *fds, size_t nfds, const void *data, size_t len);
int ctr_recv_fd(int sock, int *fd, void *data, size_t *len);

#endif
