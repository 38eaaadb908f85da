// SPDX-License-Identifier: GPL-2.0-only
/* Huge page sizes and the host's pools of them: see hugepage.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hugepage.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

int hugepage_parse(const char *s, uint64_t *size, struct errinfo *e)
{
	static const struct {
		const char *name;
		uint64_t size;
	} known[] = {
		{"2M", HUGEPAGE_2M},	  {"2MiB", HUGEPAGE_2M},    {"2048K", HUGEPAGE_2M},
		{"2048KiB", HUGEPAGE_2M}, {"1G", HUGEPAGE_1G},	    {"1GiB", HUGEPAGE_1G},
		{"1024M", HUGEPAGE_1G},	  {"1024MiB", HUGEPAGE_1G},
	};

	if (!s || !*s) {
		*size = HUGEPAGE_2M;
		return 0;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcasecmp(s, known[i].name)) {
			*size = known[i].size;
			return 0;
		}
	err_set(e, EINVAL, "huge page size '%s': x86 has 2M and 1G pages", s);
	err_hint(e, "--hugetlb (2 MiB pages), --hugetlb 2M or --hugetlb 1G");
	return -EINVAL;
}

unsigned int hugepage_memfd_flags(uint64_t size)
{
	/* the flag carries log2(page size) above MFD_HUGE_SHIFT */
	return MFD_HUGETLB | ((unsigned int)__builtin_ctzll(size) << MFD_HUGE_SHIFT);
}

const char *hugepage_name(uint64_t size)
{
	return size == HUGEPAGE_1G ? "1 GiB" : "2 MiB";
}

uint64_t hugepage_round(uint64_t bytes, uint64_t size)
{
	return (bytes + size - 1) & ~(size - 1);
}

void hugepage_sysfs_path(const char *root, uint64_t size, const char *file, char *out,
			 unsigned int len)
{
	snprintf(out, len, "%s/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB%s%s",
		 root ? root : "", size >> 10, file ? "/" : "", file ? file : "");
}

static int read_u64(const char *path, uint64_t *v, struct errinfo *e)
{
	FILE *f = fopen(path, "r");
	unsigned long long x;
	int n;

	if (!f)
		return err_sys(e, errno, "%s", path);
	n = fscanf(f, "%llu", &x);
	fclose(f);
	if (n != 1)
		return err_set(e, EIO, "%s: not a number", path);
	*v = x;
	return 0;
}

int hugepage_pool_read(const char *root, uint64_t size, struct hugepage_pool *p, struct errinfo *e)
{
	char path[512];
	uint64_t resv = 0;
	int ret;

	memset(p, 0, sizeof(*p));
	hugepage_sysfs_path(root, size, NULL, path, sizeof(path));
	if (access(path, F_OK) != 0) {
		if (errno != ENOENT)
			return err_sys(e, errno, "%s", path);
		return 0; /* no such pool: hugepage_check says what that means */
	}
	p->present = 1;
	hugepage_sysfs_path(root, size, "nr_hugepages", path, sizeof(path));
	ret = read_u64(path, &p->total, e);
	if (ret < 0)
		return ret;
	hugepage_sysfs_path(root, size, "free_hugepages", path, sizeof(path));
	ret = read_u64(path, &p->free, e);
	if (ret < 0)
		return ret;
	/* reserved pages are free but promised to mappings already made */
	hugepage_sysfs_path(root, size, "resv_hugepages", path, sizeof(path));
	if (read_u64(path, &resv, e) < 0)
		resv = 0;
	memset(e, 0, sizeof(*e));
	p->free = p->free > resv ? p->free - resv : 0;
	return 0;
}

int hugepage_check(const struct hugepage_pool *p, const char *root, uint64_t size, uint64_t bytes,
		   struct errinfo *e)
{
	uint64_t need = hugepage_round(bytes, size) / size;
	char path[512];

	hugepage_sysfs_path(root, size, "nr_hugepages", path, sizeof(path));
	if (!p->present) {
		err_set(e, ENOTSUP, "the host kernel has no %s huge pages (%s is missing)",
			hugepage_name(size), path);
		err_hint(e, size == HUGEPAGE_1G
				    ? "1 GiB pages need a CPU with pdpe1gb (grep pdpe1gb "
				      "/proc/cpuinfo); use --hugetlb 2M otherwise"
				    : "the kernel needs CONFIG_HUGETLBFS");
		return -ENOTSUP;
	}
	if (p->free >= need)
		return 0;
	err_set(e, ENOMEM,
		"%" PRIu64 " MiB of guest RAM needs %" PRIu64 " free %s huge pages; the host "
		"has %" PRIu64 " free of %" PRIu64,
		bytes >> 20, need, hugepage_name(size), p->free, p->total);
	/* the pages others use stay theirs: add what is missing to the total */
	err_hint(e, "echo %" PRIu64 " > %s%s", p->total + (need - p->free), path,
		 size == HUGEPAGE_1G ? " (1 GiB pages are best reserved at boot: "
				       "hugepagesz=1G hugepages=N on the kernel command line)"
				     : "");
	return -ENOMEM;
}
