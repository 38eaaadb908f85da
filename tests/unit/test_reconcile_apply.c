// SPDX-License-Identifier: GPL-2.0-only
/*
 * The apply executor against an in-memory fake of the devices: apply twice
 * (second changes nothing), undo of removed config, rollback on failure,
 * failed rollback reported as partial, unsupported settings, conflicts,
 * dry run and --pf.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "apply.h"

#define FAKE_VFS 8

struct fake_vf {
	struct vf_settings s; /* every key known; driver "" = none */
};

/* A value as the user writes it (a rotating buffer: a few per assert). */
static const char *vs(const struct fake_vf *v, int k)
{
	static char buf[4][VF_DRIVER_LEN];
	static int n;

	return vf_settings_value_str(&v->s, k, buf[n++ % 4], VF_DRIVER_LEN);
}

struct fake_pf {
	char bdf[CONFIG_BDF_LEN];
	char mac[18];
	int totalvfs, numvfs, autoprobe;
	int offline; /* NVMe-like: VFs whose controller is offline */
	struct fake_vf vf[FAKE_VFS];
};

enum fake_op { OP_AUTOPROBE, OP_NUMVFS, OP_SET, OP_DRIVER, OP_NR };

struct fake {
	struct fake_pf pf[2];
	int calls[OP_NR]; /* calls so far per op */
	int fail_at[OP_NR]; /* fail the Nth call (1-based) of op, 0 = never */
	int fail_err[OP_NR];
	int unsupported_key; /* set_vf of this key answers EOPNOTSUPP (-1: none) */
	int ignored_key; /* set_vf of this key says yes and changes nothing (-1: none) */
	int changes; /* successful changing calls */
};

static struct fake_pf *fake_find(struct fake *f, const char *bdf)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(f->pf[i].bdf, bdf))
			return &f->pf[i];
	return NULL;
}

static int fake_fail(struct fake *f, enum fake_op op, struct errinfo *e)
{
	f->calls[op]++;
	if (f->fail_at[op] && f->calls[op] == f->fail_at[op])
		return err_set(e, f->fail_err[op], "injected failure of op %d", op);
	return 0;
}

static int fake_resolve(void *priv, const struct config_pf *want, char bdf[CONFIG_BDF_LEN],
			struct errinfo *e)
{
	struct fake *f = priv;

	for (int i = 0; i < 2; i++)
		if ((want->match == CONFIG_MATCH_BDF && !strcmp(want->match_val, f->pf[i].bdf)) ||
		    (want->match == CONFIG_MATCH_MAC && !strcmp(want->match_val, f->pf[i].mac))) {
			snprintf(bdf, CONFIG_BDF_LEN, "%s", f->pf[i].bdf);
			return 0;
		}
	return err_set(e, ENODEV, "no SR-IOV PF matches %s", want->match_val);
}

static int fake_read(void *priv, const char *bdf, struct rc_pf_state *st, struct errinfo *e)
{
	struct fake_pf *p = fake_find(priv, bdf);

	memset(st, 0, sizeof(*st));
	if (!p)
		return err_set(e, ENODEV, "no PF %s", bdf);
	snprintf(st->bdf, sizeof(st->bdf), "%s", bdf);
	snprintf(st->netdev, sizeof(st->netdev), "eth-%s", bdf + 8);
	st->totalvfs = p->totalvfs;
	st->numvfs = p->numvfs;
	st->autoprobe = p->autoprobe;
	st->vfs_offline = p->offline;
	st->nr_vfs = p->numvfs;
	st->vfs = calloc((size_t)p->numvfs + 1, sizeof(*st->vfs));
	for (int i = 0; i < p->numvfs; i++) {
		st->vfs[i].index = i;
		snprintf(st->vfs[i].bdf, sizeof(st->vfs[i].bdf), "%.7s10.%d", bdf, i & 7);
		st->vfs[i].cur = p->vf[i].s;
	}
	return 0;
}

static int fake_autoprobe(void *priv, const struct rc_pf_state *st, int on, struct errinfo *e)
{
	struct fake *f = priv;
	int r = fake_fail(f, OP_AUTOPROBE, e);

	if (r)
		return r;
	fake_find(f, st->bdf)->autoprobe = on;
	f->changes++;
	return 0;
}

