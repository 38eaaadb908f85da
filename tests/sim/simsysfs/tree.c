// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-memory tree behind the mount: directories, files, links and
 * character-device nodes addressed by absolute in-mount paths ("/sys/...").
 * Links store absolute in-mount targets and are shown relative, like sysfs,
 * so they resolve correctly wherever the filesystem is mounted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "simsysfs.h"

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	/* The daemon cannot do anything useful without memory. */
	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		abort();
	return p;
}

static struct snode *node_new(const char *name, size_t nlen, enum snode_type type, mode_t mode)
{
	struct snode *n = xcalloc(1, sizeof(*n));

	n->name = xstrndup(name, nlen);
	n->type = type;
	n->mode = mode;
	return n;
}

struct snode *tree_new_root(void)
{
	return node_new("", 0, SN_DIR, S_IFDIR | 0755);
}

void tree_free(struct snode *n)
{
	struct snode *c, *next;

	if (!n)
		return;
	for (c = n->child; c; c = next) {
		next = c->next;
		tree_free(c);
	}
	free(n->name);
	free(n->data);
	free(n);
}

static struct snode *child_find(struct snode *dir, const char *name, size_t nlen)
{
	struct snode *c;

	for (c = dir->child; c; c = c->next)
		if (strlen(c->name) == nlen && !memcmp(c->name, name, nlen))
			return c;
	return NULL;
}

/* Appends so that readdir lists entries in creation order (stable output). */
static void child_add(struct snode *dir, struct snode *n)
{
	struct snode **pp = &dir->child;

	while (*pp)
		pp = &(*pp)->next;
	*pp = n;
	n->parent = dir;
}

/* Next path component: sets *len, returns its start or NULL at the end. */
static const char *next_comp(const char **p, size_t *len)
{
	const char *s = *p, *e;

	while (*s == '/')
		s++;
	if (!*s)
		return NULL;
	e = strchrnul(s, '/');
	*len = e - s;
	*p = e;
	return s;
}

struct snode *tree_lookup(struct snode *root, const char *path)
{
	struct snode *n = root;
	const char *c;
	size_t len;

	while ((c = next_comp(&path, &len))) {
		if (n->type != SN_DIR)
			return NULL;
		n = child_find(n, c, len);
		if (!n)
			return NULL;
	}
	return n;
}

struct snode *tree_resolve(struct snode *root, const char *path)
{
	char *buf = strdup(path), *rest;
	struct snode *n = root;
	const char *p, *c;
	size_t len;
	int hops = 0;

	if (!buf)
		return NULL;
	p = buf;
	while ((c = next_comp(&p, &len))) {
		if (n->type != SN_DIR) {
			n = NULL;
			break;
		}
		n = child_find(n, c, len);
		if (!n)
			break;
		if (n->type == SN_LINK) {
			/* Restart from the root at "<target><rest of path>". */
			if (++hops > 40) {
				n = NULL;
				break;
			}
			if (asprintf(&rest, "%s%s", n->data, p) < 0) {
				n = NULL;
				break;
			}
			free(buf);
			buf = rest;
			p = buf;
			n = root;
		}
	}
	free(buf);
	return n;
}

struct snode *tree_mkdir_p(struct snode *root, const char *path)
{
	struct snode *n = root, *c;
	const char *comp;
	size_t len;

	while ((comp = next_comp(&path, &len))) {
		c = child_find(n, comp, len);
		if (!c) {
			c = node_new(comp, len, SN_DIR, S_IFDIR | 0755);
			child_add(n, c);
		}
		n = c;
	}
	return n;
}

/* Creates (or replaces) the last component of path under its parent. */
static struct snode *add_leaf(struct snode *root, const char *path, enum snode_type type,
			      mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char *dir = xstrndup(path, slash ? (size_t)(slash - path) : 0);
	const char *name = slash ? slash + 1 : path;
	struct snode *parent = tree_mkdir_p(root, dir), *n;

	free(dir);
	tree_remove(parent, name);
	n = node_new(name, strlen(name), type, mode);
	child_add(parent, n);
	return n;
}

struct snode *tree_add_file(struct snode *root, const char *path, mode_t mode, const char *data,
			    size_t len)
{
	struct snode *n = add_leaf(root, path, SN_FILE, S_IFREG | mode);

	tree_set(n, data, len);
	return n;
}

struct snode *tree_add_link(struct snode *root, const char *path, const char *target)
{
	struct snode *n = add_leaf(root, path, SN_LINK, S_IFLNK | 0777);

	tree_set(n, target, strlen(target));
	return n;
}

struct snode *tree_add_chr(struct snode *root, const char *path, dev_t rdev)
{
	struct snode *n = add_leaf(root, path, SN_CHR, S_IFCHR | 0600);

	n->rdev = rdev;
	return n;
}

void tree_remove(struct snode *root, const char *path)
{
	struct snode *n = tree_lookup(root, path), **pp;

	if (!n || n == root)
		return;
	for (pp = &n->parent->child; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	n->next = NULL;
	tree_free(n);
}

void tree_set(struct snode *n, const char *data, size_t len)
{
	free(n->data);
	n->data = xcalloc(1, len + 1);
	if (len)
		memcpy(n->data, data, len);
	n->len = len;
}

void tree_setf(struct snode *n, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (len < 0)
		abort();
	tree_set(n, s, len);
	free(s);
}

char *tree_path(const struct snode *n)
{
	size_t len = 0, pos;
	const struct snode *p;
	char *s;

	for (p = n; p->parent; p = p->parent)
		len += strlen(p->name) + 1;
	s = xcalloc(1, len + 2);
	if (!len) {
		s[0] = '/';
		return s;
	}
	pos = len;
	for (p = n; p->parent; p = p->parent) {
		size_t l = strlen(p->name);

		pos -= l;
		memcpy(s + pos, p->name, l);
		s[--pos] = '/';
	}
	return s;
}

char *tree_rel_target(const struct snode *link)
{
	char *from = tree_path(link->parent), *out;
	const char *f = from, *t = link->data, *p;
	size_t flen = 0, tlen = 0, up = 0, tcomps = 0, cap;

	for (p = t; next_comp(&p, &tlen);)
		tcomps++;
	/*
	 * Skip the common leading components, but always keep the target's own
	 * name: like sysfs, a link to an ancestor reads "../../../<name>".
	 */
	for (size_t skipped = 0; skipped + 1 < tcomps; skipped++) {
		const char *fs = f, *ts = t, *fc, *tc;

		fc = next_comp(&fs, &flen);
		tc = next_comp(&ts, &tlen);
		if (!fc || !tc || flen != tlen || memcmp(fc, tc, flen))
			break;
		f = fs;
		t = ts;
	}
	for (p = f; next_comp(&p, &flen);)
		up++;
	while (*t == '/')
		t++;
	cap = up * 3 + strlen(t) + 2;
	out = xcalloc(1, cap);
	for (size_t i = 0; i < up; i++)
		strcat(out, "../");
	strcat(out, t);
	free(from);
	return out;
}
