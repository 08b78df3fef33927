#include "ctr/monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/loop.h"
#include "base/netlink.h"
#include "ctr/container.h"
#include "ctr/image.h"
#include "ctr/sync.h"
#include "vm/control.h"

#define OUTPUT_CHUNK	16384
#define DRAIN_MS	100	/* after the init's end, what it wrote last */

struct monitor {
	const struct ctr_monitor_opts *o;
	struct ctr_runtime rt;
	pid_t init;
	int out_fd;			/* the pty master or the read end of stdout+stderr */
	int in_fd;			/* where console input goes: the master or the stdin pipe */
	int wake;			/* eventfd-like pipe: the control thread has news */
	int wake_w;
	struct control *ctl;
	struct loop loop;		/* the control socket's, on a thread of its own */
	uint64_t started_ns;
	atomic_bool input_blocked;	/* console input waits for in_fd to take more */
	atomic_bool stopping;		/* powerdown asked */
	_Atomic uint64_t kill_at_ns;	/* powerdown's grace ends; 0: none */
};

/* ---- NICs ---- */

int ctr_monitor_nic_parse(const char *spec, struct ctr_monitor_nic *nic)
{
	char buf[256], *tok, *save = NULL, *val, *slash;
	unsigned m[6];
	bool have_addr = false;

	memset(nic, 0, sizeof(*nic));
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return error_set(-EINVAL, "--nic %.64s...: too long", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		val = strchr(tok, '=');
		if (!val)
			return error_set(-EINVAL, "--nic: '%s' is not KEY=VALUE", tok);
		*val++ = '\0';
		if (!strcmp(tok, "bridge") || !strcmp(tok, "ifname")) {
			char *dst = tok[0] == 'b' ? nic->bridge : nic->ifname;

			if (!*val || strlen(val) >= IF_NAMESIZE)
				return error_set(-EINVAL, "--nic: %s '%s' is not an interface name", tok, val);
			strcpy(dst, val);
		} else if (!strcmp(tok, "mac")) {
			if (sscanf(val, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4],
				   &m[5]) != 6 || strlen(val) != 17)
				return error_set(-EINVAL, "--nic: mac '%s' is not a MAC address", val);
			for (int i = 0; i < 6; i++)
				nic->mac[i] = (uint8_t)m[i];
		} else if (!strcmp(tok, "address")) {
			slash = strchr(val, '/');
			if (!slash || inet_pton(AF_INET, (*slash = '\0', val), &nic->address) != 1 ||
			    (nic->prefix = atoi(slash + 1)) < 1 || nic->prefix > 30)
				return error_set(-EINVAL, "--nic: address is ADDRESS/PREFIX (IPv4, /1 to /30)");
			have_addr = true;
		} else if (!strcmp(tok, "gateway")) {
			if (inet_pton(AF_INET, val, &nic->gateway) != 1)
				return error_set(-EINVAL, "--nic: gateway '%s' is not an IPv4 address", val);
		} else {
			return error_set(-EINVAL, "--nic: unknown key '%s'", tok);
		}
	}
	if (!nic->bridge[0] || !nic->ifname[0] || !have_addr)
		return error_set(-EINVAL, "--nic needs bridge=, ifname= and address=");
	return 0;
}

struct inside {
	const struct ctr_monitor_opts *o;
};

/* In the container's network namespace: lo, each ethN with its address, the default route. */
static int configure_inside(struct rtnl *n, void *arg)
{
	const struct inside *in = arg;
	bool routed = false;
	char name[IF_NAMESIZE];
	size_t i;
	int err, index;

	if ((err = rtnl_link_set(n, (int)if_nametoindex("lo"), 1, -1)))
		return err;
	for (i = 0; i < in->o->nnics; i++) {
		const struct ctr_monitor_nic *nic = &in->o->nics[i];

		snprintf(name, sizeof(name), "eth%u", (unsigned)(i % CTR_MONITOR_MAX_NICS));
		index = (int)if_nametoindex(name);
		if (!index)
			return -ENODEV;
		if ((err = rtnl_addr_add(n, index, nic->address, nic->prefix)) ||
		    (err = rtnl_link_set(n, index, 1, -1)))
			return err;
		if (nic->gateway.s_addr && !routed) {
			if ((err = rtnl_route_default(n, index, nic->gateway)))
				return err;
			routed = true;
		}
	}
	return 0;
}