static int fake_numvfs(void *priv, const struct rc_pf_state *st, int n, struct errinfo *e)
{
	struct fake *f = priv;
	struct fake_pf *p = fake_find(f, st->bdf);
	int r = fake_fail(f, OP_NUMVFS, e);

	if (r)
		return r;
	/* Kernel behaviour the planner must respect. */
	if (n > p->totalvfs)
		return err_set(e, ERANGE, "numvfs %d > totalvfs", n);
	if (n && p->numvfs && n != p->numvfs)
		return err_set(e, EBUSY, "write 0 first");
	for (int i = p->numvfs; i < n; i++) {
		vf_settings_defaults(&p->vf[i].s);
		snprintf(p->vf[i].s.driver, VF_DRIVER_LEN, "%s", p->autoprobe ? "igbvf" : "");
		p->vf[i].s.given |= 1u << VFKEY_DRIVER;
	}
	p->numvfs = n;
	f->changes++;
	return 0;
}

static int fake_online(void *priv, const struct rc_pf_state *st, int n, struct errinfo *e)
{
	struct fake *f = priv;
	struct fake_pf *p = fake_find(f, st->bdf);

	(void)e;
	assert_int_equal(n, p->numvfs);
	p->offline = 0;
	f->changes++;
	return 0;
}

static int fake_set_vf(void *priv, const struct rc_pf_state *st, int vf,
		       const struct vf_settings *want, struct errinfo *e)
{
	struct fake *f = priv;
	struct fake_pf *p = fake_find(f, st->bdf);
	int r = fake_fail(f, OP_SET, e), group = -1;

	if (r)
		return r;
	assert_true(vf < p->numvfs);
	assert_false(vf_settings_has(want, VFKEY_DRIVER));
	for (int k = 0; k < VFKEY_NR; k++) {
		if (!vf_settings_has(want, k))
			continue;
		/* One call is one kernel attribute: never two groups at once. */
		if (group >= 0)
			assert_int_equal(vfkey_group(k), group);
		group = vfkey_group(k);
		if (k == f->unsupported_key)
			return err_set(e, EOPNOTSUPP, "%s not supported", vfkey_name(k));
	}
	for (int k = 0; k < VFKEY_NR; k++)
		if (vf_settings_has(want, k) && k != f->ignored_key)
			vf_settings_copy_key(&p->vf[vf].s, want, k);
	f->changes++;
	return 0;
}

static int fake_driver(void *priv, const struct rc_pf_state *st, int vf, const char *driver,
		       struct errinfo *e)
{
	struct fake *f = priv;
	struct fake_pf *p = fake_find(f, st->bdf);
	int r = fake_fail(f, OP_DRIVER, e);

	if (r)
		return r;
	snprintf(p->vf[vf].s.driver, VF_DRIVER_LEN, "%s", driver);
	f->changes++;
	return 0;
}

static const struct apply_ops fake_ops = {
	.resolve = fake_resolve,
	.read = fake_read,
	.set_autoprobe = fake_autoprobe,
	.set_numvfs = fake_numvfs,
	.online_vfs = fake_online,
	.set_vf = fake_set_vf,
	.set_driver = fake_driver,
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->unsupported_key = -1;
	f->ignored_key = -1;
	snprintf(f->pf[0].bdf, CONFIG_BDF_LEN, "0000:01:00.0");
	snprintf(f->pf[0].mac, 18, "52:54:00:00:00:01");
	snprintf(f->pf[1].bdf, CONFIG_BDF_LEN, "0000:02:00.0");
	snprintf(f->pf[1].mac, 18, "52:54:00:00:00:02");
	for (int i = 0; i < 2; i++) {
		f->pf[i].totalvfs = 7;
		f->pf[i].autoprobe = 1;
	}
}

static const char *const conf_a =
	"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 3\nautoprobe = off\n"
	"[vf 0]\nmac = 02:00:00:00:00:01\nvlan = 10\nqos = 2\ndriver = vfio-pci\n"
	"[vf 2]\ntrust = on\nstate = disable\nmax_tx_rate = 500\n";

