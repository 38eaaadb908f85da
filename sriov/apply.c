// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "apply.h"

/* Rounds of read-plan-execute: PF level (then VFs exist), VF level. */
#define APPLY_MAX_ROUNDS 3

struct apply_exec {
	const struct apply_ops *ops;
	void *priv;
	struct ledger *led;
	const char *state_dir;
	const char *config; /* path of the declaring file, NULL when undeclared */
	struct apply_pf_result *res;
	struct rc_action *done; /* executed this run, oldest first */
	int nr_done;
};

static int add_line(char (**arr)[APPLY_LINE_LEN], int *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_line(char (**arr)[APPLY_LINE_LEN], int *n, const char *fmt, ...)
{
	char(*na)[APPLY_LINE_LEN] = realloc(*arr, sizeof(*na) * (size_t)(*n + 1));
	va_list ap;

	if (!na)
		return -ENOMEM;
	*arr = na;
	va_start(ap, fmt);
	vsnprintf(na[*n], APPLY_LINE_LEN, fmt, ap);
	va_end(ap);
	(*n)++;
	return 0;
}

const char *apply_outcome_name(enum apply_outcome o)
{
	static const char *const names[] = {
		[APPLY_UNCHANGED] = "unchanged",
		[APPLY_OK] = "ok",
		[APPLY_PARTIAL] = "partial",
		[APPLY_FAILED] = "failed",
	};

	return (unsigned int)o <= APPLY_FAILED ? names[o] : "?";
}

/* Last index (exclusive) of the run of VF settings sent as one attribute with acts[i]. */
static int group_end(const struct rc_plan *p, int i)
{
	int g = vfkey_group(p->acts[i].key), j = i + 1;

	if (!g)
		return j;
	while (j < p->nr && p->acts[j].kind == RC_VF_SET && p->acts[j].vf == p->acts[i].vf &&
	       vfkey_group(p->acts[j].key) == g)
		j++;
	return j;
}

/* Execute acts[i..j) (one action, or one group of VF settings) against state st. */
static int exec_acts(struct apply_exec *x, const struct rc_pf_state *st,
		     const struct rc_action *acts, int n, struct errinfo *e)
{
	const struct rc_action *a = &acts[0];
	const struct rc_vf_state *hv;
	struct vf_settings want;
	int g;

	switch (a->kind) {
	case RC_AUTOPROBE:
		return x->ops->set_autoprobe(x->priv, st, a->num, e);
	case RC_NUMVFS:
		return x->ops->set_numvfs(x->priv, st, a->num, e);
	case RC_VF_ONLINE:
		return x->ops->online_vfs(x->priv, st, a->num, e);
	case RC_VF_DRIVER:
		return x->ops->set_driver(x->priv, st, a->vf, a->value.driver, e);
	case RC_VF_SET:
		break;
	}
	/*
	 * The other members of the attribute keep their current value when
	 * the kernel reports it; otherwise the settings layer's default
	 * applies (as with `vfctl set`).
	 */
	hv = a->vf < st->nr_vfs ? &st->vfs[a->vf] : NULL;
	g = vfkey_group(a->key);
	vf_settings_init(&want);
	for (int k = 0; g && hv && k < VFKEY_LINK_NR; k++)
		if (vfkey_group(k) == g && vf_settings_has(&hv->cur, k))
			vf_settings_copy_key(&want, &hv->cur, k);
	for (int i = 0; i < n; i++)
		vf_settings_copy_key(&want, &acts[i].value, acts[i].key);
	return x->ops->set_vf(x->priv, st, a->vf, &want, e);
}

/*
 * After a PF's VF settings were sent: read the PF once and check that each
 * setting done since done[from] took (a driver may accept a value and not
 * apply it).  One read for all VFs, as every read returns all of them.
 */
static int verify_settings(struct apply_exec *x, int from, struct errinfo *e)
{
	struct rc_pf_state st;
	int r;

	memset(&st, 0, sizeof(st));
	r = x->ops->read(x->priv, x->res->bdf, &st, e);
	for (int i = from; !r && i < x->nr_done; i++) {
		const struct rc_action *a = &x->done[i];
		const struct rc_vf_state *hv = a->vf < st.nr_vfs ? &st.vfs[a->vf] : NULL;
		char want[VF_DRIVER_LEN], got[VF_DRIVER_LEN];

		if (a->kind != RC_VF_SET || !hv || !vf_settings_has(&hv->cur, a->key) ||
		    vf_settings_same(&hv->cur, &a->value, a->key))
			continue;
		/* With no VLAN the protocol means nothing. */
		if (a->key == VFKEY_PROTO && !hv->cur.vlan.vlan && !hv->cur.vlan.qos)
			continue;
		r = err_set(e, EIO, "vf %d: the driver accepted %s %s but reports %s", a->vf,
			    vfkey_name(a->key),
			    vf_settings_value_str(&a->value, a->key, want, sizeof(want)),
			    vf_settings_value_str(&hv->cur, a->key, got, sizeof(got)));
	}
	rc_pf_state_free(&st);
	return r;
}

static int save_ledger(struct apply_exec *x, struct errinfo *e)
{
	if (!x->state_dir)
		return 0;
	return ledger_save(x->state_dir, x->led, e);
}

/*
 * Write-ahead: the originals that actions [i, j) of @p overwrite go into
 * the ledger, saved, before any of them runs - a vfctl killed right after
 * a change (before note_done() and its save) must not lose the original,
 * or a later apply could never undo that change.  *@intent gets a bit per
 * action whose original was new (groups are at most 64 actions).
 */
static int write_ahead(struct apply_exec *x, const struct rc_plan *p, int i, int j,
		       uint64_t *intent, struct errinfo *e)
{
	bool added;

	*intent = 0;
	for (int k = i; k < j && k - i < 64; k++) {
		if (rc_ledger_intent(x->led, x->res->bdf, x->config, &p->acts[k], &added))
			return err_set(e, ENOMEM, "PF %s: out of memory", x->res->bdf);
		if (added)
			*intent |= 1ull << (k - i);
	}
	return *intent ? save_ledger(x, e) : 0;
}

/* The changes were not made after all: take back what write_ahead() added. */
static void forget_intent(struct apply_exec *x, const struct rc_plan *p, int i, int j,
			  uint64_t intent)
{
	for (int k = i; k < j && k - i < 64; k++)
		if (intent & (1ull << (k - i)))
			rc_ledger_forget(x->led, x->res->bdf, &p->acts[k]);
}

static int note_done(struct apply_exec *x, const struct rc_action *a)
{
	struct rc_action *nd;
	char line[APPLY_LINE_LEN];

	nd = realloc(x->done, sizeof(*nd) * (size_t)(x->nr_done + 1));
	if (!nd)
		return -ENOMEM;
	x->done = nd;
	nd[x->nr_done++] = *a;
	rc_action_str(a, line, sizeof(line));
	if (add_line(&x->res->changed, &x->res->nr_changed, "%s", line))
		return -ENOMEM;
	return rc_ledger_note(x->led, x->res->bdf, x->config, a);
}

/* Put back, newest first, what this run changed on the PF. Returns true when all went back. */
static bool roll_back(struct apply_exec *x)
{
	bool all = true;

	for (int i = x->nr_done - 1; i >= 0; i--) {
		struct rc_action inv;
		struct rc_pf_state st;
		struct errinfo e;
		char line[APPLY_LINE_LEN];
		int r;

		/* Bringing VFs back online is no configuration change to undo. */
		if (x->done[i].kind == RC_VF_ONLINE)
			continue;
		if (!rc_action_inverse(&x->done[i], &inv)) {
			all = false;
			continue;
		}
		memset(&st, 0, sizeof(st));
		r = x->ops->read(x->priv, x->res->bdf, &st, &e);
		if (!r && (inv.kind == RC_VF_SET || inv.kind == RC_VF_DRIVER) &&
		    inv.vf >= st.numvfs) {
			/* The VF is gone again (its creation was rolled back later). */
			rc_pf_state_free(&st);
			continue;
		}
		if (!r)
			r = exec_acts(x, &st, &inv, 1, &e);
		rc_pf_state_free(&st);
		rc_action_str(&inv, line, sizeof(line));
		if (r) {
			all = false;
			continue;
		}
		add_line(&x->res->rolled_back, &x->res->nr_rolled_back, "%s", line);
	}
	return all;
}

static void plan_report_unsupported(struct apply_exec *x, const struct rc_plan *p, int i, int j,
				    const struct errinfo *e)
{
	for (int k = i; k < j; k++) {
		char line[APPLY_LINE_LEN / 2];

		rc_action_str(&p->acts[k], line, sizeof(line));
		add_line(&x->res->unsupported, &x->res->nr_unsupported, "%s: %s", line,
			 e->msg[0] ? e->msg : "not supported by the PF driver");
	}
}

static void apply_pf(struct apply_exec *x, const struct config_pf *want, bool dry_run)
{
	struct apply_pf_result *res = x->res;
	struct ledger_pf snap;
	bool had_snap = false, failed = false;
	struct errinfo se;

	memset(&snap, 0, sizeof(snap));
	if (!dry_run && ledger_find(x->led, res->bdf)) {
		if (ledger_pf_copy(&snap, ledger_find(x->led, res->bdf))) {
			err_set(&res->err, ENOMEM, "PF %s: out of memory", res->bdf);
			res->outcome = APPLY_FAILED;
			return;
		}
		had_snap = true;
	}

	for (int round = 0; round < APPLY_MAX_ROUNDS; round++) {
		struct rc_pf_state st;
		struct rc_plan plan;
		bool replan = false, unverified;
		uint64_t intent;
		int r, from;

		memset(&st, 0, sizeof(st));
		r = x->ops->read(x->priv, res->bdf, &st, &res->err);
		if (!r)
			r = rc_plan_pf(want, &st, ledger_find(x->led, res->bdf), &plan, &res->err);
		if (r) {
			if (!want && !round)
				err_hint(&res->err,
					 "vfctl changed this PF before and its file is gone; it "
					 "puts the PF back once it can read it (the entry stays in "
					 "%s/%s until then)",
					 x->state_dir ? x->state_dir : "STATE_DIR", LEDGER_FILE);
			rc_pf_state_free(&st);
			failed = true;
			break;
		}
		if (dry_run || !plan.nr) {
			if (dry_run)
				res->plan = plan;
			else
				rc_plan_free(&plan);
			rc_pf_state_free(&st);
			break;
		}
		from = x->nr_done;
		unverified = false;
		for (int i = 0; i <= plan.nr && !replan;) {
			const struct rc_action *a = &plan.acts[i];
			int j;

			/* The settings are checked before anything binds to the VFs. */
			if (unverified && (i == plan.nr || a->kind != RC_VF_SET)) {
				unverified = false;
				r = verify_settings(x, from, &res->err);
				if (r) {
					err_prefix(&res->err, "PF %s", res->bdf);
					failed = true;
					break;
				}
			}
			if (i == plan.nr)
				break;
			j = a->kind == RC_VF_SET ? group_end(&plan, i) : i + 1;
			r = write_ahead(x, &plan, i, j, &intent, &res->err);
			if (r) {
				failed = true;
				break;
			}
			r = exec_acts(x, &st, a, j - i, &res->err);
			if (r == -EOPNOTSUPP && a->kind == RC_VF_SET) {
				/* A per-driver capability: report it, keep going. */
				forget_intent(x, &plan, i, j, intent);
				plan_report_unsupported(x, &plan, i, j, &res->err);
				err_clear(&res->err);
				i = j;
				continue;
			}
			if (r) {
				char line[APPLY_LINE_LEN];

				rc_action_str(a, line, sizeof(line));
				err_prefix(&res->err, "PF %s: %s", res->bdf, line);
				failed = true;
				break;
			}
			unverified |= a->kind == RC_VF_SET;
			for (; i < j; i++)
				if (note_done(x, &plan.acts[i])) {
					err_set(&res->err, ENOMEM, "PF %s: out of memory",
						res->bdf);
					failed = true;
					break;
				}
			if (failed)
				break;
			/* New VFs: their settings can only be planned once they exist. */
			if (a->kind == RC_NUMVFS &&
			    (i >= plan.nr || plan.acts[i].kind != RC_NUMVFS)) {
				if (save_ledger(x, &res->err)) {
					failed = true;
					break;
				}
				replan = true;
			}
		}
		rc_plan_free(&plan);
		rc_pf_state_free(&st);
		if (failed || !replan)
			break;
	}

	if (dry_run) {
		res->outcome = failed ? APPLY_FAILED : res->plan.nr ? APPLY_OK : APPLY_UNCHANGED;
		return;
	}
	if (failed) {
		if (roll_back(x)) {
			/* Nothing of this run remains: neither does its ledger entry. */
			ledger_put(x->led, res->bdf, had_snap ? &snap : NULL);
			free(res->changed);
			res->changed = NULL;
			res->nr_changed = 0;
			res->outcome = APPLY_FAILED;
		} else {
			res->outcome = APPLY_PARTIAL;
			err_hint(&res->err, "the changes listed stayed: fix the cause and run "
					    "vfctl apply again");
		}
	} else if (res->nr_unsupported) {
		res->outcome = APPLY_PARTIAL;
	} else {
		res->outcome = res->nr_changed ? APPLY_OK : APPLY_UNCHANGED;
	}
	if (save_ledger(x, &se) && res->err.err == 0) {
		res->err = se;
		res->outcome = APPLY_PARTIAL;
	}
	ledger_pf_free(&snap);
}

static struct apply_pf_result *report_add(struct apply_report *rep, const char *bdf,
					  const char *config)
{
	struct apply_pf_result *np = realloc(rep->pfs, sizeof(*np) * (size_t)(rep->nr_pfs + 1));

	if (!np)
		return NULL;
	rep->pfs = np;
	np = &np[rep->nr_pfs++];
	memset(np, 0, sizeof(*np));
	snprintf(np->bdf, sizeof(np->bdf), "%s", bdf);
	snprintf(np->config, sizeof(np->config), "%s", config ? config : "");
	return np;
}

int apply_run(const struct apply_ops *ops, void *priv, const struct config_set *cfg,
	      struct ledger *led, const struct apply_opts *opts, struct apply_report *rep,
	      struct errinfo *e)
{
	char(*bdfs)[CONFIG_BDF_LEN] = NULL, (*ledger_bdfs)[CONFIG_BDF_LEN] = NULL;
	struct errinfo *rerr = NULL;
	int nl = led->nr_pfs, ret = 0;

	memset(rep, 0, sizeof(*rep));
	rep->dry_run = opts->dry_run;
	bdfs = calloc((size_t)cfg->nr_pfs + 1, sizeof(*bdfs));
	rerr = calloc((size_t)cfg->nr_pfs + 1, sizeof(*rerr));
	ledger_bdfs = calloc((size_t)nl + 1, sizeof(*ledger_bdfs));
	if (!bdfs || !rerr || !ledger_bdfs) {
		ret = err_sys(e, ENOMEM, "apply");
		goto out;
	}
	for (int i = 0; i < cfg->nr_pfs; i++) {
		if (ops->resolve(priv, &cfg->pfs[i], bdfs[i], &rerr[i]) < 0) {
			bdfs[i][0] = '\0';
			err_prefix(&rerr[i], "%s:%d", cfg->pfs[i].path, cfg->pfs[i].match_line);
		}
	}
	/* Two files for one PF: neither is applied, the PF is left alone. */
	for (int i = 0; i < cfg->nr_pfs; i++)
		for (int j = i + 1; j < cfg->nr_pfs; j++)
			if (bdfs[i][0] && !strcmp(bdfs[i], bdfs[j])) {
				for (int k = 0; k < 2; k++) {
					int o = k ? j : i;

					err_set(&rerr[o], EINVAL,
						"%s and %s both match PF %s; expected one file per "
						"PF",
						cfg->pfs[i].path, cfg->pfs[j].path, bdfs[i]);
					err_hint(&rerr[o], "merge the two files or remove one");
				}
			}
	for (int i = 0; i < cfg->nr_pfs; i++) {
		struct apply_pf_result *res;
		struct apply_exec x = {ops,  priv, led, opts->state_dir, cfg->pfs[i].path,
				       NULL, NULL, 0};

		if (rerr[i].err) {
			/* With --pf, files for other PFs do not matter. */
			if (opts->only_bdf && (!bdfs[i][0] || strcmp(bdfs[i], opts->only_bdf)))
				continue;
			res = report_add(rep, bdfs[i][0] ? bdfs[i] : "-", cfg->pfs[i].path);
			if (!res) {
				ret = err_sys(e, ENOMEM, "apply");
				goto out;
			}
			res->err = rerr[i];
			res->outcome = APPLY_FAILED;
			continue;
		}
		if (opts->only_bdf && strcmp(bdfs[i], opts->only_bdf))
			continue;
		res = report_add(rep, bdfs[i], cfg->pfs[i].path);
		if (!res) {
			ret = err_sys(e, ENOMEM, "apply");
			goto out;
		}
		x.res = res;
		apply_pf(&x, &cfg->pfs[i], opts->dry_run);
		free(x.done);
	}
	/* PFs vfctl changed that no file declares any more: put them back. */
	for (int i = 0; i < nl; i++)
		snprintf(ledger_bdfs[i], sizeof(ledger_bdfs[i]), "%s", led->pfs[i].bdf);
	for (int i = 0; i < nl; i++) {
		const struct ledger_pf *lp = ledger_find(led, ledger_bdfs[i]);
		struct apply_exec x = {ops, priv, led, opts->state_dir, NULL, NULL, NULL, 0};
		bool declared = false;

		if (!lp || (opts->only_bdf && strcmp(lp->bdf, opts->only_bdf)))
			continue;
		for (int c = 0; c < cfg->nr_pfs && !declared; c++)
			/* A file that did not resolve may still be this PF's: leave it be. */
			declared = !strcmp(bdfs[c], lp->bdf) ||
				   (!bdfs[c][0] && !strcmp(cfg->pfs[c].path, lp->config));
		if (declared)
			continue;
		x.res = report_add(rep, lp->bdf, NULL);
		if (!x.res) {
			ret = err_sys(e, ENOMEM, "apply");
			goto out;
		}
		apply_pf(&x, NULL, opts->dry_run);
		free(x.done);
	}
	rep->time = (long long)time(NULL);
out:
	free(bdfs);
	free(rerr);
	free(ledger_bdfs);
	return ret;
}

enum apply_outcome apply_report_outcome(const struct apply_report *rep)
{
	enum apply_outcome worst = APPLY_UNCHANGED;
	bool failed = false, changed = false;

	for (int i = 0; i < rep->nr_pfs; i++) {
		switch (rep->pfs[i].outcome) {
		case APPLY_PARTIAL:
			worst = APPLY_PARTIAL;
			break;
		case APPLY_FAILED:
			failed = true;
			break;
		case APPLY_OK:
			changed = true;
			break;
		default:
			break;
		}
	}
	if (worst == APPLY_PARTIAL)
		return worst;
	/* One PF failed (rolled back) while another changed: the run is partial. */
	if (failed)
		return changed ? APPLY_PARTIAL : APPLY_FAILED;
	return changed ? APPLY_OK : APPLY_UNCHANGED;
}

void apply_report_free(struct apply_report *rep)
{
	for (int i = 0; i < rep->nr_pfs; i++) {
		free(rep->pfs[i].changed);
		free(rep->pfs[i].rolled_back);
		free(rep->pfs[i].unsupported);
		rc_plan_free(&rep->pfs[i].plan);
	}
	free(rep->pfs);
	rep->pfs = NULL;
	rep->nr_pfs = 0;
}

static struct json_object *lines_json(char (*l)[APPLY_LINE_LEN], int n)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(l[i]));
	return a;
}

