// SPDX-License-Identifier: GPL-2.0-only
/*
 * simsysfs: FUSE front of the simulated sysfs.
 *
 *   simsysfs --spec FILE [--netlink-state FILE] MOUNTPOINT [-d]
 *
 * --netlink-state names vfctl's netlink fake state file (VFCTL_FAKE_NETLINK):
 * VF creation/removal then updates the PF's VF table there as the kernel would.
 * Serves MOUNTPOINT/sys/... and MOUNTPOINT/dev/... from the tree spec, plus
 * MOUNTPOINT/.sim/ for tests:
 *   inject  write "<path> <ERRNO-NAME> [count|always]" (path relative to the
 *           mount, links followed): the next write(s) to it fail with that
 *           errno and change nothing; "clear" drops all; reading lists them.
 *           KILL instead of an errno: the writer gets SIGKILL and the write
 *           changes nothing; KILL-AFTER: the write lands, then SIGKILL
 *   log     every write to the tree with its value and result; write to empty
 *   ctl     "netdev IF up|down"
 * Runs in the foreground and single-threaded; unmount with fusermount3 -u.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simsysfs.h"

#define SIM_MAX_WRITE 4096

static struct sim *ctx_sim(void)
{
	return fuse_get_context()->private_data;
}

static void *sim_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* The tree changes behind the kernel's back: never cache anything. */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	return ctx_sim();
}

static int sim_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct sim *s = ctx_sim();
	struct snode *n = tree_lookup(s->root, path);

	(void)fi;
	if (!n)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_mode = n->mode;
	st->st_nlink = n->type == SN_DIR ? 2 : 1;
	st->st_rdev = n->rdev;
	if (n->type == SN_LINK) {
		char *t = tree_rel_target(n);

		st->st_size = strlen(t);
		free(t);
	} else if (n->type == SN_FILE) {
		/* sysfs reports a page for text attributes, the real size for binary ones. */
		st->st_size = n->attr == SA_CONFIG ? n->len : n->attr == SA_LOG ? s->loglen : 4096;
	}
	return 0;
}

static int sim_readlink(const char *path, char *buf, size_t size)
{
	struct snode *n = tree_lookup(ctx_sim()->root, path);
	char *t;

	if (!n)
		return -ENOENT;
	if (n->type != SN_LINK)
		return -EINVAL;
	t = tree_rel_target(n);
	snprintf(buf, size, "%s", t);
	free(t);
	return 0;
}

static int sim_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct snode *n = tree_lookup(ctx_sim()->root, path), *c;

	(void)off;
	(void)fi;
	(void)flags;
	if (!n)
		return -ENOENT;
	if (n->type != SN_DIR)
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	for (c = n->child; c; c = c->next)
		filler(buf, c->name, NULL, 0, 0);
	return 0;
}

static int sim_open(const char *path, struct fuse_file_info *fi)
{
	struct snode *n = tree_lookup(ctx_sim()->root, path);
	int acc = fi->flags & O_ACCMODE;

	if (!n)
		return -ENOENT;
	if (n->type == SN_CHR)
		return -ENXIO; /* no driver behind the simulated node */
	/* kernfs refuses opens the attribute's mode does not allow, even for root. */
	if ((acc != O_RDONLY && !(n->mode & 0222)) || (acc != O_WRONLY && !(n->mode & 0444)))
		return -EACCES;
	fi->direct_io = 1;
	return 0;
}

static int sim_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EACCES;
}

static int sim_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)size;
	(void)fi;
	/* "echo x > attr" truncates first; sysfs ignores that. */
	return tree_lookup(ctx_sim()->root, path) ? 0 : -ENOENT;
}

static int copy_out(const char *data, size_t len, char *buf, size_t size, off_t off)
{
	if ((size_t)off >= len)
		return 0;
	if (size > len - off)
		size = len - off;
	memcpy(buf, data + off, size);
	return size;
}

static int inject_list(struct sim *s, char *buf, size_t size, off_t off)
{
	char out[SIM_MAX_INJECT * 600] = "";
	size_t len = 0;

	for (int i = 0; i < s->ninject; i++)
		len += snprintf(out + len, sizeof(out) - len, "%s %s %d\n", s->inject[i].path,
				errno_name(s->inject[i].err), s->inject[i].count);
	return copy_out(out, len, buf, size, off);
}

