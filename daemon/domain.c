#include "daemon/domain.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/error.h"
#include "base/request.h"
#include "daemon/events.h"
#include "daemon/jail.h"
#include "daemon/log.h"
#include "daemon/monitor.h"
#include "daemon/store.h"
#include "vm/control.h"
#include "vm/exit-status.h"

enum waiter_kind {
	W_START,	/* answered when the VM runs (or did not start) */
	W_STOP,		/* answered when its process is gone */
};

struct waiter {
	struct waiter *next;
	struct domain *dom;
	enum waiter_kind kind;
	struct dom_done done;
	struct loop_timer timer;	/* shutdown's --timeout */
	long long timeout_s;
};

static const char *const state_names[] = {
	[DOM_SHUTOFF] = "shutoff",
	[DOM_RUNNING] = "running",
	[DOM_PAUSED] = "paused",
	[DOM_CRASHED] = "crashed",
};

const char *dom_state_name(enum dom_state s)
{
	return state_names[s];
}

static int parse_state(const char *s, enum dom_state *out)
{
	unsigned i;

	for (i = 0; s && i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!strcmp(s, state_names[i])) {
			*out = (enum dom_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct dom_process_ops *proc(const struct domain *dom)
{
	return dom->env->proc;
}

static void set_state(struct domain *dom, enum dom_state st, const char *reason)
{
	dom->state = st;
	snprintf(dom->reason, sizeof(dom->reason), "%s", reason);
}

/* Fields an event or info adds about how the last process ended. */
static json_t *end_fields(const struct domain *dom)
{
	json_t *o = json_object();

	if (dom->exit_status >= 0)
		json_object_set_new(o, "exit_status", json_integer(dom->exit_status));
	if (dom->signal > 0) {
		const char *abbrev = sigabbrev_np(dom->signal);
		char name[32];

		snprintf(name, sizeof(name), "SIG%s", abbrev ? abbrev : "?");
		json_object_set_new(o, "signal", json_integer(dom->signal));
		json_object_set_new(o, "signal_name", json_string(name));
	}
	if (dom->detail[0])
		json_object_set_new(o, "detail", json_string(dom->detail));
	return o;
}

struct event_vm domain_event_vm(const struct domain *dom)
{
	return (struct event_vm){ .name = dom->name, .uuid = dom->uuid,
				  .state = dom_state_name(dom->state), .reason = dom->reason,
				  .kind = dom->container ? "container" : "vm" };
}

/*
 * Persist the state (and the process it runs as) and log the event in one
 * transaction; the event goes to subscribers once it is committed.
 */
static void record(struct domain *dom, const char *event, json_t *extra)
{
	const struct dom_env *env = dom->env;
	struct store_runtime rt = {
		.state = dom_state_name(dom->state),
		.reason = dom->reason,
		.exit_status = dom->exit_status,
		.signal = dom->signal,
		.detail = dom->detail[0] ? dom->detail : NULL,
		.shim_pid = dom->shim.pid,
		.shim_start = dom->shim.start,
		.vm_pid = dom->vm.pid,
		.vm_start = dom->vm.start,
		.boot_id = env->boot_id,
		.started_ms = dom->started_ms,
	};
	struct event_vm about = domain_event_vm(dom);
	char *line = NULL;
	int err;

	err = store_begin(env->store);
	if (!err) {
		err = store_domain_set_runtime(env->store, dom->name, &rt);
		if (!err && event) {
			line = events_log(env->events, &about, event, extra ? extra : end_fields(dom));
			extra = NULL;
		}
		if (err)
			store_rollback(env->store);
		else
			err = store_commit(env->store);
	}
	json_decref(extra);
	if (err)
		log_err("%s: cannot record its state: %s", dom->name, error_msg());
	events_send(env->events, dom->name, line);
	if (event)
		log_info("%s: %s (%s, %s)", dom->name, event, dom_state_name(dom->state), dom->reason);
}

/* ---- completions ---- */

static void done_ok(struct dom_done done, json_t *result)
{
	if (done.fn)
		done.fn(done.opaque, DOM_OK, result, NULL);
	else
		json_decref(result);
}

static void PRINTF_LIKE(3, 4) done_error(struct dom_done done, enum dom_err err,
					 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (done.fn)
		done.fn(done.opaque, err, NULL, msg);
	else
		log_warn("%s", msg);	/* nobody asked (autostart): the log hears it */
}

/* ---- waiters: completions owed until the VM runs or stops ---- */

static void waiter_free(struct domain *dom, struct waiter *w)
{
	struct waiter **p;

	for (p = &dom->waiters; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	loop_timer_stop(dom->env->loop, &w->timer);
	free(w);
}

static void waiter_timeout(void *opaque)
{
	struct waiter *w = opaque;
	struct domain *dom = w->dom;

	done_error(w->done, DOM_ERR_TIMEOUT, "%s did not stop within %lld s (it is still %s)",
		   dom->name, w->timeout_s, dom_state_name(dom->state));
	waiter_free(dom, w);
}

static void add_waiter(struct domain *dom, enum waiter_kind kind, struct dom_done done,
		       long long timeout_s)
{
	struct waiter *w;

	if (!done.fn)
		return;	/* nobody to tell */
	w = calloc(1, sizeof(*w));
	if (!w) {
		done_error(done, DOM_ERR_FAILED, "out of memory");
		return;
	}
	w->dom = dom;
	w->kind = kind;
	w->done = done;
	w->timeout_s = timeout_s;
	w->next = dom->waiters;
	dom->waiters = w;
	if (timeout_s > 0)
		loop_timer_start(dom->env->loop, &w->timer, (uint64_t)timeout_s * 1000,
				 waiter_timeout, w);
}

static json_t *start_result(const struct domain *dom)
{
	return json_pack("{s:s,s:s,s:s,s:i}", "name", dom->name, "state",
			 dom_state_name(dom->state), "reason", dom->reason, "pid", (int)dom->vm.pid);
}

/* Answer every waiter of a kind: ok (with the VM's state) or an error. */
static void answer(struct domain *dom, enum waiter_kind kind, enum dom_err err, const char *msg)
{
	struct waiter *w = dom->waiters, *next;

	for (; w; w = next) {
		next = w->next;
		if (w->kind != kind)
			continue;
		if (err)
			done_error(w->done, err, "%s", msg);
		else if (kind == W_START)
			done_ok(w->done, start_result(dom));
		else
			done_ok(w->done, json_pack("{s:s,s:s,s:s}", "name", dom->name, "state",
						   dom_state_name(dom->state), "reason", dom->reason));
		waiter_free(dom, w);
	}
}

/* ---- the process ---- */

/* The last line the VM wrote to its log (its error message, when it failed). */
static void last_log_line(struct domain *dom)
{
	char buf[2048], *end, *start;
	ssize_t n;
	off_t size;
	int fd = open(dom->log_path, O_RDONLY | O_CLOEXEC);

	dom->detail[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	end = buf + n;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(buf, '\n');
	start = start ? start + 1 : buf;
	snprintf(dom->detail, sizeof(dom->detail), "%.255s", start);
}

static void on_pidfd(void *opaque, uint32_t events);
static void on_monitor_closed(void *opaque);
static void on_first_status(void *opaque, int err, json_t *result, const char *code,
			    const char *message);

static void watch_pidfd(struct domain *dom, int fd)
{
	dom->pidfd = fd;
	if (loop_watch(dom->env->loop, &dom->pidfd_w, fd, EPOLLIN, on_pidfd, dom))
		log_err("%s: %s", dom->name, error_msg());
}

static void unwatch_pidfd(struct domain *dom)
{
	if (dom->pidfd < 0)
		return;
	loop_unwatch(dom->env->loop, &dom->pidfd_w);
	close(dom->pidfd);
	dom->pidfd = -1;
}

/*
 * The VM's control socket, made and connected to before the VM exists (it
 * serves it once it can): the listening descriptor for the VM, or -errno.
 */
static int control_prepare(struct domain *dom)
{
	struct monitor *m;
	int fd = proc(dom)->control_listen(dom->sock_path), err;

	if (fd < 0)
		return fd;
	err = proc(dom)->monitor_connect(dom->env->loop, dom->sock_path, &m);
	if (err) {
		close(fd);
		unlink(dom->sock_path);
		return error_set(err, "cannot connect to its control socket %s: %s", dom->sock_path,
				 strerror(-err));
	}
	dom->mon = m;
	proc(dom)->monitor_on_close(m, on_monitor_closed, dom);
	return fd;
}

/* the gdbstub's socket gasangd made for it (domain_gdb_path), if any */
static void remove_gdb_socket(const struct domain *dom)
{
	char path[sizeof(dom->sock_path) + 8];
	struct stat st;

	if (!domain_gdb_path(dom, path, sizeof(path)) && !lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
}

static void control_drop(struct domain *dom)
{
	proc(dom)->monitor_close(dom->mon);
	dom->mon = NULL;
	unlink(dom->sock_path);
}

/* How is the VM? Its first answer completes a start (or an adoption). */
static void ask_status(struct domain *dom)
{
	proc(dom)->monitor_call(dom->mon, "status", NULL, on_first_status, dom);
}

/* What the process's start set up outside it (a container's leftovers, leases): undone. */
static void guest_ended(struct domain *dom)
{
	const struct dom_guest_ops *g = dom->env->guest;

	dom->guest_pid = 0;
	if (g && g->ended)
		g->ended(g->opaque, dom);
}

/*
 * The VM's process: its supervisor first, the VM through it, handed its
 * control socket; the caller asks for the status once the start is noted.
 */
static int spawn(struct domain *dom)
{
	const struct dom_env *env = dom->env;
	struct sup_spawn sp = { 0 };
	struct def_jail jail;
	char **argv;
	int err, fd;

	/* a VM is jailed (daemon/jail.h); a container's isolation is its own */
	err = dom->container ? 0 : dom_jail_default(env->vm_dir, &jail);
	if (err)
		return err;
	if (env->guest && env->guest->argv)
		err = env->guest->argv(env->guest->opaque, dom, SUP_CONTROL_FD,
				       dom->container ? NULL : &jail, &argv);
	else
		err = def_argv(dom->def, env->gasang, SUP_CONTROL_FD, &jail, &argv);
	if (err)
		return err;
	sp.control_fd = control_prepare(dom);
	if (sp.control_fd < 0) {
		def_argv_free(argv);
		return sp.control_fd;
	}
	if (env->cgroups && env->cgroups->usable &&
	    sup_cgroup_create(env->cgroups, dom->uuid, &dom->cg))
		log_debug("%s: no cgroup: %s", dom->name, error_msg());
	sp.argv = argv;
	sp.log_path = dom->log_path;
	sp.status_path = dom->status_path;
	sp.cg = dom->cg.n ? &dom->cg : NULL;
	err = proc(dom)->spawn(&sp, &dom->shim, &dom->vm);
	def_argv_free(argv);
	/* the VM's alone from here: when it ends, the socket goes, resetting our connection */
	close(sp.control_fd);
	if (err) {
		sup_cgroup_remove(&dom->cg);
		control_drop(dom);
		guest_ended(dom);
		return err;
	}
	dom->shim_child = true;
	dom->watching_vm = false;
	fd = proc(dom)->pidfd(&dom->shim);
	if (fd < 0) {
		proc(dom)->signal(&dom->vm, SIGKILL);
		proc(dom)->reap(&dom->shim);
		sup_cgroup_remove(&dom->cg);
		control_drop(dom);
		guest_ended(dom);
		memset(&dom->shim, 0, sizeof(dom->shim));
		memset(&dom->vm, 0, sizeof(dom->vm));
		return error_set(fd, "cannot watch the VM's process");
	}
	watch_pidfd(dom, fd);
	dom->started_ms = wall_ms();
	dom->job = JOB_STARTING;
	dom->start_deadline_ms = loop_now_ms() + DOM_START_TIMEOUT_MS;
	log_info("%s: started process %d (supervisor %d)", dom->name, (int)dom->vm.pid,
		 (int)dom->shim.pid);
	return 0;
}

/* The process ended: what it means, recorded; replies owed, given. */
static void process_ended(struct domain *dom, bool known, int wstatus)
{
	bool was_starting = dom->job == JOB_STARTING, destroyed = dom->destroying;
	const char *event = "stopped";
	char msg[400], why[sizeof(dom->detail)];

	/* what the daemon found wrong while it started, if it killed it */
	snprintf(why, sizeof(why), "%s", was_starting ? dom->detail : "");

	proc(dom)->monitor_close(dom->mon);
	dom->mon = NULL;
	loop_timer_stop(dom->env->loop, &dom->timer);
	unwatch_pidfd(dom);
	sup_cgroup_remove(&dom->cg);
	unlink(dom->sock_path);
	unlink(dom->status_path);
	guest_ended(dom);
	remove_gdb_socket(dom);
	memset(&dom->shim, 0, sizeof(dom->shim));
	memset(&dom->vm, 0, sizeof(dom->vm));
	dom->shim_child = dom->watching_vm = dom->adopting = false;
	dom->job = JOB_NONE;
	dom->started_ms = 0;
	dom->exit_status = known && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	dom->signal = known && WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	dom->detail[0] = '\0';

	if (dom->rebooting && !destroyed && (dom->reboot_reset || dom->exit_status == VM_EXIT_OK)) {
		/* the guest went down for a reboot: up again, in a new process */
		dom->reboot_reset = false;
		if (spawn(dom) == 0) {
			log_info("%s: restarting for a reboot", dom->name);
			record(dom, NULL, NULL);
			ask_status(dom);
			return;
		}
		snprintf(dom->detail, sizeof(dom->detail), "%.255s", error_msg());
		set_state(dom, DOM_SHUTOFF, "failed");
	} else if (destroyed) {
		set_state(dom, DOM_SHUTOFF, "destroyed");
	} else if (was_starting) {
		if (why[0])
			memcpy(dom->detail, why, sizeof(why));
		else
			last_log_line(dom);
		set_state(dom, DOM_SHUTOFF, "failed");
	} else if (!known) {
		set_state(dom, DOM_CRASHED, "unknown");
	} else if (WIFSIGNALED(wstatus)) {
		set_state(dom, DOM_CRASHED, "killed");
	} else if (dom->exit_status == VM_EXIT_OK) {
		set_state(dom, DOM_SHUTOFF, "shutdown");
	} else if (dom->container) {
		/* its monitor ends as its init did: any other exit status is the command's own */
		last_log_line(dom);
		set_state(dom, DOM_CRASHED, "failed");
	} else if (dom->exit_status > VM_EXIT_SIGNAL && dom->exit_status - VM_EXIT_SIGNAL < NSIG) {
		/* `gasang run` stopped cleanly on a signal someone else sent */
		dom->signal = dom->exit_status - VM_EXIT_SIGNAL;
		set_state(dom, DOM_CRASHED, "killed");
	} else {
		last_log_line(dom);
		set_state(dom, DOM_CRASHED, dom->exit_status == VM_EXIT_GUEST ? "panicked" : "failed");
	}
	if (dom->state == DOM_CRASHED)
		event = "crashed";
	dom->destroying = dom->rebooting = dom->reboot_reset = false;
	record(dom, event, NULL);

	if (destroyed)
		snprintf(msg, sizeof(msg), "%s was destroyed while it started", dom->name);
	else
		snprintf(msg, sizeof(msg), "%s did not start: %s", dom->name,
			 dom->detail[0] ? dom->detail : "its process ended");
	answer(dom, W_START, DOM_ERR_FAILED, msg);
	answer(dom, W_STOP, DOM_OK, NULL);
}

static void on_pidfd(void *opaque, uint32_t events)
{
	struct domain *dom = opaque;
	int wstatus = 0, fd;

	(void)events;
	unwatch_pidfd(dom);
	if (dom->watching_vm) {
		process_ended(dom, false, 0);
		return;
	}
	if (dom->shim_child)
		proc(dom)->reap(&dom->shim);
	if (proc(dom)->status_read(dom->status_path, &wstatus) == 0) {
		process_ended(dom, true, wstatus);
		return;
	}
	/* the supervisor went before the VM: watch the VM itself */
	fd = proc(dom)->pidfd(&dom->vm);
	if (fd >= 0 && proc(dom)->alive(&dom->vm)) {
		log_warn("%s: its supervisor process is gone; watching the VM (pid %d) itself",
			 dom->name, (int)dom->vm.pid);
		dom->watching_vm = true;
		memset(&dom->shim, 0, sizeof(dom->shim));
		watch_pidfd(dom, fd);
		record(dom, NULL, NULL);
		return;
	}
	if (fd >= 0)
		close(fd);
	process_ended(dom, false, 0);
}

/* ---- the control socket ---- */

static void on_monitor_closed(void *opaque)
{
	struct domain *dom = opaque;

	/* the VM is ending; its process's end tells how */
	proc(dom)->monitor_close(dom->mon);
	dom->mon = NULL;
}

static void on_first_status(void *opaque, int err, json_t *result, const char *code,
			    const char *message)
{
	struct domain *dom = opaque;
	const char *st = json_string_value(json_object_get(result, "state"));

	(void)code;
	if (err == -ETIMEDOUT && dom->job == JOB_STARTING && dom->mon &&
	    loop_now_ms() < dom->start_deadline_ms) {
		/* still setting up (its kernel loading, its disks opening): asked again */
		proc(dom)->monitor_call(dom->mon, "status", NULL, on_first_status, dom);
		return;
	}
	if (err) {
		/* -ECONNRESET: the process is ending, and its end will tell */
		if (err != -ECONNRESET && dom->job == JOB_STARTING) {
			snprintf(dom->detail, sizeof(dom->detail),
				 "the VM did not answer on its control socket (%.100s)",
				 err > 0 && message ? message : strerror(err > 0 ? EPROTO : -err));
			proc(dom)->signal(&dom->vm, SIGKILL);
		} else if (err != -ECONNRESET) {
			log_warn("%s: status: %s", dom->name,
				 err > 0 && message ? message : strerror(err > 0 ? EPROTO : -err));
			dom->adopting = false;
		}
		return;
	}
	if (dom->container && json_is_integer(json_object_get(result, "pid")))
		dom->guest_pid = (pid_t)json_integer_value(json_object_get(result, "pid"));
	if (dom->job == JOB_STARTING) {
		const char *event = dom->rebooting ? "rebooted" : "started";

		dom->job = JOB_NONE;
		dom->rebooting = false;
		dom->exit_status = -1;
		dom->signal = 0;
		dom->detail[0] = '\0';
		if (st && !strcmp(st, "paused"))
			set_state(dom, DOM_PAUSED, "user");
		else
			set_state(dom, DOM_RUNNING, "booted");
		record(dom, event, json_object());
		answer(dom, W_START, DOM_OK, NULL);
	} else if (dom->adopting) {
		dom->adopting = false;
		if (st && !strcmp(st, "paused") && dom->state != DOM_PAUSED)
			set_state(dom, DOM_PAUSED, "user");
		else if (st && !strcmp(st, "running") && dom->state != DOM_RUNNING)
			set_state(dom, DOM_RUNNING, "unpaused");
		record(dom, NULL, NULL);
		log_info("%s: re-adopted (pid %d, %s)", dom->name, (int)dom->vm.pid,
			 dom_state_name(dom->state));
	}
}

/*
 * A VM that an earlier daemon started: its control socket is there (the VM
 * holds it since): connect, and ask how the VM is.
 */
static void connect_control(struct domain *dom)
{
	struct monitor *m;
	int err = proc(dom)->monitor_connect(dom->env->loop, dom->sock_path, &m);

	if (!err) {
		dom->mon = m;
		proc(dom)->monitor_on_close(m, on_monitor_closed, dom);
		ask_status(dom);
		return;
	}
	if (dom->job == JOB_STARTING) {
		snprintf(dom->detail, sizeof(dom->detail), "cannot reach its control socket: %s",
			 strerror(-err));
		proc(dom)->signal(&dom->vm, SIGKILL);
	} else {
		log_warn("%s: cannot reach its control socket %s: %s", dom->name, dom->sock_path,
			 strerror(-err));
		dom->adopting = false;
	}
}

/* ---- objects ---- */

struct domain *domain_new(const struct dom_env *env, json_t *def, bool autostart)
{
	struct domain *dom = calloc(1, sizeof(*dom));
	const char *name = json_string_value(json_object_get(def, "name"));
	const char *uuid = json_string_value(json_object_get(def, "uuid"));

	if (!dom || !name || !uuid) {
		free(dom);
		return NULL;
	}
	dom->env = env;
	dom->def = def;
	dom->autostart = autostart;
	dom->container = !strcmp(json_string_value(json_object_get(def, "type")) ?: "vm",
				 "container");
	snprintf(dom->name, sizeof(dom->name), "%s", name);
	snprintf(dom->uuid, sizeof(dom->uuid), "%s", uuid);
	set_state(dom, DOM_SHUTOFF, "unknown");
	dom->exit_status = -1;
	dom->pidfd = -1;
	dom->pidfd_w.fd = -1;
	/* main.c made sure the directories leave room for these names */
	if (snprintf(dom->sock_path, sizeof(dom->sock_path), "%s/%s.sock", env->vm_dir,
		     dom->uuid) >= (int)sizeof(dom->sock_path) ||
	    snprintf(dom->status_path, sizeof(dom->status_path), "%s/%s.status", env->vm_dir,
		     dom->uuid) >= (int)sizeof(dom->status_path) ||
	    snprintf(dom->log_path, sizeof(dom->log_path), "%s/%s.log", env->log_dir,
		     dom->name) >= (int)sizeof(dom->log_path)) {
		free(dom);
		return NULL;
	}
	return dom;
}

struct domain *domain_load(const struct dom_env *env, const struct store_domain *sd)
{
	json_t *def = json_loads(sd->definition, 0, NULL), *norm = NULL;
	struct domain *dom;
	enum dom_state st = DOM_SHUTOFF;
	bool autostart;

	/* stored definitions went through def_normalize: it must still accept them */
	if (!def || def_normalize(def, &norm, &autostart)) {
		log_err("%s: its stored definition is not valid any more: %s", sd->name,
			def ? error_msg() : "not JSON");
		json_decref(def);
		return NULL;
	}
	json_decref(def);
	dom = domain_new(env, norm, sd->autostart);
	if (!dom) {
		json_decref(norm);
		return NULL;
	}
	parse_state(sd->rt.state, &st);
	set_state(dom, st, sd->rt.reason ? sd->rt.reason : "unknown");
	dom->exit_status = sd->rt.exit_status;
	dom->signal = sd->rt.signal;
	snprintf(dom->detail, sizeof(dom->detail), "%s", sd->rt.detail ? sd->rt.detail : "");
	if (st == DOM_RUNNING || st == DOM_PAUSED) {
		/* its cgroup, to remove when it ends */
		if (env->cgroups && env->cgroups->usable)
			sup_cgroup_find(env->cgroups, dom->uuid, &dom->cg);
		dom->shim = (struct sup_proc){ sd->rt.shim_pid, sd->rt.shim_start };
		dom->vm = (struct sup_proc){ sd->rt.vm_pid, sd->rt.vm_start };
		dom->started_ms = sd->rt.started_ms;
		if (!sd->rt.boot_id || strcmp(sd->rt.boot_id, env->boot_id)) {
			/* the host restarted since: those pids mean nothing */
			memset(&dom->shim, 0, sizeof(dom->shim));
			memset(&dom->vm, 0, sizeof(dom->vm));
		}
		if (!strcmp(dom->reason, "starting-up"))
			dom->job = JOB_STARTING;
	}
	return dom;
}

void domain_adopt(struct domain *dom)
{
	bool shim_alive, vm_alive;
	int fd = -1;

	if (dom->state != DOM_RUNNING && dom->state != DOM_PAUSED)
		return;
	shim_alive = proc(dom)->alive(&dom->shim);
	vm_alive = proc(dom)->alive(&dom->vm);
	if (shim_alive)
		fd = proc(dom)->pidfd(&dom->shim);
	if (fd < 0 && vm_alive) {
		fd = proc(dom)->pidfd(&dom->vm);
		dom->watching_vm = fd >= 0;
		memset(&dom->shim, 0, sizeof(dom->shim));
	}
	if (fd < 0) {
		int wstatus;
		bool known = !shim_alive && dom->vm.pid &&
			     proc(dom)->status_read(dom->status_path, &wstatus) == 0;

		/* it ended while no daemon watched */
		process_ended(dom, known, known ? wstatus : 0);
		return;
	}
	dom->shim_child = false;
	watch_pidfd(dom, fd);
	if (vm_alive) {
		dom->adopting = dom->job != JOB_STARTING;
		dom->start_deadline_ms = loop_now_ms() + DOM_START_TIMEOUT_MS;
		connect_control(dom);
	}
}

void domain_release(struct domain *dom)
{
	struct waiter *w;

	proc(dom)->monitor_close(dom->mon);
	dom->mon = NULL;
	loop_timer_stop(dom->env->loop, &dom->timer);
	unwatch_pidfd(dom);
	while ((w = dom->waiters)) {
		done_error(w->done, DOM_ERR_FAILED, "gasangd is stopping");
		waiter_free(dom, w);
	}
	/* the cgroup stays with the running VM; the next daemon finds it by uuid */
	cgroup_free(&dom->cg);
	memset(&dom->cg, 0, sizeof(dom->cg));
}

void domain_free(struct domain *dom)
{
	if (!dom)
		return;
	domain_release(dom);
	json_decref(dom->def);
	free(dom->sum.text);
	free(dom);
}

/* Its pid: a VM's process, a container's init (once its monitor said which). */
static pid_t guest_pid(const struct domain *dom)
{
	if (!dom_active(dom))
		return 0;
	return dom->container && dom->guest_pid ? dom->guest_pid : dom->vm.pid;
}

static json_t *pid_or_null(const struct domain *dom)
{
	return guest_pid(dom) ? json_integer(guest_pid(dom)) : json_null();
}

json_t *domain_summary(const struct domain *dom)
{
	json_t *s = json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:s}", "name", dom->name, "uuid", dom->uuid,
			      "state", dom_state_name(dom->state), "reason", dom->reason,
			      "pid", pid_or_null(dom), "autostart", dom->autostart,
			      "type", dom->container ? "container" : "vm");

	if (!s)
		return NULL;
	if (dom->container) {
		json_object_set(s, "memory", json_object_get(dom->def, "memory") ?: json_null());
		json_object_set(s, "cpus", json_object_get(dom->def, "cpus") ?: json_null());
	} else {
		json_object_set(s, "arch", json_object_get(dom->def, "arch"));
		json_object_set(s, "vcpus", json_object_get(dom->def, "vcpus"));
		json_object_set(s, "memory", json_object_get(dom->def, "memory"));
	}
	return s;
}

const char *domain_summary_text(struct domain *dom)
{
	pid_t pid = guest_pid(dom);
	json_t *j;

	if (dom->sum.text && dom->sum.state == dom->state && dom->sum.pid == pid &&
	    dom->sum.autostart == dom->autostart && !strcmp(dom->sum.reason, dom->reason))
		return dom->sum.text;
	free(dom->sum.text);
	j = domain_summary(dom);
	dom->sum.text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	dom->sum.state = dom->state;
	dom->sum.pid = pid;
	dom->sum.autostart = dom->autostart;
	memcpy(dom->sum.reason, dom->reason, sizeof(dom->reason));
	return dom->sum.text;
}

json_t *domain_definition(const struct domain *dom)
{
	json_t *def = json_deep_copy(dom->def);

	if (def)
		json_object_set_new(def, "autostart", json_boolean(dom->autostart));
	return def;
}

/* ---- operations ---- */

static bool refuse_busy(struct domain *dom, struct dom_done done)
{
	if (dom->job == JOB_STARTING) {
		done_error(done, DOM_ERR_WRONG_STATE, "%s is starting", dom->name);
		return true;
	}
	if (dom->destroying || dom->reboot_reset) {
		done_error(done, DOM_ERR_WRONG_STATE, "%s is %s", dom->name,
			   dom->destroying ? "being destroyed" : "being reset");
		return true;
	}
	return false;
}

static bool refuse_inactive(struct domain *dom, struct dom_done done)
{
	if (!dom_active(dom)) {
		done_error(done, DOM_ERR_WRONG_STATE, "%s is not running (it is %s)", dom->name,
			   dom_state_name(dom->state));
		return true;
	}
	return false;
}

static bool refuse_no_monitor(struct domain *dom, struct dom_done done)
{
	if (!dom->mon) {
		done_error(done, DOM_ERR_FAILED, "no connection to %s's control socket", dom->name);
		return true;
	}
	return false;
}

void domain_start(struct domain *dom, struct dom_done done)
{
	if (dom_active(dom)) {
		done_error(done, DOM_ERR_WRONG_STATE, "%s is already %s", dom->name,
			   dom->job == JOB_STARTING ? "starting" : dom_state_name(dom->state));
		return;
	}
	if (spawn(dom)) {
		done_error(done, DOM_ERR_FAILED, "cannot start %s: %s", dom->name, error_msg());
		return;
	}
	dom->exit_status = -1;
	dom->signal = 0;
	dom->detail[0] = '\0';
	set_state(dom, DOM_PAUSED, "starting-up");
	record(dom, NULL, NULL);
	add_waiter(dom, W_START, done, 0);
	ask_status(dom);
}

struct op_ctx {
	struct domain *dom;
	struct dom_done done;
	long long timeout_s;
	bool reboot;
	json_t *info;
};

static struct op_ctx *ctx_new(struct domain *dom, struct dom_done done)
{
	struct op_ctx *x = calloc(1, sizeof(*x));

	if (!x)
		done_error(done, DOM_ERR_FAILED, "out of memory");
	else
		*x = (struct op_ctx){ .dom = dom, .done = done };
	return x;
}

static void vm_error(struct dom_done done, struct domain *dom, const char *op, int err,
		     const char *message)
{
	if (err > 0)
		done_error(done, DOM_ERR_FAILED, "%s: %s", dom->name, message ? message : op);
	else if (err == -ETIMEDOUT)
		done_error(done, DOM_ERR_TIMEOUT, "%s did not answer %s within %d s", dom->name, op,
			   MONITOR_TIMEOUT_MS / 1000);
	else
		done_error(done, DOM_ERR_FAILED, "%s: %s: %s", dom->name, op,
			   err == -ECONNRESET ? "the VM went away" : strerror(-err));
}

static void on_powerdown(void *opaque, int err, json_t *result, const char *code,
			 const char *message)
{
	struct op_ctx *x = opaque;
	struct domain *dom = x->dom;

	(void)result;
	(void)code;
	if (err && !(err == -ECONNRESET && !dom_active(dom))) {
		vm_error(x->done, dom, "powerdown", err, message);
	} else if (x->reboot) {
		if (dom_active(dom))
			dom->rebooting = true;
		done_ok(x->done, NULL);
	} else if (x->timeout_s > 0 && dom_active(dom)) {
		add_waiter(dom, W_STOP, x->done, x->timeout_s);
	} else {
		done_ok(x->done, x->timeout_s > 0 ?
			json_pack("{s:s,s:s}", "state", dom_state_name(dom->state), "reason",
				  dom->reason) : NULL);
	}
	free(x);
}

void domain_shutdown(struct domain *dom, struct dom_done done, long long timeout_s)
{
	struct op_ctx *x;

	if (refuse_inactive(dom, done) || refuse_busy(dom, done) || refuse_no_monitor(dom, done))
		return;
	x = ctx_new(dom, done);
	if (!x)
		return;
	x->timeout_s = timeout_s;
	dom->rebooting = false;	/* off, not a reboot any more */
	proc(dom)->monitor_call(dom->mon, "powerdown", NULL, on_powerdown, x);
}

static void kill_now(void *opaque)
{
	struct domain *dom = opaque;

	log_warn("%s: still there %d ms after SIGTERM: SIGKILL", dom->name, DOM_KILL_GRACE_MS);
	proc(dom)->signal(&dom->vm, SIGKILL);
}

static void terminate(struct domain *dom)
{
	/* `gasang run` stops cleanly on SIGTERM (a tap it made is removed); SIGKILL if not */
	proc(dom)->signal(&dom->vm, SIGTERM);
	loop_timer_start(dom->env->loop, &dom->timer, DOM_KILL_GRACE_MS, kill_now, dom);
}

void domain_destroy(struct domain *dom, struct dom_done done)
{
	if (refuse_inactive(dom, done))
		return;
	add_waiter(dom, W_STOP, done, 0);
	if (dom->destroying)
		return;
	dom->destroying = true;
	terminate(dom);
}

void domain_reboot(struct domain *dom, struct dom_done done, bool reset)
{
	struct op_ctx *x;

	if (refuse_inactive(dom, done) || refuse_busy(dom, done))
		return;
	if (reset) {
		dom->rebooting = dom->reboot_reset = true;
		add_waiter(dom, W_START, done, 0);
		terminate(dom);
		return;
	}
	if (refuse_no_monitor(dom, done))
		return;
	x = ctx_new(dom, done);
	if (!x)
		return;
	x->reboot = true;
	proc(dom)->monitor_call(dom->mon, "powerdown", NULL, on_powerdown, x);
}

static void on_pause_resume(void *opaque, int err, json_t *result, const char *code,
			    const char *message)
{
	struct op_ctx *x = opaque;
	struct domain *dom = x->dom;
	bool pause = x->timeout_s;	/* 1: pause, 0: resume */

	(void)result;
	(void)code;
	if (err) {
		vm_error(x->done, dom, pause ? "pause" : "resume", err, message);
	} else if (dom->job == JOB_NONE && dom_active(dom)) {
		if (pause && dom->state != DOM_PAUSED) {
			set_state(dom, DOM_PAUSED, "user");
			record(dom, "paused", json_object());
		} else if (!pause && dom->state != DOM_RUNNING) {
			set_state(dom, DOM_RUNNING, "unpaused");
			record(dom, "resumed", json_object());
		}
		done_ok(x->done, json_pack("{s:s,s:s}", "state", dom_state_name(dom->state),
					   "reason", dom->reason));
	} else {
		done_error(x->done, DOM_ERR_WRONG_STATE, "%s is %s", dom->name,
			   dom_state_name(dom->state));
	}
	free(x);
}

static void pause_or_resume(struct domain *dom, struct dom_done done, bool pause)
{
	struct op_ctx *x;

	if (refuse_inactive(dom, done) || refuse_busy(dom, done))
		return;
	if (dom->state == (pause ? DOM_PAUSED : DOM_RUNNING)) {
		done_error(done, DOM_ERR_WRONG_STATE, "%s is already %s", dom->name,
			   dom_state_name(dom->state));
		return;
	}
	if (refuse_no_monitor(dom, done))
		return;
	x = ctx_new(dom, done);
	if (!x)
		return;
	x->timeout_s = pause;
	proc(dom)->monitor_call(dom->mon, pause ? "pause" : "resume", NULL, on_pause_resume, x);
}

void domain_pause(struct domain *dom, struct dom_done done)
{
	pause_or_resume(dom, done, true);
}

void domain_resume(struct domain *dom, struct dom_done done)
{
	pause_or_resume(dom, done, false);
}

/* ---- the VM's own ops ---- */

static void on_vm_call(void *opaque, int err, json_t *result, const char *code,
		       const char *message)
{
	struct op_ctx *x = opaque;

	if (err > 0 && code && message && !strcmp(code, E_BAD_REQUEST))
		done_error(x->done, DOM_ERR_BAD_REQUEST, "%s", message);
	else if (err > 0 && code && message && !strcmp(code, E_BUSY))
		done_error(x->done, DOM_ERR_BUSY, "%s", message);
	else if (err)
		vm_error(x->done, x->dom, "the op", err, message);
	else
		done_ok(x->done, json_incref(result));
	free(x);
}

void domain_call(struct domain *dom, const char *op, json_t *args, struct dom_done done)
{
	struct op_ctx *x;

	if (refuse_inactive(dom, done) || refuse_busy(dom, done) || refuse_no_monitor(dom, done) ||
	    !(x = ctx_new(dom, done))) {
		json_decref(args);
		return;
	}
	proc(dom)->monitor_call(dom->mon, op, args, on_vm_call, x);
}

int domain_gdb_path(const struct domain *dom, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s/%s.gdb", dom->env->vm_dir, dom->uuid) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- info ---- */

/* Host CPU time of a process from /proc, in ms (when its control socket cannot say). */
static long long proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	for (field = 2; field < 14 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu %llu", &ut, &st) != 2 || hz <= 0)
		return -1;
	return (long long)((ut + st) * 1000 / (unsigned long long)hz);
}

/* Resident memory of a process from /proc, in bytes. */
static long long proc_rss_bytes(pid_t pid)
{
	char path[64];
	long long pages = -1;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%*s %lld", &pages) != 1)
		pages = -1;
	fclose(f);
	return pages < 0 || page <= 0 ? -1 : pages * page;
}

/* json_object_update with a new reference to drop */
static void merge_new(json_t *into, json_t *from)
{
	json_object_update(into, from);
	json_decref(from);
}

static json_t *info_base(const struct domain *dom)
{
	json_t *o = domain_summary(dom), *disks = json_array(), *nics = json_array(), *e;
	size_t i;

	merge_new(o, end_fields(dom));
	json_object_set_new(o, "cpu_time_ms", json_null());
	json_object_set_new(o, "uptime_ms", json_null());
	if (dom_active(dom) && dom->vm.pid) {
		long long cpu = proc_cpu_ms(dom->vm.pid);

		if (cpu >= 0)
			json_object_set_new(o, "cpu_time_ms", json_integer(cpu));
		if (dom->started_ms)
			json_object_set_new(o, "uptime_ms",
					    json_integer(wall_ms() - dom->started_ms));
	}
	json_object_set_new(o, "memory_used", json_null());
	if (dom_active(dom) && dom->vm.pid && !dom->container) {
		long long rss = proc_rss_bytes(dom->vm.pid);

		if (rss >= 0)
			json_object_set_new(o, "memory_used", json_integer(rss));
	}
	/* without a process: what the definition has, no counters */
	json_array_foreach(json_object_get(dom->def, "disks"), i, e)
		json_array_append_new(disks, json_pack("{s:O?,s:O?}", "path", json_object_get(e, "path"),
						       "volume", json_object_get(e, "volume")));
	json_array_foreach(json_object_get(dom->def, "nics"), i, e)
		json_array_append_new(nics, json_pack("{s:O,s:O?,s:O?}", "type",
						      json_object_get(e, "type"), "mac",
						      json_object_get(e, "mac"), "network",
						      json_object_get(e, "network")));
	json_object_set_new(o, "disks", disks);
	json_object_set_new(o, "nics", nics);
	return o;
}

/* What the process said of itself, and what the daemon knows of the NICs, into info. */
static void info_merge(struct op_ctx *x, const char *key, json_t *result)
{
	json_t *v = json_object_get(result, key);

	if (v)
		json_object_set(x->info, key, v);
}

static void info_done(struct op_ctx *x)
{
	const struct dom_guest_ops *g = x->dom->env->guest;

	if (g && g->info)
		g->info(g->opaque, x->dom, x->info);
	done_ok(x->done, x->info);
	free(x);
}

static void on_info_stats(void *opaque, int err, json_t *result, const char *code,
			  const char *message)
{
	struct op_ctx *x = opaque;

	(void)code;
	(void)message;
	if (!err) {
		json_object_set(x->info, "disks", json_object_get(result, "disks"));
		json_object_set(x->info, "nics", json_object_get(result, "nics"));
	}
	info_done(x);
}

static void on_info_status(void *opaque, int err, json_t *result, const char *code,
			   const char *message)
{
	struct op_ctx *x = opaque;
	struct domain *dom = x->dom;

	(void)code;
	(void)message;
	if (err) {
		info_done(x);
		return;
	}
	info_merge(x, "cpu_time_ms", result);
	info_merge(x, "uptime_ms", result);
	info_merge(x, "cpus", result);	/* per CPU, where the machine reports it */
	if (dom->container) {
		/* a container's pid is its init's; its CPU time and memory are its cgroup's */
		info_merge(x, "pid", result);
		info_merge(x, "monitor_pid", result);
		info_merge(x, "memory_used", result);
	}
	if (dom->mon)
		proc(dom)->monitor_call(dom->mon, "stats", NULL, on_info_stats, x);
	else
		on_info_stats(x, -ECONNRESET, NULL, NULL, NULL);
}

void domain_info(struct domain *dom, struct dom_done done)
{
	struct op_ctx *x;
	json_t *info = info_base(dom);

	if (!info) {
		done_error(done, DOM_ERR_FAILED, "out of memory");
		return;
	}
	x = ctx_new(dom, done);
	if (!x) {
		json_decref(info);
		return;
	}
	x->info = info;
	if (!dom->mon || dom->job != JOB_NONE) {
		info_done(x);
		return;
	}
	proc(dom)->monitor_call(dom->mon, "status", NULL, on_info_status, x);
}

/* ---- gasangd's VM processes ---- */

static void reap_child(const struct sup_proc *shim)
{
	waitpid(shim->pid, NULL, 0);
}

const struct dom_process_ops dom_process_supervised = {
	.spawn = sup_spawn,
	.alive = sup_alive,
	.pidfd = sup_pidfd,
	.signal = sup_signal,
	.status_read = sup_status_read,
	.reap = reap_child,
	.control_listen = control_listen,
	.monitor_connect = monitor_connect,
	.monitor_on_close = monitor_on_close,
	.monitor_call = monitor_call,
	.monitor_close = monitor_close,
};
