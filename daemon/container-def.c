#include "daemon/container-def.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "ctr/spec.h"
#include "ctr/state.h"
#include "daemon/def-field.h"
#include "daemon/definition.h"

#define CPU_PERIOD_US	100000	/* "cpus": N is a CFS quota of N periods per period */
#define CPUS_MIN	0.01
#define CPUS_MAX	1024.0
#define ID_MAX		(65535 * 65536u)	/* the largest uid or gid taken, as gasang ctr -u */
#define ENV_MAX		4096	/* one NAME=VALUE */

static const char *const top_keys[] = {
	"name", "uuid", "type", "rootfs", "bundle", "image", "tag", "command", "env", "cwd", "user",
	"hostname", "memory", "cpus", "pids", "mounts", "nics", "terminal", "readonly",
	"autostart", NULL,
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An array of strings, each checked by ok (NULL: any); *out a copy. */
static int get_strings(const json_t *v, const char *field, size_t max_n, size_t max_len,
		       bool (*ok)(const char *s), const char *what, json_t **out)
{
	char item[64];
	size_t i;
	json_t *e;

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > max_n)
		return def_bad(field, "expected an array of at most %zu %s", max_n, what);
	*out = json_array();
	json_array_foreach(v, i, e) {
		const char *s;
		int err;

		snprintf(item, sizeof(item), "%s[%zu]", field, i);
		if ((err = def_get_string(e, item, max_len, &s)) || (err = !s || (ok && !ok(s)) ?
				def_bad(item, "'%.64s' is not %s", s ? s : "", what) : 0)) {
			json_decref(*out);
			*out = NULL;
			return err;
		}
		json_array_append_new(*out, json_string(s));
	}
	return 0;
}

static bool env_ok(const char *s)
{
	return s[0] && s[0] != '=' && strchr(s, '=');
}

static bool word_ok(const char *s)
{
	return s[0] != '\0';
}

static int check_mount(const json_t *m, size_t i, json_t **out)
{
	static const char *const keys[] = { "source", "target", "readonly", NULL };
	const char *source = NULL, *target = NULL;
	char where[32], field[64];
	bool ro = false;
	int err;

	snprintf(where, sizeof(where), "mounts[%zu]", i);
	if (!json_is_object(m))
		return def_bad(where, "expected an object such as {\"source\": \"/srv/data\", "
			       "\"target\": \"/data\"}");
	if ((err = def_check_keys(m, keys, where)))
		return err;
	snprintf(field, sizeof(field), "%s.source", where);
	if ((err = def_get_path(json_object_get(m, "source"), field, false, &source)))
		return err;
	if (!source)
		return def_bad(field, "required: the host's directory or file");
	snprintf(field, sizeof(field), "%s.target", where);
	if ((err = def_get_path(json_object_get(m, "target"), field, false, &target)))
		return err;
	if (!target)
		return def_bad(field, "required: where it appears in the container");
	snprintf(field, sizeof(field), "%s.readonly", where);
	if ((err = def_get_bool(json_object_get(m, "readonly"), field, &ro)))
		return err;
	*out = json_pack("{s:s,s:s,s:b}", "source", source, "target", target, "readonly", ro);
	return *out ? 0 : -ENOMEM;
}

static int check_nic(const json_t *n, size_t i, json_t **out)
{
	char where[32];

	snprintf(where, sizeof(where), "nics[%zu]", i);
	return def_network_nic(n, where, out);
}

/* "UID[:GID]", or a number (the uid, gid the same). */
static int get_user(const json_t *v, char *out, size_t n)
{
	uint32_t uid, gid;
	bool has_gid;

	out[0] = '\0';
	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= (json_int_t)ID_MAX) {
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    ctr_user_parse(json_string_value(v), ID_MAX, &uid, &gid, &has_gid))
		return def_bad("user", "expected \"UID[:GID]\" in numbers, such as \"1000:1000\"");
	if (has_gid)
		snprintf(out, n, "%u:%u", uid, gid);
	else
		snprintf(out, n, "%u", uid);
	return 0;
}

static int get_cpus(const json_t *v, double *out)
{
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < CPUS_MIN || json_number_value(v) > CPUS_MAX)
		return def_bad("cpus", "expected a number of CPUs from 0.01 to 1024, such as 0.5");
	*out = json_number_value(v);
	return 0;
}

