#include "accel/emu/sbi.h"

#include "accel/emu/csr.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "debug/trace.h"
#include "hw/guest-mem.h"

/* argument and result registers */
#define A0 10
#define A1 11
#define A2 12
#define A6 16
#define A7 17

/* legacy (v0.1) extensions still seen in small kernels */
#define SBI_LEGACY_SET_TIMER	0x00
#define SBI_LEGACY_PUTCHAR	0x01
#define SBI_LEGACY_GETCHAR	0x02
#define SBI_LEGACY_SHUTDOWN	0x08

#define SBI_HSM_STARTED		0
#define SBI_HSM_SUSPEND_RETENTIVE 0x00000000u
#define SBI_HSM_SUSPEND_NON_RETENTIVE 0x80000000u

#define SBI_SRST_SHUTDOWN	0
#define SBI_SRST_COLD_REBOOT	1
#define SBI_SRST_WARM_REBOOT	2
#define SBI_SRST_REASON_SYSTEM_FAILURE 1

#define SBI_HART_MASK_ALL	UINT64_MAX
#define DBCN_MAX_WRITE		4096

struct sbi_ret {
	int64_t error;
	uint64_t value;
};

static struct sbi_ret ok(uint64_t value)
{
	return (struct sbi_ret){ SBI_SUCCESS, value };
}

static struct sbi_ret err(int64_t e)
{
	return (struct sbi_ret){ e, 0 };
}

static bool extension_present(uint64_t eid)
{
	switch (eid) {
	case SBI_EXT_BASE: case SBI_EXT_TIME: case SBI_EXT_IPI: case SBI_EXT_RFENCE:
	case SBI_EXT_HSM: case SBI_EXT_SRST: case SBI_EXT_DBCN:
	case SBI_LEGACY_SET_TIMER: case SBI_LEGACY_PUTCHAR: case SBI_LEGACY_GETCHAR:
	case SBI_LEGACY_SHUTDOWN:
		return true;
	}
	return false;
}

static struct sbi_ret base(struct hart *h, uint64_t fid)
{
	switch (fid) {
	case 0: return ok(SBI_SPEC_VERSION);
	case 1: return ok(SBI_IMPL_ID_GASANG);
	case 2: return ok(SBI_IMPL_VERSION);
	case 3: return ok(extension_present(h->x[A0]));
	case 4: return ok(0);			/* mvendorid */
	case 5: return ok(0);			/* marchid */
	case 6: return ok(GASANG_MIMPID);
	}
	return err(SBI_ERR_NOT_SUPPORTED);
}

/* Is this hart named by (mask, base)? Only hart 'self' exists here. */
static bool mask_has(uint64_t mask, uint64_t mask_base, uint64_t id)
{
	if (mask_base == SBI_HART_MASK_ALL)
		return true;
	return id >= mask_base && id - mask_base < 64 && ((mask >> (id - mask_base)) & 1);
}

/* Every hart the mask names must exist; this machine has only 'self'. */
static bool mask_valid(uint64_t mask, uint64_t mask_base, uint64_t self)
{
	uint64_t allowed = 0;

	if (mask_base == SBI_HART_MASK_ALL)
		return true;
	if (self >= mask_base && self - mask_base < 64)
		allowed = 1ull << (self - mask_base);
	return (mask & ~allowed) == 0;
}

static struct sbi_ret ipi(struct hart *h, uint64_t fid)
{
	if (fid != 0)
		return err(SBI_ERR_NOT_SUPPORTED);
	if (!mask_valid(h->x[A0], h->x[A1], h->hartid))
		return err(SBI_ERR_INVALID_PARAM);
	if (mask_has(h->x[A0], h->x[A1], h->hartid)) {
		__atomic_or_fetch(&h->mip_sw, MIP_SSIP, __ATOMIC_SEQ_CST);
		h->exit_req = 1;
	}
	return ok(0);
}

static struct sbi_ret rfence(struct hart *h, uint64_t fid)
{
	if (fid > 2)
		return err(SBI_ERR_NOT_SUPPORTED);	/* hypervisor fences */
	if (!mask_valid(h->x[A0], h->x[A1], h->hartid))
		return err(SBI_ERR_INVALID_PARAM);
	if (mask_has(h->x[A0], h->x[A1], h->hartid) && fid != 0)
		mmu_flush(h);	/* fence.i needs nothing: the code cache is coherent */
	return ok(0);
}

static struct sbi_ret hsm(struct hart *h, uint64_t fid)
{
	switch (fid) {
	case 0: /* hart_start */
		return err(h->x[A0] == h->hartid ? SBI_ERR_ALREADY_AVAILABLE : SBI_ERR_INVALID_PARAM);
	case 1: /* hart_stop: the only hart cannot stop */
		return err(SBI_ERR_FAILED);
	case 2: /* hart_get_status */
		if (h->x[A0] != h->hartid)
			return err(SBI_ERR_INVALID_PARAM);
		return ok(SBI_HSM_STARTED);
	case 3: /* hart_suspend */
		if ((uint32_t)h->x[A0] == SBI_HSM_SUSPEND_NON_RETENTIVE)
			return err(SBI_ERR_NOT_SUPPORTED);
		if ((uint32_t)h->x[A0] != SBI_HSM_SUSPEND_RETENTIVE)
			return err(SBI_ERR_INVALID_PARAM);	/* reserved, or platform-specific: none here */
		hart_wfi(h);
		return ok(0);
	}
	return err(SBI_ERR_NOT_SUPPORTED);
}

