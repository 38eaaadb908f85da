/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Huge pages for guest RAM (--hugetlb [2M|1G]): the page size as the user
 * writes it, the memfd flag that asks for it, and the host's pool of that
 * size (ROOT/sys/kernel/mm/hugepages/hugepages-<N>kB), so a shortage is
 * named - the file to write and the number needed - before RAM is mapped.
 */
#ifndef VFVM_HUGEPAGE_H
#define VFVM_HUGEPAGE_H

#include <stdint.h>

#include "errinfo.h"

#define HUGEPAGE_2M (2ULL << 20)
#define HUGEPAGE_1G (1ULL << 30)

/*
 * "2M", "2MiB", "2048K", "1G", "1GiB" (any case) -> 2 MiB or 1 GiB; NULL or
 * "" -> 2 MiB (plain --hugetlb).  Anything else: -EINVAL with the sizes
 * that exist in @e.
 */
int hugepage_parse(const char *s, uint64_t *size, struct errinfo *e);
/* MFD_HUGETLB with the page-size bits for @size (2 MiB or 1 GiB). */
unsigned int hugepage_memfd_flags(uint64_t size);
/* "2 MiB" or "1 GiB". */
const char *hugepage_name(uint64_t size);
/* @bytes rounded up to whole pages of @size. */
uint64_t hugepage_round(uint64_t bytes, uint64_t size);
/* ROOT/sys/kernel/mm/hugepages/hugepages-<N>kB/<file> into @out. */
void hugepage_sysfs_path(const char *root, uint64_t size, const char *file, char *out,
			 unsigned int len);

struct hugepage_pool {
	int present; /* the kernel has a pool of this size */
	uint64_t total; /* nr_hugepages */
	uint64_t free; /* free_hugepages - resv_hugepages: what a new mapping can get */
};

/* Read the pool of @size pages under @root ("" = the real /sys). */
int hugepage_pool_read(const char *root, uint64_t size, struct hugepage_pool *p, struct errinfo *e);
/*
 * Enough free pages of @size for @bytes of guest RAM?  0, or -ENOMEM /
 * -ENOTSUP with the pool's numbers, the file to write and the count to
 * write there (the pages already in use by others kept).
 */
int hugepage_check(const struct hugepage_pool *p, const char *root, uint64_t size, uint64_t bytes,
		   struct errinfo *e);

#endif
