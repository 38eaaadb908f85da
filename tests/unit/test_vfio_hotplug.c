// SPDX-License-Identifier: GPL-2.0-only
/*
 * Passthrough devices coming and going while the VM stays: vfio_pci__add on
 * a VM that already has a device, one device's release while another stays
 * (its group leaves the container at once), kept claims for failover
 * primaries, and the VFIO REQ path.
 *
 * A fake kernel stands behind the vfio_sys seam: type1 container and group
 * files are plain files in a temp tree (told apart through /proc/self/fd),
 * the KVM-VFIO device and the VM are /dev/null fds, and device ioctls go to
 * a struct fake_vfio per device.  The VM is only what the add path needs
 * (PCI host without buses, I/O loop, one small RAM region); nothing needs
 * /dev/kvm.
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
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "pci_hotplug.h"
#include "req.h"
#include "uapi_compat.h"
#include "vfio_pci.h"
#include "vm.h"
#include "helpers/fake_vfio.h"
#include "helpers/sriov_tree.h"

#define BDF_A "0000:3b:00.0" /* group 20 */
#define BDF_B "0000:3b:00.2" /* group 22 */
#define NDEV 2
#define MAXG 8
#define RAM (64u << 10)

struct hk {
	struct vfio_sys sys;
	char root[PATH_MAX];
	int vm_fd;
	int kvm_vfio_fd;
	struct fake_vfio dev[NDEV];
	const char *bdf[NDEV];
	const char *gfile[NDEV]; /* each device's group file */
	char attached[MAXG][PATH_MAX]; /* group files attached to the container */
	int nr_attached;
	int kvm[MAXG]; /* fds registered with KVM-VFIO */
	int nr_kvm;
	int nr_map_dma;
	int nr_unset;
	int nr_unset_busy; /* UNSET_CONTAINER while a device of the group was open */
};

struct env {
	char root[PATH_MAX];
	struct hk k;
	struct vm *vm;
	struct vfio_host_opts h;
	void *ram;
	struct errinfo e;
	/* control-API events */
	char ev_name[4][32];
	char ev_id[4][32];
	char ev_detail[4][128];
	int nr_ev;
	/* kept-claim callback */
	struct vfio_pci *released;
	int nr_released;
};

static void fd_file(const struct hk *k, int fd, char *out, size_t size)
{
	char link[64], target[PATH_MAX];
	size_t rl = strlen(k->root);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(out, size, "?");
		return;
	}
	target[n] = '\0';
	snprintf(out, size, "%s",
		 !strncmp(target, k->root, rl) && target[rl] == '/' ? target + rl : target);
}

static int dev_of_fd(const struct hk *k, int fd)
{
	for (int i = 0; i < NDEV; i++)
		if (fd >= 0 && k->dev[i].devfd == fd)
			return i;
	return -1;
}

static int attached_idx(const struct hk *k, const char *file)
{
	for (int i = 0; i < k->nr_attached; i++)
		if (!strcmp(k->attached[i], file))
			return i;
	return -1;
}

static int hk_group_ioctl(struct hk *k, const char *file, unsigned long req, void *arg)
{
	int i = attached_idx(k, file), fd;
	char cfile[64];

	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		st->flags = VFIO_GROUP_FLAGS_VIABLE | (i >= 0 ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER:
		memcpy(&fd, arg, sizeof(fd));
		fd_file(k, fd, cfile, sizeof(cfile));
		if (strcmp(cfile, "/dev/vfio/vfio") || i >= 0)
			return -EINVAL;
		assert_true(k->nr_attached < MAXG);
		snprintf(k->attached[k->nr_attached++], PATH_MAX, "%s", file);
		return 0;
	case VFIO_GROUP_UNSET_CONTAINER:
		k->nr_unset++;
		/* the kernel refuses while a device of the group is open */
		for (int d = 0; d < NDEV; d++)
			if (!strcmp(k->gfile[d], file) && k->dev[d].devfd >= 0 &&
			    fcntl(k->dev[d].devfd, F_GETFD) >= 0)
				k->nr_unset_busy++;
		if (i < 0)
			return -EINVAL;
		k->attached[i][0] = '\0';
		memmove(k->attached[i], k->attached[i + 1],
			sizeof(k->attached[0]) * (size_t)(k->nr_attached - i - 1));
		if (!--k->nr_attached)
			k->nr_map_dma = 0; /* the IOMMU goes with the last group */
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (i < 0)
			return -EINVAL;
		for (int d = 0; d < NDEV; d++) {
			if (strcmp(arg, k->bdf[d]))
				continue;
			/* a fresh fd per open, as the kernel gives */
			fd = open("/dev/null", O_RDWR | O_CLOEXEC);
			assert_true(fd >= 0);
			if (k->dev[d].fd >= 0)
				close(k->dev[d].fd);
			k->dev[d].fd = -1;
			k->dev[d].devfd = fd;
			return fd;
		}
		return -ENODEV;
	}
	return -ENOTTY;
}

