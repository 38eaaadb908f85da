// SPDX-License-Identifier: GPL-2.0-only
/* vfvm trap buses: overlap checks, lookup, and callbacks that change the bus. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"

struct probe {
	struct bus *b;
	uint64_t off;
	uint32_t len;
	int calls;
	bool move_on_write; /* re-register itself elsewhere from inside the callback */
};

static void probe_fn(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct probe *p = o;

	p->calls++;
	p->off = off;
	p->len = len;
	if (!w)
		memset(data, 0x5a, len);
	if (w && p->move_on_write) {
		/* what a BAR move from a config write does: must not deadlock */
		assert_int_equal(bus_unregister(p->b, 0x1000), 0);
		assert_int_equal(bus_register(p->b, 0x8000, 0x100, probe_fn, p, "moved", NULL), 0);
	}
}

static void overlaps_refused_neighbours_allowed(void **state)
{
	struct bus b;
	struct probe p = {0};
	struct errinfo e = {0};

	(void)state;
	assert_int_equal(bus_init(&b, "mmio"), 0);
	assert_int_equal(bus_register(&b, 0x1000, 0x100, probe_fn, &p, "a", &e), 0);
	assert_int_equal(bus_register(&b, 0x1100, 0x100, probe_fn, &p, "b", &e), 0);
	assert_int_equal(bus_register(&b, 0x0f00, 0x100, probe_fn, &p, "c", &e), 0);
	assert_int_equal(bus_register(&b, 0x10ff, 2, probe_fn, &p, "d", &e), -EEXIST);
	assert_non_null(strstr(e.msg, "overlaps 'a'"));
	assert_int_equal(bus_register(&b, 0x0e00, 0x400, probe_fn, &p, "e", &e), -EEXIST);
	assert_int_equal(bus_register(&b, 0x11ff, 1, probe_fn, &p, "f", &e), -EEXIST);
	assert_non_null(strstr(e.msg, "overlaps 'b'"));
	assert_int_equal(bus_register(&b, 0x5000, 0, probe_fn, &p, "g", &e), -EINVAL);
	assert_int_equal(bus_register(&b, UINT64_MAX - 1, 4, probe_fn, &p, "h", &e), -EINVAL);
	assert_int_equal(b.nr, 3);
	assert_int_equal(bus_unregister(&b, 0x1100), 0);
	assert_int_equal(bus_unregister(&b, 0x1100), -ENOENT);
	assert_int_equal(bus_unregister(&b, 0x1001), -ENOENT);
	assert_int_equal(bus_register(&b, 0x1100, 0x10, probe_fn, &p, "b2", &e), 0);
	bus_exit(&b);
}

static void dispatch_finds_range_and_offset(void **state)
{
	struct bus b;
	struct probe p = {0};
	uint8_t d[8];

	(void)state;
	assert_int_equal(bus_init(&b, "pio"), 0);
	for (uint64_t a = 0x100; a < 0x100 + 64 * 0x10; a += 0x10)
		assert_int_equal(bus_register(&b, a, 8, probe_fn, &p, "r", NULL), 0);
	assert_true(bus_dispatch(&b, 0x234, d, 4, false));
	assert_int_equal(p.off, 4);
	assert_int_equal(d[0], 0x5a);
	/* the gap between ranges and past the last one: nothing there */
	assert_false(bus_dispatch(&b, 0x238, d, 1, false));
	assert_false(bus_dispatch(&b, 0xff, d, 1, false));
	assert_false(bus_dispatch(&b, 0x100 + 64 * 0x10, d, 1, false));
	/* an access running past the end is cut to what fits */
	assert_true(bus_dispatch(&b, 0x106, d, 8, false));
	assert_int_equal(p.len, 2);
	bus_exit(&b);
}

static void callback_may_change_the_bus(void **state)
{
	struct bus b;
	struct probe p = {.move_on_write = true};
	uint8_t d[4] = {0};

	(void)state;
	assert_int_equal(bus_init(&b, "mmio"), 0);
	p.b = &b;
	assert_int_equal(bus_register(&b, 0x1000, 0x100, probe_fn, &p, "self", NULL), 0);
	assert_true(bus_dispatch(&b, 0x1010, d, 4, true));
	assert_false(bus_dispatch(&b, 0x1010, d, 4, false));
	p.move_on_write = false;
	assert_true(bus_dispatch(&b, 0x8010, d, 4, false));
	assert_int_equal(p.off, 0x10);
	bus_exit(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overlaps_refused_neighbours_allowed),
		cmocka_unit_test(dispatch_finds_range_and_offset),
		cmocka_unit_test(callback_may_change_the_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
