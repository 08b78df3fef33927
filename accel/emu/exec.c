#include "accel/emu/exec.h"

#include <string.h>

#include "accel/emu/bitmanip.h"
#include "accel/emu/decode.h"
#include "accel/emu/divide.h"
#include "accel/emu/hart.h"
#include "accel/emu/jit.h"
#include "accel/emu/mmu.h"
#include "accel/emu/sbi.h"
#include "accel/emu/smp.h"
#include "accel/emu/tcache.h"
#include "base/compiler.h"
#include "debug/trace.h"
#include "hw/vclock.h"

/* instructions between two looks at the clock */
#define TIMER_CHECK_INSNS 16384

/* Between blocks: stop requests, timers, interrupts. True means leave hart_run. */
static bool service(struct hart *h)
{
	int req;

	/* a full barrier: a kick that lands after this is seen by the loads below */
	__atomic_store_n(&h->exit_req, 0, __ATOMIC_SEQ_CST);
	if (h->stop)
		return true;
	req = __atomic_load_n(&h->stop_req, __ATOMIC_SEQ_CST);
	if (req) {
		h->stop = (enum hart_stop)req;
		return true;
	}
	hart_serve_requests(h);
	hart_drop_stale_code(h);
	if (unlikely(h->tc->want_flush))
		tcache_flush(h->tc);	/* the JIT's buffer is full */
	if (__atomic_load_n(&h->pause_req, __ATOMIC_SEQ_CST)) {
		hart_park(h);
		return service(h);	/* a stop may have come while parked */
	}
	if (unlikely(__atomic_load_n(&h->dbg_halt_req, __ATOMIC_SEQ_CST))) {
		hart_debug_park(h);
		return service(h);
	}
	/* SBI HSM: a stopped hart waits for hart_start (or a stop, pause, halt) */
	if (unlikely(__atomic_load_n(&h->hsm_state, __ATOMIC_RELAXED) != SBI_HSM_STATE_STARTED) &&
	    !smp_wait_start(h))
		return service(h);
	if (h->instret >= h->check_at) {
		uint64_t now = vclock_now(h->clock);

		h->check_at = h->instret + TIMER_CHECK_INSNS;
		hw_timer_check(&h->mtimer, now);
		hw_timer_check(&h->stimer, now);
	}
	/* a debugger's step runs its one instruction, not an interrupt handler */
	if (likely(!h->dbg_hold_irqs))
		hart_take_interrupt(h);
	return false;
}

static bool mret(struct hart *h)
{
	enum priv np = (enum priv)((h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);

	if (h->priv < PRV_M)
		return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	h->mstatus &= ~(MSTATUS_MIE | MSTATUS_MPP);
	if (h->mstatus & MSTATUS_MPIE)
		h->mstatus |= MSTATUS_MIE;
	h->mstatus |= MSTATUS_MPIE;
	if (np != PRV_M)
		h->mstatus &= ~MSTATUS_MPRV;
	h->pc = h->mepc;
	hart_set_priv(h, np);
	return true;
}

static bool sret(struct hart *h)
{
	enum priv np = (h->mstatus & MSTATUS_SPP) ? PRV_S : PRV_U;

	if (h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MSTATUS_TSR)))
		return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	h->mstatus &= ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
	if (h->mstatus & MSTATUS_SPIE)
		h->mstatus |= MSTATUS_SIE;
	h->mstatus |= MSTATUS_SPIE;
	h->pc = h->sepc;
	hart_set_priv(h, np);
	return true;
}

static bool privileged_fence_ok(const struct hart *h)
{
	return h->priv == PRV_M || (h->priv == PRV_S && !(h->mstatus & MSTATUS_TVM));
}

static bool wfi_ok(const struct hart *h)
{
	return h->priv == PRV_M || (h->priv == PRV_S && !(h->mstatus & MSTATUS_TW));
}

/*
 * One instruction on its own, fetched in halves (a 4-byte instruction may
 * cross a page end): a block of one that is never cached, compiled or linked.
 */
static struct block *fetch_single(struct hart *h, uint64_t pc, void *buf, size_t size,
				  uint32_t *raw)
{
	uint16_t lo, hi = 0;

	if (!mmu_fetch16(h, pc, &lo))
		return NULL;
	if (insn_length(lo) == 4 && !mmu_fetch16(h, pc + 2, &hi))
		return NULL;
	*raw = (uint32_t)lo | ((uint32_t)hi << 16);
	return tcache_single(h->tc, *raw, buf, size);
}

