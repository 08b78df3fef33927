/* config.json: linux.resources (also alone, for update --resources). */
#include "ctr/config-parser.h"

#include <string.h>

#include "base/compiler.h"

static int parse_device_rules(struct cfg_parser *p, json_t *res, struct ctr_resources *r)
{
	char w[CFG_WHERE];
	json_t *a, *e;
	size_t i;
	int err = cfg_get_array(p, res, "linux.resources", "devices", false, &a);

	if (err || !a)
		return err;
	r->n_devices = json_array_size(a);
	r->devices = cfg_alloc(p, r->n_devices, sizeof(*r->devices));
	if (!r->devices)
		return cfg_nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_device_rule *d = &r->devices[i];
		const char *type = "a", *access = "rwm", *at = cfg_idx(w, sizeof(w),
								    "linux.resources.devices", i);
		bool has = false;
		long long x = -1;
		json_t *allow;
		size_t k;

		if (!json_is_object(e))
			return cfg_bad(p, at, "expected an object");
		if ((err = cfg_get(p, e, at, "allow", true, JSON_TRUE, &allow)) ||
		    (err = cfg_get_str(p, e, at, "type", false, &type)) ||
		    (err = cfg_get_str(p, e, at, "access", false, &access)))
			return err;
		d->allow = json_is_true(allow);
		if (strlen(type) != 1 || !strchr("acb", type[0]))
			return cfg_bad(p, at, "type '%s' is not a, c or b", type);
		d->type = type[0];
		if ((err = cfg_get_int(p, e, at, "major", false, -1, 4095, &x, &has)))
			return err;
		d->major = has ? x : -1;
		x = -1;
		if ((err = cfg_get_int(p, e, at, "minor", false, -1, (1 << 20) - 1, &x, &has)))
			return err;
		d->minor = has ? x : -1;
		if (!*access)
			access = "rwm";
		if (strlen(access) > 3)
			return cfg_bad(p, at, "access '%s' is not a subset of rwm", access);
		for (k = 0; access[k]; k++)
			if (!strchr("rwm", access[k]) || strchr(access + k + 1, access[k]))
				return cfg_bad(p, at, "access '%s' is not a subset of rwm", access);
		strcpy(d->access, access);
	}
	return 0;
}

/* One entry of a blockIO device list: an object naming its device. */
static int get_blkio_device(struct cfg_parser *p, json_t *e, const char *at, int64_t *major,
			    int64_t *minor)
{
	long long x = 0;
	int err;

	if (!json_is_object(e))
		return cfg_bad(p, at, "expected an object");
	if ((err = cfg_get_int(p, e, at, "major", true, 0, 4095, &x, NULL)))
		return err;
	*major = x;
	if ((err = cfg_get_int(p, e, at, "minor", true, 0, (1 << 20) - 1, &x, NULL)))
		return err;
	*minor = x;
	return 0;
}

static int parse_blkio_devices(struct cfg_parser *p, json_t *bio, struct ctr_resources *r)
{
	static const char *const tnames[CTR_THROTTLES] = {
		"throttleReadBpsDevice", "throttleWriteBpsDevice",
		"throttleReadIOPSDevice", "throttleWriteIOPSDevice",
	};
	const char *where = "linux.resources.blockIO";
	char w[CFG_WHERE];
	json_t *a, *e;
	size_t i;
	int t, err;

	if ((err = cfg_get_array(p, bio, where, "weightDevice", false, &a)))
		return err;
	if (a) {
		r->blkio.n_weight_devices = json_array_size(a);
		r->blkio.weight_devices = cfg_alloc(p, json_array_size(a),
						    sizeof(struct ctr_weight_device));
		if (!r->blkio.weight_devices)
			return cfg_nomem(p);
		json_array_foreach(a, i, e) {
			struct ctr_weight_device *d = &r->blkio.weight_devices[i];
			const char *at = cfg_sub_idx(w, sizeof(w), where, "weightDevice", i);
			long long x = 0;
			bool has;

			if ((err = get_blkio_device(p, e, at, &d->major, &d->minor)))
				return err;
			if ((err = cfg_get_int(p, e, at, "weight", false, 1, 10000, &x, &has)))
				return err;
			d->weight = has ? (int)x : -1;
			if ((err = cfg_get_int(p, e, at, "leafWeight", false, 1, 10000, &x, &has)))
				return err;
			d->leaf_weight = has ? (int)x : -1;
		}
	}
	for (t = 0; t < CTR_THROTTLES; t++) {
		if ((err = cfg_get_array(p, bio, where, tnames[t], false, &a)))
			return err;
		if (!a)
			continue;
		r->blkio.n_throttle[t] = json_array_size(a);
		r->blkio.throttle[t] = cfg_alloc(p, json_array_size(a),
						 sizeof(struct ctr_throttle_device));
		if (!r->blkio.throttle[t])
			return cfg_nomem(p);
		json_array_foreach(a, i, e) {
			struct ctr_throttle_device *d = &r->blkio.throttle[t][i];
			const char *at = cfg_sub_idx(w, sizeof(w), where, tnames[t], i);
			bool has;

			if ((err = get_blkio_device(p, e, at, &d->major, &d->minor)))
				return err;
			if ((err = cfg_get_u64(p, e, at, "rate", &d->rate, &has)))
				return err;
			if (!has)
				return cfg_bad(p, at, "rate: required");
		}
	}
	return 0;
}

