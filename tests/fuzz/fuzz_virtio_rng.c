// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng (src/devices/virtio_rng.c) over the split virtqueue: the
 * transport brought up with fuzzed features and queue size, guest RAM -
 * rings and buffers - from the fuzzer, then kicks.
 *
 * Input: flags, queue size, kicks, available-index bump (fuzz_virtio.h),
 * then guest RAM from address 0.
 */
#include "fuzz_virtio.h"
#include "virtio_rng.h"

static void no_signal(struct virtio_pci *vp, uint16_t vector)
{
	(void)vp;
	(void)vector;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct virtio_rng *r = calloc(1, sizeof(*r));
	struct errinfo e = {0};
	struct fv_plan p;
	struct fv f;

	fv_plan_take(&p, &in);
	if (!r || fv_setup(&f) < 0 || virtio_rng_init(r, NULL, &f.mem, &e) < 0)
		abort();
	r->vp.signal = no_signal;
	f.vp = &r->vp;
	fv_fill_ram(&f, &in);
	/* virtio-rng has no feature of its own: the flag asks for none */
	FUZZ_CHECK(fv_bringup(&f, &p, 1, VIRTIO_F_VERSION_1));
	for (unsigned int k = 0; k < p.kicks; k++) {
		if (k)
			fv_bump_avail(&f, 0, p.avail_bump);
		fv_kick(&f, 0);
	}
	if (p.flags & FV_RESET_AGAIN) {
		FUZZ_CHECK(fv_bringup(&f, &p, 1, VIRTIO_F_VERSION_1));
		fv_kick(&f, 0);
	}
	r->vp.ops->destroy(&r->vp); /* frees r */
	fv_teardown(&f);
	return 0;
}
