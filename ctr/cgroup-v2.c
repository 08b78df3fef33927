/*
 * cgroup v2: one hierarchy; controllers enabled top-down through
 * cgroup.subtree_control; device rules are an eBPF program, not files.
 */
#include "ctr/cgroup-v2.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "base/cgroup-file.h"
#include "base/compiler.h"
#include "base/error.h"

#define PATH_BUF 4096

/* ---- controllers ---- */

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *s;

	for (s = list; (s = strstr(s, word)); s += n)
		if ((s == list || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0' || s[n] == '\n'))
			return true;
	return false;
}

static void parent_of(const char *dir, char *out, size_t n)
{
	char *slash;

	if (dir)
		snprintf(out, n, "%s", dir);
	slash = strrchr(out, '/');
	if (slash && slash != out)
		*slash = '\0';
}

bool ctr_cgv2_available(const char *mount, const char *dir, const char *controller)
{
	char parent[PATH_BUF], list[1024];

	if (!strcmp(mount, dir))
		snprintf(parent, sizeof(parent), "%s", dir);
	else
		parent_of(dir, parent, sizeof(parent));
	/* the parent may not exist yet: walk up to the nearest existing one */
	while (cgroup_file_read(parent, "cgroup.controllers", list, sizeof(list)) == -ENOENT &&
	       strlen(parent) > strlen(mount))
		parent_of(NULL, parent, sizeof(parent));
	return word_in(list, controller);
}

int ctr_cgv2_enable(const char *mount, const char *dir, const char *controller)
{
	char path[PATH_BUF], list[1024];
	size_t i, n = strlen(dir), start = strlen(mount);
	int err;

	if (n >= sizeof(path) || strncmp(dir, mount, start))
		return error_set(-EINVAL, "cgroup %s is not under %s", dir, mount);
	/* every ancestor of dir, from the mount down, must pass the controller on */
	for (i = start; i < n; i++) {
		if (i != start && dir[i] != '/')
			continue;
		memcpy(path, dir, i ? i : 1);
		path[i ? i : 1] = '\0';
		if (cgroup_file_read(path, "cgroup.subtree_control", list, sizeof(list)) == 0 &&
		    word_in(list, controller))
			continue;
		err = cgroup_file_write(path, "cgroup.subtree_control", "+%s", controller);
		if (err)
			return err;
	}
	return 0;
}

/* v clamped to [lo, hi] and mapped onto v2's [1, 10000]; 0 stays 0 (unset). */
static uint64_t v2_weight(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (!v)
		return 0;
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return 1 + ((v - lo) * 9999) / (hi - lo);
}

uint64_t ctr_cgv2_cpu_weight(uint64_t shares)
{
	return v2_weight(shares, 2, 262144);
}

uint64_t ctr_cgv2_io_weight(uint64_t w)
{
	return v2_weight(w, 10, 1000);
}

int ctr_cgv2_swap_max(int64_t memory, int64_t memory_swap, int64_t *swap_max)
{
	/* unlimited memory and no swap given: both unlimited, as on v1 */
	if (memory == -1 && memory_swap == 0) {
		*swap_max = -1;
		return 0;
	}
	if (memory_swap == -1 || memory_swap == 0) {
		*swap_max = memory_swap;
		return 0;
	}
	if (memory <= 0)
		return error_set(-EINVAL, "a swap limit needs a memory limit");
	if (memory_swap < memory)
		return error_set(-EINVAL, "memory+swap %" PRId64 " is below memory %" PRId64,
				 memory_swap, memory);
	*swap_max = memory_swap - memory;
	return 0;
}

static int write_max(const char *dir, const char *file, int64_t v)
{
	if (v < 0)
		return cgroup_file_write(dir, file, "max");
	return cgroup_file_write(dir, file, "%" PRId64, v);
}

int ctr_cgv2_cpu(const char *dir, const struct ctr_resources *r)
{
	int err;

	if (r->cpu.has_rt_runtime || r->cpu.has_rt_period)
		if ((r->cpu.has_rt_runtime && r->cpu.rt_runtime) ||
		    (r->cpu.has_rt_period && r->cpu.rt_period))
			return error_set(-ENOTSUP, "realtime cpu limits do not exist on cgroup v2");
	if (r->cpu.has_shares && r->cpu.shares &&
	    (err = cgroup_file_write(dir, "cpu.weight", "%" PRIu64, ctr_cgv2_cpu_weight(r->cpu.shares))))
		return err;
	if ((r->cpu.has_quota && r->cpu.quota) || (r->cpu.has_period && r->cpu.period)) {
		char cur[64] = "max 100000", quota[32];
		uint64_t period = 100000;

		/* "QUOTA PERIOD": keep the half not given */
		cgroup_file_read(dir, "cpu.max", cur, sizeof(cur));
		if (sscanf(cur, "%31s %" SCNu64, quota, &period) != 2) {
			snprintf(quota, sizeof(quota), "max");
			period = 100000;
		}
		if (r->cpu.has_period && r->cpu.period)
			period = r->cpu.period;
		if (r->cpu.has_quota && r->cpu.quota)
			snprintf(quota, sizeof(quota), r->cpu.quota < 0 ? "max" : "%" PRId64,
				 r->cpu.quota);
		if ((err = cgroup_file_write(dir, "cpu.max", "%s %" PRIu64, quota, period)))
			return err;
	}
	return 0;
}

int ctr_cgv2_memory(const char *dir, const struct ctr_resources *r)
{
	int64_t limit = r->memory.has_limit ? r->memory.limit : 0;
	int err;

	if (r->memory.has_limit && limit == 0)
		return error_set(-EINVAL, "memory limit 0 would leave no memory");
	if (r->memory.has_swap) {
		int64_t sm;

		if (!r->memory.has_limit) {
			uint64_t cur;

			if (cgroup_file_read_u64(dir, "memory.max", &cur) == 0)
				limit = cur > INT64_MAX ? -1 : (int64_t)cur;
		}
		if ((err = ctr_cgv2_swap_max(limit, r->memory.swap, &sm)))
			return err;
		if (r->memory.swap) {
			if (!cgroup_file_exists(dir, "memory.swap.max")) {
				if (sm > 0)
					return error_set(-ENOTSUP, "a swap limit needs memory.swap.max, "
							 "which this kernel does not have");
			} else if ((err = write_max(dir, "memory.swap.max", sm))) {
				return err;
			}
		}
	}
	if (r->memory.has_limit && (err = write_max(dir, "memory.max", r->memory.limit)))
		return err;
	if (r->memory.has_reservation &&
	    (err = write_max(dir, "memory.low", r->memory.reservation)))
		return err;
	/* swappiness and the OOM-killer switch have no v2 file: ignored, as runc does */
	return 0;
}

int ctr_cgv2_pids(const char *dir, const struct ctr_resources *r)
{
	return write_max(dir, "pids.max", r->pids.limit <= 0 ? -1 : r->pids.limit);
}

int ctr_cgv2_io(const char *dir, const struct ctr_resources *r)
{
	static const char *const keys[CTR_THROTTLES] = { "rbps", "wbps", "riops", "wiops" };
	const char *wf = cgroup_file_exists(dir, "io.weight") ? "io.weight" :
			 cgroup_file_exists(dir, "io.bfq.weight") ? "io.bfq.weight" : NULL;
	size_t i;
	int t, err;

	if (r->blkio.has_leaf_weight)
		return error_set(-ENOTSUP, "leafWeight does not exist on cgroup v2");
	if ((r->blkio.has_weight || r->blkio.n_weight_devices) && !wf)
		return error_set(-ENOTSUP, "io weights need io.weight or io.bfq.weight");
	if (r->blkio.has_weight &&
	    (err = cgroup_file_write(dir, wf, "default %" PRIu64, ctr_cgv2_io_weight(r->blkio.weight))))
		return err;
	for (i = 0; i < r->blkio.n_weight_devices; i++) {
		const struct ctr_weight_device *d = &r->blkio.weight_devices[i];

		if (d->weight >= 0 &&
		    (err = cgroup_file_write(dir, wf, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
					    ctr_cgv2_io_weight((uint64_t)d->weight))))
			return err;
	}
	for (t = 0; t < CTR_THROTTLES; t++)
		for (i = 0; i < r->blkio.n_throttle[t]; i++) {
			const struct ctr_throttle_device *d = &r->blkio.throttle[t][i];

			if ((err = cgroup_file_write(dir, "io.max", "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
						    d->major, d->minor, keys[t], d->rate)))
				return err;
		}
	return 0;
}

int ctr_cgv2_unified(const char *dir, const struct ctr_resources *r)
{
	size_t i;
	int err;

	for (i = 0; i < r->unified_keys.n; i++) {
		if (!cgroup_file_exists(dir, r->unified_keys.v[i]))
			return error_set(-ENOENT, "%s does not exist in %s", r->unified_keys.v[i], dir);
		if ((err = cgroup_file_write(dir, r->unified_keys.v[i], "%s", r->unified_values.v[i])))
			return err;
	}
	return 0;
}

/* ---- devices: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE ---- */

struct prog {
	struct bpf_insn insn[4096];
	size_t n;
	bool overflow;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n == ARRAY_SIZE(p->insn)) {
		p->overflow = true;
		return;
	}
	p->insn[p->n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
					     .off = off, .imm = imm };
}

