/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One opened VFIO device: its regions (BARs, ROM, config space) with their
 * capabilities (sparse mmap areas, MSI-X mappable), its interrupt indexes,
 * config-space access, interrupt setup, reset, and the ERR/REQ eventfds.
 *
 * How the device fd was obtained (group or cdev) is container.c's and
 * iommufd.c's business; everything here works on the fd alone through
 * struct vfio_sys so it runs against a fake device in unit tests.
 */
#ifndef VFIO_DEVICE_H
#define VFIO_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vfio.h>

#include "errinfo.h"
#include "vfio_sys.h"

#define VFIO_MAX_SPARSE 16
#define VFIO_NR_REGIONS (VFIO_PCI_CONFIG_REGION_INDEX + 1) /* BAR0-5, ROM, config */
#define VFIO_NR_IRQS (VFIO_PCI_REQ_IRQ_INDEX + 1)

struct vfio_sparse_area {
	uint64_t offset;
	uint64_t size;
};

struct vfio_region {
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
	uint64_t size;
	uint64_t offset; /* of the region in the device fd */
	bool has_sparse; /* the sparse-mmap cap was present (even with 0 areas) */
	unsigned int nr_sparse;
	struct vfio_sparse_area sparse[VFIO_MAX_SPARSE];
	bool msix_mappable;
};

struct vfio_device {
	const struct vfio_sys *sys;
	int fd;
	char name[64]; /* BDF, for messages */
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	struct vfio_region region[VFIO_NR_REGIONS];
	uint32_t irq_count[VFIO_NR_IRQS];
	uint32_t irq_flags[VFIO_NR_IRQS];
	int err_efd; /* -1 when not armed */
	int req_efd;
};

/*
 * Take @fd (owned from now on: vfio_device_close() closes it) and read the
 * device, region and IRQ info.  Rejects a device that is not PCI.
 */
int vfio_device_setup(struct vfio_device *d, const struct vfio_sys *sys, int fd, const char *name,
		      struct errinfo *e);
void vfio_device_close(struct vfio_device *d);

/* Region access, bounds-checked against the region size: never outside it. */
int vfio_region_read(struct vfio_device *d, unsigned int idx, uint64_t off, void *buf, uint32_t len,
		     struct errinfo *e);
int vfio_region_write(struct vfio_device *d, unsigned int idx, uint64_t off, const void *buf,
		      uint32_t len, struct errinfo *e);

/*
 * VFIO_DEVICE_SET_IRQS with ACTION_TRIGGER: @count eventfds (-1 = leave the
 * vector without a trigger) from @start.  @count 0 disables the index.
 */
int vfio_irq_set_eventfds(struct vfio_device *d, unsigned int index, unsigned int start,
			  unsigned int count, const int *fds, struct errinfo *e);
int vfio_irq_disable(struct vfio_device *d, unsigned int index, struct errinfo *e);
/* INTx: eventfd signalled by KVM on EOI that unmasks the line in VFIO. */
int vfio_irq_set_unmask_fd(struct vfio_device *d, unsigned int index, int fd, struct errinfo *e);

/*
 * Arm the ERR (AER) and REQ (host wants the device back) indexes with
 * fresh eventfds when the device has them; sets err_efd/req_efd.
 */
int vfio_device_arm_err_req(struct vfio_device *d, struct errinfo *e);

/* What reset the device can do on its own (FLR/PM via VFIO_DEVICE_RESET). */
static inline bool vfio_device_can_reset(const struct vfio_device *d)
{
	return d->flags & VFIO_DEVICE_FLAGS_RESET;
}

/*
 * Reset the device: VFIO_DEVICE_RESET when it supports one, else a bus
 * (hot) reset when every affected group is in @groups (group fds with
 * their ids; both NULL/0 in the iommufd cdev case, where the kernel checks
 * ownership through the iommufd).  -EPERM-style failure names the group we
 * do not own.
 */
struct vfio_group_ref {
	int id;
	int fd;
};
int vfio_device_reset(struct vfio_device *d, const struct vfio_group_ref *groups,
		      unsigned int nr_groups, struct errinfo *e);

#endif
