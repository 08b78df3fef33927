/*
 * machine/riscv-virt.c: the device tree riscv_virt_fdt() builds, read back
 * with libfdt as a kernel would (the ISA exactly as the hart implements it,
 * mmu-type, timebase, memory, /chosen, and the interrupt wiring of PLIC,
 * CLINT and UART through phandles), and riscv_virt_boot() handing over as
 * the Linux boot protocol says: the kernel at RAM + 2 MiB, a0 = hart id,
 * a1 = the device tree (valid, in RAM, 8-byte aligned, above kernel and
 * initrd), S-mode with the MMU off, exceptions and S interrupts delegated.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "accel/emu/isa.h"
#include "base/error.h"
#include "machine/loader.h"
#include "machine/riscv-virt.h"

#define MEM_SIZE	(64ull << 20)
#define FDT_BUF		(64u << 10)
#define BOOTARGS	"console=ttyS0 earlycon=sbi root=/dev/vda rw"

#define CPU		"/cpus/cpu@0"
#define CPU_INTC	"/cpus/cpu@0/interrupt-controller"
#define PLIC		"/soc/plic@c000000"
#define CLINT		"/soc/clint@2000000"
#define UART		"/soc/serial@10000000"

struct fixture {
	struct vm_config cfg;
	struct riscv_virt *m;
	uint8_t fdt[FDT_BUF];
	char *paths[2];		/* temporary kernel / initrd files */
};

static int make_machine(struct fixture *f, uint64_t mem_size)
{
	f->cfg = (struct vm_config){
		.arch = "riscv64", .kernel = "unused", .mem_size = mem_size, .cpus = 1,
	};
	f->m = calloc(1, sizeof(*f->m));
	if (!f->m)
		return -1;
	if (riscv_virt_create(f->m, &f->cfg, NULL)) {
		free(f->m);
		f->m = NULL;
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || make_machine(f, MEM_SIZE)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < 2; i++) {
		if (f->paths[i]) {
			unlink(f->paths[i]);
			free(f->paths[i]);
		}
	}
	if (f->m) {
		riscv_virt_destroy(f->m);
		free(f->m);
	}
	free(f);
	return 0;
}

/* ---- reading the tree ---- */

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("no node %s: %s", path, fdt_strerror(off));
	return off;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	const void *p = fdt_getprop(fdt, node(fdt, path), name, len);

	if (!p)
		fail_msg("no property %s in %s", name, path);
	return p;
}

static bool has_prop(const void *fdt, const char *path, const char *name)
{
	return fdt_getprop(fdt, node(fdt, path), name, NULL) != NULL;
}

static uint32_t prop_u32(const void *fdt, const char *path, const char *name)
{
	int len;
	const fdt32_t *p = prop(fdt, path, name, &len);

	assert_int_equal(len, 4);
	return fdt32_to_cpu(*p);
}

/* Property cells are only 4-byte aligned: read 64-bit ones bytewise. */
static uint64_t be64_at(const void *p)
{
	fdt64_t v;

	memcpy(&v, p, sizeof(v));
	return fdt64_to_cpu(v);
}

static uint64_t prop_u64(const void *fdt, const char *path, const char *name)
{
	int len;
	const void *p = prop(fdt, path, name, &len);

	assert_int_equal(len, 8);
	return be64_at(p);
}

static void assert_prop_str(const void *fdt, const char *path, const char *name, const char *want)
{
	int len;
	const char *s = prop(fdt, path, name, &len);

	assert_int_equal(len, strlen(want) + 1);
	assert_string_equal(s, want);
}

/* reg = <addr size> with two cells each */
static void assert_reg(const void *fdt, const char *path, uint64_t base, uint64_t size)
{
	int len;
	const uint8_t *r = prop(fdt, path, "reg", &len);

	assert_int_equal(len, 16);
	assert_int_equal(be64_at(r), base);
	assert_int_equal(be64_at(r + 8), size);
}

