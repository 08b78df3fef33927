/* cgroup v1: one hierarchy per controller (or a few co-mounted), files named <controller>.<knob>. */
#include "ctr/cgroup-v1.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cgroup-file.h"
#include "base/error.h"

int ctr_cgv1_cpu(const char *dir, const struct ctr_resources *r)
{
	int err;

	if (r->cpu.has_shares) {
		uint64_t got;

		if ((err = cgroup_file_write(dir, "cpu.shares", "%" PRIu64, r->cpu.shares)))
			return err;
		/* the kernel clamps to [2, 262144]; say so rather than run with another value */
		if (cgroup_file_read_u64(dir, "cpu.shares", &got) == 0 && got != r->cpu.shares)
			return error_set(-EINVAL, "cpu.shares %" PRIu64 " was clamped to %" PRIu64,
					 r->cpu.shares, got);
	}
	if (r->cpu.has_period && r->cpu.period &&
	    (err = cgroup_file_write(dir, "cpu.cfs_period_us", "%" PRIu64, r->cpu.period)))
		return err;
	if (r->cpu.has_quota && r->cpu.quota &&
	    (err = cgroup_file_write(dir, "cpu.cfs_quota_us", "%" PRId64, r->cpu.quota)))
		return err;
	if (r->cpu.has_rt_period && r->cpu.rt_period &&
	    (err = cgroup_file_write(dir, "cpu.rt_period_us", "%" PRIu64, r->cpu.rt_period)))
		return err;
	if (r->cpu.has_rt_runtime && r->cpu.rt_runtime &&
	    (err = cgroup_file_write(dir, "cpu.rt_runtime_us", "%" PRId64, r->cpu.rt_runtime)))
		return err;
	return 0;
}

#define MEMSW "memory.memsw.limit_in_bytes"
#define MEMLIM "memory.limit_in_bytes"

int ctr_cgv1_memory(const char *dir, const struct ctr_resources *r)
{
	bool memsw = cgroup_file_exists(dir, MEMSW);
	int64_t limit = r->memory.limit, swap = r->memory.swap;
	int err;

	if (r->memory.has_swap && swap && !memsw && swap != -1 &&
	    !(r->memory.has_limit && swap == limit))
		return error_set(-ENOTSUP, "a swap limit needs swap accounting (" MEMSW
				 "), which this kernel does not have");
	if (r->memory.has_limit && limit == 0)
		return error_set(-EINVAL, "memory limit 0 would leave no memory");
	if (r->memory.has_limit && (!r->memory.has_swap || !memsw || !swap)) {
		if ((err = cgroup_file_write(dir, MEMLIM, "%" PRId64, limit)))
			return err;
	} else if (r->memory.has_swap && memsw && swap) {
		/* the kernel keeps limit <= memsw at every step: order the two writes */
		if (!r->memory.has_limit) {
			if ((err = cgroup_file_write(dir, MEMSW, "%" PRId64, swap)))
				return err;
		} else if (cgroup_file_write(dir, MEMLIM, "%" PRId64, limit) == 0) {
			if ((err = cgroup_file_write(dir, MEMSW, "%" PRId64, swap)))
				return err;
		} else {
			if ((err = cgroup_file_write(dir, MEMSW, "%" PRId64, swap)) ||
			    (err = cgroup_file_write(dir, MEMLIM, "%" PRId64, limit)))
				return err;
		}
	}
	if (r->memory.has_reservation &&
	    (err = cgroup_file_write(dir, "memory.soft_limit_in_bytes", "%" PRId64,
				    r->memory.reservation)))
		return err;
	if (r->memory.has_swappiness &&
	    (err = cgroup_file_write(dir, "memory.swappiness", "%" PRIu64, r->memory.swappiness)))
		return err;
	if (r->memory.disable_oom_killer &&
	    (err = cgroup_file_write(dir, "memory.oom_control", "1")))
		return err;
	return 0;
}

