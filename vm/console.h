/*
 * The host side of the serial console: stdin to the guest, the guest to stdout.
 *
 * When the input is a terminal (in the foreground) it is put in raw mode and
 * QEMU's escapes apply: Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A
 * sends a Ctrl-A, any other Ctrl-A <c> is dropped. The terminal is restored on
 * console_stop(), on SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGABRT (then the handler
 * that was there before runs, or the default action) and at exit(). A tty in
 * a background process group is left alone and not read.
 *
 * When the input is not a terminal (pipe, file, /dev/null) bytes go to the
 * guest as they are, without escapes (binary-safe), and reading stops at EOF
 * without quitting.
 *
 * Input flow control: the receiver takes what it can; the rest waits, without
 * polling, until console_rx_ready(). From a pipe no byte is ever lost. From a
 * terminal the console keeps reading so Ctrl-A x always works: once
 * CONSOLE_BUF_SIZE bytes wait for a guest that does not read, further typed
 * bytes are dropped (as a real serial line overruns).
 *
 * Threading: one input thread per console calls ops->receive and ops->quit;
 * console_open() makes none (a VM sets its terminal up before its sandbox),
 * console_start() does. console_write() and console_rx_ready() may be called
 * from any thread.
 */
#ifndef VM_CONSOLE_H
#define VM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESC_PREFIX	0x01	/* Ctrl-A */
#define CONSOLE_BUF_SIZE	4096

struct console_ops {
	/* Guest input: returns how many bytes of buf were taken (0..len). */
	size_t (*receive)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * The user typed Ctrl-A x: ask the VM to stop. Runs on the console
	 * thread, which reads no more input afterwards; it must not call
	 * console_stop().
	 */
	void (*quit)(void *opaque);
	void *opaque;
};

/* The escape state machine, a pure function of its state and one input byte. */
enum console_esc_action {
	CONSOLE_ESC_FORWARD,	/* give this byte to the guest */
	CONSOLE_ESC_DROP,	/* swallowed: the prefix, or an unknown command */
	CONSOLE_ESC_QUIT,
	CONSOLE_ESC_HELP,
};

struct console_escape {
	bool prefix_seen;
};

enum console_esc_action console_escape_feed(struct console_escape *e, uint8_t byte);

struct console {
	int in_fd, out_fd;
	struct console_ops ops;
	bool started;
	bool wants_thread;	/* there is input to read: console_start() reads it */
	bool escapes;		/* input is our raw terminal: Ctrl-A commands */
	bool raw;		/* we changed the terminal's mode */
	bool thread_running;
	pthread_t thread;
	int stop_fd;		/* eventfd: console_stop() wakes the thread */
	int ready_fd;		/* eventfd: console_rx_ready() */

	pthread_mutex_t out_lock;
	bool out_broken;	/* the output's reader went away (EPIPE) */

	/* Input thread only. */
	struct console_escape esc;
	bool in_eof;
	size_t pending_start, pending_len;
	uint8_t pending[CONSOLE_BUF_SIZE];	/* read, not yet taken by the guest */
};

/*
 * Open the console: in_fd (usually STDIN_FILENO, or -1 for no input) will feed
 * ops->receive, a terminal put in raw mode now; out_fd (usually STDOUT_FILENO,
 * or -1 to discard) takes console_write() from now on. Sets SIGPIPE to SIG_IGN
 * if it had its default action, so a closed output is an EPIPE to ignore
 * rather than death. -EBUSY when another console already holds the terminal.
 */
int console_open(struct console *c, int in_fd, int out_fd, const struct console_ops *ops);
/* Start reading the input (its thread). */
int console_start(struct console *c);

/*
 * Stop and join the input thread, restore the terminal. Idempotent. Stop the
 * callers of console_write()/console_rx_ready() (the vCPUs) first.
 */
void console_stop(struct console *c);

/* The receiver has room again (e.g. the UART's rx_ready). Any thread. */
void console_rx_ready(struct console *c);

/* Write all of buf to the output (retrying short writes); errors drop output. */
void console_write(struct console *c, const uint8_t *buf, size_t len);

#endif