static void load(struct config_set *set, const char *const *texts, int n)
{
	struct errinfo e;

	memset(set, 0, sizeof(*set));
	set->pfs = calloc((size_t)n, sizeof(*set->pfs));
	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "/etc/vfctl.d/%c.conf", 'a' + i);
		if (config_parse_text(name, texts[i], &set->pfs[i], &e))
			fail_msg("%s", e.msg);
		set->nr_pfs++;
	}
}

static enum apply_outcome run(struct fake *f, const struct config_set *set, struct ledger *led,
			      const char *only, bool dry, struct apply_report *rep)
{
	struct apply_opts o = {.only_bdf = only, .dry_run = dry, .state_dir = NULL};
	struct errinfo e;

	assert_int_equal(apply_run(&fake_ops, f, set, led, &o, rep, &e), 0);
	return apply_report_outcome(rep);
}

static void assert_declared(const struct fake_pf *p)
{
	assert_int_equal(p->numvfs, 3);
	assert_int_equal(p->autoprobe, 0);
	assert_string_equal(vs(&p->vf[0], VFKEY_MAC), "02:00:00:00:00:01");
	assert_string_equal(vs(&p->vf[0], VFKEY_VLAN), "10");
	assert_string_equal(vs(&p->vf[0], VFKEY_QOS), "2");
	assert_string_equal(p->vf[0].s.driver, "vfio-pci");
	assert_string_equal(p->vf[1].s.driver, "");
	assert_string_equal(vs(&p->vf[2], VFKEY_TRUST), "on");
	assert_string_equal(vs(&p->vf[2], VFKEY_STATE), "disable");
	assert_string_equal(vs(&p->vf[2], VFKEY_MAX_TX_RATE), "500");
}

static void apply_twice_then_remove(void **state)
{
	const char *const texts[] = {conf_a};
	struct config_set set, none = {0};
	struct ledger led = {0};
	struct apply_report rep;
	struct fake f;
	const struct ledger_pf *lp;

	(void)state;
	fake_init(&f);
	load(&set, texts, 1);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_OK);
	assert_int_equal(rep.nr_pfs, 1);
	assert_string_equal(rep.pfs[0].changed[0], "autoprobe on -> off");
	assert_string_equal(rep.pfs[0].changed[1], "numvfs 0 -> 3");
	/* After creation, VF changes are planned against the real new values. */
	assert_string_equal(rep.pfs[0].changed[2], "vf 0: vlan 0 -> 10");
	assert_declared(&f.pf[0]);
	apply_report_free(&rep);
	lp = ledger_find(&led, "0000:01:00.0");
	assert_non_null(lp);
	assert_true(lp->has_numvfs && lp->orig_numvfs == 0);
	assert_true(lp->has_autoprobe && lp->orig_autoprobe == 1);
	assert_string_equal(lp->config, "/etc/vfctl.d/a.conf");

	/* Second apply: nothing called, nothing changed. */
	f.changes = 0;
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_UNCHANGED);
	assert_int_equal(f.changes, 0);
	assert_int_equal(rep.pfs[0].nr_changed, 0);
	apply_report_free(&rep);

	/* Config removed: everything vfctl changed goes back, the ledger empties. */
	assert_int_equal(run(&f, &none, &led, NULL, false, &rep), APPLY_OK);
	assert_int_equal(rep.nr_pfs, 1);
	assert_string_equal(rep.pfs[0].config, "");
	assert_int_equal(f.pf[0].numvfs, 0);
	assert_int_equal(f.pf[0].autoprobe, 1);
	assert_int_equal(led.nr_pfs, 0);
	apply_report_free(&rep);
	f.changes = 0;
	assert_int_equal(run(&f, &none, &led, NULL, false, &rep), APPLY_UNCHANGED);
	assert_int_equal(rep.nr_pfs, 0);
	assert_int_equal(f.changes, 0);
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