int ctr_cgv1_pids(const char *dir, const struct ctr_resources *r)
{
	if (r->pids.limit <= 0)
		return cgroup_file_write(dir, "pids.max", "max");
	return cgroup_file_write(dir, "pids.max", "%" PRId64, r->pids.limit);
}

/* The CFQ file where it exists, else BFQ's. */
static const char *weight_file(const char *dir, const char *cfq, const char *bfq)
{
	if (cgroup_file_exists(dir, cfq))
		return cfq;
	if (cgroup_file_exists(dir, bfq))
		return bfq;
	return NULL;
}

int ctr_cgv1_blkio(const char *dir, const struct ctr_resources *r)
{
	static const char *const tfiles[CTR_THROTTLES] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	const char *wf = weight_file(dir, "blkio.weight", "blkio.bfq.weight");
	const char *wdf = weight_file(dir, "blkio.weight_device", "blkio.bfq.weight_device");
	size_t i;
	int t, err;

	if ((r->blkio.has_weight || r->blkio.n_weight_devices) && !wf)
		return error_set(-ENOTSUP, "block I/O weights need the CFQ or BFQ scheduler "
				 "(no blkio.weight here)");
	if (r->blkio.has_weight && (err = cgroup_file_write(dir, wf, "%u", r->blkio.weight)))
		return err;
	if (r->blkio.has_leaf_weight) {
		if (!cgroup_file_exists(dir, "blkio.leaf_weight"))
			return error_set(-ENOTSUP, "leafWeight is not supported by this kernel");
		if ((err = cgroup_file_write(dir, "blkio.leaf_weight", "%u", r->blkio.leaf_weight)))
			return err;
	}
	for (i = 0; i < r->blkio.n_weight_devices; i++) {
		const struct ctr_weight_device *d = &r->blkio.weight_devices[i];

		if (d->weight >= 0 && (!wdf || (err = cgroup_file_write(dir, wdf, "%" PRId64 ":%" PRId64 " %d",
								      d->major, d->minor, d->weight))))
			return wdf ? err : error_set(-ENOTSUP, "no blkio.weight_device here");
		if (d->leaf_weight >= 0 &&
		    (err = cgroup_file_write(dir, "blkio.leaf_weight_device", "%" PRId64 ":%" PRId64 " %d",
					    d->major, d->minor, d->leaf_weight)))
			return err;
	}
	for (t = 0; t < CTR_THROTTLES; t++)
		for (i = 0; i < r->blkio.n_throttle[t]; i++) {
			const struct ctr_throttle_device *d = &r->blkio.throttle[t][i];

			if ((err = cgroup_file_write(dir, tfiles[t], "%" PRId64 ":%" PRId64 " %" PRIu64,
						    d->major, d->minor, d->rate)))
				return err;
		}
	return 0;
}

static void dev_num(char *buf, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(buf, n, "*");
	else
		snprintf(buf, n, "%" PRId64, v);
}

int ctr_cgv1_devices(const char *dir, const struct ctr_device_rule *rules, size_t n)
{
	char maj[24], min[24];
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		const struct ctr_device_rule *d = &rules[i];
		const char *file = d->allow ? "devices.allow" : "devices.deny";

		if (d->type == 'a' && d->major < 0 && d->minor < 0 && !strcmp(d->access, "rwm") ) {
			err = cgroup_file_write(dir, file, "a");
		} else {
			dev_num(maj, sizeof(maj), d->major);
			dev_num(min, sizeof(min), d->minor);
			err = cgroup_file_write(dir, file, "%c %s:%s %s", d->type, maj, min, d->access);
		}
		if (err)
			return err;
	}
	return 0;
}

static json_int_t read_num(const char *dir, const char *file)
{
	uint64_t v = 0;

	if (cgroup_file_read_u64(dir, file, &v) || v > INT64_MAX)
		return 0;
	return (json_int_t)v;
}

static json_t *usage_obj(const char *dir, const char *prefix)
{
	char f[128];
	json_t *o = json_object();

	snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
	json_object_set_new(o, "limit", json_integer(read_num(dir, f)));
	snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
	json_object_set_new(o, "usage", json_integer(read_num(dir, f)));
	snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
	json_object_set_new(o, "max", json_integer(read_num(dir, f)));
	snprintf(f, sizeof(f), "%s.failcnt", prefix);
	json_object_set_new(o, "failcnt", json_integer(read_num(dir, f)));
	return o;
}

