/*
 * vm/state.c and the sections behind it (base/state.h): a riscv-virt
 * machine with virtio devices, its hart, ACLINT, PLIC, UART and a running
 * virtqueue set to something other than power-on, saved to a file and
 * restored into a second machine, which must then hold the same state and
 * RAM. Then the file as hostile input: every byte of header and sections
 * flipped, every truncation, another format or section version, another
 * shape or device list, each refused with a message; and a fuzzer that
 * mutates sections' bytes (checksums made right again, so the loaders see
 * the values) and restores each into a fresh machine, which must refuse or
 * take it without a crash (this test also runs under ASan and UBSan).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "base/error.h"
#include "hw/virtio/virtio-input.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio-rng.h"
#include "machine/riscv-virt.h"
#include "vm/state.h"

#define MEM_SIZE	(16ull << 20)
#define RAM		VIRT_RAM_BASE
#define RING		(RAM + 0x100000)	/* the rng queue: desc, avail, used */
#define RING_AVAIL	(RING + 0x1000)
#define RING_USED	(RING + 0x2000)
#define RNG_BUF		(RING + 0x3000)
#define QSIZE		16
#define FUZZ_ROUNDS	400

struct vmx {
	struct vm_config cfg;
	struct riscv_virt *m;
	struct virtio_rng rng;
	struct virtio_input input;
	bool has_input;
};

static struct vmx *vmx_new(uint64_t mem, bool input)
{
	struct vmx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	/* a restore maps the kernel as a first boot would: any file will do here */
	x->cfg = (struct vm_config){ .arch = "riscv64", .kernel = "/proc/self/exe",
				     .mem_size = mem, .cpus = 1 };
	x->m = calloc(1, sizeof(*x->m));
	assert_non_null(x->m);
	assert_int_equal(riscv_virt_create(x->m, &x->cfg, NULL), 0);
	virtio_rng_init(&x->rng, &x->m->mem);
	assert_int_equal(riscv_virt_add_virtio(x->m, &x->rng.vd), 0);
	if (input) {
		virtio_input_init(&x->input, &x->m->mem);
		assert_int_equal(riscv_virt_add_virtio(x->m, &x->input.vd), 0);
		x->has_input = true;
	}
	return x;
}

static void vmx_free(struct vmx *x)
{
	riscv_virt_destroy(x->m);
	virtio_rng_destroy(&x->rng);
	if (x->has_input)
		virtio_input_destroy(&x->input);
	free(x->m);
	free(x);
}

static void mmio_wr(struct vmx *x, unsigned slot, uint64_t off, uint32_t v)
{
	virtio_mmio_ops.write(&x->m->virtio[slot], off, v, 4);
}

static void ram_w16(struct vmx *x, uint64_t gpa, uint16_t v)
{
	assert_int_equal(guest_mem_write(&x->m->mem, gpa, &v, 2), 0);
}

