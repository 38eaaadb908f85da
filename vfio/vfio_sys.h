/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Thin wrappers over the system calls the passthrough device model makes on
 * VFIO file descriptors (ioctl, pread/pwrite on regions, mmap).  They go
 * through an ops struct so the device model (config shadow, MSI-X table, BAR
 * layout) runs in unit tests against a fake device instead of the kernel.
 *
 * Every op returns a negative errno on failure (never -1 + errno).
 */
#ifndef VFIO_SYS_H
#define VFIO_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vfio_sys_ops {
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, uint64_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, uint64_t off);
	/* Returns the mapping or NULL with *err set to a negative errno. */
	void *(*mmap)(void *ctx, void *addr, size_t len, int prot, int flags, int fd, uint64_t off,
		      int *err);
	int (*munmap)(void *ctx, void *addr, size_t len);
};

struct vfio_sys {
	const struct vfio_sys_ops *ops;
	void *ctx;
};

/* The real system calls. */
extern const struct vfio_sys vfio_sys_host;

static inline int vfio_sys_ioctl(const struct vfio_sys *s, int fd, unsigned long req, void *arg)
{
	return s->ops->ioctl(s->ctx, fd, req, arg);
}

static inline ssize_t vfio_sys_pread(const struct vfio_sys *s, int fd, void *buf, size_t len,
				     uint64_t off)
{
	return s->ops->pread(s->ctx, fd, buf, len, off);
}

static inline ssize_t vfio_sys_pwrite(const struct vfio_sys *s, int fd, const void *buf, size_t len,
				      uint64_t off)
{
	return s->ops->pwrite(s->ctx, fd, buf, len, off);
}

static inline void *vfio_sys_mmap(const struct vfio_sys *s, void *addr, size_t len, int prot,
				  int flags, int fd, uint64_t off, int *err)
{
	return s->ops->mmap(s->ctx, addr, len, prot, flags, fd, off, err);
}

static inline int vfio_sys_munmap(const struct vfio_sys *s, void *addr, size_t len)
{
	return s->ops->munmap(s->ctx, addr, len);
}

#endif
