// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVMe virtualization management (see nvme_virt.h for the sequence).
 *
 * Field offsets follow the NVMe base specification 2.0: Identify CNS 14h
 * (Primary Controller Capabilities) and CNS 15h (Secondary Controller List),
 * and the Virtualization Management command (opcode 1Ch).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/nvme_ioctl.h>

#include "nvme_virt.h"
#include "pci_sysfs.h"

#define NVME_VIRT_IDENTIFY_LEN 4096
#define NVME_VIRT_CLASS 0x010802 /* mass storage, NVM, NVMe */
#define NVME_VIRT_LIVE_TIMEOUT_MS 60000 /* resets are slow under emulation */
#define NVME_VIRT_POLL_MS 100

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void nvme_virt_decode_primary(const uint8_t *buf, struct nvme_virt_primary_caps *c)
{
	c->cntlid = get_le16(buf + 0);
	c->portid = get_le16(buf + 2);
	c->crt = buf[4];
	c->vqfrt = get_le32(buf + 32);
	c->vqrfa = get_le32(buf + 36);
	c->vqrfap = get_le16(buf + 40);
	c->vqprt = get_le16(buf + 42);
	c->vqfrsm = get_le16(buf + 44);
	c->vqgran = get_le16(buf + 46);
	c->vifrt = get_le32(buf + 64);
	c->virfa = get_le32(buf + 68);
	c->virfap = get_le16(buf + 72);
	c->viprt = get_le16(buf + 74);
	c->vifrsm = get_le16(buf + 76);
	c->vigran = get_le16(buf + 78);
}

unsigned nvme_virt_decode_secondary(const uint8_t *buf, struct nvme_virt_secondary *list,
				    unsigned max)
{
	unsigned n = buf[0], i;
	const uint8_t *ent;

	if (n > NVME_VIRT_MAX_SECONDARY)
		n = NVME_VIRT_MAX_SECONDARY;
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		ent = buf + 32 + 32 * i;
		list[i].scid = get_le16(ent + 0);
		list[i].pcid = get_le16(ent + 2);
		list[i].scs = ent[4];
		list[i].vfn = get_le16(ent + 8);
		list[i].nvq = get_le16(ent + 10);
		list[i].nvi = get_le16(ent + 12);
	}
	return n;
}

/* --- the real backend ------------------------------------------------------ */

static int real_admin(void *opaque, const char *dev_path, struct nvme_virt_cmd *cmd)
{
	struct nvme_admin_cmd c;
	int fd, ret;

	(void)opaque;
	fd = open(dev_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&c, 0, sizeof(c));
	c.opcode = cmd->opcode;
	c.nsid = cmd->nsid;
	c.cdw10 = cmd->cdw10;
	c.cdw11 = cmd->cdw11;
	c.addr = (uint64_t)(uintptr_t)cmd->data;
	c.data_len = cmd->data_len;
	ret = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);
	if (ret < 0)
		ret = -errno;
	else if (ret == 0)
		cmd->result = c.result;
	close(fd);
	return ret;
}

static int real_reset(void *opaque, const char *reset_path)
{
	(void)opaque;
	return sysfs_write_str(reset_path, "1", NULL);
}

const struct nvme_virt_ops nvme_virt_ops_real = {
	.admin = real_admin,
	.reset = real_reset,
};

/* --- helpers ----------------------------------------------------------------- */

/* Plain words for the status codes this module can meet (SCT << 8 | SC). */
static const char *status_str(int st)
{
	switch (st & 0x7ff) {
	case 0x001:
		return "Invalid Command Opcode";
	case 0x002:
		return "Invalid Field in Command";
	case 0x006:
		return "Internal Error";
	case 0x10b:
		return "Invalid Namespace or Format";
	case 0x11f:
		return "Invalid Controller Identifier";
	case 0x120:
		return "Invalid Secondary Controller State";
	case 0x121:
		return "Invalid Number of Controller Resources";
	case 0x122:
		return "Invalid Resource Identifier";
	default:
		return "controller error";
	}
}

