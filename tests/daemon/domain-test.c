/*
 * daemon/domain.c, the VM's life, without a client or a process: the VM
 * process and its control socket are fakes behind struct dom_process_ops
 * (pidfds are pipes whose write end the fake closes when the process ends;
 * the control socket's calls wait until the test answers them), the loop,
 * the store and the events are the real ones.
 *
 * Covered: start (the control socket made and connected to before the VM,
 * asked again while the VM is slow to serve it), a start that fails (no
 * socket, no process, the process ends, the VM does not answer), pause and
 * resume, shutdown (with and without a timeout), destroy, the ways a VM ends
 * (power-off, panic, other exit statuses, signals), reboot (power key, reset),
 * info, a container (its monitor's end read as its init's, its init's pid,
 * the guest ops called), re-adoption by a restarted daemon (running, ended meanwhile, host
 * rebooted, supervisor gone, still starting), races between a stop request
 * and the process ending, a change the store refuses, and events that reach
 * subscribers only after the change and the replies owed for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "daemon/domain.h"
#include "daemon/store.h"

#define FAKE_PID_BASE	0x7ff00000	/* above any pid_max: /proc knows none of them */
#define MAX_PROCS	16
#define MAX_WATCHERS	8
#define MAX_SIGNALS	8
#define MAX_MONITORS	16
#define MAX_CALLS	8
#define MAX_DONES	16
#define MAX_EVENTS	32
#define RUN_LIMIT_MS	3000	/* run_until gives up after this */
#define VM_UUID		"0a1b2c3d-0000-4000-8000-000000000001"
#define BOOT_ID		"boot-of-this-test"

struct fake_proc {
	struct sup_proc id;
	bool alive;
	int watchers[MAX_WATCHERS];	/* write ends of the pipes given out as its pidfds */
	int nwatchers;
	int signals[MAX_SIGNALS];
	int nsignals;
	bool reaped;
};

struct fake_call {
	char op[16];
	monitor_cb cb;
	void *opaque;
};

/* The fake control connection (this file's: the model only hands it back). */
struct monitor {
	bool open;
	void (*on_close)(void *opaque);
	void *close_opaque;
	struct fake_call calls[MAX_CALLS];	/* waiting for the VM's answer, oldest first */
	int ncalls;
};

struct done_rec {
	int calls;
	enum dom_err err;
	json_t *result;
	char msg[512];
	int stamp;			/* when, in the order of dones and events */
};

struct fixture {
	char dir[64], vm_dir[96], log_dir[96];
	struct loop loop;
	struct store *store;
	struct events events;
	struct dom_env env;
	struct domain *dom;

	/* the fake host */
	struct fake_proc procs[MAX_PROCS];
	int nprocs;
	struct fake_proc *shim, *vm;	/* of the last spawn */
	int spawns;
	int spawn_err;			/* the next spawn fails with this */
	int listen_err;			/* making the next control socket fails with this */
	int listens;
	bool listening;			/* the VM's control socket takes connections */
	int connects;
	struct monitor mons[MAX_MONITORS];
	int nmons;
	bool status_written;		/* the supervisor wrote the VM's wait status */
	int wstatus;

	/* what the model said */
	struct done_rec dones[MAX_DONES];
	int ndones;
	json_t *heard[MAX_EVENTS];	/* the events' objects, as subscribers get them */
	int heard_stamps[MAX_EVENTS];
	int nheard;
	int stamp;
};

/* The fakes' calls carry no opaque: they find the running test's fixture here. */
static struct fixture *fx;

/* ---- the fake VM process ---- */

static struct fake_proc *new_proc(void)
{
	struct fake_proc *p;

	assert_true(fx->nprocs < MAX_PROCS);
	p = &fx->procs[fx->nprocs];
	p->id.pid = FAKE_PID_BASE + fx->nprocs;
	p->id.start = 1000 + (unsigned long long)fx->nprocs;
	p->alive = true;
	fx->nprocs++;
	return p;
}

static struct fake_proc *proc_of(const struct sup_proc *id)
{
	int i;

	for (i = 0; i < fx->nprocs; i++)
		if (fx->procs[i].id.pid == id->pid && fx->procs[i].id.start == id->start)
			return &fx->procs[i];
	return NULL;
}

/* The process ends: its pidfds become readable (their pipes' write ends close). */
static void proc_ends(struct fake_proc *p)
{
	p->alive = false;
	while (p->nwatchers)
		close(p->watchers[--p->nwatchers]);
}

/* The control socket gasangd makes for the VM: a descriptor the spawn hands on. */
static int fake_control_listen(const char *path)
{
	int fds[2];

	assert_string_equal(path, fx->dom->sock_path);
	if (fx->listen_err)
		return error_set(fx->listen_err, "fake: cannot make the control socket");
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	close(fds[1]);
	fx->listens++;
	return fds[0];
}

static bool has_arg(char *const *argv, const char *arg)
{
	for (; *argv; argv++)
		if (!strcmp(*argv, arg))
			return true;
	return false;
}

static int fake_spawn(const struct sup_spawn *sp, struct sup_proc *shim, struct sup_proc *vm)
{
	char control[32], chroot[160];
	bool has_control = false;
	struct stat st;
	int i, fd;

	/* the control socket is made before, and handed on as the command line says */
	assert_true(sp->control_fd >= 0);
	assert_true(fcntl(sp->control_fd, F_GETFD) >= 0);
	if (fx->spawn_err)
		return error_set(fx->spawn_err, "fake: cannot start the supervisor");
	assert_string_equal(sp->argv[0], fx->env.gasang);
	snprintf(control, sizeof(control), "--control-fd=%d", SUP_CONTROL_FD);
	for (i = 0; sp->argv[i]; i++)
		has_control |= !strcmp(sp->argv[i], control);
	assert_true(has_control);
	/* as root, in the jail: an empty root of root's, with resolv.conf for DNS
	 * (guest ops make their own command line: guest_argv() checks the jail) */
	snprintf(chroot, sizeof(chroot), "--chroot=%s/root", fx->vm_dir);
	if (!fx->env.guest)
		assert_int_equal(has_arg(sp->argv, chroot), geteuid() == 0);
	if (geteuid() == 0 && !fx->dom->container) {
		assert_int_equal(stat(chroot + strlen("--chroot="), &st), 0);
		assert_true(S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 022));
	}
	assert_string_equal(sp->status_path, fx->dom->status_path);
	assert_null(sp->cg);
	/* the VM's stderr, started afresh */
	fd = open(sp->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	fx->shim = new_proc();
	fx->vm = new_proc();
	fx->status_written = false;
	fx->spawns++;
	*shim = fx->shim->id;
	*vm = fx->vm->id;
	return 0;
}

