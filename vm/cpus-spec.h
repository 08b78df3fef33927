/* What `--cpus N[,sockets=S][,cores=C][,threads=T]` asks for. */
#ifndef VM_CPUS_SPEC_H
#define VM_CPUS_SPEC_H

#include <stdbool.h>

struct cpus_spec {
	unsigned cpus;
	/* sockets x cores x threads = cpus; without a topology: 1 x cpus x 1 */
	unsigned sockets, cores, threads;
	bool topology;		/* sockets=, cores= or threads= was given */
};

/*
 * The counts not given follow from those given (threads 1, then cores or
 * sockets so that the product is N); they must multiply to exactly N. As a
 * vCPU's APIC ID is its number, the APIC ID fields must leave no gaps:
 * threads per core is a power of two unless there is one core in all, and
 * cores per socket a power of two unless there is one socket. Errors: -EINVAL and one message naming the option.
 */
int cpus_spec_parse(const char *s, unsigned max_cpus, struct cpus_spec *out);

#endif