/* rootfs, bundle or image: exactly one, an absolute path. */
static int get_source(const json_t *doc, const char **key, const char **path)
{
	static const char *const keys[] = { "rootfs", "bundle", "image", NULL };
	int i, err;

	*key = *path = NULL;
	for (i = 0; keys[i]; i++) {
		const char *p;

		if ((err = def_get_path(json_object_get(doc, keys[i]), keys[i], false, &p)))
			return err;
		if (p && *path)
			return def_bad(keys[i], "give one of rootfs, bundle and image, not both %s and %s",
				       *key, keys[i]);
		if (p) {
			*key = keys[i];
			*path = p;
		}
	}
	if (!*path)
		return def_bad("rootfs", "required: a root file system directory (or \"bundle\", or "
			       "\"image\")");
	return 0;
}

int ctr_def_normalize(const json_t *doc, json_t **out, bool *autostart)
{
	const char *name, *src_key, *src, *cwd = NULL, *hostname = NULL, *tag = NULL;
	json_t *command = NULL, *env = NULL, *mounts = NULL, *nics = NULL, *o;
	char uuid[DEF_UUID_LEN + 1], user[32];
	uint64_t memory = 0;
	json_int_t pids = 0;
	bool terminal = true, readonly = false, autos = false;
	double cpus = 0;
	int err;

#define FIELD(k) json_object_get(doc, k)
	*out = NULL;
	if ((err = def_check_keys(doc, top_keys, "")) || (err = def_get_identity(doc, &name, uuid)) ||
	    (err = get_source(doc, &src_key, &src)) ||
	    (err = def_get_path(FIELD("cwd"), "cwd", false, &cwd)) ||
	    (err = get_user(FIELD("user"), user, sizeof(user))) ||
	    (err = def_get_string(FIELD("hostname"), "hostname", 64, &hostname)) ||
	    (err = def_get_size(FIELD("memory"), "memory", 1ull << 20, CTR_DEF_MEMORY_MIN,
				CTR_DEF_MEMORY_MAX, &memory)) ||
	    (err = get_cpus(FIELD("cpus"), &cpus)) ||
	    (err = def_get_int(FIELD("pids"), "pids", 1, CTR_DEF_PIDS_MAX, &pids)) ||
	    (err = def_get_bool(FIELD("terminal"), "terminal", &terminal)) ||
	    (err = def_get_bool(FIELD("readonly"), "readonly", &readonly)) ||
	    (err = def_get_bool(FIELD("autostart"), "autostart", &autos)))
		return err;
	if ((err = def_get_string(FIELD("tag"), "tag", 128, &tag)))
		return err;
	if (tag && (strcmp(src_key, "image") || !*tag))
		return def_bad("tag", "names one of an image's manifests: it goes with \"image\"");
	if (hostname && (!*hostname || !def_word_chars(hostname, ".-")))
		return def_bad("hostname", "'%.64s': letters, digits, '.' and '-' only", hostname);
	if (!strcmp(src_key, "rootfs") && !strcmp(src, "/"))
		return def_bad("rootfs", "the host's / cannot be a container's root");
	err = get_strings(FIELD("command"), "command", CTR_DEF_MAX_ARGS, PATH_MAX, word_ok,
			  "a non-empty argument", &command);
	if (!err && command && !json_array_size(command))
		err = def_bad("command", "needs at least the program to run");
	if (!err)
		err = get_strings(FIELD("env"), "env", CTR_DEF_MAX_ARGS, ENV_MAX, env_ok, "NAME=VALUE",
				  &env);
	if (!err)
		err = def_check_list(FIELD("mounts"), "mounts", CTR_DEF_MAX_MOUNTS, check_mount,
				     &mounts);
	if (!err)
		err = def_check_list(FIELD("nics"), "nics", CTR_DEF_MAX_NICS, check_nic, &nics);
#undef FIELD
	if (err) {
		json_decref(command);
		json_decref(env);
		json_decref(mounts);
		json_decref(nics);
		return err;
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:o?,s:o,s:s?,s:s?,s:s,s:o,s:o,s:b,s:b}",
		      "name", name, "uuid", uuid, "type", "container", src_key, src,
		      "command", command, "env", env ? env : json_array(), "cwd", cwd,
		      "user", user[0] ? user : NULL, "hostname", hostname ? hostname : name,
		      "mounts", mounts, "nics", nics, "terminal", terminal, "readonly", readonly);
	if (o && tag)
		json_object_set_new(o, "tag", json_string(tag));
	if (o && memory)
		json_object_set_new(o, "memory", json_integer((json_int_t)memory));
	if (o && cpus > 0)
		json_object_set_new(o, "cpus", json_real(cpus));
	if (o && pids)
		json_object_set_new(o, "pids", json_integer(pids));
	if (!o)
		return error_set(-ENOMEM, "out of memory");
	def_drop_nulls(o);
	if (autostart)
		*autostart = autos;
	*out = o;
	return 0;
}

