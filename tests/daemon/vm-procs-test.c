/*
 * daemon/vm-procs.c: a `gasang run --control=DIR/UUID.sock` process is
 * found by its control socket's directory (under any name of it), with its
 * pid and start time, and its supervisor when it has one like gasangd's;
 * other processes, other directories and names that are not a uuid are not.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <sys/time.h>
#include <cmocka.h>

#include "ctr/state.h"
#include "daemon/vm-procs.h"
#include "tests/daemon/fake-vm.h"
#include "tests/daemon/scratch.h"

#define UUID_A "0e4b3c0a-5b8e-4a52-9d1c-1f2e3d4c5b6a"
#define UUID_B "7d3e2f10-aaaa-4bbb-8ccc-0123456789ab"

struct fixture {
	char dir[SCRATCH_DIR_MAX];
	char vm_dir[96];
	char other_dir[96];
	struct vm_proc found[8];
	int n;
};

static int setup(void **state)
{
	struct fixture *f = scratch_fixture(sizeof(*f), "vm-procs-test");

	snprintf(f->vm_dir, sizeof(f->vm_dir), "%s/vm", f->dir);
	snprintf(f->other_dir, sizeof(f->other_dir), "%s/other", f->dir);
	assert_int_equal(mkdir(f->vm_dir, 0700), 0);
	assert_int_equal(mkdir(f->other_dir, 0700), 0);
	*state = f;
	return 0;
}

static int keep(void *opaque, const struct vm_proc *p)
{
	struct fixture *f = opaque;

	if (f->n < 8)
		f->found[f->n] = *p;
	f->n++;
	return 0;
}

static const struct vm_proc *scan(struct fixture *f, const char *dir, const char *uuid)
{
	int i;

	f->n = 0;
	assert_int_equal(vm_procs_scan(dir, keep, f), 0);
	for (i = 0; i < f->n && i < 8; i++)
		if (!strcmp(f->found[i].uuid, uuid))
			return &f->found[i];
	return NULL;
}

static void test_found_with_shim(void **state)
{
	struct fixture *f = *state;
	char control[160], link[160];
	const struct vm_proc *p;
	unsigned long long start;
	struct timeval now;
	struct fake_vm vm;

	snprintf(control, sizeof(control), "--control=%s/" UUID_A ".sock", f->vm_dir);
	vm = fake_vm_start((char *const[]){ "/usr/bin/gasang", "run", "--arch=riscv64",
					    "--mem=16384K", control, NULL }, true);
	assert_true(vm.pid > 0);
	p = scan(f, f->vm_dir, UUID_A);
	assert_non_null(p);
	assert_int_equal(p->vm.pid, vm.pid);
	assert_int_equal(ctr_proc_start_time(vm.pid, &start, NULL), 0);
	assert_true(p->vm.start == start);
	assert_int_equal(p->shim.pid, vm.shim);
	assert_int_equal(ctr_proc_start_time(vm.shim, &start, NULL), 0);
	assert_true(p->shim.start == start);
	gettimeofday(&now, NULL);
	assert_true(llabs((long long)now.tv_sec * 1000 - p->started_ms) < 60 * 1000);
	/* the directory under another name is the same directory */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->vm_dir, link), 0);
	assert_non_null(scan(f, link, UUID_A));
	/* not another directory's */
	assert_null(scan(f, f->other_dir, UUID_A));
	fake_vm_stop(&vm);
	assert_null(scan(f, f->vm_dir, UUID_A));
}

static void test_found_without_shim(void **state)
{
	struct fixture *f = *state;
	char control[160];
	const struct vm_proc *p;
	struct fake_vm vm;

	/* "--control SOCKET" as two words, as a person would type it */
	snprintf(control, sizeof(control), "%s/" UUID_B ".sock", f->vm_dir);
	vm = fake_vm_start((char *const[]){ "gasang", "run", "--control", control, NULL }, false);
	assert_true(vm.pid > 0);
	p = scan(f, f->vm_dir, UUID_B);
	assert_non_null(p);
	assert_int_equal(p->vm.pid, vm.pid);
	/* its parent (this test) does not lead its session: no supervisor */
	assert_int_equal(p->shim.pid, 0);
	fake_vm_stop(&vm);
}

