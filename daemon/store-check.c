#include "daemon/store-check.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/compiler.h"
#include "base/error.h"
#include "daemon/definition.h"
#include "daemon/store.h"
#include "daemon/vm-procs.h"

/* fn for each name in dir but dot files (none when dir is missing); a non-zero return stops. */
static int each_name(const char *dir, int (*fn)(void *opaque, const char *name), void *opaque)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : error_errno(-errno, "cannot read %s", dir);
	while (!ret && (e = readdir(d)))
		if (e->d_name[0] != '.')
			ret = fn(opaque, e->d_name);
	closedir(d);
	return ret;
}

/* UUID.sock or UUID.status: a VM's file in the run directory. */
static bool vm_file_uuid(const char *name, char uuid[DEF_UUID_LEN + 1])
{
	char head[DEF_UUID_LEN + 1];

	if (strlen(name) <= DEF_UUID_LEN ||
	    (strcmp(name + DEF_UUID_LEN, ".sock") && strcmp(name + DEF_UUID_LEN, ".status")))
		return false;
	memcpy(head, name, DEF_UUID_LEN);
	head[DEF_UUID_LEN] = '\0';
	return !def_uuid_parse(head, uuid);
}

/* NAME.log: a VM's log. */
static bool log_file_vm(const char *name, char vm[DEF_NAME_MAX + 1])
{
	size_t n = strlen(name);

	if (n <= 4 || n - 4 > DEF_NAME_MAX || strcmp(name + n - 4, ".log"))
		return false;
	memcpy(vm, name, n - 4);
	vm[n - 4] = '\0';
	return def_name_valid(vm);
}

static int count_vm_file(void *opaque, const char *name)
{
	char uuid[DEF_UUID_LEN + 1];

	if (vm_file_uuid(name, uuid))
		(*(unsigned *)opaque)++;
	return 0;
}

static int count_log(void *opaque, const char *name)
{
	char vm[DEF_NAME_MAX + 1];

	if (log_file_vm(name, vm))
		(*(unsigned *)opaque)++;
	return 0;
}

static int count_proc(void *opaque, const struct vm_proc *p)
{
	(void)p;
	(*(unsigned *)opaque)++;
	return 0;
}

int state_traces_find(const struct state_paths *p, struct state_traces *t)
{
	char wal[PATH_MAX];
	struct stat st;
	int err;

	memset(t, 0, sizeof(*t));
	if (snprintf(wal, sizeof(wal), "%s-wal", p->db) < (int)sizeof(wal) && !stat(wal, &st))
		t->wal_bytes = st.st_size;
	if ((err = each_name(p->vm_dir, count_vm_file, &t->vm_files)) ||
	    (err = each_name(p->log_dir, count_log, &t->logs)) ||
	    (err = vm_procs_scan(p->vm_dir, count_proc, &t->procs)) ||
	    (err = backup_find_newest(p->backup_dir, &t->backups)))
		return err;
	return 0;
}

