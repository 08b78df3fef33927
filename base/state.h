/*
 * A device's saved state: what one device (or hart, or the board) carries
 * across a save/restore or a migration, written as little-endian fields into
 * a section of its own and read back with every read checked.
 *
 * Each object that has state names a `struct state_ops` (its section's name
 * and version, save, load, an optional post_load); a board lists its objects
 * with their instance numbers in a `struct state_list` and vm/state.c turns
 * that list into a file (magic, version, a checksum per section) and back.
 *
 * The state read back is untrusted input: a reader that runs past its
 * section, or a load hook that finds a value out of range, fails the whole
 * load with a message (-EINVAL); nothing runs with half of a state. Loads
 * happen before any CPU or device thread runs; post_load hooks then start
 * what the state says runs (device threads, interrupt lines).
 */
#ifndef BASE_STATE_H
#define BASE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_NAME_MAX	24	/* a section's name, NUL included */
#define STATE_LIST_MAX	64	/* sections one machine may have */

/* A section being written: a growing buffer; the first failure sticks in err. */
struct state_out {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

/* A section being read: bounded; reading past its end sets err and returns 0s. */
struct state_in {
	const uint8_t *p;
	size_t len, off;
	int err;
	const char *name;	/* the section, for messages */
};

struct state_ops {
	const char *name;	/* the section's name, < STATE_NAME_MAX */
	uint32_t version;	/* of what save writes; load takes this one only */
	int (*save)(void *obj, struct state_out *out);
	/* check everything before use; error_set() a reason and return < 0 to refuse */
	int (*load)(void *obj, struct state_in *in);
	/* optional: after every section is loaded, in list order */
	int (*post_load)(void *obj);
};

struct state_entry {
	const struct state_ops *ops;
	void *obj;
	uint32_t instance;	/* hart id, slot number, ... */
};

struct state_list {
	struct state_entry e[STATE_LIST_MAX];
	unsigned n;
};

/* Append an object's section (-ENOSPC past STATE_LIST_MAX, or a name clash: -EEXIST). */
int state_list_add(struct state_list *l, const struct state_ops *ops, void *obj,
		   uint32_t instance);

void state_out_init(struct state_out *o);
void state_out_free(struct state_out *o);
void state_put_u8(struct state_out *o, uint8_t v);
void state_put_u16(struct state_out *o, uint16_t v);
void state_put_u32(struct state_out *o, uint32_t v);
void state_put_u64(struct state_out *o, uint64_t v);
void state_put_bytes(struct state_out *o, const void *p, size_t len);

void state_in_init(struct state_in *in, const void *p, size_t len, const char *name);
uint8_t state_get_u8(struct state_in *in);
uint16_t state_get_u16(struct state_in *in);
uint32_t state_get_u32(struct state_in *in);
uint64_t state_get_u64(struct state_in *in);
bool state_get_bool(struct state_in *in);	/* 0 or 1, anything else is an error */
void state_get_bytes(struct state_in *in, void *p, size_t len);
/* After the last field: the reader's error, or -EINVAL when bytes are left over. */
int state_in_end(struct state_in *in);
/* Refuse a value a load hook found out of range: -EINVAL with the section named. */
int state_bad(struct state_in *in, const char *what);

#endif
