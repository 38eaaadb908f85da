// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recording fake of the VF link backend (format in vflink_fake.h).  Every
 * request locks the state file, loads it (from a cache when the text is
 * unchanged), acts, saves it (appending one line per changed VF) and
 * appends one line to "<state>.log", so several vfctl processes in one shell test see
 * one VF table and one ordered log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vflink_fake.h"

#define FAKE_MAX_VFS 4096

struct fake_pf {
	char name[IFNAMSIZ];
	int numvfs; /* -1: not an SR-IOV PF */
	struct vf_link_info *vfs;
};

struct fake_fail {
	char pf[IFNAMSIZ]; /* "*" = any */
	char attr[16];
	int err;
	int count; /* -1 = always */
};

struct fake_state {
	struct fake_pf *pfs;
	int npfs;
	struct fake_fail *fails;
	int nfails;
};

struct vflink_fake {
	struct vflink base;
	char *path;
	char *log_path;
	/*
	 * The table as last loaded or written by this process, valid while
	 * the file still holds the same text: then a request neither parses
	 * nor rewrites the whole file.
	 */
	struct fake_state cache;
	bool cached;
	char *text; /* the file's text that cache was parsed from or written as */
	size_t len;
	int appended; /* "vf" lines appended since the last full write */
};

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{"EOPNOTSUPP", EOPNOTSUPP},
	{"EBUSY", EBUSY},
	{"EAGAIN", EAGAIN},
	{"EPERM", EPERM},
	{"EINVAL", EINVAL},
	{"ENODEV", ENODEV},
	{"EIO", EIO},
	{"ERANGE", ERANGE},
	{"ENOMEM", ENOMEM},
	{"EPROTONOSUPPORT", EPROTONOSUPPORT},
};

static int errno_by_name(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, s))
			return errnames[i].err;
	return 0;
}

static const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return "E?";
}

static void default_vf(struct vf_link_info *vi, uint32_t idx)
{
	memset(vi, 0, sizeof(*vi));
	vi->vf = idx;
	vi->has_mac = vi->has_vlan = vi->has_rate = true;
	vi->vlan.proto = VF_ETH_P_8021Q;
	vi->spoofchk = 1;
	vi->trust = 0;
	vi->link_state = VF_LINK_STATE_AUTO;
	vi->query_rss = 0;
}

static void state_free(struct fake_state *st)
{
	int i;

	for (i = 0; i < st->npfs; i++)
		free(st->pfs[i].vfs);
	free(st->pfs);
	free(st->fails);
	memset(st, 0, sizeof(*st));
}

static struct fake_pf *find_pf(struct fake_state *st, const char *name)
{
	int i;

	for (i = 0; i < st->npfs; i++)
		if (!strcmp(st->pfs[i].name, name))
			return &st->pfs[i];
	return NULL;
}