static bool fake_alive(const struct sup_proc *id)
{
	struct fake_proc *p = proc_of(id);

	return p && p->alive;
}

static int fake_pidfd(const struct sup_proc *id)
{
	struct fake_proc *p = proc_of(id);
	int fds[2];

	if (!p || !p->alive)
		return -ESRCH;
	assert_true(p->nwatchers < MAX_WATCHERS);
	assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	p->watchers[p->nwatchers++] = fds[1];
	return fds[0];
}

static int fake_signal(const struct sup_proc *id, int sig)
{
	struct fake_proc *p = proc_of(id);

	if (!p || !p->alive)
		return -ESRCH;
	assert_true(p->nsignals < MAX_SIGNALS);
	p->signals[p->nsignals++] = sig;
	return 0;
}

static int fake_status_read(const char *path, int *wstatus)
{
	assert_string_equal(path, fx->dom->status_path);
	if (!fx->status_written)
		return -ENOENT;
	*wstatus = fx->wstatus;
	return 0;
}

static void fake_reap(const struct sup_proc *shim)
{
	struct fake_proc *p = proc_of(shim);

	assert_non_null(p);
	assert_false(p->alive);
	assert_false(p->reaped);
	p->reaped = true;
}

/* The VM ends with wstatus; its supervisor writes it down and ends too. */
static void vm_ends(int wstatus)
{
	proc_ends(fx->vm);
	fx->wstatus = wstatus;
	fx->status_written = true;
	proc_ends(fx->shim);
}

/* A line on the VM's stderr (its log). */
static void vm_says(const char *line)
{
	FILE *f = fopen(fx->dom->log_path, "ae");

	assert_non_null(f);
	fprintf(f, "%s\n", line);
	fclose(f);
}

/* ---- the fake control socket ---- */

static int fake_monitor_connect(struct loop *l, const char *path, struct monitor **out)
{
	struct monitor *m;

	assert_ptr_equal(l, &fx->loop);
	assert_string_equal(path, fx->dom->sock_path);
	fx->connects++;
	if (!fx->listening)
		return -ENOENT;
	assert_true(fx->nmons < MAX_MONITORS);
	m = &fx->mons[fx->nmons++];
	*m = (struct monitor){ .open = true };
	*out = m;
	return 0;
}

static void fake_monitor_on_close(struct monitor *m, void (*fn)(void *opaque), void *opaque)
{
	m->on_close = fn;
	m->close_opaque = opaque;
}

static void fake_monitor_call(struct monitor *m, const char *op, json_t *args, monitor_cb cb,
			      void *opaque)
{
	struct fake_call *c;

	json_decref(args);
	if (!m->open) {
		cb(opaque, -ECONNRESET, NULL, NULL, NULL);
		return;
	}
	assert_true(m->ncalls < MAX_CALLS);
	c = &m->calls[m->ncalls++];
	snprintf(c->op, sizeof(c->op), "%s", op);
	c->cb = cb;
	c->opaque = opaque;
}

static struct fake_call take_call(struct monitor *m)
{
	struct fake_call c = m->calls[0];

	memmove(&m->calls[0], &m->calls[1], (size_t)(m->ncalls - 1) * sizeof(m->calls[0]));
	m->ncalls--;
	return c;
}

static void fail_calls(struct monitor *m)
{
	while (m->ncalls) {
		struct fake_call c = take_call(m);

		c.cb(c.opaque, -ECONNRESET, NULL, NULL, NULL);
	}
}

static void fake_monitor_close(struct monitor *m)
{
	if (!m)
		return;
	m->on_close = NULL;
	m->open = false;
	fail_calls(m);
}

static const struct dom_process_ops fake_ops = {
	.spawn = fake_spawn,
	.alive = fake_alive,
	.pidfd = fake_pidfd,
	.signal = fake_signal,
	.status_read = fake_status_read,
	.reap = fake_reap,
	.control_listen = fake_control_listen,
	.monitor_connect = fake_monitor_connect,
	.monitor_on_close = fake_monitor_on_close,
	.monitor_call = fake_monitor_call,
	.monitor_close = fake_monitor_close,
};

static struct monitor *control(void)
{
	assert_true(fx->nmons > 0);
	return &fx->mons[fx->nmons - 1];
}

/* How many calls wait for an answer on the VM's control socket. */
static int calls_waiting(void)
{
	return fx->nmons ? control()->ncalls : 0;
}

/* The VM answers the oldest call on its control socket, which must be op (result: stolen). */
static void vm_answers(const char *op, json_t *result)
{
	struct fake_call c;

	if (!result)
		result = json_object();
	assert_true(control()->ncalls > 0);
	c = take_call(control());
	assert_string_equal(c.op, op);
	c.cb(c.opaque, 0, result, NULL, NULL);
	json_decref(result);
}

static void vm_refuses(const char *op, int err, const char *message)
{
	struct fake_call c;

	assert_true(control()->ncalls > 0);
	c = take_call(control());
	assert_string_equal(c.op, op);
	c.cb(c.opaque, err, NULL, err > 0 ? "failed" : NULL, message);
}

/* The VM's end of its control connection closes (before its process is seen to end). */
static void control_hangs_up(void)
{
	struct monitor *m = control();
	void (*fn)(void *opaque) = m->on_close;

	m->open = false;
	m->on_close = NULL;
	fail_calls(m);
	if (fn)
		fn(m->close_opaque);
}

/* ---- what the model says ---- */

static void on_done(void *opaque, enum dom_err err, json_t *result, const char *msg)
{
	struct done_rec *d = opaque;

	d->calls++;
	d->err = err;
	d->result = result ? result : json_object();
	snprintf(d->msg, sizeof(d->msg), "%s", msg ? msg : "");
	d->stamp = ++fx->stamp;
}

static struct done_rec *new_done(void)
{
	assert_true(fx->ndones < MAX_DONES);
	return &fx->dones[fx->ndones++];
}

static struct dom_done done_to(struct done_rec *d)
{
	return (struct dom_done){ .fn = on_done, .opaque = d };
}

