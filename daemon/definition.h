/*
 * VM definitions: the JSON documents of `define` (docs/API.md), validated
 * with messages that name the field, every default filled in, and turned
 * into the command line of the VM's own process (`gasang run ... --control-fd`).
 *
 * The smallest definition:
 *   {"name": "vm1", "arch": "riscv64", "memory": "256M",
 *    "kernel": "/path/vmlinux", "initrd": "/path/initrd.gz", "append": "console=ttyS0"}
 */
#ifndef DAEMON_DEFINITION_H
#define DAEMON_DEFINITION_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "base/compiler.h"

#define DEF_NAME_MAX	64
#define DEF_UUID_LEN	36
#define DEF_APPEND_MAX	4096
#define DEF_MEMORY_DEFAULT	(512ull << 20)
#define DEF_MEMORY_MIN	(1ull << 20)
#define DEF_MEMORY_MAX	(1ull << 40)
#define DEF_VCPUS_MAX	512
#define DEF_SERIAL_MAX	20

/* [A-Za-z0-9][A-Za-z0-9._-]*, at most DEF_NAME_MAX bytes */
bool def_name_valid(const char *name);
/* A uuid in its canonical 8-4-4-4-12 form, any case: out gets it in lower case. */
int def_uuid_parse(const char *in, char out[DEF_UUID_LEN + 1]);
/* A new random (version 4) uuid. */
void def_uuid_generate(char out[DEF_UUID_LEN + 1]);
/* "name" and "uuid" of a definition (any kind): uuid gets one made when absent. */
int def_get_identity(const json_t *doc, const char **name, char uuid[DEF_UUID_LEN + 1]);
/* "POOL/VOLUME", both names as def_name_valid takes them. */
bool def_volume_ref_valid(const char *ref);
/*
 * A NIC on a managed network, {"network": NAME, "mac": ...}, normalized to
 * {"type": "network", "network": NAME, "mac": MAC} with a MAC made when
 * none is given (kept: a guest's DHCP lease follows it). where: "nics[N]".
 */
int def_network_nic(const json_t *n, const char *where, json_t **out);

/*
 * Check a definition and return it with every default filled in (a new
 * object; memory in bytes, a uuid made if none was given, "autostart" left
 * out: *autostart gets it). -EINVAL with a message naming the field.
 */
int def_normalize(const json_t *doc, json_t **out, bool *autostart);

/* Where gasangd jails its sandboxed VMs (daemon/jail.h); "": not that part. */
struct def_jail {
	char user[32];		/* gasang run --user */
	char root[PATH_MAX];	/* gasang run --chroot */
};

/*
 * Record the format of each disk that has none. Its file is probed once,
 * here on the host's side (the block layer, the image alone, read-only),
 * and the definition keeps what was found: the VM's command line always
 * names the format, and a guest that writes another format's header into
 * its raw disk is not believed at its next start. recorded (may be NULL)
 * hears of each disk given a format. Every disk is tried; the first that
 * cannot be probed (missing, not a regular file or block device, an image
 * the block layer refuses) is the error, -EINVAL with a message naming it.
 */
int def_record_formats(json_t *def,
		       void (*recorded)(void *opaque, size_t i, const char *path, const char *format),
		       void *opaque);
/* How many of a definition's disks have no format recorded. */
size_t def_formats_missing(const json_t *def);

/*
 * argv of the VM process (NULL-terminated; free with def_argv_free): it finds
 * its control socket, listening, at descriptor control_fd. NICs on networks
 * and volume disks must have been resolved (a copy of the definition with
 * {"type": "tap", "bridge": ...} or {"type": "stream", "path": ...} NICs, and
 * each disk's "path", daemon/guest.h). Every disk must
 * have its format recorded (-EINVAL otherwise): a VM's disks are never probed
 * at start. A definition with "sandbox": false runs with --sandbox=off; the
 * others in jail (NULL: only the sandbox every `gasang run` has).
 */
int def_argv(const json_t *def, const char *gasang, int control_fd, const struct def_jail *jail,
	     char ***argv);
void def_argv_free(char **argv);

/* A command line being built: a failed allocation sets oom (checked once at the end). */
struct def_args {
	char **v;			/* NULL-terminated */
	size_t n, cap;
	bool oom;
};

void def_args_add(struct def_args *a, const char *s);
void def_args_addf(struct def_args *a, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