/* Build the tree and check its structure is sound. */
static void *build(struct fixture *f, const char *bootargs, uint64_t initrd_start, uint64_t initrd_end)
{
	error_clear();
	assert_int_equal(riscv_virt_fdt(f->m, f->fdt, sizeof(f->fdt), bootargs, initrd_start,
					initrd_end), 0);
	assert_int_equal(fdt_check_header(f->fdt), 0);
	assert_true(fdt_totalsize(f->fdt) <= sizeof(f->fdt));
	assert_int_equal(fdt_check_full(f->fdt, sizeof(f->fdt)), 0);
	return f->fdt;
}

/* ---- the device tree ---- */

static void test_fdt_root(void **state)
{
	struct fixture *f = *state;
	void *fdt = build(f, BOOTARGS, 0, 0);

	assert_int_equal(fdt_magic(fdt), FDT_MAGIC);
	assert_int_equal(prop_u32(fdt, "/", "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, "/", "#size-cells"), 2);
	assert_true(has_prop(fdt, "/", "compatible"));
	assert_true(has_prop(fdt, "/", "model"));
	assert_int_equal(fdt_boot_cpuid_phys(fdt), 0);
	assert_int_equal(fdt_num_mem_rsv(fdt), 0);
}

/* --cpu rva23, the default: everything accel/emu/isa.h implements */
#define RVA23_EXTENSIONS "i\0m\0a\0f\0d\0c\0zicntr\0zicsr\0zifencei\0zicbom\0zicbop\0zicboz\0zicond\0zihintntl\0" \
		"zihintpause\0zimop\0zawrs\0zfhmin\0zcb\0zcmop\0zba\0zbb\0zbc\0zbs\0zkt\0sstc\0svadu\0svinval\0" \
		"svnapot\0svpbmt"
#define RVA23_ISA "rv64imafdc_zicntr_zicsr_zifencei_zicbom_zicbop_zicboz_zicond_zihintntl_" \
		"zihintpause_zimop_zawrs_zfhmin_zcb_zcmop_zba_zbb_zbc_zbs_zkt_sstc_svadu_svinval_" \
		"svnapot_svpbmt"

static void test_fdt_cpu(void **state)
{
	static const char extensions[] = RVA23_EXTENSIONS;
	struct fixture *f = *state;
	void *fdt = build(f, BOOTARGS, 0, 0);
	const char *s;
	int len;

	assert_int_equal(prop_u32(fdt, "/cpus", "timebase-frequency"), 10000000);
	assert_int_equal(prop_u32(fdt, "/cpus", "#address-cells"), 1);
	assert_int_equal(prop_u32(fdt, "/cpus", "#size-cells"), 0);
	assert_prop_str(fdt, CPU, "device_type", "cpu");
	assert_int_equal(prop_u32(fdt, CPU, "reg"), 0);
	assert_prop_str(fdt, CPU, "status", "okay");
	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, CPU), "riscv"), 0);
	assert_prop_str(fdt, CPU, "riscv,isa", RVA23_ISA);
	assert_prop_str(fdt, CPU, "riscv,isa-base", "rv64i");
	s = prop(fdt, CPU, "riscv,isa-extensions", &len);
	assert_int_equal(len, sizeof(extensions));
	assert_memory_equal(s, extensions, sizeof(extensions));
	assert_int_equal(fdt_stringlist_count(fdt, node(fdt, CPU), "riscv,isa-extensions"), 30);
	assert_int_equal(prop_u32(fdt, CPU, "riscv,cbom-block-size"), 64);
	assert_int_equal(prop_u32(fdt, CPU, "riscv,cboz-block-size"), 64);
	assert_prop_str(fdt, CPU, "mmu-type", "riscv,sv48");

	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, CPU_INTC), "riscv,cpu-intc"), 0);
	assert_int_equal(prop_u32(fdt, CPU_INTC, "#interrupt-cells"), 1);
	assert_non_null(prop(fdt, CPU_INTC, "interrupt-controller", &len));
	assert_int_equal(len, 0);
	assert_int_not_equal(fdt_get_phandle(fdt, node(fdt, CPU_INTC)), 0);
}