struct json_object *apply_report_json(const struct apply_report *rep)
{
	struct json_object *root = json_object_new_object(), *pfs = json_object_new_array();

	if (!root || !pfs) {
		json_object_put(root);
		json_object_put(pfs);
		return NULL;
	}
	json_object_object_add(root, "time", json_object_new_int64(rep->time));
	json_object_object_add(root, "dry_run", json_object_new_boolean(rep->dry_run));
	json_object_object_add(
		root, "result",
		json_object_new_string(apply_outcome_name(apply_report_outcome(rep))));
	json_object_object_add(root, "pfs", pfs);
	for (int i = 0; i < rep->nr_pfs; i++) {
		const struct apply_pf_result *r = &rep->pfs[i];
		struct json_object *o = json_object_new_object();

		json_object_array_add(pfs, o);
		json_object_object_add(o, "bdf", json_object_new_string(r->bdf));
		json_object_object_add(o, "config",
				       r->config[0] ? json_object_new_string(r->config) : NULL);
		json_object_object_add(o, "result",
				       json_object_new_string(apply_outcome_name(r->outcome)));
		if (rep->dry_run) {
			struct json_object *p = json_object_new_array();

			for (int k = 0; k < r->plan.nr; k++)
				json_object_array_add(p, rc_action_json(&r->plan.acts[k]));
			json_object_object_add(o, "plan", p);
		} else {
			json_object_object_add(o, "changed", lines_json(r->changed, r->nr_changed));
			json_object_object_add(o, "rolled_back",
					       lines_json(r->rolled_back, r->nr_rolled_back));
			json_object_object_add(o, "unsupported",
					       lines_json(r->unsupported, r->nr_unsupported));
		}
		json_object_object_add(o, "error",
				       r->err.err ? json_object_new_string(r->err.msg) : NULL);
		json_object_object_add(
			o, "hint",
			r->err.err && r->err.hint[0] ? json_object_new_string(r->err.hint) : NULL);
	}
	return root;
}