static struct sbi_ret srst(struct hart *h, uint64_t fid)
{
	if (fid != 0)
		return err(SBI_ERR_NOT_SUPPORTED);
	if ((uint32_t)h->x[A1] > SBI_SRST_REASON_SYSTEM_FAILURE)
		return err(SBI_ERR_INVALID_PARAM);	/* reserved, or specific ones we lack */
	switch ((uint32_t)h->x[A0]) {
	case SBI_SRST_SHUTDOWN:
		h->stop = HART_STOP_POWEROFF;
		break;
	case SBI_SRST_COLD_REBOOT:
	case SBI_SRST_WARM_REBOOT:
		h->stop = HART_STOP_REBOOT;
		break;
	default:
		return err(SBI_ERR_INVALID_PARAM);
	}
	h->exit_req = 1;
	return ok(0);
}

static struct sbi_ret dbcn(struct hart *h, uint64_t fid)
{
	uint64_t len = h->x[A0], addr = h->x[A1];
	uint8_t byte;
	const uint8_t *p;

	switch (fid) {
	case 0: /* console_write(num_bytes, base_lo, base_hi) */
		/* all of the buffer named must be RAM, however much of it we take */
		if (h->x[A2] != 0 || !guest_ram_ptr(h->mem, addr, len))
			return err(SBI_ERR_INVALID_PARAM);
		if (len > DBCN_MAX_WRITE)
			len = DBCN_MAX_WRITE;
		p = guest_ram_ptr(h->mem, addr, len);
		if (h->env.console_write)
			h->env.console_write(h->env.opaque, p, len);
		return ok(len);
	case 1: /* console_read: no input through the SBI console */
		if (h->x[A2] != 0 || !guest_ram_ptr(h->mem, addr, len))
			return err(SBI_ERR_INVALID_PARAM);
		return ok(0);
	case 2: /* console_write_byte */
		byte = (uint8_t)h->x[A0];
		if (h->env.console_write)
			h->env.console_write(h->env.opaque, &byte, 1);
		return ok(0);
	}
	return err(SBI_ERR_NOT_SUPPORTED);
}

static void set_timer(struct hart *h, uint64_t when)
{
	hw_timer_set(&h->stimer, when, hart_time(h));
}

/* v0.1 calls return only a0. */
static bool legacy(struct hart *h, uint64_t eid)
{
	uint8_t c;

	switch (eid) {
	case SBI_LEGACY_SET_TIMER:
		set_timer(h, h->x[A0]);
		h->x[A0] = 0;
		return true;
	case SBI_LEGACY_PUTCHAR:
		c = (uint8_t)h->x[A0];
		if (h->env.console_write)
			h->env.console_write(h->env.opaque, &c, 1);
		h->x[A0] = 0;
		return true;
	case SBI_LEGACY_GETCHAR:
		h->x[A0] = (uint64_t)-1;
		return true;
	case SBI_LEGACY_SHUTDOWN:
		h->stop = HART_STOP_POWEROFF;
		h->exit_req = 1;
		return true;
	}
	return false;
}

void sbi_call(struct hart *h)
{
	uint64_t eid = h->x[A7], fid = h->x[A6];
	/* for --trace sbi: the arguments as the kernel passed them */
	uint64_t args[3] = { h->x[A0], h->x[A1], h->x[A2] };
	struct sbi_ret r;

	if (legacy(h, eid)) {
		/* a legacy call returns in a0 alone */
		if (trace_wants(h->trace, TRACE_SBI))
			trace_sbi(h->trace, (unsigned)h->hartid, h->pc, eid, fid, args,
				  (int64_t)h->x[A0], 0);
		return;
	}
	switch (eid) {
	case SBI_EXT_BASE: r = base(h, fid); break;
	case SBI_EXT_TIME:
		if (fid != 0) {
			r = err(SBI_ERR_NOT_SUPPORTED);
			break;
		}
		set_timer(h, h->x[A0]);
		r = ok(0);
		break;
	case SBI_EXT_IPI: r = ipi(h, fid); break;
	case SBI_EXT_RFENCE: r = rfence(h, fid); break;
	case SBI_EXT_HSM: r = hsm(h, fid); break;
	case SBI_EXT_SRST: r = srst(h, fid); break;
	case SBI_EXT_DBCN: r = dbcn(h, fid); break;
	default: r = err(SBI_ERR_NOT_SUPPORTED); break;
	}
	h->x[A0] = (uint64_t)r.error;
	h->x[A1] = r.value;
	if (trace_wants(h->trace, TRACE_SBI))
		trace_sbi(h->trace, (unsigned)h->hartid, h->pc, eid, fid, args, r.error, r.value);
}
