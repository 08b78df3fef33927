#include "daemon/definition.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/size.h"
#include "block/block.h"
#include "machine/machine.h"
#include "machine/config.h"

#define IFNAME_MAX	15	/* IFNAMSIZ - 1 */

static const char *const top_keys[] = {
	"name", "uuid", "arch", "accel", "memory", "vcpus", "kernel", "initrd", "append",
	"firmware", "disks", "nics", "console", "rng", "on_reboot", "autostart", "sandbox", NULL,
};
static const char *const disk_keys[] = { "path", "format", "readonly", "cache", "serial", NULL };
static const char *const nic_keys[] = { "type", "hostfwd", "ifname", "bridge", "mac", NULL };

bool def_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > DEF_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

int def_uuid_parse(const char *in, char out[DEF_UUID_LEN + 1])
{
	size_t i;

	if (strlen(in) != DEF_UUID_LEN)
		return -EINVAL;
	for (i = 0; i < DEF_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? in[i] != '-' : !isxdigit((unsigned char)in[i]))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[DEF_UUID_LEN] = '\0';
	return 0;
}

void def_uuid_generate(char out[DEF_UUID_LEN + 1])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);

		if (r > 0)
			got += (size_t)r;
	}
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, DEF_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* ---- field checks: each records "definition: FIELD: why" ---- */

static int bad(const char *field, const char *fmt, const char *arg)
{
	char why[256];

	snprintf(why, sizeof(why), fmt, arg);
	return error_set(-EINVAL, "definition: %s: %s", field, why);
}

static int check_keys(const json_t *obj, const char *const *keys, const char *where)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i]) {
			char field[128];

			snprintf(field, sizeof(field), "%s%s%.64s", where, *where ? "." : "", key);
			return bad(field, "unknown field%s", "");
		}
	}
	return 0;
}

/* A string without NUL bytes, at most max bytes; NULL v: absent (fine). */
static int get_string(const json_t *v, const char *field, size_t max, const char **out)
{
	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return bad(field, "expected a string%s", "");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(field, "contains a NUL character%s", "");
	if (json_string_length(v) > max)
		return bad(field, "longer than the limit%s", "");
	*out = json_string_value(v);
	return 0;
}

static int get_path(const json_t *v, const char *field, bool no_comma, const char **out)
{
	int err = get_string(v, field, PATH_MAX - 1, out);

	if (err || !*out)
		return err;
	if ((*out)[0] != '/')
		return bad(field, "'%.200s' is not an absolute path", *out);
	if (no_comma && strchr(*out, ','))
		return bad(field, "'%.200s': a comma cannot appear in a disk's path", *out);
	return 0;
}

static int get_choice(const json_t *v, const char *field, const char *const *names,
		      const char **out)
{
	const char *s;
	int err = get_string(v, field, 64, &s), i;

	if (err || !s)
		return err;
	for (i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = names[i];
			return 0;
		}
	}
	return bad(field, "'%.64s' is not one of the choices", s);
}

static int get_bool(const json_t *v, const char *field, bool *out)
{
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return bad(field, "expected true or false%s", "");
	*out = json_is_true(v);
	return 0;
}

static bool word_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static int get_memory(const json_t *v, uint64_t *out)
{
	uint64_t m;

	if (!v)
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return bad("memory", "must be positive%s", "");
		m = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strlen(s) != json_string_length(v) || size_parse(s, 1ull << 20, &m))
			return bad("memory", "'%.64s' is not a size (e.g. \"256M\", \"2G\", or bytes "
				   "as a number)", s);
	} else {
		return bad("memory", "expected a size such as \"256M\", or bytes as a number%s", "");
	}
	if (m < DEF_MEMORY_MIN || m > DEF_MEMORY_MAX)
		return bad("memory", "must be between 1 MiB and 1 TiB%s", "");
	*out = (m + 4095) & ~4095ull;
	return 0;
}

static int get_vcpus(const json_t *v, json_int_t *out)
{
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > DEF_VCPUS_MAX)
		return bad("vcpus", "expected a number from 1 to 512%s", "");
	*out = json_integer_value(v);
	return 0;
}

