#include "vm/console.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/error.h"
#include "base/sandbox.h"

#define CONSOLE_READ_SIZE	256

/* Plain newlines: raw mode keeps output processing (ONLCR) on, as QEMU does. */
static const char console_help[] =
	"\n"
	"C-a h    print this help\n"
	"C-a x    exit the emulator\n"
	"C-a C-a  send C-a\n";

enum console_esc_action console_escape_feed(struct console_escape *e, uint8_t byte)
{
	if (!e->prefix_seen) {
		if (byte != CONSOLE_ESC_PREFIX)
			return CONSOLE_ESC_FORWARD;
		e->prefix_seen = true;
		return CONSOLE_ESC_DROP;
	}
	e->prefix_seen = false;
	switch (byte) {
	case CONSOLE_ESC_PREFIX:
		return CONSOLE_ESC_FORWARD;
	case 'x':
		return CONSOLE_ESC_QUIT;
	case 'h':
		return CONSOLE_ESC_HELP;
	default:
		return CONSOLE_ESC_DROP;
	}
}

/*
 * The terminal guard. A terminal is process-wide, and a signal handler or an
 * atexit handler can reach nothing but globals: this is the console's one
 * piece of global state, owned by at most one console at a time.
 */
static const int tty_guard_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT };

static struct {
	bool claimed;			/* a console owns the guard */
	bool atexit_registered;
	volatile sig_atomic_t active;	/* 'saved' must be put back */
	int fd;
	struct termios saved;
	struct sigaction old[ARRAY_SIZE(tty_guard_signals)];
	bool installed[ARRAY_SIZE(tty_guard_signals)];
} tty_guard;

/* tcsetattr from a background process would stop us with SIGTTOU: block it. */
static int tty_setattr(int fd, const struct termios *t)
{
	sigset_t ttou, old;
	int ret;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &ttou, &old);
	do {
		ret = tcsetattr(fd, TCSANOW, t);
	} while (ret < 0 && errno == EINTR);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret < 0 ? -errno : 0;
}

/* Async-signal-safe. */
static void tty_guard_restore(void)
{
	if (tty_guard.active)
		tty_setattr(tty_guard.fd, &tty_guard.saved);
}

static void tty_guard_atexit(void)
{
	tty_guard_restore();
}

static void tty_guard_chain(int sig, siginfo_t *info, void *uctx)
{
	const struct sigaction *old = NULL;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(tty_guard_signals); i++)
		if (tty_guard_signals[i] == sig)
			old = &tty_guard.old[i];
	if (!old)
		return;
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, info, uctx);
	} else if (old->sa_handler == SIG_DFL) {
		/* Die as we would have: the signal is delivered once we return. */
		sigaction(sig, old, NULL);
		raise(sig);
	} else if (old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
	}
}

static void tty_guard_signal(int sig, siginfo_t *info, void *uctx)
{
	int saved_errno = errno;

	tty_guard_restore();
	tty_guard_chain(sig, info, uctx);
	errno = saved_errno;
}

static void tty_guard_install_signals(void)
{
	struct sigaction sa = { 0 };
	unsigned i;

	sa.sa_sigaction = tty_guard_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTTOU);
	for (i = 0; i < ARRAY_SIZE(tty_guard_signals); i++)
		sigaddset(&sa.sa_mask, tty_guard_signals[i]);
	for (i = 0; i < ARRAY_SIZE(tty_guard_signals); i++) {
		struct sigaction *old = &tty_guard.old[i];

		/* A signal the process ignores (nohup) stays ignored. */
		if (sigaction(tty_guard_signals[i], NULL, old) < 0 ||
		    (!(old->sa_flags & SA_SIGINFO) && old->sa_handler == SIG_IGN))
			continue;
		if (sigaction(tty_guard_signals[i], &sa, NULL) == 0)
			tty_guard.installed[i] = true;
	}
}

static void tty_guard_remove_signals(void)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(tty_guard_signals); i++) {
		if (!tty_guard.installed[i])
			continue;
		sigaction(tty_guard_signals[i], &tty_guard.old[i], NULL);
		tty_guard.installed[i] = false;
	}
}