#define LOAD_AS(type, host) ({ type v_; memcpy(&v_, (const void *)(host), sizeof(v_)); v_; })
#define STORE_AS(type, host, val) do { type v_ = (type)(val); memcpy((void *)(host), &v_, sizeof(v_)); } while (0)

static enum hart_stop run(struct hart *h, const void *const **labels_out)
{
	static const void *const labels[OP_COUNT] = {
#define OP_LABEL(name) [OP_##name] = &&L_##name,
		OPS(OP_LABEL)
#undef OP_LABEL
	};
	uint64_t *const x = h ? h->x : NULL;
	const struct dinsn *d;
	struct block *b, *link_from = NULL;
	unsigned link_slot = 0;
	uint32_t raw;
	uint64_t pc;
	_Alignas(16) uint8_t single[sizeof(struct block) + 2 * sizeof(struct dinsn)];

	if (labels_out) {
		*labels_out = labels;
		return HART_RUNNING;
	}

#define NEXT() do { d++; goto *d->handler; } while (0)
#define PC() (pc + d->off)
#define RETIRE(n) (h->instret += (n))
#define EXCEPTION() do { \
		h->pc = PC(); RETIRE(d->seq); \
		hart_exception(h, h->exc_cause, h->exc_tval); goto dispatch; } while (0)
#define RAISE(cause, tval) do { hart_fault(h, (cause), (tval)); EXCEPTION(); } while (0)
/*
 * Leave the block for target, retiring everything up to this instruction.
 * A successor on the same page is entered directly through b->next[slot]
 * (same page, same translation); others go through dispatch, which links
 * them for next time.
 */
#define EXIT_TO(slot, target) do {                                                   \
		uint64_t t_ = (target);                                               \
		struct block *n_ = b->next[slot];                                     \
		h->pc = t_;                                                           \
		RETIRE(d->seq + 1u);                                                  \
		if (likely(n_ && n_->host_pc == b->host_pc + (t_ - pc) &&             \
			   !(h->exit_req | (h->instret >= h->check_at)))) {           \
			b = n_;                                                       \
			pc = t_;                                                      \
			goto enter;                                                   \
		}                                                                     \
		if (((t_ ^ pc) & PAGE_MASK) == 0 && b->host_pc) {                     \
			link_from = b;                                                \
			link_slot = (slot);                                           \
		}                                                                     \
		goto dispatch;                                                        \
	} while (0)
#define JUMP(target) do { h->pc = (target); RETIRE(d->seq + 1u); goto dispatch; } while (0)
#define RD x[d->rd]
#define RS1 x[d->rs1]
#define RS2 x[d->rs2]
#define IMM ((int64_t)d->imm)
#define ALU(name, expr) L_##name: RD = (expr); NEXT();
#define BRANCH(name, cond) L_##name: {                                              \
		if (cond)                                                             \
			EXIT_TO(BLOCK_NEXT_TAKEN, PC() + IMM);                        \
		EXIT_TO(BLOCK_NEXT_FALL, PC() + d->len);                              \
	}
#define LOAD(name, type, size) L_##name: {                                          \
		uint64_t va = RS1 + IMM;                                              \
		const struct tlb_entry *e = &h->dtlb[(va >> PAGE_SHIFT) & (TLB_ENTRIES - 1)]; \
		uint64_t v_;                                                          \
		if (likely(e->tag_r == (va & PAGE_MASK) &&                            \
			   (va & ~PAGE_MASK) <= PAGE_SIZE - (size))) {                \
			RD = (uint64_t)LOAD_AS(type, va + e->addend);                 \
			NEXT();                                                       \
		}                                                                     \
		if (!mmu_load(h, va, (size), &v_))                                    \
			EXCEPTION();                                                  \
		RD = (uint64_t)(type)v_;                                              \
		NEXT();                                                               \
	}
#define STORE(name, type, size) L_##name: {                                         \
		uint64_t va = RS1 + IMM;                                              \
		const struct tlb_entry *e = &h->dtlb[(va >> PAGE_SHIFT) & (TLB_ENTRIES - 1)]; \
		if (likely(e->tag_w == (va & PAGE_MASK) &&                            \
			   (va & ~PAGE_MASK) <= PAGE_SIZE - (size))) {                \
			STORE_AS(type, va + e->addend, RS2);                          \
			NEXT();                                                       \
		}                                                                     \
		if (!mmu_store(h, va, (size), RS2))                                   \
			EXCEPTION();                                                  \
		NEXT();                                                               \
	}

