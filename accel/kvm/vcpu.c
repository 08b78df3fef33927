/*
 * vCPU threads: the KVM_RUN loop, exits handed to the port and MMIO buses,
 * and the run control that stops, pauses and resumes all vCPUs together.
 *
 * Stopping a vCPU: the requester sets kvm->stopping (or ->paused), then the
 * vCPU's run->immediate_exit, then signals its thread (KICK_SIGNAL, whose
 * handler does nothing: it only makes a running KVM_RUN return EINTR). The
 * thread clears immediate_exit before it looks at the flags, so a request
 * made at any moment is seen before or by the next KVM_RUN.
 */
#include "accel/kvm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/x86-cpuid.h"
#include "accel/kvm/x86-insn.h"
#include "base/compiler.h"
#include "base/error.h"
#include "base/sandbox.h"
#include "debug/trace.h"
#include "hw/bus.h"

#define KICK_SIGNAL	(SIGRTMIN)

/* ---- creation ---- */

int kvm_vcpu_create(struct kvm *k, unsigned id, const struct kvm_cpuid2 *cpuid)
{
	struct kvm_cpuid2 *c;
	struct kvm_vcpu *v;
	size_t csize;
	int err;

	if (id >= KVM_MAX_CPUS)
		return error_set(-EINVAL, "vCPU %u: at most %u vCPUs", id, KVM_MAX_CPUS);
	v = calloc(1, sizeof(*v));
	if (!v)
		return error_set(-ENOMEM, "out of memory");
	v->kvm = k;
	v->id = id;
	v->run = MAP_FAILED;
	v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		err = error_errno(-errno, "cannot create vCPU %u", id);
		goto err_free;
	}
	v->run = mmap(NULL, (size_t)k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		err = error_errno(-errno, "cannot map vCPU %u's run area", id);
		goto err_fd;
	}
	csize = sizeof(*cpuid) + cpuid->nent * sizeof(cpuid->entries[0]);
	c = malloc(csize);
	if (!c) {
		err = error_set(-ENOMEM, "out of memory");
		goto err_map;
	}
	memcpy(c, cpuid, csize);
	cpuid_set_apic_id(c->entries, c->nent, id);
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
		err = error_errno(-errno, "cannot set vCPU %u's CPUID", id);
		free(c);
		goto err_map;
	}
	free(c);
	err = kvm_vcpu_save_power_on(v);
	if (err)
		goto err_map;
	k->vcpu[id] = v;
	if (k->nvcpus <= id)
		k->nvcpus = id + 1;
	return 0;
err_map:
	munmap(v->run, (size_t)k->run_size);
err_fd:
	close(v->fd);
err_free:
	free(v->msrs0);
	free(v);
	return err;
}

void kvm_vcpu_destroy(struct kvm_vcpu *v)
{
	if (!v)
		return;
	if (v->run != MAP_FAILED)
		munmap(v->run, (size_t)v->kvm->run_size);
	close(v->fd);
	free(v->msrs0);
	free(v);
}

/* ---- exits ---- */

static uint64_t all_ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* --trace: the privilege the guest runs at (CPL), read from KVM only while tracing. */
static unsigned trace_cpl(struct kvm_vcpu *v)
{
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return TRACE_PRIV_NONE;
	return (s.cr0 & 1) ? s.ss.dpl : 0;	/* real mode runs at 0 */
}

/* --trace pio/mmio: an access the bus dispatched (found: a device took it) */
static void trace_access(struct kvm_vcpu *v, enum trace_event ev, unsigned cpl, bool write,
			 uint64_t addr, unsigned size, uint64_t val, bool found)
{
	const struct bus *bus = ev == TRACE_PIO ? v->kvm->pio : v->kvm->mmio;

	trace_io(v->kvm->trace, ev, v->id, cpl, write, addr, size, val,
		 found ? bus_name_at(bus, addr) : NULL);
}

static void handle_io(struct kvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size, i;
	bool traced = trace_wants(v->kvm->trace, TRACE_PIO);
	unsigned cpl = traced ? trace_cpl(v) : TRACE_PRIV_NONE;

	if (size != 1 && size != 2 && size != 4)
		return;
	for (i = 0; i < run->io.count; i++, p += size) {
		uint64_t val = 0;
		bool found;

		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&val, p, size);
			found = bus_write(v->kvm->pio, run->io.port, size, val);
		} else {
			found = bus_read(v->kvm->pio, run->io.port, size, &val);
			if (!found)
				val = all_ones(size);
			memcpy(p, &val, size);
		}
		if (traced)
			trace_access(v, TRACE_PIO, cpl, run->io.direction == KVM_EXIT_IO_OUT,
				     run->io.port, size, val, found);
	}
}

