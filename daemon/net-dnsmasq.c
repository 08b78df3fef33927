#include "daemon/net-dnsmasq.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "daemon/def-field.h"
#include "daemon/definition.h"

#define LEASE_LINE_MAX	1024
#define HOSTNAME_MAX	63
#define LEASE_TIME	"1h"

int dnsmasq_find(char *buf, size_t n)
{
	const char *path = getenv("PATH");
	char dirs[4096], *dir, *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (*dir != '/' || snprintf(buf, n, "%s/dnsmasq", dir) >= (int)n)
			continue;
		if (access(buf, X_OK) == 0)
			return 0;
	}
	return error_set(-ENOENT, "dnsmasq is not installed (Debian package dnsmasq-base)");
}

int dnsmasq_argv(const struct dnsmasq_conf *c, char ***argv)
{
	struct def_args a = { 0 };

	def_args_add(&a, c->program);
	def_args_add(&a, "--keep-in-foreground");
	/* nothing from the host's dnsmasq configuration, no pid file: gasangd supervises it */
	def_args_add(&a, "--conf-file=/dev/null");
	def_args_add(&a, "--pid-file");
	def_args_add(&a, "--log-facility=-");
	def_args_addf(&a, "--interface=%s", c->bridge);
	def_args_add(&a, "--except-interface=lo");
	def_args_add(&a, "--bind-interfaces");
	def_args_addf(&a, "--listen-address=%s", c->gateway);
	def_args_addf(&a, "--dhcp-range=%s,%s,%s,%s", c->dhcp_start, c->dhcp_end, c->netmask,
		      LEASE_TIME);
	def_args_add(&a, "--dhcp-authoritative");
	def_args_add(&a, "--dhcp-no-override");
	def_args_addf(&a, "--dhcp-leasefile=%s", c->leases_path);
	def_args_addf(&a, "--addn-hosts=%s", c->hosts_path);
	def_args_addf(&a, "--domain=%s", c->name);
	def_args_addf(&a, "--local=/%s/", c->name);
	def_args_add(&a, "--expand-hosts");
	if (!c->router) {
		/* isolated: no default route, and no names from beyond */
		def_args_add(&a, "--dhcp-option=option:router");
		def_args_add(&a, "--no-resolv");
	}
	if (!c->dns)
		def_args_add(&a, "--port=0");
	if (a.oom) {
		def_argv_free(a.v);
		return error_set(-ENOMEM, "out of memory");
	}
	*argv = a.v;
	return 0;
}

static bool hostname_ok(const char *s)
{
	return *s && strlen(s) <= HOSTNAME_MAX && def_word_chars(s, "-_.");	/* "*": none */
}

json_t *dnsmasq_leases(const char *path, const char *mac)
{
	char line[LEASE_LINE_MAX], lmac[32], addr[64], host[128];
	json_t *out = json_array();
	struct in_addr a;
	long long expires;
	FILE *f = fopen(path, "re");

	if (!f || !out)
		return out;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lld %31s %63s %127s", &expires, lmac, addr, host) != 4 ||
		    (mac && strcasecmp(lmac, mac)) || !def_mac_valid(lmac) ||
		    inet_pton(AF_INET, addr, &a) != 1)
			continue;
		/* newest first: a guest that was given another address since shows that first */
		json_array_insert_new(out, 0, json_pack("{s:s,s:s,s:s?,s:I,s:s}", "address", addr,
			"mac", lmac, "hostname", hostname_ok(host) ? host : NULL,
			"expires", (json_int_t)expires, "source", "lease"));
	}
	fclose(f);
	return out;
}

int dnsmasq_hosts_write(const char *path, const json_t *statics)
{
	char tmp[PATH_MAX + 8];
	const char *mac;
	json_t *h;
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return error_set(-ENAMETOOLONG, "%s: path too long", path);
	f = fopen(tmp, "we");
	if (!f)
		return error_errno(-errno, "cannot write %s", tmp);
	json_object_foreach((json_t *)statics, mac, h)
		fprintf(f, "%s %s\n", json_string_value(json_object_get(h, "address")),
			json_string_value(json_object_get(h, "name")));
	if (fflush(f) || fchmod(fileno(f), 0644))
		err = error_errno(-errno, "cannot write %s", tmp);
	fclose(f);
	if (!err && rename(tmp, path))
		err = error_errno(-errno, "cannot rename %s", tmp);
	if (err)
		unlink(tmp);
	return err;
}
