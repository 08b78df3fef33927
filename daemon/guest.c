#include "daemon/guest.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/netlink.h"
#include "ctr/container.h"
#include "daemon/container-def.h"
#include "daemon/daemon.h"
#include "daemon/definition.h"
#include "daemon/def-field.h"
#include "daemon/log.h"
#include "daemon/network.h"
#include "daemon/pool.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* STATE/containers/UUID: the container's bundle (its config.json, an unpacked image). */
static int bundle_dir(const struct daemon *d, const struct domain *dom, char *buf, size_t n)
{
	if (snprintf(buf, n, "%s/%s", d->ctr_dir, dom->uuid) >= (int)n)
		return error_set(-ENAMETOOLONG, "state directory too long");
	return 0;
}

static struct network *network_named(struct daemon *d, const char *name)
{
	return (struct network *)obj_find(&d->nets, name);
}

/* The host's end of a container's index-th veth: "gc", 8 digits of its uuid, the index. */
static void veth_name(const struct domain *dom, size_t index, char buf[IF_NAMESIZE])
{
	snprintf(buf, IF_NAMESIZE, "gc%.8s%u", dom->uuid, (unsigned)(index % 10));
}

/* A NIC on a network, as the guest's process takes it (into *out). */
static int resolve_nic(struct daemon *d, struct domain *dom, size_t i, const json_t *nic,
		       json_t **out)
{
	struct network *n = network_named(d, str(nic, "network"));
	char ifname[IF_NAMESIZE];
	int err;

	if (!n)
		return error_set(-ENOENT, "nics[%zu]: no network named '%s'", i, str(nic, "network"));
	if (!dom->container)
		return network_vm_nic(n, str(nic, "mac"), out);
	err = network_ctr_nic(n, dom->uuid, dom->name, str(nic, "mac"), out);
	if (err)
		return err;
	veth_name(dom, i, ifname);
	json_object_set_new(*out, "ifname", json_string(ifname));
	json_object_set_new(*out, "network", json_string(n->h.name));
	return 0;
}

/* The file of a disk's volume, "POOL/NAME" (checked at define, and again now). */
static int volume_file(struct daemon *d, const char *ref, char *buf, size_t n)
{
	char pool[DEF_NAME_MAX + 1];
	const char *slash = strchr(ref, '/');
	struct pool *p;

	if (!slash || slash - ref > DEF_NAME_MAX)
		return error_set(-EINVAL, "'%s' is not POOL/VOLUME", ref);
	snprintf(pool, sizeof(pool), "%.*s", (int)(slash - ref), ref);
	p = (struct pool *)obj_find(&d->pools, pool);
	if (!p)
		return error_set(-ENOENT, "no pool named '%s'", pool);
	return pool_volume_path(p, slash + 1, buf, n);
}

/* Each volume disk's "path": its file now. */
static int resolve_volumes(struct daemon *d, json_t *def)
{
	char path[PATH_MAX], field[48];
	size_t i;
	json_t *disk;
	int err;

	json_array_foreach(json_object_get(def, "disks"), i, disk) {
		if (!str(disk, "volume"))
			continue;
		if ((err = volume_file(d, str(disk, "volume"), path, sizeof(path)))) {
			snprintf(field, sizeof(field), "disks[%zu].volume", i);
			def_bad(field, "%s", error_msg());
			return err;
		}
		json_object_set_new(disk, "path", json_string(path));
	}
	return 0;
}

/*
 * The definition with what it names resolved, for one start: a copy (the
 * stored definition keeps the names).
 */
static int resolve(struct daemon *d, struct domain *dom, json_t **out)
{
	json_t *def = json_deep_copy(dom->def), *nics, *nic, *r;
	size_t i;
	int err;

	if (!def)
		return error_set(-ENOMEM, "out of memory");
	if ((err = resolve_volumes(d, def))) {
		json_decref(def);
		return err;
	}
	nics = json_object_get(def, "nics");
	json_array_foreach(nics, i, nic) {
		if (!str(nic, "network"))
			continue;
		if ((err = resolve_nic(d, dom, i, nic, &r))) {
			json_decref(def);
			return err;
		}
		json_array_set_new(nics, i, r);
	}
	*out = def;
	return 0;
}

/* What a start resolved and its end gives back: a container's addresses. */
static void release_networks(struct daemon *d, struct domain *dom)
{
	size_t i;

	for (i = 0; i < d->nets.n; i++)
		network_release_owner((struct network *)d->nets.v[i], dom->uuid);
}

/*
 * The first network's DNS as the container's /etc/resolv.conf: a file in its
 * bundle, bound read-only over it (the runtime makes the target if missing).
 */
static int resolv_conf(const char *dir, json_t *def)
{
	char path[PATH_MAX + 16];
	size_t i;
	json_t *nic;
	FILE *f;

	json_array_foreach(json_object_get(def, "nics"), i, nic) {
		if (!str(nic, "nameserver"))
			continue;
		snprintf(path, sizeof(path), "%s/resolv.conf", dir);
		f = fopen(path, "we");
		if (!f)
			return error_errno(-errno, "cannot write %s", path);
		fprintf(f, "nameserver %s\nsearch %s\n", str(nic, "nameserver"), str(nic, "network"));
		fclose(f);
		return json_array_append_new(json_object_get(def, "mounts"),
					     json_pack("{s:s,s:s,s:b}", "source", path, "target",
						       "/etc/resolv.conf", "readonly", true));
	}
	return 0;
}

