/*
 * A tiny x86-64 assembler for the JIT: only the instruction forms jit.c
 * emits, each written out from the Intel SDM's encoding tables. Emitters
 * never write past the end of the buffer; they set 'full' instead.
 */
#ifndef ACCEL_EMU_JIT_X86_64_ASM_H
#define ACCEL_EMU_JIT_X86_64_ASM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum x86_reg {
	RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
};

/* condition codes (the low nibble of Jcc / SETcc) */
enum x86_cc {
	CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_BE = 0x6, CC_A = 0x7,
	CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf,
};

/* group-1 ALU operations: the /digit of 81 and the opcode base of the r, r/m forms */
enum x86_alu {
	ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7,
};

/* shift operations: the /digit of D3 and C1 */
enum x86_shift {
	SHIFT_SHL = 4, SHIFT_SHR = 5, SHIFT_SAR = 7,
};

struct x86_buf {
	uint8_t *p, *end;
	bool full;
};

static inline void x86_byte(struct x86_buf *b, uint8_t v)
{
	if (b->p < b->end)
		*b->p++ = v;
	else
		b->full = true;
}

static inline void x86_u32(struct x86_buf *b, uint32_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		x86_byte(b, (uint8_t)(v >> (8 * i)));
}

static inline void x86_u64(struct x86_buf *b, uint64_t v)
{
	x86_u32(b, (uint32_t)v);
	x86_u32(b, (uint32_t)(v >> 32));
}

/* REX prefix; 'force' for byte registers spl/bpl/sil/dil */
static inline void x86_rex(struct x86_buf *b, bool w, unsigned reg, unsigned index,
			   unsigned base, bool force)
{
	uint8_t r = (uint8_t)(0x40 | (w << 3) | ((reg >> 3) << 2) | ((index >> 3) << 1) |
			      (base >> 3));

	if (r != 0x40 || force)
		x86_byte(b, r);
}

/* ModRM (+SIB, +disp) for [base + disp]; reg is the /r or /digit field */
static inline void x86_mem(struct x86_buf *b, unsigned reg, unsigned base, int32_t disp)
{
	bool d8 = disp >= -128 && disp <= 127;

	x86_byte(b, (uint8_t)((d8 ? 0x40 : 0x80) | ((reg & 7) << 3) | (base & 7)));
	if ((base & 7) == RSP)
		x86_byte(b, 0x24);	/* SIB: base only */
	if (d8)
		x86_byte(b, (uint8_t)disp);
	else
		x86_u32(b, (uint32_t)disp);
}

/* ModRM + SIB for [base + index] (scale 1, no displacement) */
static inline void x86_mem_index(struct x86_buf *b, unsigned reg, unsigned base, unsigned index)
{
	/* base rbp/r13 cannot go without a displacement: use disp8 0 */
	bool d8 = (base & 7) == RBP;

	x86_byte(b, (uint8_t)((d8 ? 0x40 : 0x00) | ((reg & 7) << 3) | 4));
	x86_byte(b, (uint8_t)(((index & 7) << 3) | (base & 7)));
	if (d8)
		x86_byte(b, 0);
}

