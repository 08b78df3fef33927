/*
 * ctr/config.c: config.json as runtime-spec 1.x describes it, and every
 * shape of hostile or broken input refused with a message naming the field
 * (never a crash, a leak or a read outside the buffer: the ASan+UBSan build
 * checks), plus a fixed-seed mutation loop over a full config.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/config.h"

/* A config with nearly every field, used whole and as the base of the broken ones. */
static const char full[] =
	"{\"ociVersion\":\"1.0.2\","
	" \"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	" \"hostname\":\"box\",\"domainname\":\"example\","
	" \"annotations\":{\"a\":\"1\",\"b\":\"2\"},"
	" \"mounts\":["
	"  {\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"  {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"   \"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"  {\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\","
	"   \"options\":[\"rbind\",\"ro\",\"rprivate\",\"rnosuid\",\"exec\"]},"
	"  {\"destination\":\"/x\",\"source\":\"/y\",\"options\":[\"bind\",\"rw\"]}],"
	" \"process\":{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},"
	"  \"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,6]},"
	"  \"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"PATH=/bin\",\"X=\"],\"cwd\":\"/home\","
	"  \"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
	"   \"inheritable\":[],\"permitted\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\"],\"ambient\":[\"CAP_KILL\"]},"
	"  \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":4096},"
	"   {\"type\":\"RLIMIT_CORE\",\"soft\":0,\"hard\":0}],"
	"  \"noNewPrivileges\":true,\"oomScoreAdj\":-500,\"apparmorProfile\":\"p\"},"
	" \"hooks\":{\"prestart\":[{\"path\":\"/bin/a\"}],"
	"  \"createRuntime\":[{\"path\":\"/bin/b\",\"args\":[\"b\",\"1\"],\"env\":[\"K=V\"],\"timeout\":5}],"
	"  \"poststop\":[{\"path\":\"/bin/c\"},{\"path\":\"/bin/d\"}]},"
	" \"linux\":{"
	"  \"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"},"
	"   {\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"uts\"},{\"type\":\"ipc\"},"
	"   {\"type\":\"cgroup\"},{\"type\":\"time\"}],"
	"  \"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
	"  \"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
	"  \"timeOffsets\":{\"monotonic\":{\"secs\":10,\"nanosecs\":5}},"
	"  \"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,"
	"   \"fileMode\":438,\"uid\":0,\"gid\":0},{\"path\":\"/dev/pipe\",\"type\":\"p\"}],"
	"  \"cgroupsPath\":\"/a/b\","
	"  \"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
	"    {\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}],"
	"   \"memory\":{\"limit\":67108864,\"reservation\":1048576,\"swap\":134217728,"
	"    \"swappiness\":10,\"disableOOMKiller\":true},"
	"   \"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\",\"mems\":\"0\"},"
	"   \"pids\":{\"limit\":100},"
	"   \"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":300}],"
	"    \"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
	"   \"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}],"
	"   \"unified\":{\"memory.high\":\"50000000\"}},"
	"  \"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"1000\"},"
	"  \"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
	"   \"architectures\":[\"SCMP_ARCH_X86_64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
	"   \"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	"    {\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
	"     \"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
	"      {\"index\":0,\"value\":8,\"valueTwo\":8,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
	"    {\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]},"
	"  \"rootfsPropagation\":\"rslave\","
	"  \"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"]}}";

static struct ctr_config *parse_ok(const char *text)
{
	struct ctr_config *c = NULL;
	int err = ctr_config_parse(text, strlen(text), "config.json", &c);

	if (err)
		fail_msg("parse failed: %s", error_msg());
	return c;
}

/* Parse must fail, and the message must name what is wrong. */
static void parse_bad(const char *text, const char *needle)
{
	struct ctr_config *c = NULL;
	int err = ctr_config_parse(text, strlen(text), "config.json", &c);

	if (!err) {
		ctr_config_free(c);
		fail_msg("accepted: %.200s", text);
	}
	assert_true(err < 0);
	assert_null(c);
	if (needle && !strstr(error_msg(), needle))
		fail_msg("message '%s' does not name '%s'", error_msg(), needle);
}

#define MINIMAL_HEAD "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},"
#define MINIMAL_PROC "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}"