static void on_event(void *opaque, const char *vm_name, const char *line)
{
	json_t *msg = json_loads(line, 0, NULL);

	(void)opaque;
	assert_non_null(msg);
	assert_true(fx->nheard < MAX_EVENTS);
	assert_string_equal(json_string_value(json_object_get(json_object_get(msg, "event"),
							      "name")), vm_name);
	fx->heard[fx->nheard] = json_incref(json_object_get(msg, "event"));
	fx->heard_stamps[fx->nheard++] = ++fx->stamp;
	json_decref(msg);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fail_msg("no string \"%s\" in %s", key, json_dumps(o, JSON_COMPACT));
	return s;
}

static long long num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("no integer \"%s\" in %s", key, json_dumps(o, JSON_COMPACT));
	return json_integer_value(v);
}

static void expect_done(const struct done_rec *d, enum dom_err err, const char *msg_part)
{
	assert_int_equal(d->calls, 1);
	assert_int_equal(d->err, err);
	if (msg_part && !strstr(d->msg, msg_part))
		fail_msg("message '%s' lacks '%s'", d->msg, msg_part);
}

/* Event i is type, with the VM's state and reason after it. */
static json_t *expect_event(int i, const char *type, const char *state, const char *reason)
{
	assert_true(i < fx->nheard);
	assert_string_equal(str(fx->heard[i], "type"), type);
	assert_string_equal(str(fx->heard[i], "state"), state);
	assert_string_equal(str(fx->heard[i], "reason"), reason);
	assert_string_equal(str(fx->heard[i], "uuid"), VM_UUID);
	return fx->heard[i];
}

static void expect_state(enum dom_state st, const char *reason)
{
	assert_string_equal(dom_state_name(fx->dom->state), dom_state_name(st));
	assert_string_equal(fx->dom->reason, reason);
}

/* ---- the store ---- */

struct stored {
	bool found;
	char state[16], reason[24], boot_id[40];
	pid_t vm_pid, shim_pid;
	int exit_status, signal;
};

static int find_stored(void *opaque, const struct store_domain *sd)
{
	struct stored *st = opaque;

	st->found = true;
	snprintf(st->state, sizeof(st->state), "%s", sd->rt.state ? sd->rt.state : "");
	snprintf(st->reason, sizeof(st->reason), "%s", sd->rt.reason ? sd->rt.reason : "");
	snprintf(st->boot_id, sizeof(st->boot_id), "%s", sd->rt.boot_id ? sd->rt.boot_id : "");
	st->vm_pid = sd->rt.vm_pid;
	st->shim_pid = sd->rt.shim_pid;
	st->exit_status = sd->rt.exit_status;
	st->signal = sd->rt.signal;
	return 0;
}

/* What a restarted daemon would read (the one VM of the store). */
static struct stored stored(void)
{
	struct stored st = { 0 };

	assert_int_equal(store_domain_foreach(fx->store, find_stored, &st), 0);
	assert_true(st.found);
	return st;
}

static void set_stored(const struct store_runtime *rt)
{
	assert_int_equal(store_domain_set_runtime(fx->store, "vm1", rt), 0);
}

/* ---- running the loop ---- */

