/*
 * The Goldfish real-time clock, as QEMU's virt machine has it (Linux's
 * rtc-goldfish): nanoseconds since 1970 in two 32-bit halves. Reading
 * TIME_LOW latches TIME_HIGH; writing TIME_LOW sets the clock to the pair
 * (the high half written before). The clock is the host's CLOCK_REALTIME
 * plus an offset: what --rtc base= starts it at, moved by the guest's writes.
 *
 * The alarm registers hold what the guest writes; an alarm at or before the
 * current time raises the interrupt (when enabled) at once. A later alarm is
 * not delivered: there is no timer behind it (Linux uses the alarm only for
 * wake-ups, which a VM does not have).
 *
 * Threading: registers are accessed from any vCPU thread; one mutex.
 */
#ifndef HW_GOLDFISH_RTC_H
#define HW_GOLDFISH_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "hw/irq.h"

#define GOLDFISH_RTC_TIME_LOW		0x00
#define GOLDFISH_RTC_TIME_HIGH		0x04
#define GOLDFISH_RTC_ALARM_LOW		0x08
#define GOLDFISH_RTC_ALARM_HIGH		0x0c
#define GOLDFISH_RTC_IRQ_ENABLED	0x10
#define GOLDFISH_RTC_CLEAR_ALARM	0x14
#define GOLDFISH_RTC_ALARM_STATUS	0x18
#define GOLDFISH_RTC_CLEAR_INTERRUPT	0x1c
#define GOLDFISH_RTC_MMIO_SIZE		0x1000

struct goldfish_rtc {
	pthread_mutex_t lock;
	int64_t offset_ns;		/* guest time - host CLOCK_REALTIME */
	uint32_t time_high;		/* latched by a TIME_LOW read, or written for the next write */
	uint64_t alarm;
	uint32_t alarm_high;		/* written before ALARM_LOW */
	bool alarm_armed, irq_enabled, irq_pending;
	struct irq_line irq;
	/* the host's time in ns since 1970: CLOCK_REALTIME, or a fixed one in tests */
	int64_t (*now)(void *opaque);
	void *now_opaque;
};

/* offset_s: where the clock starts against the host's time (hw/rtc-base.h). now may be NULL. */
int goldfish_rtc_init(struct goldfish_rtc *r, struct irq_line irq, int64_t offset_s,
		      int64_t (*now)(void *opaque), void *now_opaque);
void goldfish_rtc_destroy(struct goldfish_rtc *r);

extern const struct bus_device_ops goldfish_rtc_ops;

#endif
