/* Ptys for containers. */
#include "ctr/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "ctr/error.h"
#include "ctr/mounts.h"
#include "ctr/path.h"

int ctr_console_open(int rootfd, unsigned rows, unsigned cols, int *master, int *slave)
{
	int unlock = 0, m, s;

	m = ctr_path_open(rootfd, "/dev/ptmx", O_RDWR | O_NOCTTY);
	if (m < 0)
		return error_errno(m, "cannot open /dev/ptmx in the container (is /dev/pts mounted?)");
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
		int err = -errno;

		close(m);
		return error_errno(err, "cannot unlock the pty");
	}
	/* the peer straight from the master: no path to trick */
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int err = -errno;

		close(m);
		return error_errno(err, "cannot open the pty's slave");
	}
	if (rows && cols) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };

		ioctl(m, TIOCSWINSZ, &ws);
	}
	*master = m;
	*slave = s;
	return 0;
}

int ctr_console_bind(int rootfd, int slave)
{
	int fd = ctr_path_make_target(rootfd, "/dev/console", CTR_TARGET_FILE), err;

	if (fd < 0)
		return ctr_error_wrap(fd, "/dev/console");
	err = ctr_bind_mount(NULL, slave, fd, false, 0, 0, 0, 0, 0);
	close(fd);
	return err;
}

int ctr_console_make_ctty(int slave)
{
	int i;

	if (setsid() < 0 && errno != EPERM)
		return error_errno(-errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return error_errno(-errno, "cannot make the pty the controlling terminal");
	for (i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return error_errno(-errno, "dup2 of the pty");
	if (slave > 2)
		close(slave);
	return 0;
}

int ctr_console_socket_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(-ENAMETOOLONG, "--console-socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(-errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return error_errno(err, "cannot connect to the console socket %s", path);
	}
	return fd;
}

int ctr_tty_raw(int fd, struct termios *saved)
{
	struct termios t;

	if (tcgetattr(fd, saved) < 0)
		return -errno;
	t = *saved;
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	return 0;
}

void ctr_tty_restore(int fd, const struct termios *saved)
{
	tcsetattr(fd, TCSANOW, saved);
}

void ctr_tty_copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

int ctr_tty_pump(int from, int to)
{
	char buf[16384];
	ssize_t r = read(from, buf, sizeof(buf)), off = 0;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0)
		return -1;
	while (off < r) {
		ssize_t w = write(to, buf + off, (size_t)(r - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { to, POLLOUT, 0 };

			poll(&p, 1, 1000);
			continue;
		}
		if (w <= 0)
			return -1;
		off += w;
	}
	return 0;
}
