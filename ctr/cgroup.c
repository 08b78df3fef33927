/*
 * A container's cgroup: where it goes (runc's rules), what the state file
 * says it was, which hierarchy serves each resource, and its stats.
 */
#include "ctr/cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cgroup-file.h"
#include "base/compiler.h"
#include "base/error.h"
#include "ctr/cgroup-v1.h"
#include "ctr/cgroup-v2.h"
#include "ctr/error.h"

#define PATH_BUF 4096

/* ---- where ---- */

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" */
static int expand_slice(const char *slice, char *out, size_t n)
{
	size_t sl = strlen(slice), len = 0, i;
	const char *base;

	out[0] = '\0';
	if (sl < 6 || strcmp(slice + sl - 6, ".slice"))
		return error_set(-EINVAL, "systemd cgroup parent '%s' is not a slice", slice);
	if (!strcmp(slice, "-.slice"))
		return 0;
	if (strchr(slice, '/'))
		return error_set(-EINVAL, "systemd slice '%s' contains '/'", slice);
	base = slice;
	for (i = 0; i < sl - 6; i++) {
		if (slice[i] != '-')
			continue;
		if (i == 0 || slice[i + 1] == '-' || slice[i + 1] == '.')
			return error_set(-EINVAL, "systemd slice '%s' is malformed", slice);
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "/%.*s.slice", (int)i, base);
	}
	len += (size_t)snprintf(out + len, len < n ? n - len : 0, "/%s", slice);
	if (len >= n)
		return error_set(-ENAMETOOLONG, "systemd slice '%s' is too long", slice);
	return 0;
}

/* The hierarchy-relative path of the container's cgroup (absolute, cleaned), or relative marker. */
static int container_rel_path(const char *cgroups_path, const char *id, bool systemd,
			      char *out, size_t n, bool *relative)
{
	char tmp[PATH_BUF];
	int err;

	*relative = false;
	if (!cgroups_path || !*cgroups_path) {
		*relative = true;
		snprintf(tmp, sizeof(tmp), "/%s", id);
		return cgroup_path_clean(tmp, out, n);
	}
	if (systemd && strchr(cgroups_path, ':')) {
		char parent[1024], prefix[1024], name[1024], slice[2048];
		const char *c1 = strchr(cgroups_path, ':'), *c2 = strchr(c1 + 1, ':');

		if (!c2 || strchr(c2 + 1, ':') || (size_t)(c1 - cgroups_path) >= sizeof(parent) ||
		    (size_t)(c2 - c1 - 1) >= sizeof(prefix) || strlen(c2 + 1) >= sizeof(name))
			return error_set(-EINVAL,
					 "cgroupsPath '%s' is not slice:prefix:name", cgroups_path);
		snprintf(parent, sizeof(parent), "%.*s", (int)(c1 - cgroups_path), cgroups_path);
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		snprintf(name, sizeof(name), "%s", c2 + 1);
		if ((err = expand_slice(*parent ? parent : "system.slice", slice, sizeof(slice))))
			return err;
		if (strchr(prefix, '/') || strchr(name, '/') || !*name)
			return error_set(-EINVAL, "cgroupsPath '%s' is not slice:prefix:name",
					 cgroups_path);
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s%s%s%s", slice, prefix, *prefix ? "-" : "",
				     name, strstr(name, ".slice") ? "" : ".scope") >= sizeof(tmp))
			return error_set(-ENAMETOOLONG, "cgroupsPath too long");
		return cgroup_path_clean(tmp, out, n);
	}
	if (cgroups_path[0] != '/')
		*relative = true;
	if ((size_t)snprintf(tmp, sizeof(tmp), "/%s", cgroups_path) >= sizeof(tmp))
		return error_set(-ENAMETOOLONG, "cgroupsPath too long");
	err = cgroup_path_clean(tmp, out, n);
	if (err)
		return error_set(err, "cgroupsPath too long");
	if (!strcmp(out, "/"))
		return error_set(-EINVAL, "cgroupsPath '%s' names the root cgroup", cgroups_path);
	return 0;
}

