#include "daemon/pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/error.h"
#include "block/block.h"
#include "daemon/def-field.h"
#include "daemon/definition.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- definitions ---- */

int pool_def_normalize(const json_t *doc, json_t **out)
{
	static const char *const keys[] = { "name", "uuid", "type", "path", NULL };
	static const char *const types[] = { "dir", NULL };
	const char *name, *type = "dir", *path = NULL;
	char uuid[DEF_UUID_LEN + 1], clean[PATH_MAX];
	size_t n;
	int err;

	*out = NULL;
	if (!json_is_object(doc))
		return error_set(-EINVAL, "definition: expected a JSON object");
	if ((err = def_check_keys(doc, keys, "")) || (err = def_get_identity(doc, &name, uuid)) ||
	    (err = def_get_choice(json_object_get(doc, "type"), "type", types, &type)) ||
	    (err = def_get_path(json_object_get(doc, "path"), "path", true, &path)))
		return err;
	if (!path)
		return def_bad("path", "required: the pool's directory");
	/* one spelling of it: no trailing '/', no "//", no "." or ".." to climb out of a check */
	snprintf(clean, sizeof(clean), "%s", path);
	while ((n = strlen(clean)) > 1 && clean[n - 1] == '/')
		clean[--n] = '\0';
	if (strstr(clean, "/../") || strstr(clean, "/./") || strstr(clean, "//") ||
	    (n >= 3 && !strcmp(clean + n - 3, "/..")) || (n >= 2 && !strcmp(clean + n - 2, "/.")))
		return def_bad("path", "'%.200s': no '.' or '..' components", path);
	if (!strcmp(clean, "/"))
		return def_bad("path", "the host's / cannot be a pool");
	*out = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "uuid", uuid, "type", type, "path", clean);
	return *out ? 0 : error_set(-ENOMEM, "out of memory");
}

int pool_def_check_host(const json_t *def)
{
	const char *path = str(def, "path");
	struct stat st;

	if (!stat(path, &st))
		return S_ISDIR(st.st_mode) ? 0 : def_bad("path", "'%.200s' is not a directory", path);
	if (errno != ENOENT || mkdir(path, 0711))
		return def_bad("path", "'%.200s': %s", path, strerror(errno));
	return 0;
}

struct pool *pool_new(json_t *def)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->def = def;
	snprintf(p->h.name, sizeof(p->h.name), "%s", str(def, "name"));
	snprintf(p->h.uuid, sizeof(p->h.uuid), "%s", str(def, "uuid"));
	snprintf(p->path, sizeof(p->path), "%s", str(def, "path"));
	return p;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	json_decref(p->def);
	free(p);
}

/* ---- volumes ---- */

int pool_volume_name_check(const char *name, const char *field)
{
	if (!def_name_valid(name))
		return def_bad(field, "'%.64s' is not a volume name (up to 64 letters, digits, '.', "
			       "'_' or '-', starting with a letter or digit: a file in the pool's "
			       "directory, never a path)", name);
	return 0;
}

int pool_volume_new_path(const struct pool *p, const char *name, char *buf, size_t n)
{
	int err = pool_volume_name_check(name, "name");

	if (err)
		return err;
	if (snprintf(buf, n, "%s/%s", p->path, name) >= (int)n)
		return error_set(-ENAMETOOLONG, "%s/%s: too long", p->path, name);
	return 0;
}

int pool_volume_path(const struct pool *p, const char *name, char *buf, size_t n)
{
	struct stat st;
	int err = pool_volume_new_path(p, name, buf, n);

	if (err)
		return err;
	/* a regular file of its own: a symlink put there leads nowhere we follow */
	if (lstat(buf, &st))
		return error_errno(-errno, "no volume '%s' in pool %s", name, p->h.name);
	if (!S_ISREG(st.st_mode))
		return error_set(-ENOENT, "'%s' in pool %s is not a volume (not a regular file)", name,
				 p->h.name);
	return 0;
}

static int volume_open(const struct pool *p, const char *name, bool writable,
		       struct block_dev **bd)
{
	struct block_open_opts o = { .read_only = !writable, .no_backing = !writable };
	char path[PATH_MAX];
	int err = pool_volume_path(p, name, path, sizeof(path));

	return err ? err : block_open(bd, path, &o);
}

int pool_volume_create(const struct pool *p, const struct pool_volume_create *c)
{
	struct block_create_opts o = { 0 };
	const char *format = c->format ? c->format : "qcow2";
	char path[PATH_MAX], bpath[PATH_MAX];
	struct block_dev *b;
	uint64_t size = c->size;
	struct stat st;
	int err;

	if ((err = pool_volume_new_path(p, c->name, path, sizeof(path))))
		return err;
	if (strcmp(format, "qcow2") && strcmp(format, "raw"))
		return def_bad("format", "'%.32s' is not qcow2 or raw", format);
	if (!lstat(path, &st))
		return error_set(-EEXIST, "pool %s has a volume '%s' already", p->h.name, c->name);
	if (c->backing) {
		if ((err = pool_volume_name_check(c->backing, "backing")))
			return err;
		if (strcmp(format, "qcow2"))
			return def_bad("backing", "an overlay is a qcow2 volume");
		if (pool_volume_path(p, c->backing, bpath, sizeof(bpath)))
			return def_bad("backing", "no volume '%.64s' in pool %s", c->backing, p->h.name);
		if ((err = volume_open(p, c->backing, false, &b)))
			return def_bad("backing", "%s", error_msg());
		if (!size)
			size = b->size;
		/* recorded by name, beside it: the pair moves together, as qemu-img reads it */
		o.backing_file = c->backing;
		o.backing_format = b->drv->name;
		err = block_create(path, format, size, &o);
		block_close(b);
	} else {
		if (!size)
			return def_bad("size", "required: the volume's size (or a backing volume)");
		err = block_create(path, format, size, &o);
	}
	if (err)
		unlink(path);
	return err;
}

