// SPDX-License-Identifier: GPL-2.0-only
/* A VFIO device fd: info, regions, IRQs, reset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/pci.h>

#include "device.h"
#include "info_caps.h"

static const char *region_name(unsigned int idx)
{
	static const char *const names[] = {"BAR0", "BAR1", "BAR2", "BAR3",
					    "BAR4", "BAR5", "ROM",  "config"};

	return idx < VFIO_NR_REGIONS ? names[idx] : "region";
}

static int get_region(struct vfio_device *d, unsigned int idx, struct errinfo *e)
{
	struct vfio_region *r = &d->region[idx];
	struct vfio_region_info *info;
	uint32_t sz = sizeof(*info);
	int ret;

	memset(r, 0, sizeof(*r));
	for (int tries = 0; tries < 3; tries++) {
		info = calloc(1, sz);
		if (!info)
			return err_sys(e, ENOMEM, "%s: region info", d->name);
		info->argsz = sz;
		info->index = idx;
		ret = vfio_sys_ioctl(d->sys, d->fd, VFIO_DEVICE_GET_REGION_INFO, info);
		if (ret < 0) {
			free(info);
			/* Missing optional regions (VGA, ROM) are not errors. */
			if (ret == -EINVAL)
				return 0;
			return err_sys(e, -ret, "%s: VFIO_DEVICE_GET_REGION_INFO(%s)", d->name,
				       region_name(idx));
		}
		if (info->argsz > sz && info->argsz <= 65536 && tries < 2) {
			sz = info->argsz;
			free(info);
			continue;
		}
		break;
	}
	r->flags = info->flags;
	r->size = info->size;
	r->offset = info->offset;
	if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) && info->cap_offset >= sizeof(*info))
		vfio_region_caps_parse(r, (const uint8_t *)info,
				       sz < info->argsz ? sz : info->argsz, info->cap_offset);
	free(info);
	return 0;
}

int vfio_device_setup(struct vfio_device *d, const struct vfio_sys *sys, int fd, const char *name,
		      struct errinfo *e)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	int ret;

	memset(d, 0, sizeof(*d));
	d->sys = sys;
	d->fd = fd;
	d->err_efd = -1;
	d->req_efd = -1;
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "vfio device");

	ret = vfio_sys_ioctl(sys, fd, VFIO_DEVICE_GET_INFO, &info);
	if (ret < 0)
		return err_sys(e, -ret, "%s: VFIO_DEVICE_GET_INFO", d->name);
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		err_set(e, EINVAL, "%s: VFIO device is not a PCI device (flags 0x%x)", d->name,
			info.flags);
		return -EINVAL;
	}
	if (info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		err_set(e, EINVAL, "%s: VFIO reports %u regions, config space missing", d->name,
			info.num_regions);
		return -EINVAL;
	}
	d->flags = info.flags;
	for (unsigned int i = 0; i < VFIO_NR_REGIONS; i++) {
		ret = get_region(d, i, e);
		if (ret < 0)
			return ret;
	}
	if (d->region[VFIO_PCI_CONFIG_REGION_INDEX].size < 64)
		return err_set(e, EINVAL, "%s: config region is only %llu bytes", d->name,
			       (unsigned long long)d->region[VFIO_PCI_CONFIG_REGION_INDEX].size);

	for (unsigned int i = 0; i < VFIO_NR_IRQS && i < info.num_irqs; i++) {
		struct vfio_irq_info irq = {.argsz = sizeof(irq), .index = i};

		ret = vfio_sys_ioctl(sys, fd, VFIO_DEVICE_GET_IRQ_INFO, &irq);
		if (ret < 0) {
			if (ret == -EINVAL)
				continue;
			return err_sys(e, -ret, "%s: VFIO_DEVICE_GET_IRQ_INFO(%u)", d->name, i);
		}
		d->irq_count[i] = irq.count;
		d->irq_flags[i] = irq.flags;
	}
	return 0;
}

void vfio_device_close(struct vfio_device *d)
{
	if (d->err_efd >= 0)
		close(d->err_efd);
	if (d->req_efd >= 0)
		close(d->req_efd);
	if (d->fd >= 0)
		close(d->fd);
	d->err_efd = d->req_efd = d->fd = -1;
}

