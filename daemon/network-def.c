#include "daemon/network-def.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "daemon/def-field.h"
#include "daemon/definition.h"

#define BRIDGE_PREFIX	"gs-"

static const char *const top_keys[] = {
	"name", "uuid", "type", "bridge", "subnet", "gateway", "dhcp", "dns", "autostart", NULL,
};

int net_addr_parse(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

void net_addr_format(uint32_t a, char *buf)
{
	struct in_addr in = { htonl(a) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

uint32_t net_subnet_mask(const struct net_subnet *s)
{
	return s->prefix ? ~0u << (32 - s->prefix) : 0;
}

int net_subnet_parse(const char *s, struct net_subnet *out)
{
	char buf[32], *slash, *end;
	long p;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || p < 0 || p > 32 || net_addr_parse(buf, &out->addr))
		return -EINVAL;
	out->prefix = (int)p;
	return out->addr & ~net_subnet_mask(out) ? -EINVAL : 0;
}

bool net_subnet_contains(const struct net_subnet *s, uint32_t a)
{
	return (a & net_subnet_mask(s)) == s->addr;
}

bool net_subnets_overlap(const struct net_subnet *a, const struct net_subnet *b)
{
	/* two aligned blocks overlap when the larger holds the smaller's start */
	return a->prefix <= b->prefix ? net_subnet_contains(a, b->addr)
				      : net_subnet_contains(b, a->addr);
}

uint32_t net_subnet_first(const struct net_subnet *s)
{
	return s->addr + 1;
}

uint32_t net_subnet_last(const struct net_subnet *s)
{
	return (s->addr | ~net_subnet_mask(s)) - 1;
}

bool net_def_bridged(const json_t *def)
{
	const char *t = json_string_value(json_object_get(def, "type"));

	return t && strcmp(t, "switch");
}

/* An address field inside the subnet: *out in host order. */
static int get_inside(const json_t *v, const char *field, const struct net_subnet *sn,
		      uint32_t *out, bool *given)
{
	const char *s;
	int err = def_get_string(v, field, 15, &s);

	*given = false;
	if (err || !s)
		return err;
	if (net_addr_parse(s, out))
		return def_bad(field, "'%.32s' is not an IPv4 address", s);
	if (!net_subnet_contains(sn, *out) || *out < net_subnet_first(sn) ||
	    *out > net_subnet_last(sn))
		return def_bad(field, "%s is not a host address of the subnet", s);
	*given = true;
	return 0;
}

static int get_dhcp(const json_t *v, const struct net_subnet *sn, uint32_t gateway,
		    uint32_t *start, uint32_t *end)
{
	static const char *const keys[] = { "start", "end", NULL };
	uint32_t first = net_subnet_first(sn), hosts = net_subnet_last(sn) - first + 1;
	bool has_start, has_end;
	int err;

	/* the lower half for DHCP, the upper for containers' own addresses */
	*start = first;
	*end = first + hosts / 2 - 1;
	if (v && !json_is_object(v))
		return def_bad("dhcp", "expected {\"start\": ADDRESS, \"end\": ADDRESS}");
	if (v && ((err = def_check_keys(v, keys, "dhcp")) ||
		  (err = get_inside(json_object_get(v, "start"), "dhcp.start", sn, start,
				    &has_start)) ||
		  (err = get_inside(json_object_get(v, "end"), "dhcp.end", sn, end, &has_end))))
		return err;
	if (*start == gateway && *start < *end)
		(*start)++;
	if (*end < *start)
		return def_bad("dhcp", "its start comes after its end");
	if (gateway >= *start && gateway <= *end)
		return def_bad("dhcp", "the range holds the gateway's address");
	if (*end >= net_subnet_last(sn))
		return def_bad("dhcp.end", "leaves no address for containers (end below the last "
			       "address of the subnet)");
	return 0;
}

static int default_bridge(const char *name, const char *uuid, char *out, size_t n)
{
	if (strlen(BRIDGE_PREFIX) + strlen(name) <= DEF_IFNAME_MAX)
		snprintf(out, n, BRIDGE_PREFIX "%s", name);
	else
		snprintf(out, n, BRIDGE_PREFIX "%.8s", uuid);
	return 0;
}

int net_def_normalize(const json_t *doc, json_t **out, bool *autostart)
{
	static const char *const types[] = { "nat", "isolated", "switch", NULL };
	const char *name, *type = NULL, *bridge = NULL, *subnet = NULL;
	char uuid[DEF_UUID_LEN + 1], br[DEF_IFNAME_MAX + 1], a[4][24];
	uint32_t gateway, start, end;
	struct net_subnet sn;
	bool dns = true, autos = false, given;
	json_t *o;
	int err;

#define FIELD(k) json_object_get(doc, k)
	*out = NULL;
	if (!json_is_object(doc))
		return error_set(-EINVAL, "definition: expected a JSON object");
	if ((err = def_check_keys(doc, top_keys, "")) || (err = def_get_identity(doc, &name, uuid)) ||
	    (err = def_get_choice(FIELD("type"), "type", types, &type)) ||
	    (err = def_get_ifname(FIELD("bridge"), "bridge", &bridge)) ||
	    (err = def_get_string(FIELD("subnet"), "subnet", 31, &subnet)) ||
	    (err = def_get_bool(FIELD("dns"), "dns", &dns)) ||
	    (err = def_get_bool(FIELD("autostart"), "autostart", &autos)))
		return err;
	if (!type)
		return def_bad("type", "required: \"nat\", \"isolated\" or \"switch\"");
	if (!strcmp(type, "switch")) {
		if (bridge || subnet || FIELD("gateway") || FIELD("dhcp") || FIELD("dns"))
			return def_bad(bridge ? "bridge" : subnet ? "subnet" : FIELD("gateway") ?
				       "gateway" : FIELD("dhcp") ? "dhcp" : "dns",
				       "a switch has no bridge and hands out no addresses");
		o = json_pack("{s:s,s:s,s:s}", "name", name, "uuid", uuid, "type", type);
		goto done;
	}
	if (!subnet)
		return def_bad("subnet", "required: the network's addresses, such as \"10.77.0.0/24\"");
	if (net_subnet_parse(subnet, &sn))
		return def_bad("subnet", "'%.32s' is not an IPv4 subnet such as 10.77.0.0/24 (no "
			       "host bits set)", subnet);
	if (sn.prefix < NET_PREFIX_MIN || sn.prefix > NET_PREFIX_MAX)
		return def_bad("subnet", "a prefix from /%d to /%d", NET_PREFIX_MIN, NET_PREFIX_MAX);
	gateway = net_subnet_first(&sn);
	if ((err = get_inside(FIELD("gateway"), "gateway", &sn, &gateway, &given)) ||
	    (err = get_dhcp(FIELD("dhcp"), &sn, gateway, &start, &end)))
		return err;
	if (!bridge) {
		default_bridge(name, uuid, br, sizeof(br));
		bridge = br;
	}
	net_addr_format(sn.addr, a[0]);
	snprintf(a[0] + strlen(a[0]), sizeof(a[0]) - strlen(a[0]), "/%d", sn.prefix);
	net_addr_format(gateway, a[1]);
	net_addr_format(start, a[2]);
	net_addr_format(end, a[3]);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:b}", "name", name, "uuid", uuid,
		      "type", type, "bridge", bridge, "subnet", a[0], "gateway", a[1],
		      "dhcp", "start", a[2], "end", a[3], "dns", dns);
done:
#undef FIELD
	if (!o)
		return error_set(-ENOMEM, "out of memory");
	if (autostart)
		*autostart = autos;
	*out = o;
	return 0;
}
