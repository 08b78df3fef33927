/*
 * "--net stream,path=SOCKET": a NIC on a switch (gasang's, net/switch.h, or
 * any peer of QEMU's `-netdev stream`) through a unix stream socket, frames
 * with their length before them (net/stream-frame.h). Needs no privilege:
 * it is how an ordinary user's VMs reach each other.
 *
 * Frames are plain (no virtio-net header): virtio-net cuts TSO frames and
 * completes checksums for it, as for user mode. A frame the socket cannot
 * take whole is finished before the next is sent (the framing must hold);
 * frames sent meanwhile are dropped, as a full wire would. When the switch
 * goes away the backend connects again every STREAM_RECONNECT_MS (not once
 * sandboxed: see disconnected()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/iov.h"
#include "base/loop.h"
#include "base/sandbox.h"
#include "net/net.h"
#include "net/stream-frame.h"

#define STREAM_RECONNECT_MS	1000
#define STREAM_RX_BUDGET	64	/* frames handed to the NIC per wake-up */

struct stream_be {
	struct net_backend be;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;				/* -1 while disconnected */
	struct loop_watch w;
	struct loop_timer reconnect;
	bool held;			/* the frame at in's start was refused by the NIC */
	size_t in_len;
	uint8_t in[NET_STREAM_HDR_LEN + NET_STREAM_FRAME_MAX];
	size_t out_off, out_len;	/* the rest of a frame the socket took in part */
	uint8_t out[NET_STREAM_HDR_LEN + NET_STREAM_FRAME_MAX];
};

static struct stream_be *to_stream(struct net_backend *be)
{
	return (struct stream_be *)be;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void events_wanted(struct stream_be *s)
{
	loop_modify(s->be.loop, &s->w, (s->held ? 0 : EPOLLIN) | (s->out_len ? EPOLLOUT : 0));
}

static void try_reconnect(void *opaque);
static void on_socket(void *opaque, uint32_t events);

/*
 * The switch went away: what was in flight is lost; connect again later. A
 * sandboxed VM cannot: it makes no socket after set-up (its filter would
 * kill it for one), and its jail hides the path. The NIC stays unplugged,
 * its frames dropped, until the VM starts again.
 */
static void disconnected(struct stream_be *s)
{
	loop_unwatch(s->be.loop, &s->w);
	close(s->fd);
	s->fd = -1;
	s->held = false;
	s->in_len = s->out_len = s->out_off = 0;
	if (sandbox_active()) {
		fprintf(stderr, "gasang: %s: the switch went away; a sandboxed VM does not connect "
			"again: the NIC is unplugged until the VM restarts\n", s->be.desc);
		return;
	}
	fprintf(stderr, "gasang: %s: the switch went away; connecting again\n", s->be.desc);
	loop_timer_start(s->be.loop, &s->reconnect, STREAM_RECONNECT_MS, try_reconnect, s);
}

static void try_reconnect(void *opaque)
{
	struct stream_be *s = opaque;
	int fd = connect_to(s->path);

	if (fd < 0 || loop_watch(s->be.loop, &s->w, fd, EPOLLIN, on_socket, s)) {
		if (fd >= 0)
			close(fd);
		loop_timer_start(s->be.loop, &s->reconnect, STREAM_RECONNECT_MS, try_reconnect, s);
		return;
	}
	s->fd = fd;
	fprintf(stderr, "gasang: %s: connected again\n", s->be.desc);
}

/* Hand the NIC the whole frames in the buffer; false when it refused one (held). */
static bool deliver(struct stream_be *s)
{
	unsigned budget = STREAM_RX_BUDGET;
	size_t flen;
	int r;

	while (budget-- && (r = net_stream_frame(s->in, s->in_len, &flen)) == 1) {
		struct iovec iov = { s->in + NET_STREAM_HDR_LEN, flen };

		if (!s->be.receive(s->be.opaque, &iov, 1)) {
			s->held = true;
			return false;
		}
		s->be.rx_frames++;
		s->in_len -= NET_STREAM_HDR_LEN + flen;
		memmove(s->in, s->in + NET_STREAM_HDR_LEN + flen, s->in_len);
	}
	if (r < 0) {
		/* not the stream framing: nothing after this can be trusted */
		fprintf(stderr, "gasang: %s: a frame of a bad length from the switch\n", s->be.desc);
		disconnected(s);
		return false;
	}
	return true;
}

static void flush_out(struct stream_be *s)
{
	ssize_t w = write(s->fd, s->out + s->out_off, s->out_len - s->out_off);

	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		disconnected(s);
		return;
	}
	if (w > 0)
		s->out_off += (size_t)w;
	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
}

