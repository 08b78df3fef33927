/*
 * The managed networks' ops (docs/API.md, "Networks"): net-define,
 * net-undefine, net-start, net-stop, net-destroy, net-list, net-info,
 * net-autostart. What a definition may not take from the host (a bridge
 * name in use, a subnet that overlaps another network's or one of the
 * host's own) is refused here, at define, naming the field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "daemon/api-call.h"
#include "daemon/daemon.h"
#include "daemon/def-field.h"
#include "daemon/events.h"
#include "daemon/log.h"
#include "daemon/network.h"
#include "daemon/request.h"
#include "daemon/store.h"

#define KIND "network"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static struct network *net_of(struct obj_head *h)
{
	return (struct network *)h;
}

/* The network "name" names (not-found answered when there is none). */
static struct network *named(struct call *k)
{
	const char *name;
	struct obj_head *h;

	if (request_string(&k->rq, "name", true, &name, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return NULL;
	}
	h = obj_find(&k->d->nets, name);
	if (!h)
		reply_now_error(k, E_NOT_FOUND, "no network named '%.64s'", name);
	return h ? net_of(h) : NULL;
}

/* The domains that run with a NIC on n (names, comma separated, into buf); how many. */
static size_t guests_on(const struct daemon *d, const struct network *n, bool active_only,
			char *buf, size_t len)
{
	size_t i, k, count = 0;
	json_t *nic;

	buf[0] = '\0';
	for (i = 0; i < d->vms.n; i++) {
		const struct domain *dom = d->vms.doms[i];

		if (active_only && !dom_active(dom))
			continue;
		json_array_foreach(json_object_get(dom->def, "nics"), k, nic) {
			if (!str(nic, "network") || strcmp(str(nic, "network"), n->h.name))
				continue;
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", count ? ", " : "",
				 dom->name);
			count++;
			break;
		}
	}
	return count;
}

