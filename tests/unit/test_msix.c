// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one MSI-X model (src/devices/msix.h) over a recording interrupt
 * source: access rules, the PBA (polled, never consumed), failures of the
 * source counted and logged, the committed() hook that queues steering.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "msix.h"

#define NVEC 4

struct rec {
	int next_gsi;
	int routes, commits, assigns, deassigns;
	int fail_irqfd, fail_route, fail_commit; /* -errno to return, 0: succeed */
	bool attached[64];
	uint64_t addr[64];
	uint32_t data[64];
	int committed_calls;
	int logged;
	char last_log[512];
};

static int r_gsi_alloc(void *ctx, struct errinfo *e)
{
	(void)e;
	return 24 + ((struct rec *)ctx)->next_gsi++;
}

static void r_gsi_free(void *ctx, int gsi)
{
	(void)ctx;
	(void)gsi;
}

static int r_route(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e)
{
	struct rec *r = ctx;

	if (r->fail_route)
		return err_set(e, -r->fail_route, "route of gsi %d", gsi);
	r->routes++;
	r->addr[gsi - 24] = addr;
	r->data[gsi - 24] = data;
	return 0;
}

static int r_commit(void *ctx, struct errinfo *e)
{
	struct rec *r = ctx;

	if (r->fail_commit)
		return err_set(e, -r->fail_commit, "KVM_SET_GSI_ROUTING");
	r->commits++;
	return 0;
}

static int r_irqfd(void *ctx, int gsi, int efd, int resamplefd, bool assign, struct errinfo *e)
{
	struct rec *r = ctx;

	(void)efd;
	(void)resamplefd;
	if (r->fail_irqfd && assign)
		return err_set(e, -r->fail_irqfd, "KVM_IRQFD gsi %d", gsi);
	if (assign)
		r->assigns++;
	else
		r->deassigns++;
	r->attached[gsi - 24] = assign;
	return 0;
}

static const struct irq_source_ops rec_ops = {
	.gsi_alloc = r_gsi_alloc,
	.gsi_free = r_gsi_free,
	.route_msi = r_route,
	.commit = r_commit,
	.irqfd = r_irqfd,
};

static void log_cb(void *opaque, enum vlog_level level, const char *msg)
{
	struct rec *r = opaque;

	(void)level;
	r->logged++;
	snprintf(r->last_log, sizeof(r->last_log), "%s", msg);
}

static void on_commit(void *opaque)
{
	((struct rec *)opaque)->committed_calls++;
}

struct fix {
	struct rec r;
	struct vlog log;
	struct msix m;
};

static int setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	struct irq_source src = {&rec_ops, &x->r};
	struct errinfo e = {0};

	vlog_init(&x->log);
	x->log.cb = log_cb;
	x->log.opaque = &x->r;
	assert_int_equal(msix_model_init(&x->m, "dev0", NVEC, &e), 0);
	msix_attach(&x->m, &src, &x->log);
	x->m.committed = on_commit;
	x->m.committed_opaque = &x->r;
	assert_int_equal(msix_sources_alloc(&x->m, &e), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;

	msix_exit(&x->m);
	vlog_exit(&x->log);
	free(x);
	return 0;
}

static void w32(struct msix *m, unsigned int vec, unsigned int word, uint32_t v)
{
	msix_table_access(m, 16 * vec + 4 * word, (uint8_t *)&v, 4, true);
}

static uint32_t r32(struct msix *m, unsigned int vec, unsigned int word)
{
	uint32_t v;

	msix_table_access(m, 16 * vec + 4 * word, (uint8_t *)&v, 4, false);
	return v;
}

static void program(struct msix *m, unsigned int vec, uint32_t ctrl)
{
	w32(m, vec, 0, 0xfee00000 | vec << 12);
	w32(m, vec, 1, 0);
	w32(m, vec, 2, 0x30 + vec);
	w32(m, vec, 3, ctrl);
}

