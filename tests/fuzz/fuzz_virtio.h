/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small virtio driver for the virtio fuzz targets: guest RAM in a
 * malloc'd buffer behind the project's guest memory abstraction, register
 * accesses through virtio_pci_bar_access() as the MMIO bus makes them,
 * and the driver's side of bring-up.  The rings are laid out from guest
 * address 0, each queue's descriptor table, available ring and used ring
 * packed one after the other, so a small fuzzer input that is copied
 * over guest RAM already reaches descriptors and available rings.
 */
#ifndef FUZZ_VIRTIO_H
#define FUZZ_VIRTIO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "fuzz.h"
#include "virtio_pci.h"

#define FV_RAM_SIZE 0x10000ull
#define FV_STATUS_OK                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define FV_COMMON(field) (VPCI_COMMON_OFF + offsetof(struct virtio_pci_common_cfg, field))

struct fv {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_pci *vp;
	uint64_t ring_end; /* first guest address after the rings */
};

/* What the fuzzer decides about a bring-up: first bytes of the input. */
struct fv_plan {
	uint8_t flags; /* FV_* below */
	uint8_t qsize_log2;
	uint8_t kicks;
	uint8_t avail_bump; /* added to every avail idx before each further kick */
};
#define FV_EVENT_IDX 0x01
#define FV_INDIRECT 0x02
#define FV_DEVICE_FEATURE 0x04 /* the device's own optional feature */
#define FV_RESET_AGAIN 0x08 /* reset and bring up again after the kicks */

static inline void fv_plan_take(struct fv_plan *p, struct fuzz_in *in)
{
	p->flags = fuzz_u8(in);
	p->qsize_log2 = fuzz_u8(in);
	p->kicks = 1 + fuzz_u8(in) % 4;
	p->avail_bump = fuzz_u8(in);
}

static inline int fv_setup(struct fv *f)
{
	memset(f, 0, sizeof(*f));
	f->ram = calloc(1, FV_RAM_SIZE);
	if (!f->ram)
		return -1;
	f->mem.region[0] = (struct guest_mem_region){.gpa = 0, .size = FV_RAM_SIZE, .hva = f->ram};
	f->mem.nr_regions = 1;
	f->mem.memfd = -1;
	f->mem.total = FV_RAM_SIZE;
	return 0;
}

static inline void fv_teardown(struct fv *f)
{
	free(f->ram);
}

/* The rest of the input over guest RAM, from address 0. */
static inline void fv_fill_ram(struct fv *f, struct fuzz_in *in)
{
	size_t n = in->n < FV_RAM_SIZE ? in->n : FV_RAM_SIZE;

	memcpy(f->ram, in->p, n);
	in->p += n;
	in->n -= n;
}

static inline uint64_t fv_read(struct fv *f, uint64_t off, uint32_t len)
{
	uint8_t b[8] = {0};
	uint64_t v = 0;

	virtio_pci_bar_access(f->vp, off, b, len, false);
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static inline void fv_write(struct fv *f, uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t b[8];

	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	virtio_pci_bar_access(f->vp, off, b, len, true);
}

static inline uint64_t fv_device_features(struct fv *f)
{
	uint64_t lo, hi;

	fv_write(f, FV_COMMON(device_feature_select), 0, 4);
	lo = fv_read(f, FV_COMMON(device_feature), 4);
	fv_write(f, FV_COMMON(device_feature_select), 1, 4);
	hi = fv_read(f, FV_COMMON(device_feature), 4);
	return lo | hi << 32;
}

static inline uint64_t fv_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * Reset, ACKNOWLEDGE, DRIVER, the device's features filtered by @p (the
 * transport's EVENT_IDX/INDIRECT and @device_bit), FEATURES_OK, queues
 * 0..nr_queues-1 of 2^(1 + qsize_log2 % 8) entries (capped at the
 * device's maximum) packed from guest address 0, DRIVER_OK.  Returns
 * whether the device took it all (it may still set DEVICE_NEEDS_RESET: the
 * rings already hold what the fuzzer wrote).
 */
static inline bool fv_bringup(struct fv *f, const struct fv_plan *p, unsigned int nr_queues,
			      unsigned int device_bit)
{
	uint64_t want = 1ull << VIRTIO_F_VERSION_1, feat, base = 0;

	if (p->flags & FV_EVENT_IDX)
		want |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (p->flags & FV_INDIRECT)
		want |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (p->flags & FV_DEVICE_FEATURE)
		want |= 1ull << device_bit;
	feat = fv_device_features(f) & want;
	fv_write(f, FV_COMMON(device_status), 0, 1);
	fv_write(f, FV_COMMON(device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	fv_write(f, FV_COMMON(device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
		 1);
	fv_write(f, FV_COMMON(guest_feature_select), 0, 4);
	fv_write(f, FV_COMMON(guest_feature), (uint32_t)feat, 4);
	fv_write(f, FV_COMMON(guest_feature_select), 1, 4);
	fv_write(f, FV_COMMON(guest_feature), feat >> 32, 4);
	fv_write(f, FV_COMMON(device_status),
		 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
		 1);
	fv_write(f, FV_COMMON(msix_config), 0, 2);
	for (unsigned int q = 0; q < nr_queues; q++) {
		uint64_t max, qs, desc, avail, used;

		fv_write(f, FV_COMMON(queue_select), q, 2);
		max = fv_read(f, FV_COMMON(queue_size), 2);
		qs = 1ull << (1 + p->qsize_log2 % 8);
		if (qs > max)
			qs = max;
		desc = base;
		avail = desc + 16 * qs;
		used = fv_align(avail + 6 + 2 * qs, 4);
		base = fv_align(used + 6 + 8 * qs, 16);
		fv_write(f, FV_COMMON(queue_size), qs, 2);
		fv_write(f, FV_COMMON(queue_msix_vector), q + 1, 2);
		fv_write(f, FV_COMMON(queue_desc_lo), (uint32_t)desc, 4);
		fv_write(f, FV_COMMON(queue_desc_hi), desc >> 32, 4);
		fv_write(f, FV_COMMON(queue_avail_lo), (uint32_t)avail, 4);
		fv_write(f, FV_COMMON(queue_avail_hi), avail >> 32, 4);
		fv_write(f, FV_COMMON(queue_used_lo), (uint32_t)used, 4);
		fv_write(f, FV_COMMON(queue_used_hi), used >> 32, 4);
		fv_write(f, FV_COMMON(queue_enable), 1, 2);
	}
	f->ring_end = base;
	fv_write(f, FV_COMMON(device_status), FV_STATUS_OK, 1);
	return (fv_read(f, FV_COMMON(device_status), 1) & FV_STATUS_OK) == FV_STATUS_OK;
}

/* Kick queue @q as a trapped notify write would. */
static inline void fv_kick(struct fv *f, unsigned int q)
{
	fv_write(f, VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * q, q, 2);
}

/* The driver "posts" more: its available index of queue @q moves by @n. */
static inline void fv_bump_avail(struct fv *f, unsigned int q, uint16_t n)
{
	struct vring_avail *a = guest_mem_ptr(&f->mem, f->vp->q[q].avail, 4);

	if (a)
		a->idx = (uint16_t)(a->idx + n);
}

#endif
