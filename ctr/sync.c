/* Messages between the runtime and its children; fd passing. */
#include "ctr/sync.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"

struct hdr {
	uint32_t type;
	int32_t err;
};

int ctr_send_fds(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} c;
	char dummy = 0;
	struct iovec iov = { len ? (void *)data : &dummy, len ? len : 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t w;

	if (nfds > 4)
		return -EINVAL;
	if (nfds) {
		memset(&c, 0, sizeof(c));
		msg.msg_control = c.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(&c.h), fds, sizeof(int) * nfds);
	}
	do
		w = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return 0;
}

int ctr_recv_fd(int sock, int *fd, void *data, size_t *len)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} c;
	struct iovec iov = { data, *len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			      .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	ssize_t r;

	*fd = -1;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	*len = (size_t)r;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t i, n;
		int fds[4];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > 4)
			n = 4;
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (i = 0; i < n; i++) {
			if (*fd < 0)
				*fd = fds[i];
			else
				close(fds[i]);	/* one fd is all any message carries */
		}
	}
	return 0;
}

int ctr_sync_send(int sock, enum ctr_sync type, int err, const void *data, size_t len, int fd)
{
	char *buf;
	struct hdr h = { (uint32_t)type, err };
	int ret;

	if (len > CTR_SYNC_MAX - sizeof(h))
		return -EMSGSIZE;
	buf = malloc(sizeof(h) + len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), data, len);
	ret = ctr_send_fds(sock, &fd, fd >= 0 ? 1 : 0, buf, sizeof(h) + len);
	free(buf);
	return ret;
}

int ctr_sync_recv(int sock, int *err, char *buf, size_t n, int *fd)
{
	char *raw = malloc(CTR_SYNC_MAX);
	size_t len = CTR_SYNC_MAX, body;
	struct hdr h;
	int r;

	*fd = -1;
	*err = 0;
	if (!raw)
		return -ENOMEM;
	r = ctr_recv_fd(sock, fd, raw, &len);
	if (r < 0) {
		free(raw);
		return r == -ECONNRESET ? CTR_SYNC_EOF : r;
	}
	if (len == 0) {
		free(raw);
		return CTR_SYNC_EOF;
	}
	if (len < sizeof(h)) {
		free(raw);
		return -EPROTO;
	}
	memcpy(&h, raw, sizeof(h));
	body = len - sizeof(h);
	if (n) {
		if (body >= n)
			body = n - 1;
		memcpy(buf, raw + sizeof(h), body);
		buf[body] = '\0';
	}
	free(raw);
	*err = h.err;
	if (h.type < CTR_SYNC_ERROR || h.type > CTR_SYNC_READY)
		return -EPROTO;
	return (int)h.type;
}

int ctr_sync_expect(int sock, enum ctr_sync type, char *buf, size_t n, int *fd)
{
	char local[512];
	int err, t, fdl;

	if (!buf || !n) {
		buf = local;
		n = sizeof(local);
	}
	t = ctr_sync_recv(sock, &err, buf, n, fd ? fd : &fdl);
	if (!fd && fdl >= 0)
		close(fdl);
	if (t < 0)
		return error_errno(t, "lost touch with the container's setup");
	if (t == CTR_SYNC_ERROR)
		return error_set(err < 0 ? err : -EIO, "%s", buf);
	if (t == CTR_SYNC_EOF)
		return error_set(-EPIPE, "the container's init exited during setup");
	if (t != (int)type)
		return error_set(-EPROTO, "unexpected message %d during setup (wanted %d)", t, type);
	return 0;
}

void ctr_sync_report(int sock, int err)
{
	const char *msg = error_msg();

	if (!*msg)
		msg = strerror(-err);
	ctr_sync_send(sock, CTR_SYNC_ERROR, err, msg, strlen(msg), -1);
}