/* Rounds of the loop until cond holds (a test that waits longer fails). */
#define run_until(cond)								\
	do {									\
		uint64_t give_up_ = loop_now_ms() + RUN_LIMIT_MS;		\
										\
		while (!(cond)) {						\
			if (loop_now_ms() > give_up_)				\
				fail_msg("still not: %s", #cond);		\
			loop_run_once(&fx->loop, 10);				\
		}								\
	} while (0)

/* Events and deferred work of this round delivered. */
static void settle(void)
{
	loop_run_once(&fx->loop, 0);
}

/* ---- set-up ---- */

static int load_one(void *opaque, const struct store_domain *sd)
{
	struct domain **out = opaque;

	*out = domain_load(&fx->env, sd);
	return 0;
}

/* gasangd stops (the VM keeps running) and a new one loads and re-adopts it. */
static void daemon_restarts(void)
{
	domain_free(fx->dom);
	fx->dom = NULL;
	settle();
	assert_int_equal(store_domain_foreach(fx->store, load_one, &fx->dom), 0);
	assert_non_null(fx->dom);
	domain_adopt(fx->dom);
}

static int setup(void **state)
{
	static const char def_text[] =
		"{\"name\": \"vm1\", \"uuid\": \"" VM_UUID "\", \"arch\": \"riscv64\","
		" \"memory\": \"16M\", \"firmware\": \"/fake/idle.elf\"}";
	json_t *doc = json_loads(def_text, 0, NULL), *def;
	struct store_domain sd = { .name = "vm1", .uuid = VM_UUID };
	char db[128];
	bool autostart;

	(void)state;
	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/gasangd-domain-test.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->vm_dir, sizeof(fx->vm_dir), "%s/vm", fx->dir);
	snprintf(fx->log_dir, sizeof(fx->log_dir), "%s/logs", fx->dir);
	snprintf(db, sizeof(db), "%s/" STORE_FILE, fx->dir);
	assert_int_equal(mkdir(fx->vm_dir, 0700), 0);
	assert_int_equal(mkdir(fx->log_dir, 0700), 0);
	assert_int_equal(loop_init(&fx->loop), 0);
	assert_int_equal(store_open(&fx->store, db), 0);
	events_init(&fx->events, &fx->loop, fx->store);
	events_set_hook(&fx->events, on_event, NULL);
	fx->env = (struct dom_env){
		.loop = &fx->loop, .store = fx->store, .events = &fx->events, .proc = &fake_ops,
		.gasang = "/fake/bin/gasang", .vm_dir = fx->vm_dir, .log_dir = fx->log_dir,
		.boot_id = BOOT_ID,
	};
	assert_int_equal(def_normalize(doc, &def, &autostart), 0);
	json_decref(doc);
	sd.definition = json_dumps(def, JSON_COMPACT);
	assert_int_equal(store_domain_add(fx->store, &sd), 0);
	free((char *)sd.definition);
	fx->dom = domain_new(&fx->env, def, autostart);
	assert_non_null(fx->dom);
	fx->listening = true;
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];
	int i;

	(void)state;
	domain_free(fx->dom);
	loop_destroy(&fx->loop);
	events_destroy(&fx->events);
	store_close(fx->store);
	for (i = 0; i < fx->nprocs; i++)
		while (fx->procs[i].nwatchers)
			close(fx->procs[i].watchers[--fx->procs[i].nwatchers]);
	for (i = 0; i < fx->ndones; i++)
		json_decref(fx->dones[i].result);
	for (i = 0; i < fx->nheard; i++)
		json_decref(fx->heard[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	free(fx);
	fx = NULL;
	return system(cmd);
}

/* Start vm1 and let its control socket answer that it runs. */
static void start_running(void)
{
	struct done_rec *d = new_done();
	int events = fx->nheard;

	domain_start(fx->dom, done_to(d));
	run_until(calls_waiting() == 1);
	vm_answers("status", json_pack("{s:s}", "state", "running"));
	expect_done(d, DOM_OK, NULL);
	settle();
	assert_int_equal(fx->nheard, events + 1);
	expect_state(DOM_RUNNING, "booted");
}

/* ---- start ---- */

static void test_start(void **state)
{
	struct done_rec *d = new_done(), *again = new_done();
	struct stored st;

	(void)state;
	expect_state(DOM_SHUTOFF, "unknown");
	assert_false(dom_active(fx->dom));
	domain_start(fx->dom, done_to(d));
	/* the process runs; the VM has not answered on its control socket yet */
	assert_int_equal(fx->spawns, 1);
	assert_true(dom_active(fx->dom));
	expect_state(DOM_PAUSED, "starting-up");
	assert_int_equal(d->calls, 0);
	st = stored();
	assert_string_equal(st.reason, "starting-up");
	assert_int_equal(st.vm_pid, fx->vm->id.pid);
	assert_int_equal(st.shim_pid, fx->shim->id.pid);
	assert_string_equal(st.boot_id, BOOT_ID);

	run_until(calls_waiting() == 1);
	assert_int_equal(d->calls, 0);
	vm_answers("status", json_pack("{s:s}", "state", "running"));
	expect_done(d, DOM_OK, NULL);
	assert_string_equal(str(d->result, "name"), "vm1");
	assert_string_equal(str(d->result, "state"), "running");
	assert_string_equal(str(d->result, "reason"), "booted");
	assert_int_equal(num(d->result, "pid"), fx->vm->id.pid);
	expect_state(DOM_RUNNING, "booted");
	assert_int_equal(fx->nheard, 0);	/* not in the middle of the change */
	settle();
	assert_int_equal(fx->nheard, 1);
	expect_event(0, "started", "running", "booted");
	assert_true(d->stamp < fx->heard_stamps[0]);
	st = stored();
	assert_string_equal(st.state, "running");
	assert_string_equal(st.reason, "booted");

	domain_start(fx->dom, done_to(again));
	expect_done(again, DOM_ERR_WRONG_STATE, "vm1 is already running");
	assert_int_equal(fx->spawns, 1);
}

static void test_start_connects_at_once(void **state)
{
	struct done_rec *d = new_done(), *busy = new_done();

	(void)state;
	domain_start(fx->dom, done_to(d));
	/* the socket was made for it: no waiting for the VM to make one */
	assert_int_equal(fx->listens, 1);
	assert_int_equal(fx->connects, 1);
	assert_int_equal(calls_waiting(), 1);
	/* starting: other operations wait for it */
	domain_pause(fx->dom, done_to(busy));
	expect_done(busy, DOM_ERR_WRONG_STATE, "vm1 is starting");
	/* a VM slow to serve its socket is asked again until its start deadline */
	vm_refuses("status", -ETIMEDOUT, NULL);
	assert_int_equal(calls_waiting(), 1);
	assert_int_equal(fx->vm->nsignals, 0);
	assert_int_equal(d->calls, 0);
	/* a VM may come up paused */
	vm_answers("status", json_pack("{s:s}", "state", "paused"));
	expect_done(d, DOM_OK, NULL);
	expect_state(DOM_PAUSED, "user");
	settle();
	expect_event(0, "started", "paused", "user");
}

static void test_start_fails(void **state)
{
	struct done_rec *no_socket = new_done(), *no_process = new_done(), *ends = new_done();
	struct done_rec *mute = new_done(), *unreachable = new_done();
	int spawns;
	json_t *e;

	(void)state;
	/* no control socket: no process, nothing changes */
	fx->listen_err = -ENAMETOOLONG;
	domain_start(fx->dom, done_to(no_socket));
	expect_done(no_socket, DOM_ERR_FAILED, "cannot start vm1: fake: cannot make the control");
	assert_int_equal(fx->spawns, 0);
	expect_state(DOM_SHUTOFF, "unknown");
	fx->listen_err = 0;

	/* no process at all: nothing changes */
	fx->spawn_err = -EAGAIN;
	domain_start(fx->dom, done_to(no_process));
	expect_done(no_process, DOM_ERR_FAILED, "cannot start vm1: fake: cannot start");
	expect_state(DOM_SHUTOFF, "unknown");
	assert_false(dom_active(fx->dom));
	/* nobody asked (autostart): only the log hears it */
	domain_start(fx->dom, (struct dom_done){ 0 });
	settle();
	assert_int_equal(fx->nheard, 0);
	fx->spawn_err = 0;

	/* the process ends before its control socket answered: its last words say why */
	domain_start(fx->dom, done_to(ends));
	vm_says("gasang: loading");
	vm_says("gasang: /fake/idle.elf: No such file or directory");
	vm_ends(W_EXITCODE(1, 0));
	run_until(!dom_active(fx->dom));
	expect_done(ends, DOM_ERR_FAILED, "vm1 did not start: gasang: /fake/idle.elf: No such");
	expect_state(DOM_SHUTOFF, "failed");
	assert_true(fx->shim->reaped);
	settle();
	e = expect_event(0, "stopped", "shutoff", "failed");
	assert_string_equal(str(e, "detail"), "gasang: /fake/idle.elf: No such file or directory");
	assert_int_equal(num(e, "exit_status"), 1);
	assert_string_equal(stored().reason, "failed");

	/* the VM does not answer by its start deadline: killed, and that is why */
	domain_start(fx->dom, done_to(mute));
	run_until(calls_waiting() == 1);
	fx->dom->start_deadline_ms = loop_now_ms();
	vm_refuses("status", -ETIMEDOUT, NULL);
	assert_int_equal(fx->vm->nsignals, 1);
	assert_int_equal(fx->vm->signals[0], SIGKILL);
	assert_int_equal(mute->calls, 0);
	vm_ends(W_EXITCODE(0, SIGKILL));
	run_until(!dom_active(fx->dom));
	expect_done(mute, DOM_ERR_FAILED, "the VM did not answer on its control socket");
	expect_state(DOM_SHUTOFF, "failed");
	settle();
	expect_event(1, "stopped", "shutoff", "failed");
	assert_int_equal(fx->nheard, 2);

	/* its socket cannot be connected to: no process */
	fx->listening = false;
	spawns = fx->spawns;
	domain_start(fx->dom, done_to(unreachable));
	expect_done(unreachable, DOM_ERR_FAILED, "cannot start vm1: cannot connect to its control");
	assert_int_equal(fx->spawns, spawns);
	assert_false(dom_active(fx->dom));
}

/* ---- running ---- */

static void test_pause_resume(void **state)
{
	struct done_rec *pause = new_done(), *again = new_done(), *resume = new_done();
	struct done_rec *refused = new_done(), *slow = new_done();

	(void)state;
	start_running();
	domain_pause(fx->dom, done_to(pause));
	assert_int_equal(pause->calls, 0);
	vm_answers("pause", NULL);
	expect_done(pause, DOM_OK, NULL);
	assert_string_equal(str(pause->result, "state"), "paused");
	assert_string_equal(str(pause->result, "reason"), "user");
	expect_state(DOM_PAUSED, "user");
	settle();
	expect_event(1, "paused", "paused", "user");
	assert_string_equal(stored().state, "paused");

	domain_pause(fx->dom, done_to(again));
	expect_done(again, DOM_ERR_WRONG_STATE, "vm1 is already paused");
	assert_int_equal(calls_waiting(), 0);

	domain_resume(fx->dom, done_to(resume));
	vm_answers("resume", NULL);
	expect_done(resume, DOM_OK, NULL);
	expect_state(DOM_RUNNING, "unpaused");
	settle();
	expect_event(2, "resumed", "running", "unpaused");

	/* what the VM refuses or does not answer changes nothing */
	domain_pause(fx->dom, done_to(refused));
	vm_refuses("pause", 1, "cannot pause now");
	expect_done(refused, DOM_ERR_FAILED, "vm1: cannot pause now");
	domain_pause(fx->dom, done_to(slow));
	vm_refuses("pause", -ETIMEDOUT, NULL);
	expect_done(slow, DOM_ERR_TIMEOUT, "vm1 did not answer pause within");
	expect_state(DOM_RUNNING, "unpaused");
	settle();
	assert_int_equal(fx->nheard, 3);
}

static void test_shutdown(void **state)
{
	struct done_rec *now = new_done(), *waits = new_done(), *inactive = new_done();
	json_t *e;

	(void)state;
	start_running();
	/* without a timeout: answered once the guest was told */
	domain_shutdown(fx->dom, done_to(now), 0);
	vm_answers("powerdown", NULL);
	expect_done(now, DOM_OK, NULL);
	assert_int_equal(json_object_size(now->result), 0);
	expect_state(DOM_RUNNING, "booted");
	vm_ends(W_EXITCODE(0, 0));
	run_until(!dom_active(fx->dom));
	expect_state(DOM_SHUTOFF, "shutdown");
	settle();
	e = expect_event(1, "stopped", "shutoff", "shutdown");
	assert_int_equal(num(e, "exit_status"), 0);
	assert_string_equal(stored().reason, "shutdown");

	/* with a timeout: answered when it stopped */
	start_running();
	domain_shutdown(fx->dom, done_to(waits), 60);
	vm_answers("powerdown", NULL);
	settle();
	assert_int_equal(waits->calls, 0);
	vm_ends(W_EXITCODE(0, 0));
	run_until(waits->calls);
	expect_done(waits, DOM_OK, NULL);
	assert_string_equal(str(waits->result, "name"), "vm1");
	assert_string_equal(str(waits->result, "state"), "shutoff");
	assert_string_equal(str(waits->result, "reason"), "shutdown");

	domain_shutdown(fx->dom, done_to(inactive), 0);
	expect_done(inactive, DOM_ERR_WRONG_STATE, "vm1 is not running (it is shutoff)");
}

static void test_destroy(void **state)
{
	struct done_rec *d = new_done();
	struct fake_proc *vm;
	json_t *e;

	(void)state;
	start_running();
	vm = fx->vm;
	domain_destroy(fx->dom, done_to(d));
	assert_int_equal(vm->nsignals, 1);
	assert_int_equal(vm->signals[0], SIGTERM);
	assert_int_equal(d->calls, 0);
	/* `gasang run` stops cleanly on SIGTERM: its socket closes, then its process ends */
	control_hangs_up();
	vm_ends(W_EXITCODE(128 + SIGTERM, 0));
	run_until(d->calls);
	expect_done(d, DOM_OK, NULL);
	assert_string_equal(str(d->result, "state"), "shutoff");
	assert_string_equal(str(d->result, "reason"), "destroyed");
	expect_state(DOM_SHUTOFF, "destroyed");
	assert_int_equal(fx->dom->exit_status, 128 + SIGTERM);
	settle();
	e = expect_event(1, "stopped", "shutoff", "destroyed");
	assert_int_equal(num(e, "exit_status"), 128 + SIGTERM);
	assert_true(d->stamp < fx->heard_stamps[1]);
	/* nothing is left of the process */
	assert_int_equal(fx->dom->pidfd, -1);
	assert_null(fx->dom->mon);
	assert_int_equal(stored().vm_pid, 0);
}

/* ---- how a VM ends ---- */

static void test_how_it_ends(void **state)
{
	static const struct {
		int wstatus;
		const char *last_words;
		const char *event, *state, *reason;
		int exit_status, signal;
	} ends[] = {
		{ W_EXITCODE(0, 0), NULL, "stopped", "shutoff", "shutdown", 0, 0 },
		{ W_EXITCODE(1, 0), "guest: kernel panic", "crashed", "crashed", "panicked", 1, 0 },
		{ W_EXITCODE(3, 0), "gasang: virtio-blk: I/O error", "crashed", "crashed", "failed",
		  3, 0 },
		{ W_EXITCODE(0, SIGKILL), NULL, "crashed", "crashed", "killed", -1, SIGKILL },
		{ W_EXITCODE(0, SIGSEGV), NULL, "crashed", "crashed", "killed", -1, SIGSEGV },
		/* `gasang run` stopped cleanly on a signal nobody here sent */
		{ W_EXITCODE(128 + SIGINT, 0), NULL, "crashed", "crashed", "killed", 128 + SIGINT,
		  SIGINT },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		json_t *e;

		start_running();
		if (ends[i].last_words)
			vm_says(ends[i].last_words);
		vm_ends(ends[i].wstatus);
		run_until(!dom_active(fx->dom));
		settle();
		e = expect_event(fx->nheard - 1, ends[i].event, ends[i].state, ends[i].reason);
		assert_int_equal(fx->dom->exit_status, ends[i].exit_status);
		assert_int_equal(fx->dom->signal, ends[i].signal);
		if (ends[i].exit_status >= 0)
			assert_int_equal(num(e, "exit_status"), ends[i].exit_status);
		if (ends[i].signal)
			assert_int_equal(num(e, "signal"), ends[i].signal);
		if (ends[i].signal == SIGKILL)
			assert_string_equal(str(e, "signal_name"), "SIGKILL");
		if (ends[i].last_words)
			assert_string_equal(str(e, "detail"), ends[i].last_words);
		else
			assert_null(json_object_get(e, "detail"));
		assert_string_equal(stored().reason, ends[i].reason);
	}
}

/* ---- a container: its process is its monitor ---- */

struct guest_heard {
	int argv, ended, info;
};

static int guest_argv(void *opaque, struct domain *dom, int control_fd,
		      const struct def_jail *jail, char ***argv)
{
	struct guest_heard *h = opaque;

	char fd[32];

	h->argv++;
	/* a VM's jail comes with it; a container has none of the VMs' */
	assert_true(dom->container ? jail == NULL : jail != NULL);
	snprintf(fd, sizeof(fd), "--control-fd=%d", control_fd);
	*argv = calloc(4, sizeof(**argv));
	(*argv)[0] = strdup(fx->env.gasang);
	(*argv)[1] = strdup(dom->container ? "ctr-monitor" : "run");
	(*argv)[2] = strdup(fd);
	return 0;
}

static void guest_ended(void *opaque, struct domain *dom)
{
	struct guest_heard *h = opaque;

	(void)dom;
	h->ended++;
}

static void guest_info(void *opaque, const struct domain *dom, json_t *info)
{
	struct guest_heard *h = opaque;

	(void)dom;
	h->info++;
	json_object_set_new(info, "addresses", json_array());
}

/* vm1 again, as a container with the guest ops above. */
static void become_container(struct dom_guest_ops *ops, struct guest_heard *h)
{
	json_t *doc = json_loads("{\"name\": \"vm1\", \"uuid\": \"" VM_UUID "\", \"type\": "
				 "\"container\", \"rootfs\": \"/srv/rootfs\"}", 0, NULL), *def;
	bool autostart;

	*ops = (struct dom_guest_ops){ guest_argv, guest_ended, guest_info, h };
	fx->env.guest = ops;
	assert_int_equal(def_normalize(doc, &def, &autostart), 0);
	json_decref(doc);
	domain_free(fx->dom);
	fx->dom = domain_new(&fx->env, def, autostart);
	assert_non_null(fx->dom);
	assert_true(fx->dom->container);
}

static void test_container(void **state)
{
	static const struct {
		int wstatus;
		const char *state, *reason;
		int exit_status, signal;
	} ends[] = {
		/* the monitor ends as its init did: exit statuses are the command's own */
		{ W_EXITCODE(0, 0), "shutoff", "shutdown", 0, 0 },
		{ W_EXITCODE(1, 0), "crashed", "failed", 1, 0 },
		{ W_EXITCODE(128 + SIGINT, 0), "crashed", "failed", 128 + SIGINT, 0 },
		{ W_EXITCODE(0, SIGKILL), "crashed", "killed", -1, SIGKILL },
	};
	struct dom_guest_ops ops;
	struct guest_heard h = { 0 };
	struct done_rec *d;
	json_t *sum;
	unsigned i;

	(void)state;
	become_container(&ops, &h);
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		d = new_done();
		domain_start(fx->dom, done_to(d));
		run_until(calls_waiting() == 1);
		/* its pid is its init's, which the monitor's status names */
		vm_answers("status", json_pack("{s:s,s:i,s:i}", "state", "running", "pid", 4242,
					       "monitor_pid", 4241));
		expect_done(d, DOM_OK, NULL);
		settle();
		assert_int_equal(h.argv, (int)i + 1);
		sum = domain_summary(fx->dom);
		assert_string_equal(str(sum, "type"), "container");
		assert_int_equal(num(sum, "pid"), 4242);
		assert_null(json_object_get(sum, "arch"));
		json_decref(sum);
		vm_ends(ends[i].wstatus);
		run_until(!dom_active(fx->dom));
		settle();
		expect_state(strcmp(ends[i].state, "shutoff") ? DOM_CRASHED : DOM_SHUTOFF,
			     ends[i].reason);
		assert_int_equal(fx->dom->exit_status, ends[i].exit_status);
		assert_int_equal(fx->dom->signal, ends[i].signal);
		/* what its start set up outside it is undone, once per end */
		assert_int_equal(h.ended, (int)i + 1);
		assert_string_equal(str(fx->heard[fx->nheard - 1], "kind"), "container");
	}
	/* info: the guest ops add theirs, with the process or without */
	d = new_done();
	domain_info(fx->dom, done_to(d));
	run_until(d->calls == 1);
	assert_int_equal(h.info, 1);
	assert_non_null(json_object_get(d->result, "addresses"));
	fx->env.guest = NULL;
}