/* ---- the host's side ---- */

static int need(const char *field, const char *path, mode_t type, const char *what)
{
	struct stat st;

	if (stat(path, &st))
		return def_bad(field, "'%.200s': %s", path, strerror(errno));
	if ((st.st_mode & S_IFMT) != type)
		return def_bad(field, "'%.200s' is not %s", path, what);
	return 0;
}

int ctr_def_check_host(const json_t *def)
{
	char path[PATH_MAX + 16], field[64];
	struct stat st;
	size_t i;
	json_t *m;
	int err;

	if (str(def, "rootfs") && (err = need("rootfs", str(def, "rootfs"), S_IFDIR, "a directory")))
		return err;
	if (str(def, "bundle")) {
		if ((err = need("bundle", str(def, "bundle"), S_IFDIR, "a directory")))
			return err;
		snprintf(path, sizeof(path), "%s/config.json", str(def, "bundle"));
		if ((err = need("bundle", path, S_IFREG, "a file")))
			return err;
	}
	if (str(def, "image") && stat(str(def, "image"), &st))
		return def_bad("image", "'%.200s': %s", str(def, "image"), strerror(errno));
	json_array_foreach(json_object_get(def, "mounts"), i, m) {
		snprintf(field, sizeof(field), "mounts[%zu].source", i);
		if (stat(str(m, "source"), &st))
			return def_bad(field, "'%.200s': %s", str(m, "source"), strerror(errno));
	}
	return 0;
}

/* ---- config.json ---- */

static json_t *obj_path(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(o, key, v);
	}
	return v;
}

static void bind_mount(json_t *mounts, const json_t *m)
{
	json_t *opts = json_pack("[s]", "rbind");

	if (json_is_true(json_object_get(m, "readonly")))
		json_array_append_new(opts, json_string("ro"));
	json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:o}", "destination",
						str(m, "target"), "type", "bind", "source",
						str(m, "source"), "options", opts));
}

static bool has_namespace(const json_t *lx, const char *type)
{
	size_t i;
	json_t *ns;

	json_array_foreach(json_object_get(lx, "namespaces"), i, ns)
		if (str(ns, "type") && !strcmp(str(ns, "type"), type))
			return true;
	return false;
}

/* What the definition says over what the base config says. */
static void apply(json_t *spec, const json_t *def, const char *cgroups_path)
{
	json_t *proc = obj_path(spec, "process"), *lx = obj_path(spec, "linux"), *res, *env, *e;
	json_t *mounts = json_object_get(spec, "mounts");
	uint32_t uid, gid;
	bool has_gid;
	size_t i;

	json_object_set_new(proc, "terminal", json_boolean(json_is_true(json_object_get(def,
								     "terminal"))));
	if (json_object_get(def, "command"))
		json_object_set(proc, "args", json_object_get(def, "command"));
	env = json_object_get(proc, "env");
	if (!json_is_array(env)) {
		env = json_pack("[s]", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
		json_object_set_new(proc, "env", env);
	}
	json_array_foreach(json_object_get(def, "env"), i, e)
		ctr_env_set(env, json_string_value(e));
	if (str(def, "cwd"))
		json_object_set_new(proc, "cwd", json_string(str(def, "cwd")));
	if (str(def, "user") && !ctr_user_parse(str(def, "user"), ID_MAX, &uid, &gid, &has_gid))
		json_object_set_new(proc, "user", json_pack("{s:I,s:I}", "uid", (json_int_t)uid,
							    "gid", (json_int_t)(has_gid ? gid : uid)));
	/* a bundle that shares the host's uts namespace keeps the host's name */
	if (has_namespace(lx, "uts"))
		json_object_set_new(spec, "hostname", json_string(str(def, "hostname")));
	if (json_is_true(json_object_get(def, "readonly")))
		json_object_set_new(obj_path(spec, "root"), "readonly", json_true());
	if (!json_is_array(mounts)) {
		mounts = json_array();
		json_object_set_new(spec, "mounts", mounts);
	}
	json_array_foreach(json_object_get(def, "mounts"), i, e)
		bind_mount(mounts, e);
	json_object_set_new(lx, "cgroupsPath", json_string(cgroups_path));
	res = obj_path(lx, "resources");
	if (json_is_integer(json_object_get(def, "memory")))
		json_object_set_new(res, "memory", json_pack("{s:O,s:O}", "limit",
				    json_object_get(def, "memory"), "swap", json_object_get(def, "memory")));
	if (json_is_number(json_object_get(def, "cpus")))
		json_object_set_new(res, "cpu", json_pack("{s:I,s:I}", "quota",
				    (json_int_t)(json_number_value(json_object_get(def, "cpus")) *
						 CPU_PERIOD_US), "period", (json_int_t)CPU_PERIOD_US));
	if (json_is_integer(json_object_get(def, "pids")))
		json_object_set_new(res, "pids", json_pack("{s:O}", "limit", json_object_get(def, "pids")));
}

/* A bundle's own config.json, its root made absolute (we write our copy elsewhere). */
static json_t *bundle_config(const char *bundle)
{
	char path[PATH_MAX + 16], root[PATH_MAX * 2 + 2];
	json_error_t jerr;
	json_t *spec, *r;
	const char *rp;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	spec = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(spec)) {
		json_decref(spec);
		error_set(-EINVAL, "%s: %s", path, jerr.text);
		return NULL;
	}
	r = obj_path(spec, "root");
	rp = str(r, "path") ? str(r, "path") : "rootfs";
	if (rp[0] != '/') {
		snprintf(root, sizeof(root), "%s/%s", bundle, rp);
		json_object_set_new(r, "path", json_string(root));
	}
	return spec;
}