static void failure_rolls_back(void **state)
{
	const char *const texts[] = {conf_a};
	struct config_set set;
	struct ledger led = {0};
	struct apply_report rep;
	struct fake f;

	(void)state;
	fake_init(&f);
	load(&set, texts, 1);
	f.fail_at[OP_DRIVER] = 1;
	f.fail_err[OP_DRIVER] = EBUSY;
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_FAILED);
	assert_int_equal(rep.pfs[0].err.err, EBUSY);
	assert_non_null(strstr(rep.pfs[0].err.msg,
			       "PF 0000:01:00.0: vf 0: driver (none) -> vfio-pci: injected"));
	/* Everything this run did is undone, newest first, and reported so. */
	assert_int_equal(f.pf[0].numvfs, 0);
	assert_int_equal(f.pf[0].autoprobe, 1);
	assert_int_equal(rep.pfs[0].nr_changed, 0);
	assert_true(rep.pfs[0].nr_rolled_back > 0);
	assert_string_equal(rep.pfs[0].rolled_back[rep.pfs[0].nr_rolled_back - 1],
			    "autoprobe off -> on");
	assert_int_equal(led.nr_pfs, 0);
	apply_report_free(&rep);

	/* Rollback itself fails: partial, and what stayed is listed. */
	fake_init(&f);
	f.fail_at[OP_DRIVER] = 1;
	f.fail_err[OP_DRIVER] = EIO;
	f.fail_at[OP_NUMVFS] = 2;
	f.fail_err[OP_NUMVFS] = EBUSY;
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_PARTIAL);
	assert_int_equal(rep.pfs[0].err.err, EIO);
	assert_true(rep.pfs[0].nr_changed > 0);
	assert_int_equal(f.pf[0].numvfs, 3);
	/* The ledger still knows the originals, so a later apply can undo them. */
	assert_non_null(ledger_find(&led, "0000:01:00.0"));
	assert_true(ledger_find(&led, "0000:01:00.0")->has_numvfs);
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

static void unsupported_is_partial(void **state)
{
	const char *const texts[] = {conf_a};
	struct config_set set;
	struct ledger led = {0};
	struct apply_report rep;
	const struct ledger_vf *lv;
	struct fake f;

	(void)state;
	fake_init(&f);
	load(&set, texts, 1);
	f.unsupported_key = VFKEY_STATE;
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_PARTIAL);
	assert_int_equal(rep.pfs[0].nr_unsupported, 1);
	assert_non_null(strstr(rep.pfs[0].unsupported[0], "vf 2: state auto -> disable"));
	/* The other settings still went ahead. */
	assert_string_equal(vs(&f.pf[0].vf[2], VFKEY_TRUST), "on");
	assert_string_equal(f.pf[0].vf[0].s.driver, "vfio-pci");
	/* The original of the setting not made was written ahead, then taken back. */
	lv = ledger_pf_vf_const(ledger_find_const(&led, "0000:01:00.0"), 2);
	assert_non_null(lv);
	assert_true(vf_settings_has(&lv->orig, VFKEY_TRUST));
	assert_false(vf_settings_has(&lv->orig, VFKEY_STATE));
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

static void conflict_dry_run_and_only(void **state)
{
	const char *const two[] = {
		"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 1\n",
		"[pf]\nmatch = mac 52:54:00:00:00:01\nnumvfs = 2\n",
	};
	const char *const both[] = {
		"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 1\n",
		"[pf]\nmatch = mac 52:54:00:00:00:02\nnumvfs = 2\n",
	};
	struct config_set set;
	struct ledger led = {0};
	struct apply_report rep;
	struct fake f;

	(void)state;
	fake_init(&f);
	/* Two files resolve to one PF: neither applies. */
	load(&set, two, 2);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_FAILED);
	assert_int_equal(rep.nr_pfs, 2);
	assert_non_null(
		strstr(rep.pfs[1].err.msg,
		       "/etc/vfctl.d/a.conf and /etc/vfctl.d/b.conf both match PF 0000:01:00.0"));
	assert_int_equal(f.changes, 0);
	apply_report_free(&rep);
	config_set_free(&set);

	/* Dry run: the plan, and no change at all. */
	load(&set, both, 2);
	assert_int_equal(run(&f, &set, &led, NULL, true, &rep), APPLY_OK);
	assert_int_equal(f.changes, 0);
	assert_int_equal(rep.pfs[0].plan.nr, 1);
	assert_int_equal(rep.pfs[1].plan.nr, 1);
	assert_int_equal(led.nr_pfs, 0);
	apply_report_free(&rep);

	/* --pf: only that PF. */
	assert_int_equal(run(&f, &set, &led, "0000:02:00.0", false, &rep), APPLY_OK);
	assert_int_equal(rep.nr_pfs, 1);
	assert_int_equal(f.pf[0].numvfs, 0);
	assert_int_equal(f.pf[1].numvfs, 2);
	apply_report_free(&rep);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_OK);
	assert_int_equal(f.pf[0].numvfs, 1);
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

