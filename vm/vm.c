#include "vm/vm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "hw/virtio-blk.h"
#include "hw/virtio-console.h"
#include "hw/virtio-net.h"
#include "hw/virtio-rng.h"
#include "machine/riscv-virt.h"
#include "vm/console.h"

/* Signals that end the VM; they are taken by one thread with sigwait(). */
struct sig_watch {
	pthread_t thread;
	sigset_t set;
	struct hart *hart;
	volatile int signo;
	bool running;
};

static void *sig_thread(void *opaque)
{
	struct sig_watch *w = opaque;
	int sig;

	if (sigwait(&w->set, &sig) == 0) {
		w->signo = sig;
		hart_request_stop(w->hart, HART_STOP_REQUEST);
	}
	return NULL;
}

static int sig_watch_start(struct sig_watch *w, struct hart *h)
{
	memset(w, 0, sizeof(*w));
	w->hart = h;
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
	struct riscv_virt m;
	struct console con;
	struct sig_watch w;
	struct virtio_rng rng;
	struct virtio_console vcon;
	struct virtio_blk *disks[VM_MAX_DISKS];
	struct virtio_net *nets[VM_MAX_NICS];
};

static size_t console_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	if (vm->cfg->console == VM_CONSOLE_VIRTIO)
		return virtio_console_receive(&vm->vcon, buf, len);
	return uart16550_receive(&vm->m.uart, buf, len);
}

static void console_quit(void *opaque)
{
	struct vm *vm = opaque;

	hart_request_stop(&vm->m.hart, HART_STOP_REQUEST);
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

/* One virtio-net per --net, each with its I/O thread and backend. */
static int nets_create(struct vm *vm)
{
	unsigned i;
	int err;

	for (i = 0; i < vm->cfg->nnets; i++) {
		err = virtio_net_create(&vm->nets[i], &vm->m.mem, vm->cfg->nets[i], i);
		if (!err)
			err = riscv_virt_add_virtio(&vm->m, &vm->nets[i]->vd);
		if (err)
			return err;
	}
	return 0;
}

static void nets_destroy(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < VM_MAX_NICS; i++) {
		virtio_net_destroy(vm->nets[i]);
		vm->nets[i] = NULL;
	}
}

static int devices_create(struct vm *vm)
{
	const struct uart_backend be = { vcon_out, vcon_rx_ready, vm };
	int err = 0;

	if (vm->cfg->console == VM_CONSOLE_VIRTIO) {
		virtio_console_init(&vm->vcon, &vm->m.mem, &be);
		err = riscv_virt_add_virtio(&vm->m, &vm->vcon.vd);
	}
	for (unsigned i = 0; !err && i < vm->cfg->ndisks; i++) {
		err = virtio_blk_create(&vm->disks[i], &vm->m.mem, vm->cfg->disks[i], i);
		if (!err)
			err = riscv_virt_add_virtio(&vm->m, &vm->disks[i]->vd);
	}
	if (!err && vm->cfg->rng) {
		virtio_rng_init(&vm->rng, &vm->m.mem);
		err = riscv_virt_add_virtio(&vm->m, &vm->rng.vd);
	}
	if (!err)
		err = nets_create(vm);
	return err;
}

static void devices_destroy(struct vm *vm)
{
	if (vm->cfg->console == VM_CONSOLE_VIRTIO)
		virtio_console_destroy(&vm->vcon);
	if (vm->cfg->rng)
		virtio_rng_destroy(&vm->rng);
	for (unsigned i = 0; i < vm->cfg->ndisks; i++)
		virtio_blk_destroy(vm->disks[i]);
	nets_destroy(vm);
}

static int check_config(const struct vm_config *cfg)
{
	if (strcmp(cfg->arch, "riscv64") != 0)
		return error_set(-ENOTSUP, "--arch %s: not supported (supported: riscv64)", cfg->arch);
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
	struct riscv_virt *m = &vm->m;
	enum hart_stop stop;
	int err;

	for (;;) {
		stop = hart_run(&m->hart);
		if (stop != HART_STOP_REBOOT || vm->cfg->no_reboot)
			break;
		err = riscv_virt_boot(m);
		if (err) {
			fprintf(stderr, "gasang: reboot failed: %s\n", error_msg());
			return VM_EXIT_GUEST;
		}
	}
	switch (stop) {
	case HART_STOP_EXIT:
		return m->hart.exit_code;
	case HART_STOP_FATAL:
		fprintf(stderr, "\ngasang: guest stopped: %s\n", m->hart.fatal_msg);
		return VM_EXIT_GUEST;
	case HART_STOP_REQUEST:
		return vm->w.signo ? VM_EXIT_SIGNAL + vm->w.signo : VM_EXIT_OK;
	default:
		return VM_EXIT_OK;
	}
}

int vm_run(const struct vm_config *cfg)
{
	struct console_ops ops;
	struct vm *vm;
	int err, status;

	err = check_config(cfg);
	if (err)
		return VM_EXIT_USAGE;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		error_set(-ENOMEM, "out of memory");
		return VM_EXIT_USAGE;
	}
	vm->cfg = cfg;
	err = riscv_virt_create(&vm->m, cfg, &vm->con);
	if (err) {
		free(vm);
		return VM_EXIT_USAGE;
	}
	err = devices_create(vm);
	if (!err)
		err = riscv_virt_boot(&vm->m);
	if (!err)
		err = sig_watch_start(&vm->w, &vm->m.hart);
	if (err)
		goto err_machine;
	ops = (struct console_ops){ console_to_guest, console_quit, vm };
	err = console_start(&vm->con, STDIN_FILENO, STDOUT_FILENO, &ops);
	if (err)
		goto err_sig;

	status = run_loop(vm);

	console_stop(&vm->con);
	sig_watch_stop(&vm->w);
	riscv_virt_destroy(&vm->m);
	devices_destroy(vm);
	free(vm);
	return status;

err_sig:
	sig_watch_stop(&vm->w);
err_machine:
	riscv_virt_destroy(&vm->m);
	devices_destroy(vm);
	free(vm);
	return VM_EXIT_USAGE;
}