/* The rng driven as a driver would: one queue live, one request served. */
static void rng_up(struct vmx *x)
{
	uint8_t desc[16] = { 0 };
	uint64_t addr = RNG_BUF;
	uint32_t len = 64;
	uint16_t flags = VIRTQ_DESC_F_WRITE;

	mmio_wr(x, 0, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mmio_wr(x, 0, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(x, 0, VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 */
	mmio_wr(x, 0, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		VIRTIO_STATUS_FEATURES_OK);
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING);
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(RING >> 32));
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)RING_AVAIL);
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(RING_AVAIL >> 32));
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)RING_USED);
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(RING_USED >> 32));
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_READY, 1);
	mmio_wr(x, 0, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	memcpy(desc, &addr, 8);
	memcpy(desc + 8, &len, 4);
	memcpy(desc + 12, &flags, 2);
	assert_int_equal(guest_mem_write(&x->m->mem, RING, desc, sizeof(desc)), 0);
	ram_w16(x, RING_AVAIL + 4, 0);	/* ring[0] = head 0 */
	ram_w16(x, RING_AVAIL + 2, 1);	/* idx */
	mmio_wr(x, 0, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(x->rng.vd.vq[0].used_idx, 1);
}

/* Everything away from power-on: registers, CSRs, controllers, RAM. */
static void vmx_dirty(struct vmx *x)
{
	struct hart *h = &x->m->harts[0];
	uint8_t page[4096];
	unsigned i;

	for (i = 1; i < 32; i++)
		h->x[i] = 0x1111111111111111ull * i;
	for (i = 0; i < 32; i++)
		h->f[i] = 0xfff0000000000000ull | i;
	h->pc = RAM + 0x2000;
	h->fflags = 0x11;
	h->frm = 3;
	hart_set_priv(h, PRV_S);
	h->mstatus = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_FS_DIRTY | MSTATUS_SUM;
	h->medeleg = 0xb1ff;
	h->mideleg = MIP_S_MASK;
	h->mie = MIP_SEIP | MIP_STIP;
	h->stvec = RAM + 0x100;
	h->sepc = RAM + 0x200;
	h->scause = 9;
	h->sscratch = 0x5ca7c4;
	h->satp = (SATP_MODE_SV39 << SATP_MODE_SHIFT) | 0x80123;
	h->scounteren = COUNTEREN_TM;
	h->instret = 123456789;
	h->cycle_offset = -42;
	h->sbi = true;
	h->stimer.deadline = 1ull << 40;
	plic_ops.write(&x->m->plic, PLIC_PRIORITY_BASE + 4 * VIRT_UART0_IRQ, 5, 4);
	plic_ops.write(&x->m->plic, PLIC_PRIORITY_BASE + 4 * 1, 3, 4);
	plic_ops.write(&x->m->plic, PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE, 1u << VIRT_UART0_IRQ, 4);
	plic_ops.write(&x->m->plic, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE, 2, 4);
	aclint_ops.write(&x->m->aclint, ACLINT_MTIMECMP_BASE, 0x123456789ull, 8);
	uart16550_ops.write(&x->m->uart, 3, 0x1b, 1);	/* LCR */
	uart16550_ops.write(&x->m->uart, 7, 0xa5, 1);	/* SCR */
	uart16550_ops.write(&x->m->uart, 1, 0x01, 1);	/* IER */
	uart16550_ops.write(&x->m->uart, 2, 0x01, 1);	/* FCR: FIFOs on */
	assert_int_equal(uart16550_receive(&x->m->uart, (const uint8_t *)"hi", 2), 2);
	for (i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(guest_mem_write(&x->m->mem, RAM + 0x400000, page, sizeof(page)), 0);
	assert_int_equal(guest_mem_write(&x->m->mem, RAM + MEM_SIZE - sizeof(page), page,
					 sizeof(page)), 0);
	rng_up(x);
}

static int temp_fd(void)
{
	char path[] = "/tmp/gasang-state-test-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static void shape_of(const struct vmx *x, struct state_shape *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->arch, sizeof(s->arch), "riscv64");
	s->mem_size = x->cfg.mem_size;
	s->cpus = 1;
}

static int save(struct vmx *x, struct state_save_stats *st)
{
	struct state_save_stats dummy;
	struct state_shape shape;
	struct state_list l = { 0 };
	int fd = temp_fd();

	assert_int_equal(riscv_virt_ops.state_list(&x->m->base, &l), 0);
	shape_of(x, &shape);
	assert_int_equal(state_file_save(fd, &shape, &l, &x->m->mem, st ? st : &dummy), 0);
	return fd;
}

/* What `gasang run --restore` does; 0 or the error (message in error_msg()). */
static int restore(struct vmx *x, int fd)
{
	struct state_shape shape;
	struct state_list l = { 0 };
	struct state_file f;
	int err;

	error_clear();
	err = riscv_virt_ops.state_list(&x->m->base, &l);
	if (!err)
		err = state_file_open(&f, fd);
	if (err)
		return err;
	shape_of(x, &shape);
	err = state_file_check_shape(&f, &shape);
	if (!err)
		err = riscv_virt_ops.restore(&x->m->base, fd, f.ram_off, false);
	if (!err)
		err = state_file_load(&f, &l);
	state_file_close(&f);
	return err;
}

static void test_round_trip(void **state)
{
	struct vmx *a = vmx_new(MEM_SIZE, true), *b = vmx_new(MEM_SIZE, true);
	struct hart *ha = &a->m->harts[0], *hb = &b->m->harts[0];
	struct state_save_stats st;
	uint64_t ticks;
	int fd;

	(void)state;
	vmx_dirty(a);
	riscv_virt_ops.pause(&a->m->base);	/* not running: parks at once */
	ticks = a->m->pause_ticks;
	fd = save(a, &st);
	assert_true(st.state_bytes > STATE_HEADER_SIZE);
	assert_int_equal(st.ram_bytes, 6 * 4096);	/* two pages, the rings, the rng buffer */
	assert_int_equal(st.file_bytes % STATE_RAM_ALIGN, 0);

	assert_int_equal(restore(b, fd), 0);
	assert_memory_equal(ha->x, hb->x, 32 * sizeof(ha->x[0]));
	assert_memory_equal(ha->f, hb->f, sizeof(ha->f));
	assert_int_equal(hb->pc, ha->pc);
	assert_int_equal(hb->priv, PRV_S);
	assert_int_equal(hb->fflags, ha->fflags);
	assert_int_equal(hb->frm, ha->frm);
	assert_int_equal(hb->mstatus, ha->mstatus);
	assert_int_equal(hb->medeleg, ha->medeleg);
	assert_int_equal(hb->mideleg, ha->mideleg);
	assert_int_equal(hb->mie, ha->mie);
	assert_int_equal(hb->stvec, ha->stvec);
	assert_int_equal(hb->sepc, ha->sepc);
	assert_int_equal(hb->scause, ha->scause);
	assert_int_equal(hb->sscratch, ha->sscratch);
	assert_int_equal(hb->satp, ha->satp);
	assert_int_equal(hb->scounteren, ha->scounteren);
	assert_int_equal(hb->instret, ha->instret);
	assert_int_equal(hb->cycle_offset, ha->cycle_offset);
	assert_true(hb->sbi);
	assert_int_equal(hb->stimer.deadline, 1ull << 40);
	assert_int_equal(hb->mtimer.deadline, 0x123456789ull);
	assert_int_equal(b->m->aclint.harts[0].mtimecmp, 0x123456789ull);
	assert_memory_equal(a->m->plic.priority, b->m->plic.priority, PLIC_SOURCES);
	assert_int_equal(b->m->plic.ctx[1].enable[0], 1u << VIRT_UART0_IRQ);
	assert_int_equal(b->m->plic.ctx[1].threshold, 2);
	assert_int_equal(b->m->uart.lcr, 0x1b);
	assert_int_equal(b->m->uart.scr, 0xa5);
	assert_int_equal(b->m->uart.ier, 0x01);
	assert_int_equal(b->m->uart.rx_count, 2);
	/* the interrupt the received bytes raise went through the PLIC to the hart again */
	assert_true(b->m->plic.input[0] & (1u << VIRT_UART0_IRQ));
	assert_true(__atomic_load_n(&hb->mip_hw, __ATOMIC_SEQ_CST) & MIP_SEIP);
	assert_true(b->rng.vd.active);
	assert_int_equal(b->rng.vd.vq[0].used_idx, 1);
	assert_int_equal(b->rng.vd.vq[0].last_avail, 1);
	assert_int_equal(b->rng.vd.vq[0].desc, RING);
	assert_int_equal(b->rng.vd.driver_features, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_memory_equal(guest_ram_ptr(&a->m->mem, RAM, MEM_SIZE),
			    guest_ram_ptr(&b->m->mem, RAM, MEM_SIZE), MEM_SIZE);
	assert_true(b->m->mem.from_file);
	/* the clock goes on from where it stood, no jump */
	assert_true(vclock_now(&b->m->clock) >= ticks);
	assert_true(vclock_now(&b->m->clock) - ticks < 60 * VCLOCK_HZ);

	/* the restored queue keeps working where it was */
	ram_w16(b, RING_AVAIL + 6, 0);
	ram_w16(b, RING_AVAIL + 2, 2);
	mmio_wr(b, 0, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(b->rng.vd.vq[0].used_idx, 2);
	/* copy-on-write: the file under b stays as saved; a power cycle reads zeros */
	guest_mem_clear(&b->m->mem);
	assert_false(b->m->mem.from_file);
	assert_int_equal(*(uint8_t *)guest_ram_ptr(&b->m->mem, RAM + 0x400000, 1), 0);
	close(fd);
	vmx_free(a);
	vmx_free(b);
}

/* ---- the file as hostile input ---- */

struct image {
	uint8_t *bytes;		/* header and sections */
	size_t len;
	uint64_t file_len;
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void image_read(int fd, struct image *im)
{
	uint64_t secs;
	off_t end = lseek(fd, 0, SEEK_END);

	assert_true(end > STATE_HEADER_SIZE);
	im->file_len = (uint64_t)end;
	im->bytes = malloc(STATE_HEADER_SIZE);
	assert_int_equal(pread(fd, im->bytes, STATE_HEADER_SIZE, 0), STATE_HEADER_SIZE);
	memcpy(&secs, im->bytes + 56, 8);
	im->len = STATE_HEADER_SIZE + secs;
	im->bytes = realloc(im->bytes, im->len);
	assert_int_equal(pread(fd, im->bytes, im->len, 0), (ssize_t)im->len);
}

/* A file with these header and section bytes and the length of the original. */
static int image_write(const struct image *im, const uint8_t *bytes, size_t len)
{
	int fd = temp_fd();

	assert_int_equal(ftruncate(fd, (off_t)im->file_len), 0);
	assert_int_equal(pwrite(fd, bytes, len, 0), (ssize_t)len);
	return fd;
}

static void fix_header_crc(uint8_t *b)
{
	put32(b + 124, (uint32_t)crc32(0L, b, 124));
}

/* The offset of section i's header in b, or 0. */
static size_t section_at(const uint8_t *b, size_t len, unsigned i)
{
	size_t off = STATE_HEADER_SIZE;

	while (off + STATE_SECTION_HDR <= len) {
		if (!i--)
			return off;
		off += STATE_SECTION_HDR + get32(b + off + 36);
	}
	return 0;
}

static void fix_section_crc(uint8_t *b, size_t off)
{
	uLong c = crc32(0L, b + off, 40);

	put32(b + off + 40, (uint32_t)crc32(c, b + off + STATE_SECTION_HDR, get32(b + off + 36)));
}

static void test_every_flipped_byte_refused(void **state)
{
	struct vmx *a = vmx_new(MEM_SIZE, false);
	struct image im;
	struct state_file f;
	uint8_t *b;
	size_t i;
	int fd = save(a, NULL);

	(void)state;
	image_read(fd, &im);
	b = malloc(im.len);
	for (i = 0; i < im.len; i++) {
		int bad;

		memcpy(b, im.bytes, im.len);
		b[i] ^= 0x40;
		bad = image_write(&im, b, im.len);
		error_clear();
		assert_int_equal(state_file_open(&f, bad), -EINVAL);
		assert_true(error_msg()[0] != 0);
		close(bad);
	}
	free(b);
	free(im.bytes);
	close(fd);
	vmx_free(a);
}

static void test_truncated_refused(void **state)
{
	struct vmx *a = vmx_new(MEM_SIZE, false);
	struct state_file f;
	struct image im;
	uint64_t cuts[8];
	unsigned i;
	int fd = save(a, NULL);

	(void)state;
	image_read(fd, &im);
	cuts[0] = 0;
	cuts[1] = 10;
	cuts[2] = STATE_HEADER_SIZE - 1;
	cuts[3] = STATE_HEADER_SIZE;
	cuts[4] = im.len - 1;
	cuts[5] = im.len;
	cuts[6] = im.file_len - MEM_SIZE + 4096;
	cuts[7] = im.file_len - 1;
	for (i = 0; i < 8; i++) {
		int t = temp_fd();
		uint8_t *buf = calloc(1, im.len);

		assert_int_equal(pread(fd, buf, im.len, 0), (ssize_t)im.len);
		assert_int_equal(pwrite(t, buf, cuts[i] < im.len ? cuts[i] : im.len, 0),
				 (ssize_t)(cuts[i] < im.len ? cuts[i] : im.len));
		assert_int_equal(ftruncate(t, (off_t)cuts[i]), 0);
		error_clear();
		assert_int_equal(state_file_open(&f, t), -EINVAL);
		assert_non_null(strstr(error_msg(), "truncated"));
		free(buf);
		close(t);
	}
	free(im.bytes);
	close(fd);
	vmx_free(a);
}

static void test_other_versions_refused(void **state)
{
	struct vmx *a = vmx_new(MEM_SIZE, false), *b;
	struct state_file f;
	struct image im;
	size_t off;
	int fd = save(a, NULL), bad;

	(void)state;
	image_read(fd, &im);
	/* the format's version */
	put32(im.bytes + 8, STATE_FILE_VERSION + 1);
	fix_header_crc(im.bytes);
	bad = image_write(&im, im.bytes, im.len);
	error_clear();
	assert_int_equal(state_file_open(&f, bad), -EINVAL);
	assert_non_null(strstr(error_msg(), "format version 2"));
	close(bad);
	put32(im.bytes + 8, STATE_FILE_VERSION);
	fix_header_crc(im.bytes);
	/* a section's version (the hart's, the second) */
	off = section_at(im.bytes, im.len, 1);
	assert_true(off != 0);
	assert_string_equal((char *)im.bytes + off + 4, "hart");
	put32(im.bytes + off + 32, 7);
	fix_section_crc(im.bytes, off);
	bad = image_write(&im, im.bytes, im.len);
	b = vmx_new(MEM_SIZE, false);
	assert_int_equal(restore(b, bad), -EINVAL);
	assert_non_null(strstr(error_msg(), "hart #0 is of version 7"));
	vmx_free(b);
	close(bad);
	free(im.bytes);
	close(fd);
	vmx_free(a);
}

static void test_other_shape_refused(void **state)
{
	struct vmx *a = vmx_new(MEM_SIZE, true), *b;
	int fd = save(a, NULL);

	(void)state;
	b = vmx_new(MEM_SIZE * 2, true);
	assert_int_equal(restore(b, fd), -EINVAL);
	assert_non_null(strstr(error_msg(), "16 MiB"));
	vmx_free(b);
	/* one device fewer, then one more */
	b = vmx_new(MEM_SIZE, false);
	assert_int_equal(restore(b, fd), -EINVAL);
	assert_non_null(strstr(error_msg(), "virtio-mmio #1 that this VM does not have"));
	vmx_free(b);
	close(fd);
	vmx_free(a);
	a = vmx_new(MEM_SIZE, false);
	fd = save(a, NULL);
	b = vmx_new(MEM_SIZE, true);
	assert_int_equal(restore(b, fd), -EINVAL);
	assert_non_null(strstr(error_msg(), "no virtio-mmio #1"));
	vmx_free(b);
	close(fd);
	vmx_free(a);
}

/* A device of another kind in a slot: its type named. */
static void test_other_device_refused(void **state)
{
	struct vmx *a = vmx_new(MEM_SIZE, false), *b = calloc(1, sizeof(*b));
	int fd = save(a, NULL);

	(void)state;
	assert_non_null(b);
	b->cfg = a->cfg;
	b->m = calloc(1, sizeof(*b->m));
	assert_int_equal(riscv_virt_create(b->m, &b->cfg, NULL), 0);
	virtio_input_init(&b->input, &b->m->mem);
	assert_int_equal(riscv_virt_add_virtio(b->m, &b->input.vd), 0);
	b->has_input = true;
	virtio_rng_init(&b->rng, &b->m->mem);	/* not attached: freed by vmx_free */
	assert_int_equal(restore(b, fd), -EINVAL);
	assert_non_null(strstr(error_msg(), "virtio-input"));
	vmx_free(b);
	close(fd);
	vmx_free(a);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Sections' bytes mutated, checksums right: every loader sees hostile values. */
static void test_fuzz_sections(void **state)
{
	struct vmx *a = vmx_new(MEM_SIZE, true);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned round, nsec = 0, loaded = 0;
	struct image im;
	uint8_t *b;
	int fd;

	(void)state;
	vmx_dirty(a);
	fd = save(a, NULL);
	image_read(fd, &im);
	while (section_at(im.bytes, im.len, nsec))
		nsec++;
	assert_true(nsec >= 6);
	b = malloc(im.len);
	for (round = 0; round < FUZZ_ROUNDS; round++) {
		size_t off = section_at(im.bytes, im.len, (unsigned)(rnd(&seed) % nsec));
		uint32_t len = get32(im.bytes + off + 36);
		unsigned n = 1 + (unsigned)(rnd(&seed) % 4), k;
		struct vmx *x;
		int bad, err;

		memcpy(b, im.bytes, im.len);
		for (k = 0; k < n && len; k++) {
			size_t at = off + STATE_SECTION_HDR + rnd(&seed) % len;

			switch (rnd(&seed) % 4) {
			case 0: b[at] ^= (uint8_t)(1u << (rnd(&seed) % 8)); break;
			case 1: b[at] = 0xff; break;
			case 2: b[at] = 0; break;
			default: b[at] = (uint8_t)rnd(&seed); break;
			}
		}
		fix_section_crc(b, off);
		bad = image_write(&im, b, im.len);
		x = vmx_new(MEM_SIZE, true);
		err = restore(x, bad);
		if (err)
			assert_true(error_msg()[0] != 0);
		else
			loaded++;
		vmx_free(x);
		close(bad);
	}
	/* some mutations are harmless values: both outcomes were seen */
	assert_true(loaded > 0 && loaded < FUZZ_ROUNDS);
	free(b);
	free(im.bytes);
	close(fd);
	vmx_free(a);
}

static void test_not_a_state_file(void **state)
{
	struct state_file f;
	uint8_t junk[4096];
	int fd = temp_fd();

	(void)state;
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	error_clear();
	assert_int_equal(state_file_open(&f, fd), -EINVAL);
	assert_non_null(strstr(error_msg(), "not a gasang state file"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_flipped_byte_refused),
		cmocka_unit_test(test_truncated_refused),
		cmocka_unit_test(test_other_versions_refused),
		cmocka_unit_test(test_other_shape_refused),
		cmocka_unit_test(test_other_device_refused),
		cmocka_unit_test(test_fuzz_sections),
		cmocka_unit_test(test_not_a_state_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
