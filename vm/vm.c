#include "vm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/loop.h"
#include "base/sandbox.h"
#include "block/block.h"
#include "debug/trace.h"
#include "hw/guest-mem.h"
#include "hw/uart16550.h"
#include "hw/virtio/virtio-blk.h"
#include "hw/virtio/virtio-console.h"
#include "hw/virtio/virtio-gpu.h"
#include "hw/virtio/virtio-input.h"
#include "hw/virtio/virtio-net.h"
#include "hw/virtio/virtio-rng.h"
#include "machine/machine.h"
#include "vm/console.h"
#include "vm/control.h"
#include "vm/disk-spec.h"
#include "vm/inspect.h"
#include "vm/jail.h"
#include "vm/net-spec.h"
#include "vm/screendump.h"
#include "vm/state.h"

/*
 * Signals that end the VM: blocked before any thread is made, so every thread
 * has them blocked, and taken by one thread with sigwait().
 */
struct sig_watch {
	pthread_t thread;
	sigset_t set;
	struct machine *m;
	volatile int signo;
	bool stopping;		/* atomic: sig_watch_stop() woke the thread */
	bool running;
};

static void *sig_thread(void *opaque)
{
	struct sig_watch *w = opaque;
	int sig;

	sandbox_thread_enter(SANDBOX_CONTROL);
	if (sigwait(&w->set, &sig) == 0 && !__atomic_load_n(&w->stopping, __ATOMIC_SEQ_CST)) {
		w->signo = sig;
		w->m->ops->request_stop(w->m);
	}
	return NULL;
}

static void sig_watch_block(struct sig_watch *w)
{
	memset(w, 0, sizeof(*w));
	sigemptyset(&w->set);
	sigaddset(&w->set, SIGINT);
	sigaddset(&w->set, SIGTERM);
	sigaddset(&w->set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &w->set, NULL);
}

static int sig_watch_start(struct sig_watch *w, struct machine *m)
{
	w->m = m;
	if (pthread_create(&w->thread, NULL, sig_thread, w))
		return error_set(-EAGAIN, "cannot start the signal thread");
	w->running = true;
	return 0;
}

/* Woken by one of its own signals, not cancelled: cancelling would load libgcc_s. */
static void sig_watch_stop(struct sig_watch *w)
{
	if (!w->running)
		return;
	__atomic_store_n(&w->stopping, true, __ATOMIC_SEQ_CST);
	pthread_kill(w->thread, SIGHUP);
	pthread_join(w->thread, NULL);
	w->running = false;
}

/* One VM in the foreground: the machine, its devices and the host side. */
struct vm {
	const struct vm_config *cfg;
	struct machine *m;
	struct console con;
	struct sig_watch w;
	/*
	 * The monitor loop: a thread serving the control socket and the
	 * gdbstub (inspect), so their requests take turns.
	 */
	struct loop loop;
	bool loop_made;
	struct jail jail;
	struct control *ctl;
	struct inspect inspect;
	struct virtio_rng rng;
	struct virtio_console vcon;
	struct virtio_input power;	/* the power key, on boards without ACPI */
	struct virtio_gpu gpu;		/* --display: the screen, */
	struct virtio_input keyboard, tablet;	/* and what a viewer types and points with */
	bool has_rng, has_vcon, has_power, has_gpu;
	bool paused;			/* by the control socket's "pause" (the loop's thread) */
	unsigned holds;			/* inspect's holds on the CPUs (the loop's thread) */
	bool reset_requested;		/* a control "reset" stopped the machine */
	bool saved;			/* a control "save" wrote the VM out: it ends */
	uint64_t started_ns;
	struct trace *trace;		/* --trace, or NULL */
	uint64_t restore_ns;		/* --restore: reading, mapping and loading the state */
	struct stat restored_from;	/* --restore: the file RAM is mapped from */
	uint8_t *restored_scroll;	/* --restore: the console's scrollback, for the control socket */
	size_t restored_scroll_len;
	struct virtio_blk *disks[VM_MAX_DISKS];
	struct virtio_net *nets[VM_MAX_NICS];
};

