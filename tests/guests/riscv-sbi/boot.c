/*
 * The boot protocol as Linux relies on it (Documentation/arch/riscv/boot.rst):
 * a0 = boot hart id, a1 = an 8-byte aligned device tree in RAM that does not
 * overlap the kernel, the kernel at RAM + 2 MiB (its Image header's
 * text_offset) with all of it, .bss included, in place; S-mode with the MMU
 * off and interrupts disabled. Then the device tree as a kernel reads it:
 * /chosen (bootargs, stdout-path), /memory, /cpus (timebase, the ISA,
 * mmu-type), the interrupt wiring of PLIC, CLINT and UART.
 */
#include "clint.h"
#include "fdt.h"
#include "runtime.h"

const char test_name[] = "boot";

extern char _start[], _end[];

/* Initialised data and read-only data, reached PC-relatively: every segment landed at its offset. */
static volatile uint64_t data_word = 0x0123456789abcdefUL;
static const char rodata_text[] = "rodata in place";

#define IMAGE_HDR_TEXT_OFFSET	8
#define IMAGE_HDR_IMAGE_SIZE	16
#define IMAGE_HDR_MAGIC2	56

static uint64_t le64_at(const void *p) { return *(const volatile uint64_t *)p; }

static void test_boot_registers(void)
{
	uint64_t start = (uintptr_t)_start, size = (uintptr_t)_end - start;

	CHECK_EQ(boot_regs.a0, 0);		/* the only hart */
	CHECK_EQ(boot_regs.pc, KERNEL_PHYS_BASE);
	CHECK_EQ(boot_regs.pc % (2UL << 20), 0);
	CHECK_EQ(start, boot_regs.pc);
	CHECK_EQ(boot_regs.satp, 0);
	CHECK_EQ(boot_regs.sstatus & MSTATUS_SIE, 0);
	CHECK_EQ(boot_regs.sie, 0);
	CHECK_EQ(boot_regs.bss_nonzero, 0);

	/* the header the loader read is ours, and describes what is in RAM */
	CHECK_EQ(le64_at(_start + IMAGE_HDR_TEXT_OFFSET), KERNEL_TEXT_OFFSET);
	CHECK_EQ(le64_at(_start + IMAGE_HDR_IMAGE_SIZE), size);
	CHECK(!memcmp(_start + IMAGE_HDR_MAGIC2, "RSC\x05", 4));
	CHECK_EQ(data_word, 0x0123456789abcdefUL);
	CHECK(!strcmp(rodata_text, "rodata in place"));
	CHECK(start + size <= RAM_BASE + env.mem);
}

static void test_fdt_header(void)
{
	const uint8_t *fdt = (const uint8_t *)boot_regs.a1;
	uint64_t kstart = boot_regs.pc, kend = kstart + ((uintptr_t)_end - (uintptr_t)_start);
	uint32_t total, rsv;
	const char *why = fdt_header_problem(fdt);

	if (why)
		printf("device tree header: %s\n", why);
	CHECK(why == NULL);
	CHECK_EQ(*(const volatile uint32_t *)fdt, 0xedfe0dd0);	/* big-endian d00dfeed */
	CHECK_EQ(fdt_field(fdt, FDT_OFF_MAGIC), FDT_MAGIC);
	CHECK_EQ(boot_regs.a1 % 8, 0);
	total = fdt_field(fdt, FDT_OFF_TOTALSIZE);
	CHECK(boot_regs.a1 >= RAM_BASE);
	CHECK(boot_regs.a1 + total <= RAM_BASE + env.mem);
	CHECK(boot_regs.a1 >= kend || boot_regs.a1 + total <= kstart);
	CHECK_EQ(fdt_field(fdt, FDT_OFF_BOOT_CPUID), boot_regs.a0);

	/* the reservation map ends (an all-zero entry) inside the blob */
	rsv = fdt_field(fdt, FDT_OFF_MEM_RSVMAP);
	while (rsv + 16 <= total && (be64(fdt + rsv) || be64(fdt + rsv + 8)))
		rsv += 16;
	CHECK(rsv + 16 <= total);
}

static void test_chosen(void)
{
	const void *fdt = env.fdt;
	char path[64];
	const char *sp, *colon;
	uint32_t len;

	CHECK(env.bootargs_ok);
	sp = fdt_prop(fdt, "/chosen", "stdout-path", &len);
	CHECK(sp && len > 1 && len < sizeof(path) && sp[len - 1] == '\0');
	memcpy(path, sp, len);
	colon = strchr(path, ':');
	if (colon)
		path[colon - path] = '\0';
	CHECK(path[0] == '/');		/* a path, not an alias */
	CHECK(fdt_node_exists(fdt, path));
	CHECK(fdt_prop_str_is(fdt, path, "compatible", "ns16550a"));
	CHECK(fdt_prop(fdt, "/chosen", "linux,initrd-start", NULL) == NULL);	/* none given */
	CHECK(fdt_prop(fdt, "/chosen", "linux,initrd-end", NULL) == NULL);
	GASANG_ONLY {
		CHECK_EQ(strcmp(path, "/soc/serial@10000000"), 0);
		CHECK(fdt_prop(fdt, "/chosen", "rng-seed", &len) != NULL);
		CHECK_EQ(len, 64);
	}
}

static void test_memory(void)
{
	const void *fdt = env.fdt;
	const uint8_t *reg;
	uint32_t len;

	CHECK(fdt_prop_u32_is(fdt, "/", "#address-cells", 2));
	CHECK(fdt_prop_u32_is(fdt, "/", "#size-cells", 2));
	CHECK(fdt_prop_str_is(fdt, "/memory", "device_type", "memory"));
	reg = fdt_prop(fdt, "/memory", "reg", &len);
	CHECK(reg != NULL);
	CHECK_EQ(len, 16);
	CHECK_EQ(be64(reg), RAM_BASE);
	CHECK_EQ(be64(reg + 8), env.mem);
	CHECK(fdt_node_exists(fdt, "/memory@80000000"));
}

