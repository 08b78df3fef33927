/* config.json: linux, but for resources and seccomp (config-resources.c, config-seccomp.c). */
#include "ctr/config-parser.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "base/compiler.h"
#include "base/error.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int flag;
} ns_table[CTR_NS_COUNT] = {
	[CTR_NS_USER] = { "user", CLONE_NEWUSER },
	[CTR_NS_PID] = { "pid", CLONE_NEWPID },
	[CTR_NS_NET] = { "network", CLONE_NEWNET },
	[CTR_NS_IPC] = { "ipc", CLONE_NEWIPC },
	[CTR_NS_UTS] = { "uts", CLONE_NEWUTS },
	[CTR_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
	[CTR_NS_TIME] = { "time", CLONE_NEWTIME },
	[CTR_NS_MOUNT] = { "mount", CLONE_NEWNS },
};

const char *ctr_ns_name(enum ctr_ns ns)
{
	return ns < CTR_NS_COUNT ? ns_table[ns].name : "?";
}

int ctr_ns_clone_flag(enum ctr_ns ns)
{
	return ns < CTR_NS_COUNT ? ns_table[ns].flag : 0;
}

static int parse_namespaces(struct cfg_parser *p, json_t *lx)
{
	char w[CFG_WHERE];
	json_t *a, *e;
	size_t i;
	int ns, err = cfg_get_array(p, lx, "linux", "namespaces", false, &a);

	if (err || !a)
		return err;
	json_array_foreach(a, i, e) {
		const char *at = cfg_idx(w, sizeof(w), "linux.namespaces", i);
		const char *type = "", *path = NULL;

		if (!json_is_object(e))
			return cfg_bad(p, at, "expected an object");
		if ((err = cfg_get_str(p, e, at, "type", true, &type)) ||
		    (err = cfg_get_str(p, e, at, "path", false, &path)))
			return err;
		for (ns = 0; ns < CTR_NS_COUNT; ns++)
			if (!strcmp(type, ns_table[ns].name))
				break;
		if (ns == CTR_NS_COUNT)
			return cfg_bad(p, at, "unknown namespace type '%s'", type);
		if (p->c->lx.ns[ns].enabled)
			return cfg_bad(p, at, "namespace '%s' given twice", type);
		if (path && !*path)
			path = NULL;
		if (path && !cfg_is_abs(path))
			return cfg_bad(p, at, "path '%s' is not absolute", path);
		p->c->lx.ns[ns].enabled = true;
		p->c->lx.ns[ns].path = path;
	}
	return 0;
}

static int parse_idmaps(struct cfg_parser *p, json_t *lx, const char *key, struct ctr_idmap **out,
			size_t *n)
{
	char w[CFG_WHERE];
	json_t *a, *e;
	size_t i;
	int err = cfg_get_array(p, lx, "linux", key, false, &a);

	if (err || !a)
		return err;
	/* the kernel takes at most 340 lines */
	if (json_array_size(a) > 340)
		return cfg_bad(p, cfg_sub(w, sizeof(w), "linux", key), "more than 340 entries");
	*n = json_array_size(a);
	*out = cfg_alloc(p, *n, sizeof(**out));
	if (!*out)
		return cfg_nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_idmap *m = &(*out)[i];
		const char *at = cfg_sub_idx(w, sizeof(w), "linux", key, i);

		if (!json_is_object(e))
			return cfg_bad(p, at, "expected an object");
		if ((err = cfg_get_u32(p, e, at, "containerID", true, &m->container_id, NULL)) ||
		    (err = cfg_get_u32(p, e, at, "hostID", true, &m->host_id, NULL)) ||
		    (err = cfg_get_u32(p, e, at, "size", true, &m->size, NULL)))
			return err;
		if (!m->size)
			return cfg_bad(p, at, "size is 0");
		if ((uint64_t)m->container_id + m->size > UINT32_MAX ||
		    (uint64_t)m->host_id + m->size > UINT32_MAX)
			return cfg_bad(p, at, "range wraps past 4294967295");
	}
	return 0;
}

static int parse_devices(struct cfg_parser *p, json_t *lx)
{
	char w[CFG_WHERE];
	json_t *a, *e;
	size_t i;
	int err = cfg_get_array(p, lx, "linux", "devices", false, &a);

	if (err || !a)
		return err;
	p->c->lx.n_devices = json_array_size(a);
	p->c->lx.devices = cfg_alloc(p, p->c->lx.n_devices, sizeof(struct ctr_device));
	if (!p->c->lx.devices)
		return cfg_nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_device *d = &p->c->lx.devices[i];
		const char *type = "", *at = cfg_idx(w, sizeof(w), "linux.devices", i);
		bool has_maj, has_min;
		long long x = 0;

		if (!json_is_object(e))
			return cfg_bad(p, at, "expected an object");
		if ((err = cfg_get_str(p, e, at, "path", true, &d->path)) ||
		    (err = cfg_get_str(p, e, at, "type", true, &type)))
			return err;
		if (!cfg_is_abs(d->path) || !strcmp(d->path, "/"))
			return cfg_bad(p, at, "path '%s' is not an absolute file path", d->path);
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return cfg_bad(p, at, "type '%s' is not c, b, u or p", type);
		d->type = type[0];
		if ((err = cfg_get_int(p, e, at, "major", false, 0, 4095, &x, &has_maj)))
			return err;
		d->major = x;
		if ((err = cfg_get_int(p, e, at, "minor", false, 0, (1 << 20) - 1, &x, &has_min)))
			return err;
		d->minor = x;
		if (d->type != 'p' && (!has_maj || !has_min))
			return cfg_bad(p, at, "a %c device needs major and minor", d->type);
		if ((err = cfg_get_u32(p, e, at, "fileMode", false, &d->mode, &d->has_mode)) ||
		    (err = cfg_get_id(p, e, at, "uid", false, &d->uid, &d->has_uid)) ||
		    (err = cfg_get_id(p, e, at, "gid", false, &d->gid, &d->has_gid)))
			return err;
		if (d->has_mode && d->mode > 07777)
			return cfg_bad(p, at, "fileMode %o has more than permission bits", d->mode);
	}
	return 0;
}

