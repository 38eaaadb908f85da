// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parser for /etc/vfctl.d/NAME.conf.  Every error names file:line, what is
 * wrong and what was expected, because the file is edited by hand and
 * read at boot where nobody watches.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mac.h"
#include "vf_settings.h"

/* Unsigned decimal without sign, spaces or overflow. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		unsigned long d = (unsigned long)(*s - '0');

		if (v > max / 10 || v * 10 > max - d || d > max)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *s)
{
	static const char *const on[] = {"on", "yes", "true", "1"};
	static const char *const off[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcasecmp(s, on[i]))
			return 1;
		if (!strcasecmp(s, off[i]))
			return 0;
	}
	return -1;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int parse_match(const char *path, int line, const char *val, struct config_pf *pf,
		       struct errinfo *e)
{
	char kind[16], arg[128], extra[2];
	struct errinfo sub;
	int n;

	n = sscanf(val, "%15s %127s %1s", kind, arg, extra);
	if (n != 2)
		return err_set(e, EINVAL,
			       "%s:%d: match = \"%s\": expected \"bdf DDDD:BB:DD.F\", \"mac "
			       "XX:XX:XX:XX:XX:XX\" or \"serial S\"",
			       path, line, val);
	if (!strcmp(kind, "bdf")) {
		pf->match = CONFIG_MATCH_BDF;
		if (bdf_parse(arg, NULL, pf->match_val, &sub) < 0) {
			err_set(e, EINVAL, "%s:%d: match: %s", path, line, sub.msg);
			err_hint(e, "%s", sub.hint);
			return -EINVAL;
		}
	} else if (!strcmp(kind, "mac")) {
		uint8_t mac[MAC_LEN];

		pf->match = CONFIG_MATCH_MAC;
		if (mac_parse(arg, mac) < 0)
			return err_set(
				e, EINVAL,
				"%s:%d: match: mac \"%s\" is not a MAC address; expected six "
				"hex pairs like 02:00:00:00:00:01 (the PF's permanent MAC)",
				path, line, arg);
		if (mac_is_multicast(mac))
			return err_set(
				e, EINVAL,
				"%s:%d: match: mac %s is a multicast address; expected a "
				"unicast MAC (first octet even), e.g. 02:00:00:00:00:01 (the "
				"PF's permanent MAC)",
				path, line, arg);
		mac_str(mac, pf->match_val);
	} else if (!strcmp(kind, "serial")) {
		pf->match = CONFIG_MATCH_SERIAL;
		if (strlen(arg) >= sizeof(pf->match_val))
			return err_set(e, EINVAL,
				       "%s:%d: match serial \"%s\" is longer than %zu characters",
				       path, line, arg, sizeof(pf->match_val) - 1);
		memcpy(pf->match_val, arg, strlen(arg) + 1);
	} else {
		return err_set(e, EINVAL,
			       "%s:%d: match kind \"%s\" is unknown; expected bdf, mac or serial",
			       path, line, kind);
	}
	pf->match_line = line;
	return 0;
}

static int vf_cmp(const void *a, const void *b)
{
	const struct config_vf *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static int parse_vf_header(const char *path, int line, const char *hdr, struct config_pf *pf,
			   struct config_vf **cur, struct errinfo *e)
{
	unsigned long idx;
	struct config_vf *vfs;
	const char *num = hdr + 2;

	while (*num == ' ' || *num == '\t')
		num++;
	if (num == hdr + 2 || parse_uint(num, CONFIG_MAX_NUMVFS - 1, &idx))
		return err_set(e, EINVAL,
			       "%s:%d: section [%s]: expected [vf N] with N a VF index 0..%d", path,
			       line, hdr, CONFIG_MAX_NUMVFS - 1);
	for (int i = 0; i < pf->nr_vfs; i++)
		if (pf->vfs[i].index == (int)idx)
			return err_set(e, EINVAL,
				       "%s:%d: [vf %lu] is declared twice (first at line %d); "
				       "expected one section per VF",
				       path, line, idx, pf->vfs[i].line);
	vfs = realloc(pf->vfs, sizeof(*vfs) * (size_t)(pf->nr_vfs + 1));
	if (!vfs)
		return err_sys(e, ENOMEM, "%s:%d: parsing [vf %lu]", path, line, idx);
	pf->vfs = vfs;
	*cur = &vfs[pf->nr_vfs++];
	memset(*cur, 0, sizeof(**cur));
	vf_settings_init(&(*cur)->set);
	(*cur)->index = (int)idx;
	(*cur)->line = line;
	return 0;
}

static int parse_pf_key(const char *path, int line, const char *key, const char *val,
			struct config_pf *pf, struct errinfo *e)
{
	unsigned long v;
	int b;

	if (!strcmp(key, "match")) {
		if (pf->match_line)
			return err_set(e, EINVAL,
				       "%s:%d: match is given twice (first at line %d); expected "
				       "one match per file",
				       path, line, pf->match_line);
		return parse_match(path, line, val, pf, e);
	}
	if (!strcmp(key, "numvfs")) {
		if (parse_uint(val, CONFIG_MAX_NUMVFS, &v))
			return err_set(e, EINVAL,
				       "%s:%d: numvfs = \"%s\": expected a VF count 0..%d", path,
				       line, val, CONFIG_MAX_NUMVFS);
		pf->numvfs = (int)v;
		pf->numvfs_line = line;
		return 0;
	}
	if (!strcmp(key, "autoprobe")) {
		b = parse_bool(val);
		if (b < 0)
			return err_set(e, EINVAL, "%s:%d: autoprobe = \"%s\": expected on or off",
				       path, line, val);
		pf->autoprobe = b;
		return 0;
	}
	return err_set(e, EINVAL,
		       "%s:%d: unknown key \"%s\" in [pf]; expected match, numvfs or autoprobe",
		       path, line, key);
}

static int parse_vf_key(const char *path, int line, const char *key, const char *val,
			struct config_vf *vf, struct errinfo *e)
{
	struct errinfo sub;
	int k;

	k = vfkey_lookup(key);
	if (k < 0)
		return err_set(
			e, EINVAL,
			"%s:%d: unknown key \"%s\" in [vf %d]; expected mac, vlan, qos, proto, "
			"min_tx_rate, max_tx_rate, spoofchk, trust, state, query_rss or driver",
			path, line, key, vf->index);
	if (vf_settings_has(&vf->set, k))
		return err_set(e, EINVAL, "%s:%d: %s is given twice in [vf %d]", path, line, key,
			       vf->index);
	/* The same parser as `vfctl set`: one set of rules, one typed result. */
	if (vf_settings_parse_key(&vf->set, key, val, VF_PARSE_DRIVER, &sub) < 0) {
		err_set(e, EINVAL, "%s:%d: %s", path, line, sub.msg);
		if (sub.hint[0])
			err_hint(e, "%s", sub.hint);
		return -EINVAL;
	}
	return 0;
}

