// SPDX-License-Identifier: GPL-2.0-only
/* vfvm PCI host bridge: config space, BAR sizing/allocation/activation, MSI-X. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/kvm.h>
#include <unistd.h>

#include "msix.h"
#include "pci.h"

/* Fake KVM for the irqfd mode: counts routing commits and irqfd (de)assigns. */
static struct {
	int commits, assigns, deassigns;
	unsigned int last_gsi;
	int last_fd;
	uint32_t last_data;
} fk;

static int fake_kvm(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (req == KVM_SET_GSI_ROUTING) {
		struct kvm_irq_routing *t = arg;

		fk.commits++;
		for (unsigned int i = 0; i < t->nr; i++)
			if (t->entries[i].type == KVM_IRQ_ROUTING_MSI)
				fk.last_data = t->entries[i].u.msi.data;
	} else if (req == KVM_IRQFD) {
		struct kvm_irqfd *f = arg;

		if (f->flags & KVM_IRQFD_FLAG_DEASSIGN)
			fk.deassigns++;
		else
			fk.assigns++;
		fk.last_gsi = f->gsi;
		fk.last_fd = (int)f->fd;
	}
	return 0;
}

static const struct irq_kvm_ops fake_ops = {.ioctl = fake_kvm};

struct fx {
	struct bus pio, mmio;
	struct pci_host h;
	struct pci_dev d, d2;
	struct msix m;
	int released;
	int bar0_hits, bar2_hits, io_hits;
	uint64_t last_off;
	unsigned int changed[8];
};

static void bar0_fn(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct fx *f = o;

	f->bar0_hits++;
	f->last_off = off;
	if (!w)
		memset(data, 0xab, len);
}

static void bar2_fn(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct fx *f = o;

	f->bar2_hits++;
	f->last_off = off;
	if (!w)
		memset(data, 0xcd, len);
}

static void io_fn(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct fx *f = o;

	(void)off;
	f->io_hits++;
	if (!w)
		memset(data, 0x11, len);
}

static void vec_changed(struct msix *m, unsigned int vec, void *opaque)
{
	struct fx *f = opaque;

	(void)m;
	if (vec < 8)
		f->changed[vec]++;
}

