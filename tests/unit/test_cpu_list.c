// SPDX-License-Identifier: GPL-2.0-only
/* CPU lists ("0-3,8"): the one parser of --cpu-affinity and sysfs cpulists. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu_list.h"

static void order_kept_and_counted(void **state)
{
	int cpus[8];

	(void)state;
	assert_int_equal(cpu_list_parse("5,0-2", cpus, 8), 4);
	assert_int_equal(cpus[0], 5);
	assert_int_equal(cpus[1], 0);
	assert_int_equal(cpus[3], 2);
	/* sysfs ends its lists with a newline; an empty node's list is "\n" */
	assert_int_equal(cpu_list_parse("3\n", cpus, 8), 1);
	assert_int_equal(cpus[0], 3);
	assert_int_equal(cpu_list_parse("\n", cpus, 8), 0);
	assert_int_equal(cpu_list_parse("", cpus, 8), 0);
}

static void malformed_refused(void **state)
{
	static const char *const bad[] = {"a", "1-", "3-1", "1,,2", "-1", "1 2", "1024", "0-1024"};
	int cpus[8];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cpu_list_parse(bad[i], cpus, 8) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	/* more than the caller has room for */
	assert_int_equal(cpu_list_parse("0-8", cpus, 8), -EINVAL);
}

static void as_a_set(void **state)
{
	cpu_set_t set;

	(void)state;
	assert_int_equal(cpu_list_parse_set("8-11,0,0", &set), 0);
	assert_int_equal(CPU_COUNT(&set), 5);
	assert_true(CPU_ISSET(0, &set) && CPU_ISSET(11, &set) && !CPU_ISSET(7, &set));
	assert_int_equal(cpu_list_parse_set("\n", &set), 0);
	assert_int_equal(CPU_COUNT(&set), 0);
	assert_int_equal(cpu_list_parse_set("0-x", &set), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_kept_and_counted),
		cmocka_unit_test(malformed_refused),
		cmocka_unit_test(as_a_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