static void handle_mmio(struct kvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t addr = run->mmio.phys_addr, val = 0;
	unsigned len = run->mmio.len;
	bool found;

	if (len != 1 && len != 2 && len != 4 && len != 8) {
		/* odd sizes (never from plain moves): byte by byte */
		unsigned i;

		for (i = 0; i < len && i < sizeof(run->mmio.data); i++) {
			uint64_t b = 0;

			if (run->mmio.is_write)
				bus_write(v->kvm->mmio, addr + i, 1, run->mmio.data[i]);
			else if (bus_read(v->kvm->mmio, addr + i, 1, &b))
				run->mmio.data[i] = (uint8_t)b;
			else
				run->mmio.data[i] = 0xff;
		}
		return;
	}
	if (run->mmio.is_write) {
		memcpy(&val, run->mmio.data, len);
		found = bus_write(v->kvm->mmio, addr, len, val);
	} else {
		found = bus_read(v->kvm->mmio, addr, len, &val);
		if (!found)
			val = all_ones(len);
		memcpy(run->mmio.data, &val, len);
	}
	if (trace_wants(v->kvm->trace, TRACE_MMIO))
		trace_access(v, TRACE_MMIO, trace_cpl(v), run->mmio.is_write, addr, len, val, found);
}

static const char *exit_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL", [KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR", [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT", [KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
		[KVM_EXIT_HYPERV] = "HYPERV", [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR", [KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
		[KVM_EXIT_NOTIFY] = "NOTIFY",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "?";
}

static const char *internal_error_name(uint32_t sub)
{
	switch (sub) {
	case KVM_INTERNAL_ERROR_EMULATION: return "instruction emulation failed";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "cannot deliver an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected exit from the CPU";
	default: return "internal error";
	}
}

static void stop_on_internal_error(struct kvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct kvm *k = v->kvm;
	uint8_t insn[X86_MAX_INSN_BYTES];
	char bytes[3 * X86_MAX_INSN_BYTES + 1] = "";
	uint64_t rip = 0;
	unsigned n = 0, i;
	const char *name;

	/* the bytes in guest memory, or as many as KVM says it fetched */
	n = x86_fetch_insn(v, &rip, insn);
	if (!n && run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		n = run->emulation_failure.insn_size < X86_MAX_INSN_BYTES ?
		    run->emulation_failure.insn_size : X86_MAX_INSN_BYTES;
		memcpy(insn, run->emulation_failure.insn_bytes, n);
	}
	for (i = 0; i < n; i++)
		snprintf(bytes + 3 * i, sizeof(bytes) - 3 * i, "%02x%s", insn[i], i + 1 < n ? " " : "");
	name = x86_insn_name(insn, n);
	kvm_request_stop(k, KVM_STOP_FATAL, 0,
			 "KVM internal error on vCPU %u: %s (suberror %u) at rip 0x%llx%s%s%s%s%s%s",
			 v->id, internal_error_name(run->internal.suberror), run->internal.suberror,
			 (unsigned long long)rip, n ? ", code " : "", bytes, name ? " (" : "",
			 name ? name : "", name ? ")" : "",
			 k->host_virt ? "" :
			 "; this host's KVM has no VMX/SVM and emulates guest instructions, "
			 "which cannot run this guest");
}

static void handle_system_event(struct kvm_vcpu *v)
{
	struct kvm *k = v->kvm;

	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		kvm_request_stop(k, KVM_STOP_POWEROFF, 0, "system event: shutdown");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		kvm_request_stop(k, KVM_STOP_RESET, 0, "system event: reset");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		kvm_request_stop(k, KVM_STOP_FATAL, 0, "the guest crashed (KVM system event on vCPU %u)",
				 v->id);
		break;
	default:
		kvm_request_stop(k, KVM_STOP_FATAL, 0, "unexpected KVM system event %u on vCPU %u",
				 v->run->system_event.type, v->id);
		break;
	}
}

/* --trace kvm-exit: the reason, and where the guest was (two ioctls, only while tracing) */
static void trace_exit(struct kvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct trace_record r = { .event = TRACE_KVM_EXIT, .cpu = (uint16_t)v->id,
				  .priv = (uint8_t)trace_cpl(v) };
	struct kvm_regs regs;

	r.args[0] = ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ? 0 : regs.rip;
	r.args[1] = run->exit_reason;
	if (run->exit_reason == KVM_EXIT_IO) {
		r.kind = TRACE_KVM_EXIT_IO;
		r.args[2] = run->io.port;
		r.args[3] = run->io.direction == KVM_EXIT_IO_OUT;
	} else if (run->exit_reason == KVM_EXIT_MMIO) {
		r.kind = TRACE_KVM_EXIT_MMIO;
		r.args[2] = run->mmio.phys_addr;
		r.args[3] = run->mmio.is_write;
	}
	r.name = trace_name(v->kvm->trace, exit_name(run->exit_reason));
	trace_emit(v->kvm->trace, &r);
}

