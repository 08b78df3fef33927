/* gasang run: one VM in the foreground, like qemu-system-* or lkvm run. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/size.h"
#include "cli/cli.h"
#include "machine/machine.h"
#include "vm/cpus-spec.h"
#include "vm/vm.h"

#define PAGE 4096ull
#define GDB_DEFAULT_PORT "1234"	/* QEMU's -s */

static const char run_help[] =
	"usage: gasang run [options]\n"
	"  --arch x86_64|riscv64 guest architecture: x86_64 on KVM (the default on an x86_64\n"
	"                        host), riscv64 emulated\n"
	"  --kernel FILE         kernel: x86_64 bzImage or ELF vmlinux (PVH entry); riscv64\n"
	"                        Linux Image or ELF vmlinux, or with --bios none a bare-metal\n"
	"                        ELF (HTIF tohost exit)\n"
	"  --initrd FILE         initial ramdisk\n"
	"  --append STRING       kernel command line (default \"" VM_DEFAULT_APPEND "\")\n"
	"  --mem SIZE            guest memory, e.g. 512M, 2G (default 512M)\n"
	"  --cpus N[,sockets=S][,cores=C][,threads=T]\n"
	"                        virtual CPUs (default 1): x86_64 vCPUs, riscv64 harts (1 to\n"
	"                        64), each a host thread; x86_64: their topology\n"
	"                        (default: one socket of N cores)\n"
	"  --rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS]  where the guest's real-time clock\n"
	"                        starts (default utc: the host's time)\n"
	"  --bios FILE           x86_64: firmware (e.g. /usr/share/seabios/bios.bin) started at\n"
	"                        the reset vector instead of a direct kernel boot\n"
	"  --bios none           riscv64: no SBI, run the kernel ELF in machine mode\n"
	"  --cpu MODEL[,+FEAT|,-FEAT]...  x86_64 CPU features: host (default), x86-64-v1..v4,\n"
	"                        then features to add or hide, e.g. -xsave,-cx16\n"
	"  --cpu rv64gc|rva22|rva23  riscv64: the extensions the guest sees (default rva23)\n"
	"  --mem-file PATH       x86_64: back guest RAM with a shared file (a directory, such\n"
	"                        as a hugetlbfs mount: a new file in it)\n"
	"  --hugepages           x86_64: guest RAM from the huge page pool\n"
	"  --debugcon FILE       x86_64: what the guest writes to the debug port 0x402 (as\n"
	"                        QEMU's isa-debugcon; SeaBIOS logs there) goes to FILE, '-'\n"
	"                        for the console\n"
	"  --disk PATH[,format=raw|qcow2][,readonly=on][,cache=writeback|none][,serial=S]\n"
	"                        a virtio-blk disk (repeatable: vda, vdb, ...)\n"
	"  --no-reboot           exit when the guest reboots\n"
	"  --control SOCKET      serve the VM's control socket (JSON: status, pause, resume,\n"
	"                        powerdown, quit, console; see docs/API.md)\n"
	"  --control-fd N        serve it on the listening socket inherited as descriptor N\n"
	"                        (how gasangd starts its VMs)\n"
	"  --console serial|virtio  the terminal is ttyS0 (default) or virtio-console hvc0\n"
	"  --gdb tcp:[HOST]:PORT|unix:PATH  listen for one debugger (GDB's remote protocol:\n"
	"                        target remote HOST:PORT); HOST defaults to 127.0.0.1, PORT 0\n"
	"                        picks a free one (printed); see docs/DEBUGGING.md\n"
	"  --gdb-wait            hold the CPUs before their first instruction until a debugger\n"
	"                        continues them (with no --gdb: tcp:127.0.0.1:" GDB_DEFAULT_PORT ")\n"
	"  --trace EVENTS[,file=PATH][,mode=text|binary][,size=SIZE][,range=START..END]\n"
	"        [,priv=u|s|m]    record events: exec, int, mmu, mmio, sbi (riscv64), kvm-exit,\n"
	"                        pio (x86_64), virtio; text on stderr or PATH, or a binary ring\n"
	"                        of SIZE (64M) for 'gasang trace dump'; see docs/DEBUGGING.md\n"
	"  --restore FILE        resume the VM saved in FILE (control op \"save\") instead of\n"
	"                        booting; give the arguments the saved VM was started with\n"
	"  --clock-jump          with --restore: the guest's clock jumps by the time the VM\n"
	"                        was saved (default: it continues where it stopped)\n"
	"  --rng on|off          virtio-rng entropy device (default on)\n"
	"  --display none        a virtio-gpu display (no viewer: see it with the control\n"
	"                        socket's screendump, `gasang screenshot`); default: no display\n"
	"  --net SPEC            a virtio-net NIC, up to 4 (repeat the flag):\n"
	"                        user[,hostfwd=[tcp|udp]:[HOSTADDR]:PORT-[GUESTADDR]:PORT]...\n"
	"                          user-mode network 10.0.2.0/24 (guest 10.0.2.15, host 10.0.2.2);\n"
	"                          the default when SPEC names no backend\n"
	"                        tap,ifname=NAME | tap,bridge=BR[,ifname=NAME]\n"
	"                          an existing tap, or (root) a new tap on bridge BR\n"
	"                        stream,path=SOCKET\n"
	"                          a switch's unix socket (gasang's, or a QEMU -netdev stream peer)\n"
	"                        any with ,mac=52:54:00:xx:xx:xx\n"
	"  --sandbox on|off      after set-up, seccomp filters per thread and no capabilities\n"
	"                        (default on; off is for debugging)\n"
	"  --user USER           after set-up, run as USER (a name, or UID[:GID]); needs root\n"
	"  --chroot DIR          after set-up, DIR is the root (with --net user it wants\n"
	"                        DIR/etc/resolv.conf for DNS); needs root\n"
	"The serial console is on the terminal: Ctrl-A x quits, Ctrl-A h helps.\n"
	"docs/SECURITY.md says what the sandbox allows each thread.\n";