static size_t console_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	if (vm->has_vcon)
		return virtio_console_receive(&vm->vcon, buf, len);
	return vm->m->ops->serial_receive(vm->m, buf, len);
}

static void console_quit(void *opaque)
{
	struct vm *vm = opaque;

	__atomic_store_n(&vm->reset_requested, false, __ATOMIC_RELEASE);
	vm->m->ops->request_stop(vm->m);
}

/* Guest console output (UART or virtio-console): the terminal and the control socket. */
static void guest_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	console_write(&vm->con, buf, len);
	control_console_output(vm->ctl, buf, len);
}

static void guest_rx_ready(void *opaque)
{
	struct vm *vm = opaque;

	console_rx_ready(&vm->con);
	control_rx_ready(vm->ctl);
}

/* --disk SPEC: the image opened here, handed to its device. */
static int disk_create(struct virtio_blk **out, struct guest_mem *mem, const char *s,
		       unsigned index)
{
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	struct disk_spec spec;
	struct block_dev *bd;
	int err;

	err = disk_spec_parse(s, &spec);
	if (!err)
		err = disk_spec_open(&spec, index, &bd, serial);
	if (err)
		return err;
	/* what a probe found could change if the guest writes another format's header */
	if (!spec.format[0])
		fprintf(stderr, "gasang: warning: --disk %s: no format given, probed as %s "
			"(add format=%s)\n", spec.path, bd->drv->name, bd->drv->name);
	return virtio_blk_create(out, mem, bd, serial);
}

/* --net SPEC: the backend opened here, handed to its NIC. */
static int nic_create(struct virtio_net **out, struct guest_mem *mem, const char *s,
		      unsigned index)
{
	uint8_t mac[NET_MAC_LEN];
	struct net_backend *be;
	struct net_opts o;
	int err;

	err = net_spec_parse(s ? s : "", &o);
	if (!err)
		err = net_backend_open(&be, &o);
	if (err)
		return err;
	net_spec_mac(&o, be, index, mac);
	return virtio_net_create(out, mem, be, mac);
}

/* A device onto the machine's transport, traced as --trace asks. */
static int attach(struct vm *vm, struct virtio_dev *vd)
{
	vd->trace = vm->trace;
	return vm->m->ops->add_virtio(vm->m, vd);
}

/*
 * The virtio devices the command line asks for, in the order the guest will
 * find them: the console, disks (vda, vdb, ...), entropy, NICs, the power
 * button, the display with its keyboard and tablet.
 */
static int devices_create(struct vm *vm)
{
	const struct uart_backend be = { guest_output, guest_rx_ready, vm };
	struct guest_mem *mem = vm->m->ops->guest_mem(vm->m);
	const struct vm_config *cfg = vm->cfg;
	unsigned i;
	int err = 0;

	if (cfg->console == VM_CONSOLE_VIRTIO) {
		virtio_console_init(&vm->vcon, mem, &be);
		vm->has_vcon = true;
		err = attach(vm, &vm->vcon.vd);
	}
	for (i = 0; !err && i < cfg->ndisks; i++) {
		err = disk_create(&vm->disks[i], mem, cfg->disks[i], i);
		if (!err)
			err = attach(vm, &vm->disks[i]->vd);
	}
	if (!err && cfg->rng) {
		virtio_rng_init(&vm->rng, mem);
		vm->has_rng = true;
		err = attach(vm, &vm->rng.vd);
	}
	for (i = 0; !err && i < cfg->nnets; i++) {
		err = nic_create(&vm->nets[i], mem, cfg->nets[i], i);
		if (!err)
			err = attach(vm, &vm->nets[i]->vd);
	}
	if (!err && !vm->m->ops->powerdown && !vm_config_bare_metal(cfg)) {
		virtio_input_init(&vm->power, mem);
		vm->has_power = true;
		err = attach(vm, &vm->power.vd);
	}
	if (!err && cfg->display) {
		virtio_gpu_init(&vm->gpu, mem, 0, 0);
		virtio_input_init_kind(&vm->keyboard, mem, VIRTIO_INPUT_KEYBOARD);
		virtio_input_init_kind(&vm->tablet, mem, VIRTIO_INPUT_TABLET);
		vm->has_gpu = true;
		err = attach(vm, &vm->gpu.vd);
		if (!err)
			err = attach(vm, &vm->keyboard.vd);
		if (!err)
			err = attach(vm, &vm->tablet.vd);
	}
	return err;
}