static void test_fdt_memory(void **state)
{
	struct fixture *f = *state;
	void *fdt = build(f, BOOTARGS, 0, 0);

	assert_prop_str(fdt, "/memory@80000000", "device_type", "memory");
	assert_reg(fdt, "/memory@80000000", VIRT_RAM_BASE, MEM_SIZE);
	assert_int_equal(node(fdt, "/memory"), node(fdt, "/memory@80000000"));

	/* more than 4 GiB: the size needs both cells */
	riscv_virt_destroy(f->m);
	free(f->m);
	assert_int_equal(make_machine(f, 5ull << 30), 0);
	fdt = build(f, BOOTARGS, 0, 0);
	assert_reg(fdt, "/memory@80000000", VIRT_RAM_BASE, 5ull << 30);
}

static void test_fdt_chosen(void **state)
{
	struct fixture *f = *state;
	void *fdt = build(f, BOOTARGS, 0, 0);
	const char *path;
	int len, uart;

	assert_prop_str(fdt, "/chosen", "bootargs", BOOTARGS);
	path = prop(fdt, "/chosen", "stdout-path", &len);
	uart = fdt_path_offset(fdt, path);
	assert_true(uart >= 0);
	assert_int_equal(uart, node(fdt, UART));
	assert_int_equal(fdt_node_check_compatible(fdt, uart, "ns16550a"), 0);
	prop(fdt, "/chosen", "rng-seed", &len);
	assert_int_equal(len, 64);
	assert_false(has_prop(fdt, "/chosen", "linux,initrd-start"));
	assert_false(has_prop(fdt, "/chosen", "linux,initrd-end"));

	/* an initrd: its range, as 64-bit numbers */
	fdt = build(f, "", 0x83000000, 0x83123456);
	assert_prop_str(fdt, "/chosen", "bootargs", "");
	assert_int_equal(prop_u64(fdt, "/chosen", "linux,initrd-start"), 0x83000000);
	assert_int_equal(prop_u64(fdt, "/chosen", "linux,initrd-end"), 0x83123456);

	/* an empty range is no initrd */
	fdt = build(f, BOOTARGS, 0x83000000, 0x83000000);
	assert_false(has_prop(fdt, "/chosen", "linux,initrd-start"));
	assert_false(has_prop(fdt, "/chosen", "linux,initrd-end"));
}

/* A node that interrupts-extended / interrupt-parent names by phandle. */
static int by_phandle(const void *fdt, uint32_t phandle)
{
	int off = fdt_node_offset_by_phandle(fdt, phandle);

	assert_true(off >= 0);
	return off;
}

static void test_fdt_interrupts(void **state)
{
	struct fixture *f = *state;
	void *fdt = build(f, BOOTARGS, 0, 0);
	uint32_t intc = fdt_get_phandle(fdt, node(fdt, CPU_INTC));
	uint32_t plic = fdt_get_phandle(fdt, node(fdt, PLIC));
	const fdt32_t *ie;
	int len;

	assert_int_not_equal(plic, 0);
	assert_int_not_equal(plic, intc);
	assert_int_equal(by_phandle(fdt, intc), node(fdt, CPU_INTC));
	assert_int_equal(by_phandle(fdt, plic), node(fdt, PLIC));

	assert_int_equal(prop_u32(fdt, "/soc", "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, "/soc", "#size-cells"), 2);
	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, "/soc"), "simple-bus"), 0);
	assert_non_null(prop(fdt, "/soc", "ranges", &len));
	assert_int_equal(len, 0);

	/* PLIC: M and S external interrupts of hart 0, riscv,ndev sources */
	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, PLIC), "riscv,plic0"), 0);
	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, PLIC), "sifive,plic-1.0.0"), 0);
	assert_reg(fdt, PLIC, VIRT_PLIC_BASE, PLIC_MMIO_SIZE);
	assert_int_equal(prop_u32(fdt, PLIC, "riscv,ndev"), PLIC_NDEV);
	assert_true(PLIC_NDEV >= VIRT_UART0_IRQ);
	assert_int_equal(prop_u32(fdt, PLIC, "#interrupt-cells"), 1);
	assert_int_equal(prop_u32(fdt, PLIC, "#address-cells"), 0);
	assert_true(has_prop(fdt, PLIC, "interrupt-controller"));
	ie = prop(fdt, PLIC, "interrupts-extended", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt32_to_cpu(ie[0]), intc);
	assert_int_equal(fdt32_to_cpu(ie[1]), IRQ_M_EXT);
	assert_int_equal(fdt32_to_cpu(ie[2]), intc);
	assert_int_equal(fdt32_to_cpu(ie[3]), IRQ_S_EXT);

	/* CLINT: M software and M timer interrupts of hart 0 */
	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, CLINT), "riscv,clint0"), 0);
	assert_reg(fdt, CLINT, VIRT_CLINT_BASE, ACLINT_MMIO_SIZE);
	ie = prop(fdt, CLINT, "interrupts-extended", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt32_to_cpu(ie[0]), intc);
	assert_int_equal(fdt32_to_cpu(ie[1]), IRQ_M_SOFT);
	assert_int_equal(fdt32_to_cpu(ie[2]), intc);
	assert_int_equal(fdt32_to_cpu(ie[3]), IRQ_M_TIMER);

	/* UART: PLIC source 10 */
	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, UART), "ns16550a"), 0);
	assert_reg(fdt, UART, VIRT_UART0_BASE, UART16550_MMIO_SIZE);
	assert_int_equal(prop_u32(fdt, UART, "interrupts"), VIRT_UART0_IRQ);
	assert_int_equal(prop_u32(fdt, UART, "interrupt-parent"), plic);
	assert_int_equal(prop_u32(fdt, UART, "clock-frequency"), VIRT_UART_CLOCK_HZ);
}