/* How gasangd starts its VMs: the socket bound in the run dir, held at --control-fd N. */
static void test_found_by_control_fd(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const struct vm_proc *p;
	struct fake_vm vm;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_true(snprintf(a.sun_path, sizeof(a.sun_path), "%s/" UUID_B ".sock", f->vm_dir) <
		    (int)sizeof(a.sun_path));
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(dup2(s, 9), 9);	/* inherited: no close-on-exec */
	vm = fake_vm_start((char *const[]){ "gasang", "run", "--control-fd=9", NULL }, true);
	close(9);
	assert_true(vm.pid > 0);
	p = scan(f, f->vm_dir, UUID_B);
	assert_non_null(p);
	assert_int_equal(p->vm.pid, vm.pid);
	assert_null(scan(f, f->other_dir, UUID_B));
	fake_vm_stop(&vm);
	/* a descriptor that is no socket bound in the run dir names no VM */
	vm = fake_vm_start((char *const[]){ "gasang", "run", "--control-fd", "0", NULL }, false);
	assert_null(scan(f, f->vm_dir, UUID_B));
	fake_vm_stop(&vm);
	close(s);
}

static void test_not_found(void **state)
{
	struct fixture *f = *state;
	char control[160], name[160];
	struct fake_vm vm[3];
	int i;

	snprintf(control, sizeof(control), "--control=%s/" UUID_A ".sock", f->vm_dir);
	snprintf(name, sizeof(name), "--control=%s/not-a-uuid.sock", f->vm_dir);
	/* not `gasang run`; a socket name that is no uuid; no control socket at all */
	vm[0] = fake_vm_start((char *const[]){ "gasang", "img", "run", control, NULL }, false);
	vm[1] = fake_vm_start((char *const[]){ "gasang", "run", name, NULL }, false);
	vm[2] = fake_vm_start((char *const[]){ "gasang", "run", "--arch=riscv64", NULL }, false);
	f->n = 0;
	assert_int_equal(vm_procs_scan(f->vm_dir, keep, f), 0);
	assert_int_equal(f->n, 0);
	for (i = 0; i < 3; i++)
		fake_vm_stop(&vm[i]);
	/* a run directory that is not there has no VMs */
	assert_int_equal(vm_procs_scan("/nonexistent/gasang/vm", keep, f), 0);
	assert_int_equal(f->n, 0);
}

static void test_socket_uuid(void **state)
{
	struct fixture *f = *state;
	char uuid[DEF_UUID_LEN + 1], path[200];

	snprintf(path, sizeof(path), "%s/%s.sock", f->vm_dir, "0E4B3C0A-5B8E-4A52-9D1C-1F2E3D4C5B6A");
	assert_int_equal(vm_procs_socket_uuid(f->vm_dir, path, uuid), 0);
	assert_string_equal(uuid, UUID_A);	/* lower case */
	snprintf(path, sizeof(path), "%s/" UUID_A ".status", f->vm_dir);
	assert_int_equal(vm_procs_socket_uuid(f->vm_dir, path, uuid), -ENOENT);
	snprintf(path, sizeof(path), "%s/" UUID_A ".sock", f->other_dir);
	assert_int_equal(vm_procs_socket_uuid(f->vm_dir, path, uuid), -ENOENT);
	assert_int_equal(vm_procs_socket_uuid(f->vm_dir, UUID_A ".sock", uuid), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_found_with_shim, setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_found_by_control_fd, setup,
						scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_found_without_shim, setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_socket_uuid, setup, scratch_fixture_teardown),
	};

	fake_vm_main();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
