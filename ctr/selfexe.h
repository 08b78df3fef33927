/*
 * Defence against the runtime binary being overwritten from inside a
 * container (CVE-2019-5736): a process that enters a container runs from a
 * sealed memfd copy of the binary, so /proc/<pid>/exe seen from inside
 * names that copy, which cannot be written, not the file on the host.
 */
#ifndef CTR_SELFEXE_H
#define CTR_SELFEXE_H

#include <stdbool.h>

/* /proc/self/exe is a memfd sealed against writes. */
bool ctr_selfexe_is_sealed(void);
/*
 * Unless already sealed: copy /proc/self/exe into a memfd, seal it and
 * execve it with argv and envp. Returns only on failure (-errno) or when
 * already sealed (0).
 */
int ctr_selfexe_ensure_sealed(char **argv, char **envp);

#endif
