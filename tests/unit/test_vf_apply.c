// SPDX-License-Identifier: GPL-2.0-only
/*
 * Applying VF settings: order, unchanged detection, per-setting
 * unsupported/failed outcomes, retries of transient errors, read-back.
 * The backend is a scripted driver model defined here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vf_apply.h"
#include "vflink_fake.h"

struct mock {
	struct vflink base;
	int numvfs; /* -1: not an SR-IOV PF */
	struct vf_link_info vfs[4];
	int fail_err[VF_ATTR_COUNT]; /* errno to answer ... */
	int fail_count[VF_ATTR_COUNT]; /* ... this many times (-1 always) */
	bool ignore[VF_ATTR_COUNT]; /* accept but do not apply (a lying driver) */
	enum vf_attr sent[64];
	int nsent;
	int ngets;
};

static int mock_get(struct vflink *b, const char *pf, struct vf_link_info **out, int *n,
		    struct errinfo *e)
{
	struct mock *m = (struct mock *)b;

	m->ngets++;
	if (m->numvfs < 0)
		return err_set(e, EOPNOTSUPP, "%s has no VFs", pf);
	*n = m->numvfs;
	*out = NULL;
	if (!m->numvfs)
		return 0;
	*out = malloc(sizeof(m->vfs));
	memcpy(*out, m->vfs, m->numvfs * sizeof(m->vfs[0]));
	return 0;
}

static int mock_set(struct vflink *b, const char *pf, uint32_t vf, const struct vf_attr_value *v,
		    struct errinfo *e)
{
	struct mock *m = (struct mock *)b;
	struct vf_link_info *vi = &m->vfs[vf];

	assert_true(vf < (uint32_t)m->numvfs);
	m->sent[m->nsent++] = v->attr;
	if (m->fail_count[v->attr]) {
		if (m->fail_count[v->attr] > 0)
			m->fail_count[v->attr]--;
		return vflink_report_error(e, m->fail_err[v->attr], pf, "mock", "driver text");
	}
	if (m->ignore[v->attr])
		return 0;
	switch (v->attr) {
	case VF_ATTR_MAC:
		memcpy(vi->mac, v->mac, 6);
		break;
	case VF_ATTR_VLAN:
		vi->vlan = v->vlan;
		break;
	case VF_ATTR_RATE:
		vi->min_tx_rate = v->rate.min_tx;
		vi->max_tx_rate = v->rate.max_tx;
		break;
	case VF_ATTR_SPOOFCHK:
		vi->spoofchk = v->on;
		break;
	case VF_ATTR_TRUST:
		vi->trust = v->on;
		break;
	case VF_ATTR_LINK_STATE:
		vi->link_state = v->link_state;
		break;
	case VF_ATTR_QUERY_RSS:
		vi->query_rss = v->on;
		break;
	default:
		break;
	}
	return 0;
}

static void mock_close(struct vflink *b)
{
	(void)b;
}

static const struct vflink_ops mock_ops = {mock_get, mock_set, mock_close};
static const struct vf_apply_opts fast = {.retries = 3, .backoff_ms = 0};

