#include "vm/state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/error.h"
#include "hw/guest-mem.h"

/* header fields: byte offsets */
#define H_MAGIC		0
#define H_VERSION	8
#define H_HEADER_LEN	12
#define H_ARCH		16
#define H_MEM_SIZE	32
#define H_CPUS		40
#define H_NSECTIONS	44
#define H_SECTIONS_OFF	48
#define H_SECTIONS_LEN	56
#define H_RAM_OFF	64
#define H_RAM_LEN	72
#define H_SAVED_AT	80	/* CLOCK_REALTIME ns, for people reading the file */
#define H_CRC		124

/* section header fields */
#define S_MAGIC		0
#define S_NAME		4
#define S_INSTANCE	28
#define S_VERSION	32
#define S_LEN		36
#define S_CRC		40
#define S_RESERVED	44

#define PAGE		4096u
#define RAM_CHUNK	(2u << 20)	/* RAM is looked at and written in pieces of this */

static uint32_t crc(const uint8_t *p, size_t len)
{
	return (uint32_t)crc32(0L, p, (uInt)len);
}

/* A section's checksum covers its header (up to the checksum) and its bytes. */
static uint32_t section_crc(const uint8_t *hdr, const uint8_t *body, size_t len)
{
	uLong c = crc32(0L, hdr, S_CRC);

	return (uint32_t)crc32(c, body, (uInt)len);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_errno(n < 0 ? -errno : -EIO, "cannot write the state file");
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(-errno, "cannot read the state file");
		if (n == 0)
			return error_set(-EINVAL, "the state file is truncated");
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* ---- save ---- */

/* Every object's section, one after the other, into out. */
static int sections_build(const struct state_list *l, struct state_out *out)
{
	unsigned i;

	for (i = 0; i < l->n; i++) {
		const struct state_entry *e = &l->e[i];
		uint8_t hdr[STATE_SECTION_HDR] = { 0 };
		struct state_out body;
		int err;

		state_out_init(&body);
		err = e->ops->save(e->obj, &body);
		if (!err)
			err = body.err;
		if (!err && body.len > UINT32_MAX)
			err = error_set(-E2BIG, "state section %s is too large", e->ops->name);
		if (err) {
			state_out_free(&body);
			return err == -ENOMEM ? error_set(err, "out of memory saving %s",
							  e->ops->name) : err;
		}
		put32(hdr + S_MAGIC, STATE_SECTION_MAGIC);
		memcpy(hdr + S_NAME, e->ops->name, strnlen(e->ops->name, STATE_NAME_MAX - 1));
		put32(hdr + S_INSTANCE, e->instance);
		put32(hdr + S_VERSION, e->ops->version);
		put32(hdr + S_LEN, (uint32_t)body.len);
		put32(hdr + S_CRC, section_crc(hdr, body.buf, body.len));
		state_put_bytes(out, hdr, sizeof(hdr));
		if (body.len)
			state_put_bytes(out, body.buf, body.len);
		state_out_free(&body);
		if (out->err)
			return error_set(out->err, "out of memory saving the state");
	}
	if (out->len > STATE_SECTIONS_MAX)
		return error_set(-E2BIG, "the VM's state is larger than %u MiB",
				 STATE_SECTIONS_MAX >> 20);
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t acc = 0;

	for (unsigned i = 0; i < PAGE / sizeof(*w); i++)
		acc |= w[i];
	return acc == 0;
}

/* RAM at off: runs of pages holding something; pages of zeros stay holes. */
static int ram_write(int fd, const uint8_t *ram, uint64_t len, uint64_t off, uint64_t *written)
{
	uint64_t pos, run = 0;
	bool in_run = false;
	int err;

	for (pos = 0; pos + PAGE <= len; pos += PAGE) {
		bool zero = page_is_zero(ram + pos);

		if (in_run && (zero || pos - run >= RAM_CHUNK)) {
			err = pwrite_all(fd, ram + run, pos - run, off + run);
			if (err)
				return err;
			*written += pos - run;
			in_run = false;
		}
		if (!zero && !in_run) {
			run = pos;
			in_run = true;
		}
	}
	if (in_run) {
		err = pwrite_all(fd, ram + run, pos - run, off + run);
		if (err)
			return err;
		*written += pos - run;
	}
	return 0;
}

int state_file_save(int fd, const struct state_shape *shape, const struct state_list *l,
		    const struct guest_mem *mem, struct state_save_stats *st)
{
	uint8_t hdr[STATE_HEADER_SIZE] = { 0 };
	uint64_t ram_len = mem->size + mem->high_size, ram_off;
	struct state_out secs;
	struct timespec now;
	int err;

	memset(st, 0, sizeof(*st));
	state_out_init(&secs);
	err = sections_build(l, &secs);
	if (err)
		goto out;
	ram_off = (STATE_HEADER_SIZE + secs.len + STATE_RAM_ALIGN - 1) &
		  ~(uint64_t)(STATE_RAM_ALIGN - 1);
	clock_gettime(CLOCK_REALTIME, &now);
	memcpy(hdr + H_MAGIC, STATE_FILE_MAGIC, 8);
	put32(hdr + H_VERSION, STATE_FILE_VERSION);
	put32(hdr + H_HEADER_LEN, STATE_HEADER_SIZE);
	memcpy(hdr + H_ARCH, shape->arch, strnlen(shape->arch, sizeof(shape->arch) - 1));
	put64(hdr + H_MEM_SIZE, shape->mem_size);
	put32(hdr + H_CPUS, shape->cpus);
	put32(hdr + H_NSECTIONS, l->n);
	put64(hdr + H_SECTIONS_OFF, STATE_HEADER_SIZE);
	put64(hdr + H_SECTIONS_LEN, secs.len);
	put64(hdr + H_RAM_OFF, ram_off);
	put64(hdr + H_RAM_LEN, ram_len);
	put64(hdr + H_SAVED_AT, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	put32(hdr + H_CRC, crc(hdr, H_CRC));

	/* the old contents go first, so pages of zeros read as zeros */
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)(ram_off + ram_len)) < 0) {
		err = error_errno(-errno, "cannot size the state file");
		goto out;
	}
	err = pwrite_all(fd, hdr, sizeof(hdr), 0);
	if (!err)
		err = pwrite_all(fd, secs.buf, secs.len, STATE_HEADER_SIZE);
	if (!err)
		err = ram_write(fd, mem->host, ram_len, ram_off, &st->ram_bytes);
	if (!err && fdatasync(fd) < 0)
		err = error_errno(-errno, "cannot sync the state file");
	st->state_bytes = STATE_HEADER_SIZE + secs.len;
	st->file_bytes = ram_off + ram_len;
