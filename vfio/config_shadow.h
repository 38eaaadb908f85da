/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's view of a passed-through device's config space.
 *
 * Each byte is either emulated (served from a shadow, writes limited by a
 * write mask) or forwarded to the device's config region.  Emulated:
 *   - BARs (sizing by all-ones writes, guest-chosen addresses) and the ROM
 *     BAR (reads as absent unless a ROM is asked for);
 *   - the capability chain: capabilities that cannot be virtualised
 *     (SR-IOV, ARI, resizable BAR, ATS/PRI/PASID, ...) are unlinked and
 *     read as zero, writes to them dropped;
 *   - the MSI and MSI-X capabilities (the VMM programs the device itself);
 *   - interrupt line, header type multi-function bit.
 * Everything else (command, status, PCIe control registers, vendor
 * capabilities) is forwarded.  Extended config space (0x100-0xfff) exists
 * only for PCIe devices whose config region has it; the host bridge serves
 * it through ECAM.
 *
 * Accesses outside the config space size, or of a size other than 1, 2 or
 * 4 bytes, read as all-ones and write nothing: a guest cannot reach past
 * the device's config region.
 */
#ifndef VFIO_CONFIG_SHADOW_H
#define VFIO_CONFIG_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/pci_regs.h>

#include "device.h"
#include "errinfo.h"

#define VFIO_CFG_SIZE PCI_CFG_SPACE_EXP_SIZE
#define VFIO_CFG_NR_BARS PCI_STD_NUM_BARS
#define VFIO_CFG_ROM 6 /* bar index used for the ROM in callbacks */

enum vfio_rom_mode {
	VFIO_ROM_OFF = 0, /* default: no option ROM is shown to the guest */
	VFIO_ROM_DEVICE, /* the device's own ROM region */
	VFIO_ROM_FILE, /* an image supplied by the user */
};

struct vfio_cfg_bar {
	uint64_t size; /* 0: not implemented (or upper half of a 64-bit BAR) */
	bool io;
	bool mem64;
	bool prefetch;
	uint64_t addr; /* as the guest programmed it */
	bool on; /* decoding at addr (last state told to the owner) */
};

struct vfio_cfg;

/* Notifications to the owner (BAR moves, interrupt programming). */
struct vfio_cfg_ops {
	/* BAR @bar (VFIO_CFG_ROM for the ROM) now decodes at @addr when @on. */
	void (*bar_update)(void *opaque, int bar, uint64_t addr, bool on);
	/* MSI capability written (enable, MME, address, data or mask). */
	void (*msi_update)(void *opaque);
	/* MSI-X Message Control written. */
	void (*msix_ctrl)(void *opaque, bool enable, bool func_mask);
};

struct vfio_cfg {
	struct vfio_device *dev;
	uint32_t size; /* 256 or 4096 */
	uint8_t shadow[VFIO_CFG_SIZE];
	uint8_t wmask[VFIO_CFG_SIZE]; /* writable bits of emulated bytes */
	uint8_t emul[VFIO_CFG_SIZE]; /* 1: byte emulated, 0: forwarded */
	uint16_t command; /* last command value the guest wrote */

	struct vfio_cfg_bar bar[VFIO_CFG_NR_BARS];
	uint64_t rom_size;
	uint64_t rom_addr;
	bool rom_on;
	enum vfio_rom_mode rom_mode;

	/* capability offsets in the guest view, 0 when absent/hidden */
	uint8_t msi_cap;
	uint8_t msix_cap;
	uint8_t pcie_cap;
	unsigned int msi_nvec; /* vectors the device supports (1..32) */
	bool msi_64;
	bool msi_maskbit;
	unsigned int msix_nvec; /* 0 when no MSI-X */
	int msix_table_bar;
	uint32_t msix_table_off;
	int msix_pba_bar;
	uint32_t msix_pba_off;

	unsigned int nr_hidden; /* capabilities hidden (for reports) */
	unsigned int hidden_ids[32]; /* standard ids, extended ids | 0x10000 */

	const struct vfio_cfg_ops *ops;
	void *opaque;
	unsigned int fwd_errors; /* forwarded accesses the device refused */
};

/* Read the device's config space and build the guest view. */
int vfio_cfg_init(struct vfio_cfg *c, struct vfio_device *dev, enum vfio_rom_mode rom,
		  uint64_t rom_file_size, const struct vfio_cfg_ops *ops, void *opaque,
		  struct errinfo *e);

/* Guest accesses; @len 1, 2 or 4.  Never fail: errors are counted. */
uint32_t vfio_cfg_read(struct vfio_cfg *c, uint32_t off, uint32_t len);
void vfio_cfg_write(struct vfio_cfg *c, uint32_t off, uint32_t len, uint32_t val);

/* Helpers for the owner: the emulated MSI state. */
struct vfio_msi_state {
	bool enabled;
	unsigned int nvec; /* enabled vectors: 1 << MME */
	uint64_t addr;
	uint16_t data;
	uint32_t mask;
};
void vfio_cfg_msi_state(const struct vfio_cfg *c, struct vfio_msi_state *s);

/* Whether a capability id is kept in the guest view. */
bool vfio_cfg_std_cap_kept(uint8_t id);
bool vfio_cfg_ext_cap_kept(uint16_t id);

#endif