/* Like QEMU's stdio: raw input, no signals from keys, output processing kept. */
static void termios_make_raw(struct termios *t)
{
	t->c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t->c_oflag |= OPOST;
	t->c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t->c_cflag &= ~(CSIZE | PARENB);
	t->c_cflag |= CS8;
	t->c_cc[VMIN] = 1;
	t->c_cc[VTIME] = 0;
}

static void tty_guard_leave(void)
{
	tty_guard_restore();
	tty_guard.active = 0;
	tty_guard_remove_signals();
	__atomic_store_n(&tty_guard.claimed, false, __ATOMIC_RELEASE);
}

static int tty_guard_enter(int fd)
{
	struct termios raw;
	int err;

	if (__atomic_exchange_n(&tty_guard.claimed, true, __ATOMIC_ACQ_REL))
		return error_set(-EBUSY, "console: the terminal is already in use");
	if (tcgetattr(fd, &tty_guard.saved) < 0) {
		err = -errno;
		__atomic_store_n(&tty_guard.claimed, false, __ATOMIC_RELEASE);
		return error_errno(err, "console: tcgetattr");
	}
	tty_guard.fd = fd;
	if (!tty_guard.atexit_registered && atexit(tty_guard_atexit) == 0)
		tty_guard.atexit_registered = true;
	tty_guard_install_signals();
	/* Armed before the change, so no window leaves the terminal raw. */
	tty_guard.active = 1;
	raw = tty_guard.saved;
	termios_make_raw(&raw);
	err = tty_setattr(fd, &raw);
	if (err) {
		tty_guard_leave();
		return error_errno(err, "console: tcsetattr");
	}
	return 0;
}

/* Reading a terminal owned by another process group would stop us (SIGTTIN). */
static bool tty_in_background(int fd)
{
	pid_t pg = tcgetpgrp(fd);

	return pg > 0 && pg != getpgrp();
}

static void ignore_default_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) < 0)
		return;
	if ((sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_DFL)
		return;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (c->out_fd < 0)
		return;
	pthread_mutex_lock(&c->out_lock);
	while (len && !c->out_broken) {
		n = write(c->out_fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			wait_writable(c->out_fd);	/* someone made it non-blocking */
		} else if (n < 0 && errno == EPIPE) {
			c->out_broken = true;
		} else {
			break;		/* drop this buffer, try the next */
		}
	}
	pthread_mutex_unlock(&c->out_lock);
}

static void eventfd_signal(int fd)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: the wakeup is there. */
	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void eventfd_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

void console_rx_ready(struct console *c)
{
	if (c->ready_fd >= 0)
		eventfd_signal(c->ready_fd);
}

/* Give the receiver what it takes of the pending bytes. */
static void console_flush(struct console *c)
{
	size_t n;

	while (c->pending_len) {
		n = c->ops.receive(c->ops.opaque, c->pending + c->pending_start, c->pending_len);
		if (n == 0)
			break;
		if (n > c->pending_len)
			n = c->pending_len;
		c->pending_start += n;
		c->pending_len -= n;
	}
	if (c->pending_len == 0)
		c->pending_start = 0;
}

static size_t pending_room(const struct console *c)
{
	return CONSOLE_BUF_SIZE - c->pending_len;
}

static void pending_append(struct console *c, const uint8_t *buf, size_t len)
{
	if (len > pending_room(c))
		len = pending_room(c);	/* a terminal overrun: the rest is dropped */
	if (c->pending_start + c->pending_len + len > CONSOLE_BUF_SIZE) {
		memmove(c->pending, c->pending + c->pending_start, c->pending_len);
		c->pending_start = 0;
	}
	memcpy(c->pending + c->pending_start + c->pending_len, buf, len);
	c->pending_len += len;
}

/* Run typed bytes through the escapes; false once the user quit. */
static bool console_filter_tty(struct console *c, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (console_escape_feed(&c->esc, buf[i])) {
		case CONSOLE_ESC_FORWARD:
			pending_append(c, &buf[i], 1);
			break;
		case CONSOLE_ESC_DROP:
			break;
		case CONSOLE_ESC_HELP:
			console_write(c, (const uint8_t *)console_help, sizeof(console_help) - 1);
			break;
		case CONSOLE_ESC_QUIT:
			if (c->ops.quit)
				c->ops.quit(c->ops.opaque);
			return false;
		}
	}
	return true;
}

