#include "ctr/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/sha256.h"
#include "ctr/path.h"
#include "ctr/spec.h"
#include "ctr/state.h"

#define DIGEST_PREFIX	"sha256:"
#define WHITEOUT	".wh."
#define OPAQUE		".wh..wh..opq"
#define JSON_BLOB_MAX	(4u << 20)	/* a manifest or config is small */
#define REF_NAME	"org.opencontainers.image.ref.name"
#define EXTRACT_FLAGS	(ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | \
			 ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
			 ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int ctr_image_digest_check(const char *digest)
{
	size_t i, n = strlen(DIGEST_PREFIX);

	if (strncmp(digest, DIGEST_PREFIX, n) || strlen(digest) != n + SHA256_HEX_LEN)
		return error_set(-EINVAL, "'%.80s' is not a sha256 digest", digest);
	for (i = n; digest[i]; i++)
		if (!isxdigit((unsigned char)digest[i]) || isupper((unsigned char)digest[i]))
			return error_set(-EINVAL, "'%.80s' is not a sha256 digest", digest);
	return 0;
}

/* The blob's file, its digest checked against what it holds. */
static int blob_path(const struct ctr_image *img, const char *digest, char *buf, size_t n)
{
	char hex[SHA256_HEX_LEN + 1];
	int err;

	if (!digest)
		return error_set(-EINVAL, "image: a descriptor without a digest");
	if ((err = ctr_image_digest_check(digest)))
		return err;
	if (snprintf(buf, n, "%s/blobs/sha256/%s", img->layout, digest + strlen(DIGEST_PREFIX)) >=
	    (int)n)
		return error_set(-ENAMETOOLONG, "image: path too long");
	if ((err = sha256_file_hex(buf, hex)))
		return error_errno(err, "image: blob %.80s", digest);
	if (strcmp(hex, digest + strlen(DIGEST_PREFIX)))
		return error_set(-EBADMSG, "image: blob %.80s holds something else (sha256 %s)", digest,
				 hex);
	return 0;
}

static json_t *json_blob(const struct ctr_image *img, const char *digest)
{
	char path[PATH_MAX];
	json_error_t e;
	struct stat st;
	json_t *j;

	if (blob_path(img, digest, path, sizeof(path)))
		return NULL;
	if (stat(path, &st) || st.st_size > JSON_BLOB_MAX) {
		error_set(-EFBIG, "image: blob %.80s is too big for JSON", digest);
		return NULL;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(j)) {
		json_decref(j);
		error_set(-EINVAL, "image: blob %.80s: %s", digest, e.text);
		return NULL;
	}
	return j;
}

/* ---- extraction ---- */

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
			return -EIO;
	return r == ARCHIVE_EOF ? 0 : -EIO;
}

/*
 * Entries of the tar file at path (any compression) into the current
 * directory, with libarchive's guards; whiteout entries left out (skip).
 */
static int extract(const char *path, bool skip_whiteouts)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *e;
	int r, err = 0;

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(out, EXTRACT_FLAGS);
	archive_write_disk_set_standard_lookup(out);
	if (archive_read_open_filename(in, path, 65536) != ARCHIVE_OK) {
		err = error_set(-EIO, "image: %s: %s", path, archive_error_string(in));
		goto out;
	}
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *base = strrchr(name, '/');

		base = base ? base + 1 : name;
		if (skip_whiteouts && !strncmp(base, WHITEOUT, strlen(WHITEOUT)))
			continue;
		if (archive_write_header(out, e) < ARCHIVE_WARN || copy_data(in, out) ||
		    archive_write_finish_entry(out) < ARCHIVE_WARN) {
			err = error_set(-EIO, "image: %s: %s: %s", path, name, archive_error_string(out));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		err = error_set(-EIO, "image: %s: %s", path, archive_error_string(in));
out:
	archive_read_free(in);
	archive_write_free(out);
	return err;
}

/* extract() into dir (the caller's cwd is kept). */
static int extract_into(const char *dir, const char *path, bool skip_whiteouts)
{
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (here < 0)
		return error_errno(-errno, "cannot open the working directory");
	if (chdir(dir)) {
		err = error_errno(-errno, "cannot enter %s", dir);
	} else {
		err = extract(path, skip_whiteouts);
		if (fchdir(here))
			err = err ? err : error_errno(-errno, "cannot go back");
	}
	close(here);
	return err;
}

