// SPDX-License-Identifier: GPL-2.0-only
/* PIO/MMIO trap table (sorted, binary search) and the ioeventfd helper. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bus.h"
#include "vm.h"

int bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	return -pthread_rwlock_init(&b->lock, NULL);
}

void bus_exit(struct bus *b)
{
	free(b->r);
	b->r = NULL;
	b->nr = b->cap = 0;
	pthread_rwlock_destroy(&b->lock);
	b->name = NULL;
}

/* Index of the first range whose base is > addr. */
static unsigned int upper(const struct bus *b, uint64_t addr)
{
	unsigned int lo = 0, hi = b->nr;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (b->r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn *fn, void *opaque,
		 const char *name, struct errinfo *e)
{
	unsigned int i;
	int ret = 0;

	if (!len || base + len - 1 < base)
		return err_set(e, EINVAL, "%s trap '%s' at 0x%llx: bad length 0x%llx", b->name,
			       name, (unsigned long long)base, (unsigned long long)len);
	pthread_rwlock_wrlock(&b->lock);
	i = upper(b, base);
	if (i > 0 && b->r[i - 1].base + b->r[i - 1].len > base) {
		ret = err_set(e, EEXIST, "%s trap '%s' at 0x%llx overlaps '%s' at 0x%llx", b->name,
			      name, (unsigned long long)base, b->r[i - 1].name,
			      (unsigned long long)b->r[i - 1].base);
		goto out;
	}
	if (i < b->nr && base + len > b->r[i].base) {
		ret = err_set(e, EEXIST, "%s trap '%s' at 0x%llx overlaps '%s' at 0x%llx", b->name,
			      name, (unsigned long long)base, b->r[i].name,
			      (unsigned long long)b->r[i].base);
		goto out;
	}
	if (b->nr == b->cap) {
		unsigned int cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *n = realloc(b->r, cap * sizeof(*n));

		if (!n) {
			ret = err_sys(e, ENOMEM, "%s trap table", b->name);
			goto out;
		}
		b->r = n;
		b->cap = cap;
	}
	memmove(&b->r[i + 1], &b->r[i], (b->nr - i) * sizeof(b->r[0]));
	b->r[i] = (struct bus_range){base, len, fn, opaque, name};
	b->nr++;
out:
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int bus_unregister(struct bus *b, uint64_t base)
{
	unsigned int i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&b->lock);
	i = upper(b, base);
	if (i > 0 && b->r[i - 1].base == base) {
		memmove(&b->r[i - 1], &b->r[i], (b->nr - i) * sizeof(b->r[0]));
		b->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

bool bus_dispatch(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	struct bus_range r;
	unsigned int i;
	bool found = false;

	pthread_rwlock_rdlock(&b->lock);
	i = upper(b, addr);
	if (i > 0 && addr - b->r[i - 1].base < b->r[i - 1].len) {
		r = b->r[i - 1];
		found = true;
	}
	pthread_rwlock_unlock(&b->lock);
	if (!found)
		return false;
	/* an access that runs past the end of the range is cut to what fits */
	if (len > r.len - (addr - r.base))
		len = (uint32_t)(r.len - (addr - r.base));
	r.fn(r.opaque, addr - r.base, data, len, is_write);
	return true;
}

static int ioeventfd(struct vm *vm, int efd, uint64_t addr, uint32_t len, bool pio,
		     int64_t datamatch, bool del, struct errinfo *e)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = efd,
	};

	if (pio)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (datamatch >= 0) {
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		io.datamatch = (uint64_t)datamatch;
	}
	if (del)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return err_sys(e, errno, "KVM_IOEVENTFD %s %s 0x%llx len %u",
			       del ? "remove" : "add", pio ? "port" : "MMIO",
			       (unsigned long long)addr, len);
	return 0;
}

int ioeventfd_add(struct vm *vm, int efd, uint64_t addr, uint32_t len, bool pio, int64_t datamatch,
		  struct errinfo *e)
{
	return ioeventfd(vm, efd, addr, len, pio, datamatch, false, e);
}

int ioeventfd_del(struct vm *vm, int efd, uint64_t addr, uint32_t len, bool pio, int64_t datamatch,
		  struct errinfo *e)
{
	return ioeventfd(vm, efd, addr, len, pio, datamatch, true, e);
}