/* registers: r1 ctx, r2 type, r3 access, r4 major, r5 minor, r0 verdict */
#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6

static unsigned access_mask(const char *a)
{
	unsigned m = 0;

	if (strchr(a, 'm'))
		m |= BPF_DEVCG_ACC_MKNOD;
	if (strchr(a, 'r'))
		m |= BPF_DEVCG_ACC_READ;
	if (strchr(a, 'w'))
		m |= BPF_DEVCG_ACC_WRITE;
	return m;
}

static bool is_wildcard_all(const struct ctr_device_rule *d)
{
	return d->type == 'a' && d->major < 0 && d->minor < 0 &&
	       access_mask(d->access) == (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE);
}

/*
 * Rules apply in order and the last match wins, as writes to v1's
 * devices.allow/deny do: the program tests them last to first and the first
 * hit decides. A rule for everything resets the state, so what precedes the
 * last such rule is dead and that rule's verdict is the default.
 */
static void build_device_prog(struct prog *p, const struct ctr_device_rule *rules, size_t n)
{
	size_t first = 0, i;
	bool def_allow = true;

	for (i = 0; i < n; i++)
		if (is_wildcard_all(&rules[i])) {
			first = i + 1;
			def_allow = rules[i].allow;
		}
	p->n = 0;
	/* access_type = (access << 16) | type */
	emit(p, BPF_LDX | BPF_W | BPF_MEM, R2, R1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0);
	emit(p, BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
	emit(p, BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
	emit(p, BPF_LDX | BPF_W | BPF_MEM, R4, R1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	emit(p, BPF_LDX | BPF_W | BPF_MEM, R5, R1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	for (i = n; i-- > first;) {
		const struct ctr_device_rule *d = &rules[i];
		size_t jumps[4], nj = 0, k;
		unsigned mask = access_mask(d->access);

		if (d->type != 'a') {
			jumps[nj++] = p->n;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0,
			     d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
		}
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R6, R3, 0, 0);
		if (d->allow) {
			/* allow only if every requested access is granted */
			emit(p, BPF_ALU | BPF_AND | BPF_K, R6, 0, 0, (int32_t)~mask);
			jumps[nj++] = p->n;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R6, 0, 0, 0);
		} else {
			/* deny if any requested access is denied */
			emit(p, BPF_ALU | BPF_AND | BPF_K, R6, 0, 0, (int32_t)mask);
			jumps[nj++] = p->n;
			emit(p, BPF_JMP | BPF_JEQ | BPF_K, R6, 0, 0, 0);
		}
		if (d->major >= 0) {
			jumps[nj++] = p->n;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t)d->major);
		}
		if (d->minor >= 0) {
			jumps[nj++] = p->n;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t)d->minor);
		}
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, d->allow ? 1 : 0);
		emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		/* misses go to the next rule, which starts here */
		for (k = 0; k < nj && !p->overflow; k++)
			p->insn[jumps[k]].off = (int16_t)(p->n - jumps[k] - 1);
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, def_allow ? 1 : 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int ctr_cgv2_devices(const char *dir, const struct ctr_device_rule *rules, size_t n)
{
	static char license[] = "Apache";
	struct prog *p;
	union bpf_attr attr;
	char log[4096] = "";
	int prog_fd, dir_fd, err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return error_set(-ENOMEM, "out of memory");
	build_device_prog(p, rules, n);
	if (p->overflow) {
		free(p);
		return error_set(-E2BIG, "too many device rules for one eBPF program");
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t)license;
	prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog_fd < 0) {
		err = -errno;
		/* again with the verifier's log, to say why (a full log would not fit: ENOSPC) */
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		if (syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)) >= 0)
			log[0] = '\0';
		free(p);
		return error_errno(err, "cannot load the device eBPF program%s%.200s",
				   log[0] ? ": " : "", log);
	}
	free(p);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		err = error_errno(-errno, "cannot open %s", dir);
		close(prog_fd);
		return err;
	}
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dir_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	err = syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0 ? -errno : 0;
	close(dir_fd);
	close(prog_fd);
	if (err)
		return error_errno(err, "cannot attach the device eBPF program to %s", dir);
	return 0;
}

