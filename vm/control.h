/*
 * The per-VM control socket (`gasang run --control SOCKET`): a unix socket
 * speaking JSON lines (base/jsonl.h, base/request.h), used by gasangd and
 * usable without it. A line is at most CONTROL_MAX_MESSAGE bytes. gasangd
 * makes the socket itself (control_listen) and hands it to the VM
 * (`--control-fd N`), so it can connect before the VM serves it.
 *
 *   request  {"id": ID, "op": "status" | "stats" | "pause" | "resume" |
 *             "powerdown" | "reset" | "quit" | "console", ...}
 *   reply    {"id": ID, "ok": true, "result": {...}}
 *            {"id": ID, "ok": false, "error": {"code": "...", "message": "..."}}
 *
 * "screendump" ({"op": "screendump", "path": "FILE.png"}) writes what the
 * display shows as a PNG to the file whose descriptor the client passes with
 * the request (SCM_RIGHTS; the sandboxed VM opens no paths, "path" names the
 * file in messages): a blank screen while the guest has drawn nothing, an
 * error for a VM without --display.
 *
 * "console" ({"op": "console", "write": true|false}) turns the connection into
 * the guest's serial console as a raw byte stream: first the last 64 KiB of
 * output (scrollback), then what the guest prints; with "write", bytes sent go
 * to the guest (one writer at a time; "busy" otherwise). Error codes are
 * stable: bad-request, unknown-op, busy, too-big, failed. A line too big is
 * answered too-big (id null) and ends the connection's requests: what else it
 * sends is dropped, and end-of-file follows the answer. "reset" resets the
 * machine in place, as the guest's own reboot does (QEMU's system_reset): the
 * same process boots again; with --no-reboot it ends the VM instead.
 *
 * Threading: the socket is served by a thread of its own (base/loop.h) from
 * control_start() on (a VM opens it before its sandbox, serves it after);
 * control_console_output() and control_rx_ready() may be called from any
 * thread; the ops are called on the control thread.
 */
#ifndef VM_CONTROL_H
#define VM_CONTROL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_MAX_MESSAGE	(1u << 20)
#define CONTROL_SCROLLBACK	(64u << 10)

struct control_ops {
	/* fill result with the VM's state; return 0 or a negative errno */
	int (*status)(void *opaque, json_t *result);
	int (*stats)(void *opaque, json_t *result);
	int (*pause)(void *opaque);
	int (*resume)(void *opaque);
	int (*powerdown)(void *opaque);
	int (*reset)(void *opaque);
	void (*quit)(void *opaque);
	/* console input for the guest: the bytes taken */
	size_t (*console_input)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
	/* write the screen as a PNG to fd (the caller closes it); NULL: no display */
	int (*screendump)(void *opaque, int fd);
};

struct control;

/* A control socket listening at path (a stale one replaced, mode 0600): its fd, or -errno. */
int control_listen(const char *path);
/*
 * Take the listening socket listen_fd over (closed by control_stop, or now
 * when this fails). path, if not NULL, is its file, removed by control_stop
 * through a descriptor of its directory, opened now (control_dir_fd).
 */
int control_open(struct control **out, int listen_fd, const char *path,
		 const struct control_ops *ops);
/* Serve it, on a thread of its own. */
int control_start(struct control *c);
/* The socket file's directory (O_PATH), where control_stop removes it; -1: none. */
int control_dir_fd(const struct control *c);
/* Close every connection, the socket (and its file), free. NULL is fine. */
void control_stop(struct control *c);
/* The guest printed this on its console (any thread). */
void control_console_output(struct control *c, const uint8_t *buf, size_t len);
/* The guest can take console input again (any thread). */
void control_rx_ready(struct control *c);

#endif