static int hk_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct hk *k = ctx;
	char file[PATH_MAX];
	int d = dev_of_fd(k, fd);

	if (d >= 0)
		return k->dev[d].sys.ops->ioctl(k->dev[d].sys.ctx, fd, req, arg);
	if (fd == k->vm_fd && req == KVM_CREATE_DEVICE) {
		struct kvm_create_device *cd = arg;

		k->kvm_vfio_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		cd->fd = (uint32_t)k->kvm_vfio_fd;
		return 0;
	}
	if (fd == k->kvm_vfio_fd && req == KVM_SET_DEVICE_ATTR) {
		struct kvm_device_attr *a = arg;
		int32_t v;

		memcpy(&v, (void *)(uintptr_t)a->addr, sizeof(v));
		if (a->attr == KVM_DEV_VFIO_FILE_ADD) {
			assert_true(k->nr_kvm < MAXG);
			k->kvm[k->nr_kvm++] = v;
			return 0;
		}
		for (int i = 0; i < k->nr_kvm; i++) {
			if (k->kvm[i] != v)
				continue;
			k->kvm[i] = k->kvm[--k->nr_kvm];
			return 0;
		}
		return -ENOENT;
	}
	fd_file(k, fd, file, sizeof(file));
	if (!strcmp(file, "/dev/vfio/vfio")) {
		switch (req) {
		case VFIO_GET_API_VERSION:
			return VFIO_API_VERSION;
		case VFIO_CHECK_EXTENSION:
			return (uintptr_t)arg == VFIO_TYPE1v2_IOMMU;
		case VFIO_SET_IOMMU:
			return k->nr_attached ? 0 : -EINVAL;
		case VFIO_IOMMU_GET_INFO: {
			struct vfio_iommu_type1_info *i = arg;

			i->flags = 0;
			i->cap_offset = 0;
			return 0;
		}
		case VFIO_IOMMU_MAP_DMA:
			if (!k->nr_attached)
				return -EINVAL;
			k->nr_map_dma++;
			return 0;
		case VFIO_IOMMU_UNMAP_DMA:
			return k->nr_attached ? 0 : -EINVAL;
		}
		return -ENOTTY;
	}
	if (!strncmp(file, "/dev/vfio/", 10))
		return hk_group_ioctl(k, file, req, arg);
	return -ENOTTY;
}

static ssize_t hk_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
	struct hk *k = ctx;
	int d = dev_of_fd(k, fd);

	if (d < 0)
		return -EBADF;
	return k->dev[d].sys.ops->pread(k->dev[d].sys.ctx, fd, buf, len, off);
}

static ssize_t hk_pwrite(void *ctx, int fd, const void *buf, size_t len, uint64_t off)
{
	struct hk *k = ctx;
	int d = dev_of_fd(k, fd);

	if (d < 0)
		return -EBADF;
	return k->dev[d].sys.ops->pwrite(k->dev[d].sys.ctx, fd, buf, len, off);
}

