/*
 * gasang save SOCKET FILE: save a `gasang run --control SOCKET` VM into FILE.
 * The VM is sandboxed and opens no files, so this command makes the file (a
 * new one beside FILE), sends its descriptor with the control op "save"
 * (SCM_RIGHTS), and renames it over FILE once the VM says it is written and
 * synced. The VM ends; `gasang run SAME-ARGUMENTS --restore FILE` resumes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <jansson.h>

#include "base/error.h"
#include "cli/cli.h"

#define SAVE_TIMEOUT_S	600	/* a large VM on a slow disk */
#define REPLY_MAX	4096

static const struct cli_report save_report = { .prog = "gasang save", .help = "gasang save --help" };

static const char save_help[] =
	"usage: gasang save SOCKET FILE\n"
	"Save the VM serving the control socket SOCKET (gasang run --control) into FILE\n"
	"and end it; 'gasang run SAME-ARGUMENTS --restore FILE' resumes it. Prints what\n"
	"was written (JSON). Exit status: 0 saved, 1 the VM could not save (it runs on),\n"
	"2 bad usage, 3 no VM answers at SOCKET.\n";

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = SAVE_TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(-ENAMETOOLONG, "%s: path too long for a socket", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(-errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = error_errno(-errno, "%s", path);

		close(fd);
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The request line with the file's descriptor in the same message. */
static int send_request(int sock, int file)
{
	static const char line[] = "{\"op\":\"save\"}\n";
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { (void *)line, sizeof(line) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			    .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &file, sizeof(file));
	if (sendmsg(sock, &m, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		return error_errno(-errno, "cannot send the request");
	return 0;
}

/* One reply line: its result object (0) or the VM's error message (-EIO). */
static int read_reply(int sock, json_t **result)
{
	char buf[REPLY_MAX];
	size_t n = 0;
	json_t *r;

	while (n < sizeof(buf) - 1) {
		ssize_t k = recv(sock, buf + n, 1, 0);

		if (k <= 0)
			return error_set(k < 0 ? -errno : -EPIPE, "no answer from the VM");
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	r = json_loads(buf, 0, NULL);
	if (!r)
		return error_set(-EPROTO, "a reply that is not JSON: %s", buf);
	if (json_is_true(json_object_get(r, "ok"))) {
		*result = json_incref(json_object_get(r, "result"));
		json_decref(r);
		return 0;
	}
	error_set(-EIO, "%s", json_string_value(json_object_get(json_object_get(r, "error"),
								"message")) ?: buf);
	json_decref(r);
	return -EIO;
}

int cmd_save(int argc, char **argv)
{
	char tmp[PATH_MAX];
	json_t *result = NULL;
	int sock, file, err;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(save_help, stdout);
		return 0;
	}
	if (argc != 3)
		return cli_usage_error(&save_report, "expected SOCKET FILE");
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", argv[2], (int)getpid()) >= (int)sizeof(tmp))
		return cli_usage_error(&save_report, "%s: path too long", argv[2]);
	sock = connect_to(argv[1]);
	if (sock < 0)
		return cli_fail(&save_report, 3, sock);
	file = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (file < 0) {
		err = error_errno(-errno, "cannot create %s", tmp);
		close(sock);
		return cli_fail(&save_report, 1, err);
	}
	err = send_request(sock, file);
	close(file);
	if (!err)
		err = read_reply(sock, &result);
	close(sock);
	if (!err && rename(tmp, argv[2]) < 0)
		err = error_errno(-errno, "cannot rename %s to %s", tmp, argv[2]);
	if (err) {
		unlink(tmp);
		return cli_fail(&save_report, 1, err);
	}
	json_object_set_new(result, "path", json_string(argv[2]));
	cli_print_json(result, JSON_COMPACT);
	json_decref(result);
	return 0;
}
