/*
 * The per-VM control socket (`gasang run --control SOCKET`): a unix socket
 * speaking JSON lines (base/jsonl.h, base/request.h), used by gasangd and
 * usable without it. A line is at most CONTROL_MAX_MESSAGE bytes. gasangd
 * makes the socket itself (control_listen) and hands it to the VM
 * (`--control-fd N`), so it can connect before the VM serves it.
 *
 *   request  {"id": ID, "op": "status" | "stats" | "pause" | "resume" |
 *             "powerdown" | "reset" | "quit" | "console" | "save", ...}
 *   reply    {"id": ID, "ok": true, "result": {...}}
 *            {"id": ID, "ok": false, "error": {"code": "...", "message": "..."}}
 *
 * "screendump" ({"op": "screendump", "path": "FILE.png"}) writes what the
 * display shows as a PNG to the file whose descriptor the client passes with
 * the request (SCM_RIGHTS; the sandboxed VM opens no paths, "path" names the
 * file in messages): a blank screen while the guest has drawn nothing, an
 * error for a VM without --display.
 *
 * "status" answers state, pid, arch, vcpus, memory, uptime_ms, cpu_time_ms
 * and, where the machine reports it (riscv64), "cpus": [{"id", "state",
 * "instructions"}, ...] (state: running, idle, stopped, suspended, paused).
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
 * "save" ({"op": "save", "path": FILE}) pauses the VM, writes its state and
 * RAM to FILE (vm/state.h; a new file renamed over FILE when complete) and
 * ends the VM with exit status 0 after the answer; `gasang run --restore
 * FILE` resumes it. If the save fails the VM goes on as it was. A VM that
 * cannot open host paths (sandboxed) is given the file instead: {"op":
 * "save"} without a path, sent with a descriptor of a regular file open for
 * writing (SCM_RIGHTS on the same sendmsg as the request line).
 *
 * Threading: the socket is served on the VM's monitor loop (base/loop.h), a
 * thread of its own it shares with the gdbstub, started after the VM's
 * sandbox (the socket is taken before); control_console_output() and
 * control_rx_ready() may be called from any thread; the ops are called on the
 * loop's thread.
 */
#ifndef VM_CONTROL_H
#define VM_CONTROL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct request;

#define CONTROL_MAX_MESSAGE	(1u << 20)
#define CONTROL_SCROLLBACK	(64u << 10)

/*
 * Bytes that follow an op's reply on its connection, which ends after them
 * (memory-save, dump): read as the client takes them, so no more than a few
 * hundred KiB wait at a time. A client that takes nothing for 30 s is hung
 * up on.
 */
struct control_body {
	/* The next bytes into buf (at most len): their count, 0 at the end, or -errno (recorded). */
	ssize_t (*read)(void *opaque, void *buf, size_t len);
	/* Called once: the body ended, or its client went away. */
	void (*release)(void *opaque);
	void *opaque;
};

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
	/*
	 * Ops beyond the ones above (vm/debug-ops.c's), or NULL: 1 when rq's op
	 * is not one of them; 0 with result filled (and body set when bytes
	 * follow the reply; its release is called even when the reply cannot
	 * be sent); or a negative errno with a message recorded and *code the
	 * error code when it is not E_FAILED.
	 */
	int (*request)(void *opaque, const struct request *rq, json_t *result,
		       struct control_body *body, const char **code);
	/*
	 * Save the VM into the file at path, or into fd (path NULL; the op's to
	 * close), and end it (NULL: not offered); fill result with what was
	 * written. On failure the VM runs on as before.
	 */
	int (*save)(void *opaque, const char *path, int fd, json_t *result);
	/* write the screen as a PNG to fd (the caller closes it); NULL: no display */
	int (*screendump)(void *opaque, int fd);
};

struct control;

/* A control socket listening at path (a stale one replaced, mode 0600): its fd, or -errno. */
int control_listen(const char *path);
/*
 * Serve the listening socket listen_fd on loop l (taken over: closed by
 * control_stop, or now when this fails). path, if not NULL, is its file,
 * removed by control_stop through a descriptor of its directory, opened now
 * (control_dir_fd). On the loop's thread, or while none runs it.
 */
int control_start(struct control **out, struct loop *l, int listen_fd, const char *path,
		  const struct control_ops *ops);
/* The socket file's directory (O_PATH), where control_stop removes it; -1: none. */
int control_dir_fd(const struct control *c);
/*
 * Close every connection and the socket (and its file); freed on the loop
 * after what is queued for it. As control_start for threads (in a sandboxed
 * VM: the main thread, which alone may remove the file). NULL is fine.
 */
void control_stop(struct control *c);
/* The guest printed this on its console (any thread). */
void control_console_output(struct control *c, const uint8_t *buf, size_t len);
/* The guest can take console input again (any thread). */
void control_rx_ready(struct control *c);
/* The scrollback, oldest byte first, into buf (CONTROL_SCROLLBACK bytes): its length (any thread; c NULL: 0). */
size_t control_scrollback(struct control *c, uint8_t *buf);

#endif
