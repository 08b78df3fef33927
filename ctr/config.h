/*
 * An OCI runtime-spec 1.x config.json, parsed and checked.
 *
 * Strings point into the parsed JSON document (kept alive by the config);
 * arrays live in the config's own allocations. Everything goes with
 * ctr_config_free(). A config that parses is well-formed: types, ranges,
 * names (capabilities, rlimits, namespaces, seccomp actions) and counts are
 * checked here, so later stages trust the shape and check only what needs
 * the host (paths, the kernel's answers).
 */
#ifndef CTR_CONFIG_H
#define CTR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds on what a config may hold: a hostile config.json gets an error, not an OOM. */
#define CTR_CONFIG_MAX_BYTES	(16u << 20)
#define CTR_CONFIG_MAX_ITEMS	65536u

enum ctr_ns {
	CTR_NS_USER,	/* first: the others are created or joined inside it */
	CTR_NS_PID,
	CTR_NS_NET,
	CTR_NS_IPC,
	CTR_NS_UTS,
	CTR_NS_CGROUP,
	CTR_NS_TIME,
	CTR_NS_MOUNT,	/* last: joining it changes what paths mean */
	CTR_NS_COUNT,
};

struct ctr_strv {
	const char **v;
	size_t n;
};

/* Append s (not copied) to a malloc'd vector, kept NULL-terminated; free(v->v) when done. */
int ctr_strv_push(struct ctr_strv *v, const char *s);

struct ctr_namespace {
	bool enabled;
	const char *path;	/* join this one; NULL: create a new one */
};

struct ctr_idmap {
	uint32_t container_id, host_id, size;
};

struct ctr_mount {
	const char *destination;
	const char *type;	/* may be NULL (bind mounts) */
	const char *source;	/* may be NULL */
	unsigned long flags;	/* MS_* to set, propagation excluded */
	unsigned long clear;	/* MS_* the options cleared ("rw", "suid", ...) */
	unsigned long propagation;	/* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [| MS_REC] */
	uint64_t attr_set, attr_clr;	/* MOUNT_ATTR_* applied recursively ("rro", ...) */
	char *data;		/* filesystem options, comma-separated, or NULL */
	bool bind;		/* MS_BIND (type "bind", or "bind"/"rbind" option) */
};

struct ctr_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct ctr_user {
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

/* Capability sets as bit masks (bit N = capability N). */
struct ctr_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct ctr_process {
	bool terminal;
	unsigned console_height, console_width;
	struct ctr_user user;
	struct ctr_strv args, env;
	const char *cwd;
	struct ctr_caps caps;
	struct ctr_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	const char *apparmor_profile;
	const char *selinux_label;
};

enum ctr_hook_kind {
	CTR_HOOK_PRESTART,	/* deprecated; run with createRuntime */
	CTR_HOOK_CREATE_RUNTIME,
	CTR_HOOK_CREATE_CONTAINER,
	CTR_HOOK_START_CONTAINER,
	CTR_HOOK_POSTSTART,
	CTR_HOOK_POSTSTOP,
	CTR_HOOK_KINDS,
};

struct ctr_hook {
	const char *path;
	struct ctr_strv args, env;
	int timeout;		/* seconds; 0: none */
};

struct ctr_hook_list {
	struct ctr_hook *v;
	size_t n;
};

struct ctr_device {
	const char *path;
	char type;		/* 'c', 'b', 'u' (= 'c'), 'p' */
	int64_t major, minor;
	bool has_mode, has_uid, has_gid;
	uint32_t mode, uid, gid;
};

/* A device cgroup rule; major/minor -1 = any. */
struct ctr_device_rule {
	bool allow;
	char type;		/* 'a', 'c', 'b' */
	int64_t major, minor;
	char access[4];		/* subset of "rwm", NUL-terminated */
};

struct ctr_weight_device {
	int64_t major, minor;
	int weight, leaf_weight;	/* -1: unset */
};

struct ctr_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

enum ctr_throttle {
	CTR_THROTTLE_READ_BPS,
	CTR_THROTTLE_WRITE_BPS,
	CTR_THROTTLE_READ_IOPS,
	CTR_THROTTLE_WRITE_IOPS,
	CTR_THROTTLES,
};

struct ctr_hugepage_limit {
	const char *page_size;	/* "2MB", "1GB" */
	uint64_t limit;
};

/* linux.resources. has_* says whether a value was given. */
struct ctr_resources {
	struct ctr_device_rule *devices;
	size_t n_devices;

	struct {
		bool has_limit, has_reservation, has_swap, has_swappiness;
		int64_t limit, reservation, swap;	/* -1: unlimited */
		uint64_t swappiness;
		bool disable_oom_killer;
	} memory;

	struct {
		bool has_shares, has_quota, has_period, has_rt_runtime, has_rt_period;
		uint64_t shares, period, rt_period;
		int64_t quota, rt_runtime;	/* quota -1: unlimited */
		const char *cpus, *mems;
	} cpu;

	struct {
		bool has_limit;
		int64_t limit;	/* <= 0: unlimited */
	} pids;

	struct {
		bool has_weight, has_leaf_weight;
		uint16_t weight, leaf_weight;
		struct ctr_weight_device *weight_devices;
		size_t n_weight_devices;
		struct ctr_throttle_device *throttle[CTR_THROTTLES];
		size_t n_throttle[CTR_THROTTLES];
	} blkio;

