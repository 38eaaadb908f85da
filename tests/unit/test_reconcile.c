// SPDX-License-Identifier: GPL-2.0-only
/* Reconcile planning: desired + actual + ledger -> ordered actions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reconcile.h"

#include "vf_put.h"

static const char *const conf = "[pf]\n"
				"match = bdf 0000:01:00.0\n"
				"numvfs = 2\n"
				"autoprobe = off\n"
				"[vf 0]\n"
				"mac = 02:00:00:00:00:01\n"
				"vlan = 100\n"
				"driver = vfio-pci\n"
				"[vf 1]\n"
				"spoofchk = off\n";

static void parse(struct config_pf *pf, const char *text)
{
	struct errinfo e;

	if (config_parse_text("/etc/vfctl.d/t.conf", text, pf, &e))
		fail_msg("%s", e.msg);
}

/* A PF with n VFs in their fresh state (as a kernel shows new VFs). */
static void fresh_state(struct rc_pf_state *s, int n, int autoprobe)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->bdf, sizeof(s->bdf), "0000:01:00.0");
	snprintf(s->netdev, sizeof(s->netdev), "enp1s0");
	s->totalvfs = 7;
	s->numvfs = n;
	s->autoprobe = autoprobe;
	s->nr_vfs = n;
	s->vfs = n ? calloc((size_t)n, sizeof(*s->vfs)) : NULL;
	for (int i = 0; i < n; i++) {
		s->vfs[i].index = i;
		snprintf(s->vfs[i].bdf, sizeof(s->vfs[i].bdf), "0000:01:10.%d", i & 7);
		vf_settings_defaults(&s->vfs[i].cur);
		vf_put(&s->vfs[i].cur, VFKEY_DRIVER, autoprobe ? "igbvf" : "");
	}
}

/* The plan as lines, for readable comparisons. */
static void plan_text(const struct rc_plan *p, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->nr && len < size; i++) {
		char line[200];

		rc_action_str(&p->acts[i], line, sizeof(line));
		len += (size_t)snprintf(buf + len, size - len, "%s\n", line);
	}
}

static void assert_plan(const struct config_pf *want, const struct rc_pf_state *have,
			const struct ledger_pf *led, const char *expect)
{
	struct rc_plan p;
	struct errinfo e;
	char got[4096];

	if (rc_plan_pf(want, have, led, &p, &e))
		fail_msg("plan failed: %s", e.msg);
	plan_text(&p, got, sizeof(got));
	assert_string_equal(got, expect);
	rc_plan_free(&p);
}

static void fresh_pf_full_plan(void **state)
{
	struct config_pf pf;
	struct rc_pf_state s;

	(void)state;
	parse(&pf, conf);
	fresh_state(&s, 0, 1);
	/* VFs do not exist yet: their old values are unknown. */
	assert_plan(&pf, &s, NULL,
		    "autoprobe on -> off\n"
		    "numvfs 0 -> 2\n"
		    "vf 0: vlan ? -> 100\n"
		    "vf 0: mac ? -> 02:00:00:00:00:01\n"
		    "vf 1: spoofchk ? -> off\n"
		    "vf 0: driver ? -> vfio-pci\n");
	rc_pf_state_free(&s);

	/* Once the VFs exist (apply plans again), the old values are the real ones. */
	fresh_state(&s, 2, 0);
	assert_plan(&pf, &s, NULL,
		    "vf 0: vlan 0 -> 100\n"
		    "vf 0: mac 00:00:00:00:00:00 -> 02:00:00:00:00:01\n"
		    "vf 1: spoofchk on -> off\n"
		    "vf 0: driver (none) -> vfio-pci\n");
	rc_pf_state_free(&s);
	config_pf_free(&pf);
}

static void matching_state_plans_nothing(void **state)
{
	struct config_pf pf;
	struct rc_pf_state s;

	(void)state;
	parse(&pf, conf);
	fresh_state(&s, 2, 0);
	vf_put(&s.vfs[0].cur, VFKEY_MAC, "02:00:00:00:00:01");
	vf_put(&s.vfs[0].cur, VFKEY_VLAN, "100");
	vf_put(&s.vfs[0].cur, VFKEY_DRIVER, "vfio-pci");
	vf_put(&s.vfs[1].cur, VFKEY_SPOOFCHK, "off");
	assert_plan(&pf, &s, NULL, "");
	/* Undeclared values (VF 1's driver, qos) are nobody's business. */
	vf_put(&s.vfs[1].cur, VFKEY_DRIVER, "igbvf");
	vf_put(&s.vfs[0].cur, VFKEY_TRUST, "on");
	assert_plan(&pf, &s, NULL, "");
	rc_pf_state_free(&s);
	config_pf_free(&pf);
}