static int setup(void **state)
{
	struct mock *m = calloc(1, sizeof(*m));
	int i;

	m->base.ops = &mock_ops;
	m->numvfs = 2;
	for (i = 0; i < 4; i++) {
		m->vfs[i].vf = i;
		m->vfs[i].has_mac = m->vfs[i].has_vlan = m->vfs[i].has_rate = true;
		m->vfs[i].vlan.proto = VF_ETH_P_8021Q;
		m->vfs[i].spoofchk = 1;
		m->vfs[i].trust = 0;
		m->vfs[i].link_state = VF_LINK_STATE_AUTO;
		m->vfs[i].query_rss = 0;
	}
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void parse(struct vf_settings *s, int argc, const char *const *argv)
{
	struct errinfo e;

	if (vf_settings_parse(s, argc, argv, &e))
		fail_msg("parse: %s", e.msg);
}

static const struct vf_apply_result *result(const struct vf_apply_report *rep, enum vf_attr a)
{
	int i;

	for (i = 0; i < rep->n; i++)
		if (rep->r[i].attr == a)
			return &rep->r[i];
	fail_msg("no result for %s", vf_attr_name(a));
	return NULL;
}

static void applies_in_driver_friendly_order(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"query_rss",   "on",  "state",	"enable",
			      "trust",	     "on",  "spoofchk", "off",
			      "max_tx_rate", "100", "mac",	"02:00:00:00:00:07",
			      "vlan",	     "5"};
	static const enum vf_attr order[] = {VF_ATTR_VLAN,     VF_ATTR_MAC,   VF_ATTR_RATE,
					     VF_ATTR_SPOOFCHK, VF_ATTR_TRUST, VF_ATTR_LINK_STATE,
					     VF_ATTR_QUERY_RSS};
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;
	int i, c[4];

	parse(&s, 14, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 1, &s, &fast, &rep, &e), 0);
	assert_int_equal(m->nsent, 7);
	assert_int_equal(rep.n, 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(m->sent[i], order[i]);
		assert_int_equal(rep.r[i].attr, order[i]);
		assert_int_equal(rep.r[i].outcome, VF_OUTCOME_APPLIED);
		assert_int_equal(rep.r[i].attempts, 1);
	}
	vf_apply_count(&rep, c);
	assert_int_equal(c[VF_OUTCOME_APPLIED], 7);
	assert_true(rep.have_after);
	assert_memory_equal(rep.after.mac, "\x02\0\0\0\0\x07", 6);
	assert_int_equal(rep.after.vlan.vlan, 5);
	assert_int_equal(rep.after.max_tx_rate, 100);
	assert_int_equal(rep.after.link_state, VF_LINK_STATE_ENABLE);
	/* VF 0 untouched. */
	assert_memory_equal(m->vfs[0].mac, "\0\0\0\0\0\0", 6);
}

static void unchanged_settings_are_not_sent(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"spoofchk", "on", "trust", "off",
			      "vlan",	  "0",	"mac",	 "02:00:00:00:00:01"};
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	memcpy(m->vfs[0].mac, "\x02\0\0\0\0\x01", 6);
	parse(&s, 8, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	assert_int_equal(m->nsent, 0);
	/* One read serves as read-back too when nothing was sent. */
	assert_int_equal(m->ngets, 1);
	assert_true(rep.have_after);
	assert_memory_equal(rep.after.mac, "\x02\0\0\0\0\x01", 6);
	assert_int_equal(rep.n, 4);
	assert_int_equal(result(&rep, VF_ATTR_SPOOFCHK)->outcome, VF_OUTCOME_UNCHANGED);
	assert_int_equal(result(&rep, VF_ATTR_TRUST)->outcome, VF_OUTCOME_UNCHANGED);
	assert_int_equal(result(&rep, VF_ATTR_VLAN)->outcome, VF_OUTCOME_UNCHANGED);
	assert_int_equal(result(&rep, VF_ATTR_MAC)->outcome, VF_OUTCOME_UNCHANGED);
}

static void unknown_current_value_is_sent(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"trust", "off"};
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->vfs[0].trust = -1; /* driver does not report trust */
	m->ignore[VF_ATTR_TRUST] = true;
	parse(&s, 2, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	assert_int_equal(m->nsent, 1);
	/* Nothing to compare with afterwards either: accepted is all we know. */
	assert_int_equal(result(&rep, VF_ATTR_TRUST)->outcome, VF_OUTCOME_APPLIED);
}

static void unsupported_does_not_stop_the_others(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"spoofchk", "off", "state", "disable", "trust", "on"};
	const struct vf_apply_result *r;
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;
	int c[4];

	m->fail_err[VF_ATTR_LINK_STATE] = EOPNOTSUPP; /* igb has no link-state control */
	m->fail_count[VF_ATTR_LINK_STATE] = -1;
	parse(&s, 6, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 1, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_LINK_STATE);
	assert_int_equal(r->outcome, VF_OUTCOME_UNSUPPORTED);
	assert_int_equal(r->err, EOPNOTSUPP);
	assert_int_equal(r->attempts, 1);
	assert_non_null(strstr(r->msg, "does not support"));
	assert_non_null(strstr(r->msg, "driver text"));
	assert_int_equal(result(&rep, VF_ATTR_SPOOFCHK)->outcome, VF_OUTCOME_APPLIED);
	assert_int_equal(result(&rep, VF_ATTR_TRUST)->outcome, VF_OUTCOME_APPLIED);
	assert_int_equal(m->vfs[1].trust, 1);
	vf_apply_count(&rep, c);
	assert_int_equal(c[VF_OUTCOME_APPLIED], 2);
	assert_int_equal(c[VF_OUTCOME_UNSUPPORTED], 1);
}

