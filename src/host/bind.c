// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "iommu.h"
#include "pci_sysfs.h"
#include "pci_addr.h"
#include "statedir.h"

/* ---- remembered state: STATE_DIR/drivers/<BDF> ---- */

#define DRIVERS_DIR "drivers"

/* Only a canonical BDF names a record: nothing else may reach a path. */
static int check_bdf(const char *bdf, struct errinfo *e)
{
	char canon[BDF_LEN];

	if (bdf_parse(bdf, NULL, canon, NULL) || strcmp(canon, bdf))
		return err_set(e, EINVAL, "\"%s\" is not a canonical PCI address", bdf);
	return 0;
}

/*
 * fd of STATE_DIR/drivers (checked by statedir.h), its path in dpath.
 * -ENOENT when it does not exist and !create.
 */
static int drivers_dir(const char *state_dir, bool create, char *dpath, size_t size,
		       struct errinfo *e)
{
	int sfd, dfd;

	if (snprintf(dpath, size, "%s/%s", state_dir, DRIVERS_DIR) >= (int)size)
		return err_set(e, ENAMETOOLONG, "state dir path too long: %s", state_dir);
	sfd = statedir_open(state_dir, create, e);
	if (sfd < 0)
		return sfd;
	dfd = statedir_open_sub(sfd, state_dir, DRIVERS_DIR, create, e);
	close(sfd);
	return dfd;
}

/*
 * A driver name as read from a record: it becomes a sysfs path component
 * (/sys/bus/pci/drivers/NAME/unbind), so no '/', no "." or "..".
 */
bool pci_driver_name_valid(const char *s)
{
	if (strlen(s) >= PCIDEV_NAME_MAX || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.:+", *s))
			return false;
	return true;
}

/* "driver=NAME\noverride=NAME\n[with=BDF\n]"; a bad line is refused naming file and line. */
static int parse_record(const char *text, const char *path, struct pci_bind_saved *saved,
			struct errinfo *e)
{
	const char *p = text;
	int line = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");
		char buf[256], *val;

		line++;
		if (len >= sizeof(buf))
			return err_set(e, EINVAL, "%s:%d: line too long", path, line);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (p[len] == '\n');
		val = strchr(buf, '=');
		if (!buf[0])
			continue;
		if (!val)
			return err_set(e, EINVAL, "%s:%d: expected KEY=VALUE, got \"%.64s\"", path,
				       line, buf);
		*val++ = '\0';
		if (!strcmp(buf, "with")) {
			char canon[BDF_LEN];

			if (bdf_parse(val, NULL, canon, NULL) || strcmp(canon, val))
				return err_set(
					e, EINVAL,
					"%s:%d: with \"%.64s\" is not a canonical PCI address",
					path, line, val);
			snprintf(saved->with, sizeof(saved->with), "%s", val);
			continue;
		}
		if (strcmp(buf, "driver") && strcmp(buf, "override"))
			continue; /* a later version's key */
		if (!pci_driver_name_valid(val))
			return err_set(e, EINVAL, "%s:%d: %s \"%.64s\" is not a driver name", path,
				       line, buf, val);
		if (!strcmp(buf, "driver"))
			snprintf(saved->driver, sizeof(saved->driver), "%s", val);
		else
			snprintf(saved->override, sizeof(saved->override), "%s", val);
	}
	return 0;
}

int pci_bind_state_read(const char *state_dir, const char *bdf, struct pci_bind_saved *saved,
			struct errinfo *e)
{
	char dpath[SYSFS_PATH_MAX], path[SYSFS_PATH_MAX + BDF_LEN], *text;
	int dfd, ret;

