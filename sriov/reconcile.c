// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "reconcile.h"

static struct rc_action *plan_add(struct rc_plan *p, enum rc_kind kind, int vf)
{
	struct rc_action *na = realloc(p->acts, sizeof(*na) * (size_t)(p->nr + 1));

	if (!na)
		return NULL;
	p->acts = na;
	na = &na[p->nr++];
	memset(na, 0, sizeof(*na));
	na->kind = kind;
	na->vf = vf;
	return na;
}

static const struct rc_vf_state *have_vf(const struct rc_pf_state *h, int idx, bool recreate)
{
	if (recreate || idx >= h->nr_vfs)
		return NULL;
	return &h->vfs[idx];
}

/* What each key should become: the declared value, or the ledger's original. */
struct vf_target {
	unsigned int undo; /* 1 << key: the value is the ledger's original */
	struct vf_settings val; /* given = keys with a target */
};

static void vf_targets(const struct config_vf *cv, const struct ledger_vf *lv, struct vf_target *t)
{
	t->undo = 0;
	vf_settings_init(&t->val);
	for (int k = 0; k < VFKEY_NR; k++) {
		if (cv && vf_settings_has(&cv->set, k)) {
			vf_settings_copy_key(&t->val, &cv->set, k);
		} else if (lv && vf_settings_has(&lv->orig, k)) {
			vf_settings_copy_key(&t->val, &lv->orig, k);
			t->undo |= 1u << k;
		}
	}
}

static bool differs(const struct rc_vf_state *hv, int k, const struct vf_settings *val)
{
	return !hv || !vf_settings_has(&hv->cur, k) || !vf_settings_same(&hv->cur, val, k);
}

/* An action changing key k of VF idx to t's value. */
static int plan_key(struct rc_plan *p, enum rc_kind kind, int idx, int k, const struct vf_target *t,
		    const struct rc_vf_state *hv)
{
	struct rc_action *a = plan_add(p, kind, idx);

	if (!a)
		return -ENOMEM;
	a->key = k;
	a->undo = t->undo & (1u << k);
	vf_settings_init(&a->value);
	vf_settings_init(&a->old);
	vf_settings_copy_key(&a->value, &t->val, k);
	if (hv && vf_settings_has(&hv->cur, k)) {
		a->old_known = true;
		vf_settings_copy_key(&a->old, &hv->cur, k);
	}
	return 0;
}

static int plan_vf_settings(struct rc_plan *p, int idx, const struct config_vf *cv,
			    const struct ledger_vf *lv, const struct rc_vf_state *hv)
{
	struct vf_target t;
	bool group_dirty[3] = {false, false, false};

	vf_targets(cv, lv, &t);
	for (int k = 0; k < VFKEY_LINK_NR; k++)
		if (vf_settings_has(&t.val, k) && differs(hv, k, &t.val))
			group_dirty[vfkey_group(k)] = true;
	for (int k = 0; k < VFKEY_LINK_NR; k++) {
		int g = vfkey_group(k);

		if (!vf_settings_has(&t.val, k))
			continue;
		/*
		 * An undo only when the value really differs; a declared key
		 * is sent when it or a member of its group differs.
		 */
		if (g ? !group_dirty[g] : !differs(hv, k, &t.val))
			continue;
		if ((t.undo & (1u << k)) && !differs(hv, k, &t.val) && !group_dirty[g])
			continue;
		if (plan_key(p, RC_VF_SET, idx, k, &t, hv))
			return -ENOMEM;
	}
	return 0;
}

static int plan_vf_driver(struct rc_plan *p, int idx, const struct config_vf *cv,
			  const struct ledger_vf *lv, const struct rc_vf_state *hv)
{
	struct vf_target t;

	vf_targets(cv, lv, &t);
	/* A declared "no driver" is not a thing: an empty driver leaves it alone. */
	if (cv && vf_settings_has(&cv->set, VFKEY_DRIVER) && !cv->set.driver[0])
		return 0;
	if (!vf_settings_has(&t.val, VFKEY_DRIVER) || !differs(hv, VFKEY_DRIVER, &t.val))
		return 0;
	return plan_key(p, RC_VF_DRIVER, idx, VFKEY_DRIVER, &t, hv);
}

