/*
 * Storage pools: a directory of volumes (docs/API.md, "Storage pools").
 * A volume is a file directly in its pool's directory, named as a VM is
 * (letters, digits, '.', '_', '-', starting with a letter or digit: no '/',
 * no ".."), an ordinary qcow2 (the default) or raw image that qemu-img
 * reads; a qcow2 volume may be an overlay of another volume of the pool,
 * its backing file recorded by name (relative, beside it). Everything a
 * volume operation opens is checked to be a regular file in the pool's
 * directory, never a symlink leading out of it.
 *
 * The block layer does the work: block_create, block_resize, the image's
 * info; a clone is a copy made by `gasang img convert` in a helper process
 * (daemon/child-run.h), so a big one holds up nothing.
 */
#ifndef DAEMON_POOL_H
#define DAEMON_POOL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/obj-table.h"

#define POOL_VOLUME_MAX_SIZE	(1ull << 50)	/* 1 PiB: past the block layer's sane range */

struct pool {
	struct obj_head h;		/* first: its name and uuid */
	json_t *def;			/* normalized */
	char path[PATH_MAX];		/* its directory, as defined (absolute) */
};

/*
 * {"name", "uuid", "type": "dir", "path": ABS}: checked, defaults filled in;
 * -EINVAL naming the field.
 */
int pool_def_normalize(const json_t *doc, json_t **out);
/* The directory: made (0711) if its parent is there; -EINVAL naming "path" otherwise. */
int pool_def_check_host(const json_t *def);

struct pool *pool_new(json_t *def);
void pool_free(struct pool *p);

json_t *pool_summary(const struct pool *p);
/* The summary with the file system's capacity and free space, and the volumes' total. */
json_t *pool_info(const struct pool *p);

/* A volume's name: as def_name_valid (no '/', no ".."), or -EINVAL naming field. */
int pool_volume_name_check(const char *name, const char *field);
/* PATH/NAME for a volume name (checked), whether or not it is there. */
int pool_volume_new_path(const struct pool *p, const char *name, char *buf, size_t n);
/* Where the volume is: PATH/NAME (name checked); -ENOENT when there is no such regular file. */
int pool_volume_path(const struct pool *p, const char *name, char *buf, size_t n);

struct pool_volume_create {
	const char *name;
	uint64_t size;			/* 0: the backing volume's */
	const char *format;		/* "qcow2" (NULL) or "raw" */
	const char *backing;		/* a volume of the pool, or NULL */
};

/* Make a volume; -EEXIST when the name is taken, -EINVAL naming the field. */
int pool_volume_create(const struct pool *p, const struct pool_volume_create *c);
/* {"name", "format", "capacity", "allocation", "backing"}; NULL with a message. */
json_t *pool_volume_info(const struct pool *p, const char *name);
/* Every volume of the pool: an array of pool_volume_info's. */
json_t *pool_volumes(const struct pool *p);
/* The volume another one of the pool is an overlay of (into by, 0), or -ENOENT. */
int pool_volume_backing_user(const struct pool *p, const char *name, char *by, size_t n);
/* New size; a smaller one only with shrink. -EBUSY while a VM holds it. */
int pool_volume_resize(const struct pool *p, const char *name, uint64_t size, bool shrink);
/* Remove the file (the caller checked that nothing uses it). */
int pool_volume_delete(const struct pool *p, const char *name);

#endif