/* MINIMAL_HEAD + process + extra (which starts with ',' or is empty) + "}" */
static char *with(const char *proc, const char *extra)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), MINIMAL_HEAD "%s%s}", proc, extra);
	return buf;
}

static void test_full(void **state)
{
	struct ctr_config *c = parse_ok(full);
	const struct ctr_process *p;
	const struct ctr_resources *r;

	(void)state;
	assert_string_equal(c->oci_version, "1.0.2");
	assert_string_equal(c->root_path, "rootfs");
	assert_true(c->root_readonly);
	assert_string_equal(c->hostname, "box");
	assert_int_equal(c->annotation_keys.n, 2);
	assert_string_equal(c->annotation_values.v[1], "2");

	assert_int_equal(c->n_mounts, 4);
	assert_int_equal(c->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(c->mounts[1].data, "mode=755,size=65536k");
	assert_true(c->mounts[2].bind);
	assert_int_equal(c->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(c->mounts[2].clear, MS_NOEXEC);
	assert_int_equal(c->mounts[2].propagation, MS_PRIVATE | MS_REC);
	assert_int_equal(c->mounts[2].attr_set, MOUNT_ATTR_NOSUID);
	assert_null(c->mounts[2].data);
	assert_true(c->mounts[3].bind);
	assert_null(c->mounts[3].type);
	assert_int_equal(c->mounts[3].clear, MS_RDONLY);

	p = c->process;
	assert_non_null(p);
	assert_true(p->terminal);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 100);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 6);
	assert_int_equal(p->args.n, 3);
	assert_null(p->args.v[3]);
	assert_string_equal(p->env.v[1], "X=");
	assert_int_equal(p->caps.bounding, (1ull << 0) | (1ull << 5));
	assert_int_equal(p->caps.effective, 1ull << 5);
	assert_int_equal(p->caps.inheritable, 0);
	assert_int_equal(p->caps.permitted, (1ull << 5) | (1ull << 21));
	assert_int_equal(p->caps.ambient, 1ull << 5);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->apparmor_profile, "p");

	assert_int_equal(c->hooks[CTR_HOOK_PRESTART].n, 1);
	assert_int_equal(c->hooks[CTR_HOOK_CREATE_RUNTIME].v[0].timeout, 5);
	assert_string_equal(c->hooks[CTR_HOOK_CREATE_RUNTIME].v[0].env.v[0], "K=V");
	assert_int_equal(c->hooks[CTR_HOOK_POSTSTOP].n, 2);
	assert_int_equal(c->hooks[CTR_HOOK_START_CONTAINER].n, 0);

	assert_true(c->lx.ns[CTR_NS_PID].enabled);
	assert_null(c->lx.ns[CTR_NS_PID].path);
	assert_string_equal(c->lx.ns[CTR_NS_NET].path, "/proc/1/ns/net");
	assert_true(c->lx.ns[CTR_NS_TIME].enabled);
	assert_int_equal(c->lx.n_uid_maps, 1);
	assert_int_equal(c->lx.uid_maps[0].host_id, 100000);
	assert_true(c->lx.has_time_offsets);
	assert_int_equal(c->lx.time_offsets[0][0], 10);
	assert_int_equal(c->lx.n_devices, 2);
	assert_int_equal(c->lx.devices[0].minor, 229);
	assert_int_equal(c->lx.devices[0].mode, 0666);
	assert_int_equal(c->lx.devices[1].type, 'p');
	assert_string_equal(c->lx.cgroups_path, "/a/b");

	r = &c->lx.resources;
	assert_true(c->lx.has_resources);
	assert_int_equal(r->n_devices, 2);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_int_equal(r->devices[0].major, -1);
	assert_string_equal(r->devices[1].access, "rw");
	assert_int_equal(r->memory.limit, 67108864);
	assert_int_equal(r->memory.swap, 134217728);
	assert_true(r->memory.disable_oom_killer);
	assert_int_equal(r->cpu.shares, 512);
	assert_int_equal(r->cpu.quota, 50000);
	assert_string_equal(r->cpu.cpus, "0-1");
	assert_int_equal(r->pids.limit, 100);
	assert_int_equal(r->blkio.weight, 500);
	assert_int_equal(r->blkio.weight_devices[0].weight, 300);
	assert_int_equal(r->blkio.weight_devices[0].leaf_weight, -1);
	assert_int_equal(r->blkio.n_throttle[CTR_THROTTLE_READ_BPS], 1);
	assert_int_equal(r->blkio.throttle[CTR_THROTTLE_READ_BPS][0].rate, 1048576);
	assert_string_equal(r->hugepages[0].page_size, "2MB");
	assert_string_equal(r->unified_keys.v[0], "memory.high");

	assert_int_equal(c->lx.sysctl_keys.n, 2);
	assert_non_null(c->lx.seccomp);
	assert_int_equal(c->lx.seccomp->default_action, CTR_SCMP_ERRNO);
	assert_int_equal(c->lx.seccomp->default_errno, 1);
	assert_int_equal(c->lx.seccomp->flags, CTR_SCMP_FLAG_LOG);
	assert_int_equal(c->lx.seccomp->n_rules, 3);
	assert_int_equal(c->lx.seccomp->rules[1].n_args, 2);
	assert_int_equal(c->lx.seccomp->rules[1].args[1].op, CTR_SCMP_CMP_MASKED_EQ);
	assert_int_equal(c->lx.seccomp->rules[2].errno_ret, 13);
	assert_int_equal(c->lx.rootfs_propagation, MS_SLAVE | MS_REC);
	assert_string_equal(c->lx.masked_paths.v[0], "/proc/kcore");
	ctr_config_free(c);
}

