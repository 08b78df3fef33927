/*
 * A container's monitor: the process gasangd runs for a container domain,
 * in the place a VM's `gasang run` has (conmon's role beside podman, the
 * shim's beside containerd). It runs the container through the OCI runtime
 * (`gasang oci create`, then `start`, as a container engine would), holds
 * the container's terminal (the pty master the runtime sends to its console
 * socket) or its stdio pipes, connects its NICs between create and start
 * (a veth pair per NIC, one end on a bridge), serves the same control
 * socket a VM does (vm/control.h: status, stats, pause, resume, powerdown,
 * quit, console), and waits for the container's init, which it reaps as
 * the child subreaper it is.
 *
 * What the container prints goes to the monitor's stderr (gasangd's log of
 * the domain) and to the control socket's scrollback and consoles. When the
 * init is gone the container is deleted (its cgroup with whatever was left
 * in it, its state) and ctr_monitor_run returns the init's wait status, so
 * the caller can end the same way (cli/ctr-monitor.c): gasangd reads a
 * container's end like a VM's.
 *
 * Signals: SIGTERM, SIGINT and SIGHUP kill the container (SIGKILL to all of
 * its processes); "powerdown" sends its init SIGTERM and, if it is still
 * there CTR_MONITOR_STOP_GRACE_MS later, SIGKILL, as `docker stop` does.
 */
#ifndef CTR_MONITOR_H
#define CTR_MONITOR_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTR_MONITOR_MAX_NICS		4
#define CTR_MONITOR_STOP_GRACE_MS	10000

/* A NIC: a veth pair, ifname on bridge, ethN in the container. */
struct ctr_monitor_nic {
	char bridge[IF_NAMESIZE];
	char ifname[IF_NAMESIZE];	/* the host's end */
	uint8_t mac[6];			/* the container's end */
	struct in_addr address;
	int prefix;
	struct in_addr gateway;		/* 0: no default route through this one */
};

struct ctr_monitor_opts {
	const char *runtime;		/* the program run as `RUNTIME oci ...` (gasang) */
	const char *root;		/* the runtime's state root */
	const char *bundle;
	const char *id;
	bool terminal;			/* the bundle's process.terminal */
	const char *image;		/* an OCI image to unpack as the bundle's root; NULL: none */
	const char *image_tag;
	unsigned image_fill;		/* CTR_IMAGE_FILL_*: what the image's config says */
	int control_fd;			/* the control socket, listening */
	struct ctr_monitor_nic nics[CTR_MONITOR_MAX_NICS];
	size_t nnics;
};

/*
 * "bridge=BR,ifname=IF,mac=M,address=A/P[,gateway=G]" into nic: 0, or
 * -EINVAL with a message naming what is wrong.
 */
int ctr_monitor_nic_parse(const char *spec, struct ctr_monitor_nic *nic);

/*
 * Run the container until its init ends: 0 with its wait status, or a
 * negative errno (it could not be created or started; the message says
 * why, and nothing of it is left).
 */
int ctr_monitor_run(const struct ctr_monitor_opts *o, int *wstatus);

#endif