	memset(saved, 0, sizeof(*saved));
	snprintf(saved->bdf, sizeof(saved->bdf), "%s", bdf);
	ret = check_bdf(bdf, e);
	if (ret)
		return ret;
	dfd = drivers_dir(state_dir, false, dpath, sizeof(dpath), e);
	ret = dfd < 0 ? dfd : statedir_read(dfd, dpath, bdf, &text, e);
	if (dfd >= 0)
		close(dfd);
	snprintf(path, sizeof(path), "%s/%s", dpath, bdf);
	if (ret == -ENOENT) {
		err_set(e, ENOENT, "no original driver remembered for %s (no %s)", bdf, path);
		err_hint(e,
			 "vfctl remembers drivers only for devices it moved; bind the host "
			 "driver by name: vfctl bind %s DRIVER",
			 bdf);
		return -ENOENT;
	}
	if (ret)
		return ret;
	ret = parse_record(text, path, saved, e);
	free(text);
	if (ret) {
		err_hint(e,
			 "the file records %s's driver before vfctl moved it; fix or remove it "
			 "and bind the host driver by name: vfctl bind %s DRIVER",
			 bdf, bdf);
		memset(saved->driver, 0, sizeof(saved->driver));
		memset(saved->override, 0, sizeof(saved->override));
		memset(saved->with, 0, sizeof(saved->with));
		return ret;
	}
	saved->changed = true;
	return 0;
}

/* Remember the original state unless something is remembered already (first move wins). */
static int state_remember(const char *state_dir, const struct pci_bind_saved *s, bool *created,
			  struct errinfo *e)
{
	char dpath[SYSFS_PATH_MAX], text[2 * PCIDEV_NAME_MAX + BDF_LEN + 40];
	struct stat st;
	int dfd, ret;

	*created = false;
	ret = check_bdf(s->bdf, e);
	if (ret)
		return ret;
	dfd = drivers_dir(state_dir, true, dpath, sizeof(dpath), e);
	if (dfd < 0)
		return dfd;
	if (!fstatat(dfd, s->bdf, &st, AT_SYMLINK_NOFOLLOW)) {
		close(dfd);
		return 0;
	}
	snprintf(text, sizeof(text), "driver=%s\noverride=%s\n%s%s%s", s->driver, s->override,
		 s->with[0] ? "with=" : "", s->with, s->with[0] ? "\n" : "");
	ret = statedir_write(dfd, dpath, s->bdf, text, e);
	close(dfd);
	if (ret == 0)
		*created = true;
	return ret;
}

static void state_forget(const char *state_dir, const char *bdf)
{
	pci_bind_forget(state_dir, bdf, NULL);
}

int pci_bind_forget(const char *state_dir, const char *bdf, struct errinfo *e)
{
	char dpath[SYSFS_PATH_MAX];
	int dfd, ret;

	ret = check_bdf(bdf, e);
	if (ret)
		return ret;
	dfd = drivers_dir(state_dir, false, dpath, sizeof(dpath), e);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	ret = statedir_remove(dfd, bdf);
	if (ret < 0) {
		err_sys(e, -ret, "cannot forget the remembered driver of %s (%s/%s)", bdf, dpath,
			bdf);
		err_hint(e, "remove that file by hand; vfctl needs a writable state dir "
			    "(--state-dir or VFCTL_STATE_DIR)");
	}
	close(dfd);
	return ret;
}

/* Record names are canonical BDFs; temp files and anything else are skipped. */
static bool is_record_bdf(const char *name)
{
	char bdf[BDF_LEN];

	return !bdf_parse(name, NULL, bdf, NULL) && !strcmp(bdf, name);
}

int pci_bind_state_list(const char *state_dir, char (**list)[BDF_LEN], int *n, struct errinfo *e)
{
	char dpath[SYSFS_PATH_MAX];
	void *names;
	int dfd, ret;

	*list = NULL;
	*n = 0;
	dfd = drivers_dir(state_dir, false, dpath, sizeof(dpath), e);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	ret = statedir_list(dfd, dpath, is_record_bdf, BDF_LEN, &names, n, e);
	*list = names;
	return ret;
}

/* ---- moving between drivers ---- */

static int current_driver(const char *root, const char *bdf, char *buf, size_t size)
{
	if (sysfs_dev_link_base(root, bdf, "driver", buf, size, NULL))
		buf[0] = '\0';
	return 0;
}

static int driver_loaded(const char *root, const char *driver, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];

	if (sysfs_path(path, sizeof(path), root, "/sys/bus/pci/drivers/%s", driver))
		return err_set(e, ENAMETOOLONG, "driver name too long: %s", driver);
	if (sysfs_exists(path))
		return 0;
	err_set(e, ENOENT, "driver %s is not loaded (%s does not exist)", driver, path);
	err_hint(e, "load it first: modprobe %s", driver);
	return -ENOENT;
}

