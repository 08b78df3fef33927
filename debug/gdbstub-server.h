/*
 * The gdbstub's transport: listens on tcp:HOST:PORT or unix:PATH for one
 * debugger at a time (a second is told so and hung up on), runs a
 * gdb_session over the connection, and when the debugger detaches or goes
 * away lets the machine run on. `gasang run --gdb` starts one for the VM's
 * life; the control socket's "gdb" op starts one on a running VM that ends
 * with its debugger (once).
 *
 * It lives on an event loop (base/loop.h) the caller runs: the VM's monitor
 * loop, shared with the control socket, so the debugger's packets and the
 * control socket's requests are served one at a time on one thread. The
 * debugger is a struct stream: a debugger that stops reading is hung up on
 * once 8 MiB of replies wait for it, and never holds up the loop.
 *
 * Threads: gdbstub_start and gdbstub_close on the loop's thread (or while no
 * thread runs the loop); gdbstub_machine_ended from any thread but the
 * loop's; the CPUs' own threads only ever queue a deferred call.
 */
#ifndef DEBUG_GDBSTUB_SERVER_H
#define DEBUG_GDBSTUB_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct gdbstub;
struct loop;
struct machine;

#define GDBSTUB_WHERE_MAX 300	/* "tcp:[ADDR]:PORT" or "unix:PATH", NUL included */

struct gdbstub_opts {
	const char *spec;	/* tcp:[HOST]:PORT (HOST: 127.0.0.1 when empty) or unix:PATH */
	/*
	 * spec NULL: a listening stream socket someone else bound (passed over
	 * the control socket), taken over when gdbstub_start succeeds (the
	 * caller's still when it fails); its file, if any, stays theirs.
	 */
	int listen_fd;
	bool wait;		/* hold the CPUs before their first instruction (QEMU's -S) */
	/*
	 * once: the stub ends after its first debugger leaves (detach, kill,
	 * hang-up); ended(opaque) is then called on the loop's thread, after
	 * which the stub is gone.
	 */
	bool once;
	void (*ended)(void *opaque);
	void *opaque;
};

/*
 * Listen for debuggers of machine m on loop l. The address bound
 * (tcp:HOST:0 picks a free port) is gdbstub_where(). 0, or a negative errno
 * (recorded; the message names the spec).
 */
int gdbstub_start(struct gdbstub **out, struct loop *l, struct machine *m,
		  const struct gdbstub_opts *o);
/*
 * A listening socket for a debugger, as spec says (tcp:HOST:0 picks a free
 * port; a unix socket is made mode 0600, a stale one replaced): its fd
 * (non-blocking), with where (GDBSTUB_WHERE_MAX bytes) saying what was bound,
 * or a negative errno (recorded; the message names the spec). gasang vm and
 * gasangd make one this way to pass to a VM that cannot (its sandbox).
 */
int gdbstub_listen(const char *spec, char *where);
/* Where it listens: "tcp:127.0.0.1:40123" or "unix:PATH". */
const char *gdbstub_where(const struct gdbstub *g);
/* unix:PATH's directory (O_PATH) when it made the socket, where it removes it; -1: none. */
int gdbstub_dir_fd(const struct gdbstub *g);
/* Whether it ends with its first debugger (gdbstub_opts.once). */
bool gdbstub_once(const struct gdbstub *g);
/* Whether a debugger is connected now. */
bool gdbstub_attached(const struct gdbstub *g);
/*
 * The machine ended (its exit status, or the signal that ended it): a
 * connected debugger is told so. The stub then takes no more debuggers;
 * gdbstub_close frees it.
 */
void gdbstub_machine_ended(struct gdbstub *g, int status, int signal);
/*
 * Stop listening; a connected debugger is let go as if it detached (every
 * breakpoint off, the machine running) and hung up on. NULL is a no-op.
 */
void gdbstub_close(struct gdbstub *g);

#endif