static int region_check(struct vfio_device *d, unsigned int idx, uint64_t off, uint32_t len,
			uint32_t need, struct errinfo *e)
{
	const struct vfio_region *r;

	if (idx >= VFIO_NR_REGIONS)
		return err_set(e, EINVAL, "%s: no region %u", d->name, idx);
	r = &d->region[idx];
	if (!(r->flags & need))
		return err_set(e, EACCES, "%s: %s region does not allow this access", d->name,
			       region_name(idx));
	if (len == 0 || off > r->size || len > r->size - off)
		return err_set(e, ERANGE, "%s: %s access at 0x%llx+%u outside its %llu bytes",
			       d->name, region_name(idx), (unsigned long long)off, len,
			       (unsigned long long)r->size);
	return 0;
}

int vfio_region_read(struct vfio_device *d, unsigned int idx, uint64_t off, void *buf, uint32_t len,
		     struct errinfo *e)
{
	ssize_t n;
	int ret;

	ret = region_check(d, idx, off, len, VFIO_REGION_INFO_FLAG_READ, e);
	if (ret < 0)
		return ret;
	n = vfio_sys_pread(d->sys, d->fd, buf, len, d->region[idx].offset + off);
	if (n < 0)
		return err_sys(e, (int)-n, "%s: read %s+0x%llx", d->name, region_name(idx),
			       (unsigned long long)off);
	if ((uint32_t)n != len)
		return err_set(e, EIO, "%s: short read of %s+0x%llx (%zd of %u)", d->name,
			       region_name(idx), (unsigned long long)off, n, len);
	return 0;
}

int vfio_region_write(struct vfio_device *d, unsigned int idx, uint64_t off, const void *buf,
		      uint32_t len, struct errinfo *e)
{
	ssize_t n;
	int ret;

	ret = region_check(d, idx, off, len, VFIO_REGION_INFO_FLAG_WRITE, e);
	if (ret < 0)
		return ret;
	n = vfio_sys_pwrite(d->sys, d->fd, buf, len, d->region[idx].offset + off);
	if (n < 0)
		return err_sys(e, (int)-n, "%s: write %s+0x%llx", d->name, region_name(idx),
			       (unsigned long long)off);
	if ((uint32_t)n != len)
		return err_set(e, EIO, "%s: short write of %s+0x%llx (%zd of %u)", d->name,
			       region_name(idx), (unsigned long long)off, n, len);
	return 0;
}

