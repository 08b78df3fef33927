#include "debug/gdbstub-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/sandbox.h"
#include "base/socket-file.h"
#include "debug/gdbstub.h"
#include "debug/rsp.h"
#include "machine/machine.h"

#define READ_CHUNK	4096
#define SPEC_MAX	256
#define MAX_PORT	65535

struct gdbstub {
	struct machine *m;
	const struct debug_ops *ops;
	void *target;			/* what ops take */
	pthread_t thread;
	int listen_fd;
	int client_fd;			/* -1: no debugger */
	int event_fd;			/* a CPU stopped by itself (notify) */
	int wake_fd;			/* the machine ended: the thread finishes */
	struct socket_file file;	/* unix:PATH's, removed at the end */
	bool threaded;
	int end_status, end_signal;	/* set before wake_fd is written */
	struct gdb_session session;
	bool in_session;
};

/* ---- listening ---- */

static int listen_unix(struct gdbstub *g, const char *path, char *where, size_t where_size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return error_set(-EINVAL, "--gdb unix:%s: the path is empty or too long", path);
	strcpy(sa.sun_path, path);
	/* a socket left by an earlier run; anything else at the path stays */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(-errno, "--gdb unix:%s: socket", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) || listen(fd, 2)) {
		err = error_errno(-errno, "--gdb unix:%s: cannot listen there", path);
		close(fd);
		return err;
	}
	err = socket_file_hold(&g->file, path);
	if (err) {
		unlink(path);
		close(fd);
		return err;
	}
	snprintf(where, where_size, "unix:%s", path);
	return fd;
}

/* tcp:HOST:PORT, HOST a name, an IPv4 address, [IPv6] or empty (127.0.0.1) */
static int listen_tcp(const char *spec, char *where, size_t where_size)
{
	char host[SPEC_MAX], port[16], addr[INET6_ADDRSTRLEN];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *colon;
	size_t hlen;
	int fd = -1, one = 1, err;

	colon = strrchr(spec, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return error_set(-EINVAL, "--gdb tcp:%s: expected tcp:HOST:PORT", spec);
	if (strlen(colon + 1) >= sizeof(port) || strtoul(colon + 1, NULL, 10) > MAX_PORT)
		return error_set(-EINVAL, "--gdb tcp:%s: port %s is out of range", spec, colon + 1);
	hlen = (size_t)(colon - spec);
	if (hlen >= sizeof(host))
		return error_set(-EINVAL, "--gdb tcp:%s: the host name is too long", spec);
	memcpy(host, spec, hlen);
	host[hlen] = 0;
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = 0;
	}
	strcpy(port, colon + 1);
	err = getaddrinfo(*host ? host : "127.0.0.1", port, &hints, &res);
	if (err)
		return error_set(-EINVAL, "--gdb tcp:%s: %s", spec, gai_strerror(err));
	err = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 2))
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return error_errno(err, "--gdb tcp:%s: cannot listen there", spec);
	/* the port actually bound, for tcp:HOST:0 */
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
			snprintf(where, where_size, "tcp:[%s]:%u", addr, ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
			snprintf(where, where_size, "tcp:%s:%u", addr, ntohs(s4->sin_port));
		}
	}
	return fd;
}

static int listen_on(struct gdbstub *g, const char *spec, char *where, size_t where_size)
{
	if (!strncmp(spec, "tcp:", 4))
		return listen_tcp(spec + 4, where, where_size);
	if (!strncmp(spec, "unix:", 5))
		return listen_unix(g, spec + 5, where, where_size);
	return error_set(-EINVAL, "--gdb %s: expected tcp:HOST:PORT or unix:PATH", spec);
}

/* ---- the connection ---- */

/*
 * Write everything, waiting for room as long as the machine lives: a
 * debugger that stops reading holds only itself up, and never the end.
 */
static int client_write(void *opaque, const void *buf, size_t len)
{
	struct gdbstub *g = opaque;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(g->client_fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf[2] = {
				{ .fd = g->client_fd, .events = POLLOUT },
				{ .fd = g->wake_fd, .events = POLLIN },
			};

			if (poll(pf, 2, -1) < 0 && errno != EINTR)
				return -errno;
			if (pf[1].revents & POLLIN)
				return -EPIPE;
			continue;
		}
		return -EPIPE;
	}
	return 0;
}

static void notify(void *opaque)
{
	struct gdbstub *g = opaque;
	uint64_t one = 1;

	/* from a CPU's thread: the stub's thread looks */
	if (write(g->event_fd, &one, sizeof(one)) < 0)
		return;		/* the counter is saturated: a wake-up is pending anyway */
}

static void session_end(struct gdbstub *g)
{
	if (!g->in_session)
		return;
	if (!g->session.closed)
		gdb_session_release(&g->session);
	g->ops->set_notify(g->target, NULL, NULL);
	gdb_session_destroy(&g->session);
	g->in_session = false;
	close(g->client_fd);
	g->client_fd = -1;
}

