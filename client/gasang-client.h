/*
 * libgasang-client: a small C library for gasangd's API (docs/API.md).
 *
 *   struct gasang_client *c;
 *   json_t *vms;
 *   if (gasang_connect(NULL, &c) == 0) {
 *           if (gasang_call(c, "list", NULL, &vms) == GASANG_OK) { ...; json_decref(vms); }
 *           gasang_disconnect(c);
 *   }
 *
 * Messages are jansson objects (link with -lgasang-client -ljansson). One
 * request at a time per connection; events a subscribed connection receives
 * meanwhile are kept for gasang_next_event(). Not thread-safe per connection.
 */
#ifndef GASANG_CLIENT_H
#define GASANG_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GASANG_MAX_MESSAGE	(1u << 20)	/* a request, at most */
#define GASANG_MAX_REPLY	(64u << 20)	/* a reply or event, at most */

/* gasang_call's result: 0, a negative errno (no answer), or the daemon's error code. */
enum gasang_status {
	GASANG_OK = 0,
	GASANG_E_BAD_REQUEST = 1,
	GASANG_E_UNKNOWN_OP,
	GASANG_E_TOO_BIG,
	GASANG_E_DENIED,
	GASANG_E_NOT_FOUND,
	GASANG_E_EXISTS,
	GASANG_E_INVALID,
	GASANG_E_WRONG_STATE,
	GASANG_E_BUSY,
	GASANG_E_TIMEOUT,
	GASANG_E_FAILED,
	GASANG_E_OTHER,		/* a code this library does not know */
};

struct gasang_client;

/*
 * The socket to use when none is given: $GASANG_SOCKET, else
 * /run/gasang/gasangd.sock for root, else $XDG_RUNTIME_DIR/gasang/gasangd.sock.
 */
const char *gasang_default_socket(char *buf, size_t len);
/* Connect (path NULL: the default). 0 or a negative errno. */
int gasang_connect(const char *path, struct gasang_client **out);
void gasang_disconnect(struct gasang_client *c);
/* Wait at most ms for an answer (default -1: as long as it takes). */
void gasang_set_timeout(struct gasang_client *c, int ms);

/*
 * One request: {"op": op, ...args} (args: an object of arguments, borrowed;
 * NULL for none). Returns GASANG_OK with *result (a new reference; result may
 * be NULL to drop it), an enum gasang_status > 0 when the daemon answered with
 * an error (see gasang_error_code/message), or a negative errno: -ECONNRESET
 * when the connection ended, -ETIMEDOUT, -EMSGSIZE for a reply too long.
 */
int gasang_call(struct gasang_client *c, const char *op, json_t *args, json_t **result);
/* The same, passing descriptor fd with the request (SCM_RIGHTS): the peer gets a copy. */
int gasang_call_fd(struct gasang_client *c, const char *op, json_t *args, int fd,
		   json_t **result);
/* The last error: the daemon's code ("not-found", ...) and message, or what failed here. */
const char *gasang_error_code(const struct gasang_client *c);
const char *gasang_error_message(const struct gasang_client *c);
/* enum gasang_status of a code string. */
int gasang_status_of(const char *code);

/* Convenience: ops on one VM ({"name": name}) and define. */
int gasang_vm_op(struct gasang_client *c, const char *op, const char *name, json_t **result);
int gasang_vm_define(struct gasang_client *c, json_t *definition, json_t **result);

/*
 * Events: after gasang_call(c, "subscribe", ...), the next event object
 * (*event, a new reference to the inner {"type": ...} object). timeout_ms -1:
 * wait; 0: only what has arrived. 0, -ETIMEDOUT, or -ECONNRESET.
 */
int gasang_next_event(struct gasang_client *c, int timeout_ms, json_t **event);

/*
 * Console: after gasang_call(c, "console", {"name": ..}) succeeded the
 * connection carries the guest's console as raw bytes. Read what came along
 * with the answer first (gasang_take_buffered), then use gasang_fd().
 */
int gasang_fd(const struct gasang_client *c);
size_t gasang_take_buffered(struct gasang_client *c, void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
