/*
 * The user-mode backend (net/slirp.c) on an event loop this test runs: ARP
 * and DHCP answers from libslirp's 10.0.2.0/24, holding frames while the NIC
 * has no room, and a hostfwd= rule turning a host connection into a SYN
 * towards the guest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/loop.h"
#include "base/iov.h"
#include "net/checksum.h"
#include "base/error.h"
#include "net/net.h"
#include "vm/net-spec.h"

#define MAX_FRAMES 16
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct rx {
	uint8_t frame[MAX_FRAMES][2048];
	size_t len[MAX_FRAMES];
	unsigned n, attempts;
	bool refuse;
};

struct fx {
	struct loop loop;
	struct net_backend *be;
	struct rx rx;
};

static bool rx_cb(void *opaque, const struct iovec *iov, unsigned n)
{
	struct rx *r = opaque;
	size_t len = iov_size(iov, (int)n), off = 0;
	unsigned i;

	r->attempts++;
	if (r->refuse)
		return false;
	if (r->n < MAX_FRAMES && len <= sizeof(r->frame[0])) {
		for (i = 0; i < n; i++) {
			memcpy(r->frame[r->n] + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		r->len[r->n] = len;
	}
	r->n++;
	return true;
}

static struct fx *fx_new(const char *spec)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct net_opts o;

	assert_non_null(f);
	assert_int_equal(loop_init(&f->loop), 0);
	assert_int_equal(net_spec_parse(spec, &o), 0);
	assert_int_equal(net_backend_open(&f->be, &o), 0);
	assert_int_equal(net_backend_attach(f->be, &f->loop, rx_cb, &f->rx), 0);
	assert_int_equal(f->be->vnet_hdr_len, 0);
	return f;
}

static void fx_free(struct fx *f)
{
	net_backend_destroy(f->be);
	loop_destroy(&f->loop);
	free(f);
}

static void send_frame(struct fx *f, const void *p, size_t len)
{
	struct iovec iov[2] = { { (void *)p, 10 }, { (uint8_t *)p + 10, len - 10 } };

	net_backend_send(f->be, iov, 2);	/* in pieces: the backend makes it whole */
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t eth(uint8_t *p, const uint8_t *dst, uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, guest_mac, 6);
	put16(p + 12, type);
	return 14;
}

/* ARP: who has 10.0.2.2? tell 10.0.2.15 */
static size_t arp_request(uint8_t *p)
{
	size_t o = eth(p, bcast, ETH_P_ARP);
	static const uint8_t arp[] = { 0, 1, 8, 0, 6, 4, 0, 1 };

	memset(p + o, 0, 46);
	memcpy(p + o, arp, sizeof(arp));
	memcpy(p + o + 8, guest_mac, 6);
	inet_pton(AF_INET, "10.0.2.15", p + o + 14);
	inet_pton(AF_INET, "10.0.2.2", p + o + 24);
	return o + 46;	/* padded to the Ethernet minimum */
}

static void ip_header(uint8_t *ip, uint16_t total, uint8_t proto, const char *src, const char *dst)
{
	uint16_t c;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, total);
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	c = net_csum_fold(net_csum_add(0, ip, 20));
	memcpy(ip + 10, &c, 2);
}

/* DHCPDISCOVER as busybox udhcpc sends it: a 548-byte BOOTP message */
#define BOOTP_LEN 548
static size_t dhcp_discover(uint8_t *p)
{
	size_t o = eth(p, bcast, ETH_P_IP);
	uint8_t *udp = p + o + 20, *b = udp + 8;
	static const uint8_t opts[] = { 0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255 };

	ip_header(p + o, 20 + 8 + BOOTP_LEN, 17, "0.0.0.0", "255.255.255.255");
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, 8 + BOOTP_LEN);
	put16(udp + 6, 0);	/* no UDP checksum */
	memset(b, 0, BOOTP_LEN);
	b[0] = 1;		/* BOOTREQUEST */
	b[1] = 1;		/* Ethernet */
	b[2] = 6;
	memcpy(b + 4, "\x12\x34\x56\x78", 4);	/* xid */
	memcpy(b + 28, guest_mac, 6);		/* chaddr */
	memcpy(b + 236, opts, sizeof(opts));
	return o + 20 + 8 + BOOTP_LEN;
}

static void run(struct fx *f, int rounds)
{
	while (rounds--)
		loop_run_once(&f->loop, 10);
}

static void test_arp_answered(void **state)
{
	struct fx *f = fx_new("user");
	uint8_t p[64], *r;

	(void)state;
	send_frame(f, p, arp_request(p));
	run(f, 2);
	assert_int_equal(f->rx.n, 1);
	r = f->rx.frame[0];
	assert_memory_equal(r, guest_mac, 6);
	assert_int_equal(get16(r + 12), ETH_P_ARP);
	assert_int_equal(get16(r + 14 + 6), 2);		/* reply */
	assert_memory_equal(r + 14 + 8, slirp_mac, 6);	/* 10.0.2.2 is at 52:55:0a:00:02:02 */
	assert_memory_equal(r + 14 + 14, "\x0a\x00\x02\x02", 4);
	assert_int_equal(f->be->tx_frames, 1);
	assert_int_equal(f->be->rx_frames, 1);
	fx_free(f);
}

