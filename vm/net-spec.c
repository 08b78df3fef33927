/* --net SPEC: QEMU's -nic spelling for user mode and tap, parsed into a backend's options. */
#include "vm/net-spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"

#define SPEC_MAX 1024
#define GUEST_DHCP_ADDR "10.0.2.15"	/* where hostfwd goes without a guest address */

static int PRINTF_LIKE(2, 3) bad(const char *spec, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(-EINVAL, "--net %s: %s", spec, what);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_mac(const char *s, uint8_t mac[NET_MAC_LEN])
{
	unsigned i;

	for (i = 0; i < NET_MAC_LEN; i++, s += 3) {
		int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

		if (lo < 0 || s[2] != (i < NET_MAC_LEN - 1 ? ':' : '\0'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	/* a NIC's own address is unicast and not all zeros */
	if (mac[0] & 1)
		return -1;
	for (i = 0; i < NET_MAC_LEN; i++)
		if (mac[i])
			return 0;
	return -1;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "[ADDR]:PORT" (s is modified); an empty ADDR leaves *addr alone. */
static int parse_addr_port(char *s, struct in_addr *addr, uint16_t *port)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		return -1;
	*colon = '\0';
	if (*s && inet_pton(AF_INET, s, addr) != 1)
		return -1;
	return parse_port(colon + 1, port);
}

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, as QEMU spells it */
static int parse_hostfwd(char *s, struct net_hostfwd *f)
{
	char *colon = strchr(s, ':'), *dash;

	if (!colon)
		return -1;
	*colon = '\0';
	if (!strcmp(s, "udp"))
		f->udp = true;
	else if (*s && strcmp(s, "tcp"))
		return -1;
	s = colon + 1;
	dash = strchr(s, '-');
	if (!dash)
		return -1;
	*dash = '\0';
	f->host_addr.s_addr = htonl(INADDR_ANY);
	inet_pton(AF_INET, GUEST_DHCP_ADDR, &f->guest_addr);
	if (parse_addr_port(s, &f->host_addr, &f->host_port) ||
	    parse_addr_port(dash + 1, &f->guest_addr, &f->guest_port))
		return -1;
	return 0;
}

static int parse_ifname(const char *spec, const char *key, const char *v, char out[IF_NAMESIZE])
{
	if (!*v || strlen(v) >= IF_NAMESIZE || strchr(v, '/') || strchr(v, ' '))
		return bad(spec, "%s= needs an interface name of 1 to 15 characters", key);
	strcpy(out, v);
	return 0;
}

static int parse_option(const char *spec, struct net_opts *o, char *opt)
{
	char *eq = strchr(opt, '=');
	const char *v;

	if (!eq)
		return bad(spec, "'%s' is not key=value", opt);
	*eq = '\0';
	v = eq + 1;
	if (!strcmp(opt, "mac")) {
		if (parse_mac(v, o->mac))
			return bad(spec, "mac=%s: expected a unicast address like 52:54:00:12:34:56", v);
		o->has_mac = true;
		return 0;
	}
	if (o->kind == NET_USER && !strcmp(opt, "hostfwd")) {
		char buf[128];

		if (o->nfwd == NET_MAX_HOSTFWD)
			return bad(spec, "more than %d hostfwd= rules", NET_MAX_HOSTFWD);
		if (strlen(v) >= sizeof(buf))
			return bad(spec, "hostfwd=%s: too long", v);
		strcpy(buf, v);
		if (parse_hostfwd(buf, &o->fwd[o->nfwd]))
			return bad(spec, "hostfwd=%s: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", v);
		o->nfwd++;
		return 0;
	}
	if (o->kind == NET_TAP && !strcmp(opt, "ifname"))
		return parse_ifname(spec, "ifname", v, o->ifname);
	if (o->kind == NET_TAP && !strcmp(opt, "bridge"))
		return parse_ifname(spec, "bridge", v, o->bridge);
	if (o->kind == NET_STREAM && !strcmp(opt, "path")) {
		if (*v != '/' || strlen(v) >= sizeof(o->path))
			return bad(spec, "path= needs the switch socket's absolute path (at most %zu "
				   "characters)", sizeof(o->path) - 1);
		strcpy(o->path, v);
		return 0;
	}
	if (o->kind == NET_TAP && !strcmp(opt, "vnet_hdr")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return bad(spec, "vnet_hdr=%s: expected on or off", v);
		o->vnet_hdr = !strcmp(v, "on");
		return 0;
	}
	return bad(spec, "unknown option '%s' (user takes hostfwd= and mac=; tap takes ifname=, "
		   "bridge=, vnet_hdr= and mac=; stream takes path= and mac=)", opt);
}

int net_spec_parse(const char *spec, struct net_opts *o)
{
	char buf[SPEC_MAX], *save = NULL, *tok;
	bool first = true;

	memset(o, 0, sizeof(*o));
	o->vnet_hdr = true;
	if (strlen(spec) >= sizeof(buf))
		return error_set(-EINVAL, "--net: the spec is too long (%zu characters, at most %zu)",
				 strlen(spec), sizeof(buf) - 1);
	strcpy(buf, spec);
	if (!*spec)
		return 0;	/* user mode, as QEMU's default */
	if (spec[0] == ',' || spec[strlen(spec) - 1] == ',' || strstr(spec, ",,"))
		return bad(spec, "empty option");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int err;

		if (first) {
			first = false;
			if (!strcmp(tok, "user")) {
				o->kind = NET_USER;
				continue;
			}
			if (!strcmp(tok, "tap")) {
				o->kind = NET_TAP;
				continue;
			}
			if (!strcmp(tok, "stream")) {
				o->kind = NET_STREAM;
				continue;
			}
			/* options without a backend: user mode, the default */
			if (!strchr(tok, '='))
				return bad(spec, "'%s': expected user, tap, stream or an option", tok);
		}
		err = parse_option(spec, o, tok);
		if (err)
			return err;
	}
	if (o->kind == NET_TAP && !o->ifname[0] && !o->bridge[0])
		return bad(spec, "tap needs ifname=NAME (an existing tap) or bridge=BRIDGE");
	if (o->kind == NET_STREAM && !o->path[0])
		return bad(spec, "stream needs path=SOCKET (a switch's unix socket)");
	return 0;
}

void net_spec_mac(const struct net_opts *o, const struct net_backend *be, unsigned index,
		  uint8_t mac[NET_MAC_LEN])
{
	static const uint8_t qemu_mac[NET_MAC_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	const char *name = be->ifname;
	uint32_t h = 2166136261u;	/* FNV-1a */

	memcpy(mac, qemu_mac, NET_MAC_LEN);
	if (o->kind == NET_STREAM && !o->has_mac) {
		/* VMs sharing a switch must differ: the socket and this process name it */
		name = o->path;
		h = (h ^ (uint32_t)getpid()) * 16777619u;
		h = (h ^ index) * 16777619u;
	}
	if (o->has_mac) {
		memcpy(mac, o->mac, NET_MAC_LEN);
	} else if (*name) {
		for (; *name; name++)
			h = (h ^ (uint8_t)*name) * 16777619u;
		mac[3] = (uint8_t)(h >> 16);
		mac[4] = (uint8_t)(h >> 8);
		mac[5] = (uint8_t)h;
	} else {
		mac[5] = (uint8_t)(mac[5] + index);
	}
}
