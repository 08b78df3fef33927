#include "accel/kvm/kvm.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/kvm/vcpu.h"
#include "base/compiler.h"
#include "base/error.h"

#define KVM_DEV "/dev/kvm"

/* CPUID bits of the host that say KVM can run guests in hardware */
#define CPUID_1_ECX_VMX		(1u << 5)
#define CPUID_80000001_ECX_SVM	(1u << 2)

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "EXT_CPUID" },
	{ KVM_CAP_IRQCHIP, "IRQCHIP" },
	{ KVM_CAP_PIT2, "PIT2" },
	{ KVM_CAP_PIT_STATE2, "PIT_STATE2" },
	{ KVM_CAP_MP_STATE, "MP_STATE" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
	{ KVM_CAP_IRQ_ROUTING, "IRQ_ROUTING" },
	{ KVM_CAP_IRQFD, "IRQFD" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
	{ KVM_CAP_SIGNAL_MSI, "SIGNAL_MSI" },
	{ KVM_CAP_READONLY_MEM, "READONLY_MEM" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "SET_IDENTITY_MAP_ADDR" },
};

static bool host_has_hw_virt(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & CPUID_1_ECX_VMX))
		return true;
	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & CPUID_80000001_ECX_SVM);
}

static int open_dev(void)
{
	int fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return error_set(-ENODEV, "no " KVM_DEV ": this host has no KVM (load kvm_intel or "
				 "kvm_amd, or run an emulated guest with --arch riscv64)");
	case EACCES:
	case EPERM:
		return error_set(-EACCES, "no permission to open " KVM_DEV " (join its group, "
				 "usually 'kvm', or run as root)");
	default:
		return error_errno(-errno, "cannot open " KVM_DEV);
	}
}

static int check_caps(struct kvm *k)
{
	int v = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	unsigned i;

	if (v != KVM_API_VERSION_WANTED)
		return error_set(-ENOTSUP, KVM_DEV ": KVM API version %d, gasang needs %d", v,
				 KVM_API_VERSION_WANTED);
	for (i = 0; i < ARRAY_SIZE(required_caps); i++)
		if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			return error_set(-ENOTSUP, KVM_DEV ": this KVM lacks the capability "
					 "KVM_CAP_%s that gasang needs", required_caps[i].name);
	k->run_size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size < (int)sizeof(struct kvm_run))
		return error_set(-ENOTSUP, KVM_DEV ": bad vCPU mmap size %d", k->run_size);
	return 0;
}

/* Ask KVM for the bytes of an instruction it fails to emulate, where it can say. */
static void enable_emulation_failure_exits(struct kvm *k)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .args = { 1 } };

	if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0 &&
	    ioctl(k->vm_fd, KVM_ENABLE_CAP, &cap) == 0)
		k->exit_on_emulation_failure = true;
}

static int create_irqchip(struct kvm *k)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	unsigned i;

	if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return error_errno(-errno, "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
		return error_errno(-errno, "KVM_SET_TSS_ADDR");
	if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return error_errno(-errno, "cannot create KVM's in-kernel interrupt controllers");
	if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return error_errno(-errno, "cannot create KVM's in-kernel PIT");
	/* their power-on state, for resets */
	for (i = 0; i < 3; i++) {
		k->chip_reset[i].chip_id = i;	/* PIC master, PIC slave, IOAPIC */
		if (ioctl(k->vm_fd, KVM_GET_IRQCHIP, &k->chip_reset[i]) < 0)
			return error_errno(-errno, "KVM_GET_IRQCHIP");
	}
	if (ioctl(k->vm_fd, KVM_GET_PIT2, &k->pit_reset) < 0)
		return error_errno(-errno, "KVM_GET_PIT2");
	return 0;
}

int kvm_open(struct kvm *k)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->vm_fd = -1;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	pthread_mutex_init(&k->route_lock, NULL);
	k->host_virt = host_has_hw_virt();
	k->sys_fd = open_dev();
	if (k->sys_fd < 0)
		return k->sys_fd;
	err = check_caps(k);
	if (err)
		goto err_sys;
	k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		err = error_errno(-errno, "cannot create a KVM virtual machine");
		goto err_sys;
	}
	enable_emulation_failure_exits(k);
	err = create_irqchip(k);
	if (!err)
		err = kvm_irq_init(k);
	if (!err && kvm_debug_init(k))
		err = error_set(-ENOMEM, "out of memory");
	if (err)
		goto err_vm;
	return 0;
err_vm:
	kvm_debug_free(k);
	close(k->vm_fd);
	k->vm_fd = -1;
err_sys:
	close(k->sys_fd);
	k->sys_fd = -1;
	return err;
}

void kvm_close(struct kvm *k)
{
	unsigned i;

	for (i = 0; i < k->nvcpus; i++)
		kvm_vcpu_destroy(k->vcpu[i]);
	k->nvcpus = 0;
	kvm_debug_free(k);
	kvm_irq_destroy(k);
	free(k->cpuid);
	k->cpuid = NULL;
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	k->vm_fd = k->sys_fd = -1;
	pthread_mutex_destroy(&k->route_lock);
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
}

int kvm_add_memory(struct kvm *k, uint64_t gpa, uint64_t size, void *host, bool readonly)
{
	struct kvm_userspace_memory_region r;
	unsigned i;

	for (i = 0; i < KVM_MAX_SLOTS && k->slot[i].used; i++)
		;
	if (i == KVM_MAX_SLOTS)
		return error_set(-ENOSPC, "too many KVM memory slots");
	r = (struct kvm_userspace_memory_region){
		.slot = i,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return error_errno(-errno, "cannot give KVM guest memory [0x%llx, 0x%llx)",
				   (unsigned long long)gpa, (unsigned long long)(gpa + size));
	k->slot[i] = (struct kvm_slot){ gpa, size, host, readonly, true };
	return 0;
}

int kvm_reset_irqchip(struct kvm *k)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		if (ioctl(k->vm_fd, KVM_SET_IRQCHIP, &k->chip_reset[i]) < 0)
			return error_errno(-errno, "KVM_SET_IRQCHIP");
	if (ioctl(k->vm_fd, KVM_SET_PIT2, &k->pit_reset) < 0)
		return error_errno(-errno, "KVM_SET_PIT2");
	return 0;
}

/* Host address of guest-physical [gpa, gpa + len) in one slot, or NULL. */
void *kvm_gpa_ptr(struct kvm *k, uint64_t gpa, uint64_t len, uint64_t *avail)
{
	unsigned i;

	for (i = 0; i < KVM_MAX_SLOTS; i++) {
		const struct kvm_slot *sl = &k->slot[i];
		uint64_t off = gpa - sl->gpa;

		if (!sl->used || off >= sl->size)
			continue;
		*avail = sl->size - off;
		return *avail >= len ? (uint8_t *)sl->host + off : NULL;
	}
	return NULL;
}
