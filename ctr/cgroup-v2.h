/*
 * cgroup v2 file formats, one function per controller, on the container's
 * directory in the unified hierarchy. Controllers must be enabled in every
 * ancestor's cgroup.subtree_control first (ctr_cgv2_enable). (cpuset and
 * hugetlb, written alike in both versions, are cgroup.c's; the freezer and
 * cgroup.kill are base/cgroup.c's.)
 */
#ifndef CTR_CGROUP_V2_H
#define CTR_CGROUP_V2_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "ctr/config.h"

/* The controller is listed in dir's parent's cgroup.controllers (or dir's own). */
bool ctr_cgv2_available(const char *mount, const char *dir, const char *controller);
/* Enable the controller in each ancestor of dir below (and including) mount. */
int ctr_cgv2_enable(const char *mount, const char *dir, const char *controller);

/* Conversions from the spec's v1-shaped values, as runc and crun do them. */
uint64_t ctr_cgv2_cpu_weight(uint64_t shares);
uint64_t ctr_cgv2_io_weight(uint64_t blkio_weight);
/* memory+swap -> swap alone; -1 = "max". -EINVAL with a message when impossible. */
int ctr_cgv2_swap_max(int64_t memory, int64_t memory_swap, int64_t *swap_max);

int ctr_cgv2_cpu(const char *dir, const struct ctr_resources *r);
int ctr_cgv2_memory(const char *dir, const struct ctr_resources *r);
int ctr_cgv2_pids(const char *dir, const struct ctr_resources *r);
int ctr_cgv2_io(const char *dir, const struct ctr_resources *r);
int ctr_cgv2_unified(const char *dir, const struct ctr_resources *r);
/* The device rules as an eBPF program attached to dir (BPF_CGROUP_DEVICE). */
int ctr_cgv2_devices(const char *dir, const struct ctr_device_rule *rules, size_t n);

void ctr_cgv2_stats(json_t *data, const char *dir);

#endif
