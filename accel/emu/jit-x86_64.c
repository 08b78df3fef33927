#include "accel/emu/jit.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/emu/divide.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "accel/emu/tcache.h"
#include "accel/emu/jit-x86_64-asm.h"
#include "base/error.h"

#define JIT_CODE_SIZE	(64u << 20)
#define JIT_ALIGN	16
#define MAX_TRACE	256	/* instructions a compiled trace runs through */
#define MAX_STUBS	MAX_TRACE

/* register roles in generated code (callee-saved, so helper calls keep them) */
#define REG_H	R12	/* struct hart * */
#define REG_TLB	R13	/* h->dtlb */
#define REG_PC	R14	/* the block's virtual pc */

#define X_OFF(r)	((int32_t)(offsetof(struct hart, x) + 8 * (r)))
#define PC_OFF		((int32_t)offsetof(struct hart, pc))
#define INSTRET_OFF	((int32_t)offsetof(struct hart, instret))
#define CHECK_AT_OFF	((int32_t)offsetof(struct hart, check_at))
#define EXIT_REQ_OFF	((int32_t)offsetof(struct hart, exit_req))
#define SCRATCH		0	/* [rsp]: the slow path's out value */

_Static_assert(sizeof(struct tlb_entry) == 32, "the TLB index is scaled by 32");

/* A slow path emitted after the block's hot code. */
struct stub {
	uint8_t *jumps[2];	/* branches into the stub to patch */
	uint8_t *resume;	/* where the hot path continues */
	const struct dinsn *d;
	unsigned index;		/* its position in the trace: instructions before it */
	unsigned size;
	bool sign, store;
	uint64_t dirty;		/* cached registers not yet in h->x at this point */
};

/*
 * Guest registers a block uses most live in host registers for the block:
 * loaded in the prologue, written back (the dirty ones) at every exit and
 * around every call out of generated code. Caller-saved ones are reloaded
 * after a call.
 */
/* caller-saved first: they cost nothing to keep for the caller */
static const uint8_t cache_regs[] = { R8, R9, R10, R11, RBX, RBP, R15 };
#define NCALLER_SAVED 4
#define NCACHE (sizeof(cache_regs) / sizeof(cache_regs[0]))

struct emitter {
	struct x86_buf buf;
	const struct block *b;
	uint64_t isa;		/* what the trace past b decodes with */
	bool smp;			/* other harts run (struct jit) */
	/* the path compiled: b's instructions, then on through not-taken branches */
	struct dinsn trace[MAX_TRACE + 1];
	unsigned ntrace;
	uint8_t *loop_head;	/* just after the prologue: where back edges jump */
	struct stub stubs[MAX_STUBS];
	unsigned nstubs;
	uint8_t *exits[MAX_STUBS * 3 + 8];	/* jumps to the epilogue */
	unsigned nexits;
	int8_t host[XREG_SINK + 1];	/* guest register -> host register, or -1 */
	uint8_t cached[NCACHE];		/* the guest registers in host registers */
	unsigned ncached;
	uint64_t dirty;			/* cached and written since the prologue */
};

