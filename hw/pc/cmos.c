#include "hw/pc/cmos.h"

#include <string.h>

#define UIP_NS		244000	/* update in progress: the 244 us before a new second */
#define NS_PER_SEC	1000000000L

static void host_now(void *opaque, struct timespec *ts)
{
	(void)opaque;
	clock_gettime(CLOCK_REALTIME, ts);
}

void cmos_init(struct cmos *c, void (*now)(void *, struct timespec *), void *opaque)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->now = now ? now : host_now;
	c->now_opaque = opaque;
	c->ram[CMOS_REG_A] = CMOS_A_DEFAULT;
	c->ram[CMOS_REG_B] = CMOS_B_DEFAULT;
	c->ram[CMOS_REG_D] = CMOS_D_VRT;
}

void cmos_destroy(struct cmos *c)
{
	pthread_mutex_destroy(&c->lock);
}

static void update_checksum(struct cmos *c)
{
	unsigned sum = 0, i;

	for (i = CMOS_FLOPPY_TYPE; i < CMOS_CHECKSUM_HI; i++)
		sum += c->ram[i];
	c->ram[CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
	c->ram[CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

void cmos_set(struct cmos *c, unsigned idx, uint8_t val)
{
	if (idx >= CMOS_SIZE)
		return;
	pthread_mutex_lock(&c->lock);
	c->ram[idx] = val;
	if (idx >= CMOS_FLOPPY_TYPE && idx < CMOS_CHECKSUM_HI)
		update_checksum(c);
	pthread_mutex_unlock(&c->lock);
}

uint8_t cmos_get(struct cmos *c, unsigned idx)
{
	uint8_t v;

	if (idx >= CMOS_SIZE)
		return 0xff;
	pthread_mutex_lock(&c->lock);
	v = c->ram[idx];
	pthread_mutex_unlock(&c->lock);
	return v;
}

bool cmos_nmi_masked(struct cmos *c)
{
	return __atomic_load_n(&c->index, __ATOMIC_RELAXED) & CMOS_NMI_DISABLE;
}

void cmos_set_pc_memory(struct cmos *c, uint64_t low_ram, uint64_t high_ram, unsigned cpus)
{
	const uint64_t mib = 1ull << 20;
	uint64_t ext = low_ram > mib ? (low_ram - mib) >> 10 : 0;	/* KiB */
	uint64_t above16 = low_ram > 16 * mib ? (low_ram - 16 * mib) >> 16 : 0;
	uint64_t above4g = high_ram >> 16;

	if (ext > 0xffff)
		ext = 0xffff;
	if (above16 > 0xffff)
		above16 = 0xffff;
	if (above4g > 0xffffff)
		above4g = 0xffffff;
	cmos_set(c, CMOS_BASE_MEM_LO, 640 & 0xff);
	cmos_set(c, CMOS_BASE_MEM_HI, 640 >> 8);
	cmos_set(c, CMOS_EXT_MEM_LO, (uint8_t)ext);
	cmos_set(c, CMOS_EXT_MEM_HI, (uint8_t)(ext >> 8));
	cmos_set(c, CMOS_EXT_MEM2_LO, (uint8_t)ext);
	cmos_set(c, CMOS_EXT_MEM2_HI, (uint8_t)(ext >> 8));
	cmos_set(c, CMOS_MEM_ABOVE_16M_LO, (uint8_t)above16);
	cmos_set(c, CMOS_MEM_ABOVE_16M_HI, (uint8_t)(above16 >> 8));
	cmos_set(c, CMOS_MEM_ABOVE_4G_LO, (uint8_t)above4g);
	cmos_set(c, CMOS_MEM_ABOVE_4G_MID, (uint8_t)(above4g >> 8));
	cmos_set(c, CMOS_MEM_ABOVE_4G_HI, (uint8_t)(above4g >> 16));
	cmos_set(c, CMOS_SMP_COUNT, (uint8_t)(cpus ? cpus - 1 : 0));
}

/* ---- the clock (lock held) ---- */

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0xf);
}

static bool binary(const struct cmos *c)
{
	return c->ram[CMOS_REG_B] & CMOS_B_BINARY;
}

static uint8_t enc(const struct cmos *c, unsigned v)
{
	return binary(c) ? (uint8_t)v : to_bcd(v);
}

static unsigned dec(const struct cmos *c, uint8_t v)
{
	return binary(c) ? v : from_bcd(v);
}

static void guest_tm(struct cmos *c, struct tm *tm, long *ns)
{
	struct timespec ts;
	time_t t;

	c->now(c->now_opaque, &ts);
	t = ts.tv_sec + (time_t)c->offset;
	gmtime_r(&t, tm);
	if (ns)
		*ns = ts.tv_nsec;
}

static uint8_t enc_hours(const struct cmos *c, int h)
{
	if (c->ram[CMOS_REG_B] & CMOS_B_24H)
		return enc(c, (unsigned)h);
	/* 12-hour: 1-12, bit 7 for PM */
	return (uint8_t)(enc(c, (unsigned)(h % 12 ? h % 12 : 12)) | (h >= 12 ? 0x80 : 0));
}

static int dec_hours(const struct cmos *c, uint8_t v)
{
	int h;

	if (c->ram[CMOS_REG_B] & CMOS_B_24H)
		return (int)dec(c, v);
	h = (int)dec(c, v & 0x7f) % 12;
	return v & 0x80 ? h + 12 : h;
}

static uint8_t read_clock(struct cmos *c, unsigned idx)
{
	struct tm tm;
	long ns;
	int year;

	guest_tm(c, &tm, &ns);
	year = tm.tm_year + 1900;
	switch (idx) {
	case CMOS_SECONDS: return enc(c, (unsigned)tm.tm_sec);
	case CMOS_MINUTES: return enc(c, (unsigned)tm.tm_min);
	case CMOS_HOURS: return enc_hours(c, tm.tm_hour);
	case CMOS_DAY_OF_WEEK: return enc(c, (unsigned)tm.tm_wday + 1);
	case CMOS_DAY_OF_MONTH: return enc(c, (unsigned)tm.tm_mday);
	case CMOS_MONTH: return enc(c, (unsigned)tm.tm_mon + 1);
	case CMOS_YEAR: return enc(c, (unsigned)(year % 100));
	case CMOS_CENTURY: return enc(c, (unsigned)(year / 100));
	case CMOS_REG_A:
		return (uint8_t)((c->ram[CMOS_REG_A] & ~CMOS_A_UIP) |
				 (ns >= NS_PER_SEC - UIP_NS ? CMOS_A_UIP : 0));
	default: return c->ram[idx];
	}
}

/* The guest set one field of the time: move the offset so the clock shows it. */
static void write_clock(struct cmos *c, unsigned idx, uint8_t v)
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	guest_tm(c, &tm, NULL);
	switch (idx) {
	case CMOS_SECONDS: tm.tm_sec = (int)dec(c, v); break;
	case CMOS_MINUTES: tm.tm_min = (int)dec(c, v); break;
	case CMOS_HOURS: tm.tm_hour = dec_hours(c, v); break;
	case CMOS_DAY_OF_MONTH: tm.tm_mday = (int)dec(c, v); break;
	case CMOS_MONTH: tm.tm_mon = (int)dec(c, v) - 1; break;
	case CMOS_YEAR: tm.tm_year = (tm.tm_year + 1900) / 100 * 100 + (int)dec(c, v) - 1900; break;
	case CMOS_CENTURY: tm.tm_year = (int)dec(c, v) * 100 + (tm.tm_year + 1900) % 100 - 1900; break;
	default: return;
	}
	t = timegm(&tm);
	if (t == (time_t)-1)
		return;
	c->now(c->now_opaque, &ts);
	c->offset = (int64_t)t - (int64_t)ts.tv_sec;
}