static bool has_link_keys(const struct config_pf *want)
{
	for (int i = 0; i < want->nr_vfs; i++)
		if (want->vfs[i].set.given & ((1u << VFKEY_LINK_NR) - 1))
			return true;
	return false;
}
int rc_plan_pf(const struct config_pf *want, const struct rc_pf_state *have,
	       const struct ledger_pf *led, struct rc_plan *plan, struct errinfo *e)
{
	struct rc_action *a;
	int target_numvfs, target_ap = -1, nvf;
	bool ap_undo = false, numvfs_undo = false, recreate;
	int ret = -ENOMEM;

	memset(plan, 0, sizeof(*plan));
	snprintf(plan->bdf, sizeof(plan->bdf), "%s", have->bdf);

	if (want) {
		if (want->numvfs > have->totalvfs)
			return err_set(e, ERANGE,
				       "%s:%d: numvfs = %d is above what PF %s supports "
				       "(sriov_totalvfs = %d)",
				       want->path, want->numvfs_line, want->numvfs, have->bdf,
				       have->totalvfs);
		if (!have->netdev[0] && has_link_keys(want))
			return err_set(e, EOPNOTSUPP,
				       "%s: VF link settings (mac, vlan, ...) need a PF network "
				       "interface, and PF %s has none",
				       want->path, have->bdf);
		target_numvfs = want->numvfs;
		if (want->autoprobe >= 0) {
			target_ap = want->autoprobe;
		} else if (led && led->has_autoprobe) {
			target_ap = led->orig_autoprobe;
			ap_undo = true;
		}
	} else {
		target_numvfs = led && led->has_numvfs ? led->orig_numvfs : have->numvfs;
		numvfs_undo = true;
		if (led && led->has_autoprobe) {
			target_ap = led->orig_autoprobe;
			ap_undo = true;
		}
	}
	if (target_numvfs > have->totalvfs)
		return err_set(e, ERANGE,
			       "cannot restore %d VFs on PF %s: sriov_totalvfs is now %d",
			       target_numvfs, have->bdf, have->totalvfs);

	/* autoprobe first: it decides whether VFs created below get host drivers. */
	if (target_ap >= 0 && target_ap != have->autoprobe) {
		a = plan_add(plan, RC_AUTOPROBE, -1);
		if (!a)
			goto fail;
		a->num = target_ap;
		a->undo = ap_undo;
		a->old_num = have->autoprobe;
		a->old_known = have->autoprobe >= 0;
	}

	recreate = target_numvfs != have->numvfs;
	if (recreate) {
		if (have->numvfs > 0) {
			a = plan_add(plan, RC_NUMVFS, -1);
			if (!a)
				goto fail;
			a->num = 0;
			a->undo = numvfs_undo && target_numvfs == 0;
			a->old_num = have->numvfs;
			a->old_known = true;
		}
		if (target_numvfs > 0) {
			a = plan_add(plan, RC_NUMVFS, -1);
			if (!a)
				goto fail;
			a->num = target_numvfs;
			a->undo = numvfs_undo;
			a->old_num = 0;
			a->old_known = true;
		}
	}

	/* Recreated VFs are brought online by the VF count change itself. */
	if (want && !recreate && target_numvfs > 0 && have->vfs_offline > 0) {
		a = plan_add(plan, RC_VF_ONLINE, -1);
		if (!a)
			goto fail;
		a->num = target_numvfs;
		a->old_num = have->vfs_offline;
		a->old_known = true;
	}

	/*
	 * Per-VF work for the VFs that will exist.  After a recreate the
	 * ledger's VF entries describe VFs that are gone, so only declared
	 * settings are planned (against unknown values).
	 */
	nvf = target_numvfs;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < nvf; i++) {
			const struct config_vf *cv = want ? config_pf_vf(want, i) : NULL;
			const struct ledger_vf *lv = recreate ? NULL : ledger_pf_vf_const(led, i);
			const struct rc_vf_state *hv = have_vf(have, i, recreate);

			if (!cv && !lv)
				continue;
			ret = pass ? plan_vf_driver(plan, i, cv, lv, hv)
				   : plan_vf_settings(plan, i, cv, lv, hv);
			if (ret)
				goto fail;
		}
	}
	return 0;
