#include "hw/virtio/virtio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "debug/trace.h"
#include "base/error.h"
#include "base/state.h"
#include "hw/guest-mem.h"

/* ring element sizes */
#define AVAIL_HDR	4	/* flags, idx */
#define USED_HDR	4
#define USED_ELEM	8	/* id, len */

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static size_t avail_size(uint16_t num)
{
	return AVAIL_HDR + 2u * num + 2;	/* + used_event */
}

static size_t used_size(uint16_t num)
{
	return USED_HDR + (size_t)USED_ELEM * num + 2;	/* + avail_event */
}

bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return (vd->driver_features >> bit) & 1;
}

void virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_ops *ops,
		     struct guest_mem *mem, uint64_t features, unsigned nqueues,
		     uint16_t queue_size)
{
	unsigned i;

	memset(vd, 0, sizeof(*vd));
	vd->ops = ops;
	vd->mem = mem;
	vd->features = features | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		       VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	vd->nqueues = nqueues > VIRTIO_MAX_QUEUES ? VIRTIO_MAX_QUEUES : nqueues;
	for (i = 0; i < vd->nqueues; i++) {
		vd->vq[i].num_max = queue_size;
		vd->vq[i].num = queue_size;
	}
}

void virtio_dev_reset(struct virtio_dev *vd)
{
	unsigned i;

	if (vd->ops->reset)
		vd->ops->reset(vd);
	vd->active = false;
	vd->driver_features = 0;
	__atomic_store_n(&vd->status, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < vd->nqueues; i++) {
		uint16_t max = vd->vq[i].num_max;

		memset(&vd->vq[i], 0, sizeof(vd->vq[i]));
		vd->vq[i].num_max = max;
		vd->vq[i].num = max;
	}
}

void virtio_dev_broken(struct virtio_dev *vd, const char *why)
{
	uint8_t old = __atomic_fetch_or(&vd->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_SEQ_CST);

	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return;
	fprintf(stderr, "gasang: %s: the guest driver broke the virtio rules (%s): "
		"device needs reset\n", vd->ops->name, why);
	if (vd->tr.interrupt)
		vd->tr.interrupt(vd->tr.opaque, VIRTIO_INT_CONFIG, 0);
}

void virtio_config_changed(struct virtio_dev *vd)
{
	__atomic_add_fetch(&vd->config_generation, 1, __ATOMIC_SEQ_CST);
	if (vd->tr.interrupt && (vd->status & VIRTIO_STATUS_DRIVER_OK))
		vd->tr.interrupt(vd->tr.opaque, VIRTIO_INT_CONFIG, 0);
}

static bool features_acceptable(const struct virtio_dev *vd)
{
	return !(vd->driver_features & ~vd->features) &&
	       virtio_has_feature(vd, VIRTIO_F_VERSION_1);
}

void virtio_set_status(struct virtio_dev *vd, uint8_t status)
{
	uint8_t old = vd->status;

	if (status == 0) {
		virtio_dev_reset(vd);
		return;
	}
	/* FEATURES_OK sticks only when we can live with the features */
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_acceptable(vd))
		status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	/* the driver cannot clear a bit (2.1.1), only a reset does; an I/O
	 * thread may set NEEDS_RESET meanwhile, so merge atomically */
	__atomic_fetch_or(&vd->status, status, __ATOMIC_SEQ_CST);
	status |= old;
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) && !vd->active) {
		if (!(status & VIRTIO_STATUS_FEATURES_OK)) {
			virtio_dev_broken(vd, "DRIVER_OK without FEATURES_OK");
			return;
		}
		if (vd->ops->activate && vd->ops->activate(vd) < 0) {
			virtio_dev_broken(vd, "the device could not start");
			return;
		}
		vd->active = true;
		/* kicks that came before DRIVER_OK were ignored: look at every queue */
		for (unsigned q = 0; q < vd->nqueues; q++)
			virtio_queue_notify(vd, q);
	}
}