static void PRINTF_LIKE(3, 4) list_add(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len && len + 2 < n) {
		strcpy(buf + len, ", ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

static const char *plural(unsigned n, const char *s)
{
	return n == 1 ? "" : s;
}

static void traces_text(const struct state_traces *t, char *buf, size_t n)
{
	buf[0] = '\0';
	if (t->procs)
		list_add(buf, n, "%u VM process%s still running", t->procs, plural(t->procs, "es"));
	if (t->vm_files)
		list_add(buf, n, "%u control socket%s or exit-status file%s", t->vm_files,
			 plural(t->vm_files, "s"), plural(t->vm_files, "s"));
	if (t->logs)
		list_add(buf, n, "%u VM log%s", t->logs, plural(t->logs, "s"));
	if (t->wal_bytes)
		list_add(buf, n, "a WAL of %lld bytes", t->wal_bytes);
	if (t->backups.count)
		list_add(buf, n, "%u backup%s", t->backups.count, plural(t->backups.count, "s"));
}

int store_check_startup(const struct state_paths *p)
{
	char traces[256], how[PATH_MAX + 128];
	struct state_traces t;
	struct stat st;
	bool missing;
	int err;

	if (!stat(p->db, &st)) {
		if (st.st_size > 0)
			return 0;
		missing = false;
	} else if (errno == ENOENT) {
		missing = true;
	} else {
		return error_errno(-errno, "cannot read %s", p->db);
	}
	err = state_traces_find(p, &t);
	if (err)
		return err;
	if (!t.procs && !t.vm_files && !t.logs && !t.wal_bytes && !t.backups.count)
		return 0;	/* a fresh state directory */
	traces_text(&t, traces, sizeof(traces));
	if (t.backups.count)
		snprintf(how, sizeof(how), "restore the newest backup with 'gasangd --state-dir %s "
			 "--restore-backup %s'", p->state_dir, t.backups.path);
	else
		snprintf(how, sizeof(how), "there is no backup in %s: put a copy of %s back",
			 p->backup_dir, STORE_FILE);
	return error_set(-EUCLEAN, "the store %s is %s but VMs ran from this state directory "
			 "(%s): %s, or move %s away to start afresh", p->db,
			 missing ? "missing" : "empty (0 bytes)", traces, how, p->state_dir);
}

/* ---- gasangd --check ---- */

struct known_vm {
	char name[DEF_NAME_MAX + 1];
	char uuid[DEF_UUID_LEN + 1];
	char state[16];
	bool active;
	bool seen;			/* a live VM process has its uuid */
	struct sup_proc vm;
	size_t formats_missing;		/* disks defined before formats were recorded */
};

struct report {
	FILE *out;
	const struct state_paths *p;
	struct known_vm *vms;
	size_t n, cap;
	unsigned active;
	unsigned problems;
};

static void PRINTF_LIKE(3, 4) say(struct report *r, const char *kind, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(kind, "problem"))
		r->problems++;
	fprintf(r->out, "%s: ", kind);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
}

static int collect(void *opaque, const struct store_domain *d)
{
	struct report *r = opaque;
	struct known_vm *k;
	json_t *def;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct known_vm *grown = realloc(r->vms, cap * sizeof(*grown));

		if (!grown)
			return error_set(-ENOMEM, "out of memory");
		r->vms = grown;
		r->cap = cap;
	}
	k = &r->vms[r->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", d->name);
	snprintf(k->uuid, sizeof(k->uuid), "%s", d->uuid);
	snprintf(k->state, sizeof(k->state), "%s", d->rt.state ? d->rt.state : "shutoff");
	k->active = !strcmp(k->state, "running") || !strcmp(k->state, "paused");
	k->vm = (struct sup_proc){ d->rt.vm_pid, d->rt.vm_start };
	r->active += k->active;
	def = json_loads(d->definition, 0, NULL);
	if (!def)
		say(r, "problem", "%s: its stored definition is not JSON", k->name);
	k->formats_missing = def ? def_formats_missing(def) : 0;
	json_decref(def);
	return 0;
}

/* The defined VM with this uuid or name (by_name), NULL when none. */
static struct known_vm *known(struct report *r, const char *id, bool by_name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(by_name ? r->vms[i].name : r->vms[i].uuid, id))
			return &r->vms[i];
	return NULL;
}

static int check_vm_file(void *opaque, const char *name)
{
	struct report *r = opaque;
	char uuid[DEF_UUID_LEN + 1];

	if (vm_file_uuid(name, uuid) && !known(r, uuid, false))
		say(r, "problem", "%s/%s: no VM with this uuid is defined", r->p->vm_dir, name);
	return 0;
}

static int check_log(void *opaque, const char *name)
{
	struct report *r = opaque;
	char vm[DEF_NAME_MAX + 1];

	if (log_file_vm(name, vm) && !known(r, vm, true))
		say(r, "problem", "%s/%s: no VM of this name is defined", r->p->log_dir, name);
	return 0;
}

