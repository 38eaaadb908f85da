// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd: one IOAS for the VM; each device opened through its VFIO cdev
 * (/dev/vfio/devices/vfioN), bound to the iommufd and attached to the IOAS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uapi_compat.h"
#include "vfio_iommu.h"

int vfio_iommufd_cdev_name(const char *root, const char *bdf, char *out, size_t size)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/vfio-dev", root, bdf);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4) && de->d_name[4] >= '0' &&
		    de->d_name[4] <= '9') {
			snprintf(out, size, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

static int refresh_ranges(struct vfio_iommu *io, struct errinfo *e)
{
	struct iommu_iova_range r[VFIO_IOMMU_MAX_RANGES];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = io->ioas_id,
		.num_iovas = VFIO_IOMMU_MAX_RANGES,
		.allowed_iovas = (uint64_t)(uintptr_t)r,
	};
	int ret;

	ret = vfio_sys_ioctl(io->sys, io->iommufd, IOMMU_IOAS_IOVA_RANGES, &q);
	if (ret < 0)
		return err_sys(e, -ret, "IOMMU_IOAS_IOVA_RANGES");
	io->nr_ranges = 0;
	for (uint32_t i = 0; i < q.num_iovas && i < VFIO_IOMMU_MAX_RANGES; i++) {
		io->range[io->nr_ranges].start = r[i].start;
		io->range[io->nr_ranges].last = r[i].last;
		io->nr_ranges++;
	}
	return 0;
}

static int open_iommufd(struct vfio_iommu *io, struct errinfo *e)
{
	struct iommu_ioas_alloc a = {.size = sizeof(a)};
	char path[512];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/dev/iommu", io->root);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open %s", path);
	ret = vfio_sys_ioctl(io->sys, fd, IOMMU_IOAS_ALLOC, &a);
	if (ret < 0) {
		close(fd);
		return err_sys(e, -ret, "IOMMU_IOAS_ALLOC on %s", path);
	}
	io->iommufd = fd;
	io->ioas_id = a.out_ioas_id;
	return 0;
}

int vfio_iommufd_open_device(struct vfio_iommu *io, const char *bdf, const char *vf_token,
			     struct errinfo *e)
{
	struct vfio_device_bind_iommufd bind = {.argsz = sizeof(bind), .flags = 0};
	struct vfio_device_attach_iommufd_pt at = {.argsz = sizeof(at)};
	char cdev[64], path[512];
	int fd, ret;

	if (vf_token && *vf_token)
		return err_set(e, ENOTSUP, "%s: VF tokens need the VFIO group backend", bdf);
	ret = vfio_iommufd_cdev_name(io->root, bdf, cdev, sizeof(cdev));
	if (ret < 0) {
		err_sys(e, -ret, "%s: no VFIO device cdev under vfio-dev/", bdf);
		err_hint(e, "bind the device to vfio-pci (or add ,managed); kernels before 6.6 "
			    "lack the cdev");
		return ret;
	}
	if (io->iommufd < 0) {
		ret = open_iommufd(io, e);
		if (ret < 0)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/dev/vfio/devices/%s", io->root, cdev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		err_sys(e, -ret, "%s: open %s", bdf, path);
		if (ret == -EBUSY)
			err_hint(e, "the device is already open in another process");
		return ret;
	}
	/* KVM must know the device file before it is bound and used. */
	ret = vfio_kvm_add_fd(io, fd, bdf, e);
	if (ret < 0)
		goto err;
	bind.iommufd = io->iommufd;
	ret = vfio_sys_ioctl(io->sys, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (ret < 0) {
		err_sys(e, -ret, "%s: VFIO_DEVICE_BIND_IOMMUFD", bdf);
		if (ret == -EPERM || ret == -EINVAL)
			err_hint(e, "is every device of its IOMMU group bound to vfio-pci?");
		goto err_kvm;
	}
	at.pt_id = io->ioas_id;
	ret = vfio_sys_ioctl(io->sys, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	if (ret < 0) {
		err_sys(e, -ret, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT (IOAS %u)", bdf, io->ioas_id);
		goto err_kvm;
	}
	ret = refresh_ranges(io, e);
	if (ret < 0)
		goto err_kvm;
	return fd;
err_kvm:
	vfio_kvm_del_fd(io, fd);
err:
	close(fd);
	return ret;
}

int vfio_iommufd_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva,
		     struct errinfo *e)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = io->ioas_id,
		.user_va = (uint64_t)(uintptr_t)hva,
		.length = size,
		.iova = iova,
	};
	int ret;

	ret = vfio_sys_ioctl(io->sys, io->iommufd, IOMMU_IOAS_MAP, &m);
	if (ret < 0) {
		err_sys(e, -ret, "IOMMU_IOAS_MAP iova 0x%llx size 0x%llx", (unsigned long long)iova,
			(unsigned long long)size);
		if (ret == -ENOMEM)
			err_hint(e, "locked memory limit too low? raise RLIMIT_MEMLOCK (ulimit -l) "
				    "to cover guest RAM");
	}
	return ret;
}

void vfio_iommufd_close(struct vfio_iommu *io)
{
	for (int i = 0; i < io->nr_maps && io->iommufd >= 0; i++) {
		struct iommu_ioas_unmap u = {
			.size = sizeof(u),
			.ioas_id = io->ioas_id,
			.iova = io->map[i].iova,
			.length = io->map[i].size,
		};

		vfio_sys_ioctl(io->sys, io->iommufd, IOMMU_IOAS_UNMAP, &u);
	}
	if (io->iommufd >= 0) {
		struct iommu_destroy d = {.size = sizeof(d), .id = io->ioas_id};

		vfio_sys_ioctl(io->sys, io->iommufd, IOMMU_DESTROY, &d);
		close(io->iommufd);
	}
	io->iommufd = -1;
}