/* The devices' I/O threads, from now until devices_destroy(). */
static int devices_start(struct vm *vm)
{
	unsigned i;
	int err = 0;

	for (i = 0; !err && i < vm->cfg->ndisks; i++)
		err = virtio_blk_start(vm->disks[i]);
	for (i = 0; !err && i < vm->cfg->nnets; i++)
		err = virtio_net_start(vm->nets[i]);
	return err;
}

/* After the machine is gone (it reset the devices). */
static void devices_destroy(struct vm *vm)
{
	unsigned i;

	if (vm->has_vcon)
		virtio_console_destroy(&vm->vcon);
	if (vm->has_rng)
		virtio_rng_destroy(&vm->rng);
	if (vm->has_power)
		virtio_input_destroy(&vm->power);
	if (vm->has_gpu) {
		virtio_gpu_destroy(&vm->gpu);
		virtio_input_destroy(&vm->keyboard);
		virtio_input_destroy(&vm->tablet);
	}
	for (i = 0; i < VM_MAX_DISKS; i++)
		virtio_blk_destroy(vm->disks[i]);
	for (i = 0; i < VM_MAX_NICS; i++)
		virtio_net_destroy(vm->nets[i]);
}

/* Every virtio device of the VM, to fn. */
static void devices_each(struct vm *vm, void (*fn)(struct virtio_dev *vd))
{
	unsigned i;

	if (vm->has_vcon)
		fn(&vm->vcon.vd);
	for (i = 0; i < vm->cfg->ndisks; i++)
		fn(&vm->disks[i]->vd);
	if (vm->has_rng)
		fn(&vm->rng.vd);
	for (i = 0; i < vm->cfg->nnets; i++)
		fn(&vm->nets[i]->vd);
	if (vm->has_power)
		fn(&vm->power.vd);
}

static void vm_shape(const struct vm *vm, struct state_shape *s)
{
	const struct guest_mem *mem = vm->m->ops->guest_mem(vm->m);

	memset(s, 0, sizeof(*s));
	snprintf(s->arch, sizeof(s->arch), "%s", vm->cfg->arch);
	s->mem_size = mem->size + mem->high_size;
	s->cpus = vm->cfg->cpus;
}

/*
 * The VM's own section: the control socket's console scrollback, so a client
 * attaching after a restore sees what the guest printed before the save.
 */
static int console_save(void *obj, struct state_out *o)
{
	struct vm *vm = obj;
	uint8_t *buf = malloc(CONTROL_SCROLLBACK);
	size_t len;

	if (!buf)
		return -ENOMEM;
	len = control_scrollback(vm->ctl, buf);
	state_put_u32(o, (uint32_t)len);
	state_put_bytes(o, buf, len);
	free(buf);
	return o->err;
}

static int console_load(void *obj, struct state_in *in)
{
	struct vm *vm = obj;
	uint32_t len = state_get_u32(in);

	if (len > CONTROL_SCROLLBACK || len > in->len - in->off)
		return state_bad(in, "the scrollback's length");
	free(vm->restored_scroll);
	vm->restored_scroll = malloc(len ? len : 1);
	if (!vm->restored_scroll)
		return error_set(-ENOMEM, "out of memory");
	state_get_bytes(in, vm->restored_scroll, len);
	vm->restored_scroll_len = len;
	return state_in_end(in);
}

static const struct state_ops console_state_ops = {
	.name = "console",
	.version = 1,
	.save = console_save,
	.load = console_load,
};

