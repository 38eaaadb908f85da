// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iommufd backend of vfio/vfio_iommu.h against a fake kernel: every
 * ioctl goes to a struct vfio_sys that records it and answers as the kernel
 * would (IOAS ids, usable IOVA ranges with a reserved hole, bound/attached
 * devices, mappings, KVM-VFIO registrations).  The paths the code open()s
 * (ROOT/dev/iommu, ROOT/dev/vfio/devices/vfioN, ROOT/dev/vfio/...) are plain
 * files in a temp tree; the fake tells fds apart by what /proc/self/fd says
 * they are, so an ioctl on the wrong file fails like it would on a real one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "uapi_compat.h"
#include "vfio_iommu.h"
#include "helpers/sriov_tree.h"

#define FK_MAX_CALLS 128
#define FK_MAX_RANGES 80
#define FK_MAX_MAPS 16
#define FK_MAX_DEVS 8
#define FK_IOAS 7 /* not 0, so a zero-filled pt_id/ioas_id is caught */
#define FK_PATH 256

#define BDF0 "0000:3b:00.0"
#define BDF1 "0000:3b:00.1"
#define BDF2 "0000:3b:00.2"
#define TOKEN "2ab74924-c335-45f4-9b16-8569e5b08258"

struct fk_call {
	unsigned long req;
	int fd;
	char file[FK_PATH]; /* what @fd is: tree-relative path, "vm" or "kvm-vfio" */
	char arg_file[FK_PATH]; /* BIND: the iommufd; KVM attr: the file registered */
	char name[128]; /* VFIO_GROUP_GET_DEVICE_FD */
	int32_t attr_fd;
	union {
		struct kvm_create_device cd;
		struct kvm_device_attr attr;
		struct iommu_ioas_alloc alloc;
		struct iommu_ioas_iova_ranges ranges;
		struct iommu_ioas_map map;
		struct iommu_ioas_unmap unmap;
		struct iommu_destroy destroy;
		struct vfio_device_bind_iommufd bind;
		struct vfio_device_attach_iommufd_pt attach;
	} u;
};

struct fake_kernel {
	struct vfio_sys sys;
	char root[FK_PATH]; /* realpath of the tree */
	int vm_fd; /* a /dev/null fd standing for the VM */
	int kvm_vfio_fd; /* handed out by KVM_CREATE_DEVICE, -1 before */

	/* iommufd state */
	bool ioas_live;
	int nr_ioas_allocs;
	struct iommu_iova_range range[FK_MAX_RANGES];
	uint32_t nr_range;
	struct {
		uint64_t iova, length;
	} map[FK_MAX_MAPS];
	int nr_map;
	struct {
		int fd;
		char file[FK_PATH];
	} bound[FK_MAX_DEVS]; /* device files bound to the iommufd */
	int nr_bound;
	int nr_attached;

	/* KVM-VFIO registrations outstanding (by fd, as the kernel keys by file) */
	struct {
		int fd;
		char file[FK_PATH];
	} kvm[FK_MAX_DEVS];
	int nr_kvm;

	/* type1: groups attached to the container (by group file), and mappings */
	char attached[FK_MAX_DEVS][FK_PATH];
	int nr_groups_attached;
	int nr_dma_maps;

	/* failure injection: @fail_req fails with -fail_errno after fail_after successes */
	unsigned long fail_req;
	int fail_errno;
	int fail_after;

	struct fk_call call[FK_MAX_CALLS];
	int nr_calls;
};

static const char *req_name(unsigned long req)
{
	switch (req) {
	case KVM_CREATE_DEVICE:
		return "KVM_CREATE_DEVICE";
	case KVM_SET_DEVICE_ATTR:
		return "KVM_SET_DEVICE_ATTR";
	case IOMMU_IOAS_ALLOC:
		return "IOMMU_IOAS_ALLOC";
	case IOMMU_IOAS_IOVA_RANGES:
		return "IOMMU_IOAS_IOVA_RANGES";
	case IOMMU_IOAS_MAP:
		return "IOMMU_IOAS_MAP";
	case IOMMU_IOAS_UNMAP:
		return "IOMMU_IOAS_UNMAP";
	case IOMMU_DESTROY:
		return "IOMMU_DESTROY";
	case VFIO_DEVICE_BIND_IOMMUFD:
		return "VFIO_DEVICE_BIND_IOMMUFD";
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
	case VFIO_GET_API_VERSION:
		return "VFIO_GET_API_VERSION";
	case VFIO_CHECK_EXTENSION:
		return "VFIO_CHECK_EXTENSION";
	case VFIO_GROUP_GET_STATUS:
		return "VFIO_GROUP_GET_STATUS";
	case VFIO_GROUP_SET_CONTAINER:
		return "VFIO_GROUP_SET_CONTAINER";
	case VFIO_GROUP_UNSET_CONTAINER:
		return "VFIO_GROUP_UNSET_CONTAINER";
	case VFIO_IOMMU_MAP_DMA:
		return "VFIO_IOMMU_MAP_DMA";
	case VFIO_IOMMU_UNMAP_DMA:
		return "VFIO_IOMMU_UNMAP_DMA";
	case VFIO_SET_IOMMU:
		return "VFIO_SET_IOMMU";
	case VFIO_GROUP_GET_DEVICE_FD:
		return "VFIO_GROUP_GET_DEVICE_FD";
	case VFIO_IOMMU_GET_INFO:
		return "VFIO_IOMMU_GET_INFO";
	default:
		return "unknown-ioctl";
	}
}

/* Bounded copy (paths longer than the fake's buffers are no concern here). */
static void copy_str(char *out, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(out, src, n);
	out[n] = '\0';
}