static void *hk_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, uint64_t off,
		     int *err)
{
	(void)ctx, (void)addr, (void)len, (void)prot, (void)flags, (void)fd, (void)off;
	*err = -EINVAL;
	return NULL;
}

static int hk_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx, (void)addr, (void)len;
	return 0;
}

static const struct vfio_sys_ops hk_ops = {
	.ioctl = hk_ioctl,
	.pread = hk_pread,
	.pwrite = hk_pwrite,
	.mmap = hk_mmap,
	.munmap = hk_munmap,
};

static void on_event(void *opaque, const char *name, const char *id, const char *detail)
{
	struct env *t = opaque;

	if (t->nr_ev >= 4)
		return;
	snprintf(t->ev_name[t->nr_ev], sizeof(t->ev_name[0]), "%s", name);
	snprintf(t->ev_id[t->nr_ev], sizeof(t->ev_id[0]), "%s", id ? id : "");
	snprintf(t->ev_detail[t->nr_ev], sizeof(t->ev_detail[0]), "%s", detail ? detail : "");
	t->nr_ev++;
}

static void tree_dev(struct env *t, const char *bdf, int group, unsigned int class_code)
{
	struct stree_dev d = {.bdf = bdf,
			      .vendor = 0x8086,
			      .device = 0x10ca,
			      .class_code = class_code,
			      .driver = "vfio-pci",
			      .group = group};
	char rel[64];

	assert_int_equal(stree_add_dev(t->root, &d), 0);
	snprintf(rel, sizeof(rel), "/dev/vfio/%d", group);
	assert_int_equal(stree_write(t->root, rel, ""), 0);
}

static int setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));
	char tmp[PATH_MAX];
	struct vm *vm;

	assert_non_null(t);
	assert_int_equal(stree_new(tmp, sizeof(tmp)), 0);
	assert_non_null(realpath(tmp, t->root));
	assert_int_equal(stree_write(t->root, "/dev/vfio/vfio", ""), 0);
	tree_dev(t, BDF_A, 20, 0x020000);
	tree_dev(t, BDF_B, 22, 0x010802);

	t->k.sys.ops = &hk_ops;
	t->k.sys.ctx = &t->k;
	snprintf(t->k.root, sizeof(t->k.root), "%s", t->root);
	t->k.kvm_vfio_fd = -1;
	t->k.bdf[0] = BDF_A;
	t->k.bdf[1] = BDF_B;
	t->k.gfile[0] = "/dev/vfio/20";
	t->k.gfile[1] = "/dev/vfio/22";
	for (int i = 0; i < NDEV; i++)
		fake_vfio_init(&t->k.dev[i], 0x8086, 0x10ca, 0x020000);

	t->vm = vm = calloc(1, sizeof(*vm));
	assert_non_null(vm);
	vm->kvm_fd = -1;
	vm->vm_fd = t->k.vm_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_mutex_init(&vm->exit_lock, NULL);
	pthread_cond_init(&vm->exit_cond, NULL);
	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vlog_init(&vm->log);
	vm->event_cb = on_event;
	vm->event_opaque = t;
	assert_int_equal(pci_host_init(&vm->pci, vm, NULL, NULL, 1ULL << 36, 1ULL << 30, NULL), 0);
	t->ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(t->ram != MAP_FAILED);
	vm->mem.memfd = -1;
	vm->mem.region[0].hva = t->ram;
	vm->mem.region[0].size = RAM;
	vm->mem.nr_regions = 1;
	vm->mem.total = RAM;

	t->h.sysfs_root = t->root;
	t->h.state_dir = t->root;
	t->h.backend = VFIO_BACKEND_TYPE1;
	t->h.prefault = VFIO_PREFAULT_NONE;
	t->h.sys = &t->k.sys;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct env *t = *state;
	struct vm *vm = t->vm;

	pci_host_exit(&vm->pci);
	vm_io_cleanup(vm);
	vlog_exit(&vm->log);
	close(vm->epoll_fd);
	close(vm->stop_efd);
	close(vm->vm_fd);
	for (int i = 0; i < NDEV; i++)
		fake_vfio_free(&t->k.dev[i]);
	munmap(t->ram, RAM);
	stree_free(t->root);
	free(vm);
	free(t);
	return 0;
}

