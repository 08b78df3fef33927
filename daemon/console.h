/*
 * A client's console through the daemon: the client's connection is joined
 * to a new connection to the VM's control socket ({"op": "console"}): the
 * VM's scrollback and output flow to the client, the client's keystrokes to
 * the guest (one writer at a time: the VM says "busy" to a second one). The
 * detach key (Ctrl-]) is the client's business: it closes its connection.
 * Ops whose reply is followed by bytes (memory-save, dump) are relayed
 * the same way: the VM's reply, then its bytes, then the end; and the gdb
 * op, which passes the VM a listening socket, the reply alone.
 */
#ifndef DAEMON_CONSOLE_H
#define DAEMON_CONSOLE_H

#include <jansson.h>
#include <stdbool.h>

struct conn;
struct domain;

/*
 * Start attaching c to dom's console; the reply comes when the VM answers.
 * The connection tells the relay what its client does (struct conn_relay_ops).
 */
void console_attach(struct conn *c, struct domain *dom, json_t *id, bool write);
/*
 * Relay op (args stolen) to dom's control socket on a connection of its
 * own; the VM's reply (with its result) goes to c, then what the VM sends
 * after it; with write, what c's client sends goes to the VM.
 */
void relay_attach(struct conn *c, struct domain *dom, json_t *id, const char *op, json_t *args,
		  bool write);
/* Told once: the VM's result (the hook may change it), or NULL when it failed. */
struct relay_hook {
	void (*fn)(void *opaque, json_t *result);
	void *opaque;
};
/*
 * Op (args stolen) to dom's control socket on a connection of its own with
 * descriptor fd passed along (SCM_RIGHTS; the caller's copy stays the
 * caller's): the VM's reply goes to c, whose requests then go on.
 */
void relay_call_fd(struct conn *c, struct domain *dom, json_t *id, const char *op, json_t *args,
		   int fd, struct relay_hook hook);

#endif
