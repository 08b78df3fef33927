/*
 * gasang screenshot --control SOCKET FILE.png: what a VM's display shows,
 * through its control socket (`gasang run --display ... --control SOCKET`).
 * The file is opened here and its descriptor passed with the request: the
 * sandboxed VM opens no paths (vm/control.h, "screendump").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "cli/cli.h"

#define REPLY_MAX 4096

static const char screenshot_help[] =
	"usage: gasang screenshot --control SOCKET FILE.png\n"
	"  write what the VM's display (gasang run --display) shows to FILE.png\n";

static const struct cli_report report = { .prog = "gasang screenshot",
					   .help = "gasang screenshot --help" };

static int connect_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return error_set(-ENAMETOOLONG, "%s: socket path too long", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(-errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		int err = -errno;

		close(fd);
		return error_set(err, "%s: %s", path, strerror(-err));
	}
	return fd;
}

/* The request line with file's descriptor beside it. */
static int send_request(int sock, int file, const char *line)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)line, strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	ssize_t w;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &file, sizeof(int));
	w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	if (w < 0)
		return error_set(-errno, "sending the request: %s", strerror(errno));
	/* a line longer than one message would be unusual; the rest without the fd */
	while ((size_t)w < iov.iov_len) {
		ssize_t n = send(sock, line + w, iov.iov_len - (size_t)w, MSG_NOSIGNAL);

		if (n < 0)
			return error_set(-errno, "sending the request: %s", strerror(errno));
		w += n;
	}
	return 0;
}

static int read_reply(int sock, char *buf, size_t max)
{
	size_t len = 0;

	while (len < max - 1) {
		ssize_t r = read(sock, buf + len, max - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return error_set(-EPIPE, "the VM closed its control socket without answering");
		len += (size_t)r;
		buf[len] = 0;
		if (memchr(buf, '\n', len))
			return 0;
	}
	return error_set(-EPROTO, "the VM's answer is too long");
}

static int screenshot(const char *control, const char *path)
{
	char reply[REPLY_MAX], *line = NULL;
	json_t *req, *rep = NULL, *ok;
	int sock, file = -1, err;

	sock = connect_unix(control);
	if (sock < 0)
		return sock;
	file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (file < 0) {
		err = error_set(-errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	req = json_pack("{s:i,s:s,s:s}", "id", 1, "op", "screendump", "path", path);
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!line || !(line = realloc(line, strlen(line) + 2))) {
		err = error_set(-ENOMEM, "out of memory");
		goto out;
	}
	strcat(line, "\n");
	err = send_request(sock, file, line);
	if (!err)
		err = read_reply(sock, reply, sizeof(reply));
	if (err)
		goto out;
	rep = json_loads(reply, JSON_DISABLE_EOF_CHECK, NULL);
	ok = json_object_get(rep, "ok");
	if (!json_is_true(ok)) {
		const char *msg = json_string_value(json_object_get(json_object_get(rep, "error"),
								    "message"));

		err = error_set(-EIO, "%s", msg ? msg : "the VM's answer is not JSON");
	}
out:
	if (err && file >= 0)
		unlink(path);	/* no half-written or empty picture left behind */
	if (file >= 0)
		close(file);
	close(sock);
	free(line);
	json_decref(rep);
	return err;
}

int cmd_screenshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *control = NULL;
	int c, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c': control = optarg; break;
		case 'h':
			fputs(screenshot_help, stdout);
			return 0;
		case ':':
			return cli_usage_error(&report, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(&report, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!control)
		return cli_usage_error(&report, "--control SOCKET is required");
	if (optind + 1 != argc)
		return cli_usage_error(&report, "one FILE.png is required");
	err = screenshot(control, argv[optind]);
	return err ? cli_fail(&report, 1, err) : 0;
}
