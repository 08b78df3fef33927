/*
 * cgroup v1 file formats, one function per controller. Each takes the
 * container's directory in the hierarchy holding that controller. (cpuset
 * and hugetlb, written alike in both versions, are cgroup.c's; the freezer
 * is base/cgroup.c's.)
 */
#ifndef CTR_CGROUP_V1_H
#define CTR_CGROUP_V1_H

#include <stdbool.h>
#include <jansson.h>

#include "ctr/config.h"

int ctr_cgv1_cpu(const char *dir, const struct ctr_resources *r);
int ctr_cgv1_memory(const char *dir, const struct ctr_resources *r);
int ctr_cgv1_pids(const char *dir, const struct ctr_resources *r);
int ctr_cgv1_blkio(const char *dir, const struct ctr_resources *r);
int ctr_cgv1_devices(const char *dir, const struct ctr_device_rule *rules, size_t n);

/* Stats into data (an object); any dir may be NULL. */
void ctr_cgv1_stats(json_t *data, const char *cpu, const char *cpuacct, const char *memory,
		    const char *pids, const char *blkio);

#endif