/* Every phandle is unique (libfdt finds each one's node). */
static void test_fdt_phandles_unique(void **state)
{
	struct fixture *f = *state;
	void *fdt = build(f, BOOTARGS, 0, 0);
	uint32_t seen[16];
	unsigned n = 0;

	for (int off = fdt_next_node(fdt, -1, NULL); off >= 0; off = fdt_next_node(fdt, off, NULL)) {
		uint32_t ph = fdt_get_phandle(fdt, off);

		if (!ph)
			continue;
		for (unsigned i = 0; i < n; i++)
			assert_int_not_equal(seen[i], ph);
		assert_true(n < 16);
		seen[n++] = ph;
		assert_int_equal(fdt_node_offset_by_phandle(fdt, ph), off);
	}
	assert_true(n >= 2);		/* the hart's interrupt controller and the PLIC at least */
}

static void test_fdt_no_room(void **state)
{
	struct fixture *f = *state;
	size_t big = 80u << 10;
	char *bootargs = malloc(big + 1);

	error_clear();
	assert_true(riscv_virt_fdt(f->m, f->fdt, 256, BOOTARGS, 0, 0) < 0);
	assert_non_null(strstr(error_msg(), "device tree"));
	/* a command line larger than the tree's space */
	assert_non_null(bootargs);
	memset(bootargs, 'x', big);
	bootargs[big] = '\0';
	error_clear();
	assert_true(riscv_virt_fdt(f->m, f->fdt, sizeof(f->fdt), bootargs, 0, 0) < 0);
	assert_non_null(strstr(error_msg(), "device tree"));
	free(bootargs);
}