/* How many of this process's fds are VFIO files of the tree (container, groups). */
static int open_in_tree(const struct env *t)
{
	char file[PATH_MAX];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		fd_file(&t->k, fd, file, sizeof(file));
		n += !strncmp(file, "/dev/vfio/", 10);
	}
	return n;
}

static bool attached(const struct env *t, int group)
{
	char file[64];

	snprintf(file, sizeof(file), "/dev/vfio/%d", group);
	return attached_idx(&t->k, file) >= 0;
}

static struct vfio_pci *claim(struct env *t, const char *spec)
{
	struct vfio_pci *vp = NULL;

	err_clear(&t->e);
	assert_int_equal(vfio_pci__claim(&t->h, spec, &vp, &t->e), 0);
	assert_non_null(vp);
	return vp;
}

/* What the hot-plug core does once the guest ejected @id: off the bus, then release. */
static void eject(struct env *t, const char *id)
{
	struct pci_dev *d = vm_pci_find(t->vm, id);

	assert_non_null(d);
	assert_int_equal(pci_dev_unregister(&t->vm->pci, d), 0);
	d->release(d);
}

static void test_release_one_of_two(void **state)
{
	struct env *t = *state;
	struct vfio_pci *a = claim(t, BDF_A ",id=nic0"), *b = claim(t, BDF_B);

	assert_int_equal(vfio_pci__add(t->vm, a, &t->e), 0);
	assert_int_equal(t->k.nr_map_dma, 1);
	assert_true(attached(t, 20));
	/* the second device joins the container that holds the mapping: no map again */
	assert_int_equal(vfio_pci__add(t->vm, b, &t->e), 0);
	assert_int_equal(t->k.nr_map_dma, 1);
	assert_true(attached(t, 22));
	assert_int_equal(t->k.nr_kvm, 2);
	assert_non_null(vm_pci_find(t->vm, "nic0"));
	assert_non_null(vm_pci_find(t->vm, "hostdev0"));

	eject(t, "nic0");
	/* its group left at once, after the device fd was closed */
	assert_false(attached(t, 20));
	assert_int_equal(t->k.nr_unset, 1);
	assert_int_equal(t->k.nr_unset_busy, 0);
	assert_true(fcntl(t->k.dev[0].devfd, F_GETFD) < 0);
	assert_int_equal(t->k.nr_kvm, 1);
	/* the other device stays, with the mapping and its registration */
	assert_true(attached(t, 22));
	assert_true(fcntl(t->k.dev[1].devfd, F_GETFD) >= 0);
	assert_int_equal(t->k.nr_map_dma, 1);
	assert_non_null(t->vm->vfio);
	assert_null(vm_pci_find(t->vm, "nic0"));
	assert_int_equal(t->vm->release_failed, 0);

	/* teardown: the last device closes the container */
	pci_host_exit(&t->vm->pci);
	assert_null(t->vm->vfio);
	assert_int_equal(t->k.nr_attached, 0);
	assert_int_equal(t->k.nr_kvm, 0);
	assert_true(fcntl(t->k.kvm_vfio_fd, F_GETFD) < 0);
	assert_int_equal(open_in_tree(t), 0);
	assert_int_equal(
		pci_host_init(&t->vm->pci, t->vm, NULL, NULL, 1ULL << 36, 1ULL << 30, NULL), 0);
}

static void on_released(void *opaque, struct vfio_pci *claim_)
{
	struct env *t = opaque;

	t->released = claim_;
	t->nr_released++;
}

/* Signal the REQ eventfd device @d armed last and run the I/O loop once. */
static void host_req(struct env *t, int d)
{
	int efd = t->k.dev[d].last_set[VFIO_PCI_REQ_IRQ_INDEX].fds[0];
	uint64_t one = 1;

	assert_true(efd >= 0);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	assert_true(vm_io_poll(t->vm, 1000) >= 1);
}

