// SPDX-License-Identifier: GPL-2.0-only
/*
 * The apply ledger as JSON:
 *   {"version":1,"pfs":[{"bdf":"0000:01:00.0","config":"/etc/vfctl.d/a.conf",
 *     "numvfs":0,"autoprobe":1,
 *     "vfs":[{"vf":0,"driver":"igbvf","mac":"00:00:00:00:00:00"}]}]}
 * A key is present only when vfctl changed that value; its value is the
 * original.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ledger.h"
#include "pci_addr.h"
#include "statedir.h"

#define LEDGER_VERSION 1

struct ledger_pf *ledger_find(struct ledger *l, const char *bdf)
{
	for (int i = 0; i < l->nr_pfs; i++)
		if (!strcmp(l->pfs[i].bdf, bdf))
			return &l->pfs[i];
	return NULL;
}

const struct ledger_pf *ledger_find_const(const struct ledger *l, const char *bdf)
{
	return ledger_find((struct ledger *)l, bdf);
}

struct ledger_pf *ledger_get(struct ledger *l, const char *bdf)
{
	struct ledger_pf *p = ledger_find(l, bdf), *np;

	if (p)
		return p;
	np = realloc(l->pfs, sizeof(*np) * (size_t)(l->nr_pfs + 1));
	if (!np)
		return NULL;
	l->pfs = np;
	p = &np[l->nr_pfs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->bdf, sizeof(p->bdf), "%s", bdf);
	return p;
}

struct ledger_vf *ledger_pf_vf(struct ledger_pf *p, int index, bool create)
{
	struct ledger_vf *nv;
	int lo = 0, hi = p->nr_vfs, pos;

	/* Sorted by index: a binary search keeps a PF with many VFs linear to fill. */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (p->vfs[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	pos = lo;
	if (pos < p->nr_vfs && p->vfs[pos].index == index)
		return &p->vfs[pos];
	if (!create)
		return NULL;
	nv = realloc(p->vfs, sizeof(*nv) * (size_t)(p->nr_vfs + 1));
	if (!nv)
		return NULL;
	p->vfs = nv;
	memmove(&nv[pos + 1], &nv[pos], sizeof(*nv) * (size_t)(p->nr_vfs - pos));
	p->nr_vfs++;
	memset(&nv[pos], 0, sizeof(*nv));
	vf_settings_init(&nv[pos].orig);
	nv[pos].index = index;
	return &nv[pos];
}

const struct ledger_vf *ledger_pf_vf_const(const struct ledger_pf *p, int index)
{
	return p ? ledger_pf_vf((struct ledger_pf *)p, index, false) : NULL;
}

void ledger_pf_drop_vfs(struct ledger_pf *p)
{
	free(p->vfs);
	p->vfs = NULL;
	p->nr_vfs = 0;
}

static bool vf_empty(const struct ledger_vf *v)
{
	return !v->orig.given;
}

void ledger_tidy(struct ledger *l)
{
	for (int i = 0; i < l->nr_pfs; i++) {
		struct ledger_pf *p = &l->pfs[i];
		int w = 0;

		for (int r = 0; r < p->nr_vfs; r++)
			if (!vf_empty(&p->vfs[r]))
				p->vfs[w++] = p->vfs[r];
		p->nr_vfs = w;
		if (!w)
			ledger_pf_drop_vfs(p);
		if (!p->nr_vfs && !p->has_numvfs && !p->has_autoprobe) {
			ledger_remove(l, p->bdf);
			i--;
		}
	}
}

void ledger_remove(struct ledger *l, const char *bdf)
{
	struct ledger_pf *p = ledger_find(l, bdf);
	int i;

	if (!p)
		return;
	i = (int)(p - l->pfs);
	ledger_pf_free(p);
	memmove(&l->pfs[i], &l->pfs[i + 1], sizeof(*p) * (size_t)(l->nr_pfs - i - 1));
	l->nr_pfs--;
}

int ledger_pf_copy(struct ledger_pf *dst, const struct ledger_pf *src)
{
	*dst = *src;
	dst->vfs = NULL;
	if (src->nr_vfs) {
		dst->vfs = malloc(sizeof(*dst->vfs) * (size_t)src->nr_vfs);
		if (!dst->vfs)
			return -ENOMEM;
		memcpy(dst->vfs, src->vfs, sizeof(*dst->vfs) * (size_t)src->nr_vfs);
	}
	return 0;
}

int ledger_put(struct ledger *l, const char *bdf, const struct ledger_pf *src)
{
	struct ledger_pf *p;

	ledger_remove(l, bdf);
	if (!src)
		return 0;
	p = ledger_get(l, bdf);
	if (!p)
		return -ENOMEM;
	return ledger_pf_copy(p, src);
}

void ledger_pf_free(struct ledger_pf *p)
{
	ledger_pf_drop_vfs(p);
}

void ledger_free(struct ledger *l)
{
	for (int i = 0; i < l->nr_pfs; i++)
		ledger_pf_free(&l->pfs[i]);
	free(l->pfs);
	l->pfs = NULL;
	l->nr_pfs = 0;
}

char *ledger_to_json(const struct ledger *l)
{
	struct json_object *root = json_object_new_object(), *pfs = json_object_new_array();
	char *out = NULL;

	if (!root || !pfs)
		goto out;
	json_object_object_add(root, "version", json_object_new_int(LEDGER_VERSION));
	json_object_object_add(root, "pfs", pfs);
	for (int i = 0; i < l->nr_pfs; i++) {
		const struct ledger_pf *p = &l->pfs[i];
		struct json_object *jp = json_object_new_object(), *jv = json_object_new_array();

		json_object_array_add(pfs, jp);
		json_object_object_add(jp, "bdf", json_object_new_string(p->bdf));
		json_object_object_add(jp, "config", json_object_new_string(p->config));
		if (p->has_numvfs)
			json_object_object_add(jp, "numvfs", json_object_new_int(p->orig_numvfs));
		if (p->has_autoprobe)
			json_object_object_add(jp, "autoprobe",
					       json_object_new_int(p->orig_autoprobe));
		json_object_object_add(jp, "vfs", jv);
		for (int j = 0; j < p->nr_vfs; j++) {
			const struct ledger_vf *v = &p->vfs[j];
			struct json_object *o = json_object_new_object();

			json_object_array_add(jv, o);
			json_object_object_add(o, "vf", json_object_new_int(v->index));
			/* The driver first, as older ledgers have it. */
			for (int n = 0; n < VFKEY_NR; n++) {
				int k = n ? n - 1 : VFKEY_DRIVER;
				char val[VF_DRIVER_LEN];

				if (vf_settings_has(&v->orig, k))
					json_object_object_add(
						o, vfkey_name(k),
						json_object_new_string(vf_settings_value_str(
							&v->orig, k, val, sizeof(val))));
			}
		}
	}
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(root);
	if (!root)
		json_object_put(pfs);
	return out;
}

static int get_str(struct json_object *o, const char *key, char *buf, size_t size)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (strlen(s) >= size)
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	return 1;
}