bool virtio_queue_set_ready(struct virtio_dev *vd, unsigned qi, bool ready)
{
	struct virtq *q;

	if (qi >= vd->nqueues)
		return false;
	q = &vd->vq[qi];
	if (!ready) {
		/*
		 * A running device's queues stop only by a reset: its I/O thread may
		 * be inside the rings, and the driver reads QueueReady back as 1.
		 */
		if (vd->active)
			return false;
		q->ready = false;
		return true;
	}
	if (q->ready)
		return true;	/* already running: its indices stay */
	if (!q->num || q->num > q->num_max ||
	    (q->desc & (VIRTQ_DESC_SIZE - 1)) || (q->avail & 1) || (q->used & 3) ||
	    !guest_ram_ptr(vd->mem, q->desc, (uint64_t)VIRTQ_DESC_SIZE * q->num) ||
	    !guest_ram_ptr(vd->mem, q->avail, avail_size(q->num)) ||
	    !guest_ram_ptr(vd->mem, q->used, used_size(q->num)))
		return false;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;	/* the driver knows used idx 0 */
	q->signalled_valid = true;
	q->ready = true;
	return true;
}

void virtio_queue_notify(struct virtio_dev *vd, unsigned q)
{
	if (q < vd->nqueues && vd->vq[q].ready && vd->active && vd->ops->notify)
		vd->ops->notify(vd, q);
}

/* ---- ring access ---- */

static uint16_t *avail_ring(struct virtio_dev *vd, struct virtq *q)
{
	return guest_ram_ptr(vd->mem, q->avail, avail_size(q->num));
}

static uint8_t *used_ring(struct virtio_dev *vd, struct virtq *q)
{
	return guest_ram_ptr(vd->mem, q->used, used_size(q->num));
}

static uint16_t load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

static bool queue_usable(struct virtio_dev *vd, struct virtq *q)
{
	return q->ready && !(__atomic_load_n(&vd->status, __ATOMIC_SEQ_CST) &
			     VIRTIO_STATUS_NEEDS_RESET);
}

bool virtq_has_work(struct virtio_dev *vd, struct virtq *q)
{
	uint16_t *avail;

	if (!queue_usable(vd, q))
		return false;
	avail = avail_ring(vd, q);
	return avail && load16(&avail[1]) != q->last_avail;
}

static int broken(struct virtio_dev *vd, const char *why)
{
	virtio_dev_broken(vd, why);
	return -1;
}

static int add_buffer(struct virtio_dev *vd, struct virtq_elem *e, const struct vring_desc *d)
{
	void *p;

	if (!d->len)
		return 0;
	p = guest_ram_ptr(vd->mem, d->addr, d->len);
	if (!p)
		return broken(vd, "descriptor outside guest RAM");
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		e->in_num++;
		e->in_len += d->len;
	} else {
		if (e->in_num)
			return broken(vd, "readable descriptor after a writable one");
		e->out_num++;
		e->out_len += d->len;
	}
	if (e->out_num + e->in_num > e->cap)
		return broken(vd, "descriptor chain longer than the device accepts");
	e->iov[e->out_num + e->in_num - 1] = (struct iovec){ p, d->len };
	e->gpa[e->out_num + e->in_num - 1] = d->addr;
	return 0;
}

static void read_desc(const void *table, unsigned i, struct vring_desc *d)
{
	memcpy(d, (const uint8_t *)table + (size_t)i * VIRTQ_DESC_SIZE, sizeof(*d));
}

