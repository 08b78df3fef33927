/* The runtime's log: stderr plus the --log file (text or JSON lines). */
#include "ctr/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "base/error.h"
#include "ctr/state.h"

int ctr_log_open(struct ctr_log *l, const char *path, const char *format)
{
	l->fd = -1;
	l->json = false;
	if (format && strcmp(format, "json") && strcmp(format, "text"))
		return error_set(-EINVAL, "--log-format %s: expected text or json", format);
	l->json = format && !strcmp(format, "json");
	if (!path || !*path)
		return 0;
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (l->fd < 0)
		return error_errno(-errno, "cannot open the log %s", path);
	return 0;
}

void ctr_log_close(struct ctr_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static void emit(const struct ctr_log *l, const char *level, bool to_stderr, const char *fmt,
		 va_list ap)
{
	char msg[2048], now[48];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_stderr) {
		if (!strcmp(level, "error"))
			fprintf(stderr, "%s: %s\n", l->prog ? l->prog : "gasang", msg);
		else
			fprintf(stderr, "%s: %s: %s\n", l->prog ? l->prog : "gasang", level, msg);
	}
	if (l->fd < 0)
		return;
	ctr_now_rfc3339(now, sizeof(now));
	if (l->json) {
		json_t *o = json_pack("{ssssss}", "level", level, "msg", msg, "time", now);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (s)
			dprintf(l->fd, "%s\n", s);
		free(s);
		json_decref(o);
	} else {
		dprintf(l->fd, "time=\"%s\" level=%s msg=\"%s\"\n", now, level, msg);
	}
}

void ctr_log_error(const struct ctr_log *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(l, "error", true, fmt, ap);
	va_end(ap);
}

void ctr_log_warn(const struct ctr_log *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(l, "warning", true, fmt, ap);
	va_end(ap);
}

void ctr_log_debug(const struct ctr_log *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->debug)
		return;
	va_start(ap, fmt);
	emit(l, "debug", true, fmt, ap);
	va_end(ap);
}