/* What @fd refers to: a path relative to the tree, "vm", "kvm-vfio" or "?". */
static void fd_file(const struct fake_kernel *fk, int fd, char *out, size_t size)
{
	char link[64], target[PATH_MAX];
	size_t rl = strlen(fk->root);
	ssize_t n;

	if (fd >= 0 && fd == fk->vm_fd) {
		snprintf(out, size, "vm");
		return;
	}
	if (fd >= 0 && fd == fk->kvm_vfio_fd) {
		snprintf(out, size, "kvm-vfio");
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(out, size, "?");
		return;
	}
	target[n] = '\0';
	copy_str(out, size,
		 !strncmp(target, fk->root, rl) && target[rl] == '/' ? target + rl : target);
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static int injected(struct fake_kernel *fk, unsigned long req)
{
	if (!fk->fail_req || req != fk->fail_req)
		return 0;
	if (fk->fail_after > 0) {
		fk->fail_after--;
		return 0;
	}
	return -fk->fail_errno;
}

static bool is_iommufd(const struct fk_call *c)
{
	return !strcmp(c->file, "/dev/iommu");
}

static bool is_cdev(const struct fk_call *c)
{
	return starts(c->file, "/dev/vfio/devices/vfio");
}

static int fk_kvm(struct fake_kernel *fk, struct fk_call *c, unsigned long req, void *arg)
{
	struct kvm_device_attr *a = arg;
	int ret;

	if (req == KVM_CREATE_DEVICE) {
		struct kvm_create_device *cd = arg;

		c->u.cd = *cd;
		if (strcmp(c->file, "vm"))
			return -ENOTTY;
		if (cd->type != KVM_DEV_TYPE_VFIO)
			return -ENODEV;
		ret = injected(fk, req);
		if (ret)
			return ret;
		fk->kvm_vfio_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		assert_true(fk->kvm_vfio_fd >= 0);
		cd->fd = (uint32_t)fk->kvm_vfio_fd;
		return 0;
	}

	/* KVM_SET_DEVICE_ATTR */
	c->u.attr = *a;
	if (strcmp(c->file, "kvm-vfio"))
		return -ENOTTY;
	if (a->group != KVM_DEV_VFIO_FILE)
		return -ENXIO;
	memcpy(&c->attr_fd, (void *)(uintptr_t)a->addr, sizeof(c->attr_fd));
	fd_file(fk, c->attr_fd, c->arg_file, sizeof(c->arg_file));
	ret = injected(fk, req);
	if (ret)
		return ret;
	if (a->attr == KVM_DEV_VFIO_FILE_ADD) {
		if (!starts(c->arg_file, "/dev/vfio/"))
			return -EINVAL; /* not a VFIO file */
		assert_true(fk->nr_kvm < FK_MAX_DEVS);
		fk->kvm[fk->nr_kvm].fd = c->attr_fd;
		copy_str(fk->kvm[fk->nr_kvm].file, FK_PATH, c->arg_file);
		fk->nr_kvm++;
		return 0;
	}
	if (a->attr == KVM_DEV_VFIO_FILE_DEL) {
		for (int i = 0; i < fk->nr_kvm; i++) {
			if (fk->kvm[i].fd != c->attr_fd || strcmp(fk->kvm[i].file, c->arg_file))
				continue;
			fk->kvm[i] = fk->kvm[--fk->nr_kvm];
			return 0;
		}
		return -ENOENT;
	}
	return -ENXIO;
}

static int fk_iommufd(struct fake_kernel *fk, struct fk_call *c, unsigned long req, void *arg)
{
	int ret;

	if (!is_iommufd(c))
		return -ENOTTY;
	switch (req) {
	case IOMMU_IOAS_ALLOC: {
		struct iommu_ioas_alloc *a = arg;

		c->u.alloc = *a;
		if (a->size < sizeof(*a) || a->flags)
			return -EOPNOTSUPP;
		ret = injected(fk, req);
		if (ret)
			return ret;
		if (fk->ioas_live)
			return -ENOSPC; /* this fake keeps one IOAS; a VM needs no more */
		fk->ioas_live = true;
		fk->nr_ioas_allocs++;
		a->out_ioas_id = FK_IOAS;
		return 0;
	}
	case IOMMU_IOAS_IOVA_RANGES: {
		struct iommu_ioas_iova_ranges *q = arg;
		struct iommu_iova_range *out = (void *)(uintptr_t)q->allowed_iovas;
		uint32_t max = q->num_iovas;

		c->u.ranges = *q;
		if (q->size < sizeof(*q) || q->__reserved)
			return -EOPNOTSUPP;
		if (!fk->ioas_live || q->ioas_id != FK_IOAS)
			return -ENOENT;
		ret = injected(fk, req);
		if (ret)
			return ret;
		for (uint32_t i = 0; i < fk->nr_range && i < max; i++)
			out[i] = fk->range[i];
		q->num_iovas = fk->nr_range;
		q->out_iova_alignment = 4096;
		return fk->nr_range > max ? -EMSGSIZE : 0;
	}
	case IOMMU_IOAS_MAP: {
		struct iommu_ioas_map *m = arg;
		const uint32_t known = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
				       IOMMU_IOAS_MAP_READABLE;

		c->u.map = *m;
		if (m->size < sizeof(*m) || m->__reserved || (m->flags & ~known))
			return -EOPNOTSUPP;
		if (!fk->ioas_live || m->ioas_id != FK_IOAS)
			return -ENOENT;
		ret = injected(fk, req);
		if (ret)
			return ret;
		if (!m->length || (m->iova | m->length | m->user_va) & 4095)
			return -EINVAL;
		assert_true(fk->nr_map < FK_MAX_MAPS);
		fk->map[fk->nr_map].iova = m->iova;
		fk->map[fk->nr_map].length = m->length;
		fk->nr_map++;
		return 0;
	}
	case IOMMU_IOAS_UNMAP: {
		struct iommu_ioas_unmap *u = arg;

		c->u.unmap = *u;
		if (u->size < sizeof(*u))
			return -EOPNOTSUPP;
		if (!fk->ioas_live || u->ioas_id != FK_IOAS)
			return -ENOENT;
		ret = injected(fk, req);
		if (ret)
			return ret;
		for (int i = 0; i < fk->nr_map; i++) {
			if (fk->map[i].iova != u->iova || fk->map[i].length != u->length)
				continue;
			fk->map[i] = fk->map[--fk->nr_map];
			return 0;
		}
		return -ENOENT;
	}
	case IOMMU_DESTROY: {
		struct iommu_destroy *d = arg;

		c->u.destroy = *d;
		if (d->size < sizeof(*d))
			return -EOPNOTSUPP;
		ret = injected(fk, req);
		if (ret)
			return ret;
		if (!fk->ioas_live || d->id != FK_IOAS)
			return -ENOENT;
		fk->ioas_live = false;
		return 0;
	}
	}
	return -ENOTTY;
}

/* The fake cannot see close(): a bound entry is the (fd, file) pair seen at bind. */
static int fk_bound(const struct fake_kernel *fk, int fd, const char *file)
{
	for (int i = 0; i < fk->nr_bound; i++)
		if (fk->bound[i].fd == fd && !strcmp(fk->bound[i].file, file))
			return i;
	return -1;
}

static int fk_cdev(struct fake_kernel *fk, struct fk_call *c, unsigned long req, void *arg)
{
	struct vfio_device_attach_iommufd_pt *at = arg;
	int ret, i;

	if (!is_cdev(c))
		return -ENOTTY;
	if (req == VFIO_DEVICE_BIND_IOMMUFD) {
		struct vfio_device_bind_iommufd *b = arg;

		c->u.bind = *b;
		fd_file(fk, b->iommufd, c->arg_file, sizeof(c->arg_file));
		if (b->argsz < sizeof(*b) || b->flags)
			return -EINVAL;
		ret = injected(fk, req);
		if (ret)
			return ret;
		if (strcmp(c->arg_file, "/dev/iommu"))
			return -EBADF;
		i = fk_bound(fk, c->fd, c->file);
		if (i < 0) {
			assert_true(fk->nr_bound < FK_MAX_DEVS);
			i = fk->nr_bound++;
		}
		fk->bound[i].fd = c->fd;
		copy_str(fk->bound[i].file, FK_PATH, c->file);
		b->out_devid = 0x100u + (uint32_t)i;
		return 0;
	}
	/* VFIO_DEVICE_ATTACH_IOMMUFD_PT */
	c->u.attach = *at;
	if (at->argsz < sizeof(*at) || at->flags)
		return -EINVAL;
	if (fk_bound(fk, c->fd, c->file) < 0)
		return -EINVAL;
	ret = injected(fk, req);
	if (ret)
		return ret;
	if (!fk->ioas_live || at->pt_id != FK_IOAS)
		return -ENOENT;
	fk->nr_attached++;
	return 0;
}

/* Just enough of type1 for the backend choice to be seen completing. */
static int fk_type1(struct fake_kernel *fk, struct fk_call *c, unsigned long req, void *arg)
{
	bool container = !strcmp(c->file, "/dev/vfio/vfio");
	bool group = starts(c->file, "/dev/vfio/") && !container && !is_cdev(c);
	char cfile[FK_PATH];
	int fd;

	switch (req) {
	case VFIO_GET_API_VERSION:
		return container ? VFIO_API_VERSION : -ENOTTY;
	case VFIO_CHECK_EXTENSION:
		return container ? (uintptr_t)arg == VFIO_TYPE1v2_IOMMU : -ENOTTY;
	case VFIO_SET_IOMMU:
		if (!container)
			return -ENOTTY;
		return fk->nr_groups_attached ? 0 : -EINVAL; /* no group: no IOMMU to set */
	case VFIO_IOMMU_MAP_DMA:
		if (!container)
			return -ENOTTY;
		if (!fk->nr_groups_attached)
			return -EINVAL;
		fk->nr_dma_maps++;
		return 0;
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!group)
			return -ENOTTY;
		if (injected(fk, req))
			return injected(fk, req);
		for (int i = 0; i < fk->nr_groups_attached; i++) {
			if (strcmp(fk->attached[i], c->file))
				continue;
			memmove(fk->attached[i], fk->attached[i + 1],
				FK_PATH * (size_t)(fk->nr_groups_attached - i - 1));
			/* the last group takes the IOMMU and every mapping with it */
			if (!--fk->nr_groups_attached)
				fk->nr_dma_maps = 0;
			return 0;
		}
		return -EINVAL;
	case VFIO_IOMMU_GET_INFO: {
		struct vfio_iommu_type1_info *i = arg;

		if (!container)
			return -ENOTTY;
		i->flags = 0;
		i->cap_offset = 0;
		return 0;
	}
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		if (!group)
			return -ENOTTY;
		st->flags = VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER:
		if (!group)
			return -ENOTTY;
		if (injected(fk, req))
			return injected(fk, req);
		memcpy(&fd, arg, sizeof(fd));
		fd_file(fk, fd, cfile, sizeof(cfile));
		if (strcmp(cfile, "/dev/vfio/vfio"))
			return -EBADF;
		assert_true(fk->nr_groups_attached < FK_MAX_DEVS);
		copy_str(fk->attached[fk->nr_groups_attached++], FK_PATH, c->file);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (!group)
			return -ENOTTY;
		snprintf(c->name, sizeof(c->name), "%s", (const char *)arg);
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	return -ENOTTY;
}

static int fk_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_kernel *fk = ctx;
	struct fk_call *c;

	assert_true(fk->nr_calls < FK_MAX_CALLS);
	c = &fk->call[fk->nr_calls++];
	memset(c, 0, sizeof(*c));
	c->req = req;
	c->fd = fd;
	fd_file(fk, fd, c->file, sizeof(c->file));
	switch (req) {
	case KVM_CREATE_DEVICE:
	case KVM_SET_DEVICE_ATTR:
		return fk_kvm(fk, c, req, arg);
	case IOMMU_IOAS_ALLOC:
	case IOMMU_IOAS_IOVA_RANGES:
	case IOMMU_IOAS_MAP:
	case IOMMU_IOAS_UNMAP:
	case IOMMU_DESTROY:
		return fk_iommufd(fk, c, req, arg);
	case VFIO_DEVICE_BIND_IOMMUFD:
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return fk_cdev(fk, c, req, arg);
	default:
		return fk_type1(fk, c, req, arg);
	}
}

