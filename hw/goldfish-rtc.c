#include "hw/goldfish-rtc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/error.h"

#define NS_PER_S 1000000000ll

static int64_t host_now(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int goldfish_rtc_init(struct goldfish_rtc *r, struct irq_line irq, int64_t offset_s,
		      int64_t (*now)(void *opaque), void *now_opaque)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = pthread_mutex_init(&r->lock, NULL);
	if (err)
		return error_errno(-err, "goldfish-rtc: mutex");
	r->irq = irq;
	r->offset_ns = offset_s * NS_PER_S;
	r->now = now ? now : host_now;
	r->now_opaque = now_opaque;
	return 0;
}

void goldfish_rtc_destroy(struct goldfish_rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

static uint64_t rtc_time(struct goldfish_rtc *r)
{
	return (uint64_t)(r->now(r->now_opaque) + r->offset_ns);
}

static void update_irq(struct goldfish_rtc *r)
{
	if (r->alarm_armed && rtc_time(r) >= r->alarm) {
		r->alarm_armed = false;
		r->irq_pending = true;
	}
	irq_line_set(&r->irq, r->irq_pending && r->irq_enabled);
}

static uint64_t rtc_read(void *dev, uint64_t off, unsigned size)
{
	struct goldfish_rtc *r = dev;
	uint64_t v = 0, t;

	if (size != 4)
		return 0;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case GOLDFISH_RTC_TIME_LOW:
		t = rtc_time(r);
		r->time_high = (uint32_t)(t >> 32);
		v = (uint32_t)t;
		break;
	case GOLDFISH_RTC_TIME_HIGH: v = r->time_high; break;
	case GOLDFISH_RTC_ALARM_LOW: v = (uint32_t)r->alarm; break;
	case GOLDFISH_RTC_ALARM_HIGH: v = (uint32_t)(r->alarm >> 32); break;
	case GOLDFISH_RTC_IRQ_ENABLED: v = r->irq_enabled; break;
	case GOLDFISH_RTC_ALARM_STATUS: v = r->alarm_armed; break;
	}
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void rtc_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct goldfish_rtc *r = dev;
	uint32_t v = (uint32_t)val;

	if (size != 4)
		return;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case GOLDFISH_RTC_TIME_LOW:
		r->offset_ns = (int64_t)(((uint64_t)r->time_high << 32) | v) - r->now(r->now_opaque);
		break;
	case GOLDFISH_RTC_TIME_HIGH: r->time_high = v; break;
	case GOLDFISH_RTC_ALARM_LOW:
		r->alarm = ((uint64_t)r->alarm_high << 32) | v;
		r->alarm_armed = true;
		break;
	case GOLDFISH_RTC_ALARM_HIGH: r->alarm_high = v; break;
	case GOLDFISH_RTC_IRQ_ENABLED: r->irq_enabled = v & 1; break;
	case GOLDFISH_RTC_CLEAR_ALARM: r->alarm_armed = false; break;
	case GOLDFISH_RTC_CLEAR_INTERRUPT: r->irq_pending = false; break;
	}
	update_irq(r);
	pthread_mutex_unlock(&r->lock);
}

const struct bus_device_ops goldfish_rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
};
