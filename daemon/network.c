#include "daemon/network.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/netlink.h"
#include "daemon/definition.h"
#include "daemon/events.h"
#include "daemon/log.h"
#include "daemon/net-dnsmasq.h"
#include "daemon/store.h"
#include "vm/control.h"

#define KIND		"network"
#define RESTART_FIRST_MS 1000	/* doubled at each restart */
#define IP_FORWARD	"/proc/sys/net/ipv4/ip_forward"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- objects ---- */

static int paths(struct network *n)
{
	const struct network_env *e = n->env;
	const char *name = n->h.name;

	if (snprintf(n->leases_path, sizeof(n->leases_path), "%s/%s.leases", e->state_dir, name) >=
		    (int)sizeof(n->leases_path) ||
	    snprintf(n->log_path, sizeof(n->log_path), "%s/%s.log", e->state_dir, name) >=
		    (int)sizeof(n->log_path) ||
	    snprintf(n->hosts_path, sizeof(n->hosts_path), "%s/%s.hosts", e->run_dir, name) >=
		    (int)sizeof(n->hosts_path) ||
	    snprintf(n->status_path, sizeof(n->status_path), "%s/%s.status", e->run_dir, name) >=
		    (int)sizeof(n->status_path) ||
	    snprintf(n->sock_path, sizeof(n->sock_path), "%s/%s.sock", e->run_dir, name) >=
		    (int)sizeof(n->sock_path))
		return error_set(-ENAMETOOLONG, "network %s: the run directory is too long for its "
				 "socket", name);
	return 0;
}

struct network *network_new(const struct network_env *env, json_t *def, bool autostart)
{
	struct network *n = calloc(1, sizeof(*n));
	uint32_t start;

	if (!n)
		return NULL;
	n->env = env;
	n->def = def;
	n->autostart = autostart;
	n->pidfd = -1;
	n->pidfd_w.fd = -1;
	snprintf(n->h.name, sizeof(n->h.name), "%s", str(def, "name"));
	snprintf(n->h.uuid, sizeof(n->h.uuid), "%s", str(def, "uuid"));
	n->bridged = net_def_bridged(def);
	n->nat = !strcmp(str(def, "type"), "nat");
	nft_table_name(n->h.uuid, n->table);
	n->statics = json_object();
	if (n->bridged) {
		snprintf(n->bridge, sizeof(n->bridge), "%s", str(def, "bridge"));
		/* normalized: these parse */
		net_subnet_parse(str(def, "subnet"), &n->subnet);
		net_addr_parse(str(def, "gateway"), &n->gateway);
		net_addr_parse(str(json_object_get(def, "dhcp"), "start"), &start);
		net_addr_parse(str(json_object_get(def, "dhcp"), "end"), &n->dhcp_end);
	}
	if (!n->statics || paths(n)) {
		json_decref(n->statics);
		free(n);
		return NULL;
	}
	return n;
}

static struct sup_proc proc_of(const json_t *a)
{
	return (struct sup_proc){ (pid_t)json_integer_value(json_array_get(a, 0)),
				  (unsigned long long)json_integer_value(json_array_get(a, 1)) };
}

struct network *network_load(const struct network_env *env, const struct store_object *o)
{
	json_t *def = json_loads(o->definition, 0, NULL), *norm = NULL;
	json_t *rt = o->runtime ? json_loads(o->runtime, 0, NULL) : NULL;
	struct network *n = NULL;
	bool autostart;

	if (!def || net_def_normalize(def, &norm, &autostart)) {
		log_err("network %s: its stored definition is not valid any more: %s", o->name,
			def ? error_msg() : "not JSON");
		goto out;
	}
	n = network_new(env, norm, o->autostart);
	if (!n) {
		json_decref(norm);
		goto out;
	}
	if (json_is_object(rt)) {
		n->active = json_is_true(json_object_get(rt, "active"));
		if (json_is_object(json_object_get(rt, "statics")))
			json_object_update(n->statics, json_object_get(rt, "statics"));
		if (str(rt, "boot_id") && !strcmp(str(rt, "boot_id"), env->boot_id)) {
			n->shim = proc_of(json_object_get(rt, "shim"));
			n->proc = proc_of(json_object_get(rt, "proc"));
		} else if (n->active) {
			/* the host restarted since: nothing of it is there, those pids mean nothing */
			n->active = false;
			json_object_clear(n->statics);
			log_info("network %s: down since the host restarted", n->h.name);
		}
	}
out:
	json_decref(def);
	json_decref(rt);
	return n;
}

