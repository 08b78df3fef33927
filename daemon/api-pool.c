/*
 * Storage pools' ops (docs/API.md, "Storage pools"): pool-define,
 * pool-destroy, pool-list, pool-info, and their volumes': vol-create,
 * vol-clone, vol-resize, vol-delete, vol-list, vol-info. A volume that a
 * definition names as a disk, or that another volume is an overlay of, is
 * in use: it is not deleted, and its pool is not forgotten.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/escape.h"
#include "daemon/api-call.h"
#include "daemon/child-run.h"
#include "daemon/daemon.h"
#include "daemon/def-field.h"
#include "daemon/events.h"
#include "daemon/log.h"
#include "daemon/pool.h"
#include "daemon/request.h"
#include "daemon/server.h"
#include "daemon/store.h"

#define KIND		"pool"
#define CLONE_OUTPUT_MAX	(16u << 10)	/* the converter's message, not a transcript */

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static struct pool *pool_named(struct daemon *d, const char *name)
{
	return (struct pool *)obj_find(&d->pools, name);
}

/* The pool "pool" (or "name") names; not-found answered when there is none. */
static struct pool *named(struct call *k, const char *key)
{
	const char *name;
	struct pool *p;

	if (request_string(&k->rq, key, true, &name, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return NULL;
	}
	p = pool_named(k->d, name);
	if (!p)
		reply_now_error(k, E_NOT_FOUND, "no pool named '%.64s'", name);
	return p;
}

/* A volume name argument, checked as a name (a path is refused naming the field). */
static const char *volume_arg(struct call *k, const char *key)
{
	const char *v;

	if (request_string(&k->rq, key, true, &v, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return NULL;
	}
	if (pool_volume_name_check(v, key)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		return NULL;
	}
	return v;
}

/* The definitions with a disk on volume (NULL: any of the pool's), into buf; how many. */
static size_t volume_users(const struct daemon *d, const struct pool *p, const char *volume,
			   char *buf, size_t len)
{
	char ref[2 * DEF_NAME_MAX + 2];
	size_t i, k, n = 0, plen = strlen(p->h.name);
	json_t *disk;

	buf[0] = '\0';
	snprintf(ref, sizeof(ref), "%s/%s", p->h.name, volume ? volume : "");
	for (i = 0; i < d->vms.n; i++) {
		const struct domain *dom = d->vms.doms[i];

		json_array_foreach(json_object_get(dom->def, "disks"), k, disk) {
			const char *v = str(disk, "volume");

			if (!v || (volume ? strcmp(v, ref) : strncmp(v, ref, plen + 1)))
				continue;
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", n ? ", " : "", dom->name);
			n++;
			break;
		}
	}
	return n;
}

/* Log a pool's event (a volume's, with volume); sent once stored. */
static void pool_event(struct daemon *d, const struct pool *p, const char *type, const char *volume)
{
	struct event_vm about = { .name = p->h.name, .uuid = p->h.uuid, .state = "active",
				  .reason = type, .kind = KIND };
	char *line = events_log(&d->events, &about, type,
				volume ? json_pack("{s:s}", "volume", volume) : NULL);

	events_send(&d->events, p->h.name, line);
	log_info("pool %s: %s%s%s", p->h.name, type, volume ? " " : "", volume ? volume : "");
}

/* ---- pools ---- */

/* Two pools in one directory, or one in another's: their volumes would mix. */
static int check_nested(const struct daemon *d, const json_t *def)
{
	const char *path = str(def, "path");
	size_t i, n = strlen(path);

	for (i = 0; i < d->pools.n; i++) {
		const struct pool *p = (const struct pool *)d->pools.v[i];
		size_t m = strlen(p->path);

		if ((!strncmp(p->path, path, n) && (p->path[n] == '/' || !p->path[n])) ||
		    (!strncmp(path, p->path, m) && path[m] == '/'))
			return def_bad("path", "'%s' is in pool %s's directory, or holds it (%s)", path,
				       p->h.name, p->path);
	}
	return 0;
}

static void op_pool_define(struct call *k)
{
	struct daemon *d = k->d;
	json_t *doc = json_object_get(k->rq.msg, "definition"), *norm;
	struct store_object so = { .kind = KIND };
	struct pool *p;
	char *text;
	int err;

	if (!doc) {
		reply_now_error(k, E_BAD_REQUEST, "op 'pool-define' needs \"definition\"");
		return;
	}
	if (pool_def_normalize(doc, &norm)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		return;
	}
	if (obj_find(&d->pools, str(norm, "name")) || obj_find_uuid(&d->pools, str(norm, "uuid"))) {
		reply_now_error(k, E_EXISTS, "a pool named '%s' or with uuid %s is already defined",
				str(norm, "name"), str(norm, "uuid"));
		json_decref(norm);
		return;
	}
	if (check_nested(d, norm) || pool_def_check_host(norm)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		json_decref(norm);
		return;
	}
	p = pool_new(norm);
	text = json_dumps(norm, JSON_COMPACT);
	if (!p || !text) {
		reply_now_error(k, E_FAILED, "out of memory");
		free(text);
		if (p)
			pool_free(p);
		else
			json_decref(norm);
		return;
	}
	so.name = p->h.name;
	so.uuid = p->h.uuid;
	so.definition = text;
	err = api_object_define(d, &so, "active");
	free(text);
	if (!err)
		err = obj_add(&d->pools, &p->h);
	if (err) {
		reply_now_error(k, err == -EEXIST ? E_EXISTS : E_FAILED, "%s", error_msg());
		pool_free(p);
		return;
	}
	reply_now_ok(k, json_pack("{s:s,s:s}", "name", p->h.name, "uuid", p->h.uuid));
}

static void op_pool_destroy(struct call *k)
{
	struct daemon *d = k->d;
	struct pool *p = named(k, "name");
	char users[512];

	if (!p)
		return;
	if (volume_users(d, p, NULL, users, sizeof(users))) {
		reply_now_error(k, E_WRONG_STATE, "pool %s has volumes in the definitions of %s",
				p->h.name, users);
		return;
	}
	if (api_object_undefine(d, &(struct store_object){ .kind = KIND, .name = p->h.name,
							   .uuid = p->h.uuid }, "active")) {
		reply_now_error(k, E_FAILED, "%s", error_msg());
		return;
	}
	obj_remove(&d->pools, &p->h);
	pool_free(p);
	reply_now_ok(k, NULL);
}

static void op_pool_list(struct call *k)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < k->d->pools.n; i++)
		json_array_append_new(list, pool_summary((struct pool *)k->d->pools.v[i]));
	reply_now_ok(k, json_pack("{s:o}", "pools", list));
}

