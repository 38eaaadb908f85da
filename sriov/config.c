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
#include "vf_settings.h"

static const char *const vfkey_names[VFKEY_NR] = {
	[VFKEY_VLAN] = "vlan",
	[VFKEY_QOS] = "qos",
	[VFKEY_PROTO] = "proto",
	[VFKEY_MAC] = "mac",
	[VFKEY_MIN_TX_RATE] = "min_tx_rate",
	[VFKEY_MAX_TX_RATE] = "max_tx_rate",
	[VFKEY_SPOOFCHK] = "spoofchk",
	[VFKEY_TRUST] = "trust",
	[VFKEY_STATE] = "state",
	[VFKEY_QUERY_RSS] = "query_rss",
};

const char *vfkey_name(enum vfkey k)
{
	return (unsigned int)k < VFKEY_NR ? vfkey_names[k] : "?";
}

int vfkey_lookup(const char *name)
{
	for (int k = 0; k < VFKEY_NR; k++)
		if (!strcmp(name, vfkey_names[k]))
			return k;
	return -1;
}

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

static int canon_mac(const char *s, char *out, struct errinfo *e)
{
	unsigned int b[6];
	int n = -1;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) !=
		    6 ||
	    n != 17)
		return err_set(e, EINVAL,
			       "mac \"%s\" is not a MAC address; expected six hex pairs like "
			       "02:00:00:00:00:01",
			       s);
	for (int i = 0; i < 17; i++)
		if ((i % 3 == 2) != (s[i] == ':') || (i % 3 != 2 && !isxdigit((unsigned char)s[i])))
			return err_set(e, EINVAL,
				       "mac \"%s\" is not a MAC address; expected six hex pairs "
				       "like 02:00:00:00:00:01",
				       s);
	if (b[0] & 1)
		return err_set(e, EINVAL,
			       "mac %s is a multicast address; expected a unicast MAC (first octet "
			       "even), e.g. 02:00:00:00:00:01",
			       s);
	snprintf(out, CONFIG_VAL_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5]);
	return 0;
}

int vfkey_canon(enum vfkey k, const char *value, char *out, struct errinfo *e)
{
	unsigned long v;
	int b;

	switch (k) {
	case VFKEY_MAC:
		return canon_mac(value, out, e);
	case VFKEY_VLAN:
		if (parse_uint(value, 4095, &v))
			return err_set(
				e, EINVAL,
				"vlan \"%s\" is not a VLAN ID; expected 0..4095 (0 = no VLAN)",
				value);
		break;
	case VFKEY_QOS:
		if (parse_uint(value, 7, &v))
			return err_set(e, EINVAL,
				       "qos \"%s\" is not an 802.1p priority; expected 0..7",
				       value);
		break;
	case VFKEY_MIN_TX_RATE:
	case VFKEY_MAX_TX_RATE:
		if (parse_uint(value, UINT_MAX, &v))
			return err_set(e, EINVAL,
				       "%s \"%s\" is not a rate; expected Mbit/s as a whole "
				       "number, 0 = unlimited",
				       vfkey_name(k), value);
		break;
	case VFKEY_PROTO:
		if (!strcasecmp(value, "802.1Q")) {
			snprintf(out, CONFIG_VAL_LEN, "802.1Q");
			return 0;
		}
		if (!strcasecmp(value, "802.1ad")) {
			snprintf(out, CONFIG_VAL_LEN, "802.1ad");
			return 0;
		}
		return err_set(e, EINVAL,
			       "proto \"%s\" is not a VLAN protocol; expected 802.1Q or 802.1ad",
			       value);
	case VFKEY_SPOOFCHK:
	case VFKEY_TRUST:
	case VFKEY_QUERY_RSS:
		b = parse_bool(value);
		if (b < 0)
			return err_set(e, EINVAL, "%s \"%s\" is not a switch; expected on or off",
				       vfkey_name(k), value);
		snprintf(out, CONFIG_VAL_LEN, "%s", b ? "on" : "off");
		return 0;
	case VFKEY_STATE:
		if (strcmp(value, "auto") && strcmp(value, "enable") && strcmp(value, "disable"))
			return err_set(e, EINVAL,
				       "state \"%s\" is not a link state; expected auto, enable or "
				       "disable",
				       value);
		snprintf(out, CONFIG_VAL_LEN, "%s", value);
		return 0;
	default:
		return err_set(e, EINVAL, "unknown VF setting %d", (int)k);
	}
	snprintf(out, CONFIG_VAL_LEN, "%lu", v);
	return 0;
}

