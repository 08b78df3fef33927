/*
 * The Supervisor Binary Interface, provided by gasang itself: a supervisor
 * kernel's ecall lands here instead of in M-mode firmware.
 * Extensions: BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN (SBI 2.0).
 */
#ifndef ACCEL_EMU_SBI_H
#define ACCEL_EMU_SBI_H

#include <stdint.h>

struct hart;

#define SBI_EXT_BASE	0x10
#define SBI_EXT_TIME	0x54494d45
#define SBI_EXT_IPI	0x735049
#define SBI_EXT_RFENCE	0x52464e43
#define SBI_EXT_HSM	0x48534d
#define SBI_EXT_SRST	0x53525354
#define SBI_EXT_DBCN	0x4442434e

#define SBI_SUCCESS		0
#define SBI_ERR_FAILED		-1
#define SBI_ERR_NOT_SUPPORTED	-2
#define SBI_ERR_INVALID_PARAM	-3
#define SBI_ERR_DENIED		-4
#define SBI_ERR_INVALID_ADDRESS	-5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_ALREADY_STARTED	-7
#define SBI_ERR_ALREADY_STOPPED	-8

/* HSM hart states (hart_get_status) */
#define SBI_HSM_STATE_STARTED		0
#define SBI_HSM_STATE_STOPPED		1
#define SBI_HSM_STATE_START_PENDING	2
#define SBI_HSM_STATE_STOP_PENDING	3
#define SBI_HSM_STATE_SUSPENDED		4
#define SBI_HSM_STATE_SUSPEND_PENDING	5
#define SBI_HSM_STATE_RESUME_PENDING	6

#define SBI_SPEC_VERSION	((2u << 24) | 0u)	/* 2.0 */
#define SBI_IMPL_ID_GASANG	0x6761			/* unregistered: "ga" */
#define SBI_IMPL_VERSION	1

/*
 * Handle the ecall in h's registers (a7 = extension, a6 = function), h->pc
 * already past it; a call that enters the guest elsewhere (HSM) moves h->pc.
 */
void sbi_call(struct hart *h);

#endif
