#include "net/switch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/stream.h"
#include "net/stream-frame.h"

struct port {
	struct net_switch *sw;
	struct stream s;
	unsigned id;			/* never reused: a learned entry names its port by it */
	struct port *next;
	struct loop_deferred free_d;
};

struct mac_entry {
	uint8_t mac[NET_MAC_LEN];
	unsigned port;			/* 0: empty */
	uint64_t seen_ms;
};

struct net_switch {
	struct loop *loop;
	int lfd;
	struct loop_watch lw;
	struct port *ports;
	size_t nports;
	unsigned next_id;
	struct mac_entry table[SWITCH_TABLE_SIZE];
	struct switch_stats st;
};

static void port_free(void *opaque)
{
	free(opaque);
}

static void port_close(struct port *p)
{
	struct net_switch *sw = p->sw;
	struct port **pp;
	size_t i;

	for (pp = &sw->ports; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	sw->nports--;
	/* what was learned behind it goes with it */
	for (i = 0; i < SWITCH_TABLE_SIZE; i++)
		if (sw->table[i].port == p->id)
			sw->table[i].port = 0;
	stream_close(&p->s);
	loop_defer(sw->loop, &p->free_d, port_free, p);
}

static size_t slot_of(const uint8_t mac[NET_MAC_LEN])
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	unsigned i;

	for (i = 0; i < NET_MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h & (SWITCH_TABLE_SIZE - 1);
}

/* Open addressing, a few probes: a full neighbourhood replaces its oldest entry. */
#define PROBES 8

static void learn(struct net_switch *sw, const uint8_t mac[NET_MAC_LEN], unsigned port)
{
	size_t s = slot_of(mac), i, oldest = s;
	uint64_t now = loop_now_ms();

	if (mac[0] & 1)
		return;	/* a multicast source is no one's address */
	for (i = 0; i < PROBES; i++) {
		struct mac_entry *e = &sw->table[(s + i) & (SWITCH_TABLE_SIZE - 1)];

		if (e->port && !memcmp(e->mac, mac, NET_MAC_LEN)) {
			e->port = port;
			e->seen_ms = now;
			return;
		}
		if (!e->port || now - e->seen_ms > SWITCH_AGE_MS) {
			oldest = (s + i) & (SWITCH_TABLE_SIZE - 1);
			break;
		}
		if (e->seen_ms < sw->table[oldest].seen_ms)
			oldest = (s + i) & (SWITCH_TABLE_SIZE - 1);
	}
	memcpy(sw->table[oldest].mac, mac, NET_MAC_LEN);
	sw->table[oldest].port = port;
	sw->table[oldest].seen_ms = now;
	sw->st.learned++;
}

/* The port a unicast MAC was last seen behind, 0 when not known (or aged). */
static unsigned lookup(const struct net_switch *sw, const uint8_t mac[NET_MAC_LEN])
{
	size_t s = slot_of(mac), i;
	uint64_t now = loop_now_ms();

	for (i = 0; i < PROBES; i++) {
		const struct mac_entry *e = &sw->table[(s + i) & (SWITCH_TABLE_SIZE - 1)];

		if (e->port && !memcmp(e->mac, mac, NET_MAC_LEN))
			return now - e->seen_ms > SWITCH_AGE_MS ? 0 : e->port;
	}
	return 0;
}

static void send_to(struct port *p, const uint8_t *framed, size_t len)
{
	if (stream_write(&p->s, framed, len))
		p->sw->st.dropped++;	/* it does not read: it loses frames, nobody waits */
}

/* One frame (with its length header) from port from. */
static void forward(struct net_switch *sw, struct port *from, const uint8_t *framed, size_t len)
{
	const uint8_t *eth = framed + NET_STREAM_HDR_LEN;
	unsigned to;
	struct port *p;

	sw->st.frames++;
	learn(sw, eth + NET_MAC_LEN, from->id);
	to = eth[0] & 1 ? 0 : lookup(sw, eth);
	if (to == from->id)
		return;	/* for itself: a hub would echo it, a switch does not */
	if (!to)
		sw->st.flooded++;
	for (p = sw->ports; p; p = p->next) {
		if (p == from || (to && p->id != to))
			continue;
		send_to(p, framed, len);
	}
}

static void port_input(struct stream *s)
{
	struct port *p = s->opaque;
	size_t used = 0, flen;
	int r;

	while ((r = net_stream_frame((const uint8_t *)s->in + used, s->in_len - used, &flen)) == 1) {
		forward(p->sw, p, (const uint8_t *)s->in + used, NET_STREAM_HDR_LEN + flen);
		used += NET_STREAM_HDR_LEN + flen;
		if (!stream_is_open(&p->s))
			return;
	}
	if (r < 0) {
		port_close(p);
		return;
	}
	stream_consume(s, used);
}

static void port_gone(struct stream *s)
{
	port_close(s->opaque);
}

static const struct stream_ops port_ops = {
	.input = port_input,
	.eof = port_gone,
	.failed = port_gone,
};

static void on_accept(void *opaque, uint32_t events)
{
	struct net_switch *sw = opaque;
	struct port *p;
	int fd;

	(void)events;
	while ((fd = accept4(sw->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		p = sw->nports < SWITCH_MAX_PORTS ? calloc(1, sizeof(*p)) : NULL;
		if (!p) {
			close(fd);
			continue;
		}
		p->sw = sw;
		p->id = ++sw->next_id;
		/* room for two whole frames in, a bounded queue out */
		if (stream_open(&p->s, sw->loop, fd, 2 * (NET_STREAM_HDR_LEN + NET_STREAM_FRAME_MAX),
				SWITCH_PORT_QUEUE, &port_ops, p)) {
			free(p);
			continue;
		}
		p->next = sw->ports;
		sw->ports = p;
		sw->nports++;
	}
}

int net_switch_start(struct net_switch **out, struct loop *l, int listen_fd)
{
	struct net_switch *sw = calloc(1, sizeof(*sw));
	int err;

	if (!sw) {
		close(listen_fd);
		return error_set(-ENOMEM, "out of memory");
	}
	sw->loop = l;
	sw->lfd = listen_fd;
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	err = loop_watch(l, &sw->lw, listen_fd, EPOLLIN, on_accept, sw);
	if (err) {
		close(listen_fd);
		free(sw);
		return err;
	}
	*out = sw;
	return 0;
}

void net_switch_stats(const struct net_switch *sw, struct switch_stats *st)
{
	*st = sw->st;
	st->ports = sw->nports;
}

void net_switch_stop(struct net_switch *sw)
{
	if (!sw)
		return;
	while (sw->ports) {
		struct port *p = sw->ports;

		sw->ports = p->next;
		stream_close(&p->s);
		free(p);
	}
	loop_unwatch(sw->loop, &sw->lw);
	close(sw->lfd);
	free(sw);
}
