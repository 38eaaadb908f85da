// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk (src/devices/virtio_blk.c) over the split virtqueue
 * (src/devices/virtqueue.c), driven like a guest would: the transport
 * brought up with fuzzed features and queue size, then guest RAM - the
 * descriptor table, available ring, request headers and buffers - is the
 * fuzzer's, and the queue is kicked.  The image is a 64 KiB memfd, so
 * reads, writes, flushes and GET_ID all reach a real file descriptor.
 *
 * Input: flags, queue size, kicks, available-index bump (fuzz_virtio.h),
 * then guest RAM from address 0.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_virtio.h"
#include "virtio_blk.h"

#define IMAGE_SIZE (64 * 1024)

static char image_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = memfd_create("fuzz-virtio-blk", MFD_CLOEXEC);

	(void)argc;
	(void)argv;
	if (fd < 0 || ftruncate(fd, IMAGE_SIZE) < 0)
		abort();
	/* virtio_blk_init() opens a path: this process's view of the memfd */
	snprintf(image_path, sizeof(image_path), "/proc/self/fd/%d", fd);
	return 0;
}

static void no_signal(struct virtio_pci *vp, uint16_t vector)
{
	(void)vp;
	(void)vector;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct virtio_blk *b = calloc(1, sizeof(*b));
	struct errinfo e = {0};
	char spec[96];
	struct fv_plan p;
	struct fv f;

	fv_plan_take(&p, &in);
	if (!b || fv_setup(&f) < 0)
		abort();
	/* the device feature here is read-only mode: writes must fail cleanly */
	snprintf(spec, sizeof(spec), "%s%s", image_path, p.flags & FV_DEVICE_FEATURE ? ",ro" : "");
	if (virtio_blk_init(b, NULL, &f.mem, spec, &e) < 0) {
		fprintf(stderr, "virtio_blk_init: %s\n", e.msg);
		abort();
	}
	b->vp.signal = no_signal;
	f.vp = &b->vp;
	fv_fill_ram(&f, &in);
	FUZZ_CHECK(fv_bringup(&f, &p, 1, VIRTIO_BLK_F_RO));
	for (unsigned int k = 0; k < p.kicks; k++) {
		if (k)
			fv_bump_avail(&f, 0, p.avail_bump);
		fv_kick(&f, 0);
	}
	if (p.flags & FV_RESET_AGAIN) {
		/* a driver reset with requests done, then the same rings once more */
		FUZZ_CHECK(fv_bringup(&f, &p, 1, VIRTIO_BLK_F_RO));
		fv_kick(&f, 0);
	}
	virtio_blk_exit(b);
	free(b);
	fv_teardown(&f);
	return 0;
}
