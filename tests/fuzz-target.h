/*
 * Where a libFuzzer target of `make fuzz` is: BUILD/fuzz/NAME, BUILD from
 * $GASANG_BUILD or from the running test's path (BUILD/tests/...). Shared
 * by the tests that run a fuzzer for a bounded number of inputs.
 */
#ifndef TESTS_FUZZ_TARGET_H
#define TESTS_FUZZ_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The target's path in out; false (and a line saying why) when it is not built. */
static inline bool fuzz_target_path(char *out, size_t len, const char *name)
{
	const char *b = getenv("GASANG_BUILD");
	char self[PATH_MAX];
	ssize_t n;

	if (b) {
		snprintf(out, len, "%s/fuzz/%s", b, name);
	} else {
		char *t;

		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		t = strstr(self, "/tests/");
		if (t)
			*t = '\0';
		snprintf(out, len, "%s/fuzz/%s", self, name);
	}
	if (access(out, X_OK)) {
		printf("%s: skipped: %s is not built ('make fuzz', needs clang)\n", name, out);
		return false;
	}
	return true;
}

#endif
