/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny virtio driver for unit tests: fake guest RAM, register accesses
 * through virtio_pci_bar_access() (as the MMIO bus would make them) and
 * split-ring buffers posted the way Linux posts them.  Header-only so each
 * test_virtio_*.c program stays one file plus this.
 */
#ifndef TEST_VIRTIO_DRIVER_H
#define TEST_VIRTIO_DRIVER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio_pci.h"

#define TD_RAM_SIZE 0x200000ull
#define TD_DATA_GPA 0x100000ull /* buffers from here */

struct td_queue {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t next_desc; /* bump allocator over descriptors */
	uint16_t avail_idx;
	uint16_t used_seen;
};

struct td {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_pci *vp;
	struct td_queue q[VIRTIO_PCI_MAX_QUEUES];
	uint64_t data_next;
	unsigned int irqs[VIRTIO_PCI_MAX_QUEUES + 1]; /* signals per vector */
};

struct td_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

static inline int td_setup(struct td *t)
{
	memset(t, 0, sizeof(*t));
	t->ram = calloc(1, TD_RAM_SIZE);
	if (!t->ram)
		return -1;
	t->mem.region[0] = (struct guest_mem_region){.gpa = 0, .size = TD_RAM_SIZE, .hva = t->ram};
	t->mem.nr_regions = 1;
	t->mem.memfd = -1;
	t->data_next = TD_DATA_GPA;
	return 0;
}

static inline void td_teardown(struct td *t)
{
	free(t->ram);
}

static inline void *td_ptr(struct td *t, uint64_t gpa)
{
	return t->ram + gpa;
}

static inline uint64_t td_alloc(struct td *t, uint32_t len)
{
	uint64_t g = t->data_next;

	t->data_next += (len + 15) & ~15u;
	return g;
}

static inline uint64_t td_read(struct td *t, uint64_t off, uint32_t len)
{
	uint8_t b[8] = {0};
	uint64_t v = 0;

	virtio_pci_bar_access(t->vp, off, b, len, false);
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static inline void td_write(struct td *t, uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t b[8];

	for (uint32_t i = 0; i < len; i++)
		b[i] = v >> (8 * i);
	virtio_pci_bar_access(t->vp, off, b, len, true);
}

#define TD_COMMON(field) (VPCI_COMMON_OFF + offsetof(struct virtio_pci_common_cfg, field))

static inline uint64_t td_device_features(struct td *t)
{
	uint64_t f;

	td_write(t, TD_COMMON(device_feature_select), 0, 4);
	f = td_read(t, TD_COMMON(device_feature), 4);
	td_write(t, TD_COMMON(device_feature_select), 1, 4);
	return f | td_read(t, TD_COMMON(device_feature), 4) << 32;
}

static inline void td_set_features(struct td *t, uint64_t f)
{
	td_write(t, TD_COMMON(guest_feature_select), 0, 4);
	td_write(t, TD_COMMON(guest_feature), (uint32_t)f, 4);
	td_write(t, TD_COMMON(guest_feature_select), 1, 4);
	td_write(t, TD_COMMON(guest_feature), f >> 32, 4);
}

static inline uint8_t td_status(struct td *t)
{
	return td_read(t, TD_COMMON(device_status), 1);
}

static inline void td_set_status(struct td *t, uint8_t s)
{
	td_write(t, TD_COMMON(device_status), s, 1);
}

/* Set up queue @q with @size entries and vector @vec (not yet enabled). */
static inline void td_queue_setup(struct td *t, unsigned int q, uint16_t size, uint16_t vec)
{
	struct td_queue *tq = &t->q[q];

	tq->size = size;
	tq->desc = 0x10000ull * (q + 1);
	tq->avail = tq->desc + 0x4000;
	tq->used = tq->desc + 0x8000;
	td_write(t, TD_COMMON(queue_select), q, 2);
	td_write(t, TD_COMMON(queue_size), size, 2);
	td_write(t, TD_COMMON(queue_msix_vector), vec, 2);
	/* Two 32-bit halves, as Linux writes them. */
	td_write(t, TD_COMMON(queue_desc_lo), (uint32_t)tq->desc, 4);
	td_write(t, TD_COMMON(queue_desc_hi), tq->desc >> 32, 4);
	td_write(t, TD_COMMON(queue_avail_lo), (uint32_t)tq->avail, 4);
	td_write(t, TD_COMMON(queue_avail_hi), tq->avail >> 32, 4);
	td_write(t, TD_COMMON(queue_used_lo), (uint32_t)tq->used, 4);
	td_write(t, TD_COMMON(queue_used_hi), tq->used >> 32, 4);
}

static inline void td_queue_enable(struct td *t, unsigned int q)
{
	td_write(t, TD_COMMON(queue_select), q, 2);
	td_write(t, TD_COMMON(queue_enable), 1, 2);
}

/*
 * Full Linux-like bring-up: reset, ACK, DRIVER, features (@want & offered),
 * FEATURES_OK, every queue set up and enabled (queue i -> vector i + 1,
 * config -> vector 0), DRIVER_OK.  Returns the status read back.
 */
static inline uint8_t td_bringup(struct td *t, uint64_t want, unsigned int nr_queues,
				 uint16_t qsize)
{
	uint64_t f = td_device_features(t) & want;

	td_set_status(t, 0);
	td_set_status(t, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	td_set_status(t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	td_set_features(t, f);
	td_set_status(t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				 VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(td_status(t) & VIRTIO_CONFIG_S_FEATURES_OK))
		return td_status(t);
	td_write(t, TD_COMMON(msix_config), 0, 2);
	for (unsigned int q = 0; q < nr_queues; q++) {
		td_queue_setup(t, q, qsize, q + 1);
		td_queue_enable(t, q);
	}
	td_set_status(t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return td_status(t);
}

/* Post a chain of @n buffers on queue @q (not kicked); returns the head. */
static inline uint16_t td_post(struct td *t, unsigned int q, const struct td_buf *b, unsigned int n)
{
	struct td_queue *tq = &t->q[q];
	struct vring_desc *d = td_ptr(t, tq->desc);
	struct vring_avail *a = td_ptr(t, tq->avail);
	uint16_t head = tq->next_desc % tq->size;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (head + i) % tq->size;

		d[idx].addr = b[i].gpa;
		d[idx].len = b[i].len;
		d[idx].flags =
			(b[i].write ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		d[idx].next = (idx + 1) % tq->size;
	}
	tq->next_desc += n;
	a->ring[tq->avail_idx % tq->size] = head;
	tq->avail_idx++;
	__atomic_store_n(&a->idx, tq->avail_idx, __ATOMIC_RELEASE);
	return head;
}

/* Kick queue @q the way a trapped MMIO write would. */
static inline void td_kick(struct td *t, unsigned int q)
{
	td_write(t, VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * q, q, 2);
}

/* Next completed request on queue @q: returns 1 with head/len, 0 if none. */
static inline int td_used(struct td *t, unsigned int q, uint16_t *head, uint32_t *len)
{
	struct td_queue *tq = &t->q[q];
	struct vring_used *u = td_ptr(t, tq->used);

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == tq->used_seen)
		return 0;
	*head = u->ring[tq->used_seen % tq->size].id;
	*len = u->ring[tq->used_seen % tq->size].len;
	tq->used_seen++;
	return 1;
}

#endif
