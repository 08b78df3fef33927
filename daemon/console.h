/*
 * A client's console through the daemon: the client's connection is joined
 * to a new connection to the VM's control socket ({"op": "console"}): the
 * VM's scrollback and output flow to the client, the client's keystrokes to
 * the guest (one writer at a time: the VM says "busy" to a second one). The
 * detach key (Ctrl-]) is the client's business: it closes its connection.
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

#endif
