/*
 * The PC's CMOS RAM and real-time clock (MC146818): 128 bytes behind an index
 * port (0x70, whose bit 7 masks NMIs) and a data port (0x71). The clock
 * reads the host's time plus an offset the guest sets by writing the time
 * registers; BCD or binary and 12/24-hour modes as register B says, the
 * update-in-progress bit in the 244 us before each second. The rest is
 * battery-backed RAM: the board writes what firmware reads there (memory
 * sizes, CPU count) and it survives resets.
 *
 * Not modelled: the RTC's interrupts (IRQ 8; update, alarm and periodic).
 */
#ifndef HW_PC_CMOS_H
#define HW_PC_CMOS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hw/bus.h"

#define CMOS_PORT		0x70	/* index at +0, data at +1 */
#define CMOS_PORT_SIZE		2
#define CMOS_SIZE		128
#define CMOS_NMI_DISABLE	0x80	/* in the index byte */

/* registers */
#define CMOS_SECONDS		0x00
#define CMOS_SECONDS_ALARM	0x01
#define CMOS_MINUTES		0x02
#define CMOS_MINUTES_ALARM	0x03
#define CMOS_HOURS		0x04
#define CMOS_HOURS_ALARM	0x05
#define CMOS_DAY_OF_WEEK	0x06
#define CMOS_DAY_OF_MONTH	0x07
#define CMOS_MONTH		0x08
#define CMOS_YEAR		0x09
#define CMOS_REG_A		0x0a
#define  CMOS_A_UIP		0x80
#define  CMOS_A_DEFAULT		0x26	/* 32.768 kHz time base, 1024 Hz rate */
#define CMOS_REG_B		0x0b
#define  CMOS_B_SET		0x80
#define  CMOS_B_BINARY		0x04
#define  CMOS_B_24H		0x02
#define  CMOS_B_DEFAULT		CMOS_B_24H
#define CMOS_REG_C		0x0c
#define CMOS_REG_D		0x0d
#define  CMOS_D_VRT		0x80	/* valid RAM and time */
#define CMOS_CENTURY		0x32

/* what the PC BIOS and SeaBIOS read */
#define CMOS_FLOPPY_TYPE	0x10
#define CMOS_DISK_TYPE		0x12
#define CMOS_EQUIPMENT		0x14
#define CMOS_BASE_MEM_LO	0x15	/* KiB below 1 MiB */
#define CMOS_BASE_MEM_HI	0x16
#define CMOS_EXT_MEM_LO		0x17	/* KiB from 1 MiB, at most 0xffff */
#define CMOS_EXT_MEM_HI		0x18
#define CMOS_CHECKSUM_HI	0x2e	/* sum of 0x10-0x2d */
#define CMOS_CHECKSUM_LO	0x2f
#define CMOS_EXT_MEM2_LO	0x30	/* the same again */
#define CMOS_EXT_MEM2_HI	0x31
#define CMOS_MEM_ABOVE_16M_LO	0x34	/* 64 KiB units from 16 MiB up to the PCI hole */
#define CMOS_MEM_ABOVE_16M_HI	0x35
#define CMOS_BOOT_FLAG1		0x38
#define CMOS_BOOT_FLAG2		0x3d
#define CMOS_MEM_ABOVE_4G_LO	0x5b	/* 64 KiB units above 4 GiB, 24 bits */
#define CMOS_MEM_ABOVE_4G_MID	0x5c
#define CMOS_MEM_ABOVE_4G_HI	0x5d
#define CMOS_SMP_COUNT		0x5f	/* CPUs - 1 */

struct cmos {
	pthread_mutex_t lock;
	uint8_t index;			/* with the NMI mask bit */
	uint8_t ram[CMOS_SIZE];
	int64_t offset;			/* guest time - host time, seconds */
	/* the clock source: CLOCK_REALTIME normally, a fixed time in tests */
	void (*now)(void *opaque, struct timespec *ts);
	void *now_opaque;
};

/* now may be NULL (the host's CLOCK_REALTIME). */
void cmos_init(struct cmos *c, void (*now)(void *, struct timespec *), void *opaque);
void cmos_destroy(struct cmos *c);

/* The board's bytes (before the guest runs); updates the checksum at 0x2e. */
void cmos_set(struct cmos *c, unsigned idx, uint8_t val);
uint8_t cmos_get(struct cmos *c, unsigned idx);
bool cmos_nmi_masked(struct cmos *c);

/* Memory and CPU bytes for a PC: RAM below the hole, above 4 GiB, CPUs. */
void cmos_set_pc_memory(struct cmos *c, uint64_t low_ram, uint64_t high_ram, unsigned cpus);

/* A window of CMOS_PORT_SIZE ports. */
extern const struct bus_device_ops cmos_ops;

#endif
