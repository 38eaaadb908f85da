// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk: requests on a raw image, served on the device's I/O thread.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/virtio_ids.h>

#include "dev_id.h"
#include "devices.h"
#include "sandbox.h"
#include "virtio_blk.h"
#include "vm.h"

#define PCI_CLASS_STORAGE_OTHER 0x018000
#define SECTOR 512u

/* @src minus its first @skip bytes into @dst; returns the count. */
static unsigned int iov_skip(const struct iovec *src, unsigned int n, size_t skip,
			     struct iovec *dst)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		dst[k].iov_base = (char *)src[i].iov_base + skip;
		dst[k].iov_len = src[i].iov_len - skip;
		skip = 0;
		k++;
	}
	return k;
}

/* Whole transfer or an error: short transfers are continued. */
static int rw_all(int fd, struct iovec *iov, unsigned int n, off_t off, bool write)
{
	while (n) {
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) /* a read past the end of a shrunk image */
			return -EIO;
		off += r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/*
 * The host side of the image failed (a full filesystem, a dead disk): the
 * guest gets VIRTIO_BLK_S_IOERR, and whoever runs vfvm is told once per
 * kind of failure (log and a disk-error event), not once per request, and
 * again when I/O works after failing.  Blk thread, under the queue lock.
 */
static void blk_host_error(struct virtio_blk *b, int err, bool write, uint64_t sector)
{
	char detail[PATH_MAX + 160];

	b->host_errors++;
	if (err == b->last_errno)
		return;
	b->last_errno = err;
	if (!b->vp.vm) /* unit tests */
		return;
	snprintf(detail, sizeof(detail),
		 "%s at sector %llu of %s failed: %s (errno %d); the guest got an I/O error",
		 write ? "write" : "read", (unsigned long long)sector, b->path, strerror(err), err);
	vlog_report(&b->vp.vm->log, VLOG_WARN, "disk %s: %s%s", b->vp.pci.id, detail,
		    err == ENOSPC ? " (free space where the image lives)" : "");
	vm_event(b->vp.vm, "disk-error", b->vp.pci.id, detail);
}

static void blk_host_ok(struct virtio_blk *b)
{
	if (!b->last_errno)
		return;
	b->last_errno = 0;
	if (b->vp.vm)
		vlog_report(&b->vp.vm->log, VLOG_INFO,
			    "disk %s: I/O on %s works again (%llu request%s failed so far)",
			    b->vp.pci.id, b->path, (unsigned long long)b->host_errors,
			    b->host_errors == 1 ? "" : "s");
}

/* Read or write @len data bytes at @sector; returns a VIRTIO_BLK_S_* status. */
static uint8_t blk_rw(struct virtio_blk *b, uint64_t sector, unsigned int n, uint64_t len,
		      bool write)
{
	int ret;

	if (len % SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (sector > b->capacity || len / SECTOR > b->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	if (write && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	ret = rw_all(b->fd, b->data, n, sector * SECTOR, write);
	if (ret < 0) {
		blk_host_error(b, -ret, write, sector);
		return VIRTIO_BLK_S_IOERR;
	}
	blk_host_ok(b);
	return VIRTIO_BLK_S_OK;
}

static uint32_t blk_request(struct virtio_pci *vp, struct virtq_elem *el)
{
	struct virtio_blk *b = vp->dev;
	struct virtio_blk_outhdr hdr;
	struct iovec *last;
	uint8_t *status;
	uint32_t written = 0;
	unsigned int n;
	uint8_t st;

	/* No writable byte for the status: nothing we can say, fail silently. */
	if (el->in_len < 1)
		return 0;
	last = &el->in[el->in_num - 1];
	status = (uint8_t *)last->iov_base + last->iov_len - 1;
	if (virtq_iov_to_buf(el->out, el->out_num, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		*status = VIRTIO_BLK_S_IOERR;
		return 1;
	}

	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		/* Data must come back in writable buffers; nothing after the header. */
		if (el->out_len != sizeof(hdr)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		memcpy(b->data, el->in, el->in_num * sizeof(struct iovec));
		b->data[el->in_num - 1].iov_len--;
		n = el->in_num;
		st = blk_rw(b, le64toh(hdr.sector), n, el->in_len - 1, false);
		if (st == VIRTIO_BLK_S_OK)
			written = el->in_len - 1;
		break;
	case VIRTIO_BLK_T_OUT:
		/* Data to write must be device-readable: only the status is writable. */
		if (el->in_len != 1) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = iov_skip(el->out, el->out_num, sizeof(hdr), b->data);
		st = blk_rw(b, le64toh(hdr.sector), n, el->out_len - sizeof(hdr), true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = VIRTIO_BLK_S_OK;
		if (fdatasync(b->fd) < 0) {
			blk_host_error(b, errno, true, 0);
			st = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_GET_ID: {
		size_t room = el->in_len - 1;

		written = virtq_iov_from_buf(el->in, el->in_num, 0, b->id,
					     room < sizeof(b->id) ? room : sizeof(b->id));
		st = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	*status = st;
	return written + 1;
}

static void blk_notify(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_blk *b = vp->dev;

	virtio_pci_serve(vp, q, &b->elem, blk_request);
}

static int blk_start(struct virtio_pci *vp)
{
	(void)vp;
	return 0;
}

static void blk_reset(struct virtio_pci *vp)
{
	/* In-flight requests finish under the queue lock the reset takes next. */
	(void)vp;
}

static void blk_destroy(struct virtio_pci *vp)
{
	struct virtio_blk *b = vp->dev;

	virtio_blk_exit(b);
	free(b);
}

static const struct virtio_dev_ops blk_ops = {
	.start = blk_start,
	.notify = blk_notify,
	.reset = blk_reset,
	.destroy = blk_destroy,
	.save = virtio_blk_save,
	.load = virtio_blk_load,
};

static void *blk_thread(void *opaque)
{
	struct virtio_blk *b = opaque;
	struct vm *vm = b->vp.vm;
	struct errinfo e = {0};
	struct pollfd p[2] = {
		{.fd = b->vp.q[0].kick_efd, .events = POLLIN},
		{.fd = b->stop_efd, .events = POLLIN},
	};

	if (vm && sandbox_enter_role(vm->sandbox, SANDBOX_BLK, &e)) {
		vm_request_exit(vm, VM_EXIT_ERROR, e.msg);
		return NULL;
	}
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (virtio_pci_drain_kick(p[0].fd))
			blk_notify(&b->vp, 0);
	}
	return NULL;
}

int virtio_blk_parse_spec(const char *spec, struct virtio_blk_spec *s, struct errinfo *e)
{
	bool seen_ro = false, seen_id = false, seen_path = false;
	const char *p;

	memset(s, 0, sizeof(*s));
	/*
	 * PATH[,ro][,id=ID] or members only (path=PATH,id=ID,ro, any order):
	 * a first member that is none of the keys is the file name.
	 */
	for (p = spec; *p;) {
		const char *end = strchrnul(p, ',');
		size_t len = end - p;
		bool first = p == spec;

		if (len == 2 && !strncmp(p, "ro", 2)) {
			if (seen_ro)
				return err_set(e, EINVAL, "--disk %s: ro given twice", spec);
			seen_ro = s->readonly = true;
		} else if (len >= 3 && !strncmp(p, "id=", 3)) {
			if (seen_id)
				return err_set(e, EINVAL, "--disk %s: id given twice", spec);
			seen_id = true;
			if (dev_id_parse("--disk", spec, p + 3, len - 3, s->id, e) < 0)
				return -EINVAL;
		} else if (first || (len >= 5 && !strncmp(p, "path=", 5))) {
			if (!first || !strncmp(p, "path=", 5)) {
				p += 5;
				len -= 5;
			}
			if (seen_path)
				return err_set(e, EINVAL, "--disk %s: file name given twice", spec);
			seen_path = true;
			if (len >= sizeof(s->path))
				return err_set(e, ENAMETOOLONG,
					       "--disk %.64s...: file name longer than %zu bytes",
					       spec, sizeof(s->path) - 1);
			memcpy(s->path, p, len);
			s->path[len] = 0;
		} else {
			return err_set(e, EINVAL, "--disk %s: unknown option '%.*s'", spec,
				       (int)len, p);
		}
		p = *end ? end + 1 : end;
	}
	if (!s->path[0])
		return err_set(e, EINVAL, "--disk '%s': no file name", spec);
	return 0;
}

static int open_image(struct virtio_blk *b, const char *path, struct errinfo *e)
{
	struct stat st;
	uint64_t size;

	b->fd = open(path, (b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		err_sys(e, errno, "--disk: open %s", path);
		if (errno == EACCES || errno == EROFS)
			err_hint(e, "add ,ro to use the image read-only");
		return -e->err;
	}
	if (fstat(b->fd, &st) < 0)
		return err_sys(e, errno, "--disk: fstat %s", path);
	if (S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0)
			return err_sys(e, errno, "--disk: BLKGETSIZE64 on %s", path);
	} else {
		return err_set(e, EINVAL, "--disk: %s is not a regular file or block device", path);
	}
	if (size < SECTOR) {
		err_set(e, EINVAL, "--disk: %s is %llu bytes, smaller than one 512-byte sector",
			path, (unsigned long long)size);
		err_hint(e, "create the image first, e.g. truncate -s 64M %s", path);
		return -EINVAL;
	}
	b->capacity = size / SECTOR;
	/* Stable across runs for the same file: guests may mount by serial. */
	snprintf(b->id, sizeof(b->id), "vfvm%llx-%llx", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	return 0;
}

int virtio_blk_init(struct virtio_blk *b, struct vm *vm, const struct guest_mem *mem,
		    const char *spec, struct errinfo *e)
{
	struct virtio_blk_config cfg = {0};
	struct virtio_blk_spec *s;
	uint64_t features;
	int ret;

	b->fd = -1;
	b->stop_efd = -1;
	/* PATH_MAX is big for a stack frame */
	s = malloc(sizeof(*s));
	if (!s)
		return err_set(e, ENOMEM, "--disk: out of memory");
	ret = virtio_blk_parse_spec(spec, s, e);
	if (ret < 0) {
		free(s);
		return ret;
	}
	b->readonly = s->readonly;
	memcpy(b->path, s->path, sizeof(b->path));
	ret = open_image(b, s->path, e);
	if (ret < 0) {
		free(s);
		goto fail;
	}

	features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
		   1ull << VIRTIO_BLK_F_FLUSH;
	if (b->readonly)
		features |= 1ull << VIRTIO_BLK_F_RO;
	ret = virtio_pci_init(&b->vp, vm, mem, "virtio-blk", VIRTIO_ID_BLOCK,
			      PCI_CLASS_STORAGE_OTHER, 1, VIRTIO_BLK_QUEUE_SIZE, features, &blk_ops,
			      b, e);
	if (ret < 0) {
		free(s);
		goto fail;
	}
	/* The id must be in place before vm_pci_plug() looks for duplicates. */
	memcpy(b->vp.pci.id, s->id, sizeof(s->id));
	free(s);
	b->vp.own_kick_thread = true;
	cfg.capacity = htole64(b->capacity);
	cfg.seg_max = htole32(VIRTIO_BLK_SEG_MAX);
	cfg.blk_size = htole32(SECTOR);
	memcpy(b->vp.devcfg, &cfg, sizeof(cfg));
	b->vp.devcfg_len = sizeof(cfg);
	/* Nothing in the config is driver-writable (no CONFIG_WCE). */
	b->vp.devcfg_wmask_off = VPCI_DEVCFG_MAX;
	return 0;

fail:
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	return ret;
}

void virtio_blk_exit(struct virtio_blk *b)
{
	uint64_t one = 1;

	if (b->thread_started) {
		(void)!write(b->stop_efd, &one, sizeof(one));
		pthread_join(b->thread, NULL);
		b->thread_started = false;
	}
	if (b->stop_efd >= 0)
		close(b->stop_efd);
	b->stop_efd = -1;
	virtio_pci_exit(&b->vp);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

int virtio_blk__add(struct vm *vm, const char *spec, struct errinfo *e)
{
	struct virtio_blk *b;
	int ret;

	/* Lives as long as the VM: the PCI host keeps pointing at it. */
	b = calloc(1, sizeof(*b));
	if (!b)
		return err_set(e, ENOMEM, "virtio-blk: out of memory");
	ret = virtio_blk_init(b, vm, &vm->mem, spec, e);
	if (ret < 0) {
		free(b);
		return ret;
	}
	b->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (b->stop_efd < 0) {
		ret = err_sys(e, errno, "virtio-blk: eventfd");
		goto fail;
	}
	ret = pthread_create(&b->thread, NULL, blk_thread, b);
	if (ret) {
		ret = err_sys(e, ret, "virtio-blk: starting the I/O thread");
		goto fail;
	}
	b->thread_started = true;
	/* After this the function is on the bus and must stay (see virtio_rng.c). */
	return virtio_pci_register(&b->vp, e);

fail:
	virtio_blk_exit(b);
	free(b);
	return ret;
}
