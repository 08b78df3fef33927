/*
 * Where the runtime's warnings and its final error go: stderr, and with
 * --log FILE also that file, as text or (--log-format json) one JSON object
 * per line, {"level":"error","msg":"...","time":"..."}, the form
 * containerd's runc shim reads back when an operation fails.
 */
#ifndef CTR_LOG_H
#define CTR_LOG_H

#include <stdbool.h>

#include "base/compiler.h"

struct ctr_log {
	int fd;			/* -1: stderr only */
	bool json;
	bool debug;
	const char *prog;	/* "gasang-oci" */
};

int ctr_log_open(struct ctr_log *l, const char *path, const char *format);
void ctr_log_close(struct ctr_log *l);
void ctr_log_error(const struct ctr_log *l, const char *fmt, ...) PRINTF_LIKE(2, 3);
void ctr_log_warn(const struct ctr_log *l, const char *fmt, ...) PRINTF_LIKE(2, 3);
void ctr_log_debug(const struct ctr_log *l, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