static int unbind_from(const char *root, const char *bdf, const char *driver, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];

	if (sysfs_path(path, sizeof(path), root, "/sys/bus/pci/drivers/%s/unbind", driver))
		return err_set(e, ENAMETOOLONG, "driver name too long: %s", driver);
	return sysfs_write_str(path, bdf, e);
}

static int write_override(const char *root, const char *bdf, const char *driver, struct errinfo *e)
{
	/* A lone newline clears driver_override (an empty write never reaches the kernel). */
	return sysfs_dev_write_str(root, bdf, "driver_override", *driver ? driver : "\n", e);
}

/*
 * driver_override = target, unbind, drivers_probe, read back.  target "" only
 * unbinds.  Leaves driver_override set to target; callers restore it.
 */
static int move_to(const char *root, const char *bdf, const char *target, struct errinfo *e)
{
	char cur[PCIDEV_NAME_MAX], path[SYSFS_PATH_MAX];
	int ret;

	current_driver(root, bdf, cur, sizeof(cur));
	if (*target) {
		ret = write_override(root, bdf, target, e);
		if (ret)
			return ret;
	}
	if (!strcmp(cur, target))
		return 0;
	if (*cur) {
		ret = unbind_from(root, bdf, cur, e);
		if (ret) {
			err_prefix(e, "unbinding %s from %s", bdf, cur);
			return ret;
		}
	}
	if (!*target)
		return 0;
	if (sysfs_path(path, sizeof(path), root, "/sys/bus/pci/drivers_probe"))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	ret = sysfs_write_str(path, bdf, e);
	current_driver(root, bdf, cur, sizeof(cur));
	if (strcmp(cur, target)) {
		/* What the link says comes first; the probe's own errno is a clue. */
		if (ret)
			err_set(e, EIO,
				"%s did not bind to %s: its driver is now %s (drivers_probe "
				"answered: %s)",
				bdf, target, *cur ? cur : "none", strerror(-ret));
		else
			err_set(e, EIO, "%s did not bind to %s: its driver is now %s", bdf, target,
				*cur ? cur : "none");
		err_hint(e, "the driver's probe failed or it does not handle this device; check "
			    "dmesg");
		return -EIO;
	}
	return 0;
}

/* Back to saved->driver and saved->override; best effort, first error reported. */
static int put_back(const char *root, const struct pci_bind_saved *s, struct errinfo *e)
{
	char cur[PCIDEV_NAME_MAX];
	int ret;

	ret = move_to(root, s->bdf, s->driver, e);
	if (ret == 0)
		ret = write_override(root, s->bdf, s->override, e);
	else
		write_override(root, s->bdf, s->override, NULL);
	current_driver(root, s->bdf, cur, sizeof(cur));
	if (ret == 0 && strcmp(cur, s->driver)) {
		err_set(e, EIO, "%s: could not give it back to %s (driver now %s)", s->bdf,
			*s->driver ? s->driver : "no driver", *cur ? cur : "none");
		err_hint(e, "check dmesg; \"vfctl bind %s %s\" retries", s->bdf,
			 *s->driver ? s->driver : "DRIVER");
		return -EIO;
	}
	return ret;
}

static int refuse_host_use(const char *root, const struct pcidev *d, struct errinfo *e)
{
	const char *bdf = d->bdf;
	struct hostuse u;
	char list[1024] = "";
	int i, ret;

	ret = hostuse_check_dev(root, d, &u);
	if (ret)
		return ret;
	if (u.n == 0)
		return 0;
	for (i = 0; i < u.n; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s", i ? "; " : "", u.items[i].what);
	}
	err_set(e, EBUSY, "%s is in use by the host: %s", bdf, list);
	err_hint(e, "%s", u.items[0].hint);
	e->overridable = true; /* PCI_BIND_FORCE takes it anyway */
	return -EBUSY;
}

/* Every refusal, before anything changes.  *d gets the snapshot the checks used. */
static int check_take(const char *root, const char *bdf, const char *driver, unsigned int flags,
		      struct pcidev *d, struct errinfo *e)
{
	int ret;