static void handle_exit(struct kvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct kvm *k = v->kvm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		v->stats.io++;
		handle_io(v);
		break;
	case KVM_EXIT_MMIO:
		v->stats.mmio++;
		handle_mmio(v);
		break;
	case KVM_EXIT_INTR:
		v->stats.intr++;
		break;
	case KVM_EXIT_SHUTDOWN:
		/* a triple fault: a PC resets */
		kvm_request_stop(k, KVM_STOP_RESET, 0, "triple fault on vCPU %u", v->id);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(v);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		stop_on_internal_error(v);
		break;
	case KVM_EXIT_DEBUG:
		kvm_debug_exit(v);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		kvm_request_stop(k, KVM_STOP_FATAL, 0,
				 "KVM could not enter the guest on vCPU %u (hardware entry failure "
				 "reason 0x%llx)", v->id,
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		kvm_request_stop(k, KVM_STOP_FATAL, 0, "unexpected KVM exit %u (%s) on vCPU %u",
				 run->exit_reason, exit_name(run->exit_reason), v->id);
		break;
	}
}

/* ---- the thread ---- */

static bool flag(const bool *f)
{
	return __atomic_load_n(f, __ATOMIC_SEQ_CST);
}

static void park(struct kvm_vcpu *v)
{
	struct kvm *k = v->kvm;

	pthread_mutex_lock(&k->lock);
	k->parked++;
	pthread_cond_broadcast(&k->cond);
	while (k->paused && !k->stopping)
		pthread_cond_wait(&k->cond, &k->lock);
	k->parked--;
	pthread_mutex_unlock(&k->lock);
}

void *kvm_vcpu_thread(void *opaque)
{
	struct kvm_vcpu *v = opaque;
	struct kvm *k = v->kvm;
	sigset_t set;

	sandbox_thread_enter(SANDBOX_VCPU);
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (flag(&k->stopping))
			break;
		if (flag(&k->paused)) {
			park(v);
			continue;
		}
		if (unlikely(__atomic_load_n(&v->dbg.hold, __ATOMIC_SEQ_CST))) {
			kvm_debug_park(v);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->stats.intr++;
				continue;
			}
			kvm_request_stop(k, KVM_STOP_FATAL, 0, "KVM_RUN failed on vCPU %u: %s", v->id,
					 strerror(errno));
			break;
		}
		v->stats.exits++;
		if (trace_wants(k->trace, TRACE_KVM_EXIT))
			trace_exit(v);
		handle_exit(v);
	}
	return NULL;
}

/* ---- state dump (GASANG_KVM_DUMP=1: every vCPU's state when a run ends) ---- */

void kvm_vcpu_dump(struct kvm_vcpu *v, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_mp_state mp = { 0 };

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	fprintf(f, "vCPU %u: rip %016llx rsp %016llx rflags %08llx mp_state %u exits %llu\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx rsi %016llx rdi %016llx\n"
		"  cs %04x base %llx l %u db %u  cr0 %08llx cr3 %llx cr4 %llx efer %llx\n",
		v->id, r.rip, r.rsp, r.rflags, mp.mp_state, (unsigned long long)v->stats.exits,
		r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, s.cs.selector, s.cs.base, s.cs.l,
		s.cs.db, s.cr0, s.cr3, s.cr4, s.efer);
	{
		struct kvm_lapic_state l;
		uint32_t id, svr, tpr, isr[8], irr[8];
		unsigned i;

		if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
			return;
		memcpy(&id, &l.regs[0x20], 4);
		memcpy(&tpr, &l.regs[0x80], 4);
		memcpy(&svr, &l.regs[0xf0], 4);
		for (i = 0; i < 8; i++) {
			memcpy(&isr[i], &l.regs[0x100 + 16 * i], 4);
			memcpy(&irr[i], &l.regs[0x200 + 16 * i], 4);
		}
		fprintf(f, "  lapic id %08x tpr %x svr %x apic_base %llx isr %08x%08x irr %08x%08x\n",
			id, tpr, svr, s.apic_base, isr[2], isr[1], irr[2], irr[1]);
	}
}