static void test_minimal(void **state)
{
	struct ctr_config *c = parse_ok(with(MINIMAL_PROC, ""));

	(void)state;
	assert_non_null(c->process);
	assert_int_equal(c->process->env.n, 0);
	assert_non_null(c->process->env.v);
	assert_int_equal(c->process->caps.bounding, 0);
	assert_int_equal(c->n_mounts, 0);
	assert_null(c->lx.seccomp);
	assert_false(c->lx.has_resources);
	ctr_config_free(c);

	/* no process (allowed in the file; create requires it), unknown fields ignored */
	c = parse_ok("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/r\"},\"future\":{\"x\":[1]},"
		     "\"linux\":{\"personality\":{\"domain\":\"LINUX\"},\"newThing\":1}}");
	assert_null(c->process);
	ctr_config_free(c);
}

static void test_not_json(void **state)
{
	(void)state;
	parse_bad("", "config.json");
	parse_bad("{", "line 1");
	parse_bad("[]", "not a JSON object");
	parse_bad("\"x\"", NULL);
	parse_bad("{\"ociVersion\":\"1.0.0\",\"ociVersion\":\"1.0.0\"}", "duplicate");
	parse_bad("{\"a\":\"\\u0000\"}", NULL);
	parse_bad("{\"a\":1e999999}", NULL);
	parse_bad("{\"a\":123456789012345678901234567890", "line 1");
}

/*
 * What runc takes: every uint64 field over its whole range (Docker writes
 * RLIM_INFINITY for --ulimit core=-1), -1 for "unlimited" in the int64
 * fields that mean it, and 2^64 - 1 as swappiness (runc's -1: unset).
 * Beyond a field's range is refused naming it, never "too big integer".
 */
