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