/* Checks that need the whole file: required keys, VF range, cross-key rules. */
static int check_pf(const char *path, struct config_pf *pf, struct errinfo *e)
{
	if (!pf->match_line)
		return err_set(e, EINVAL,
			       "%s: no \"match =\" in [pf]; expected e.g. match = bdf 0000:01:00.0",
			       path);
	if (!pf->numvfs_line)
		return err_set(e, EINVAL, "%s: no \"numvfs =\" in [pf]; expected the VF count",
			       path);
	if (pf->nr_vfs)
		qsort(pf->vfs, (size_t)pf->nr_vfs, sizeof(*pf->vfs), vf_cmp);
	for (int i = 0; i < pf->nr_vfs; i++) {
		struct config_vf *vf = &pf->vfs[i];
		char mac[MAC_STR_LEN];
		struct errinfo sub;

		if (vf->index >= pf->numvfs)
			return err_set(e, EINVAL,
				       "%s:%d: [vf %d] is beyond numvfs = %d (line %d); expected "
				       "an index 0..%d",
				       path, vf->line, vf->index, pf->numvfs, pf->numvfs_line,
				       pf->numvfs - 1);
		/* The rules between keys are those of `vfctl set`. */
		if (vf_settings_check_keys(&vf->set, &sub) < 0) {
			err_set(e, EINVAL, "%s:%d: [vf %d] %s", path, vf->line, vf->index, sub.msg);
			if (sub.hint[0])
				err_hint(e, "%s", sub.hint);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (vf_settings_has(&vf->set, VFKEY_MAC) &&
			    vf_settings_has(&pf->vfs[j].set, VFKEY_MAC) &&
			    !mac_is_zero(vf->set.mac) &&
			    vf_settings_same(&vf->set, &pf->vfs[j].set, VFKEY_MAC))
				return err_set(e, EINVAL,
					       "%s:%d: [vf %d] mac %s is also given to [vf %d] "
					       "(line %d); expected a unique MAC per VF",
					       path, vf->line, vf->index, mac_str(vf->set.mac, mac),
					       pf->vfs[j].index, pf->vfs[j].line);
	}
	return 0;
}

int config_parse_text(const char *path, const char *text, struct config_pf *pf, struct errinfo *e)
{
	enum { SEC_NONE, SEC_PF, SEC_VF } sec = SEC_NONE;
	struct config_vf *cur = NULL;
	bool seen_pf = false;
	char *copy, *save = NULL, *raw;
	int line = 0, ret = 0;

	memset(pf, 0, sizeof(*pf));
	pf->autoprobe = -1;
	snprintf(pf->path, sizeof(pf->path), "%s", path);
	copy = strdup(text);
	if (!copy)
		return err_sys(e, ENOMEM, "%s: reading configuration", path);

	/* strsep keeps empty lines so line numbers stay right. */
	save = copy;
	while ((raw = strsep(&save, "\n")) != NULL) {
		char *s = trim(raw), *eq, *key, *val;

		line++;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end || *trim(end + 1))
				ret = err_set(
					e, EINVAL,
					"%s:%d: \"%s\": expected a section header [pf] or [vf N]",
					path, line, s);
			if (ret)
				goto out;
			*end = '\0';
			s = trim(s + 1);
			if (!strcmp(s, "pf")) {
				if (seen_pf) {
					ret = err_set(e, EINVAL,
						      "%s:%d: second [pf] section; expected one PF "
						      "per file (put the other PF in its own file)",
						      path, line);
					goto out;
				}
				seen_pf = true;
				sec = SEC_PF;
			} else if (!strncmp(s, "vf", 2)) {
				ret = parse_vf_header(path, line, s, pf, &cur, e);
				if (ret)
					goto out;
				sec = SEC_VF;
			} else {
				ret = err_set(
					e, EINVAL,
					"%s:%d: unknown section [%s]; expected [pf] or [vf N]",
					path, line, s);
				goto out;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			ret = err_set(e, EINVAL, "%s:%d: \"%s\": expected key = value", path, line,
				      s);
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!*key || !*val) {
			ret = err_set(e, EINVAL, "%s:%d: empty %s; expected key = value", path,
				      line, *key ? "value" : "key");
			goto out;
		}
		if (sec == SEC_NONE)
			ret = err_set(e, EINVAL,
				      "%s:%d: \"%s\" before any section; expected [pf] first", path,
				      line, key);
		else if (sec == SEC_PF)
			ret = parse_pf_key(path, line, key, val, pf, e);
		else
			ret = parse_vf_key(path, line, key, val, cur, e);
		if (ret)
			goto out;
	}
	if (!seen_pf)
		ret = err_set(e, EINVAL, "%s: no [pf] section; expected [pf] with match and numvfs",
			      path);
	else
		ret = check_pf(path, pf, e);
out:
	free(copy);
	if (ret)
		config_pf_free(pf);
	return ret;
}