static const char *const disk_formats[] = { "raw", "qcow2", NULL };

static int check_disk(const json_t *d, size_t i, json_t **out)
{
	static const char *const caches[] = { "writeback", "none", NULL };
	char where[32], field[64];
	const char *path = NULL, *format = NULL, *cache = "writeback", *serial = NULL;
	bool readonly = false;
	int err;

	snprintf(where, sizeof(where), "disks[%zu]", i);
	if (!json_is_object(d))
		return bad(where, "expected an object such as {\"path\": \"/images/disk.qcow2\"}%s", "");
	if ((err = check_keys(d, disk_keys, where)))
		return err;
	snprintf(field, sizeof(field), "%s.path", where);
	if ((err = get_path(json_object_get(d, "path"), field, true, &path)))
		return err;
	if (!path)
		return bad(field, "a disk needs a path%s", "");
	snprintf(field, sizeof(field), "%s.format", where);
	if ((err = get_choice(json_object_get(d, "format"), field, disk_formats, &format)))
		return err;
	snprintf(field, sizeof(field), "%s.readonly", where);
	if ((err = get_bool(json_object_get(d, "readonly"), field, &readonly)))
		return err;
	snprintf(field, sizeof(field), "%s.cache", where);
	if ((err = get_choice(json_object_get(d, "cache"), field, caches, &cache)))
		return err;
	snprintf(field, sizeof(field), "%s.serial", where);
	if ((err = get_string(json_object_get(d, "serial"), field, DEF_SERIAL_MAX, &serial)))
		return err;
	if (serial && (!*serial || !word_chars(serial, "._-")))
		return bad(field, "'%.32s': letters, digits, '.', '_' and '-' only", serial);
	*out = json_pack("{s:s,s:s?,s:b,s:s,s:s?}", "path", path, "format", format,
			 "readonly", readonly, "cache", cache, "serial", serial);
	return *out ? 0 : -ENOMEM;
}

/* [tcp|udp]:[ADDR]:PORT-[ADDR]:PORT, as `gasang run --net user,hostfwd=` takes it */
static bool hostfwd_valid(const char *s)
{
	if (!word_chars(s, ":.-"))
		return false;
	if (!strncmp(s, "tcp:", 4) || !strncmp(s, "udp:", 4))
		s += 4;
	else if (*s == ':')
		s++;
	return strchr(s, ':') && strchr(s, '-') && strlen(s) >= 5;
}

static bool mac_valid(const char *s)
{
	unsigned b[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &tail) != 6)
		return false;
	return !(b[0] & 1);	/* unicast */
}

static int get_ifname(const json_t *v, const char *field, const char **out)
{
	int err = get_string(v, field, IFNAME_MAX, out);

	if (!err && *out && (!**out || !word_chars(*out, "._-")))
		return bad(field, "'%.32s' is not an interface name", *out);
	return err;
}