static int parse_onoff(const char *s, int *v)
{
	if (!strcmp(s, "on"))
		*v = 1;
	else if (!strcmp(s, "off"))
		*v = 0;
	else
		return -EINVAL;
	return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	unsigned long x;
	char *end;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (!*s || *end || errno || x > max)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* "vf <if> <idx> key value ..." */
static int parse_vf_line(struct fake_state *st, char **tok, int ntok)
{
	struct fake_pf *pf;
	struct vf_link_info *vi;
	uint32_t idx, x = 0;
	int i, ret = 0;

	if (ntok < 3 || ntok % 2 == 0)
		return -EINVAL;
	pf = find_pf(st, tok[1]);
	if (!pf || pf->numvfs < 0 || parse_u32(tok[2], INT_MAX, &idx) ||
	    idx >= (uint32_t)pf->numvfs)
		return -EINVAL;
	vi = &pf->vfs[idx];
	for (i = 3; i + 1 < ntok && !ret; i += 2) {
		const char *k = tok[i], *v = tok[i + 1];

		if (!strcmp(k, "mac")) {
			ret = mac_parse(v, vi->mac);
		} else if (!strcmp(k, "vlan")) {
			ret = parse_u32(v, 4095, &x);
			vi->vlan.vlan = x;
		} else if (!strcmp(k, "qos")) {
			ret = parse_u32(v, 7, &x);
			vi->vlan.qos = x;
		} else if (!strcmp(k, "proto")) {
			vi->vlan.proto = !strcmp(v, "802.1ad") ? VF_ETH_P_8021AD : VF_ETH_P_8021Q;
		} else if (!strcmp(k, "min_tx")) {
			ret = parse_u32(v, UINT32_MAX, &vi->min_tx_rate);
		} else if (!strcmp(k, "max_tx")) {
			ret = parse_u32(v, UINT32_MAX, &vi->max_tx_rate);
		} else if (!strcmp(k, "spoofchk")) {
			ret = parse_onoff(v, &vi->spoofchk);
		} else if (!strcmp(k, "trust")) {
			ret = parse_onoff(v, &vi->trust);
		} else if (!strcmp(k, "query_rss")) {
			ret = parse_onoff(v, &vi->query_rss);
		} else if (!strcmp(k, "state")) {
			if (!strcmp(v, "auto"))
				vi->link_state = VF_LINK_STATE_AUTO;
			else if (!strcmp(v, "enable"))
				vi->link_state = VF_LINK_STATE_ENABLE;
			else if (!strcmp(v, "disable"))
				vi->link_state = VF_LINK_STATE_DISABLE;
			else
				ret = -EINVAL;
		} else {
			ret = -EINVAL;
		}
	}
	return ret;
}

static int parse_line(struct fake_state *st, char *line)
{
	char *tok[32], *save = NULL, *t;
	int ntok = 0;

	t = strchr(line, '#');
	if (t)
		*t = '\0';
	for (t = strtok_r(line, " \t\r\n", &save); t && ntok < 32;
	     t = strtok_r(NULL, " \t\r\n", &save))
		tok[ntok++] = t;
	if (!ntok)
		return 0;
	if (!strcmp(tok[0], "pf") && ntok >= 3 && strlen(tok[1]) < IFNAMSIZ) {
		struct fake_pf *pf, *np;
		uint32_t n = 0;
		uint32_t i;

		if (!strcmp(tok[2], "nosriov"))
			n = 0;
		else if (ntok != 4 || strcmp(tok[2], "numvfs") ||
			 parse_u32(tok[3], FAKE_MAX_VFS, &n))
			return -EINVAL;
		if (find_pf(st, tok[1]))
			return -EINVAL;
		np = reallocarray(st->pfs, st->npfs + 1, sizeof(*np));
		if (!np)
			return -ENOMEM;
		st->pfs = np;
		pf = &st->pfs[st->npfs++];
		memset(pf, 0, sizeof(*pf));
		strcpy(pf->name, tok[1]);
		pf->numvfs = !strcmp(tok[2], "nosriov") ? -1 : (int)n;
		if (n) {
			pf->vfs = calloc(n, sizeof(*pf->vfs));
			if (!pf->vfs)
				return -ENOMEM;
		}
		for (i = 0; i < n; i++)
			default_vf(&pf->vfs[i], i);
		return 0;
	}
	if (!strcmp(tok[0], "vf"))
		return parse_vf_line(st, tok, ntok);
	if (!strcmp(tok[0], "fail") && ntok == 5 && strlen(tok[1]) < IFNAMSIZ &&
	    strlen(tok[2]) < 16) {
		struct fake_fail *nf, *f;
		uint32_t cnt = 0;
		int err = errno_by_name(tok[3]);

		if (!err || (strcmp(tok[4], "always") && parse_u32(tok[4], INT_MAX, &cnt)))
			return -EINVAL;
		nf = reallocarray(st->fails, st->nfails + 1, sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		st->fails = nf;
		f = &st->fails[st->nfails++];
		strcpy(f->pf, tok[1]);
		strcpy(f->attr, tok[2]);
		f->err = err;
		f->count = strcmp(tok[4], "always") ? (int)cnt : -1;
		return 0;
	}
	return -EINVAL;
}

/* Parse the state file's text (NUL-terminated, modified) into st. */
static int load(char *text, const char *path, struct fake_state *st, struct errinfo *e)
{
	char *line, *save = text;
	int lineno = 0, ret = 0;

	memset(st, 0, sizeof(*st));
	while ((line = strsep(&save, "\n")) != NULL) {
		lineno++;
		ret = parse_line(st, line);
		if (ret) {
			err_set(e, -ret, "fake netlink state %s:%d: invalid line", path, lineno);
			state_free(st);
			break;
		}
	}
	return ret;
}

static void write_vf(FILE *f, const struct fake_pf *pf, int j)
{
	const struct vf_link_info *v = &pf->vfs[j];
	char mac[18];

	fprintf(f,
		"vf %s %d mac %s vlan %u qos %u proto %s min_tx %u max_tx %u "
		"spoofchk %s trust %s state %s query_rss %s\n",
		pf->name, j, mac_str(v->mac, mac), v->vlan.vlan, v->vlan.qos,
		vf_vlan_proto_name(v->vlan.proto), v->min_tx_rate, v->max_tx_rate,
		v->spoofchk ? "on" : "off", v->trust ? "on" : "off",
		vf_link_state_name(v->link_state), v->query_rss ? "on" : "off");
}

/* The whole state as text (malloc'd), or NULL. */
static char *render(const struct fake_state *st, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	int i, j;

	if (!f)
		return NULL;
	for (i = 0; i < st->npfs; i++) {
		const struct fake_pf *pf = &st->pfs[i];

		if (pf->numvfs < 0) {
			fprintf(f, "pf %s nosriov\n", pf->name);
			continue;
		}
		fprintf(f, "pf %s numvfs %d\n", pf->name, pf->numvfs);
		for (j = 0; j < pf->numvfs; j++)
			write_vf(f, pf, j);
	}
	for (i = 0; i < st->nfails; i++) {
		const struct fake_fail *fl = &st->fails[i];

		if (fl->count < 0)
			fprintf(f, "fail %s %s %s always\n", fl->pf, fl->attr, errno_name(fl->err));
		else if (fl->count > 0)
			fprintf(f, "fail %s %s %s %d\n", fl->pf, fl->attr, errno_name(fl->err),
				fl->count);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static int write_at(int fd, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -(n < 0 ? errno : EIO);
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* A matching "fail" directive consumes one count and yields its errno. */
static int injected(struct fake_state *st, const char *pf, const char *attr)
{
	int i;

	for (i = 0; i < st->nfails; i++) {
		struct fake_fail *f = &st->fails[i];

		if ((strcmp(f->pf, "*") && strcmp(f->pf, pf)) || strcmp(f->attr, attr) || !f->count)
			continue;
		if (f->count > 0)
			f->count--;
		return f->err;
	}
	return 0;
}

static void log_line(struct vflink_fake *l, const char *req, int err)
{
	FILE *f = fopen(l->log_path, "a");

	/* The log is a test aid; a test that needs it will notice it missing. */
	if (!f)
		return;
	fprintf(f, "%s -> %s\n", req, err ? errno_name(err) : "ok");
	fclose(f);
}

/*
 * Open and lock the state file; l->cache holds its table on success and
 * *fd stays open and locked.  The text is parsed again only when it is not
 * what this process last read or wrote (simsysfs or a test changed it):
 * comparing bytes needs no trust in timestamps, which are coarser than
 * the requests are apart.
 */
static int begin(struct vflink_fake *l, int *fd, struct errinfo *e)
{
	struct stat sb;
	size_t len = 0;
	char *text;
	int ret;

	*fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return err_sys(e, errno, "fake netlink: open %s", l->path);
	if (flock(*fd, LOCK_EX) < 0) {
		ret = err_sys(e, errno, "fake netlink: lock %s", l->path);
		goto fail;
	}
	if (fstat(*fd, &sb) < 0) {
		ret = err_sys(e, errno, "fake netlink: stat %s", l->path);
		goto fail;
	}
	text = malloc((size_t)sb.st_size + 1);
	if (!text) {
		ret = err_set(e, ENOMEM, "fake netlink: no memory");
		goto fail;
	}
	while (len < (size_t)sb.st_size) {
		ssize_t n = pread(*fd, text + len, (size_t)sb.st_size - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	if (l->cached && len == l->len && !memcmp(text, l->text, len)) {
		free(text);
		return 0;
	}
	if (l->cached)
		state_free(&l->cache);
	free(l->text);
	l->cached = false;
	l->text = text;
	l->len = len;
	text = strdup(text);
	if (!text) {
		ret = err_set(e, ENOMEM, "fake netlink: no memory");
		goto fail;
	}
	ret = load(text, l->path, &l->cache, e);
	free(text);
	if (ret)
		goto fail;
	l->cached = true;
	l->appended = 0;
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return ret;
}

/* Rewrite the whole file (a fail counter changed, or too many lines were appended). */
static int save_all(struct vflink_fake *l, int fd, struct errinfo *e)
{
	size_t len = 0;
	char *text = render(&l->cache, &len);
	int ret;

	l->appended = 0;
	if (!text) {
		l->cached = false;
		return err_set(e, ENOMEM, "fake netlink: no memory");
	}
	ret = ftruncate(fd, 0) < 0 ? -errno : write_at(fd, text, len, 0);
	free(l->text);
	l->text = text;
	l->len = len;
	if (ret) {
		l->cached = false;
		return err_sys(e, -ret, "fake netlink: writing %s", l->path);
	}
	return 0;
}

/*
 * One VF changed: append its line (a later "vf" line overrides an earlier
 * one), so a request costs the same whatever the number of VFs; the file
 * is compacted once the appended lines outnumber the VFs.
 */
static int save_vf(struct vflink_fake *l, int fd, const struct fake_pf *pf, int vf,
		   struct errinfo *e)
{
	char *line = NULL, *nt;
	size_t n = 0;
	FILE *f;
	int ret;

	if (l->appended > pf->numvfs + 64)
		return save_all(l, fd, e);
	f = open_memstream(&line, &n);
	if (!f)
		return err_set(e, ENOMEM, "fake netlink: no memory");
	write_vf(f, pf, vf);
	fclose(f);
	nt = line ? realloc(l->text, l->len + n + 1) : NULL;
	if (!nt) {
		free(line);
		l->cached = false;
		return err_set(e, ENOMEM, "fake netlink: no memory");
	}
	l->text = nt;
	ret = write_at(fd, line, n, (off_t)l->len);
	memcpy(l->text + l->len, line, n + 1);
	l->len += n;
	l->appended++;
	free(line);
	if (ret) {
		l->cached = false;
		return err_sys(e, -ret, "fake netlink: writing %s", l->path);
	}
	return 0;
}

static int fake_get_vfs(struct vflink *base, const char *pfname, struct vf_link_info **out, int *n,
			struct errinfo *e)
{
	struct vflink_fake *l = (struct vflink_fake *)base;
	struct fake_state *st = &l->cache;
	struct fake_pf *pf;
	char req[64], what[96];
	int fd, ret, err;

	snprintf(req, sizeof(req), "get %s", pfname);
	snprintf(what, sizeof(what), "reading VF settings of %s", pfname);
	ret = begin(l, &fd, e);
	if (ret)
		return ret;
	pf = find_pf(st, pfname);
	err = injected(st, pfname, "get");
	if (err) {
		ret = vflink_report_error(e, err, pfname, what, NULL);
	} else if (!pf) {
		err = ENODEV;
		ret = vflink_report_error(e, err, pfname, what, NULL);
	} else if (pf->numvfs < 0) {
		err = EOPNOTSUPP;
		ret = err_set(e, EOPNOTSUPP,
			      "%s has no VFs: it is not a PCI network device with SR-IOV", pfname);
		err_hint(e, "name the PF's netdev (vfctl list shows PFs and their netdevs)");
	} else if (pf->numvfs > 0) {
		*out = malloc(pf->numvfs * sizeof(**out));
		if (!*out) {
			ret = err_set(e, ENOMEM, "no memory for %d VF entries", pf->numvfs);
		} else {
			memcpy(*out, pf->vfs, pf->numvfs * sizeof(**out));
			*n = pf->numvfs;
		}
	}
	if (!ret || err)
		log_line(l, req, err);
	/* Only fail counters change on a read. */
	if (err)
		save_all(l, fd, NULL);
	close(fd);
	return ret;
}

static void store(struct vf_link_info *vi, const struct vf_attr_value *v)
{
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
		vi->spoofchk = !!v->on;
		break;
	case VF_ATTR_TRUST:
		vi->trust = !!v->on;
		break;
	case VF_ATTR_LINK_STATE:
		vi->link_state = (int)v->link_state;
		break;
	case VF_ATTR_QUERY_RSS:
		vi->query_rss = !!v->on;
		break;
	default:
		break;
	}
}

static int fake_set_vf(struct vflink *base, const char *pfname, uint32_t vf,
		       const struct vf_attr_value *v, struct errinfo *e)
{
	struct vflink_fake *l = (struct vflink_fake *)base;
	struct fake_state *st = &l->cache;
	struct fake_pf *pf;
	char req[160], desc[96], what[96];
	int fd, ret, err;

	vf_attr_value_str(v, desc, sizeof(desc));
	snprintf(req, sizeof(req), "set %s vf %u %s", pfname, vf, desc);
	snprintf(what, sizeof(what), "%s VF %u: setting %s", pfname, vf, vf_attr_name(v->attr));
	ret = begin(l, &fd, e);
	if (ret)
		return ret;
	pf = find_pf(st, pfname);
	err = injected(st, pfname, vf_attr_name(v->attr));
	if (err) {
		/* A fail counter went down: that is saved whatever the answer. */
		ret = vflink_report_error(e, err, pfname, what, NULL);
		log_line(l, req, err);
		save_all(l, fd, NULL);
		close(fd);
		return ret;
	}
	if (!pf)
		err = ENODEV;
	else if (pf->numvfs < 0)
		err = EOPNOTSUPP;
	else if (vf >= (uint32_t)pf->numvfs)
		err = EINVAL; /* what drivers answer for an index past the last VF */
	if (err)
		ret = vflink_report_error(e, err, pfname, what, NULL);
	else
		store(&pf->vfs[vf], v);
	log_line(l, req, err);
	if (!ret && save_vf(l, fd, pf, (int)vf, e))
		ret = -(e ? e->err : EIO);
	close(fd);
	return ret;
}

static void fake_close(struct vflink *base)
{
	struct vflink_fake *l = (struct vflink_fake *)base;

	if (l->cached)
		state_free(&l->cache);
	free(l->text);
	free(l->path);
	free(l->log_path);
	free(l);
}

static const struct vflink_ops fake_ops = {
	.get_vfs = fake_get_vfs,
	.set_vf = fake_set_vf,
	.close = fake_close,
};

struct vflink *vflink_open_fake(const char *state_file, struct errinfo *e)
{
	struct vflink_fake *l;

	if (!state_file || !*state_file) {
		err_set(e, EINVAL, "fake netlink: no state file given");
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		goto nomem;
	l->base.ops = &fake_ops;
	l->path = strdup(state_file);
	if (!l->path || asprintf(&l->log_path, "%s.log", state_file) < 0) {
		l->log_path = NULL;
		fake_close(&l->base);
		goto nomem;
	}
	return &l->base;
nomem:
	err_set(e, ENOMEM, "fake netlink: no memory");
	return NULL;
}