	struct ctr_hugepage_limit *hugepages;
	size_t n_hugepages;

	/* linux.resources.unified: cgroup v2 file -> value */
	struct ctr_strv unified_keys, unified_values;
};

/* Seccomp actions, named as in the spec (SCMP_ACT_*). */
enum ctr_seccomp_action {
	CTR_SCMP_KILL,		/* = KILL_THREAD */
	CTR_SCMP_KILL_PROCESS,
	CTR_SCMP_KILL_THREAD,
	CTR_SCMP_TRAP,
	CTR_SCMP_ERRNO,
	CTR_SCMP_TRACE,
	CTR_SCMP_ALLOW,
	CTR_SCMP_LOG,
	CTR_SCMP_NOTIFY,
};

enum ctr_seccomp_op {
	CTR_SCMP_CMP_NE, CTR_SCMP_CMP_LT, CTR_SCMP_CMP_LE, CTR_SCMP_CMP_EQ,
	CTR_SCMP_CMP_GE, CTR_SCMP_CMP_GT, CTR_SCMP_CMP_MASKED_EQ,
};

struct ctr_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	enum ctr_seccomp_op op;
};

struct ctr_seccomp_rule {
	struct ctr_strv names;
	enum ctr_seccomp_action action;
	bool has_errno;
	uint32_t errno_ret;	/* ERRNO: the errno; TRACE: the message */
	struct ctr_seccomp_arg *args;
	size_t n_args;
};

#define CTR_SCMP_FLAG_LOG		(1u << 0)
#define CTR_SCMP_FLAG_SPEC_ALLOW	(1u << 1)
#define CTR_SCMP_FLAG_WAIT_KILLABLE	(1u << 2)

struct ctr_seccomp {
	enum ctr_seccomp_action default_action;
	bool has_default_errno;
	uint32_t default_errno;
	struct ctr_strv architectures;	/* "SCMP_ARCH_X86_64", ... */
	unsigned flags;			/* CTR_SCMP_FLAG_* */
	const char *listener_path;	/* for SCMP_ACT_NOTIFY */
	const char *listener_metadata;
	struct ctr_seccomp_rule *rules;
	size_t n_rules;
};

struct ctr_linux {
	struct ctr_namespace ns[CTR_NS_COUNT];
	struct ctr_idmap *uid_maps, *gid_maps;
	size_t n_uid_maps, n_gid_maps;
	struct ctr_device *devices;
	size_t n_devices;
	const char *cgroups_path;
	bool has_resources;
	struct ctr_resources resources;
	struct ctr_strv sysctl_keys, sysctl_values;
	struct ctr_seccomp *seccomp;
	unsigned long rootfs_propagation;	/* 0: default (rslave) */
	struct ctr_strv masked_paths, readonly_paths;
	const char *mount_label;
	bool has_time_offsets;
	int64_t time_offsets[2][2];	/* [monotonic, boottime][secs, nanosecs] */
};

struct ctr_config {
	const char *oci_version;
	const char *root_path;
	bool root_readonly;
	const char *hostname, *domainname;
	struct ctr_mount *mounts;
	size_t n_mounts;
	struct ctr_process *process;	/* NULL when absent */
	struct ctr_hook_list hooks[CTR_HOOK_KINDS];
	struct ctr_strv annotation_keys, annotation_values;
	struct ctr_linux lx;		/* "linux" (a predefined macro in GNU C) */

	/* owned storage */
	void *doc;		/* json_t */
	struct ctr_chunk *chunks;
};

/*
 * Parse a config.json held in memory (len bytes, need not be NUL-terminated).
 * 'what' names the input in messages ("config.json"). On error returns a
 * negative errno with the message recorded (error_msg()), *out untouched.
 */
int ctr_config_parse(const char *text, size_t len, const char *what, struct ctr_config **out);
/* Read a file of at most CTR_CONFIG_MAX_BYTES (malloc'd, not NUL-terminated). */
int ctr_config_read(const char *path, char **buf, size_t *len);
/* Read and parse a file (at most CTR_CONFIG_MAX_BYTES). */
int ctr_config_load(const char *path, struct ctr_config **out);
/* A process.json (the "process" object alone), as `exec --process` takes it. */
int ctr_process_load(const char *path, struct ctr_config **out);
int ctr_process_parse(const char *text, size_t len, const char *what, struct ctr_config **out);
/*
 * linux.resources alone, as `update --resources FILE` takes it. The result
 * is a config whose linux.resources holds it (has_resources set).
 */
int ctr_resources_parse(const char *text, size_t len, const char *what, struct ctr_config **out);
void ctr_config_free(struct ctr_config *c);
/* Zeroed storage for n items of size bytes that lives as long as c; NULL when out of memory. */
void *ctr_config_alloc(struct ctr_config *c, size_t n, size_t size);

/* Names, for messages and the default spec. */
const char *ctr_ns_name(enum ctr_ns ns);
int ctr_ns_clone_flag(enum ctr_ns ns);
const char *ctr_hook_name(enum ctr_hook_kind k);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, or -1. */
int ctr_rlimit_from_name(const char *name);
/* "CAP_SYS_ADMIN" -> 21, or -1. */
int ctr_cap_from_name(const char *name);

/* The sysctl key or path is one a container may set with these namespaces (runc's rules). */
int ctr_sysctl_check(const struct ctr_config *c, const char *key);

#endif
