// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile driver for virtio-rng (1af4:1044): descriptor chains that loop,
 * buffers outside RAM (past its end, in the PCI hole, on the ECAM window),
 * a device-readable-after-writable chain, then a head index beyond the
 * queue, then status bits cleared without a reset.  Bad chains must come
 * back with length 0 and leave the device working; the bad head and the
 * illegal status writes must set DEVICE_NEEDS_RESET (the writes not
 * applied); after a reset the device must work again.  Then indirect tables:
 * refused before INDIRECT_DESC is negotiated; nested, looping, next out of
 * the table, bad lengths, outside RAM, misaligned, with NEXT, not at the
 * head: each fails alone (length 0) and a good one works after.  vfvm must survive all of it.
 * Polls, no interrupts.  Ends with an i8042 reset; failures leave through debug-exit 2.
 */
#include "virtio_guest.h"

#define RING 0x90000UL /* desc 0x90000, avail 0x91000, used 0x92000 */
#define BUF 0x93000UL
#define QSZ 8
#define S_NEEDS_RESET 0x40

static volatile uint64_t *const desc = (uint64_t *)RING;
static volatile uint16_t *const avail = (uint16_t *)(RING + 0x1000);
static uint64_t common, notify_addr;
static uint16_t avail_idx;

static void set_desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc[2 * i] = addr;
	desc[2 * i + 1] = len | (uint64_t)flags << 32 | (uint64_t)next << 48;
}

#define F_INDIRECT (1u << 28)
#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4
#define ITABLE 0x94000UL /* indirect tables */

static volatile uint64_t *const itab = (uint64_t *)ITABLE;

static void set_itab(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	itab[2 * i] = addr;
	itab[2 * i + 1] = len | (uint64_t)flags << 32 | (uint64_t)next << 48;
}

static void setup_device_features(uint32_t features)
{
	virtio_reset(common);
	for (int i = 0; i < 0x3000; i++)
		((volatile uint8_t *)RING)[i] = 0;
	avail_idx = 0;
	virtio_acknowledge(common);
	virtio_set_features(common, features);
	mmio_w16(common + 22, 0);
	mmio_w16(common + 24, QSZ);
	virtio_queue_rings(common, RING);
	mmio_w16(common + 28, 1);
	virtio_driver_ok(common);
}

static void setup_device(void)
{
	setup_device_features(0);
}

/* Publish head @head, notify, wait for completion; returns the used length. */
static uint32_t submit(uint16_t head)
{
	return virtq_submit(RING, QSZ, &avail_idx, head, notify_addr, 100000000UL,
			    "request not completed (device hung?)");
}

static void expect_len(const char *what, uint32_t got, uint32_t want)
{
	puts_serial("vfvm-guest: ");
	puts_serial(what);
	puts_serial(": used len ");
	put_dec(got);
	putc_serial('\n');
	if (got != want)
		fail(what);
	if (mmio_r8(common + 20) & S_NEEDS_RESET)
		fail("device broken by a bad chain");
}

