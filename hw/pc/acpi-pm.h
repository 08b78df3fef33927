/*
 * ACPI fixed hardware (ACPI 6.5, 4.8): the PM1a event block (PM1_STS,
 * PM1_EN), the PM1a control block (PM1_CNT) and the power management timer,
 * in one port window. The guest powers off by writing SLP_TYP for S5 with
 * SLP_EN; the fixed-feature power button (acpi_pm_power_button) sets
 * PWRBTN_STS, and the SCI line is raised while an enabled status bit is set.
 * The FADT and the DSDT's \_S5 (machine/x86-acpi.c) describe exactly this.
 *
 * Layout from the base port: PM1_STS +0 (16 bits), PM1_EN +2 (16),
 * PM1_CNT +4 (16), PM_TMR +8 (32 bits, 3.579545 MHz).
 * Not modelled: the timer's overflow interrupt, sleep states other than S5.
 */
#ifndef HW_PC_ACPI_PM_H
#define HW_PC_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "hw/irq.h"

#define ACPI_PM_PORT		0x600	/* where the PC puts it (as QEMU's PIIX4 PM does) */
#define ACPI_PM_SIZE		12
#define ACPI_PM1_STS		0
#define ACPI_PM1_EN		2
#define ACPI_PM1_CNT		4
#define ACPI_PM_TMR		8
#define ACPI_PM1_EVT_LEN	4
#define ACPI_PM1_CNT_LEN	2
#define ACPI_PM_TMR_LEN		4
#define ACPI_PM_TIMER_HZ	3579545ull
#define ACPI_SCI_IRQ		9

/* PM1_STS / PM1_EN */
#define ACPI_PM1_TMR		0x0001
#define ACPI_PM1_GBL		0x0020
#define ACPI_PM1_PWRBTN		0x0100
#define ACPI_PM1_SLPBTN		0x0200
#define ACPI_PM1_RTC		0x0400
#define ACPI_PM1_WAK_STS	0x8000
#define ACPI_PM1_STS_MASK	0x8731	/* bits that exist (write 1 to clear) */
#define ACPI_PM1_EN_MASK	0x0721
/* PM1_CNT */
#define ACPI_PM1_SCI_EN		0x0001
#define ACPI_PM1_SLP_TYP_SHIFT	10
#define ACPI_PM1_SLP_TYP_MASK	(7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN		0x2000
#define ACPI_PM1_CNT_MASK	0x1c07	/* SCI_EN, BM_RLD, GBL_RLS, SLP_TYP */

/* The value of SLP_TYP for S5 (soft off), as the DSDT's \_S5 package says. */
#define ACPI_SLP_TYP_S5		0

struct acpi_pm {
	pthread_mutex_t lock;
	struct irq_line sci;
	void (*poweroff)(void *opaque);	/* the guest entered S5 */
	void *opaque;
	uint16_t sts, en, cnt;
	bool sci_level;
	uint64_t timer_base_ns;		/* host monotonic time at power-on */
};

void acpi_pm_init(struct acpi_pm *pm, struct irq_line sci, void (*poweroff)(void *), void *opaque);
void acpi_pm_destroy(struct acpi_pm *pm);
void acpi_pm_reset(struct acpi_pm *pm);
/* Press the power button (any thread): the guest's OS decides what to do. */
void acpi_pm_power_button(struct acpi_pm *pm);

/* The ACPI_PM_SIZE port window; device = struct acpi_pm. */
extern const struct bus_device_ops acpi_pm_ops;

#endif