out:
	state_out_free(&secs);
	return err;
}

/* ---- restore ---- */

static int bad(const char *what)
{
	return error_set(-EINVAL, "not a usable state file: %s", what);
}

static int header_read(struct state_file *f, const uint8_t *hdr, uint64_t file_size,
		       uint32_t *nsec)
{
	uint64_t sec_off;
	uint32_t v;

	if (memcmp(hdr + H_MAGIC, STATE_FILE_MAGIC, 8))
		return error_set(-EINVAL, "not a gasang state file (no %s magic)", STATE_FILE_MAGIC);
	v = get32(hdr + H_VERSION);
	if (v != STATE_FILE_VERSION)
		return error_set(-EINVAL, "the state file is of format version %u; this gasang "
				 "reads version %u only", v, STATE_FILE_VERSION);
	if (get32(hdr + H_CRC) != crc(hdr, H_CRC))
		return bad("its header's checksum does not match (corrupt)");
	if (get32(hdr + H_HEADER_LEN) != STATE_HEADER_SIZE)
		return bad("header length");
	if (hdr[H_ARCH + sizeof(f->shape.arch) - 1])
		return bad("architecture name");
	memcpy(f->shape.arch, hdr + H_ARCH, sizeof(f->shape.arch));
	f->shape.mem_size = get64(hdr + H_MEM_SIZE);
	f->shape.cpus = get32(hdr + H_CPUS);
	*nsec = get32(hdr + H_NSECTIONS);
	sec_off = get64(hdr + H_SECTIONS_OFF);
	f->sections_len = get64(hdr + H_SECTIONS_LEN);
	f->ram_off = get64(hdr + H_RAM_OFF);
	f->ram_len = get64(hdr + H_RAM_LEN);
	if (*nsec > STATE_LIST_MAX)
		return bad("too many sections");
	if (sec_off != STATE_HEADER_SIZE || f->sections_len > STATE_SECTIONS_MAX)
		return bad("where its sections lie");
	if (f->ram_off % STATE_RAM_ALIGN || f->ram_off < sec_off + f->sections_len ||
	    f->ram_len != f->shape.mem_size || f->ram_len % PAGE)
		return bad("where its RAM lies");
	if (f->ram_off > file_size || f->ram_len > file_size - f->ram_off)
		return error_set(-EINVAL, "the state file is truncated: %llu bytes, its RAM ends "
				 "at %llu", (unsigned long long)file_size,
				 (unsigned long long)(f->ram_off + f->ram_len));
	return 0;
}

