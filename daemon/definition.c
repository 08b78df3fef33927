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
#include "daemon/container-def.h"
#include "daemon/def-field.h"
#include "block/block.h"
#include "machine/machine.h"
#include "machine/config.h"

static const char *const top_keys[] = {
	"name", "uuid", "type", "arch", "accel", "memory", "vcpus", "kernel", "initrd", "append",
	"firmware", "disks", "nics", "console", "rng", "on_reboot", "autostart", "sandbox", NULL,
};
static const char *const disk_keys[] = { "path", "volume", "format", "readonly", "cache", "serial", NULL };
static const char *const nic_keys[] = { "type", "hostfwd", "ifname", "bridge", "network", "mac",
					 NULL };

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

	def_random_bytes(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, DEF_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

int def_get_identity(const json_t *doc, const char **name, char uuid[DEF_UUID_LEN + 1])
{
	const char *uuid_in;
	int err;

	if ((err = def_get_string(json_object_get(doc, "name"), "name", DEF_NAME_MAX, name)))
		return err;
	if (!*name)
		return def_bad("name", "every VM and container needs a name");
	if (!def_name_valid(*name))
		return def_bad("name", "'%.64s': up to 64 letters, digits, '.', '_' or '-', starting "
			       "with a letter or digit", *name);
	if ((err = def_get_string(json_object_get(doc, "uuid"), "uuid", 64, &uuid_in)))
		return err;
	if (uuid_in && def_uuid_parse(uuid_in, uuid))
		return def_bad("uuid", "'%.64s' is not a uuid like 123e4567-e89b-12d3-a456-426614174000",
			       uuid_in);
	if (!uuid_in)
		def_uuid_generate(uuid);
	return 0;
}

static int get_memory(const json_t *v, uint64_t *out)
{
	uint64_t m = *out;
	int err = def_get_size(v, "memory", 1ull << 20, 1, UINT64_MAX, &m);

	if (err)
		return err;
	if (m < DEF_MEMORY_MIN || m > DEF_MEMORY_MAX)
		return def_bad("memory", "must be between 1 MiB and 1 TiB");
	*out = (m + 4095) & ~4095ull;
	return 0;
}

static int get_vcpus(const json_t *v, json_int_t *out)
{
	return def_get_int(v, "vcpus", 1, DEF_VCPUS_MAX, out);
}

static const char *const disk_formats[] = { "raw", "qcow2", NULL };

static int check_disk(const json_t *d, size_t i, json_t **out)
{
	static const char *const caches[] = { "writeback", "none", NULL };
	char where[32], field[64];
	const char *path = NULL, *volume = NULL, *format = NULL, *cache = "writeback";
	const char *serial = NULL;
	bool readonly = false;
	int err;

	snprintf(where, sizeof(where), "disks[%zu]", i);
	if (!json_is_object(d))
		return def_bad(where, "expected an object such as {\"path\": \"/images/disk.qcow2\"}");
	if ((err = def_check_keys(d, disk_keys, where)))
		return err;
	snprintf(field, sizeof(field), "%s.path", where);
	if ((err = def_get_path(json_object_get(d, "path"), field, true, &path)))
		return err;
	snprintf(field, sizeof(field), "%s.volume", where);
	if ((err = def_get_string(json_object_get(d, "volume"), field, 2 * DEF_NAME_MAX + 1, &volume)))
		return err;
	if (volume && !def_volume_ref_valid(volume))
		return def_bad(field, "'%.140s' is not POOL/VOLUME (names of letters, digits, '.', "
			       "'_' and '-')", volume);
	if (path && volume)
		return def_bad(field, "give a path or a volume, not both");
	if (!path && !volume) {
		snprintf(field, sizeof(field), "%s.path", where);
		return def_bad(field, "a disk needs a path (or a pool's volume)");
	}
	snprintf(field, sizeof(field), "%s.format", where);
	if ((err = def_get_choice(json_object_get(d, "format"), field, disk_formats, &format)))
		return err;
	snprintf(field, sizeof(field), "%s.readonly", where);
	if ((err = def_get_bool(json_object_get(d, "readonly"), field, &readonly)))
		return err;
	snprintf(field, sizeof(field), "%s.cache", where);
	if ((err = def_get_choice(json_object_get(d, "cache"), field, caches, &cache)))
		return err;
	snprintf(field, sizeof(field), "%s.serial", where);
	if ((err = def_get_string(json_object_get(d, "serial"), field, DEF_SERIAL_MAX, &serial)))
		return err;
	if (serial && (!*serial || !def_word_chars(serial, "._-")))
		return def_bad(field, "'%.32s': letters, digits, '.', '_' and '-' only", serial);
	*out = json_pack("{s:s?,s:s?,s:s?,s:b,s:s,s:s?}", "path", path, "volume", volume, "format", format,
			 "readonly", readonly, "cache", cache, "serial", serial);
	return *out ? 0 : -ENOMEM;
}

bool def_volume_ref_valid(const char *ref)
{
	char pool[DEF_NAME_MAX + 1];
	const char *slash = strchr(ref, '/');

	if (!slash || slash - ref > DEF_NAME_MAX)
		return false;
	memcpy(pool, ref, (size_t)(slash - ref));
	pool[slash - ref] = '\0';
	return def_name_valid(pool) && def_name_valid(slash + 1);
}

int def_network_nic(const json_t *n, const char *where, json_t **out)
{
	static const char *const keys[] = { "type", "network", "mac", NULL };
	const char *type = NULL, *network = NULL, *mac = NULL;
	char field[64], made[DEF_MAC_LEN + 1];
	int err;

	*out = NULL;
	if (!json_is_object(n))
		return def_bad(where, "expected an object such as {\"network\": \"default\"}");
	if ((err = def_check_keys(n, keys, where)))
		return err;
	snprintf(field, sizeof(field), "%s.type", where);
	if ((err = def_get_string(json_object_get(n, "type"), field, 16, &type)))
		return err;
	if (type && strcmp(type, "network"))
		return def_bad(field, "a NIC with a network is of type \"network\"");
	snprintf(field, sizeof(field), "%s.network", where);
	if ((err = def_get_string(json_object_get(n, "network"), field, DEF_NAME_MAX, &network)))
		return err;
	if (!network || !def_name_valid(network))
		return def_bad(field, "'%.64s' is not a network name", network ? network : "");
	snprintf(field, sizeof(field), "%s.mac", where);
	if ((err = def_get_string(json_object_get(n, "mac"), field, DEF_MAC_LEN, &mac)))
		return err;
	if (mac && !def_mac_valid(mac))
		return def_bad(field, "'%.32s' is not a unicast MAC address like 52:54:00:12:34:56",
			       mac);
	/* made once, kept: a guest's DHCP lease follows its MAC */
	if (!mac) {
		def_mac_generate(made);
		mac = made;
	}
	*out = json_pack("{s:s,s:s,s:s}", "type", "network", "network", network, "mac", mac);
	return *out ? 0 : -ENOMEM;
}

/* [tcp|udp]:[ADDR]:PORT-[ADDR]:PORT, as `gasang run --net user,hostfwd=` takes it */
static bool hostfwd_valid(const char *s)
{
	if (!def_word_chars(s, ":.-"))
		return false;
	if (!strncmp(s, "tcp:", 4) || !strncmp(s, "udp:", 4))
		s += 4;
	else if (*s == ':')
		s++;
	return strchr(s, ':') && strchr(s, '-') && strlen(s) >= 5;
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
		return def_bad(where, "expected an object such as {\"type\": \"user\"}");
	if ((err = def_check_keys(n, nic_keys, where)))
		return err;
	if (json_object_get(n, "network"))
		return def_network_nic(n, where, out);
	snprintf(field, sizeof(field), "%s.type", where);
	if ((err = def_get_choice(json_object_get(n, "type"), field, types, &type)))
		return err;
	snprintf(field, sizeof(field), "%s.mac", where);
	if ((err = def_get_string(json_object_get(n, "mac"), field, 17, &mac)))
		return err;
	if (mac && !def_mac_valid(mac))
		return def_bad(field, "'%.32s' is not a unicast MAC address like 52:54:00:12:34:56",
			   mac);
	snprintf(field, sizeof(field), "%s.ifname", where);
	if ((err = def_get_ifname(json_object_get(n, "ifname"), field, &ifname)))
		return err;
	snprintf(field, sizeof(field), "%s.bridge", where);
	if ((err = def_get_ifname(json_object_get(n, "bridge"), field, &bridge)))
		return err;
	fwd = json_object_get(n, "hostfwd");
	if (!strcmp(type, "user")) {
		size_t k;
		json_t *f;

		if (ifname || bridge)
			return def_bad(where, "ifname and bridge are for type \"tap\"");
		snprintf(field, sizeof(field), "%s.hostfwd", where);
		if (fwd && !json_is_array(fwd))
			return def_bad(field, "expected an array of \"tcp:HOSTADDR:PORT-GUESTADDR:PORT\"");
		fwds = json_array();
		json_array_foreach(fwd, k, f) {
			const char *s;

			if ((err = def_get_string(f, field, 128, &s)) || !s || !hostfwd_valid(s)) {
				json_decref(fwds);
				return err ? err : def_bad(field, "'%.128s' is not tcp:HOSTADDR:PORT-"
						       "GUESTADDR:PORT", s ? s : "");
			}
			json_array_append_new(fwds, json_string(s));
		}
		*out = json_pack("{s:s,s:o,s:s?}", "type", type, "hostfwd", fwds, "mac", mac);
	} else {
		if (fwd)
			return def_bad(where, "hostfwd is for type \"user\"");
		if (!ifname && !bridge)
			return def_bad(where, "a tap NIC needs an ifname (an existing tap) or a bridge");
		*out = json_pack("{s:s,s:s?,s:s?,s:s?}", "type", type, "ifname", ifname,
				 "bridge", bridge, "mac", mac);
	}
	return *out ? 0 : -ENOMEM;
}

/* What the architecture's machine takes (gasang run would refuse the rest at start). */
static int check_machine(const struct machine_ops *m, uint64_t memory, json_int_t vcpus)
{
	char range[64];

	if (memory < m->min_ram || memory > m->max_ram) {
		machine_ram_range(m, range, sizeof(range));
		return def_bad("memory", "this architecture's machine takes %s", range);
	}
	if (vcpus > m->max_cpus) {
		snprintf(range, sizeof(range), "1 to %u", m->max_cpus);
		return def_bad("vcpus", "this architecture's machine takes %s", range);
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
		return def_bad("arch", "%s", why);
	}
	if (accel && strcmp(accel, (*m)->accel))
		return def_bad("accel", "'%.32s' does not run this architecture", accel);
	return 0;
}

int def_normalize(const json_t *doc, json_t **out, bool *autostart)
{
	static const char *const consoles[] = { "serial", "virtio", NULL };
	static const char *const on_reboots[] = { "restart", "destroy", NULL };
	static const char *const types[] = { "vm", "container", NULL };
	const char *type = "vm", *name, *arch, *accel, *kernel, *initrd, *append;
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
	if ((err = def_get_choice(FIELD("type"), "type", types, &type)))
		return err;
	if (!strcmp(type, "container"))
		return ctr_def_normalize(doc, out, autostart);
	if ((err = def_check_keys(doc, top_keys, "")))
		return err;
	if ((err = def_get_identity(doc, &name, uuid)))
		return err;
	if ((err = def_get_string(FIELD("arch"), "arch", 32, &arch)))
		return err;
	if (!arch)
		return def_bad("arch", "required (\"riscv64\")");
	if ((err = def_get_string(FIELD("accel"), "accel", 32, &accel)))
		return err;
	if ((err = check_arch(arch, accel, &m)))
		return err;
	accel = m->accel;
	if ((err = get_memory(FIELD("memory"), &memory)) || (err = get_vcpus(FIELD("vcpus"), &vcpus)))
		return err;
	if ((err = check_machine(m, memory, vcpus)))
		return err;
	if ((err = def_get_path(FIELD("kernel"), "kernel", false, &kernel)) ||
	    (err = def_get_path(FIELD("initrd"), "initrd", false, &initrd)) ||
	    (err = def_get_path(FIELD("firmware"), "firmware", false, &firmware)) ||
	    (err = def_get_string(FIELD("append"), "append", DEF_APPEND_MAX, &append)))
		return err;
	if (kernel && firmware)
		return def_bad("firmware", "give a kernel or a firmware, not both");
	if (!kernel && !firmware)
		return def_bad("kernel", "required: a kernel (or a bare-metal firmware ELF)");
	if (firmware && (initrd || append))
		return def_bad(initrd ? "initrd" : "append", "goes with a kernel, not a firmware");
	if (kernel && !append)
		append = VM_DEFAULT_APPEND;
	if ((err = def_get_choice(FIELD("console"), "console", consoles, &console)) ||
	    (err = def_get_choice(FIELD("on_reboot"), "on_reboot", on_reboots, &on_reboot)) ||
	    (err = def_get_bool(FIELD("rng"), "rng", &rng)) ||
	    (err = def_get_bool(FIELD("sandbox"), "sandbox", &sandbox)) ||
	    (err = def_get_bool(FIELD("autostart"), "autostart", &autos)))
		return err;
	err = def_check_list(FIELD("disks"), "disks", VM_MAX_DISKS, check_disk, &disks);
	if (!err)
		err = def_check_list(FIELD("nics"), "nics", VM_MAX_NICS, check_nic, &nics);
	if (err) {
		json_decref(disks);
		json_decref(nics);
		return err;
	}
#undef FIELD
	*out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s?,s:s?,s:s?,s:s?,s:o,s:o,s:s,s:b,s:s,s:b}",
			 "name", name, "uuid", uuid, "type", "vm", "arch", arch, "accel", accel,
			 "memory", (json_int_t)memory, "vcpus", vcpus, "kernel", kernel,
			 "initrd", initrd, "append", append, "firmware", firmware,
			 "disks", disks, "nics", nics, "console", console, "rng", rng,
			 "on_reboot", on_reboot, "sandbox", sandbox);
	if (!*out)
		return error_set(-ENOMEM, "out of memory");
	def_drop_nulls(*out);
	if (autostart)
		*autostart = autos;
	return 0;
}

