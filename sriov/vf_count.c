// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Turn the kernel's answer to a sriov_numvfs write into words a sysadmin can act on. */
static int explain_write(const char *pf_bdf, int n, int totalvfs, const char *driver, int ret,
			 struct errinfo *e)
{
	switch (-ret) {
	case ERANGE:
		err_prefix(e, "%s: %d VFs is more than the device allows", pf_bdf, n);
		err_hint(e,
			 "sriov_totalvfs is %d; that cap comes from the device firmware/NVM, "
			 "not from vfctl or the driver",
			 totalvfs);
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
		return explain_write(pf_bdf, n, totalvfs, driver, ret, e);
	return 0;
}

int vf_count_set(const char *root, const char *pf_bdf, int n, const struct vf_count_opts *opts,
		 struct vf_count_result *res, struct errinfo *e)
{
	int poll = opts->poll_ms > 0 ? opts->poll_ms : 100, waited = 0, ret;
	struct sriov_pf pf;
	struct pcidev dev;
	long v;

	memset(res, 0, sizeof(*res));
	ret = sriov_pf_read(root, pf_bdf, &pf, e);
	if (ret)
		return ret;
	res->before = pf.numvfs;
	res->after = pf.numvfs;
	sriov_pf_free(&pf);
	if (n < 0)
		return err_set(e, EINVAL, "VF count %d is negative", n);
	if (n > pf.totalvfs) {
		err_set(e, ERANGE,
			"%s: %d VFs asked, the device allows at most %d (sriov_totalvfs)", pf_bdf,
			n, pf.totalvfs);
		err_hint(e,
			 "that cap comes from the device firmware/NVM (some NICs raise it with a "
			 "vendor tool), not from vfctl or the driver");
		return -ERANGE;
	}
	ret = pcidev_read(root, pf_bdf, &dev, e);
	if (ret)
		return ret;
	if (n > 0 && !dev.driver[0]) {
		err_set(e, ENOENT, "%s has no driver bound, so it cannot create VFs", pf_bdf);
		err_hint(e,
			 "load/bind the PF's host driver first (e.g. \"vfctl restore %s\" or "
			 "modprobe the driver)",
			 pf_bdf);
		return -ENOENT;
	}
	if (pf.numvfs == n && (opts->autoprobe < 0 || opts->autoprobe == pf.autoprobe)) {
		res->links = sriov_count_vf_links(root, pf_bdf, n);
		return 0;
	}
	if (opts->dry_run)
		return 0;

	if (opts->autoprobe >= 0 && opts->autoprobe != pf.autoprobe) {
		/* Autoprobe only matters for VFs created after the write, so do it first. */
		ret = sysfs_dev_write_str(root, pf_bdf, "sriov_drivers_autoprobe",
					  opts->autoprobe ? "1" : "0", e);
		if (ret) {
			err_hint(e, "this kernel may not support sriov_drivers_autoprobe (Linux >= "
				    "4.12)");
			return ret;
		}
		res->autoprobe_changed = true;
	}
	if (pf.numvfs == n) {
		res->links = sriov_count_vf_links(root, pf_bdf, n);
		return 0;
	}
	if (pf.numvfs > 0) {
		/* The kernel refuses N while M > 0 VFs exist (EBUSY): remove them first. */
		ret = write_numvfs(root, pf_bdf, 0, pf.totalvfs, dev.driver, e);
		if (ret)
			return ret;
		res->wrote_zero = true;
		res->changed = true;
		res->after = 0;
	}
	if (n > 0) {
		if (opts->hooks && opts->hooks->prepare) {
			ret = opts->hooks->prepare(root, pf_bdf, (unsigned int)n, e);
			if (ret) {
				err_prefix(e, "%s: preparing the device for %d VFs", pf_bdf, n);
				return ret;
			}
		}
		ret = write_numvfs(root, pf_bdf, n, pf.totalvfs, dev.driver, e);
		if (ret) {
			if (res->wrote_zero)
				err_prefix(e, "the %d old VFs were removed, then", pf.numvfs);
			return ret;
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
		return -EIO;
	}
	if (res->links < n) {
		err_set(e, ETIMEDOUT,
			"%s: %d VFs enabled but only %d of the virtfn links appeared "
			"within %d ms",
			pf_bdf, n, res->links, opts->wait_ms);
		err_hint(e, "the VFs may still be appearing; retry with a longer --wait");
		return -ETIMEDOUT;
	}
	if (n > 0 && opts->hooks && opts->hooks->online) {
		ret = opts->hooks->online(root, pf_bdf, (unsigned int)n, e);
		if (ret) {
			err_prefix(e, "%s: %d VFs created but bringing them online failed", pf_bdf,
				   n);
			return ret;
		}
	}
	return 0;
}