static int sections_parse(struct state_file *f, uint32_t nsec)
{
	uint64_t off = 0;
	unsigned i, j;

	for (i = 0; i < nsec; i++) {
		struct state_section *s = &f->sec[i];
		const uint8_t *h = f->sections + off;

		if (f->sections_len - off < STATE_SECTION_HDR || get32(h + S_MAGIC) != STATE_SECTION_MAGIC)
			return bad("a section's header");
		memcpy(s->name, h + S_NAME, STATE_NAME_MAX);
		if (s->name[STATE_NAME_MAX - 1] || !s->name[0])
			return bad("a section's name");
		s->instance = get32(h + S_INSTANCE);
		s->version = get32(h + S_VERSION);
		s->len = get32(h + S_LEN);
		off += STATE_SECTION_HDR;
		if (s->len > f->sections_len - off)
			return bad("a section's length");
		s->off = off;
		if (get32(h + S_RESERVED))
			return bad("a section's header");
		if (get32(h + S_CRC) != section_crc(h, f->sections + off, s->len))
			return error_set(-EINVAL, "not a usable state file: section %s #%u is "
					 "corrupt (its checksum does not match)", s->name, s->instance);
		off += s->len;
		for (j = 0; j < i; j++)
			if (!strcmp(f->sec[j].name, s->name) && f->sec[j].instance == s->instance)
				return bad("a section appears twice");
	}
	if (off != f->sections_len)
		return bad("bytes after its last section");
	f->nsec = nsec;
	return 0;
}

int state_file_open(struct state_file *f, int fd)
{
	uint8_t hdr[STATE_HEADER_SIZE];
	struct stat st;
	uint32_t nsec = 0;
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (fstat(fd, &st) < 0)
		return error_errno(-errno, "cannot stat the state file");
	if (!S_ISREG(st.st_mode))
		return error_set(-EINVAL, "the state file is not a regular file");
	if ((uint64_t)st.st_size < STATE_HEADER_SIZE)
		return error_set(-EINVAL, "the state file is truncated (%llu bytes)",
				 (unsigned long long)st.st_size);
	err = pread_all(fd, hdr, sizeof(hdr), 0);
	if (!err)
		err = header_read(f, hdr, (uint64_t)st.st_size, &nsec);
	if (err)
		return err;
	f->sections = malloc(f->sections_len ? f->sections_len : 1);
	if (!f->sections)
		return error_set(-ENOMEM, "out of memory reading the state file");
	err = pread_all(fd, f->sections, f->sections_len, STATE_HEADER_SIZE);
	if (!err)
		err = sections_parse(f, nsec);
	if (err) {
		state_file_close(f);
		return err;
	}
	f->fd = fd;
	return 0;
}

void state_file_close(struct state_file *f)
{
	free(f->sections);
	f->sections = NULL;
	f->nsec = 0;
}

int state_file_check_shape(const struct state_file *f, const struct state_shape *s)
{
	const struct state_shape *o = &f->shape;

	if (strcmp(o->arch, s->arch) || o->mem_size != s->mem_size || o->cpus != s->cpus)
		return error_set(-EINVAL, "the state file is of a %s VM with %llu MiB of RAM and "
				 "%u CPU(s); this one is %s with %llu MiB and %u: restore with the "
				 "arguments the VM was started with", o->arch,
				 (unsigned long long)(o->mem_size >> 20), o->cpus, s->arch,
				 (unsigned long long)(s->mem_size >> 20), s->cpus);
	return 0;
}

static const struct state_section *find(const struct state_file *f, const struct state_entry *e)
{
	unsigned i;

	for (i = 0; i < f->nsec; i++)
		if (!strcmp(f->sec[i].name, e->ops->name) && f->sec[i].instance == e->instance)
			return &f->sec[i];
	return NULL;
}

/* Every section has its object and every object its section, versions equal. */
static int sections_match(const struct state_file *f, const struct state_list *l,
			  const struct state_section **which)
{
	bool used[STATE_LIST_MAX] = { false };
	unsigned i;

	for (i = 0; i < l->n; i++) {
		const struct state_entry *e = &l->e[i];
		const struct state_section *s = find(f, e);

		if (!s)
			return error_set(-EINVAL, "the state file has no %s #%u, which this VM has: "
					 "restore with the arguments the VM was started with",
					 e->ops->name, e->instance);
		if (s->version != e->ops->version)
			return error_set(-EINVAL, "the state file's %s #%u is of version %u; this "
					 "gasang reads version %u", s->name, s->instance,
					 s->version, e->ops->version);
		used[s - f->sec] = true;
		which[i] = s;
	}
	for (i = 0; i < f->nsec; i++)
		if (!used[i])
			return error_set(-EINVAL, "the state file has a %s #%u that this VM does "
					 "not have: restore with the arguments the VM was started "
					 "with", f->sec[i].name, f->sec[i].instance);
	return 0;
}

int state_file_load(const struct state_file *f, const struct state_list *l)
{
	const struct state_section *which[STATE_LIST_MAX];
	unsigned i;
	int err;

	err = sections_match(f, l, which);
	if (err)
		return err;
	for (i = 0; i < l->n; i++) {
		const struct state_entry *e = &l->e[i];
		struct state_in in;

		state_in_init(&in, f->sections + which[i]->off, which[i]->len, e->ops->name);
		err = e->ops->load(e->obj, &in);
		if (err)
			return err;
	}
	for (i = 0; i < l->n; i++) {
		const struct state_entry *e = &l->e[i];

		if (e->ops->post_load) {
			err = e->ops->post_load(e->obj);
			if (err)
				return err;
		}
	}
	return 0;
}
