/* exec's process: the container's own, with the command line's changes. */
#include "ctr/exec-process.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "ctr/spec.h"
#include "ctr/state.h"

int ctr_exec_config_load(const struct ctr_runtime *rt, const char *id, struct ctr_config **out)
{
	char path[PATH_MAX];
	int err = ctr_id_check(id);

	if (err)
		return err;
	err = -ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", rt->root, id, CTR_CONFIG_FILE) <
	    sizeof(path))
		err = ctr_config_load(path, out);
	if (err == -ENOENT)
		return error_set(-ENOENT, "container '%s' does not exist", id);
	if (!err && !(*out)->process) {
		ctr_config_free(*out);
		*out = NULL;
		return error_set(-EINVAL, "container '%s' has no process", id);
	}
	return err;
}

int ctr_env_merge(struct ctr_config *c, const struct ctr_strv *base, const struct ctr_strv *add,
		  struct ctr_strv *out)
{
	const char **v = ctr_config_alloc(c, base->n + add->n + 1, sizeof(*v));
	size_t n = base->n, i, k;

	if (!v)
		return error_set(-ENOMEM, "out of memory");
	memcpy(v, base->v, base->n * sizeof(*v));
	for (i = 0; i < add->n; i++) {
		for (k = 0; k < n; k++)
			if (ctr_env_same_name(add->v[i], v[k]))
				break;
		if (k == n)
			n++;
		v[k] = add->v[i];
	}
	out->v = v;
	out->n = n;
	return 0;
}

static int apply_user(struct ctr_config *c, const struct ctr_exec_flags *f)
{
	struct ctr_user *u = &c->process->user;
	uint32_t uid, gid, *gids;
	bool has_gid;
	size_t i;

	if (f->user) {
		if (ctr_user_parse(f->user, UINT32_MAX - 1, &uid, &gid, &has_gid))
			return error_set(-EINVAL, "--user %s: expected UID[:GID] (numbers)", f->user);
		u->uid = uid;
		u->gid = has_gid ? gid : u->gid;
	}
	if (!f->gids.n)
		return 0;
	gids = ctr_config_alloc(c, f->gids.n, sizeof(*gids));
	if (!gids)
		return error_set(-ENOMEM, "out of memory");
	for (i = 0; i < f->gids.n; i++)
		gids[i] = (uint32_t)strtoul(f->gids.v[i], NULL, 10);
	u->additional_gids = gids;
	u->n_additional_gids = f->gids.n;
	return 0;
}

static int apply_caps(struct ctr_process *p, const struct ctr_strv *caps)
{
	size_t i;

	for (i = 0; i < caps->n; i++) {
		int cap = ctr_cap_from_name(caps->v[i]);

		if (cap < 0)
			return error_set(-EINVAL, "--cap %s: unknown capability", caps->v[i]);
		p->caps.bounding |= 1ull << cap;
		p->caps.effective |= 1ull << cap;
		p->caps.permitted |= 1ull << cap;
	}
	return 0;
}

int ctr_exec_apply(struct ctr_config *c, const struct ctr_exec_flags *f)
{
	struct ctr_process *p = c->process;
	int err;

	p->args = f->args;
	p->terminal = f->tty;
	p->console_height = p->console_width = 0;
	if (f->cwd)
		p->cwd = f->cwd;
	if (f->no_new_privs)
		p->no_new_privileges = true;
	if ((err = ctr_env_merge(c, &p->env, &f->env, &p->env)) || (err = apply_user(c, f)))
		return err;
	return apply_caps(p, &f->caps);
}