static ssize_t fk_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
	(void)ctx, (void)fd, (void)buf, (void)len, (void)off;
	return -EINVAL;
}

static ssize_t fk_pwrite(void *ctx, int fd, const void *buf, size_t len, uint64_t off)
{
	(void)ctx, (void)fd, (void)buf, (void)len, (void)off;
	return -EINVAL;
}

static void *fk_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, uint64_t off,
		     int *err)
{
	(void)ctx, (void)addr, (void)len, (void)prot, (void)flags, (void)fd, (void)off;
	*err = -EINVAL;
	return NULL;
}

static int fk_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx, (void)addr, (void)len;
	return -EINVAL;
}

static const struct vfio_sys_ops fk_ops = {
	.ioctl = fk_ioctl,
	.pread = fk_pread,
	.pwrite = fk_pwrite,
	.mmap = fk_mmap,
	.munmap = fk_munmap,
};

/* x86 as iommufd reports it: everything but the MSI window, 48 bits. */
static void fk_ranges_x86(struct fake_kernel *fk)
{
	fk->range[0].start = 0;
	fk->range[0].last = 0xfedfffffULL;
	fk->range[1].start = 0xfef00000ULL;
	fk->range[1].last = (1ULL << 48) - 1;
	fk->nr_range = 2;
}

struct env {
	char root[FK_PATH];
	struct fake_kernel fk;
	struct vfio_iommu io;
	struct errinfo e;
};

static void tree_dev(struct env *t, const char *bdf, int group, int cdev)
{
	struct stree_dev d = {.bdf = bdf,
			      .vendor = 0x8086,
			      .device = 0x10ca,
			      .class_code = 0x020000,
			      .driver = "vfio-pci",
			      .group = group};
	char rel[256];

	assert_int_equal(stree_add_dev(t->root, &d), 0);
	snprintf(rel, sizeof(rel), "/dev/vfio/%d", group);
	assert_int_equal(stree_write(t->root, rel, ""), 0);
	if (cdev < 0)
		return;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/vfio-dev/vfio%d", bdf, cdev);
	assert_int_equal(stree_mkdir(t->root, rel), 0);
	snprintf(rel, sizeof(rel), "/dev/vfio/devices/vfio%d", cdev);
	assert_int_equal(stree_write(t->root, rel, ""), 0);
}

/*
 * Tree: /dev/iommu, /dev/vfio/vfio; BDF0 (group 20, cdev vfio3) and BDF1
 * (group 21, cdev vfio4) with cdevs, BDF2 (group 22) without.
 */
static int setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));
	char tmp[FK_PATH];

	assert_non_null(t);
	assert_int_equal(stree_new(tmp, sizeof(tmp)), 0);
	assert_non_null(realpath(tmp, t->root));
	assert_int_equal(stree_write(t->root, "/dev/iommu", ""), 0);
	assert_int_equal(stree_write(t->root, "/dev/vfio/vfio", ""), 0);
	tree_dev(t, BDF0, 20, 3);
	tree_dev(t, BDF1, 21, 4);
	tree_dev(t, BDF2, 22, -1);
	t->fk.sys.ops = &fk_ops;
	t->fk.sys.ctx = &t->fk;
	snprintf(t->fk.root, sizeof(t->fk.root), "%s", t->root);
	t->fk.vm_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	t->fk.kvm_vfio_fd = -1;
	assert_true(t->fk.vm_fd >= 0);
	fk_ranges_x86(&t->fk);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct env *t = *state;

	close(t->fk.vm_fd);
	stree_free(t->root);
	free(t);
	return 0;
}

/* How many of this process's fds point into the tree (@sub: below ROOT/sub only). */
static int open_in_tree(const struct env *t, const char *sub)
{
	char link[300], target[PATH_MAX], want[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	snprintf(want, sizeof(want), "%s%s", t->root, sub);
	while ((de = readdir(d))) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (starts(target, want))
			n++;
	}
	closedir(d);
	return n;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The requests from call @from on, as "A B C", to compare in one readable assert. */
static const char *trace(const struct fake_kernel *fk, int from)
{
	static char buf[2048];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = from; i < fk->nr_calls; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "",
					req_name(fk->call[i].req));
	return buf;
}

static int count_req(const struct fake_kernel *fk, unsigned long req)
{
	int n = 0;

	for (int i = 0; i < fk->nr_calls; i++)
		n += fk->call[i].req == req;
	return n;
}

static const struct fk_call *find_req(const struct fake_kernel *fk, unsigned long req, int nth)
{
	for (int i = 0; i < fk->nr_calls; i++)
		if (fk->call[i].req == req && nth-- == 0)
			return &fk->call[i];
	return NULL;
}

static int count_iommufd_reqs(const struct fake_kernel *fk)
{
	return count_req(fk, IOMMU_IOAS_ALLOC) + count_req(fk, IOMMU_IOAS_IOVA_RANGES) +
	       count_req(fk, IOMMU_IOAS_MAP) + count_req(fk, IOMMU_IOAS_UNMAP) +
	       count_req(fk, IOMMU_DESTROY) + count_req(fk, VFIO_DEVICE_BIND_IOMMUFD) +
	       count_req(fk, VFIO_DEVICE_ATTACH_IOMMUFD_PT);
}

