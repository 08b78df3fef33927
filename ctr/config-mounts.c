/* config.json: mounts, their options, and the root's propagation. */
#include "ctr/config-parser.h"

#include <string.h>
#include <sys/mount.h>

#include "base/compiler.h"

enum opt_kind { OPT_SET, OPT_CLEAR, OPT_PROP, OPT_ATTR_SET, OPT_ATTR_CLR, OPT_BIND };

static const struct {
	const char *name;
	enum opt_kind kind;
	unsigned long flag;
} mount_opts[] = {
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "atime", OPT_CLEAR, MS_NOATIME },
	{ "bind", OPT_BIND, MS_BIND },
	{ "defaults", OPT_SET, 0 },
	{ "dev", OPT_CLEAR, MS_NODEV },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "dirsync", OPT_SET, MS_DIRSYNC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },
	{ "iversion", OPT_SET, MS_I_VERSION },
	{ "lazytime", OPT_SET, MS_LAZYTIME },
	{ "loud", OPT_CLEAR, MS_SILENT },
	{ "mand", OPT_SET, MS_MANDLOCK },
	{ "noatime", OPT_SET, MS_NOATIME },
	{ "nodev", OPT_SET, MS_NODEV },
	{ "nodiratime", OPT_SET, MS_NODIRATIME },
	{ "noexec", OPT_SET, MS_NOEXEC },
	{ "noiversion", OPT_CLEAR, MS_I_VERSION },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "nosuid", OPT_SET, MS_NOSUID },
	{ "rbind", OPT_BIND, MS_BIND | MS_REC },
	{ "relatime", OPT_SET, MS_RELATIME },
	{ "remount", OPT_SET, MS_REMOUNT },
	{ "ro", OPT_SET, MS_RDONLY },
	{ "rw", OPT_CLEAR, MS_RDONLY },
	{ "silent", OPT_SET, MS_SILENT },
	{ "strictatime", OPT_SET, MS_STRICTATIME },
	{ "suid", OPT_CLEAR, MS_NOSUID },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },
	{ "private", OPT_PROP, MS_PRIVATE },
	{ "rprivate", OPT_PROP, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROP, MS_SHARED },
	{ "rshared", OPT_PROP, MS_SHARED | MS_REC },
	{ "slave", OPT_PROP, MS_SLAVE },
	{ "rslave", OPT_PROP, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROP, MS_UNBINDABLE },
	{ "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC },
	{ "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY },
	{ "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },
	{ "rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID },
	{ "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },
	{ "rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV },
	{ "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },
	{ "rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME },
	{ "rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME },
	{ "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rsymfollow", OPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME },
	{ "rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME },
	{ "rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME },
};

static int parse_mount_options(struct cfg_parser *p, const char *where, struct ctr_strv *opts,
			       struct ctr_mount *m)
{
	char w[CFG_WHERE];
	size_t i, j, data_len = 0, n;
	char *data = NULL;

	for (i = 0; i < opts->n; i++) {
		const char *o = opts->v[i];

		for (j = 0; j < ARRAY_SIZE(mount_opts); j++)
			if (!strcmp(o, mount_opts[j].name))
				break;
		if (j == ARRAY_SIZE(mount_opts)) {
			if (!*o || strchr(o, ','))
				return cfg_bad(p, cfg_idx(w, sizeof(w), where, i),
					       "'%s' is not a mount option", o);
			if (!strcmp(o, "idmap") || !strcmp(o, "ridmap"))
				return cfg_bad(p, cfg_idx(w, sizeof(w), where, i),
					       "idmapped mounts are not supported");
			/* filesystem-specific: passed on as data */
			n = strlen(o);
			if (data_len + n + 2 > 65536)
				return cfg_bad(p, where, "filesystem options longer than 64 KiB");
			if (!data) {
				data = cfg_alloc(p, 65536, 1);
				if (!data)
					return cfg_nomem(p);
			}
			if (data_len)
				data[data_len++] = ',';
			memcpy(data + data_len, o, n + 1);
			data_len += n;
			continue;
		}
		switch (mount_opts[j].kind) {
		case OPT_SET:
			m->flags |= mount_opts[j].flag;
			m->clear &= ~mount_opts[j].flag;
			break;
		case OPT_CLEAR:
			m->flags &= ~mount_opts[j].flag;
			m->clear |= mount_opts[j].flag;
			break;
		case OPT_BIND:
			m->bind = true;
			m->flags |= mount_opts[j].flag;
			break;
		case OPT_PROP:
			m->propagation = mount_opts[j].flag;
			break;
		case OPT_ATTR_SET:
			if (mount_opts[j].flag & MOUNT_ATTR__ATIME)
				m->attr_clr |= MOUNT_ATTR__ATIME;
			m->attr_set |= mount_opts[j].flag;
			m->attr_clr &= ~(uint64_t)mount_opts[j].flag;
			break;
		case OPT_ATTR_CLR:
			m->attr_clr |= mount_opts[j].flag;
			m->attr_set &= ~(uint64_t)mount_opts[j].flag;
			break;
		}
	}
	m->data = data;
	return 0;
}

int cfg_parse_mounts(struct cfg_parser *p, json_t *root)
{
	char w[CFG_WHERE], w2[CFG_WHERE];
	json_t *a, *e;
	size_t i;
	int err = cfg_get_array(p, root, "", "mounts", false, &a);

	if (err || !a)
		return err;
	p->c->n_mounts = json_array_size(a);
	p->c->mounts = cfg_alloc(p, p->c->n_mounts, sizeof(*p->c->mounts));
	if (!p->c->mounts)
		return cfg_nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_mount *m = &p->c->mounts[i];
		struct ctr_strv opts = { 0 };
		const char *where = cfg_idx(w, sizeof(w), "mounts", i);

		if (!json_is_object(e))
			return cfg_bad(p, where, "expected an object");
		if ((err = cfg_get_str(p, e, where, "destination", true, &m->destination)) ||
		    (err = cfg_get_str(p, e, where, "type", false, &m->type)) ||
		    (err = cfg_get_str(p, e, where, "source", false, &m->source)) ||
		    (err = cfg_get_strv(p, e, where, "options", false, &opts)))
			return err;
		if (!*m->destination)
			return cfg_bad(p, cfg_sub(w2, sizeof(w2), where, "destination"), "empty");
		if (m->type && !*m->type)
			m->type = NULL;
		if (m->source && !*m->source)
			m->source = NULL;
		if (json_object_get(e, "uidMappings") || json_object_get(e, "gidMappings"))
			return cfg_bad(p, where, "idmapped mounts are not supported");
		if ((err = parse_mount_options(p, cfg_sub(w2, sizeof(w2), where, "options"), &opts, m)))
			return err;
		if (m->type && !strcmp(m->type, "bind")) {
			m->bind = true;
			m->flags |= MS_BIND;
		}
		if (m->bind && !m->source)
			return cfg_bad(p, where, "a bind mount needs a source");
		if (!m->bind && !m->type)
			return cfg_bad(p, where, "a mount needs a type (or the bind option)");
		if (m->flags & MS_REMOUNT)
			return cfg_bad(p, where, "the remount option is not allowed in mounts");
	}
	return 0;
}

int cfg_parse_propagation(struct cfg_parser *p, const char *s, unsigned long *out)
{
	size_t j;

	for (j = 0; j < ARRAY_SIZE(mount_opts); j++)
		if (mount_opts[j].kind == OPT_PROP && !strcmp(s, mount_opts[j].name)) {
			*out = mount_opts[j].flag;
			return 0;
		}
	return cfg_bad(p, "linux.rootfsPropagation", "'%s' is not a propagation type", s);
}