int jit_init(struct jit *j)
{
	void *p;

	memset(j, 0, sizeof(*j));
	p = mmap(NULL, JIT_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;	/* no executable memory here: the interpreter runs alone */
	j->code = p;
	j->size = JIT_CODE_SIZE;
	return 0;
}

void jit_destroy(struct jit *j)
{
	if (j->code)
		munmap(j->code, j->size);
	memset(j, 0, sizeof(*j));
}

void jit_reset(struct jit *j)
{
	j->used = 0;
}

int jit_full(const struct jit *j)
{
	return j->code && j->size - j->used < 4096;
}

/* ---- small pieces ---- */

/* The host register holding guest register xr: its cache, or scratch loaded. */
static unsigned get(struct emitter *e, unsigned scratch, unsigned xr)
{
	if (xr == 0) {
		x86_mov_imm(&e->buf, scratch, 0);
		return scratch;
	}
	if (e->host[xr] >= 0)
		return (unsigned)e->host[xr];
	x86_load(&e->buf, true, scratch, REG_H, X_OFF(xr));
	return scratch;
}

/* reg = guest xr (64 bits) */
static void ld_x(struct emitter *e, unsigned reg, unsigned xr)
{
	unsigned r = get(e, reg, xr);

	if (r != reg)
		x86_mov(&e->buf, reg, r);
}

/* reg = low 32 bits of guest xr (upper half of reg cleared or unused) */
static void ld_x32(struct emitter *e, unsigned reg, unsigned xr)
{
	ld_x(e, reg, xr);
}

/* guest xr = reg */
static void st_x(struct emitter *e, unsigned reg, unsigned xr)
{
	if (xr == XREG_SINK)
		return;
	if (e->host[xr] >= 0) {
		if ((unsigned)e->host[xr] != reg)
			x86_mov(&e->buf, (unsigned)e->host[xr], reg);
		e->dirty |= 1ull << xr;
		return;
	}
	x86_store(&e->buf, true, reg, REG_H, X_OFF(xr));
}

/* reg op= guest xr, from its cache register or from memory */
static void alu_x(struct emitter *e, bool w, enum x86_alu op, unsigned reg, unsigned xr)
{
	if (xr == 0)
		x86_alu_imm(&e->buf, w, op, reg, 0);
	else if (e->host[xr] >= 0)
		x86_alu_reg(&e->buf, w, op, reg, (unsigned)e->host[xr]);
	else
		x86_alu_load(&e->buf, w, op, reg, REG_H, X_OFF(xr));
}

static void writeback(struct emitter *e, uint64_t dirty)
{
	unsigned i;

	for (i = 0; i < e->ncached; i++)
		if ((dirty >> e->cached[i]) & 1)
			x86_store(&e->buf, true, cache_regs[i], REG_H, X_OFF(e->cached[i]));
}

static void reload(struct emitter *e)
{
	unsigned i;

	for (i = 0; i < e->ncached; i++)
		x86_load(&e->buf, true, cache_regs[i], REG_H, X_OFF(e->cached[i]));
}

/* rax = block pc + delta */
static void pc_plus(struct emitter *e, unsigned reg, int64_t delta)
{
	x86_mov_imm(&e->buf, reg, (uint64_t)delta);
	x86_alu_reg(&e->buf, true, ALU_ADD, reg, REG_PC);
}

/* write back what 'dirty' says, mov eax, code; jmp epilogue */
static void leave_dirty(struct emitter *e, uint32_t code, uint64_t dirty)
{
	writeback(e, dirty);
	x86_mov_imm(&e->buf, RAX, code);
	if (e->nexits < sizeof(e->exits) / sizeof(e->exits[0]))
		e->exits[e->nexits++] = x86_jmp(&e->buf);
	else
		e->buf.full = true;
}

static void leave(struct emitter *e, uint32_t code)
{
	leave_dirty(e, code, e->dirty);
}

static void retire(struct emitter *e, unsigned n)
{
	if (n)
		x86_alu_mem_imm(&e->buf, true, ALU_ADD, REG_H, INSTRET_OFF, (int32_t)n);
}

/*
 * Leave the trace for the pc in reg with n instructions retired: the C side
 * dispatches from h->pc (and uses the chaining slot for TAKEN / FALL).
 */
static void exit_to(struct emitter *e, unsigned reg, unsigned n, uint32_t code)
{
	x86_store(&e->buf, true, reg, REG_H, PC_OFF);
	retire(e, n);
	leave(e, code);
}

/* ---- integer operations ---- */

static bool alu_op(enum op op, enum x86_alu *alu)
{
	switch (op) {
	case OP_ADD: case OP_ADDI: case OP_ADDW: case OP_ADDIW: *alu = ALU_ADD; return true;
	case OP_SUB: case OP_SUBW: *alu = ALU_SUB; return true;
	case OP_AND: case OP_ANDI: *alu = ALU_AND; return true;
	case OP_OR: case OP_ORI: *alu = ALU_OR; return true;
	case OP_XOR: case OP_XORI: *alu = ALU_XOR; return true;
	default: return false;
	}
}

static bool shift_op(enum op op, enum x86_shift *sh)
{
	switch (op) {
	case OP_SLL: case OP_SLLI: case OP_SLLW: case OP_SLLIW: *sh = SHIFT_SHL; return true;
	case OP_SRL: case OP_SRLI: case OP_SRLW: case OP_SRLIW: *sh = SHIFT_SHR; return true;
	case OP_SRA: case OP_SRAI: case OP_SRAW: case OP_SRAIW: *sh = SHIFT_SAR; return true;
	default: return false;
	}
}

static bool is_word(enum op op)
{
	switch (op) {
	case OP_ADDW: case OP_SUBW: case OP_SLLW: case OP_SRLW: case OP_SRAW:
	case OP_ADDIW: case OP_SLLIW: case OP_SRLIW: case OP_SRAIW: case OP_MULW:
		return true;
	default:
		return false;
	}
}

/* rd = rs1 op rs2 (or imm) for add/sub/and/or/xor and their W forms */
static void emit_alu(struct emitter *e, const struct dinsn *d, enum x86_alu alu, bool imm)
{
	bool w = !is_word(d->op);

	if (w)
		ld_x(e, RAX, d->rs1);
	else
		ld_x32(e, RAX, d->rs1);
	if (imm)
		x86_alu_imm(&e->buf, w, alu, RAX, d->imm);
	else
		alu_x(e, w, alu, RAX, d->rs2);
	if (!w)
		x86_movsxd(&e->buf, RAX, RAX);
	st_x(e, RAX, d->rd);
}

static void emit_shift(struct emitter *e, const struct dinsn *d, enum x86_shift sh, bool imm)
{
	bool w = !is_word(d->op);

	if (!imm)
		ld_x32(e, RCX, d->rs2);	/* x86 masks the count as RISC-V does: 6 / 5 bits */
	if (w)
		ld_x(e, RAX, d->rs1);
	else
		ld_x32(e, RAX, d->rs1);
	if (imm)
		x86_shift_imm(&e->buf, w, sh, RAX, (uint8_t)d->imm);
	else
		x86_shift_cl(&e->buf, w, sh, RAX);
	if (!w)
		x86_movsxd(&e->buf, RAX, RAX);
	st_x(e, RAX, d->rd);
}

static void emit_slt(struct emitter *e, const struct dinsn *d, enum x86_cc cc, bool imm)
{
	ld_x(e, RAX, d->rs1);
	if (imm)
		x86_alu_imm(&e->buf, true, ALU_CMP, RAX, d->imm);
	else
		alu_x(e, true, ALU_CMP, RAX, d->rs2);
	x86_setcc_zx(&e->buf, cc, RAX);
	st_x(e, RAX, d->rd);
}

static void emit_mul(struct emitter *e, const struct dinsn *d)
{
	bool w = d->op != OP_MULW;

	ld_x(e, RAX, d->rs1);
	ld_x(e, RCX, d->rs2);
	switch (d->op) {
	case OP_MUL:
	case OP_MULW:
		x86_imul_reg(&e->buf, w, RAX, RCX);
		if (!w)
			x86_movsxd(&e->buf, RAX, RAX);
		st_x(e, RAX, d->rd);
		break;
	case OP_MULH:
	case OP_MULHU:
		x86_mul_wide_reg(&e->buf, d->op == OP_MULH, RCX);
		st_x(e, RDX, d->rd);
		break;
	default: /* MULHSU: the unsigned high half, less rs2 when rs1 is negative */
		x86_mul_wide_reg(&e->buf, false, RCX);
		ld_x(e, RAX, d->rs1);
		x86_shift_imm(&e->buf, true, SHIFT_SAR, RAX, 63);
		x86_alu_reg(&e->buf, true, ALU_AND, RAX, RCX);
		x86_alu_reg(&e->buf, true, ALU_SUB, RDX, RAX);
		st_x(e, RDX, d->rd);
		break;
	}
}

/* Calls out of generated code: cached registers to memory and back. */
static void call_out(struct emitter *e, const void *fn, uint64_t dirty)
{
	writeback(e, dirty);
	x86_call_abs(&e->buf, fn);
}

static void emit_divide(struct emitter *e, const struct dinsn *d)
{
	ld_x(e, RDI, d->rs1);
	ld_x(e, RSI, d->rs2);
	x86_mov_imm(&e->buf, RDX, d->op);
	call_out(e, (const void *)rv_divide, e->dirty);
	reload(e);
	st_x(e, RAX, d->rd);
}

/* ---- memory ---- */

static unsigned access_size(enum op op, bool *sign, bool *store)
{
	*store = false;
	*sign = true;
	switch (op) {
	case OP_LB: return 1;
	case OP_LH: return 2;
	case OP_LW: return 4;
	case OP_LD: *sign = false; return 8;
	case OP_LBU: *sign = false; return 1;
	case OP_LHU: *sign = false; return 2;
	case OP_LWU: *sign = false; return 4;
	case OP_SB: *store = true; return 1;
	case OP_SH: *store = true; return 2;
	case OP_SW: *store = true; return 4;
	case OP_SD: *store = true; return 8;
	default: return 0;
	}
}

/*
 * rsi = va; rax = the TLB entry; a miss, a tag mismatch or a page-crossing
 * access branches to a stub that calls mmu_load()/mmu_store().
 */
static void emit_mem(struct emitter *e, const struct dinsn *d, unsigned index)
{
	struct stub *st = &e->stubs[e->nstubs];
	bool sign, store;
	unsigned size = access_size(d->op, &sign, &store);
	int32_t tag = store ? (int32_t)offsetof(struct tlb_entry, tag_w) :
			      (int32_t)offsetof(struct tlb_entry, tag_r);

	if (e->nstubs == MAX_STUBS) {
		e->buf.full = true;
		return;
	}
	e->nstubs++;
	*st = (struct stub){ .d = d, .index = index, .size = size, .sign = sign, .store = store,
			     .dirty = e->dirty };
	ld_x(e, RSI, d->rs1);
	if (d->imm)
		x86_lea(&e->buf, RSI, RSI, d->imm);
	/* the entry: ((va >> 12) & (TLB_ENTRIES - 1)) * 32 */
	x86_mov(&e->buf, RAX, RSI);
	x86_shift_imm(&e->buf, true, SHIFT_SHR, RAX, PAGE_SHIFT - 5);
	x86_alu_imm(&e->buf, false, ALU_AND, RAX, (TLB_ENTRIES - 1) << 5);
	x86_alu_reg(&e->buf, true, ALU_ADD, RAX, REG_TLB);
	/* one compare: the page matches and the access is aligned (so within it) */
	x86_mov(&e->buf, RDX, RSI);
	x86_alu_imm(&e->buf, true, ALU_AND, RDX, (int32_t)(PAGE_MASK | (size - 1)));
	x86_alu_load(&e->buf, true, ALU_CMP, RDX, RAX, tag);
	st->jumps[0] = x86_jcc(&e->buf, CC_NE);
	x86_load(&e->buf, true, RAX, RAX, (int32_t)offsetof(struct tlb_entry, addend));
	if (store) {
		ld_x(e, RCX, d->rs2);
		x86_store_index(&e->buf, RCX, RAX, RSI, size);
	} else {
		x86_load_index(&e->buf, RCX, RAX, RSI, size, sign);
		st_x(e, RCX, d->rd);
	}
	st->resume = e->buf.p;
}

static void emit_stub(struct emitter *e, const struct stub *st)
{
	uint8_t *fail;

	x86_patch(st->jumps[0], e->buf.p);
	x86_patch(st->jumps[1], e->buf.p);
	writeback(e, st->dirty);
	x86_mov(&e->buf, RDI, REG_H);
	x86_mov_imm(&e->buf, RDX, st->size);
	if (st->store) {
		ld_x(e, RCX, st->d->rs2);
		x86_call_abs(&e->buf, (const void *)mmu_store);
	} else {
		x86_lea(&e->buf, RCX, RSP, SCRATCH);
		x86_call_abs(&e->buf, (const void *)mmu_load);
	}
	x86_test_al(&e->buf);
	fail = x86_jcc(&e->buf, CC_E);
	reload(e);
	if (!st->store) {
		x86_load(&e->buf, true, RCX, RSP, SCRATCH);
		x86_extend(&e->buf, RCX, st->size, st->sign);
		st_x(e, RCX, st->d->rd);
	}
	x86_patch(x86_jmp(&e->buf), st->resume);
	x86_patch(fail, e->buf.p);
	/* the faulting instruction's pc; the ones before it retired */
	pc_plus(e, RAX, st->d->off);
	x86_store(&e->buf, true, RAX, REG_H, PC_OFF);
	retire(e, st->index);
	leave_dirty(e, JIT_EXC, 0);	/* written back before the call */
}

/* ---- control flow ---- */

static enum x86_cc branch_not_taken(enum op op)
{
	switch (op) {
	case OP_BEQ: return CC_NE;
	case OP_BNE: return CC_E;
	case OP_BLT: return CC_GE;
	case OP_BGE: return CC_L;
	case OP_BLTU: return CC_AE;
	default: return CC_B;	/* BGEU */
	}
}

/* Exits at b's own final branch feed its chaining slots; others just dispatch. */
static uint32_t slot_code(const struct emitter *e, unsigned j, uint32_t code)
{
	return j + 1 == e->b->ninsns ? code : JIT_JUMP;
}

/*
 * A branch back to the trace's start: loop inside the generated code, with
 * everything written back (the loop head assumes nothing dirty), unless an
 * interrupt, a stop or the timer check is due.
 */
static void back_edge(struct emitter *e, unsigned j)
{
	uint8_t *due[2];

	writeback(e, e->dirty);
	retire(e, j + 1);
	x86_alu_mem_imm(&e->buf, false, ALU_CMP, REG_H, EXIT_REQ_OFF, 0);
	due[0] = x86_jcc(&e->buf, CC_NE);
	x86_load(&e->buf, true, RAX, REG_H, INSTRET_OFF);
	x86_alu_load(&e->buf, true, ALU_CMP, RAX, REG_H, CHECK_AT_OFF);
	due[1] = x86_jcc(&e->buf, CC_AE);
	x86_patch(x86_jmp(&e->buf), e->loop_head);
	x86_patch(due[0], e->buf.p);
	x86_patch(due[1], e->buf.p);
	x86_store(&e->buf, true, REG_PC, REG_H, PC_OFF);
	leave_dirty(e, slot_code(e, j, JIT_TAKEN), 0);
}

/* The taken side of a branch or jump at trace position j to block offset target. */
static void emit_taken(struct emitter *e, unsigned j, int64_t target)
{
	if (target == 0) {
		back_edge(e, j);
		return;
	}
	pc_plus(e, RAX, target);
	exit_to(e, RAX, j + 1, slot_code(e, j, JIT_TAKEN));
}

static void emit_branch(struct emitter *e, const struct dinsn *d, unsigned j, bool continues)
{
	uint8_t *not_taken;

	ld_x(e, RAX, d->rs1);
	alu_x(e, true, ALU_CMP, RAX, d->rs2);
	not_taken = x86_jcc(&e->buf, branch_not_taken(d->op));
	emit_taken(e, j, (int64_t)d->off + d->imm);
	x86_patch(not_taken, e->buf.p);
	if (continues)
		return;		/* the trace goes on with the next instruction */
	pc_plus(e, RAX, (int64_t)d->off + d->len);
	exit_to(e, RAX, j + 1, slot_code(e, j, JIT_FALL));
}

static void emit_jump(struct emitter *e, const struct dinsn *d, unsigned j)
{
	if (d->op == OP_JALR) {
		ld_x(e, RCX, d->rs1);
		if (d->imm)
			x86_lea(&e->buf, RCX, RCX, d->imm);
		x86_alu_imm(&e->buf, true, ALU_AND, RCX, -2);
	}
	pc_plus(e, RAX, (int64_t)d->off + d->len);
	st_x(e, RAX, d->rd);
	if (d->op == OP_JALR)
		exit_to(e, RCX, j + 1, JIT_JUMP);
	else
		emit_taken(e, j, (int64_t)d->off + d->imm);
}

/*
 * Emit d, the trace's j-th instruction (j instructions run before it); for a
 * conditional branch, 'continues' says the trace goes on where it falls through.
 * False when the JIT does not cover it.
 */
static bool emit_insn(struct emitter *e, const struct dinsn *d, unsigned j, bool continues)
{
	enum op op = (enum op)d->op;
	enum x86_shift sh;
	enum x86_alu alu;
	bool sign, store;

	if (alu_op(op, &alu)) {
		emit_alu(e, d, alu, op == OP_ADDI || op == OP_ADDIW || op == OP_ANDI ||
			 op == OP_ORI || op == OP_XORI);
		return true;
	}
	if (shift_op(op, &sh)) {
		emit_shift(e, d, sh, op == OP_SLLI || op == OP_SRLI || op == OP_SRAI ||
			   op == OP_SLLIW || op == OP_SRLIW || op == OP_SRAIW);
		return true;
	}
	if (access_size(op, &sign, &store)) {
		emit_mem(e, d, j);
		return true;
	}
	switch (op) {
	case OP_NOP:
		return true;
	case OP_FENCE:
		/* TSO orders all but a store before a later load: that one takes MFENCE */
		if (d->imm && e->smp) {
			x86_byte(&e->buf, 0x0f);
			x86_byte(&e->buf, 0xae);
			x86_byte(&e->buf, 0xf0);
		}
		return true;
	case OP_LUI:
		x86_mov_imm(&e->buf, RAX, (uint64_t)(int64_t)d->imm);
		st_x(e, RAX, d->rd);
		return true;
	case OP_AUIPC:
		pc_plus(e, RAX, (int64_t)d->off + d->imm);
		st_x(e, RAX, d->rd);
		return true;
	case OP_SLT: emit_slt(e, d, CC_L, false); return true;
	case OP_SLTU: emit_slt(e, d, CC_B, false); return true;
	case OP_SLTI: emit_slt(e, d, CC_L, true); return true;
	case OP_SLTIU: emit_slt(e, d, CC_B, true); return true;
	case OP_MUL: case OP_MULW: case OP_MULH: case OP_MULHU: case OP_MULHSU:
		emit_mul(e, d);
		return true;
	case OP_DIV: case OP_DIVU: case OP_REM: case OP_REMU:
	case OP_DIVW: case OP_DIVUW: case OP_REMW: case OP_REMUW:
		emit_divide(e, d);
		return true;
	case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU:
		emit_branch(e, d, j, continues);
		return true;
	case OP_JAL:
	case OP_JALR:
		emit_jump(e, d, j);
		return true;
	case OP_END:	/* not an instruction: j ran */
		pc_plus(e, RAX, d->off);
		exit_to(e, RAX, j, j == e->b->ninsns ? JIT_FALL : JIT_JUMP);
		return true;
	default:
		return false;
	}
}

/* Callee-saved registers the block uses: r12-r14 always, the cache's others. */
static unsigned saved_regs(const struct emitter *e, uint8_t *regs)
{
	unsigned n = 0, i;

	regs[n++] = R12;
	regs[n++] = R13;
	regs[n++] = R14;
	for (i = NCALLER_SAVED; i < e->ncached; i++)
		regs[n++] = cache_regs[i];
	return n;
}

/* scratch space, keeping rsp 16-byte aligned for calls */
static int32_t frame_size(unsigned pushes)
{
	return (pushes & 1) ? 16 : 24;	/* entry rsp is 8 mod 16 */
}

static void prologue(struct emitter *e)
{
	uint8_t regs[8];
	unsigned n = saved_regs(e, regs), i;

	for (i = 0; i < n; i++)
		x86_push(&e->buf, regs[i]);
	x86_alu_imm(&e->buf, true, ALU_SUB, RSP, frame_size(n));
	x86_mov(&e->buf, REG_H, RDI);
	x86_load(&e->buf, true, REG_TLB, REG_H, (int32_t)offsetof(struct hart, dtlb));
	x86_mov(&e->buf, REG_PC, RSI);
	reload(e);
}

static void epilogue(struct emitter *e)
{
	uint8_t regs[8];
	unsigned n = saved_regs(e, regs), i;

	for (i = 0; i < e->nexits; i++)
		x86_patch(e->exits[i], e->buf.p);
	x86_alu_imm(&e->buf, true, ALU_ADD, RSP, frame_size(n));
	for (i = n; i-- > 0;)
		x86_pop(&e->buf, regs[i]);
	x86_ret(&e->buf);
}

/* Does emit_insn() cover op? */
static bool covered(enum op op)
{
	enum x86_shift sh;
	enum x86_alu alu;
	bool sign, store;

	if (alu_op(op, &alu) || shift_op(op, &sh) || access_size(op, &sign, &store))
		return true;
	switch (op) {
	case OP_NOP: case OP_FENCE: case OP_LUI: case OP_AUIPC:
	case OP_SLT: case OP_SLTU: case OP_SLTI: case OP_SLTIU:
	case OP_MUL: case OP_MULW: case OP_MULH: case OP_MULHU: case OP_MULHSU:
	case OP_DIV: case OP_DIVU: case OP_REM: case OP_REMU:
	case OP_DIVW: case OP_DIVUW: case OP_REMW: case OP_REMUW:
	case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU:
	case OP_JAL: case OP_JALR: case OP_END:
		return true;
	default:
		return false;
	}
}

/*
 * Give the most used guest registers of the compiled part of the trace a host
 * register each (decode() leaves fields an instruction does not use at 0).
 */
static void plan_cache(struct emitter *e)
{
	unsigned count[XREG_SINK] = { 0 }, i, k;

	memset(e->host, -1, sizeof(e->host));
	for (i = 0; i < e->ntrace && covered((enum op)e->trace[i].op); i++) {
		const struct dinsn *d = &e->trace[i];

		if (d->rd < XREG_SINK)
			count[d->rd]++;
		count[d->rs1]++;
		count[d->rs2]++;
	}
	count[0] = 0;
	for (k = 0; k < NCACHE; k++) {
		unsigned best = 0;

		for (i = 1; i < XREG_SINK; i++)
			if (count[i] > count[best])
				best = i;
		if (count[best] < 2)
			break;
		e->host[best] = (int8_t)cache_regs[k];
		e->cached[e->ncached++] = (uint8_t)best;
		count[best] = 0;
	}
}

static bool is_cond_branch(enum op op)
{
	return op >= OP_BEQ && op <= OP_BGEU;
}

/*
 * The path to compile: b's instructions, then, while the last one is a
 * conditional branch, on where it falls through (decoded from the same page,
 * which is a code page: a store to it drops b and this code with it). The
 * entry after the last instruction is an OP_END at the next offset.
 */
static void build_trace(struct emitter *e)
{
	const struct block *b = e->b;
	uintptr_t page_end = (b->host_pc & PAGE_MASK) + PAGE_SIZE;
	unsigned n = b->ninsns;
	uint32_t off;

	memcpy(e->trace, b->ins, (n + 1) * sizeof(struct dinsn));
	e->ntrace = n;
	if (b->ins[n].op != OP_END || !is_cond_branch((enum op)b->ins[n - 1].op))
		return;		/* the block did not end at a conditional branch */
	off = b->ins[n].off;
	while (e->ntrace < MAX_TRACE) {
		uintptr_t p = b->host_pc + off;
		struct dinsn *d = &e->trace[e->ntrace];
		uint32_t raw;

		if (p + 2 > page_end)
			break;
		raw = *(const uint16_t *)p;
		if (insn_length((uint16_t)raw) == 4) {
			if (p + 4 > page_end)
				break;
			raw |= (uint32_t)*(const uint16_t *)(p + 2) << 16;
		}
		decode_isa(raw, d, e->isa);
		d->off = (uint16_t)off;
		off += d->len;
		e->ntrace++;
		if (op_ends_block((enum op)d->op) && !is_cond_branch((enum op)d->op))
			break;
		if (off > UINT16_MAX - 4)
			break;
	}
	memset(&e->trace[e->ntrace], 0, sizeof(e->trace[0]));
	e->trace[e->ntrace].op = OP_END;
	e->trace[e->ntrace].off = (uint16_t)off;
}

/* The trace's j-th instruction is not compiled: hand over from there. */
static void emit_uncovered(struct emitter *e, unsigned j)
{
	if (j < e->b->ninsns) {
		leave(e, j);	/* the interpreter goes on in the block */
		return;
	}
	pc_plus(e, RAX, e->trace[j].off);
	exit_to(e, RAX, j, JIT_JUMP);
}

jit_fn jit_compile(struct jit *j, const struct block *b)
{
	struct emitter e;	/* ~20 KiB on the vCPU thread's stack */
	uint8_t *start;
	unsigned i, n;

	if (!j->code || jit_full(j))
		return NULL;
	if (!covered((enum op)b->ins[0].op)) {
		j->refused++;
		return NULL;
	}
	memset(&e, 0, offsetof(struct emitter, trace));
	memset(&e.nstubs, 0, sizeof(e) - offsetof(struct emitter, nstubs));
	e.b = b;
	e.isa = j->isa;
	e.smp = j->smp;
	start = j->code + j->used;
	e.buf = (struct x86_buf){ start, j->code + j->size, false };
	build_trace(&e);
	plan_cache(&e);
	prologue(&e);
	e.loop_head = e.buf.p;
	for (i = 0; i <= e.ntrace; i++) {
		const struct dinsn *d = &e.trace[i];
		bool continues = i + 1 < e.ntrace;

		if (!covered((enum op)d->op)) {
			emit_uncovered(&e, i);
			break;
		}
		emit_insn(&e, d, i, continues);
		if (d->op == OP_END ||
		    (op_ends_block((enum op)d->op) && !(is_cond_branch((enum op)d->op) && continues)))
			break;
	}
	/* a slow path per memory access, after the hot code */
	n = e.nstubs;
	for (i = 0; i < n; i++)
		emit_stub(&e, &e.stubs[i]);
	epilogue(&e);
	if (e.buf.full) {
		j->used = j->size;	/* the next flush makes room */
		return NULL;
	}
	j->used = (size_t)(e.buf.p - j->code + JIT_ALIGN - 1) & ~(size_t)(JIT_ALIGN - 1);
	j->compiled++;
	return (jit_fn)(void *)start;
}
