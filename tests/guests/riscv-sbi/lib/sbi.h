/*
 * The Supervisor Binary Interface as a kernel calls it: extension and
 * function ids, error codes, and the ecall (a7 = EID, a6 = FID, a0..a5 in;
 * a0 = error, a1 = value out; every other register preserved).
 */
#ifndef GUEST_SBI_SBI_H
#define GUEST_SBI_SBI_H

#include <stdint.h>

/* v0.1 (legacy) extensions: the result comes back in a0 only */
#define SBI_LEGACY_SET_TIMER	0x00
#define SBI_LEGACY_PUTCHAR	0x01
#define SBI_LEGACY_GETCHAR	0x02
#define SBI_LEGACY_SHUTDOWN	0x08

#define SBI_EXT_BASE	0x10
#define SBI_EXT_TIME	0x54494d45	/* "TIME" */
#define SBI_EXT_IPI	0x735049	/* "sPI" */
#define SBI_EXT_RFENCE	0x52464e43	/* "RFNC" */
#define SBI_EXT_HSM	0x48534d	/* "HSM" */
#define SBI_EXT_SRST	0x53525354	/* "SRST" */
#define SBI_EXT_PMU	0x504d55	/* "PMU" */
#define SBI_EXT_DBCN	0x4442434e	/* "DBCN" */
#define SBI_EXT_MADE_UP	0x0badcafe	/* no such extension */

/* BASE functions */
#define SBI_BASE_GET_SPEC_VERSION	0
#define SBI_BASE_GET_IMPL_ID		1
#define SBI_BASE_GET_IMPL_VERSION	2
#define SBI_BASE_PROBE_EXTENSION	3
#define SBI_BASE_GET_MVENDORID		4
#define SBI_BASE_GET_MARCHID		5
#define SBI_BASE_GET_MIMPID		6

#define SBI_TIME_SET_TIMER		0
#define SBI_IPI_SEND_IPI		0

#define SBI_RFENCE_FENCE_I		0
#define SBI_RFENCE_SFENCE_VMA		1
#define SBI_RFENCE_SFENCE_VMA_ASID	2
#define SBI_RFENCE_HFENCE_GVMA_VMID	3

#define SBI_HSM_HART_START		0
#define SBI_HSM_HART_STOP		1
#define SBI_HSM_HART_GET_STATUS		2
#define SBI_HSM_HART_SUSPEND		3
#define SBI_HSM_STATE_STARTED		0
#define SBI_HSM_SUSPEND_RETENTIVE	0x00000000u
#define SBI_HSM_SUSPEND_RESERVED	0x00000001u	/* 0x00000001-0x0fffffff reserved */
#define SBI_HSM_SUSPEND_PLAT_RET	0x10000000u	/* platform-specific retentive */
#define SBI_HSM_SUSPEND_NON_RETENTIVE	0x80000000u

#define SBI_SRST_RESET			0
#define SBI_SRST_SHUTDOWN		0
#define SBI_SRST_COLD_REBOOT		1
#define SBI_SRST_WARM_REBOOT		2
#define SBI_SRST_TYPE_RESERVED		3	/* 0x00000003-0xefffffff reserved */
#define SBI_SRST_REASON_NONE		0
#define SBI_SRST_REASON_RESERVED	2	/* 0x00000002-0xdfffffff reserved */

#define SBI_DBCN_WRITE			0
#define SBI_DBCN_READ			1
#define SBI_DBCN_WRITE_BYTE		2

#define SBI_SUCCESS			0
#define SBI_ERR_FAILED			-1
#define SBI_ERR_NOT_SUPPORTED		-2
#define SBI_ERR_INVALID_PARAM		-3
#define SBI_ERR_DENIED			-4
#define SBI_ERR_INVALID_ADDRESS		-5
#define SBI_ERR_ALREADY_AVAILABLE	-6

#define SBI_HART_MASK_BASE_ALL		(~0UL)

struct sbiret {
	long error;
	unsigned long value;
};

static inline struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long arg0,
				     unsigned long arg1, unsigned long arg2, unsigned long arg3,
				     unsigned long arg4)
{
	register unsigned long a0 asm("a0") = arg0;
	register unsigned long a1 asm("a1") = arg1;
	register unsigned long a2 asm("a2") = arg2;
	register unsigned long a3 asm("a3") = arg3;
	register unsigned long a4 asm("a4") = arg4;
	register unsigned long a6 asm("a6") = fid;
	register unsigned long a7 asm("a7") = eid;

	asm volatile("ecall"
		     : "+r"(a0), "+r"(a1)
		     : "r"(a2), "r"(a3), "r"(a4), "r"(a6), "r"(a7)
		     : "memory");
	return (struct sbiret){ (long)a0, a1 };
}

#define SBI_CALL0(eid, fid) sbi_call(eid, fid, 0, 0, 0, 0, 0)
#define SBI_CALL1(eid, fid, x) sbi_call(eid, fid, x, 0, 0, 0, 0)
#define SBI_CALL2(eid, fid, x, y) sbi_call(eid, fid, x, y, 0, 0, 0)
#define SBI_CALL3(eid, fid, x, y, z) sbi_call(eid, fid, x, y, z, 0, 0)
#define SBI_CALL4(eid, fid, x, y, z, w) sbi_call(eid, fid, x, y, z, w, 0)
#define SBI_CALL5(eid, fid, x, y, z, w, v) sbi_call(eid, fid, x, y, z, w, v)

/* A v0.1 call: a7 = EID, result in a0; a1 may change (it is no result). */
static inline long sbi_legacy(unsigned long eid, unsigned long arg0)
{
	register unsigned long a0 asm("a0") = arg0;
	register unsigned long a1 asm("a1") = 0;
	register unsigned long a7 asm("a7") = eid;

	asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a7) : "memory");
	return (long)a0;
}

static inline long sbi_probe(unsigned long eid)
{
	struct sbiret r = SBI_CALL1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid);

	return r.error ? 0 : (long)r.value;
}

static inline struct sbiret sbi_set_timer(uint64_t when)
{
	return SBI_CALL1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, when);
}

static inline struct sbiret sbi_send_ipi(unsigned long mask, unsigned long base)
{
	return SBI_CALL2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, mask, base);
}

static inline struct sbiret sbi_system_reset(uint32_t type, uint32_t reason)
{
	return SBI_CALL2(SBI_EXT_SRST, SBI_SRST_RESET, type, reason);
}

#endif