void guest_main(void)
{
	struct virtio_pci v;

	puts_serial("vfvm-guest: hostile virtio driver\n");
	virtio_pci_probe(&v, 0x10441af4, "no virtio-rng (1af4:1044) on bus 0",
			 VIRTIO_CAP_COMMON | VIRTIO_CAP_NOTIFY);
	common = v.common;
	setup_device();
	mmio_w16(common + 22, 0);
	notify_addr = virtio_queue_notify(&v);

	set_desc(0, BUF, 16, 2, 0);
	expect_len("good request", submit(0), 16);

	set_desc(1, BUF, 16, 2 | 1, 2); /* 1 -> 2 -> 1 ... */
	set_desc(2, BUF, 16, 2 | 1, 1);
	expect_len("looping chain", submit(1), 0);

	set_desc(3, BUF, 16, 2 | 1, 3); /* itself */
	expect_len("self-referencing descriptor", submit(3), 0);

	set_desc(4, 0x40000000UL, 16, 2, 0); /* 1 GiB: past the end of 16 MiB RAM */
	expect_len("buffer past the end of RAM", submit(4), 0);

	set_desc(4, 0xE0000000UL, 64, 2, 0); /* the ECAM window */
	expect_len("buffer on the ECAM window", submit(4), 0);

	set_desc(4, 0xFFFFFFFFFFFFFFF0UL, 64, 2, 0); /* wraps around 2^64 */
	expect_len("buffer wrapping the address space", submit(4), 0);

	set_desc(5, BUF, 16, 2 | 1, 6); /* writable, then readable */
	set_desc(6, BUF + 16, 16, 0, 0);
	expect_len("readable after writable", submit(5), 0);

	set_desc(7, BUF, 16, 2 | 1, QSZ + 5); /* next beyond the table */
	expect_len("next index beyond the table", submit(7), 0);

	set_desc(0, BUF, 16, 2, 0);
	expect_len("good request after the bad ones", submit(0), 16);

	/* A head beyond the queue: nothing can be completed; device needs reset. */
	avail[2 + avail_idx % QSZ] = 200;
	__asm__ volatile("mfence" ::: "memory");
	avail[1] = ++avail_idx;
	__asm__ volatile("mfence" ::: "memory");
	mmio_w16(notify_addr, 0);
	for (unsigned long spin = 0; !(mmio_r8(common + 20) & S_NEEDS_RESET); spin++)
		if (spin > 100000000UL)
			fail("bad head did not set DEVICE_NEEDS_RESET");
	puts_serial("vfvm-guest: head beyond the queue: DEVICE_NEEDS_RESET\n");

	setup_device();
	set_desc(0, BUF, 16, 2, 0);
	expect_len("good request after reset", submit(0), 16);

	/* Status machine abuse: clear DRIVER_OK, then FEATURES_OK, without a reset. */
	mmio_w8(common + 20, 3 | 8);
	if (mmio_r8(common + 20) != (3 | 8 | 4 | S_NEEDS_RESET))
		fail("clearing DRIVER_OK without a reset was applied");
	mmio_w8(common + 20, 3);
	if (mmio_r8(common + 20) != (3 | 8 | 4 | S_NEEDS_RESET))
		fail("clearing FEATURES_OK without a reset was applied");
	puts_serial("vfvm-guest: status bits cleared without reset: DEVICE_NEEDS_RESET\n");
	setup_device();
	set_desc(0, BUF, 16, 2, 0);
	expect_len("good request after the status abuse and a reset", submit(0), 16);

	/* Indirect tables: refused until negotiated, then every malformed one alone */
	set_itab(0, BUF, 16, D_WRITE, 0);
	set_desc(0, ITABLE, 16, D_INDIRECT, 0);
	expect_len("indirect table without INDIRECT_DESC", submit(0), 0);
	setup_device_features(F_INDIRECT); /* clears the rings */
	set_desc(0, ITABLE, 16, D_INDIRECT, 0);
	expect_len("indirect table, good", submit(0), 16);
	set_itab(0, ITABLE, 16, D_INDIRECT, 0);
	expect_len("indirect table inside an indirect table", submit(0), 0);
	set_itab(0, BUF, 16, D_WRITE | D_NEXT, 1); /* 0 -> 1 -> 0 ... */
	set_itab(1, BUF, 16, D_WRITE | D_NEXT, 0);
	set_desc(0, ITABLE, 32, D_INDIRECT, 0);
	expect_len("looping indirect table", submit(0), 0);
	set_itab(0, BUF, 16, D_WRITE | D_NEXT, 5); /* next beyond its 2 entries */
	expect_len("indirect next beyond the table", submit(0), 0);
	set_itab(0, BUF, 16, D_WRITE, 0);
	set_desc(0, ITABLE, 24, D_INDIRECT, 0);
	expect_len("indirect table length not a multiple of 16", submit(0), 0);
	set_desc(0, ITABLE, 0, D_INDIRECT, 0);
	expect_len("indirect table of length 0", submit(0), 0);
	set_desc(0, ITABLE, 0x100000, D_INDIRECT, 0);
	expect_len("indirect table of 64K entries", submit(0), 0);
	set_desc(0, 0x40000000UL, 16, D_INDIRECT, 0);
	expect_len("indirect table past the end of RAM", submit(0), 0);
	set_desc(0, ITABLE + 8, 16, D_INDIRECT, 0);
	expect_len("misaligned indirect table", submit(0), 0);
	set_desc(0, ITABLE, 16, D_INDIRECT | D_NEXT, 1);
	expect_len("indirect descriptor with NEXT", submit(0), 0);
	set_desc(1, BUF, 16, D_WRITE | D_NEXT, 2); /* a chain whose second is indirect */
	set_desc(2, ITABLE, 16, D_INDIRECT, 0);
	expect_len("indirect descriptor not at the head", submit(1), 0);
	set_desc(0, ITABLE, 16, D_INDIRECT, 0);
	expect_len("indirect table, good after the bad ones", submit(0), 16);
	puts_serial("vfvm-guest: hostile driver survived, device ok\n");
	exit_i8042_reset();
}
