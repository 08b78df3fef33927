#include "daemon/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/domain.h"
#include "daemon/network.h"

static const char *const states[] = { "running", "paused", "shutoff", "crashed" };
static const char *const types[] = { "vm", "container" };

#define NSTATES	(sizeof(states) / sizeof(states[0]))
#define NTYPES	(sizeof(types) / sizeof(types[0]))

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void value_of(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* name{name="...",type="..."[,k="v"]...: a guest's series begins (the value is the caller's). */
static void guest_series(FILE *f, const char *metric, const json_t *g, const char *k1,
			 const char *v1, const char *k2, const char *v2)
{
	fprintf(f, "%s{name=\"", metric);
	value_of(f, str(g, "name"));
	fputs("\",type=\"", f);
	value_of(f, str(g, "type"));
	fputc('"', f);
	if (k1) {
		fprintf(f, ",%s=\"", k1);
		value_of(f, v1);
		fputc('"', f);
	}
	if (k2) {
		fprintf(f, ",%s=\"", k2);
		value_of(f, v2);
		fputc('"', f);
	}
	fputs("} ", f);
}

/* A family of series: one per guest, or per disk or NIC ("list") of each guest. */
struct family_def {
	const char *metric, *type, *help;
	const char *list;		/* per device: "disks" or "nics" */
	const char *key;		/* the integer in each guest's (or device's) info */
	double div;			/* per guest: the value is key's / div */
};

static const struct family_def guest_families[] = {
	{ "gasang_guest_cpu_seconds_total", "counter",
	  "CPU time the guest's process (a VM) or cgroup (a container) used.", NULL,
	  "cpu_time_ms", 1000 },
	{ "gasang_guest_memory_used_bytes", "gauge",
	  "Memory in use: a VM process's resident memory, a container cgroup's usage.", NULL,
	  "memory_used", 1 },
	{ "gasang_guest_memory_max_bytes", "gauge",
	  "Memory the guest may have: a VM's RAM, a container's limit.", NULL, "memory", 1 },
};

static const struct family_def device_families[] = {
	{ "gasang_guest_disk_read_bytes_total", "counter", "Bytes the guest read from the disk.",
	  "disks", "bytes_read", 1 },
	{ "gasang_guest_disk_written_bytes_total", "counter", "Bytes the guest wrote to the disk.",
	  "disks", "bytes_written", 1 },
	{ "gasang_guest_disk_reads_total", "counter", "Read requests the disk completed.",
	  "disks", "read_ops", 1 },
	{ "gasang_guest_disk_writes_total", "counter", "Write requests the disk completed.",
	  "disks", "write_ops", 1 },
	{ "gasang_guest_network_receive_bytes_total", "counter",
	  "Bytes the guest received on the NIC.", "nics", "rx_bytes", 1 },
	{ "gasang_guest_network_transmit_bytes_total", "counter",
	  "Bytes the guest sent on the NIC.", "nics", "tx_bytes", 1 },
	{ "gasang_guest_network_receive_packets_total", "counter",
	  "Frames the guest received on the NIC.", "nics", "rx_frames", 1 },
	{ "gasang_guest_network_transmit_packets_total", "counter",
	  "Frames the guest sent on the NIC.", "nics", "tx_frames", 1 },
};

static void per_guest(FILE *f, const json_t *guests, const struct family_def *fd)
{
	size_t i;
	json_t *g;

	family(f, fd->metric, fd->type, fd->help);
	json_array_foreach(guests, i, g) {
		json_t *v = json_object_get(g, fd->key);

		if (!json_is_integer(v))
			continue;
		guest_series(f, fd->metric, g, NULL, NULL, NULL, NULL);
		if (fd->div == 1)
			fprintf(f, "%lld\n", (long long)json_integer_value(v));
		else
			fprintf(f, "%.3f\n", (double)json_integer_value(v) / fd->div);
	}
}

static void per_device(FILE *f, const json_t *guests, const struct family_def *fd)
{
	char dev[24];
	size_t i, k;
	json_t *g, *d;

	family(f, fd->metric, fd->type, fd->help);
	json_array_foreach(guests, i, g) {
		json_array_foreach(json_object_get(g, fd->list), k, d) {
			json_t *v = json_object_get(d, fd->key);

			if (!json_is_integer(v))
				continue;
			if (!strcmp(fd->list, "disks")) {
				snprintf(dev, sizeof(dev), "vd%c", (char)('a' + k % 26));
				guest_series(f, fd->metric, g, "disk", dev, NULL, NULL);
			} else {
				snprintf(dev, sizeof(dev), "%zu", k);
				guest_series(f, fd->metric, g, "nic", dev, "mac", str(d, "mac"));
			}
			fprintf(f, "%lld\n", (long long)json_integer_value(v));
		}
	}
}

static void guest_states(FILE *f, const json_t *guests)
{
	size_t i, s;
	json_t *g;

	family(f, "gasang_guest_state", "gauge",
	       "The guest's state: 1 for the one it is in (running, paused, shutoff, crashed).");
	json_array_foreach(guests, i, g) {
		for (s = 0; s < NSTATES; s++) {
			guest_series(f, "gasang_guest_state", g, "state", states[s], NULL, NULL);
			fprintf(f, "%d\n", !strcmp(str(g, "state"), states[s]));
		}
	}
}

static void host_counts(FILE *f, const json_t *guests, const json_t *networks)
{
	size_t i, t, s, n;
	json_t *g;

	family(f, "gasang_guests", "gauge", "Guests defined, by type and state.");
	for (t = 0; t < NTYPES; t++) {
		for (s = 0; s < NSTATES; s++) {
			n = 0;
			json_array_foreach(guests, i, g)
				n += !strcmp(str(g, "type"), types[t]) && !strcmp(str(g, "state"), states[s]);
			fprintf(f, "gasang_guests{type=\"%s\",state=\"%s\"} %zu\n", types[t], states[s], n);
		}
	}
	family(f, "gasang_networks", "gauge", "Managed networks defined, by state.");
	for (s = 0; s < 2; s++) {
		const char *st = s ? "inactive" : "active";

		n = 0;
		json_array_foreach(networks, i, g)
			n += !strcmp(str(g, "state"), st);
		fprintf(f, "gasang_networks{state=\"%s\"} %zu\n", st, n);
	}
}

char *metrics_render(const json_t *guests, const json_t *networks)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	guest_states(f, guests);
	for (i = 0; i < sizeof(guest_families) / sizeof(guest_families[0]); i++)
		per_guest(f, guests, &guest_families[i]);
	for (i = 0; i < sizeof(device_families) / sizeof(device_families[0]); i++)
		per_device(f, guests, &device_families[i]);
	host_counts(f, guests, networks);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- gathering ---- */

struct gathering {
	struct daemon *d;
	json_t *guests;			/* each domain's info, in the registry's order */
	size_t pending;
	metrics_done_fn done;
	void *opaque;
};

struct slot {
	struct gathering *g;
	size_t i;
};

static void finish(struct gathering *g)
{
	json_t *nets = json_array();
	size_t i;

	for (i = 0; i < g->d->nets.n; i++)
		json_array_append_new(nets, network_summary((struct network *)g->d->nets.v[i]));
	/* a guest whose info failed has a null slot: it is left out */
	for (i = json_array_size(g->guests); i-- > 0;)
		if (!json_is_object(json_array_get(g->guests, i)))
			json_array_remove(g->guests, i);
	g->done(g->opaque, metrics_render(g->guests, nets));
	json_decref(nets);
	json_decref(g->guests);
	free(g);
}

static void got_info(void *opaque, enum dom_err err, json_t *result, const char *msg)
{
	struct slot *s = opaque;
	struct gathering *g = s->g;

	(void)msg;
	if (err == DOM_OK && result)
		json_array_set_new(g->guests, s->i, result);
	else
		json_decref(result);
	free(s);
	if (--g->pending == 0)
		finish(g);
}

void metrics_collect(struct daemon *d, metrics_done_fn done, void *opaque)
{
	struct gathering *g = calloc(1, sizeof(*g));
	size_t i, n = d->vms.n;

	if (!g || !(g->guests = json_array())) {
		free(g);
		done(opaque, NULL);
		return;
	}
	g->d = d;
	g->done = done;
	g->opaque = opaque;
	/* one more than the guests: nothing finishes before every ask is out */
	g->pending = n + 1;
	for (i = 0; i < n; i++)
		json_array_append_new(g->guests, json_null());
	for (i = 0; i < n; i++) {
		struct slot *s = malloc(sizeof(*s));

		if (!s) {
			g->pending--;
			continue;
		}
		*s = (struct slot){ g, i };
		domain_info(d->vms.doms[i], (struct dom_done){ .fn = got_info, .opaque = s });
	}
	if (--g->pending == 0)
		finish(g);
}