/* ---- freezer, kill ---- */

/* ---- stats ---- */

static json_int_t num(const char *dir, const char *file)
{
	uint64_t v = 0;

	if (cgroup_file_read_u64(dir, file, &v) || v > INT64_MAX)
		return 0;
	return (json_int_t)v;
}

static json_int_t kv_get(json_t *kv, const char *key)
{
	return json_integer_value(json_object_get(kv, key));
}

void ctr_cgv2_stats(json_t *data, const char *dir)
{
	json_t *cs = cgroup_file_read_kv(dir, "cpu.stat");
	json_t *ms = cgroup_file_read_kv(dir, "memory.stat");
	json_t *ev = cgroup_file_read_kv(dir, "memory.events");
	char buf[8192], *line, *save = NULL;
	json_t *blk = json_array();

	if (cs)
		json_object_set_new(data, "cpu", json_pack(
			"{s{sIsIsIs[]}s{sIsIsI}}",
			"usage", "total", kv_get(cs, "usage_usec") * 1000,
			"kernel", kv_get(cs, "system_usec") * 1000,
			"user", kv_get(cs, "user_usec") * 1000, "percpu",
			"throttling", "periods", kv_get(cs, "nr_periods"),
			"throttledPeriods", kv_get(cs, "nr_throttled"),
			"throttledTime", kv_get(cs, "throttled_usec") * 1000));
	if (cgroup_file_exists(dir, "memory.current"))
		json_object_set_new(data, "memory", json_pack(
			"{sIs{sIsIsIsI}s{sIsI}so}",
			"cache", kv_get(ms, "file"),
			"usage", "limit", num(dir, "memory.max"), "usage", num(dir, "memory.current"),
			"max", num(dir, "memory.peak"), "failcnt", kv_get(ev, "max"),
			"swap", "limit", num(dir, "memory.swap.max"), "usage", num(dir, "memory.swap.current"),
			"raw", ms ? json_incref(ms) : json_object()));
	if (cgroup_file_exists(dir, "pids.current"))
		json_object_set_new(data, "pids", json_pack("{sIsI}", "current", num(dir, "pids.current"),
							   "limit", num(dir, "pids.max")));
	if (cgroup_file_read(dir, "io.stat", buf, sizeof(buf)) == 0) {
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned maj, min;
			unsigned long long rb = 0, wb = 0;
			char *s;

			if (sscanf(line, "%u:%u", &maj, &min) != 2)
				continue;
			if ((s = strstr(line, "rbytes=")))
				rb = strtoull(s + 7, NULL, 10);
			if ((s = strstr(line, "wbytes=")))
				wb = strtoull(s + 7, NULL, 10);
			json_array_append_new(blk, json_pack("{sIsIsssI}", "major", (json_int_t)maj, "minor",
							     (json_int_t)min, "op", "Read", "value", (json_int_t)rb));
			json_array_append_new(blk, json_pack("{sIsIsssI}", "major", (json_int_t)maj, "minor",
							     (json_int_t)min, "op", "Write", "value", (json_int_t)wb));
		}
	}
	json_object_set_new(data, "blkio", json_pack("{so}", "ioServiceBytesRecursive", blk));
	json_decref(cs);
	json_decref(ms);
	json_decref(ev);
}
