/*
 * daemon/metrics.c's text, read back by a strict reader of Prometheus' text
 * exposition format 0.0.4 (what `promtool check metrics` checks, and its
 * lint: counters end in _total): every line a comment (HELP, TYPE) or a
 * sample; names and label names of the allowed characters, label values
 * escaped; a family's TYPE before its samples and once, its samples
 * together; no series twice; values numbers, counters not negative. Then
 * what it says: each guest's state, CPU seconds, memory, each disk's and
 * NIC's counters with their labels, the host's counts.
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/metrics.h"

#define MAX_FAMILIES 64
#define MAX_SERIES 512

struct family {
	char name[128], type[16];
	bool help, samples, closed;
};

struct reader {
	char why[600];			/* the first thing wrong; "" when all is well */
	struct family fam[MAX_FAMILIES];
	size_t nfam;
	char *series[MAX_SERIES];
	size_t nseries;
	struct family *current;		/* the family whose lines come now */
};

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

/* A metric name at *p (label names: no ':'); its length, 0 when none. */
static size_t name_at(const char *p, bool label)
{
	size_t n = 0;

	while (name_char(p[n], n == 0) && !(label && p[n] == ':'))
		n++;
	return n;
}

static struct family *family_of(struct reader *r, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < r->nfam; i++)
		if (strlen(r->fam[i].name) == len && !strncmp(r->fam[i].name, name, len))
			return &r->fam[i];
	assert_true(r->nfam < MAX_FAMILIES);
	snprintf(r->fam[r->nfam].name, sizeof(r->fam[0].name), "%.*s", (int)len, name);
	return &r->fam[r->nfam++];
}

/* Lines of a family come together: one that comes back after another's is an error. */
/* The first thing wrong, kept. */
static void refuse(struct reader *r, const char *what, const char *line)
{
	if (!r->why[0])
		snprintf(r->why, sizeof(r->why), "%s: %s", what, line);
}

static void enter(struct reader *r, struct family *f, const char *line)
{
	if (r->current == f)
		return;
	if (f->closed)
		refuse(r, "a family comes back", line);
	if (r->current)
		r->current->closed = true;
	r->current = f;
}

static void comment(struct reader *r, const char *line)
{
	const char *p = line + 2;
	struct family *f;
	size_t n;

	if (strncmp(p, "HELP ", 5) && strncmp(p, "TYPE ", 5))
		return;	/* any other comment is free text */
	n = name_at(p + 5, false);
	if (!n || p[5 + n] != ' ') {
		refuse(r, "a comment without a metric name", line);
		return;
	}
	f = family_of(r, p + 5, n);
	enter(r, f, line);
	if (!strncmp(p, "HELP ", 5)) {
		if (f->help) {
			refuse(r, "a second HELP", line);
			return;
		}
		f->help = true;
		return;
	}
	if (f->type[0]) {
		refuse(r, "a second TYPE", line);
		return;
	}
	if (f->samples) {
		refuse(r, "TYPE after samples", line);
		return;
	}
	snprintf(f->type, sizeof(f->type), "%s", p + 6 + n);
	if (strcmp(f->type, "counter") && strcmp(f->type, "gauge") && strcmp(f->type, "untyped") &&
	    strcmp(f->type, "histogram") && strcmp(f->type, "summary")) {
		refuse(r, "an unknown type", line);
		return;
	}
	if (!strcmp(f->type, "counter") &&
	    (n < 6 || strncmp(p + 5 + n - 6, "_total", 6))) {
		refuse(r, "a counter's name should end in _total", line);
		return;
	}
}