static int vm_state_list(struct vm *vm, struct state_list *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	if (!vm->m->ops->state_list)
		return error_set(-ENOTSUP, "the %s machine cannot be saved yet", vm->cfg->arch);
	/* virtio-gpu's resources live in host memory and have no section yet */
	if (vm->has_gpu)
		return error_set(-ENOTSUP, "a VM with a display (--display) cannot be saved yet");
	err = vm->m->ops->state_list(vm->m, l);
	return err ? err : state_list_add(l, &console_state_ops, vm, 0);
}

/* --restore FILE: the state loaded where boot would have loaded images. */
static int vm_restore(struct vm *vm)
{
	const char *path = vm->cfg->restore;
	struct state_shape shape;
	struct state_list l;
	struct state_file f;
	uint64_t t0 = loop_now_ns();
	int fd, err;

	err = vm_state_list(vm, &l);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "--restore %s: cannot open", path);
	err = state_file_open(&f, fd);
	if (!err && fstat(fd, &vm->restored_from) < 0)
		err = error_errno(-errno, "cannot stat it");
	if (!err) {
		vm_shape(vm, &shape);
		err = state_file_check_shape(&f, &shape);
		if (!err)
			err = vm->m->ops->restore(vm->m, fd, f.ram_off, vm->cfg->clock_jump);
		if (!err)
			err = state_file_load(&f, &l);
		state_file_close(&f);
	}
	close(fd);	/* the mapping holds the file */
	if (err) {
		char why[512];

		snprintf(why, sizeof(why), "%s", error_msg());
		return error_set(err, "--restore %s: %s", path, why);
	}
	vm->restore_ns = loop_now_ns() - t0;
	return 0;
}

/* A new file beside path, renamed over it once complete and synced. */
static int save_to(struct vm *vm, const char *path, const struct state_list *l,
		   struct state_save_stats *st)
{
	struct state_shape shape;
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return error_set(-ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_errno(-errno, "cannot create %s", tmp);
	vm_shape(vm, &shape);
	err = state_file_save(fd, &shape, l, vm->m->ops->guest_mem(vm->m), st);
	if (close(fd) < 0 && !err)
		err = error_errno(-errno, "cannot write %s", tmp);
	if (!err && rename(tmp, path) < 0)
		err = error_errno(-errno, "cannot rename %s to %s", tmp, path);
	if (err)
		unlink(tmp);
	return err;
}

static void quiesce(struct virtio_dev *vd)
{
	virtio_dev_quiesce(vd);
}

static void unquiesce(struct virtio_dev *vd)
{
	virtio_dev_unquiesce(vd);
}

/*
 * A descriptor handed over for a save: a regular file this process may write
 * at any offset, not the file RAM is mapped from (restored from it).
 */
static int save_fd_check(struct vm *vm, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	struct stat st;

	if (fl < 0 || fstat(fd, &st) < 0)
		return error_errno(-errno, "the descriptor sent");
	if (!S_ISREG(st.st_mode) || (fl & O_ACCMODE) == O_RDONLY || (fl & O_APPEND))
		return error_set(-EINVAL, "the descriptor sent is not a regular file open for "
				 "writing (without O_APPEND)");
	if (vm->restored_from.st_ino && st.st_ino == vm->restored_from.st_ino &&
	    st.st_dev == vm->restored_from.st_dev)
		return error_set(-EINVAL, "the descriptor sent is the file this VM was restored "
				 "from, which its RAM still reads: save to a new file");
	return 0;
}

static int save_to_fd(struct vm *vm, int fd, const struct state_list *l,
		      struct state_save_stats *st)
{
	struct state_shape shape;