int ctr_cgroup_resolve(const struct cgroup_layout *l, const char *cgroups_path,
		       const char *id, bool systemd, struct cgroup *cg)
{
	char rel[PATH_BUF];
	bool relative;
	int err;

	memset(cg, 0, sizeof(*cg));
	if (l->mode == CGROUP_NONE || !l->n)
		return error_set(-ENOENT, "no cgroup hierarchy is mounted");
	if ((err = container_rel_path(cgroups_path, id, systemd, rel, sizeof(rel), &relative)))
		return err;
	return cgroup_resolve(l, rel, relative, cg);
}

int ctr_cgroup_from_state(const struct ctr_state *st, struct cgroup *cg)
{
	size_t i;
	bool v1 = false, v2 = false;

	memset(cg, 0, sizeof(*cg));
	for (i = 0; i < st->n_cgroups; i++) {
		cg->dirs[i].name = strdup(st->cgroups[i].name);
		cg->dirs[i].path = strdup(st->cgroups[i].path);
		cg->dirs[i].mount = strdup(st->cgroups[i].mount);
		cg->n++;
		if (!cg->dirs[i].name || !cg->dirs[i].path || !cg->dirs[i].mount) {
			cgroup_free(cg);
			return error_set(-ENOMEM, "out of memory");
		}
		if (!st->cgroups[i].name[0])
			v2 = true;
		else if (strncmp(st->cgroups[i].name, "name=", 5))
			v1 = true;
	}
	cg->mode = v1 ? (v2 ? CGROUP_HYBRID : CGROUP_V1) : (v2 ? CGROUP_V2 : CGROUP_NONE);
	return 0;
}

/* ---- resources ---- */

/* cpuset.cpus and cpuset.mems: the same files in v1 and v2. */
static int set_cpuset(const char *dir, const struct ctr_resources *r)
{
	int err;

	if (r->cpu.cpus && (err = cgroup_file_write(dir, "cpuset.cpus", "%s", r->cpu.cpus)))
		return err;
	if (r->cpu.mems && (err = cgroup_file_write(dir, "cpuset.mems", "%s", r->cpu.mems)))
		return err;
	return 0;
}

/* hugetlb.<page size>.<limit_file> for each limit. */
static int set_hugetlb(const char *dir, const struct ctr_resources *r, const char *limit_file)
{
	char file[128];
	size_t i;
	int err;

	for (i = 0; i < r->n_hugepages; i++) {
		snprintf(file, sizeof(file), "hugetlb.%s.%s", r->hugepages[i].page_size,
			 limit_file);
		if (!cgroup_file_exists(dir, file))
			return error_set(-ENOTSUP, "huge page size %s is not supported here",
					 r->hugepages[i].page_size);
		if ((err = cgroup_file_write(dir, file, "%" PRIu64, r->hugepages[i].limit)))
			return err;
	}
	return 0;
}

static int set_hugetlb_v1(const char *dir, const struct ctr_resources *r)
{
	return set_hugetlb(dir, r, "limit_in_bytes");
}

static int set_hugetlb_v2(const char *dir, const struct ctr_resources *r)
{
	return set_hugetlb(dir, r, "max");
}

static bool need_cpu(const struct ctr_resources *r)
{
	return r->cpu.has_shares || r->cpu.has_quota || r->cpu.has_period ||
	       r->cpu.has_rt_runtime || r->cpu.has_rt_period;
}

static bool need_cpuset(const struct ctr_resources *r)
{
	return r->cpu.cpus || r->cpu.mems;
}

static bool need_memory(const struct ctr_resources *r)
{
	return r->memory.has_limit || r->memory.has_reservation || r->memory.has_swap ||
	       r->memory.has_swappiness || r->memory.disable_oom_killer;
}

static bool need_pids(const struct ctr_resources *r)
{
	return r->pids.has_limit;
}

static bool need_blkio(const struct ctr_resources *r)
{
	int t;

	if (r->blkio.has_weight || r->blkio.has_leaf_weight || r->blkio.n_weight_devices)
		return true;
	for (t = 0; t < CTR_THROTTLES; t++)
		if (r->blkio.n_throttle[t])
			return true;
	return false;
}

static bool need_hugetlb(const struct ctr_resources *r)
{
	return r->n_hugepages > 0;
}