void ctr_cgv1_stats(json_t *data, const char *cpu, const char *cpuacct, const char *memory,
		    const char *pids, const char *blkio)
{
	char buf[8192];

	if (cpu || cpuacct) {
		json_t *c = json_object(), *usage = json_object(), *thr = json_object();

		if (cpuacct) {
			json_t *percpu = json_array(), *st;
			char *tok, *save = NULL;
			long hz = sysconf(_SC_CLK_TCK);

			json_object_set_new(usage, "total", json_integer(read_num(cpuacct, "cpuacct.usage")));
			if (cgroup_file_read(cpuacct, "cpuacct.usage_percpu", buf, sizeof(buf)) == 0)
				for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
					json_array_append_new(percpu, json_integer(strtoll(tok, NULL, 10)));
			json_object_set_new(usage, "percpu", percpu);
			st = cgroup_file_read_kv(cpuacct, "cpuacct.stat");
			if (st && hz > 0) {
				json_int_t user = json_integer_value(json_object_get(st, "user"));
				json_int_t sys = json_integer_value(json_object_get(st, "system"));

				json_object_set_new(usage, "kernel", json_integer(sys * (1000000000 / hz)));
				json_object_set_new(usage, "user", json_integer(user * (1000000000 / hz)));
			}
			json_decref(st);
		}
		if (cpu) {
			json_t *st = cgroup_file_read_kv(cpu, "cpu.stat");

			json_object_set_new(thr, "periods",
					    json_integer(json_integer_value(json_object_get(st, "nr_periods"))));
			json_object_set_new(thr, "throttledPeriods",
					    json_integer(json_integer_value(json_object_get(st, "nr_throttled"))));
			json_object_set_new(thr, "throttledTime",
					    json_integer(json_integer_value(json_object_get(st, "throttled_time"))));
			json_decref(st);
		}
		json_object_set_new(c, "usage", usage);
		json_object_set_new(c, "throttling", thr);
		json_object_set_new(data, "cpu", c);
	}
	if (memory) {
		json_t *m = json_object(), *raw = cgroup_file_read_kv(memory, "memory.stat");

		json_object_set_new(m, "cache",
				    json_integer(json_integer_value(json_object_get(raw, "cache"))));
		json_object_set_new(m, "usage", usage_obj(memory, "memory"));
		if (cgroup_file_exists(memory, "memory.memsw.usage_in_bytes"))
			json_object_set_new(m, "swap", usage_obj(memory, "memory.memsw"));
		json_object_set_new(m, "kernel", usage_obj(memory, "memory.kmem"));
		json_object_set_new(m, "raw", raw ? raw : json_object());
		json_object_set_new(data, "memory", m);
	}
	if (pids) {
		json_t *p = json_object();
		uint64_t max = 0;

		json_object_set_new(p, "current", json_integer(read_num(pids, "pids.current")));
		if (cgroup_file_read_u64(pids, "pids.max", &max) || max > INT64_MAX)
			max = 0;
		json_object_set_new(p, "limit", json_integer((json_int_t)max));
		json_object_set_new(data, "pids", p);
	}
	if (blkio) {
		json_t *b = json_object(), *a = json_array();
		char *line, *save = NULL;

		if (cgroup_file_read(blkio, "blkio.throttle.io_service_bytes_recursive", buf,
				    sizeof(buf)) == 0)
			for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
				unsigned maj, min;
				char op[32];
				unsigned long long v;

				if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
					json_array_append_new(a, json_pack("{sIsIsssI}", "major", (json_int_t)maj,
									   "minor", (json_int_t)min, "op", op,
									   "value", (json_int_t)v));
			}
		json_object_set_new(b, "ioServiceBytesRecursive", a);
		json_object_set_new(data, "blkio", b);
	}
}