static int check_nic(const json_t *n, size_t i, json_t **out)
{
	static const char *const types[] = { "user", "tap", NULL };
	const char *type = "user", *ifname = NULL, *bridge = NULL, *mac = NULL;
	char where[32], field[64];
	json_t *fwd, *fwds = NULL;
	int err;

	snprintf(where, sizeof(where), "nics[%zu]", i);
	if (!json_is_object(n))
		return bad(where, "expected an object such as {\"type\": \"user\"}%s", "");
	if ((err = check_keys(n, nic_keys, where)))
		return err;
	snprintf(field, sizeof(field), "%s.type", where);
	if ((err = get_choice(json_object_get(n, "type"), field, types, &type)))
		return err;
	snprintf(field, sizeof(field), "%s.mac", where);
	if ((err = get_string(json_object_get(n, "mac"), field, 17, &mac)))
		return err;
	if (mac && !mac_valid(mac))
		return bad(field, "'%.32s' is not a unicast MAC address like 52:54:00:12:34:56",
			   mac);
	snprintf(field, sizeof(field), "%s.ifname", where);
	if ((err = get_ifname(json_object_get(n, "ifname"), field, &ifname)))
		return err;
	snprintf(field, sizeof(field), "%s.bridge", where);
	if ((err = get_ifname(json_object_get(n, "bridge"), field, &bridge)))
		return err;
	fwd = json_object_get(n, "hostfwd");
	if (!strcmp(type, "user")) {
		size_t k;
		json_t *f;

		if (ifname || bridge)
			return bad(where, "ifname and bridge are for type \"tap\"%s", "");
		snprintf(field, sizeof(field), "%s.hostfwd", where);
		if (fwd && !json_is_array(fwd))
			return bad(field, "expected an array of \"tcp:HOSTADDR:PORT-GUESTADDR:PORT\"%s",
				   "");
		fwds = json_array();
		json_array_foreach(fwd, k, f) {
			const char *s;

			if ((err = get_string(f, field, 128, &s)) || !s || !hostfwd_valid(s)) {
				json_decref(fwds);
				return err ? err : bad(field, "'%.128s' is not tcp:HOSTADDR:PORT-"
						       "GUESTADDR:PORT", s ? s : "");
			}
			json_array_append_new(fwds, json_string(s));
		}
		*out = json_pack("{s:s,s:o,s:s?}", "type", type, "hostfwd", fwds, "mac", mac);
	} else {
		if (fwd)
			return bad(where, "hostfwd is for type \"user\"%s", "");
		if (!ifname && !bridge)
			return bad(where, "a tap NIC needs an ifname (an existing tap) or a bridge%s",
				   "");
		*out = json_pack("{s:s,s:s?,s:s?,s:s?}", "type", type, "ifname", ifname,
				 "bridge", bridge, "mac", mac);
	}
	return *out ? 0 : -ENOMEM;
}

static int check_list(const json_t *v, const char *field, size_t max,
		      int (*check)(const json_t *, size_t, json_t **), json_t **out)
{
	size_t i;
	json_t *e;
	int err;

	*out = json_array();
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > max) {
		char why[64];

		snprintf(why, sizeof(why), "expected an array of at most %zu%%s", max);
		return bad(field, why, "");
	}
	json_array_foreach(v, i, e) {
		json_t *item;

		if ((err = check(e, i, &item)))
			return err;
		json_array_append_new(*out, item);
	}
	return 0;
}

/* What the architecture's machine takes (gasang run would refuse the rest at start). */
static int check_machine(const struct machine_ops *m, uint64_t memory, json_int_t vcpus)
{
	char range[64];

	if (memory < m->min_ram || memory > m->max_ram) {
		machine_ram_range(m, range, sizeof(range));
		return bad("memory", "this architecture's machine takes %s", range);
	}
	if (vcpus > m->max_cpus) {
		snprintf(range, sizeof(range), "1 to %u", m->max_cpus);
		return bad("vcpus", "this architecture's machine takes %s", range);
	}
	return 0;
}

static int check_arch(const char *arch, const char *accel, const struct machine_ops **m)
{
	char archs[64], why[160];

	*m = machine_find(arch);
	if (!*m) {
		machine_archs(archs, sizeof(archs));
		snprintf(why, sizeof(why), "'%.32s' is not supported (supported: %s)", arch, archs);
		return bad("arch", "%s", why);
	}
	if (accel && strcmp(accel, (*m)->accel))
		return bad("accel", "'%.32s' does not run this architecture", accel);
	return 0;
}

/* Absent means absent: no "key": null in a normalized definition. */
static void drop_nulls(json_t *o)
{
	const char *key;
	json_t *v, *e;
	void *tmp;
	size_t i;

	json_object_foreach_safe(o, tmp, key, v) {
		if (json_is_null(v))
			json_object_del(o, key);
		else if (json_is_array(v))
			json_array_foreach(v, i, e)
				if (json_is_object(e))
					drop_nulls(e);
	}
}

