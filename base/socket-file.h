/*
 * A unix socket's file, removed at the end through a descriptor of its
 * directory taken when the socket was made: a --chroot since then does not
 * hide it, and a sandboxed VM may unlink in those directories only
 * (base/sandbox.h).
 */
#ifndef BASE_SOCKET_FILE_H
#define BASE_SOCKET_FILE_H

#include <sys/socket.h>
#include <sys/un.h>

struct socket_file {
	int dir_fd;		/* O_PATH; -1: no file to remove */
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Nothing held yet: socket_file_remove() does nothing. */
void socket_file_init(struct socket_file *f);
/* Hold path's directory. 0 or a negative errno (recorded). */
int socket_file_hold(struct socket_file *f, const char *path);
/* Remove the file (best effort: it may not be ours to remove any more) and let go. */
void socket_file_remove(struct socket_file *f);

#endif
