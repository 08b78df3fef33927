#include "hw/rtc-base.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/error.h"

/* YYYY-MM-DD[THH:MM:SS] as UTC seconds since 1970; false when it is no such time */
static bool parse_date(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	struct tm tm = { 0 }, back;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return false;
	if (s[n] == 'T' || s[n] == ' ') {
		int m = 0;

		if (sscanf(s + n + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3)
			return false;
		n += 1 + m;
	}
	if (s[n] || y < 1970 || y > 9999)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	back = tm;
	t = timegm(&tm);
	/* timegm normalises 2026-13-01 to 2027-01-01: refuse what it had to move */
	if (t == (time_t)-1 || tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
	    tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return false;
	*out = (int64_t)t;
	return true;
}

int rtc_base_parse(const char *spec, int64_t *offset_s)
{
	const char *base;
	time_t now = time(NULL);
	struct tm local;
	int64_t date;

	*offset_s = 0;
	if (!spec)
		return 0;
	if (strncmp(spec, "base=", 5))
		return error_set(-EINVAL, "--rtc %s: expected base=utc, base=localtime or "
				 "base=YYYY-MM-DD[THH:MM:SS]", spec);
	base = spec + 5;
	if (!strcmp(base, "utc"))
		return 0;
	if (!strcmp(base, "localtime")) {
		/* the guest's clock reads the host's local time as if it were UTC */
		localtime_r(&now, &local);
		*offset_s = local.tm_gmtoff;
		return 0;
	}
	if (!parse_date(base, &date))
		return error_set(-EINVAL, "--rtc %s: expected base=utc, base=localtime or "
				 "base=YYYY-MM-DD[THH:MM:SS] (a real date, from 1970)", spec);
	*offset_s = date - (int64_t)now;
	return 0;
}
