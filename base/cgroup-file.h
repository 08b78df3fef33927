/*
 * cgroupfs control files ("knobs"): one value written or read at a time,
 * DIR/FILE, with messages that name the file and the value. Shared by the
 * cgroup helper (base/cgroup.c) and the container runtime's per-version
 * controllers (ctr/cgroup-v1.c, ctr/cgroup-v2.c).
 */
#ifndef BASE_CGROUP_FILE_H
#define BASE_CGROUP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "base/compiler.h"

/* Write one value to dir/file; the message names value and path. */
int cgroup_file_write(const char *dir, const char *file, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Read dir/file into buf (NUL-terminated, trailing newline and spaces dropped); -errno. */
int cgroup_file_read(const char *dir, const char *file, char *buf, size_t n);
bool cgroup_file_exists(const char *dir, const char *file);
/* An unsigned number ("max" -> UINT64_MAX); -errno on failure. */
int cgroup_file_read_u64(const char *dir, const char *file, uint64_t *v);
/* "key value" lines (memory.stat, cpu.stat, cgroup.events) as a JSON object of numbers. */
json_t *cgroup_file_read_kv(const char *dir, const char *file);

#endif