static void init_io(struct env *t, bool with_vm, enum vfio_backend want)
{
	assert_int_equal(vfio_iommu_init(&t->io, &t->fk.sys, t->root, with_vm ? t->fk.vm_fd : -1,
					 want, &t->e),
			 0);
}

static void assert_fd_is(const struct env *t, int fd, const char *rel)
{
	char file[FK_PATH];

	assert_true(fd >= 0);
	fd_file(&t->fk, fd, file, sizeof(file));
	assert_string_equal(file, rel);
}

static void test_auto_picks_iommufd(void **state)
{
	struct env *t = *state;
	int fd;

	init_io(t, true, VFIO_BACKEND_AUTO);
	assert_int_equal(t->io.kind, VFIO_BACKEND_AUTO);
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_fd_is(t, fd, "/dev/vfio/devices/vfio3");
	assert_int_equal(t->io.kind, VFIO_BACKEND_IOMMUFD);
	assert_string_equal(vfio_backend_name(t->io.kind), "iommufd");
	assert_fd_is(t, t->io.iommufd, "/dev/iommu");
	/* nothing of type1 was touched */
	assert_int_equal(t->io.container_fd, -1);
	assert_int_equal(count_req(&t->fk, VFIO_GET_API_VERSION), 0);
	assert_int_equal(count_req(&t->fk, VFIO_GROUP_GET_DEVICE_FD), 0);
	/* an empty vf-token is no token */
	close(fd);
	vfio_iommu_close(&t->io);
	init_io(t, true, VFIO_BACKEND_AUTO);
	fd = vfio_iommu_open_device(&t->io, BDF1, "", &t->e);
	assert_fd_is(t, fd, "/dev/vfio/devices/vfio4");
	assert_int_equal(t->io.kind, VFIO_BACKEND_IOMMUFD);
	close(fd);
	vfio_iommu_close(&t->io);
}

/* Open @bdf with AUTO and check that type1 (container + group) served it. */
static void expect_type1(struct env *t, const char *bdf, const char *token, const char *name)
{
	const struct fk_call *c;
	int fd, from = t->fk.nr_calls;

	init_io(t, true, VFIO_BACKEND_AUTO);
	fd = vfio_iommu_open_device(&t->io, bdf, token, &t->e);
	assert_true(fd >= 0);
	assert_int_equal(t->io.kind, VFIO_BACKEND_TYPE1);
	assert_int_equal(t->io.iommufd, -1);
	assert_int_equal(t->io.nr_groups, 1);
	c = find_req(&t->fk, VFIO_GROUP_GET_DEVICE_FD,
		     count_req(&t->fk, VFIO_GROUP_GET_DEVICE_FD) - 1);
	assert_non_null(c);
	assert_true(c - t->fk.call >= from);
	assert_string_equal(c->name, name);
	assert_int_equal(count_iommufd_reqs(&t->fk), 0);
	close(fd);
	vfio_iommu_close(&t->io);
	assert_int_equal(open_in_tree(t, ""), 0);
}

static void test_auto_falls_back_to_type1(void **state)
{
	struct env *t = *state;
	char path[PATH_MAX];

	/* no vfio-dev cdev for the device (kernel before 6.6, or no CONFIG_VFIO_DEVICE_CDEV) */
	expect_type1(t, BDF2, NULL, BDF2);
	/* a VF token goes through the group even when the cdev path exists */
	expect_type1(t, BDF0, TOKEN, BDF0 " vf_token=" TOKEN);
	/* no /dev/iommu (CONFIG_IOMMUFD unset) */
	snprintf(path, sizeof(path), "%s/dev/iommu", t->root);
	assert_int_equal(unlink(path), 0);
	expect_type1(t, BDF0, NULL, BDF0);
}

static void test_forced_type1_ignores_cdev(void **state)
{
	struct env *t = *state;
	int fd;

	init_io(t, false, VFIO_BACKEND_TYPE1);
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd >= 0);
	assert_int_equal(t->io.kind, VFIO_BACKEND_TYPE1);
	assert_int_equal(count_iommufd_reqs(&t->fk), 0);
	close(fd);
	vfio_iommu_close(&t->io);
}

static void test_open_sequence(void **state)
{
	struct env *t = *state;
	const struct fk_call *c;
	int fd0, fd1, from;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	assert_string_equal(trace(&t->fk, 0), "KVM_CREATE_DEVICE");
	assert_int_equal(t->fk.call[0].u.cd.type, KVM_DEV_TYPE_VFIO);
	assert_int_equal(t->io.kvm_vfio_fd, t->fk.kvm_vfio_fd);

	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_fd_is(t, fd0, "/dev/vfio/devices/vfio3");
	/* KVM learns the device file before it is bound */
	assert_string_equal(trace(&t->fk, 1),
			    "IOMMU_IOAS_ALLOC KVM_SET_DEVICE_ATTR VFIO_DEVICE_BIND_IOMMUFD "
			    "VFIO_DEVICE_ATTACH_IOMMUFD_PT IOMMU_IOAS_IOVA_RANGES");
	c = &t->fk.call[1];
	assert_string_equal(c->file, "/dev/iommu");
	assert_int_equal(c->fd, t->io.iommufd);
	assert_int_equal(c->u.alloc.size, sizeof(struct iommu_ioas_alloc));
	assert_int_equal(t->io.ioas_id, FK_IOAS);

	c = &t->fk.call[2];
	assert_int_equal(c->u.attr.group, KVM_DEV_VFIO_FILE);
	assert_int_equal(c->u.attr.attr, KVM_DEV_VFIO_FILE_ADD);
	assert_int_equal(c->attr_fd, fd0);
	assert_string_equal(c->arg_file, "/dev/vfio/devices/vfio3");

	c = &t->fk.call[3];
	assert_int_equal(c->fd, fd0);
	assert_int_equal(c->u.bind.argsz, sizeof(struct vfio_device_bind_iommufd));
	assert_int_equal(c->u.bind.flags, 0);
	assert_int_equal(c->u.bind.iommufd, t->io.iommufd);
	assert_string_equal(c->arg_file, "/dev/iommu");

	c = &t->fk.call[4];
	assert_int_equal(c->fd, fd0);
	assert_int_equal(c->u.attach.argsz, sizeof(struct vfio_device_attach_iommufd_pt));
	assert_int_equal(c->u.attach.pt_id, FK_IOAS);

	c = &t->fk.call[5];
	assert_int_equal(c->fd, t->io.iommufd);
	assert_int_equal(c->u.ranges.ioas_id, FK_IOAS);
	assert_true(c->u.ranges.num_iovas >= 2);

	/* the second device shares the IOAS: no second iommufd, no second IOAS */
	from = t->fk.nr_calls;
	fd1 = vfio_iommu_open_device(&t->io, BDF1, NULL, &t->e);
	assert_fd_is(t, fd1, "/dev/vfio/devices/vfio4");
	assert_string_equal(trace(&t->fk, from),
			    "KVM_SET_DEVICE_ATTR VFIO_DEVICE_BIND_IOMMUFD "
			    "VFIO_DEVICE_ATTACH_IOMMUFD_PT IOMMU_IOAS_IOVA_RANGES");
	assert_int_equal(t->fk.call[from].attr_fd, fd1);
	assert_int_equal(t->fk.call[from + 1].fd, fd1);
	assert_string_equal(t->fk.call[from + 1].arg_file, "/dev/iommu");
	assert_int_equal(t->fk.call[from + 2].u.attach.pt_id, FK_IOAS);
	assert_int_equal(t->fk.nr_ioas_allocs, 1);
	assert_int_equal(open_in_tree(t, "/dev/iommu"), 1);
	assert_int_equal(t->fk.nr_attached, 2);
	assert_int_equal(t->fk.nr_kvm, 2);

	close(fd0);
	close(fd1);
	vfio_iommu_close(&t->io);
}