/* One debugger at a time: the next is told why and hung up on. */
static void refuse(int fd)
{
	static const char msg[] = "E.gasang: another debugger is attached";
	char frame[RSP_FRAME_SIZE(sizeof(msg))];
	ssize_t n = rsp_frame(msg, sizeof(msg) - 1, frame, sizeof(frame));

	/* best effort: the refusal is the hang-up */
	if (n > 0 && send(fd, frame, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		n = 0;
	close(fd);
}

static void accept_debugger(struct gdbstub *g)
{
	struct gdb_session_io io = { client_write, g };
	int fd, one = 1;

	fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (g->in_session) {
		refuse(fd);
		return;
	}
	/* many small packets, each answered: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	g->client_fd = fd;
	g->ops->set_notify(g->target, notify, g);
	if (gdb_session_init(&g->session, g->m, &io)) {
		fprintf(stderr, "gasang: gdb: %s\n", error_msg());
		g->ops->set_notify(g->target, NULL, NULL);
		close(fd);
		g->client_fd = -1;
		return;
	}
	g->in_session = true;
}

static void client_input(struct gdbstub *g)
{
	uint8_t buf[READ_CHUNK];
	ssize_t n = recv(g->client_fd, buf, sizeof(buf), 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		session_end(g);		/* gone without detaching: the machine runs on */
		return;
	}
	gdb_session_input(&g->session, buf, (size_t)n);
}

static void *stub_thread(void *opaque)
{
	struct gdbstub *g = opaque;
	uint64_t count;

	sandbox_thread_enter(SANDBOX_DEBUG);
	for (;;) {
		struct pollfd pf[4] = {
			{ .fd = g->wake_fd, .events = POLLIN },
			{ .fd = g->listen_fd, .events = POLLIN },
			{ .fd = g->event_fd, .events = POLLIN },
			{ .fd = g->client_fd, .events = POLLIN },
		};

		if (poll(pf, g->client_fd >= 0 ? 4 : 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents & POLLIN) {
			if (g->in_session) {
				gdb_session_machine_ended(&g->session, g->end_status, g->end_signal);
				session_end(g);
			}
			break;
		}
		if (pf[2].revents & POLLIN) {
			if (read(g->event_fd, &count, sizeof(count)) > 0 && g->in_session)
				gdb_session_cpu_stopped(&g->session);
		}
		if (g->client_fd >= 0 && (pf[3].revents & (POLLIN | POLLHUP | POLLERR)))
			client_input(g);
		if (g->in_session && g->session.closed)
			session_end(g);
		if (pf[1].revents & POLLIN)
			accept_debugger(g);
	}
	return NULL;
}

int gdbstub_open(struct gdbstub **out, struct machine *m, const char *spec, bool wait,
		 char *where, size_t where_size)
{
	struct gdbstub *g;
	int err;

	if (!m->ops->debug)
		return error_set(-ENOTSUP, "--gdb: the %s machine has no debugger interface",
				 m->ops->arch);
	g = calloc(1, sizeof(*g));
	if (!g)
		return error_set(-ENOMEM, "out of memory");
	g->m = m;
	socket_file_init(&g->file);
	g->ops = m->ops->debug;
	g->target = m->ops->debug_target(m);
	g->client_fd = -1;
	g->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->event_fd < 0 || g->wake_fd < 0) {
		err = error_errno(-errno, "--gdb: eventfd");
		goto err_fds;
	}
	g->listen_fd = listen_on(g, spec, where, where_size);
	if (g->listen_fd < 0) {
		err = g->listen_fd;
		goto err_fds;
	}
	/* before the thread: the CPUs are held before anything can run them */
	if (wait)
		g->ops->stop(g->target);
	*out = g;
	return 0;
err_fds:
	if (g->event_fd >= 0)
		close(g->event_fd);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	free(g);
	return err;
}

int gdbstub_start(struct gdbstub *g)
{
	/* the VM does not start if this fails: no need to let held CPUs go */
	if (pthread_create(&g->thread, NULL, stub_thread, g))
		return error_set(-EAGAIN, "--gdb: cannot start the gdbstub's thread");
	g->threaded = true;
	return 0;
}

int gdbstub_dir_fd(const struct gdbstub *g)
{
	return g ? g->file.dir_fd : -1;
}

void gdbstub_stop(struct gdbstub *g, int status, int signal)
{
	uint64_t one = 1;

	if (!g)
		return;
	g->end_status = status;
	g->end_signal = signal;
	if (g->threaded) {
		if (write(g->wake_fd, &one, sizeof(one)) < 0)
			fprintf(stderr, "gasang: gdb: cannot wake the gdbstub's thread\n");
		pthread_join(g->thread, NULL);
	}
	close(g->listen_fd);
	socket_file_remove(&g->file);
	close(g->event_fd);
	close(g->wake_fd);
	free(g);
}