/* Only what a cgroup file name can be: no path, no dot-dot. */
static bool cgroup_file_name_ok(const char *k)
{
	return *k && !strchr(k, '/') && strcmp(k, ".") && strcmp(k, "..") && strlen(k) < 256;
}

static bool cpu_list_ok(const char *s)
{
	/* "0-3,5" */
	if (strlen(s) > 4096)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == ',' || *s == '-'))
			return false;
	return true;
}

static int parse_memory(struct cfg_parser *p, json_t *o, struct ctr_resources *r)
{
	const char *at = "linux.resources.memory";
	int err;

	if ((err = cfg_get_i64(p, o, at, "limit", &r->memory.limit, &r->memory.has_limit)) ||
	    (err = cfg_get_i64(p, o, at, "reservation", &r->memory.reservation,
			       &r->memory.has_reservation)) ||
	    (err = cfg_get_i64(p, o, at, "swap", &r->memory.swap, &r->memory.has_swap)) ||
	    (err = cfg_get_u64(p, o, at, "swappiness", &r->memory.swappiness,
			       &r->memory.has_swappiness)) ||
	    (err = cfg_get_bool(p, o, at, "disableOOMKiller", &r->memory.disable_oom_killer)))
		return err;
	/* 2^64 - 1 is runc's -1 (Go's int64 of it): the kernel's default, not a value */
	if (r->memory.has_swappiness && r->memory.swappiness == UINT64_MAX)
		r->memory.has_swappiness = false;
	if (r->memory.has_swappiness && r->memory.swappiness > 100)
		return cfg_bad(p, at, "swappiness %llu is above 100",
			       (unsigned long long)r->memory.swappiness);
	if (r->memory.has_limit && r->memory.limit < -1)
		return cfg_bad(p, at, "limit %lld is negative", (long long)r->memory.limit);
	if (r->memory.has_swap && r->memory.swap < -1)
		return cfg_bad(p, at, "swap %lld is negative", (long long)r->memory.swap);
	if (r->memory.has_reservation && r->memory.reservation < -1)
		return cfg_bad(p, at, "reservation %lld is negative",
			       (long long)r->memory.reservation);
	if (r->memory.has_limit && r->memory.has_swap && r->memory.limit > 0 &&
	    r->memory.swap > 0 && r->memory.swap < r->memory.limit)
		return cfg_bad(p, at, "swap (memory+swap) %lld is below limit %lld",
			       (long long)r->memory.swap, (long long)r->memory.limit);
	return 0;
}

static int parse_cpu(struct cfg_parser *p, json_t *o, struct ctr_resources *r)
{
	const char *at = "linux.resources.cpu";
	int err;

	if ((err = cfg_get_u64(p, o, at, "shares", &r->cpu.shares, &r->cpu.has_shares)) ||
	    (err = cfg_get_i64(p, o, at, "quota", &r->cpu.quota, &r->cpu.has_quota)) ||
	    (err = cfg_get_u64(p, o, at, "period", &r->cpu.period, &r->cpu.has_period)) ||
	    (err = cfg_get_i64(p, o, at, "realtimeRuntime", &r->cpu.rt_runtime,
			       &r->cpu.has_rt_runtime)) ||
	    (err = cfg_get_u64(p, o, at, "realtimePeriod", &r->cpu.rt_period,
			       &r->cpu.has_rt_period)) ||
	    (err = cfg_get_str(p, o, at, "cpus", false, &r->cpu.cpus)) ||
	    (err = cfg_get_str(p, o, at, "mems", false, &r->cpu.mems)))
		return err;
	if (r->cpu.has_quota && r->cpu.quota < -1)
		return cfg_bad(p, at, "quota %lld is negative", (long long)r->cpu.quota);
	if (r->cpu.has_quota && r->cpu.quota > 0 && r->cpu.quota < 1000)
		return cfg_bad(p, at, "quota %lld is below the kernel's 1000 us",
			       (long long)r->cpu.quota);
	if (r->cpu.has_period && r->cpu.period && (r->cpu.period < 1000 || r->cpu.period > 1000000))
		return cfg_bad(p, at, "period %llu is outside [1000, 1000000] us",
			       (unsigned long long)r->cpu.period);
	if (r->cpu.cpus && !cpu_list_ok(r->cpu.cpus))
		return cfg_bad(p, at, "cpus '%s' is not a CPU list", r->cpu.cpus);
	if (r->cpu.mems && !cpu_list_ok(r->cpu.mems))
		return cfg_bad(p, at, "mems '%s' is not a node list", r->cpu.mems);
	if (r->cpu.cpus && !*r->cpu.cpus)
		r->cpu.cpus = NULL;
	if (r->cpu.mems && !*r->cpu.mems)
		r->cpu.mems = NULL;
	return 0;
}