static void nics_remove(const struct ctr_monitor_opts *o)
{
	size_t i;

	for (i = 0; i < o->nnics; i++)
		rtnl_link_del_name(o->nics[i].ifname);
}

static int nics_connect(const struct ctr_monitor_opts *o, pid_t init)
{
	struct inside in = { o };
	char peer[IF_NAMESIZE];
	struct rtnl n;
	size_t i;
	int err, br, index;

	if ((err = rtnl_open(&n)))
		return error_errno(err, "netlink");
	for (i = 0; i < o->nnics; i++) {
		const struct ctr_monitor_nic *nic = &o->nics[i];

		snprintf(peer, sizeof(peer), "eth%u", (unsigned)(i % CTR_MONITOR_MAX_NICS));
		br = (int)if_nametoindex(nic->bridge);
		if (!br) {
			err = error_set(-ENODEV, "no bridge %s for the container's %s", nic->bridge, peer);
			break;
		}
		/* a veth of an earlier run that was not cleaned up goes first */
		rtnl_link_del_name(nic->ifname);
		if ((err = rtnl_veth_add(&n, nic->ifname, peer, init, nic->mac))) {
			err = error_errno(err, "cannot create the veth pair %s", nic->ifname);
			break;
		}
		index = (int)if_nametoindex(nic->ifname);
		if (!index || (err = rtnl_link_set(&n, index, 1, br))) {
			err = error_errno(err ? err : -ENODEV, "cannot put %s on %s", nic->ifname,
					  nic->bridge);
			break;
		}
	}
	rtnl_close(&n);
	if (!err && (err = rtnl_in_netns(init, configure_inside, &in)))
		err = error_errno(err, "cannot configure the container's network");
	if (err)
		nics_remove(o);
	return err;
}

/* ---- the runtime ---- */

/* `RUNTIME oci --root ROOT VERB ...` with stdio 0-2 given; its exit status, or -errno. */
static int runtime(const struct ctr_monitor_opts *o, const char *const *args, const int stdio[3])
{
	const char *argv[16];
	int i = 0, k, status;
	pid_t pid;

	argv[i++] = o->runtime;
	argv[i++] = "oci";
	argv[i++] = "--root";
	argv[i++] = o->root;
	for (k = 0; args[k] && i < 15; k++)
		argv[i++] = args[k];
	argv[i] = NULL;
	pid = fork();
	if (pid < 0)
		return error_errno(-errno, "fork");
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (k = 0; k < 3; k++)
			if (stdio[k] != k)
				dup2(stdio[k], k);
		execv(o->runtime, (char *const *)argv);
		dprintf(2, "gasang ctr-monitor: cannot run %s: %s\n", o->runtime, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_errno(-errno, "wait");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A unix socket for the runtime's --console-socket, listening at path. */
static int console_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(-ENAMETOOLONG, "console socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(-errno, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		int err = error_errno(-errno, "cannot listen on %s", path);

		close(fd);
		return err;
	}
	return fd;
}

/* The pty master the runtime sent (it has exited: the message waits in the socket). */
static int console_take(int lfd, int *master)
{
	char buf[256];
	size_t len = sizeof(buf);
	int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), err;

	if (c < 0)
		return error_errno(-errno, "the runtime sent no terminal");
	err = ctr_recv_fd(c, master, buf, &len);
	close(c);
	if (err || *master < 0)
		return error_errno(err ? err : -EPROTO, "no pty master came from the runtime");
	return 0;
}

static int init_pid(struct monitor *m)
{
	json_t *st;
	int err = ctr_state_get(&m->rt, m->o->id, &st);

	if (err)
		return err;
	m->init = (pid_t)json_integer_value(json_object_get(st, "pid"));
	json_decref(st);
	if (m->init <= 0)
		return error_set(-ESRCH, "the container has no init");
	return 0;
}

/*
 * Create (stdio set up: a terminal from the console socket, or pipes), connect
 * the NICs, start. On failure nothing of the container is left.
 */
