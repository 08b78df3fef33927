/* The boards this build has, and what each takes. */
#include "machine/machine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/compiler.h"
#include "base/error.h"
#include "hw/rtc-base.h"
#include "machine/config.h"
#include "machine/riscv-virt.h"
#ifdef MACHINE_X86_PC
#include "machine/x86-pc.h"
#endif

/* The first is `gasang run`'s default --arch. */
static const struct machine_ops *const machines[] = {
#ifdef MACHINE_X86_PC
	&x86_pc_ops,
#endif
	&riscv_virt_ops,
};

const struct machine_ops *machine_find(const char *arch)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(machines); i++)
		if (!strcmp(machines[i]->arch, arch))
			return machines[i];
	return NULL;
}

const struct machine_ops *machine_default(void)
{
	return machines[0];
}

void machine_archs(char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < ARRAY_SIZE(machines) && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i ? ", " : "", machines[i]->arch);
}

void machine_ram_range(const struct machine_ops *m, char *buf, size_t size)
{
	snprintf(buf, size, "%llu MiB to %llu GiB", (unsigned long long)(m->min_ram >> 20),
		 (unsigned long long)(m->max_ram >> 30));
}

static int check_firmware(const struct machine_ops *m, const struct vm_config *cfg)
{
	switch (m->firmware) {
	case MACHINE_FW_IMAGE:
		if (vm_config_bare_metal(cfg))
			return error_set(-EINVAL, "--bios none: the %s machine boots a kernel directly "
					 "without --bios, or firmware with --bios FILE", m->arch);
		if (!cfg->kernel && !cfg->bios)
			return error_set(-EINVAL, "no kernel: give one with --kernel (or firmware "
					 "with --bios)");
		return 0;
	case MACHINE_FW_BARE_METAL:
		if (cfg->bios && !vm_config_bare_metal(cfg))
			return error_set(-ENOTSUP, "--bios %s: only 'none' is supported (gasang "
					 "provides the SBI itself)", cfg->bios);
		if (!cfg->kernel)
			return error_set(-EINVAL, "no kernel: give one with --kernel");
		if (vm_config_bare_metal(cfg) && cfg->initrd)
			return error_set(-EINVAL, "--initrd makes no sense with --bios none");
		return 0;
	}
	return 0;
}

int machine_check_config(const struct vm_config *cfg)
{
	const struct machine_ops *m = machine_find(cfg->arch);
	char archs[64];

	if (!m) {
		machine_archs(archs, sizeof(archs));
		return error_set(-ENOTSUP, "--arch %s: not supported (supported: %s)", cfg->arch,
				 archs);
	}
	int64_t rtc_offset;
	int err;

	if (cfg->cpus < 1 || cfg->cpus > m->max_cpus)
		return error_set(-EINVAL, "--cpus %u: the %s machine takes 1 to %u", cfg->cpus,
				 m->arch, m->max_cpus);
	if (cfg->cpu && m->check_cpu) {
		int err = m->check_cpu(cfg->cpu);

		if (err)
			return err;
	}
	err = rtc_base_parse(cfg->rtc, &rtc_offset);
	if (err)
		return err;
	return check_firmware(m, cfg);
}
