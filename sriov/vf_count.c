// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bind.h"
#include "pci_caps.h"
#include "pci_dev.h"
#include "pci_sysfs.h"
#include "sriov_pf.h"
#include "vf_count.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Who sets the VF limit: the device's SR-IOV capability (TotalVFs, from the
 * firmware/NVM) or the PF driver, which may lower sriov_totalvfs below it
 * (pci_sriov_set_totalvfs).  Config space tells them apart.
 */
static void explain_cap(const char *root, const char *pf_bdf, int totalvfs, struct errinfo *e)
{
	struct pcicaps c;

	if (!pcicaps_read(root, pf_bdf, &c, NULL) && c.has_sriov &&
	    (int)c.sriov_total_vfs > totalvfs) {
		err_hint(e,
			 "the device's SR-IOV capability offers %u VFs but the PF driver limits "
			 "it to %d; the driver may take a parameter or a firmware profile to raise "
			 "it (see its documentation)",
			 c.sriov_total_vfs, totalvfs);
		return;
	}
	err_hint(e, "that cap comes from the device firmware/NVM (some NICs raise it with a "
		    "vendor tool), not from vfctl or the driver");
}

/* Turn the kernel's answer to a sriov_numvfs write into words a sysadmin can act on. */
static int explain_write(const char *root, const char *pf_bdf, int n, int totalvfs,
			 const char *driver, int ret, struct errinfo *e)
{
	switch (-ret) {
	case ERANGE:
		if (n > totalvfs) {
			err_prefix(e,
				   "%s: %d VFs is more than the device allows (sriov_totalvfs "
				   "%d)",
				   pf_bdf, n, totalvfs);
			explain_cap(root, pf_bdf, totalvfs, e);
			break;
		}
		/* sriov_totalvfs said yes: the driver or firmware can do fewer right now. */
		err_prefix(e,
			   "%s: the PF driver \"%s\" refused %d VFs although sriov_totalvfs is %d",
			   pf_bdf, *driver ? driver : "(none)", n, totalvfs);
		err_hint(e, "the device firmware or driver currently supports fewer VFs than it "
			    "advertises (resources, firmware profile): try fewer, check dmesg");
		break;
	case ENOENT:
	case EOPNOTSUPP:
		err_prefix(e, "%s: the PF driver \"%s\" cannot create VFs", pf_bdf,
			   *driver ? driver : "(none)");
		err_hint(e, "the driver has no SR-IOV support, or SR-IOV is disabled in the device "
			    "firmware or BIOS; check dmesg");
		break;
	case EBUSY:
		err_prefix(e, "%s: the existing VFs are busy", pf_bdf);
		err_hint(e, "a VF is probably assigned to a running VM or held open through vfio; "
			    "stop its user and retry");
		break;
	case ENOMEM:
	case ENOSPC:
	case EIO:
		err_prefix(e, "%s: the kernel could not enable %d VFs", pf_bdf, n);
		err_hint(e, "often the BIOS reserved too little bus-number or MMIO space for VFs: "
			    "enable SR-IOV in the BIOS or boot with pci=realloc; check dmesg");
		break;
	default:
		err_prefix(e, "%s: setting %d VFs failed", pf_bdf, n);
		err_hint(e, "check dmesg for the PF driver's message");
	}
	return ret;
}

static int write_numvfs(const char *root, const char *pf_bdf, int n, int totalvfs,
			const char *driver, struct errinfo *e)
{
	char val[16];
	int ret;

	snprintf(val, sizeof(val), "%d", n);
	ret = sysfs_dev_write_str(root, pf_bdf, "sriov_numvfs", val, e);
	if (ret)
		return explain_write(root, pf_bdf, n, totalvfs, driver, ret, e);
	return 0;
}

/*
 * sriov_vf_msix_count (Linux >= 5.12): the PF driver hands each VF part of a
 * pool of vectors (sriov_vf_total_msix).  The kernel answers EOPNOTSUPP when
 * the PF driver has no sriov_set_msix_vec_count, EBUSY while a driver is
 * bound to the VF, and the PF driver rejects counts it cannot give (EINVAL).
 * Everything that can be checked is checked before the first write.
 */