static void test_big_integers(void **state)
{
	struct ctr_config *c;
	const struct ctr_resources *r;
	const struct ctr_seccomp_rule *rule;

	(void)state;
	c = parse_ok(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":["
			  "{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":18446744073709551615},"
			  "{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,\"soft\":1048576}]}",
			  ",\"linux\":{\"resources\":{"
			  "\"memory\":{\"limit\":-1,\"reservation\":-1,\"swap\":-1,"
			  "\"swappiness\":18446744073709551615},"
			  "\"cpu\":{\"shares\":18446744073709551615,\"quota\":-1,\"realtimeRuntime\":-1,"
			  "\"realtimePeriod\":18446744073709551615},"
			  "\"pids\":{\"limit\":-1},"
			  "\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":-1,\"minor\":-1,\"access\":\"m\"}],"
			  "\"blockIO\":{\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,"
			  "\"rate\":18446744073709551615}]},"
			  "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":18446744073709551615}]},"
			  "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ioctl\"],"
			  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":18446744073709551615,"
			  "\"valueTwo\":9223372036854775808,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}}"));
	assert_true(c->process->rlimits[0].soft == RLIM_INFINITY);
	assert_true(c->process->rlimits[0].hard == RLIM_INFINITY);
	assert_true(c->process->rlimits[1].soft == 1048576);
	assert_true(c->process->rlimits[1].hard == UINT64_MAX);
	r = &c->lx.resources;
	assert_true(r->memory.has_limit && r->memory.limit == -1);
	assert_true(r->memory.has_swap && r->memory.swap == -1);
	assert_true(r->memory.has_reservation && r->memory.reservation == -1);
	assert_false(r->memory.has_swappiness);
	assert_true(r->cpu.shares == UINT64_MAX);
	assert_true(r->cpu.quota == -1 && r->cpu.rt_runtime == -1);
	assert_true(r->cpu.rt_period == UINT64_MAX);
	assert_true(r->pids.has_limit && r->pids.limit == -1);
	assert_true(r->devices[0].major == -1 && r->devices[0].minor == -1);
	assert_true(r->blkio.throttle[1][0].rate == UINT64_MAX);
	assert_true(r->hugepages[0].limit == UINT64_MAX);
	rule = &c->lx.seccomp->rules[0];
	assert_true(rule->args[0].value == UINT64_MAX);
	assert_true(rule->args[0].value_two == 1ull << 63);
	ctr_config_free(c);

	/* update --resources and exec --process go through the same parser */
	{
		const char *res = "{\"memory\":{\"limit\":-1},\"cpu\":{\"shares\":18446744073709551615}}";
		const char *proc = "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_CORE\","
				   "\"hard\":18446744073709551615,\"soft\":18446744073709551615}]}";

		assert_int_equal(ctr_resources_parse(res, strlen(res), "resources", &c), 0);
		assert_true(c->lx.resources.cpu.shares == UINT64_MAX);
		ctr_config_free(c);
		assert_int_equal(ctr_process_parse(proc, strlen(proc), "process.json", &c), 0);
		assert_true(c->process->rlimits[0].soft == RLIM_INFINITY);
		ctr_config_free(c);
	}

	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_CORE\","
		       "\"hard\":18446744073709551616,\"soft\":1}]}", ""),
		  "process.rlimits[0].hard: 18446744073709551616 is out of range [0, 18446744073709551615]");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775808}}}"),
		  "memory.limit: 9223372036854775808 is out of range");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"memory\":{\"swappiness\":18446744073709551614}}}"),
		  "swappiness");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"cpu\":{\"period\":18446744073709551615}}}"),
		  "period");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":18446744073709551615,\"gid\":0}}", ""),
		  "process.user.uid");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,"
		       "\"additionalGids\":[18446744073709551615]}}", ""), "additionalGids[0]");
	parse_bad(with(MINIMAL_PROC, ",\"hostname\":18446744073709551615"), "hostname: expected a string");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				     "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":-1,"
				     "\"op\":\"SCMP_CMP_EQ\"}]}]}}"), "value: -1 is out of range");
	/* a big number in a field nobody reads is as harmless as any unknown field */
	c = parse_ok(with(MINIMAL_PROC, ",\"future\":{\"n\":123456789012345678901234567890}"));
	ctr_config_free(c);
}

static void test_top_level(void **state)
{
	(void)state;
	parse_bad("{\"root\":{\"path\":\"r\"}}", "ociVersion");
	parse_bad("{\"ociVersion\":2,\"root\":{\"path\":\"r\"}}", "ociVersion");
	parse_bad("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}", "ociVersion");
	parse_bad("{\"ociVersion\":\"1.\",\"root\":{\"path\":\"r\"}}", "ociVersion");
	parse_bad("{\"ociVersion\":\"1.0.0\"}", "root");
	parse_bad("{\"ociVersion\":\"1.0.0\",\"root\":\"r\"}", "root");
	parse_bad("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"\"}}", "root.path");
	parse_bad("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}",
		  "root.readonly");
	parse_bad(with(MINIMAL_PROC, ",\"annotations\":{\"a\":1}"), "annotations.a");
	parse_bad(with(MINIMAL_PROC, ",\"hostname\":\"h\""), "uts");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"uts\"}]},"
				     "\"hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
		  "hostname");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"intelRdt\":{}}"), "intelRdt");
}