static void op_pool_info(struct call *k)
{
	struct pool *p = named(k, "name");
	json_t *info;

	if (!p)
		return;
	info = pool_info(p);
	if (!info)
		reply_now_error(k, E_FAILED, "%s", error_msg());
	else
		reply_now_ok(k, info);
}

/* ---- volumes ---- */

static bool get_size(struct call *k, uint64_t *size)
{
	json_t *v = json_object_get(k->rq.msg, "size");

	*size = 0;
	if (v && def_get_size(v, "size", 0, 1, POOL_VOLUME_MAX_SIZE, size)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		return false;
	}
	return true;
}

static void op_vol_create(struct call *k)
{
	struct pool *p = named(k, "pool");
	struct pool_volume_create c = { 0 };
	int err;

	if (!p || !(c.name = volume_arg(k, "name")) || !get_size(k, &c.size))
		return;
	if (request_string(&k->rq, "format", false, &c.format, k->msg, sizeof(k->msg)) ||
	    request_string(&k->rq, "backing", false, &c.backing, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	err = pool_volume_create(p, &c);
	if (err) {
		reply_now_error(k, err == -EEXIST ? E_EXISTS : err == -EINVAL ? E_INVALID : E_FAILED,
				"%s", error_msg());
		return;
	}
	pool_event(k->d, p, "volume-created", c.name);
	reply_now_ok(k, pool_volume_info(p, c.name));
}

static void op_vol_delete(struct call *k)
{
	struct pool *p = named(k, "pool");
	const char *name;
	char users[512];
	int err;

	if (!p || !(name = volume_arg(k, "name")))
		return;
	if (volume_users(k->d, p, name, users, sizeof(users))) {
		reply_now_error(k, E_WRONG_STATE, "volume %s/%s is in use by %s", p->h.name, name,
				users);
		return;
	}
	if (!pool_volume_backing_user(p, name, users, sizeof(users))) {
		reply_now_error(k, E_WRONG_STATE, "volume %s/%s is the backing file of %s/%s",
				p->h.name, name, p->h.name, users);
		return;
	}
	err = pool_volume_delete(p, name);
	if (err) {
		reply_now_error(k, err == -ENOENT ? E_NOT_FOUND : E_FAILED, "%s", error_msg());
		return;
	}
	pool_event(k->d, p, "volume-deleted", name);
	reply_now_ok(k, NULL);
}

static void op_vol_resize(struct call *k)
{
	struct pool *p = named(k, "pool");
	const char *name;
	bool shrink = false;
	uint64_t size;
	int err;

	if (!p || !(name = volume_arg(k, "name")) || !get_size(k, &size))
		return;
	if (!size || request_bool(&k->rq, "shrink", &shrink, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "op 'vol-resize' needs \"size\"; \"shrink\" is true "
				"or false");
		return;
	}
	err = pool_volume_resize(p, name, size, shrink);
	if (err) {
		reply_now_error(k, err == -EINVAL ? E_INVALID : err == -EBUSY ? E_WRONG_STATE :
				err == -ENOENT ? E_NOT_FOUND : E_FAILED, "%s", error_msg());
		return;
	}
	pool_event(k->d, p, "volume-resized", name);
	reply_now_ok(k, pool_volume_info(p, name));
}

static void op_vol_info(struct call *k)
{
	struct pool *p = named(k, "pool");
	const char *name;
	char users[512];
	json_t *info;

	if (!p || !(name = volume_arg(k, "name")))
		return;
	info = pool_volume_info(p, name);
	if (!info) {
		reply_now_error(k, E_NOT_FOUND, "%s", error_msg());
		return;
	}
	volume_users(k->d, p, name, users, sizeof(users));
	json_object_set_new(info, "used_by", json_string(users));
	json_object_set_new(info, "pool", json_string(p->h.name));
	reply_now_ok(k, info);
}

static void op_vol_list(struct call *k)
{
	struct pool *p = named(k, "pool");
	json_t *vols;

	if (!p)
		return;
	vols = pool_volumes(p);
	if (!vols)
		reply_now_error(k, E_FAILED, "%s", error_msg());
	else
		reply_now_ok(k, json_pack("{s:o}", "volumes", vols));
}

/* A clone is `gasang img convert` in a helper: answered when it is done. */
struct clone_call {
	struct daemon *d;
	struct reply_to *r;
	char pool[DEF_NAME_MAX + 1], name[DEF_NAME_MAX + 1];
	char dest[PATH_MAX];
};

static void clone_done(void *opaque, const struct child_result *res)
{
	struct clone_call *x = opaque;
	struct pool *p = pool_named(x->d, x->pool);
	char *msg = str_utf8_lossy(res->err, res->err_len);

	if (WIFEXITED(res->wstatus) && !WEXITSTATUS(res->wstatus) && p) {
		pool_event(x->d, p, "volume-created", x->name);
		reply_ok(x->r, pool_volume_info(p, x->name));
	} else {
		unlink(x->dest);
		reply_error(x->r, E_FAILED, "cannot clone into %s/%s: %s", x->pool, x->name,
			    msg && *msg ? msg : p ? "the copy failed" : "its pool is gone");
	}
	free(msg);
	free(x);
}

static void op_vol_clone(struct call *k)
{
	struct pool *p = named(k, "pool");
	const char *name, *target, *format = NULL;
	char src[PATH_MAX], *argv[8];
	struct clone_call *x;
	json_t *info;
	int fd;

	if (!p || !(name = volume_arg(k, "name")) || !(target = volume_arg(k, "target")))
		return;
	if (request_string(&k->rq, "format", false, &format, k->msg, sizeof(k->msg)) ||
	    (format && strcmp(format, "qcow2") && strcmp(format, "raw"))) {
		reply_now_error(k, E_BAD_REQUEST, "\"format\" is \"qcow2\" or \"raw\"");
		return;
	}
	info = pool_volume_info(p, name);
	x = info ? calloc(1, sizeof(*x)) : NULL;
	if (!x || pool_volume_path(p, name, src, sizeof(src))) {
		reply_now_error(k, info ? E_FAILED : E_NOT_FOUND, "%s", info ? "out of memory" : error_msg());
		json_decref(info);
		free(x);
		return;
	}
	if (!format)
		format = str(info, "format");
	x->d = k->d;
	snprintf(x->pool, sizeof(x->pool), "%s", p->h.name);
	snprintf(x->name, sizeof(x->name), "%s", target);
	if (pool_volume_new_path(p, target, x->dest, sizeof(x->dest))) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		json_decref(info);
		free(x);
		return;
	}
	/* the name taken now, so no second clone or create writes there meanwhile */
	fd = open(x->dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		reply_now_error(k, errno == EEXIST ? E_EXISTS : E_FAILED, "%s/%s: %s", p->h.name,
				target, errno == EEXIST ? "a volume of that name exists" : strerror(errno));
		json_decref(info);
		free(x);
		return;
	}
	close(fd);
	argv[0] = k->d->cfg.gasang;
	argv[1] = "img";
	argv[2] = "convert";
	argv[3] = "-O";
	argv[4] = (char *)format;
	argv[5] = src;
	argv[6] = x->dest;
	argv[7] = NULL;
	x->r = reply_later(k);
	if (!x->r || child_run(&k->d->loop, argv, 0, CLONE_OUTPUT_MAX, clone_done, x)) {
		if (x->r)
			reply_error(x->r, E_FAILED, "%s", error_msg());
		unlink(x->dest);
		free(x);
	}
	json_decref(info);
}

static const char *const name_only[] = { "name", NULL };

const struct api_op api_pool_ops[] = {
	{ "pool-define", 0, (const char *const[]){ "definition", NULL }, op_pool_define },
	{ "pool-destroy", 0, name_only, op_pool_destroy },
	{ "pool-list", OP_READONLY, (const char *const[]){ NULL }, op_pool_list },
	{ "pool-info", OP_READONLY, name_only, op_pool_info },
	{ "vol-create", 0, (const char *const[]){ "pool", "name", "size", "format", "backing", NULL },
	  op_vol_create },
	{ "vol-clone", 0, (const char *const[]){ "pool", "name", "target", "format", NULL },
	  op_vol_clone },
	{ "vol-resize", 0, (const char *const[]){ "pool", "name", "size", "shrink", NULL },
	  op_vol_resize },
	{ "vol-delete", 0, (const char *const[]){ "pool", "name", NULL }, op_vol_delete },
	{ "vol-list", OP_READONLY, (const char *const[]){ "pool", NULL }, op_vol_list },
	{ "vol-info", OP_READONLY, (const char *const[]){ "pool", "name", NULL }, op_vol_info },
	{ NULL, 0, NULL, NULL },
};