static int sim_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct sim *s = ctx_sim();
	struct snode *n = tree_lookup(s->root, path);
	uint8_t cfg[4096];
	size_t len;

	(void)fi;
	if (!n)
		return -ENOENT;
	switch (n->attr) {
	case SA_CONFIG:
		len = cfg_build(n->owner, cfg, sizeof(cfg));
		return copy_out((char *)cfg, len, buf, size, off);
	case SA_LOG:
		return copy_out(s->log ? s->log : "", s->loglen, buf, size, off);
	case SA_INJECT:
		return inject_list(s, buf, size, off);
	default:
		return copy_out(n->data ? n->data : "", n->len, buf, size, off);
	}
}

static void log_append(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_append(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	s->log = realloc(s->log, s->loglen + len + 1);
	if (!s->log)
		abort();
	memcpy(s->log + s->loglen, line, len + 1);
	s->loglen += len;
	free(line);
}

/* The value as one printable token for the log ("\n" spelled out). */
static void escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 5 < outlen; in++) {
		if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if ((unsigned char)*in < 0x20 || *in == '\\') {
			o += snprintf(out + o, outlen - o, "\\x%02x", (unsigned char)*in);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static int inject_write(struct sim *s, char *buf)
{
	char *line, *save;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char p[400], name[32], cnt[16] = "1", full[410];
		struct sim_inject *in;
		struct snode *n;
		char *canon;
		int err, k;

		if (!strcmp(line, "clear")) {
			s->ninject = 0;
			continue;
		}
		k = sscanf(line, "%399s %31s %15s", p, name, cnt);
		if (k < 2)
			return -EINVAL;
		err = errno_from_name(name);
		if (!err)
			return -EINVAL;
		snprintf(full, sizeof(full), "/%s", p[0] == '/' ? p + 1 : p);
		n = tree_resolve(s->root, full);
		if (!n)
			return -ENOENT;
		if (s->ninject >= SIM_MAX_INJECT)
			return -ENOSPC;
		in = &s->inject[s->ninject++];
		canon = tree_path(n);
		snprintf(in->path, sizeof(in->path), "%s", canon);
		free(canon);
		in->err = err;
		in->count = !strcmp(cnt, "always") ? -1 : atoi(cnt);
		if (in->count == 0) {
			s->ninject--;
			return -EINVAL;
		}
	}
	return 0;
}

/* An armed injection for this path: consume one and return its errno. */
static int inject_take(struct sim *s, const char *path)
{
	for (int i = 0; i < s->ninject; i++) {
		struct sim_inject *in = &s->inject[i];
		int err;

		if (strcmp(in->path, path))
			continue;
		err = in->err;
		if (in->count > 0 && --in->count == 0) {
			memmove(in, in + 1, (s->ninject - i - 1) * sizeof(*in));
			s->ninject--;
		}
		return err;
	}
	return 0;
}

static int dispatch(struct sim *s, struct snode *n, const char *val)
{
	switch (n->attr) {
	case SA_NUMVFS:
		return sim_write_numvfs(s, n->owner, val);
	case SA_AUTOPROBE:
		return sim_write_autoprobe(s, n->owner, val);
	case SA_OVERRIDE:
		return sim_write_override(s, n->owner, val);
	case SA_PROBE:
		return sim_write_probe(s, val);
	case SA_DRV_BIND:
		return sim_write_bind(s, n->owner, val);
	case SA_DRV_UNBIND:
		return sim_write_unbind(s, n->owner, val);
	case SA_DRV_NEWID:
		return 0;
	case SA_CONFIG:
		/* Config writes are not emulated; refuse rather than pretend. */
		return -EPERM;
	default:
		tree_set(n, val, strlen(val));
		return 0;
	}
}

static int sim_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct sim *s = ctx_sim();
	struct snode *n = tree_lookup(s->root, path);
	char val[SIM_MAX_WRITE + 1], esc[SIM_MAX_WRITE * 4 + 1];
	int ret, inj;

	(void)fi;
	if (!n)
		return -ENOENT;
	if (n->type != SN_FILE)
		return -EINVAL;
	if (size > SIM_MAX_WRITE)
		size = SIM_MAX_WRITE; /* sysfs stores at most a page per write */
	memcpy(val, buf, size);
	val[size] = '\0';
	if (n->attr == SA_INJECT)
		return (ret = inject_write(s, val)) ? ret : (int)size;
	if (n->attr == SA_CTL)
		return (ret = sim_write_ctl(s, val)) ? ret : (int)size;
	if (n->attr == SA_LOG) {
		s->loglen = 0;
		return size;
	}
	if (off && n->attr != SA_PLAIN)
		return -EINVAL;
	escape(val, esc, sizeof(esc));
	inj = inject_take(s, path);
	if (inj == SIM_KILL_BEFORE || inj == SIM_KILL_AFTER) {
		/* the writer dies at this step, before or after it lands */
		ret = inj == SIM_KILL_AFTER ? dispatch(s, n, val) : 0;
		log_append(s, "%s %s = %s, writer killed (injected)\n", path, esc,
			   inj == SIM_KILL_BEFORE ? "not written"
			   : ret < 0		  ? errno_name(-ret)
						  : "ok");
		kill(fuse_get_context()->pid, SIGKILL);
		return inj == SIM_KILL_BEFORE ? -EINTR : ret < 0 ? ret : (int)size;
	}
	if (inj) {
		log_append(s, "%s %s = %s (injected)\n", path, esc, errno_name(inj));
		return -inj;
	}
	ret = dispatch(s, n, val);
	if (ret < 0)
		log_append(s, "%s %s = %s\n", path, esc, errno_name(-ret));
	else
		log_append(s, "%s %s = ok\n", path, esc);
	return ret < 0 ? ret : (int)size;
}

