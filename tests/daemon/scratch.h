/*
 * A scratch directory for a daemon test's fixture: made in its setup,
 * removed with everything in it in its teardown.
 */
#ifndef TESTS_DAEMON_SCRATCH_H
#define TESTS_DAEMON_SCRATCH_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* /tmp/gasangd-NAME.XXXXXX, made: dir holds n bytes */
static inline void scratch_make(char *dir, size_t n, const char *name)
{
	snprintf(dir, n, "/tmp/gasangd-%s.XXXXXX", name);
	assert_non_null(mkdtemp(dir));
}

/* A teardown's return: 0 when it is gone. */
static inline int scratch_remove(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

#define SCRATCH_DIR_MAX 64

/* A fixture of size bytes whose first member is char dir[SCRATCH_DIR_MAX]: zeroed, dir made. */
static inline void *scratch_fixture(size_t size, const char *name)
{
	char *f = calloc(1, size);

	assert_non_null(f);
	scratch_make(f, SCRATCH_DIR_MAX, name);
	return f;
}

/* The teardown of such a fixture: its directory removed, itself freed. */
static inline int scratch_fixture_teardown(void **state)
{
	int err = scratch_remove(*state);

	free(*state);
	return err;
}

#endif
