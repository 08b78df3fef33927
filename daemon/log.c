#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static bool use_syslog;
static bool show_debug;

void log_init(bool to_syslog, bool debug)
{
	use_syslog = to_syslog;
	show_debug = debug;
	if (to_syslog)
		openlog("gasangd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error", "warning",
					     "notice", "info", "debug" };
	char line[1024];
	va_list ap;

	if (prio == LOG_DEBUG && !show_debug)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_syslog) {
		syslog(prio, "%s", line);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld gasangd %s: %s\n", when, ts.tv_nsec / 1000000,
			names[prio & 7], line);
	}
}
