// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM creation and teardown: KVM handles, memfd-backed guest RAM split
 * around the 32-bit PCI hole, in-kernel irqchip, buses and PCI host.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hugepage.h"
#include "numa.h"
#include "vcpu.h"
#include "vm.h"

/* Below the firmware area, where QEMU puts them too. */
#define VM_IDENTITY_MAP_ADDR 0xFEFFC000ULL
#define VM_TSS_ADDR 0xFEFFD000ULL

static int kvm_open(struct vm *vm, struct errinfo *e)
{
	int ver;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int err = errno;

		err_sys(e, err, "cannot open /dev/kvm");
		if (err == ENOENT)
			err_hint(e, "load the kvm module (kvm_intel/kvm_amd) or run on a host with "
				    "KVM");
		else if (err == EACCES)
			err_hint(e, "run as root or add yourself to the kvm group");
		return -err;
	}
	ver = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION)
		return err_set(e, EINVAL, "/dev/kvm: API version %d, expected %d", ver,
			       KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return err_sys(e, errno, "KVM_CREATE_VM");
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size <= 0)
		return err_sys(e, errno, "KVM_GET_VCPU_MMAP_SIZE");
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return err_set(e, ENOTSUP,
			       "KVM lacks KVM_CAP_IMMEDIATE_EXIT (needed to stop vCPUs safely)");
	return 0;
}

/* A hugetlb mapping failed: the pool's file and what to write there. */
static void hugepage_hint(struct errinfo *e, uint64_t page, uint64_t size)
{
	char path[256];

	hugepage_sysfs_path("", page, "nr_hugepages", path, sizeof(path));
	err_hint(e, "not enough free %s huge pages: %llu are needed; raise %s", hugepage_name(page),
		 (unsigned long long)(size / page), path);
}

static int ram_alloc(struct vm *vm, struct errinfo *e)
{
	struct guest_mem *m = &vm->mem;
	uint64_t size = vm->cfg.mem_size, low, high, page = vm->cfg.hugepage_size;
	unsigned int flags = MFD_CLOEXEC;
	int mflags;
	void *p;

	if (vm->cfg.hugetlb) {
		if (!page)
			page = HUGEPAGE_2M;
		flags |= hugepage_memfd_flags(page);
		/* whole pages, so ftruncate succeeds */
		size = hugepage_round(size, page);
	}
	if (vm->cfg.mem_fd_given) {
		struct stat st;

		if (fstat(m->memfd, &st) < 0)
			return err_sys(e, errno, "the guest RAM handed over (fd %d)", m->memfd);
		/* the memory the guest has must be exactly what this VM maps */
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
			return err_set(e, EINVAL,
				       "the guest RAM handed over is %llu bytes, this VM has %llu",
				       (unsigned long long)st.st_size, (unsigned long long)size);
	} else {
		if (vm->cfg.hugetlb) {
			struct hugepage_pool pool;
			int ret = hugepage_pool_read("", page, &pool, e);

			/* a shortage named now, with the file to write, not as ENOMEM later */
			if (ret == 0)
				ret = hugepage_check(&pool, "", page, size, e);
			if (ret < 0)
				return ret;
		}
		m->memfd = memfd_create("vfvm-ram", flags);
		if (m->memfd < 0) {
			err_sys(e, errno, "memfd_create(%s) for %llu MiB of guest RAM",
				vm->cfg.hugetlb ? "MFD_HUGETLB" : "",
				(unsigned long long)(size >> 20));
			if (vm->cfg.hugetlb)
				err_hint(e, "the kernel has no %s hugetlb pages",
					 hugepage_name(page));
			return -e->err;
		}
	}
	if (!vm->cfg.mem_fd_given && ftruncate(m->memfd, (off_t)size) < 0) {
		err_sys(e, errno, "sizing guest RAM memfd to %llu MiB",
			(unsigned long long)(size >> 20));
		if (vm->cfg.hugetlb)
			hugepage_hint(e, page, size);
		return -e->err;
	}
	m->hugetlb = vm->cfg.hugetlb;
	m->page_size = vm->cfg.hugetlb ? page : (uint64_t)sysconf(_SC_PAGESIZE);
	low = size < VM_LOW_RAM_MAX ? size : VM_LOW_RAM_MAX;
	high = size - low;
	m->nr_regions = 0;
	m->total = size;
	/*
	 * hugetlb pages are reserved at mmap time without MAP_NORESERVE, so a
	 * shortage is an error here instead of a SIGBUS when the guest
	 * touches the page.
	 */
	mflags = MAP_SHARED | (vm->cfg.hugetlb ? 0 : MAP_NORESERVE);
	p = mmap(NULL, low, PROT_READ | PROT_WRITE, mflags, m->memfd, 0);
	if (p == MAP_FAILED) {
		err_sys(e, errno, "mmap of %llu MiB guest RAM", (unsigned long long)(low >> 20));
		if (vm->cfg.hugetlb)
			hugepage_hint(e, page, size);
		return -e->err;
	}
	m->region[m->nr_regions++] = (struct guest_mem_region){0, low, p, 0};
	if (high) {
		p = mmap(NULL, high, PROT_READ | PROT_WRITE, mflags, m->memfd, (off_t)low);
		if (p == MAP_FAILED) {
			err_sys(e, errno, "mmap of %llu MiB guest RAM above 4 GiB",
				(unsigned long long)(high >> 20));
			if (vm->cfg.hugetlb)
				hugepage_hint(e, page, size);
			return -e->err;
		}
		m->region[m->nr_regions++] =
			(struct guest_mem_region){VM_HIGH_RAM_BASE, high, p, low};
	}
	/* before the first touch: every page is then allocated on its node */
	if (vm->cfg.numa && vm->cfg.numa->nr)
		return numa_plan_bind(vm->cfg.numa, m, e);
	return 0;
}

