#include "daemon/vm-procs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "ctr/state.h"

#define CMDLINE_MAX	(1 << 20)	/* a VM's command line is far shorter */
#define CONTROL_OPT	"--control"

/* The whole of /proc/PID/cmdline (NUL-separated, NUL-terminated): its length, or -1. */
static ssize_t read_cmdline(pid_t pid, char **out)
{
	char path[64], *buf = NULL, *grown;
	size_t cap = 0, len = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			grown = cap <= CMDLINE_MAX ? realloc(buf, cap) : NULL;
			if (!grown) {
				len = 0;
				break;
			}
			buf = grown;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r > 0)
			len += (size_t)r;
	} while (r > 0);
	close(fd);
	if (!len) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

int vm_procs_socket_uuid(const char *vm_dir, const char *sock, char uuid[DEF_UUID_LEN + 1])
{
	char copy[PATH_MAX], *base, *dir;
	struct stat a, b;
	size_t n;

	if (snprintf(copy, sizeof(copy), "%s", sock) >= (int)sizeof(copy))
		return -ENOENT;
	base = strrchr(copy, '/');
	if (!base)
		return -ENOENT;
	*base++ = '\0';
	dir = copy[0] ? copy : "/";
	n = strlen(base);
	if (n != DEF_UUID_LEN + strlen(".sock") || strcmp(base + DEF_UUID_LEN, ".sock"))
		return -ENOENT;
	base[DEF_UUID_LEN] = '\0';
	if (def_uuid_parse(base, uuid))
		return -ENOENT;
	if (stat(vm_dir, &a) || stat(dir, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -ENOENT;
	return 0;
}

/* The path a unix socket that pid holds at descriptor fd is bound to (/proc/net/unix, by inode). */
static int fd_socket_path(pid_t pid, const char *fd, char *path, size_t size)
{
	char link[64], target[64], line[PATH_MAX + 128], *p;
	unsigned long inode, ino;
	ssize_t n;
	FILE *f;
	int err = -ENOENT;

	snprintf(link, sizeof(link), "/proc/%d/fd/%.16s", (int)pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -ENOENT;
	target[n] = '\0';
	if (sscanf(target, "socket:[%lu]", &inode) != 1)
		return -ENOENT;
	f = fopen("/proc/net/unix", "re");
	if (!f)
		return -ENOENT;
	/* "Num RefCount Protocol Flags Type St Inode Path" */
	while (err && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu", &ino) != 1 || ino != inode)
			continue;
		p = strrchr(line, ' ');
		if (!p || *++p != '/')
			break;
		p[strcspn(p, "\n")] = '\0';
		if (snprintf(path, size, "%s", p) < (int)size)
			err = 0;
	}
	fclose(f);
	return err;
}

/*
 * A `gasang run` command line whose control socket is in vm_dir: named by
 * --control[=]SOCKET, or held at --control-fd[=]N (how gasangd starts its
 * VMs) and bound there. Its uuid.
 */
static bool is_vm_of(const char *vm_dir, pid_t pid, const char *cmd, size_t len, char *uuid)
{
	const char *arg = cmd, *end = cmd + len, *next, *val;
	char sock[PATH_MAX];
	bool fd;
	unsigned i;

	for (i = 0; arg < end; i++, arg = next) {
		next = arg + strlen(arg) + 1;
		/* a VM's `gasang run`, or a container's monitor */
		if (i == 1 && strcmp(arg, "run") && strcmp(arg, "ctr-monitor"))
			return false;
		if (i < 2 || strncmp(arg, CONTROL_OPT, strlen(CONTROL_OPT)))
			continue;
		val = arg + strlen(CONTROL_OPT);
		fd = !strncmp(val, "-fd", 3);
		val += fd ? 3 : 0;
		if (*val == '=')
			val++;
		else if (!*val && next < end)
			val = next;
		else
			continue;
		if (fd && fd_socket_path(pid, val, sock, sizeof(sock)))
			return false;
		return !vm_procs_socket_uuid(vm_dir, fd ? sock : val, uuid);
	}
	return false;
}

/* Fields 4 (ppid) and 6 (session) of /proc/PID/stat. */
static int parent_and_session(pid_t pid, pid_t *ppid, pid_t *sid)
{
	char buf[1024], *fields;
	int pgrp, err = ctr_proc_stat(pid, buf, sizeof(buf), &fields);

	if (err)
		return err;
	/* "S ppid pgrp session ..." */
	if (sscanf(fields, "%*c %d %d %d", ppid, &pgrp, sid) != 3)
		return -EINVAL;
	return 0;
}

/* Wall-clock time of a start time in clock ticks since boot. */
static int64_t started_ms(unsigned long long ticks)
{
	long long btime = 0;
	char line[256];
	FILE *f = fopen("/proc/stat", "re");
	long hz = sysconf(_SC_CLK_TCK);

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &btime) == 1)
			break;
	if (f)
		fclose(f);
	if (!btime || hz <= 0)
		return 0;
	return btime * 1000 + (int64_t)(ticks * 1000 / (unsigned long long)hz);
}

static bool found(const char *vm_dir, pid_t pid, struct vm_proc *p)
{
	unsigned long long start;
	pid_t ppid, sid;
	bool zombie;
	char *cmd;
	ssize_t len = read_cmdline(pid, &cmd);
	bool vm;

	if (len < 0)
		return false;
	memset(p, 0, sizeof(*p));
	vm = is_vm_of(vm_dir, pid, cmd, (size_t)len, p->uuid);
	free(cmd);
	if (!vm || ctr_proc_start_time(pid, &start, &zombie) || zombie)
		return false;
	p->vm = (struct sup_proc){ pid, start };
	p->started_ms = started_ms(start);
	/* gasangd's shim makes a session of its own and is the VM's parent */
	if (!parent_and_session(pid, &ppid, &sid) && ppid > 1 && ppid == sid &&
	    !ctr_proc_start_time(ppid, &start, &zombie) && !zombie)
		p->shim = (struct sup_proc){ ppid, start };
	return true;
}

int vm_procs_scan(const char *vm_dir, int (*fn)(void *opaque, const struct vm_proc *p),
		  void *opaque)
{
	struct dirent *e;
	struct vm_proc p;
	struct stat st;
	int ret = 0;
	DIR *d;

	if (stat(vm_dir, &st))
		return errno == ENOENT ? 0 : error_errno(-errno, "cannot read %s", vm_dir);
	d = opendir("/proc");
	if (!d)
		return error_errno(-errno, "cannot read /proc");
	while (!ret && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (!isdigit((unsigned char)e->d_name[0]) || *end || pid <= 0)
			continue;
		if (found(vm_dir, (pid_t)pid, &p))
			ret = fn(opaque, &p);
	}
	closedir(d);
	return ret;
}
