/*
 * DHCP and DNS for a bridged network: Debian's dnsmasq, one process per
 * network, bound to the bridge alone. Its leases are kept in the state
 * directory (NAME.leases: "EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID" per
 * line), which gasangd reads for the addresses guests have; the names of
 * containers (their addresses are given, not leased) are in a hosts file it
 * re-reads on SIGHUP.
 */
#ifndef DAEMON_NET_DNSMASQ_H
#define DAEMON_NET_DNSMASQ_H

#include <jansson.h>
#include <stdbool.h>

struct dnsmasq_conf {
	const char *program;		/* dnsmasq's path */
	const char *name;		/* the network's: its DNS domain */
	const char *bridge;
	const char *gateway;		/* the bridge's address, where DNS listens */
	const char *dhcp_start, *dhcp_end, *netmask;
	bool router;			/* hand out the gateway as the default route (nat) */
	bool dns;			/* serve DNS at all */
	const char *leases_path;
	const char *hosts_path;
};

/* Where dnsmasq is (PATH, then /usr/sbin and /sbin): into buf, or -ENOENT. */
int dnsmasq_find(char *buf, size_t n);
/* Its command line (NULL-terminated; free with def_argv_free). */
int dnsmasq_argv(const struct dnsmasq_conf *c, char ***argv);
/*
 * The leases of mac (NULL: of every MAC) in a leases file: [{"address",
 * "mac", "hostname", "expires" (seconds since the epoch), "source":
 * "lease"}], newest first. [] when there is no file. What is in it is the
 * guests' doing: every field is checked.
 */
json_t *dnsmasq_leases(const char *path, const char *mac);
/* The hosts file from {MAC: {"address", "name"}}: written whole, then renamed into place. */
int dnsmasq_hosts_write(const char *path, const json_t *statics);

#endif