static void test_without_vm(void **state)
{
	struct env *t = *state;
	int fd;

	init_io(t, false, VFIO_BACKEND_AUTO);
	assert_int_equal(t->io.kvm_vfio_fd, -1);
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd >= 0);
	assert_string_equal(trace(&t->fk, 0),
			    "IOMMU_IOAS_ALLOC VFIO_DEVICE_BIND_IOMMUFD "
			    "VFIO_DEVICE_ATTACH_IOMMUFD_PT IOMMU_IOAS_IOVA_RANGES");
	close(fd);
	vfio_iommu_close(&t->io);
}

static void test_usable_ranges(void **state)
{
	struct env *t = *state;
	int fd0, fd1;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd0 >= 0);
	/* the MSI hole the kernel reports shows up as two ranges */
	assert_int_equal(t->io.nr_ranges, 2);
	assert_int_equal(t->io.range[0].start, 0);
	assert_int_equal(t->io.range[0].last, 0xfedfffffULL);
	assert_int_equal(t->io.range[1].start, 0xfef00000ULL);
	assert_int_equal(t->io.range[1].last, (1ULL << 48) - 1);

	/* the second device's IOMMU is narrower and reserves more: ranges are re-read */
	t->fk.range[1].last = 0xfffffffffULL;
	t->fk.range[2].start = 0x1100000000ULL;
	t->fk.range[2].last = (1ULL << 39) - 1;
	t->fk.nr_range = 3;
	fd1 = vfio_iommu_open_device(&t->io, BDF1, NULL, &t->e);
	assert_true(fd1 >= 0);
	assert_int_equal(t->io.nr_ranges, 3);
	assert_int_equal(t->io.range[0].last, 0xfedfffffULL);
	assert_int_equal(t->io.range[1].start, 0xfef00000ULL);
	assert_int_equal(t->io.range[1].last, 0xfffffffffULL);
	assert_int_equal(t->io.range[2].start, 0x1100000000ULL);
	assert_int_equal(t->io.range[2].last, (1ULL << 39) - 1);
	close(fd0);
	close(fd1);
	vfio_iommu_close(&t->io);
}

/* More ranges than the code has room for: refused, and the device is let go. */
static void test_too_many_ranges(void **state)
{
	struct env *t = *state;
	int ret;

	t->fk.nr_range = VFIO_IOMMU_MAX_RANGES + 1;
	for (uint32_t i = 0; i < t->fk.nr_range; i++) {
		t->fk.range[i].start = (uint64_t)i << 32;
		t->fk.range[i].last = ((uint64_t)i << 32) + 0xfffff;
	}
	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	ret = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_int_equal(ret, -EMSGSIZE);
	assert_non_null(strstr(t->e.msg, "IOMMU_IOAS_IOVA_RANGES"));
	assert_int_equal(open_in_tree(t, "/dev/vfio"), 0);
	assert_int_equal(t->fk.nr_kvm, 0);
	vfio_iommu_close(&t->io);
}

static void test_map(void **state)
{
	struct env *t = *state;
	uint8_t *low = (uint8_t *)(uintptr_t)0x7f0000200000ULL;
	uint8_t *high = (uint8_t *)(uintptr_t)0x7f1000000000ULL;
	const uint32_t rw =
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	const struct fk_call *c;
	int fd;

	init_io(t, true, VFIO_BACKEND_AUTO);
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd >= 0);
	assert_int_equal(vfio_iommu_map(&t->io, 0, 0xc0000000ULL, low, &t->e), 0);
	assert_int_equal(vfio_iommu_map(&t->io, 1ULL << 32, 0x40000000ULL, high, &t->e), 0);
	assert_int_equal(count_req(&t->fk, IOMMU_IOAS_MAP), 2);

	c = find_req(&t->fk, IOMMU_IOAS_MAP, 0);
	assert_int_equal(c->fd, t->io.iommufd);
	assert_int_equal(c->u.map.size, sizeof(struct iommu_ioas_map));
	assert_int_equal(c->u.map.flags, rw);
	assert_int_equal(c->u.map.ioas_id, FK_IOAS);
	assert_int_equal(c->u.map.iova, 0);
	assert_int_equal(c->u.map.length, 0xc0000000ULL);
	assert_int_equal(c->u.map.user_va, (uintptr_t)low);

	c = find_req(&t->fk, IOMMU_IOAS_MAP, 1);
	assert_int_equal(c->u.map.flags, rw);
	assert_int_equal(c->u.map.iova, 1ULL << 32);
	assert_int_equal(c->u.map.length, 0x40000000ULL);
	assert_int_equal(c->u.map.user_va, (uintptr_t)high);

	assert_int_equal(t->fk.nr_map, 2);
	assert_int_equal(t->io.nr_maps, 2);
	close(fd);
	vfio_iommu_close(&t->io);
}

static void test_map_failure(void **state)
{
	struct env *t = *state;
	uint8_t *hva = (uint8_t *)(uintptr_t)0x7f0000000000ULL;
	int fd;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd >= 0);
	t->fk.fail_req = IOMMU_IOAS_MAP;
	t->fk.fail_errno = ENOMEM;
	t->fk.fail_after = 1;
	assert_int_equal(vfio_iommu_map(&t->io, 0, 0x80000000ULL, hva, &t->e), 0);
	assert_int_equal(vfio_iommu_map(&t->io, 0x100000000ULL, 0x40000000ULL, hva, &t->e),
			 -ENOMEM);
	assert_int_equal(t->e.err, ENOMEM);
	assert_non_null(strstr(t->e.msg, "IOMMU_IOAS_MAP"));
	assert_non_null(strstr(t->e.msg, "iova 0x100000000"));
	assert_non_null(strstr(t->e.msg, "size 0x40000000"));
	assert_non_null(strstr(t->e.msg, strerror(ENOMEM)));
	assert_non_null(strstr(t->e.hint, "RLIMIT_MEMLOCK"));
	/* only what was mapped is remembered, and so unmapped */
	assert_int_equal(t->io.nr_maps, 1);
	t->fk.fail_req = 0;
	close(fd);
	vfio_iommu_close(&t->io);
	assert_int_equal(count_req(&t->fk, IOMMU_IOAS_UNMAP), 1);
	assert_int_equal(find_req(&t->fk, IOMMU_IOAS_UNMAP, 0)->u.unmap.iova, 0);
	assert_int_equal(t->fk.nr_map, 0);

	/* another errno: no memlock hint */
	err_clear(&t->e);
	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd >= 0);
	t->fk.fail_req = IOMMU_IOAS_MAP;
	t->fk.fail_errno = EADDRINUSE;
	t->fk.fail_after = 0;
	assert_int_equal(vfio_iommu_map(&t->io, 0xfee00000ULL, 0x100000ULL, hva, &t->e),
			 -EADDRINUSE);
	assert_non_null(strstr(t->e.msg, "iova 0xfee00000"));
	assert_null(strstr(t->e.hint, "RLIMIT_MEMLOCK"));
	close(fd);
	vfio_iommu_close(&t->io);
}