/* Does sn overlap a subnet of the host's own interfaces (what: which)? */
static bool host_overlap(const struct net_subnet *sn, char *what, size_t len)
{
	struct ifaddrs *ifs, *i;
	bool hit = false;

	if (getifaddrs(&ifs))
		return false;
	for (i = ifs; i && !hit; i = i->ifa_next) {
		struct net_subnet own;
		char a[INET_ADDRSTRLEN];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		own.addr = ntohl(((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		own.prefix = __builtin_popcount(((const struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		own.addr &= net_subnet_mask(&own);
		if (net_subnets_overlap(sn, &own)) {
			net_addr_format(own.addr, a);
			snprintf(what, len, "the host's %s (%s/%d)", i->ifa_name, a, own.prefix);
			hit = true;
		}
	}
	freeifaddrs(ifs);
	return hit;
}

/* What the new definition would take that is taken: -EINVAL naming the field. */
static int check_conflicts(struct daemon *d, const json_t *def)
{
	struct net_subnet sn, other;
	char what[160];
	size_t i;

	if (!net_def_bridged(def))
		return 0;
	net_subnet_parse(str(def, "subnet"), &sn);
	for (i = 0; i < d->nets.n; i++) {
		const struct network *n = net_of(d->nets.v[i]);

		if (!n->bridged)
			continue;
		if (!strcmp(n->bridge, str(def, "bridge")))
			return def_bad("bridge", "'%s' is network %s's", n->bridge, n->h.name);
		net_subnet_parse(str(n->def, "subnet"), &other);
		if (net_subnets_overlap(&sn, &other))
			return def_bad("subnet", "%s overlaps network %s's (%s)", str(def, "subnet"),
				       n->h.name, str(n->def, "subnet"));
	}
	if (if_nametoindex(str(def, "bridge")))
		return def_bad("bridge", "'%s' is taken: an interface of that name exists on the host",
			       str(def, "bridge"));
	if (host_overlap(&sn, what, sizeof(what)))
		return def_bad("subnet", "%s overlaps %s", str(def, "subnet"), what);
	return 0;
}

static void op_net_define(struct call *k)
{
	struct daemon *d = k->d;
	json_t *doc = json_object_get(k->rq.msg, "definition"), *norm;
	struct store_object so = { .kind = KIND };
	struct network *n;
	bool autostart = false;
	char *text;
	int err;

	if (!doc) {
		reply_now_error(k, E_BAD_REQUEST, "op 'net-define' needs \"definition\"");
		return;
	}
	if (net_def_normalize(doc, &norm, &autostart)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		return;
	}
	if (obj_find(&d->nets, str(norm, "name")) || obj_find_uuid(&d->nets, str(norm, "uuid"))) {
		reply_now_error(k, E_EXISTS, "a network named '%s' or with uuid %s is already defined",
				str(norm, "name"), str(norm, "uuid"));
		json_decref(norm);
		return;
	}
	if (check_conflicts(d, norm)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		json_decref(norm);
		return;
	}
	n = network_new(&d->net_env, norm, autostart);
	text = json_dumps(norm, JSON_COMPACT);
	if (!n || !text) {
		reply_now_error(k, E_FAILED, "out of memory or a name too long for the run directory");
		free(text);
		if (n)
			network_free(n);
		else
			json_decref(norm);
		return;
	}
	so.name = n->h.name;
	so.uuid = n->h.uuid;
	so.definition = text;
	so.autostart = autostart;
	err = api_object_define(d, &so, "inactive");
	free(text);
	if (!err)
		err = obj_add(&d->nets, &n->h);
	if (err) {
		reply_now_error(k, err == -EEXIST ? E_EXISTS : E_FAILED, "%s", error_msg());
		network_free(n);
		return;
	}
	reply_now_ok(k, json_pack("{s:s,s:s}", "name", n->h.name, "uuid", n->h.uuid));
}

static void op_net_undefine(struct call *k)
{
	struct daemon *d = k->d;
	struct network *n = named(k);
	char users[512];

	if (!n)
		return;
	if (n->active) {
		reply_now_error(k, E_WRONG_STATE, "network %s is active: stop it first", n->h.name);
		return;
	}
	if (guests_on(d, n, false, users, sizeof(users))) {
		reply_now_error(k, E_WRONG_STATE, "network %s is in the definitions of %s", n->h.name,
				users);
		return;
	}
	if (api_object_undefine(d, &(struct store_object){ .kind = KIND, .name = n->h.name,
							   .uuid = n->h.uuid }, "inactive")) {
		reply_now_error(k, E_FAILED, "%s", error_msg());
		return;
	}
	unlink(n->leases_path);
	unlink(n->log_path);
	obj_remove(&d->nets, &n->h);
	network_free(n);
	reply_now_ok(k, NULL);
}

static void op_net_start(struct call *k)
{
	struct network *n = named(k);

	if (!n)
		return;
	if (n->active) {
		reply_now_error(k, E_WRONG_STATE, "network %s is already active", n->h.name);
		return;
	}
	if (network_start(n)) {
		reply_now_error(k, E_FAILED, "%s", error_msg());
		return;
	}
	reply_now_ok(k, network_summary(n));
}

/* stop: not while guests use it; destroy: whatever uses it. */
static void stop(struct call *k, bool force)
{
	struct network *n = named(k);
	char users[512];

	if (!n)
		return;
	if (!n->active) {
		reply_now_error(k, E_WRONG_STATE, "network %s is not active", n->h.name);
		return;
	}
	if (!force && guests_on(k->d, n, true, users, sizeof(users))) {
		reply_now_error(k, E_WRONG_STATE, "network %s is in use by %s (stop them first, or "
				"destroy the network)", n->h.name, users);
		return;
	}
	network_stop(n, force ? "destroyed" : "stopped");
	reply_now_ok(k, network_summary(n));
}

static void op_net_stop(struct call *k)
{
	stop(k, false);
}

static void op_net_destroy(struct call *k)
{
	stop(k, true);
}

static void op_net_list(struct call *k)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < k->d->nets.n; i++)
		json_array_append_new(list, network_summary(net_of(k->d->nets.v[i])));
	reply_now_ok(k, json_pack("{s:o}", "networks", list));
}

static void op_net_info(struct call *k)
{
	struct network *n = named(k);
	char users[512];
	json_t *info;

	if (!n)
		return;
	info = network_info(n);
	if (!info) {
		reply_now_error(k, E_FAILED, "out of memory");
		return;
	}
	guests_on(k->d, n, true, users, sizeof(users));
	json_object_set_new(info, "guests", json_string(users));
	reply_now_ok(k, info);
}

static void op_net_autostart(struct call *k)
{
	struct network *n = named(k);
	bool on = false;

	if (!n)
		return;
	if (!json_object_get(k->rq.msg, "enabled") ||
	    request_bool(&k->rq, "enabled", &on, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "op 'net-autostart' needs \"enabled\": true or false");
		return;
	}
	if (store_object_set_autostart(k->d->store, KIND, n->h.name, on)) {
		reply_now_error(k, E_FAILED, "%s", error_msg());
		return;
	}
	n->autostart = on;
	reply_now_ok(k, json_pack("{s:b}", "autostart", on));
}

static const char *const name_only[] = { "name", NULL };

const struct api_op api_net_ops[] = {
	{ "net-define", 0, (const char *const[]){ "definition", NULL }, op_net_define },
	{ "net-undefine", 0, name_only, op_net_undefine },
	{ "net-start", 0, name_only, op_net_start },
	{ "net-stop", 0, name_only, op_net_stop },
	{ "net-destroy", 0, name_only, op_net_destroy },
	{ "net-list", OP_READONLY, (const char *const[]){ NULL }, op_net_list },
	{ "net-info", OP_READONLY, name_only, op_net_info },
	{ "net-autostart", 0, (const char *const[]){ "name", "enabled", NULL }, op_net_autostart },
	{ NULL, 0, NULL, NULL },
};
