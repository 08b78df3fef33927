/*
 * Assembler macros for the suites' start-up files: the trap entry of one
 * privilege level and run_in_mode() for the level the runtime runs at.
 * `lvl` is m or s and names the level's CSRs (\lvl\()scratch, \lvl\()epc,
 * ...) and its trap stack, __<lvl>_trap_stack_top. Include after trap.h.
 * Everything is PC-relative (lla), so it runs wherever it was loaded.
 */

/*
 * Switch to the level's trap stack, keeping the interrupted sp in xscratch,
 * and go on to the save with t0 = the vector slot (-1: direct entry).
 */
.macro TRAP_ENTER lvl, vec
	csrw	\lvl\()scratch, sp
	lla	sp, __\lvl\()_trap_stack_top
	addi	sp, sp, -TF_SIZE
	sd	t0, TF_X(5)(sp)
	li	t0, \vec
	j	trap_save_\lvl
.endm

/*
 * trap_entry_<lvl>: the direct entry (xtvec mode 0). The trap is saved into
 * a struct trap_frame (trap.h) and handed to trap_dispatch(), which may
 * change its epc and status before they are restored.
 */
.macro TRAP_ENTRY lvl, prv
	.text
	.balign 4
	.globl trap_entry_\lvl
trap_entry_\lvl:
	TRAP_ENTER \lvl, -1
trap_save_\lvl:
	sd	t0, TF_VECTOR(sp)
	.irp n, 1,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\n, TF_X(\n)(sp)
	.endr
	csrr	t0, \lvl\()scratch
	sd	t0, TF_X(2)(sp)
	csrr	t0, \lvl\()epc
	sd	t0, TF_EPC(sp)
	csrr	t0, \lvl\()cause
	sd	t0, TF_CAUSE(sp)
	csrr	t0, \lvl\()tval
	sd	t0, TF_TVAL(sp)
	csrr	t0, \lvl\()status
	sd	t0, TF_STATUS(sp)
	li	t0, \prv
	sd	t0, TF_LEVEL(sp)
	mv	a0, sp
	call	trap_dispatch
	ld	t0, TF_EPC(sp)
	csrw	\lvl\()epc, t0
	ld	t0, TF_STATUS(sp)
	csrw	\lvl\()status, t0
	.irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\n, TF_X(\n)(sp)
	.endr
	ld	sp, TF_X(2)(sp)
	\lvl\()ret
.endm

/*
 * trap_vector_<lvl>: a vector table (xtvec mode 1), slot n at BASE + 4n;
 * each slot records its number in the frame, so tests can check where a
 * vectored trap went. Goes with TRAP_ENTRY of the same level.
 */
.macro TRAP_VECTORS lvl
	.text
	.balign 256
	.globl trap_vector_\lvl
trap_vector_\lvl:
	.option push
	.option norvc
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	j	vslot_\lvl\()_\n
	.endr
	.option pop
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
vslot_\lvl\()_\n:
	TRAP_ENTER \lvl, \n
	.endr
.endm

/*
 * run_in_mode()'s saved context: ra, sp, gp, tp and s0-s11 in the first 16
 * dwords, then the caller's xstatus.
 */
#define MODE_CTX_STATUS	(16 * 8)
#define MODE_CTX_SIZE	(17 * 8)

/* The context's registers to or from the dwords at t0 (op: sd or ld) */
.macro MODE_CTX op
	.set	.Lmode_ctx_off, 0
	.irp r, ra, sp, gp, tp, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11
	\op	\r, .Lmode_ctx_off(t0)
	.set	.Lmode_ctx_off, .Lmode_ctx_off + 8
	.endr
.endm

/*
 * long run_in_mode(int mode, long (*fn)(long), long arg) (trap.h), for a
 * runtime at level lvl, whose xstatus has the enable bit `ie`, the previous
 * enable `pie` (ie << 4 at both levels) and the previous privilege field
 * `pp` at `pp_shift`: fn(arg) is entered by xret with xPP = mode and
 * xPIE = xIE, on the current stack. It returns by an ecall
 * (ECALL_MODE_RETURN), whose trap_dispatch() calls mode_return(result),
 * back to run_in_mode's caller with the callee-saved registers and xIE as
 * they were. Calls do not nest.
 */
.macro RUN_IN_MODE lvl, ie, pie, pp, pp_shift
	.text
	.globl run_in_mode
run_in_mode:
	lla	t0, mode_ctx
	MODE_CTX sd
	csrr	t1, \lvl\()status
	sd	t1, MODE_CTX_STATUS(t0)
	/* xPIE = xIE, so that fn runs with the caller's enable */
	andi	t1, t1, \ie
	slli	t1, t1, 4
	li	t2, \pie | \pp
	csrc	\lvl\()status, t2
	csrs	\lvl\()status, t1
	andi	a0, a0, \pp >> \pp_shift
	slli	a0, a0, \pp_shift
	csrs	\lvl\()status, a0
	lla	t1, mode_entry
	csrw	\lvl\()epc, t1
	mv	a0, a2
	\lvl\()ret
mode_entry:
	jalr	a1
	li	a7, ECALL_MODE_RETURN
	ecall
	j	.

	.globl mode_return
mode_return:
	lla	t0, mode_ctx
	MODE_CTX ld
	/* xIE as it was before the call; the other bits as the trap left them */
	ld	t1, MODE_CTX_STATUS(t0)
	li	t2, \ie
	and	t1, t1, t2
	csrc	\lvl\()status, t2
	csrs	\lvl\()status, t1
	ret

	.bss
	.balign 8
mode_ctx:
	.space	MODE_CTX_SIZE
.endm