static void test_close(void **state)
{
	struct env *t = *state;
	uint8_t *hva = (uint8_t *)(uintptr_t)0x7f0000000000ULL;
	const struct fk_call *c;
	int fd0, fd1, kvm_fd, from;

	init_io(t, true, VFIO_BACKEND_AUTO);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	fd1 = vfio_iommu_open_device(&t->io, BDF1, NULL, &t->e);
	assert_true(fd0 >= 0 && fd1 >= 0);
	assert_int_equal(vfio_iommu_map(&t->io, 0, 0xc0000000ULL, hva, &t->e), 0);
	assert_int_equal(vfio_iommu_map(&t->io, 1ULL << 32, 1ULL << 30, hva + 0xc0000000ULL, &t->e),
			 0);
	assert_int_equal(vfio_iommu_map(&t->io, 0xfef00000ULL, 0x100000ULL, hva, &t->e), 0);
	assert_int_equal(t->fk.nr_map, 3);
	kvm_fd = t->io.kvm_vfio_fd;
	assert_true(fd_is_open(kvm_fd));

	/* as vfio_pci does it: device fds first, then the shared state */
	close(fd0);
	close(fd1);
	from = t->fk.nr_calls;
	vfio_iommu_close(&t->io);
	assert_string_equal(trace(&t->fk, from),
			    "IOMMU_IOAS_UNMAP IOMMU_IOAS_UNMAP IOMMU_IOAS_UNMAP IOMMU_DESTROY");
	for (int i = 0; i < 3; i++) {
		c = &t->fk.call[from + i];
		assert_string_equal(c->file, "/dev/iommu");
		assert_int_equal(c->u.unmap.size, sizeof(struct iommu_ioas_unmap));
		assert_int_equal(c->u.unmap.ioas_id, FK_IOAS);
	}
	assert_int_equal(t->fk.call[from].u.unmap.iova, 0);
	assert_int_equal(t->fk.call[from].u.unmap.length, 0xc0000000ULL);
	assert_int_equal(t->fk.call[from + 1].u.unmap.iova, 1ULL << 32);
	assert_int_equal(t->fk.call[from + 1].u.unmap.length, 1ULL << 30);
	assert_int_equal(t->fk.call[from + 2].u.unmap.iova, 0xfef00000ULL);
	assert_int_equal(t->fk.call[from + 2].u.unmap.length, 0x100000ULL);
	/* every unmap matched a mapping exactly */
	assert_int_equal(t->fk.nr_map, 0);
	c = &t->fk.call[from + 3];
	assert_string_equal(c->file, "/dev/iommu");
	assert_int_equal(c->u.destroy.size, sizeof(struct iommu_destroy));
	assert_int_equal(c->u.destroy.id, FK_IOAS);
	assert_false(t->fk.ioas_live);

	/* iommufd and the KVM-VFIO device are closed */
	assert_int_equal(t->io.iommufd, -1);
	assert_int_equal(t->io.kvm_vfio_fd, -1);
	assert_int_equal(t->io.nr_maps, 0);
	assert_int_equal(open_in_tree(t, ""), 0);
	assert_false(fd_is_open(kvm_fd));

	/* a second close does nothing */
	from = t->fk.nr_calls;
	vfio_iommu_close(&t->io);
	assert_int_equal(t->fk.nr_calls, from);
}

static void test_close_without_maps(void **state)
{
	struct env *t = *state;
	int fd, from;

	init_io(t, false, VFIO_BACKEND_IOMMUFD);
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd >= 0);
	close(fd);
	from = t->fk.nr_calls;
	vfio_iommu_close(&t->io);
	assert_string_equal(trace(&t->fk, from), "IOMMU_DESTROY");
	assert_false(t->fk.ioas_live);
	assert_int_equal(open_in_tree(t, ""), 0);
}

/*
 * vfio_pci closes a device before the shared state when another device of
 * the VM stays: the cdev must leave KVM-VFIO first, or KVM keeps the
 * device file open and vfio-pci cannot give the device back.
 */
static void test_close_device_deregisters_cdev(void **state)
{
	struct env *t = *state;
	const struct fk_call *c;
	char file0[FK_PATH];
	int fd0, fd1, from;

	init_io(t, true, VFIO_BACKEND_AUTO);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	fd1 = vfio_iommu_open_device(&t->io, BDF1, NULL, &t->e);
	assert_true(fd0 >= 0 && fd1 >= 0);
	assert_int_equal(t->fk.nr_kvm, 2);
	fd_file(&t->fk, fd0, file0, sizeof(file0));
	from = t->fk.nr_calls;
	vfio_iommu_close_device(&t->io, fd0);
	assert_string_equal(trace(&t->fk, from), "KVM_SET_DEVICE_ATTR");
	c = &t->fk.call[from];
	assert_string_equal(c->file, "kvm-vfio");
	assert_int_equal(c->u.attr.group, KVM_DEV_VFIO_FILE);
	assert_int_equal(c->u.attr.attr, KVM_DEV_VFIO_FILE_DEL);
	assert_string_equal(c->arg_file, file0);
	/* only that device left KVM-VFIO; the other stays registered */
	assert_int_equal(t->fk.nr_kvm, 1);
	assert_int_equal(t->fk.kvm[0].fd, fd1);
	close(fd0);
	vfio_iommu_close_device(&t->io, fd1);
	assert_int_equal(t->fk.nr_kvm, 0);
	close(fd1);
	vfio_iommu_close(&t->io);
	assert_int_equal(open_in_tree(t, ""), 0);
}

/* type1 registers groups, not devices: closing a device leaves them to vfio_iommu_close. */
static void test_type1_close_deregisters_groups(void **state)
{
	struct env *t = *state;
	int fd0, fd2, from;

	init_io(t, true, VFIO_BACKEND_TYPE1);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	fd2 = vfio_iommu_open_device(&t->io, BDF2, NULL, &t->e);
	assert_true(fd0 >= 0 && fd2 >= 0);
	assert_int_equal(t->fk.nr_kvm, 2);
	from = t->fk.nr_calls;
	vfio_iommu_close_device(&t->io, fd0);
	assert_int_equal(t->fk.nr_calls, from);
	close(fd0);
	close(fd2);
	vfio_iommu_close(&t->io);
	assert_int_equal(count_req(&t->fk, KVM_SET_DEVICE_ATTR), 4);
	assert_int_equal(t->fk.nr_kvm, 0);
	assert_int_equal(open_in_tree(t, ""), 0);
}

/* A group that KVM knew of but that never joined the container leaves KVM-VFIO again. */
static void test_type1_set_container_fails(void **state)
{
	struct env *t = *state;

	init_io(t, true, VFIO_BACKEND_TYPE1);
	t->fk.fail_req = VFIO_GROUP_SET_CONTAINER;
	t->fk.fail_errno = EBUSY;
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF2, NULL, &t->e), -EBUSY);
	assert_non_null(strstr(t->e.msg, BDF2));
	assert_non_null(strstr(t->e.msg, "VFIO_GROUP_SET_CONTAINER"));
	assert_int_equal(t->io.nr_groups, 0);
	assert_int_equal(count_req(&t->fk, VFIO_GROUP_GET_DEVICE_FD), 0);
	assert_int_equal(t->fk.nr_kvm, 0);
	vfio_iommu_close(&t->io);
	assert_int_equal(open_in_tree(t, ""), 0);
}

/* A failed open leaves no device fd and no KVM-VFIO registration behind. */
static void expect_unwound(struct env *t)
{
	assert_int_equal(open_in_tree(t, "/dev/vfio"), 0);
	assert_int_equal(t->fk.nr_kvm, 0);
}