fail:
	rc_plan_free(plan);
	return err_set(e, -ret, "planning PF %s: out of memory", have->bdf);
}

void rc_plan_free(struct rc_plan *plan)
{
	free(plan->acts);
	plan->acts = NULL;
	plan->nr = 0;
}

int rc_ledger_note(struct ledger *l, const char *bdf, const char *config, const struct rc_action *a)
{
	struct ledger_pf *p = ledger_get(l, bdf);
	struct ledger_vf *v;

	if (!p)
		return -ENOMEM;
	if (config)
		snprintf(p->config, sizeof(p->config), "%s", config);
	switch (a->kind) {
	case RC_AUTOPROBE:
		if (a->undo)
			p->has_autoprobe = false;
		else if (!p->has_autoprobe && a->old_known) {
			p->has_autoprobe = true;
			p->orig_autoprobe = a->old_num;
		}
		break;
	case RC_NUMVFS:
		if (a->undo)
			p->has_numvfs = false;
		else if (!p->has_numvfs && a->old_known) {
			p->has_numvfs = true;
			p->orig_numvfs = a->old_num;
		}
		ledger_pf_drop_vfs(p);
		break;
	case RC_VF_ONLINE:
		/* Restores usability, changes no setting: nothing to remember. */
		return 0;
	case RC_VF_SET:
	case RC_VF_DRIVER:
		v = ledger_pf_vf(p, a->vf, !a->undo);
		if (!v)
			return a->undo ? 0 : -ENOMEM;
		if (a->undo)
			vf_settings_drop(&v->orig, a->key);
		else if (!vf_settings_has(&v->orig, a->key) && a->old_known)
			vf_settings_copy_key(&v->orig, &a->old, a->key);
		break;
	}
	ledger_tidy(l);
	return 0;
}

int rc_ledger_intent(struct ledger *l, const char *bdf, const char *config,
		     const struct rc_action *a, bool *added)
{
	struct ledger_pf *p;
	struct ledger_vf *v;

	*added = false;
	if (a->undo || !a->old_known || a->kind == RC_VF_ONLINE)
		return 0;
	p = ledger_get(l, bdf);
	if (!p)
		return -ENOMEM;
	if (config)
		snprintf(p->config, sizeof(p->config), "%s", config);
	switch (a->kind) {
	case RC_AUTOPROBE:
		if (!p->has_autoprobe) {
			p->has_autoprobe = true;
			p->orig_autoprobe = a->old_num;
			*added = true;
		}
		break;
	case RC_NUMVFS:
		if (!p->has_numvfs) {
			p->has_numvfs = true;
			p->orig_numvfs = a->old_num;
			*added = true;
		}
		break;
	case RC_VF_SET:
	case RC_VF_DRIVER:
		v = ledger_pf_vf(p, a->vf, true);
		if (!v)
			return -ENOMEM;
		if (!vf_settings_has(&v->orig, a->key)) {
			vf_settings_copy_key(&v->orig, &a->old, a->key);
			*added = true;
		}
		break;
	case RC_VF_ONLINE:
		break;
	}
	return 0;
}

void rc_ledger_forget(struct ledger *l, const char *bdf, const struct rc_action *a)
{
	struct ledger_pf *p = ledger_find(l, bdf);
	struct ledger_vf *v;

	if (!p)
		return;
	switch (a->kind) {
	case RC_AUTOPROBE:
		p->has_autoprobe = false;
		break;
	case RC_NUMVFS:
		p->has_numvfs = false;
		break;
	case RC_VF_SET:
	case RC_VF_DRIVER:
		v = ledger_pf_vf(p, a->vf, false);
		if (v)
			vf_settings_drop(&v->orig, a->key);
		break;
	case RC_VF_ONLINE:
		break;
	}
	ledger_tidy(l);
}

