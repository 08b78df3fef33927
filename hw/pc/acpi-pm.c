#include "hw/pc/acpi-pm.h"

#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void acpi_pm_init(struct acpi_pm *pm, struct irq_line sci, void (*poweroff)(void *), void *opaque)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->sci = sci;
	pm->poweroff = poweroff;
	pm->opaque = opaque;
	acpi_pm_reset(pm);
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

/* lock held */
static void update_sci(struct acpi_pm *pm)
{
	bool level = (pm->cnt & ACPI_PM1_SCI_EN) && (pm->sts & pm->en & ACPI_PM1_EN_MASK);

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts = 0;
	pm->en = 0;
	/* no SMI_CMD in the FADT: the hardware is always in ACPI mode */
	pm->cnt = ACPI_PM1_SCI_EN;
	pm->timer_base_ns = now_ns();
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static uint32_t timer(struct acpi_pm *pm)
{
	uint64_t ns = now_ns() - pm->timer_base_ns;

	/* 32-bit counter (the FADT says TMR_VAL_EXT) */
	return (uint32_t)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / 1000000000ull);
}

/* The register bytes as they read now (lock held). */
static void snapshot(struct acpi_pm *pm, uint8_t regs[ACPI_PM_SIZE])
{
	uint32_t t = timer(pm);

	memset(regs, 0, ACPI_PM_SIZE);
	memcpy(&regs[ACPI_PM1_STS], &pm->sts, 2);
	memcpy(&regs[ACPI_PM1_EN], &pm->en, 2);
	memcpy(&regs[ACPI_PM1_CNT], &pm->cnt, 2);
	memcpy(&regs[ACPI_PM_TMR], &t, 4);
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t regs[ACPI_PM_SIZE];
	uint64_t v = 0;

	pthread_mutex_lock(&pm->lock);
	snapshot(pm, regs);
	pthread_mutex_unlock(&pm->lock);
	if (off + size <= ACPI_PM_SIZE)
		memcpy(&v, &regs[off], size);
	return v;
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct acpi_pm *pm = opaque;
	bool s5 = false;
	unsigned i;

	if (off + size > ACPI_PM_SIZE)
		return;
	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < size; i++) {
		unsigned o = (unsigned)off + i, shift = 8 * (o & 1);
		uint16_t byte = (uint16_t)(((val >> (8 * i)) & 0xff) << shift);

		switch (o & ~1u) {
		case ACPI_PM1_STS:
			pm->sts &= (uint16_t)~(byte & ACPI_PM1_STS_MASK);
			break;
		case ACPI_PM1_EN:
			pm->en = (uint16_t)((pm->en & ~(0xffu << shift)) | (byte & ACPI_PM1_EN_MASK));
			break;
		case ACPI_PM1_CNT:
			pm->cnt = (uint16_t)((pm->cnt & ~(0xffu << shift)) | (byte & ACPI_PM1_CNT_MASK));
			if ((byte & ACPI_PM1_SLP_EN) &&
			    ((pm->cnt & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT) == ACPI_SLP_TYP_S5)
				s5 = true;
			break;
		default:
			break;		/* the timer is read-only */
		}
	}
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (s5 && pm->poweroff)
		pm->poweroff(pm->opaque);
}

const struct bus_device_ops acpi_pm_ops = {
	.read = pm_read,
	.write = pm_write,
};
