/*
 * OCI images (image-spec 1.x) for containers: an image layout directory
 * (oci-layout, index.json, blobs/ALG/HEX) or a tar archive of one. One
 * manifest is taken (by its org.opencontainers.image.ref.name tag, or the
 * only one there is); its layers (tar, gzip or zstd) are applied in order
 * to a new root file system, whiteouts honoured (.wh.NAME removes NAME of
 * the layers below, .wh..wh..opq empties a directory of them); its config
 * says the process's defaults (Entrypoint and Cmd, Env, WorkingDir, User).
 *
 * What an image holds is not trusted: every blob's digest is checked
 * (sha256), a digest is never a path, and archives are extracted with
 * libarchive's guards (no "..", no absolute names, nothing written through
 * a symlink), whiteouts resolved inside the root (ctr/path.h).
 */
#ifndef CTR_IMAGE_H
#define CTR_IMAGE_H

#include <jansson.h>
#include <limits.h>

#define CTR_IMAGE_DIGEST_MAX	80	/* "sha256:" and 64 hex digits, and then some */

struct ctr_image {
	char layout[PATH_MAX];		/* the layout directory */
	char unpacked[PATH_MAX];	/* an archive's, extracted here (removed at close); "" none */
	char digest[CTR_IMAGE_DIGEST_MAX];	/* the manifest's */
	json_t *manifest;
	json_t *config;			/* the image config */
};

/*
 * Open the image at path (a layout directory, or an archive of one, which
 * is extracted under workdir), and pick its manifest: the one tagged tag,
 * or with tag NULL the only one. -errno with a message.
 */
int ctr_image_open(struct ctr_image *img, const char *path, const char *tag, const char *workdir);
void ctr_image_close(struct ctr_image *img);

/* Apply every layer to rootfs, a directory made here (it must not exist). */
int ctr_image_unpack(const struct ctr_image *img, const char *rootfs);

/*
 * The process the image says to run: {"args": [...] (Entrypoint then Cmd),
 * "env": [...], "cwd", "user"}, each present only when the image has it.
 */
json_t *ctr_image_process(const struct ctr_image *img);

/* What of the process the image says, when the container's definition did not. */
#define CTR_IMAGE_FILL_ARGS	1
#define CTR_IMAGE_FILL_CWD	2
#define CTR_IMAGE_FILL_USER	4

/*
 * A bundle's root from the image at path (tag: as ctr_image_open): BUNDLE/rootfs
 * unpacked (again only when the image's manifest changed: BUNDLE/rootfs.digest
 * says which it is from), and BUNDLE/config.json given the image's process
 * defaults: its environment under the config's own, and what fill asks for.
 */
int ctr_image_bundle(const char *path, const char *tag, const char *bundle, unsigned fill);

/* "sha256:HEX" with 64 lower-case hex digits: a blob's name. */
int ctr_image_digest_check(const char *digest);

/* Remove name in dirfd and, if it is a directory, all in it, never following a symlink. */
int ctr_image_remove_tree(int dirfd, const char *name);

#endif