static int msix_check(const char *root, const struct sriov_pf *pf, const char *driver, int n,
		      const struct vf_count_opts *opts, struct errinfo *e)
{
	unsigned int k = opts->msix_count;
	char drv[PCIDEV_NAME_MAX];
	int i, autoprobe_after;

	if (n == 0)
		return err_set(e, EINVAL,
			       "%s: an MSI-X vector count (%u) was given but no VFs are asked for",
			       pf->bdf, k);
	if (pf->vf_total_msix <= 0) {
		err_set(e, EOPNOTSUPP,
			"%s: the PF driver \"%s\" cannot change the VFs' MSI-X vector counts "
			"(sriov_vf_total_msix is %s)",
			pf->bdf, *driver ? driver : "(none)",
			pf->vf_total_msix < 0 ? "absent" : "0");
		err_hint(e, "only PF drivers with sriov_set_msix_vec_count (e.g. mlx5_core, "
			    "Linux >= 5.12) support it; drop --msix-count to keep the device's "
			    "default");
		return -EOPNOTSUPP;
	}
	if ((unsigned long long)k * (unsigned int)n > (unsigned long long)pf->vf_total_msix) {
		err_set(e, ERANGE,
			"%s: %d VFs x %u MSI-X vectors = %llu, more than the %d the PF has for its "
			"VFs (sriov_vf_total_msix)",
			pf->bdf, n, k, (unsigned long long)k * (unsigned int)n, pf->vf_total_msix);
		err_hint(e, "ask for at most %d vectors per VF, or fewer VFs",
			 pf->vf_total_msix / n);
		return -ERANGE;
	}
	if (pf->numvfs != n) {
		/* New VFs: a host driver bound by autoprobe would make the write fail. */
		autoprobe_after = opts->autoprobe >= 0 ? opts->autoprobe : pf->autoprobe;
		if (autoprobe_after != 0) {
			err_set(e, EINVAL,
				"%s: MSI-X vector counts can only be set on VFs without a driver, "
				"but new VFs would be probed by host drivers (autoprobe on)",
				pf->bdf);
			err_hint(e, "create them with --no-autoprobe, then bind each VF "
				    "(vfctl bind VF DRIVER) after its count is set");
			return -EINVAL;
		}
		return 0;
	}
	/* Existing VFs keep their drivers: every one must be unbound before any write. */
	for (i = 0; i < pf->n_vfs; i++) {
		if (sysfs_dev_link_base(root, pf->vfs[i].bdf, "driver", drv, sizeof(drv), NULL))
			continue;
		err_set(e, EBUSY,
			"%s: VF %d (%s) is bound to %s; the kernel changes a VF's MSI-X vector "
			"count only while no driver is bound",
			pf->bdf, pf->vfs[i].index, pf->vfs[i].bdf, drv);
		err_hint(e,
			 "unbind it first (vfctl unbind %s), or recreate the VFs with "
			 "--no-autoprobe (vfctl vfs %s 0, then again with --msix-count)",
			 pf->vfs[i].bdf, pf->bdf);
		return -EBUSY;
	}
	return 0;
}

static int explain_msix(const char *vf_bdf, int index, unsigned int k, int ret, struct errinfo *e)
{
	switch (-ret) {
	case EBUSY:
		err_prefix(e, "VF %d (%s) got a driver before its MSI-X count could be set", index,
			   vf_bdf);
		err_hint(e, "unbind it (vfctl unbind %s) and retry; keep autoprobe off", vf_bdf);
		break;
	case EOPNOTSUPP:
	case ENOENT:
		err_prefix(e, "VF %d (%s): this kernel or PF driver cannot set VF MSI-X counts",
			   index, vf_bdf);
		err_hint(e, "sriov_vf_msix_count needs Linux >= 5.12 and PF driver support");
		break;
	default:
		err_prefix(e, "VF %d (%s): the PF driver refused %u MSI-X vectors", index, vf_bdf,
			   k);
		err_hint(e, "the driver limits vectors per VF; try a smaller count, check dmesg");
	}
	return ret;
}

/* Write the count on VFs 0..n-1, skipping ones that already have it (a second run changes nothing).
 */
static int msix_assign(const char *root, const char *pf_bdf, int n, unsigned int k,
		       struct vf_count_result *res, struct errinfo *e)
{
	char drv[PCIDEV_NAME_MAX], val[16];
	struct sriov_pf pf;
	int i, ret;

