/* Seccomp filters from the config, with libseccomp. */
#include "ctr/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <seccomp.h>

#include "base/error.h"

static uint32_t action_of(enum ctr_seccomp_action a, bool has_errno, uint32_t errno_ret)
{
	switch (a) {
	case CTR_SCMP_KILL:
	case CTR_SCMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case CTR_SCMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case CTR_SCMP_TRAP:
		return SCMP_ACT_TRAP;
	case CTR_SCMP_ERRNO:
		return SCMP_ACT_ERRNO(has_errno ? errno_ret : EPERM);
	case CTR_SCMP_TRACE:
		return SCMP_ACT_TRACE(has_errno ? errno_ret : EPERM);
	case CTR_SCMP_LOG:
		return SCMP_ACT_LOG;
	case CTR_SCMP_NOTIFY:
		return SCMP_ACT_NOTIFY;
	case CTR_SCMP_ALLOW:
	default:
		return SCMP_ACT_ALLOW;
	}
}

static const enum scmp_compare ops[] = {
	[CTR_SCMP_CMP_NE] = SCMP_CMP_NE, [CTR_SCMP_CMP_LT] = SCMP_CMP_LT,
	[CTR_SCMP_CMP_LE] = SCMP_CMP_LE, [CTR_SCMP_CMP_EQ] = SCMP_CMP_EQ,
	[CTR_SCMP_CMP_GE] = SCMP_CMP_GE, [CTR_SCMP_CMP_GT] = SCMP_CMP_GT,
	[CTR_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int add_rule(scmp_filter_ctx ctx, const struct ctr_seccomp_rule *r, uint32_t action, int nr,
		    const char *name)
{
	struct scmp_arg_cmp cmp[6];
	size_t i, j;
	bool repeated = false;
	int err;

	for (i = 0; i < r->n_args; i++) {
		cmp[i] = (struct scmp_arg_cmp){ r->args[i].index, ops[r->args[i].op],
						r->args[i].value, r->args[i].value_two };
		for (j = 0; j < i; j++)
			if (r->args[j].index == r->args[i].index)
				repeated = true;
	}
	if (!repeated) {
		/* all conditions together */
		err = seccomp_rule_add_array(ctx, action, nr, (unsigned)r->n_args, cmp);
	} else {
		/* one argument twice cannot be one rule: one rule per condition (either matches) */
		err = 0;
		for (i = 0; i < r->n_args && !err; i++)
			err = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
	}
	if (err)
		return error_errno(err, "seccomp: cannot add a rule for %s", name);
	return 0;
}

static int build(const struct ctr_seccomp *s, scmp_filter_ctx *out, bool *notify)
{
	uint32_t def = action_of(s->default_action, s->has_default_errno, s->default_errno);
	scmp_filter_ctx ctx;
	size_t i, k;
	int err;

	*notify = false;
	ctx = seccomp_init(def);
	if (!ctx)
		return error_set(-EINVAL, "seccomp: cannot initialise a filter");
	/* no_new_privs is the config's business (process.noNewPrivileges), not libseccomp's */
	if ((err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) ||
	    (err = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)))
		goto fail_attr;
	if ((s->flags & CTR_SCMP_FLAG_LOG) && (err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)))
		goto fail_attr;
	if ((s->flags & CTR_SCMP_FLAG_SPEC_ALLOW) &&
	    (err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1)))
		goto fail_attr;
	if (s->flags & CTR_SCMP_FLAG_WAIT_KILLABLE) {
		seccomp_release(ctx);
		return error_set(-ENOTSUP, "seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs "
				 "libseccomp 2.6");
	}
	for (i = 0; i < s->architectures.n; i++) {
		char name[32];
		const char *a = s->architectures.v[i] + strlen("SCMP_ARCH_");
		uint32_t token;

		for (k = 0; a[k] && k < sizeof(name) - 1; k++)
			name[k] = (char)tolower((unsigned char)a[k]);
		name[k] = '\0';
		token = seccomp_arch_resolve_name(name);
		if (!token) {
			seccomp_release(ctx);
			return error_set(-EINVAL, "seccomp: unknown architecture %s", s->architectures.v[i]);
		}
		err = seccomp_arch_add(ctx, token);
		if (err && err != -EEXIST) {
			seccomp_release(ctx);
			return error_errno(err, "seccomp: cannot add architecture %s",
					   s->architectures.v[i]);
		}
	}
	for (i = 0; i < s->n_rules; i++) {
		const struct ctr_seccomp_rule *r = &s->rules[i];
		uint32_t action = action_of(r->action, r->has_errno, r->errno_ret);

		/* libseccomp refuses rules that repeat the default */
		if (action == def)
			continue;
		*notify |= r->action == CTR_SCMP_NOTIFY;
		for (k = 0; k < r->names.n; k++) {
			int nr = seccomp_syscall_resolve_name(r->names.v[k]);

			/* a name this architecture does not have is skipped, as runc does */
			if (nr == __NR_SCMP_ERROR)
				continue;
			if ((err = add_rule(ctx, r, action, nr, r->names.v[k]))) {
				seccomp_release(ctx);
				return err;
			}
		}
	}
	*out = ctx;
	return 0;
fail_attr:
	seccomp_release(ctx);
	return error_errno(err, "seccomp: cannot set a filter attribute");
}

int ctr_seccomp_export(const struct ctr_seccomp *s, void **out, size_t *len)
{
	scmp_filter_ctx ctx;
	bool notify;
	off_t size;
	int fd, err = build(s, &ctx, &notify);

	if (err)
		return err;
	fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		seccomp_release(ctx);
		return error_errno(err, "seccomp: cannot export");
	}
	err = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	size = lseek(fd, 0, SEEK_END);
	if (err || size <= 0) {
		close(fd);
		return error_errno(err ? err : -EIO, "seccomp: cannot export");
	}
	*out = malloc((size_t)size);
	if (!*out || pread(fd, *out, (size_t)size, 0) != size) {
		free(*out);
		*out = NULL;
		close(fd);
		return error_set(-EIO, "seccomp: cannot export");
	}
	*len = (size_t)size;
	close(fd);
	return 0;
}

int ctr_seccomp_load(const struct ctr_seccomp *s, int *notify_fd)
{
	scmp_filter_ctx ctx;
	bool notify;
	int err = build(s, &ctx, &notify);

	*notify_fd = -1;
	if (err)
		return err;
	err = seccomp_load(ctx);
	if (err) {
		seccomp_release(ctx);
		return error_errno(err, "seccomp: cannot load the filter");
	}
	if (notify) {
		*notify_fd = seccomp_notify_fd(ctx);
		if (*notify_fd < 0) {
			err = *notify_fd;
			seccomp_release(ctx);
			return error_errno(err, "seccomp: no notification fd");
		}
	}
	seccomp_release(ctx);
	return 0;
}

int ctr_seccomp_load_tty_guard(void)
{
	static const unsigned long cmds[] = { TIOCSTI, TIOCLINUX };
	static const char *const archs[] = { "x86", "x32" };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int err = 0;

	if (!ctx)
		return error_set(-EINVAL, "seccomp: cannot initialise the tty guard");
	if ((err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)))
		goto out;
	/* the other ABIs this machine runs must not be a way around it */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		for (i = 0; i < 2; i++) {
			err = seccomp_arch_add(ctx, seccomp_arch_resolve_name(archs[i]));
			if (err && err != -EEXIST)
				goto out;
			err = 0;
		}
	for (i = 0; i < 2 && !err; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, cmds[i]));
	if (!err)
		err = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	if (err)
		return error_errno(err, "seccomp: cannot load the terminal guard");
	return 0;
}