static void count_change_writes_zero_first(void **state)
{
	struct config_pf pf;
	struct rc_pf_state s;
	struct rc_plan p;
	struct errinfo e;

	(void)state;
	parse(&pf, "[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 3\n");
	fresh_state(&s, 2, 1);
	assert_plan(&pf, &s, NULL, "numvfs 2 -> 0\nnumvfs 0 -> 3\n");
	pf.numvfs = 0;
	assert_plan(&pf, &s, NULL, "numvfs 2 -> 0\n");
	/* Above sriov_totalvfs: refused at planning time, naming file and line. */
	pf.numvfs = 8;
	assert_int_equal(rc_plan_pf(&pf, &s, NULL, &p, &e), -ERANGE);
	assert_string_equal(e.msg, "/etc/vfctl.d/t.conf:3: numvfs = 8 is above what PF "
				   "0000:01:00.0 supports (sriov_totalvfs = 7)");
	assert_null(p.acts);
	rc_pf_state_free(&s);
	config_pf_free(&pf);
}

static void no_netdev_refuses_link_settings(void **state)
{
	struct config_pf pf;
	struct rc_pf_state s;
	struct rc_plan p;
	struct errinfo e;

	(void)state;
	parse(&pf, conf);
	fresh_state(&s, 0, 1);
	s.netdev[0] = '\0';
	assert_int_equal(rc_plan_pf(&pf, &s, NULL, &p, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "PF 0000:01:00.0 has none"));
	rc_pf_state_free(&s);
	config_pf_free(&pf);
}

static void vlan_group_sent_together(void **state)
{
	struct config_pf pf;
	struct rc_pf_state s;

	(void)state;
	parse(&pf, "[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 1\n[vf 0]\nvlan = 5\nqos = 0\n"
		   "max_tx_rate = 100\n");
	fresh_state(&s, 1, 1);
	/* qos already 0, but it goes with the VLAN attribute. */
	assert_plan(&pf, &s, NULL,
		    "vf 0: vlan 0 -> 5\nvf 0: qos 0 -> 0\nvf 0: max_tx_rate 0 -> 100\n");
	vf_put(&s.vfs[0].cur, VFKEY_VLAN, "5");
	vf_put(&s.vfs[0].cur, VFKEY_MAX_TX_RATE, "100");
	assert_plan(&pf, &s, NULL, "");
	/* A setting the kernel does not report is always sent. */
	vf_settings_drop(&s.vfs[0].cur, VFKEY_MAX_TX_RATE);
	assert_plan(&pf, &s, NULL, "vf 0: max_tx_rate ? -> 100\n");
	rc_pf_state_free(&s);
	config_pf_free(&pf);
}

static void undeclared_keys_restored_from_ledger(void **state)
{
	struct config_pf pf;
	struct rc_pf_state s;
	struct ledger l = {0};
	struct ledger_pf *lp;
	struct ledger_vf *lv;

	(void)state;
	parse(&pf, "[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 1]\ntrust = on\n");
	fresh_state(&s, 2, 1);
	vf_put(&s.vfs[0].cur, VFKEY_MAC, "02:00:00:00:00:01");
	vf_put(&s.vfs[0].cur, VFKEY_DRIVER, "vfio-pci");
	vf_put(&s.vfs[1].cur, VFKEY_TRUST, "on");
	lp = ledger_get(&l, "0000:01:00.0");
	lv = ledger_pf_vf(lp, 0, true);
	vf_put(&lv->orig, VFKEY_MAC, "00:00:00:00:00:00");
	vf_put(&lv->orig, VFKEY_DRIVER, "igbvf");
	/* VF 0 no longer declared: MAC and driver go back; VF 1 is as declared. */
	assert_plan(&pf, &s, lp,
		    "vf 0: mac 02:00:00:00:00:01 -> 00:00:00:00:00:00 (restore)\n"
		    "vf 0: driver vfio-pci -> igbvf (restore)\n");
	/* Already back (someone restored by hand): nothing to do. */
	vf_put(&s.vfs[0].cur, VFKEY_MAC, "00:00:00:00:00:00");
	vf_put(&s.vfs[0].cur, VFKEY_DRIVER, "igbvf");
	assert_plan(&pf, &s, lp, "");
	rc_pf_state_free(&s);
	config_pf_free(&pf);
	ledger_free(&l);
}