static const struct fuse_operations sim_ops = {
	.init = sim_init,
	.getattr = sim_getattr,
	.readlink = sim_readlink,
	.readdir = sim_readdir,
	.open = sim_open,
	.create = sim_create,
	.truncate = sim_truncate,
	.read = sim_read,
	.write = sim_write,
};

static void sim_skeleton(struct sim *s)
{
	struct snode *n;

	s->root = tree_new_root();
	s->next_ifindex = 2; /* 1 is lo */
	tree_mkdir_p(s->root, "/sys/bus/pci/devices");
	tree_mkdir_p(s->root, "/sys/bus/pci/drivers");
	tree_mkdir_p(s->root, "/sys/kernel/iommu_groups");
	tree_mkdir_p(s->root, "/sys/class/net");
	tree_mkdir_p(s->root, "/sys/module");
	tree_mkdir_p(s->root, "/dev/vfio");
	n = tree_add_file(s->root, "/sys/bus/pci/drivers_probe", 0200, "", 0);
	n->attr = SA_PROBE;
	tree_add_file(s->root, "/sys/bus/pci/drivers_autoprobe", 0644, "1\n", 2);
	n = tree_add_file(s->root, "/.sim/inject", 0644, "", 0);
	n->attr = SA_INJECT;
	n = tree_add_file(s->root, "/.sim/log", 0644, "", 0);
	n->attr = SA_LOG;
	n = tree_add_file(s->root, "/.sim/ctl", 0200, "", 0);
	n->attr = SA_CTL;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s --spec FILE [--netlink-state FILE] MOUNTPOINT [-d]\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	const char *spec = NULL, *mnt = NULL, *nlstate = NULL;
	char err[1024] = "";
	struct sim *s;
	bool debug = false;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--spec") && i + 1 < argc)
			spec = argv[++i];
		else if (!strcmp(argv[i], "--netlink-state") && i + 1 < argc)
			nlstate = argv[++i];
		else if (!strcmp(argv[i], "-d"))
			debug = true;
		else if (argv[i][0] != '-' && !mnt)
			mnt = argv[i];
		else
			return usage(argv[0]);
	}
	if (!spec || !mnt)
		return usage(argv[0]);
	s = calloc(1, sizeof(*s));
	if (!s) {
		perror("simsysfs");
		return 1;
	}
	sim_skeleton(s);
	s->nlstate = nlstate;
	if (spec_load(s, spec, err, sizeof(err))) {
		fprintf(stderr, "simsysfs: %s\n", err);
		ret = 1;
		goto out;
	}
	{
		/* fuse_main() takes char *argv[]: hand it heap copies, not literals */
		static const char *const fopts[] = {"-f", "-s", "-o",
						    "fsname=simsysfs,subtype=simsysfs,allow_other"};
		struct fuse_args fargs = FUSE_ARGS_INIT(0, NULL);
		bool bad = fuse_opt_add_arg(&fargs, argv[0]) != 0;

		for (size_t i = 0; i < sizeof(fopts) / sizeof(fopts[0]); i++)
			bad = bad || fuse_opt_add_arg(&fargs, fopts[i]);
		bad = bad || fuse_opt_add_arg(&fargs, mnt);
		if (debug)
			bad = bad || fuse_opt_add_arg(&fargs, "-d");
		if (bad) {
			fprintf(stderr, "simsysfs: out of memory\n");
			ret = 1;
		} else {
			ret = fuse_main(fargs.argc, fargs.argv, &sim_ops, s);
		}
		fuse_opt_free_args(&fargs);
	}
out:
	for (int i = 0; i < s->ndevs; i++)
		free(s->devs[i]);
	tree_free(s->root);
	free(s->log);
	free(s);
	return ret;
}