static int get_int(struct json_object *o, const char *key, int *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int(v);
	return 1;
}

static int parse_vf(struct json_object *o, struct ledger_pf *p)
{
	struct ledger_vf *v;
	int idx, r;

	if (!json_object_is_type(o, json_type_object) || get_int(o, "vf", &idx) != 1 || idx < 0 ||
	    idx >= CONFIG_MAX_NUMVFS)
		return -EINVAL;
	v = ledger_pf_vf(p, idx, true);
	if (!v)
		return -ENOMEM;
	for (int k = 0; k < VFKEY_NR; k++) {
		char val[VF_DRIVER_LEN];
		struct errinfo e;

		r = get_str(o, vfkey_name(k), val, sizeof(val));
		if (r < 0)
			return r;
		if (!r)
			continue;
		/* "no driver" and "no administrative MAC" are originals too. */
		if (k == VFKEY_DRIVER && !val[0]) {
			v->orig.driver[0] = '\0';
			v->orig.given |= 1u << k;
			continue;
		}
		if (k == VFKEY_MAC) {
			/* Whatever the VF had, unicast or none: no policy on an original. */
			if (mac_parse(val, v->orig.mac))
				return -EINVAL;
			v->orig.given |= 1u << k;
			continue;
		}
		if (vf_settings_parse_key(&v->orig, vfkey_name(k), val, VF_PARSE_DRIVER, &e))
			return -EINVAL;
	}
	return 0;
}

