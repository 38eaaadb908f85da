// SPDX-License-Identifier: GPL-2.0-only
/* The host implementation of struct vfio_sys_ops: plain system calls. */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_sys.h"

static int host_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int ret;

	(void)ctx;
	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

static ssize_t host_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	(void)ctx;
	do {
		n = pread(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t host_pwrite(void *ctx, int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	(void)ctx;
	do {
		n = pwrite(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static void *host_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, uint64_t off,
		       int *err)
{
	void *p;

	(void)ctx;
	p = mmap(addr, len, prot, flags, fd, (off_t)off);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	return p;
}

static int host_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	return munmap(addr, len) < 0 ? -errno : 0;
}

static const struct vfio_sys_ops host_ops = {
	.ioctl = host_ioctl,
	.pread = host_pread,
	.pwrite = host_pwrite,
	.mmap = host_mmap,
	.munmap = host_munmap,
};

const struct vfio_sys vfio_sys_host = {.ops = &host_ops, .ctx = NULL};