static inline void x86_modrm_reg(struct x86_buf *b, unsigned reg, unsigned rm)
{
	x86_byte(b, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* mov r64, [base + disp] (w) or mov r32, [base + disp] (!w) */
static inline void x86_load(struct x86_buf *b, bool w, unsigned reg, unsigned base, int32_t disp)
{
	x86_rex(b, w, reg, 0, base, false);
	x86_byte(b, 0x8b);
	x86_mem(b, reg, base, disp);
}

/* mov [base + disp], r64 / r32 */
static inline void x86_store(struct x86_buf *b, bool w, unsigned reg, unsigned base, int32_t disp)
{
	x86_rex(b, w, reg, 0, base, false);
	x86_byte(b, 0x89);
	x86_mem(b, reg, base, disp);
}

/* mov dst, src (64-bit) */
static inline void x86_mov(struct x86_buf *b, unsigned dst, unsigned src)
{
	x86_rex(b, true, src, 0, dst, false);
	x86_byte(b, 0x89);
	x86_modrm_reg(b, src, dst);
}

/* mov r64, imm64 (shorter forms when the value allows) */
static inline void x86_mov_imm(struct x86_buf *b, unsigned reg, uint64_t v)
{
	if (v <= UINT32_MAX) {			/* mov r32, imm32 zero-extends */
		x86_rex(b, false, 0, 0, reg, false);
		x86_byte(b, (uint8_t)(0xb8 | (reg & 7)));
		x86_u32(b, (uint32_t)v);
	} else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
		x86_rex(b, true, 0, 0, reg, false);	/* mov r/m64, simm32 */
		x86_byte(b, 0xc7);
		x86_modrm_reg(b, 0, reg);
		x86_u32(b, (uint32_t)v);
	} else {
		x86_rex(b, true, 0, 0, reg, false);
		x86_byte(b, (uint8_t)(0xb8 | (reg & 7)));
		x86_u64(b, v);
	}
}

/* op reg, [base + disp]: 03 add, 0b or, 23 and, 2b sub, 33 xor, 3b cmp */
static inline void x86_alu_load(struct x86_buf *b, bool w, enum x86_alu op, unsigned reg,
				unsigned base, int32_t disp)
{
	x86_rex(b, w, reg, 0, base, false);
	x86_byte(b, (uint8_t)((op << 3) | 3));
	x86_mem(b, reg, base, disp);
}

/* op qword/dword [base + disp], simm32 */
static inline void x86_alu_mem_imm(struct x86_buf *b, bool w, enum x86_alu op, unsigned base,
				   int32_t disp, int32_t imm)
{
	x86_rex(b, w, 0, 0, base, false);
	if (imm >= -128 && imm <= 127) {
		x86_byte(b, 0x83);
		x86_mem(b, op, base, disp);
		x86_byte(b, (uint8_t)imm);
	} else {
		x86_byte(b, 0x81);
		x86_mem(b, op, base, disp);
		x86_u32(b, (uint32_t)imm);
	}
}

/* op reg, reg2 */
static inline void x86_alu_reg(struct x86_buf *b, bool w, enum x86_alu op, unsigned reg,
			       unsigned reg2)
{
	x86_rex(b, w, reg, 0, reg2, false);
	x86_byte(b, (uint8_t)((op << 3) | 3));
	x86_modrm_reg(b, reg, reg2);
}

/* op reg, simm32 */
static inline void x86_alu_imm(struct x86_buf *b, bool w, enum x86_alu op, unsigned reg, int32_t imm)
{
	x86_rex(b, w, 0, 0, reg, false);
	if (imm >= -128 && imm <= 127) {
		x86_byte(b, 0x83);
		x86_modrm_reg(b, op, reg);
		x86_byte(b, (uint8_t)imm);
	} else {
		x86_byte(b, 0x81);
		x86_modrm_reg(b, op, reg);
		x86_u32(b, (uint32_t)imm);
	}
}

/* shl/shr/sar reg, cl */
static inline void x86_shift_cl(struct x86_buf *b, bool w, enum x86_shift op, unsigned reg)
{
	x86_rex(b, w, 0, 0, reg, false);
	x86_byte(b, 0xd3);
	x86_modrm_reg(b, op, reg);
}

/* shl/shr/sar reg, imm8 */
static inline void x86_shift_imm(struct x86_buf *b, bool w, enum x86_shift op, unsigned reg,
				 uint8_t n)
{
	x86_rex(b, w, 0, 0, reg, false);
	x86_byte(b, 0xc1);
	x86_modrm_reg(b, op, reg);
	x86_byte(b, n);
}

/* imul reg, [base + disp] */
static inline void x86_imul_load(struct x86_buf *b, bool w, unsigned reg, unsigned base,
				 int32_t disp)
{
	x86_rex(b, w, reg, 0, base, false);
	x86_byte(b, 0x0f);
	x86_byte(b, 0xaf);
	x86_mem(b, reg, base, disp);
}

/* imul reg, reg2 */
static inline void x86_imul_reg(struct x86_buf *b, bool w, unsigned reg, unsigned reg2)
{
	x86_rex(b, w, reg, 0, reg2, false);
	x86_byte(b, 0x0f);
	x86_byte(b, 0xaf);
	x86_modrm_reg(b, reg, reg2);
}

/* mul / imul reg (64-bit): rdx:rax = rax * reg */
static inline void x86_mul_wide_reg(struct x86_buf *b, bool is_signed, unsigned reg)
{
	x86_rex(b, true, 0, 0, reg, false);
	x86_byte(b, 0xf7);
	x86_modrm_reg(b, is_signed ? 5 : 4, reg);
}

/* mul / imul qword [base + disp]: rdx:rax = rax * m (digit 4 unsigned, 5 signed) */
static inline void x86_mul_wide(struct x86_buf *b, bool is_signed, unsigned base, int32_t disp)
{
	x86_rex(b, true, 0, 0, base, false);
	x86_byte(b, 0xf7);
	x86_mem(b, is_signed ? 5 : 4, base, disp);
}

/* movsxd r64, r32 */
static inline void x86_movsxd(struct x86_buf *b, unsigned dst, unsigned src)
{
	x86_rex(b, true, dst, 0, src, false);
	x86_byte(b, 0x63);
	x86_modrm_reg(b, dst, src);
}

/* setcc r8 then movzx r32, r8 */
static inline void x86_setcc_zx(struct x86_buf *b, enum x86_cc cc, unsigned reg)
{
	x86_rex(b, false, 0, 0, reg, reg >= RSP);
	x86_byte(b, 0x0f);
	x86_byte(b, (uint8_t)(0x90 | cc));
	x86_modrm_reg(b, 0, reg);
	x86_rex(b, false, reg, 0, reg, reg >= RSP);
	x86_byte(b, 0x0f);
	x86_byte(b, 0xb6);
	x86_modrm_reg(b, reg, reg);
}

/* lea reg, [base + disp] */
static inline void x86_lea(struct x86_buf *b, unsigned reg, unsigned base, int32_t disp)
{
	x86_rex(b, true, reg, 0, base, false);
	x86_byte(b, 0x8d);
	x86_mem(b, reg, base, disp);
}

/*
 * Loads from [base + index] into reg: size 1/2/4/8 bytes, sign- or
 * zero-extended to 64 bits.
 */
static inline void x86_load_index(struct x86_buf *b, unsigned reg, unsigned base, unsigned index,
				  unsigned size, bool sign)
{
	switch (size) {
	case 1:
	case 2:
		x86_rex(b, sign, reg, index, base, false);
		x86_byte(b, 0x0f);
		x86_byte(b, (uint8_t)((sign ? 0xbe : 0xb6) | (size == 2)));
		break;
	case 4:
		x86_rex(b, sign, reg, index, base, false);
		x86_byte(b, sign ? 0x63 : 0x8b);	/* movsxd r64 / mov r32 (zero-extends) */
		break;
	default:
		x86_rex(b, true, reg, index, base, false);
		x86_byte(b, 0x8b);
		break;
	}
	x86_mem_index(b, reg, base, index);
}

/* Stores the low size bytes of reg to [base + index]. */
static inline void x86_store_index(struct x86_buf *b, unsigned reg, unsigned base, unsigned index,
				   unsigned size)
{
	if (size == 2)
		x86_byte(b, 0x66);
	x86_rex(b, size == 8, reg, index, base, size == 1 && reg >= RSP);
	x86_byte(b, size == 1 ? 0x88 : 0x89);
	x86_mem_index(b, reg, base, index);
}

/* Extend the low size bytes of reg in place (sign or zero) to 64 bits. */
static inline void x86_extend(struct x86_buf *b, unsigned reg, unsigned size, bool sign)
{
	switch (size) {
	case 1:
	case 2:
		x86_rex(b, sign, reg, 0, reg, size == 1 && reg >= RSP);
		x86_byte(b, 0x0f);
		x86_byte(b, (uint8_t)((sign ? 0xbe : 0xb6) | (size == 2)));
		x86_modrm_reg(b, reg, reg);
		break;
	case 4:
		if (sign) {
			x86_movsxd(b, reg, reg);
		} else {
			x86_rex(b, false, reg, 0, reg, false);	/* mov r32, r32 */
			x86_byte(b, 0x89);
			x86_modrm_reg(b, reg, reg);
		}
		break;
	default:
		break;
	}
}

static inline void x86_push(struct x86_buf *b, unsigned reg)
{
	x86_rex(b, false, 0, 0, reg, false);
	x86_byte(b, (uint8_t)(0x50 | (reg & 7)));
}

static inline void x86_pop(struct x86_buf *b, unsigned reg)
{
	x86_rex(b, false, 0, 0, reg, false);
	x86_byte(b, (uint8_t)(0x58 | (reg & 7)));
}

static inline void x86_ret(struct x86_buf *b)
{
	x86_byte(b, 0xc3);
}

/* call an absolute address through rax */
static inline void x86_call_abs(struct x86_buf *b, const void *fn)
{
	x86_mov_imm(b, RAX, (uint64_t)(uintptr_t)fn);
	x86_byte(b, 0xff);
	x86_byte(b, 0xd0);
}

/* test al, al */
static inline void x86_test_al(struct x86_buf *b)
{
	x86_byte(b, 0x84);
	x86_byte(b, 0xc0);
}

/* Jcc / JMP rel32: return the position of the displacement to patch */
static inline uint8_t *x86_jcc(struct x86_buf *b, enum x86_cc cc)
{
	x86_byte(b, 0x0f);
	x86_byte(b, (uint8_t)(0x80 | cc));
	x86_u32(b, 0);
	return b->full ? NULL : b->p - 4;
}

static inline uint8_t *x86_jmp(struct x86_buf *b)
{
	x86_byte(b, 0xe9);
	x86_u32(b, 0);
	return b->full ? NULL : b->p - 4;
}

/* Point the rel32 at 'at' to 'target'. */
static inline void x86_patch(uint8_t *at, const uint8_t *target)
{
	int32_t rel;

	if (!at)
		return;
	rel = (int32_t)(target - (at + 4));
	memcpy(at, &rel, sizeof(rel));
}

#endif
