/*
 * User-mode networking ("--net user") with libslirp, laid out as QEMU's:
 * the guest sits on 10.0.2.0/24, gets 10.0.2.15 from DHCP, reaches the host
 * (and the host's loopback services) at 10.0.2.2 and a DNS forwarder (to the
 * host's resolver) at 10.0.2.3; IPv6 likewise on fec0::/64. hostfwd= rules
 * listen on the host and connect into the guest.
 *
 * libslirp is not thread-safe: every call into it is made on the NIC's event
 * loop thread. Its sockets join each wait through a poll hook, its timers are
 * loop timers, and the guest's frames arrive from the NIC on the same thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slirp/libslirp.h>

#include "base/error.h"
#include "base/iov.h"
#include "base/loop.h"
#include "base/state.h"
#include "net/net.h"

#define SLIRP_NET	"10.0.2.0"
#define SLIRP_MASK	"255.255.255.0"
#define SLIRP_HOST	"10.0.2.2"
#define SLIRP_DHCP	"10.0.2.15"
#define SLIRP_DNS	"10.0.2.3"
#define SLIRP_NET6	"fec0::"
#define SLIRP_NET6_LEN	64
#define SLIRP_HOST6	"fec0::2"
#define SLIRP_DNS6	"fec0::3"
/* Frames for the guest held while it has no receive buffers; past that, dropped. */
#define SLIRP_BACKLOG	256

#if SLIRP_CONFIG_VERSION_MAX >= 4
#define SLIRP_CFG_VERSION 4
#else
#define SLIRP_CFG_VERSION SLIRP_CONFIG_VERSION_MAX
#endif

struct slirp_frame {
	uint8_t *data;
	size_t len;
};

struct slirp_be {
	struct net_backend be;
	Slirp *slirp;
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];	/* set up by attach */
	unsigned nfwd;
	struct loop_hook hook;
	struct loop_pollfds *pollfds;	/* the current round's, from prepare to dispatch */
	/* frames the NIC refused, oldest first */
	struct slirp_frame backlog[SLIRP_BACKLOG];
	unsigned head, count;
	uint8_t tx[NET_MAX_FRAME];	/* a frame in pieces, made whole for slirp_input */
};

struct slirp_timer {
	struct slirp_be *s;
	SlirpTimerId id;
	SlirpTimerCb cb;	/* the timer_new() flavour; NULL for timer_new_opaque() */
	void *cb_opaque;
	struct loop_timer lt;
};

static struct slirp_be *to_slirp(struct net_backend *be)
{
	return (struct slirp_be *)be;
}

/* ---- frames to the guest ---- */

static bool deliver(struct slirp_be *s, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return s->be.receive(s->be.opaque, &iov, 1);
}

static ssize_t slirp_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_be *s = opaque;
	struct slirp_frame *f;

	if (!s->count && deliver(s, buf, len)) {
		s->be.rx_frames++;
		return (ssize_t)len;
	}
	/* the guest has no room: keep the frame, in order, while there is space */
	if (s->count == SLIRP_BACKLOG) {
		s->be.rx_dropped++;
		return (ssize_t)len;
	}
	f = &s->backlog[(s->head + s->count) % SLIRP_BACKLOG];
	f->data = malloc(len);
	if (!f->data) {
		s->be.rx_dropped++;
		return (ssize_t)len;
	}
	memcpy(f->data, buf, len);
	f->len = len;
	s->count++;
	return (ssize_t)len;
}

static void slirp_rx_ready(struct net_backend *be)
{
	struct slirp_be *s = to_slirp(be);

	while (s->count) {
		struct slirp_frame *f = &s->backlog[s->head];

		if (!deliver(s, f->data, f->len))
			return;
		s->be.rx_frames++;
		free(f->data);
		f->data = NULL;
		s->head = (s->head + 1) % SLIRP_BACKLOG;
		s->count--;
	}
}

/* ---- frames from the guest ---- */