static void test_access_rules(void **state)
{
	struct fix *x = *state;
	uint8_t b[8];
	uint64_t q;

	program(&x->m, 1, 1);
	/* address bits 1:0 are reserved, vector control bits 31:1 too */
	w32(&x->m, 1, 0, 0xfee01007);
	assert_int_equal(r32(&x->m, 1, 0), 0xfee01004);
	w32(&x->m, 1, 3, 0xffffffff);
	assert_int_equal(r32(&x->m, 1, 3), 1);
	/* aligned QWORDs: address pair, data + control */
	q = 0x0000000100000000ULL | 0xfee02000;
	msix_table_access(&x->m, 16 * 2, (uint8_t *)&q, 8, true);
	assert_int_equal(r32(&x->m, 2, 0), 0xfee02000);
	assert_int_equal(r32(&x->m, 2, 1), 1);
	msix_table_access(&x->m, 16 * 2 + 8, (uint8_t *)&q, 8, false);
	assert_true(q == 0x0000000100000000ULL);
	/* byte, word, misaligned, straddling, past the end: all-ones, writes dropped */
	for (uint32_t len = 1; len <= 8; len++) {
		if (len == 4 || len == 8)
			continue;
		memset(b, 0, sizeof(b));
		msix_table_access(&x->m, 16, b, len, false);
		for (uint32_t i = 0; i < len; i++)
			assert_int_equal(b[i], 0xff);
		memset(b, 0, sizeof(b));
		msix_table_access(&x->m, 16, b, len, true);
	}
	assert_int_equal(r32(&x->m, 1, 0), 0xfee01004);
	memset(b, 0, sizeof(b));
	msix_table_access(&x->m, 16 + 2, b, 4, true);
	msix_table_access(&x->m, 16 + 4, b, 8, true); /* QWORD not 8-aligned */
	msix_table_access(&x->m, 16 + 4, b, 8, false);
	assert_int_equal(b[0] & b[7], 0xff);
	assert_int_equal(r32(&x->m, 1, 1), 0);
	msix_table_access(&x->m, 16 * NVEC, b, 4, false);
	assert_int_equal(b[0] & b[3], 0xff);
	/* vectors come out of reset masked */
	assert_int_equal(r32(&x->m, 3, 3), 1);
}

static void test_pba_polls_never_consumes(void **state)
{
	struct fix *x = *state;
	uint8_t p[8];
	uint64_t cnt;

	program(&x->m, 2, 0);
	msix_set_ctrl(&x->m, true, false);
	assert_true(x->r.attached[2]);
	/* function mask: irqfds detached, an event is pending */
	msix_set_ctrl(&x->m, true, true);
	assert_false(x->r.attached[2]);
	assert_int_equal(msix_notify(&x->m, 2), 0);
	for (int i = 0; i < 2; i++) {
		msix_pba_access(&x->m, 0, p, 8, false);
		assert_int_equal(p[0], 1u << 2);
	}
	/* read-only */
	memset(p, 0, sizeof(p));
	msix_pba_access(&x->m, 0, p, 8, true);
	msix_pba_access(&x->m, 0, p, 1, false);
	assert_int_equal(p[0], 1u << 2);
	/* unmask: re-attached, the event is still in the eventfd for KVM */
	msix_set_ctrl(&x->m, true, false);
	assert_true(x->r.attached[2]);
	msix_pba_access(&x->m, 0, p, 8, false);
	assert_int_equal(p[0], 0);
	assert_int_equal(read(msix_eventfd(&x->m, 2), &cnt, sizeof(cnt)), sizeof(cnt));
	assert_int_equal(cnt, 1);
	/* outside the PBA: all-ones */
	msix_pba_access(&x->m, 8, p, 4, false);
	assert_int_equal(p[0], 0xff);
}