static int parse_pf(struct json_object *o, struct ledger *l)
{
	struct json_object *vfs;
	char bdf[64], canon[BDF_LEN]; /* room for a bad one, to name it */
	struct ledger_pf *p;
	int r;

	if (!json_object_is_type(o, json_type_object) || get_str(o, "bdf", bdf, sizeof(bdf)) != 1)
		return -EINVAL;
	/* It names sysfs paths (.../devices/BDF/sriov_numvfs): only a canonical address. */
	if (bdf_parse(bdf, NULL, canon, NULL) || strcmp(canon, bdf))
		return -EDOM;
	if (ledger_find(l, bdf))
		return -EEXIST;
	p = ledger_get(l, bdf);
	if (!p)
		return -ENOMEM;
	if (get_str(o, "config", p->config, sizeof(p->config)) < 0)
		return -EINVAL;
	r = get_int(o, "numvfs", &p->orig_numvfs);
	if (r < 0)
		return r;
	p->has_numvfs = r;
	r = get_int(o, "autoprobe", &p->orig_autoprobe);
	if (r < 0)
		return r;
	p->has_autoprobe = r;
	if (json_object_object_get_ex(o, "vfs", &vfs)) {
		if (!json_object_is_type(vfs, json_type_array))
			return -EINVAL;
		for (size_t i = 0; i < json_object_array_length(vfs); i++) {
			r = parse_vf(json_object_array_get_idx(vfs, i), p);
			if (r)
				return r;
		}
	}
	return 0;
}

/*
 * The line where PF entry i starts, for messages: the i-th "bdf" key in
 * the text.  Only a guide (a "bdf" inside a string would shift it); 0 when
 * not found.
 */
static int entry_line(const char *text, size_t i)
{
	const char *p = text, *hit;
	int line = 1;

	for (size_t k = 0; (hit = strstr(p, "\"bdf\"")); k++) {
		for (; p < hit; p++)
			line += *p == '\n';
		if (k == i)
			return line;
		p = hit + 5;
	}
	return 0;
}

int ledger_from_json(const char *text, const char *what, struct ledger *l, struct errinfo *e)
{
	struct json_object *root, *pfs, *ver;
	enum json_tokener_error jerr;
	int ret = 0;

	memset(l, 0, sizeof(*l));
	root = json_tokener_parse_verbose(text, &jerr);
	if (!root) {
		ret = err_set(e, EINVAL, "%s: not JSON: %s", what, json_tokener_error_desc(jerr));
		goto out;
	}
	if (!json_object_object_get_ex(root, "version", &ver) ||
	    json_object_get_int(ver) != LEDGER_VERSION ||
	    !json_object_object_get_ex(root, "pfs", &pfs) ||
	    !json_object_is_type(pfs, json_type_array)) {
		ret = err_set(e, EINVAL, "%s: not a version %d vfctl ledger", what, LEDGER_VERSION);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(pfs); i++) {
		struct json_object *o = json_object_array_get_idx(pfs, i), *jb;

		ret = parse_pf(o, l);
		if (ret == -EDOM || ret == -EEXIST) {
			json_object_object_get_ex(o, "bdf", &jb);
			ret = err_set(e, EINVAL, "%s: entry %zu (line %d): \"bdf\": \"%.64s\" %s",
				      what, i, entry_line(text, i), json_object_get_string(jb),
				      ret == -EDOM ? "is not a canonical PCI address"
						   : "appears twice");
			goto out;
		}
		if (ret) {
			ret = err_set(e, -ret, "%s: entry %zu (line %d) is malformed", what, i,
				      entry_line(text, i));
			goto out;
		}
	}
out:
	if (ret) {
		err_hint(e, "the ledger records original values vfctl changed; restore it from a "
			    "backup or remove it (vfctl then undoes nothing it changed before)");
		ledger_free(l);
	}
	json_object_put(root);
	return ret;
}

int state_read(const char *dir, const char *name, char **text, struct errinfo *e)
{
	int dfd, ret;

	*text = NULL;
	dfd = statedir_open(dir, false, e);
	if (dfd < 0)
		return dfd;
	ret = statedir_read(dfd, dir, name, text, e);
	close(dfd);
	return ret;
}

int ledger_load(const char *state_dir, struct ledger *l, struct errinfo *e)
{
	char *text, what[4096];
	int ret;

	memset(l, 0, sizeof(*l));
	ret = state_read(state_dir, LEDGER_FILE, &text, e);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	snprintf(what, sizeof(what), "%s/%s", state_dir, LEDGER_FILE);
	ret = ledger_from_json(text, what, l, e);
	free(text);
	return ret;
}

int state_write_atomic(const char *dir, const char *name, const char *text, struct errinfo *e)
{
	int dfd, ret;

	dfd = statedir_open(dir, true, e);
	if (dfd < 0)
		return dfd;
	ret = statedir_write(dfd, dir, name, text, e);
	close(dfd);
	return ret;
}

int ledger_save(const char *state_dir, const struct ledger *l, struct errinfo *e)
{
	char *text = ledger_to_json(l);
	int ret;

	if (!text)
		return err_sys(e, ENOMEM, "writing the ledger in %s", state_dir);
	ret = state_write_atomic(state_dir, LEDGER_FILE, text, e);
	free(text);
	return ret;
}