static void test_dhcp_offers_10_0_2_15(void **state)
{
	struct fx *f = fx_new("user");
	uint8_t p[14 + 20 + 8 + BOOTP_LEN], *r, *b;
	unsigned i;
	int type = -1;

	(void)state;
	send_frame(f, p, dhcp_discover(p));
	run(f, 2);
	assert_int_equal(f->rx.n, 1);
	r = f->rx.frame[0];
	assert_int_equal(get16(r + 12), ETH_P_IP);
	assert_int_equal(r[14 + 9], 17);
	assert_int_equal(get16(r + 34), 67);
	assert_int_equal(get16(r + 36), 68);
	b = r + 42;
	assert_int_equal(b[0], 2);				/* BOOTREPLY */
	assert_memory_equal(b + 4, "\x12\x34\x56\x78", 4);
	assert_memory_equal(b + 16, "\x0a\x00\x02\x0f", 4);	/* yiaddr 10.0.2.15 */
	assert_memory_equal(b + 236, "\x63\x82\x53\x63", 4);
	for (i = 240; i + 2 < f->rx.len[0] - 42;) {
		if (b[i] == 0) {		/* pad */
			i++;
			continue;
		}
		if (b[i] == 255)		/* end */
			break;
		if (b[i] == 53)
			type = b[i + 2];
		i += 2u + b[i + 1];
	}
	assert_int_equal(type, 2);				/* DHCPOFFER */
	fx_free(f);
}

static void test_held_while_refused(void **state)
{
	struct fx *f = fx_new("user");
	uint8_t p[64];
	unsigned i;

	(void)state;
	f->rx.refuse = true;
	send_frame(f, p, arp_request(p));
	run(f, 1);
	assert_int_equal(f->rx.n, 0);
	assert_int_equal(f->rx.attempts, 1);
	/* while held, nothing more is offered to the NIC */
	send_frame(f, p, arp_request(p));
	assert_int_equal(f->rx.attempts, 1);
	f->rx.refuse = false;
	net_backend_rx_ready(f->be);
	assert_int_equal(f->rx.n, 2);
	assert_int_equal(f->be->rx_frames, 2);
	/* a bounded backlog: past it, frames drop (TCP resends) */
	f->rx.refuse = true;
	for (i = 0; i < 300; i++)
		send_frame(f, p, arp_request(p));
	assert_int_equal(f->be->rx_dropped, 300 - 256);
	f->rx.refuse = false;
	net_backend_rx_ready(f->be);
	assert_int_equal(f->be->rx_frames, 2 + 256);
	fx_free(f);
}

static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void test_hostfwd_connects_to_guest(void **state)
{
	char spec[128];
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint16_t port = free_port();
	uint8_t p[64];
	struct fx *f;
	bool syn = false;
	int s, i;

	(void)state;
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%u-:8080", port);
	f = fx_new(spec);
	/* slirp learns the guest's MAC from its ARP request */
	send_frame(f, p, arp_request(p));
	run(f, 1);
	f->rx.n = 0;
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	a.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_true(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	for (i = 0; i < 200 && !syn; i++) {
		unsigned k;

		run(f, 1);
		for (k = 0; k < f->rx.n && k < MAX_FRAMES; k++) {
			const uint8_t *r = f->rx.frame[k];

			if (get16(r + 12) == ETH_P_IP && r[14 + 9] == 6 &&
			    !memcmp(r + 14 + 16, "\x0a\x00\x02\x0f", 4) && get16(r + 36) == 8080 &&
			    (r[47] & 0x02))
				syn = true;
		}
		f->rx.n = 0;
	}
	assert_true(syn);
	close(s);
	fx_free(f);
}

static void test_hostfwd_port_taken(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct net_backend *be;
	struct loop loop;
	struct net_opts o;
	char spec[128];
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%u-:80", ntohs(a.sin_port));
	assert_int_equal(net_spec_parse(spec, &o), 0);
	assert_int_equal(loop_init(&loop), 0);
	assert_int_equal(net_backend_open(&be, &o), 0);
	assert_true(net_backend_attach(be, &loop, rx_cb, NULL) < 0);
	assert_non_null(strstr(error_msg(), "cannot listen on the host"));
	net_backend_destroy(be);
	loop_destroy(&loop);
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_answered),
		cmocka_unit_test(test_dhcp_offers_10_0_2_15),
		cmocka_unit_test(test_held_while_refused),
		cmocka_unit_test(test_hostfwd_connects_to_guest),
		cmocka_unit_test(test_hostfwd_port_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
