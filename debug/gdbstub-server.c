#include "debug/gdbstub-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/loop.h"
#include "base/socket-file.h"
#include "base/stream.h"
#include "debug/gdbstub.h"
#include "debug/rsp.h"
#include "machine/machine.h"

#define SPEC_MAX	256
#define MAX_PORT	65535
#define CLIENT_IN_MAX	(64u << 10)	/* read on while the session takes it all */
#define CLIENT_OUT_MAX	(8u << 20)	/* a debugger this far behind its replies is gone */

struct gdb_client {
	struct gdbstub *g;
	struct stream s;
	struct gdb_session session;
	struct loop_deferred free_d;
};

struct gdbstub {
	struct loop *loop;
	struct machine *m;
	const struct debug_ops *ops;
	void *target;			/* what ops take */
	bool once;
	void (*ended)(void *opaque);
	void *ended_opaque;
	int listen_fd;			/* -1: no longer listening */
	struct loop_watch listen_w;
	struct gdb_client *client;	/* NULL: no debugger */
	struct loop_deferred stopped_d;	/* a CPU stopped by itself */
	struct loop_deferred free_d;
	struct socket_file file;		/* unix:PATH's when it made it, removed at its end */
	char where[GDBSTUB_WHERE_MAX];
};

/* ---- listening ---- */

static int listen_unix(const char *path, char *where)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return error_set(-EINVAL, "gdb unix:%s: the path is empty or too long", path);
	strcpy(sa.sun_path, path);
	/* a socket left by an earlier run; anything else at the path stays */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_errno(-errno, "gdb unix:%s: socket", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) || listen(fd, 2)) {
		int err = error_errno(-errno, "gdb unix:%s: cannot listen there", path);

		close(fd);
		return err;
	}
	snprintf(where, GDBSTUB_WHERE_MAX, "unix:%s", path);
	return fd;
}

/* The address a tcp socket is bound to, as tcp:ADDR:PORT. */
static void tcp_where(int fd, char *where)
{
	char addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(where, GDBSTUB_WHERE_MAX, "tcp:[%s]:%u", addr, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(where, GDBSTUB_WHERE_MAX, "tcp:%s:%u", addr, ntohs(s4->sin_port));
	}
}

/* tcp:HOST:PORT, HOST a name, an IPv4 address, [IPv6] or empty (127.0.0.1) */
static int listen_tcp(const char *spec, char *where)
{
	char host[SPEC_MAX], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL, *ai;
	const char *colon;
	size_t hlen;
	int fd = -1, one = 1, err;

	colon = strrchr(spec, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return error_set(-EINVAL, "gdb tcp:%s: expected tcp:HOST:PORT", spec);
	if (strlen(colon + 1) >= sizeof(port) || strtoul(colon + 1, NULL, 10) > MAX_PORT)
		return error_set(-EINVAL, "gdb tcp:%s: port %s is out of range", spec, colon + 1);
	hlen = (size_t)(colon - spec);
	if (hlen >= sizeof(host))
		return error_set(-EINVAL, "gdb tcp:%s: the host name is too long", spec);
	memcpy(host, spec, hlen);
	host[hlen] = 0;
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = 0;
	}
	strcpy(port, colon + 1);
	err = getaddrinfo(*host ? host : "127.0.0.1", port, &hints, &res);
	if (err)
		return error_set(-EINVAL, "gdb tcp:%s: %s", spec, gai_strerror(err));
	err = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
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
		return error_errno(err, "gdb tcp:%s: cannot listen there", spec);
	tcp_where(fd, where);
	return fd;
}