static void unwatch(struct network *n)
{
	if (n->pidfd < 0)
		return;
	loop_unwatch(n->env->loop, &n->pidfd_w);
	close(n->pidfd);
	n->pidfd = -1;
}

void network_release(struct network *n)
{
	unwatch(n);
	loop_timer_stop(n->env->loop, &n->restart_timer);
}

void network_free(struct network *n)
{
	if (!n)
		return;
	network_release(n);
	json_decref(n->def);
	json_decref(n->statics);
	free(n);
}

static json_t *proc_json(const struct sup_proc *p)
{
	return json_pack("[I,I]", (json_int_t)p->pid, (json_int_t)p->start);
}

void network_record(struct network *n, const char *event, const char *reason)
{
	const struct network_env *env = n->env;
	struct event_vm about = { .name = n->h.name, .uuid = n->h.uuid,
				  .state = n->active ? "active" : "inactive",
				  .reason = reason ? reason : "", .kind = KIND };
	json_t *rt = json_pack("{s:b,s:s,s:o,s:o,s:O}", "active", n->active, "boot_id",
			       env->boot_id, "shim", proc_json(&n->shim), "proc",
			       proc_json(&n->proc), "statics", n->statics);
	char *text = rt ? json_dumps(rt, JSON_COMPACT) : NULL, *line = NULL;
	int err = text ? store_begin(env->store) : -ENOMEM;

	if (!err) {
		err = store_object_set_runtime(env->store, KIND, n->h.name, text);
		if (!err && event)
			line = events_log(env->events, &about, event, NULL);
		if (err)
			store_rollback(env->store);
		else
			err = store_commit(env->store);
	}
	if (err)
		log_err("network %s: cannot record its state: %s", n->h.name, error_msg());
	events_send(env->events, n->h.name, line);
	if (event)
		log_info("network %s: %s", n->h.name, event);
	json_decref(rt);
	free(text);
}

/* ---- the bridge ---- */

static int bridge_up(struct network *n)
{
	struct rtnl nl;
	struct in_addr gw = { htonl(n->gateway) };
	int err, index;

	if ((err = rtnl_open(&nl)))
		return error_errno(err, "netlink");
	err = if_nametoindex(n->bridge) ? 0 : rtnl_bridge_add(&nl, n->bridge);
	index = (int)if_nametoindex(n->bridge);
	if (!err && !index)
		err = -ENODEV;
	if (!err) {
		err = rtnl_addr_add(&nl, index, gw, n->subnet.prefix);
		if (err == -EEXIST)	/* there from before: adopted */
			err = 0;
	}
	if (!err)
		err = rtnl_link_set(&nl, index, 1, -1);
	rtnl_close(&nl);
	if (err)
		return error_errno(err, "cannot set up bridge %s", n->bridge);
	return 0;
}

static int forwarding_on(void)
{
	int fd = open(IP_FORWARD, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || write(fd, "1", 1) != 1)
		err = error_errno(-errno, "cannot turn IPv4 forwarding on");
	if (fd >= 0)
		close(fd);
	return err;
}

static int filter_up(struct network *n)
{
	char *script = nft_network_script(n->table, n->nat, n->bridge, str(n->def, "subnet"));
	int err;

	if (!script)
		return error_set(-ENOMEM, "out of memory");
	err = nft_apply(script);
	free(script);
	if (!err && n->nat)
		err = forwarding_on();
	return err;
}

/* ---- its process ---- */

static void on_exit_(void *opaque, uint32_t events);
static int spawn(struct network *n);

static void restart(void *opaque)
{
	struct network *n = opaque;

	if (!n->active || n->pidfd >= 0)
		return;
	if (spawn(n)) {
		log_err("network %s: cannot restart its process: %s", n->h.name, error_msg());
		return;
	}
	log_info("network %s: its process restarted (pid %d)", n->h.name, (int)n->proc.pid);
	network_record(n, NULL, NULL);
}

