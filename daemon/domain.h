/*
 * One defined VM and its life, with states and reasons as libvirt models them:
 *
 *   state     reasons
 *   running   booted, unpaused
 *   paused    user, starting-up (while its process starts)
 *   shutoff   unknown (never started), shutdown (the guest powered off),
 *             destroyed, failed (it did not start)
 *   crashed   killed (by a signal nobody here sent: "signal"), panicked (the
 *             guest stopped in a way only it suffers from: exit status 1),
 *             failed (any other exit status: "exit_status"), unknown (it
 *             ended while no one could learn how)
 *
 * Operations say when they are done through a struct dom_done, once: start
 * once the VM answers on its control socket, destroy once its process is
 * gone, shutdown with a timeout once it stopped (or DOM_ERR_TIMEOUT). The
 * model knows no client: api.c turns completions into replies.
 *
 * What the domains share (loop, store, events, where files go) is a struct
 * dom_env; their VM processes and control sockets are reached through
 * struct dom_process_ops, so the model runs without either in unit tests.
 */
#ifndef DAEMON_DOMAIN_H
#define DAEMON_DOMAIN_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "base/cgroup.h"
#include "base/loop.h"
#include "daemon/definition.h"
#include "daemon/events.h"
#include "daemon/monitor.h"
#include "daemon/supervisor.h"

#define DOM_START_TIMEOUT_MS	30000	/* until the VM's control socket answers */
#define DOM_KILL_GRACE_MS	3000	/* destroy: SIGTERM, then SIGKILL after this */

struct store;
struct store_domain;

/*
 * A domain's VM process and its control socket. gasangd's are
 * dom_process_supervised (supervisor.c and monitor.c); unit tests fake them.
 */
struct dom_process_ops {
	/* the process: supervisor.h says what each does */
	int (*spawn)(const struct sup_spawn *sp, struct sup_proc *shim, struct sup_proc *vm);
	bool (*alive)(const struct sup_proc *p);
	int (*pidfd)(const struct sup_proc *p);
	int (*signal)(const struct sup_proc *p, int sig);
	int (*status_read)(const char *path, int *wstatus);
	void (*reap)(const struct sup_proc *shim);	/* our child, which has ended */
	/* its control socket, made here and handed to the VM (vm/control.h) */
	int (*control_listen)(const char *path);
	/* the daemon's connection to it: monitor.h says what each does */
	int (*monitor_connect)(struct loop *l, const char *path, struct monitor **out);
	void (*monitor_on_close)(struct monitor *m, void (*fn)(void *opaque), void *opaque);
	void (*monitor_call)(struct monitor *m, const char *op, json_t *args, monitor_cb cb,
			     void *opaque);
	void (*monitor_close)(struct monitor *m);
};

extern const struct dom_process_ops dom_process_supervised;

struct domain;

/*
 * What a domain's process is made of beyond its definition: the networks
 * and volumes it names resolved, a container's bundle written, and what is
 * left to undo once the process has ended. gasangd's are daemon/guest.c's;
 * without them (unit tests) a VM runs from its definition alone.
 */
struct dom_guest_ops {
	/* the process's command line; it finds its control socket at control_fd;
	 * a VM's jail (NULL for a container: its isolation is its own) */
	int (*argv)(void *opaque, struct domain *dom, int control_fd, const struct def_jail *jail,
		    char ***argv);
	/* its process ended (or was found gone): undo what argv set up */
	void (*ended)(void *opaque, struct domain *dom);
	/* what info adds about it (its addresses on networks) */
	void (*info)(void *opaque, const struct domain *dom, json_t *info);
	void *opaque;
};

/* What the domains of a daemon share (it outlives them). */
struct dom_env {
	struct loop *loop;
	struct store *store;
	struct events *events;
	const struct dom_process_ops *proc;
	struct sup_cgroups *cgroups;	/* NULL: VMs get no cgroup */
	const char *gasang;		/* the program VMs run as (`gasang run`) */
	const char *vm_dir;		/* control sockets and exit-status files */
	const char *log_dir;		/* each VM's stderr */
	const char *boot_id;		/* this boot of the host (sup_boot_id) */
	const struct dom_guest_ops *guest;	/* NULL: VMs from their definitions alone */
};

enum dom_state {
	DOM_SHUTOFF,
	DOM_RUNNING,
	DOM_PAUSED,
	DOM_CRASHED,
};

enum dom_job {
	JOB_NONE,
	JOB_STARTING,		/* the process runs, its control socket has not answered yet */
};