/* ---- reboot ---- */

static void test_reboot(void **state)
{
	struct done_rec *soft = new_done(), *reset = new_done();
	struct fake_proc *first_shim;

	(void)state;
	start_running();
	first_shim = fx->shim;
	/* the power key: the guest goes down, a new process comes up */
	domain_reboot(fx->dom, done_to(soft), false);
	vm_answers("powerdown", NULL);
	expect_done(soft, DOM_OK, NULL);
	vm_ends(W_EXITCODE(0, 0));
	run_until(fx->spawns == 2);
	assert_true(first_shim->reaped);
	assert_true(dom_active(fx->dom));
	run_until(calls_waiting() == 1);
	vm_answers("status", json_pack("{s:s}", "state", "running"));
	expect_state(DOM_RUNNING, "booted");
	settle();
	assert_int_equal(fx->nheard, 2);	/* started, rebooted: no stopped between */
	expect_event(1, "rebooted", "running", "booted");
	assert_int_equal(stored().vm_pid, fx->vm->id.pid);

	/* reset: SIGTERM and up again, however it ends; answered when it runs */
	domain_reboot(fx->dom, done_to(reset), true);
	assert_int_equal(fx->vm->signals[0], SIGTERM);
	vm_ends(W_EXITCODE(128 + SIGTERM, 0));
	run_until(fx->spawns == 3);
	assert_int_equal(reset->calls, 0);
	run_until(calls_waiting() == 1);
	vm_answers("status", json_pack("{s:s}", "state", "running"));
	expect_done(reset, DOM_OK, NULL);
	assert_string_equal(str(reset->result, "state"), "running");
	settle();
	expect_event(2, "rebooted", "running", "booted");
}