/* A socket bound and listening already, made non-blocking: fd, or a negative errno. */
static int adopt_listener(struct gdbstub *g, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss), il = sizeof(int);
	int listening = 0, flags;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &il) || !listening ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl))
		return error_set(-EINVAL, "gdb: the descriptor passed is not a listening socket");
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return error_errno(-errno, "gdb: the socket passed");
	if (ss.ss_family == AF_UNIX) {
		struct sockaddr_un *su = (struct sockaddr_un *)&ss;
		size_t n = sl > offsetof(struct sockaddr_un, sun_path) ?
			   sl - offsetof(struct sockaddr_un, sun_path) : 0;

		snprintf(g->where, sizeof(g->where), "unix:%.*s", (int)strnlen(su->sun_path, n),
			 su->sun_path);
	} else if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
		tcp_where(fd, g->where);
	} else {
		return error_set(-EINVAL, "gdb: the socket passed is neither unix nor tcp");
	}
	return fd;
}

int gdbstub_listen(const char *spec, char *where)
{
	if (!strncmp(spec, "tcp:", 4))
		return listen_tcp(spec + 4, where);
	if (!strncmp(spec, "unix:", 5))
		return listen_unix(spec + 5, where);
	return error_set(-EINVAL, "gdb %s: expected tcp:HOST:PORT or unix:PATH", spec);
}

static void stop_listening(struct gdbstub *g)
{
	if (g->listen_fd < 0)
		return;
	loop_unwatch(g->loop, &g->listen_w);
	close(g->listen_fd);
	g->listen_fd = -1;
}

/* ---- the debugger ---- */

static void free_later(void *opaque)
{
	free(opaque);
}

/*
 * Its file goes with it: only ever on the main thread in a sandboxed VM (a
 * --gdb stub, at the VM's end: base/sandbox.h), since a stub started by the
 * control socket there has a socket passed to it and holds no file.
 */
static void stub_end(struct gdbstub *g)
{
	stop_listening(g);
	socket_file_remove(&g->file);
	/* after any stop notification already queued (the CPUs were told to stop first) */
	loop_defer(g->loop, &g->free_d, free_later, g);
}

/* The session is over (it closed itself, or was released): hang up. */
static void client_end(struct gdb_client *cl)
{
	struct gdbstub *g = cl->g;

	g->ops->set_notify(g->target, NULL, NULL);
	gdb_session_destroy(&cl->session);
	stream_close(&cl->s);
	g->client = NULL;
	/* its stream's events of this round may still come */
	loop_defer(g->loop, &cl->free_d, free_later, cl);
	if (g->once) {
		void (*ended)(void *) = g->ended;

		g->ended = NULL;
		stub_end(g);
		if (ended)
			ended(g->ended_opaque);
	}
}

/* Replies go out as the debugger takes them: one that stops reading fails alone. */
static int client_write(void *opaque, const void *buf, size_t len)
{
	struct gdb_client *cl = opaque;

	return stream_write(&cl->s, buf, len);
}

static void client_input(struct stream *s)
{
	struct gdb_client *cl = s->opaque;

	gdb_session_input(&cl->session, s->in, s->in_len);
	/* the session wrote through the stream: it may have failed meanwhile */
	if (stream_is_open(s))
		stream_consume(s, s->in_len);
	if (cl->session.closed)
		client_end(cl);
}

/* Gone without detaching: every point off, the machine runs on. */
static void client_gone(struct stream *s)
{
	struct gdb_client *cl = s->opaque;

	if (cl->g->client != cl)
		return;
	if (!cl->session.closed)
		gdb_session_release(&cl->session);
	client_end(cl);
}

static const struct stream_ops client_ops = {
	.input = client_input,
	.eof = client_gone,
	.failed = client_gone,
};

static void cpu_stopped(void *opaque)
{
	struct gdbstub *g = opaque;
	struct gdb_client *cl = g->client;

	if (!cl)
		return;
	gdb_session_cpu_stopped(&cl->session);
	if (cl->session.closed)
		client_end(cl);
}