/* How an operation failed (api.c names them for clients: docs/API.md's codes). */
enum dom_err {
	DOM_OK,
	DOM_ERR_WRONG_STATE,	/* not possible in the VM's state */
	DOM_ERR_TIMEOUT,	/* the VM did not do it in time */
	DOM_ERR_FAILED,		/* it went wrong: the message says what */
	DOM_ERR_BAD_REQUEST,	/* the VM refused the op's arguments (domain_call) */
	DOM_ERR_BUSY,		/* the VM is busy with another such op (domain_call) */
};

/*
 * An operation is done: DOM_OK with result (an object, fn's to free; NULL:
 * nothing to say), or an error and a message saying what. fn NULL: nobody
 * asked (autostart), and errors are logged.
 */
struct dom_done {
	void (*fn)(void *opaque, enum dom_err err, json_t *result, const char *msg);
	void *opaque;
};

struct waiter;

struct domain {
	const struct dom_env *env;
	char name[DEF_NAME_MAX + 1];
	char uuid[DEF_UUID_LEN + 1];
	json_t *def;			/* normalized (definition.h), without autostart */
	bool autostart;
	bool container;			/* "type": "container": its process is its monitor */

	enum dom_state state;
	char reason[24];
	int exit_status;		/* of the last process; -1: none */
	int signal;			/* that killed it; 0: none */
	char detail[256];		/* what its log said last, after a failure */

	/* the process, while there is one (active) */
	enum dom_job job;
	bool destroying, adopting;
	bool rebooting;			/* start again once the process ends */
	bool reboot_reset;		/* ... however it ends (reboot --reset) */
	struct sup_proc shim, vm;
	pid_t guest_pid;		/* a container's init, as its monitor says; 0: not known */
	bool shim_child;		/* ours to reap */
	bool watching_vm;		/* the shim is gone: watching the VM itself */
	int pidfd;			/* of what we watch; -1: none */
	struct loop_watch pidfd_w;
	int64_t started_ms;		/* wall clock */
	uint64_t start_deadline_ms;	/* a start's first status, timed out, is asked again till then */
	struct monitor *mon;
	struct loop_timer timer;	/* destroy's SIGKILL */
	struct cgroup cg;
	struct waiter *waiters;

	struct {			/* domain_summary_text's last answer */
		char *text;
		enum dom_state state;
		char reason[24];
		pid_t pid;
		bool autostart;
	} sum;

	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char status_path[PATH_MAX];
	char log_path[PATH_MAX];
};

const char *dom_state_name(enum dom_state s);
static inline bool dom_active(const struct domain *dom)
{
	return dom->state == DOM_RUNNING || dom->state == DOM_PAUSED || dom->job != JOB_NONE;
}

/* A new domain from a normalized definition (not yet in the registry or the store). */
struct domain *domain_new(const struct dom_env *env, json_t *def, bool autostart);
/* From the store at start-up; domain_adopt then re-adopts a VM process that still runs. */
struct domain *domain_load(const struct dom_env *env, const struct store_domain *sd);
void domain_adopt(struct domain *dom);
void domain_free(struct domain *dom);

/* dom as its events name it: name, uuid, and its state and reason now. */
struct event_vm domain_event_vm(const struct domain *dom);

/* Summary for list; the definition (with autostart) for get. */
json_t *domain_summary(const struct domain *dom);
/* The same as compact JSON text, kept until the VM changes (list with many VMs). */
const char *domain_summary_text(struct domain *dom);
json_t *domain_definition(const struct domain *dom);

void domain_start(struct domain *dom, struct dom_done done);
void domain_shutdown(struct domain *dom, struct dom_done done, long long timeout_s);
void domain_destroy(struct domain *dom, struct dom_done done);
void domain_reboot(struct domain *dom, struct dom_done done, bool reset);
void domain_pause(struct domain *dom, struct dom_done done);
void domain_resume(struct domain *dom, struct dom_done done);
void domain_info(struct domain *dom, struct dom_done done);
/*
 * An op of the VM's control socket passed through as it is (args stolen):
 * gdb, registers, memory-read, memory-write (vm/inspect.h). The VM checks
 * the arguments; its bad-request and busy come back as such.
 */
void domain_call(struct domain *dom, const char *op, json_t *args, struct dom_done done);
/* Where a gdbstub of dom listens by default: RUN_DIR/UUID.gdb. 0, or -ENAMETOOLONG. */
#define DOM_GDB_PATH_MAX	108	/* a unix socket's path, NUL included */
int domain_gdb_path(const struct domain *dom, char *buf, size_t size);

/* The daemon is going away: let go of the processes (they keep running). */
void domain_release(struct domain *dom);

#endif