dispatch:
	if (unlikely(h->exit_req | (h->instret >= h->check_at))) {
		link_from = NULL;
		if (service(h))
			return h->stop;
		if (unlikely(h->dbg_active)) {
			switch (hart_debug_check(h)) {
			case HART_DEBUG_AGAIN:
				goto dispatch;
			case HART_DEBUG_ONE:
				goto one;
			case HART_DEBUG_BLOCK:
				break;
			}
		}
		if (unlikely(h->trace_exec) && hart_trace_exec_one(h))
			goto one;
	}
	pc = h->pc;
	{
		const struct tlb_entry *e = &h->itlb[(pc >> PAGE_SHIFT) & (TLB_ENTRIES - 1)];
		uint64_t flushes = h->tc->flushes;
		uintptr_t host;

		if (likely(e->tag_x == (pc & PAGE_MASK))) {
			host = pc + e->addend;
		} else if (!mmu_fetch(h, pc, &host)) {
			hart_exception(h, h->exc_cause, h->exc_tval);
			link_from = NULL;
			goto dispatch;
		}
		b = h->jcache[jcache_index(host)];
		if (unlikely(!b || b->host_pc != host)) {
			b = tcache_get(h, host);
			if (!b) {
				link_from = NULL;
				b = fetch_single(h, pc, single, sizeof(single), &raw);
				if (!b) {
					hart_exception(h, h->exc_cause, h->exc_tval);
					goto dispatch;
				}
			}
		}
		/* a flush in tcache_get() freed link_from along with everything */
		if (link_from && flushes == h->tc->flushes)
			link_from->next[link_slot] = b;
		link_from = NULL;
	}
enter:
	if (b->jit) {
		uint32_t r = b->jit(h, pc);
		unsigned slot;

		if (likely(r >= JIT_TAKEN)) {
			/* the compiled trace left: h->pc set, what ran retired */
			uint64_t t_ = h->pc;
			struct block *n_;

			if (r == JIT_JUMP)
				goto dispatch;
			slot = r == JIT_TAKEN ? BLOCK_NEXT_TAKEN : BLOCK_NEXT_FALL;
			n_ = b->next[slot];
			if (likely(n_ && n_->host_pc == b->host_pc + (t_ - pc) &&
				   !(h->exit_req | (h->instret >= h->check_at)))) {
				b = n_;
				pc = t_;
				goto enter;
			}
			if (((t_ ^ pc) & PAGE_MASK) == 0 && b->host_pc) {
				link_from = b;
				link_slot = slot;
			}
			goto dispatch;
		}
		if (r == JIT_EXC) {
			/* h->pc is the faulting instruction, those before it retired */
			hart_exception(h, h->exc_cause, h->exc_tval);
			goto dispatch;
		}
		d = b->ins + r;
		goto *d->handler;	/* the interpreter takes the rest of the block */
	}
	if (unlikely(++b->execs == (uint32_t)h->tc->jit_threshold) && b->host_pc) {
		tcache_compile(h->tc, b);
		if (b->jit)
			goto enter;
	}
	d = b->ins;
	goto *d->handler;

one:
	/* one instruction on its own: a debugger's step or breakpoint page, or traced */
	pc = h->pc;
	b = fetch_single(h, pc, single, sizeof(single), &raw);
	if (!b) {
		hart_exception(h, h->exc_cause, h->exc_tval);
		goto dispatch;
	}
	if (unlikely(h->trace_exec))
		hart_trace_insn(h, raw, b->ins[0].len);
	goto enter;

L_END:
	/* not an instruction: retire the ones before it */
	d--;
	EXIT_TO(BLOCK_NEXT_FALL, PC() + d->len);
L_ILLEGAL:
	RAISE(EXC_ILLEGAL_INSN, (uint64_t)(uint32_t)d->imm & (d->len == 2 ? 0xffff : 0xffffffff));
L_FENCE:
	/* d->imm: it orders a store before a load, which a TSO host may swap */
	if (unlikely(d->imm) && h->tc->smp)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	NEXT();
L_NOP:
	NEXT();

	ALU(LUI, (uint64_t)IMM)
	ALU(AUIPC, PC() + (uint64_t)IMM)
