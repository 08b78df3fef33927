/*
 * The GDB remote serial protocol over the debug seam (debug/debug.h): one
 * session per connected debugger, fed the bytes it sends and answering
 * through a write callback. All-stop: when one CPU stops, all stop; each
 * CPU is a thread (id = CPU number + 1). The transport (gdbstub-server.c)
 * owns the socket and the thread; the unit tests drive a session directly.
 *
 * Every value the debugger sends is checked: a malformed packet gets an
 * error reply, never a crash, and the machine goes on as it was.
 */
#ifndef DEBUG_GDBSTUB_H
#define DEBUG_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug/debug.h"
#include "debug/rsp.h"

struct machine;

struct gdb_session_io {
	/* Write all of buf to the debugger: 0, or negative when it is gone. */
	int (*write)(void *opaque, const void *buf, size_t len);
	void *opaque;
};

/* Signals GDB knows stops by (include/gdb/signals.h). */
#define GDB_SIGINT	2
#define GDB_SIGTRAP	5

struct gdb_session {
	struct machine *m;
	const struct debug_ops *ops;
	void *target;			/* what ops take: m->ops->debug_target(m) */
	struct gdb_session_io io;
	unsigned ncpus;
	struct rsp_decoder dec;
	bool no_ack;			/* QStartNoAckMode */
	bool running;			/* resumed: a stop reply is owed */
	bool closed;			/* detached, killed or ended: the transport hangs up */
	bool io_failed;
	bool swbreak, hwbreak;		/* the debugger takes these stop reasons */
	unsigned cpu_g;			/* Hg: registers and memory */
	unsigned cpu_c;			/* Hc: what s steps */
	enum debug_run *run;		/* per CPU, as last resumed */
	bool *run_set;			/* per CPU: vCont gave it an action */
	char stop_reply[160];		/* the last, for '?' */
	char *xml;			/* the target description */
	size_t xml_len;
	char *frame;			/* the last frame sent, for a nack */
	size_t frame_len;
	char reply[RSP_MAX_PACKET + 1];
	size_t reply_len;
};

/*
 * Start a session on machine m (m->ops->debug): stops the machine. 0, or a
 * negative errno (recorded) when the machine cannot be debugged.
 */
int gdb_session_init(struct gdb_session *s, struct machine *m, const struct gdb_session_io *io);
void gdb_session_destroy(struct gdb_session *s);
/* Bytes from the debugger. */
void gdb_session_input(struct gdb_session *s, const void *buf, size_t len);
/* A CPU stopped by itself (its notify): report it if the debugger waits. */
void gdb_session_cpu_stopped(struct gdb_session *s);
/* The machine is gone for good: tell the debugger the exit status (or the signal). */
void gdb_session_machine_ended(struct gdb_session *s, int status, int signal);
/* The debugger left without detaching: every point off, the machine runs on. */
void gdb_session_release(struct gdb_session *s);

#endif
