/*
 * config.json (OCI runtime-spec 1.x) -> struct ctr_config, with jansson.
 *
 * The input is untrusted: every field's type and range is checked, counts are
 * bounded, duplicate keys are refused (two meanings for one key is a place
 * for a policy to hide), and unknown properties are ignored as the spec says.
 * Messages name the field: "config.json: process.user.uid: ...".
 *
 * This file parses the document, its top level and the rules across
 * sections; each section has a file of its own (config-process.c,
 * config-mounts.c, config-hooks.c, config-linux.c, config-resources.c,
 * config-seccomp.c), and config-parser.c holds the tools they share.
 */
#include "ctr/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "base/error.h"
#include "ctr/config-parser.h"
#include "ctr/error.h"

struct ctr_chunk {
	struct ctr_chunk *next;
	max_align_t data[];
};

/* ---- storage ---- */

void *ctr_config_alloc(struct ctr_config *c, size_t n, size_t size)
{
	struct ctr_chunk *ch;

	if (n && size > (SIZE_MAX - sizeof(*ch)) / n)
		return NULL;
	ch = calloc(1, sizeof(*ch) + n * size);
	if (!ch)
		return NULL;
	ch->next = c->chunks;
	c->chunks = ch;
	return ch->data;
}

void ctr_config_free(struct ctr_config *c)
{
	struct ctr_chunk *ch, *next;

	if (!c)
		return;
	for (ch = c->chunks; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	json_decref(c->doc);
	free(c);
}

int ctr_strv_push(struct ctr_strv *v, const char *s)
{
	const char **nv = realloc(v->v, (v->n + 2) * sizeof(*v->v));

	if (!nv)
		return error_set(-ENOMEM, "out of memory");
	nv[v->n++] = s;
	nv[v->n] = NULL;
	v->v = nv;
	return 0;
}

/* ---- cross-field rules ---- */

static int check_config(struct cfg_parser *p)
{
	struct ctr_config *c = p->c;
	const struct ctr_namespace *ns = c->lx.ns;
	size_t i;
	int err;

	if ((c->hostname && *c->hostname) && !ns[CTR_NS_UTS].enabled)
		return cfg_bad(p, "hostname", "setting it needs a uts namespace");
	if ((c->domainname && *c->domainname) && !ns[CTR_NS_UTS].enabled)
		return cfg_bad(p, "domainname", "setting it needs a uts namespace");
	if ((c->lx.n_uid_maps || c->lx.n_gid_maps) &&
	    (!ns[CTR_NS_USER].enabled || ns[CTR_NS_USER].path))
		return cfg_bad(p, "linux.uidMappings", "id mappings need a new user namespace");
	if (ns[CTR_NS_USER].enabled && !ns[CTR_NS_USER].path &&
	    (!c->lx.n_uid_maps || !c->lx.n_gid_maps))
		return cfg_bad(p, "linux.namespaces",
			       "a new user namespace needs uidMappings and gidMappings");
	if (c->lx.has_time_offsets && (!ns[CTR_NS_TIME].enabled || ns[CTR_NS_TIME].path))
		return cfg_bad(p, "linux.timeOffsets", "time offsets need a new time namespace");
	for (i = 0; i < c->lx.sysctl_keys.n; i++)
		if ((err = ctr_sysctl_check(c, c->lx.sysctl_keys.v[i])))
			return ctr_error_wrap(err, "%s: linux.sysctl", p->what);
	if (c->hostname && strlen(c->hostname) > 64)
		return cfg_bad(p, "hostname", "longer than 64 bytes");
	if (c->domainname && strlen(c->domainname) > 64)
		return cfg_bad(p, "domainname", "longer than 64 bytes");
	return 0;
}

/* ---- entry points ---- */

static int parse_doc(const char *text, size_t len, const char *what, struct cfg_parser *p,
		     json_t **root)
{
	json_error_t je;
	int err;

	if (len > CTR_CONFIG_MAX_BYTES)
		return error_set(-EFBIG, "%s: larger than %u MiB", what,
				 CTR_CONFIG_MAX_BYTES >> 20);
	p->what = what;
	p->c = calloc(1, sizeof(*p->c));
	if (!p->c)
		return error_set(-ENOMEM, "%s: out of memory", what);
	err = cfg_json_load(p, text, len, JSON_REJECT_DUPLICATES, root, &je);
	if (err) {
		ctr_config_free(p->c);
		p->c = NULL;
		if (err != -EINVAL)
			return err;
		return error_set(-EINVAL, "%s: line %d column %d: %s", what, je.line, je.column,
				 je.text);
	}
	p->c->doc = *root;
	if (!json_is_object(*root)) {
		ctr_config_free(p->c);
		p->c = NULL;
		return error_set(-EINVAL, "%s: not a JSON object", what);
	}
	return 0;
}

int ctr_config_parse(const char *text, size_t len, const char *what, struct ctr_config **out)
{
	struct cfg_parser p;
	const char *v;
	json_t *root, *o, *proc;
	int err;

	if ((err = parse_doc(text, len, what, &p, &root)))
		return err;
	if ((err = cfg_get_str(&p, root, "", "ociVersion", true, &p.c->oci_version)))
		goto fail;
	v = p.c->oci_version;
	if (strncmp(v, "1.", 2) || v[2] < '0' || v[2] > '9') {
		err = cfg_bad(&p, "ociVersion", "'%s' is not a 1.x version", v);
		goto fail;
	}
	if ((err = cfg_get(&p, root, "", "root", true, JSON_OBJECT, &o)) ||
	    (err = cfg_get_str(&p, o, "root", "path", true, &p.c->root_path)) ||
	    (err = cfg_get_bool(&p, o, "root", "readonly", &p.c->root_readonly)))
		goto fail;
	if (!*p.c->root_path) {
		err = cfg_bad(&p, "root.path", "empty");
		goto fail;
	}
	if ((err = cfg_get_str(&p, root, "", "hostname", false, &p.c->hostname)) ||
	    (err = cfg_get_str(&p, root, "", "domainname", false, &p.c->domainname)) ||
	    (err = cfg_parse_mounts(&p, root)) ||
	    (err = cfg_get(&p, root, "", "process", false, JSON_OBJECT, &proc)) ||
	    (proc && (err = cfg_parse_process(&p, proc, "process", &p.c->process))) ||
	    (err = cfg_parse_hooks(&p, root)) ||
	    (err = cfg_get_str_map(&p, root, "", "annotations", &p.c->annotation_keys,
				   &p.c->annotation_values)) ||
	    (err = cfg_parse_linux(&p, root)) ||
	    (err = check_config(&p)))
		goto fail;
	*out = p.c;
	return 0;
fail:
	ctr_config_free(p.c);
	return err;
}

int ctr_process_parse(const char *text, size_t len, const char *what, struct ctr_config **out)
{
	struct cfg_parser p;
	json_t *root;
	int err;

	if ((err = parse_doc(text, len, what, &p, &root)))
		return err;
	if ((err = cfg_parse_process(&p, root, "process", &p.c->process))) {
		ctr_config_free(p.c);
		return err;
	}
	*out = p.c;
	return 0;
}

int ctr_resources_parse(const char *text, size_t len, const char *what, struct ctr_config **out)
{
	struct cfg_parser p;
	json_t *root;
	int err;

	if ((err = parse_doc(text, len, what, &p, &root)))
		return err;
	p.c->lx.has_resources = true;
	if ((err = cfg_parse_resources(&p, root, &p.c->lx.resources))) {
		ctr_config_free(p.c);
		return err;
	}
	*out = p.c;
	return 0;
}

/* Read a whole regular file of at most CTR_CONFIG_MAX_BYTES. */
int ctr_config_read(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t n = 0, cap;
	ssize_t r;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return error_errno(-errno, "%s", path);
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))) {
		close(fd);
		return error_set(-EINVAL, "%s: not a regular file", path);
	}
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	if (cap > CTR_CONFIG_MAX_BYTES + 1)
		cap = CTR_CONFIG_MAX_BYTES + 1;
	b = malloc(cap);
	if (!b) {
		close(fd);
		return error_set(-ENOMEM, "%s: out of memory", path);
	}
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap > CTR_CONFIG_MAX_BYTES) {
				free(b);
				close(fd);
				return error_set(-EFBIG, "%s: larger than %u MiB", path,
						 CTR_CONFIG_MAX_BYTES >> 20);
			}
			cap = cap * 2 > CTR_CONFIG_MAX_BYTES + 1 ? CTR_CONFIG_MAX_BYTES + 1 : cap * 2;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				close(fd);
				return error_set(-ENOMEM, "%s: out of memory", path);
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			free(b);
			close(fd);
			return error_errno(e, "%s", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

/* Read the file at path and hand its text to parse. */
static int load(const char *path, struct ctr_config **out,
		int (*parse)(const char *, size_t, const char *, struct ctr_config **))
{
	char *buf;
	size_t len;
	int err = ctr_config_read(path, &buf, &len);

	if (err)
		return err;
	err = parse(buf, len, path, out);
	free(buf);
	return err;
}

int ctr_config_load(const char *path, struct ctr_config **out)
{
	return load(path, out, ctr_config_parse);
}

int ctr_process_load(const char *path, struct ctr_config **out)
{
	return load(path, out, ctr_process_parse);
}
