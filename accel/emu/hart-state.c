/*
 * A hart's saved state: one section per hart ("hart", instance = hart id),
 * so a machine with N harts saves N sections. What is carried: integer and
 * FP registers, pc, privilege, the counters and every CSR the hart has, the
 * software-set and device-driven interrupt bits and the SBI timer. What is
 * not: TLBs and translated code (rebuilt), an LR reservation (dropped: the
 * next SC fails, as after any trap), run control.
 */
#include "accel/emu/csr.h"
#include "accel/emu/hart.h"
#include "accel/emu/sbi.h"

#include "accel/emu/mmu.h"
#include "accel/emu/tcache.h"
#include "base/state.h"
#include "hw/vclock.h"

static int hart_save(void *obj, struct state_out *o)
{
	struct hart *h = obj;
	unsigned i;

	state_put_u64(o, h->hartid);
	for (i = 1; i < 32; i++)
		state_put_u64(o, h->x[i]);
	state_put_u64(o, h->pc);
	for (i = 0; i < 32; i++)
		state_put_u64(o, h->f[i]);
	state_put_u32(o, h->fflags);
	state_put_u32(o, h->frm);
	state_put_u8(o, (uint8_t)h->priv);
	state_put_u64(o, h->instret);
	state_put_u64(o, (uint64_t)h->cycle_offset);
	state_put_u64(o, h->mstatus);
	state_put_u64(o, h->medeleg);
	state_put_u64(o, h->mideleg);
	state_put_u64(o, h->mie);
	state_put_u64(o, __atomic_load_n(&h->mip_sw, __ATOMIC_SEQ_CST));
	state_put_u64(o, __atomic_load_n(&h->mip_hw, __ATOMIC_SEQ_CST));
	state_put_u64(o, h->mtvec);
	state_put_u64(o, h->mscratch);
	state_put_u64(o, h->mepc);
	state_put_u64(o, h->mcause);
	state_put_u64(o, h->mtval);
	state_put_u64(o, h->mcounteren);
	state_put_u64(o, h->menvcfg);
	state_put_u64(o, h->mcountinhibit);
	state_put_u64(o, h->stvec);
	state_put_u64(o, h->sscratch);
	state_put_u64(o, h->sepc);
	state_put_u64(o, h->scause);
	state_put_u64(o, h->stval);
	state_put_u64(o, h->scounteren);
	state_put_u64(o, h->senvcfg);
	state_put_u64(o, h->satp);
	state_put_u8(o, h->sbi);
	state_put_u64(o, __atomic_load_n(&h->stimer.deadline, __ATOMIC_ACQUIRE));
	/* SBI HSM: started, stopped or suspended, and where a start or resume enters */
	state_put_u32(o, (uint32_t)__atomic_load_n(&h->hsm_state, __ATOMIC_ACQUIRE));
	state_put_u64(o, h->hsm_addr);
	state_put_u64(o, h->hsm_opaque);
	return o->err;
}

static bool satp_valid(uint64_t v)
{
	uint64_t mode = v >> SATP_MODE_SHIFT;

	return (mode == SATP_MODE_BARE || mode == SATP_MODE_SV39 || mode == SATP_MODE_SV48) &&
	       v == ((mode << SATP_MODE_SHIFT) | (v & (SATP_ASID_MASK | SATP_PPN_MASK)));
}

