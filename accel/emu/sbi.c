#include "accel/emu/sbi.h"

#include "accel/emu/csr.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "debug/trace.h"
#include "accel/emu/smp.h"
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

#define SBI_HSM_HART_START	0
#define SBI_HSM_HART_STOP	1
#define SBI_HSM_HART_GET_STATUS	2
#define SBI_HSM_HART_SUSPEND	3

#define SBI_RFENCE_FENCE_I	0
#define SBI_RFENCE_SFENCE_VMA	1
#define SBI_RFENCE_SFENCE_VMA_ASID 2
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
	bool entered;		/* the hart entered S-mode afresh: a0/a1 are its arguments */
};

static struct sbi_ret ok(uint64_t value)
{
	return (struct sbi_ret){ .error = SBI_SUCCESS, .value = value };
}

static struct sbi_ret err(int64_t e)
{
	return (struct sbi_ret){ .error = e };
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

/* The hart with SBI hart id 'id', or NULL (a value from the guest). */
static struct hart *hart_by_id(struct hart *h, uint64_t id)
{
	if (!h->smp)
		return id == h->hartid ? h : NULL;
	return id < h->smp->n ? h->smp->harts[id] : NULL;
}

/*
 * The harts (a mask of indices) that (mask, mask_base) names; false when it
 * names one that does not exist.
 */
static bool hart_targets(struct hart *h, uint64_t mask, uint64_t mask_base, uint64_t *out)
{
	unsigned n = h->smp ? h->smp->n : 1, i;
	struct hart *t;

	*out = 0;
	if (mask_base == SBI_HART_MASK_ALL) {
		*out = n == 64 ? UINT64_MAX : (1ull << n) - 1;
		return true;
	}
	for (i = 0; i < 64; i++) {
		if (!((mask >> i) & 1))
			continue;
		if (mask_base + i < mask_base || !(t = hart_by_id(h, mask_base + i)))
			return false;
		*out |= 1ull << t->index;
	}
	return true;
}

static struct sbi_ret ipi(struct hart *h, uint64_t fid)
{
	uint64_t targets;
	unsigned i;

	if (fid != 0)
		return err(SBI_ERR_NOT_SUPPORTED);
	if (!hart_targets(h, h->x[A0], h->x[A1], &targets))
		return err(SBI_ERR_INVALID_PARAM);
	for (i = 0; i < 64; i++) {
		struct hart *t;

		if (!((targets >> i) & 1))
			continue;
		t = h->smp ? h->smp->harts[i] : h;
		__atomic_or_fetch(&t->mip_sw, MIP_SSIP, __ATOMIC_SEQ_CST);
		hart_kick(t);
	}
	return ok(0);
}

static struct sbi_ret rfence(struct hart *h, uint64_t fid)
{
	uint64_t targets;

	if (fid > SBI_RFENCE_SFENCE_VMA_ASID)
		return err(SBI_ERR_NOT_SUPPORTED);	/* hypervisor fences */
	if (!hart_targets(h, h->x[A0], h->x[A1], &targets))
		return err(SBI_ERR_INVALID_PARAM);
	/* a range or an ASID is flushed as the whole TLB */
	smp_request(h, targets, fid == SBI_RFENCE_FENCE_I ? HART_REQ_FENCE_I : HART_REQ_SFENCE_VMA);
	return ok(0);
}

/* S-mode entry after a start or a non-retentive resume (SBI HSM) */
static void enter_s(struct hart *h, uint64_t addr, uint64_t opaque)
{
	h->mstatus &= ~MSTATUS_SIE;
	h->satp = 0;
	mmu_flush(h);
	hart_set_priv(h, PRV_S);
	h->x[A0] = h->hartid;
	h->x[A1] = opaque;
	h->pc = addr;
}

static struct sbi_ret suspend(struct hart *h, uint32_t type, uint64_t addr, uint64_t opaque)
{
	bool retentive = type == SBI_HSM_SUSPEND_RETENTIVE;

	if (!retentive && type != SBI_HSM_SUSPEND_NON_RETENTIVE)
		return err(SBI_ERR_INVALID_PARAM);	/* reserved, or platform-specific: none here */
	if (!retentive && !guest_ram_ptr(h->mem, addr, 2))
		return err(SBI_ERR_INVALID_ADDRESS);
	__atomic_store_n(&h->hsm_state, SBI_HSM_STATE_SUSPENDED, __ATOMIC_SEQ_CST);
	hart_wfi(h);
	__atomic_store_n(&h->hsm_state, SBI_HSM_STATE_STARTED, __ATOMIC_SEQ_CST);
	if (retentive)
		return ok(0);
	enter_s(h, addr, opaque);
	return (struct sbi_ret){ .entered = true };
}

static struct sbi_ret hsm(struct hart *h, uint64_t fid)
{
	uint64_t state;
	long e;

	switch (fid) {
	case SBI_HSM_HART_START:
		e = h->smp ? smp_hart_start(h, h->x[A0], h->x[A1], h->x[A2])
			   : h->x[A0] == h->hartid ? SBI_ERR_ALREADY_AVAILABLE : SBI_ERR_INVALID_PARAM;
		return e ? err(e) : ok(0);
	case SBI_HSM_HART_STOP:
		/* the last started hart cannot stop: nothing could start one again */
		if (!smp_may_stop(h))
			return err(SBI_ERR_FAILED);
		__atomic_store_n(&h->hsm_state, SBI_HSM_STATE_STOPPED, __ATOMIC_SEQ_CST);
		h->exit_req = 1;	/* service() waits for a hart_start */
		return ok(0);
	case SBI_HSM_HART_GET_STATUS:
		e = smp_hart_status(h, h->x[A0], &state);
		return e ? err(e) : ok(state);
	case SBI_HSM_HART_SUSPEND:
		return suspend(h, (uint32_t)h->x[A0], h->x[A1], h->x[A2]);
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
	uint64_t at = h->pc - 4;	/* the ecall's own pc (ECALL has no compressed form) */
	struct sbi_ret r;

	if (legacy(h, eid)) {
		/* a legacy call returns in a0 alone */
		if (trace_wants(h->trace, TRACE_SBI))
			trace_sbi(h->trace, (unsigned)h->hartid, at, eid, fid, args,
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
	if (r.entered)
		return;
	h->x[A0] = (uint64_t)r.error;
	h->x[A1] = r.value;
	if (trace_wants(h->trace, TRACE_SBI))
		trace_sbi(h->trace, (unsigned)h->hartid, at, eid, fid, args, r.error, r.value);
}