/* Send one command; turn a system error or an NVMe status into an errinfo. */
static int run_cmd(const struct nvme_virt_ops *ops, const char *dev, struct nvme_virt_cmd *cmd,
		   const char *what, struct errinfo *e)
{
	int ret = ops->admin(ops->opaque, dev, cmd);

	if (ret < 0)
		return err_sys(e, -ret, "%s: admin command 0x%02x on %s", what, cmd->opcode, dev);
	if (ret > 0)
		return err_set(e, (ret & 0x7ff) == 0x001 ? EOPNOTSUPP : EIO,
			       "%s: %s answered NVMe status 0x%03x (%s)", what, dev, ret & 0x7ff,
			       status_str(ret));
	return 0;
}

static int virt_mgmt(const struct nvme_virt_ops *ops, const char *dev, enum nvme_virt_act act,
		     enum nvme_virt_rt rt, uint16_t cntlid, uint16_t nr, const char *what,
		     struct errinfo *e)
{
	struct nvme_virt_cmd cmd = {
		.opcode = NVME_VIRT_OPC_VIRT_MGMT,
		.cdw10 = (uint32_t)act | (uint32_t)rt << 8 | (uint32_t)cntlid << 16,
		.cdw11 = nr,
	};

	return run_cmd(ops, dev, &cmd, what, e);
}

int nvme_virt_ctrl_name(const char *root, const char *pf_bdf, char *name, unsigned size,
			struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = -ENOENT;

	if (sysfs_dev_path(path, sizeof(path), root, pf_bdf, "nvme") < 0)
		return err_set(e, ENAMETOOLONG, "path for %s too long", pf_bdf);
	d = opendir(path);
	if (!d) {
		ret = err_sys(e, errno, "no NVMe controller for %s (%s)", pf_bdf, path);
		err_hint(e,
			 "NVMe virtualization management needs the PF on the nvme driver "
			 "(vfctl restore %s, or bind it to nvme)",
			 pf_bdf);
		return ret;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "nvme", 4) || !de->d_name[4])
			continue;
		if ((size_t)snprintf(name, size, "%s", de->d_name) >= size) {
			ret = err_set(e, ENAMETOOLONG, "controller name %s too long", de->d_name);
			goto out;
		}
		ret = 0;
		goto out;
	}
	ret = err_set(e, ENOENT, "no nvmeN controller under %s", path);
	err_hint(e, "the nvme driver may still be probing %s; try again", pf_bdf);
out:
	closedir(d);
	return ret;
}

int nvme_virt_primary_caps(const struct nvme_virt_ops *ops, const char *dev_path,
			   struct nvme_virt_primary_caps *caps, struct errinfo *e)
{
	struct nvme_virt_cmd cmd = {
		.opcode = NVME_VIRT_OPC_IDENTIFY,
		.cdw10 = NVME_VIRT_CNS_PRIMARY_CAPS,
		.data_len = NVME_VIRT_IDENTIFY_LEN,
	};
	uint8_t *buf = calloc(1, NVME_VIRT_IDENTIFY_LEN);
	int ret;

	if (!buf)
		return err_sys(e, ENOMEM, "Identify buffer");
	cmd.data = buf;
	ret = run_cmd(ops, dev_path, &cmd, "Identify Primary Controller Capabilities", e);
	if (!ret)
		nvme_virt_decode_primary(buf, caps);
	free(buf);
	return ret;
}

int nvme_virt_secondary_list(const struct nvme_virt_ops *ops, const char *dev_path,
			     struct nvme_virt_secondary *list, unsigned max, struct errinfo *e)
{
	struct nvme_virt_cmd cmd = {
		.opcode = NVME_VIRT_OPC_IDENTIFY,
		.cdw10 = NVME_VIRT_CNS_SECONDARY_LIST, /* CNTID 0: list from the first */
		.data_len = NVME_VIRT_IDENTIFY_LEN,
	};
	uint8_t *buf = calloc(1, NVME_VIRT_IDENTIFY_LEN);
	int ret;