/* exactly what --cpu rva23, the default, implements (accel/emu/isa.c), in that order */
static const char isa_extensions[] = "i\0m\0a\0f\0d\0c\0zicntr\0zicsr\0zifencei\0zicbom\0zicbop\0zicboz\0"
		"zicond\0zihintntl\0zihintpause\0zimop\0zawrs\0zfhmin\0zcb\0zcmop\0zba\0zbb\0zbc\0zbs\0zkt\0sstc\0svadu\0svinval\0"
		"svnapot\0svpbmt";
#define RVA23_ISA "rv64imafdc_zicntr_zicsr_zifencei_zicbom_zicbop_zicboz_zicond_zihintntl_" \
		"zihintpause_zimop_zawrs_zfhmin_zcb_zcmop_zba_zbb_zbc_zbs_zkt_sstc_svadu_svinval_" \
		"svnapot_svpbmt"

static void test_cpus(void)
{
	const void *fdt = env.fdt;
	const char *cpu = "/cpus/cpu@0", *intc = "/cpus/cpu@0/interrupt-controller";
	const char *s;
	uint32_t len, intc_phandle;
	const uint8_t *p;

	CHECK(fdt_prop_u32_is(fdt, "/cpus", "timebase-frequency", 10000000));
	CHECK(fdt_prop_u32_is(fdt, "/cpus", "#address-cells", 1));
	CHECK(fdt_prop_u32_is(fdt, "/cpus", "#size-cells", 0));
	CHECK(fdt_prop_str_is(fdt, cpu, "device_type", "cpu"));
	CHECK(fdt_prop_u32_is(fdt, cpu, "reg", 0));
	CHECK(fdt_prop_str_is(fdt, cpu, "status", "okay"));
	s = fdt_prop(fdt, cpu, "compatible", &len);
	CHECK(s && len >= 6);
	CHECK(!memcmp(s + len - 6, "riscv", 6));	/* the last (most generic) entry */
	s = fdt_prop(fdt, cpu, "riscv,isa", &len);
	CHECK(s && len > 5 && !memcmp(s, "rv64i", 5));
	GASANG_ONLY {
		CHECK(fdt_prop_str_is(fdt, cpu, "riscv,isa", RVA23_ISA));
		CHECK(fdt_prop_str_is(fdt, cpu, "riscv,isa-base", "rv64i"));
		s = fdt_prop(fdt, cpu, "riscv,isa-extensions", &len);
		CHECK(s != NULL);
		CHECK_EQ(len, sizeof(isa_extensions));
		CHECK(!memcmp(s, isa_extensions, sizeof(isa_extensions)));
		CHECK(fdt_prop_str_is(fdt, cpu, "mmu-type", "riscv,sv48"));
	}

	CHECK(fdt_prop_str_is(fdt, intc, "compatible", "riscv,cpu-intc"));
	CHECK(fdt_prop_u32_is(fdt, intc, "#interrupt-cells", 1));
	CHECK(fdt_prop(fdt, intc, "interrupt-controller", &len) != NULL);
	CHECK_EQ(len, 0);
	p = fdt_prop(fdt, intc, "phandle", &len);
	CHECK(p && len == 4);
	intc_phandle = be32(p);

	/*
	 * The PLIC raises M and S external interrupts on this hart (OpenSBI
	 * hides the M-level ones from S-mode as 0xffffffff: gasang shows them).
	 */
	const char *plic = "/soc/plic@c000000";
	const uint8_t *ie = fdt_prop(fdt, plic, "interrupts-extended", &len);
	uint32_t plic_phandle;

	CHECK(ie && len == 16);
	CHECK_EQ(be32(ie), intc_phandle);
	GASANG_ONLY CHECK_EQ(be32(ie + 4), IRQ_M_EXT);
	CHECK_EQ(be32(ie + 8), intc_phandle);
	CHECK_EQ(be32(ie + 12), IRQ_S_EXT);
	p = fdt_prop(fdt, plic, "riscv,ndev", &len);
	CHECK(p && len == 4 && be32(p) >= 10);
	p = fdt_prop(fdt, plic, "phandle", &len);
	CHECK(p && len == 4);
	plic_phandle = be32(p);

	/* the CLINT: M software and timer interrupts */
	const char *clint = "/soc/clint@2000000";
	ie = fdt_prop(fdt, clint, "interrupts-extended", &len);
	CHECK(ie && len == 16);
	CHECK_EQ(be32(ie), intc_phandle);
	GASANG_ONLY {
		CHECK_EQ(be32(ie + 4), IRQ_M_SOFT);
		CHECK_EQ(be32(ie + 12), IRQ_M_TIMER);
	}
	p = fdt_prop(fdt, clint, "reg", &len);
	CHECK(p && len == 16);
	CHECK_EQ(be64(p), CLINT_BASE);
	CHECK_EQ(be64(p + 8), 0x10000);

	/* the UART: PLIC source 10 */
	const char *uart = "/soc/serial@10000000";
	CHECK(fdt_prop_u32_is(fdt, uart, "interrupts", 10));
	CHECK(fdt_prop_u32_is(fdt, uart, "interrupt-parent", plic_phandle));
	p = fdt_prop(fdt, uart, "reg", &len);
	CHECK(p && len == 16 && be64(p) == 0x10000000);
}

void test_main(void)
{
	test_boot_registers();
	test_fdt_header();
	test_chosen();
	test_memory();
	test_cpus();
}
