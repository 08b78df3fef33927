#include "accel/emu/csr.h"

#include "accel/emu/decode.h"
#include "accel/emu/exec.h"
#include "accel/emu/hart.h"
#include "accel/emu/isa.h"
#include "accel/emu/mmu.h"
#include "debug/trace.h"

#define FCSR_FRM_SHIFT 5
#define ENVCFG_CBIE_RESERVED (2ull << 4)

uint64_t csr_envcfg_writable(const struct hart *h, bool m)
{
	uint64_t w = ENVCFG_FIOM;

	if (h->isa & ISA(ZICBOM))
		w |= ENVCFG_CBIE | ENVCFG_CBCFE;
	if (h->isa & ISA(ZICBOZ))
		w |= ENVCFG_CBZE;
	if (m && (h->isa & ISA(SVADU)))
		w |= ENVCFG_ADUE;
	if (m && (h->isa & ISA(SVPBMT)))
		w |= ENVCFG_PBMTE;
	if (m && (h->isa & ISA(SSTC)))
		w |= ENVCFG_STCE;
	return w;
}

static uint64_t envcfg_legal(const struct hart *h, uint64_t v, bool m)
{
	v &= csr_envcfg_writable(h, m);
	if ((v & ENVCFG_CBIE) == ENVCFG_CBIE_RESERVED)
		v &= ~ENVCFG_CBIE;	/* reserved: off */
	return v;
}

/* stimecmp: with Sstc; below M only when menvcfg.STCE and mcounteren.TM allow */
static bool stimecmp_accessible(const struct hart *h)
{
	if (!(h->isa & ISA(SSTC)))
		return false;
	return h->priv == PRV_M ||
	       ((h->menvcfg & ENVCFG_STCE) && (h->mcounteren & COUNTEREN_TM));
}

uint64_t csr_misa(void)
{
	return MISA_MXL_64 | MISA_EXT('A') | MISA_EXT('C') | MISA_EXT('D') | MISA_EXT('F') |
	       MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('S') | MISA_EXT('U');
}

uint64_t csr_mstatus_read(const struct hart *h)
{
	uint64_t v = h->mstatus | (XLEN_64 << 32) | (XLEN_64 << 34);

	if ((v & MSTATUS_FS) == MSTATUS_FS_DIRTY)
		v |= MSTATUS_SD;
	return v;
}

static bool counter_enabled(const struct hart *h, unsigned csr)
{
	unsigned bit = csr - CSR_CYCLE;

	if (h->priv < PRV_M && !((h->mcounteren >> bit) & 1))
		return false;
	if (h->priv < PRV_S && !((h->scounteren >> bit) & 1))
		return false;
	return true;
}

static bool fp_enabled(const struct hart *h)
{
	return (h->mstatus & MSTATUS_FS) != MSTATUS_FS_OFF;
}

static bool is_counter(unsigned csr)
{
	return csr >= CSR_CYCLE && csr <= CSR_HPMCOUNTER31;
}

static bool is_pmp(unsigned csr)
{
	/* RV64 has only the even pmpcfg registers */
	return (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15 && !(csr & 1)) ||
	       (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63);
}

/* Checks every access shares: privilege level, FS, counter enables, TVM. */
static bool accessible(const struct hart *h, unsigned csr)
{
	if (h->priv < ((csr >> 8) & 3))
		return false;
	if (csr >= CSR_FFLAGS && csr <= CSR_FCSR)
		return fp_enabled(h);
	if (is_counter(csr))
		return counter_enabled(h, csr);
	if (csr == CSR_SATP && h->priv == PRV_S && (h->mstatus & MSTATUS_TVM))
		return false;
	if (csr == CSR_STIMECMP)
		return stimecmp_accessible(h);
	return true;
}

bool csr_read(struct hart *h, unsigned csr, uint64_t *val)
{
	return accessible(h, csr) && csr_read_any(h, csr, val);
}