	if (!buf)
		return err_sys(e, ENOMEM, "Identify buffer");
	cmd.data = buf;
	ret = run_cmd(ops, dev_path, &cmd, "Identify Secondary Controller List", e);
	if (!ret)
		ret = (int)nvme_virt_decode_secondary(buf, list, max);
	free(buf);
	return ret;
}

/* Everything one operation needs about the PF's controller. */
struct ctrl {
	char name[64];
	char dev[SYSFS_PATH_MAX];
	struct nvme_virt_primary_caps caps;
};

static int ctrl_open(const struct nvme_virt_ops *ops, const char *root, const char *bdf,
		     struct ctrl *c, struct errinfo *e)
{
	int ret;

	ret = nvme_virt_ctrl_name(root, bdf, c->name, sizeof(c->name), e);
	if (ret)
		return ret;
	if (sysfs_path(c->dev, sizeof(c->dev), root, "/dev/%s", c->name) < 0)
		return err_set(e, ENAMETOOLONG, "device path for %s too long", c->name);
	ret = nvme_virt_primary_caps(ops, c->dev, &c->caps, e);
	if (ret == -EOPNOTSUPP || ret == -EIO) {
		err_hint(e, "%s (%s) does not seem to support NVMe virtualization management", bdf,
			 c->name);
		if (e)
			e->err = EOPNOTSUPP;
		return -EOPNOTSUPP;
	}
	if (ret)
		return ret;
	if ((c->caps.crt & 0x3) != 0x3) {
		err_set(e, EOPNOTSUPP,
			"%s (%s) does not support both queue and interrupt resources (CRT=0x%x)",
			bdf, c->name, c->caps.crt);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Wait until ROOT/sys/class/nvme/NAME/state reads "live" again after a reset. */
static int wait_live(const struct nvme_virt_ops *ops, const char *root, const char *bdf,
		     const struct ctrl *c, struct errinfo *e)
{
	unsigned waited = 0,
		 limit = ops->live_timeout_ms ? ops->live_timeout_ms : NVME_VIRT_LIVE_TIMEOUT_MS;
	char path[SYSFS_PATH_MAX], state[64] = "";
	int ret;

	if (sysfs_path(path, sizeof(path), root, "/sys/class/nvme/%s/state", c->name) < 0)
		return err_set(e, ENAMETOOLONG, "state path for %s too long", c->name);
	for (;;) {
		ret = sysfs_read_str(path, state, sizeof(state), e);
		if (ret)
			return ret;
		if (!strcmp(state, "live"))
			return 0;
		if (!strcmp(state, "dead") || !strcmp(state, "deleting") ||
		    !strcmp(state, "deleting (no IO)") || waited >= limit)
			break;
		sleep_ms(NVME_VIRT_POLL_MS);
		waited += NVME_VIRT_POLL_MS;
	}
	ret = err_set(e, waited >= limit ? ETIMEDOUT : EIO,
		      "%s (%s) is \"%s\" after the reset, not live (%s)", bdf, c->name, state,
		      path);
	err_hint(e, "see the kernel log (dmesg) for the nvme driver's view");
	return ret;
}

/* Reset through the sysfs file at ROOT/REL, then wait for the controller to be live. */
static int do_reset(const struct nvme_virt_ops *ops, const char *root, const char *bdf,
		    struct ctrl *c, const char *rel, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];
	int ret;

	if (sysfs_path(path, sizeof(path), root, "%s", rel) < 0)
		return err_set(e, ENAMETOOLONG, "reset path for %s too long", bdf);
	ret = ops->reset(ops->opaque, path);
	if (ret)
		return err_sys(e, -ret, "resetting %s (%s) through %s", bdf, c->name, path);
	ret = wait_live(ops, root, bdf, c, e);
	if (ret)
		return ret;
	return nvme_virt_primary_caps(ops, c->dev, &c->caps, e);
}

static bool primary_holds_flex(const struct nvme_virt_primary_caps *caps)
{
	return caps->vqrfap || caps->virfap;
}

static int read_numvfs(const char *root, const char *bdf, long *numvfs, struct errinfo *e)
{
	return sysfs_dev_read_long(root, bdf, "sriov_numvfs", numvfs, e);
}

/* --- public API --------------------------------------------------------------- */

bool nvme_virt_is_nvme_pf(const char *root, const char *pf_bdf)
{
	long cls, total;

	if (sysfs_dev_read_long(root, pf_bdf, "class", &cls, NULL) ||
	    sysfs_dev_read_long(root, pf_bdf, "sriov_totalvfs", &total, NULL))
		return false;
	return cls == NVME_VIRT_CLASS && total > 0;
}

int nvme_virt_prepare_ops(const struct nvme_virt_ops *ops, const char *root, const char *pf_bdf,
			  unsigned nvfs, struct errinfo *e)
{
	char rel[SYSFS_PATH_MAX];
	struct ctrl c;
	long numvfs;
	int ret;

	ret = ctrl_open(ops, root, pf_bdf, &c, e);
	if (ret)
		return ret;
	if (c.caps.vqfrt < 2u * nvfs || c.caps.vifrt < nvfs) {
		err_set(e, ERANGE,
			"%s (%s) has flexible resources for fewer than %u VFs: %u queue "
			"resources (2 per VF needed), %u interrupt resources (1 per VF)",
			pf_bdf, c.name, nvfs, c.caps.vqfrt, c.caps.vifrt);
		err_hint(e, "ask for fewer VFs");
		return -ERANGE;
	}
	if (!primary_holds_flex(&c.caps))
		return 0;

	/* The reset below would take existing VFs (and their users) away. */
	ret = read_numvfs(root, pf_bdf, &numvfs, e);
	if (ret)
		return ret;
	if (numvfs) {
		err_set(e, EBUSY,
			"%s (%s) still holds %u queue and %u interrupt flexible resources "
			"while %ld VFs exist",
			pf_bdf, c.name, c.caps.vqrfap, c.caps.virfap, numvfs);
		err_hint(e, "remove the VFs first (vfctl vfs %s 0)", pf_bdf);
		return -EBUSY;
	}

	if (c.caps.vqrfap) {
		ret = virt_mgmt(ops, c.dev, NVME_VIRT_ACT_PRIMARY_FLEX, NVME_VIRT_RT_VQ,
				c.caps.cntlid, 0, "primary flexible queue allocation 0", e);
		if (ret)
			return ret;
	}
	if (c.caps.virfap) {
		ret = virt_mgmt(ops, c.dev, NVME_VIRT_ACT_PRIMARY_FLEX, NVME_VIRT_RT_VI,
				c.caps.cntlid, 0, "primary flexible interrupt allocation 0", e);
		if (ret)
			return ret;
	}

	/*
	 * The allocation takes effect at the next controller level reset.  A
	 * controller reset is enough per the specification; QEMU's emulated
	 * NVMe applies it only on a function level reset, so fall back to the
	 * PCI reset (FLR, driver kept bound) when the controller reset did not.
	 */
	snprintf(rel, sizeof(rel), "/sys/class/nvme/%s/reset_controller", c.name);
	ret = do_reset(ops, root, pf_bdf, &c, rel, e);
	if (ret)
		return ret;
	if (!primary_holds_flex(&c.caps))
		return 0;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/reset", pf_bdf);
	ret = do_reset(ops, root, pf_bdf, &c, rel, e);
	if (ret)
		return ret;
	if (primary_holds_flex(&c.caps)) {
		err_set(e, EIO,
			"%s (%s) still holds %u queue and %u interrupt flexible resources after "
			"a controller reset and a function reset",
			pf_bdf, c.name, c.caps.vqrfap, c.caps.virfap);
		err_hint(e, "the device may need a power cycle for the new allocation");
		return -EIO;
	}
	return 0;
}

/*
 * A VF created before its controller had resources failed its nvme probe and
 * sits without a driver.  Once it is online, probe it again - but only when
 * the PF autoprobes its VFs (autoprobe off means the user wants them
 * driverless) and only for a VF this call brought online, so a VF someone
 * unbound on purpose is left alone.  A driver_override set by the caller
 * (vfio-pci) is honoured by the kernel's probe.
 */
static int probe_vf(const char *root, const char *pf_bdf, unsigned vfn, struct errinfo *e)
{
	char link[32], vf[64], path[SYSFS_PATH_MAX];
	long autoprobe;
	int ret;

	if (sysfs_dev_read_long(root, pf_bdf, "sriov_drivers_autoprobe", &autoprobe, NULL) ||
	    !autoprobe)
		return 0;
	snprintf(link, sizeof(link), "virtfn%u", vfn - 1);
	ret = sysfs_dev_link_base(root, pf_bdf, link, vf, sizeof(vf), e);
	if (ret)
		return ret;
	if (sysfs_dev_path(path, sizeof(path), root, vf, "driver") < 0)
		return err_set(e, ENAMETOOLONG, "path for %s too long", vf);
	if (sysfs_exists(path))
		return 0;
	if (sysfs_path(path, sizeof(path), root, "/sys/bus/pci/drivers_probe") < 0)
		return err_set(e, ENAMETOOLONG, "drivers_probe path too long");
	return sysfs_write_str(path, vf, e);
}

static const struct nvme_virt_secondary *find_vfn(const struct nvme_virt_secondary *list, int n,
						  unsigned vfn)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i].vfn == vfn)
			return &list[i];
	return NULL;
}