static void test_reboot_then_crash(void **state)
{
	struct done_rec *d = new_done();

	(void)state;
	start_running();
	domain_reboot(fx->dom, done_to(d), false);
	vm_answers("powerdown", NULL);
	/* it panicked on the way down: no new process */
	vm_ends(W_EXITCODE(1, 0));
	run_until(!dom_active(fx->dom));
	assert_int_equal(fx->spawns, 1);
	expect_state(DOM_CRASHED, "panicked");
	assert_false(fx->dom->rebooting);
}

/* ---- info ---- */

static void test_info(void **state)
{
	struct done_rec *off = new_done(), *on = new_done();

	(void)state;
	domain_info(fx->dom, done_to(off));
	expect_done(off, DOM_OK, NULL);
	assert_string_equal(str(off->result, "state"), "shutoff");
	assert_true(json_is_null(json_object_get(off->result, "pid")));
	assert_true(json_is_null(json_object_get(off->result, "cpu_time_ms")));
	assert_int_equal(num(off->result, "memory"), 16 << 20);

	start_running();
	domain_info(fx->dom, done_to(on));
	vm_answers("status", json_pack("{s:s,s:i,s:i}", "state", "running", "cpu_time_ms", 1234,
				       "uptime_ms", 5678));
	assert_int_equal(on->calls, 0);
	vm_answers("stats", json_pack("{s:[{s:s,s:i}],s:[]}", "disks", "path", "/d.img",
				      "rd_bytes", 42, "nics"));
	expect_done(on, DOM_OK, NULL);
	assert_int_equal(num(on->result, "pid"), fx->vm->id.pid);
	assert_int_equal(num(on->result, "cpu_time_ms"), 1234);
	assert_int_equal(num(on->result, "uptime_ms"), 5678);
	assert_int_equal(num(json_array_get(json_object_get(on->result, "disks"), 0), "rd_bytes"),
			 42);
}