static int parse_pids(struct cfg_parser *p, json_t *o, struct ctr_resources *r)
{
	return cfg_get_i64(p, o, "linux.resources.pids", "limit", &r->pids.limit,
			   &r->pids.has_limit);
}

static int parse_blkio(struct cfg_parser *p, json_t *o, struct ctr_resources *r)
{
	const char *at = "linux.resources.blockIO";
	long long x = 0;
	int err;

	if ((err = cfg_get_int(p, o, at, "weight", false, 10, 1000, &x, &r->blkio.has_weight)))
		return err;
	r->blkio.weight = (uint16_t)x;
	if ((err = cfg_get_int(p, o, at, "leafWeight", false, 10, 1000, &x,
			       &r->blkio.has_leaf_weight)))
		return err;
	r->blkio.leaf_weight = (uint16_t)x;
	return parse_blkio_devices(p, o, r);
}

static int parse_hugepages(struct cfg_parser *p, json_t *res, struct ctr_resources *r)
{
	char w[CFG_WHERE];
	json_t *a, *e;
	size_t i;
	bool has;
	int err = cfg_get_array(p, res, "linux.resources", "hugepageLimits", false, &a);

	if (err || !a)
		return err;
	r->n_hugepages = json_array_size(a);
	r->hugepages = cfg_alloc(p, r->n_hugepages, sizeof(*r->hugepages));
	if (!r->hugepages)
		return cfg_nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_hugepage_limit *h = &r->hugepages[i];
		const char *at = cfg_idx(w, sizeof(w), "linux.resources.hugepageLimits", i);

		if (!json_is_object(e))
			return cfg_bad(p, at, "expected an object");
		if ((err = cfg_get_str(p, e, at, "pageSize", true, &h->page_size)) ||
		    (err = cfg_get_u64(p, e, at, "limit", &h->limit, &has)))
			return err;
		if (!has)
			return cfg_bad(p, at, "limit: required");
		if (!cgroup_file_name_ok(h->page_size) ||
		    strspn(h->page_size, "0123456789KMGB") != strlen(h->page_size))
			return cfg_bad(p, at, "pageSize '%s' is not a size like 2MB", h->page_size);
	}
	return 0;
}

static int parse_unified(struct cfg_parser *p, json_t *res, struct ctr_resources *r)
{
	const struct ctr_strv *keys = &r->unified_keys;
	size_t i;
	int err = cfg_get_str_map(p, res, "linux.resources", "unified", &r->unified_keys,
				  &r->unified_values);

	if (err)
		return err;
	for (i = 0; i < keys->n; i++)
		if (!cgroup_file_name_ok(keys->v[i]) || !strchr(keys->v[i], '.') ||
		    !strncmp(keys->v[i], "cgroup.", 7))
			return cfg_bad(p, "linux.resources.unified",
				       "'%s' is not a controller file", keys->v[i]);
	return 0;
}

int cfg_parse_resources(struct cfg_parser *p, json_t *res, struct ctr_resources *r)
{
	static const struct {
		const char *key;
		int (*parse)(struct cfg_parser *p, json_t *o, struct ctr_resources *r);
	} controllers[] = {
		{ "memory", parse_memory },
		{ "cpu", parse_cpu },
		{ "pids", parse_pids },
		{ "blockIO", parse_blkio },
	};
	json_t *o;
	const char *where = "linux.resources";
	size_t i;
	int err = parse_device_rules(p, res, r);

	for (i = 0; !err && i < ARRAY_SIZE(controllers); i++) {
		err = cfg_get(p, res, where, controllers[i].key, false, JSON_OBJECT, &o);
		if (!err && o)
			err = controllers[i].parse(p, o, r);
	}
	if (!err)
		err = parse_hugepages(p, res, r);
	return err ? err : parse_unified(p, res, r);
}