int config_canon_bdf(const char *in, char *out, struct errinfo *e)
{
	unsigned int dom = 0, bus, dev, fn;
	int n = -1;
	size_t len = strlen(in);

	if (len == 12 && sscanf(in, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) == 4 && n == 12)
		;
	else if (len == 7 && sscanf(in, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) == 3 && n == 7)
		dom = 0;
	else
		return err_set(
			e, EINVAL,
			"\"%s\" is not a PCI address; expected DDDD:BB:DD.F like 0000:01:00.0", in);
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)in[i]) && in[i] != ':' && in[i] != '.')
			return err_set(e, EINVAL,
				       "\"%s\" is not a PCI address; expected DDDD:BB:DD.F like "
				       "0000:01:00.0",
				       in);
	if (dev > 0x1f || fn > 7)
		return err_set(
			e, EINVAL,
			"\"%s\" is not a PCI address: device must be 00..1f and function 0..7", in);
	snprintf(out, CONFIG_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
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
		if (config_canon_bdf(arg, pf->match_val, &sub) < 0)
			return err_set(e, EINVAL, "%s:%d: match: %s", path, line, sub.msg);
	} else if (!strcmp(kind, "mac")) {
		pf->match = CONFIG_MATCH_MAC;
		if (canon_mac(arg, pf->match_val, &sub) < 0)
			return err_set(e, EINVAL, "%s:%d: match: %s (the PF's permanent MAC)", path,
				       line, sub.msg);
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

static int valid_driver(const char *s)
{
	if (!*s || strlen(s) >= CONFIG_DRIVER_LEN)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static int parse_vf_key(const char *path, int line, const char *key, const char *val,
			struct config_vf *vf, struct errinfo *e)
{
	struct vf_settings scratch;
	struct errinfo sub;
	int k;

	if (!strcmp(key, "driver")) {
		if (!valid_driver(val))
			return err_set(
				e, EINVAL,
				"%s:%d: driver = \"%s\": expected a driver name like vfio-pci",
				path, line, val);
		snprintf(vf->driver, sizeof(vf->driver), "%s", val);
		return 0;
	}
	k = vfkey_lookup(key);
	if (k < 0)
		return err_set(
			e, EINVAL,
			"%s:%d: unknown key \"%s\" in [vf %d]; expected mac, vlan, qos, proto, "
			"min_tx_rate, max_tx_rate, spoofchk, trust, state, query_rss or driver",
			path, line, key, vf->index);
	if (vf->has[k])
		return err_set(e, EINVAL, "%s:%d: %s is given twice in [vf %d]", path, line, key,
			       vf->index);
	/* The same rules as `vfctl set`, then the canonical form planning compares. */
	vf_settings_init(&scratch);
	if (vf_settings_parse_one(&scratch, key, val, &sub) < 0 ||
	    vfkey_canon(k, val, vf->val[k], &sub) < 0)
		return err_set(e, EINVAL, "%s:%d: %s", path, line, sub.msg);
	vf->has[k] = true;
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
		unsigned long mn, mx;

		if (vf->index >= pf->numvfs)
			return err_set(e, EINVAL,
				       "%s:%d: [vf %d] is beyond numvfs = %d (line %d); expected "
				       "an index 0..%d",
				       path, vf->line, vf->index, pf->numvfs, pf->numvfs_line,
				       pf->numvfs - 1);
		if ((vf->has[VFKEY_QOS] || vf->has[VFKEY_PROTO]) && !vf->has[VFKEY_VLAN])
			return err_set(e, EINVAL,
				       "%s:%d: [vf %d] sets qos or proto without vlan; expected a "
				       "vlan = line too",
				       path, vf->line, vf->index);
		if (vf->has[VFKEY_MIN_TX_RATE] && vf->has[VFKEY_MAX_TX_RATE]) {
			mn = strtoul(vf->val[VFKEY_MIN_TX_RATE], NULL, 10);
			mx = strtoul(vf->val[VFKEY_MAX_TX_RATE], NULL, 10);
			if (mx && mn > mx)
				return err_set(e, EINVAL,
					       "%s:%d: [vf %d] min_tx_rate %lu is above "
					       "max_tx_rate %lu; expected min <= max",
					       path, vf->line, vf->index, mn, mx);
		}
		for (int j = 0; j < i; j++)
			if (vf->has[VFKEY_MAC] && pf->vfs[j].has[VFKEY_MAC] &&
			    strcmp(vf->val[VFKEY_MAC], "00:00:00:00:00:00") &&
			    !strcmp(vf->val[VFKEY_MAC], pf->vfs[j].val[VFKEY_MAC]))
				return err_set(e, EINVAL,
					       "%s:%d: [vf %d] mac %s is also given to [vf %d] "
					       "(line %d); expected a unique MAC per VF",
					       path, vf->line, vf->index, vf->val[VFKEY_MAC],
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
