// SPDX-License-Identifier: GPL-2.0-only
/* src/lib/log.h: counting, the front end's callback, rate limiting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

struct seen {
	int n;
	enum vlog_level level[16];
	char msg[16][256];
	uint64_t t;
};

static void cb(void *opaque, enum vlog_level level, const char *msg)
{
	struct seen *s = opaque;

	if (s->n < 16) {
		s->level[s->n] = level;
		snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", msg);
	}
	s->n++;
}

static uint64_t fake_now(void *opaque)
{
	return ((struct seen *)opaque)->t;
}

static void setup_log(struct vlog *l, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	vlog_init(l);
	l->cb = cb;
	l->opaque = s;
	l->now = fake_now;
	l->now_opaque = s;
	l->burst = 3;
	l->interval_ns = 100;
}

static void test_counts_without_callback(void **state)
{
	struct vlog l;
	struct vlog_counts c;

	(void)state;
	vlog_init(&l);
	vlog_report(&l, VLOG_ERR, "a %d", 1);
	vlog_report(&l, VLOG_WARN, "b");
	vlog_report(&l, VLOG_INFO, "c");
	assert_true(vlog_ratelimited(&l, VLOG_ERR, "d"));
	vlog_counts(&l, &c);
	assert_int_equal(c.errors, 2);
	assert_int_equal(c.warnings, 1);
	assert_int_equal(c.suppressed, 0);
	/* a model without a log: nothing happens, nothing crashes */
	assert_false(vlog_ratelimited(NULL, VLOG_ERR, "x"));
	vlog_report(NULL, VLOG_ERR, "x");
	vlog_exit(&l);
}

static void test_rate_limit(void **state)
{
	struct vlog l;
	struct seen s;
	struct vlog_counts c;

	(void)state;
	setup_log(&l, &s);
	for (int i = 0; i < 5; i++)
		vlog_ratelimited(&l, VLOG_ERR, "guest broke %d", i);
	/* the burst passes, the rest only counted */
	assert_int_equal(s.n, 3);
	assert_string_equal(s.msg[2], "guest broke 2");
	assert_int_equal(s.level[0], VLOG_ERR);
	vlog_counts(&l, &c);
	assert_int_equal(c.errors, 5);
	assert_int_equal(c.suppressed, 2);
	/* still inside the window */
	s.t = 99;
	assert_false(vlog_ratelimited(&l, VLOG_ERR, "more"));
	assert_int_equal(s.n, 3);
	/* next window: says how many were dropped, then the message */
	s.t = 100;
	assert_true(vlog_ratelimited(&l, VLOG_ERR, "again"));
	assert_int_equal(s.n, 5);
	assert_string_equal(s.msg[3], "3 similar messages suppressed");
	assert_int_equal(s.level[3], VLOG_WARN);
	assert_string_equal(s.msg[4], "again");
	vlog_counts(&l, &c);
	assert_int_equal(c.errors, 7);
	assert_int_equal(c.suppressed, 3);
	/* not rate-limited: always passed on */
	for (int i = 0; i < 5; i++)
		vlog_report(&l, VLOG_ERR, "setup %d", i);
	assert_int_equal(s.n, 10);
	vlog_exit(&l);
}

static void test_errinfo_report(void **state)
{
	struct vlog l;
	struct seen s;
	struct errinfo e = {0};

	(void)state;
	setup_log(&l, &s);
	err_set(&e, EBUSY, "KVM_IRQFD gsi 25");
	err_hint(&e, "check the host");
	assert_true(vlog_err(&l, "vfio 0000:01:00.1", &e));
	assert_string_equal(s.msg[0], "vfio 0000:01:00.1: KVM_IRQFD gsi 25 (hint: check the host)");
	err_clear(&e);
	err_set(&e, EIO, "route");
	assert_true(vlog_err(&l, NULL, &e));
	assert_string_equal(s.msg[1], "route");
	vlog_exit(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_without_callback),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_errinfo_report),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
