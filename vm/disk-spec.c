/* --disk PATH[,opt=value...]: which image a virtio disk shows, and how. */
#include "vm/disk-spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "block/block.h"

static int set_opt(struct disk_spec *spec, const char *key, const char *val)
{
	if (!strcmp(key, "format")) {
		if (strcmp(val, "raw") && strcmp(val, "qcow2"))
			return error_set(-EINVAL, "--disk: format=%s: expected raw or qcow2", val);
		snprintf(spec->format, sizeof(spec->format), "%s", val);
	} else if (!strcmp(key, "readonly")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return error_set(-EINVAL, "--disk: readonly=%s: expected on or off", val);
		spec->read_only = !strcmp(val, "on");
	} else if (!strcmp(key, "cache")) {
		if (strcmp(val, "writeback") && strcmp(val, "none"))
			return error_set(-EINVAL, "--disk: cache=%s: expected writeback or none", val);
		spec->cache_none = !strcmp(val, "none");
	} else if (!strcmp(key, "serial")) {
		if (strlen(val) > VIRTIO_BLK_ID_BYTES)
			return error_set(-EINVAL, "--disk: serial=%s: at most %d characters", val,
					 VIRTIO_BLK_ID_BYTES);
		snprintf(spec->serial, sizeof(spec->serial), "%s", val);
	} else {
		return error_set(-EINVAL, "--disk: unknown option '%s' (format, readonly, cache, serial)",
				 key);
	}
	return 0;
}

/* Split off the next comma-separated field; ",," stands for a comma. */
static const char *next_field(const char *s, char *out, size_t size)
{
	size_t n = 0;

	while (*s && !(s[0] == ',' && s[1] != ',')) {
		if (s[0] == ',')
			s++;
		if (n + 1 < size)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	return *s ? s + 1 : NULL;
}

int disk_spec_parse(const char *s, struct disk_spec *spec)
{
	char field[4096];
	int err;

	memset(spec, 0, sizeof(*spec));
	s = next_field(s, spec->path, sizeof(spec->path));
	if (!spec->path[0])
		return error_set(-EINVAL, "--disk: no image path");
	while (s) {
		char *eq;

		s = next_field(s, field, sizeof(field));
		eq = strchr(field, '=');
		if (!eq)
			return error_set(-EINVAL, "--disk: '%s' is not option=value", field);
		*eq = '\0';
		err = set_opt(spec, field, eq + 1);
		if (err)
			return err;
	}
	return 0;
}

int disk_spec_open(const struct disk_spec *spec, unsigned index, struct block_dev **out,
		   char serial[VIRTIO_BLK_ID_BYTES + 1])
{
	struct block_open_opts opts = {
		.format = spec->format[0] ? spec->format : NULL,
		.read_only = spec->read_only,
		.cache = spec->cache_none ? BLOCK_CACHE_NONE : BLOCK_CACHE_WRITEBACK,
	};
	int err;

	err = block_open(out, spec->path, &opts);
	if (err)
		return err;
	err = block_lock_for_guest(*out);
	if (err) {
		block_close(*out);
		return err;
	}
	if (spec->serial[0])
		snprintf(serial, VIRTIO_BLK_ID_BYTES + 1, "%s", spec->serial);
	else
		snprintf(serial, VIRTIO_BLK_ID_BYTES + 1, "gasang-disk%u", index);
	return 0;
}