int ctr_def_write_config(const json_t *def, const char *dir, const char *cgroups_path,
			 const char *rootfs)
{
	struct ctr_spec_opts so = { .docker_caps = true };
	char *text;
	json_t *spec;
	int dfd, err;

	if (str(def, "bundle")) {
		spec = bundle_config(str(def, "bundle"));
		if (!spec)
			return -EINVAL;
	} else {
		so.rootfs = rootfs ? rootfs : str(def, "rootfs");
		so.terminal = json_is_true(json_object_get(def, "terminal"));
		spec = ctr_spec_build(&so);
		if (!spec)
			return error_set(-ENOMEM, "out of memory");
	}
	if (rootfs)
		json_object_set_new(obj_path(spec, "root"), "path", json_string(rootfs));
	apply(spec, def, cgroups_path);
	text = json_dumps(spec, JSON_INDENT(2));
	json_decref(spec);
	if (!text)
		return error_set(-ENOMEM, "out of memory");
	if (mkdir(dir, 0700) && errno != EEXIST) {
		free(text);
		return error_errno(-errno, "cannot create %s", dir);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = dfd < 0 ? error_errno(-errno, "cannot open %s", dir)
		      : ctr_write_atomic_at(dfd, "config.json", text, strlen(text), 0600);
	if (dfd >= 0)
		close(dfd);
	free(text);
	return err;
}

/* ---- the monitor's command line ---- */

int ctr_def_argv(const json_t *def, const char *gasang, const char *oci_root, const char *bundle,
		 int control_fd, char ***argv)
{
	struct def_args a = { 0 };
	size_t i;
	json_t *n;

	def_args_add(&a, gasang);
	def_args_add(&a, "ctr-monitor");
	def_args_addf(&a, "--root=%s", oci_root);
	def_args_addf(&a, "--bundle=%s", bundle);
	def_args_addf(&a, "--id=%s", str(def, "uuid"));
	if (json_is_true(json_object_get(def, "terminal")))
		def_args_add(&a, "--terminal");
	if (str(def, "image")) {
		/* unpacked by the monitor, off the daemon's loop; what the image says fills the gaps */
		def_args_addf(&a, "--image=%s", str(def, "image"));
		if (str(def, "tag"))
			def_args_addf(&a, "--image-tag=%s", str(def, "tag"));
		def_args_addf(&a, "--image-fill=%s%s%s", json_object_get(def, "command") ? "" : "args,",
			      str(def, "cwd") ? "" : "cwd,", str(def, "user") ? "" : "user,");
	}
	json_array_foreach(json_object_get(def, "nics"), i, n) {
		if (!str(n, "type") || strcmp(str(n, "type"), "veth")) {
			def_argv_free(a.v);
			return error_set(-EINVAL, "nics[%zu] is on network '%s', which was not resolved "
					 "to a bridge", i, str(n, "network") ? str(n, "network") : "?");
		}
		def_args_addf(&a, "--nic=bridge=%s,ifname=%s,mac=%s,address=%s/%lld%s%s",
			      str(n, "bridge"), str(n, "ifname"), str(n, "mac"), str(n, "address"),
			      (long long)json_integer_value(json_object_get(n, "prefix")),
			      str(n, "gateway") ? ",gateway=" : "",
			      str(n, "gateway") ? str(n, "gateway") : "");
	}
	def_args_addf(&a, "--control-fd=%d", control_fd);
	if (a.oom) {
		def_argv_free(a.v);
		return error_set(-ENOMEM, "out of memory");
	}
	*argv = a.v;
	return 0;
}