static uint32_t cfg32(struct fx *f, unsigned int slot, uint32_t off)
{
	uint8_t b[4];

	pci_cfg_access(&f->h, 0, slot, 0, off, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wcfg32(struct fx *f, unsigned int slot, uint32_t off, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	pci_cfg_access(&f->h, 0, slot, 0, off, b, 4, true);
}

static uint32_t mmio32(struct bus *b, uint64_t a, bool *hit)
{
	uint8_t d[4];

	*hit = bus_dispatch(b, a, d, 4, false);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct errinfo e = {0};

	assert_int_equal(bus_init(&f->pio, "pio"), 0);
	assert_int_equal(bus_init(&f->mmio, "mmio"), 0);
	assert_int_equal(
		pci_host_init(&f->h, NULL, &f->pio, &f->mmio, 0x400000000ULL, 1ULL << 34, &e), 0);
	pci_dev_init(&f->d, "testdev", 0x1234, 0x5678, 0x020000, 1, 0x1af4, 0x1100);
	assert_int_equal(pci_bar_declare(&f->d, 0, 0x4000, 0, bar0_fn, f, &e), 0);
	assert_int_equal(pci_bar_declare(&f->d, 2, 1 << 20, PCI_BARF_MEM64 | PCI_BARF_PREFETCH,
					 bar2_fn, f, &e),
			 0);
	assert_int_equal(pci_bar_declare(&f->d, 4, 32, PCI_BARF_IO, io_fn, f, &e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->m.vec)
		msix_exit(&f->m);
	pci_host_exit(&f->h);
	bus_exit(&f->pio);
	bus_exit(&f->mmio);
	free(f);
	return 0;
}

static void bad_bar_declarations(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};

	assert_int_equal(pci_bar_declare(&f->d, 1, 0x3000, 0, NULL, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "size 0x3000"));
	assert_int_equal(pci_bar_declare(&f->d, 3, 0x1000, 0, NULL, NULL, &e), -EBUSY);
	assert_int_equal(pci_bar_declare(&f->d, 5, 0x1000, PCI_BARF_MEM64, NULL, NULL, &e),
			 -EINVAL);
	assert_int_equal(pci_bar_declare(&f->d, 1, 512, PCI_BARF_IO, NULL, NULL, &e), -EINVAL);
}

static void registration_assigns_bars(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	uint32_t b0, b2lo, b2hi, b4;

	assert_int_equal(pci_dev_register(&f->h, &f->d, -1, &e), 0);
	assert_int_equal(f->d.slot, 1);
	assert_int_equal(cfg32(f, 1, 0), 0x56781234);
	assert_int_equal(cfg32(f, 1, 8) >> 8, 0x020000);
	b0 = cfg32(f, 1, 0x10);
	b2lo = cfg32(f, 1, 0x18);
	b2hi = cfg32(f, 1, 0x1c);
	b4 = cfg32(f, 1, 0x20);
	/* 32-bit BAR in the 32-bit window, naturally aligned */
	assert_true(b0 >= PCI_MMIO32_BASE && b0 < PCI_MMIO32_BASE + PCI_MMIO32_SIZE);
	assert_int_equal(b0 & 0x3fff, 0);
	/* 64-bit prefetchable BAR in the 64-bit window */
	assert_int_equal(b2lo & 0xf, 0xc);
	assert_int_equal(((uint64_t)b2hi << 32 | (b2lo & ~0xfu)), 0x400000000ULL);
	/* I/O BAR */
	assert_int_equal(b4 & 3, 1);
	assert_true((b4 & ~3u) >= PCI_PIO_BASE);
	/* empty slot and other functions read all-ones */
	assert_int_equal(cfg32(f, 2, 0), 0xffffffff);
	{
		uint8_t b[4];

		pci_cfg_access(&f->h, 0, 1, 1, 0, b, 4, false);
		assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
	}
	/* second device gets the next slot; an explicit taken slot is refused */
	pci_dev_init(&f->d2, "second", 0x1234, 1, 0, 0, 0, 0);
	assert_int_equal(pci_dev_register(&f->h, &f->d2, 1, &e), -ENOSPC);
	assert_int_equal(pci_dev_register(&f->h, &f->d2, -1, &e), 0);
	assert_int_equal(f->d2.slot, 2);
}

static void bar_sizing_and_readonly_ids(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	uint32_t orig;

	assert_int_equal(pci_dev_register(&f->h, &f->d, 3, &e), 0);
	orig = cfg32(f, 3, 0x10);
	wcfg32(f, 3, 0x10, 0xffffffff);
	assert_int_equal(cfg32(f, 3, 0x10), ~(0x4000u - 1));
	wcfg32(f, 3, 0x10, orig);
	assert_int_equal(cfg32(f, 3, 0x10), orig);
	/* 64-bit: low dword keeps type bits, high dword all ones for 1 MiB */
	wcfg32(f, 3, 0x18, 0xffffffff);
	wcfg32(f, 3, 0x1c, 0xffffffff);
	assert_int_equal(cfg32(f, 3, 0x18), 0xfff0000c);
	assert_int_equal(cfg32(f, 3, 0x1c), 0xffffffff);
	/* I/O BAR of 32 bytes */
	wcfg32(f, 3, 0x20, 0xffffffff);
	assert_int_equal(cfg32(f, 3, 0x20), 0xffffffe1);
	/* unused BAR reads zero whatever is written */
	wcfg32(f, 3, 0x14, 0xffffffff);
	assert_int_equal(cfg32(f, 3, 0x14), 0);
	/* vendor/device and class are read-only */
	wcfg32(f, 3, 0, 0);
	wcfg32(f, 3, 8, 0);
	assert_int_equal(cfg32(f, 3, 0), 0x56781234);
	assert_int_equal(cfg32(f, 3, 8) >> 8, 0x020000);
}

static void decode_moves_and_disables_bars(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	uint32_t b0;
	bool hit;
	uint8_t d[2];

	assert_int_equal(pci_dev_register(&f->h, &f->d, 1, &e), 0);
	b0 = cfg32(f, 1, 0x10);
	/* decode off: nothing mapped */
	mmio32(&f->mmio, b0, &hit);
	assert_false(hit);
	/* memory decode on: BAR0 and BAR2 reach the device, I/O does not */
	wcfg32(f, 1, 4, 2);
	assert_int_equal(mmio32(&f->mmio, b0 + 0x10, &hit), 0xabababab);
	assert_true(hit);
	assert_int_equal(f->last_off, 0x10);
	assert_int_equal(mmio32(&f->mmio, 0x400000000ULL + 8, &hit), 0xcdcdcdcd);
	assert_true(hit);
	assert_false(bus_dispatch(&f->pio, cfg32(f, 1, 0x20) & ~3u, d, 1, false));
	/* I/O decode on too */
	wcfg32(f, 1, 4, 3);
	assert_true(bus_dispatch(&f->pio, cfg32(f, 1, 0x20) & ~3u, d, 1, false));
	assert_int_equal(f->io_hits, 1);
	/* the guest moves BAR0 while decoding: old address gone, new one live */
	wcfg32(f, 1, 0x10, 0xd0000000);
	mmio32(&f->mmio, b0, &hit);
	assert_false(hit);
	assert_int_equal(mmio32(&f->mmio, 0xd0000000 + 4, &hit), 0xabababab);
	assert_true(hit);
	assert_true(f->d.bar[0].active);
	assert_int_equal(f->d.bar[0].addr, 0xd0000000);
	/* sizing pattern left in place is not decoded */
	wcfg32(f, 1, 0x10, 0xffffffff);
	assert_false(f->d.bar[0].active);
	wcfg32(f, 1, 0x10, 0xd0000000);
	assert_true(f->d.bar[0].active);
	/* a 64-bit BAR left at its sizing value (all ones) is unassigned too */
	wcfg32(f, 1, 0x18, 0xffffffff);
	wcfg32(f, 1, 0x1c, 0xffffffff);
	assert_int_equal(cfg32(f, 1, 0x1c), 0xffffffff);
	assert_false(f->d.bar[2].active);
	mmio32(&f->mmio, 0xfffffffffff00000ULL, &hit);
	assert_false(hit);
	wcfg32(f, 1, 0x18, 0);
	wcfg32(f, 1, 0x1c, 4);
	assert_true(f->d.bar[2].active);
	/* decode off: all gone */
	wcfg32(f, 1, 4, 0);
	mmio32(&f->mmio, 0xd0000000, &hit);
	assert_false(hit);
	assert_false(f->d.bar[2].active);
	assert_false(f->d.bar[4].active);
}

static void config_through_ecam_and_cf8(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	uint8_t d[4];
	uint32_t addr = 0x80000000u | (1u << 11) | 0x00;

	assert_int_equal(pci_dev_register(&f->h, &f->d, 1, &e), 0);
	/* ECAM: bus 0, device 1 */
	assert_true(bus_dispatch(&f->mmio, PCI_ECAM_BASE + (1 << 15), d, 4, false));
	assert_int_equal(d[0] | d[1] << 8, 0x1234);
	/* misaligned ECAM access reads all-ones */
	assert_true(bus_dispatch(&f->mmio, PCI_ECAM_BASE + (1 << 15) + 1, d, 2, false));
	assert_int_equal(d[0] & d[1], 0xff);
	/* CF8/CFC */
	memcpy(d, &addr, 4);
	assert_true(bus_dispatch(&f->pio, 0xcf8, d, 4, true));
	assert_true(bus_dispatch(&f->pio, 0xcfe, d, 2, false));
	assert_int_equal(d[0] | d[1] << 8, 0x5678);
	/* enable bit clear: all-ones */
	addr &= ~0x80000000u;
	memcpy(d, &addr, 4);
	bus_dispatch(&f->pio, 0xcf8, d, 4, true);
	bus_dispatch(&f->pio, 0xcfc, d, 4, false);
	assert_int_equal(d[0] & d[1] & d[2] & d[3], 0xff);
}

static void capability_chain(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	uint8_t body[8] = {0};
	int a, b;

	a = pci_cap_add(&f->d, 0x09, body, 5, &e);
	b = pci_cap_add(&f->d, 0x05, body, 8, &e);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x48);
	assert_int_equal(f->d.cfg[0x34], 0x40);
	assert_int_equal(f->d.cfg[0x41], 0x48);
	assert_int_equal(f->d.cfg[0x49], 0);
	assert_int_equal(f->d.cfg[6] & 0x10, 0x10);
	assert_int_equal(pci_cap_add(&f->d, 0x09, body, 0xc0, &e), -ENOSPC);
}

static void msix_table_and_masks(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	uint8_t d[8];
	uint32_t v;
	struct msi_msg msg;

	assert_int_equal(msix_init(&f->m, &f->d, 4, 0, 0x2000, 0, 0x3000, vec_changed, f, &e), 0);
	assert_int_equal(pci_dev_register(&f->h, &f->d, 1, &e), 0);
	/* capability: table size 4 (N-1 = 3), BIR/offsets */
	v = cfg32(f, 1, f->m.cap);
	assert_int_equal(v & 0xff, 0x11);
	assert_int_equal((v >> 16) & 0x7ff, 3);
	assert_int_equal(cfg32(f, 1, f->m.cap + 4), 0x2000);
	assert_int_equal(cfg32(f, 1, f->m.cap + 8), 0x3000);
	/* vectors start masked; table write of the message */
	v = 0xfee00000;
	memcpy(d, &v, 4);
	msix_table_access(&f->m, 16 * 1 + 0, d, 4, true);
	v = 0x41;
	memcpy(d, &v, 4);
	msix_table_access(&f->m, 16 * 1 + 8, d, 4, true);
	assert_int_equal(f->changed[1], 2);
	assert_false(msix_vector_deliverable(&f->m, 1));
	/* unmask vector 1: still not deliverable until MSI-X is enabled */
	v = 0;
	memcpy(d, &v, 4);
	msix_table_access(&f->m, 16 * 1 + 12, d, 4, true);
	assert_false(msix_vector_deliverable(&f->m, 1));
	/* enable through config space: every vector is told */
	wcfg32(f, 1, f->m.cap, cfg32(f, 1, f->m.cap) | 0x80000000u);
	assert_true(f->m.enabled);
	assert_true(msix_vector_deliverable(&f->m, 1));
	assert_false(msix_vector_deliverable(&f->m, 0));
	assert_int_equal(f->changed[0], 1);
	msix_vector_msg(&f->m, 1, &msg);
	assert_int_equal(msg.addr_lo, 0xfee00000);
	assert_int_equal(msg.data, 0x41);
	/* function mask */
	wcfg32(f, 1, f->m.cap, cfg32(f, 1, f->m.cap) | 0x40000000u);
	assert_false(msix_vector_deliverable(&f->m, 1));
	/* the same value again changes nothing: no callback */
	{
		unsigned int before = f->changed[1];

		wcfg32(f, 1, f->m.cap, cfg32(f, 1, f->m.cap));
		v = 0x41;
		memcpy(d, &v, 4);
		msix_table_access(&f->m, 16 * 1 + 8, d, 4, true);
		assert_int_equal(f->changed[1], before);
	}
	/* reserved control bits read as zero; read back the entry */
	v = 0xfffffffe;
	memcpy(d, &v, 4);
	msix_table_access(&f->m, 16 * 2 + 12, d, 4, true);
	msix_table_access(&f->m, 16 * 2 + 12, d, 4, false);
	memcpy(&v, d, 4);
	assert_int_equal(v, 0);
	/* out of range, misaligned and odd-sized accesses are ignored / all-ones */
	msix_table_access(&f->m, 16 * 4, d, 4, false);
	assert_int_equal(d[0] & d[3], 0xff);
	msix_table_access(&f->m, 2, d, 2, false);
	assert_int_equal(d[0] & d[1], 0xff);
	msix_table_access(&f->m, 16 * 3 + 2, d, 4, true);
	/* PBA: read-only, nothing pending */
	memset(d, 0xff, 8);
	msix_pba_access(&f->m, 0, d, 8, true);
	msix_pba_access(&f->m, 0, d, 8, false);
	assert_int_equal(d[0], 0);
	/* no irqfd mode: notify is refused */
	assert_int_equal(msix_notify(&f->m, 0), -EINVAL);
	assert_int_equal(msix_eventfd(&f->m, 0), -1);
}

static void wtable(struct msix *m, unsigned int vec, unsigned int word, uint32_t v)
{
	uint8_t d[4];

	memcpy(d, &v, 4);
	msix_table_access(m, 16 * vec + 4 * word, d, 4, true);
}

static void msix_irqfd_mode(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	struct irq_routing r;
	uint8_t pba[8];

	memset(&fk, 0, sizeof(fk));
	assert_int_equal(irq_routing_init(&r, 3, 64, true, &fake_ops, &e), 0);
	assert_int_equal(msix_init(&f->m, &f->d, 2, 0, 0x2000, 0, 0x3000, NULL, NULL, &e), 0);
	assert_int_equal(msix_irqfd_enable(&f->m, &r, &e), 0);
	assert_int_equal(pci_dev_register(&f->h, &f->d, 1, &e), 0);
	assert_true(msix_eventfd(&f->m, 0) >= 0);
	assert_true(msix_eventfd(&f->m, 1) >= 0);
	assert_int_equal(msix_eventfd(&f->m, 2), -1);
	/* program both vectors (still masked), then enable: one commit, two irqfds */
	wtable(&f->m, 0, 0, 0xfee00000);
	wtable(&f->m, 0, 2, 0x40);
	wtable(&f->m, 0, 3, 0);
	wtable(&f->m, 1, 0, 0xfee00000);
	wtable(&f->m, 1, 2, 0x41);
	wtable(&f->m, 1, 3, 0);
	assert_int_equal(fk.commits, 0);
	assert_int_equal(fk.assigns, 0);
	wcfg32(f, 1, f->m.cap, cfg32(f, 1, f->m.cap) | 0x80000000u);
	assert_int_equal(fk.commits, 1);
	assert_int_equal(fk.assigns, 2);
	/* retargeting vector 1: one commit, irqfd stays attached */
	wtable(&f->m, 1, 2, 0x51);
	assert_int_equal(fk.commits, 2);
	assert_int_equal(fk.last_data, 0x51);
	assert_int_equal(fk.assigns, 2);
	/* mask vector 0: irqfd detached; an event now is kept pending */
	wtable(&f->m, 0, 3, 1);
	assert_int_equal(fk.deassigns, 1);
	assert_int_equal(fk.last_fd, msix_eventfd(&f->m, 0));
	assert_int_equal(msix_notify(&f->m, 0), 0);
	msix_pba_access(&f->m, 0, pba, 8, false);
	assert_int_equal(pba[0], 1);
	/* unmask: the irqfd is re-attached; the event never left the eventfd (PBA reads poll) */
	wtable(&f->m, 0, 3, 0);
	assert_int_equal(fk.assigns, 3);
	msix_pba_access(&f->m, 0, pba, 8, false);
	assert_int_equal(pba[0], 0);
	{
		uint64_t cnt = 0;

		assert_int_equal(read(msix_eventfd(&f->m, 0), &cnt, sizeof(cnt)), sizeof(cnt));
		assert_int_equal(cnt, 1);
	}
	/* disable MSI-X: both detached */
	wcfg32(f, 1, f->m.cap, cfg32(f, 1, f->m.cap) & ~0x80000000u);
	assert_int_equal(fk.deassigns, 3);
	msix_exit(&f->m);
	irq_routing_exit(&r);
}

static void release_dev(struct pci_dev *d)
{
	struct fx *f = d->opaque;

	f->released++;
}

static void host_exit_releases_devices(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};

	f->d.opaque = f;
	f->d.release = release_dev;
	assert_int_equal(pci_dev_register(&f->h, &f->d, -1, &e), 0);
	pci_host_exit(&f->h);
	assert_int_equal(f->released, 1);
	/* the traps are gone with the host */
	{
		uint8_t d[4];

		assert_false(bus_dispatch(&f->mmio, PCI_ECAM_BASE, d, 4, false));
		assert_false(bus_dispatch(&f->pio, 0xcfc, d, 4, false));
	}
	/* teardown calls pci_host_exit again: make that a fresh host */
	assert_int_equal(
		pci_host_init(&f->h, NULL, &f->pio, &f->mmio, 0x400000000ULL, 1ULL << 34, &e), 0);
	assert_int_equal(f->released, 1);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(bad_bar_declarations),
		T(registration_assigns_bars),
		T(bar_sizing_and_readonly_ids),
		T(decode_moves_and_disables_bars),
		T(config_through_ecam_and_cf8),
		T(capability_chain),
		T(msix_table_and_masks),
		T(host_exit_releases_devices),
		T(msix_irqfd_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