/* Walk an indirect table: its descriptors link among themselves only. */
static int walk_indirect(struct virtio_dev *vd, struct virtq_elem *e, const struct vring_desc *id)
{
	unsigned n = id->len / VIRTQ_DESC_SIZE, i = 0, seen = 0;
	const void *table;
	struct vring_desc d;

	if (!virtio_has_feature(vd, VIRTIO_F_INDIRECT_DESC))
		return broken(vd, "indirect descriptor without INDIRECT_DESC");
	if (!n || id->len % VIRTQ_DESC_SIZE || n > VIRTQ_MAX_SIZE)
		return broken(vd, "bad indirect table length");
	table = guest_ram_ptr(vd->mem, id->addr, id->len);
	if (!table)
		return broken(vd, "indirect table outside guest RAM");
	for (;;) {
		read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return broken(vd, "nested indirect table");
		if (add_buffer(vd, e, &d))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= n || ++seen >= n)
			return broken(vd, "indirect chain loops or leaves its table");
		i = d.next;
	}
}

/* --trace virtio: a request the driver made */
static void trace_request(struct virtio_dev *vd, struct virtq *q, const struct virtq_elem *e)
{
	struct trace_record r = { .event = TRACE_VIRTIO, .cpu = TRACE_CPU_NONE,
				  .priv = TRACE_PRIV_NONE };
	unsigned qi = (unsigned)(q - vd->vq);
	uint64_t sector = UINT64_MAX;
	const char *req = vd->ops->describe_request ?
			  vd->ops->describe_request(vd, qi, e, &sector) : NULL;

	r.args[0] = qi;
	r.args[1] = e->head;
	r.args[2] = e->out_num + e->in_num;
	r.args[3] = e->out_len;
	r.args[4] = e->in_len;
	if (sector != UINT64_MAX) {
		r.kind = TRACE_VIRTIO_BLOCK;
		r.args[5] = sector;
	}
	r.name = trace_name(vd->trace, vd->ops->name);
	r.detail = trace_name(vd->trace, req);
	trace_emit(vd->trace, &r);
}

/* A chain popped whole: 1, and traced when asked. */
static int popped(struct virtio_dev *vd, struct virtq *q, const struct virtq_elem *e)
{
	if (trace_wants(vd->trace, TRACE_VIRTIO))
		trace_request(vd, q, e);
	return 1;
}

int virtq_pop(struct virtio_dev *vd, struct virtq *q, struct virtq_elem *e)
{
	uint16_t *avail = avail_ring(vd, q), avail_idx, head;
	const void *table;
	struct vring_desc d;
	unsigned i, seen = 0;

	if (!queue_usable(vd, q))
		return -1;
	table = guest_ram_ptr(vd->mem, q->desc, (uint64_t)VIRTQ_DESC_SIZE * q->num);
	if (!avail || !table)
		return broken(vd, "rings outside guest RAM");
	avail_idx = load16(&avail[1]);
	if (avail_idx == q->last_avail) {
		/* empty: ask for a kick on the next buffer, then look once more */
		if (virtq_enable_kicks(vd, q))
			return 0;
		avail_idx = load16(&avail[1]);
	}
	if ((uint16_t)(avail_idx - q->last_avail) > q->num)
		return broken(vd, "avail index moved by more than the queue size");
	head = load16(&avail[2 + q->last_avail % q->num]);
	if (head >= q->num)
		return broken(vd, "avail ring names a descriptor past the table");
	q->last_avail++;

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	for (i = head;;) {
		read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* it ends the chain; direct descriptors may come before it */
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return broken(vd, "indirect descriptor inside a chain");
			return walk_indirect(vd, e, &d) ? -1 : popped(vd, q, e);
		}
		if (add_buffer(vd, e, &d))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return popped(vd, q, e);
		if (d.next >= q->num || ++seen >= q->num)
			return broken(vd, "descriptor chain loops or leaves the table");
		i = d.next;
	}
}

/* Tell the accelerator which guest RAM the device wrote (translated code). */
static void mark_written(struct virtio_dev *vd, const struct virtq_elem *e, uint32_t written)
{
	unsigned i;

	for (i = e->out_num; i < e->out_num + e->in_num && written; i++) {
		uint32_t n = e->iov[i].iov_len < written ? (uint32_t)e->iov[i].iov_len : written;

		guest_mem_dirty(vd->mem, e->gpa[i], n);
		written -= n;
	}
}