/* ---- run control ---- */

static void kick_handler(int sig)
{
	(void)sig;
}

void kvm_kick_all(struct kvm *k)
{
	unsigned i;

	for (i = 0; i < k->nvcpus; i++) {
		struct kvm_vcpu *v = k->vcpu[i];

		if (!v || !v->thread_started)
			continue;
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (!pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, KICK_SIGNAL);
	}
}

void kvm_request_stop(struct kvm *k, enum kvm_stop_reason why, int code, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&k->lock);
	if (!k->stopping) {
		k->stop.why = why;
		k->stop.code = code;
		va_start(ap, fmt);
		vsnprintf(k->stop.msg, sizeof(k->stop.msg), fmt, ap);
		va_end(ap);
		__atomic_store_n(&k->stopping, true, __ATOMIC_SEQ_CST);
	}
	kvm_kick_all(k);
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

int kvm_run_vcpus(struct kvm *k, struct kvm_stop *stop)
{
	struct sigaction sa;
	unsigned i;
	int err = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < k->nvcpus; i++) {
		struct kvm_vcpu *v = k->vcpu[i];

		memset(&v->stats, 0, sizeof(v->stats));
		if (pthread_create(&v->thread, NULL, kvm_vcpu_thread, v)) {
			err = error_set(-EAGAIN, "cannot start the thread of vCPU %u", i);
			if (!k->stopping) {
				k->stop.why = KVM_STOP_FATAL;
				snprintf(k->stop.msg, sizeof(k->stop.msg), "%s", error_msg());
				__atomic_store_n(&k->stopping, true, __ATOMIC_SEQ_CST);
			}
			break;
		}
		v->thread_started = true;
		k->running++;
	}
	while (!k->stopping)
		pthread_cond_wait(&k->cond, &k->lock);
	kvm_kick_all(k);
	pthread_mutex_unlock(&k->lock);

	memset(&k->stats, 0, sizeof(k->stats));
	for (i = 0; i < k->nvcpus; i++) {
		struct kvm_vcpu *v = k->vcpu[i];

		if (!v->thread_started)
			continue;
		pthread_join(v->thread, NULL);
		pthread_mutex_lock(&k->lock);
		v->thread_started = false;
		k->running--;
		pthread_mutex_unlock(&k->lock);
		k->stats.exits += v->stats.exits;
		k->stats.io += v->stats.io;
		k->stats.mmio += v->stats.mmio;
		k->stats.intr += v->stats.intr;
	}

	if (getenv("GASANG_KVM_DUMP"))
		for (i = 0; i < k->nvcpus; i++)
			kvm_vcpu_dump(k->vcpu[i], stderr);

	/* this run's stop is consumed; one requested from now on ends the next */
	pthread_mutex_lock(&k->lock);
	*stop = k->stop;
	memset(&k->stop, 0, sizeof(k->stop));
	__atomic_store_n(&k->stopping, false, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&k->lock);
	return err;
}

void kvm_pause(struct kvm *k)
{
	pthread_mutex_lock(&k->lock);
	if (k->paused) {
		pthread_mutex_unlock(&k->lock);
		return;
	}
	__atomic_store_n(&k->paused, true, __ATOMIC_SEQ_CST);
	kvm_kick_all(k);
	while (k->parked + k->dbg_parked < k->running && !k->stopping)
		pthread_cond_wait(&k->cond, &k->lock);
	/* guest time stops with the vCPUs */
	kvm_clock_hold(k);
	pthread_mutex_unlock(&k->lock);
}

void kvm_clock_hold(struct kvm *k)
{
	if (k->clock_holds++)
		return;
	if (ioctl(k->vm_fd, KVM_GET_CLOCK, &k->held_clock) < 0)
		k->held_clock.flags = ~0u;
}

void kvm_clock_release(struct kvm *k)
{
	if (!k->clock_holds || --k->clock_holds)
		return;
	if (k->held_clock.flags != ~0u) {
		struct kvm_clock_data c = { .clock = k->held_clock.clock };

		ioctl(k->vm_fd, KVM_SET_CLOCK, &c);
	}
}

void kvm_resume(struct kvm *k)
{
	unsigned i;

	pthread_mutex_lock(&k->lock);
	if (k->paused) {
		/* registers a debugger's ops read while paused change once the vCPUs run */
		for (i = 0; i < k->nvcpus; i++)
			k->vcpu[i]->dbg.cache.valid = false;
		kvm_clock_release(k);
		__atomic_store_n(&k->paused, false, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&k->cond);
	}
	pthread_mutex_unlock(&k->lock);
}
