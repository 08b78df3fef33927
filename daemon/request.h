/*
 * gasangd's requests: base/request.h's, at most API_MAX_MESSAGE bytes each
 * (docs/API.md), with the error codes of the daemon's own besides the common
 * ones. Error codes are stable: scripts and libgasang-client rely on them.
 */
#ifndef DAEMON_REQUEST_H
#define DAEMON_REQUEST_H

#include "base/request.h"

#define API_MAX_MESSAGE	(1u << 20)

#define E_DENIED	"denied"	/* the read-only socket, or a peer not allowed */
#define E_NOT_FOUND	"not-found"	/* no VM of that name */
#define E_EXISTS	"exists"	/* the name or uuid is taken */
#define E_INVALID	"invalid"	/* a definition that does not hold */
#define E_WRONG_STATE	"wrong-state"	/* not possible in the VM's state */
#define E_TIMEOUT	"timeout"	/* the VM did not do it in time */

#endif
