/* Default OCI configs, and the Docker-style values gasang ctr fills them from. */
#include "ctr/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"
#include "base/error.h"

static json_t *strv(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *mount(const char *dst, const char *type, const char *src, const char *opts)
{
	json_t *o = json_pack("{ssssss}", "destination", dst, "type", type, "source", src);
	json_t *a = json_array();
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(tok));
	json_object_set_new(o, "options", a);
	return o;
}

bool ctr_env_same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return !strncmp(a, b, n) && (b[n] == '=' || b[n] == '\0');
}

void ctr_env_set(json_t *env, const char *var)
{
	size_t i;
	json_t *e;

	json_array_foreach(env, i, e) {
		if (json_is_string(e) && ctr_env_same_name(var, json_string_value(e))) {
			json_array_set_new(env, i, json_string(var));
			return;
		}
	}
	json_array_append_new(env, json_string(var));
}

json_t *ctr_spec_build(const struct ctr_spec_opts *o)
{
	static const char *const runc_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };
	static const char *const docker_caps[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
		"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
	};
	static const char *const masked[] = {
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
	};
	static const char *const readonly[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	static const char *const sh[] = { "sh" };
	const char *const *caps = o->docker_caps ? docker_caps : runc_caps;
	size_t ncaps = o->docker_caps ? ARRAY_SIZE(docker_caps) : ARRAY_SIZE(runc_caps), i;
	json_t *env = json_array(), *mounts = json_array(), *ns = json_array(), *res, *capo, *proc,
	       *lx, *spec;

	json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
					       "/usr/bin:/sbin:/bin"));
	if (o->terminal)
		json_array_append_new(env, json_string("TERM=xterm"));
	for (i = 0; i < o->nenv; i++)
		ctr_env_set(env, o->env[i]);
	capo = json_pack("{sososo}", "bounding", strv(caps, ncaps), "effective", strv(caps, ncaps),
			 "permitted", strv(caps, ncaps));
	proc = json_pack("{sbs{sisi}sososssos[{sssIsI}]sb}", "terminal", o->terminal,
			 "user", "uid", (int)o->uid, "gid", (int)o->gid,
			 "args", o->args ? strv(o->args, o->nargs) : strv(sh, 1),
			 "env", env, "cwd", o->cwd ? o->cwd : "/", "capabilities", capo,
			 "rlimits", "type", "RLIMIT_NOFILE", "hard", (json_int_t)1024,
			 "soft", (json_int_t)1024, "noNewPrivileges", 1);

	json_array_append_new(mounts, mount("/proc", "proc", "proc", ""));
	json_array_append_new(mounts, mount("/dev", "tmpfs", "tmpfs",
					    "nosuid,strictatime,mode=755,size=65536k"));
	json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
					    "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
	json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm",
					    "nosuid,noexec,nodev,mode=1777,size=65536k"));
	json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
	json_array_append_new(mounts, mount("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
	json_array_append_new(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup",
					    "nosuid,noexec,nodev,relatime,ro"));
	for (i = 0; i < o->nvolumes; i++)
		json_array_append_new(mounts, mount(o->volumes[i].ctr, "bind", o->volumes[i].host,
						    o->volumes[i].readonly ? "rbind,ro" : "rbind"));

	json_array_append_new(ns, json_pack("{ss}", "type", "pid"));
	if (!o->net_host)
		json_array_append_new(ns, json_pack("{ss}", "type", "network"));
	json_array_append_new(ns, json_pack("{ss}", "type", "ipc"));
	json_array_append_new(ns, json_pack("{ss}", "type", "uts"));
	json_array_append_new(ns, json_pack("{ss}", "type", "mount"));

	res = json_pack("{s[{sbss}]}", "devices", "allow", 0, "access", "rwm");
	if (o->memory > 0)
		json_object_set_new(res, "memory", json_pack("{sIsI}", "limit", (json_int_t)o->memory,
							     "swap", (json_int_t)o->memory));
	if (o->cpu_quota > 0)
		json_object_set_new(res, "cpu", json_pack("{sIsI}", "quota", (json_int_t)o->cpu_quota,
							  "period", (json_int_t)100000));
	if (o->pids > 0)
		json_object_set_new(res, "pids", json_pack("{sI}", "limit", (json_int_t)o->pids));
	lx = json_pack("{sosososo}", "resources", res, "namespaces", ns,
			  "maskedPaths", strv(masked, ARRAY_SIZE(masked)),
			  "readonlyPaths", strv(readonly, ARRAY_SIZE(readonly)));
	if (o->cgroups_path)
		json_object_set_new(lx, "cgroupsPath", json_string(o->cgroups_path));
	spec = json_pack("{sssos{sssb}sssoso}", "ociVersion", "1.0.2", "process", proc,
			 "root", "path", o->rootfs ? o->rootfs : "rootfs", "readonly", o->readonly,
			 "hostname", o->hostname ? o->hostname : "gasang", "mounts", mounts,
			 "linux", lx);
	return spec;
}

void ctr_volume_free(struct ctr_volume *v)
{
	free((char *)v->host);
	free((char *)v->ctr);
	v->host = v->ctr = NULL;
}

int ctr_volume_parse(const char *spec, struct ctr_volume *v)
{
	char *host, *ctr, *opt;
	int err = 0;

	memset(v, 0, sizeof(*v));
	if (strlen(spec) >= 2 * PATH_MAX)
		return error_set(-ENAMETOOLONG, "too long");
	host = strdup(spec);
	if (!host)
		return error_set(-ENOMEM, "out of memory");
	ctr = strchr(host, ':');
	if (!ctr) {
		err = error_set(-EINVAL, "expected HOST:CONTAINER[:ro]");
		goto out;
	}
	*ctr++ = '\0';
	opt = strchr(ctr, ':');
	if (opt) {
		*opt++ = '\0';
		if (strcmp(opt, "ro") && strcmp(opt, "rw")) {
			err = error_set(-EINVAL, "the option after the second ':' is ro or rw");
			goto out;
		}
		v->readonly = !strcmp(opt, "ro");
	}
	if (ctr[0] != '/') {
		err = error_set(-EINVAL, "the container path must be absolute");
		goto out;
	}
	v->host = realpath(host, NULL);
	if (!v->host) {
		err = error_errno(-errno, "%s", host);
		goto out;
	}
	v->ctr = strdup(ctr);
	if (!v->ctr)
		err = error_set(-ENOMEM, "out of memory");
out:
	free(host);
	if (err)
		ctr_volume_free(v);
	return err;
}

int ctr_user_parse(const char *s, uint32_t max, uint32_t *uid, uint32_t *gid, bool *has_gid)
{
	unsigned long u, g = 0;
	char *end;

	u = strtoul(s, &end, 10);
	*has_gid = *end == ':';
	if (*has_gid)
		g = strtoul(end + 1, &end, 10);
	if (*end || u > max || g > max)
		return error_set(-EINVAL, "'%s' is not UID[:GID]", s);
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return 0;
}
