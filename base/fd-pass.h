/*
 * Passing a descriptor over a unix socket (SCM_RIGHTS): gasang vm and
 * gasangd hand a VM a socket they bound for its gdbstub, which a sandboxed
 * VM could not make. The receiving side is base/stream.c's.
 */
#ifndef BASE_FD_PASS_H
#define BASE_FD_PASS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * send() of buf with descriptor fd (>= 0; the peer gets a copy) riding on its
 * first byte; flags as send()'s. The bytes sent, or -1 with errno.
 */
ssize_t fd_pass_send(int sock, const void *buf, size_t len, int fd, int flags);

#endif
