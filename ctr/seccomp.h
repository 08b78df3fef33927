/* linux.seccomp through libseccomp; and the runtime's own TIOCSTI guard. */
#ifndef CTR_SECCOMP_H
#define CTR_SECCOMP_H

#include "ctr/config.h"

/*
 * Build the filter the config describes and export it as BPF (for tests
 * and `--debug`); *out is a malloc'd buffer of *len bytes.
 */
int ctr_seccomp_export(const struct ctr_seccomp *s, void **out, size_t *len);
/*
 * Load it on the calling thread. *notify_fd gets the user-notification fd
 * when a rule uses SCMP_ACT_NOTIFY, -1 otherwise.
 */
int ctr_seccomp_load(const struct ctr_seccomp *s, int *notify_fd);
/*
 * Stack a filter refusing ioctl(TIOCSTI) and ioctl(TIOCLINUX) with EPERM:
 * a container given the caller's terminal must not push input into it.
 */
int ctr_seccomp_load_tty_guard(void);

#endif