static int set_irqs(struct vfio_device *d, unsigned int index, uint32_t flags, unsigned int start,
		    unsigned int count, const int *fds, struct errinfo *e)
{
	struct vfio_irq_set *set;
	size_t sz = sizeof(*set) + (size_t)count * sizeof(int32_t);
	int ret;

	if (index >= VFIO_NR_IRQS)
		return err_set(e, EINVAL, "%s: no IRQ index %u", d->name, index);
	if (count && (start >= d->irq_count[index] || count > d->irq_count[index] - start))
		return err_set(e, ERANGE, "%s: IRQ index %u has %u vectors, asked %u+%u", d->name,
			       index, d->irq_count[index], start, count);
	set = calloc(1, sz);
	if (!set)
		return err_sys(e, ENOMEM, "%s: SET_IRQS", d->name);
	set->argsz = (uint32_t)sz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (count && fds)
		memcpy(set->data, fds, (size_t)count * sizeof(int32_t));
	ret = vfio_sys_ioctl(d->sys, d->fd, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	if (ret < 0)
		return err_sys(e, -ret, "%s: VFIO_DEVICE_SET_IRQS(index %u, %u+%u)", d->name, index,
			       start, count);
	return 0;
}

int vfio_irq_set_eventfds(struct vfio_device *d, unsigned int index, unsigned int start,
			  unsigned int count, const int *fds, struct errinfo *e)
{
	if (count == 0)
		return vfio_irq_disable(d, index, e);
	return set_irqs(d, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, start,
			count, fds, e);
}

int vfio_irq_disable(struct vfio_device *d, unsigned int index, struct errinfo *e)
{
	return set_irqs(d, index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL,
			e);
}

int vfio_irq_set_unmask_fd(struct vfio_device *d, unsigned int index, int fd, struct errinfo *e)
{
	return set_irqs(d, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, &fd,
			e);
}

static int arm_one(struct vfio_device *d, unsigned int index, int *efd, struct errinfo *e)
{
	int fd, ret;

	if (d->irq_count[index] < 1)
		return 0; /* the kernel or device does not offer it */
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return err_sys(e, errno, "%s: eventfd for IRQ index %u", d->name, index);
	ret = vfio_irq_set_eventfds(d, index, 0, 1, &fd, e);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	*efd = fd;
	return 0;
}

int vfio_device_arm_err_req(struct vfio_device *d, struct errinfo *e)
{
	int ret;

	ret = arm_one(d, VFIO_PCI_ERR_IRQ_INDEX, &d->err_efd, e);
	if (ret < 0)
		return ret;
	return arm_one(d, VFIO_PCI_REQ_IRQ_INDEX, &d->req_efd, e);
}

static int hot_reset(struct vfio_device *d, const struct vfio_group_ref *groups,
		     unsigned int nr_groups, struct errinfo *e)
{
	struct vfio_pci_hot_reset_info *info;
	struct vfio_pci_hot_reset *rst = NULL;
	uint32_t sz = sizeof(*info) + 8 * sizeof(struct vfio_pci_dependent_device);
	int ret;

	info = calloc(1, sz);
	if (!info)
		return err_sys(e, ENOMEM, "%s: hot reset info", d->name);
	info->argsz = sz;
	ret = vfio_sys_ioctl(d->sys, d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
	if (ret == -ENOSPC && info->count < 4096) {
		sz = sizeof(*info) + info->count * sizeof(struct vfio_pci_dependent_device);
		free(info);
		info = calloc(1, sz);
		if (!info)
			return err_sys(e, ENOMEM, "%s: hot reset info", d->name);
		info->argsz = sz;
		ret = vfio_sys_ioctl(d->sys, d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
	}
	if (ret < 0) {
		err_sys(e, -ret, "%s: no FLR/PM reset and VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
			d->name);
		err_hint(e, "the device has no reset method VFIO can use; check its reset_method "
			    "in sysfs");
		goto out;
	}
	if ((info->count * sizeof(struct vfio_pci_dependent_device)) > sz - sizeof(*info)) {
		ret = err_set(e, EIO, "%s: hot reset info lists %u devices", d->name, info->count);
		goto out;
	}
	/* Every affected group must be ours: a bus reset hits all of them. */
	for (uint32_t i = 0; nr_groups && i < info->count; i++) {
		const struct vfio_pci_dependent_device *dep = &info->devices[i];
		bool owned = false;

		for (unsigned int g = 0; g < nr_groups; g++)
			if (groups[g].id == (int)dep->group_id)
				owned = true;
		if (!owned) {
			ret = err_set(e, EPERM,
				      "%s: bus reset would also reset %04x:%02x:%02x.%x in IOMMU "
				      "group %u, which this VM does not own",
				      d->name, dep->segment, dep->bus, PCI_SLOT(dep->devfn),
				      PCI_FUNC(dep->devfn), dep->group_id);
			err_hint(e, "pass every device of that bus to the VM, or use a device with "
				    "FLR");
			goto out;
		}
	}
	rst = calloc(1, sizeof(*rst) + nr_groups * sizeof(int32_t));
	if (!rst) {
		ret = err_sys(e, ENOMEM, "%s: hot reset", d->name);
		goto out;
	}
	rst->argsz = sizeof(*rst) + nr_groups * sizeof(int32_t);
	rst->count = nr_groups;
	for (unsigned int g = 0; g < nr_groups; g++)
		rst->group_fds[g] = groups[g].fd;
	ret = vfio_sys_ioctl(d->sys, d->fd, VFIO_DEVICE_PCI_HOT_RESET, rst);
	if (ret < 0)
		err_sys(e, -ret, "%s: VFIO_DEVICE_PCI_HOT_RESET", d->name);
out:
	free(rst);
	free(info);
	return ret < 0 ? ret : 0;
}

int vfio_device_reset(struct vfio_device *d, const struct vfio_group_ref *groups,
		      unsigned int nr_groups, struct errinfo *e)
{
	int ret;

	if (vfio_device_can_reset(d)) {
		ret = vfio_sys_ioctl(d->sys, d->fd, VFIO_DEVICE_RESET, NULL);
		if (ret == 0)
			return 0;
		/* FLR may fail transiently (device busy); fall back to a bus reset. */
		if (ret != -EINVAL && ret != -ENOTTY && ret != -EAGAIN)
			return err_sys(e, -ret, "%s: VFIO_DEVICE_RESET", d->name);
	}
	return hot_reset(d, groups, nr_groups, e);
}
