/* gasang ctr's home: bundles by name, their small state files, their network. */
#include "ctr/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/config.h"
#include "ctr/state.h"

void ctr_home_free(struct ctr_home *h)
{
	free(h->dir);
	free(h->bundles);
	free(h->oci_root);
	free(h->ipam);
	memset(h, 0, sizeof(*h));
}

static char *join(const char *dir, const char *sub)
{
	char *path;

	return asprintf(&path, "%s/%s", dir, sub) < 0 ? NULL : path;
}

int ctr_home_init(struct ctr_home *h, const char *dir)
{
	h->dir = strdup(dir);
	h->bundles = join(dir, "bundles");
	h->oci_root = join(dir, "oci");
	h->ipam = join(dir, "ipam");
	if (!h->dir || !h->bundles || !h->oci_root || !h->ipam) {
		ctr_home_free(h);
		return error_set(-ENOMEM, "out of memory");
	}
	return 0;
}

int ctr_home_create(const struct ctr_home *h)
{
	const char *const dirs[] = { h->dir, h->bundles, h->oci_root };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdir(dirs[i], 0700) < 0 && errno != EEXIST)
			return error_errno(-errno, "cannot create %s", dirs[i]);
	return 0;
}

bool ctr_name_ok(const char *name)
{
	return ctr_id_check(name) == 0 && strlen(name) <= CTR_NAME_MAX;
}

void ctr_name_random(char *buf, size_t n)
{
	unsigned v;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &v, sizeof(v)) != sizeof(v))
		v = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (fd >= 0)
		close(fd);
	snprintf(buf, n, "ctr-%06x", v & 0xffffff);
}

int ctr_bundle_path(const struct ctr_home *h, const char *name, const char *file, char *buf,
		    size_t n)
{
	if ((size_t)snprintf(buf, n, "%s/%s%s%s", h->bundles, name, file ? "/" : "",
			     file ? file : "") >= n)
		return error_set(-ENAMETOOLONG, "%s/%s: path too long", h->bundles, name);
	return 0;
}

/* A file of a few bytes in the bundle: replaced whole, never seen half written. */
static int write_small(const struct ctr_home *h, const char *name, const char *file,
		       const char *text)
{
	char path[PATH_MAX];
	int err = ctr_bundle_path(h, name, file, path, sizeof(path));

	return err ? err : ctr_write_atomic(path, text, strlen(text), 0600);
}

