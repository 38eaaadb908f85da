// SPDX-License-Identifier: GPL-2.0-only
/*
 * --hugetlb [2M|1G] for `vfvm run` and `vfvm check`.  The page size is an
 * optional separate word (`--hugetlb 1G`, the form users type), which
 * getopt's optional_argument does not take (it wants `--hugetlb=1G`): a
 * next word that starts with a digit is taken as the size, so
 * `--hugetlb --mem 4G` stays plain 2 MiB pages.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "hugepage.h"
#include "vfvm.h"

int vfvm_opt_hugetlb(int argc, char **argv, const char *optval, uint64_t *size, const char *who)
{
	struct errinfo e = {0};
	const char *s = optval;

	if (!s && optind < argc && isdigit((unsigned char)argv[optind][0]))
		s = argv[optind++];
	if (hugepage_parse(s, size, &e) < 0) {
		fprintf(stderr, "%s: --hugetlb %s\n%s: hint: %s\n", who, e.msg, who, e.hint);
		return -EINVAL;
	}
	return 0;
}

int vfvm_check_hugetlb_mem(uint64_t page, uint64_t mem, const char *who)
{
	/* 2 MiB rounds up quietly; a whole extra GiB would surprise */
	if (page != HUGEPAGE_1G || !mem || mem % HUGEPAGE_1G == 0)
		return 0;
	fprintf(stderr,
		"%s: --mem %llu MiB is not a whole number of 1 GiB pages (--hugetlb 1G)\n"
		"%s: hint: give --mem %lluG, or --hugetlb 2M\n",
		who, (unsigned long long)(mem >> 20), who,
		(unsigned long long)((mem + HUGEPAGE_1G - 1) / HUGEPAGE_1G));
	return -EINVAL;
}
