/*
 * `gasang ctr`'s containers: a bundle made from a root file system and
 * Docker-style flags, kept by name under one home directory (CTR_HOME):
 *   oci/           the OCI runtime's root (containers by name)
 *   bundles/NAME/  config.json, net (the bridge lease), exit (the exit
 *                  status of a finished run), output.log (of a detached run)
 *   ipam/          address leases of the gasang0 bridge
 */
#ifndef CTR_BUNDLE_H
#define CTR_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctr/container.h"
#include "ctr/net-bridge.h"
#include "ctr/spec.h"

#define CTR_HOME		"/run/gasang-ctr"
#define CTR_NAME_MAX		64
#define CTR_CGROUP_PARENT	"/gasang-ctr"	/* a container's cgroup: /gasang-ctr/NAME */

/* Files in a bundle directory. */
#define CTR_BUNDLE_CONFIG	"config.json"
#define CTR_BUNDLE_NET		"net"
#define CTR_BUNDLE_EXIT		"exit"
#define CTR_BUNDLE_OUTPUT	"output.log"

struct ctr_home {
	char *dir;		/* CTR_HOME */
	char *bundles;		/* dir/bundles */
	char *oci_root;		/* dir/oci */
	char *ipam;		/* dir/ipam */
};

/* The paths of the home at dir (nothing is made). */
int ctr_home_init(struct ctr_home *h, const char *dir);
void ctr_home_free(struct ctr_home *h);
/* Make its directories (mode 0700) where missing. */
int ctr_home_create(const struct ctr_home *h);

/* A container name: a container id (ctr/state.h) of at most CTR_NAME_MAX bytes. */
bool ctr_name_ok(const char *name);
/* "ctr-" and six random hex digits. */
void ctr_name_random(char *buf, size_t n);

/* bundles/NAME, or bundles/NAME/FILE. */
int ctr_bundle_path(const struct ctr_home *h, const char *name, const char *file, char *buf,
		    size_t n);

/*
 * Make bundles/NAME holding the config.json of so; hostname and
 * cgroupsPath default to the name and CTR_CGROUP_PARENT/NAME. -EEXIST when
 * the name is taken; on failure nothing is left.
 */
int ctr_bundle_create(const struct ctr_home *h, const char *name, const struct ctr_spec_opts *so);
/* Remove bundles/NAME and the files gasang ctr keeps in it. */
void ctr_bundle_remove(const struct ctr_home *h, const char *name);

/* The exit status of a finished run: saved in the bundle, -ENOENT when there is none. */
int ctr_bundle_save_exit(const struct ctr_home *h, const char *name, int status);
int ctr_bundle_load_exit(const struct ctr_home *h, const char *name, int *status);

/* What `gasang ctr ls` shows of a bundle. */
struct ctr_bundle_info {
	char status[32];	/* the runtime's state, or "exited(N)", or "stopped" */
	char address[32];	/* on the bridge; "-" when none */
	char *root;		/* root.path of its config.json; NULL when unreadable */
};

int ctr_bundle_describe(const struct ctr_home *h, const struct ctr_runtime *rt, const char *name,
			struct ctr_bundle_info *info);
void ctr_bundle_info_free(struct ctr_bundle_info *info);

/* --net: none (a namespace with lo only), host (no namespace), bridge (gasang0). */
enum ctr_net_mode {
	CTR_NET_NONE,
	CTR_NET_HOST,
	CTR_NET_BRIDGE,
};

int ctr_net_mode_parse(const char *s, enum ctr_net_mode *mode);

/*
 * A bundle's network, as ctr_create_opts' on_namespaces and
 * undo_namespaces (arg: this struct): the bridge lease is kept in the
 * bundle so that ctr_bundle_net_release() can give it back later.
 */
struct ctr_bundle_net {
	const struct ctr_home *home;
	const char *name;
	enum ctr_net_mode mode;
	struct ctr_net_lease lease;
};

int ctr_bundle_net_attach(void *arg, pid_t pid);
void ctr_bundle_net_detach(void *arg);
/* Give back the address a container that is gone left leased. */
void ctr_bundle_net_release(const struct ctr_home *h, const char *name);

#endif
