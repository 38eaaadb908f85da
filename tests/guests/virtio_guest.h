/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every virtio guest program does the same way: find the modern
 * virtio-PCI function, place its BARs, locate its configuration structures,
 * reset it and negotiate features.  Offsets are those of the virtio 1.x
 * common configuration structure.
 */
#ifndef GUEST_VIRTIO_GUEST_H
#define GUEST_VIRTIO_GUEST_H

#include "pci.h"

#define VIRTIO_CAP_COMMON (1u << 1)
#define VIRTIO_CAP_NOTIFY (1u << 2)
#define VIRTIO_CAP_ISR (1u << 3)
#define VIRTIO_CAP_DEVICE (1u << 4)

struct virtio_pci {
	unsigned int slot;
	uint64_t bar[6];
	uint64_t common, notify, isr, devcfg; /* 0 when the device has none */
	uint32_t notify_mult;
};

/* "vfvm-guest: FAIL: @why" on the console, then debug-exit 2. */
void __attribute__((noreturn)) fail(const char *why);

/*
 * Find device @devid (vendor 1af4 in the low half) on bus 0 - failing with
 * @missing when absent - place its BARs and read its virtio capabilities;
 * fails unless every structure in @need (VIRTIO_CAP_*) is present.
 */
void virtio_pci_probe(struct virtio_pci *v, uint32_t devid, const char *missing, unsigned int need);
/* Write status 0 and wait until the device reads back reset. */
void virtio_reset(uint64_t common);
/* ACKNOWLEDGE, then DRIVER. */
void virtio_acknowledge(uint64_t common);
/* Driver features: @lo for bits 0-31, VERSION_1 only above; then FEATURES_OK. */
void virtio_set_features(uint64_t common, uint32_t lo);
/* Descriptor table, avail and used rings of the selected queue at @ring + 0, 4K, 8K. */
void virtio_queue_rings(uint64_t common, uint64_t ring);
/* Notify address of the selected queue. */
uint64_t virtio_queue_notify(const struct virtio_pci *v);
/* DRIVER_OK, failing if the device does not take it. */
void virtio_driver_ok(uint64_t common);
/*
 * Queue at @ring with @qsz entries: publish @head as the next avail entry
 * (*avail_idx counts them), notify at @notify and poll the used index,
 * failing with @why after @spins.  Returns the length the device reported.
 */
uint32_t virtq_submit(uint64_t ring, uint16_t qsz, uint16_t *avail_idx, uint16_t head,
		      uint64_t notify, unsigned long spins, const char *why);

#endif
