/* --cpus N[,sockets=S][,cores=C][,threads=T]: QEMU's -smp spelling, without maxcpus. */
#include "vm/cpus-spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#define SPEC_MAX 128

static int parse_count(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

/* The message says what is wrong; cpus_spec_parse() puts the option before it. */
static int parse(const char *spec, unsigned max_cpus, struct cpus_spec *out)
{
	char buf[SPEC_MAX], *opt, *save = NULL;
	unsigned *field;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf))
		return error_set(-EINVAL, "too long");
	strcpy(buf, spec);
	opt = strtok_r(buf, ",", &save);
	if (!opt || parse_count(opt, max_cpus, &out->cpus))
		return error_set(-EINVAL, "the count of vCPUs is a number from 1 to %u", max_cpus);
	while ((opt = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(opt, '=');

		if (!eq)
			return error_set(-EINVAL, "'%s' is not NAME=VALUE", opt);
		*eq = '\0';
		if (!strcmp(opt, "sockets"))
			field = &out->sockets;
		else if (!strcmp(opt, "cores"))
			field = &out->cores;
		else if (!strcmp(opt, "threads"))
			field = &out->threads;
		else
			return error_set(-EINVAL, "unknown option '%s' (sockets=, cores=, threads=)", opt);
		if (*field)
			return error_set(-EINVAL, "%s= given twice", opt);
		if (parse_count(eq + 1, max_cpus, field))
			return error_set(-EINVAL, "%s=%s is not a number from 1 to %u", opt, eq + 1,
					 max_cpus);
		out->topology = true;
	}
	if (!out->threads)
		out->threads = 1;
	if (!out->cores && !out->sockets)
		out->sockets = 1;
	if (!out->cores)
		out->cores = out->cpus / (out->sockets * out->threads) ?: 1;
	else if (!out->sockets)
		out->sockets = out->cpus / (out->cores * out->threads) ?: 1;
	if ((unsigned long)out->sockets * out->cores * out->threads != out->cpus)
		return error_set(-EINVAL, "%u sockets x %u cores x %u threads is not %u vCPUs",
				 out->sockets, out->cores, out->threads, out->cpus);
	if (out->threads > 1 && out->sockets * out->cores > 1 && !is_pow2(out->threads))
		return error_set(-EINVAL, "threads=%u: with more than one core, threads per core "
				 "is a power of two (a vCPU's APIC ID is its number)", out->threads);
	if (out->sockets > 1 && !is_pow2(out->cores))
		return error_set(-EINVAL, "cores=%u: with more than one socket, cores per socket "
				 "is a power of two (a vCPU's APIC ID is its number)", out->cores);
	return 0;
}

int cpus_spec_parse(const char *spec, unsigned max_cpus, struct cpus_spec *out)
{
	char what[256];
	int err = parse(spec, max_cpus, out);

	if (!err)
		return 0;
	snprintf(what, sizeof(what), "%s", error_msg());
	return error_set(err, "--cpus %s: %s", spec, what);
}
