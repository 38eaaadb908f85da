// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshots of the PCI host's view of a device (pci_snap.c) and of the
 * MSI-X model: a device brought to a non-trivial state by guest config
 * writes is saved, loaded into a fresh device on a fresh host, and must be
 * equal and decode where it did; hostile sections (wrong slot, another
 * device, BAR outside its window, truncated, reserved MSI-X bits) are
 * refused with the field named and nothing changed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msix.h"
#include "pci.h"
#include "snap_test.h"

#define SLOT 3
#define BAR0_AT 0xC0100000ULL /* 16 KiB, 32-bit window */
#define BAR2_AT 0x400200000ULL /* 1 MiB, 64-bit window */
#define BAR4_AT 0xD000u /* 32 ports */
#define PCI_PART_BARS (4 + PCI_CFG_SIZE) /* offset of the BAR records */
#define BAR_REC 21 /* u64 size, u32 flags, u64 addr, u8 active */

struct side {
	struct bus pio, mmio;
	struct pci_host h;
	struct pci_dev d;
	int bar0_hits;
	uint32_t loaded; /* what the device's load hook read */
	bool load_called;
};

struct fx {
	struct side a, b; /* saved from a, restored into b */
};

static void bar0_fn(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct side *s = o;

	(void)off;
	s->bar0_hits++;
	if (!w)
		memset(data, 0xab, len);
}

static void other_fn(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	(void)o;
	(void)off;
	if (!w)
		memset(data, 0, len);
}

static void dev_save(struct pci_dev *d, struct snap_out *o)
{
	(void)d;
	snap_put_u32(o, 0x5a5a1234);
}

static int dev_load(struct pci_dev *d, struct snap_sec *s, struct errinfo *e)
{
	struct side *sd = d->opaque;

	(void)e;
	sd->loaded = snap_get_u32(s);
	sd->load_called = true;
	return 0;
}

static void side_init(struct side *s, uint16_t device_id, int slot)
{
	struct errinfo e = {0};

	assert_int_equal(bus_init(&s->pio, "pio"), 0);
	assert_int_equal(bus_init(&s->mmio, "mmio"), 0);
	assert_int_equal(
		pci_host_init(&s->h, NULL, &s->pio, &s->mmio, 0x400000000ULL, 1ULL << 34, &e), 0);
	pci_dev_init(&s->d, "testdev", 0x1234, device_id, 0x020000, 1, 0x1af4, 0x1100);
	s->d.opaque = s;
	s->d.save = dev_save;
	s->d.load = dev_load;
	assert_int_equal(pci_bar_declare(&s->d, 0, 0x4000, 0, bar0_fn, s, &e), 0);
	assert_int_equal(pci_bar_declare(&s->d, 2, 1 << 20, PCI_BARF_MEM64 | PCI_BARF_PREFETCH,
					 other_fn, s, &e),
			 0);
	assert_int_equal(pci_bar_declare(&s->d, 4, 32, PCI_BARF_IO, other_fn, s, &e), 0);
	assert_int_equal(pci_dev_register(&s->h, &s->d, slot, &e), 0);
}

static void side_exit(struct side *s)
{
	pci_host_exit(&s->h);
	bus_exit(&s->pio);
	bus_exit(&s->mmio);
}

static void wcfg(struct side *s, uint32_t off, uint32_t v, uint32_t len)
{
	uint8_t b[4];

	st_put_le(b, v, 4);
	pci_cfg_access(&s->h, 0, (unsigned int)s->d.slot, 0, off, b, len, true);
}

