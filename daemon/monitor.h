/*
 * The daemon's side of one VM's control socket (vm/control.h): requests go
 * out as JSON lines, replies come back in order and each calls its callback.
 * A request not answered within MONITOR_TIMEOUT_MS fails with -ETIMEDOUT;
 * when the VM goes away every pending request fails with -ECONNRESET.
 */
#ifndef DAEMON_MONITOR_H
#define DAEMON_MONITOR_H

#include <jansson.h>

#include "base/loop.h"
#include "base/stream.h"

#define MONITOR_TIMEOUT_MS 10000

/*
 * err 0: result is the reply's "result" (borrowed). err < 0: no answer.
 * err > 0 (1): the VM answered with an error: code and message say which.
 */
typedef void (*monitor_cb)(void *opaque, int err, json_t *result, const char *code,
			   const char *message);

struct monitor;

/* Connect to a control socket: -ENOENT / -ECONNREFUSED while the VM is not listening yet. */
int monitor_connect(struct loop *l, const char *path, struct monitor **out);
/* Called once when the VM closes the connection (its process is ending). */
void monitor_on_close(struct monitor *m, void (*fn)(void *opaque), void *opaque);
/* Send {"op": op, ...args} (args: an object, stolen, or NULL). */
void monitor_call(struct monitor *m, const char *op, json_t *args, monitor_cb cb, void *opaque);
/* Fail what is pending (-ECONNRESET), close, free (after this round). */
void monitor_close(struct monitor *m);

/* Connect a plain stream to a control socket (for console relays): an fd or -errno. */
int monitor_socket(const char *path);

#endif
