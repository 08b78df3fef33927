#include "base/socket-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"

void socket_file_init(struct socket_file *f)
{
	f->dir_fd = -1;
	f->name[0] = '\0';
}

int socket_file_hold(struct socket_file *f, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[sizeof(f->name)];

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	snprintf(f->name, sizeof(f->name), "%s", slash ? slash + 1 : path);
	f->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->dir_fd < 0)
		return error_errno(-errno, "socket '%s': cannot open its directory", path);
	return 0;
}

void socket_file_remove(struct socket_file *f)
{
	if (f->dir_fd < 0)
		return;
	/* EACCES when the VM runs as another user now: a later start replaces it */
	unlinkat(f->dir_fd, f->name, 0);
	close(f->dir_fd);
	f->dir_fd = -1;
}
