/*
 * Where a guest's real-time clock starts (gasang run --rtc), as the seconds
 * it is ahead of the host's UTC time: the goldfish RTC (riscv64) and the
 * CMOS clock (x86_64) both run from the host's time plus that offset.
 */
#ifndef HW_RTC_BASE_H
#define HW_RTC_BASE_H

#include <stdint.h>

/*
 * --rtc base=utc|localtime|DATE (DATE: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)
 * to the seconds to add to the host's UTC time; NULL is base=utc.
 * 0 or -EINVAL (recorded, naming the option).
 */
int rtc_base_parse(const char *spec, int64_t *offset_s);

#endif
