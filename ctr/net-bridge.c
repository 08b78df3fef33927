/* Bridge networking for containers: rtnetlink through libmnl, NAT through iptables. */
#include "ctr/net-bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/netlink.h"

static int make_bridge(struct rtnl *n)
{
	struct in_addr gw;
	int err, index;

	if (!if_nametoindex(CTR_BRIDGE_NAME)) {
		err = rtnl_bridge_add(n, CTR_BRIDGE_NAME);
		if (err && err != -EEXIST)
			return error_errno(err, "cannot create bridge " CTR_BRIDGE_NAME);
	}
	index = (int)if_nametoindex(CTR_BRIDGE_NAME);
	if (!index)
		return error_set(-ENODEV, "bridge " CTR_BRIDGE_NAME " vanished");
	inet_pton(AF_INET, CTR_BRIDGE_GATEWAY, &gw);
	err = rtnl_addr_add(n, index, gw, CTR_BRIDGE_PREFIX);
	if (err && err != -EEXIST)
		return error_errno(err, "cannot give " CTR_BRIDGE_NAME " its address");
	if ((err = rtnl_link_set(n, index, 1, -1)))
		return error_errno(err, "cannot bring " CTR_BRIDGE_NAME " up");
	return 0;
}

/* host end on the bridge, peer named eth0 straight into the namespace of pid */
static int make_veth(struct rtnl *n, const char *host, pid_t pid)
{
	int err, index;

	if ((err = rtnl_veth_add(n, host, "eth0", pid, NULL)))
		return error_errno(err, "cannot create the veth pair %s", host);
	index = (int)if_nametoindex(host);
	if (!index || (err = rtnl_link_set(n, index, 1, (int)if_nametoindex(CTR_BRIDGE_NAME))))
		return error_errno(err ? err : -ENODEV, "cannot put %s on " CTR_BRIDGE_NAME, host);
	return 0;
}

static int lo_up(struct rtnl *n, void *arg)
{
	(void)arg;
	return rtnl_link_set(n, (int)if_nametoindex("lo"), 1, -1);
}

/* inside the container's namespace: lo and eth0 up, eth0's address and the default route */
static int eth0_up(struct rtnl *n, void *arg)
{
	const char *ip = arg;
	struct in_addr a, gw;
	int eth = (int)if_nametoindex("eth0"), err;

	inet_pton(AF_INET, ip, &a);
	inet_pton(AF_INET, CTR_BRIDGE_GATEWAY, &gw);
	if ((err = lo_up(n, NULL)))
		return err;
	if (!eth)
		return -ENODEV;
	if ((err = rtnl_addr_add(n, eth, a, CTR_BRIDGE_PREFIX)) ||
	    (err = rtnl_link_set(n, eth, 1, -1)))
		return err;
	return rtnl_route_default(n, eth, gw);
}

/* lo up, and (with ip) eth0 up with the address and the default route: inside the namespace. */
static int configure_inside(pid_t pid, const char *ip)
{
	int err = rtnl_in_netns(pid, ip ? eth0_up : lo_up, (void *)ip);

	if (err)
		return error_errno(err, "cannot configure %s in the container", ip ? "eth0" : "lo");
	return 0;
}

int ctr_net_loopback_up(pid_t pid)
{
	return configure_inside(pid, NULL);
}

/* ---- NAT ---- */

static int run_quiet(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* iptables -C RULE || iptables -A RULE: idempotent. */
static int ensure_rule(const char *table, const char *chain, const char *const *rule)
{
	char *argv[24];
	int i = 0, k, rc;

	argv[i++] = "iptables";
	argv[i++] = "-w";
	argv[i++] = "-t";
	argv[i++] = (char *)table;
	argv[i++] = "-C";
	argv[i++] = (char *)chain;
	for (k = 0; rule[k] && i < 22; k++)
		argv[i++] = (char *)rule[k];
	argv[i] = NULL;
	rc = run_quiet(argv);
	if (rc == 0)
		return 0;
	if (rc == 127)
		return -ENOENT;
	argv[4] = "-A";
	return run_quiet(argv) ? -EIO : 0;
}

static int ensure_nat(void)
{
	static const char *const masq[] = { "-s", CTR_BRIDGE_NET "/24", "!", "-o", CTR_BRIDGE_NAME,
					    "-j", "MASQUERADE", NULL };
	static const char *const fwd_out[] = { "-i", CTR_BRIDGE_NAME, "-j", "ACCEPT", NULL };
	static const char *const fwd_in[] = { "-o", CTR_BRIDGE_NAME, "-m", "conntrack", "--ctstate",
					      "RELATED,ESTABLISHED", "-j", "ACCEPT", NULL };
	int fd, err;

	fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return error_errno(err, "cannot enable IPv4 forwarding");
	}
	close(fd);
	if ((err = ensure_rule("nat", "POSTROUTING", masq)) ||
	    (err = ensure_rule("filter", "FORWARD", fwd_out)) ||
	    (err = ensure_rule("filter", "FORWARD", fwd_in)))
		return error_errno(err, err == -ENOENT ? "outbound NAT needs iptables (Debian package "
					"iptables)" : "cannot add the NAT rules for " CTR_BRIDGE_NAME);
	return 0;
}

/* ---- IPAM ---- */

static int lease(const char *dir, const char *name, char *ip, size_t n)
{
	char path[512];
	int i, fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_errno(-errno, "cannot create %s", dir);
	/* .1 is the bridge; the first free one from .2 */
	for (i = 2; i < 255; i++) {
		if ((size_t)snprintf(ip, n, "10.89.0.%d", i) >= n)
			return error_set(-ENOSPC, "address buffer too small");
		snprintf(path, sizeof(path), "%s/%s", dir, ip);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return error_errno(-errno, "cannot lease %s", ip);
		}
		if (write(fd, name, strlen(name)) < 0) {
			close(fd);
			unlink(path);
			return error_errno(-errno, "cannot lease %s", ip);
		}
		close(fd);
		return 0;
	}
	return error_set(-EADDRNOTAVAIL, "no free address left in " CTR_BRIDGE_NET "/24");
}

static void release(const char *dir, const char *ip)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, ip);
	unlink(path);
}

int ctr_net_bridge_attach(const char *ipam_dir, const char *name, pid_t pid,
			  struct ctr_net_lease *out)
{
	struct rtnl n;
	int err, last;

	memset(out, 0, sizeof(*out));
	if ((err = lease(ipam_dir, name, out->ip, sizeof(out->ip))))
		return err;
	/* gsv + the address's last number and our pid: unique and short enough */
	last = atoi(strrchr(out->ip, '.') + 1) & 0xff;
	if ((size_t)snprintf(out->host_if, sizeof(out->host_if), "gsv%d-%d", last,
			     (int)(pid % 100000)) >= sizeof(out->host_if))
		out->host_if[sizeof(out->host_if) - 1] = '\0';
	if ((err = rtnl_open(&n))) {
		release(ipam_dir, out->ip);
		return error_errno(err, "netlink");
	}
	err = make_bridge(&n);
	if (!err)
		err = ensure_nat();
	if (!err)
		err = make_veth(&n, out->host_if, pid);
	rtnl_close(&n);
	if (!err)
		err = configure_inside(pid, out->ip);
	if (err) {
		rtnl_link_del_name(out->host_if);
		release(ipam_dir, out->ip);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

void ctr_net_bridge_detach(const char *ipam_dir, const struct ctr_net_lease *l)
{
	if (l->host_if[0])
		rtnl_link_del_name(l->host_if);
	if (l->ip[0])
		release(ipam_dir, l->ip);
}
