/*
 * accel/kvm on the real /dev/kvm (skipped where there is none): tiny
 * real-mode guests written as bytes drive port I/O and MMIO exits to the
 * buses, stops requested by a device and by another thread (also of a vCPU
 * halted with interrupts off), pause and resume, a triple fault as a reset,
 * MSI routes and their eventfds, an ioeventfd that turns a port write
 * into an eventfd signal without an exit, and a reset that puts back the
 * MSRs a guest changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "accel/kvm/x86-cpuid.h"
#include "accel/kvm/kvm.h"
#include "accel/kvm/vcpu.h"
#include "hw/bus.h"

#define RAM		(1u << 20)
#define CODE		0x1000
#define COUNTER		0x500
#define TEST_PORT	0x10
#define STOP_PORT	0x11
#define IOEV_PORT	0x12
#define MMIO_ADDR	0xd0000
#define EXIT_CODE	42

struct fixture {
	struct kvm kvm;
	struct bus pio, mmio;
	uint8_t *ram;
	uint64_t last_pio, last_mmio;
	unsigned pio_writes, mmio_writes;
};

static bool kvm_usable(void)
{
	return access("/dev/kvm", R_OK | W_OK) == 0;
}

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)size;
	return 0x40 + off;
}

static void pio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fixture *f = opaque;

	(void)size;
	if (off == STOP_PORT - TEST_PORT) {
		kvm_request_stop(&f->kvm, KVM_STOP_EXIT, (int)val, "exit");
		return;
	}
	f->last_pio = val;
	f->pio_writes++;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fixture *f = opaque;

	(void)off;
	(void)size;
	f->last_mmio = val;
	f->mmio_writes++;
}

static const struct bus_device_ops pio_ops = { dev_read, pio_write };
static const struct bus_device_ops mmio_ops = { dev_read, mmio_write };

static int setup(void **state)
{
	struct fixture *f;

	if (!kvm_usable())
		return 0;
	f = calloc(1, sizeof(*f));
	assert_int_equal(kvm_open(&f->kvm), 0);
	f->ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	assert_int_equal(kvm_add_memory(&f->kvm, 0, RAM / 2, f->ram, false), 0);
	assert_int_equal(bus_register(&f->pio, "test", TEST_PORT, 2, &pio_ops, f), 0);
	assert_int_equal(bus_register(&f->mmio, "test", MMIO_ADDR, 0x1000, &mmio_ops, f), 0);
	f->kvm.pio = &f->pio;
	f->kvm.mmio = &f->mmio;
	assert_int_equal(kvm_cpuid_build(f->kvm.sys_fd, NULL, NULL, &f->kvm.cpuid), 0);
	assert_int_equal(kvm_vcpu_create(&f->kvm, 0, f->kvm.cpuid), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	kvm_close(&f->kvm);
	munmap(f->ram, RAM);
	free(f);
	return 0;
}

/* Load code at CODE and make vCPU 0 start there in real mode. */
static void boot(struct fixture *f, const uint8_t *code, size_t len)
{
	struct kvm_boot_regs b = { .mode = KVM_BOOT_REAL16, .rip = CODE, .rsp = 0x7000 };

	memset(f->ram, 0, RAM);
	memcpy(f->ram + CODE, code, len);
	assert_int_equal(kvm_vcpu_reset(f->kvm.vcpu[0]), 0);
	assert_int_equal(kvm_vcpu_set_boot(f->kvm.vcpu[0], &b), 0);
}

#define SKIP_WITHOUT_KVM() do { if (!*state) skip(); } while (0)