static void slirp_send(struct net_backend *be, const struct iovec *iov, unsigned n)
{
	struct slirp_be *s = to_slirp(be);
	size_t len = iov_size(iov, (int)n), off = 0;
	unsigned i;

	if (len < NET_ETH_HLEN || len > sizeof(s->tx)) {
		be->tx_dropped++;
		return;
	}
	be->tx_frames++;
	if (n == 1) {
		slirp_input(s->slirp, iov[0].iov_base, (int)len);
		return;
	}
	for (i = 0; i < n; i++) {
		memcpy(s->tx + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	slirp_input(s->slirp, s->tx, (int)len);
}

/* ---- libslirp's sockets in the loop's poll ---- */

static short to_poll(int ev)
{
	return (short)(((ev & SLIRP_POLL_IN) ? POLLIN : 0) | ((ev & SLIRP_POLL_OUT) ? POLLOUT : 0) |
		       ((ev & SLIRP_POLL_PRI) ? POLLPRI : 0) | ((ev & SLIRP_POLL_ERR) ? POLLERR : 0) |
		       ((ev & SLIRP_POLL_HUP) ? POLLHUP : 0));
}

static int from_poll(short ev)
{
	return ((ev & POLLIN) ? SLIRP_POLL_IN : 0) | ((ev & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((ev & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((ev & (POLLERR | POLLNVAL)) ? SLIRP_POLL_ERR : 0) |
	       ((ev & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

/* libslirp skips a socket whose index is -1 (out of memory): it waits a round */
static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_be *s = opaque;

	return loop_pollfds_add(s->pollfds, fd, to_poll(events));
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_be *s = opaque;

	return from_poll(loop_pollfds_revents(s->pollfds, idx));
}

static void hook_prepare(void *opaque, struct loop_pollfds *p, int *timeout_ms)
{
	struct slirp_be *s = opaque;
	uint32_t t = UINT32_MAX;

	s->pollfds = p;
	slirp_pollfds_fill(s->slirp, &t, add_poll, s);
	if (t != UINT32_MAX)
		*timeout_ms = t > INT_MAX ? INT_MAX : (int)t;
}

static void hook_dispatch(void *opaque, struct loop_pollfds *p)
{
	struct slirp_be *s = opaque;

	s->pollfds = p;
	slirp_pollfds_poll(s->slirp, 0, get_revents, s);
}

/* ---- libslirp's callbacks ---- */

static void slirp_guest_error(const char *msg, void *opaque)
{
	struct slirp_be *s = opaque;

	fprintf(stderr, "gasang: %s: guest error: %s\n", s->be.desc, msg);
}

static int64_t slirp_clock_ns(void *opaque)
{
	(void)opaque;
	return (int64_t)loop_now_ns();
}

static void timer_fire(void *opaque)
{
	struct slirp_timer *t = opaque;

	if (t->cb)
		t->cb(t->cb_opaque);
	else
		slirp_handle_timer(t->s->slirp, t->id, t->cb_opaque);
}

/* A timer that calls cb, or with cb NULL hands id to slirp_handle_timer(). */
static struct slirp_timer *timer_alloc(struct slirp_be *s, SlirpTimerCb cb, SlirpTimerId id,
				       void *cb_opaque)
{
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (t) {
		t->s = s;
		t->cb = cb;
		t->id = id;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void *slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return timer_alloc(opaque, cb, 0, cb_opaque);
}

static void *slirp_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return timer_alloc(opaque, NULL, id, cb_opaque);
}

static void slirp_timer_free(void *timer, void *opaque)
{
	struct slirp_timer *t = timer;

	(void)opaque;
	if (!t)
		return;
	loop_timer_stop(t->s->be.loop, &t->lt);
	free(t);
}

static void slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	(void)opaque;
	if (!t)
		return;
	/* expire_ms is on the clock slirp_clock_ns() gives, the loop's */
	loop_timer_start_at(t->s->be.loop, &t->lt, expire_ms < 0 ? 0 : (uint64_t)expire_ms,
			    timer_fire, t);
}

/* Sockets are polled through slirp_pollfds_fill() each round. */
static void slirp_register_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void slirp_notify(void *opaque)
{
	struct slirp_be *s = opaque;

	loop_wake(s->be.loop);
}

static const SlirpCb slirp_cb = {
	.send_packet = slirp_send_packet,
	.guest_error = slirp_guest_error,
	.clock_get_ns = slirp_clock_ns,
	.timer_new = slirp_timer_new,
	.timer_free = slirp_timer_free,
	.timer_mod = slirp_timer_mod,
	.register_poll_fd = slirp_register_fd,
	.unregister_poll_fd = slirp_register_fd,
	.notify = slirp_notify,
#if SLIRP_CFG_VERSION >= 4
	.timer_new_opaque = slirp_timer_new_opaque,
#endif
};

static void slirp_destroy(struct net_backend *be)
{
	struct slirp_be *s = to_slirp(be);

	if (be->loop)
		loop_remove_hook(be->loop, &s->hook);
	if (s->slirp)
		slirp_cleanup(s->slirp);
	while (s->count) {
		free(s->backlog[s->head].data);
		s->head = (s->head + 1) % SLIRP_BACKLOG;
		s->count--;
	}
	free(s);
}

static int add_hostfwd(struct slirp_be *s, const struct net_hostfwd *f)
{
	char host[INET_ADDRSTRLEN], guest[INET_ADDRSTRLEN];

	errno = 0;
	if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
			      f->guest_port) == 0)
		return 0;
	inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
	inet_ntop(AF_INET, &f->guest_addr, guest, sizeof(guest));
	return error_errno(errno ? -errno : -EADDRINUSE,
			   "--net user: hostfwd=%s:%s:%u-%s:%u: cannot listen on the host",
			   f->udp ? "udp" : "tcp", host, f->host_port, guest, f->guest_port);
}

/* libslirp starts on the loop's thread's behalf: its timers and sockets are the loop's. */
static int slirp_attach(struct net_backend *be)
{
	SlirpConfig cfg = { .version = SLIRP_CFG_VERSION };
	struct slirp_be *s = to_slirp(be);
	unsigned i;
	int err;

	cfg.in_enabled = true;
	inet_pton(AF_INET, SLIRP_NET, &cfg.vnetwork);
	inet_pton(AF_INET, SLIRP_MASK, &cfg.vnetmask);
	inet_pton(AF_INET, SLIRP_HOST, &cfg.vhost);
	inet_pton(AF_INET, SLIRP_DHCP, &cfg.vdhcp_start);
	inet_pton(AF_INET, SLIRP_DNS, &cfg.vnameserver);
	cfg.in6_enabled = true;
	inet_pton(AF_INET6, SLIRP_NET6, &cfg.vprefix_addr6);
	cfg.vprefix_len = SLIRP_NET6_LEN;
	inet_pton(AF_INET6, SLIRP_HOST6, &cfg.vhost6);
	inet_pton(AF_INET6, SLIRP_DNS6, &cfg.vnameserver6);
	s->slirp = slirp_new(&cfg, &slirp_cb, s);
	if (!s->slirp)
		return error_set(-ENOMEM, "--net user: libslirp could not start");
	for (i = 0; i < s->nfwd; i++) {
		err = add_hostfwd(s, &s->fwd[i]);
		if (err)
			return err;
	}
	s->hook = (struct loop_hook){ .prepare = hook_prepare, .dispatch = hook_dispatch,
				      .opaque = s };
	loop_add_hook(be->loop, &s->hook);
	return 0;
}

/* ---- saved state: libslirp's own, with its version ---- */

static ssize_t state_write(const void *buf, size_t len, void *opaque)
{
	state_put_bytes(opaque, buf, len);
	return (ssize_t)len;
}

static ssize_t state_read(void *buf, size_t len, void *opaque)
{
	struct state_in *in = opaque;

	state_get_bytes(in, buf, len);
	return in->err ? -1 : (ssize_t)len;
}

static int slirp_save(struct net_backend *be, struct state_out *o)
{
	struct state_out body;

	state_out_init(&body);
	slirp_state_save(to_slirp(be)->slirp, state_write, &body);
	state_put_u32(o, (uint32_t)slirp_state_version());
	state_put_u32(o, (uint32_t)body.len);
	if (body.len)
		state_put_bytes(o, body.buf, body.len);
	if (body.err && !o->err)
		o->err = body.err;
	state_out_free(&body);
	return o->err;
}

static int slirp_load(struct net_backend *be, struct state_in *in)
{
	uint32_t version = state_get_u32(in), len = state_get_u32(in);
	struct state_in body;

	if (in->err)
		return in->err;
	if (version != (uint32_t)slirp_state_version())
		return error_set(-EINVAL, "--net user: the state file holds libslirp state of "
				 "version %u, this libslirp (%s) has %d", version,
				 slirp_version_string(), slirp_state_version());
	if (len > in->len - in->off)
		return state_bad(in, "libslirp's state length");
	state_in_init(&body, in->p + in->off, len, "libslirp");
	in->off += len;
	if (slirp_state_load(to_slirp(be)->slirp, (int)version, state_read, &body) < 0 ||
	    body.err)
		return error_set(-EINVAL, "--net user: libslirp refused its saved state");
	return 0;
}

static const struct net_backend_ops slirp_ops = {
	.name = "user",
	.send = slirp_send,
	.rx_ready = slirp_rx_ready,
	.attach = slirp_attach,
	.destroy = slirp_destroy,
	.save = slirp_save,
	.load = slirp_load,
};

int net_slirp_open(struct net_backend **out, const struct net_opts *o)
{
	struct slirp_be *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return error_set(-ENOMEM, "--net user: out of memory");
	s->be.ops = &slirp_ops;
	snprintf(s->be.desc, sizeof(s->be.desc), "net user");
	memcpy(s->fwd, o->fwd, o->nfwd * sizeof(o->fwd[0]));
	s->nfwd = o->nfwd;
	*out = &s->be;
	return 0;
}