int def_normalize(const json_t *doc, json_t **out, bool *autostart)
{
	static const char *const consoles[] = { "serial", "virtio", NULL };
	static const char *const on_reboots[] = { "restart", "destroy", NULL };
	const char *name, *uuid_in, *arch, *accel, *kernel, *initrd, *append;
	const char *firmware, *console = "serial", *on_reboot = "restart";
	char uuid[DEF_UUID_LEN + 1];
	const struct machine_ops *m;
	uint64_t memory = DEF_MEMORY_DEFAULT;
	json_int_t vcpus = 1;
	json_t *disks = NULL, *nics = NULL;
	bool rng = true, autos = false, sandbox = true;
	int err;

#define FIELD(k) json_object_get(doc, k)
	*out = NULL;
	if (!json_is_object(doc))
		return error_set(-EINVAL, "definition: expected a JSON object");
	if ((err = check_keys(doc, top_keys, "")))
		return err;
	if ((err = get_string(FIELD("name"), "name", DEF_NAME_MAX, &name)))
		return err;
	if (!name)
		return bad("name", "every VM needs a name%s", "");
	if (!def_name_valid(name))
		return bad("name", "'%.64s': up to 64 letters, digits, '.', '_' or '-', starting "
			   "with a letter or digit", name);
	if ((err = get_string(FIELD("uuid"), "uuid", 64, &uuid_in)))
		return err;
	if (uuid_in && def_uuid_parse(uuid_in, uuid))
		return bad("uuid", "'%.64s' is not a uuid like 123e4567-e89b-12d3-a456-426614174000",
			   uuid_in);
	if (!uuid_in)
		def_uuid_generate(uuid);
	if ((err = get_string(FIELD("arch"), "arch", 32, &arch)))
		return err;
	if (!arch)
		return bad("arch", "required (\"riscv64\")%s", "");
	if ((err = get_string(FIELD("accel"), "accel", 32, &accel)))
		return err;
	if ((err = check_arch(arch, accel, &m)))
		return err;
	accel = m->accel;
	if ((err = get_memory(FIELD("memory"), &memory)) || (err = get_vcpus(FIELD("vcpus"), &vcpus)))
		return err;
	if ((err = check_machine(m, memory, vcpus)))
		return err;
	if ((err = get_path(FIELD("kernel"), "kernel", false, &kernel)) ||
	    (err = get_path(FIELD("initrd"), "initrd", false, &initrd)) ||
	    (err = get_path(FIELD("firmware"), "firmware", false, &firmware)) ||
	    (err = get_string(FIELD("append"), "append", DEF_APPEND_MAX, &append)))
		return err;
	if (kernel && firmware)
		return bad("firmware", "give a kernel or a firmware, not both%s", "");
	if (!kernel && !firmware)
		return bad("kernel", "required: a kernel (or a bare-metal firmware ELF)%s", "");
	if (firmware && (initrd || append))
		return bad(initrd ? "initrd" : "append", "goes with a kernel, not a firmware%s", "");
	if (kernel && !append)
		append = VM_DEFAULT_APPEND;
	if ((err = get_choice(FIELD("console"), "console", consoles, &console)) ||
	    (err = get_choice(FIELD("on_reboot"), "on_reboot", on_reboots, &on_reboot)) ||
	    (err = get_bool(FIELD("rng"), "rng", &rng)) ||
	    (err = get_bool(FIELD("sandbox"), "sandbox", &sandbox)) ||
	    (err = get_bool(FIELD("autostart"), "autostart", &autos)))
		return err;
	err = check_list(FIELD("disks"), "disks", VM_MAX_DISKS, check_disk, &disks);
	if (!err)
		err = check_list(FIELD("nics"), "nics", VM_MAX_NICS, check_nic, &nics);
	if (err) {
		json_decref(disks);
		json_decref(nics);
		return err;
	}
#undef FIELD
	*out = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s?,s:s?,s:s?,s:s?,s:o,s:o,s:s,s:b,s:s,s:b}",
			 "name", name, "uuid", uuid, "arch", arch, "accel", accel,
			 "memory", (json_int_t)memory, "vcpus", vcpus, "kernel", kernel,
			 "initrd", initrd, "append", append, "firmware", firmware,
			 "disks", disks, "nics", nics, "console", console, "rng", rng,
			 "on_reboot", on_reboot, "sandbox", sandbox);
	if (!*out)
		return error_set(-ENOMEM, "out of memory");
	drop_nulls(*out);
	if (autostart)
		*autostart = autos;
	return 0;
}