/* ---- the VM process's command line ---- */

void def_args_add(struct def_args *a, const char *s)
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

void def_args_addf(struct def_args *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->oom = true;
	} else {
		def_args_add(a, s);
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
	} else if (!strcmp(str(n, "type"), "stream")) {
		/* a switch's unix socket (a network's, resolved by the daemon at start) */
		if (asprintf(&s, "stream,path=%s", str(n, "path")) < 0)
			s = NULL;
	} else if (strcmp(str(n, "type"), "tap")) {
		s = NULL;
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
	struct def_args a = { 0 };
	size_t i;
	json_t *e;

	def_args_add(&a, gasang);
	def_args_add(&a, "run");
	def_args_addf(&a, "--arch=%s", str(def, "arch"));
	def_args_addf(&a, "--mem=%lluK",
		 (unsigned long long)json_integer_value(json_object_get(def, "memory")) >> 10);
	def_args_addf(&a, "--cpus=%lld", (long long)json_integer_value(json_object_get(def, "vcpus")));
	if (str(def, "firmware") && m && m->firmware == MACHINE_FW_BARE_METAL) {
		/* a bare-metal M-mode program instead of gasang's SBI and a kernel */
		def_args_add(&a, "--bios=none");
		def_args_addf(&a, "--kernel=%s", str(def, "firmware"));
	} else if (str(def, "firmware")) {
		/* a firmware image at the reset vector (SeaBIOS on x86_64) */
		def_args_addf(&a, "--bios=%s", str(def, "firmware"));
	} else {
		def_args_addf(&a, "--kernel=%s", str(def, "kernel"));
		if (str(def, "initrd"))
			def_args_addf(&a, "--initrd=%s", str(def, "initrd"));
		def_args_addf(&a, "--append=%s", str(def, "append"));
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

		def_args_addf(&a, "--disk=%s", s ? s : "");
		a.oom |= !s;
		free(s);
	}
	json_array_foreach(json_object_get(def, "nics"), i, e) {
		char *s;

		if (!strcmp(str(e, "type"), "network")) {
			def_argv_free(a.v);
			return error_set(-EINVAL, "nics[%zu] is on network '%s', which was not resolved "
					 "to a bridge or a switch", i, str(e, "network"));
		}
		s = nic_spec(e);

		def_args_addf(&a, "--net=%s", s ? s : "");
		a.oom |= !s;
		free(s);
	}
	def_args_addf(&a, "--console=%s", str(def, "console"));
	def_args_addf(&a, "--rng=%s", json_is_false(json_object_get(def, "rng")) ? "off" : "on");
	if (str(def, "on_reboot") && !strcmp(str(def, "on_reboot"), "destroy"))
		def_args_add(&a, "--no-reboot");
	/* absent in definitions stored before it existed: sandboxed, as by default */
	if (json_is_false(json_object_get(def, "sandbox"))) {
		def_args_add(&a, "--sandbox=off");
	} else if (jail) {
		if (jail->user[0])
			def_args_addf(&a, "--user=%s", jail->user);
		if (jail->root[0])
			def_args_addf(&a, "--chroot=%s", jail->root);
	}
	def_args_addf(&a, "--control-fd=%d", control_fd);
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
