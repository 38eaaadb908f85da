// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "errinfo.h"

static void sys_error_names_errno(void **state)
{
	struct errinfo e;

	(void)state;
	assert_int_equal(err_sys(&e, ENOENT, "open %s", "/sys/x"), -ENOENT);
	assert_int_equal(e.err, ENOENT);
	assert_string_equal(e.msg, "open /sys/x: No such file or directory (errno 2)");
}

static void prefix_and_hint(void **state)
{
	struct errinfo e;

	(void)state;
	err_set(&e, -EBUSY, "VFs exist");
	err_prefix(&e, "0000:01:00.0");
	err_hint(&e, "write %d first", 0);
	assert_int_equal(e.err, EBUSY);
	assert_string_equal(e.msg, "0000:01:00.0: VFs exist");
	assert_string_equal(e.hint, "write 0 first");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sys_error_names_errno),
		cmocka_unit_test(prefix_and_hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
