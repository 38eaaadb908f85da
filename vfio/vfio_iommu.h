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
/* Undo every map, close groups/container/iommufd and the KVM-VFIO device. */
void vfio_iommu_close(struct vfio_iommu *io);

/* Group ids with fds, for bus resets (type1 only; 0 with iommufd). */
int vfio_iommu_groups(const struct vfio_iommu *io, const struct vfio_iommu_group **g);

const char *vfio_backend_name(enum vfio_backend b);

/* internal, per backend (container.c, iommufd.c) */
int vfio_type1_open_device(struct vfio_iommu *io, const char *bdf, const char *vf_token,
			   struct errinfo *e);
int vfio_type1_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva,
		   struct errinfo *e);
void vfio_type1_close(struct vfio_iommu *io);
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
