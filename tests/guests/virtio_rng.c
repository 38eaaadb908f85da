// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drives a virtio-rng (modern PCI, 1af4:1044) queue and takes its MSI-X
 * interrupt: BARs placed by the guest, MSI-X vector 0 -> LAPIC vector
 * 0x40, one device-writable descriptor, notify, then wait for the
 * interrupt handler to see the used ring move.  Prints what it got and
 * leaves through an i8042 reset; failures leave through debug-exit 2.
 */
#include "virtio_guest.h"

#define VEC 0x40
#define LAPIC 0xFEE00000UL
#define RING 0x90000UL /* desc 0x90000, avail 0x91000, used 0x92000 */
#define BUF 0x93000UL
#define QSZ 4

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_gate idt[256];
static volatile uint32_t irq_count;

struct interrupt_frame;

__attribute__((interrupt)) static void msix_handler(struct interrupt_frame *f)
{
	(void)f;
	irq_count++;
	mmio_w32(LAPIC + 0xb0, 0); /* EOI */
}

static void idt_setup(void)
{
	uint64_t h = (uint64_t)msix_handler;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = {sizeof(idt) - 1, (uint64_t)idt};

	idt[VEC] = (struct idt_gate){(uint16_t)h,	  0x18, 0, 0x8e, (uint16_t)(h >> 16),
				     (uint32_t)(h >> 32), 0};
	__asm__ volatile("lidt %0" : : "m"(d));
}

void guest_main(void)
{
	struct virtio_pci v;
	uint64_t common, notify;
	unsigned int slot, mx;
	volatile uint16_t *avail = (uint16_t *)(RING + 0x1000);
	volatile uint16_t *used = (uint16_t *)(RING + 0x2000);
	volatile uint64_t *desc = (uint64_t *)RING;
	uint16_t qsz;
	uint8_t *buf = (uint8_t *)BUF;
	int nonzero = 0;

	puts_serial("vfvm-guest: virtio-rng + MSI-X test\n");
	virtio_pci_probe(&v, 0x10441af4, "no virtio-rng (1af4:1044) on bus 0",
			 VIRTIO_CAP_COMMON | VIRTIO_CAP_NOTIFY | VIRTIO_CAP_ISR);
	slot = v.slot;
	common = v.common;

	mx = cap_find(slot, 0x11, 0);
	if (!mx)
		fail("no MSI-X capability");

	/* LAPIC on, IDT ready, MSI-X vector 0 -> CPU 0 vector VEC */
	idt_setup();
	mmio_w32(LAPIC + 0xf0, 0x1ff);
	{
		uint32_t tbl = cfg_r32(slot, mx + 4);
		uint64_t t = v.bar[tbl & 7] + (tbl & ~7u);

		/* enable with all vectors masked by the function mask while programming */
		cfg_w32(slot, mx, cfg_r32(slot, mx) | (0xc000u << 16));
		mmio_w32(t + 0, 0xfee00000);
		mmio_w32(t + 4, 0);
		mmio_w32(t + 8, VEC);
		mmio_w32(t + 12, 0); /* unmask vector 0 */
		cfg_w32(slot, mx, (cfg_r32(slot, mx) & ~(0x4000u << 16)) | (0x8000u << 16));
	}
	__asm__ volatile("sti");

	/* virtio 1.x init (common config offsets from the spec) */
	virtio_reset(common);
	virtio_acknowledge(common);
	mmio_w32(common + 0, 1); /* device feature select: bits 32-63 */
	if (!(mmio_r32(common + 4) & 1))
		fail("device does not offer VIRTIO_F_VERSION_1");
	virtio_set_features(common, 0); /* VERSION_1 only */
	mmio_w16(common + 16, 0xffff); /* config change: no vector */
	mmio_w16(common + 22, 0); /* queue_select */
	qsz = mmio_r16(common + 24);
	if (!qsz)
		fail("queue 0 has size 0");
	if (qsz > QSZ)
		qsz = QSZ;
	mmio_w16(common + 24, qsz);
	mmio_w16(common + 26, 0); /* queue_msix_vector = 0 */
	if (mmio_r16(common + 26) != 0)
		fail("device refused MSI-X vector 0 for queue 0");
	virtio_queue_rings(common, RING);
	notify = virtio_queue_notify(&v);
	mmio_w16(common + 28, 1); /* queue_enable */
	mmio_w8(common + 20, 3 | 8 | 4); /* DRIVER_OK */

	for (int i = 0; i < 16; i++)
		buf[i] = 0;
	desc[0] = BUF;
	desc[1] = 16 | (2ULL << 32); /* len 16, flags VIRTQ_DESC_F_WRITE */
	avail[0] = 0;
	avail[2] = 0; /* ring[0] = desc 0 */
	__asm__ volatile("mfence" ::: "memory");
	avail[1] = 1; /* idx */
	__asm__ volatile("mfence" ::: "memory");
	mmio_w16(notify, 0);

	for (unsigned long spin = 0; !irq_count && spin < 200000000UL; spin++)
		__asm__ volatile("pause");
	if (!irq_count)
		fail("no MSI-X interrupt after the notify");
	if (used[1] != 1)
		fail("used ring did not advance");
	puts_serial("vfvm-guest: msix interrupt on vector 0x40, count ");
	put_dec(irq_count);
	puts_serial("\nvfvm-guest: used len ");
	put_dec(*(volatile uint32_t *)(RING + 0x2000 + 8));
	puts_serial(" bytes:");
	for (int i = 0; i < 16; i++) {
		putc_serial(' ');
		put_hex(buf[i], 2);
		nonzero += buf[i] != 0;
	}
	putc_serial('\n');
	if (!nonzero)
		fail("random bytes are all zero");
	puts_serial("vfvm-guest: virtio-rng ok\n");
	exit_i8042_reset();
}