/* ---- re-adoption by a restarted daemon ---- */

static void test_readopt_running(void **state)
{
	struct done_rec *d = new_done();
	struct fake_proc *shim, *vm;

	(void)state;
	start_running();
	shim = fx->shim;
	vm = fx->vm;
	daemon_restarts();
	/* the record says running; the VM says paused (it was paused meanwhile) */
	expect_state(DOM_RUNNING, "booted");
	assert_true(dom_active(fx->dom));
	assert_int_equal(fx->dom->vm.pid, vm->id.pid);
	run_until(calls_waiting() == 1);
	vm_answers("status", json_pack("{s:s}", "state", "paused"));
	expect_state(DOM_PAUSED, "user");
	assert_string_equal(stored().state, "paused");
	settle();
	assert_int_equal(fx->nheard, 1);	/* re-adoption is no event */

	/* the new daemon watches it as the old one did */
	domain_destroy(fx->dom, done_to(d));
	assert_int_equal(vm->signals[0], SIGTERM);
	vm_ends(W_EXITCODE(128 + SIGTERM, 0));
	run_until(d->calls);
	expect_state(DOM_SHUTOFF, "destroyed");
	assert_false(shim->reaped);	/* the old daemon's child, not ours */
}

static void test_readopt_ended_meanwhile(void **state)
{
	json_t *e;

	(void)state;
	start_running();
	domain_free(fx->dom);
	fx->dom = NULL;
	/* it panicked while no daemon watched; its supervisor wrote how */
	vm_ends(W_EXITCODE(1, 0));
	assert_int_equal(store_domain_foreach(fx->store, load_one, &fx->dom), 0);
	domain_adopt(fx->dom);
	assert_false(dom_active(fx->dom));
	expect_state(DOM_CRASHED, "panicked");
	settle();
	e = expect_event(1, "crashed", "crashed", "panicked");
	assert_int_equal(num(e, "exit_status"), 1);
	assert_string_equal(stored().reason, "panicked");
}

static void test_readopt_unknown_end(void **state)
{
	(void)state;
	/* the supervisor died with it, writing nothing */
	start_running();
	domain_free(fx->dom);
	fx->dom = NULL;
	proc_ends(fx->vm);
	proc_ends(fx->shim);
	assert_int_equal(store_domain_foreach(fx->store, load_one, &fx->dom), 0);
	domain_adopt(fx->dom);
	expect_state(DOM_CRASHED, "unknown");
	settle();
	expect_event(1, "crashed", "crashed", "unknown");
}

static void test_readopt_after_host_reboot(void **state)
{
	struct fake_proc *shim = new_proc(), *vm = new_proc();
	struct store_runtime rt = {
		.state = "running", .reason = "booted", .exit_status = -1,
		.shim_pid = shim->id.pid, .shim_start = shim->id.start,
		.vm_pid = vm->id.pid, .vm_start = vm->id.start,
		.boot_id = "an-earlier-boot", .started_ms = 1,
	};

	(void)state;
	/* pids of another boot mean nothing, even if such processes run now */
	set_stored(&rt);
	daemon_restarts();
	expect_state(DOM_CRASHED, "unknown");
	assert_int_equal(fx->connects, 0);
	assert_int_equal(vm->nsignals, 0);
	settle();
	expect_event(0, "crashed", "crashed", "unknown");
}

static void test_supervisor_gone(void **state)
{
	(void)state;
	start_running();
	/* its supervisor dies, the VM runs on: the daemon watches the VM itself */
	proc_ends(fx->shim);
	run_until(fx->dom->watching_vm);
	assert_true(dom_active(fx->dom));
	assert_int_equal(stored().shim_pid, 0);
	/* and re-adopts it so after a restart */
	daemon_restarts();
	assert_true(fx->dom->watching_vm);
	run_until(calls_waiting() == 1);
	vm_answers("status", json_pack("{s:s}", "state", "running"));
	/* nobody writes down how it ends now */
	proc_ends(fx->vm);
	run_until(!dom_active(fx->dom));
	expect_state(DOM_CRASHED, "unknown");
}

static void test_readopt_while_starting(void **state)
{
	struct done_rec *d = new_done();

	(void)state;
	domain_start(fx->dom, done_to(d));
	daemon_restarts();
	/* the old daemon's start is owed to nobody now; the new one finishes it */
	expect_done(d, DOM_ERR_FAILED, "gasangd is stopping");
	assert_int_equal(fx->dom->job, JOB_STARTING);
	run_until(calls_waiting() == 1);
	vm_answers("status", json_pack("{s:s}", "state", "running"));
	expect_state(DOM_RUNNING, "booted");
	settle();
	expect_event(0, "started", "running", "booted");
}