static void removed_pf_undone(void **state)
{
	struct rc_pf_state s;
	struct ledger l = {0};
	struct ledger_pf *lp;

	(void)state;
	fresh_state(&s, 4, 0);
	lp = ledger_get(&l, "0000:01:00.0");
	lp->has_numvfs = true;
	lp->orig_numvfs = 0;
	lp->has_autoprobe = true;
	lp->orig_autoprobe = 1;
	assert_plan(NULL, &s, lp, "autoprobe off -> on (restore)\nnumvfs 4 -> 0 (restore)\n");
	/* The VF count was the user's: VF entries are restored in place instead. */
	lp->has_numvfs = false;
	vf_put(&ledger_pf_vf(lp, 2, true)->orig, VFKEY_TRUST, "off");
	vf_put(&s.vfs[2].cur, VFKEY_TRUST, "on");
	assert_plan(NULL, &s, lp,
		    "autoprobe off -> on (restore)\nvf 2: trust on -> off (restore)\n");
	/* vfctl never touched it: an undeclared PF is left alone. */
	assert_plan(NULL, &s, NULL, "");
	rc_pf_state_free(&s);
	ledger_free(&l);
}

static void ledger_notes(void **state)
{
	struct ledger l = {0};
	struct rc_action a;
	struct ledger_pf *lp;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = RC_VF_SET;
	a.vf = 1;
	a.key = VFKEY_MAC;
	a.old_known = true;
	vf_put(&a.old, a.key, "00:00:00:00:00:00");
	vf_put(&a.value, a.key, "02:00:00:00:00:01");
	assert_int_equal(rc_ledger_note(&l, "0000:01:00.0", "/c/a.conf", &a), 0);
	/* A second change keeps the first original. */
	vf_put(&a.old, a.key, "02:00:00:00:00:01");
	vf_put(&a.value, a.key, "02:00:00:00:00:02");
	assert_int_equal(rc_ledger_note(&l, "0000:01:00.0", "/c/a.conf", &a), 0);
	lp = ledger_find(&l, "0000:01:00.0");
	assert_non_null(lp);
	assert_string_equal(lp->config, "/c/a.conf");
	assert_true(mac_is_zero(ledger_pf_vf(lp, 1, false)->orig.mac));

	/* A VF count change forgets VF entries: those VFs are gone. */
	memset(&a, 0, sizeof(a));
	a.kind = RC_NUMVFS;
	a.old_known = true;
	a.old_num = 2;
	a.num = 0;
	assert_int_equal(rc_ledger_note(&l, "0000:01:00.0", NULL, &a), 0);
	lp = ledger_find(&l, "0000:01:00.0");
	assert_int_equal(lp->nr_vfs, 0);
	assert_true(lp->has_numvfs);
	assert_int_equal(lp->orig_numvfs, 2);
	a.old_num = 0;
	a.num = 4;
	assert_int_equal(rc_ledger_note(&l, "0000:01:00.0", NULL, &a), 0);
	assert_int_equal(ledger_find(&l, "0000:01:00.0")->orig_numvfs, 2);

	/* Undo forgets; an empty entry disappears. */
	a.undo = true;
	assert_int_equal(rc_ledger_note(&l, "0000:01:00.0", NULL, &a), 0);
	assert_null(ledger_find(&l, "0000:01:00.0"));
	ledger_free(&l);
}

static void inverse_actions(void **state)
{
	struct rc_action a, inv;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = RC_VF_DRIVER;
	a.vf = 3;
	a.key = VFKEY_DRIVER;
	vf_put(&a.value, a.key, "vfio-pci");
	/* Unknown before: cannot be rolled back. */
	assert_false(rc_action_inverse(&a, &inv));
	a.old_known = true;
	vf_put(&a.old, a.key, "igbvf");
	assert_true(rc_action_inverse(&a, &inv));
	assert_string_equal(inv.value.driver, "igbvf");
	assert_string_equal(inv.old.driver, "vfio-pci");
	a.kind = RC_NUMVFS;
	a.num = 4;
	a.old_num = 0;
	assert_true(rc_action_inverse(&a, &inv));
	assert_int_equal(inv.num, 0);
	assert_int_equal(inv.old_num, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_pf_full_plan),
		cmocka_unit_test(matching_state_plans_nothing),
		cmocka_unit_test(count_change_writes_zero_first),
		cmocka_unit_test(no_netdev_refuses_link_settings),
		cmocka_unit_test(vlan_group_sent_together),
		cmocka_unit_test(undeclared_keys_restored_from_ledger),
		cmocka_unit_test(removed_pf_undone),
		cmocka_unit_test(ledger_notes),
		cmocka_unit_test(inverse_actions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