	ret = pcidev_read_brief(root, bdf, d, e);
	if (ret)
		return ret;
	ret = driver_loaded(root, driver, e);
	if (ret)
		return ret;
	if (pcidev_is_bridge(d)) {
		err_set(e, EINVAL, "%s is a PCI bridge; bridges stay with the host", bdf);
		err_hint(e, "bind the endpoints behind it instead");
		return -EINVAL;
	}
	if (!strcmp(d->driver, driver))
		return 0;
	if (iommu_driver_is_vfio(driver) && d->is_pf) {
		long nvfs = 0;

		if (!sysfs_dev_read_long(root, bdf, "sriov_numvfs", &nvfs, NULL) && nvfs > 0) {
			err_set(e, EBUSY,
				"%s is an SR-IOV PF with %ld VFs enabled; %s refuses such "
				"a PF",
				bdf, nvfs, driver);
			err_hint(e, "remove its VFs first: vfctl vfs %s 0", bdf);
			return -EBUSY;
		}
	}
	if (!(flags & PCI_BIND_FORCE))
		return refuse_host_use(root, d, e);
	return 0;
}

/* pci_bind_take(), the device moving with the group of @with ("" alone). */
static int take_one(const char *root, const char *state_dir, const char *bdf, const char *driver,
		    unsigned int flags, const char *with, struct pci_bind_saved *saved,
		    struct errinfo *e)
{
	struct errinfo rb;
	struct pcidev d;
	bool created;
	int ret;

	memset(saved, 0, sizeof(*saved));
	snprintf(saved->bdf, sizeof(saved->bdf), "%s", bdf);
	snprintf(saved->with, sizeof(saved->with), "%s", with);
	if (!driver || !*driver)
		return err_set(e, EINVAL, "no driver named for %s", bdf);
	ret = check_take(root, bdf, driver, flags, &d, e);
	if (ret)
		return ret;
	snprintf(saved->driver, sizeof(saved->driver), "%s", d.driver);
	snprintf(saved->override, sizeof(saved->override), "%s", d.driver_override);
	if (!strcmp(d.driver, driver) || (flags & PCI_BIND_DRY_RUN))
		return 0;
	ret = state_remember(state_dir, saved, &created, e);
	if (ret)
		return ret;
	ret = move_to(root, bdf, driver, e);
	if (ret == 0) {
		saved->changed = true;
		return 0;
	}
	if (put_back(root, saved, &rb)) {
		err_hint(e, "rolling back also failed: %s", rb.msg);
	} else {
		char why[sizeof(e->hint)];

		/* Keep the cause's hint and say the device is back where it was. */
		snprintf(why, sizeof(why), "%s", e->hint);
		if (*saved->driver)
			err_hint(e, "%.300s%s%s was given back to %s", why, why[0] ? "; " : "", bdf,
				 saved->driver);
		else
			err_hint(e, "%.300s%s%s is driverless again, as it was", why,
				 why[0] ? "; " : "", bdf);
	}
	if (created)
		state_forget(state_dir, bdf);
	return ret;
}

int pci_bind_take(const char *root, const char *state_dir, const char *bdf, const char *driver,
		  unsigned int flags, struct pci_bind_saved *saved, struct errinfo *e)
{
	return take_one(root, state_dir, bdf, driver, flags, "", saved, e);
}

int pci_bind_give_back(const char *root, const char *state_dir, const struct pci_bind_saved *saved,
		       struct errinfo *e)
{
	int ret;

	if (!saved->changed)
		return 0;
	if (saved->driver[0]) {
		ret = driver_loaded(root, saved->driver, e);
		if (ret)
			return ret;
	}
	ret = put_back(root, saved, e);
	if (ret == 0)
		state_forget(state_dir, saved->bdf);
	return ret;
}

int pci_unbind(const char *root, const char *state_dir, const char *bdf, unsigned int flags,
	       struct pci_bind_saved *saved, struct errinfo *e)
{
	struct pcidev d;
	bool created;
	int ret;

	memset(saved, 0, sizeof(*saved));
	ret = pcidev_read_brief(root, bdf, &d, e);
	if (ret)
		return ret;
	snprintf(saved->bdf, sizeof(saved->bdf), "%s", bdf);
	snprintf(saved->driver, sizeof(saved->driver), "%s", d.driver);
	snprintf(saved->override, sizeof(saved->override), "%s", d.driver_override);
	if (!d.driver[0])
		return 0;
	if (!(flags & PCI_BIND_FORCE) && !iommu_driver_is_vfio(d.driver)) {
		ret = refuse_host_use(root, &d, e);
		if (ret)
			return ret;
	}
	if (flags & PCI_BIND_DRY_RUN)
		return 0;
	ret = state_remember(state_dir, saved, &created, e);
	if (ret)
		return ret;
	ret = unbind_from(root, bdf, d.driver, e);
	if (ret) {
		err_prefix(e, "unbinding %s from %s", bdf, d.driver);
		if (created)
			state_forget(state_dir, bdf);
		return ret;
	}
	saved->changed = true;
	return 0;
}

