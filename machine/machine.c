#include "machine/machine.h"

#include <string.h>

#include "machine/riscv-virt.h"
#include "machine/x86-pc.h"

static const struct machine_ops *const machines[] = {
	&x86_pc_ops,
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
	return "x86_64, riscv64";
}
