// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO type1v2: one container for the VM, groups attached to it, guest RAM
 * mapped with iova = guest physical address.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uapi_compat.h"
#include "info_caps.h"
#include "vfio_iommu.h"

int vfio_iommu_group_id(const char *root, const char *bdf, struct errinfo *e)
{
	char path[512], target[512];
	const char *base;
	ssize_t n;
	char *end;
	long id;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/iommu_group", root, bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno == ENOENT) {
			snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", root, bdf);
			if (access(path, F_OK) != 0) {
				err_set(e, ENODEV, "%s: no such PCI device", bdf);
				err_hint(e, "list devices with lspci -D or vfctl list");
				return -ENODEV;
			}
			err_set(e, ENODEV, "%s: device has no IOMMU group", bdf);
			err_hint(e, "enable the IOMMU (intel_iommu=on / amd_iommu=on on the kernel "
				    "command line)");
			return -ENODEV;
		}
		return err_sys(e, errno, "%s: readlink %s", bdf, path);
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	id = strtol(base, &end, 10);
	if (*end || id < 0 || id > INT_MAX)
		return err_set(e, EINVAL, "%s: IOMMU group link %s is not a number", bdf, target);
	return (int)id;
}

static int open_container(struct vfio_iommu *io, const char *bdf, struct errinfo *e)
{
	char path[512];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/dev/vfio/vfio", io->root);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = errno;
		err_sys(e, ret, "%s: open %s", bdf, path);
		if (ret == EACCES || ret == EPERM)
			err_hint(e, "passthrough needs root (or access to %s)", path);
		else
			err_hint(e, "load the vfio module (modprobe vfio-pci)");
		return -ENODEV;
	}
	ret = vfio_sys_ioctl(io->sys, fd, VFIO_GET_API_VERSION, NULL);
	if (ret != VFIO_API_VERSION) {
		close(fd);
		return err_set(e, EINVAL, "%s: VFIO API version %d, expected %d", path, ret,
			       VFIO_API_VERSION);
	}
	ret = vfio_sys_ioctl(io->sys, fd, VFIO_CHECK_EXTENSION,
			     (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (ret <= 0) {
		close(fd);
		err_set(e, ENOTSUP, "%s: the VFIO type1v2 IOMMU backend is not available", path);
		err_hint(e, "load vfio_iommu_type1, or use a kernel with iommufd");
		return -ENOTSUP;
	}
	io->container_fd = fd;
	return 0;
}

static int get_info(struct vfio_iommu *io, struct errinfo *e)
{
	struct vfio_iommu_type1_info *info;
	uint32_t sz = sizeof(*info) + 4096;
	int ret;

	for (int tries = 0; tries < 2; tries++) {
		info = calloc(1, sz);
		if (!info)
			return err_sys(e, ENOMEM, "VFIO_IOMMU_GET_INFO");
		info->argsz = sz;
		ret = vfio_sys_ioctl(io->sys, io->container_fd, VFIO_IOMMU_GET_INFO, info);
		if (ret < 0) {
			free(info);
			return err_sys(e, -ret, "VFIO_IOMMU_GET_INFO");
		}
		if (info->argsz > sz && info->argsz < (1u << 20) && tries == 0) {
			sz = info->argsz;
			free(info);
			continue;
		}
		break;
	}
	if ((info->flags & VFIO_IOMMU_INFO_CAPS) && info->cap_offset)
		vfio_iommu_caps_parse(io, (const uint8_t *)info, sz, info->cap_offset);
	free(info);
	return 0;
}

static int open_group(struct vfio_iommu *io, int id, const char *bdf, struct errinfo *e)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	bool kvm_added = false;
	char path[512];
	int fd, ret;

	for (int i = 0; i < io->nr_groups; i++)
		if (io->group[i].id == id)
			return io->group[i].fd;
	if (io->nr_groups == VFIO_IOMMU_MAX_GROUPS)
		return err_set(e, ENOSPC, "%s: more than %d IOMMU groups", bdf,
			       VFIO_IOMMU_MAX_GROUPS);
	snprintf(path, sizeof(path), "%s/dev/vfio/%d", io->root, id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		err_sys(e, -ret, "%s: open %s", bdf, path);
		if (ret == -ENOENT)
			err_hint(e,
				 "bind the device to vfio-pci first (vfctl bind %s vfio-pci), or "
				 "add ,managed",
				 bdf);
		else if (ret == -EBUSY)
			err_hint(e, "another process (a VM?) already uses IOMMU group %d", id);
		return ret;
	}
	ret = vfio_sys_ioctl(io->sys, fd, VFIO_GROUP_GET_STATUS, &st);
	if (ret < 0) {
		err_sys(e, -ret, "%s: VFIO_GROUP_GET_STATUS on %s", bdf, path);
		goto err;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = err_set(e, EPERM, "%s: IOMMU group %d is not viable", bdf, id);
		err_hint(e,
			 "bind every device of the group to vfio-pci (see vfctl show %s); bridges "
			 "may stay",
			 bdf);
		goto err;
	}
	/* KVM must know the group before any device of it is opened. */
	ret = vfio_kvm_add_fd(io, fd, bdf, e);
	if (ret < 0)
		goto err;
	kvm_added = true;
	if (!(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET)) {
		int cfd = io->container_fd;

		ret = vfio_sys_ioctl(io->sys, fd, VFIO_GROUP_SET_CONTAINER, &cfd);
		if (ret < 0) {
			err_sys(e, -ret, "%s: VFIO_GROUP_SET_CONTAINER (group %d)", bdf, id);
			goto err;
		}
	}
	if (!io->iommu_set) {
		ret = vfio_sys_ioctl(io->sys, io->container_fd, VFIO_SET_IOMMU,
				     (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
		if (ret < 0) {
			err_sys(e, -ret, "%s: VFIO_SET_IOMMU(TYPE1v2)", bdf);
			goto err;
		}
		io->iommu_set = true;
	}
	io->group[io->nr_groups].id = id;
	io->group[io->nr_groups].fd = fd;
	io->nr_groups++;
	return fd;
err:
	if (kvm_added)
		vfio_kvm_del_fd(io, fd);
	close(fd);
	return ret;
}

int vfio_type1_open_device(struct vfio_iommu *io, const char *bdf, const char *vf_token,
			   struct errinfo *e)
{
	char name[128];
	int id, gfd, ret;

	id = vfio_iommu_group_id(io->root, bdf, e);
	if (id < 0)
		return id;
	if (io->container_fd < 0) {
		ret = open_container(io, bdf, e);
		if (ret < 0)
			return ret;
	}
	gfd = open_group(io, id, bdf, e);
	if (gfd < 0)
		return gfd;
	if (vf_token && *vf_token)
		snprintf(name, sizeof(name), "%s vf_token=%s", bdf, vf_token);
	else
		snprintf(name, sizeof(name), "%s", bdf);
	ret = vfio_sys_ioctl(io->sys, gfd, VFIO_GROUP_GET_DEVICE_FD, name);
	if (ret < 0) {
		err_sys(e, -ret, "%s: VFIO_GROUP_GET_DEVICE_FD", bdf);
		if (ret == -EACCES)
			err_hint(e, "the PF is owned by vfio-pci: pass its VF token with "
				    ",vf-token=UUID (a wrong token is refused too)");
		else if (ret == -EBUSY)
			err_hint(e, "the device is already open in another process");
		return ret;
	}
	/* refresh: usable ranges depend on the groups attached */
	if (get_info(io, e) < 0) {
		close(ret);
		return -EIO;
	}
	return ret;
}

int vfio_type1_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva,
		   struct errinfo *e)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)hva,
		.iova = iova,
		.size = size,
	};
	int ret;

	ret = vfio_sys_ioctl(io->sys, io->container_fd, VFIO_IOMMU_MAP_DMA, &m);
	if (ret < 0) {
		err_sys(e, -ret, "VFIO_IOMMU_MAP_DMA iova 0x%llx size 0x%llx",
			(unsigned long long)iova, (unsigned long long)size);
		if (ret == -ENOMEM)
			err_hint(e, "locked memory limit too low? raise RLIMIT_MEMLOCK (ulimit -l) "
				    "to cover guest RAM");
		else if (ret == -ENOSPC)
			err_hint(e, "VFIO's dma_entry_limit is exhausted (vfio_iommu_type1 module "
				    "parameter)");
	}
	return ret;
}

