// SPDX-License-Identifier: GPL-2.0-only
/*
 * apply_ops on the real system (or any sysfs root): reads the actual state
 * of a PF, resolves config matches, and performs each action through the
 * sriov/ modules that own it.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "apply.h"
#include "bind.h"
#include "nvme_virt.h"
#include "pci_dev.h"
#include "pci_sysfs.h"
#include "sriov_pf.h"
#include "vf_apply.h"
#include "vf_count.h"
#include "vf_settings.h"
#include "vflink.h"

static int sys_netlink(struct apply_sys *s, struct errinfo *e)
{
	if (s->nl)
		return 0;
	*e = s->nl_err;
	if (!e->err)
		err_set(e, ENOTCONN, "no netlink connection for VF link settings");
	return -e->err;
}

/* VFs 1..numvfs whose secondary controller is offline; 0 when unknown or not NVMe. */
static int nvme_offline(const struct apply_sys *s, const char *bdf, int numvfs)
{
	struct nvme_virt_secondary *list;
	char ctrl[64], dev[SYSFS_PATH_MAX];
	struct errinfo e;
	int n, off = 0;

	if (numvfs <= 0 || !nvme_virt_is_nvme_pf(s->root, bdf) ||
	    nvme_virt_ctrl_name(s->root, bdf, ctrl, sizeof(ctrl), &e) ||
	    sysfs_path(dev, sizeof(dev), s->root, "/dev/%s", ctrl))
		return 0;
	list = calloc(NVME_VIRT_MAX_SECONDARY, sizeof(*list));
	if (!list)
		return 0;
	n = nvme_virt_secondary_list(&nvme_virt_ops_real, dev, list, NVME_VIRT_MAX_SECONDARY, &e);
	for (int i = 0; i < n; i++)
		if (list[i].vfn >= 1 && list[i].vfn <= numvfs && !(list[i].scs & 1))
			off++;
	free(list);
	return off;
}

static int sys_read(void *priv, const char *bdf, struct rc_pf_state *st, struct errinfo *e)
{
	struct apply_sys *s = priv;
	struct sriov_pf pf;
	struct pcidev d;
	struct vf_link_info *info = NULL;
	int ninfo = 0, ret;

	memset(st, 0, sizeof(*st));
	ret = sriov_pf_read(s->root, bdf, &pf, e);
	if (ret)
		return ret;
	ret = pcidev_read(s->root, bdf, &d, e);
	if (ret)
		goto out;
	snprintf(st->bdf, sizeof(st->bdf), "%s", bdf);
	if (d.n_netdevs)
		snprintf(st->netdev, sizeof(st->netdev), "%s", d.netdevs[0]);
	st->totalvfs = pf.totalvfs;
	st->numvfs = pf.numvfs;
	st->autoprobe = pf.autoprobe;
	st->vfs_offline = nvme_offline(s, bdf, pf.numvfs);
	if (pf.numvfs > 0) {
		st->vfs = calloc((size_t)pf.numvfs, sizeof(*st->vfs));
		if (!st->vfs) {
			ret = err_sys(e, ENOMEM, "reading PF %s", bdf);
			goto out;
		}
		st->nr_vfs = pf.numvfs;
	}
	for (int i = 0; i < st->nr_vfs; i++) {
		st->vfs[i].index = i;
		vf_settings_init(&st->vfs[i].cur);
		/* A VF not in the PF's list reads as having no driver. */
		st->vfs[i].cur.given = 1u << VFKEY_DRIVER;
	}
	for (int i = 0; i < pf.n_vfs; i++) {
		struct rc_vf_state *v;
		struct errinfo le;
		int r;

		if (pf.vfs[i].index < 0 || pf.vfs[i].index >= st->nr_vfs)
			continue;
		v = &st->vfs[pf.vfs[i].index];
		snprintf(v->bdf, sizeof(v->bdf), "%s", pf.vfs[i].bdf);
		r = sysfs_dev_link_base(s->root, v->bdf, "driver", v->cur.driver,
					sizeof(v->cur.driver), &le);
		if (r == -ENOENT)
			v->cur.driver[0] = '\0';
		else if (r) {
			*e = le;
			ret = r;
			goto out;
		}
	}
	/* Link settings only matter (and can only be read) through the PF netdev. */
	if (st->netdev[0] && st->nr_vfs && s->nl) {
		ret = vflink_get_vfs(s->nl, st->netdev, &info, &ninfo, e);
		if (ret == -EOPNOTSUPP) {
			ret = 0;
		} else if (ret) {
			err_prefix(e, "reading the VF settings of PF %s", bdf);
			goto out;
		}
		for (int i = 0; i < ninfo; i++) {
			struct rc_vf_state *v;
			struct vf_settings link;

			if ((int)info[i].vf >= st->nr_vfs)
				continue;
			v = &st->vfs[info[i].vf];
			vf_settings_from_link(&link, &info[i]);
			for (int k = 0; k < VFKEY_LINK_NR; k++)
				if (vf_settings_has(&link, k))
					vf_settings_copy_key(&v->cur, &link, k);
		}
	}
out:
	free(info);
	sriov_pf_free(&pf);
	if (ret)
		rc_pf_state_free(st);
	return ret;
}