	vm_shape(vm, &shape);
	return state_file_save(fd, &shape, l, vm->m->ops->guest_mem(vm->m), st);
}

/* The control op "save": CPUs paused, devices still, state and RAM out, then the end. */
static int ctl_save(void *opaque, const char *path, int fd, json_t *r)
{
	struct vm *vm = opaque;
	struct state_save_stats st;
	struct state_list l;
	bool was_paused = vm->paused;
	uint64_t t0;
	int err;

	err = vm_state_list(vm, &l);
	if (!err && fd >= 0)
		err = save_fd_check(vm, fd);
	else if (!err && sandbox_active())
		err = error_set(-EPERM, "a sandboxed VM opens no files: send the file's descriptor "
				"with the request ('gasang save SOCKET FILE' does), or run it with "
				"--sandbox off");
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (!vm->m->ops->pause)
		return error_set(-ENOTSUP, "this machine cannot pause");
	t0 = loop_now_ns();
	vm->m->ops->pause(vm->m);
	devices_each(vm, quiesce);
	if (fd >= 0) {
		err = save_to_fd(vm, fd, &l, &st);
		close(fd);
	} else {
		err = save_to(vm, path, &l, &st);
	}
	if (err) {
		/* as if nothing happened */
		devices_each(vm, unquiesce);
		if (!was_paused)
			vm->m->ops->resume(vm->m);
		return err;
	}
	if (path)
		json_object_set_new(r, "path", json_string(path));
	json_object_set_new(r, "file_bytes", json_integer((json_int_t)st.file_bytes));
	json_object_set_new(r, "ram_bytes", json_integer((json_int_t)st.ram_bytes));
	json_object_set_new(r, "state_bytes", json_integer((json_int_t)st.state_bytes));
	json_object_set_new(r, "save_ms",
			    json_integer((json_int_t)((loop_now_ns() - t0) / 1000000)));
	/* the saved VM must not run on: the devices stay quiesced, the CPUs paused */
	vm->saved = true;
	__atomic_store_n(&vm->reset_requested, false, __ATOMIC_RELEASE);
	vm->m->ops->request_stop(vm->m);
	return 0;
}

/* ---- the control socket's operations (its thread) ---- */

static int ctl_status(void *opaque, json_t *r)
{
	struct vm *vm = opaque;
	struct timespec cpu;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	json_object_set_new(r, "state", json_string(vm->paused ? "paused" : "running"));
	json_object_set_new(r, "pid", json_integer(getpid()));
	json_object_set_new(r, "arch", json_string(vm->cfg->arch));
	json_object_set_new(r, "vcpus", json_integer(vm->cfg->cpus));
	json_object_set_new(r, "memory", json_integer((json_int_t)vm->cfg->mem_size));
	json_object_set_new(r, "uptime_ms",
			    json_integer((json_int_t)((loop_now_ns() - vm->started_ns) / 1000000)));
	json_object_set_new(r, "cpu_time_ms",
			    json_integer((json_int_t)cpu.tv_sec * 1000 + cpu.tv_nsec / 1000000));
	json_object_set_new(r, "gdb", inspect_gdb_where(&vm->inspect) ?
			    json_string(inspect_gdb_where(&vm->inspect)) : json_null());
	if (vm->cfg->restore)
		json_object_set_new(r, "restore_us", json_integer((json_int_t)(vm->restore_ns / 1000)));
	if (vm->m->ops->cpu_state) {
		json_t *cpus = json_array();
		struct machine_cpu_state st;

		for (unsigned i = 0; vm->m->ops->cpu_state(vm->m, i, &st); i++)
			json_array_append_new(cpus, json_pack("{s:i,s:s,s:I}", "id", i, "state",
							      st.state, "instructions",
							      (json_int_t)st.instructions));
		json_object_set_new(r, "cpus", cpus);
	}
	return 0;
}

static int ctl_stats(void *opaque, json_t *r)
{
	struct vm *vm = opaque;
	json_t *disks = json_array(), *nics = json_array();
	unsigned i;

	/* counters of the devices' I/O threads: a racy but harmless read */
#define COUNTER(x) ((json_int_t)__atomic_load_n(&(x), __ATOMIC_RELAXED))
	for (i = 0; i < vm->cfg->ndisks; i++) {
		struct virtio_blk *b = vm->disks[i];

		json_array_append_new(disks, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}",
			"path", b->bd->filename, "requests", COUNTER(b->requests),
			"bytes_read", COUNTER(b->bytes_read),
			"bytes_written", COUNTER(b->bytes_written),
			"read_ops", COUNTER(b->reads), "write_ops", COUNTER(b->writes)));
	}
	for (i = 0; i < vm->cfg->nnets; i++) {
		struct virtio_net *n = vm->nets[i];
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		json_array_append_new(nics, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "mac", mac,
			"rx_frames", COUNTER(n->rx_frames), "rx_dropped", COUNTER(n->rx_dropped),
			"tx_frames", COUNTER(n->tx_frames), "tx_dropped", COUNTER(n->tx_dropped),
			"rx_bytes", COUNTER(n->rx_bytes), "tx_bytes", COUNTER(n->tx_bytes)));
	}