static void test_bind_eperm(void **state)
{
	struct env *t = *state;
	const struct fk_call *c;
	int fd;

	init_io(t, true, VFIO_BACKEND_AUTO);
	t->fk.fail_req = VFIO_DEVICE_BIND_IOMMUFD;
	t->fk.fail_errno = EPERM;
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e), -EPERM);
	assert_int_equal(t->e.err, EPERM);
	assert_non_null(strstr(t->e.msg, BDF0));
	assert_non_null(strstr(t->e.msg, "VFIO_DEVICE_BIND_IOMMUFD"));
	assert_non_null(strstr(t->e.msg, strerror(EPERM)));
	assert_non_null(strstr(t->e.hint, "vfio-pci"));
	assert_int_equal(count_req(&t->fk, VFIO_DEVICE_ATTACH_IOMMUFD_PT), 0);
	/* the registration is withdrawn before the fd is closed */
	c = find_req(&t->fk, KVM_SET_DEVICE_ATTR, 1);
	assert_non_null(c);
	assert_int_equal(c->u.attr.attr, KVM_DEV_VFIO_FILE_DEL);
	assert_string_equal(c->arg_file, "/dev/vfio/devices/vfio3");
	expect_unwound(t);

	/* once the cause is gone, the same device opens in the same VM */
	t->fk.fail_req = 0;
	fd = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_fd_is(t, fd, "/dev/vfio/devices/vfio3");
	assert_int_equal(t->fk.nr_ioas_allocs, 1);
	assert_int_equal(t->fk.nr_kvm, 1);
	close(fd);
	vfio_iommu_close(&t->io);
}

static void test_bind_ebusy(void **state)
{
	struct env *t = *state;
	int from;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	t->fk.fail_req = VFIO_DEVICE_BIND_IOMMUFD;
	t->fk.fail_errno = EBUSY;
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF1, NULL, &t->e), -EBUSY);
	assert_int_equal(t->e.err, EBUSY);
	assert_non_null(strstr(t->e.msg, BDF1));
	assert_non_null(strstr(t->e.msg, "VFIO_DEVICE_BIND_IOMMUFD"));
	assert_non_null(strstr(t->e.msg, strerror(EBUSY)));
	expect_unwound(t);
	/* the IOAS allocated for the failed device is still destroyed */
	from = t->fk.nr_calls;
	vfio_iommu_close(&t->io);
	assert_string_equal(trace(&t->fk, from), "IOMMU_DESTROY");
	assert_int_equal(open_in_tree(t, ""), 0);
}

static void test_attach_fails(void **state)
{
	struct env *t = *state;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	t->fk.fail_req = VFIO_DEVICE_ATTACH_IOMMUFD_PT;
	t->fk.fail_errno = EINVAL;
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e), -EINVAL);
	assert_non_null(strstr(t->e.msg, BDF0));
	assert_non_null(strstr(t->e.msg, "VFIO_DEVICE_ATTACH_IOMMUFD_PT (IOAS 7)"));
	assert_int_equal(count_req(&t->fk, IOMMU_IOAS_IOVA_RANGES), 0);
	expect_unwound(t);
	vfio_iommu_close(&t->io);
	assert_int_equal(open_in_tree(t, ""), 0);
}

static void test_kvm_registration_fails(void **state)
{
	struct env *t = *state;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	t->fk.fail_req = KVM_SET_DEVICE_ATTR;
	t->fk.fail_errno = EINVAL;
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e), -EINVAL);
	assert_non_null(strstr(t->e.msg, BDF0));
	assert_non_null(strstr(t->e.msg, "KVM_DEV_VFIO_FILE_ADD"));
	/* never bound: KVM did not have it */
	assert_int_equal(count_req(&t->fk, VFIO_DEVICE_BIND_IOMMUFD), 0);
	assert_int_equal(count_req(&t->fk, KVM_SET_DEVICE_ATTR), 1);
	expect_unwound(t);
	vfio_iommu_close(&t->io);
}

static void test_ioas_alloc_fails(void **state)
{
	struct env *t = *state;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	t->fk.fail_req = IOMMU_IOAS_ALLOC;
	t->fk.fail_errno = ENOMEM;
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e), -ENOMEM);
	assert_non_null(strstr(t->e.msg, "IOMMU_IOAS_ALLOC"));
	assert_non_null(strstr(t->e.msg, "/dev/iommu"));
	assert_int_equal(t->io.iommufd, -1);
	assert_int_equal(open_in_tree(t, ""), 0);
	assert_int_equal(count_req(&t->fk, VFIO_DEVICE_BIND_IOMMUFD), 0);
	/* nothing to destroy */
	vfio_iommu_close(&t->io);
	assert_int_equal(count_req(&t->fk, IOMMU_DESTROY), 0);
}

static void test_forced_iommufd_refusals(void **state)
{
	struct env *t = *state;
	char path[PATH_MAX];

	/* VF tokens: only the group path can pass one */
	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF0, TOKEN, &t->e), -ENOTSUP);
	assert_non_null(strstr(t->e.msg, BDF0));
	assert_non_null(strstr(t->e.msg, "VF token"));
	assert_int_equal(t->fk.nr_calls, 1); /* KVM_CREATE_DEVICE only */
	assert_int_equal(open_in_tree(t, ""), 0);

	/* no cdev */
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF2, NULL, &t->e), -ENOENT);
	assert_non_null(strstr(t->e.msg, BDF2));
	assert_non_null(strstr(t->e.msg, "no VFIO device cdev"));
	assert_non_null(strstr(t->e.hint, "vfio-pci"));
	assert_int_equal(t->fk.nr_calls, 1);

	/* no /dev/iommu */
	snprintf(path, sizeof(path), "%s/dev/iommu", t->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e), -ENOENT);
	assert_non_null(strstr(t->e.msg, path));
	assert_int_equal(t->fk.nr_calls, 1);
	assert_int_equal(open_in_tree(t, ""), 0);
	vfio_iommu_close(&t->io);
	assert_int_equal(t->fk.nr_calls, 1);
}

/* The group of @bdf is attached in the fake kernel. */
static bool group_attached(const struct env *t, int group)
{
	char file[FK_PATH];

	snprintf(file, sizeof(file), "/dev/vfio/%d", group);
	for (int i = 0; i < t->fk.nr_groups_attached; i++)
		if (!strcmp(t->fk.attached[i], file))
			return true;
	return false;
}

static bool kvm_has(const struct env *t, const char *file)
{
	for (int i = 0; i < t->fk.nr_kvm; i++)
		if (!strcmp(t->fk.kvm[i].file, file))
			return true;
	return false;
}

/*
 * Hot-remove, type1: releasing one of two devices closes it and detaches
 * its group (UNSET_CONTAINER after the device fd is closed, KVM-VFIO
 * deregistration, group closed) while the other stays attached with the
 * mappings; the last device's group takes the IOMMU with it.
 */