/* A PF reset took the NVMe VF controllers offline: apply brings them back. */
static void offline_vfs_brought_online(void **state)
{
	const char *const texts[] = {"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n"};
	struct config_set set;
	struct ledger led = {0};
	struct apply_report rep;
	struct fake f;

	(void)state;
	fake_init(&f);
	load(&set, texts, 1);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_OK);
	apply_report_free(&rep);
	f.pf[0].offline = 2;
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_OK);
	assert_int_equal(rep.pfs[0].nr_changed, 1);
	assert_string_equal(rep.pfs[0].changed[0], "online 2 offline NVMe VF controller(s) of 2");
	assert_int_equal(f.pf[0].offline, 0);
	apply_report_free(&rep);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_UNCHANGED);
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

static void unresolved_file_keeps_its_pf(void **state)
{
	const char *const gone[] = {"[pf]\nmatch = mac 52:54:00:00:00:09\nnumvfs = 1\n"};
	struct config_set set;
	struct ledger led = {0};
	struct ledger_pf *lp;
	struct apply_report rep;
	struct fake f;

	(void)state;
	fake_init(&f);
	f.pf[0].numvfs = 0;
	lp = ledger_get(&led, "0000:01:00.0");
	lp->has_autoprobe = true;
	lp->orig_autoprobe = 0;
	snprintf(lp->config, sizeof(lp->config), "/etc/vfctl.d/a.conf");
	/* The file for this PF does not resolve now (no MAC yet): do not undo it. */
	load(&set, gone, 1);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_FAILED);
	assert_int_equal(rep.nr_pfs, 1);
	assert_int_equal(rep.pfs[0].err.err, ENODEV);
	assert_non_null(strstr(rep.pfs[0].err.msg, "/etc/vfctl.d/a.conf:2: no SR-IOV PF matches"));
	assert_int_equal(f.pf[0].autoprobe, 1);
	assert_int_equal(f.changes, 0);
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

static void report_json(void **state)
{
	const char *const texts[] = {"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 1\n"};
	struct config_set set;
	struct ledger led = {0};
	struct apply_report rep;
	struct json_object *j;
	struct fake f;
	const char *s;

	(void)state;
	fake_init(&f);
	load(&set, texts, 1);
	run(&f, &set, &led, NULL, false, &rep);
	j = apply_report_json(&rep);
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(s, "\"result\":\"ok\",\"pfs\":[{\"bdf\":\"0000:01:00.0\","
				  "\"config\":\"\\/etc\\/vfctl.d\\/a.conf\",\"result\":\"ok\","
				  "\"changed\":[\"numvfs 0 -> 1\"]"));
	json_object_put(j);
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

/*
 * One typed value from the file to the device and back: config -> struct
 * -> apply -> ledger -> JSON -> ledger -> undo, with no text in between.
 */
