// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drives a virtio-blk (modern PCI, 1af4:1042) request queue by polling:
 * reads the capacity from device config, reads sector 0 (which the host
 * test filled with a marker), writes a pattern to sector 1, flushes, reads
 * sector 1 back and compares, asks for the serial (GET_ID) and checks
 * that a read past the end fails with IOERR.  With VIRTIO_BLK_F_RO offered
 * the write must fail with IOERR instead.  The host test then checks the
 * image file after vfvm has exited.  Ends with an i8042 reset; failures
 * leave through debug-exit 2.
 */
#include "virtio_guest.h"

#define RING 0x90000UL /* desc 0x90000, avail 0x91000, used 0x92000 */
#define HDR 0x93000UL
#define STATUS 0x93100UL
#define WBUF 0x94000UL
#define RBUF 0x95000UL
#define QSZ 8

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define S_OK 0
#define S_IOERR 1
#define F_RO (1u << 5)

static volatile uint64_t *const desc = (uint64_t *)RING;
static uint64_t notify_addr;
static uint16_t avail_idx;

static void set_desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc[2 * i] = addr;
	desc[2 * i + 1] = len | (uint64_t)flags << 32 | (uint64_t)next << 48;
}

/*
 * One request: header, optional data (@data_len bytes at @data, device
 * writable when @data_in), status.  Returns the status byte; *used_len gets
 * the length the device reported.
 */
static uint8_t request(uint32_t type, uint64_t sector, uint64_t data, uint32_t data_len,
		       bool data_in, uint32_t *used_len)
{
	volatile uint32_t *hdr = (uint32_t *)HDR;
	volatile uint8_t *st = (uint8_t *)STATUS;
	int n = 0;

	hdr[0] = type;
	hdr[1] = 0;
	*(volatile uint64_t *)(HDR + 8) = sector;
	*st = 0xff;
	set_desc(n, HDR, 16, 1 /* NEXT */, n + 1);
	n++;
	if (data_len) {
		set_desc(n, data, data_len, 1 | (data_in ? 2 : 0), n + 1);
		n++;
	}
	set_desc(n, STATUS, 1, 2 /* WRITE */, 0);
	*used_len = virtq_submit(RING, QSZ, &avail_idx, 0, notify_addr, 200000000UL,
				 "request not completed");
	return *st;
}

void guest_main(void)
{
	struct virtio_pci v;
	uint64_t common, devcfg;
	uint32_t feat, len;
	uint64_t capacity;
	uint16_t qsz;
	uint8_t *w = (uint8_t *)WBUF, *r = (uint8_t *)RBUF, st;
	bool ro;

	puts_serial("vfvm-guest: virtio-blk test\n");
	virtio_pci_probe(&v, 0x10421af4, "no virtio-blk (1af4:1042) on bus 0",
			 VIRTIO_CAP_COMMON | VIRTIO_CAP_NOTIFY | VIRTIO_CAP_DEVICE);
	common = v.common;
	devcfg = v.devcfg;

	virtio_reset(common);
	virtio_acknowledge(common);
	mmio_w32(common + 0, 0);
	feat = mmio_r32(common + 4);
	ro = feat & F_RO;
	mmio_w32(common + 0, 1);
	if (!(mmio_r32(common + 4) & 1))
		fail("device does not offer VIRTIO_F_VERSION_1");
	virtio_set_features(common, feat & F_RO);
	mmio_w16(common + 22, 0);
	qsz = mmio_r16(common + 24);
	if (qsz < QSZ)
		fail("queue 0 too small");
	mmio_w16(common + 24, QSZ);
	virtio_queue_rings(common, RING);
	notify_addr = virtio_queue_notify(&v);
	for (int i = 0; i < 0x3000; i++)
		((volatile uint8_t *)RING)[i] = 0;
	mmio_w16(common + 28, 1);
	virtio_driver_ok(common);

	capacity = mmio_r32(devcfg) | (uint64_t)mmio_r32(devcfg + 4) << 32;
	puts_serial("vfvm-guest: capacity ");
	put_dec(capacity);
	puts_serial(" sectors, block size ");
	put_dec(mmio_r32(devcfg + 20));
	puts_serial(ro ? ", read-only\n" : "\n");

	/* Sector 0 holds the host's marker. */
	st = request(T_IN, 0, RBUF, 512, true, &len);
	if (st != S_OK || len != 513)
		fail("read of sector 0");
	puts_serial("vfvm-guest: sector 0: ");
	for (int i = 0; i < 32 && r[i] >= 0x20 && r[i] < 0x7f; i++)
		putc_serial(r[i]);
	putc_serial('\n');

	for (int i = 0; i < 512; i++)
		w[i] = (uint8_t)(i * 13 + 7);
	for (int i = 0; i < 20; i++)
		w[i] = "vfvm-guest-sector-1"[i];
	st = request(T_OUT, 1, WBUF, 512, false, &len);
	if (ro) {
		if (st != S_IOERR)
			fail("write on a read-only disk not refused");
		puts_serial("vfvm-guest: read-only: write refused with IOERR\n");
	} else {
		if (st != S_OK)
			fail("write of sector 1");
		st = request(T_FLUSH, 0, 0, 0, false, &len);
		if (st != S_OK)
			fail("flush");
		for (int i = 0; i < 512; i++)
			r[i] = 0;
		st = request(T_IN, 1, RBUF, 512, true, &len);
		if (st != S_OK)
			fail("read of sector 1");
		for (int i = 0; i < 512; i++)
			if (r[i] != w[i])
				fail("sector 1 read back differs");
		puts_serial("vfvm-guest: sector 1 written, flushed, read back equal\n");
	}

	for (int i = 0; i < 20; i++)
		r[i] = 0;
	st = request(T_GET_ID, 0, RBUF, 20, true, &len);
	if (st != S_OK)
		fail("GET_ID");
	puts_serial("vfvm-guest: serial ");
	for (int i = 0; i < 20 && r[i]; i++)
		putc_serial(r[i]);
	putc_serial('\n');

	st = request(T_IN, capacity, RBUF, 512, true, &len);
	if (st != S_IOERR)
		fail("read past the end did not fail");
	puts_serial("vfvm-guest: read past the end: IOERR\n");
	puts_serial("vfvm-guest: virtio-blk ok\n");
	exit_i8042_reset();
}