static void sample(struct reader *r, const char *line)
{
	size_t n = name_at(line, false), i;
	const char *p = line + n;
	struct family *f;
	char *end, key[1024];
	double v;

	if (!n) {
		refuse(r, "no metric name", line);
		return;
	}
	f = family_of(r, line, n);
	enter(r, f, line);
	if (!f->type[0]) {
		refuse(r, "a sample before its TYPE", line);
		return;
	}
	f->samples = true;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t ln = name_at(p, true);

			if (!ln || p[ln] != '=' || p[ln + 1] != '"') {
				refuse(r, "a bad label", line);
				return;
			}
			for (p += ln + 2; *p != '"'; p++) {
				if (!*p || *p == '\n') {
					refuse(r, "an unterminated label value", line);
					return;
				}
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n') {
						refuse(r, "a bad escape", line);
						return;
					}
				}
			}
			p++;
			if (*p == ',' && p[1] != '}')
				p++;
			else if (*p != '}') {
				refuse(r, "labels not separated by commas", line);
				return;
			}
		}
		p++;
	}
	if (*p != ' ') {
		refuse(r, "no space before the value", line);
		return;
	}
	v = strtod(p + 1, &end);
	if (end == p + 1 || *end) {
		refuse(r, "a value that is not a number", line);
		return;
	}
	if (!strcmp(f->type, "counter") && (v < 0 || isnan(v))) {
		refuse(r, "a counter below zero", line);
		return;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(p - line), line);
	for (i = 0; i < r->nseries; i++)
		if (!strcmp(r->series[i], key)) {
			refuse(r, "a series twice", line);
			return;
		}
	assert_true(r->nseries < MAX_SERIES);
	r->series[r->nseries++] = strdup(key);
}

/* Read text as promtool would; fails the test at the first thing wrong. */
static bool format_ok(const char *text, char *why, size_t n)
{
	struct reader r = { 0 };
	char *copy = strdup(text), *line, *save = NULL;
	size_t i, len = strlen(text);

	if (!len || text[len - 1] != '\n')
		refuse(&r, "no final newline", "");
	if (strstr(text, "\n\n"))
		refuse(&r, "an empty line", "");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			comment(&r, line);
		else
			sample(&r, line);
	}
	for (i = 0; i < r.nseries; i++)
		free(r.series[i]);
	free(copy);
	snprintf(why, n, "%s", r.why);
	return !r.why[0];
}

static void check_format(const char *text)
{
	char why[600];

	if (!format_ok(text, why, sizeof(why)))
		fail_msg("not the text format: %s", why);
}

static json_t *guests(void)
{
	return json_pack("[{s:s,s:s,s:s,s:I,s:I,s:I,s:[{s:s,s:I,s:I,s:I,s:I},{s:s,s:I,s:I,s:I,s:I}],"
			 "s:[{s:s,s:I,s:I,s:I,s:I}]},"
			 "{s:s,s:s,s:s,s:I,s:I,s:I,s:[],s:[{s:s,s:I,s:I,s:I,s:I}]},"
			 "{s:s,s:s,s:s,s:n,s:n,s:I,s:[{s:s}],s:[]}]",
			 "name", "web", "type", "vm", "state", "running", "cpu_time_ms", (json_int_t)8540,
			 "memory_used", (json_int_t)123456789, "memory", (json_int_t)268435456,
			 "disks", "path", "/i/a.qcow2", "bytes_read", (json_int_t)5242880,
			 "bytes_written", (json_int_t)65536, "read_ops", (json_int_t)40,
			 "write_ops", (json_int_t)2,
			 "path", "/i/b.raw", "bytes_read", (json_int_t)0, "bytes_written",
			 (json_int_t)0, "read_ops", (json_int_t)0, "write_ops", (json_int_t)0,
			 "nics", "mac", "52:54:00:00:00:01", "rx_bytes", (json_int_t)1000,
			 "tx_bytes", (json_int_t)2000, "rx_frames", (json_int_t)10, "tx_frames",
			 (json_int_t)12,
			 "name", "db", "type", "container", "state", "paused", "cpu_time_ms",
			 (json_int_t)12, "memory_used", (json_int_t)2000000, "memory",
			 (json_int_t)67108864, "disks", "nics", "mac", "52:54:00:00:00:02",
			 "rx_bytes", (json_int_t)7, "tx_bytes", (json_int_t)8, "rx_frames",
			 (json_int_t)1, "tx_frames", (json_int_t)1,
			 "name", "idle", "type", "vm", "state", "shutoff", "cpu_time_ms", "memory_used",
			 "memory", (json_int_t)16777216, "disks", "path", "/i/c.qcow2", "nics");
}