static void test_process(void **state)
{
	(void)state;
	parse_bad(with("\"process\":{\"cwd\":\"/\"}", ""), "process.args");
	parse_bad(with("\"process\":{\"args\":[],\"cwd\":\"/\"}", ""), "process.args");
	parse_bad(with("\"process\":{\"args\":[\"\"],\"cwd\":\"/\"}", ""), "process.args");
	parse_bad(with("\"process\":{\"args\":[\"sh\",3],\"cwd\":\"/\"}", ""), "process.args[1]");
	parse_bad(with("\"process\":{\"args\":\"sh\",\"cwd\":\"/\"}", ""), "process.args");
	parse_bad(with("\"process\":{\"args\":[\"sh\"]}", ""), "process.cwd");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"home\"}", ""), "process.cwd");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"NOEQUALS\"]}", ""),
		  "process.env[0]");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"=x\"]}", ""), "process.env");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":-1,\"gid\":0}}", ""),
		  "process.user.uid");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967295,\"gid\":0}}", ""),
		  "process.user.uid");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":1}}", ""),
		  "process.user.gid");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":1,\"gid\":1,\"umask\":512}}", ""),
		  "umask");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":1,\"gid\":1,"
		       "\"additionalGids\":[1,-2]}}", ""), "additionalGids[1]");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"terminal\":1}", ""), "terminal");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"consoleSize\":{\"height\":70000,\"width\":1}}", ""),
		  "consoleSize");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":1001}", ""), "oomScoreAdj");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":1.5}", ""), "oomScoreAdj");
}

static void test_caps_rlimits(void **state)
{
	(void)state;
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_BOGUS\"]}}", ""),
		  "CAP_BOGUS");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"effective\":[\"cap_kill\"]}}", ""),
		  "cap_kill");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"ambient\":[\"5\"]}}", ""),
		  "ambient[0]");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"ambient\":[\"CAP_\"]}}", ""),
		  "ambient");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":[]}", ""), "capabilities");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}", ""),
		  "RLIMIT_FOO");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1},"
		       "{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1}]}", ""), "twice");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":2,\"hard\":1}]}", ""),
		  "above the hard");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":1}]}", ""),
		  "soft");
	parse_bad(with("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":-1,\"hard\":1}]}", ""),
		  "soft");
	assert_int_equal(ctr_cap_from_name("CAP_CHOWN"), 0);
	assert_int_equal(ctr_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(ctr_cap_from_name("chown"), -1);
	assert_int_equal(ctr_rlimit_from_name("RLIMIT_NPROC"), RLIMIT_NPROC);
}

static void test_mounts(void **state)
{
	(void)state;
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"type\":\"tmpfs\"}]"), "mounts[0].destination");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"\",\"type\":\"tmpfs\"}]"), "destination");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"bind\"}]"), "source");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"/a\",\"source\":\"/b\"}]"), "type");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\",\"options\":[\"remount\"]}]"),
		  "remount");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/b\","
				     "\"options\":[\"idmap\"]}]"), "idmapped");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/b\","
				     "\"uidMappings\":[]}]"), "idmapped");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\",\"options\":[\"a,b\"]}]"),
		  "mounts[0].options[0]");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"tmpfs\",\"options\":[\"\"]}]"),
		  "options");
	parse_bad(with(MINIMAL_PROC, ",\"mounts\":{}"), "mounts");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"rootfsPropagation\":\"weird\"}"), "rootfsPropagation");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"maskedPaths\":[\"proc/kcore\"]}"), "maskedPaths");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"readonlyPaths\":[\"x\"]}"), "readonlyPaths");
}

static void test_namespaces(void **state)
{
	(void)state;
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}"), "bogus");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}"), "twice");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"net\"}]}"), "net");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"proc/1/ns/net\"}]}"),
		  "not absolute");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}],"
				     "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}"), "user namespace");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}"), "uidMappings");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"
				     "\"uidMappings\":[{\"containerID\":0,\"hostID\":4294967000,\"size\":65536}],"
				     "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}"), "wraps");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"
				     "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}],"
				     "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}"), "size");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"timeOffsets\":{\"monotonic\":{\"secs\":1}}}"), "time namespace");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"time\"}],"
				     "\"timeOffsets\":{\"boottime\":{\"nanosecs\":1000000000}}}"), "nanosecs");
}