/* Every CSR within what software could have written to it. */
static int csrs_check(struct hart *h, struct state_in *in)
{
	if (h->fflags & ~FFLAGS_MASK || h->frm & ~FRM_MASK)
		return state_bad(in, "fcsr");
	if (h->priv != PRV_U && h->priv != PRV_S && h->priv != PRV_M)
		return state_bad(in, "the privilege level");
	if (h->mstatus & ~MSTATUS_WRITABLE ||
	    ((h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2)
		return state_bad(in, "mstatus");
	if (h->medeleg & ~MEDELEG_WRITABLE || h->mideleg & ~MIP_S_MASK)
		return state_bad(in, "medeleg/mideleg");
	if (h->mie & ~MIP_ALL || h->mip_sw & ~MIP_ALL || h->mip_hw & ~MIP_ALL)
		return state_bad(in, "mie/mip");
	if (h->mtvec & ~TVEC_WRITABLE || h->stvec & ~TVEC_WRITABLE ||
	    h->mepc & ~EPC_WRITABLE || h->sepc & ~EPC_WRITABLE)
		return state_bad(in, "a trap vector or return address");
	if (h->mcounteren & ~COUNTEREN_WRITABLE || h->scounteren & ~COUNTEREN_WRITABLE ||
	    h->mcountinhibit & ~MCOUNTINHIBIT_WRITABLE)
		return state_bad(in, "a counter enable");
	if (h->menvcfg & ~csr_envcfg_writable(h, true) ||
	    h->senvcfg & ~csr_envcfg_writable(h, false))
		return state_bad(in, "menvcfg/senvcfg");
	if (!satp_valid(h->satp))
		return state_bad(in, "satp");
	return 0;
}

static int hart_load(void *obj, struct state_in *in)
{
	struct hart *h = obj;
	uint64_t deadline;
	uint32_t hsm;
	unsigned i;
	int err;

	if (state_get_u64(in) != h->hartid && !in->err)
		return state_bad(in, "the hart id");
	h->x[0] = 0;
	for (i = 1; i < 32; i++)
		h->x[i] = state_get_u64(in);
	h->pc = state_get_u64(in);
	for (i = 0; i < 32; i++)
		h->f[i] = state_get_u64(in);
	h->fflags = state_get_u32(in);
	h->frm = state_get_u32(in);
	h->priv = (enum priv)state_get_u8(in);
	h->instret = state_get_u64(in);
	h->cycle_offset = (int64_t)state_get_u64(in);
	h->mstatus = state_get_u64(in);
	h->medeleg = state_get_u64(in);
	h->mideleg = state_get_u64(in);
	h->mie = state_get_u64(in);
	h->mip_sw = state_get_u64(in);
	h->mip_hw = state_get_u64(in);
	h->mtvec = state_get_u64(in);
	h->mscratch = state_get_u64(in);
	h->mepc = state_get_u64(in);
	h->mcause = state_get_u64(in);
	h->mtval = state_get_u64(in);
	h->mcounteren = state_get_u64(in);
	h->menvcfg = state_get_u64(in);
	h->mcountinhibit = state_get_u64(in);
	h->stvec = state_get_u64(in);
	h->sscratch = state_get_u64(in);
	h->sepc = state_get_u64(in);
	h->scause = state_get_u64(in);
	h->stval = state_get_u64(in);
	h->scounteren = state_get_u64(in);
	h->senvcfg = state_get_u64(in);
	h->satp = state_get_u64(in);
	h->sbi = state_get_bool(in);
	deadline = state_get_u64(in);
	hsm = state_get_u32(in);
	h->hsm_addr = state_get_u64(in);
	h->hsm_opaque = state_get_u64(in);
	err = state_in_end(in);
	if (err)
		return err;
	err = csrs_check(h, in);
	if (err)
		return err;
	if (h->pc & 1)
		return state_bad(in, "pc");
	if (hsm > SBI_HSM_STATE_RESUME_PENDING)
		return state_bad(in, "the hart's SBI HSM state");
	__atomic_store_n(&h->hsm_state, (int)hsm, __ATOMIC_RELEASE);
	h->stimer.deadline = deadline;
	h->resv_valid = false;
	h->stop = HART_RUNNING;
	h->exit_req = 1;
	h->check_at = h->instret;
	mmu_flush_all(h);
	tcache_flush(h->tc);
	hart_update_regime(h);
	return 0;
}

/* The SBI timer armed against the restored clock. */
static int hart_post_load(void *obj)
{
	struct hart *h = obj;

	hw_timer_set(&h->stimer, h->stimer.deadline, vclock_now(h->clock));
	return 0;
}

const struct state_ops hart_state_ops = {
	.name = "hart",
	.version = 1,
	.save = hart_save,
	.load = hart_load,
	.post_load = hart_post_load,
};