static void test_pio_mmio_exit(void **state)
{
	struct fixture *f = *state;
	/* out 0x10 <- 0x2a; in al <- 0x10 (0x40); store it; in from nothing (0xff);
	 * store it; byte to MMIO 0xd0000; exit with 42 */
	static const uint8_t code[] = {
		0xb0, 0x2a, 0xe6, TEST_PORT,		/* mov al, 0x2a; out 0x10, al */
		0xe4, TEST_PORT, 0xa2, 0x00, 0x05,	/* in al, 0x10; mov [0x500], al */
		0xe4, 0x30, 0xa2, 0x01, 0x05,		/* in al, 0x30; mov [0x501], al */
		0xb8, 0x00, 0xd0, 0x8e, 0xd8,		/* mov ax, 0xd000; mov ds, ax */
		0xb0, 0x77, 0xa2, 0x00, 0x00,		/* mov al, 0x77; mov [0], al */
		0xa0, 0x08, 0x00,			/* mov al, [8] (reads 0x48) */
		0x31, 0xdb, 0x8e, 0xdb,			/* xor bx, bx; mov ds, bx */
		0xa2, 0x02, 0x05,			/* mov [0x502], al */
		0xb0, EXIT_CODE, 0xe6, STOP_PORT,	/* exit */
		0xeb, 0xfe,
	};
	struct kvm_stop stop;

	SKIP_WITHOUT_KVM();
	boot(f, code, sizeof(code));
	assert_int_equal(kvm_run_vcpus(&f->kvm, &stop), 0);
	assert_int_equal(stop.why, KVM_STOP_EXIT);
	assert_int_equal(stop.code, EXIT_CODE);
	assert_int_equal(f->last_pio, 0x2a);
	assert_int_equal(f->ram[COUNTER], 0x40);
	assert_int_equal(f->ram[COUNTER + 1], 0xff);
	assert_int_equal(f->last_mmio, 0x77);
	assert_int_equal(f->ram[COUNTER + 2], 0x48);
	assert_true(f->kvm.stats.io >= 4);
	assert_true(f->kvm.stats.mmio >= 2);
}

struct later {
	struct kvm *kvm;
	int what;		/* 0: stop, 1: pause/resume then stop */
	uint8_t *counter;
	bool paused_ok;
};

static void *stopper(void *opaque)
{
	struct later *l = opaque;
	struct timespec ms = { 0, 20000000 };

	nanosleep(&ms, NULL);
	if (l->what == 1) {
		uint8_t a, b;

		kvm_pause(l->kvm);
		a = __atomic_load_n(l->counter, __ATOMIC_SEQ_CST);
		nanosleep(&ms, NULL);
		b = __atomic_load_n(l->counter, __ATOMIC_SEQ_CST);
		l->paused_ok = a == b;
		kvm_resume(l->kvm);
		nanosleep(&ms, NULL);
	}
	kvm_request_stop(l->kvm, KVM_STOP_REQUEST, 0, "test");
	return NULL;
}

static void run_and_stop_from_thread(struct fixture *f, int what, struct later *l)
{
	struct kvm_stop stop;
	pthread_t t;

	*l = (struct later){ &f->kvm, what, f->ram + COUNTER, false };
	assert_int_equal(pthread_create(&t, NULL, stopper, l), 0);
	assert_int_equal(kvm_run_vcpus(&f->kvm, &stop), 0);
	pthread_join(t, NULL);
	assert_int_equal(stop.why, KVM_STOP_REQUEST);
}

static void test_stop_spinning(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = { 0xfe, 0x06, 0x00, 0x05, 0xeb, 0xfa };	/* inc [0x500]; loop */
	struct later l;

	SKIP_WITHOUT_KVM();
	boot(f, code, sizeof(code));
	run_and_stop_from_thread(f, 0, &l);
	assert_true(f->ram[COUNTER] != 0);		/* it ran */
}

static void test_stop_halted(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = { 0xfa, 0xf4, 0xeb, 0xfc };	/* cli; hlt; loop */
	struct later l;

	SKIP_WITHOUT_KVM();
	boot(f, code, sizeof(code));
	run_and_stop_from_thread(f, 0, &l);
}

static void test_pause_resume(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = { 0xfe, 0x06, 0x00, 0x05, 0xeb, 0xfa };
	struct later l;

	SKIP_WITHOUT_KVM();
	boot(f, code, sizeof(code));
	run_and_stop_from_thread(f, 1, &l);
	assert_true(l.paused_ok);
	/* a second run after a stop works the same */
	boot(f, code, sizeof(code));
	run_and_stop_from_thread(f, 0, &l);
}

static void test_triple_fault(void **state)
{
	struct fixture *f = *state;
	/*
	 * 32-bit protected mode: lidt [0x600] (limit 0); ud2: #UD finds no
	 * gate, nor does the #GP and the #DF after it: shutdown. (In real mode
	 * KVM's emulator on PVM hosts does not get this right.)
	 */
	static const uint8_t code[] = { 0x0f, 0x01, 0x1d, 0x00, 0x06, 0x00, 0x00, 0x0f, 0x0b };
	struct kvm_boot_regs b = {
		.mode = KVM_BOOT_PROTECTED32, .rip = CODE, .rsp = 0x7000,
		.gdt_base = 0x800, .gdt_limit = 0x27, .cs = 0x20, .ds = 0x18,
	};
	struct kvm_stop stop;

	SKIP_WITHOUT_KVM();
	memset(f->ram, 0, RAM);
	memcpy(f->ram + CODE, code, sizeof(code));
	assert_int_equal(kvm_vcpu_reset(f->kvm.vcpu[0]), 0);
	assert_int_equal(kvm_vcpu_set_boot(f->kvm.vcpu[0], &b), 0);
	assert_int_equal(kvm_run_vcpus(&f->kvm, &stop), 0);
	if (stop.why != KVM_STOP_RESET)
		print_error("stopped: %s\n", stop.msg);
	assert_int_equal(stop.why, KVM_STOP_RESET);
}