static void test_keep_claim_readd(void **state)
{
	struct env *t = *state;
	struct vfio_pci *a = claim(t, BDF_A ",id=vf0,failover=net0"), *b = claim(t, BDF_B);
	int fd_before;

	assert_string_equal(vfio_pci__failover(a), "net0");
	assert_string_equal(vfio_pci__failover(b), "");
	assert_string_equal(vfio_pci__id(a), "vf0");
	vfio_pci__keep_claim(a, on_released, t);
	assert_int_equal(vfio_pci__add(t->vm, b, &t->e), 0);
	assert_int_equal(vfio_pci__add(t->vm, a, &t->e), 0);
	fd_before = t->k.dev[0].devfd;
	assert_int_equal(t->k.dev[0].nr_set_irqs[VFIO_PCI_REQ_IRQ_INDEX], 1);
	/* the host wants it back (the guest would be asked); then it is ejected */
	host_req(t, 0);
	assert_int_equal(t->nr_ev, 1);

	eject(t, "vf0");
	assert_int_equal(t->nr_released, 1);
	assert_ptr_equal(t->released, a);
	assert_false(attached(t, 20));
	assert_true(fcntl(fd_before, F_GETFD) < 0);
	assert_string_equal(vfio_pci__id(a), "vf0");
	assert_string_equal(vfio_pci__bdf(a), BDF_A);

	/* plugged back: a fresh device fd, group attached again, ERR/REQ armed again */
	assert_int_equal(vfio_pci__add(t->vm, a, &t->e), 0);
	assert_true(attached(t, 20));
	assert_true(fcntl(t->k.dev[0].devfd, F_GETFD) >= 0);
	assert_int_equal(t->k.dev[0].nr_set_irqs[VFIO_PCI_REQ_IRQ_INDEX], 2);
	assert_true(t->k.dev[0].last_set[VFIO_PCI_REQ_IRQ_INDEX].fds[0] >= 0);
	assert_non_null(vm_pci_find(t->vm, "vf0"));
	assert_int_equal(t->k.nr_map_dma, 1); /* B kept the mapping */
	assert_int_equal(t->k.nr_kvm, 2);
	/* the re-added device answers a new REQ: nothing of the old one is pending */
	host_req(t, 0);
	assert_int_equal(t->nr_ev, 2);
	assert_string_equal(t->ev_name[1], "device-req");
	assert_string_equal(t->ev_id[1], "vf0");

	/* a second round works as well */
	eject(t, "vf0");
	assert_int_equal(t->nr_released, 2);
	assert_int_equal(vfio_pci__add(t->vm, a, &t->e), 0);

	/* teardown: the kept claim comes back to its owner, who gives it back */
	pci_host_exit(&t->vm->pci);
	assert_int_equal(t->nr_released, 3);
	assert_null(t->vm->vfio);
	assert_int_equal(vfio_pci__unclaim(a, &t->e), 0);
	assert_int_equal(open_in_tree(t), 0);
	assert_int_equal(
		pci_host_init(&t->vm->pci, t->vm, NULL, NULL, 1ULL << 36, 1ULL << 30, NULL), 0);
}

/* The only passthrough device leaves and comes back: the mapping is made again. */
static void test_keep_claim_only_device(void **state)
{
	struct env *t = *state;
	struct vfio_pci *a = claim(t, BDF_A ",id=vf0");

	vfio_pci__keep_claim(a, on_released, t);
	assert_int_equal(vfio_pci__add(t->vm, a, &t->e), 0);
	assert_int_equal(t->k.nr_map_dma, 1);
	eject(t, "vf0");
	assert_null(t->vm->vfio);
	assert_int_equal(t->k.nr_attached, 0);
	assert_true(fcntl(t->k.kvm_vfio_fd, F_GETFD) < 0);
	assert_int_equal(vfio_pci__add(t->vm, a, &t->e), 0);
	assert_int_equal(t->k.nr_map_dma, 1);
	assert_true(attached(t, 20));
	eject(t, "vf0");
	assert_int_equal(t->nr_released, 2);
	assert_int_equal(vfio_pci__unclaim(a, &t->e), 0);
	assert_int_equal(open_in_tree(t), 0);
}