/* 4 harts: a cpu node and an interrupt controller each, wired to CLINT and PLIC in order */
static void test_fdt_smp(void **state)
{
	struct vm_config cfg = { .arch = "riscv64", .kernel = "x", .mem_size = MEM_SIZE, .cpus = 4 };
	struct fixture f = { 0 };
	const fdt32_t *clint, *plic;
	uint32_t intc[4], cpu;
	char path[64];
	unsigned i;
	int len;
	void *fdt;

	(void)state;
	f.m = calloc(1, sizeof(*f.m));
	assert_non_null(f.m);
	assert_int_equal(riscv_virt_create(f.m, &cfg, NULL), 0);
	assert_int_equal(f.m->nharts, 4);
	fdt = build(&f, BOOTARGS, 0, 0);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%u", i);
		assert_int_equal(prop_u32(fdt, path, "reg"), i);
		assert_prop_str(fdt, path, "status", "okay");
		snprintf(path, sizeof(path), "/cpus/cpu@%u/interrupt-controller", i);
		intc[i] = fdt_get_phandle(fdt, node(fdt, path));
		assert_int_not_equal(intc[i], 0);
		assert_true(i == 0 || intc[i] != intc[i - 1]);
		snprintf(path, sizeof(path), "/cpus/cpu@%u", i);
		cpu = fdt_get_phandle(fdt, node(fdt, path));
		snprintf(path, sizeof(path), "/cpus/cpu-map/cluster0/core%u", i);
		assert_int_equal(prop_u32(fdt, path, "cpu"), cpu);
	}
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@4") < 0);
	clint = prop(fdt, "/soc/clint@2000000", "interrupts-extended", &len);
	assert_int_equal(len, 4 * 4 * 4);
	plic = prop(fdt, "/soc/plic@c000000", "interrupts-extended", &len);
	assert_int_equal(len, 4 * 4 * 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(fdt32_to_cpu(clint[4 * i]), intc[i]);
		assert_int_equal(fdt32_to_cpu(clint[4 * i + 1]), IRQ_M_SOFT);
		assert_int_equal(fdt32_to_cpu(clint[4 * i + 3]), IRQ_M_TIMER);
		assert_int_equal(fdt32_to_cpu(plic[4 * i]), intc[i]);
		assert_int_equal(fdt32_to_cpu(plic[4 * i + 1]), IRQ_M_EXT);
		assert_int_equal(fdt32_to_cpu(plic[4 * i + 3]), IRQ_S_EXT);
	}
	riscv_virt_destroy(f.m);
	free(f.m);
}

/* the goldfish RTC where QEMU's virt machine has it, on PLIC source 11 */
static void test_fdt_rtc(void **state)
{
	struct fixture *f = *state;
	void *fdt = build(f, BOOTARGS, 0, 0);
	int len;

	assert_int_equal(fdt_node_check_compatible(fdt, node(fdt, "/soc/rtc@101000"),
						   "google,goldfish-rtc"), 0);
	const uint8_t *reg = prop(fdt, "/soc/rtc@101000", "reg", &len);

	assert_int_equal(len, 16);
	assert_int_equal(be64_at(reg), VIRT_RTC_BASE);
	assert_int_equal(be64_at(reg + 8), GOLDFISH_RTC_MMIO_SIZE);
	assert_int_equal(prop_u32(fdt, "/soc/rtc@101000", "interrupts"), VIRT_RTC_IRQ);
}

static void test_create_rejects_cpus(void **state)
{
	struct vm_config cfg = { .arch = "riscv64", .kernel = "x", .mem_size = MEM_SIZE, .cpus = 65 };
	struct riscv_virt *m = calloc(1, sizeof(*m));

	(void)state;
	assert_non_null(m);
	assert_int_equal(riscv_virt_create(m, &cfg, NULL), -EINVAL);
	assert_non_null(strstr(error_msg(), "--cpus"));
	free(m);
}

/* --cpu picks what the hart decodes and the device tree says; an unknown name is refused */
static void test_cpu_profiles(void **state)
{
	static const char rv64gc[] = "i\0m\0a\0f\0d\0c\0zicntr\0zicsr\0zifencei";
	struct fixture *f = *state;
	const char *s;
	void *fdt;
	int len;

	riscv_virt_destroy(f->m);
	f->cfg.cpu = "rv64gc";
	assert_int_equal(riscv_virt_create(f->m, &f->cfg, NULL), 0);
	assert_int_equal(f->m->harts[0].isa, 0);
	fdt = build(f, BOOTARGS, 0, 0);
	assert_prop_str(fdt, CPU, "riscv,isa", "rv64imafdc_zicntr_zicsr_zifencei");
	s = prop(fdt, CPU, "riscv,isa-extensions", &len);
	assert_int_equal(len, sizeof(rv64gc));
	assert_memory_equal(s, rv64gc, sizeof(rv64gc));
	assert_int_equal(fdt_getprop(fdt, node(fdt, CPU), "riscv,cbom-block-size", &len), NULL);

	riscv_virt_destroy(f->m);
	f->cfg.cpu = "rva22";
	assert_int_equal(riscv_virt_create(f->m, &f->cfg, NULL), 0);
	assert_true(f->m->harts[0].isa & ISA(ZBA));
	assert_false(f->m->harts[0].isa & ISA(ZICOND));

	riscv_virt_destroy(f->m);
	f->cfg.cpu = "rva99";
	assert_int_equal(riscv_virt_create(f->m, &f->cfg, NULL), -EINVAL);
	assert_non_null(strstr(error_msg(), "--cpu rva99"));
	f->cfg.cpu = NULL;
	assert_int_equal(riscv_virt_create(f->m, &f->cfg, NULL), 0);	/* for teardown */
}