/* Read what the input has; false once the user quit. */
static bool console_read_input(struct console *c)
{
	uint8_t buf[CONSOLE_READ_SIZE];
	size_t want = sizeof(buf);
	ssize_t n;

	/* From a pipe take no more than fits: the writer waits, nothing is lost. */
	if (!c->escapes && want > pending_room(c))
		want = pending_room(c);
	n = read(c->in_fd, buf, want);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		c->in_eof = true;	/* EOF, or a hung-up terminal (EIO) */
		return true;
	}
	if (c->escapes)
		return console_filter_tty(c, buf, n);
	pending_append(c, buf, n);
	return true;
}

static bool console_want_input(const struct console *c)
{
	if (c->in_eof)
		return false;
	/* A terminal is always read, so Ctrl-A x gets through a stuck guest. */
	return c->escapes || pending_room(c) > 0;
}

enum { POLL_STOP, POLL_READY, POLL_INPUT, POLL_COUNT };

static void *console_thread(void *arg)
{
	struct console *c = arg;
	struct pollfd pfd[POLL_COUNT];

	sandbox_thread_enter(SANDBOX_CONTROL);
	for (;;) {
		if (c->in_eof && c->pending_len == 0)
			break;
		pfd[POLL_STOP] = (struct pollfd){ .fd = c->stop_fd, .events = POLLIN };
		pfd[POLL_READY] = (struct pollfd){ .fd = c->pending_len ? c->ready_fd : -1,
						   .events = POLLIN };
		pfd[POLL_INPUT] = (struct pollfd){ .fd = console_want_input(c) ? c->in_fd : -1,
						   .events = POLLIN };
		if (poll(pfd, POLL_COUNT, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[POLL_STOP].revents)
			break;
		if (pfd[POLL_READY].revents)
			eventfd_drain(c->ready_fd);
		if (pfd[POLL_INPUT].revents & POLLNVAL)
			c->in_eof = true;
		else if (pfd[POLL_INPUT].revents && !console_read_input(c))
			break;
		console_flush(c);
	}
	return NULL;
}

/* The input thread takes no signals: they belong to the VM's main thread. */
static int console_spawn(struct console *c)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&c->thread, NULL, console_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return error_errno(-err, "console: thread");
	c->thread_running = true;
	return 0;
}

/* The terminal in raw mode and the thread's eventfds; the thread comes with console_start(). */
static int console_open_input(struct console *c)
{
	int err;

	if (isatty(c->in_fd)) {
		if (tty_in_background(c->in_fd))
			return 0;
		err = tty_guard_enter(c->in_fd);
		if (err)
			return err;
		c->raw = true;
		c->escapes = true;
	}
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->stop_fd < 0 || c->ready_fd < 0) {
		err = error_errno(-errno, "console: eventfd");
		goto err_fds;
	}
	c->wants_thread = true;
	return 0;

err_fds:
	if (c->ready_fd >= 0)
		close(c->ready_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	c->ready_fd = c->stop_fd = -1;
	if (c->raw)
		tty_guard_leave();
	c->raw = false;
	return err;
}

int console_open(struct console *c, int in_fd, int out_fd, const struct console_ops *ops)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->stop_fd = c->ready_fd = -1;
	if (ops)
		c->ops = *ops;
	err = pthread_mutex_init(&c->out_lock, NULL);
	if (err)
		return error_errno(-err, "console: mutex");
	if (out_fd >= 0)
		ignore_default_sigpipe();
	if (in_fd >= 0 && c->ops.receive) {
		err = console_open_input(c);
		if (err) {
			pthread_mutex_destroy(&c->out_lock);
			return err;
		}
	}
	c->started = true;
	return 0;
}

int console_start(struct console *c)
{
	if (!c->wants_thread || c->thread_running)
		return 0;
	return console_spawn(c);
}

void console_stop(struct console *c)
{
	if (!c->started)
		return;
	if (c->thread_running) {
		eventfd_signal(c->stop_fd);
		pthread_join(c->thread, NULL);
		c->thread_running = false;
	}
	if (c->raw) {
		tty_guard_leave();
		c->raw = false;
	}
	if (c->ready_fd >= 0)
		close(c->ready_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	c->ready_fd = c->stop_fd = -1;
	pthread_mutex_destroy(&c->out_lock);
	c->started = false;
}