static void transient_errors_are_retried(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"mac", "02:00:00:00:00:33", "trust", "on"};
	const struct vf_apply_result *r;
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->fail_err[VF_ATTR_MAC] = EBUSY;
	m->fail_count[VF_ATTR_MAC] = 2;
	m->fail_err[VF_ATTR_TRUST] = EAGAIN;
	m->fail_count[VF_ATTR_TRUST] = 1;
	parse(&s, 4, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_MAC);
	assert_int_equal(r->outcome, VF_OUTCOME_APPLIED);
	assert_int_equal(r->attempts, 3);
	assert_int_equal(result(&rep, VF_ATTR_TRUST)->attempts, 2);
	assert_memory_equal(m->vfs[0].mac, "\x02\0\0\0\0\x33", 6);
}

static void retries_give_up(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"mac", "02:00:00:00:00:33", "spoofchk", "off"};
	const struct vf_apply_result *r;
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->fail_err[VF_ATTR_MAC] = EBUSY;
	m->fail_count[VF_ATTR_MAC] = -1;
	parse(&s, 4, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_MAC);
	assert_int_equal(r->outcome, VF_OUTCOME_FAILED);
	assert_int_equal(r->err, EBUSY);
	assert_int_equal(r->attempts, 1 + fast.retries);
	assert_non_null(strstr(r->msg, "busy"));
	assert_int_equal(result(&rep, VF_ATTR_SPOOFCHK)->outcome, VF_OUTCOME_APPLIED);
}

static void eperm_on_vlan_clear_is_ignored_but_not_on_set(void **state)
{
	struct mock *m = *state;
	const char *clear[] = {"vlan", "0"};
	const char *set[] = {"vlan", "20"};
	const struct vf_apply_result *r;
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->vfs[0].vlan.vlan = 9;
	m->fail_err[VF_ATTR_VLAN] = EPERM;
	m->fail_count[VF_ATTR_VLAN] = -1;
	parse(&s, 2, clear);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_VLAN);
	assert_int_equal(r->outcome, VF_OUTCOME_UNCHANGED);
	assert_non_null(strstr(r->msg, "EPERM"));

	parse(&s, 2, set);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_VLAN);
	assert_int_equal(r->outcome, VF_OUTCOME_FAILED);
	assert_int_equal(r->err, EPERM);
}

static void qinq_refused_by_an_8021q_only_driver_is_unsupported(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"vlan", "30", "proto", "802.1ad", "trust", "on"};
	const struct vf_apply_result *r;
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->fail_err[VF_ATTR_VLAN] = EPROTONOSUPPORT; /* igb_ndo_set_vf_vlan() */
	m->fail_count[VF_ATTR_VLAN] = -1;
	parse(&s, 6, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_VLAN);
	assert_int_equal(r->outcome, VF_OUTCOME_UNSUPPORTED);
	assert_string_equal(r->msg, "the PF driver of pf0 does not support VLAN protocol 802.1ad");
	assert_int_equal(result(&rep, VF_ATTR_TRUST)->outcome, VF_OUTCOME_APPLIED);
}

static void rate_refusal_gets_a_hint(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"min_tx_rate", "10"};
	const struct vf_apply_result *r;
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->fail_err[VF_ATTR_RATE] = EINVAL;
	m->fail_count[VF_ATTR_RATE] = -1;
	parse(&s, 2, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_RATE);
	assert_int_equal(r->outcome, VF_OUTCOME_FAILED);
	assert_int_equal(r->err, EINVAL);
	assert_non_null(strstr(r->msg, "Invalid argument"));
	assert_non_null(strstr(r->msg, "hint: drivers refuse rates above"));
}

static void mac_not_taking_effect_is_a_failure(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"mac", "02:00:00:00:00:44", "max_tx_rate", "300"};
	const struct vf_apply_result *r;
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->ignore[VF_ATTR_MAC] = true;
	m->ignore[VF_ATTR_RATE] = true;
	parse(&s, 4, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), 0);
	r = result(&rep, VF_ATTR_MAC);
	assert_int_equal(r->outcome, VF_OUTCOME_FAILED);
	assert_string_equal(r->msg, "the driver accepted mac 02:00:00:00:00:44 but reports mac "
				    "00:00:00:00:00:00");
	r = result(&rep, VF_ATTR_RATE);
	assert_int_equal(r->outcome, VF_OUTCOME_FAILED);
	assert_non_null(strstr(r->msg, "but reports rate min_tx 0 max_tx 0"));
}