static int read_small(const struct ctr_home *h, const char *name, const char *file, char *buf,
		      size_t n)
{
	char path[PATH_MAX];
	ssize_t r;
	int fd;

	if (ctr_bundle_path(h, name, file, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, n - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	return 0;
}

static char *spec_text(const char *name, const struct ctr_spec_opts *so)
{
	struct ctr_spec_opts o = *so;
	char cgroup[sizeof(CTR_CGROUP_PARENT) + CTR_NAME_MAX + 1];
	json_t *spec;
	char *text;

	snprintf(cgroup, sizeof(cgroup), CTR_CGROUP_PARENT "/%s", name);
	if (!o.hostname)
		o.hostname = name;
	if (!o.cgroups_path)
		o.cgroups_path = cgroup;
	spec = ctr_spec_build(&o);
	text = spec ? json_dumps(spec, JSON_INDENT(2)) : NULL;
	json_decref(spec);
	return text;
}

int ctr_bundle_create(const struct ctr_home *h, const char *name, const struct ctr_spec_opts *so)
{
	char path[PATH_MAX];
	char *text;
	int err;

	if (!ctr_name_ok(name))
		return error_set(-EINVAL, "'%s' is not a container name", name);
	if ((err = ctr_bundle_path(h, name, NULL, path, sizeof(path))))
		return err;
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return error_set(-EEXIST, "the name %s is in use (gasang ctr rm %s)", name,
					 name);
		return error_errno(-errno, "cannot create %s", path);
	}
	text = spec_text(name, so);
	err = text ? write_small(h, name, CTR_BUNDLE_CONFIG, text) :
		     error_set(-ENOMEM, "out of memory");
	free(text);
	if (err)
		ctr_bundle_remove(h, name);
	return err;
}

void ctr_bundle_remove(const struct ctr_home *h, const char *name)
{
	static const char *const files[] = { CTR_BUNDLE_CONFIG, CTR_BUNDLE_NET, CTR_BUNDLE_EXIT,
					     CTR_BUNDLE_OUTPUT };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (ctr_bundle_path(h, name, files[i], path, sizeof(path)) == 0)
			unlink(path);
	if (ctr_bundle_path(h, name, NULL, path, sizeof(path)) == 0)
		rmdir(path);
}

int ctr_bundle_save_exit(const struct ctr_home *h, const char *name, int status)
{
	char text[16];

	snprintf(text, sizeof(text), "%d\n", status);
	return write_small(h, name, CTR_BUNDLE_EXIT, text);
}

int ctr_bundle_load_exit(const struct ctr_home *h, const char *name, int *status)
{
	char text[16];
	int err = read_small(h, name, CTR_BUNDLE_EXIT, text, sizeof(text));

	if (!err)
		*status = atoi(text);
	return err;
}

/* The lease file: "IP HOST_IF\n". */
static int save_lease(const struct ctr_home *h, const char *name, const struct ctr_net_lease *l)
{
	char text[64];

	snprintf(text, sizeof(text), "%s %s\n", l->ip, l->host_if);
	return write_small(h, name, CTR_BUNDLE_NET, text);
}

static int load_lease(const struct ctr_home *h, const char *name, struct ctr_net_lease *l)
{
	char text[64];
	int err = read_small(h, name, CTR_BUNDLE_NET, text, sizeof(text));

	memset(l, 0, sizeof(*l));
	if (err)
		return err;
	return sscanf(text, "%15s %15s", l->ip, l->host_if) == 2 ? 0 : -EINVAL;
}

int ctr_bundle_describe(const struct ctr_home *h, const struct ctr_runtime *rt, const char *name,
			struct ctr_bundle_info *info)
{
	struct ctr_config *c = NULL;
	struct ctr_net_lease lease;
	char path[PATH_MAX];
	json_t *st = NULL;
	int status;

	memset(info, 0, sizeof(*info));
	if (ctr_state_get(rt, name, &st) == 0)
		snprintf(info->status, sizeof(info->status), "%s",
			 json_string_value(json_object_get(st, "status")));
	else if (ctr_bundle_load_exit(h, name, &status) == 0)
		snprintf(info->status, sizeof(info->status), "exited(%d)", status);
	else
		snprintf(info->status, sizeof(info->status), "stopped");
	json_decref(st);
	snprintf(info->address, sizeof(info->address), "%s",
		 load_lease(h, name, &lease) == 0 ? lease.ip : "-");
	if (ctr_bundle_path(h, name, CTR_BUNDLE_CONFIG, path, sizeof(path)) == 0 &&
	    ctr_config_load(path, &c) == 0)
		info->root = strdup(c->root_path);
	ctr_config_free(c);
	error_clear();
	return info->root ? 0 : -ENOENT;
}

void ctr_bundle_info_free(struct ctr_bundle_info *info)
{
	free(info->root);
	info->root = NULL;
}

int ctr_net_mode_parse(const char *s, enum ctr_net_mode *mode)
{
	static const char *const names[] = {
		[CTR_NET_NONE] = "none", [CTR_NET_HOST] = "host", [CTR_NET_BRIDGE] = "bridge",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*mode = (enum ctr_net_mode)i;
			return 0;
		}
	return error_set(-EINVAL, "'%s' is not none, host or bridge", s);
}

int ctr_bundle_net_attach(void *arg, pid_t pid)
{
	struct ctr_bundle_net *n = arg;
	int err;

	switch (n->mode) {
	case CTR_NET_NONE:
		return ctr_net_loopback_up(pid);
	case CTR_NET_HOST:
		return 0;
	case CTR_NET_BRIDGE:
		break;
	}
	if ((err = ctr_net_bridge_attach(n->home->ipam, n->name, pid, &n->lease)))
		return err;
	save_lease(n->home, n->name, &n->lease);
	return 0;
}

void ctr_bundle_net_detach(void *arg)
{
	struct ctr_bundle_net *n = arg;

	if (n->mode == CTR_NET_BRIDGE)
		ctr_net_bridge_detach(n->home->ipam, &n->lease);
}

void ctr_bundle_net_release(const struct ctr_home *h, const char *name)
{
	struct ctr_net_lease l;

	if (load_lease(h, name, &l) == 0)
		ctr_net_bridge_detach(h->ipam, &l);
}