#undef COUNTER
	json_object_set_new(r, "disks", disks);
	json_object_set_new(r, "nics", nics);
	return 0;
}

/* The CPUs stop while the VM is paused or anyone holds them. */
static int ctl_pause(void *opaque)
{
	struct vm *vm = opaque;

	if (!vm->m->ops->pause)
		return error_set(-ENOTSUP, "this machine cannot pause");
	if (!vm->holds)
		vm->m->ops->pause(vm->m);
	vm->paused = true;
	return 0;
}

static int ctl_resume(void *opaque)
{
	struct vm *vm = opaque;

	if (vm->m->ops->resume && !vm->holds)
		vm->m->ops->resume(vm->m);
	vm->paused = false;
	return 0;
}

static int cpus_hold(void *opaque)
{
	struct vm *vm = opaque;

	if (!vm->m->ops->pause)
		return error_set(-ENOTSUP, "this machine cannot stop its CPUs for a consistent read");
	if (!vm->holds++ && !vm->paused)
		vm->m->ops->pause(vm->m);
	return 0;
}

static void cpus_release(void *opaque)
{
	struct vm *vm = opaque;

	if (!--vm->holds && !vm->paused)
		vm->m->ops->resume(vm->m);
}

static int ctl_powerdown(void *opaque)
{
	struct vm *vm = opaque;

	if (vm->m->ops->powerdown)
		vm->m->ops->powerdown(vm->m);
	else if (vm->has_power)
		virtio_input_power_press(&vm->power);
	else
		return error_set(-ENOTSUP, "this machine has no power button");
	return 0;
}

/* The machine stops as it does for a quit; run_loop() boots it again. */
static int ctl_reset(void *opaque)
{
	struct vm *vm = opaque;

	if (vm->paused)
		return error_set(-EBUSY, "the VM is paused: resume it first");
	if (vm->holds)
		return error_set(-EBUSY, "the VM's memory is being read (memory-save, dump)");
	__atomic_store_n(&vm->reset_requested, true, __ATOMIC_RELEASE);
	vm->m->ops->request_stop(vm->m);
	return 0;
}

/* On the control thread: a copy of the screen, encoded there. */
static int ctl_screendump(void *opaque, int fd)
{
	struct vm *vm = opaque;
	struct gpu_image img;
	int err;

	err = virtio_gpu_snapshot(&vm->gpu, &img);
	if (err)
		return err;
	err = screendump_png(fd, &img);
	free(img.rgb);
	return err;
}

/* gdb, registers, memory-read, ...: the debugging ops (vm/inspect.c) */
static int ctl_request(void *opaque, const struct request *rq, json_t *result,
		       struct control_body *body, const char **code)
{
	struct vm *vm = opaque;

	return inspect_request(&vm->inspect, rq, result, body, code);
}

static void ctl_quit(void *opaque)
{
	struct vm *vm = opaque;

	__atomic_store_n(&vm->reset_requested, false, __ATOMIC_RELEASE);
	vm->m->ops->request_stop(vm->m);
}

/* --control PATH: a socket of its own, removed at the end; --control-fd N: gasangd's. */
static int control_create(struct vm *vm, const struct control_ops *ops)
{
	const struct vm_config *cfg = vm->cfg;
	int fd = cfg->control ? control_listen(cfg->control) : cfg->control_fd;

	if (fd < 0)
		return fd;
	return control_start(&vm->ctl, &vm->loop, fd, cfg->control, ops);
}