void virtq_push(struct virtio_dev *vd, struct virtq *q, const struct virtq_elem *e,
		uint32_t written)
{
	uint8_t *used = used_ring(vd, q);
	uint32_t elem[2];

	if (!used || !q->ready)
		return;
	if (written > e->in_len)
		written = (uint32_t)e->in_len;
	mark_written(vd, e, written);
	elem[0] = e->head;
	elem[1] = written;
	memcpy(used + USED_HDR + (size_t)USED_ELEM * (q->used_idx % q->num), elem, sizeof(elem));
	q->used_idx++;
	store16(used + 2, q->used_idx);
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void virtq_notify(struct virtio_dev *vd, struct virtq *q)
{
	uint16_t *avail = avail_ring(vd, q), old = q->signalled_used;
	bool valid = q->signalled_valid;

	if (!avail || !q->ready)
		return;
	if (valid && old == q->used_idx)
		return;	/* nothing used since the last look */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* used idx before reading the flags */
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	if (virtio_has_feature(vd, VIRTIO_F_EVENT_IDX)) {
		if (valid && !need_event(load16(&avail[2 + q->num]), q->used_idx, old))
			return;
	} else if (load16(&avail[0]) & VIRTQ_AVAIL_F_NO_INTERRUPT) {
		return;
	}
	if (vd->tr.interrupt)
		vd->tr.interrupt(vd->tr.opaque, VIRTIO_INT_USED, (unsigned)(q - vd->vq));
}

void virtq_disable_kicks(struct virtio_dev *vd, struct virtq *q)
{
	uint8_t *used = used_ring(vd, q);

	if (!used || virtio_has_feature(vd, VIRTIO_F_EVENT_IDX))
		return;	/* with EVENT_IDX, avail_event simply stays behind */
	store16(used, VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_enable_kicks(struct virtio_dev *vd, struct virtq *q)
{
	uint8_t *used = used_ring(vd, q);

	if (!used)
		return true;
	if (virtio_has_feature(vd, VIRTIO_F_EVENT_IDX))
		store16(used + USED_HDR + (size_t)USED_ELEM * q->num, q->last_avail);
	else
		store16(used, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* flag before re-reading avail idx */
	return !virtq_has_work(vd, q);
}

/* ---- saved state ---- */

#define DEV_STATE_MAX	(1u << 20)	/* a device's own state, as saved */

void virtio_dev_quiesce(struct virtio_dev *vd)
{
	if (vd->ops->quiesce)
		vd->ops->quiesce(vd);
}

void virtio_dev_unquiesce(struct virtio_dev *vd)
{
	if (vd->ops->unquiesce)
		vd->ops->unquiesce(vd);
}

void virtio_dev_save(struct virtio_dev *vd, struct state_out *o)
{
	struct state_out dev;
	unsigned i;

	state_put_u32(o, vd->ops->device_id);
	state_put_u64(o, vd->features);
	state_put_u64(o, vd->driver_features);
	state_put_u8(o, __atomic_load_n(&vd->status, __ATOMIC_SEQ_CST));
	state_put_u32(o, __atomic_load_n(&vd->config_generation, __ATOMIC_SEQ_CST));
	state_put_u8(o, vd->active);
	state_put_u32(o, vd->nqueues);
	for (i = 0; i < vd->nqueues; i++) {
		const struct virtq *q = &vd->vq[i];

		state_put_u16(o, q->num);
		state_put_u8(o, q->ready);
		state_put_u64(o, q->desc);
		state_put_u64(o, q->avail);
		state_put_u64(o, q->used);
		state_put_u16(o, q->last_avail);
		state_put_u16(o, q->used_idx);
		state_put_u16(o, q->signalled_used);
		state_put_u8(o, q->signalled_valid);
	}
	/* the device's own part, with its length: a reader of its own */
	state_out_init(&dev);
	if (vd->ops->save) {
		int err = vd->ops->save(vd, &dev);

		if (err && !o->err)
			o->err = err;
	}
	if (dev.err && !o->err)
		o->err = dev.err;
	state_put_u32(o, (uint32_t)dev.len);
	if (dev.len)
		state_put_bytes(o, dev.buf, dev.len);
	state_out_free(&dev);
}

static int queue_load(struct virtio_dev *vd, struct virtq *q, struct state_in *in)
{
	q->num = state_get_u16(in);
	q->ready = state_get_bool(in);
	q->desc = state_get_u64(in);
	q->avail = state_get_u64(in);
	q->used = state_get_u64(in);
	q->last_avail = state_get_u16(in);
	q->used_idx = state_get_u16(in);
	q->signalled_used = state_get_u16(in);
	q->signalled_valid = state_get_bool(in);
	if (in->err)
		return in->err;
	if (!q->num || q->num > q->num_max)
		return state_bad(in, "a queue's size");
	/* a live queue's rings are where set_ready would have taken them */
	if (q->ready && ((q->desc & (VIRTQ_DESC_SIZE - 1)) || (q->avail & 1) || (q->used & 3) ||
			 !guest_ram_ptr(vd->mem, q->desc, (uint64_t)VIRTQ_DESC_SIZE * q->num) ||
			 !guest_ram_ptr(vd->mem, q->avail, avail_size(q->num)) ||
			 !guest_ram_ptr(vd->mem, q->used, used_size(q->num))))
		return state_bad(in, "a queue's rings");
	return 0;
}

int virtio_dev_load(struct virtio_dev *vd, struct state_in *in)
{
	struct state_in dev;
	uint32_t id, n, len;
	unsigned i;
	int err;

	id = state_get_u32(in);
	if (!in->err && id != vd->ops->device_id)
		return error_set(-EINVAL, "the state file has a device of type %u where this VM "
				 "has %s: run with the same devices, in the same order", id,
				 vd->ops->name);
	if (state_get_u64(in) != vd->features && !in->err)
		return error_set(-EINVAL, "%s: the saved device offered other features than "
				 "this one (another read-only setting, or another gasang)",
				 vd->ops->name);
	vd->driver_features = state_get_u64(in);
	if (vd->driver_features & ~vd->features)
		return state_bad(in, "the driver's features");
	vd->status = state_get_u8(in);
	vd->config_generation = state_get_u32(in);
	vd->active = state_get_bool(in);
	n = state_get_u32(in);
	if (!in->err && n != vd->nqueues)
		return state_bad(in, "the number of queues");
	for (i = 0; i < vd->nqueues && !in->err; i++) {
		err = queue_load(vd, &vd->vq[i], in);
		if (err)
			return err;
	}
	if (vd->active && !(vd->status & VIRTIO_STATUS_DRIVER_OK))
		return state_bad(in, "a running device's status");
	len = state_get_u32(in);
	if (in->err)
		return in->err;
	if (len > DEV_STATE_MAX || len > in->len - in->off)
		return state_bad(in, "the device's own state length");
	state_in_init(&dev, in->p + in->off, len, vd->ops->name);
	in->off += len;
	if (vd->ops->load) {
		err = vd->ops->load(vd, &dev);
		if (err)
			return err;
	} else {
		err = state_in_end(&dev);
		if (err)
			return err;
	}
	return 0;
}

int virtio_dev_post_load(struct virtio_dev *vd)
{
	unsigned q;

	if (!vd->active)
		return 0;
	vd->active = false;
	if (vd->ops->activate && vd->ops->activate(vd) < 0)
		return error_set(-EIO, "%s: cannot start the restored device", vd->ops->name);
	vd->active = true;
	/* buffers the driver posted before the save: look at every queue */
	for (q = 0; q < vd->nqueues; q++)
		virtio_queue_notify(vd, q);
	return 0;
}
