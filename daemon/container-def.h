/*
 * Container definitions: {"type": "container", ...} documents of `define`
 * (docs/API.md), validated with messages naming the field and given their
 * defaults; the OCI bundle (config.json) each start runs; the command line
 * of the container's own process, its monitor (`gasang ctr-monitor`,
 * ctr/monitor.h), which gasangd supervises as it does a VM's.
 *
 * The smallest definition:
 *   {"name": "c1", "type": "container", "rootfs": "/srv/rootfs"}
 *
 * Where the root comes from is one of "rootfs" (a directory used in place),
 * "bundle" (an OCI bundle: its config.json is the base, the definition's
 * fields override it) or "image" (an OCI image layout directory or its tar
 * archive, "tag" naming its manifest: unpacked by the monitor into the
 * container's directory, its process defaults under the definition's).
 */
#ifndef DAEMON_CONTAINER_DEF_H
#define DAEMON_CONTAINER_DEF_H

#include <jansson.h>
#include <stdbool.h>

#define CTR_DEF_MAX_MOUNTS	16
#define CTR_DEF_MAX_NICS	4
#define CTR_DEF_MAX_ARGS	256
#define CTR_DEF_MEMORY_MIN	(4ull << 20)
#define CTR_DEF_MEMORY_MAX	(1ull << 40)
#define CTR_DEF_PIDS_MAX	4194304		/* the kernel's pid_max limit */

/* As def_normalize (definition.h), for a definition of type "container". */
int ctr_def_normalize(const json_t *doc, json_t **out, bool *autostart);

/*
 * What the definition names on the host is there: the root file system
 * (a directory, not /), the bundle's config.json, each mount's
 * source. Checked at define (not at load: a stored definition stays
 * valid while a directory is away); -EINVAL naming the field.
 */
int ctr_def_check_host(const json_t *def);

/*
 * The config.json of a start into dir (made if missing): from the root file
 * system or the bundle's own, with the definition's fields, the container's
 * cgroup at cgroups_path and rootfs as its root when not NULL (in place of
 * the definition's). Written to a temporary name and renamed.
 */
int ctr_def_write_config(const json_t *def, const char *dir, const char *cgroups_path,
			 const char *rootfs);

/*
 * argv of the container's monitor: `gasang ctr-monitor --root OCI_ROOT
 * --bundle DIR --id ID ... --control-fd=N`. def is the resolved definition
 * (daemon/guest.h): each NIC {"type": "veth", "bridge", "ifname", "mac",
 * "address", "prefix", "gateway"}.
 */
int ctr_def_argv(const json_t *def, const char *gasang, const char *oci_root, const char *bundle,
		 int control_fd, char ***argv);

#endif