	ret = sriov_pf_read(root, pf_bdf, &pf, e);
	if (ret)
		return ret;
	snprintf(val, sizeof(val), "%u", k);
	for (i = 0; i < pf.n_vfs && pf.vfs[i].index < n; i++) {
		const struct sriov_vf *vf = &pf.vfs[i];

		struct pcicaps c;

		/*
		 * sriov_vf_msix_count is write-only; the count shows up as the
		 * VF's MSI-X Table Size, which is what a VM's driver sees.
		 */
		if (!pcicaps_read(root, vf->bdf, &c, NULL) && c.has_msix && c.msix_size == k)
			continue;
		if (!sysfs_dev_link_base(root, vf->bdf, "driver", drv, sizeof(drv), NULL)) {
			err_set(e, EBUSY, "%s is bound to %s", vf->bdf, drv);
			ret = explain_msix(vf->bdf, vf->index, k, -EBUSY, e);
			goto out;
		}
		ret = sysfs_dev_write_str(root, vf->bdf, "sriov_vf_msix_count", val, e);
		if (ret) {
			explain_msix(vf->bdf, vf->index, k, ret, e);
			goto out;
		}
		res->msix_set++;
	}
out:
	if (ret && res->msix_set)
		err_prefix(e, "%s: %d VFs got %u MSI-X vectors, then", pf_bdf, res->msix_set, k);
	sriov_pf_free(&pf);
	return ret;
}

/*
 * The old VFs are gone: drop the remembered drivers of every one of them.
 * virtfnN links name them; the routing-ID arithmetic also covers a VF whose
 * link was missing.  Carries on past a failure and reports the first.
 */
static int forget_removed(const char *state_dir, const struct sriov_pf *pf,
			  struct vf_count_result *res, struct errinfo *e)
{
	char bdf[BDF_LEN];
	int i, ret, first = 0;

	for (i = 0; i < pf->n_vfs + pf->numvfs; i++) {
		if (i < pf->n_vfs)
			snprintf(bdf, sizeof(bdf), "%s", pf->vfs[i].bdf);
		else if (sriov_vf_bdf(pf, i - pf->n_vfs, bdf))
			break;
		ret = pci_bind_forget(state_dir, bdf, first ? NULL : e);
		if (ret > 0)
			res->forgotten++;
		else if (ret < 0 && !first)
			first = ret;
	}
	return first;
}

int vf_count_set(const char *root, const char *pf_bdf, int n, const struct vf_count_opts *opts,
		 struct vf_count_result *res, struct errinfo *e)
{
	int poll = opts->poll_ms > 0 ? opts->poll_ms : 100, waited = 0, ret, forget_ret = 0;
	struct errinfo forget_err = {0};
	struct sriov_pf pf;
	struct pcidev dev;
	long v;

	memset(res, 0, sizeof(*res));
	ret = sriov_pf_read(root, pf_bdf, &pf, e);
	if (ret)
		return ret;
	res->before = pf.numvfs;
	res->after = pf.numvfs;
	if (n < 0) {
		ret = err_set(e, EINVAL, "VF count %d is negative", n);
		goto out;
	}
	if (n > pf.totalvfs) {
		err_set(e, ERANGE,
			"%s: %d VFs asked, the device allows at most %d (sriov_totalvfs)", pf_bdf,
			n, pf.totalvfs);
		explain_cap(root, pf_bdf, pf.totalvfs, e);
		ret = -ERANGE;
		goto out;
	}
	ret = pcidev_read(root, pf_bdf, &dev, e);
	if (ret)
		goto out;
	if (n > 0 && !dev.driver[0]) {
		err_set(e, ENOENT, "%s has no driver bound, so it cannot create VFs", pf_bdf);
		err_hint(e,
			 "load/bind the PF's host driver first (e.g. \"vfctl restore %s\" or "
			 "modprobe the driver)",
			 pf_bdf);
		ret = -ENOENT;
		goto out;
	}
	if (opts->msix_count) {
		ret = msix_check(root, &pf, dev.driver, n, opts, e);
		if (ret)
			goto out;
	}
	if (opts->dry_run) {
		if (pf.numvfs == n)
			res->links = sriov_count_vf_links(root, pf_bdf, n);
		goto out;
	}
	if (pf.numvfs == n && (opts->autoprobe < 0 || opts->autoprobe == pf.autoprobe))
		goto links;

