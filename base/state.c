#include "base/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

int state_list_add(struct state_list *l, const struct state_ops *ops, void *obj,
		   uint32_t instance)
{
	unsigned i;

	if (l->n == STATE_LIST_MAX)
		return error_set(-ENOSPC, "more than %u sections of state", STATE_LIST_MAX);
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].ops->name, ops->name) && l->e[i].instance == instance)
			return error_set(-EEXIST, "two sections of state named %s #%u", ops->name,
					 instance);
	l->e[l->n++] = (struct state_entry){ ops, obj, instance };
	return 0;
}

void state_out_init(struct state_out *o)
{
	memset(o, 0, sizeof(*o));
}

void state_out_free(struct state_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

void state_put_bytes(struct state_out *o, const void *p, size_t len)
{
	if (o->err)
		return;
	if (len > o->cap - o->len) {
		size_t cap = o->cap ? o->cap : 256;
		uint8_t *nb;

		while (cap - o->len < len)
			cap *= 2;
		nb = realloc(o->buf, cap);
		if (!nb) {
			o->err = -ENOMEM;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, len);
	o->len += len;
}

/* fields are little-endian, as the hosts gasang runs on */
void state_put_u8(struct state_out *o, uint8_t v)
{
	state_put_bytes(o, &v, 1);
}

void state_put_u16(struct state_out *o, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	state_put_bytes(o, b, 2);
}

void state_put_u32(struct state_out *o, uint32_t v)
{
	state_put_u16(o, (uint16_t)v);
	state_put_u16(o, (uint16_t)(v >> 16));
}

void state_put_u64(struct state_out *o, uint64_t v)
{
	state_put_u32(o, (uint32_t)v);
	state_put_u32(o, (uint32_t)(v >> 32));
}

void state_in_init(struct state_in *in, const void *p, size_t len, const char *name)
{
	in->p = p;
	in->len = len;
	in->off = 0;
	in->err = 0;
	in->name = name;
}

void state_get_bytes(struct state_in *in, void *p, size_t len)
{
	if (in->err || len > in->len - in->off) {
		if (!in->err)
			in->err = error_set(-EINVAL, "state section %s ends early", in->name);
		memset(p, 0, len);
		return;
	}
	memcpy(p, in->p + in->off, len);
	in->off += len;
}

uint8_t state_get_u8(struct state_in *in)
{
	uint8_t v;

	state_get_bytes(in, &v, 1);
	return v;
}

uint16_t state_get_u16(struct state_in *in)
{
	uint8_t b[2];

	state_get_bytes(in, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t state_get_u32(struct state_in *in)
{
	uint32_t lo = state_get_u16(in);

	return lo | (uint32_t)state_get_u16(in) << 16;
}

uint64_t state_get_u64(struct state_in *in)
{
	uint64_t lo = state_get_u32(in);

	return lo | (uint64_t)state_get_u32(in) << 32;
}

bool state_get_bool(struct state_in *in)
{
	uint8_t v = state_get_u8(in);

	if (v > 1 && !in->err)
		in->err = error_set(-EINVAL, "state section %s: a flag reads %u", in->name, v);
	return v == 1;
}

int state_in_end(struct state_in *in)
{
	if (in->err)
		return in->err;
	if (in->off != in->len)
		return in->err = error_set(-EINVAL, "state section %s: %zu bytes left over",
					   in->name, in->len - in->off);
	return 0;
}

int state_bad(struct state_in *in, const char *what)
{
	if (!in->err)
		in->err = error_set(-EINVAL, "state section %s: %s out of range", in->name, what);
	return in->err;
}