static void test_devices(void **state)
{
	(void)state;
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"devices\":[{\"path\":\"dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1}]}"),
		  "linux.devices[0]");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"devices\":[{\"path\":\"/\",\"type\":\"c\",\"major\":1,\"minor\":1}]}"),
		  "linux.devices[0]");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\",\"major\":1,\"minor\":1}]}"),
		  "type");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1}]}"),
		  "major and minor");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"b\",\"major\":5000,\"minor\":1}]}"),
		  "major");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1,"
				     "\"fileMode\":8192}]}"), "fileMode");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}}"), "allow");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}"),
		  "access");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rr\"}]}}"),
		  "access");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"p\"}]}}"),
		  "type");
}

static void test_resources(void **state)
{
	(void)state;
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"memory\":{\"limit\":100,\"swap\":50}}}"), "swap");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"memory\":{\"limit\":-5}}}"), "limit");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"memory\":{\"swappiness\":101}}}"), "swappiness");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"64m\"}}}"), "memory.limit");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"cpu\":{\"quota\":500}}}"), "quota");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"cpu\":{\"period\":10}}}"), "period");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"0-1;rm\"}}}"), "cpus");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"cpu\":{\"shares\":-1}}}"), "shares");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"pids\":{\"limit\":\"x\"}}}"), "pids.limit");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"blockIO\":{\"weight\":5}}}"), "weight");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":1}]}}}"),
		  "minor");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"../x\",\"limit\":1}]}}"),
		  "pageSize");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"unified\":{\"../memory.max\":\"1\"}}}"), "unified");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"unified\":{\"cgroup.procs\":\"1\"}}}"), "unified");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"unified\":{\"memory\":\"1\"}}}"), "unified");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"resources\":{\"unified\":{\"memory.max\":1}}}"), "unified");
}

static void test_sysctl(void **state)
{
	(void)state;
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"sysctl\":{\"kernel.panic\":\"1\"}}"), "kernel.panic");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}"), "network namespace");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"network\"}],"
				     "\"sysctl\":{\"net.ipv4/../../kernel/panic\":\"1\"}}"), "not a sysctl name");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"namespaces\":[{\"type\":\"network\"}],"
				     "\"sysctl\":{\"net..x\":\"1\"}}"), "not a sysctl name");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"sysctl\":{\"kernel.shmmax\":\"1\"}}"), "ipc namespace");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"sysctl\":{\"kernel.hostname\":\"x\"}}"), "uts namespace");
}

static void test_seccomp(void **state)
{
	(void)state;
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{}}"), "defaultAction");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}"), "SCMP_ACT_NOPE");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}}"), "default");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}}"),
		  "architectures");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"X\"]}}"), "flag");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				     "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}"), "listenerPath");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				     "[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}}"), "names");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
				     "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}}"), "errnoRet");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				     "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
				     "\"op\":\"SCMP_CMP_EQ\"}]}]}}"), "index");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				     "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
				     "\"op\":\"SCMP_CMP_LIKE\"}]}]}}"), "SCMP_CMP_LIKE");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				     "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{},{},{},{},{},{},{}]}]}}"),
		  "6 argument");
	parse_bad(with(MINIMAL_PROC, ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":5000}}"),
		  "defaultErrnoRet");
}

static void test_hooks(void **state)
{
	(void)state;
	parse_bad(with(MINIMAL_PROC, ",\"hooks\":{\"poststop\":[{\"path\":\"bin/x\"}]}"), "hooks.poststop[0]");
	parse_bad(with(MINIMAL_PROC, ",\"hooks\":{\"poststop\":[{\"args\":[]}]}"), "path");
	parse_bad(with(MINIMAL_PROC, ",\"hooks\":{\"createRuntime\":[{\"path\":\"/x\",\"timeout\":0}]}"), "timeout");
	parse_bad(with(MINIMAL_PROC, ",\"hooks\":{\"createRuntime\":{}}"), "createRuntime");
	parse_bad(with(MINIMAL_PROC, ",\"hooks\":[]"), "hooks");
}