static void has(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want))
		fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_render(void **state)
{
	json_t *g = guests(), *n = json_pack("[{s:s},{s:s},{s:s}]", "state", "active", "state",
					     "inactive", "state", "active");
	char *text;

	(void)state;
	assert_non_null(g);
	text = metrics_render(g, n);
	assert_non_null(text);
	check_format(text);
	has(text, "gasang_guest_state{name=\"web\",type=\"vm\",state=\"running\"} 1");
	has(text, "gasang_guest_state{name=\"web\",type=\"vm\",state=\"paused\"} 0");
	has(text, "gasang_guest_state{name=\"db\",type=\"container\",state=\"paused\"} 1");
	has(text, "gasang_guest_state{name=\"idle\",type=\"vm\",state=\"shutoff\"} 1");
	has(text, "gasang_guest_cpu_seconds_total{name=\"web\",type=\"vm\"} 8.540");
	has(text, "gasang_guest_cpu_seconds_total{name=\"db\",type=\"container\"} 0.012");
	has(text, "gasang_guest_memory_used_bytes{name=\"web\",type=\"vm\"} 123456789");
	has(text, "gasang_guest_memory_max_bytes{name=\"idle\",type=\"vm\"} 16777216");
	has(text, "gasang_guest_disk_read_bytes_total{name=\"web\",type=\"vm\",disk=\"vda\"} 5242880");
	has(text, "gasang_guest_disk_writes_total{name=\"web\",type=\"vm\",disk=\"vda\"} 2");
	has(text, "gasang_guest_disk_reads_total{name=\"web\",type=\"vm\",disk=\"vdb\"} 0");
	has(text, "gasang_guest_network_transmit_bytes_total{name=\"web\",type=\"vm\",nic=\"0\","
		  "mac=\"52:54:00:00:00:01\"} 2000");
	has(text, "gasang_guest_network_receive_packets_total{name=\"db\",type=\"container\",nic=\"0\","
		  "mac=\"52:54:00:00:00:02\"} 1");
	has(text, "gasang_guests{type=\"vm\",state=\"running\"} 1");
	has(text, "gasang_guests{type=\"vm\",state=\"shutoff\"} 1");
	has(text, "gasang_guests{type=\"container\",state=\"paused\"} 1");
	has(text, "gasang_guests{type=\"container\",state=\"crashed\"} 0");
	has(text, "gasang_networks{state=\"active\"} 2");
	/* a guest that is off has no counters, only its state */
	assert_null(strstr(text, "cpu_seconds_total{name=\"idle\""));
	assert_null(strstr(text, "disk_read_bytes_total{name=\"idle\""));
	free(text);
	json_decref(g);
	json_decref(n);
}

static void test_empty(void **state)
{
	json_t *none = json_array();
	char *text = metrics_render(none, none);

	(void)state;
	check_format(text);
	has(text, "gasang_guests{type=\"vm\",state=\"running\"} 0");
	free(text);
	json_decref(none);
}

/* The reader itself refuses what promtool refuses (else the checks above say nothing). */
static void test_reader_refuses(void **state)
{
	static const char *const bad[] = {
		"x_total 1\n",						/* no TYPE */
		"# TYPE x counter\nx 1\n",				/* a counter without _total */
		"# TYPE x_total counter\nx_total -1\n",
		"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{l=\"2\"} 1\n",	/* a comes back */
		"# TYPE a gauge\na{l=\"1\"} 1\na{l=\"1\"} 2\n",		/* twice */
		"# TYPE a gauge\na{l=\"x\\q\"} 1\n",			/* a bad escape */
		"# TYPE a gauge\na{l=\"x\"} one\n",
		"# TYPE a gauge\n# TYPE a gauge\na 1\n",
		"# TYPE a gauge\na 1",					/* no final newline */
	};
	char why[600];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (format_ok(bad[i], why, sizeof(why)))
			fail_msg("the reader took '%s'", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_reader_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