enum {
	OPT_ARCH = 256, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_MEM, OPT_CPUS, OPT_BIOS,
	OPT_NO_REBOOT, OPT_CONTROL, OPT_DISK, OPT_CONSOLE, OPT_RNG, OPT_NET, OPT_HELP,
	OPT_CPU, OPT_RTC, OPT_MEM_FILE, OPT_HUGEPAGES, OPT_TEST_DEVICE, OPT_DEBUGCON, OPT_CONTROL_FD,
	OPT_SANDBOX, OPT_USER, OPT_CHROOT,
	OPT_GDB, OPT_GDB_WAIT, OPT_TRACE,
	OPT_RESTORE, OPT_CLOCK_JUMP, OPT_DISPLAY,
};

static const struct option run_opts[] = {
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "rtc", required_argument, NULL, OPT_RTC },
	{ "bios", required_argument, NULL, OPT_BIOS },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "control-fd", required_argument, NULL, OPT_CONTROL_FD },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "rng", required_argument, NULL, OPT_RNG },
	{ "net", required_argument, NULL, OPT_NET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "mem-file", required_argument, NULL, OPT_MEM_FILE },
	{ "hugepages", no_argument, NULL, OPT_HUGEPAGES },
	{ "debugcon", required_argument, NULL, OPT_DEBUGCON },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "user", required_argument, NULL, OPT_USER },
	{ "chroot", required_argument, NULL, OPT_CHROOT },
	{ "gdb", required_argument, NULL, OPT_GDB },
	{ "gdb-wait", no_argument, NULL, OPT_GDB_WAIT },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "clock-jump", no_argument, NULL, OPT_CLOCK_JUMP },
	{ "display", required_argument, NULL, OPT_DISPLAY },
	/* not in --help: gasang's test device, for the test guests (hw/pc/testdev.h) */
	{ "test-device", no_argument, NULL, OPT_TEST_DEVICE },
	{ NULL, 0, NULL, 0 },
};

static int parse_mem(const char *s, uint64_t *out)
{
	uint64_t v;
	int err = size_parse(s, 1ull << 20, &v);	/* a bare number is MiB, as in QEMU */

	if (err)
		return err;
	if (v > UINT64_MAX - PAGE)
		return error_set(-EINVAL, "--mem %s: too large", s);
	*out = (v + PAGE - 1) & ~(PAGE - 1);
	return 0;
}

/* The machine of --arch decides how much RAM it takes (after every flag is read). */
static int check_mem(const struct vm_config *cfg, const char *flag)
{
	const struct machine_ops *m = machine_find(cfg->arch);
	char range[64];

	if (!m || (cfg->mem_size >= m->min_ram && cfg->mem_size <= m->max_ram))
		return 0;
	machine_ram_range(m, range, sizeof(range));
	return error_set(-EINVAL, "--mem %s: the %s machine takes %s", flag ? flag : "(default)",
			 cfg->arch, range);
}

static int parse_number(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return error_set(-EINVAL, "--%s %s: expected a number from %ld to %ld", opt, s,
				 min, max);
	*out = v;
	return 0;
}