static void test_irqfd_failure_logged_and_counted(void **state)
{
	struct fix *x = *state;
	struct vlog_counts c;

	x->r.fail_irqfd = -EBUSY;
	program(&x->m, 0, 0);
	msix_set_ctrl(&x->m, true, false);
	assert_false(x->r.attached[0]);
	assert_int_equal(x->m.nr_errors, 1);
	assert_non_null(strstr(x->m.last_err.msg, "KVM_IRQFD gsi 24"));
	vlog_counts(&x->log, &c);
	assert_int_equal(c.errors, 1);
	assert_int_equal(x->r.logged, 1);
	assert_non_null(strstr(x->r.last_log, "dev0: KVM_IRQFD gsi 24"));
	/* the next unmask tries again and works */
	x->r.fail_irqfd = 0;
	w32(&x->m, 0, 3, 1);
	w32(&x->m, 0, 3, 0);
	assert_true(x->r.attached[0]);
	assert_int_equal(x->m.nr_errors, 1);
}

static void test_route_failure_logged_and_counted(void **state)
{
	struct fix *x = *state;
	struct vlog_counts c;

	msix_set_ctrl(&x->m, true, false);
	x->r.fail_route = -ENOSPC;
	program(&x->m, 1, 0);
	/* no route, so no irqfd on a stale one */
	assert_false(x->r.attached[1]);
	assert_true(x->m.nr_errors >= 1);
	assert_non_null(strstr(x->m.last_err.msg, "route of gsi 25"));
	vlog_counts(&x->log, &c);
	assert_int_equal(c.errors, x->m.nr_errors);
	assert_non_null(strstr(x->r.last_log, "route of gsi 25"));
	/* a failed commit too */
	x->r.fail_route = 0;
	x->r.fail_commit = -EINVAL;
	w32(&x->m, 1, 2, 0x99);
	assert_non_null(strstr(x->m.last_err.msg, "KVM_SET_GSI_ROUTING"));
	vlog_counts(&x->log, &c);
	assert_int_equal(c.errors, x->m.nr_errors);
}

static void test_guest_loop_is_rate_limited(void **state)
{
	struct fix *x = *state;
	struct vlog_counts c;

	x->r.fail_route = -ENOSPC;
	msix_set_ctrl(&x->m, true, false);
	w32(&x->m, 0, 3, 0);
	for (uint32_t i = 0; i < 100; i++)
		w32(&x->m, 0, 2, i + 1);
	vlog_counts(&x->log, &c);
	assert_int_equal(c.errors, x->m.nr_errors);
	assert_true(c.errors >= 100);
	assert_int_equal(x->r.logged, VLOG_DEFAULT_BURST);
	assert_int_equal(c.suppressed, c.errors - VLOG_DEFAULT_BURST);
}

static void test_commit_hook(void **state)
{
	struct fix *x = *state;
	int before;

	program(&x->m, 0, 0);
	assert_int_equal(x->r.committed_calls, 0); /* MSI-X off: nothing routed */
	msix_set_ctrl(&x->m, true, false);
	assert_int_equal(x->r.committed_calls, 1);
	assert_int_equal(x->r.commits, 1);
	/* mask/unmask: no route, no commit, no steering */
	before = x->r.committed_calls;
	w32(&x->m, 0, 3, 1);
	w32(&x->m, 0, 3, 0);
	assert_int_equal(x->r.committed_calls, before);
	/* new destination: one commit, steering queued */
	w32(&x->m, 0, 0, 0xfee03000);
	assert_int_equal(x->r.committed_calls, before + 1);
	assert_true(x->r.addr[0] == 0xfee03000);
	/* disable and re-enable with the same messages: host IRQs are new */
	msix_set_ctrl(&x->m, false, false);
	msix_set_ctrl(&x->m, true, false);
	assert_int_equal(x->r.committed_calls, before + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_access_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pba_polls_never_consumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irqfd_failure_logged_and_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_route_failure_logged_and_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_loop_is_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_hook, setup, teardown),
	};

	return cmocka_run_group_tests_name("msix", tests, NULL, NULL);
}
