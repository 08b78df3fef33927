#include "vm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/loop.h"
#include "base/sandbox.h"
#include "block/block.h"
#include "debug/gdbstub-server.h"
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
#include "vm/jail.h"
#include "vm/net-spec.h"
#include "vm/screendump.h"

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
	struct jail jail;
	struct control *ctl;
	struct gdbstub *gdb;
	struct virtio_rng rng;
	struct virtio_console vcon;
	struct virtio_input power;	/* the power key, on boards without ACPI */
	struct virtio_gpu gpu;		/* --display: the screen, */
	struct virtio_input keyboard, tablet;	/* and what a viewer types and points with */
	bool has_rng, has_vcon, has_power, has_gpu;
	bool paused;
	bool reset_requested;		/* a control "reset" stopped the machine */
	uint64_t started_ns;
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

/*
 * The virtio devices the command line asks for, in the order the guest will
 * find them: the console, disks (vda, vdb, ...), entropy, NICs, the power
 * button, the display with its keyboard and tablet.
 */
static int devices_create(struct vm *vm)
{
	const struct uart_backend be = { guest_output, guest_rx_ready, vm };
	struct guest_mem *mem = vm->m->ops->guest_mem(vm->m);
	int (*attach)(struct machine *, struct virtio_dev *) = vm->m->ops->add_virtio;
	const struct vm_config *cfg = vm->cfg;
	unsigned i;
	int err = 0;

	if (cfg->console == VM_CONSOLE_VIRTIO) {
		virtio_console_init(&vm->vcon, mem, &be);
		vm->has_vcon = true;
		err = attach(vm->m, &vm->vcon.vd);
	}
	for (i = 0; !err && i < cfg->ndisks; i++) {
		err = disk_create(&vm->disks[i], mem, cfg->disks[i], i);
		if (!err)
			err = attach(vm->m, &vm->disks[i]->vd);
	}
	if (!err && cfg->rng) {
		virtio_rng_init(&vm->rng, mem);
		vm->has_rng = true;
		err = attach(vm->m, &vm->rng.vd);
	}
	for (i = 0; !err && i < cfg->nnets; i++) {
		err = nic_create(&vm->nets[i], mem, cfg->nets[i], i);
		if (!err)
			err = attach(vm->m, &vm->nets[i]->vd);
	}
	if (!err && !vm->m->ops->powerdown && !vm_config_bare_metal(cfg)) {
		virtio_input_init(&vm->power, mem);
		vm->has_power = true;
		err = attach(vm->m, &vm->power.vd);
	}
	if (!err && cfg->display) {
		virtio_gpu_init(&vm->gpu, mem, 0, 0);
		virtio_input_init_kind(&vm->keyboard, mem, VIRTIO_INPUT_KEYBOARD);
		virtio_input_init_kind(&vm->tablet, mem, VIRTIO_INPUT_TABLET);
		vm->has_gpu = true;
		err = attach(vm->m, &vm->gpu.vd);
		if (!err)
			err = attach(vm->m, &vm->keyboard.vd);
		if (!err)
			err = attach(vm->m, &vm->tablet.vd);
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

		json_array_append_new(disks, json_pack("{s:s,s:I,s:I,s:I}",
			"path", b->bd->filename, "requests", COUNTER(b->requests),
			"bytes_read", COUNTER(b->bytes_read),
			"bytes_written", COUNTER(b->bytes_written)));
	}
	for (i = 0; i < vm->cfg->nnets; i++) {
		struct virtio_net *n = vm->nets[i];
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		json_array_append_new(nics, json_pack("{s:s,s:I,s:I,s:I,s:I}", "mac", mac,
			"rx_frames", COUNTER(n->rx_frames), "rx_dropped", COUNTER(n->rx_dropped),
			"tx_frames", COUNTER(n->tx_frames), "tx_dropped", COUNTER(n->tx_dropped)));
	}
#undef COUNTER
	json_object_set_new(r, "disks", disks);
	json_object_set_new(r, "nics", nics);
	return 0;
}

static int ctl_pause(void *opaque)
{
	struct vm *vm = opaque;

	if (!vm->m->ops->pause)
		return error_set(-ENOTSUP, "this machine cannot pause");
	vm->m->ops->pause(vm->m);
	vm->paused = true;
	return 0;
}

static int ctl_resume(void *opaque)
{
	struct vm *vm = opaque;

	if (vm->m->ops->resume)
		vm->m->ops->resume(vm->m);
	vm->paused = false;
	return 0;
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
	return control_open(&vm->ctl, fd, cfg->control, ops);
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
	j->run.unlink_dirfd[1] = gdbstub_dir_fd(vm->gdb);
	for (i = 0; i < vm->cfg->nnets; i++) {
		if (vm->nets[i]->be->undo_at_exit) {
			j->run.netlink = true;
			j->keep_net_admin = true;
		}
	}
	err = jail_enter(j);
	if (!err)
		err = sig_watch_start(&vm->w, vm->m);
	if (!err && vm->ctl)
		err = control_start(vm->ctl);
	if (!err && vm->gdb)
		err = gdbstub_start(vm->gdb);
	if (!err)
		err = console_start(&vm->con);
	if (!err)
		err = devices_start(vm);
	if (!err)
		err = sandbox_main_enter(&j->run);
	return err;
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
	char where[300];
	int err;

	err = gdbstub_open(&vm->gdb, vm->m, vm->cfg->gdb, vm->cfg->gdb_wait, where, sizeof(where));
	if (err)
		return err;
	fprintf(stderr, "gasang: gdb: listening on %s%s\n", where,
		vm->cfg->gdb_wait ? "; the guest waits for a debugger to continue it" : "");
	return 0;
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
	err = machine_find(cfg->arch)->create(cfg, &serial, &vm->m);
	if (err)
		goto out_free;
	/* set-up, on this thread alone: everything the VM will use is opened here */
	err = devices_create(vm);
	if (!err)
		err = vm->m->ops->boot(vm->m);
	if (!err && (cfg->control || cfg->control_fd >= 0)) {
		ctl_ops = (struct control_ops){ ctl_status, ctl_stats, ctl_pause, ctl_resume,
						ctl_powerdown, ctl_reset, ctl_quit, console_to_guest, vm,
						vm->has_gpu ? ctl_screendump : NULL };
		err = control_create(vm, &ctl_ops);
	}
	if (!err && cfg->gdb)
		err = gdb_open(vm);
	ops = (struct console_ops){ console_to_guest, console_quit, vm };
	if (!err)
		err = console_open(&vm->con, STDIN_FILENO, STDOUT_FILENO, &ops);
	if (!err)
		err = sandbox_and_start(vm);
	if (!err)
		status = run_loop(vm);
	console_stop(&vm->con);
	sig_watch_stop(&vm->w);
	/* the control and gdbstub threads call into the machine: they go first */
	gdbstub_stop(vm->gdb, status, vm->w.signo);
	vm->gdb = NULL;
	control_stop(vm->ctl);
	vm->ctl = NULL;
	vm->m->ops->destroy(vm->m);
	devices_destroy(vm);
out_free:
	free(vm);
	return status;
}