/* Run until the guest powers off or stops for good; returns an exit status. */
static int run_loop(struct vm *vm)
{
	struct machine_result res;

	for (;;) {
		vm->m->ops->run(vm->m, &res);
		if (res.why == MACHINE_STOPPED && !vm->w.signo &&
		    __atomic_exchange_n(&vm->reset_requested, false, __ATOMIC_ACQ_REL))
			res.why = MACHINE_REBOOT;
		if (res.why != MACHINE_REBOOT || vm->cfg->no_reboot)
			break;
		if (vm->m->ops->boot(vm->m)) {
			fprintf(stderr, "gasang: reboot failed: %s\n", error_msg());
			return VM_EXIT_GUEST;
		}
		/* a signal taken during the reboot: the reset forgot its stop request */
		if (vm->w.signo) {
			res.why = MACHINE_STOPPED;
			break;
		}
	}
	switch (res.why) {
	case MACHINE_EXIT:
		return res.exit_code;
	case MACHINE_FATAL:
		fprintf(stderr, "\ngasang: guest stopped: %s\n", res.msg);
		return VM_EXIT_GUEST;
	case MACHINE_STOPPED:
		return vm->w.signo ? VM_EXIT_SIGNAL + vm->w.signo : VM_EXIT_OK;
	default:
		return VM_EXIT_OK;
	}
}

/* --gdb: a debugger may attach; with --gdb-wait the CPUs wait for it. */
static int gdb_open(struct vm *vm)
{
	int err = inspect_gdb_start(&vm->inspect, vm->cfg->gdb, vm->cfg->gdb_wait);

	if (err)
		return err;
	fprintf(stderr, "gasang: gdb: listening on %s%s\n", inspect_gdb_where(&vm->inspect),
		vm->cfg->gdb_wait ? "; the guest waits for a debugger to continue it" : "");
	return 0;
}

/*
 * The monitor loop and what it serves: the control socket (its debugging
 * ops through inspect) and --gdb's stub, opened at set-up; its thread starts
 * after the sandbox (monitor_start).
 */
static int monitor_open(struct vm *vm, const struct control_ops *ctl_ops)
{
	const struct inspect_hold hold = { cpus_hold, cpus_release, vm };
	const struct vm_config *cfg = vm->cfg;
	int err;

	if (!cfg->control && cfg->control_fd < 0 && !cfg->gdb)
		return 0;
	err = loop_init(&vm->loop);
	if (err) {
		loop_destroy(&vm->loop);
		return err;
	}
	vm->loop_made = true;
	inspect_init(&vm->inspect, vm->m, &vm->loop, &hold);
	if (cfg->control || cfg->control_fd >= 0)
		err = control_create(vm, ctl_ops);
	if (!err && cfg->gdb)
		err = gdb_open(vm);
	return err;
}

/* Its thread, a sandbox kind of its own: the control socket's and a debugger's calls. */
static int monitor_start(struct vm *vm)
{
	return vm->loop_made ? loop_start(&vm->loop, SANDBOX_MONITOR) : 0;
}

/* The machine ended: a debugger is told how, then the loop's thread and what it served go. */
static void monitor_stop(struct vm *vm, int status)
{
	if (!vm->loop_made)
		return;
	inspect_machine_ended(&vm->inspect, status, vm->w.signo);
	loop_stop(&vm->loop);
	inspect_destroy(&vm->inspect);
	control_stop(vm->ctl);
	vm->ctl = NULL;
	loop_destroy(&vm->loop);	/* runs what the two left to free */
	vm->loop_made = false;
}

/*
 * Everything is open: the process gives up the host (vm/jail.h), then its
 * threads start, each narrowing to its kind's filter, and the main thread
 * narrows last to its own. Only the vCPU threads, made by the main thread
 * at each boot, come later.
 */
