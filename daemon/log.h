/* gasangd's log: stderr in the foreground, syslog (and so the journal) otherwise. */
#ifndef DAEMON_LOG_H
#define DAEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "base/compiler.h"

void log_init(bool to_syslog, bool debug);
void log_msg(int prio, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
