/*
 * For the tests that run a libFuzzer target (`make fuzz`: BUILD/fuzz/NAME):
 * where that binary is, and whether this test should run it at all.
 */
#ifndef TESTS_FUZZ_TARGET_H
#define TESTS_FUZZ_TARGET_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * BUILD/fuzz/NAME into out ($GASANG_BUILD, else three levels above this test's
 * binary: BUILD/tests/ROOM/X-test). 0 to run it; 77 (printed why: skipped)
 * in the ASan build, whose fuzzer carries its own sanitizers, or when the
 * target is not built.
 */
static inline int fuzz_target_find(const char *name, char *out, size_t size)
{
	const char *b = getenv("GASANG_BUILD");
	char self[PATH_MAX];
	ssize_t n;

#if defined(__SANITIZE_ADDRESS__)
	printf("%s: skipped: the fuzzer has its own sanitizers, the plain build runs it\n", name);
	return 77;
#endif
	if (b) {
		snprintf(out, size, "%s/fuzz/%s", b, name);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		for (int i = 0; i < 3; i++) {
			char *s = strrchr(self, '/');

			if (s)
				*s = '\0';
		}
		snprintf(out, size, "%s/fuzz/%s", self, name);
	}
	if (access(out, X_OK)) {
		printf("%s: skipped: %s is not built ('make fuzz', needs clang)\n", name, out);
		return 77;
	}
	return 0;
}

#endif
