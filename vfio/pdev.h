/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The passthrough PCI function as a device model, independent of the VMM's
 * PCI host: config shadow + MSI-X/MSI/INTx + BAR layouts + trapped BAR and
 * ROM accesses.  MSI-X is the shared model (src/devices/msix.h); what is
 * VFIO's own is here: when the guest enables MSI-X, every vector's eventfd
 * goes to VFIO in one VFIO_DEVICE_SET_IRQS (the host IRQ handler signals
 * it, KVM's irqfd on the same eventfd delivers it), and disabling hands
 * them back.  Mask and unmask never reach VFIO.  vfio_pci.c plugs it into the host bridge; unit
 * tests drive it directly against a fake VFIO device.
 */
#ifndef VFIO_PDEV_H
#define VFIO_PDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "bar_layout.h"
#include "config_shadow.h"
#include "device.h"
#include "msi.h"
#include "irq_source.h"
#include "log.h"
#include "msix.h"

struct vfio_pdev_opts {
	enum vfio_rom_mode rom;
	const uint8_t *rom_image; /* VFIO_ROM_FILE: the image (copied) */
	uint64_t rom_image_len;
	int intx_gsi; /* -1: no INTx */
	uint64_t page_size; /* 0: the host's */
	/* Optional: BAR/ROM decode changes seen by the config shadow. */
	void (*bar_update)(void *opaque, int bar, uint64_t addr, bool on);
	void *opaque;
	/* Optional: where run-time failures caused by the guest are reported. */
	struct vlog *log;
};

struct vfio_pdev {
	struct vfio_device *dev;
	struct vfio_cfg cfg;
	bool has_msix;
	struct msix msix;
	bool msix_registered; /* eventfds handed to VFIO */
	struct vlog *log;
	struct vfio_msi msi;
	struct vfio_intx intx;
	struct vfio_bar_layout layout[VFIO_CFG_NR_BARS];
	uint8_t *rom; /* guest-visible ROM contents (rom_size bytes) */
	void (*bar_update)(void *opaque, int bar, uint64_t addr, bool on);
	void *opaque;
	unsigned int nr_errors; /* interrupt setup failures caused by guest actions */
	struct errinfo last_err; /* the latest, also reported to @log */
};

int vfio_pdev_init(struct vfio_pdev *p, struct vfio_device *dev, const struct irq_source *irq,
		   const struct vfio_pdev_opts *o, struct errinfo *e);
void vfio_pdev_exit(struct vfio_pdev *p);

/* Config space (1, 2 or 4 bytes). */
uint32_t vfio_pdev_cfg_read(struct vfio_pdev *p, uint32_t off, uint32_t len);
void vfio_pdev_cfg_write(struct vfio_pdev *p, uint32_t off, uint32_t len, uint32_t val);

/*
 * A trapped access to BAR @bar at @off from its start: MSI-X table, PBA,
 * or forwarded to the device region.  Anything outside the BAR or the
 * device region reads as all-ones and writes nothing.
 */
void vfio_pdev_bar_access(struct vfio_pdev *p, int bar, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write);
void vfio_pdev_rom_access(struct vfio_pdev *p, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write);

#endif