static void test_type1_release_one_of_two(void **state)
{
	struct env *t = *state;
	uint8_t *hva = (uint8_t *)(uintptr_t)0x7f0000000000ULL;
	int fd0, fd2, from, kvm_fd;
	const struct fk_call *c;

	init_io(t, true, VFIO_BACKEND_TYPE1);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_int_equal(vfio_iommu_map(&t->io, 0, 0x40000000ULL, hva, &t->e), 0);
	/* hot-add: the second group joins the container; nothing is mapped again */
	from = t->fk.nr_calls;
	fd2 = vfio_iommu_open_device(&t->io, BDF2, NULL, &t->e);
	assert_true(fd0 >= 0 && fd2 >= 0);
	assert_string_equal(trace(&t->fk, from),
			    "VFIO_GROUP_GET_STATUS KVM_SET_DEVICE_ATTR VFIO_GROUP_SET_CONTAINER "
			    "VFIO_GROUP_GET_DEVICE_FD VFIO_IOMMU_GET_INFO");
	assert_int_equal(t->fk.nr_groups_attached, 2);
	assert_int_equal(t->io.nr_devs, 2);
	assert_int_equal(t->fk.nr_dma_maps, 1);

	from = t->fk.nr_calls;
	assert_int_equal(vfio_iommu_release_device(&t->io, fd0, &t->e), 1);
	assert_false(fd_is_open(fd0));
	assert_string_equal(trace(&t->fk, from), "VFIO_GROUP_UNSET_CONTAINER KVM_SET_DEVICE_ATTR");
	c = &t->fk.call[from];
	assert_string_equal(c->file, "/dev/vfio/20");
	c = &t->fk.call[from + 1];
	assert_int_equal(c->u.attr.attr, KVM_DEV_VFIO_FILE_DEL);
	assert_string_equal(c->arg_file, "/dev/vfio/20");
	assert_false(group_attached(t, 20));
	assert_false(kvm_has(t, "/dev/vfio/20"));
	assert_int_equal(open_in_tree(t, "/dev/vfio/20"), 0);
	/* the other device, its group and the mappings stay */
	assert_true(fd_is_open(fd2));
	assert_true(group_attached(t, 22));
	assert_true(kvm_has(t, "/dev/vfio/22"));
	assert_int_equal(t->io.nr_groups, 1);
	assert_int_equal(t->io.group[0].id, 22);
	assert_int_equal(t->io.nr_maps, 1);
	assert_int_equal(t->fk.nr_dma_maps, 1);
	assert_true(t->io.iommu_set);

	/* the last device: its group takes the IOMMU and the mappings */
	assert_int_equal(vfio_iommu_release_device(&t->io, fd2, &t->e), 1);
	assert_int_equal(t->fk.nr_groups_attached, 0);
	assert_int_equal(t->io.nr_maps, 0);
	assert_false(t->io.iommu_set);
	assert_int_equal(t->fk.nr_kvm, 0);
	assert_int_equal(open_in_tree(t, "/dev/vfio/2"), 0);

	/* a device added afterwards sets the IOMMU again (and the caller maps) */
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd0 >= 0);
	assert_true(t->io.iommu_set);
	assert_int_equal(vfio_iommu_map(&t->io, 0, 0x40000000ULL, hva, &t->e), 0);
	assert_int_equal(t->fk.nr_dma_maps, 1);

	/* teardown as before: the container and KVM-VFIO device close */
	kvm_fd = t->io.kvm_vfio_fd;
	assert_int_equal(vfio_iommu_release_device(&t->io, fd0, &t->e), 1);
	vfio_iommu_close(&t->io);
	assert_int_equal(open_in_tree(t, ""), 0);
	assert_false(fd_is_open(kvm_fd));
}

/* Two open devices of one group: the group stays until the second goes. */
static void test_type1_release_shared_group(void **state)
{
	struct env *t = *state;
	char path[PATH_MAX], target[PATH_MAX];
	int fd0, fd1, from;

	/* BDF1 into BDF0's group 20 */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/iommu_group", t->root, BDF1);
	snprintf(target, sizeof(target), "%s/sys/kernel/iommu_groups/20", t->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	init_io(t, true, VFIO_BACKEND_TYPE1);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	fd1 = vfio_iommu_open_device(&t->io, BDF1, NULL, &t->e);
	assert_true(fd0 >= 0 && fd1 >= 0);
	assert_int_equal(t->io.nr_groups, 1);

	from = t->fk.nr_calls;
	assert_int_equal(vfio_iommu_release_device(&t->io, fd1, &t->e), 0);
	assert_false(fd_is_open(fd1));
	assert_int_equal(t->fk.nr_calls, from); /* nothing detached */
	assert_true(group_attached(t, 20));
	assert_true(kvm_has(t, "/dev/vfio/20"));

	assert_int_equal(vfio_iommu_release_device(&t->io, fd0, &t->e), 1);
	assert_string_equal(trace(&t->fk, from), "VFIO_GROUP_UNSET_CONTAINER KVM_SET_DEVICE_ATTR");
	assert_false(group_attached(t, 20));
	vfio_iommu_close(&t->io);
	assert_int_equal(open_in_tree(t, ""), 0);
}

/* The detach is refused: reported, and the group is closed all the same. */
static void test_type1_release_unset_fails(void **state)
{
	struct env *t = *state;
	int fd0;

	init_io(t, true, VFIO_BACKEND_TYPE1);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_true(fd0 >= 0);
	t->fk.fail_req = VFIO_GROUP_UNSET_CONTAINER;
	t->fk.fail_errno = EBUSY;
	assert_int_equal(vfio_iommu_release_device(&t->io, fd0, &t->e), -EBUSY);
	assert_non_null(strstr(t->e.msg, "VFIO_GROUP_UNSET_CONTAINER (group 20)"));
	assert_int_equal(t->io.nr_groups, 0);
	assert_int_equal(t->fk.nr_kvm, 0);
	assert_int_equal(open_in_tree(t, "/dev/vfio/20"), 0);
	t->fk.fail_req = 0;
	vfio_iommu_close(&t->io);
	assert_int_equal(open_in_tree(t, ""), 0);
}

/* iommufd: the cdev leaves KVM-VFIO before it is closed; the IOAS stays for the other. */
static void test_iommufd_release_one_of_two(void **state)
{
	struct env *t = *state;
	uint8_t *hva = (uint8_t *)(uintptr_t)0x7f0000000000ULL;
	int fd0, fd1, from;

	init_io(t, true, VFIO_BACKEND_IOMMUFD);
	fd0 = vfio_iommu_open_device(&t->io, BDF0, NULL, &t->e);
	assert_int_equal(vfio_iommu_map(&t->io, 0, 0x40000000ULL, hva, &t->e), 0);
	/* hot-add: attaches to the IOAS that holds the mapping; no map again */
	from = t->fk.nr_calls;
	fd1 = vfio_iommu_open_device(&t->io, BDF1, NULL, &t->e);
	assert_true(fd0 >= 0 && fd1 >= 0);
	assert_int_equal(count_req(&t->fk, IOMMU_IOAS_MAP), 1);
	assert_null(strstr(trace(&t->fk, from), "MAP"));

	from = t->fk.nr_calls;
	assert_int_equal(vfio_iommu_release_device(&t->io, fd0, &t->e), 1);
	assert_string_equal(trace(&t->fk, from), "KVM_SET_DEVICE_ATTR");
	assert_int_equal(t->fk.call[from].u.attr.attr, KVM_DEV_VFIO_FILE_DEL);
	assert_string_equal(t->fk.call[from].arg_file, "/dev/vfio/devices/vfio3");
	assert_false(fd_is_open(fd0));
	assert_false(kvm_has(t, "/dev/vfio/devices/vfio3"));
	assert_true(kvm_has(t, "/dev/vfio/devices/vfio4"));
	assert_true(t->fk.ioas_live);
	assert_int_equal(t->fk.nr_map, 1);
	assert_int_equal(t->io.nr_maps, 1);
	assert_int_equal(t->io.nr_devs, 1);

	assert_int_equal(vfio_iommu_release_device(&t->io, fd1, &t->e), 1);
	assert_int_equal(t->fk.nr_kvm, 0);
	from = t->fk.nr_calls;
	vfio_iommu_close(&t->io);
	assert_string_equal(trace(&t->fk, from), "IOMMU_IOAS_UNMAP IOMMU_DESTROY");
	assert_int_equal(open_in_tree(t, ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_picks_iommufd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_falls_back_to_type1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_type1_ignores_cdev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usable_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_without_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_device_deregisters_cdev, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_type1_close_deregisters_groups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_type1_set_container_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_eperm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_ebusy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_registration_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioas_alloc_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_iommufd_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type1_release_one_of_two, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type1_release_shared_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type1_release_unset_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_release_one_of_two, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