static void typed_round_trip_through_ledger_json(void **state)
{
	const char *const texts[] = {
		"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n"
		"[vf 1]\nmac = 02:00:00:00:00:07\nvlan = 5\nqos = 1\nproto = 802.1AD\n"
		"driver = vfio-pci\n",
	};
	struct config_set set, none = {0};
	struct ledger led = {0}, back;
	struct apply_report rep;
	struct errinfo e;
	struct fake f;
	const struct ledger_vf *lv;
	struct fake_vf *v;
	char *text;

	(void)state;
	fake_init(&f);
	f.pf[0].numvfs = 2;
	for (int i = 0; i < 2; i++) {
		vf_settings_defaults(&f.pf[0].vf[i].s);
		snprintf(f.pf[0].vf[i].s.driver, VF_DRIVER_LEN, "igbvf");
		f.pf[0].vf[i].s.given |= 1u << VFKEY_DRIVER;
	}
	v = &f.pf[0].vf[1];
	mac_parse("02:00:00:00:00:99", v->s.mac);
	load(&set, texts, 1);
	assert_int_equal(set.pfs[0].vfs[0].set.vlan.proto, VF_ETH_P_8021AD);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_OK);
	apply_report_free(&rep);
	assert_memory_equal(v->s.mac, "\x02\x00\x00\x00\x00\x07", 6);
	assert_int_equal(v->s.vlan.vlan, 5);
	assert_int_equal(v->s.vlan.qos, 1);
	assert_int_equal(v->s.vlan.proto, VF_ETH_P_8021AD);
	assert_string_equal(v->s.driver, "vfio-pci");

	text = ledger_to_json(&led);
	assert_non_null(text);
	ledger_free(&led);
	assert_int_equal(ledger_from_json(text, "t", &back, &e), 0);
	free(text);
	lv = ledger_pf_vf_const(ledger_find_const(&back, "0000:01:00.0"), 1);
	assert_non_null(lv);
	assert_memory_equal(lv->orig.mac, "\x02\x00\x00\x00\x00\x99", 6);
	assert_int_equal(lv->orig.vlan.vlan, 0);
	assert_int_equal(lv->orig.vlan.proto, VF_ETH_P_8021Q);
	assert_string_equal(lv->orig.driver, "igbvf");
	assert_null(ledger_pf_vf_const(ledger_find_const(&back, "0000:01:00.0"), 0));

	/* The file goes: the reloaded originals go back, the ledger empties. */
	assert_int_equal(run(&f, &none, &back, NULL, false, &rep), APPLY_OK);
	apply_report_free(&rep);
	assert_memory_equal(v->s.mac, "\x02\x00\x00\x00\x00\x99", 6);
	assert_int_equal(v->s.vlan.vlan, 0);
	assert_int_equal(v->s.vlan.proto, VF_ETH_P_8021Q);
	assert_string_equal(v->s.driver, "igbvf");
	assert_int_equal(back.nr_pfs, 0);
	ledger_free(&back);
	config_set_free(&set);
}

/* A driver that says yes and does not apply: caught by the one read after the settings. */
static void accepted_but_not_applied_rolls_back(void **state)
{
	const char *const texts[] = {conf_a};
	struct config_set set;
	struct ledger led = {0};
	struct apply_report rep;
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ignored_key = VFKEY_TRUST;
	load(&set, texts, 1);
	assert_int_equal(run(&f, &set, &led, NULL, false, &rep), APPLY_FAILED);
	assert_non_null(
		strstr(rep.pfs[0].err.msg,
		       "PF 0000:01:00.0: vf 2: the driver accepted trust on but reports off"));
	/* Checked before any driver bind: no bind was attempted. */
	assert_int_equal(f.calls[OP_DRIVER], 0);
	assert_int_equal(f.pf[0].numvfs, 0);
	assert_int_equal(f.pf[0].autoprobe, 1);
	assert_int_equal(led.nr_pfs, 0);
	apply_report_free(&rep);
	config_set_free(&set);
	ledger_free(&led);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(typed_round_trip_through_ledger_json),
		cmocka_unit_test(accepted_but_not_applied_rolls_back),
		cmocka_unit_test(apply_twice_then_remove),
		cmocka_unit_test(failure_rolls_back),
		cmocka_unit_test(unsupported_is_partial),
		cmocka_unit_test(conflict_dry_run_and_only),
		cmocka_unit_test(offline_vfs_brought_online),
		cmocka_unit_test(unresolved_file_keeps_its_pf),
		cmocka_unit_test(report_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