/* ---- a stop request and the process's end, in either order ---- */

static void test_destroy_while_starting(void **state)
{
	struct done_rec *start = new_done(), *destroy = new_done();

	(void)state;
	domain_start(fx->dom, done_to(start));	/* its status not answered yet */
	domain_destroy(fx->dom, done_to(destroy));
	assert_int_equal(fx->vm->signals[0], SIGTERM);
	vm_ends(W_EXITCODE(128 + SIGTERM, 0));
	run_until(destroy->calls);
	expect_done(start, DOM_ERR_FAILED, "vm1 was destroyed while it started");
	expect_done(destroy, DOM_OK, NULL);
	expect_state(DOM_SHUTOFF, "destroyed");
	settle();
	expect_event(0, "stopped", "shutoff", "destroyed");
	assert_int_equal(fx->nheard, 1);
}

static void test_destroy_then_own_exit(void **state)
{
	struct done_rec *first = new_done(), *second = new_done(), *late = new_done();

	(void)state;
	start_running();
	domain_destroy(fx->dom, done_to(first));
	domain_destroy(fx->dom, done_to(second));
	assert_int_equal(fx->vm->nsignals, 1);	/* asked once */
	/* the guest had powered off by itself meanwhile: the request still wins */
	vm_ends(W_EXITCODE(0, 0));
	run_until(first->calls && second->calls);
	expect_done(first, DOM_OK, NULL);
	expect_done(second, DOM_OK, NULL);
	expect_state(DOM_SHUTOFF, "destroyed");
	/* no timer of the destroy is left to kill anything */
	domain_destroy(fx->dom, done_to(late));
	expect_done(late, DOM_ERR_WRONG_STATE, "vm1 is not running");
}

static void test_exit_then_destroy(void **state)
{
	struct done_rec *d = new_done();

	(void)state;
	start_running();
	/* it ended, and the daemon has not seen that yet when destroy comes */
	vm_ends(W_EXITCODE(0, 0));
	domain_destroy(fx->dom, done_to(d));
	assert_int_equal(fx->vm->nsignals, 0);	/* gone: nothing to signal */
	run_until(d->calls);
	expect_done(d, DOM_OK, NULL);
	expect_state(DOM_SHUTOFF, "destroyed");
}

static void test_exit_before_answers(void **state)
{
	struct done_rec *shutdown = new_done(), *pause = new_done(), *info = new_done();

	(void)state;
	start_running();
	domain_shutdown(fx->dom, done_to(shutdown), 0);
	domain_pause(fx->dom, done_to(pause));
	domain_info(fx->dom, done_to(info));
	assert_int_equal(calls_waiting(), 3);
	/* the VM goes before it answers any: each request is told once */
	vm_ends(W_EXITCODE(0, 0));
	run_until(!dom_active(fx->dom));
	expect_done(shutdown, DOM_ERR_FAILED, "vm1: powerdown: the VM went away");
	expect_done(pause, DOM_ERR_FAILED, "vm1: pause: the VM went away");
	expect_done(info, DOM_OK, NULL);	/* what the daemon knows without the VM */
	assert_string_equal(str(info->result, "state"), "running");
	expect_state(DOM_SHUTOFF, "shutdown");
	settle();
	expect_event(1, "stopped", "shutoff", "shutdown");
	assert_int_equal(fx->nheard, 2);
}

static void test_socket_closes_before_exit(void **state)
{
	struct done_rec *pause = new_done(), *after = new_done(), *waits = new_done();

	(void)state;
	start_running();
	domain_shutdown(fx->dom, done_to(waits), 60);
	vm_answers("powerdown", NULL);
	domain_pause(fx->dom, done_to(pause));
	control_hangs_up();
	expect_done(pause, DOM_ERR_FAILED, "the VM went away");
	assert_null(fx->dom->mon);
	/* still running for the daemon until its process is seen to end */
	expect_state(DOM_RUNNING, "booted");
	domain_pause(fx->dom, done_to(after));
	expect_done(after, DOM_ERR_FAILED, "no connection to vm1's control socket");
	assert_int_equal(waits->calls, 0);
	vm_ends(W_EXITCODE(0, SIGKILL));
	run_until(waits->calls);
	expect_done(waits, DOM_OK, NULL);
	assert_string_equal(str(waits->result, "reason"), "killed");
	expect_state(DOM_CRASHED, "killed");
}

/* ---- the store refuses a change ---- */

static void test_store_refuses(void **state)
{
	struct done_rec *pause = new_done();

	(void)state;
	start_running();
	/* its row is gone: the change is logged as not recorded, and still made */
	assert_int_equal(store_domain_remove(fx->store, "vm1"), 0);
	domain_pause(fx->dom, done_to(pause));
	vm_answers("pause", NULL);
	expect_done(pause, DOM_OK, NULL);
	expect_state(DOM_PAUSED, "user");
	settle();
	assert_int_equal(fx->nheard, 1);	/* no event for what the store does not have */
}

/* ---- events come after the change ---- */

/* A subscriber that acts on what it hears: the model must be whole by then. */
static void acting_subscriber(void *opaque, const char *vm_name, const char *line)
{
	struct done_rec *destroy = opaque;

	on_event(NULL, vm_name, line);
	if (strcmp(str(fx->heard[fx->nheard - 1], "type"), "stopped"))
		return;
	/* the destroy that caused it has had its answer, and nothing is half-done */
	expect_done(destroy, DOM_OK, NULL);
	assert_false(dom_active(fx->dom));
	assert_null(fx->dom->waiters);
	expect_state(DOM_SHUTOFF, "destroyed");
	/* starting again from inside the hook works */
	domain_start(fx->dom, (struct dom_done){ 0 });
}

static void test_events_after_the_change(void **state)
{
	struct done_rec *destroy = new_done();

	(void)state;
	start_running();
	events_set_hook(&fx->events, acting_subscriber, destroy);
	domain_destroy(fx->dom, done_to(destroy));
	vm_ends(W_EXITCODE(128 + SIGTERM, 0));
	run_until(fx->nheard == 2);
	assert_true(destroy->stamp < fx->heard_stamps[1]);
	assert_int_equal(fx->spawns, 2);
	run_until(calls_waiting() == 1);
	vm_answers("status", json_pack("{s:s}", "state", "running"));
	expect_state(DOM_RUNNING, "booted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_connects_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_start_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_how_it_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reboot_then_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_ended_meanwhile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_unknown_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_after_host_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supervisor_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_while_starting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_while_starting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_then_own_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_then_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_before_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_closes_before_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_after_the_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