int vm_memslot_add(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly,
		   struct errinfo *e)
{
	struct kvm_userspace_memory_region r = {
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
		.flags = readonly ? KVM_MEM_READONLY : 0,
	};
	int slot = -1, err;
	unsigned int max =
		(unsigned int)ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

	if (!max || max > VM_MAX_MEMSLOTS)
		max = VM_MAX_MEMSLOTS;
	/* slots are reused: a guest moving BARs around must not run out of them */
	pthread_mutex_lock(&vm->memslot_lock);
	for (unsigned int i = 0; i < max; i++) {
		if (!(vm->memslot_used[i / 64] & (1ULL << (i % 64)))) {
			vm->memslot_used[i / 64] |= 1ULL << (i % 64);
			slot = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&vm->memslot_lock);
	if (slot < 0)
		return err_set(e, ENOSPC, "all %u KVM memslots are in use (mapping 0x%llx)", max,
			       (unsigned long long)gpa);
	r.slot = (uint32_t)slot;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		err = errno;
		pthread_mutex_lock(&vm->memslot_lock);
		vm->memslot_used[slot / 64] &= ~(1ULL << (slot % 64));
		pthread_mutex_unlock(&vm->memslot_lock);
		return err_sys(e, err, "KVM_SET_USER_MEMORY_REGION slot %d at 0x%llx size 0x%llx%s",
			       slot, (unsigned long long)gpa, (unsigned long long)size,
			       readonly ? " (read-only)" : "");
	}
	return slot;
}

int vm_memslot_del(struct vm *vm, int slot, struct errinfo *e)
{
	struct kvm_userspace_memory_region r = {.slot = (uint32_t)slot};

	if (slot < 0 || slot >= VM_MAX_MEMSLOTS)
		return err_set(e, EINVAL, "KVM memslot %d does not exist", slot);
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return err_sys(e, errno, "removing KVM memslot %d", slot);
	pthread_mutex_lock(&vm->memslot_lock);
	vm->memslot_used[slot / 64] &= ~(1ULL << (slot % 64));
	pthread_mutex_unlock(&vm->memslot_lock);
	return 0;
}

static int irqchip_create(struct vm *vm, struct errinfo *e)
{
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0)
		return err_sys(e, errno, "KVM_SET_TSS_ADDR 0x%llx", VM_TSS_ADDR);
	{
		uint64_t a = VM_IDENTITY_MAP_ADDR;

		/* Only VMX uses it; an error there is not fatal elsewhere. */
		ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &a);
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_sys(e, errno, "KVM_CREATE_IRQCHIP");
	vm->has_irqchip = true;
	return 0;
}

int vm_create_pit(struct vm *vm, struct errinfo *e)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};

	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_sys(e, errno, "KVM_CREATE_PIT2");
	vm->has_pit = true;
	return 0;
}

static unsigned int host_phys_bits(void)
{
	unsigned int eax, ebx, ecx, edx;

	__asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000000));
	if (eax < 0x80000008)
		return 36;
	__asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000008));
	return (eax & 0xff) ? eax & 0xff : 36;
}

/* EAX[7:0] of leaf 0x80000008 in KVM_GET_SUPPORTED_CPUID, 0 when not there. */
static unsigned int kvm_phys_bits(int kvm_fd)
{
	unsigned int n = 256, bits = 0;
	struct kvm_cpuid2 *c;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return 0;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		free(c);
		if (errno != E2BIG || n >= 4096)
			return 0;
		n *= 2;
	}
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000008)
			bits = c->entries[i].eax & 0xff;
	free(c);
	return bits;
}

unsigned int vm_guest_phys_bits(int kvm_fd)
{
	unsigned int host = host_phys_bits(), kvm = kvm_fd >= 0 ? kvm_phys_bits(kvm_fd) : 0;

	return kvm && kvm < host ? kvm : host;
}

uint64_t vm_ram_top(uint64_t mem_size)
{
	if (mem_size <= VM_LOW_RAM_MAX)
		return VM_HIGH_RAM_BASE;
	return VM_HIGH_RAM_BASE + (mem_size - VM_LOW_RAM_MAX);
}