/* Remove everything in the directory open at fd (closed here). */
static int remove_children(int fd)
{
	struct dirent *de;
	DIR *d = fdopendir(fd);
	int err = 0;

	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while (!err && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			err = ctr_image_remove_tree(dirfd(d), de->d_name);
	closedir(d);
	return err;
}

int ctr_image_remove_tree(int dirfd, const char *name)
{
	struct stat st;
	int fd, err;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) ? -errno : 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = remove_children(fd);
	if (!err && unlinkat(dirfd, name, AT_REMOVEDIR))
		err = -errno;
	return err;
}

/* Empty the directory at path inside the root (an opaque whiteout's). */
static int empty_dir(int rootfd, const char *path)
{
	int fd = ctr_path_open(rootfd, path, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	return remove_children(fd);
}

/* A whiteout entry name ("dir/.wh.x"): what of the layers below it removes. */
static int whiteout(int rootfd, const char *name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(name, '/'), *base = slash ? slash + 1 : name;
	int fd, err;

	snprintf(dir, sizeof(dir), "/%.*s", slash ? (int)(slash - name) : 0, name);
	if (!strcmp(base, OPAQUE))
		return empty_dir(rootfd, dir);
	base += strlen(WHITEOUT);
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL;
	fd = ctr_path_open(rootfd, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	err = ctr_image_remove_tree(fd, base);
	close(fd);
	return err;
}

/* A layer's whiteouts, applied to what the layers below made. */
static int apply_whiteouts(int rootfd, const char *path)
{
	struct archive *in = archive_read_new();
	struct archive_entry *e;
	int r, err = 0;

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	if (archive_read_open_filename(in, path, 65536) != ARCHIVE_OK) {
		err = error_set(-EIO, "image: %s: %s", path, archive_error_string(in));
		goto out;
	}
	while (!err && (r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *base = strrchr(name, '/');

		base = base ? base + 1 : name;
		if (!strncmp(base, WHITEOUT, strlen(WHITEOUT)) && (err = whiteout(rootfd, name)))
			err = error_errno(err, "image: whiteout %s", name);
		archive_read_data_skip(in);
	}
	if (!err && r != ARCHIVE_EOF)
		err = error_set(-EIO, "image: %s: %s", path, archive_error_string(in));
out:
	archive_read_free(in);
	return err;
}

/* ---- the image ---- */

/* The manifest descriptor of index.json: tagged tag, or the only one. */
static const json_t *pick(const json_t *index, const char *tag)
{
	const json_t *found = NULL, *m;
	size_t i;

	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		const char *ref = str(json_object_get(m, "annotations"), REF_NAME);

		if (tag ? ref && !strcmp(ref, tag) : true) {
			if (found && !tag) {
				error_set(-EINVAL, "image: it has several manifests: name one (\"tag\")");
				return NULL;
			}
			found = m;
			if (tag)
				break;
		}
	}
	if (!found)
		error_set(-ENOENT, tag ? "image: no manifest tagged '%.64s'" : "image: no manifest%s",
			  tag ? tag : "");
	return found;
}

int ctr_image_open(struct ctr_image *img, const char *path, const char *tag, const char *workdir)
{
	char index_path[PATH_MAX + 16];
	const json_t *desc;
	json_error_t e;
	struct stat st;
	json_t *index;
	int err;

	memset(img, 0, sizeof(*img));
	if (stat(path, &st))
		return error_errno(-errno, "image %s", path);
	if (S_ISDIR(st.st_mode)) {
		snprintf(img->layout, sizeof(img->layout), "%s", path);
	} else {
		/* an archive of a layout: extracted, with the same guards as a layer */
		if (snprintf(img->unpacked, sizeof(img->unpacked), "%s/image.XXXXXX", workdir) >=
		    (int)sizeof(img->unpacked) || !mkdtemp(img->unpacked))
			return error_errno(-errno, "cannot make a directory in %s", workdir);
		snprintf(img->layout, sizeof(img->layout), "%s", img->unpacked);
		if ((err = extract_into(img->unpacked, path, false)))
			goto fail;
	}
	snprintf(index_path, sizeof(index_path), "%s/index.json", img->layout);
	index = json_load_file(index_path, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(index)) {
		json_decref(index);
		err = error_set(-EINVAL, "image %s: index.json: %s", path, e.text);
		goto fail;
	}
	desc = pick(index, tag);
	if (desc)
		snprintf(img->digest, sizeof(img->digest), "%s", str(desc, "digest") ?: "");
	json_decref(index);
	if (!desc) {
		err = -ENOENT;
		goto fail;
	}
	img->manifest = json_blob(img, img->digest);
	img->config = img->manifest ? json_blob(img, str(json_object_get(img->manifest, "config"),
							 "digest")) : NULL;
	if (!img->config) {
		err = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	ctr_image_close(img);
	return err;
}

void ctr_image_close(struct ctr_image *img)
{
	json_decref(img->manifest);
	json_decref(img->config);
	img->manifest = img->config = NULL;
	if (img->unpacked[0]) {
		ctr_image_remove_tree(AT_FDCWD, img->unpacked);
		img->unpacked[0] = '\0';
	}
}

int ctr_image_unpack(const struct ctr_image *img, const char *rootfs)
{
	char layer[PATH_MAX];
	const json_t *l;
	size_t i;
	int rootfd, err = 0;

	if (mkdir(rootfs, 0755))
		return error_errno(-errno, "cannot make %s", rootfs);
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return error_errno(-errno, "cannot open %s", rootfs);
	json_array_foreach(json_object_get(img->manifest, "layers"), i, l) {
		if ((err = blob_path(img, str(l, "digest"), layer, sizeof(layer))) ||
		    (err = apply_whiteouts(rootfd, layer)) || (err = extract_into(rootfs, layer, true)))
			break;
	}
	close(rootfd);
	return err;
}

json_t *ctr_image_process(const struct ctr_image *img)
{
	const json_t *c = json_object_get(img->config, "config");
	json_t *out = json_object(), *args = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(c, "Entrypoint"), i, v)
		if (json_is_string(v))
			json_array_append(args, v);
	json_array_foreach(json_object_get(c, "Cmd"), i, v)
		if (json_is_string(v))
			json_array_append(args, v);
	if (json_array_size(args))
		json_object_set(out, "args", args);
	json_decref(args);
	if (json_is_array(json_object_get(c, "Env")))
		json_object_set(out, "env", json_object_get(c, "Env"));
	if (str(c, "WorkingDir") && *str(c, "WorkingDir"))
		json_object_set(out, "cwd", json_object_get(c, "WorkingDir"));
	if (str(c, "User") && *str(c, "User"))
		json_object_set(out, "user", json_object_get(c, "User"));
	return out;
}

/* ---- a bundle from an image ---- */

#define DEFAULT_PATH	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* "NAME" of /etc/passwd (or /etc/group) in the root: its id, or -ENOENT. */
static long id_of(int rootfd, const char *file, const char *name, long *gid)
{
	char line[1024], *save, *f[4];
	long id = -ENOENT;
	int fd = ctr_path_open(rootfd, file, O_RDONLY);
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	int i;

	if (!fp) {
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	while (id < 0 && fgets(line, sizeof(line), fp)) {
		save = NULL;
		for (i = 0; i < 4; i++)
			f[i] = strtok_r(i ? NULL : line, ":\n", &save);
		if (f[0] && f[2] && !strcmp(f[0], name)) {
			id = strtol(f[2], NULL, 10);
			if (gid && f[3])
				*gid = strtol(f[3], NULL, 10);
		}
	}
	fclose(fp);
	return id;
}

/* The image's "User" (uid, name, uid:gid, name:group) as process.user. */
static json_t *user_of(int rootfd, const char *user)
{
	char buf[256], *colon;
	long uid, gid = 0;
	char *end;

	snprintf(buf, sizeof(buf), "%s", user);
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	uid = strtol(buf, &end, 10);
	if (*end || end == buf)
		uid = id_of(rootfd, "/etc/passwd", buf, &gid);
	else
		gid = uid;
	if (colon) {
		gid = strtol(colon, &end, 10);
		if (*end || end == colon)
			gid = id_of(rootfd, "/etc/group", colon, NULL);
	}
	if (uid < 0 || gid < 0) {
		error_set(-EINVAL, "image: user '%.64s' is not in the image's /etc/passwd or /etc/group",
			  user);
		return NULL;
	}
	return json_pack("{s:I,s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid);
}

static bool has_var(const json_t *env, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(env, i, e)
		if (json_is_string(e) && ctr_env_same_name(name, json_string_value(e)))
			return true;
	return false;
}

/* The image's environment under the config's: the config's defaults give way. */
static json_t *env_of(const json_t *image_env, const json_t *config_env)
{
	json_t *env = json_deep_copy(image_env), *e;
	size_t i;

	json_array_foreach(config_env, i, e) {
		const char *var = json_string_value(e);

		if (!var || (!strcmp(var, DEFAULT_PATH) && has_var(env, "PATH")))
			continue;
		ctr_env_set(env, var);
	}
	return env;
}

static int apply(const struct ctr_image *img, int rootfd, const char *config_path, unsigned fill)
{
	json_t *cfg = json_load_file(config_path, JSON_REJECT_DUPLICATES, NULL), *proc, *want, *v;
	char *text;
	int err = 0;

	if (!json_is_object(cfg) || !json_is_object(proc = json_object_get(cfg, "process"))) {
		json_decref(cfg);
		return error_set(-EINVAL, "%s: not a config with a process", config_path);
	}
	want = ctr_image_process(img);
	if (json_is_array(json_object_get(want, "env")))
		json_object_set_new(proc, "env", env_of(json_object_get(want, "env"),
							json_object_get(proc, "env")));
	if ((fill & CTR_IMAGE_FILL_ARGS) && (v = json_object_get(want, "args")))
		json_object_set(proc, "args", v);
	if ((fill & CTR_IMAGE_FILL_CWD) && (v = json_object_get(want, "cwd")))
		json_object_set(proc, "cwd", v);
	if ((fill & CTR_IMAGE_FILL_USER) && json_object_get(want, "user")) {
		v = user_of(rootfd, str(want, "user"));
		if (!v)
			err = -EINVAL;
		else
			json_object_set_new(proc, "user", v);
	}
	json_decref(want);
	text = err ? NULL : json_dumps(cfg, JSON_INDENT(2));
	json_decref(cfg);
	if (err)
		return err;
	if (!text)
		return error_set(-ENOMEM, "out of memory");
	err = ctr_write_atomic(config_path, text, strlen(text), 0600);
	free(text);
	return err;
}

int ctr_image_bundle(const char *path, const char *tag, const char *bundle, unsigned fill)
{
	char rootfs[PATH_MAX], fresh[PATH_MAX], marker[PATH_MAX], config[PATH_MAX], had[128] = "";
	struct ctr_image img;
	int bfd, rootfd, err, fd;
	ssize_t n;

	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle) >= (int)sizeof(rootfs) ||
	    snprintf(fresh, sizeof(fresh), "%s/rootfs.new", bundle) >= (int)sizeof(fresh) ||
	    snprintf(marker, sizeof(marker), "%s/rootfs.digest", bundle) >= (int)sizeof(marker) ||
	    snprintf(config, sizeof(config), "%s/config.json", bundle) >= (int)sizeof(config))
		return error_set(-ENAMETOOLONG, "bundle %s: path too long", bundle);
	if ((err = ctr_image_open(&img, path, tag, bundle)))
		return err;
	bfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0) {
		err = error_errno(-errno, "cannot open %s", bundle);
		goto out;
	}
	fd = openat(bfd, "rootfs.digest", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, had, sizeof(had) - 1);
		had[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (strcmp(had, img.digest) || access(rootfs, F_OK)) {
		/* unpacked whole, then put in place: a half-unpacked root is never used */
		ctr_image_remove_tree(bfd, "rootfs.new");
		if ((err = ctr_image_unpack(&img, fresh)))
			goto out;
		unlinkat(bfd, "rootfs.digest", 0);
		if ((err = ctr_image_remove_tree(bfd, "rootfs")) || renameat(bfd, "rootfs.new", bfd, "rootfs")) {
			err = error_errno(err ? err : -errno, "cannot put the image's root in place");
			goto out;
		}
		if ((err = ctr_write_atomic_at(bfd, "rootfs.digest", img.digest, strlen(img.digest), 0600)))
			goto out;
	}
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		err = error_errno(-errno, "cannot open %s", rootfs);
		goto out;
	}
	err = apply(&img, rootfd, config, fill);
	close(rootfd);
out:
	if (bfd >= 0)
		close(bfd);
	ctr_image_close(&img);
	return err;
}