static int create_and_start(struct monitor *m)
{
	const struct ctr_monitor_opts *o = m->o;
	char sock[PATH_MAX];
	int stdio[3], in[2] = { -1, -1 }, out[2] = { -1, -1 }, lfd = -1, null, rc, err;
	const char *create[] = { "create", "--bundle", o->bundle, o->id, NULL, NULL, NULL };
	const char *start[] = { "start", o->id, NULL };

	/* the runtime's root, where the console socket goes too */
	null = ctr_root_open(o->root, true);
	if (null < 0)
		return null;
	close(null);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return error_errno(-errno, "/dev/null");
	if (o->terminal) {
		snprintf(sock, sizeof(sock), "%s/%s.console", o->root, o->id);
		lfd = console_listen(sock);
		if (lfd < 0) {
			close(null);
			return lfd;
		}
		stdio[0] = stdio[1] = null;
		stdio[2] = STDERR_FILENO;
		create[3] = "--console-socket";
		create[4] = sock;
		create[5] = o->id;
	} else {
		if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
			err = error_errno(-errno, "pipe");
			goto out;
		}
		stdio[0] = in[0];
		stdio[1] = stdio[2] = out[1];
	}
	rc = runtime(o, create, stdio);
	if (rc) {
		err = rc < 0 ? rc : error_set(-EIO, "the container could not be created (gasang oci "
					      "create exited %d: its message is above)", rc);
		goto out;
	}
	if (o->terminal) {
		if ((err = console_take(lfd, &m->out_fd)))
			goto fail;
		m->in_fd = m->out_fd;
	} else {
		m->out_fd = out[0];
		m->in_fd = in[1];
		out[0] = in[1] = -1;
	}
	if ((err = init_pid(m)) || (err = nics_connect(o, m->init)))
		goto fail;
	stdio[0] = stdio[1] = null;
	stdio[2] = STDERR_FILENO;
	rc = runtime(o, start, stdio);
	if (rc) {
		err = rc < 0 ? rc : error_set(-EIO, "the container could not be started (gasang oci "
					      "start exited %d)", rc);
		nics_remove(o);
		goto fail;
	}
	err = 0;
	goto out;
fail:
	ctr_delete(&m->rt, o->id, true);
out:
	if (lfd >= 0) {
		close(lfd);
		unlink(sock);
	}
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	close(null);
	return err;
}

/* ---- the control socket's operations (its thread) ---- */

static void wake(struct monitor *m)
{
	char c = 1;

	if (write(m->wake_w, &c, 1) < 0)
		(void)0;	/* full: a wake-up is pending anyway */
}

static json_t *cgroup_stats(struct monitor *m)
{
	json_t *st = NULL, *data;

	if (ctr_stats(&m->rt, m->o->id, &st)) {
		error_clear();
		return NULL;
	}
	data = json_incref(json_object_get(st, "data"));
	json_decref(st);
	return data;
}

static json_int_t nested(json_t *o, const char *a, const char *b, const char *c)
{
	return json_integer_value(json_object_get(json_object_get(json_object_get(o, a), b), c));
}

static int ctl_status(void *opaque, json_t *r)
{
	struct monitor *m = opaque;
	json_t *st = NULL, *data = cgroup_stats(m);
	const char *status = "running";

	if (!ctr_state_get(&m->rt, m->o->id, &st))
		status = json_string_value(json_object_get(st, "status"));
	json_object_set_new(r, "state", json_string(status && !strcmp(status, "paused") ?
						    "paused" : "running"));
	json_decref(st);
	json_object_set_new(r, "pid", json_integer(m->init));
	json_object_set_new(r, "monitor_pid", json_integer(getpid()));
	json_object_set_new(r, "uptime_ms",
			    json_integer((json_int_t)((loop_now_ns() - m->started_ns) / 1000000)));
	/* the container's CPU time: every process of its cgroup, not the monitor's */
	json_object_set_new(r, "cpu_time_ms", data ? json_integer(nested(data, "cpu", "usage",
									   "total") / 1000000)
						 : json_null());
	json_object_set_new(r, "memory_used", data ? json_integer(nested(data, "memory", "usage",
									   "usage"))
						 : json_null());
	json_decref(data);
	return 0;
}

