// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtio PCI transport, driven through its BAR the way a guest driver does,
 * with virtio-rng behind it: config space identity and capabilities,
 * feature negotiation, status machine, queue set-up, kicks, interrupts,
 * DEVICE_NEEDS_RESET on a broken ring, and reset.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio_rng.h"

struct fixture {
	struct virtio_rng rng;
	struct td t;
};

static void record_signal(struct virtio_pci *vp, uint16_t vector)
{
	struct fixture *f = (struct fixture *)((char *)vp - offsetof(struct fixture, rng.vp));

	f->t.irqs[vector]++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errinfo e;

	if (!f || td_setup(&f->t) < 0)
		return -1;
	if (virtio_rng_init(&f->rng, NULL, &f->t.mem, &e) < 0)
		return -1;
	f->rng.vp.signal = record_signal;
	f->t.vp = &f->rng.vp;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_pci_exit(&f->rng.vp);
	td_teardown(&f->t);
	free(f);
	return 0;
}

#define ALL_OK                                                                                \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
	 VIRTIO_CONFIG_S_DRIVER_OK)

static void pci_identity_and_caps(void **state)
{
	struct fixture *f = *state;
	struct pci_dev *d = &f->rng.vp.pci;
	unsigned int seen = 0, notify_caps = 0;
	bool msix = false;
	int guard = 0;

	assert_int_equal(pci_cfg_r16(d, 0x00), 0x1af4);
	assert_int_equal(pci_cfg_r16(d, 0x02), 0x1044);
	assert_int_equal(d->cfg[0x08], 1); /* modern-only devices have revision >= 1 */
	assert_int_equal(d->bar[0].size, VPCI_BAR_SIZE);
	assert_int_equal(d->bar[VPCI_PIO_BAR].size, VPCI_PIO_SIZE);
	assert_true(d->bar[VPCI_PIO_BAR].flags & PCI_BARF_IO);
	for (uint8_t p = d->cfg[0x34]; p && guard < 32; p = d->cfg[p + 1], guard++) {
		if (d->cfg[p] == 0x11) {
			msix = true;
			/* Table in BAR 0 at 0x4000, PBA at 0x5000; 2 vectors. */
			assert_int_equal(pci_cfg_r32(d, p + 4), VPCI_MSIX_TABLE_OFF);
			assert_int_equal(pci_cfg_r32(d, p + 8), VPCI_MSIX_PBA_OFF);
			assert_int_equal(pci_cfg_r16(d, p + 2) & 0x7ff, 1);
			continue;
		}
		assert_int_equal(d->cfg[p], 0x09);
		seen |= 1u << d->cfg[p + 3];
		if (d->cfg[p + 3] == VIRTIO_PCI_CAP_NOTIFY_CFG && notify_caps++ == 0) {
			/* The I/O port comes first so that Linux kicks through it. */
			assert_int_equal(d->cfg[p + 2], 20);
			assert_int_equal(d->cfg[p + 4], VPCI_PIO_BAR);
			assert_int_equal(pci_cfg_r32(d, p + 8), 0);
			assert_int_equal(pci_cfg_r32(d, p + 12), 2);
			assert_int_equal(pci_cfg_r32(d, p + 16), 0); /* one port, queue as data */
			continue;
		}
		assert_int_equal(d->cfg[p + 4], 0); /* BAR 0 */
		switch (d->cfg[p + 3]) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			assert_int_equal(pci_cfg_r32(d, p + 8), VPCI_COMMON_OFF);
			assert_true(pci_cfg_r32(d, p + 12) >= 0x38);
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			assert_int_equal(d->cfg[p + 2], 20);
			assert_int_equal(pci_cfg_r32(d, p + 8), VPCI_NOTIFY_OFF);
			assert_int_equal(pci_cfg_r32(d, p + 16), VPCI_NOTIFY_MULT);
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			assert_int_equal(pci_cfg_r32(d, p + 8), VPCI_ISR_OFF);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			assert_int_equal(pci_cfg_r32(d, p + 8), VPCI_DEVCFG_OFF);
			break;
		case VIRTIO_PCI_CAP_PCI_CFG:
			assert_int_equal(d->cfg[p + 2], 20);
			assert_int_equal(p, f->rng.vp.cfg_cap);
			break;
		default:
			fail_msg("unexpected virtio cap type %u", d->cfg[p + 3]);
		}
	}
	assert_true(msix);
	assert_int_equal(notify_caps, 2);
	assert_int_equal(seen, 1u << VIRTIO_PCI_CAP_COMMON_CFG | 1u << VIRTIO_PCI_CAP_NOTIFY_CFG |
				       1u << VIRTIO_PCI_CAP_ISR_CFG |
				       1u << VIRTIO_PCI_CAP_DEVICE_CFG |
				       1u << VIRTIO_PCI_CAP_PCI_CFG);
}