/* The last line its log has (why it ended). */
static void last_line(struct network *n)
{
	char buf[1024], *end, *start;
	int fd = open(n->log_path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t r;

	n->detail[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	r = pread(fd, buf, sizeof(buf) - 1, size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (r <= 0)
		return;
	buf[r] = '\0';
	end = buf + r;
	while (end > buf && end[-1] == '\n')
		*--end = '\0';
	start = strrchr(buf, '\n');
	snprintf(n->detail, sizeof(n->detail), "%.255s", start ? start + 1 : buf);
}

static void on_exit_(void *opaque, uint32_t events)
{
	struct network *n = opaque;
	unsigned delay;

	(void)events;
	unwatch(n);
	if (n->shim_child)
		waitpid(n->shim.pid, NULL, 0);
	n->shim_child = false;
	if (sup_alive(&n->proc)) {
		/* the shim went first: watch the process itself */
		n->pidfd = sup_pidfd(&n->proc);
		if (n->pidfd >= 0 && !loop_watch(n->env->loop, &n->pidfd_w, n->pidfd, EPOLLIN,
						 on_exit_, n))
			return;
	}
	memset(&n->shim, 0, sizeof(n->shim));
	memset(&n->proc, 0, sizeof(n->proc));
	unlink(n->status_path);
	last_line(n);
	if (!n->active)
		return;
	if (n->restarts >= NETWORK_RESTART_MAX) {
		log_err("network %s: its process ended again (%s); not restarted after %u tries: "
			"stop and start the network", n->h.name, n->detail, n->restarts);
		network_record(n, NULL, NULL);
		return;
	}
	delay = RESTART_FIRST_MS << n->restarts++;
	log_warn("network %s: its process ended (%s); restarting it in %u ms", n->h.name,
		 n->detail, delay);
	loop_timer_start(n->env->loop, &n->restart_timer, delay, restart, n);
}

static int watch(struct network *n, const struct sup_proc *p)
{
	int err;

	n->pidfd = sup_pidfd(p);
	if (n->pidfd < 0)
		return error_errno(n->pidfd, "cannot watch network %s's process", n->h.name);
	err = loop_watch(n->env->loop, &n->pidfd_w, n->pidfd, EPOLLIN, on_exit_, n);
	if (err) {
		close(n->pidfd);
		n->pidfd = -1;
	}
	return err;
}

static int process_argv(struct network *n, char ***argv)
{
	char mask[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	struct net_subnet s = n->subnet;
	struct dnsmasq_conf c = {
		.program = n->env->dnsmasq, .name = n->h.name, .bridge = n->bridge,
		.gateway = gw, .netmask = mask, .router = n->nat,
		.dhcp_start = str(json_object_get(n->def, "dhcp"), "start"),
		.dhcp_end = str(json_object_get(n->def, "dhcp"), "end"),
		.dns = json_is_true(json_object_get(n->def, "dns")),
		.leases_path = n->leases_path, .hosts_path = n->hosts_path,
	};
	struct def_args a = { 0 };

	if (n->bridged) {
		if (!n->env->dnsmasq[0])
			return error_set(-ENOENT, "dnsmasq is not installed (Debian package "
					 "dnsmasq-base): a %s network needs it", str(n->def, "type"));
		net_addr_format(net_subnet_mask(&s), mask);
		net_addr_format(n->gateway, gw);
		return dnsmasq_argv(&c, argv);
	}
	def_args_add(&a, n->env->gasang);
	def_args_add(&a, "switch");
	def_args_addf(&a, "--name=%s", n->h.name);
	def_args_addf(&a, "--listen-fd=%d", SUP_CONTROL_FD);
	if (a.oom) {
		def_argv_free(a.v);
		return error_set(-ENOMEM, "out of memory");
	}
	*argv = a.v;
	return 0;
}

static int spawn(struct network *n)
{
	struct sup_spawn sp = { .control_fd = -1, .log_path = n->log_path,
				.status_path = n->status_path };
	int err;

	if (n->bridged && (err = dnsmasq_hosts_write(n->hosts_path, n->statics)))
		return err;
	if ((err = process_argv(n, &sp.argv)))
		return err;
	if (!n->bridged) {
		/* made here and handed over, as a VM's control socket: it stays while the switch runs */
		sp.control_fd = control_listen(n->sock_path);
		if (sp.control_fd < 0) {
			def_argv_free(sp.argv);
			return error_errno(sp.control_fd, "cannot make the switch's socket %s",
					   n->sock_path);
		}
	}
	err = sup_spawn(&sp, &n->shim, &n->proc);
	def_argv_free(sp.argv);
	if (sp.control_fd >= 0)
		close(sp.control_fd);
	if (err)
		return err;
	n->shim_child = true;
	err = watch(n, &n->shim);
	if (err) {
		sup_signal(&n->proc, SIGKILL);
		waitpid(n->shim.pid, NULL, 0);
		memset(&n->shim, 0, sizeof(n->shim));
		memset(&n->proc, 0, sizeof(n->proc));
	}
	return err;
}

/* SIGTERM, a short wait, SIGKILL: its process is gone when this returns. */
static void process_stop(struct network *n)
{
	struct pollfd p;
	int fd, shim_fd;

	loop_timer_stop(n->env->loop, &n->restart_timer);
	unwatch(n);
	shim_fd = sup_pidfd(&n->shim);
	fd = sup_pidfd(&n->proc);
	if (fd >= 0) {
		sup_signal(&n->proc, SIGTERM);
		p = (struct pollfd){ fd, POLLIN, 0 };
		if (poll(&p, 1, NETWORK_STOP_WAIT_MS) <= 0)
			sup_signal(&n->proc, SIGKILL);
		p.revents = 0;
		poll(&p, 1, NETWORK_STOP_WAIT_MS);
		close(fd);
	}
	if (shim_fd >= 0) {
		/* it writes the status file last: gone, it leaves none behind */
		p = (struct pollfd){ shim_fd, POLLIN, 0 };
		poll(&p, 1, NETWORK_STOP_WAIT_MS);
		close(shim_fd);
	}
	if (n->shim_child)
		waitpid(n->shim.pid, NULL, 0);
	n->shim_child = false;
	memset(&n->shim, 0, sizeof(n->shim));
	memset(&n->proc, 0, sizeof(n->proc));
	unlink(n->status_path);
}

/* ---- start, stop, adopt ---- */

static void undo(struct network *n)
{
	process_stop(n);
	if (n->bridged) {
		if (nft_table_delete(n->table))
			log_warn("network %s: %s", n->h.name, error_msg());
		rtnl_link_del_name(n->bridge);
		unlink(n->hosts_path);
	} else {
		unlink(n->sock_path);
	}
}

int network_start(struct network *n)
{
	int err;

	if (n->bridged && if_nametoindex(n->bridge))
		return error_set(-EEXIST, "network %s: bridge %s exists on the host already (not "
				 "made by this network)", n->h.name, n->bridge);
	n->restarts = 0;
	if (n->bridged && ((err = bridge_up(n)) || (err = filter_up(n))))
		goto fail;
	if ((err = spawn(n)))
		goto fail;
	n->active = true;
	network_record(n, "started", "started");
	return 0;
fail:
	/* one message: the first failure's */
	{
		char why[512];

		snprintf(why, sizeof(why), "%s", error_msg());
		undo(n);
		return error_set(err, "%s", why);
	}
}

int network_stop(struct network *n, const char *reason)
{
	undo(n);
	n->active = false;
	json_object_clear(n->statics);
	network_record(n, "stopped", reason);
	return 0;
}

void network_adopt(struct network *n)
{
	bool alive;

	if (!n->active)
		return;
	if (n->bridged && (bridge_up(n) || filter_up(n))) {
		log_err("network %s: %s", n->h.name, error_msg());
		return;
	}
	alive = sup_alive(&n->proc);
	if (alive && !watch(n, sup_alive(&n->shim) ? &n->shim : &n->proc)) {
		log_info("network %s: re-adopted (process %d)", n->h.name, (int)n->proc.pid);
		return;
	}
	/* it ended while no daemon watched */
	memset(&n->shim, 0, sizeof(n->shim));
	memset(&n->proc, 0, sizeof(n->proc));
	if (spawn(n))
		log_err("network %s: cannot start its process: %s", n->h.name, error_msg());
	else
		log_info("network %s: its process was gone; started it again", n->h.name);
	network_record(n, NULL, NULL);
}

/* ---- what it says of itself ---- */

json_t *network_summary(const struct network *n)
{
	json_t *s = json_pack("{s:s,s:s,s:s,s:s,s:b}", "name", n->h.name, "uuid", n->h.uuid,
			      "type", str(n->def, "type"), "state", n->active ? "active" : "inactive",
			      "autostart", n->autostart);

	if (s && n->bridged) {
		json_object_set(s, "bridge", json_object_get(n->def, "bridge"));
		json_object_set(s, "subnet", json_object_get(n->def, "subnet"));
	} else if (s) {
		json_object_set_new(s, "socket", json_string(n->sock_path));
	}
	return s;
}

json_t *network_definition(const struct network *n)
{
	json_t *d = json_deep_copy(n->def);

	if (d)
		json_object_set_new(d, "autostart", json_boolean(n->autostart));
	return d;
}

json_t *network_info(const struct network *n)
{
	json_t *o = network_summary(n), *statics = json_array(), *h;
	const char *mac;

	if (!o)
		return NULL;
	json_object_set_new(o, "definition", network_definition(n));
	json_object_set_new(o, "pid", n->proc.pid ? json_integer(n->proc.pid) : json_null());
	json_object_set_new(o, "restarts", json_integer(n->restarts));
	if (n->detail[0])
		json_object_set_new(o, "detail", json_string(n->detail));
	json_object_foreach(n->statics, mac, h)
		json_array_append_new(statics, json_pack("{s:s,s:O,s:O,s:O}", "mac", mac, "address",
							 json_object_get(h, "address"), "name",
							 json_object_get(h, "name"), "owner",
							 json_object_get(h, "owner")));
	json_object_set_new(o, "addresses", statics);
	json_object_set_new(o, "leases", n->bridged ? dnsmasq_leases(n->leases_path, NULL)
						    : json_array());
	return o;
}

/* ---- guests ---- */

static int refuse_down(const struct network *n)
{
	if (n->active)
		return 0;
	return error_set(-ENETDOWN, "network %s is not active (gasang net start %s)", n->h.name,
			 n->h.name);
}

int network_vm_nic(struct network *n, const char *mac, json_t **nic)
{
	int err = refuse_down(n);

	if (err)
		return err;
	*nic = n->bridged ? json_pack("{s:s,s:s,s:s}", "type", "tap", "bridge", n->bridge, "mac", mac)
			  : json_pack("{s:s,s:s,s:s}", "type", "stream", "path", n->sock_path,
				      "mac", mac);
	return *nic ? 0 : error_set(-ENOMEM, "out of memory");
}

static bool address_taken(const struct network *n, const char *addr)
{
	const char *mac;
	json_t *h;

	json_object_foreach(n->statics, mac, h)
		if (!strcmp(str(h, "address"), addr))
			return true;
	return false;
}

/* The statics changed: dnsmasq names them, the store keeps them. */
static void statics_changed(struct network *n)
{
	if (dnsmasq_hosts_write(n->hosts_path, n->statics))
		log_warn("network %s: %s", n->h.name, error_msg());
	else if (n->proc.pid)
		sup_signal(&n->proc, SIGHUP);
	network_record(n, NULL, NULL);
}

int network_ctr_nic(struct network *n, const char *owner_uuid, const char *owner_name,
		    const char *mac, json_t **nic)
{
	char addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	json_t *h;
	uint32_t a;
	int err = refuse_down(n);

	if (err)
		return err;
	if (!n->bridged)
		return error_set(-ENOTSUP, "network %s is a switch: containers join nat and isolated "
				 "networks", n->h.name);
	h = json_object_get(n->statics, mac);
	if (h) {
		snprintf(addr, sizeof(addr), "%s", str(h, "address"));
	} else {
		for (a = n->dhcp_end + 1; a <= net_subnet_last(&n->subnet); a++) {
			net_addr_format(a, addr);
			if (a != n->gateway && !address_taken(n, addr))
				break;
		}
		if (a > net_subnet_last(&n->subnet))
			return error_set(-EADDRNOTAVAIL, "network %s has no address left for "
					 "containers (above its DHCP range)", n->h.name);
		json_object_set_new(n->statics, mac, json_pack("{s:s,s:s,s:s}", "address", addr,
							       "owner", owner_uuid, "name", owner_name));
		statics_changed(n);
	}
	net_addr_format(n->gateway, gw);
	*nic = json_pack("{s:s,s:s,s:s,s:i,s:s?,s:s?,s:s}", "type", "veth", "bridge", n->bridge,
			 "address", addr, "prefix", n->subnet.prefix, "gateway", n->nat ? gw : NULL,
			 "nameserver", json_is_true(json_object_get(n->def, "dns")) ? gw : NULL,
			 "mac", mac);
	return *nic ? 0 : error_set(-ENOMEM, "out of memory");
}

void network_release_owner(struct network *n, const char *owner_uuid)
{
	bool changed = false;
	const char *mac;
	json_t *h;
	void *tmp;

	json_object_foreach_safe(n->statics, tmp, mac, h) {
		if (str(h, "owner") && !strcmp(str(h, "owner"), owner_uuid)) {
			json_object_del(n->statics, mac);
			changed = true;
		}
	}
	if (changed && n->active)
		statics_changed(n);
}

json_t *network_addresses(const struct network *n, const char *mac)
{
	json_t *out = n->bridged ? dnsmasq_leases(n->leases_path, mac) : json_array();
	json_t *h = json_object_get(n->statics, mac);

	if (out && h)
		json_array_insert_new(out, 0, json_pack("{s:O,s:s,s:s}", "address",
							json_object_get(h, "address"), "mac", mac,
							"source", "static"));
	return out;
}
