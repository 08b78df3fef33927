#include "daemon/guest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "ctr/container.h"
#include "daemon/container-def.h"
#include "daemon/daemon.h"
#include "daemon/definition.h"
#include "daemon/log.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* STATE/containers/UUID: the container's bundle (its config.json, an unpacked image). */
static int bundle_dir(const struct daemon *d, const struct domain *dom, char *buf, size_t n)
{
	if (snprintf(buf, n, "%s/%s", d->ctr_dir, dom->uuid) >= (int)n)
		return error_set(-ENAMETOOLONG, "state directory too long");
	return 0;
}

/*
 * The definition with what it names resolved, for one start: a copy (the
 * stored definition keeps the names).
 */
static int resolve(struct daemon *d, struct domain *dom, json_t **out)
{
	(void)d;
	*out = json_deep_copy(dom->def);
	return *out ? 0 : error_set(-ENOMEM, "out of memory");
}

static int container_argv(struct daemon *d, struct domain *dom, const json_t *def,
			  int control_fd, char ***argv)
{
	char dir[PATH_MAX], cgroup[64];
	int err;

	if ((err = bundle_dir(d, dom, dir, sizeof(dir))))
		return err;
	if (mkdir(d->ctr_dir, 0700) && errno != EEXIST)
		return error_errno(-errno, "cannot create %s", d->ctr_dir);
	snprintf(cgroup, sizeof(cgroup), GUEST_CTR_CGROUP_FMT, dom->uuid);
	if ((err = ctr_def_write_config(def, dir, cgroup, NULL)))
		return err;
	return ctr_def_argv(def, d->cfg.gasang, d->oci_root, dir, control_fd, argv);
}

static int guest_argv(void *opaque, struct domain *dom, int control_fd, char ***argv)
{
	struct daemon *d = opaque;
	json_t *def;
	int err = resolve(d, dom, &def);

	if (err)
		return err;
	if (dom->container)
		err = container_argv(d, dom, def, control_fd, argv);
	else
		err = def_argv(def, d->cfg.gasang, control_fd, argv);
	json_decref(def);
	return err;
}

/*
 * A container whose monitor did not clean up after it (killed itself, or
 * gone while no daemon watched): the runtime removes what is left, its
 * processes and cgroup included.
 */
static void container_leftovers(struct daemon *d, struct domain *dom)
{
	struct ctr_runtime rt = { .root = d->oci_root };
	char state[PATH_MAX];
	struct stat st;

	if (snprintf(state, sizeof(state), "%s/%s", d->oci_root, dom->uuid) >= (int)sizeof(state) ||
	    stat(state, &st))
		return;
	log_warn("%s: its container was left behind by its monitor: removing it", dom->name);
	if (ctr_delete(&rt, dom->uuid, true))
		log_err("%s: %s", dom->name, error_msg());
}

static void guest_ended(void *opaque, struct domain *dom)
{
	struct daemon *d = opaque;

	if (dom->container)
		container_leftovers(d, dom);
}

void guest_ops_init(struct dom_guest_ops *ops, struct daemon *d)
{
	*ops = (struct dom_guest_ops){
		.argv = guest_argv,
		.ended = guest_ended,
		.opaque = d,
	};
}

int guest_check(struct daemon *d, json_t *def)
{
	(void)d;
	if (!strcmp(str(def, "type"), "container"))
		return ctr_def_check_host(def);
	/* each disk's format: probed now, once, on the host's side; never at start */
	return def_record_formats(def, NULL, NULL);
}