static int sys_set_autoprobe(void *priv, const struct rc_pf_state *st, int on, struct errinfo *e)
{
	struct apply_sys *s = priv;

	return sysfs_dev_write_str(s->root, st->bdf, "sriov_drivers_autoprobe", on ? "1" : "0", e);
}

static const struct vf_count_hooks nvme_hooks = {
	.prepare = nvme_virt_prepare,
	.online = nvme_virt_online_vfs,
};

static int sys_set_numvfs(void *priv, const struct rc_pf_state *st, int n, struct errinfo *e)
{
	struct apply_sys *s = priv;
	struct vf_count_opts o = {
		.autoprobe = -1,
		.wait_ms = s->wait_ms ? s->wait_ms : 10000,
		.poll_ms = 0,
		.dry_run = false,
		.state_dir = s->state_dir,
		.hooks = nvme_virt_is_nvme_pf(s->root, st->bdf) ? &nvme_hooks : NULL,
	};
	struct vf_count_result r;

	return vf_count_set(s->root, st->bdf, n, &o, &r, e);
}

static int sys_online_vfs(void *priv, const struct rc_pf_state *st, int n, struct errinfo *e)
{
	struct apply_sys *s = priv;

	return nvme_virt_online_vfs(s->root, st->bdf, (unsigned int)n, e);
}

static int sys_set_vf(void *priv, const struct rc_pf_state *st, int vf,
		      const struct vf_settings *want, struct errinfo *e)
{
	struct apply_sys *s = priv;
	struct vf_apply_opts o = VF_APPLY_OPTS_DEFAULT;
	struct vf_apply_report *rep;
	struct vf_link_info cur;
	int ret, unsupported = 0, tried = 0;

	ret = sys_netlink(s, e);
	if (ret)
		return ret;
	/* The VF as read with the PF: no table read per VF (see apply_ops.set_vf). */
	if (vf < st->nr_vfs) {
		vf_settings_to_link(&st->vfs[vf].cur, (uint32_t)vf, &cur);
		o.cur = &cur;
	}
	o.no_readback = true;
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return err_sys(e, ENOMEM, "setting VF %d of %s", vf, st->netdev);
	ret = vf_apply(s->nl, st->netdev, (uint32_t)vf, want, &o, rep, e);
	if (ret)
		goto out;
	for (int i = 0; i < rep->n; i++) {
		const struct vf_apply_result *r = &rep->r[i];

		tried++;
		if (r->outcome == VF_OUTCOME_UNSUPPORTED) {
			unsupported++;
		} else if (r->outcome == VF_OUTCOME_FAILED) {
			ret = err_set(e, r->err ? r->err : EIO, "%s vf %d %s: %s", st->netdev, vf,
				      vf_attr_name(r->attr), r->msg);
			goto out;
		}
	}
	if (tried && unsupported == tried)
		ret = err_set(e, EOPNOTSUPP, "%s vf %d: %s", st->netdev, vf, rep->r[0].msg);
out:
	free(rep);
	return ret;
}

static int sys_set_driver(void *priv, const struct rc_pf_state *st, int vf, const char *driver,
			  struct errinfo *e)
{
	struct apply_sys *s = priv;
	struct pci_bind_saved saved;
	const char *bdf;

	if (vf >= st->nr_vfs || !st->vfs[vf].bdf[0])
		return err_set(e, ENODEV, "PF %s has no VF %d", st->bdf, vf);
	bdf = st->vfs[vf].bdf;
	/*
	 * Giving back to the remembered driver (or to none) clears
	 * driver_override and forgets the remembered state.
	 */
	if (!pci_bind_state_read(s->state_dir, bdf, &saved, NULL) && !strcmp(saved.driver, driver))
		return pci_restore(s->root, s->state_dir, bdf, &saved, e);
	if (!driver[0])
		return pci_unbind(s->root, s->state_dir, bdf, s->bind_flags, &saved, e);
	return pci_bind_take(s->root, s->state_dir, bdf, driver, s->bind_flags, &saved, e);
}

/* The PF's permanent MAC: ethtool on the real system, sysfs "address" under a test root. */
static int perm_mac(const struct apply_sys *s, const char *bdf, const char *ifname,
		    char out[MAC_STR_LEN])
{
	char path[SYSFS_PATH_MAX], buf[64];
	uint8_t mac[MAC_LEN];
	struct errinfo e;

	if (!s->root[0]) {
		struct {
			struct ethtool_perm_addr h;
			uint8_t data[32];
		} req;
		struct ifreq ifr;
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd >= 0) {
			memset(&req, 0, sizeof(req));
			memset(&ifr, 0, sizeof(ifr));
			req.h.cmd = ETHTOOL_GPERMADDR;
			req.h.size = sizeof(req.data);
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
			ifr.ifr_data = (void *)&req;
			if (!ioctl(fd, SIOCETHTOOL, &ifr) && req.h.size == 6) {
				close(fd);
				mac_str(req.h.data, out);
				return 0;
			}
			close(fd);
		}
	}
	if (sysfs_path(path, sizeof(path), s->root, "/sys/bus/pci/devices/%s/net/%s/address", bdf,
		       ifname) ||
	    sysfs_read_str(path, buf, sizeof(buf), &e))
		return -ENOENT;
	if (mac_parse(buf, mac))
		return -ENOENT;
	mac_str(mac, out);
	return 0;
}