/* What a guest's PCI code does: BARs moved, decode on, a few registers set. */
static void guest_programs(struct side *s)
{
	wcfg(s, PCI_BASE_ADDRESS_0, (uint32_t)BAR0_AT, 4);
	wcfg(s, PCI_BASE_ADDRESS_2, (uint32_t)BAR2_AT, 4);
	wcfg(s, PCI_BASE_ADDRESS_3, (uint32_t)(BAR2_AT >> 32), 4);
	wcfg(s, PCI_BASE_ADDRESS_4, BAR4_AT, 4);
	wcfg(s, PCI_LATENCY_TIMER, 0x40, 1);
	wcfg(s, PCI_INTERRUPT_LINE, 0x0b, 1);
	wcfg(s, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	/* read-only: must not change, and must not be taken from a snapshot either */
	wcfg(s, PCI_VENDOR_ID, 0xffff, 2);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	side_init(&f->a, 0x5678, SLOT);
	guest_programs(&f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	side_exit(&f->a);
	if (f->b.h.mmio)
		side_exit(&f->b);
	free(f);
	return 0;
}

static void save_a(struct fx *f, struct snap_out *o)
{
	st_begin(o, "pci-testdev");
	pci_host_save_dev(&f->a.h, &f->a.d, o);
	snap_end(o);
}

static void pci_state_restored_and_decoding(void **state)
{
	struct fx *f = *state;
	struct snap_out o;
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	uint64_t placed0;
	uint8_t d4[4];

	assert_true(f->a.d.bar[0].active && f->a.d.bar[0].addr == BAR0_AT);
	save_a(f, &o);
	side_init(&f->b, 0x5678, SLOT);
	placed0 = f->b.d.bar[0].addr;
	assert_int_not_equal(placed0, BAR0_AT);
	assert_int_equal(st_reopen(&o, &in, "pci-testdev", &s, &e), 0);
	assert_int_equal(pci_host_load_dev(&f->b.h, &f->b.d, s, "snap", &e), 0);
	assert_int_equal(snap_close(s, "snap", &e), 0);

	/* (a) the same state: config shadow byte for byte, BARs where they were */
	assert_memory_equal(f->a.d.cfg, f->b.d.cfg, PCI_CFG_SIZE);
	assert_int_equal(pci_cfg_r16(&f->b.d, PCI_VENDOR_ID), 0x1234);
	for (int i = 0; i <= PCI_ROM_BAR; i++) {
		assert_int_equal(f->b.d.bar[i].active, f->a.d.bar[i].active);
		if (f->a.d.bar[i].active)
			assert_int_equal(f->b.d.bar[i].addr, f->a.d.bar[i].addr);
	}
	assert_true(f->b.load_called);
	assert_int_equal(f->b.loaded, 0x5a5a1234);

	/* (b) it works there: the bus trap moved with the BAR */
	assert_true(bus_dispatch(&f->b.mmio, BAR0_AT + 8, d4, 4, false));
	assert_int_equal(d4[0], 0xab);
	assert_int_equal(f->b.bar0_hits, 1);
	assert_false(bus_dispatch(&f->b.mmio, placed0 + 8, d4, 4, false));
	assert_true(bus_dispatch(&f->b.pio, BAR4_AT, d4, 1, false));
	/* and the guest keeps driving it: decode off takes the BARs off the bus */
	wcfg(&f->b, PCI_COMMAND, 0, 2);
	assert_false(f->b.d.bar[0].active);
	assert_false(bus_dispatch(&f->b.mmio, BAR0_AT + 8, d4, 4, false));
	snap_in_free(&in);
	snap_out_free(&o);
}

/* Load a damaged copy into b; expect -EBADMSG naming @needle, b untouched. */
static void refused(struct fx *f, struct snap_sec *s, const char *needle)
{
	uint8_t before[PCI_CFG_SIZE];
	struct errinfo e = {0};

	memcpy(before, f->b.d.cfg, sizeof(before));
	assert_int_equal(pci_host_load_dev(&f->b.h, &f->b.d, s, "snap", &e), -EBADMSG);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
	assert_non_null(strstr(e.msg, "section 'dev'"));
	assert_memory_equal(before, f->b.d.cfg, sizeof(before));
	for (int i = 0; i <= PCI_ROM_BAR; i++)
		assert_false(f->b.d.bar[i].active);
	assert_false(f->b.load_called);
}

static void wrong_slot_refused(void **state)
{
	struct fx *f = *state;
	struct snap_out o;
	struct snap_sec s;
	uint8_t *p;

	save_a(f, &o);
	side_init(&f->b, 0x5678, SLOT + 1);
	st_raw(&o, &s, &p);
	refused(f, &s, "saved for PCI slot 3");
	free(p);
	snap_out_free(&o);
}

static void other_device_refused(void **state)
{
	struct fx *f = *state;
	struct snap_out o;
	struct snap_sec s;
	uint8_t *p;

	save_a(f, &o);
	side_init(&f->b, 0x9999, SLOT);
	st_raw(&o, &s, &p);
	refused(f, &s, "holds PCI device 1234:5678");
	free(p);
	snap_out_free(&o);
}

static void bar_outside_window_refused(void **state)
{
	struct fx *f = *state;
	struct snap_out o;
	struct snap_sec s;
	uint8_t *p;

	save_a(f, &o);
	side_init(&f->b, 0x5678, SLOT);
	st_raw(&o, &s, &p);
	/* BAR 0 register and its decode record both at 256 MiB: below the window */
	st_put_le(p + 4 + PCI_BASE_ADDRESS_0, 0x10000000, 4);
	st_put_le(p + PCI_PART_BARS + 12, 0x10000000, 8);
	refused(f, &s, "BAR 0 at 0x10000000 (16384 bytes) is outside the 32-bit MMIO window");
	free(p);
	snap_out_free(&o);
}

static void bar_record_mismatch_refused(void **state)
{
	struct fx *f = *state;
	struct snap_out o;
	struct snap_sec s;
	uint8_t *p;

	save_a(f, &o);
	side_init(&f->b, 0x5678, SLOT);
	st_raw(&o, &s, &p);
	/* BAR 2 declared 2 MiB in the snapshot: another device's layout */
	st_put_le(p + PCI_PART_BARS + 2 * BAR_REC, 2 << 20, 8);
	refused(f, &s, "BAR 2: 2097152 bytes");
	/* BAR 0 register with bits below its size: no guest write leaves that */
	st_put_le(p + PCI_PART_BARS + 2 * BAR_REC, 1 << 20, 8);
	st_put_le(p + 4 + PCI_BASE_ADDRESS_0, BAR0_AT | 0x100, 4);
	s.pos = 0;
	s.bad = false;
	refused(f, &s, "BAR 0 register 0xc0100100 has bits the device does not implement");
	free(p);
	snap_out_free(&o);
}

static void bar_range_taken_rolled_back(void **state)
{
	struct fx *f = *state;
	struct snap_out o;
	struct snap_sec s;
	struct errinfo e = {0};
	struct pci_dev other;
	uint8_t before[PCI_CFG_SIZE], b4[4];
	uint8_t *p;

	save_a(f, &o);
	side_init(&f->b, 0x5678, SLOT);
	/* another function on the restored host decodes where BAR 0 must go */
	pci_dev_init(&other, "other", 0x1234, 0x1111, 0x020000, 1, 0, 0);
	assert_int_equal(pci_bar_declare(&other, 0, 0x4000, 0, other_fn, NULL, &e), 0);
	assert_int_equal(pci_dev_register(&f->b.h, &other, 1, &e), 0);
	st_put_le(b4, BAR0_AT, 4);
	pci_cfg_access(&f->b.h, 0, 1, 0, PCI_BASE_ADDRESS_0, b4, 4, true);
	st_put_le(b4, PCI_COMMAND_MEMORY, 4);
	pci_cfg_access(&f->b.h, 0, 1, 0, PCI_COMMAND, b4, 2, true);
	assert_true(other.bar[0].active);
	memcpy(before, f->b.d.cfg, sizeof(before));
	st_raw(&o, &s, &p);
	assert_int_equal(pci_host_load_dev(&f->b.h, &f->b.d, &s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "BAR 0 cannot decode at 0xc0100000: the range is taken"));
	/* rolled back: the old shadow, nothing decoding, the other device untouched */
	assert_memory_equal(before, f->b.d.cfg, sizeof(before));
	for (int i = 0; i <= PCI_ROM_BAR; i++)
		assert_false(f->b.d.bar[i].active);
	assert_true(other.bar[0].active);
	assert_false(f->b.load_called);
	assert_int_equal(pci_dev_unregister(&f->b.h, &other), 0);
	free(p);
	snap_out_free(&o);
}

static void truncated_refused(void **state)
{
	struct fx *f = *state;
	struct snap_out o;
	struct snap_sec s;
	uint8_t *p;

	save_a(f, &o);
	side_init(&f->b, 0x5678, SLOT);
	st_raw(&o, &s, &p);
	s.len = 100;
	refused(f, &s, "truncated in the PCI part");
	free(p);
	snap_out_free(&o);
}

static void can_snapshot(void **state)
{
	struct fx *f = *state;
	struct pci_dev vfio_like;

	assert_true(pci_dev_can_snapshot(&f->a.d));
	pci_dev_init(&vfio_like, "vfio 0000:01:00.1", 0x8086, 0x10ca, 0x020000, 1, 0, 0);
	assert_false(pci_dev_can_snapshot(&vfio_like));
}

/* ---- MSI-X model over a recording interrupt source ---- */

#define NVEC 4

struct rec {
	int next_gsi, routes, commits;
	bool attached[16];
	uint64_t addr[16];
	uint32_t data[16];
};

static int r_gsi_alloc(void *ctx, struct errinfo *e)
{
	(void)e;
	return 24 + ((struct rec *)ctx)->next_gsi++;
}

static void r_gsi_free(void *ctx, int gsi)
{
	(void)ctx;
	(void)gsi;
}

static int r_route(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e)
{
	struct rec *r = ctx;

	(void)e;
	r->routes++;
	r->addr[gsi - 24] = addr;
	r->data[gsi - 24] = data;
	return 0;
}

static int r_commit(void *ctx, struct errinfo *e)
{
	(void)e;
	((struct rec *)ctx)->commits++;
	return 0;
}

static int r_irqfd(void *ctx, int gsi, int efd, int rfd, bool assign, struct errinfo *e)
{
	(void)efd;
	(void)rfd;
	(void)e;
	((struct rec *)ctx)->attached[gsi - 24] = assign;
	return 0;
}

static const struct irq_source_ops rec_ops = {
	.gsi_alloc = r_gsi_alloc,
	.gsi_free = r_gsi_free,
	.route_msi = r_route,
	.commit = r_commit,
	.irqfd = r_irqfd,
};

static void msix_new(struct msix *m, struct rec *r)
{
	struct irq_source src = {&rec_ops, r};
	struct errinfo e = {0};

	assert_int_equal(msix_model_init(m, "dev0", NVEC, &e), 0);
	msix_attach(m, &src, NULL);
	assert_int_equal(msix_sources_alloc(m, &e), 0);
}

static void table_w32(struct msix *m, unsigned int vec, unsigned int dw, uint32_t v)
{
	uint8_t b[4];

	st_put_le(b, v, 4);
	msix_table_access(m, vec * MSIX_ENTRY_SIZE + dw * 4, b, 4, true);
}

static uint8_t pba(struct msix *m)
{
	uint8_t b[8];

	msix_pba_access(m, 0, b, 8, false);
	return b[0];
}

/* Vectors 0-2 programmed and unmasked, 3 programmed but masked with an event pending. */
static void msix_guest_programs(struct msix *m)
{
	for (unsigned int v = 0; v < NVEC; v++) {
		table_w32(m, v, 0, 0xfee00000u | v << 12);
		table_w32(m, v, 1, 0);
		table_w32(m, v, 2, 0x40 + v);
		if (v < 3)
			table_w32(m, v, 3, 0);
	}
	msix_set_ctrl(m, true, false);
	assert_int_equal(msix_notify(m, 3), 0);
	assert_int_equal(pba(m), 1u << 3);
}

static void msix_restored_with_routes(void **state)
{
	struct msix m1, m2;
	struct rec r1 = {0}, r2 = {0};
	struct snap_out o;
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};

	(void)state;
	msix_new(&m1, &r1);
	msix_guest_programs(&m1);
	st_begin(&o, "msix");
	msix_save(&m1, &o);
	msix_new(&m2, &r2);
	assert_int_equal(st_reopen(&o, &in, "msix", &s, &e), 0);
	assert_int_equal(msix_load(&m2, s, "snap", &e), 0);
	assert_int_equal(snap_close(s, "snap", &e), 0);

	/* (a) same table, enable, mask, pending */
	assert_true(m2.enabled);
	assert_false(m2.func_masked);
	for (unsigned int v = 0; v < NVEC; v++) {
		assert_int_equal(m2.vec[v].addr_lo, m1.vec[v].addr_lo);
		assert_int_equal(m2.vec[v].data, m1.vec[v].data);
		assert_int_equal(m2.vec[v].ctrl, m1.vec[v].ctrl);
	}
	assert_int_equal(pba(&m2), 1u << 3);
	/* routes and irqfds as the guest's writes made them on the original */
	assert_true(r2.commits >= 1);
	for (unsigned int v = 0; v < 3; v++) {
		int g = m2.vec[v].gsi - 24;

		assert_true(r2.attached[g]);
		assert_int_equal(r2.addr[g], 0xfee00000u | v << 12);
		assert_int_equal(r2.data[g], 0x40 + v);
	}
	assert_false(r2.attached[m2.vec[3].gsi - 24]);
	/* (b) it goes on: unmasking 3 attaches its irqfd, the pending event is KVM's now */
	table_w32(&m2, 3, 3, 0);
	assert_true(r2.attached[m2.vec[3].gsi - 24]);
	assert_int_equal(r2.data[m2.vec[3].gsi - 24], 0x43);
	assert_int_equal(pba(&m2), 0);
	snap_in_free(&in);
	snap_out_free(&o);
	msix_exit(&m1);
	msix_exit(&m2);
}

static void msix_hostile_refused(void **state)
{
	struct msix m1, m2;
	struct rec r1 = {0}, r2 = {0};
	struct snap_out o;
	struct snap_sec s;
	struct errinfo e = {0};
	uint8_t *p;

	(void)state;
	msix_new(&m1, &r1);
	msix_guest_programs(&m1);
	st_begin(&o, "msix");
	msix_save(&m1, &o);
	snap_end(&o);
	msix_new(&m2, &r2);
	st_raw(&o, &s, &p);
	/* vector 1's control word with reserved bits (u32 nr, u8, u8, 17 bytes a vector) */
	st_put_le(p + 6 + 17 + 12, 0x80000001u, 4);
	assert_int_equal(msix_load(&m2, &s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "MSI-X vector 1 has reserved bits set"));
	assert_false(m2.enabled);
	assert_int_equal(m2.vec[0].addr_lo, 0);
	assert_int_equal(r2.routes, 0);
	/* a table of another size */
	st_put_le(p, 8, 4);
	s.pos = 0;
	s.bad = false;
	assert_int_equal(msix_load(&m2, &s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "8 vectors in the snapshot, 4 here"));
	free(p);
	snap_out_free(&o);
	msix_exit(&m1);
	msix_exit(&m2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pci_state_restored_and_decoding, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_slot_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(other_device_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bar_outside_window_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bar_record_mismatch_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bar_range_taken_rolled_back, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(can_snapshot, setup, teardown),
		cmocka_unit_test(msix_restored_with_routes),
		cmocka_unit_test(msix_hostile_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