static json_t *info_of(struct block_dev *bd, const char *name, const char *path)
{
	struct block_info bi;
	struct stat st;

	block_get_info(bd, &bi);
	if (stat(path, &st))
		st.st_blocks = 0;
	return json_pack("{s:s,s:s,s:I,s:I,s:s?}", "name", name, "format", bi.format,
			 "capacity", (json_int_t)bi.virtual_size,
			 "allocation", (json_int_t)st.st_blocks * 512, "backing", bi.backing_file);
}

json_t *pool_volume_info(const struct pool *p, const char *name)
{
	struct block_dev *bd;
	char path[PATH_MAX];
	json_t *o;

	if (pool_volume_path(p, name, path, sizeof(path)) || volume_open(p, name, false, &bd))
		return NULL;
	o = info_of(bd, name, path);
	block_close(bd);
	if (!o)
		error_set(-ENOMEM, "out of memory");
	return o;
}

/* fn for each volume-like file (a regular file with a volume's name) of the pool. */
static int each_volume(const struct pool *p, int (*fn)(void *opaque, const char *name),
		       void *opaque)
{
	DIR *d = opendir(p->path);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return error_errno(-errno, "pool %s: cannot read %s", p->h.name, p->path);
	while (!ret && (e = readdir(d)))
		if ((e->d_type == DT_REG || e->d_type == DT_UNKNOWN) && def_name_valid(e->d_name))
			ret = fn(opaque, e->d_name);
	closedir(d);
	return ret;
}

static int add_info(void *opaque, const char *name)
{
	struct { const struct pool *p; json_t *list; } *a = opaque;
	json_t *o = pool_volume_info(a->p, name);

	size_t at = 0;

	/* a file the block layer cannot open is not a volume: left out; the rest by name */
	if (o) {
		while (at < json_array_size(a->list) &&
		       strcmp(str(json_array_get(a->list, at), "name"), name) < 0)
			at++;
		json_array_insert_new(a->list, at, o);
	}
	error_clear();
	return 0;
}

json_t *pool_volumes(const struct pool *p)
{
	struct { const struct pool *p; json_t *list; } a = { p, json_array() };

	if (each_volume(p, add_info, &a)) {
		json_decref(a.list);
		return NULL;
	}
	return a.list;
}

struct backing_search {
	const struct pool *p;
	const char *name;
	char *by;
	size_t n;
};

static int is_backing_of(void *opaque, const char *name)
{
	struct backing_search *s = opaque;
	json_t *o = pool_volume_info(s->p, name);
	const char *b = o ? str(o, "backing") : NULL;
	int hit = b && !strcmp(b, s->name);

	if (hit)
		snprintf(s->by, s->n, "%s", name);
	json_decref(o);
	error_clear();
	return hit;
}

int pool_volume_backing_user(const struct pool *p, const char *name, char *by, size_t n)
{
	struct backing_search s = { p, name, by, n };
	int r = each_volume(p, is_backing_of, &s);

	return r > 0 ? 0 : r < 0 ? r : -ENOENT;
}

int pool_volume_resize(const struct pool *p, const char *name, uint64_t size, bool shrink)
{
	struct block_dev *bd;
	int err;

	if (!size || size > POOL_VOLUME_MAX_SIZE)
		return def_bad("size", "from 1 byte to 1 PiB");
	if ((err = volume_open(p, name, true, &bd)))
		return err;
	if (size < bd->size && !shrink)
		err = def_bad("size", "%llu bytes is smaller than the volume (%llu): shrinking needs "
			      "\"shrink\": true", (unsigned long long)size,
			      (unsigned long long)bd->size);
	else if (size != bd->size && !(err = block_resize(bd, size)))
		err = block_flush(bd);
	block_close(bd);
	return err;
}

int pool_volume_delete(const struct pool *p, const char *name)
{
	char path[PATH_MAX];
	int err = pool_volume_path(p, name, path, sizeof(path));

	if (err)
		return err;
	if (unlink(path))
		return error_errno(-errno, "cannot remove %s", path);
	return 0;
}

/* ---- what it says of itself ---- */

json_t *pool_summary(const struct pool *p)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "name", p->h.name, "uuid", p->h.uuid, "type",
			 str(p->def, "type"), "path", p->path);
}

json_t *pool_info(const struct pool *p)
{
	json_t *o = pool_summary(p), *vols = pool_volumes(p), *v;
	json_int_t allocation = 0;
	struct statvfs fs;
	size_t i;

	if (!o || !vols) {
		json_decref(o);
		json_decref(vols);
		return NULL;
	}
	json_array_foreach(vols, i, v)
		allocation += json_integer_value(json_object_get(v, "allocation"));
	if (!statvfs(p->path, &fs)) {
		json_object_set_new(o, "capacity", json_integer((json_int_t)(fs.f_blocks * fs.f_frsize)));
		json_object_set_new(o, "available", json_integer((json_int_t)(fs.f_bavail * fs.f_frsize)));
	}
	json_object_set_new(o, "allocation", json_integer(allocation));
	json_object_set_new(o, "volumes", vols);
	return o;
}