/* ---- the VM process's command line ---- */

struct argv_buf {
	char **v;
	size_t n, cap;
	bool oom;
};

static void arg_add(struct argv_buf *a, const char *s)
{
	char *dup = s ? strdup(s) : NULL;

	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **p = realloc(a->v, cap * sizeof(*p));

		if (!p) {
			free(dup);
			a->oom = true;
			return;
		}
		a->v = p;
		a->cap = cap;
	}
	if (!dup) {
		a->oom = true;
		return;
	}
	a->v[a->n++] = dup;
	a->v[a->n] = NULL;
}

static void arg_addf(struct argv_buf *a, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void arg_addf(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->oom = true;
	} else {
		arg_add(a, s);
		free(s);
	}
	va_end(ap);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- disk formats, probed once ---- */

/*
 * The format the block layer finds in the file at path. It is opened here
 * first, without waiting (a FIFO must not hang the daemon), and only a
 * regular file or a block device is handed on, through that descriptor.
 */
static int probe_format(const char *path, const char **format)
{
	struct block_open_opts opts = { .read_only = true, .no_backing = true };
	char fd_path[64], why[256];
	struct block_dev *bd;
	const char *msg;
	struct stat st;
	int fd, err, i;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open it");
	if (fstat(fd, &st) || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		close(fd);
		return error_set(-EINVAL, "not a regular file or a block device");
	}
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	err = block_open(&bd, fd_path, &opts);
	close(fd);
	if (err) {
		/* the block layer names the file as it opened it: the path is ours to say */
		msg = error_msg();
		if (!strncmp(msg, fd_path, strlen(fd_path)) && !strncmp(msg + strlen(fd_path), ": ", 2))
			msg += strlen(fd_path) + 2;
		snprintf(why, sizeof(why), "%s", msg);
		return error_set(err, "%s", why);
	}
	for (i = 0; disk_formats[i] && strcmp(disk_formats[i], bd->drv->name); i++)
		;
	block_close(bd);
	if (!disk_formats[i])
		return error_set(-EINVAL, "a format definitions do not take");
	*format = disk_formats[i];
	return 0;
}

size_t def_formats_missing(const json_t *def)
{
	size_t i, n = 0;
	json_t *d;

	json_array_foreach(json_object_get(def, "disks"), i, d)
		n += !json_is_string(json_object_get(d, "format"));
	return n;
}

int def_record_formats(json_t *def,
		       void (*recorded)(void *opaque, size_t i, const char *path, const char *format),
		       void *opaque)
{
	char first[400] = "";
	const char *format = NULL;
	int err = 0, e;
	size_t i;
	json_t *d;

	json_array_foreach(json_object_get(def, "disks"), i, d) {
		const char *path = str(d, "path");

		if (json_is_string(json_object_get(d, "format")))
			continue;
		e = probe_format(path, &format);
		if (!e && json_object_set_new(d, "format", json_string(format)))
			e = error_set(-ENOMEM, "out of memory");
		if (e && !err) {
			err = e;
			snprintf(first, sizeof(first), "definition: disks[%zu]: cannot learn the format "
				 "of '%.200s' (or give \"format\"): %s", i, path, error_msg());
		} else if (!e && recorded) {
			recorded(opaque, i, path, format);
		}
	}
	return err ? error_set(-EINVAL, "%s", first) : 0;
}

static char *disk_spec(const json_t *d)
{
	char *s = NULL;

	if (asprintf(&s, "%s,format=%s%s,cache=%s%s%s", str(d, "path"), str(d, "format"),
		     json_is_true(json_object_get(d, "readonly")) ? ",readonly=on" : "",
		     str(d, "cache") ? str(d, "cache") : "writeback",
		     str(d, "serial") ? ",serial=" : "", str(d, "serial") ? str(d, "serial") : "") < 0)
		return NULL;
	return s;
}

static char *nic_spec(const json_t *n)
{
	char *s = NULL, *t;
	size_t i;
	json_t *f;

	if (!strcmp(str(n, "type"), "user")) {
		s = strdup("user");
		json_array_foreach(json_object_get(n, "hostfwd"), i, f) {
			if (!s || asprintf(&t, "%s,hostfwd=%s", s, json_string_value(f)) < 0)
				t = NULL;
			free(s);
			s = t;
		}
	} else if (asprintf(&s, "tap%s%s%s%s", str(n, "ifname") ? ",ifname=" : "",
			    str(n, "ifname") ? str(n, "ifname") : "",
			    str(n, "bridge") ? ",bridge=" : "",
			    str(n, "bridge") ? str(n, "bridge") : "") < 0) {
		s = NULL;
	}
	if (s && str(n, "mac")) {
		if (asprintf(&t, "%s,mac=%s", s, str(n, "mac")) < 0)
			t = NULL;
		free(s);
		s = t;
	}
	return s;
}

int def_argv(const json_t *def, const char *gasang, int control_fd, const struct def_jail *jail,
	     char ***argv)
{
	const struct machine_ops *m = machine_find(str(def, "arch"));
	struct argv_buf a = { 0 };
	size_t i;
	json_t *e;

	arg_add(&a, gasang);
	arg_add(&a, "run");
	arg_addf(&a, "--arch=%s", str(def, "arch"));
	arg_addf(&a, "--mem=%lluK",
		 (unsigned long long)json_integer_value(json_object_get(def, "memory")) >> 10);
	arg_addf(&a, "--cpus=%lld", (long long)json_integer_value(json_object_get(def, "vcpus")));
	if (str(def, "firmware") && m && m->firmware == MACHINE_FW_BARE_METAL) {
		/* a bare-metal M-mode program instead of gasang's SBI and a kernel */
		arg_add(&a, "--bios=none");
		arg_addf(&a, "--kernel=%s", str(def, "firmware"));
	} else if (str(def, "firmware")) {
		/* a firmware image at the reset vector (SeaBIOS on x86_64) */
		arg_addf(&a, "--bios=%s", str(def, "firmware"));
	} else {
		arg_addf(&a, "--kernel=%s", str(def, "kernel"));
		if (str(def, "initrd"))
			arg_addf(&a, "--initrd=%s", str(def, "initrd"));
		arg_addf(&a, "--append=%s", str(def, "append"));
	}
	json_array_foreach(json_object_get(def, "disks"), i, e) {
		char *s;

		if (!str(e, "format")) {
			def_argv_free(a.v);
			return error_set(-EINVAL, "disks[%zu] (%.200s) has no recorded format (its file "
					 "could not be probed when gasangd started): restart gasangd "
					 "once the file is there, or define the VM again with "
					 "\"format\"", i, str(e, "path"));
		}
		s = disk_spec(e);

		arg_addf(&a, "--disk=%s", s ? s : "");
		a.oom |= !s;
		free(s);
	}
	json_array_foreach(json_object_get(def, "nics"), i, e) {
		char *s = nic_spec(e);

		arg_addf(&a, "--net=%s", s ? s : "");
		a.oom |= !s;
		free(s);
	}
	arg_addf(&a, "--console=%s", str(def, "console"));
	arg_addf(&a, "--rng=%s", json_is_false(json_object_get(def, "rng")) ? "off" : "on");
	if (str(def, "on_reboot") && !strcmp(str(def, "on_reboot"), "destroy"))
		arg_add(&a, "--no-reboot");
	/* absent in definitions stored before it existed: sandboxed, as by default */
	if (json_is_false(json_object_get(def, "sandbox"))) {
		arg_add(&a, "--sandbox=off");
	} else if (jail) {
		if (jail->user[0])
			arg_addf(&a, "--user=%s", jail->user);
		if (jail->root[0])
			arg_addf(&a, "--chroot=%s", jail->root);
	}
	arg_addf(&a, "--control-fd=%d", control_fd);
	if (a.oom) {
		def_argv_free(a.v);
		return error_set(-ENOMEM, "out of memory");
	}
	*argv = a.v;
	return 0;
}

void def_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
