// SPDX-License-Identifier: GPL-2.0-only
/* --hugetlb page sizes and the host pool check (src/vmm/hugepage.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "hugepage.h"

static void parses_sizes(void **state)
{
	struct errinfo e = {0};
	uint64_t sz = 0;

	(void)state;
	assert_int_equal(hugepage_parse(NULL, &sz, &e), 0);
	assert_int_equal(sz, HUGEPAGE_2M);
	assert_int_equal(hugepage_parse("2M", &sz, &e), 0);
	assert_int_equal(sz, HUGEPAGE_2M);
	assert_int_equal(hugepage_parse("1g", &sz, &e), 0);
	assert_int_equal(sz, HUGEPAGE_1G);
	assert_int_equal(hugepage_parse("1GiB", &sz, &e), 0);
	assert_int_equal(sz, HUGEPAGE_1G);
	assert_int_equal(hugepage_parse("3M", &sz, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "'3M'"));
	assert_int_equal(hugepage_parse("1T", &sz, &e), -EINVAL);
	/* log2(size) << 26 with MFD_HUGETLB (4) */
	assert_int_equal(hugepage_memfd_flags(HUGEPAGE_2M), 4u | (21u << 26));
	assert_int_equal(hugepage_memfd_flags(HUGEPAGE_1G), 4u | (30u << 26));
	assert_int_equal(hugepage_round(1, HUGEPAGE_1G), HUGEPAGE_1G);
}

static void put(const char *dir, const char *file, const char *v)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(v, f);
	fclose(f);
}

static void pool_check_names_file_and_count(void **state)
{
	char root[] = "/tmp/hugepage-test.XXXXXX", dir[512], cmd[600];
	struct hugepage_pool p;
	struct errinfo e = {0};

	(void)state;
	assert_non_null(mkdtemp(root));
	/* no 1 GiB pool: a clean refusal naming the missing directory */
	assert_int_equal(hugepage_pool_read(root, HUGEPAGE_1G, &p, &e), 0);
	assert_int_equal(p.present, 0);
	assert_int_equal(hugepage_check(&p, root, HUGEPAGE_1G, 4 * HUGEPAGE_1G, &e), -ENOTSUP);
	assert_non_null(strstr(e.msg, "hugepages-1048576kB"));
	assert_non_null(strstr(e.hint, "pdpe1gb"));

	hugepage_sysfs_path(root, HUGEPAGE_1G, NULL, dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	assert_int_equal(system(cmd), 0);
	put(dir, "nr_hugepages", "4\n");
	put(dir, "free_hugepages", "3\n");
	put(dir, "resv_hugepages", "1\n");
	memset(&e, 0, sizeof(e));
	assert_int_equal(hugepage_pool_read(root, HUGEPAGE_1G, &p, &e), 0);
	assert_int_equal(p.present, 1);
	assert_int_equal(p.total, 4);
	assert_int_equal(p.free, 2); /* reserved ones are promised already */
	assert_int_equal(hugepage_check(&p, root, HUGEPAGE_1G, 2 * HUGEPAGE_1G, &e), 0);
	/* 5 GiB: 5 needed, 2 free -> write 4 + 3 = 7 */
	assert_int_equal(hugepage_check(&p, root, HUGEPAGE_1G, 5 * HUGEPAGE_1G, &e), -ENOMEM);
	assert_non_null(strstr(e.msg, "needs 5 free 1 GiB"));
	assert_non_null(strstr(e.hint, "echo 7 > "));
	assert_non_null(strstr(e.hint, "hugepages-1048576kB/nr_hugepages"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_sizes),
		cmocka_unit_test(pool_check_names_file_and_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