static void features_offered(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = td_device_features(&f->t);

	assert_true(feat & (1ull << VIRTIO_F_VERSION_1));
	assert_true(feat & (1ull << VIRTIO_RING_F_EVENT_IDX));
	assert_true(feat & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	/* Selector past the 64 bits reads 0. */
	td_write(&f->t, TD_COMMON(device_feature_select), 7, 4);
	assert_int_equal(td_read(&f->t, TD_COMMON(device_feature), 4), 0);
	assert_int_equal(td_read(&f->t, TD_COMMON(num_queues), 2), 1);
}

static void legacy_driver_refused(void **state)
{
	struct fixture *f = *state;

	/* No VERSION_1: FEATURES_OK does not stick, DRIVER_OK neither. */
	assert_int_equal(td_bringup(&f->t, ~(1ull << VIRTIO_F_VERSION_1), 1, 64) &
				 VIRTIO_CONFIG_S_FEATURES_OK,
			 0);
	td_set_status(&f->t, ALL_OK);
	assert_int_equal(
		td_status(&f->t) & (VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FEATURES_OK), 0);
}

static void unknown_feature_refused(void **state)
{
	struct fixture *f = *state;

	td_set_status(&f->t, 0);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	td_set_features(&f->t, 1ull << VIRTIO_F_VERSION_1 | 1ull << 40);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				     VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(td_status(&f->t) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
}

static void features_frozen_after_features_ok(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(td_bringup(&f->t, 1ull << VIRTIO_F_VERSION_1, 1, 64), ALL_OK);
	td_set_features(&f->t, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX);
	assert_false(virtio_pci_has_feature(&f->rng.vp, VIRTIO_RING_F_EVENT_IDX));
	td_write(&f->t, TD_COMMON(guest_feature_select), 1, 4);
	assert_int_equal(td_read(&f->t, TD_COMMON(guest_feature), 4), 1);
}

static void queue_registers(void **state)
{
	struct fixture *f = *state;

	td_write(&f->t, TD_COMMON(queue_select), 0, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_size), 2), 64);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_notify_off), 2), 0);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	/* A vector the table does not have reads back as NO_VECTOR. */
	td_write(&f->t, TD_COMMON(queue_msix_vector), 2, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	td_write(&f->t, TD_COMMON(queue_msix_vector), 1, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_msix_vector), 2), 1);
	/* 64-bit write of a ring address. */
	td_write(&f->t, TD_COMMON(queue_desc_lo), 0x123456789000ull, 8);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_desc_lo), 4), 0x56789000);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_desc_hi), 4), 0x1234);
	/* Queues that do not exist have size 0. */
	td_write(&f->t, TD_COMMON(queue_select), 5, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_size), 2), 0);
	td_write(&f->t, TD_COMMON(queue_enable), 1, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_enable), 2), 0);
	/* More than the device offers is refused. */
	td_write(&f->t, TD_COMMON(queue_select), 0, 2);
	td_write(&f->t, TD_COMMON(queue_size), 128, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_size), 2), 64);
	/* Once enabled, size and addresses are frozen. */
	td_queue_setup(&f->t, 0, 32, 1);
	td_queue_enable(&f->t, 0);
	td_write(&f->t, TD_COMMON(queue_size), 16, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_size), 2), 32);
	td_write(&f->t, TD_COMMON(queue_desc_lo), 0x8000, 4);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_desc_lo), 4), f->t.q[0].desc);
}

static void rng_request_and_interrupt(void **state)
{
	struct fixture *f = *state;
	uint64_t g = td_alloc(&f->t, 256);
	struct td_buf b = {g, 256, true};
	uint8_t zero[256] = {0};
	uint16_t head;
	uint32_t len;

	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(head, 0);
	assert_int_equal(len, 256);
	/* 256 zero bytes from getrandom would be a 2^-2048 event. */
	assert_memory_not_equal(td_ptr(&f->t, g), zero, 256);
	assert_int_equal(f->t.irqs[1], 1);
	assert_int_equal(f->t.irqs[0], 0);
	/* ISR: bit 0 set, cleared by the read. */
	assert_int_equal(td_read(&f->t, VPCI_ISR_OFF, 1), 1);
	assert_int_equal(td_read(&f->t, VPCI_ISR_OFF, 1), 0);
	/* A request with no writable buffer gets nothing. */
	b.write = false;
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 0);
}