void rc_action_str(const struct rc_action *a, char *buf, size_t size)
{
	const char *tag = a->undo ? " (restore)" : "";
	char old[VF_DRIVER_LEN], val[VF_DRIVER_LEN];

	if (a->kind == RC_VF_SET || a->kind == RC_VF_DRIVER) {
		vf_settings_value_str(&a->value, a->key, val, sizeof(val));
		if (a->old_known)
			vf_settings_value_str(&a->old, a->key, old, sizeof(old));
		else
			snprintf(old, sizeof(old), "?");
	}

	switch (a->kind) {
	case RC_AUTOPROBE:
		if (a->old_known)
			snprintf(buf, size, "autoprobe %s -> %s%s", a->old_num ? "on" : "off",
				 a->num ? "on" : "off", tag);
		else
			snprintf(buf, size, "autoprobe ? -> %s%s", a->num ? "on" : "off", tag);
		break;
	case RC_NUMVFS:
		snprintf(buf, size, "numvfs %d -> %d%s", a->old_num, a->num, tag);
		break;
	case RC_VF_ONLINE:
		snprintf(buf, size, "online %d offline NVMe VF controller(s) of %d", a->old_num,
			 a->num);
		break;
	case RC_VF_SET:
		snprintf(buf, size, "vf %d: %s %s -> %s%s", a->vf, vfkey_name(a->key), old, val,
			 tag);
		break;
	case RC_VF_DRIVER:
		snprintf(buf, size, "vf %d: driver %s -> %s%s", a->vf, old[0] ? old : "(none)",
			 val[0] ? val : "(none)", tag);
		break;
	}
}

bool rc_action_inverse(const struct rc_action *a, struct rc_action *inv)
{
	if (!a->old_known || a->kind == RC_VF_ONLINE)
		return false;
	*inv = *a;
	inv->undo = false;
	if (a->kind == RC_AUTOPROBE || a->kind == RC_NUMVFS) {
		inv->num = a->old_num;
		inv->old_num = a->num;
	} else {
		inv->value = a->old;
		inv->old = a->value;
	}
	return true;
}

void rc_pf_state_free(struct rc_pf_state *s)
{
	free(s->vfs);
	s->vfs = NULL;
	s->nr_vfs = 0;
}

static const char *const rc_kind_names[] = {
	[RC_AUTOPROBE] = "autoprobe", [RC_NUMVFS] = "numvfs",	 [RC_VF_ONLINE] = "online",
	[RC_VF_SET] = "set",	      [RC_VF_DRIVER] = "driver",
};

struct json_object *rc_action_json(const struct rc_action *a)
{
	struct json_object *o = json_object_new_object();
	char old[VF_DRIVER_LEN], val[VF_DRIVER_LEN];

	if (!o)
		return NULL;
	json_object_object_add(o, "action", json_object_new_string(rc_kind_names[a->kind]));
	if (a->vf >= 0)
		json_object_object_add(o, "vf", json_object_new_int(a->vf));
	switch (a->kind) {
	case RC_AUTOPROBE:
		json_object_object_add(o, "old",
				       a->old_known ? json_object_new_boolean(a->old_num) : NULL);
		json_object_object_add(o, "new", json_object_new_boolean(a->num));
		break;
	case RC_VF_ONLINE:
		json_object_object_add(o, "offline", json_object_new_int(a->old_num));
		break;
	case RC_NUMVFS:
		json_object_object_add(o, "old", json_object_new_int(a->old_num));
		json_object_object_add(o, "new", json_object_new_int(a->num));
		break;
	case RC_VF_SET:
		json_object_object_add(o, "key", json_object_new_string(vfkey_name(a->key)));
		/* fallthrough */
	case RC_VF_DRIVER:
		vf_settings_value_str(&a->old, a->key, old, sizeof(old));
		vf_settings_value_str(&a->value, a->key, val, sizeof(val));
		json_object_object_add(o, "old", a->old_known ? json_object_new_string(old) : NULL);
		json_object_object_add(o, "new", json_object_new_string(val));
		break;
	}
	json_object_object_add(o, "restore", json_object_new_boolean(a->undo));
	return o;
}
