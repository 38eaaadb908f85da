// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "pci_caps.h"
#include "pci_sysfs.h"

static unsigned int rd16(const uint8_t *cfg, size_t off)
{
	return cfg[off] | (unsigned int)cfg[off + 1] << 8;
}

static uint32_t rd32(const uint8_t *cfg, size_t off)
{
	return rd16(cfg, off) | (uint32_t)rd16(cfg, off + 2) << 16;
}

static void parse_link(const uint8_t *cfg, size_t len, unsigned int pos, struct pcie_link *l)
{
	uint32_t cap = rd32(cfg, pos + PCI_EXP_LNKCAP);
	unsigned int sta = rd16(cfg, pos + PCI_EXP_LNKSTA);

	l->max_speed = cap & PCI_EXP_LNKCAP_SLS;
	l->max_width = (cap & PCI_EXP_LNKCAP_MLW) >> 4;
	l->speed = sta & PCI_EXP_LNKSTA_CLS;
	l->width = (sta & PCI_EXP_LNKSTA_NLW) >> PCI_EXP_LNKSTA_NLW_SHIFT;
	/* version 2 capabilities carry LnkCap2 */
	if ((rd16(cfg, pos + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_VERS) >= 2 &&
	    pos + PCI_EXP_LNKCAP2 + 4 <= len)
		l->speeds = rd32(cfg, pos + PCI_EXP_LNKCAP2) & 0xfe; /* bits 7:1 */
}

static void parse_std(const uint8_t *cfg, size_t len, struct pcicaps *c)
{
	unsigned int pos, guard = 0;

	if (len < 64 || !(rd16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	pos = cfg[PCI_CAPABILITY_LIST] & ~3u;
	/* 48 steps bound the walk so a looping list in a bad dump cannot hang us. */
	while (pos >= 0x40 && pos + 2 <= len && guard++ < 48) {
		unsigned int id = cfg[pos];

		switch (id) {
		case PCI_CAP_ID_MSI:
			c->has_msi = true;
			break;
		case PCI_CAP_ID_MSIX:
			if (pos + 4 <= len) {
				c->has_msix = true;
				c->msix_size =
					(rd16(cfg, pos + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) +
					1;
			}
			break;
		case PCI_CAP_ID_EXP:
			if (pos + 8 <= len) {
				c->has_pcie = true;
				c->pcie_type = (int)((rd16(cfg, pos + PCI_EXP_FLAGS) &
						      PCI_EXP_FLAGS_TYPE) >>
						     4);
				c->flr =
					(rd32(cfg, pos + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR) != 0;
			}
			if (pos + PCI_EXP_LNKSTA + 2 <= len)
				parse_link(cfg, len, pos, &c->link);
			break;
		}
		pos = cfg[pos + 1] & ~3u;
	}
}

static void parse_ext(const uint8_t *cfg, size_t len, struct pcicaps *c)
{
	unsigned int pos = 0x100, guard = 0;

	while (pos >= 0x100 && pos + 4 <= len && guard++ < 480) {
		uint32_t hdr = rd32(cfg, pos);
		unsigned int id = PCI_EXT_CAP_ID(hdr);

		if (hdr == 0 || hdr == 0xffffffff)
			break;
		switch (id) {
		case PCI_EXT_CAP_ID_ACS:
			if (pos + 8 <= len) {
				c->has_acs = true;
				c->acs_cap = (uint16_t)rd16(cfg, pos + PCI_ACS_CAP);
				c->acs_ctrl = (uint16_t)rd16(cfg, pos + PCI_ACS_CTRL);
			}
			break;
		case PCI_EXT_CAP_ID_ARI:
			c->has_ari = true;
			break;
		case PCI_EXT_CAP_ID_SRIOV:
			if (pos + 0x1c <= len) {
				c->has_sriov = true;
				c->sriov_initial_vfs = rd16(cfg, pos + PCI_SRIOV_INITIAL_VF);
				c->sriov_total_vfs = rd16(cfg, pos + PCI_SRIOV_TOTAL_VF);
				c->sriov_offset = rd16(cfg, pos + PCI_SRIOV_VF_OFFSET);
				c->sriov_stride = rd16(cfg, pos + PCI_SRIOV_VF_STRIDE);
				c->sriov_vf_device = rd16(cfg, pos + PCI_SRIOV_VF_DID);
			}
			break;
		}
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
}

void pcicaps_parse(const uint8_t *cfg, size_t len, struct pcicaps *c)
{
	memset(c, 0, sizeof(*c));
	c->config_len = len;
	c->pcie_type = -1;
	parse_std(cfg, len, c);
	if (c->has_pcie)
		parse_ext(cfg, len, c);
}

int pcicaps_read(const char *root, const char *bdf, struct pcicaps *c, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];
	uint8_t cfg[4096];
	ssize_t n;
	size_t len = 0;
	int fd, err;

	if (sysfs_dev_path(path, sizeof(path), root, bdf, "config"))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "cannot open config space of %s (%s)", bdf, path);
	while (len < sizeof(cfg)) {
		n = pread(fd, cfg + len, sizeof(cfg) - len, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			close(fd);
			return err_sys(e, err, "cannot read config space of %s (%s)", bdf, path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	pcicaps_parse(cfg, len, c);
	return 0;
}

bool pcicaps_acs_isolates(const struct pcicaps *c)
{
	unsigned int need;

	if (!c->has_acs)
		return false;
	/* As the kernel does: a feature missing from the capability register is hard-wired on. */
	need = ACS_ISOLATION & c->acs_cap;
	return (c->acs_ctrl & need) == need;
}

bool pcicaps_is_acs_port(const struct pcicaps *c)
{
	return c->pcie_type == PCIE_TYPE_ROOT_PORT || c->pcie_type == PCIE_TYPE_DOWNSTREAM;
}

const char *pcie_speed_name(unsigned int speed)
{
	static const char *const name[] = {"unknown", "2.5 GT/s", "5 GT/s", "8 GT/s",
					   "16 GT/s", "32 GT/s",  "64 GT/s"};

	return speed < sizeof(name) / sizeof(name[0]) ? name[speed] : name[0];
}

/* A code the registers can hold: 1-6 for a speed, 1-32 lanes for a width. */
static bool link_sane(const struct pcie_link *l)
{
	return l->speed >= 1 && l->speed <= 6 && l->width >= 1 && l->width <= 32;
}

int pcie_link_read(const char *root, const char *bdf, struct pcie_link *l, struct errinfo *e)
{
	char pf[32];
	struct pcicaps c;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = pcicaps_read(root, bdf, &c, e);
	if (ret < 0)
		return ret;
	*l = c.link;
	/* a VF's link registers are reserved: its traffic uses the PF's link */
	if (!link_sane(l) && !sysfs_dev_link_base(root, bdf, "physfn", pf, sizeof(pf), NULL) &&
	    !pcicaps_read(root, pf, &c, NULL))
		*l = c.link;
	if (!link_sane(l)) {
		l->speed = 1;
		l->width = 1;
	}
	if (l->max_speed < l->speed || l->max_speed > 6)
		l->max_speed = l->speed;
	if (l->max_width < l->width || l->max_width > 32)
		l->max_width = l->width;
	/* every speed up to the top one (LnkCap2 is a vector of them) */
	if (!l->speeds || (l->speeds & ~0x7e) || !(l->speeds & (1u << l->max_speed)))
		l->speeds = (uint8_t)(((1u << (l->max_speed + 1)) - 1) & ~1u);
	return 0;
}
