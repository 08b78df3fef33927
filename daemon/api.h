/*
 * The API's ops (docs/API.md): each request line is parsed (request.h),
 * checked against the op's arguments and the socket it came through, and
 * handed to the domain or the daemon; the answer may come later (start,
 * destroy, shutdown with a timeout, info of a running VM).
 */
#ifndef DAEMON_API_H
#define DAEMON_API_H

#include <stddef.h>

struct conn;

/* One request line from a client (len bytes, no newline). */
void api_handle(struct conn *c, const char *line, size_t len);

#endif