static void rng_caps_request_size(void **state)
{
	struct fixture *f = *state;
	uint64_t g = td_alloc(&f->t, 2 * VIRTIO_RNG_MAX_REQ);
	struct td_buf b = {g, 2 * VIRTIO_RNG_MAX_REQ, true};
	uint16_t head;
	uint32_t len;

	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, VIRTIO_RNG_MAX_REQ);
}

static void buffers_before_driver_ok(void **state)
{
	struct fixture *f = *state;
	struct td_buf b = {td_alloc(&f->t, 16), 16, true};
	uint16_t head;
	uint32_t len;

	td_set_status(&f->t, 0);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	td_set_features(&f->t, 1ull << VIRTIO_F_VERSION_1);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				     VIRTIO_CONFIG_S_FEATURES_OK);
	td_queue_setup(&f->t, 0, 64, 1);
	td_queue_enable(&f->t, 0);
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	/* Not served before DRIVER_OK ... */
	assert_int_equal(td_used(&f->t, 0, &head, &len), 0);
	td_set_status(&f->t, ALL_OK);
	/* ... and served as soon as it is set, without another kick. */
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 16);
}

static void bad_ring_address_needs_reset(void **state)
{
	struct fixture *f = *state;

	td_set_status(&f->t, 0);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	td_set_features(&f->t, 1ull << VIRTIO_F_VERSION_1);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				     VIRTIO_CONFIG_S_FEATURES_OK);
	td_write(&f->t, TD_COMMON(msix_config), 0, 2);
	td_queue_setup(&f->t, 0, 64, 1);
	/* Used ring beyond guest RAM. */
	td_write(&f->t, TD_COMMON(queue_used_lo), TD_RAM_SIZE - 8, 4);
	td_queue_enable(&f->t, 0);
	td_set_status(&f->t, ALL_OK);
	assert_true(td_status(&f->t) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(f->t.irqs[0], 1);
	assert_int_equal(td_read(&f->t, VPCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	/* Reset clears it and the device works again. */
	td_set_status(&f->t, 0);
	assert_int_equal(td_status(&f->t), 0);
	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
}

static void hostile_head_needs_reset(void **state)
{
	struct fixture *f = *state;
	struct vring_avail *a;
	struct td_buf b = {td_alloc(&f->t, 16), 16, true};
	uint16_t head;
	uint32_t len;

	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	a = td_ptr(&f->t, f->t.q[0].avail);
	a->ring[0] = 64; /* beyond the queue */
	a->idx = 1;
	td_kick(&f->t, 0);
	assert_true(td_status(&f->t) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(f->t.irqs[0], 1);
	/* Nothing completed, and further kicks do nothing. */
	assert_int_equal(td_used(&f->t, 0, &head, &len), 0);
	td_kick(&f->t, 0);
	assert_int_equal(f->t.irqs[0], 1);
	/* After a reset and a fresh start, requests are served again. */
	memset(td_ptr(&f->t, f->t.q[0].avail), 0, 0x1000);
	memset(td_ptr(&f->t, f->t.q[0].used), 0, 0x1000);
	memset(f->t.q, 0, sizeof(f->t.q));
	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 16);
}

static void hostile_loop_fails_request_only(void **state)
{
	struct fixture *f = *state;
	struct vring_desc *d;
	struct vring_avail *a;
	uint16_t head;
	uint32_t len;

	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	d = td_ptr(&f->t, f->t.q[0].desc);
	a = td_ptr(&f->t, f->t.q[0].avail);
	d[0] = (struct vring_desc){TD_DATA_GPA, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0};
	a->ring[0] = 0;
	a->idx = 1;
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(td_status(&f->t), ALL_OK);
	assert_int_equal(f->rng.vp.q[0].vq.fault, VIRTQ_LOOP);
}

static void reset_clears_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 32), ALL_OK);
	td_set_status(&f->t, 0);
	assert_int_equal(td_status(&f->t), 0);
	td_write(&f->t, TD_COMMON(queue_select), 0, 2);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_enable), 2), 0);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_size), 2), 64);
	assert_int_equal(td_read(&f->t, TD_COMMON(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(td_read(&f->t, TD_COMMON(msix_config), 2), VIRTIO_MSI_NO_VECTOR);
	td_write(&f->t, TD_COMMON(guest_feature_select), 1, 4);
	assert_int_equal(td_read(&f->t, TD_COMMON(guest_feature), 4), 0);
	assert_false(f->rng.vp.q[0].vq.ready);
}

#define A VIRTIO_CONFIG_S_ACKNOWLEDGE
#define D VIRTIO_CONFIG_S_DRIVER
#define FOK VIRTIO_CONFIG_S_FEATURES_OK
#define DOK VIRTIO_CONFIG_S_DRIVER_OK
#define NR VIRTIO_CONFIG_S_NEEDS_RESET

/* Queue 0's rings (where td_queue_setup puts them) zeroed, the driver's view too. */
static void rings_clear(struct fixture *f)
{
	memset(td_ptr(&f->t, 0x10000), 0, 0x10000);
	memset(f->t.q, 0, sizeof(f->t.q));
}

/*
 * From status @from (reached legally), write @bad: not applied, NEEDS_RESET
 * and a config interrupt instead, queues stop; a reset brings the device back.
 */
static void illegal_status(struct fixture *f, uint8_t from, uint8_t bad)
{
	struct td_buf b = {td_alloc(&f->t, 16), 16, true};
	uint16_t head;
	uint32_t len;

	rings_clear(f);
	memset(f->t.irqs, 0, sizeof(f->t.irqs));
	if (from == ALL_OK) {
		assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	} else {
		td_set_status(&f->t, 0);
		if (from & A)
			td_set_status(&f->t, A);
		if (from & D)
			td_set_status(&f->t, A | D);
		td_set_features(&f->t, 1ull << VIRTIO_F_VERSION_1);
		td_write(&f->t, TD_COMMON(msix_config), 0, 2);
		if (from & FOK)
			td_set_status(&f->t, A | D | FOK);
	}
	assert_int_equal(td_status(&f->t), from);
	td_set_status(&f->t, bad);
	assert_int_equal(td_status(&f->t), from | NR);
	assert_int_equal(f->t.irqs[0], 1);
	assert_int_equal(td_read(&f->t, VPCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	if (from == ALL_OK) {
		/* the queue is not served any more */
		td_post(&f->t, 0, &b, 1);
		td_kick(&f->t, 0);
		assert_int_equal(td_used(&f->t, 0, &head, &len), 0);
	}
	/* a driver writing NEEDS_RESET back changes nothing more */
	td_set_status(&f->t, from | NR);
	assert_int_equal(td_status(&f->t), from | NR);
	/* reset recovers */
	td_set_status(&f->t, 0);
	assert_int_equal(td_status(&f->t), 0);
	rings_clear(f);
	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	b.gpa = td_alloc(&f->t, 16);
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
}

static void status_clear_driver_ok_needs_reset(void **state)
{
	illegal_status(*state, ALL_OK, A | D | FOK);
}

static void status_clear_features_ok_needs_reset(void **state)
{
	struct fixture *f = *state;

	illegal_status(f, ALL_OK, A | D | DOK);
	illegal_status(f, A | D | FOK, A | D);
	illegal_status(f, A | D | FOK, A);
}

static void status_out_of_order_needs_reset(void **state)
{
	struct fixture *f = *state;

	illegal_status(f, 0, D); /* DRIVER before ACKNOWLEDGE */
	illegal_status(f, A, A | FOK); /* FEATURES_OK before DRIVER */
	illegal_status(f, A | D, A | D | DOK); /* DRIVER_OK before FEATURES_OK */
	illegal_status(f, A | D, A | D | 0x10); /* a reserved bit */
	illegal_status(f, A | D | FOK, DOK); /* everything but DRIVER_OK cleared */
}

static void status_failed_any_time(void **state)
{
	struct fixture *f = *state;

	td_set_status(&f->t, 0);
	td_set_status(&f->t, A);
	td_set_status(&f->t, A | VIRTIO_CONFIG_S_FAILED);
	assert_int_equal(td_status(&f->t), A | VIRTIO_CONFIG_S_FAILED);
	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	td_set_status(&f->t, ALL_OK | VIRTIO_CONFIG_S_FAILED);
	assert_int_equal(td_status(&f->t), ALL_OK | VIRTIO_CONFIG_S_FAILED);
	/* the same value again, and a whole legal prefix in one write, are fine */
	td_set_status(&f->t, ALL_OK | VIRTIO_CONFIG_S_FAILED);
	assert_int_equal(td_status(&f->t) & NR, 0);
	td_set_status(&f->t, 0);
	td_set_status(&f->t, A | D);
	assert_int_equal(td_status(&f->t), A | D);
}

/* Renegotiating after FEATURES_OK without a reset: features stay as they were. */
static void status_no_renegotiation(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(td_bringup(&f->t, 1ull << VIRTIO_F_VERSION_1, 1, 64), ALL_OK);
	td_set_status(&f->t, A | D);
	assert_true(td_status(&f->t) & NR);
	td_set_features(&f->t, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX);
	td_set_status(&f->t, A | D | FOK);
	assert_false(virtio_pci_has_feature(&f->rng.vp, VIRTIO_RING_F_EVENT_IDX));
	assert_int_equal(td_status(&f->t), ALL_OK | NR);
}

static void event_idx_suppresses_interrupts(void **state)
{
	struct fixture *f = *state;
	struct td_buf b = {td_alloc(&f->t, 16), 16, true};
	struct vring_avail *a;
	uint16_t head;
	uint32_t len;

	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	assert_true(virtio_pci_has_feature(&f->rng.vp, VIRTIO_RING_F_EVENT_IDX));
	a = td_ptr(&f->t, f->t.q[0].avail);
	a->ring[64] = 1; /* used_event: interrupt after the second completion */
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(f->t.irqs[1], 0);
	td_post(&f->t, 0, &b, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(f->t.irqs[1], 1);
}

static void config_change_and_devcfg(void **state)
{
	struct fixture *f = *state;
	uint8_t gen;

	td_write(&f->t, TD_COMMON(msix_config), 0, 2);
	gen = td_read(&f->t, TD_COMMON(config_generation), 1);
	virtio_pci_config_changed(&f->rng.vp);
	assert_int_equal(td_read(&f->t, TD_COMMON(config_generation), 1), (uint8_t)(gen + 1));
	assert_int_equal(f->t.irqs[0], 1);
	/* rng has no device config: reads are 0, writes ignored. */
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF, 4), 0);
	td_write(&f->t, VPCI_DEVCFG_OFF, 0xffffffff, 4);
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF, 4), 0);
	/* Unused BAR space reads 0. */
	assert_int_equal(td_read(&f->t, 0x7ff0, 4), 0);
}

static void msix_table_through_bar(void **state)
{
	struct fixture *f = *state;

	/* Vector 1's entry: address, data, then unmask; all read back through BAR 0. */
	td_write(&f->t, VPCI_MSIX_TABLE_OFF + 16 + 0, 0xfee01000, 4);
	td_write(&f->t, VPCI_MSIX_TABLE_OFF + 16 + 8, 0x4041, 4);
	assert_int_equal(td_read(&f->t, VPCI_MSIX_TABLE_OFF + 16 + 0, 4), 0xfee01000);
	assert_int_equal(td_read(&f->t, VPCI_MSIX_TABLE_OFF + 16 + 8, 4), 0x4041);
	/* Vectors start masked. */
	assert_int_equal(td_read(&f->t, VPCI_MSIX_TABLE_OFF + 16 + 12, 4) & 1, 1);
	td_write(&f->t, VPCI_MSIX_TABLE_OFF + 16 + 12, 0, 4);
	assert_int_equal(td_read(&f->t, VPCI_MSIX_TABLE_OFF + 16 + 12, 4) & 1, 0);
	assert_int_equal(f->rng.vp.msix.vec[1].data, 0x4041);
	/* Beyond the 2-entry table: nothing there. */
	assert_int_equal(td_read(&f->t, VPCI_MSIX_TABLE_OFF + 32, 4), 0);
	assert_int_equal(td_read(&f->t, VPCI_MSIX_PBA_OFF, 4), 0);
}

/* The VIRTIO_PCI_CAP_PCI_CFG window: BAR registers through config space. */
static void pci_cfg_window(void **state)
{
	struct fixture *f = *state;
	struct pci_host h;
	struct errinfo e;
	uint32_t cap = f->rng.vp.cfg_cap, v;
	int slot;

	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, 1ull << 36, 1ull << 30, &e), 0);
	assert_int_equal(pci_dev_register(&h, &f->rng.vp.pci, -1, &e), 0);
	slot = f->rng.vp.pci.slot;
	/* Window on num_queues (common cfg + 0x12), 2 bytes. */
	v = 0;
	pci_cfg_access(&h, 0, slot, 0, cap + 4, (uint8_t *)&v, 1, true); /* bar 0 */
	v = 0x12;
	pci_cfg_access(&h, 0, slot, 0, cap + 8, (uint8_t *)&v, 4, true);
	v = 2;
	pci_cfg_access(&h, 0, slot, 0, cap + 12, (uint8_t *)&v, 4, true);
	v = 0xdeadbeef;
	pci_cfg_access(&h, 0, slot, 0, cap + 16, (uint8_t *)&v, 4, false);
	assert_int_equal(v & 0xffff, 1);
	/* Write through it: device status ACKNOWLEDGE (offset 0x14, 1 byte). */
	v = 0x14;
	pci_cfg_access(&h, 0, slot, 0, cap + 8, (uint8_t *)&v, 4, true);
	v = 1;
	pci_cfg_access(&h, 0, slot, 0, cap + 12, (uint8_t *)&v, 4, true);
	v = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	pci_cfg_access(&h, 0, slot, 0, cap + 16, (uint8_t *)&v, 1, true);
	assert_int_equal(td_status(&f->t), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* A length of 3 is not a window: reads give the shadow, nothing else. */
	v = 3;
	pci_cfg_access(&h, 0, slot, 0, cap + 12, (uint8_t *)&v, 4, true);
	v = 0;
	pci_cfg_access(&h, 0, slot, 0, cap + 16, (uint8_t *)&v, 4, false);
	assert_int_equal(v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* Offset beyond the BAR: ignored. */
	v = VPCI_BAR_SIZE;
	pci_cfg_access(&h, 0, slot, 0, cap + 8, (uint8_t *)&v, 4, true);
	v = 4;
	pci_cfg_access(&h, 0, slot, 0, cap + 12, (uint8_t *)&v, 4, true);
	v = 0;
	pci_cfg_access(&h, 0, slot, 0, cap + 16, (uint8_t *)&v, 4, true);
	assert_int_equal(td_status(&f->t), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* The fixture frees the function: the host must not release it too. */
	h.dev[slot] = NULL;
	pci_host_exit(&h);
}

/* A kick through the I/O notify port: the queue index is the data. */
static void pio_notify_kicks_the_named_queue(void **state)
{
	struct fixture *f = *state;
	struct pci_bar *pio = &f->rng.vp.pci.bar[VPCI_PIO_BAR];
	uint64_t g = td_alloc(&f->t, 64);
	struct td_buf b = {g, 64, true};
	uint8_t data[4] = {0};
	uint16_t head;
	uint32_t len;

	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 64), ALL_OK);
	td_post(&f->t, 0, &b, 1);
	/* A queue that does not exist and a read: nothing happens. */
	data[0] = 7;
	pio->access(pio->access_opaque, 0, data, 2, true);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 0);
	pio->access(pio->access_opaque, 0, data, 4, false);
	assert_int_equal(data[0] | data[1] | data[2] | data[3], 0);
	/* Queue 0 named: served. */
	pio->access(pio->access_opaque, 0, data, 2, true);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 64);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(pci_identity_and_caps),
		T(features_offered),
		T(legacy_driver_refused),
		T(unknown_feature_refused),
		T(features_frozen_after_features_ok),
		T(queue_registers),
		T(rng_request_and_interrupt),
		T(pio_notify_kicks_the_named_queue),
		T(rng_caps_request_size),
		T(buffers_before_driver_ok),
		T(bad_ring_address_needs_reset),
		T(hostile_head_needs_reset),
		T(hostile_loop_fails_request_only),
		T(reset_clears_state),
		T(status_clear_driver_ok_needs_reset),
		T(status_clear_features_ok_needs_reset),
		T(status_out_of_order_needs_reset),
		T(status_failed_any_time),
		T(status_no_renegotiation),
		T(event_idx_suppresses_interrupts),
		T(config_change_and_devcfg),
		T(msix_table_through_bar),
		T(pci_cfg_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
