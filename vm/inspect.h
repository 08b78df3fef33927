/*
 * The control socket's ops for debuggers and inspection (docs/API.md), over
 * the machine's debug seam (debug/debug.h), for either accelerator:
 *
 *   gdb           start a gdbstub on the running VM ("listen": tcp:HOST:PORT
 *                 or unix:PATH; it ends with its debugger) or stop one
 *                 ("stop": true)
 *   registers     every register of one CPU or all, by GDB's names
 *   memory-read   up to 64 KiB at a virtual (the CPU's page tables) or
 *                 physical address, base64 or hex
 *   memory-write  the same, the other way; all or nothing
 *   memory-save   any range, as raw bytes after the reply (QEMU's memsave
 *                 and pmemsave): the client writes the file, the VM opens
 *                 none
 *   dump          the whole machine as an ELF core file after the reply
 *                 (QEMU's dump-guest-memory), for gdb
 *
 * Every read is of a stopped machine: the CPUs are held (counted with the
 * VM's own pause, struct inspect_hold) for the op, and for a body until its
 * last byte is sent or its client goes away. Every client-supplied value
 * is checked: a range past RAM, an unmapped page or a malformed argument
 * is an error reply, and the guest runs on.
 *
 * Threads: everything on the VM's monitor loop (where the control socket
 * and the gdbstub are served), but inspect_machine_ended (any thread) and
 * inspect_init/inspect_destroy (no thread runs the loop).
 */
#ifndef VM_INSPECT_H
#define VM_INSPECT_H

#include <jansson.h>
#include <stdbool.h>

struct control_body;
struct gdbstub;
struct loop;
struct machine;
struct request;

/* The VM's pause, counted: the CPUs stay stopped while anyone holds them. */
struct inspect_hold {
	int (*hold)(void *opaque);	/* 0, or a negative errno (recorded) */
	void (*release)(void *opaque);
	void *opaque;
};

struct inspect {
	struct machine *m;
	struct loop *loop;
	const struct debug_ops *ops;	/* NULL: a machine without a debug seam */
	void *target;
	struct inspect_hold hold;
	struct gdbstub *gdb;		/* --gdb's, or the gdb op's while it lives */
};

void inspect_init(struct inspect *in, struct machine *m, struct loop *l,
		  const struct inspect_hold *hold);
/* Stop the gdbstub (as a detach would), if one runs. */
void inspect_destroy(struct inspect *in);

/* --gdb SPEC [--gdb-wait]: a gdbstub for the VM's life. Its address is inspect_gdb_where(). */
int inspect_gdb_start(struct inspect *in, const char *spec, bool wait);
/* Where the gdbstub listens, or NULL. */
const char *inspect_gdb_where(const struct inspect *in);
/* Where that stub removes its socket's file (gdbstub_dir_fd), -1: none. */
int inspect_gdb_dir_fd(const struct inspect *in);
/* The machine ended: a debugger is told how (status, or the signal). */
void inspect_machine_ended(struct inspect *in, int status, int signal);

/* control_ops.request (vm/control.h), opaque the struct inspect. */
int inspect_request(void *opaque, const struct request *rq, json_t *result,
		    struct control_body *body, const char **code);

#endif
