// SPDX-License-Identifier: GPL-2.0-only
#include "virtio_guest.h"

void __attribute__((noreturn)) fail(const char *why)
{
	puts_serial("vfvm-guest: FAIL: ");
	puts_serial(why);
	putc_serial('\n');
	exit_debug(2);
}

void virtio_pci_probe(struct virtio_pci *v, uint32_t devid, const char *missing, unsigned int need)
{
	uint64_t next = MMIO_WINDOW;
	unsigned int slot, p, have = 0;

	for (slot = 0; slot < 32; slot++)
		if (cfg_r32(slot, 0) == devid)
			break;
	if (slot == 32)
		fail(missing);
	v->slot = slot;
	v->common = v->notify = v->isr = v->devcfg = 0;
	v->notify_mult = 0;
	bars_assign(slot, &next, v->bar);
	for (p = cap_find(slot, 0x09, 0); p; p = cap_find(slot, 0x09, p)) {
		uint8_t type = mmio_r8(ecam(slot, p + 3)), b = mmio_r8(ecam(slot, p + 4));
		uint64_t a = v->bar[b] + cfg_r32(slot, p + 8);

		if (type == 1)
			v->common = a;
		else if (type == 2) {
			v->notify = a;
			v->notify_mult = cfg_r32(slot, p + 16);
		} else if (type == 3)
			v->isr = a;
		else if (type == 4)
			v->devcfg = a;
	}
	have |= v->common ? VIRTIO_CAP_COMMON : 0;
	have |= v->notify ? VIRTIO_CAP_NOTIFY : 0;
	have |= v->isr ? VIRTIO_CAP_ISR : 0;
	have |= v->devcfg ? VIRTIO_CAP_DEVICE : 0;
	if ((have & need) != need)
		fail("virtio capabilities missing");
}

void virtio_reset(uint64_t common)
{
	mmio_w8(common + 20, 0);
	while (mmio_r8(common + 20))
		;
}

void virtio_acknowledge(uint64_t common)
{
	mmio_w8(common + 20, 1);
	mmio_w8(common + 20, 3);
}

void virtio_set_features(uint64_t common, uint32_t lo)
{
	mmio_w32(common + 8, 0);
	mmio_w32(common + 12, lo);
	mmio_w32(common + 8, 1);
	mmio_w32(common + 12, 1); /* VERSION_1 */
	mmio_w8(common + 20, 3 | 8);
	if (!(mmio_r8(common + 20) & 8))
		fail("FEATURES_OK not accepted");
}

void virtio_queue_rings(uint64_t common, uint64_t ring)
{
	mmio_w64(common + 32, ring);
	mmio_w64(common + 40, ring + 0x1000);
	mmio_w64(common + 48, ring + 0x2000);
}

uint64_t virtio_queue_notify(const struct virtio_pci *v)
{
	return v->notify + (uint64_t)mmio_r16(v->common + 30) * v->notify_mult;
}

void virtio_driver_ok(uint64_t common)
{
	mmio_w8(common + 20, 3 | 8 | 4);
	if (mmio_r8(common + 20) != (3 | 8 | 4))
		fail("DRIVER_OK not accepted");
}

uint32_t virtq_submit(uint64_t ring, uint16_t qsz, uint16_t *avail_idx, uint16_t head,
		      uint64_t notify, unsigned long spins, const char *why)
{
	volatile uint16_t *avail = (uint16_t *)(ring + 0x1000);
	volatile uint16_t *used = (uint16_t *)(ring + 0x2000);
	uint16_t want = *avail_idx + 1;

	avail[2 + *avail_idx % qsz] = head;
	__asm__ volatile("mfence" ::: "memory");
	avail[1] = want;
	*avail_idx = want;
	__asm__ volatile("mfence" ::: "memory");
	mmio_w16(notify, 0);
	for (unsigned long spin = 0; used[1] != want; spin++) {
		if (spin > spins)
			fail(why);
		__asm__ volatile("pause");
	}
	return *(volatile uint32_t *)(ring + 0x2000 + 4 + 8 * ((want - 1) % qsz) + 4);
}