static unsigned round_down(unsigned v, unsigned gran)
{
	return gran > 1 ? v - v % gran : v;
}

int nvme_virt_online_vfs_ops(const struct nvme_virt_ops *ops, const char *root, const char *pf_bdf,
			     unsigned nvfs, struct errinfo *e)
{
	struct nvme_virt_secondary list[NVME_VIRT_MAX_SECONDARY];
	const struct nvme_virt_secondary *s;
	unsigned vq, vi, vfn;
	struct ctrl c;
	long numvfs;
	int n, i, ret;

	if (!nvfs)
		return 0;
	ret = ctrl_open(ops, root, pf_bdf, &c, e);
	if (ret)
		return ret;
	ret = read_numvfs(root, pf_bdf, &numvfs, e);
	if (ret)
		return ret;
	if (numvfs < (long)nvfs) {
		err_set(e, EINVAL, "%s has %ld VFs, cannot bring %u secondary controllers online",
			pf_bdf, numvfs, nvfs);
		err_hint(e, "create the VFs first (sriov_numvfs)");
		return -EINVAL;
	}

	/* Split what the primary does not hold evenly, within the per-VF maximum. */
	vq = (c.caps.vqfrt - c.caps.vqrfap) / nvfs;
	vi = (c.caps.vifrt - c.caps.virfap) / nvfs;
	if (c.caps.vqfrsm && vq > c.caps.vqfrsm)
		vq = c.caps.vqfrsm;
	if (c.caps.vifrsm && vi > c.caps.vifrsm)
		vi = c.caps.vifrsm;
	vq = round_down(vq, c.caps.vqgran);
	vi = round_down(vi, c.caps.vigran);
	if (vq < 2 || vi < 1) {
		err_set(e, ENOSPC,
			"%s (%s): %u VFs would get %u queue and %u interrupt resources each; "
			"a VF needs at least 2 and 1 (pool %u/%u, primary holds %u/%u)",
			pf_bdf, c.name, nvfs, vq, vi, c.caps.vqfrt, c.caps.vifrt, c.caps.vqrfap,
			c.caps.virfap);
		err_hint(e, "%s",
			 primary_holds_flex(&c.caps)
				 ? "the primary still holds flexible resources: remove the "
				   "VFs and create them again with vfctl vfs"
				 : "ask for fewer VFs");
		return -ENOSPC;
	}

	n = nvme_virt_secondary_list(ops, c.dev, list, NVME_VIRT_MAX_SECONDARY, e);
	if (n < 0)
		return n;
	for (vfn = 1; vfn <= nvfs; vfn++) {
		if (!find_vfn(list, n, vfn)) {
			err_set(e, ENOENT, "%s (%s) lists no secondary controller for VF %u",
				pf_bdf, c.name, vfn);
			return -ENOENT;
		}
	}

	/*
	 * First take resources back from every secondary that will change
	 * (and from controllers of VFs beyond nvfs), so the pool is whole
	 * before anything is assigned.  A secondary already online with the
	 * right amounts is left alone: applying twice changes nothing.
	 */
	for (i = 0; i < n; i++) {
		s = &list[i];
		if (s->vfn < 1)
			continue;
		if (s->vfn <= nvfs && (s->scs & 1) && s->nvq == vq && s->nvi == vi)
			continue;
		if (s->vfn > nvfs && !(s->scs & 1) && !s->nvq && !s->nvi)
			continue;
		ret = virt_mgmt(ops, c.dev, NVME_VIRT_ACT_SECONDARY_OFFLINE, NVME_VIRT_RT_VQ,
				s->scid, 0, "secondary offline", e);
		if (ret)
			goto fail_vf;
	}
	for (vfn = 1; vfn <= nvfs; vfn++) {
		s = find_vfn(list, n, vfn);
		if ((s->scs & 1) && s->nvq == vq && s->nvi == vi)
			continue;
		ret = virt_mgmt(ops, c.dev, NVME_VIRT_ACT_SECONDARY_ASSIGN, NVME_VIRT_RT_VQ,
				s->scid, (uint16_t)vq, "secondary assign queue resources", e);
		if (ret)
			goto fail_sec;
		ret = virt_mgmt(ops, c.dev, NVME_VIRT_ACT_SECONDARY_ASSIGN, NVME_VIRT_RT_VI,
				s->scid, (uint16_t)vi, "secondary assign interrupt resources", e);
		if (ret)
			goto fail_sec;
		ret = virt_mgmt(ops, c.dev, NVME_VIRT_ACT_SECONDARY_ONLINE, NVME_VIRT_RT_VQ,
				s->scid, 0, "secondary online", e);
		if (ret)
			goto fail_sec;
		ret = probe_vf(root, pf_bdf, vfn, e);
		if (ret) {
			err_prefix(e, "%s VF %u is online but probing its driver failed", pf_bdf,
				   vfn);
			return ret;
		}
	}
	return 0;

fail_vf:
	err_prefix(e, "%s (%s) VF %u (controller %u)", pf_bdf, c.name, list[i].vfn, list[i].scid);
	return ret;
fail_sec:
	err_prefix(e, "%s (%s) VF %u (controller %u, %u queue and %u interrupt resources)", pf_bdf,
		   c.name, s->vfn, s->scid, vq, vi);
	return ret;
}

int nvme_virt_prepare(const char *root, const char *pf_bdf, unsigned nvfs, struct errinfo *e)
{
	return nvme_virt_prepare_ops(&nvme_virt_ops_real, root, pf_bdf, nvfs, e);
}

int nvme_virt_online_vfs(const char *root, const char *pf_bdf, unsigned nvfs, struct errinfo *e)
{
	return nvme_virt_online_vfs_ops(&nvme_virt_ops_real, root, pf_bdf, nvfs, e);
}