bool csr_read_any(struct hart *h, unsigned csr, uint64_t *val)
{
	switch (csr) {
	case CSR_FFLAGS: *val = h->fflags; break;
	case CSR_FRM: *val = h->frm; break;
	case CSR_FCSR: *val = (h->frm << FCSR_FRM_SHIFT) | h->fflags; break;
	case CSR_CYCLE:
	case CSR_MCYCLE: *val = h->instret + (uint64_t)h->cycle_offset; break;
	case CSR_TIME: *val = hart_time(h); break;
	case CSR_INSTRET:
	case CSR_MINSTRET: *val = h->instret; break;
	case CSR_SSTATUS: *val = csr_mstatus_read(h) & SSTATUS_MASK; break;
	case CSR_SIE: *val = h->mie & h->mideleg; break;
	case CSR_STVEC: *val = h->stvec; break;
	case CSR_SCOUNTEREN: *val = h->scounteren; break;
	case CSR_SENVCFG: *val = h->senvcfg; break;
	case CSR_SSCRATCH: *val = h->sscratch; break;
	case CSR_SEPC: *val = h->sepc; break;
	case CSR_SCAUSE: *val = h->scause; break;
	case CSR_STVAL: *val = h->stval; break;
	case CSR_SIP: *val = hart_mip(h) & h->mideleg; break;
	case CSR_SATP: *val = h->satp; break;
	case CSR_STIMECMP:
		if (!(h->isa & ISA(SSTC)))
			return false;
		*val = __atomic_load_n(&h->stimer.deadline, __ATOMIC_ACQUIRE);
		break;
	case CSR_MVENDORID:
	case CSR_MARCHID:
	case CSR_MCONFIGPTR: *val = 0; break;
	case CSR_MIMPID: *val = GASANG_MIMPID; break;
	case CSR_MHARTID: *val = h->hartid; break;
	case CSR_MSTATUS: *val = csr_mstatus_read(h); break;
	case CSR_MISA: *val = csr_misa(); break;
	case CSR_MEDELEG: *val = h->medeleg; break;
	case CSR_MIDELEG: *val = h->mideleg; break;
	case CSR_MIE: *val = h->mie; break;
	case CSR_MTVEC: *val = h->mtvec; break;
	case CSR_MCOUNTEREN: *val = h->mcounteren; break;
	case CSR_MENVCFG: *val = h->menvcfg; break;
	case CSR_MCOUNTINHIBIT: *val = h->mcountinhibit; break;
	case CSR_MSCRATCH: *val = h->mscratch; break;
	case CSR_MEPC: *val = h->mepc; break;
	case CSR_MCAUSE: *val = h->mcause; break;
	case CSR_MTVAL: *val = h->mtval; break;
	case CSR_MIP: *val = hart_mip(h); break;
	default:
		/* counters and events we do not implement read as zero */
		if ((csr >= CSR_HPMCOUNTER3 && csr <= CSR_HPMCOUNTER31) ||
		    (csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
		    (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31) || is_pmp(csr)) {
			*val = 0;
			break;
		}
		return false;
	}
	return true;
}

static void set_fs_dirty(struct hart *h)
{
	h->mstatus |= MSTATUS_FS_DIRTY;
}

static void write_mstatus(struct hart *h, uint64_t v, uint64_t writable)
{
	uint64_t old = h->mstatus;

	if (((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2)	/* reserved: keep */
		v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
	h->mstatus = (old & ~writable) | (v & writable);
	if ((old ^ h->mstatus) & MSTATUS_MXR)
		mmu_flush(h);
	hart_update_regime(h);
}

static void write_satp(struct hart *h, uint64_t v)
{
	uint64_t mode = v >> SATP_MODE_SHIFT;

	/* an unsupported mode makes the whole write have no effect */
	if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 && mode != SATP_MODE_SV48)
		return;
	h->satp = (mode << SATP_MODE_SHIFT) | (v & (SATP_ASID_MASK | SATP_PPN_MASK));
	if (trace_wants(h->trace, TRACE_MMU))
		trace_mmu(h->trace, (unsigned)h->hartid, h->priv, TRACE_MMU_SATP, h->satp, 0, 0);
	mmu_flush(h);
}

bool csr_write(struct hart *h, unsigned csr, uint64_t v)
{
	/* the top two bits all set: a read-only CSR */
	return accessible(h, csr) && (csr >> 10) != 3 && csr_write_any(h, csr, v);
}

bool csr_write_any(struct hart *h, unsigned csr, uint64_t v)
{
	switch (csr) {
	case CSR_FFLAGS: h->fflags = v & FFLAGS_MASK; set_fs_dirty(h); break;
	case CSR_FRM: h->frm = v & FRM_MASK; set_fs_dirty(h); break;
	case CSR_FCSR:
		h->fflags = v & FFLAGS_MASK;
		h->frm = (v >> FCSR_FRM_SHIFT) & FRM_MASK;
		set_fs_dirty(h);
		break;
	case CSR_MCYCLE: h->cycle_offset = (int64_t)(v - h->instret); break;
	case CSR_MINSTRET: {
		/* the timer check counts retired instructions: keep its distance */
		uint64_t left = h->check_at > h->instret ? h->check_at - h->instret : 0;

		h->cycle_offset += (int64_t)(h->instret - v);
		/* the csr instruction itself retires after the write */
		h->instret = v - 1;
		h->check_at = h->instret + left;
		break;
	}
	case CSR_SSTATUS: write_mstatus(h, v, SSTATUS_WRITABLE); break;
	case CSR_SIE: h->mie = (h->mie & ~h->mideleg) | (v & h->mideleg); break;
	case CSR_STVEC: h->stvec = v & TVEC_WRITABLE; break;
	case CSR_SCOUNTEREN: h->scounteren = v & COUNTEREN_WRITABLE; break;
	case CSR_SENVCFG: h->senvcfg = envcfg_legal(h, v, false); break;
	case CSR_SSCRATCH: h->sscratch = v; break;
	case CSR_SEPC: h->sepc = v & EPC_WRITABLE; break;
	case CSR_SCAUSE: h->scause = v; break;
	case CSR_STVAL: h->stval = v; break;
	case CSR_SIP:
		if (h->mideleg & MIP_SSIP) {
			if (v & MIP_SSIP)
				__atomic_or_fetch(&h->mip_sw, MIP_SSIP, __ATOMIC_SEQ_CST);
			else
				__atomic_and_fetch(&h->mip_sw, ~MIP_SSIP, __ATOMIC_SEQ_CST);
		}
		break;
	case CSR_SATP: write_satp(h, v); break;
	case CSR_STIMECMP:
		if (!(h->isa & ISA(SSTC)))
			return false;
		hw_timer_set(&h->stimer, v, hart_time(h));
		break;
	case CSR_MSTATUS: write_mstatus(h, v, MSTATUS_WRITABLE); break;
	case CSR_MISA: break;	/* extensions cannot be turned off */
	case CSR_MEDELEG: h->medeleg = v & MEDELEG_WRITABLE; break;
	case CSR_MIDELEG: h->mideleg = v & MIP_S_MASK; break;
	case CSR_MIE: h->mie = v & MIP_ALL; break;
	case CSR_MTVEC: h->mtvec = v & TVEC_WRITABLE; break;
	case CSR_MCOUNTEREN: h->mcounteren = v & COUNTEREN_WRITABLE; break;
	case CSR_MENVCFG:
		h->menvcfg = envcfg_legal(h, v, true);
		mmu_flush(h);	/* PBMTE and ADUE change what a walk accepts */
		break;
	case CSR_MCOUNTINHIBIT: h->mcountinhibit = v & MCOUNTINHIBIT_WRITABLE; break;
	case CSR_MSCRATCH: h->mscratch = v; break;
	case CSR_MEPC: h->mepc = v & EPC_WRITABLE; break;
	case CSR_MCAUSE: h->mcause = v; break;
	case CSR_MTVAL: h->mtval = v; break;
	case CSR_MIP: {
		uint64_t old = __atomic_load_n(&h->mip_sw, __ATOMIC_SEQ_CST), nv;

		do {
			/* with Sstc on, STIP is stimecmp's alone */
			uint64_t w = MIP_S_MASK & ~(h->menvcfg & ENVCFG_STCE ? MIP_STIP : 0);

			nv = (old & ~w) | (v & w);
		} while (!__atomic_compare_exchange_n(&h->mip_sw, &old, nv, false,
						      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
		break;
	}
	default:
		if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
		    (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31) || is_pmp(csr))
			break;	/* read-only zero (WARL) */
		return false;
	}
	return true;
}

/* csrrw/csrrs/csrrc and their immediate forms */
bool exec_csr(struct hart *h, const struct dinsn *d)
{
	bool imm = d->op == OP_CSRRWI || d->op == OP_CSRRSI || d->op == OP_CSRRCI;
	uint64_t src = imm ? d->rs1 : h->x[d->rs1], old = 0;
	unsigned csr = (unsigned)d->imm & 0xfff;
	bool reads = true, writes = true;

	switch (d->op) {
	case OP_CSRRW:
	case OP_CSRRWI:
		reads = d->rd != XREG_SINK;
		break;
	default:
		writes = d->rs1 != 0;	/* x0 or uimm 0: no write at all */
		break;
	}
	if (reads && !csr_read(h, csr, &old))
		return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	if (writes) {
		uint64_t v = src;

		if (d->op == OP_CSRRS || d->op == OP_CSRRSI)
			v = old | src;
		else if (d->op == OP_CSRRC || d->op == OP_CSRRCI)
			v = old & ~src;
		if (!csr_write(h, csr, v))
			return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	}
	h->x[d->rd] = old;
	return true;
}