static long long sysfs_counter(const char *ifname, const char *name)
{
	char path[128], buf[32];
	long long v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		v = atoll(buf);
	}
	return v;
}

static int ctl_stats(void *opaque, json_t *r)
{
	struct monitor *m = opaque;
	json_t *nics = json_array(), *data = cgroup_stats(m);
	size_t i;

	for (i = 0; i < m->o->nnics; i++) {
		const struct ctr_monitor_nic *n = &m->o->nics[i];
		const char *h = n->ifname;
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		/* the host's end of the pair: what it receives, the container sent */
		json_array_append_new(nics, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
			"mac", mac, "ifname", h,
			"rx_frames", (json_int_t)sysfs_counter(h, "tx_packets"),
			"rx_bytes", (json_int_t)sysfs_counter(h, "tx_bytes"),
			"rx_dropped", (json_int_t)sysfs_counter(h, "tx_dropped"),
			"tx_frames", (json_int_t)sysfs_counter(h, "rx_packets"),
			"tx_bytes", (json_int_t)sysfs_counter(h, "rx_bytes"),
			"tx_dropped", (json_int_t)sysfs_counter(h, "rx_dropped")));
	}
	json_object_set_new(r, "disks", json_array());
	json_object_set_new(r, "nics", nics);
	if (data)
		json_object_set_new(r, "cgroup", data);
	return 0;
}

static int ctl_pause(void *opaque)
{
	struct monitor *m = opaque;

	return ctr_pause(&m->rt, m->o->id);
}

static int ctl_resume(void *opaque)
{
	struct monitor *m = opaque;

	return ctr_resume(&m->rt, m->o->id);
}

static int ctl_powerdown(void *opaque)
{
	struct monitor *m = opaque;
	int err;

	/* a paused container cannot take its SIGTERM */
	ctr_resume(&m->rt, m->o->id);
	error_clear();
	err = ctr_kill(&m->rt, m->o->id, SIGTERM, false);
	if (err)
		return err;
	atomic_store(&m->stopping, true);
	if (!atomic_load(&m->kill_at_ns))
		atomic_store(&m->kill_at_ns,
			     loop_now_ns() + (uint64_t)CTR_MONITOR_STOP_GRACE_MS * 1000000);
	wake(m);
	return 0;
}

static int ctl_reset(void *opaque)
{
	(void)opaque;
	return error_set(-ENOTSUP, "a container cannot be reset: stop and start it");
}

static void ctl_quit(void *opaque)
{
	struct monitor *m = opaque;

	ctr_kill(&m->rt, m->o->id, SIGKILL, true);
	error_clear();
}

static size_t ctl_console_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct monitor *m = opaque;
	ssize_t n = write(m->in_fd, buf, len);

	if (n >= 0 && (size_t)n == len)
		return len;
	if (n < 0 && errno != EAGAIN) {
		return len;	/* the container closed its input: dropped */
	}
	atomic_store(&m->input_blocked, true);
	wake(m);
	return n > 0 ? (size_t)n : 0;
}

/* ---- the main loop ---- */

static void copy_output(struct monitor *m, bool *open_)
{
	uint8_t buf[OUTPUT_CHUNK];
	ssize_t n = read(m->out_fd, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			*open_ = false;	/* EIO: the terminal's last holder is gone */
		return;
	}
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		(void)0;	/* the log is a convenience; the console still gets it */
	if (m->ctl)
		control_console_output(m->ctl, buf, (size_t)n);
}

/* Reap children: the init's end (*done with its status), and orphans of the container. */
static void reap(struct monitor *m, bool *done, int *wstatus)
{
	pid_t w;
	int st;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
		if (w == m->init) {
			*wstatus = st;
			*done = true;
		}
	}
}

static int timeout_ms(struct monitor *m)
{
	uint64_t at = atomic_load(&m->kill_at_ns), now = loop_now_ns();

	if (!at)
		return -1;
	return at <= now ? 0 : (int)((at - now) / 1000000 + 1);
}