static bool is_clock(unsigned idx)
{
	return idx <= CMOS_YEAR || idx == CMOS_CENTURY || idx == CMOS_REG_A;
}

static uint64_t cmos_read(void *opaque, uint64_t off, unsigned size)
{
	struct cmos *c = opaque;
	unsigned idx;
	uint8_t v;

	(void)size;
	pthread_mutex_lock(&c->lock);
	if (off == 0) {
		v = c->index;
	} else {
		idx = c->index & (CMOS_SIZE - 1);
		if (is_clock(idx) && idx != CMOS_SECONDS_ALARM && idx != CMOS_MINUTES_ALARM &&
		    idx != CMOS_HOURS_ALARM)
			v = read_clock(c, idx);
		else
			v = c->ram[idx];
		if (idx == CMOS_REG_C)
			c->ram[CMOS_REG_C] = 0;	/* reading acknowledges */
	}
	pthread_mutex_unlock(&c->lock);
	return v;
}

static void cmos_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct cmos *c = opaque;
	unsigned idx;
	uint8_t v = (uint8_t)val;

	(void)size;
	pthread_mutex_lock(&c->lock);
	if (off == 0) {
		__atomic_store_n(&c->index, v, __ATOMIC_RELAXED);
	} else {
		idx = c->index & (CMOS_SIZE - 1);
		switch (idx) {
		case CMOS_REG_A:
			c->ram[idx] = v & ~CMOS_A_UIP;
			break;
		case CMOS_REG_C:
		case CMOS_REG_D:
			break;			/* read-only */
		case CMOS_SECONDS_ALARM:
		case CMOS_MINUTES_ALARM:
		case CMOS_HOURS_ALARM:
		case CMOS_DAY_OF_WEEK:
			c->ram[idx] = v;
			break;
		default:
			if (is_clock(idx))
				write_clock(c, idx, v);
			else
				c->ram[idx] = v;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

const struct bus_device_ops cmos_ops = {
	.read = cmos_read,
	.write = cmos_write,
};