/* From a CPU's thread: the loop's thread looks. */
static void notify(void *opaque)
{
	struct gdbstub *g = opaque;

	loop_defer(g->loop, &g->stopped_d, cpu_stopped, g);
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

static void on_accept(void *opaque, uint32_t events)
{
	struct gdbstub *g = opaque;
	struct gdb_client *cl;
	struct gdb_session_io io;
	int fd, one = 1;

	(void)events;
	fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (g->client) {
		refuse(fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return;
	}
	cl->g = g;
	/* many small packets, each answered: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (stream_open(&cl->s, g->loop, fd, CLIENT_IN_MAX, CLIENT_OUT_MAX, &client_ops, cl)) {
		free(cl);
		return;
	}
	g->ops->set_notify(g->target, notify, g);
	io = (struct gdb_session_io){ client_write, cl };
	if (gdb_session_init(&cl->session, g->m, &io)) {
		fprintf(stderr, "gasang: gdb: %s\n", error_msg());
		g->ops->set_notify(g->target, NULL, NULL);
		stream_close(&cl->s);
		free(cl);
		return;
	}
	g->client = cl;
}

/* ---- life cycle ---- */

int gdbstub_start(struct gdbstub **out, struct loop *l, struct machine *m,
		  const struct gdbstub_opts *o)
{
	struct gdbstub *g;
	int err;

	if (!m->ops->debug)
		return error_set(-ENOTSUP, "gdb: the %s machine has no debugger interface",
				 m->ops->arch);
	g = calloc(1, sizeof(*g));
	if (!g)
		return error_set(-ENOMEM, "out of memory");
	g->loop = l;
	g->m = m;
	g->ops = m->ops->debug;
	g->target = m->ops->debug_target(m);
	g->once = o->once;
	g->ended = o->ended;
	g->ended_opaque = o->opaque;
	socket_file_init(&g->file);
	g->listen_fd = o->spec ? gdbstub_listen(o->spec, g->where) :
				 adopt_listener(g, o->listen_fd);
	if (g->listen_fd < 0) {
		err = g->listen_fd;
		free(g);
		return err;
	}
	/* a socket file it made is its own to remove, through its directory */
	if (o->spec && !strncmp(g->where, "unix:", 5)) {
		err = socket_file_hold(&g->file, g->where + 5);
		if (err) {
			unlink(g->where + 5);
			close(g->listen_fd);
			free(g);
			return err;
		}
	}
	err = loop_watch(l, &g->listen_w, g->listen_fd, EPOLLIN, on_accept, g);
	if (err) {
		g->listen_w.fd = -1;
		stop_listening(g);
		socket_file_remove(&g->file);
		free(g);
		return err;
	}
	/* before any debugger: the CPUs are held before anything can run them */
	if (o->wait)
		g->ops->stop(g->target);
	*out = g;
	return 0;
}

const char *gdbstub_where(const struct gdbstub *g)
{
	return g->where;
}

int gdbstub_dir_fd(const struct gdbstub *g)
{
	return g ? g->file.dir_fd : -1;
}

bool gdbstub_once(const struct gdbstub *g)
{
	return g->once;
}

bool gdbstub_attached(const struct gdbstub *g)
{
	return g->client != NULL;
}

struct machine_end {
	struct gdbstub *g;
	int status, signal;
};

static void machine_ended(void *opaque)
{
	struct machine_end *e = opaque;
	struct gdbstub *g = e->g;

	stop_listening(g);
	g->once = false;	/* gdbstub_close frees it, not the end of its session */
	if (g->client) {
		gdb_session_machine_ended(&g->client->session, e->status, e->signal);
		client_end(g->client);
	}
}

void gdbstub_machine_ended(struct gdbstub *g, int status, int signal)
{
	struct machine_end e = { g, status, signal };

	if (g)
		loop_call_wait(g->loop, machine_ended, &e);
}

void gdbstub_close(struct gdbstub *g)
{
	if (!g)
		return;
	g->once = false;
	if (g->client) {
		struct gdb_client *cl = g->client;

		if (!cl->session.closed)
			gdb_session_release(&cl->session);
		client_end(cl);
	}
	stub_end(g);
}
