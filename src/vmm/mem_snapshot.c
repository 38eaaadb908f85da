// SPDX-License-Identifier: GPL-2.0-only
/* Guest RAM to and from a sparse snapshot file (see mem_snapshot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem_snapshot.h"

#define PAGE 4096u
#define IO_CHUNK (1u << 30) /* one pread/pwrite moves at most this */

uint64_t mem_snapshot_size(const struct guest_mem *m)
{
	uint64_t end = 0;

	for (int i = 0; i < m->nr_regions; i++)
		if (m->region[i].fd_offset + m->region[i].size > end)
			end = m->region[i].fd_offset + m->region[i].size;
	return end;
}

static bool page_is_zero(const uint8_t *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < n / 8; i++)
		if (w[i])
			return false;
	for (size_t i = n & ~(size_t)7; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int pwrite_all(int fd, const uint8_t *p, uint64_t len, uint64_t off, const char *path,
		      struct errinfo *e)
{
	while (len) {
		size_t n = len > IO_CHUNK ? IO_CHUNK : (size_t)len;
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_sys(e, w < 0 ? errno : EIO, "writing %s at offset %llu", path,
				       (unsigned long long)off);
		p += w;
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/* Write the non-zero pages of [off, off+len) of region @r (offsets within the region). */
static int write_extent(int fd, const struct guest_mem_region *r, uint64_t off, uint64_t len,
			const char *path, struct errinfo *e)
{
	uint64_t end = off + len, run = 0;
	bool in_run = false;

	for (uint64_t p = off; p < end; p += PAGE) {
		size_t n = end - p < PAGE ? (size_t)(end - p) : PAGE;
		bool zero = page_is_zero(r->hva + p, n);

		if (!zero && !in_run) {
			run = p;
			in_run = true;
		} else if (zero && in_run) {
			if (pwrite_all(fd, r->hva + run, p - run, r->fd_offset + run, path, e))
				return -e->err;
			in_run = false;
		}
	}
	if (in_run && pwrite_all(fd, r->hva + run, end - run, r->fd_offset + run, path, e))
		return -e->err;
	return 0;
}

/*
 * The data extents of region @r in the memfd: reading a hole through the
 * mapping would allocate it, so holes are not even looked at.
 */
static int write_region(int fd, const struct guest_mem *m, const struct guest_mem_region *r,
			const char *path, struct errinfo *e)
{
	uint64_t start = r->fd_offset, end = r->fd_offset + r->size, pos = start;

	if (m->memfd < 0)
		return write_extent(fd, r, 0, r->size, path, e);
	while (pos < end) {
		off_t d = lseek(m->memfd, (off_t)pos, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO)
			break; /* nothing but holes from here */
		if (d < 0 && errno == EINVAL) /* no SEEK_DATA here: all of it */
			return write_extent(fd, r, pos - start, end - pos, path, e);
		if (d < 0)
			return err_sys(e, errno, "SEEK_DATA in guest RAM at %llu",
				       (unsigned long long)pos);
		if ((uint64_t)d >= end)
			break;
		h = lseek(m->memfd, d, SEEK_HOLE);
		if (h < 0)
			return err_sys(e, errno, "SEEK_HOLE in guest RAM at %lld", (long long)d);
		if ((uint64_t)h > end)
			h = (off_t)end;
		if (write_extent(fd, r, (uint64_t)d - start, (uint64_t)(h - d), path, e))
			return -e->err;
		pos = (uint64_t)h;
	}
	return 0;
}

int mem_snapshot_write(const struct guest_mem *m, const char *path, struct errinfo *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), ret = 0;

	if (fd < 0)
		return err_sys(e, errno, "creating %s", path);
	if (ftruncate(fd, (off_t)mem_snapshot_size(m)) < 0)
		ret = err_sys(e, errno, "sizing %s to %llu bytes", path,
			      (unsigned long long)mem_snapshot_size(m));
	for (int i = 0; !ret && i < m->nr_regions; i++)
		ret = write_region(fd, m, &m->region[i], path, e);
	if (!ret && fsync(fd) < 0)
		ret = err_sys(e, errno, "fsync of %s", path);
	if (close(fd) < 0 && !ret)
		ret = err_sys(e, errno, "closing %s", path);
	return ret;
}

static int pread_all(int fd, uint8_t *p, uint64_t len, uint64_t off, const char *path,
		     struct errinfo *e)
{
	while (len) {
		size_t n = len > IO_CHUNK ? IO_CHUNK : (size_t)len;
		ssize_t r = pread(fd, p, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return err_sys(e, r < 0 ? errno : EIO, "reading %s at offset %llu%s", path,
				       (unsigned long long)off, r ? "" : " (file shrank)");
		p += r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

/* Data extent [d, h) of the file into the regions; data outside every region is refused. */
static int read_extent(int fd, const struct guest_mem *m, uint64_t d, uint64_t h, const char *path,
		       struct errinfo *e)
{
	while (d < h) {
		const struct guest_mem_region *r = NULL;
		uint64_t end;

		for (int i = 0; i < m->nr_regions; i++)
			if (d >= m->region[i].fd_offset &&
			    d - m->region[i].fd_offset < m->region[i].size)
				r = &m->region[i];
		if (!r)
			return err_set(e, EBADMSG, "%s: data at offset %llu lies in no RAM region",
				       path, (unsigned long long)d);
		end = r->fd_offset + r->size < h ? r->fd_offset + r->size : h;
		if (pread_all(fd, r->hva + (d - r->fd_offset), end - d, d, path, e))
			return -e->err;
		d = end;
	}
	return 0;
}

int mem_snapshot_read(const struct guest_mem *m, const char *path, struct errinfo *e)
{
	uint64_t want = mem_snapshot_size(m), pos = 0, size;
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "opening %s", path);
	if (fstat(fd, &st) < 0) {
		ret = err_sys(e, errno, "stat of %s", path);
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (!S_ISREG(st.st_mode) || size != want) {
		ret = err_set(e, EBADMSG,
			      "%s: %s of %llu bytes; this VM's RAM layout needs %llu bytes", path,
			      S_ISREG(st.st_mode) ? "a file" : "not a regular file",
			      (unsigned long long)size, (unsigned long long)want);
		goto out;
	}
	while (pos < size) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO)
			break;
		if (d < 0 && errno == EINVAL) { /* no SEEK_DATA: read it all */
			ret = read_extent(fd, m, pos, size, path, e);
			break;
		}
		if (d < 0) {
			ret = err_sys(e, errno, "SEEK_DATA in %s at %llu", path,
				      (unsigned long long)pos);
			break;
		}
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0) {
			ret = err_sys(e, errno, "SEEK_HOLE in %s at %lld", path, (long long)d);
			break;
		}
		ret = read_extent(fd, m, (uint64_t)d, (uint64_t)h, path, e);
		if (ret)
			break;
		pos = (uint64_t)h;
	}
out:
	close(fd);
	return ret;
}