static void rate_alone_keeps_the_other_half(void **state)
{
	struct mock *m = *state;
	const char *min[] = {"min_tx_rate", "50"};
	const char *toobig[] = {"min_tx_rate", "900"};
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	m->vfs[1].max_tx_rate = 400;
	parse(&s, 2, min);
	assert_int_equal(vf_apply(&m->base, "pf0", 1, &s, &fast, &rep, &e), 0);
	assert_int_equal(result(&rep, VF_ATTR_RATE)->value.rate.max_tx, 400);
	assert_int_equal(m->vfs[1].min_tx_rate, 50);
	assert_int_equal(m->vfs[1].max_tx_rate, 400);

	m->nsent = 0;
	parse(&s, 2, toobig);
	assert_int_equal(vf_apply(&m->base, "pf0", 1, &s, &fast, &rep, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "min_tx_rate 900 would exceed max_tx_rate 400"));
	assert_int_equal(m->nsent, 0);
}

static void missing_vf_or_pf_changes_nothing(void **state)
{
	struct mock *m = *state;
	const char *argv[] = {"trust", "on"};
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;

	parse(&s, 2, argv);
	assert_int_equal(vf_apply(&m->base, "pf0", 2, &s, &fast, &rep, &e), -ENOENT);
	assert_string_equal(e.msg, "pf0 has 2 VFs (0-1); VF 2 does not exist");
	m->numvfs = 0;
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), -ENOENT);
	assert_string_equal(e.msg, "pf0 has no VFs enabled");
	assert_non_null(strstr(e.hint, "vfctl vfs pf0"));
	m->numvfs = -1;
	assert_int_equal(vf_apply(&m->base, "pf0", 0, &s, &fast, &rep, &e), -EOPNOTSUPP);
	assert_int_equal(m->nsent, 0);
	assert_int_equal(rep.n, 0);
}

static void works_through_the_fake_backend(void **state)
{
	char dir[] = "/tmp/vfapply-XXXXXX", path[64], logp[80], line[256];
	const char *argv[] = {"mac", "02:00:00:00:00:01", "spoofchk", "off", "trust", "on"};
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e;
	struct vflink *l;
	FILE *f;
	int nlines = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nl", dir);
	snprintf(logp, sizeof(logp), "%s/nl.log", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("pf enp1s0f0 numvfs 2\nfail enp1s0f0 spoofchk EOPNOTSUPP always\n"
	      "fail enp1s0f0 mac EBUSY 1\n",
	      f);
	fclose(f);
	l = vflink_open_fake(path, &e);
	assert_non_null(l);
	parse(&s, 6, argv);
	assert_int_equal(vf_apply(l, "enp1s0f0", 1, &s, &fast, &rep, &e), 0);
	assert_int_equal(result(&rep, VF_ATTR_MAC)->outcome, VF_OUTCOME_APPLIED);
	assert_int_equal(result(&rep, VF_ATTR_MAC)->attempts, 2);
	assert_int_equal(result(&rep, VF_ATTR_SPOOFCHK)->outcome, VF_OUTCOME_UNSUPPORTED);
	assert_int_equal(result(&rep, VF_ATTR_TRUST)->outcome, VF_OUTCOME_APPLIED);
	vflink_close(l);
	f = fopen(logp, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		nlines++;
	fclose(f);
	/* get, mac EBUSY, mac ok, get (read back), spoofchk, trust, get (final) */
	assert_int_equal(nlines, 7);
	unlink(logp);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(applies_in_driver_friendly_order),
		T(unchanged_settings_are_not_sent),
		T(unknown_current_value_is_sent),
		T(unsupported_does_not_stop_the_others),
		T(transient_errors_are_retried),
		T(retries_give_up),
		T(eperm_on_vlan_clear_is_ignored_but_not_on_set),
		T(qinq_refused_by_an_8021q_only_driver_is_unsupported),
		T(rate_refusal_gets_a_hint),
		T(mac_not_taking_effect_is_a_failure),
		T(rate_alone_keeps_the_other_half),
		T(missing_vf_or_pf_changes_nothing),
		T(works_through_the_fake_backend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