int apply_status_load(const char *state_dir, struct json_object **out, struct errinfo *e)
{
	char *text, path[4096];
	enum json_tokener_error jerr;
	int ret;

	*out = NULL;
	ret = state_read(state_dir, APPLY_STATUS_FILE, &text, e);
	if (ret)
		return ret;
	*out = json_tokener_parse_verbose(text, &jerr);
	free(text);
	snprintf(path, sizeof(path), "%s/%s", state_dir, APPLY_STATUS_FILE);
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		ret = err_set(e, EINVAL, "%s: not a vfctl status file", path);
		err_hint(e, "run vfctl apply to write a new one");
		return ret;
	}
	return 0;
}

/* Keep the old entries of PFs this run did not touch. */
static void merge_old(struct json_object *root, const char *state_dir)
{
	struct json_object *old = NULL, *opfs, *npfs;
	struct errinfo e;

	if (apply_status_load(state_dir, &old, &e) || !old)
		return;
	if (json_object_object_get_ex(old, "pfs", &opfs) &&
	    json_object_is_type(opfs, json_type_array) &&
	    json_object_object_get_ex(root, "pfs", &npfs)) {
		for (size_t i = 0; i < json_object_array_length(opfs); i++) {
			struct json_object *o = json_object_array_get_idx(opfs, i), *b;
			const char *bdf;
			bool found = false;

			if (!json_object_object_get_ex(o, "bdf", &b))
				continue;
			bdf = json_object_get_string(b);
			for (size_t j = 0; j < json_object_array_length(npfs) && !found; j++) {
				struct json_object *nb;

				if (json_object_object_get_ex(json_object_array_get_idx(npfs, j),
							      "bdf", &nb))
					found = !strcmp(json_object_get_string(nb), bdf);
			}
			if (!found)
				json_object_array_add(npfs, json_object_get(o));
		}
	}
	json_object_put(old);
}

int apply_status_save(const char *state_dir, const struct apply_report *rep, bool merge,
		      struct errinfo *e)
{
	struct json_object *root = apply_report_json(rep);
	int ret;

	if (!root)
		return err_sys(e, ENOMEM, "writing %s/%s", state_dir, APPLY_STATUS_FILE);
	if (merge)
		merge_old(root, state_dir);
	ret = state_write_atomic(
		state_dir, APPLY_STATUS_FILE,
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE),
		e);
	json_object_put(root);
	return ret;
}
