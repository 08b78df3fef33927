/*
 * A small write-back cache of cluster-sized qcow2 tables, least recently
 * used out. Tables stay in on-disk (big-endian) form, so writing one back is
 * one pwrite. Evicting a dirty L2 table first makes the refcount blocks
 * durable (see qcow2.h on ordering).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "block/qcow2.h"

int qcow2_cache_init(struct qcow2_cache *c, unsigned n, size_t size, bool is_l2)
{
	memset(c, 0, sizeof(*c));
	c->e = calloc(n, sizeof(*c->e));
	c->mem = host_buf_alloc((size_t)n * size);
	if (!c->e || !c->mem) {
		free(c->e);
		free(c->mem);
		c->e = NULL;
		c->mem = NULL;
		return error_set(-ENOMEM, "out of memory for a table cache of %u x %zu bytes", n,
				 size);
	}
	c->n = n;
	c->size = size;
	c->is_l2 = is_l2;
	return 0;
}

void qcow2_cache_destroy(struct qcow2_cache *c)
{
	free(c->e);
	free(c->mem);
	c->e = NULL;
	c->mem = NULL;
	c->n = 0;
}

static void *slot(struct qcow2_cache *c, unsigned i)
{
	return c->mem + (size_t)i * c->size;
}

static int write_entry(struct qcow2 *q, struct qcow2_cache *c, unsigned i)
{
	int err;

	if (c->is_l2) {
		/* an L2 table on disk must never point to clusters whose refcount is not */
		err = qcow2_flush_refblocks(q);
		if (err)
			return err;
	}
	err = qcow2_host_pwrite(q, c->e[i].offset, slot(c, i), c->size);
	if (err)
		return err;
	c->e[i].dirty = false;
	if (!c->is_l2)
		q->rb_unsynced = true;
	return 0;
}

int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool load,
		    void **table, unsigned *idx)
{
	unsigned i, victim = 0;
	int err;

	if (c->e[c->last].offset == off && off) {
		i = c->last;
		goto hit;
	}
	for (i = 0; i < c->n; i++)
		if (c->e[i].offset == off)
			goto hit;
	/* miss: the least recently used slot, empty ones first */
	for (i = 0; i < c->n; i++) {
		if (!c->e[i].offset) {
			victim = i;
			break;
		}
		if (c->e[i].lru < c->e[victim].lru)
			victim = i;
	}
	i = victim;
	if (c->e[i].offset && c->e[i].dirty) {
		err = write_entry(q, c, i);
		if (err)
			return err;
	}
	c->e[i].offset = 0;
	if (load) {
		err = host_file_pread(q->file, off, slot(c, i), c->size);
		if (err)
			return err;
	} else {
		memset(slot(c, i), 0, c->size);
	}
	c->e[i].offset = off;
	c->e[i].dirty = false;
	c->e[i].checked = !load;	/* a new table is zeros */
hit:
	c->e[i].lru = ++c->clock;
	c->last = i;
	*table = slot(c, i);
	if (idx)
		*idx = i;
	return 0;
}

void qcow2_cache_mark_dirty(struct qcow2_cache *c, unsigned idx)
{
	c->e[idx].dirty = true;
}

int qcow2_cache_flush(struct qcow2 *q, struct qcow2_cache *c, bool *wrote)
{
	unsigned i;
	int err;

	for (i = 0; i < c->n; i++) {
		if (!c->e[i].offset || !c->e[i].dirty)
			continue;
		err = write_entry(q, c, i);
		if (err)
			return err;
		if (wrote)
			*wrote = true;
	}
	return 0;
}

void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		if (c->e[i].offset == off) {
			c->e[i].offset = 0;
			c->e[i].dirty = false;
			c->e[i].lru = 0;
		}
	}
}

void qcow2_cache_drop_all(struct qcow2_cache *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		c->e[i].offset = 0;
		c->e[i].dirty = false;
		c->e[i].lru = 0;
	}
}