L_JAL:
	RD = PC() + d->len;
	EXIT_TO(BLOCK_NEXT_TAKEN, PC() + IMM);
L_JALR: {
	uint64_t t = (RS1 + IMM) & ~1ull;

	RD = PC() + d->len;
	JUMP(t);
}
	BRANCH(BEQ, RS1 == RS2)
	BRANCH(BNE, RS1 != RS2)
	BRANCH(BLT, (int64_t)RS1 < (int64_t)RS2)
	BRANCH(BGE, (int64_t)RS1 >= (int64_t)RS2)
	BRANCH(BLTU, RS1 < RS2)
	BRANCH(BGEU, RS1 >= RS2)

	LOAD(LB, int8_t, 1)
	LOAD(LH, int16_t, 2)
	LOAD(LW, int32_t, 4)
	LOAD(LD, uint64_t, 8)
	LOAD(LBU, uint8_t, 1)
	LOAD(LHU, uint16_t, 2)
	LOAD(LWU, uint32_t, 4)
	STORE(SB, uint8_t, 1)
	STORE(SH, uint16_t, 2)
	STORE(SW, uint32_t, 4)
	STORE(SD, uint64_t, 8)

	ALU(ADDI, RS1 + (uint64_t)IMM)
	ALU(SLTI, (int64_t)RS1 < IMM)
	ALU(SLTIU, RS1 < (uint64_t)IMM)
	ALU(XORI, RS1 ^ (uint64_t)IMM)
	ALU(ORI, RS1 | (uint64_t)IMM)
	ALU(ANDI, RS1 & (uint64_t)IMM)
	ALU(SLLI, RS1 << d->imm)
	ALU(SRLI, RS1 >> d->imm)
	ALU(SRAI, (uint64_t)((int64_t)RS1 >> d->imm))
	ALU(ADD, RS1 + RS2)
	ALU(SUB, RS1 - RS2)
	ALU(SLL, RS1 << (RS2 & 63))
	ALU(SLT, (int64_t)RS1 < (int64_t)RS2)
	ALU(SLTU, RS1 < RS2)
	ALU(XOR, RS1 ^ RS2)
	ALU(SRL, RS1 >> (RS2 & 63))
	ALU(SRA, (uint64_t)((int64_t)RS1 >> (RS2 & 63)))
	ALU(OR, RS1 | RS2)
	ALU(AND, RS1 & RS2)
	ALU(ADDIW, (uint64_t)(int64_t)(int32_t)(uint32_t)(RS1 + (uint64_t)IMM))
	ALU(SLLIW, (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 << d->imm))
	ALU(SRLIW, (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 >> d->imm))
	ALU(SRAIW, (uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> d->imm))
	ALU(ADDW, (uint64_t)(int64_t)(int32_t)(uint32_t)(RS1 + RS2))
	ALU(SUBW, (uint64_t)(int64_t)(int32_t)(uint32_t)(RS1 - RS2))
	ALU(SLLW, (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 << (RS2 & 31)))
	ALU(SRLW, (uint64_t)(int64_t)(int32_t)((uint32_t)RS1 >> (RS2 & 31)))
	ALU(SRAW, (uint64_t)(int64_t)((int32_t)(uint32_t)RS1 >> (RS2 & 31)))

	ALU(MUL, RS1 * RS2)
	ALU(MULH, (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(int64_t)RS2) >> 64))
	ALU(MULHSU, (uint64_t)(((__int128)(int64_t)RS1 * (__int128)RS2) >> 64))
	ALU(MULHU, (uint64_t)(((unsigned __int128)RS1 * RS2) >> 64))
	ALU(DIV, rv_div(RS1, RS2))
	ALU(DIVU, rv_divu(RS1, RS2))
	ALU(REM, rv_rem(RS1, RS2))
	ALU(REMU, rv_remu(RS1, RS2))
	ALU(MULW, (uint64_t)(int64_t)(int32_t)(uint32_t)(RS1 * RS2))
	ALU(DIVW, rv_divw(RS1, RS2))
	ALU(DIVUW, rv_divuw(RS1, RS2))
	ALU(REMW, rv_remw(RS1, RS2))
	ALU(REMUW, rv_remuw(RS1, RS2))

	/* Zba */
	ALU(ADD_UW, (uint64_t)(uint32_t)RS1 + RS2)
	ALU(SH1ADD, (RS1 << 1) + RS2)
	ALU(SH2ADD, (RS1 << 2) + RS2)
	ALU(SH3ADD, (RS1 << 3) + RS2)
	ALU(SH1ADD_UW, ((uint64_t)(uint32_t)RS1 << 1) + RS2)
	ALU(SH2ADD_UW, ((uint64_t)(uint32_t)RS1 << 2) + RS2)
	ALU(SH3ADD_UW, ((uint64_t)(uint32_t)RS1 << 3) + RS2)
	ALU(SLLI_UW, (uint64_t)(uint32_t)RS1 << d->imm)
	/* Zbb */
	ALU(ANDN, RS1 & ~RS2)
	ALU(ORN, RS1 | ~RS2)
	ALU(XNOR, ~(RS1 ^ RS2))
	ALU(CLZ, rv_clz(RS1))
	ALU(CLZW, rv_clzw(RS1))
	ALU(CTZ, rv_ctz(RS1))
	ALU(CTZW, rv_ctzw(RS1))
	ALU(CPOP, (uint64_t)__builtin_popcountll(RS1))
	ALU(CPOPW, (uint64_t)__builtin_popcount((uint32_t)RS1))
	ALU(MAX, (int64_t)RS1 > (int64_t)RS2 ? RS1 : RS2)
	ALU(MAXU, RS1 > RS2 ? RS1 : RS2)
	ALU(MIN, (int64_t)RS1 < (int64_t)RS2 ? RS1 : RS2)
	ALU(MINU, RS1 < RS2 ? RS1 : RS2)
	ALU(SEXT_B, (uint64_t)(int64_t)(int8_t)RS1)
	ALU(SEXT_H, (uint64_t)(int64_t)(int16_t)RS1)
	ALU(ZEXT_H, (uint64_t)(uint16_t)RS1)
	ALU(ROL, rv_rol(RS1, (unsigned)RS2))
	ALU(ROLW, rv_rolw(RS1, (unsigned)RS2))
	ALU(ROR, rv_ror(RS1, (unsigned)RS2))
	ALU(RORI, rv_ror(RS1, (unsigned)d->imm))
	ALU(RORIW, rv_rorw(RS1, (unsigned)d->imm))
	ALU(RORW, rv_rorw(RS1, (unsigned)RS2))
	ALU(ORC_B, rv_orc_b(RS1))
	ALU(REV8, __builtin_bswap64(RS1))
	/* Zbc */
	ALU(CLMUL, rv_clmul(RS1, RS2))
	ALU(CLMULH, rv_clmulh(RS1, RS2))
	ALU(CLMULR, rv_clmulr(RS1, RS2))
	/* Zbs */
	ALU(BCLR, RS1 & ~(1ull << (RS2 & 63)))
	ALU(BCLRI, RS1 & ~(1ull << d->imm))
	ALU(BEXT, (RS1 >> (RS2 & 63)) & 1)
	ALU(BEXTI, (RS1 >> d->imm) & 1)
	ALU(BINV, RS1 ^ (1ull << (RS2 & 63)))
	ALU(BINVI, RS1 ^ (1ull << d->imm))
	ALU(BSET, RS1 | (1ull << (RS2 & 63)))
	ALU(BSETI, RS1 | (1ull << d->imm))
	/* Zicond */
	ALU(CZERO_EQZ, RS2 ? RS1 : 0)
	ALU(CZERO_NEZ, RS2 ? 0 : RS1)

