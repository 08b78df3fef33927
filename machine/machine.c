#include "machine/machine.h"

#include <string.h>

#include "machine/riscv-virt.h"

static const struct machine_ops *const machines[] = {
	&riscv_virt_ops,
};

const struct machine_ops *machine_find(const char *arch)
{
	unsigned i;

	for (i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
		if (!strcmp(machines[i]->arch, arch))
			return machines[i];
	return NULL;
}

const char *machine_archs(void)
{
	return "riscv64";
}