static void test_msi_routes(void **state)
{
	struct fixture *f = *state;
	const struct msi_ops *m = &f->kvm.msi;
	int fd1, fd2, fd3, id1, id2, id3;
	uint64_t one = 1;

	SKIP_WITHOUT_KVM();
	id1 = m->route_add(m->opaque, 0xfee00000, 0x41, &fd1);
	id2 = m->route_add(m->opaque, 0xfee00000, 0x42, &fd2);
	assert_true(id1 >= KVM_IOAPIC_PINS && id2 >= KVM_IOAPIC_PINS && id1 != id2);
	assert_true(fd1 >= 0 && fd2 >= 0 && fd1 != fd2);
	assert_int_equal(write(fd1, &one, sizeof(one)), sizeof(one));	/* delivers, harmlessly */
	assert_int_equal(m->route_update(m->opaque, id1, 0xfee00000, 0x51), 0);
	assert_int_equal(m->route_update(m->opaque, 9999, 0xfee00000, 0x51), -ENOENT);
	m->route_del(m->opaque, id1);
	m->route_del(m->opaque, id1);			/* twice: nothing */
	m->route_del(m->opaque, -1);
	id3 = m->route_add(m->opaque, 0xfee00000, 0x43, &fd3);
	assert_int_equal(id3, id1);			/* the GSI is reused */
	m->send(m->opaque, 0xfee00000, 0x44);
	m->route_del(m->opaque, id2);
	m->route_del(m->opaque, id3);
}

static void test_ioeventfd(void **state)
{
	struct fixture *f = *state;
	/* out 0x12 <- 1 (the ioeventfd takes it), then exit */
	static const uint8_t code[] = {
		0xb0, 0x01, 0xe6, IOEV_PORT, 0xb0, 0x05, 0xe6, STOP_PORT, 0xeb, 0xfe,
	};
	const struct ioevent_ops *io = &f->kvm.ioevent;
	struct kvm_stop stop;
	uint64_t v = 0;
	int efd = eventfd(0, EFD_NONBLOCK);

	SKIP_WITHOUT_KVM();
	assert_int_equal(io->add(io->opaque, IOEV_PORT, 1, 1, 0, 0, efd), 0);
	boot(f, code, sizeof(code));
	assert_int_equal(kvm_run_vcpus(&f->kvm, &stop), 0);
	assert_int_equal(stop.code, 5);
	assert_int_equal(read(efd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 1);
	io->del(io->opaque, IOEV_PORT, 1, 1, 0, 0, efd);
	close(efd);
}

#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175

static uint64_t msr_get(struct kvm_vcpu *v, uint32_t index)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index };

	assert_int_equal(ioctl(v->fd, KVM_GET_MSRS, &m), 1);
	return m.e.data;
}

static void msr_set(struct kvm_vcpu *v, uint32_t index, uint64_t data)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index, .e.data = data };

	assert_int_equal(ioctl(v->fd, KVM_SET_MSRS, &m), 1);
}

/* A reset writes back what the guest changed; what it left stays as it was. */
static void test_reset_msrs(void **state)
{
	struct fixture *f = *state;
	struct kvm_vcpu *v;
	uint64_t cs0, esp0;

	SKIP_WITHOUT_KVM();
	v = f->kvm.vcpu[0];
	cs0 = msr_get(v, MSR_IA32_SYSENTER_CS);
	esp0 = msr_get(v, MSR_IA32_SYSENTER_ESP);
	msr_set(v, MSR_IA32_SYSENTER_CS, cs0 ^ 0x10);
	msr_set(v, MSR_IA32_SYSENTER_ESP, esp0 ^ 0xabc000);
	assert_int_equal(kvm_vcpu_reset(v), 0);
	assert_int_equal(msr_get(v, MSR_IA32_SYSENTER_CS), cs0);
	assert_int_equal(msr_get(v, MSR_IA32_SYSENTER_ESP), esp0);
	assert_int_equal(kvm_vcpu_reset(v), 0);
	assert_int_equal(msr_get(v, MSR_IA32_SYSENTER_CS), cs0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pio_mmio_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_spinning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_halted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_msrs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
