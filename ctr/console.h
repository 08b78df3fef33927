/*
 * process.terminal: a pty made from the container's own devpts (its
 * /dev/ptmx), the slave as the process's controlling terminal and stdio and
 * bound on /dev/console; the master goes to whoever asked (--console-socket,
 * SCM_RIGHTS, as runc sends it) or to the runtime for a foreground run.
 */
#ifndef CTR_CONSOLE_H
#define CTR_CONSOLE_H

#include <stdbool.h>
#include <termios.h>

/* Open a pty pair through <root>/dev/ptmx (resolved inside root); both fds CLOEXEC. */
int ctr_console_open(int rootfd, unsigned rows, unsigned cols, int *master, int *slave);
/* Bind the slave on <root>/dev/console. */
int ctr_console_bind(int rootfd, int slave);
/* New session, slave as controlling terminal and fds 0-2. */
int ctr_console_make_ctty(int slave);
/* Connect to a unix socket path (the --console-socket); returns fd or -errno. */
int ctr_console_socket_connect(const char *path);

/* Foreground use of a master: the caller's terminal in raw mode, window size copied. */
int ctr_tty_raw(int fd, struct termios *saved);
void ctr_tty_restore(int fd, const struct termios *saved);
void ctr_tty_copy_winsize(int from, int to);
/* Move what is readable from 'from' to 'to'; -1 at end of input (EOF, EIO, hangup). */
int ctr_tty_pump(int from, int to);

#endif