L_FLH: L_FSH: L_FMV_X_H: L_FMV_H_X:
L_FCVT_S_H: L_FCVT_H_S: L_FCVT_D_H: L_FCVT_H_D:
	if (!exec_fp(h, d))
		EXCEPTION();
	NEXT();

L_CBO_ZERO: L_CBO_CMO:
	if (!exec_cbo(h, d))
		EXCEPTION();
	NEXT();

L_FENCE_I:
	/* the hart's own stores already dropped their translations; others queue */
	hart_drop_stale_code(h);
	JUMP(PC() + d->len);
L_SFENCE_VMA:
	if (!privileged_fence_ok(h))
		RAISE(EXC_ILLEGAL_INSN, 0);
	if (trace_wants(h->trace, TRACE_MMU))
		trace_mmu(h->trace, (unsigned)h->hartid, h->priv, TRACE_MMU_SFENCE,
			  d->rs1 ? RS1 : UINT64_MAX, d->rs2 ? RS2 : UINT64_MAX, 0);
	mmu_flush(h);
	JUMP(PC() + d->len);
L_SFENCE_INVAL:
	/* Svinval's fences around sinval.vma: ordering we already have */
	if (h->priv == PRV_U)
		RAISE(EXC_ILLEGAL_INSN, 0);
	JUMP(PC() + d->len);