int pci_restore(const char *root, const char *state_dir, const char *bdf,
		struct pci_bind_saved *saved, struct errinfo *e)
{
	int ret;

	ret = pci_bind_state_read(state_dir, bdf, saved, e);
	if (ret)
		return ret;
	return pci_bind_give_back(root, state_dir, saved, e);
}

int pci_bind_group(const char *root, const char *state_dir, const char *bdf, const char *driver,
		   unsigned int flags, struct pci_bind_saved **saved, int *n, struct errinfo *e)
{
	return pci_bind_group_noted(root, state_dir, bdf, driver, flags, NULL, NULL, saved, n, e);
}

int pci_bind_group_noted(const char *root, const char *state_dir, const char *bdf,
			 const char *driver, unsigned int flags,
			 int (*note)(void *opaque, const struct pci_bind_saved *plan, int n,
				     struct errinfo *e),
			 void *opaque, struct pci_bind_saved **saved, int *n, struct errinfo *e)
{
	struct pci_bind_saved *out = NULL, *plan = NULL;
	struct iommu_group g;
	struct pcidev d;
	struct errinfo rb;
	int i, k = 0, np = 0, ret;

	*saved = NULL;
	*n = 0;
	ret = iommu_group_read(root, bdf, NULL, 0, &g, e);
	if (ret)
		return ret;
	out = calloc(g.n ? (size_t)g.n : 1, sizeof(*out));
	plan = calloc(g.n ? (size_t)g.n : 1, sizeof(*plan));
	if (!out || !plan) {
		iommu_group_free(&g);
		free(out);
		free(plan);
		return err_set(e, ENOMEM, "out of memory");
	}
	/* Check every member before touching any, so a refusal changes nothing. */
	for (i = 0; i < g.n; i++) {
		if (g.members[i].bridge || !strcmp(g.members[i].driver, driver))
			continue;
		ret = check_take(root, g.members[i].bdf, driver, flags, &d, e);
		if (ret) {
			err_prefix(e, "IOMMU group %d", g.group);
			goto fail;
		}
		snprintf(plan[np].bdf, sizeof(plan[np].bdf), "%s", d.bdf);
		snprintf(plan[np].driver, sizeof(plan[np].driver), "%s", d.driver);
		snprintf(plan[np].override, sizeof(plan[np].override), "%s", d.driver_override);
		snprintf(plan[np].with, sizeof(plan[np].with), "%s", bdf);
		np++;
	}
	for (i = 0; (flags & PCI_BIND_DRY_RUN) && i < g.n; i++) {
		/* The plan: each endpoint with the driver it would leave. */
		if (g.members[i].bridge)
			continue;
		snprintf(out[k].bdf, sizeof(out[k].bdf), "%s", g.members[i].bdf);
		snprintf(out[k].driver, sizeof(out[k].driver), "%s", g.members[i].driver);
		k++;
	}
	if (flags & PCI_BIND_DRY_RUN)
		goto done;
	/* Written down before anything moves: a crash after the move still knows. */
	if (note && np) {
		ret = note(opaque, plan, np, e);
		if (ret)
			goto fail;
	}
	for (i = 0; i < g.n; i++) {
		if (g.members[i].bridge)
			continue;
		ret = take_one(root, state_dir, g.members[i].bdf, driver, flags, bdf, &out[k], e);
		if (ret) {
			err_prefix(e, "IOMMU group %d", g.group);
			goto rollback;
		}
		k++;
	}
done:
	iommu_group_free(&g);
	free(plan);
	*saved = out;
	*n = k;
	return 0;
rollback:
	while (k-- > 0)
		if (pci_bind_give_back(root, state_dir, &out[k], &rb))
			err_hint(e, "rolling back %s also failed: %s", out[k].bdf, rb.msg);
fail:
	iommu_group_free(&g);
	free(out);
	free(plan);
	return ret;
}