/* ---- booting ---- */

static char *temp_file(struct fixture *f, unsigned slot, const void *data, size_t len)
{
	char *path = strdup("/tmp/gasang-riscv-virt-test-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f->paths[slot] = path;
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* A RISC-V Image: the header, then code; image_size may exceed the file. */
static char *image_file(struct fixture *f, size_t file_size, uint64_t image_size)
{
	uint8_t *d = calloc(1, file_size);
	uint64_t text_offset = VIRT_KERNEL_OFFSET;
	uint32_t code0 = 0x0400006f, version = 2;
	char *path;

	assert_non_null(d);
	memcpy(d, &code0, 4);
	memcpy(d + 8, &text_offset, 8);
	memcpy(d + 16, &image_size, 8);
	memcpy(d + 32, &version, 4);
	memcpy(d + 48, RISCV_IMAGE_MAGIC, 8);
	memcpy(d + 56, RISCV_IMAGE_MAGIC2, 4);
	path = temp_file(f, 0, d, file_size);
	free(d);
	return path;
}

static void test_boot_protocol(void **state)
{
	struct fixture *f = *state;
	struct riscv_virt *m = f->m;
	uint64_t kernel = VIRT_RAM_BASE + VIRT_KERNEL_OFFSET, kernel_end = kernel + 0x20000;
	uint64_t initrd_start, initrd_end, ram_end = VIRT_RAM_BASE + MEM_SIZE;
	uint8_t initrd[5000];
	const void *fdt;

	f->cfg.kernel = image_file(f, 0x4000, 0x20000);
	memset(initrd, 0xa5, sizeof(initrd));
	f->cfg.initrd = temp_file(f, 1, initrd, sizeof(initrd));
	f->cfg.append = BOOTARGS;
	assert_int_equal(riscv_virt_boot(m), 0);

	/* the hart: S-mode at the kernel, a0 = hart id, a1 = the tree, MMU off */
	assert_int_equal(m->harts[0].pc, kernel);
	assert_int_equal(m->harts[0].priv, PRV_S);
	assert_true(m->harts[0].sbi);
	assert_int_equal(m->harts[0].x[10], 0);
	assert_int_equal(m->harts[0].x[11], m->fdt_addr);
	assert_int_equal(m->harts[0].satp, 0);
	assert_int_equal(m->harts[0].mstatus & MSTATUS_SIE, 0);
	/* everything S can take is delegated; ecalls from S and M are the SBI's */
	assert_int_equal(m->harts[0].mideleg, MIP_S_MASK);
	for (unsigned c = 0; c < 16; c++) {
		bool want = c != EXC_ECALL_S && c != 10 && c != EXC_ECALL_M && c != 14;

		assert_int_equal((m->harts[0].medeleg >> c) & 1, want);
	}
	assert_int_equal(m->harts[0].mcounteren, COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);

	/* the tree: valid, in RAM, 8-byte aligned, above kernel and initrd */
	fdt = guest_ram_ptr(&m->mem, m->fdt_addr, FDT_V1_SIZE);
	assert_non_null(fdt);
	assert_int_equal(fdt_check_header(fdt), 0);
	assert_non_null(guest_ram_ptr(&m->mem, m->fdt_addr, fdt_totalsize(fdt)));
	assert_int_equal(m->fdt_addr % 8, 0);
	assert_true(m->fdt_addr >= kernel_end);
	assert_true(m->fdt_addr + fdt_totalsize(fdt) <= ram_end);
	assert_int_equal(fdt_check_full(fdt, fdt_totalsize(fdt)), 0);
	assert_string_equal(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", NULL),
			    BOOTARGS);

	/* the initrd: page aligned, between the kernel (with its bss) and the tree */
	initrd_start = prop_u64(fdt, "/chosen", "linux,initrd-start");
	initrd_end = prop_u64(fdt, "/chosen", "linux,initrd-end");
	assert_int_equal(initrd_start % 4096, 0);
	assert_int_equal(initrd_end - initrd_start, sizeof(initrd));
	assert_true(initrd_start >= kernel_end);
	assert_true(initrd_end <= m->fdt_addr);
	assert_memory_equal(guest_ram_ptr(&m->mem, initrd_start, sizeof(initrd)), initrd, sizeof(initrd));

	/* the kernel's bss (image_size beyond the file) is zero */
	assert_non_null(guest_ram_ptr(&m->mem, kernel + 0x4000, 0x1c000));
	for (uint64_t a = kernel + 0x4000; a < kernel_end; a += 0x1000)
		assert_int_equal(*(uint8_t *)guest_ram_ptr(&m->mem, a, 1), 0);

	/*
	 * a reboot does it all again, from clean RAM and the images of the first
	 * boot: the files are gone (a sandboxed VM could not open them anyway)
	 */
	*(uint8_t *)guest_ram_ptr(&m->mem, VIRT_RAM_BASE + (8 << 20), 1) = 0x77;
	memset(guest_ram_ptr(&m->mem, initrd_start, sizeof(initrd)), 0, sizeof(initrd));
	m->harts[0].pc = 0;
	assert_int_equal(unlink(f->cfg.kernel), 0);
	assert_int_equal(unlink(f->cfg.initrd), 0);
	assert_int_equal(riscv_virt_boot(m), 0);
	assert_int_equal(m->harts[0].pc, kernel);
	assert_int_equal(*(uint8_t *)guest_ram_ptr(&m->mem, VIRT_RAM_BASE + (8 << 20), 1), 0);
	assert_memory_equal(guest_ram_ptr(&m->mem, initrd_start, sizeof(initrd)), initrd, sizeof(initrd));
}

/* No default bootargs given: the machine's default. */
static void test_boot_default_bootargs(void **state)
{
	struct fixture *f = *state;
	const void *fdt;

	f->cfg.kernel = image_file(f, 0x1000, 0x1000);
	assert_int_equal(riscv_virt_boot(f->m), 0);
	fdt = guest_ram_ptr(&f->m->mem, f->m->fdt_addr, FDT_V1_SIZE);
	assert_string_equal(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", NULL),
			    VM_DEFAULT_APPEND);
	assert_null(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "linux,initrd-start", NULL));
}

/* A kernel that leaves no room for the device tree: refused, not overlapped. */
static void test_boot_too_little_memory(void **state)
{
	struct fixture *f = *state;

	f->cfg.kernel = image_file(f, 0x1000, MEM_SIZE - VIRT_KERNEL_OFFSET - 0x1000);
	error_clear();
	assert_int_equal(riscv_virt_boot(f->m), -E2BIG);
	assert_non_null(strstr(error_msg(), "--mem"));
}

/* An initrd that does not fit between the kernel and the tree: refused. */
static void test_boot_initrd_too_big(void **state)
{
	struct fixture *f = *state;
	size_t size = MEM_SIZE - VIRT_KERNEL_OFFSET;
	uint8_t *d = calloc(1, size);

	assert_non_null(d);
	f->cfg.kernel = image_file(f, 0x1000, 0x1000);
	f->cfg.initrd = temp_file(f, 1, d, size);
	free(d);
	error_clear();
	assert_int_equal(riscv_virt_boot(f->m), -E2BIG);
	assert_non_null(strstr(error_msg(), "initrd"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fdt_root),
		T(test_fdt_cpu),
		T(test_fdt_memory),
		T(test_fdt_chosen),
		T(test_fdt_interrupts),
		T(test_fdt_phandles_unique),
		T(test_fdt_no_room),
		cmocka_unit_test(test_create_rejects_cpus),
		T(test_cpu_profiles),
		cmocka_unit_test(test_fdt_smp),
		T(test_fdt_rtc),
		T(test_boot_protocol),
		T(test_boot_default_bootargs),
		T(test_boot_too_little_memory),
		T(test_boot_initrd_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
