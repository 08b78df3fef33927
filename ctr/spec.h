/*
 * A default config.json, as `runc spec` writes one (`gasang oci spec`), and
 * the Docker-like variant `gasang ctr run` builds its bundles from, with
 * the Docker-style values it takes (volumes, users).
 */
#ifndef CTR_SPEC_H
#define CTR_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct ctr_volume {
	const char *host, *ctr;
	bool readonly;
};

struct ctr_spec_opts {
	const char *rootfs;		/* root.path */
	bool readonly;			/* root.readonly */
	const char *const *args;	/* NULL: ["sh"] */
	size_t nargs;
	const char *const *env;		/* added to PATH (and TERM with a terminal) */
	size_t nenv;
	bool terminal;
	const char *hostname;
	const char *cwd;		/* NULL: "/" */
	uint32_t uid, gid;
	bool docker_caps;		/* Docker's default capability set instead of runc's three */
	bool net_host;			/* no network namespace */
	int64_t memory;			/* bytes; 0: no limit (swap is set equal: no swap) */
	int64_t cpu_quota;		/* us per 100000 us; 0: no limit */
	int64_t pids;			/* 0: no limit */
	const char *cgroups_path;
	const struct ctr_volume *volumes;
	size_t nvolumes;
};

json_t *ctr_spec_build(const struct ctr_spec_opts *o);

/* a and b (NAME=VALUE, or a bare NAME) name the same environment variable */
bool ctr_env_same_name(const char *a, const char *b);
/* NAME=VALUE replaces what the array env says of NAME, as docker's -e does (PATH included). */
void ctr_env_set(json_t *env, const char *var);

/*
 * A volume as Docker writes it, HOST:CTR[:ro|rw]: HOST resolved (realpath)
 * now, CTR absolute. The strings are malloc'd (ctr_volume_free). -EINVAL
 * for a malformed spec, -errno when HOST cannot be resolved.
 */
int ctr_volume_parse(const char *spec, struct ctr_volume *v);
void ctr_volume_free(struct ctr_volume *v);

/* "UID[:GID]" in decimal, each at most max; *has_gid: GID was given. */
int ctr_user_parse(const char *s, uint32_t max, uint32_t *uid, uint32_t *gid, bool *has_gid);

#endif