static const struct controller {
	const char *v1, *v2, *what;
	bool (*needed)(const struct ctr_resources *r);
	int (*set_v1)(const char *dir, const struct ctr_resources *r);
	int (*set_v2)(const char *dir, const struct ctr_resources *r);
} controllers[] = {
	{ "cpuset", "cpuset", "cpu.cpus/mems", need_cpuset, set_cpuset, set_cpuset },
	{ "cpu", "cpu", "cpu", need_cpu, ctr_cgv1_cpu, ctr_cgv2_cpu },
	{ "memory", "memory", "memory", need_memory, ctr_cgv1_memory, ctr_cgv2_memory },
	{ "pids", "pids", "pids", need_pids, ctr_cgv1_pids, ctr_cgv2_pids },
	{ "blkio", "io", "blockIO", need_blkio, ctr_cgv1_blkio, ctr_cgv2_io },
	{ "hugetlb", "hugetlb", "hugepageLimits", need_hugetlb, set_hugetlb_v1,
	  set_hugetlb_v2 },
};

int ctr_cgroup_apply(struct cgroup *cg, const struct ctr_resources *r)
{
	const struct cgroup_dir *d, *u = cgroup_v2_dir(cg);
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(controllers); i++) {
		const struct controller *c = &controllers[i];

		if (!c->needed(r))
			continue;
		if ((d = cgroup_v1_dir(cg, c->v1))) {
			err = c->set_v1(d->path, r);
		} else if (u && ctr_cgv2_available(u->mount, u->path, c->v2)) {
			err = ctr_cgv2_enable(u->mount, u->path, c->v2);
			if (!err)
				err = c->set_v2(u->path, r);
		} else {
			return error_set(-ENOTSUP, "linux.resources.%s: the %s cgroup controller is "
					 "not available on this host", c->what, c->v1);
		}
		if (err)
			return ctr_error_wrap(err, "linux.resources.%s", c->what);
	}
	if (r->n_devices) {
		if ((d = cgroup_v1_dir(cg, "devices")))
			err = ctr_cgv1_devices(d->path, r->devices, r->n_devices);
		else if (u)
			err = ctr_cgv2_devices(u->path, r->devices, r->n_devices);
		else
			err = error_set(-ENOTSUP, "the devices cgroup controller is not available");
		if (err)
			return ctr_error_wrap(err, "linux.resources.devices");
	}
	if (r->unified_keys.n) {
		if (!u)
			return error_set(-ENOTSUP, "linux.resources.unified needs cgroup v2");
		for (i = 0; i < r->unified_keys.n; i++) {
			char ctl[64];
			const char *dot = strchr(r->unified_keys.v[i], '.');

			snprintf(ctl, sizeof(ctl), "%.*s", (int)(dot - r->unified_keys.v[i]),
				 r->unified_keys.v[i]);
			if (ctr_cgv2_available(u->mount, u->path, ctl) &&
			    (err = ctr_cgv2_enable(u->mount, u->path, ctl)))
				return err;
		}
		if ((err = ctr_cgv2_unified(u->path, r)))
			return ctr_error_wrap(err, "linux.resources.unified");
	}
	return 0;
}

/* ---- stats ---- */

json_t *ctr_cgroup_stats(const struct cgroup *cg)
{
	json_t *data = json_object();
	const struct cgroup_dir *cpu = cgroup_v1_dir(cg, "cpu"), *acct = cgroup_v1_dir(cg, "cpuacct"),
				     *mem = cgroup_v1_dir(cg, "memory"), *pids = cgroup_v1_dir(cg, "pids"),
				     *blkio = cgroup_v1_dir(cg, "blkio"), *u = cgroup_v2_dir(cg);

	if (!data)
		return NULL;
	if (cg->mode == CGROUP_V2) {
		if (u)
			ctr_cgv2_stats(data, u->path);
	} else {
		ctr_cgv1_stats(data, cpu ? cpu->path : NULL, acct ? acct->path : NULL,
			       mem ? mem->path : NULL, pids ? pids->path : NULL,
			       blkio ? blkio->path : NULL);
	}
	return data;
}