L_ECALL:
	if (h->sbi && h->priv == PRV_S) {
		/* the call may move pc itself (HSM resume) */
		h->pc = PC() + d->len;
		sbi_call(h);
		JUMP(h->pc);
	}
	RAISE(EXC_ECALL_U + h->priv, 0);
L_EBREAK:
	RAISE(EXC_BREAKPOINT, PC());
L_MRET:
	if (!mret(h))
		EXCEPTION();
	RETIRE(d->seq + 1u);
	goto dispatch;
L_SRET:
	if (!sret(h))
		EXCEPTION();
	RETIRE(d->seq + 1u);
	goto dispatch;
L_WFI:
	if (!wfi_ok(h))
		RAISE(EXC_ILLEGAL_INSN, 0);
	h->pc = PC() + d->len;
	RETIRE(d->seq + 1u);
	hart_wfi(h);
	goto dispatch;

L_CSRRW: L_CSRRS: L_CSRRC: L_CSRRWI: L_CSRRSI: L_CSRRCI:
	/* counters read by the instruction must include what ran before it */
	RETIRE(d->seq);
	if (!exec_csr(h, d)) {
		h->pc = PC();
		hart_exception(h, h->exc_cause, h->exc_tval);
		goto dispatch;
	}
	RETIRE(1);
	h->pc = PC() + d->len;
	h->exit_req = 1;
	goto dispatch;

L_LR_W: L_SC_W: L_AMOSWAP_W: L_AMOADD_W: L_AMOXOR_W: L_AMOAND_W:
L_AMOOR_W: L_AMOMIN_W: L_AMOMAX_W: L_AMOMINU_W: L_AMOMAXU_W:
L_LR_D: L_SC_D: L_AMOSWAP_D: L_AMOADD_D: L_AMOXOR_D: L_AMOAND_D:
L_AMOOR_D: L_AMOMIN_D: L_AMOMAX_D: L_AMOMINU_D: L_AMOMAXU_D:
	if (!exec_amo(h, d))
		EXCEPTION();
	NEXT();

L_FLW: L_FSW: L_FLD: L_FSD:
L_FMADD_S: L_FMSUB_S: L_FNMSUB_S: L_FNMADD_S:
L_FADD_S: L_FSUB_S: L_FMUL_S: L_FDIV_S: L_FSQRT_S:
L_FSGNJ_S: L_FSGNJN_S: L_FSGNJX_S: L_FMIN_S: L_FMAX_S:
L_FCVT_W_S: L_FCVT_WU_S: L_FCVT_L_S: L_FCVT_LU_S:
L_FMV_X_W: L_FEQ_S: L_FLT_S: L_FLE_S: L_FCLASS_S:
L_FCVT_S_W: L_FCVT_S_WU: L_FCVT_S_L: L_FCVT_S_LU: L_FMV_W_X:
L_FMADD_D: L_FMSUB_D: L_FNMSUB_D: L_FNMADD_D:
L_FADD_D: L_FSUB_D: L_FMUL_D: L_FDIV_D: L_FSQRT_D:
L_FSGNJ_D: L_FSGNJN_D: L_FSGNJX_D: L_FMIN_D: L_FMAX_D:
L_FCVT_S_D: L_FCVT_D_S:
L_FCVT_W_D: L_FCVT_WU_D: L_FCVT_L_D: L_FCVT_LU_D:
L_FMV_X_D: L_FEQ_D: L_FLT_D: L_FLE_D: L_FCLASS_D:
L_FCVT_D_W: L_FCVT_D_WU: L_FCVT_D_L: L_FCVT_D_LU: L_FMV_D_X:
	if (!exec_fp(h, d))
		EXCEPTION();
	NEXT();
}

const void *const *exec_labels(void)
{
	const void *const *labels;

	run(NULL, &labels);
	return labels;
}

enum hart_stop hart_run(struct hart *h)
{
	enum hart_stop why;

	h->exit_req = 1;
	hart_set_running(h, true);
	why = run(h, NULL);
	hart_set_running(h, false);
	return why;
}