int vm_create(struct vm *vm, const struct vm_config *cfg, struct errinfo *e)
{
	uint64_t ram_top;
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->epoll_fd = vm->stop_efd = -1;
	/* a memfd handed over is the VM's from here: vm_destroy() closes it */
	vm->mem.memfd = cfg->mem_fd_given ? cfg->mem_fd : -1;
	vm->cfg = *cfg;
	pthread_mutex_init(&vm->memslot_lock, NULL);
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_mutex_init(&vm->exit_lock, NULL);
	pthread_cond_init(&vm->exit_cond, NULL);
	vlog_init(&vm->log);
	if (!cfg->nr_cpus || cfg->nr_cpus > VM_MAX_VCPUS)
		return err_set(e, EINVAL, "%u vCPUs: must be 1..%d", cfg->nr_cpus, VM_MAX_VCPUS);
	if (cfg->mem_size < (2ULL << 20))
		return err_set(e, EINVAL, "guest RAM of %llu bytes is too small (minimum 2 MiB)",
			       (unsigned long long)cfg->mem_size);
	ret = vcpu_signal_setup(e);
	if (ret)
		return ret;
	ret = kvm_open(vm, e);
	if (ret)
		goto fail;
	/* KVM takes the dirty ring only before the first vCPU exists */
	ret = dirty_ring_enable(vm, cfg->dirty_track, e);
	if (ret)
		goto fail;
	ret = ram_alloc(vm, e);
	if (ret)
		goto fail;
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		struct guest_mem_region *r = &vm->mem.region[i];

		ret = vm_memslot_add(vm, r->gpa, r->size, r->hva, false, e);
		if (ret < 0)
			goto fail;
		vm->mem.slot[i] = ret; /* dirty logging (dirty_log.c) re-issues it with a flag */
	}
	ret = irqchip_create(vm, e);
	if (ret)
		goto fail;

	vm->phys_bits = vm_guest_phys_bits(vm->kvm_fd);
	ram_top = vm->mem.nr_regions > 1 ? VM_HIGH_RAM_BASE + vm->mem.region[1].size
					 : VM_HIGH_RAM_BASE;
	{
		struct mmio_plan_in in = {
			.dev = cfg->mmio_devs,
			.nr_dev = cfg->nr_mmio_devs,
			.ram_top = ram_top,
			.phys_bits = vm->phys_bits,
			.size = cfg->mmio64_size,
		};

		ret = mmio_plan_build(&in, &vm->mmio_plan, e);
		if (ret)
			goto fail;
	}
	vm->mmio64_base = vm->mmio_plan.base;
	vm->mmio64_size = vm->mmio_plan.size;

	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->epoll_fd < 0) {
		ret = err_sys(e, errno, "epoll_create1");
		goto fail;
	}
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0) {
		ret = err_sys(e, errno, "eventfd");
		goto fail;
	}
	ret = bus_init(&vm->pio, "pio");
	if (!ret)
		ret = bus_init(&vm->mmio, "mmio");
	if (ret) {
		err_sys(e, -ret, "initialising trap buses");
		goto fail;
	}
	ret = irq_routing_init(&vm->irq, vm->vm_fd, IRQ_MAX_GSIS, true, NULL, e);
	if (ret)
		goto fail;
	ret = pci_host_init(&vm->pci, vm, &vm->pio, &vm->mmio, vm->mmio64_base, vm->mmio64_size, e);
	if (ret)
		goto fail;
	vm->pci.plan = &vm->mmio_plan;

	vm->vcpus = calloc(cfg->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		ret = err_sys(e, ENOMEM, "allocating %u vCPUs", cfg->nr_cpus);
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		ret = vcpu_create(vm, &vm->vcpus[i], i, e);
		if (ret)
			goto fail;
		vm->nr_vcpus++;
	}
	return 0;
fail:
	vm_destroy(vm);
	return ret < 0 ? ret : -EINVAL;
}

void vm_destroy(struct vm *vm)
{
	vm_run_cleanups(vm);
	dirty_ring_exit(vm); /* drains the rings: before the vCPUs unmap them */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
	if (vm->pci.vm)
		pci_host_exit(&vm->pci);
	if (vm->irq.ent)
		irq_routing_exit(&vm->irq);
	if (vm->mmio.name)
		bus_exit(&vm->mmio);
	if (vm->pio.name)
		bus_exit(&vm->pio);
	vm_io_cleanup(vm);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->epoll_fd >= 0)
		close(vm->epoll_fd);
	guest_mem_dirty_free(&vm->mem);
	for (int i = 0; i < vm->mem.nr_regions; i++)
		munmap(vm->mem.region[i].hva, vm->mem.region[i].size);
	vm->mem.nr_regions = 0;
	if (vm->mem.memfd >= 0)
		close(vm->mem.memfd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->stop_efd = vm->epoll_fd = vm->mem.memfd = vm->vm_fd = vm->kvm_fd = -1;
	pthread_mutex_destroy(&vm->memslot_lock);
	pthread_mutex_destroy(&vm->io_lock);
	pthread_mutex_destroy(&vm->exit_lock);
	vlog_exit(&vm->log);
	pthread_cond_destroy(&vm->exit_cond);
}