static int parse_choice(const char *opt, const char *s, const char *const *names, int *out)
{
	int i;

	for (i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	return error_set(-EINVAL, "--%s %s: expected %s%s%s", opt, s, names[0],
			 names[1] ? " or " : "", names[1] ? names[1] : "");
}

static int parse_on_off(const char *opt, const char *s, bool *out)
{
	static const char *const onoff[] = { "off", "on", NULL };
	int on = 1, err = parse_choice(opt, s, onoff, &on);

	if (!err)
		*out = on;
	return err;
}

/* 0: a VM to run; 1: --help was shown; -errno: bad usage (error_msg() says why). */
static int parse(int argc, char **argv, struct vm_config *cfg)
{
	const char *mem_flag = NULL, *cpus_flag = NULL;
	int c, err = 0;
	long n = 0;

	cfg->arch = machine_default()->arch;
	cfg->mem_size = VM_DEFAULT_MEM;
	cfg->cpus = 1;
	cfg->rng = true;
	cfg->sandbox = true;
	cfg->control_fd = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", run_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ARCH: cfg->arch = optarg; break;
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_APPEND: cfg->append = optarg; break;
		case OPT_MEM:
			mem_flag = optarg;
			err = parse_mem(optarg, &cfg->mem_size);
			break;
		case OPT_CPUS: {
			struct cpus_spec cs;

			err = cpus_spec_parse(optarg, 512, &cs);
			cfg->cpus = cs.cpus;
			if (!err && cs.topology) {
				cpus_flag = optarg;
				cfg->sockets = cs.sockets;
				cfg->cores = cs.cores;
				cfg->threads = cs.threads;
			}
			break;
		}
		case OPT_BIOS: cfg->bios = optarg; break;
		case OPT_CPU: cfg->cpu = optarg; break;
		case OPT_RTC: cfg->rtc = optarg; break;
		case OPT_MEM_FILE: cfg->mem_file = optarg; break;
		case OPT_HUGEPAGES: cfg->hugepages = true; break;
		case OPT_TEST_DEVICE: cfg->test_device = true; break;
		case OPT_DEBUGCON: cfg->debugcon = optarg; break;
		case OPT_GDB: cfg->gdb = optarg; break;
		case OPT_GDB_WAIT: cfg->gdb_wait = true; break;
		case OPT_TRACE: cfg->trace = optarg; break;
		case OPT_RESTORE: cfg->restore = optarg; break;
		case OPT_CLOCK_JUMP: cfg->clock_jump = true; break;
		case OPT_NO_REBOOT: cfg->no_reboot = true; break;
		case OPT_CONTROL: cfg->control = optarg; break;
		case OPT_CONTROL_FD:
			/* 0 to 2 are the terminal's */
			err = parse_number("control-fd", optarg, 3, INT_MAX, &n);
			cfg->control_fd = (int)n;
			break;
		case OPT_DISK:
			if (cfg->ndisks == VM_MAX_DISKS)
				return error_set(-EINVAL, "--disk %s: at most %d disks", optarg,
						 VM_MAX_DISKS);
			cfg->disks[cfg->ndisks++] = optarg;
			break;
		case OPT_CONSOLE: {
			static const char *const kinds[] = { "serial", "virtio", NULL };
			int k = 0;

			err = parse_choice("console", optarg, kinds, &k);
			cfg->console = (enum vm_console)k;
			break;
		}
		case OPT_DISPLAY:
			if (strcmp(optarg, "none"))
				return error_set(-EINVAL, "--display %s: only 'none' (a display without "
						 "a viewer) is built; VNC is not yet", optarg);
			cfg->display = optarg;
			break;
		case OPT_RNG: err = parse_on_off("rng", optarg, &cfg->rng); break;
		case OPT_SANDBOX: err = parse_on_off("sandbox", optarg, &cfg->sandbox); break;
		case OPT_USER: cfg->user = optarg; break;
		case OPT_CHROOT: cfg->chroot = optarg; break;
		case OPT_NET:
			if (cfg->nnets == VM_MAX_NICS)
				return error_set(-EINVAL, "--net %s: at most %d NICs", optarg,
						 VM_MAX_NICS);
			cfg->nets[cfg->nnets++] = optarg;
			break;
		case OPT_HELP:
			fputs(run_help, stdout);
			return 1;
		case ':':
			return error_set(-EINVAL, "option '%s' needs a value", argv[optind - 1]);
		default:
			return error_set(-EINVAL, "unknown option '%s' (try 'gasang run --help')",
					 argv[optind - 1]);
		}
		if (err)
			return err;
	}
	if (optind < argc)
		return error_set(-EINVAL, "unexpected argument '%s'", argv[optind]);
	if (cfg->control && cfg->control_fd >= 0)
		return error_set(-EINVAL, "--control and --control-fd: one control socket at most");
	if (cfg->clock_jump && !cfg->restore)
		return error_set(-EINVAL, "--clock-jump: only with --restore");
	if (cpus_flag && strcmp(cfg->arch, "x86_64"))
		return error_set(-EINVAL, "--cpus %s: sockets, cores and threads are x86_64's", cpus_flag);
	if (cfg->gdb_wait && !cfg->gdb)
		cfg->gdb = "tcp:127.0.0.1:" GDB_DEFAULT_PORT;	/* QEMU's -s -S */
	return check_mem(cfg, mem_flag);
}

int cmd_run(int argc, char **argv)
{
	static const struct cli_report report = { .prog = "gasang" };
	struct vm_config cfg = { 0 };
	int status = parse(argc, argv, &cfg);

	if (status)
		return status > 0 ? 0 : cli_fail(&report, CLI_EXIT_USAGE, status);
	status = vm_run(&cfg);
	if (status == VM_EXIT_USAGE && error_msg()[0])
		cli_fail(&report, status, 0);
	return status;
}