	if (opts->autoprobe >= 0 && opts->autoprobe != pf.autoprobe) {
		/* Autoprobe only matters for VFs created after the write, so do it first. */
		ret = sysfs_dev_write_str(root, pf_bdf, "sriov_drivers_autoprobe",
					  opts->autoprobe ? "1" : "0", e);
		if (ret) {
			err_hint(e, "this kernel may not support sriov_drivers_autoprobe (Linux >= "
				    "4.12)");
			goto out;
		}
		res->autoprobe_changed = true;
	}
	if (pf.numvfs == n)
		goto links;
	if (pf.numvfs > 0) {
		/* The kernel refuses N while M > 0 VFs exist (EBUSY): remove them first. */
		ret = write_numvfs(root, pf_bdf, 0, pf.totalvfs, dev.driver, e);
		if (ret)
			goto out;
		res->wrote_zero = true;
		res->changed = true;
		res->after = 0;
		if (opts->state_dir)
			forget_ret = forget_removed(opts->state_dir, &pf, res, &forget_err);
	}
	if (n > 0) {
		if (opts->hooks && opts->hooks->prepare) {
			ret = opts->hooks->prepare(root, pf_bdf, (unsigned int)n, e);
			if (ret) {
				err_prefix(e, "%s: preparing the device for %d VFs", pf_bdf, n);
				goto out;
			}
		}
		ret = write_numvfs(root, pf_bdf, n, pf.totalvfs, dev.driver, e);
		if (ret) {
			if (res->wrote_zero)
				err_prefix(e, "the %d old VFs were removed, then", pf.numvfs);
			goto out;
		}
		res->changed = true;
	}
	for (;;) {
		res->links = sriov_count_vf_links(root, pf_bdf, n);
		if (res->links >= n || waited >= opts->wait_ms)
			break;
		sleep_ms(poll);
		waited += poll;
	}
	if (!sysfs_dev_read_long(root, pf_bdf, "sriov_numvfs", &v, NULL))
		res->after = (int)v;
	if (res->after != n) {
		/* A driver may enable fewer VFs than asked without failing the write. */
		err_set(e, EIO, "%s: asked for %d VFs, the driver enabled %d", pf_bdf, n,
			res->after);
		err_hint(e, "the PF driver limits the count (resources, firmware); check dmesg");
		ret = -EIO;
		goto out;
	}
	if (res->links < n) {
		err_set(e, ETIMEDOUT,
			"%s: %d VFs enabled but only %d of the virtfn links appeared "
			"within %d ms",
			pf_bdf, n, res->links, opts->wait_ms);
		err_hint(e, "the VFs may still be appearing; retry with a longer --wait");
		ret = -ETIMEDOUT;
		goto out;
	}
	if (opts->msix_count) {
		ret = msix_assign(root, pf_bdf, n, opts->msix_count, res, e);
		if (ret)
			goto out;
	}
	if (n > 0 && res->changed && opts->hooks && opts->hooks->online) {
		ret = opts->hooks->online(root, pf_bdf, (unsigned int)n, e);
		if (ret)
			err_prefix(e, "%s: %d VFs created but bringing them online failed", pf_bdf,
				   n);
	}
	if (ret == 0 && forget_ret) {
		/* Said last: the count itself is right, only the state dir is not. */
		if (e) {
			*e = forget_err;
			err_prefix(e, "%s: VF count changed %d -> %d, but", pf_bdf, res->before, n);
		}
		ret = forget_ret;
	}
	goto out;
links:
	/* The count is already right: only the vectors may still need setting. */
	res->links = sriov_count_vf_links(root, pf_bdf, n);
	if (opts->msix_count)
		ret = msix_assign(root, pf_bdf, n, opts->msix_count, res, e);
	/*
	 * A PF reset (driver rebind) leaves the VFs but takes NVMe secondary
	 * controllers offline: the online hook is idempotent, so run it here too.
	 */
	if (ret == 0 && n > 0 && opts->hooks && opts->hooks->online) {
		ret = opts->hooks->online(root, pf_bdf, (unsigned int)n, e);
		if (ret)
			err_prefix(e, "%s: bringing the existing %d VFs online failed", pf_bdf, n);
	}
out:
	sriov_pf_free(&pf);
	return ret;
}
