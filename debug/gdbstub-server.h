/*
 * The gdbstub's transport: `gasang run --gdb tcp:HOST:PORT | unix:PATH`
 * listens for one debugger at a time on a thread of its own (a second is
 * told so and hung up on), runs a gdb_session over the connection, and when
 * the debugger detaches or goes away lets the machine run on.
 */
#ifndef DEBUG_GDBSTUB_SERVER_H
#define DEBUG_GDBSTUB_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct gdbstub;
struct machine;

/*
 * Listen on spec for debuggers of machine m. wait: the machine is held
 * before its first instruction until a debugger lets it go (QEMU's -S).
 * The address actually bound (tcp:HOST:0 picks a free port) goes to where,
 * as "tcp:127.0.0.1:40123" or "unix:PATH". 0, or a negative errno (recorded).
 * Debuggers are served from gdbstub_start() on: a VM listens before its
 * sandbox, and its threads are made after.
 */
int gdbstub_open(struct gdbstub **out, struct machine *m, const char *spec, bool wait,
		 char *where, size_t where_size);
/* Serve debuggers, on a thread of its own. */
int gdbstub_start(struct gdbstub *g);
/* unix:PATH's directory (O_PATH), where gdbstub_stop removes the socket; -1: none. */
int gdbstub_dir_fd(const struct gdbstub *g);
/*
 * The machine ended (status, or the signal that ended it): tell a connected
 * debugger, stop the thread, close and free. NULL is a no-op.
 */
void gdbstub_stop(struct gdbstub *g, int status, int signal);

#endif
