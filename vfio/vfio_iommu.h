/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IOMMU side of passthrough, shared by every device of one VM: VFIO
 * type1v2 (container + groups) or iommufd (IOAS + VFIO device cdev),
 * chosen automatically, plus the KVM-VFIO device every group/device fd is
 * registered with before the device is opened (KVM needs it for posted
 * interrupts and for non-coherent DMA).
 *
 * Paths honour the sysfs root seam (ROOT/sys/..., ROOT/dev/vfio/...).
 */
#ifndef VFIO_VFIO_IOMMU_H
#define VFIO_VFIO_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "vfio_sys.h"

#define VFIO_IOMMU_MAX_GROUPS 32
#define VFIO_IOMMU_MAX_RANGES 64
#define VFIO_IOMMU_MAX_MAPS 1024
#define VFIO_IOMMU_MAX_DEVS 32

enum vfio_backend {
	VFIO_BACKEND_AUTO = 0,
	VFIO_BACKEND_TYPE1, /* /dev/vfio/vfio + /dev/vfio/N */
	VFIO_BACKEND_IOMMUFD, /* /dev/iommu + /dev/vfio/devices/vfioN */
};

/* Usable IOVA range [start, last] (inclusive, as the kernel reports it). */
struct vfio_usable_range {
	uint64_t start;
	uint64_t last;
};

struct vfio_iommu_group {
	int id;
	int fd;
};

/* An open device fd and its IOMMU group (-1: unknown), both backends. */
struct vfio_iommu_dev {
	int fd;
	int group;
};

struct vfio_iommu {
	const struct vfio_sys *sys;
	char root[256];
	enum vfio_backend kind; /* AUTO until the first device decides */
	int kvm_vfio_fd; /* KVM_DEV_TYPE_VFIO device, -1 without a VM */

	/* type1 */
	int container_fd;
	bool iommu_set;
	struct vfio_iommu_group group[VFIO_IOMMU_MAX_GROUPS];
	int nr_groups;
	bool has_dma_avail;
	uint32_t dma_avail;

	/* iommufd */
	int iommufd;
	uint32_t ioas_id;

	/*
	 * Devices open now: a group leaves the container (and its devices may
	 * go back to host drivers) only once none of its devices is open.
	 */
	struct vfio_iommu_dev dev[VFIO_IOMMU_MAX_DEVS];
	int nr_devs;

	struct vfio_usable_range range[VFIO_IOMMU_MAX_RANGES];
	int nr_ranges; /* 0 = not known (no cap): everything below 2^48 assumed */

	struct {
		uint64_t iova;
		uint64_t size;
	} map[VFIO_IOMMU_MAX_MAPS];
	int nr_maps;
};

/*
 * Prepare (opens nothing yet).  @vm_fd >= 0 creates the KVM-VFIO device;
 * @want AUTO picks iommufd when ROOT/dev/iommu and the device's vfio-dev
 * cdev exist (and no VF token is needed), type1 otherwise.
 */
int vfio_iommu_init(struct vfio_iommu *io, const struct vfio_sys *sys, const char *root, int vm_fd,
		    enum vfio_backend want, struct errinfo *e);

/*
 * Open @bdf's device fd (group or cdev), registering it with KVM-VFIO
 * first and attaching it to the shared address space.  @vf_token may be
 * NULL.  Refreshes the usable IOVA ranges.  Returns the fd or -errno.
 *
 * While the VM runs this is also the hot-add path: a new type1 group joins
 * the existing container (SET_CONTAINER; the kernel replays the
 * container's mappings into the new group's domain) and a new cdev attaches
 * to the existing IOAS, so guest RAM already mapped is not mapped again.
 * When the container lost its last group (vfio_iommu_release_device), the
 * IOMMU is set again and io->nr_maps is 0: the caller maps again.
 */
int vfio_iommu_open_device(struct vfio_iommu *io, const char *bdf, const char *vf_token,
			   struct errinfo *e);

/* Map [iova, iova+size) to @hva readable and writable for DMA. */
int vfio_iommu_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva,
		   struct errinfo *e);
/*
 * Call before closing a device fd that vfio_iommu_open_device returned: a
 * cdev device fd is deregistered from KVM-VFIO so that closing it really
 * releases the device (a later unbind from vfio-pci would wait otherwise).
 */
void vfio_iommu_close_device(struct vfio_iommu *io, int fd);
/*
 * Let go of one device while the VM's other devices stay (hot-remove, and
 * every device at teardown), so that vfio-pci can give it back right away:
 *   iommufd: deregister the cdev from KVM-VFIO, then close it (closing
 *            detaches it from the IOAS and unbinds it from the iommufd);
 *   type1:   close the device fd; when no other open device is in its IOMMU
 *            group, detach the group (VFIO_GROUP_UNSET_CONTAINER),
 *            deregister it from KVM-VFIO and close it.  When that was the
 *            container's last group the kernel drops the IOMMU and with it
 *            every mapping: io->nr_maps becomes 0.
 * @fd is closed in every case (callers must not close it themselves; the
 * order matters: the kernel refuses to detach a group with a device open).
 * Returns 1 when no other open device is left in @fd's IOMMU group (its
 * devices may go back to host drivers now), 0 when one is (the group stays
 * attached), or -errno with @e filled when the detach ioctl failed (the
 * group fd is closed anyway, which detaches it too).
 */
int vfio_iommu_release_device(struct vfio_iommu *io, int fd, struct errinfo *e);
/*
 * Undo every map, close groups/container/iommufd and the KVM-VFIO device
 * (devices released already or about to be: device fds must be closed).
 */
void vfio_iommu_close(struct vfio_iommu *io);

/* Group ids with fds, for bus resets (type1 only; 0 with iommufd). */
int vfio_iommu_groups(const struct vfio_iommu *io, const struct vfio_iommu_group **g);

const char *vfio_backend_name(enum vfio_backend b);

/* The IOMMU group number of @bdf (ROOT/sys/bus/pci/devices/BDF/iommu_group), or -errno. */
int vfio_iommu_group_id(const char *root, const char *bdf, struct errinfo *e);

/* internal, per backend (container.c, iommufd.c) */
int vfio_type1_open_device(struct vfio_iommu *io, const char *bdf, const char *vf_token,
			   struct errinfo *e);
int vfio_type1_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva,
		   struct errinfo *e);
void vfio_type1_close(struct vfio_iommu *io);
/* Detach group @id from the container, deregister it from KVM-VFIO, close it. */
int vfio_type1_release_group(struct vfio_iommu *io, int id, struct errinfo *e);
int vfio_iommufd_open_device(struct vfio_iommu *io, const char *bdf, const char *vf_token,
			     struct errinfo *e);
int vfio_iommufd_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva,
		     struct errinfo *e);
void vfio_iommufd_close(struct vfio_iommu *io);
/* The cdev name (vfioN) of @bdf, or -ENOENT when the kernel has none. */
int vfio_iommufd_cdev_name(const char *root, const char *bdf, char *out, size_t size);
/* Register a group or device fd with the KVM-VFIO device (no-op without one). */
int vfio_kvm_add_fd(struct vfio_iommu *io, int fd, const char *what, struct errinfo *e);
/* Undo vfio_kvm_add_fd (no-op without a KVM-VFIO device). */
void vfio_kvm_del_fd(struct vfio_iommu *io, int fd);

#endif