static int parse_time_offsets(struct cfg_parser *p, json_t *lx)
{
	static const char *const clocks[] = { "monotonic", "boottime" };
	char w[CFG_WHERE];
	json_t *o, *c;
	size_t i;
	long long x;
	int err = cfg_get(p, lx, "linux", "timeOffsets", false, JSON_OBJECT, &o);

	if (err || !o)
		return err;
	p->c->lx.has_time_offsets = true;
	for (i = 0; i < 2; i++) {
		const char *at = cfg_sub(w, sizeof(w), "linux.timeOffsets", clocks[i]);

		if ((err = cfg_get(p, o, "linux.timeOffsets", clocks[i], false, JSON_OBJECT, &c)))
			return err;
		if (!c)
			continue;
		x = 0;
		if ((err = cfg_get_int(p, c, at, "secs", false, -(1ll << 40), 1ll << 40, &x, NULL)))
			return err;
		p->c->lx.time_offsets[i][0] = x;
		x = 0;
		if ((err = cfg_get_int(p, c, at, "nanosecs", false, 0, 999999999, &x, NULL)))
			return err;
		p->c->lx.time_offsets[i][1] = x;
	}
	return 0;
}

int cfg_parse_linux(struct cfg_parser *p, json_t *root)
{
	struct ctr_linux *l = &p->c->lx;
	const char *prop = NULL;
	json_t *lx, *res;
	size_t i;
	int err = cfg_get(p, root, "", "linux", false, JSON_OBJECT, &lx);

	if (err || !lx)
		return err;
	if ((err = parse_namespaces(p, lx)) ||
	    (err = parse_idmaps(p, lx, "uidMappings", &l->uid_maps, &l->n_uid_maps)) ||
	    (err = parse_idmaps(p, lx, "gidMappings", &l->gid_maps, &l->n_gid_maps)) ||
	    (err = parse_devices(p, lx)) ||
	    (err = cfg_get_str(p, lx, "linux", "cgroupsPath", false, &l->cgroups_path)) ||
	    (err = cfg_get(p, lx, "linux", "resources", false, JSON_OBJECT, &res)))
		return err;
	if (res) {
		l->has_resources = true;
		if ((err = cfg_parse_resources(p, res, &l->resources)))
			return err;
	}
	if ((err = cfg_get_str_map(p, lx, "linux", "sysctl", &l->sysctl_keys, &l->sysctl_values)) ||
	    (err = cfg_parse_seccomp(p, lx)) ||
	    (err = cfg_get_str(p, lx, "linux", "rootfsPropagation", false, &prop)) ||
	    (err = cfg_get_strv(p, lx, "linux", "maskedPaths", false, &l->masked_paths)) ||
	    (err = cfg_get_strv(p, lx, "linux", "readonlyPaths", false, &l->readonly_paths)) ||
	    (err = cfg_get_str(p, lx, "linux", "mountLabel", false, &l->mount_label)) ||
	    (err = parse_time_offsets(p, lx)))
		return err;
	if (prop && *prop && (err = cfg_parse_propagation(p, prop, &l->rootfs_propagation)))
		return err;
	for (i = 0; i < l->masked_paths.n; i++)
		if (!cfg_is_abs(l->masked_paths.v[i]))
			return cfg_bad(p, "linux.maskedPaths", "'%s' is not absolute",
				       l->masked_paths.v[i]);
	for (i = 0; i < l->readonly_paths.n; i++)
		if (!cfg_is_abs(l->readonly_paths.v[i]))
			return cfg_bad(p, "linux.readonlyPaths", "'%s' is not absolute",
				       l->readonly_paths.v[i]);
	if (l->cgroups_path && !*l->cgroups_path)
		l->cgroups_path = NULL;
	if (json_object_get(lx, "intelRdt"))
		return cfg_bad(p, "linux.intelRdt", "Intel RDT is not supported");
	return 0;
}

int ctr_sysctl_check(const struct ctr_config *c, const char *key)
{
	static const char *const ipc_keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	const struct ctr_namespace *ns = c->lx.ns;
	const char *s;
	size_t i;

	if (!*key || strlen(key) > 255 || key[0] == '.' || key[strlen(key) - 1] == '.' ||
	    strstr(key, "..") || strchr(key, '/'))
		return error_set(-EINVAL, "sysctl '%s': not a sysctl name", key);
	for (s = key; *s; s++)
		if (*s <= ' ' || *s == 0x7f)
			return error_set(-EINVAL, "sysctl '%s': not a sysctl name", key);
	for (i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		if (!strcmp(key, ipc_keys[i]))
			goto ipc;
	if (!strncmp(key, "fs.mqueue.", 10))
		goto ipc;
	if (!strncmp(key, "net.", 4)) {
		if (!ns[CTR_NS_NET].enabled)
			return error_set(-EINVAL, "sysctl '%s' needs a network namespace", key);
		return 0;
	}
	if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname")) {
		if (!ns[CTR_NS_UTS].enabled)
			return error_set(-EINVAL, "sysctl '%s' needs a uts namespace", key);
		return 0;
	}
	return error_set(-EINVAL, "sysctl '%s' is not in a namespace of the container", key);
ipc:
	if (!ns[CTR_NS_IPC].enabled)
		return error_set(-EINVAL, "sysctl '%s' needs an ipc namespace", key);
	return 0;
}