/* Inputs big in every direction: refused with a message, never exhausted memory. */
static void test_huge(void **state)
{
	struct ctr_config *c = NULL;
	size_t n = 70000 * 4 + 200, i, off;
	char *buf = malloc(n);
	int err;

	(void)state;
	/* 70000 args: more than the per-array limit */
	off = (size_t)sprintf(buf, MINIMAL_HEAD "\"process\":{\"cwd\":\"/\",\"args\":[");
	for (i = 0; i < 70000; i++)
		off += (size_t)sprintf(buf + off, "%s\"a\"", i ? "," : "");
	off += (size_t)sprintf(buf + off, "]}}");
	err = ctr_config_parse(buf, off, "config.json", &c);
	assert_int_equal(err, -EINVAL);
	assert_non_null(strstr(error_msg(), "entries"));
	free(buf);

	/* nesting deeper than the parser's limit */
	n = 200000;
	buf = malloc(n);
	memset(buf, '[', n);
	err = ctr_config_parse(buf, n, "config.json", &c);
	assert_true(err < 0);
	free(buf);

	/* beyond the size limit */
	n = CTR_CONFIG_MAX_BYTES + 1;
	buf = calloc(1, n);
	err = ctr_config_parse(buf, n, "config.json", &c);
	assert_int_equal(err, -EFBIG);
	free(buf);
}

static void test_process_json(void **state)
{
	struct ctr_config *c = NULL;
	const char *p = "{\"args\":[\"ls\"],\"cwd\":\"/tmp\",\"user\":{\"uid\":1,\"gid\":2},\"terminal\":true}";

	(void)state;
	assert_int_equal(ctr_process_parse(p, strlen(p), "process.json", &c), 0);
	assert_string_equal(c->process->args.v[0], "ls");
	assert_int_equal(c->process->user.gid, 2);
	assert_true(c->process->terminal);
	ctr_config_free(c);
	p = "{\"args\":[\"ls\"]}";
	assert_int_equal(ctr_process_parse(p, strlen(p), "process.json", &c), -EINVAL);
	assert_non_null(strstr(error_msg(), "process.json: process.cwd"));

	p = "{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":5}}";
	assert_int_equal(ctr_resources_parse(p, strlen(p), "resources", &c), 0);
	assert_true(c->lx.has_resources);
	assert_int_equal(c->lx.resources.memory.limit, 1048576);
	assert_int_equal(c->lx.resources.pids.limit, 5);
	ctr_config_free(c);
}

/* Random damage to a full config: parse or refuse, nothing else (ASan/UBSan watch). */
static void test_mutations(void **state)
{
	size_t len = strlen(full), i, k;
	char *buf = malloc(len);
	unsigned seed = 12345;
	unsigned parsed = 0;

	(void)state;
	for (i = 0; i < 3000; i++) {
		struct ctr_config *c = NULL;
		unsigned nmut = 1 + rand_r(&seed) % 4;

		memcpy(buf, full, len);
		for (k = 0; k < nmut; k++) {
			size_t at = (size_t)rand_r(&seed) % len;
			static const char pool[] = "{}[]\",:0123456789-tfn\\ aZ.e";

			buf[at] = rand_r(&seed) % 3 ? pool[rand_r(&seed) % (sizeof(pool) - 1)]
						    : (char)rand_r(&seed);
		}
		if (ctr_config_parse(buf, len - (rand_r(&seed) % 8 == 0 ? (size_t)rand_r(&seed) % len : 0),
				     "config.json", &c) == 0) {
			parsed++;
			ctr_config_free(c);
		} else {
			assert_true(*error_msg());
		}
	}
	/* most single-character damage is caught, some is harmless (a value changed) */
	assert_true(parsed > 0);
	free(buf);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ctr_ns_name(CTR_NS_NET), "network");
	assert_int_equal(ctr_ns_clone_flag(CTR_NS_MOUNT), CLONE_NEWNS);
	assert_string_equal(ctr_hook_name(CTR_HOOK_START_CONTAINER), "startContainer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_big_integers),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_caps_rlimits),
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_process_json),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