static void on_socket(void *opaque, uint32_t events)
{
	struct stream_be *s = opaque;
	ssize_t n;

	if ((events & EPOLLOUT) && s->out_len) {
		flush_out(s);
		if (s->fd < 0)
			return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !s->held) {
		n = read(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			disconnected(s);
			return;
		}
		if (n > 0)
			s->in_len += (size_t)n;
		if (!deliver(s) && s->fd < 0)
			return;
	}
	events_wanted(s);
}

static void stream_rx_ready(struct net_backend *be)
{
	struct stream_be *s = to_stream(be);

	if (!s->held || s->fd < 0)
		return;
	s->held = false;
	if (!deliver(s) && s->fd < 0)
		return;
	events_wanted(s);
}

static void stream_send(struct net_backend *be, const struct iovec *iov, unsigned n)
{
	struct stream_be *s = to_stream(be);
	size_t len = iov_size(iov, (int)n);
	struct iovec v[1 + 64];
	uint8_t hdr[NET_STREAM_HDR_LEN];
	ssize_t w;

	if (s->fd < 0 || s->out_len || n > 64 || len < NET_ETH_HLEN || len > NET_STREAM_FRAME_MAX) {
		be->tx_dropped++;
		return;
	}
	net_stream_header(len, hdr);
	v[0] = (struct iovec){ hdr, sizeof(hdr) };
	memcpy(v + 1, iov, n * sizeof(*iov));
	do
		w = writev(s->fd, v, (int)n + 1);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		be->tx_dropped++;	/* EAGAIN: the switch is behind; else the next read finds out */
		return;
	}
	be->tx_frames++;
	if ((size_t)w == len + sizeof(hdr))
		return;
	/* the rest goes before anything else */
	memcpy(s->out, hdr, sizeof(hdr));
	iov_to_buf(iov, (int)n, 0, s->out + sizeof(hdr), len);
	s->out_len = len + sizeof(hdr);
	s->out_off = (size_t)w;
	events_wanted(s);
}

static int stream_attach(struct net_backend *be)
{
	struct stream_be *s = to_stream(be);

	return loop_watch(be->loop, &s->w, s->fd, EPOLLIN, on_socket, s);
}

static void stream_destroy(struct net_backend *be)
{
	struct stream_be *s = to_stream(be);

	if (be->loop) {
		loop_timer_stop(be->loop, &s->reconnect);
		if (s->fd >= 0)
			loop_unwatch(be->loop, &s->w);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static const struct net_backend_ops stream_ops = {
	.name = "stream",
	.send = stream_send,
	.rx_ready = stream_rx_ready,
	.attach = stream_attach,
	.destroy = stream_destroy,
};

int net_stream_open(struct net_backend **out, const struct net_opts *o)
{
	struct stream_be *s = calloc(1, sizeof(*s));

	if (!s)
		return error_set(-ENOMEM, "out of memory");
	s->be.ops = &stream_ops;
	snprintf(s->path, sizeof(s->path), "%s", o->path);
	snprintf(s->be.desc, sizeof(s->be.desc), "stream %.40s", o->path);
	s->w.fd = -1;
	s->fd = connect_to(o->path);
	if (s->fd < 0) {
		int err = s->fd;

		free(s);
		return error_errno(err, "--net stream,path=%s: cannot connect", o->path);
	}
	*out = &s->be;
	return 0;
}