int vfio_type1_release_group(struct vfio_iommu *io, int id, struct errinfo *e)
{
	int i, fd, ret;

	for (i = 0; i < io->nr_groups && io->group[i].id != id; i++)
		;
	if (i == io->nr_groups)
		return 0;
	fd = io->group[i].fd;
	ret = vfio_sys_ioctl(io->sys, fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	if (ret < 0)
		err_sys(e, -ret, "VFIO_GROUP_UNSET_CONTAINER (group %d)", id);
	vfio_kvm_del_fd(io, fd);
	close(fd);
	/* keep the rest in order: bus resets name groups from this list */
	memmove(&io->group[i], &io->group[i + 1],
		sizeof(io->group[0]) * (size_t)(io->nr_groups - i - 1));
	io->nr_groups--;
	if (!io->nr_groups) {
		/* the container's last group took the IOMMU and its mappings with it */
		io->iommu_set = false;
		io->nr_maps = 0;
	}
	return ret < 0 ? ret : 0;
}

void vfio_type1_close(struct vfio_iommu *io)
{
	for (int i = 0; i < io->nr_maps && io->container_fd >= 0; i++) {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.iova = io->map[i].iova,
			.size = io->map[i].size,
		};

		vfio_sys_ioctl(io->sys, io->container_fd, VFIO_IOMMU_UNMAP_DMA, &u);
	}
	for (int i = 0; i < io->nr_groups; i++) {
		vfio_kvm_del_fd(io, io->group[i].fd);
		close(io->group[i].fd);
	}
	io->nr_groups = 0;
	if (io->container_fd >= 0)
		close(io->container_fd);
	io->container_fd = -1;
	io->iommu_set = false;
}
