/*
 * Paths inside a container's root file system, resolved as if that
 * directory were "/": symlinks (absolute or relative) and ".." never lead
 * out of it (openat2 RESOLVE_IN_ROOT), and magic links (/proc/self/fd/N
 * and the like) are refused. Whatever the runtime creates or mounts on
 * inside the root goes through here.
 */
#ifndef CTR_PATH_H
#define CTR_PATH_H

#include <stdbool.h>
#include <sys/types.h>

/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); returns fd or -errno. */
int ctr_path_open(int rootfd, const char *path, int flags);

enum ctr_target_kind { CTR_TARGET_DIR, CTR_TARGET_FILE };

/*
 * The mount target path inside root, created if missing: directories along
 * the way (mode 0755) and the last one as a directory or an empty file.
 * Returns an O_PATH fd of the target, or -errno with a message. A dangling
 * symlink on the way is an error, not something to create through.
 */
int ctr_path_make_target(int rootfd, const char *path, enum ctr_target_kind kind);

/* "/proc/self/fd/N" for fd, into buf (at least 32 bytes). */
const char *ctr_fd_path(int fd, char *buf, size_t n);

#endif