static int sandbox_and_start(struct vm *vm)
{
	struct jail *j = &vm->jail;
	unsigned i;
	int err;

	j->run.unlink_dirfd[0] = control_dir_fd(vm->ctl);
	j->run.unlink_dirfd[1] = vm->loop_made ? inspect_gdb_dir_fd(&vm->inspect) : -1;
	for (i = 0; i < vm->cfg->nnets; i++) {
		if (vm->nets[i]->be->undo_at_exit) {
			j->run.netlink = true;
			j->keep_net_admin = true;
		}
	}
	err = jail_enter(j);
	if (!err)
		err = sig_watch_start(&vm->w, vm->m);
	if (!err)
		err = monitor_start(vm);
	if (!err)
		err = console_start(&vm->con);
	if (!err)
		err = devices_start(vm);
	if (!err)
		err = sandbox_main_enter(&j->run);
	return err;
}

/* --trace: parsed, checked against what the machine records, and its file opened now. */
static int trace_start(struct vm *vm)
{
	const struct machine_ops *mo = machine_find(vm->cfg->arch);
	struct trace_opts o;
	uint32_t missing;
	unsigned ev;
	int err;

	if (!vm->cfg->trace)
		return 0;
	err = trace_parse(vm->cfg->trace, &o);
	if (err)
		return err;
	missing = o.events & ~mo->trace_events;
	for (ev = 0; ev < TRACE_EVENTS; ev++)
		if (missing & TRACE_BIT(ev))
			return error_set(-EINVAL, "--trace %s: the %s machine (%s) does not record "
					 "'%s' events%s", vm->cfg->trace, mo->arch, mo->accel,
					 trace_event_name(ev),
					 ev == TRACE_EXEC && (mo->trace_events & TRACE_BIT(TRACE_KVM_EXIT)) ?
					 ": its instructions run in hardware (kvm-exit records the rip of "
					 "each exit)" : "");
	return trace_open(&vm->trace, &o, mo->arch);
}

int vm_run(const struct vm_config *cfg)
{
	struct control_ops ctl_ops;
	struct uart_backend serial;
	struct console_ops ops;
	struct vm *vm;
	int err, status = VM_EXIT_USAGE;

	err = machine_check_config(cfg);
	if (err)
		return VM_EXIT_USAGE;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		error_set(-ENOMEM, "out of memory");
		return VM_EXIT_USAGE;
	}
	vm->cfg = cfg;
	err = jail_prepare(&vm->jail, cfg);
	if (err)
		goto out_free;
	sig_watch_block(&vm->w);
	/* jansson seeds its hashes from /dev/urandom at its first object: now, not sandboxed */
	json_object_seed(0);
	vm->started_ns = loop_now_ns();
	serial = (struct uart_backend){ guest_output, guest_rx_ready, vm };
	err = trace_start(vm);
	if (err)
		goto out_free;
	err = machine_find(cfg->arch)->create(cfg, &serial, &vm->m);
	if (err)
		goto out_free;
	if (vm->trace)
		vm->m->ops->set_trace(vm->m, vm->trace);
	/* set-up, on this thread alone: everything the VM will use is opened here */
	err = devices_create(vm);
	if (!err)
		err = cfg->restore ? vm_restore(vm) : vm->m->ops->boot(vm->m);
	ctl_ops = (struct control_ops){ ctl_status, ctl_stats, ctl_pause, ctl_resume,
					ctl_powerdown, ctl_reset, ctl_quit, console_to_guest, vm,
					ctl_request, ctl_save, vm->has_gpu ? ctl_screendump : NULL };
	if (!err)
		err = monitor_open(vm, &ctl_ops);
	if (!err && vm->ctl && vm->restored_scroll_len)
		control_console_output(vm->ctl, vm->restored_scroll, vm->restored_scroll_len);
	ops = (struct console_ops){ console_to_guest, console_quit, vm };
	if (!err)
		err = console_open(&vm->con, STDIN_FILENO, STDOUT_FILENO, &ops);
	if (!err)
		err = sandbox_and_start(vm);
	if (!err)
		status = run_loop(vm);
	console_stop(&vm->con);
	sig_watch_stop(&vm->w);
	/* the monitor loop calls into the machine: it goes first */
	monitor_stop(vm, status);
	vm->m->ops->destroy(vm->m);
	devices_destroy(vm);
out_free:
	trace_close(vm->trace);
	free(vm->restored_scroll);
	free(vm);
	return status;
}