/* PCIe Device Serial Number ("00-11-22-33-44-55-66-77", as lspci prints it). */
static int pci_dsn(const struct apply_sys *s, const char *bdf, char *out, size_t size)
{
	char path[SYSFS_PATH_MAX];
	uint8_t cfg[4096];
	ssize_t n;
	int fd;
	unsigned int off = 0x100;

	if (sysfs_dev_path(path, sizeof(path), s->root, bdf, "config"))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	for (int hops = 0; n >= 0x108 && off >= 0x100 && off + 12 <= (size_t)n && hops < 64;
	     hops++) {
		uint32_t hdr = cfg[off] | cfg[off + 1] << 8 | (uint32_t)cfg[off + 2] << 16 |
			       (uint32_t)cfg[off + 3] << 24;

		if (!hdr || hdr == 0xffffffff)
			break;
		if ((hdr & 0xffff) == 0x0003) {
			const uint8_t *d = &cfg[off + 4];

			snprintf(out, size, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", d[7], d[6],
				 d[5], d[4], d[3], d[2], d[1], d[0]);
			return 0;
		}
		off = hdr >> 20;
	}
	return -ENOENT;
}

static bool serial_matches(const struct apply_sys *s, const char *bdf, const char *want)
{
	char path[SYSFS_PATH_MAX], buf[128], ctrl[32];
	struct errinfo e;

	if (!pci_dsn(s, bdf, buf, sizeof(buf)) && !strcasecmp(buf, want))
		return true;
	if (!nvme_virt_ctrl_name(s->root, bdf, ctrl, sizeof(ctrl), &e) &&
	    !sysfs_path(path, sizeof(path), s->root, "/sys/class/nvme/%s/serial", ctrl) &&
	    !sysfs_read_str(path, buf, sizeof(buf), &e)) {
		char *t = buf + strlen(buf);

		/* NVMe pads the serial with spaces. */
		while (t > buf && t[-1] == ' ')
			*--t = '\0';
		return !strcmp(buf, want);
	}
	return false;
}

static int sys_resolve(void *priv, const struct config_pf *want, char bdf[CONFIG_BDF_LEN],
		       struct errinfo *e)
{
	struct apply_sys *s = priv;
	char(*list)[BDF_LEN] = NULL;
	int n = 0, ret, found = 0;

	if (want->match == CONFIG_MATCH_BDF) {
		if (!sriov_is_pf(s->root, want->match_val)) {
			ret = err_set(e, ENODEV, "no SR-IOV PF at %s", want->match_val);
			err_hint(e, "check the address with `vfctl list`; a PF whose driver is not "
				    "loaded yet is applied when it appears");
			return ret;
		}
		snprintf(bdf, CONFIG_BDF_LEN, "%.15s", want->match_val);
		return 0;
	}
	ret = sriov_pf_list(s->root, &list, &n, e);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		bool hit = false;

		if (want->match == CONFIG_MATCH_MAC) {
			struct pcidev d;
			struct errinfo le;

			if (pcidev_read(s->root, list[i], &d, &le))
				continue;
			for (int k = 0; k < d.n_netdevs && !hit; k++) {
				char mac[18];

				hit = !perm_mac(s, list[i], d.netdevs[k], mac) &&
				      !strcmp(mac, want->match_val);
			}
		} else {
			hit = serial_matches(s, list[i], want->match_val);
		}
		if (!hit)
			continue;
		if (found++) {
			ret = err_set(e, EINVAL, "%s %s matches both %s and %s",
				      want->match == CONFIG_MATCH_MAC ? "mac" : "serial",
				      want->match_val, bdf, list[i]);
			err_hint(e, "match by bdf instead");
			goto out;
		}
		snprintf(bdf, CONFIG_BDF_LEN, "%s", list[i]);
	}
	if (!found) {
		ret = err_set(e, ENODEV, "no SR-IOV PF has %s %s",
			      want->match == CONFIG_MATCH_MAC ? "permanent MAC" : "serial number",
			      want->match_val);
		err_hint(e, "`vfctl list` shows the PFs; a PF whose driver is not loaded yet has "
			    "no MAC to match");
	}
out:
	free(list);
	return ret;
}

const struct apply_ops apply_sys_ops = {
	.resolve = sys_resolve,
	.read = sys_read,
	.set_autoprobe = sys_set_autoprobe,
	.set_numvfs = sys_set_numvfs,
	.online_vfs = sys_online_vfs,
	.set_vf = sys_set_vf,
	.set_driver = sys_set_driver,
};