static int container_argv(struct daemon *d, struct domain *dom, json_t *def,
			  int control_fd, char ***argv)
{
	char dir[PATH_MAX], rootfs[PATH_MAX + 8], cgroup[64];
	int err;

	if ((err = bundle_dir(d, dom, dir, sizeof(dir))))
		return err;
	if ((mkdir(d->ctr_dir, 0700) && errno != EEXIST) || (mkdir(dir, 0700) && errno != EEXIST))
		return error_errno(-errno, "cannot create %s", dir);
	if ((err = resolv_conf(dir, def)))
		return err;
	snprintf(cgroup, sizeof(cgroup), GUEST_CTR_CGROUP_FMT, dom->uuid);
	/* an image's root is unpacked by the monitor, in the bundle */
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return error_set(-ENAMETOOLONG, "state directory too long");
	if ((err = ctr_def_write_config(def, dir, cgroup, str(def, "image") ? rootfs : NULL)))
		return err;
	return ctr_def_argv(def, d->cfg.gasang, d->oci_root, dir, control_fd, argv);
}

static int guest_argv(void *opaque, struct domain *dom, int control_fd,
		      const struct def_jail *jail, char ***argv)
{
	struct daemon *d = opaque;
	json_t *def;
	int err = resolve(d, dom, &def);

	if (err) {
		release_networks(d, dom);	/* what the NICs before the one that failed took */
		return err;
	}
	if (dom->container)
		err = container_argv(d, dom, def, control_fd, argv);
	else
		err = def_argv(def, d->cfg.gasang, control_fd, jail, argv);
	json_decref(def);
	if (err && dom->container)
		release_networks(d, dom);
	return err;
}

/*
 * A container whose monitor did not clean up after it (killed itself, or
 * gone while no daemon watched): the runtime removes what is left, its
 * processes and cgroup included.
 */
static void container_leftovers(struct daemon *d, struct domain *dom)
{
	struct ctr_runtime rt = { .root = d->oci_root };
	char state[PATH_MAX];
	struct stat st;

	if (snprintf(state, sizeof(state), "%s/%s", d->oci_root, dom->uuid) >= (int)sizeof(state) ||
	    stat(state, &st))
		return;
	log_warn("%s: its container was left behind by its monitor: removing it", dom->name);
	if (ctr_delete(&rt, dom->uuid, true))
		log_err("%s: %s", dom->name, error_msg());
}

static void guest_ended(void *opaque, struct domain *dom)
{
	struct daemon *d = opaque;
	char ifname[IF_NAMESIZE];
	size_t i;

	if (!dom->container)
		return;	/* a VM's taps went with its process */
	container_leftovers(d, dom);
	for (i = 0; i < json_array_size(json_object_get(dom->def, "nics")); i++) {
		veth_name(dom, i, ifname);
		rtnl_link_del_name(ifname);
	}
	release_networks(d, dom);
}

/* Each NIC's addresses on its network: "addresses" in info. */
static void guest_info(void *opaque, const struct domain *dom, json_t *info)
{
	struct daemon *d = opaque;
	json_t *all = json_array(), *nic, *a, *e;
	size_t i, k;

	json_array_foreach(json_object_get(dom->def, "nics"), i, nic) {
		struct network *n = str(nic, "network") ? network_named(d, str(nic, "network")) : NULL;

		if (!n || !str(nic, "mac"))
			continue;
		a = network_addresses(n, str(nic, "mac"));
		json_array_foreach(a, k, e) {
			json_object_set_new(e, "nic", json_integer((json_int_t)i));
			json_object_set_new(e, "network", json_string(n->h.name));
			json_array_append(all, e);
		}
		json_decref(a);
	}
	json_object_set_new(info, "addresses", all);
}

void guest_ops_init(struct dom_guest_ops *ops, struct daemon *d)
{
	*ops = (struct dom_guest_ops){
		.argv = guest_argv,
		.ended = guest_ended,
		.info = guest_info,
		.opaque = d,
	};
}

/* The networks its NICs join are defined (and take its kind). */
static int check_networks(struct daemon *d, const json_t *def, bool container)
{
	char field[48];
	size_t i;
	json_t *nic;

	json_array_foreach(json_object_get(def, "nics"), i, nic) {
		struct network *n;

		if (!str(nic, "network"))
			continue;
		snprintf(field, sizeof(field), "nics[%zu].network", i);
		n = network_named(d, str(nic, "network"));
		if (!n)
			return def_bad(field, "no network named '%s'", str(nic, "network"));
		if (container && !n->bridged)
			return def_bad(field, "'%s' is a switch: containers join nat and isolated "
				       "networks", n->h.name);
	}
	return 0;
}

int guest_check(struct daemon *d, json_t *def)
{
	bool container = !strcmp(str(def, "type"), "container");
	int err = check_networks(d, def, container);
	json_t *disk;
	size_t i;

	if (err)
		return err;
	if (container)
		return ctr_def_check_host(def);
	/* volumes: there now, their files for the probe, the names kept in what is stored */
	err = resolve_volumes(d, def);
	/* each disk's format: probed now, once, on the host's side; never at start */
	if (!err)
		err = def_record_formats(def, NULL, NULL);
	json_array_foreach(json_object_get(def, "disks"), i, disk)
		if (str(disk, "volume"))
			json_object_del(disk, "path");
	return err;
}