int config_parse_file(const char *path, struct config_pf *pf, struct errinfo *e)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open %s", path);
	for (;;) {
		if (cap - len < 4096) {
			char *nb;

			/* Config files are small; refuse absurd ones rather than eat memory. */
			if (cap >= (1u << 22)) {
				ret = err_set(e, EFBIG,
					      "%s: larger than 4 MiB; expected a small text file",
					      path);
				goto out;
			}
			nb = realloc(buf, cap + 8192);
			if (!nb) {
				ret = err_sys(e, ENOMEM, "reading %s", path);
				goto out;
			}
			buf = nb;
			cap += 8192;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = err_sys(e, errno, "read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		ret = err_set(e, EINVAL, "%s: contains a NUL byte; expected a text file", path);
		goto out;
	}
	ret = config_parse_text(path, buf, pf, e);
out:
	free(buf);
	close(fd);
	return ret;
}

static int conf_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && !strcmp(d->d_name + len - 5, ".conf");
}

static const char *match_kind(enum config_match m)
{
	return m == CONFIG_MATCH_BDF ? "bdf" : m == CONFIG_MATCH_MAC ? "mac" : "serial";
}

int config_load_dir(const char *dir, struct config_set *set, struct errinfo *e)
{
	struct dirent **names = NULL;
	int n, ret = 0;

	memset(set, 0, sizeof(*set));
	n = scandir(dir, &names, conf_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, errno, "reading configuration directory %s", dir);
	}
	set->pfs = calloc((size_t)n + 1, sizeof(*set->pfs));
	if (!set->pfs) {
		ret = err_sys(e, ENOMEM, "loading %s", dir);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct config_pf *pf = &set->pfs[set->nr_pfs];
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ret = config_parse_file(path, pf, e);
		if (ret)
			goto out;
		set->nr_pfs++;
		for (int j = 0; j < set->nr_pfs - 1; j++) {
			const struct config_pf *o = &set->pfs[j];

			if (o->match == pf->match && !strcmp(o->match_val, pf->match_val)) {
				ret = err_set(e, EINVAL,
					      "%s:%d and %s:%d both match %s %s; expected one file "
					      "per PF",
					      o->path, o->match_line, pf->path, pf->match_line,
					      match_kind(pf->match), pf->match_val);
				err_hint(e, "merge the two files or remove one");
				goto out;
			}
		}
	}
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ret)
		config_set_free(set);
	return ret;
}

const struct config_vf *config_pf_vf(const struct config_pf *pf, int index)
{
	int lo = 0, hi = pf->nr_vfs - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (pf->vfs[mid].index == index)
			return &pf->vfs[mid];
		if (pf->vfs[mid].index < index)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

void config_pf_free(struct config_pf *pf)
{
	free(pf->vfs);
	pf->vfs = NULL;
	pf->nr_vfs = 0;
}

void config_set_free(struct config_set *set)
{
	for (int i = 0; i < set->nr_pfs; i++)
		config_pf_free(&set->pfs[i]);
	free(set->pfs);
	set->pfs = NULL;
	set->nr_pfs = 0;
}