static void serve(struct monitor *m, int sfd, int *wstatus)
{
	bool done = false, out_open = true;
	char junk[64];

	while (!done) {
		bool blocked = atomic_load(&m->input_blocked);
		struct pollfd p[3] = {
			{ sfd, POLLIN, 0 },
			{ out_open ? m->out_fd : -1, POLLIN, 0 },
			{ m->wake, POLLIN, 0 },
		};
		struct pollfd in = { m->in_fd, POLLOUT, 0 };
		struct signalfd_siginfo si;
		int n = poll(p, 3, blocked ? 50 : timeout_ms(m));

		if (n < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			while (read(m->wake, junk, sizeof(junk)) > 0)
				;
		if (p[1].revents)
			copy_output(m, &out_open);
		if (blocked && poll(&in, 1, 0) == 1) {
			atomic_store(&m->input_blocked, false);
			control_rx_ready(m->ctl);
		}
		if (timeout_ms(m) == 0) {
			fprintf(stderr, "gasang ctr-monitor: %s still runs %d ms after SIGTERM: "
				"SIGKILL\n", m->o->id, CTR_MONITOR_STOP_GRACE_MS);
			atomic_store(&m->kill_at_ns, 0);
			ctl_quit(m);
		}
		if (!(p[0].revents & POLLIN))
			continue;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				reap(m, &done, wstatus);
			else
				ctl_quit(m);	/* destroy */
		}
	}
	/* what it wrote just before its end */
	while (out_open) {
		struct pollfd p = { m->out_fd, POLLIN, 0 };

		if (poll(&p, 1, DRAIN_MS) <= 0)
			break;
		copy_output(m, &out_open);
	}
}

int ctr_monitor_run(const struct ctr_monitor_opts *o, int *wstatus)
{
	struct monitor m = { .o = o, .out_fd = -1, .in_fd = -1, .wake = -1, .wake_w = -1 };
	struct control_ops ops = {
		.status = ctl_status, .stats = ctl_stats, .pause = ctl_pause, .resume = ctl_resume,
		.powerdown = ctl_powerdown, .reset = ctl_reset, .quit = ctl_quit,
		.console_input = ctl_console_input, .opaque = &m,
	};
	struct ctr_log log = { .fd = -1, .prog = "gasang ctr-monitor" };
	int sfd, wp[2], err;
	sigset_t set;

	m.rt.root = o->root;
	m.rt.log = &log;
	/* the init is born a grandchild: it comes to us when the runtime's setup ends */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		return error_errno(-errno, "cannot become a subreaper");
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		return error_errno(-errno, "signalfd");
	if (pipe2(wp, O_NONBLOCK | O_CLOEXEC)) {
		close(sfd);
		return error_errno(-errno, "pipe");
	}
	m.wake = wp[0];
	m.wake_w = wp[1];
	err = o->image ? ctr_image_bundle(o->image, o->image_tag, o->bundle, o->image_fill) : 0;
	if (!err)
		err = create_and_start(&m);
	if (!err) {
		m.started_ns = loop_now_ns();
		fcntl(m.out_fd, F_SETFL, fcntl(m.out_fd, F_GETFL) | O_NONBLOCK);
		fcntl(m.in_fd, F_SETFL, fcntl(m.in_fd, F_GETFL) | O_NONBLOCK);
		err = loop_init(&m.loop);
		if (!err)
			err = control_start(&m.ctl, &m.loop, o->control_fd, NULL, &ops);
		if (!err)
			err = loop_start(&m.loop, SANDBOX_MONITOR);
		if (err)
			ctr_kill(&m.rt, o->id, SIGKILL, true);
		serve(&m, sfd, wstatus);
		loop_stop(&m.loop);
		control_stop(m.ctl);
		loop_destroy(&m.loop);	/* runs what control_stop left to free */
		if (atomic_load(&m.stopping) && !err) {
			/* a shutdown that was asked for: the container's own end, not a crash */
			*wstatus = 0;
		}
		if (ctr_delete(&m.rt, o->id, true))
			fprintf(stderr, "gasang ctr-monitor: %s\n", error_msg());
		nics_remove(o);
	}
	if (m.out_fd >= 0)
		close(m.out_fd);
	if (m.in_fd >= 0 && m.in_fd != m.out_fd)
		close(m.in_fd);
	close(wp[0]);
	close(wp[1]);
	close(sfd);
	return err;
}
