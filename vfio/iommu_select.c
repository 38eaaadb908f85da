// SPDX-License-Identifier: GPL-2.0-only
/* Backend choice, KVM-VFIO device, and dispatch to type1 or iommufd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uapi_compat.h"
#include "vfio_iommu.h"

const char *vfio_backend_name(enum vfio_backend b)
{
	switch (b) {
	case VFIO_BACKEND_TYPE1:
		return "type1v2";
	case VFIO_BACKEND_IOMMUFD:
		return "iommufd";
	default:
		return "auto";
	}
}

int vfio_iommu_init(struct vfio_iommu *io, const struct vfio_sys *sys, const char *root, int vm_fd,
		    enum vfio_backend want, struct errinfo *e)
{
	memset(io, 0, sizeof(*io));
	io->sys = sys;
	snprintf(io->root, sizeof(io->root), "%s", root ? root : "");
	io->kind = want;
	io->kvm_vfio_fd = -1;
	io->container_fd = -1;
	io->iommufd = -1;
	if (vm_fd >= 0) {
		struct kvm_create_device cd = {.type = KVM_DEV_TYPE_VFIO};
		int ret = vfio_sys_ioctl(sys, vm_fd, KVM_CREATE_DEVICE, &cd);

		if (ret < 0) {
			err_sys(e, -ret, "KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO)");
			err_hint(e, "the host kernel needs CONFIG_KVM_VFIO (kvm module built with "
				    "VFIO support)");
			return ret;
		}
		io->kvm_vfio_fd = (int)cd.fd;
	}
	return 0;
}

int vfio_kvm_add_fd(struct vfio_iommu *io, int fd, const char *what, struct errinfo *e)
{
	int32_t v = fd;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_ADD,
		.addr = (uint64_t)(uintptr_t)&v,
	};
	int ret;

	if (io->kvm_vfio_fd < 0)
		return 0;
	ret = vfio_sys_ioctl(io->sys, io->kvm_vfio_fd, KVM_SET_DEVICE_ATTR, &attr);
	if (ret < 0)
		return err_sys(e, -ret, "%s: KVM-VFIO registration (KVM_DEV_VFIO_FILE_ADD)", what);
	return 0;
}

/*
 * Undo vfio_kvm_add_fd.  KVM-VFIO holds its own reference to the file until
 * then (or until the KVM-VFIO device is closed), so close() alone would
 * leave a cdev device open and vfio-pci unable to let go of it.
 */
void vfio_kvm_del_fd(struct vfio_iommu *io, int fd)
{
	int32_t v = fd;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = KVM_DEV_VFIO_FILE_DEL,
		.addr = (uint64_t)(uintptr_t)&v,
	};

	if (io->kvm_vfio_fd >= 0 && fd >= 0)
		vfio_sys_ioctl(io->sys, io->kvm_vfio_fd, KVM_SET_DEVICE_ATTR, &attr);
}

void vfio_iommu_close_device(struct vfio_iommu *io, int fd)
{
	/* type1 registers groups, which vfio_iommu_close deregisters */
	if (io->kind == VFIO_BACKEND_IOMMUFD)
		vfio_kvm_del_fd(io, fd);
}

static enum vfio_backend choose(struct vfio_iommu *io, const char *bdf, const char *vf_token)
{
	char path[512], cdev[64];

	/*
	 * The cdev path cannot pass a VF token on kernels before the bind
	 * token flag, so VFs of a vfio-pci PF go through a group.
	 */
	if (vf_token && *vf_token)
		return VFIO_BACKEND_TYPE1;
	snprintf(path, sizeof(path), "%s/dev/iommu", io->root);
	if (access(path, R_OK | W_OK) != 0)
		return VFIO_BACKEND_TYPE1;
	if (vfio_iommufd_cdev_name(io->root, bdf, cdev, sizeof(cdev)) < 0)
		return VFIO_BACKEND_TYPE1;
	return VFIO_BACKEND_IOMMUFD;
}

int vfio_iommu_open_device(struct vfio_iommu *io, const char *bdf, const char *vf_token,
			   struct errinfo *e)
{
	int fd;

	if (io->nr_devs == VFIO_IOMMU_MAX_DEVS)
		return err_set(e, ENOSPC, "%s: more than %d passthrough devices", bdf,
			       VFIO_IOMMU_MAX_DEVS);
	if (io->kind == VFIO_BACKEND_AUTO)
		io->kind = choose(io, bdf, vf_token);
	if (io->kind == VFIO_BACKEND_IOMMUFD)
		fd = vfio_iommufd_open_device(io, bdf, vf_token, e);
	else
		fd = vfio_type1_open_device(io, bdf, vf_token, e);
	if (fd < 0)
		return fd;
	io->dev[io->nr_devs].fd = fd;
	/* type1 found it already; iommufd devices have a group all the same */
	io->dev[io->nr_devs].group = vfio_iommu_group_id(io->root, bdf, NULL);
	io->nr_devs++;
	return fd;
}

int vfio_iommu_release_device(struct vfio_iommu *io, int fd, struct errinfo *e)
{
	int group = -1;

	if (fd < 0)
		return 1;
	for (int i = 0; i < io->nr_devs; i++) {
		if (io->dev[i].fd != fd)
			continue;
		group = io->dev[i].group;
		io->dev[i] = io->dev[--io->nr_devs];
		break;
	}
	/* KVM-VFIO holds the cdev file: it must let go first, or close() frees nothing */
	if (io->kind == VFIO_BACKEND_IOMMUFD)
		vfio_kvm_del_fd(io, fd);
	close(fd);
	if (group < 0)
		return 1;
	for (int i = 0; i < io->nr_devs; i++)
		if (io->dev[i].group == group)
			return 0;
	if (io->kind == VFIO_BACKEND_TYPE1) {
		int ret = vfio_type1_release_group(io, group, e);

		if (ret < 0)
			return ret;
	}
	return 1;
}

int vfio_iommu_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva,
		   struct errinfo *e)
{
	int ret;

	if (io->nr_maps == VFIO_IOMMU_MAX_MAPS)
		return err_set(e, ENOSPC, "DMA map: more than %d mappings", VFIO_IOMMU_MAX_MAPS);
	if (io->kind == VFIO_BACKEND_IOMMUFD)
		ret = vfio_iommufd_map(io, iova, size, hva, e);
	else
		ret = vfio_type1_map(io, iova, size, hva, e);
	if (ret < 0)
		return ret;
	io->map[io->nr_maps].iova = iova;
	io->map[io->nr_maps].size = size;
	io->nr_maps++;
	return 0;
}

void vfio_iommu_close(struct vfio_iommu *io)
{
	if (io->kind == VFIO_BACKEND_IOMMUFD)
		vfio_iommufd_close(io);
	else
		vfio_type1_close(io);
	if (io->kvm_vfio_fd >= 0)
		close(io->kvm_vfio_fd);
	io->kvm_vfio_fd = -1;
	io->nr_maps = 0;
	io->nr_devs = 0;
}

int vfio_iommu_groups(const struct vfio_iommu *io, const struct vfio_iommu_group **g)
{
	*g = io->group;
	return io->kind == VFIO_BACKEND_TYPE1 ? io->nr_groups : 0;
}
