#include "vm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "hw/guest-mem.h"
#include "hw/uart16550.h"
#include "hw/virtio-blk.h"
#include "hw/virtio-console.h"
#include "hw/virtio-net.h"
#include "hw/virtio-rng.h"
#include "machine/machine.h"
#include "vm/console.h"

/* Signals that end the VM; they are taken by one thread with sigwait(). */
struct sig_watch {
	pthread_t thread;
	sigset_t set;
	struct machine *m;
	volatile int signo;
	bool running;
};

static void *sig_thread(void *opaque)
{
	struct sig_watch *w = opaque;
	int sig;

	if (sigwait(&w->set, &sig) == 0) {
		w->signo = sig;
		w->m->ops->request_stop(w->m);
	}
	return NULL;
}

static int sig_watch_start(struct sig_watch *w, struct machine *m)
{
	memset(w, 0, sizeof(*w));
	w->m = m;
	sigemptyset(&w->set);
	sigaddset(&w->set, SIGINT);
	sigaddset(&w->set, SIGTERM);
	sigaddset(&w->set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &w->set, NULL);
	if (pthread_create(&w->thread, NULL, sig_thread, w))
		return error_set(-EAGAIN, "cannot start the signal thread");
	w->running = true;
	return 0;
}

static void sig_watch_stop(struct sig_watch *w)
{
	if (!w->running)
		return;
	pthread_cancel(w->thread);
	pthread_join(w->thread, NULL);
	w->running = false;
}

/* One VM in the foreground: the machine, its devices and the host side. */
struct vm {
	const struct vm_config *cfg;
	struct machine *m;
	struct console con;
	struct sig_watch w;
	struct virtio_rng rng;
	struct virtio_console vcon;
	bool has_rng, has_vcon;
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

	vm->m->ops->request_stop(vm->m);
}

static void vcon_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	console_write(&vm->con, buf, len);
}

static void vcon_rx_ready(void *opaque)
{
	struct vm *vm = opaque;

	console_rx_ready(&vm->con);
}

/*
 * The virtio devices the command line asks for, in the order the guest will
 * find them: the console, disks (vda, vdb, ...), entropy, NICs.
 */
static int devices_create(struct vm *vm)
{
	const struct uart_backend be = { vcon_out, vcon_rx_ready, vm };
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
		err = virtio_blk_create(&vm->disks[i], mem, cfg->disks[i], i);
		if (!err)
			err = attach(vm->m, &vm->disks[i]->vd);
	}
	if (!err && cfg->rng) {
		virtio_rng_init(&vm->rng, mem);
		vm->has_rng = true;
		err = attach(vm->m, &vm->rng.vd);
	}
	for (i = 0; !err && i < cfg->nnets; i++) {
		err = virtio_net_create(&vm->nets[i], mem, cfg->nets[i], i);
		if (!err)
			err = attach(vm->m, &vm->nets[i]->vd);
	}
	return err;
}

/* After the machine is gone (it reset the devices, stopping their threads). */
static void devices_destroy(struct vm *vm)
{
	unsigned i;

	if (vm->has_vcon)
		virtio_console_destroy(&vm->vcon);
	if (vm->has_rng)
		virtio_rng_destroy(&vm->rng);
	for (i = 0; i < VM_MAX_DISKS; i++)
		virtio_blk_destroy(vm->disks[i]);
	for (i = 0; i < VM_MAX_NICS; i++)
		virtio_net_destroy(vm->nets[i]);
}

static int check_config(const struct vm_config *cfg)
{
	if (!machine_find(cfg->arch))
		return error_set(-ENOTSUP, "--arch %s: not supported (supported: %s)", cfg->arch,
				 machine_archs());
	if (!cfg->kernel)
		return error_set(-EINVAL, "no kernel: give one with --kernel");
	if (cfg->bios && !vm_config_bare_metal(cfg))
		return error_set(-ENOTSUP, "--bios %s: only 'none' is supported (gasang provides "
				 "the SBI itself)", cfg->bios);
	if (vm_config_bare_metal(cfg) && cfg->initrd)
		return error_set(-EINVAL, "--initrd makes no sense with --bios none");
	return 0;
}

/* Run until the guest powers off or stops for good; returns an exit status. */
static int run_loop(struct vm *vm)
{
	struct machine_result res;

	for (;;) {
		vm->m->ops->run(vm->m, &res);
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

int vm_run(const struct vm_config *cfg)
{
	struct console_ops ops;
	struct vm *vm;
	int err, status = VM_EXIT_USAGE;

	err = check_config(cfg);
	if (err)
		return VM_EXIT_USAGE;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		error_set(-ENOMEM, "out of memory");
		return VM_EXIT_USAGE;
	}
	vm->cfg = cfg;
	err = machine_find(cfg->arch)->create(cfg, &vm->con, &vm->m);
	if (err)
		goto out_free;
	err = devices_create(vm);
	if (!err)
		err = vm->m->ops->boot(vm->m);
	if (!err)
		err = sig_watch_start(&vm->w, vm->m);
	if (err)
		goto out_machine;
	ops = (struct console_ops){ console_to_guest, console_quit, vm };
	err = console_start(&vm->con, STDIN_FILENO, STDOUT_FILENO, &ops);
	if (!err) {
		status = run_loop(vm);
		console_stop(&vm->con);
	}
	sig_watch_stop(&vm->w);
out_machine:
	vm->m->ops->destroy(vm->m);
	devices_destroy(vm);
out_free:
	free(vm);
	return status;
}