static int check_proc(void *opaque, const struct vm_proc *p)
{
	struct report *r = opaque;
	struct known_vm *k = known(r, p->uuid, false);

	if (!k) {
		say(r, "problem", "a VM process (pid %d) runs with its control socket %s/%s.sock, "
		    "but no VM with uuid %s is defined: nothing manages it", (int)p->vm.pid,
		    r->p->vm_dir, p->uuid, p->uuid);
		return 0;
	}
	k->seen = true;
	if (!k->active || k->vm.pid != p->vm.pid || k->vm.start != p->vm.start)
		say(r, "problem", "%s: its VM process (pid %d) runs, but the store records it as %s"
		    "%s: the next gasangd start re-adopts it", k->name, (int)p->vm.pid, k->state,
		    k->active ? " with another process" : "");
	return 0;
}

static void check_backups(struct report *r)
{
	struct backup_newest b;
	struct store *s;
	int err = backup_find_newest(r->p->backup_dir, &b);

	if (err) {
		say(r, "problem", "%s", error_msg());
		return;
	}
	if (!b.count) {
		fprintf(r->out, "backups: none yet in %s\n", r->p->backup_dir);
		return;
	}
	fprintf(r->out, "backups: %u in %s, the newest %.1f h old: %s\n", b.count,
		r->p->backup_dir, difftime(time(NULL), b.time) / 3600, b.path);
	err = store_open_readonly(&s, b.path);
	if (!err) {
		err = store_integrity(s);
		store_close(s);
	}
	if (err)
		say(r, "problem", "the newest backup cannot be restored: %s", error_msg());
}

static void check_agreement(struct report *r)
{
	int err;
	size_t i;

	if ((err = each_name(r->p->vm_dir, check_vm_file, r)) ||
	    (err = each_name(r->p->log_dir, check_log, r)) ||
	    (err = vm_procs_scan(r->p->vm_dir, check_proc, r))) {
		say(r, "problem", "%s", error_msg());
		return;
	}
	for (i = 0; i < r->n; i++) {
		struct known_vm *k = &r->vms[i];

		if (k->active && !k->seen && !sup_alive(&k->vm))
			say(r, "note", "%s: recorded as %s (pid %d) but its process is gone: the next "
			    "gasangd start records how it ended", k->name, k->state, (int)k->vm.pid);
		if (k->formats_missing)
			say(r, "note", "%s: %zu disk%s without a recorded format: the next gasangd "
			    "start probes %s once and records %s", k->name, k->formats_missing,
			    k->formats_missing == 1 ? "" : "s", k->formats_missing == 1 ? "it" : "them",
			    k->formats_missing == 1 ? "it" : "them");
	}
}

int store_check_report(const struct state_paths *p, FILE *out)
{
	struct report r = { .out = out, .p = p };
	struct store *s;
	struct stat st;
	int err;

	if (stat(p->db, &st) || st.st_size == 0) {
		err = store_check_startup(p);
		if (err == -EUCLEAN)
			say(&r, "problem", "%s", error_msg());
		else if (err)
			return err;
		else
			fprintf(out, "store: none yet in %s (a fresh state directory)\n", p->state_dir);
		return (int)r.problems;
	}
	err = store_open_readonly(&s, p->db);
	if (err) {
		say(&r, "problem", "%s", error_msg());
		return (int)r.problems;
	}
	err = store_integrity(s);
	if (!err)
		err = store_domain_foreach(s, collect, &r);
	store_close(s);
	if (err) {
		say(&r, "problem", "%s", error_msg());
		free(r.vms);
		return (int)r.problems;
	}
	fprintf(out, "store %s: schema %d, integrity ok, %zu VM%s defined (%u active)\n", p->db,
		STORE_SCHEMA_VERSION, r.n, r.n == 1 ? "" : "s", r.active);
	check_backups(&r);
	check_agreement(&r);
	free(r.vms);
	return (int)r.problems;
}