static int fake_unplug_ret;
static int nr_unplug;
static struct pci_dev *unplug_dev;

static int fake_request_unplug(struct vm *vm, struct pci_dev *d, struct errinfo *e)
{
	(void)vm;
	nr_unplug++;
	unplug_dev = d;
	if (fake_unplug_ret)
		return err_set(e, -fake_unplug_ret, "no hot-plug slot");
	return 0;
}

static void test_req_asks_guest(void **state)
{
	struct env *t = *state;
	struct pci_dev d = {.id = "vf0"};
	bool pending = false;

	nr_unplug = 0;
	fake_unplug_ret = 0;
	vfio_pci_req(t->vm, &d, BDF_A, &pending, fake_request_unplug);
	assert_int_equal(nr_unplug, 1);
	assert_ptr_equal(unplug_dev, &d);
	assert_true(pending);
	assert_int_equal(t->nr_ev, 1);
	assert_string_equal(t->ev_name[0], "device-req");
	assert_string_equal(t->ev_id[0], "vf0");
	assert_string_equal(t->ev_detail[0], "the host asked for " BDF_A " back");
	assert_int_equal(atomic_load(&t->vm->exit_requested), 0);
	/* a second REQ while one is pending does nothing more */
	vfio_pci_req(t->vm, &d, BDF_A, &pending, fake_request_unplug);
	assert_int_equal(nr_unplug, 1);
	assert_int_equal(t->nr_ev, 1);
	assert_int_equal(atomic_load(&t->vm->exit_requested), 0);
}

static void test_req_without_hotplug_stops(void **state)
{
	struct env *t = *state;
	struct pci_dev d = {.id = "vf0"};
	bool pending = false;

	nr_unplug = 0;
	fake_unplug_ret = -ENOTSUP;
	vfio_pci_req(t->vm, &d, BDF_A, &pending, fake_request_unplug);
	assert_int_equal(nr_unplug, 1);
	assert_int_equal(atomic_load(&t->vm->exit_requested), 1);
	assert_int_equal(t->vm->exit_status, VM_EXIT_SIGNAL);
	assert_non_null(strstr(t->vm->exit_reason, BDF_A));
	assert_non_null(strstr(t->vm->exit_reason, "VFIO REQ"));
}

/* The device's REQ eventfd, end to end through the I/O loop (hot-plug a stub on main). */
static void test_req_eventfd(void **state)
{
	struct env *t = *state;
	struct vfio_pci *a = claim(t, BDF_A ",id=nic0");

	assert_int_equal(vfio_pci__add(t->vm, a, &t->e), 0);
	host_req(t, 0);
	assert_int_equal(t->nr_ev, 1);
	assert_string_equal(t->ev_name[0], "device-req");
	assert_string_equal(t->ev_id[0], "nic0");
	/* this VM has no hot-plug registers: the request fails and the VM stops */
	assert_int_equal(atomic_load(&t->vm->exit_requested), 1);
	/* again: nothing more */
	host_req(t, 0);
	assert_int_equal(t->nr_ev, 1);
}

static void test_net_class_check(void **state)
{
	struct env *t = *state;
	struct vfio_pci *a = claim(t, BDF_A), *b = claim(t, BDF_B);

	assert_int_equal(vfio_pci__net_class_check(a, &t->e), 0);
	assert_int_equal(vfio_pci__net_class_check(b, &t->e), -ENOTSUP);
	assert_non_null(strstr(t->e.msg, BDF_B));
	assert_non_null(strstr(t->e.msg, "0x010802"));
	assert_non_null(strstr(t->e.msg, "not a network controller"));
	assert_int_equal(vfio_pci__unclaim(a, NULL), 0);
	assert_int_equal(vfio_pci__unclaim(b, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_release_one_of_two, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_claim_readd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_claim_only_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_req_asks_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_req_without_hotplug_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_req_eventfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_class_check, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
