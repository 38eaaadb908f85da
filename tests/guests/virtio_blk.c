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
#include "pci.h"

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
static volatile uint16_t *const avail = (uint16_t *)(RING + 0x1000);
static volatile uint16_t *const used = (uint16_t *)(RING + 0x2000);
static uint64_t notify_addr;
static uint16_t avail_idx;

static void __attribute__((noreturn)) fail(const char *why)
{
	puts_serial("vfvm-guest: FAIL: ");
	puts_serial(why);
	putc_serial('\n');
	exit_debug(2);
}

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
	uint16_t want = avail_idx + 1;
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
	avail[2 + avail_idx % QSZ] = 0;
	__asm__ volatile("mfence" ::: "memory");
	avail[1] = want;
	avail_idx = want;
	__asm__ volatile("mfence" ::: "memory");
	mmio_w16(notify_addr, 0);
	for (unsigned long spin = 0; used[1] != want; spin++) {
		if (spin > 200000000UL)
			fail("request not completed");
		__asm__ volatile("pause");
	}
	*used_len = *(volatile uint32_t *)(RING + 0x2000 + 4 + 8 * ((want - 1) % QSZ) + 4);
	return *st;
}

void guest_main(void)
{
	uint64_t next = MMIO_WINDOW, bar[6], common = 0, notify = 0, devcfg = 0;
	uint32_t notify_mult = 0, feat, len;
	uint64_t capacity;
	uint16_t qsz, noff;
	uint8_t *w = (uint8_t *)WBUF, *r = (uint8_t *)RBUF, st;
	unsigned int slot, p;
	bool ro;

	puts_serial("vfvm-guest: virtio-blk test\n");
	for (slot = 0; slot < 32; slot++)
		if (cfg_r32(slot, 0) == 0x10421af4)
			break;
	if (slot == 32)
		fail("no virtio-blk (1af4:1042) on bus 0");
	bars_assign(slot, &next, bar);
	for (p = cap_find(slot, 0x09, 0); p; p = cap_find(slot, 0x09, p)) {
		uint8_t type = mmio_r8(ecam(slot, p + 3)), b = mmio_r8(ecam(slot, p + 4));
		uint64_t a = bar[b] + cfg_r32(slot, p + 8);

		if (type == 1)
			common = a;
		else if (type == 2) {
			notify = a;
			notify_mult = cfg_r32(slot, p + 16);
		} else if (type == 4) {
			devcfg = a;
		}
	}
	if (!common || !notify || !devcfg)
		fail("virtio capabilities missing");

	mmio_w8(common + 20, 0);
	while (mmio_r8(common + 20))
		;
	mmio_w8(common + 20, 1);
	mmio_w8(common + 20, 3);
	mmio_w32(common + 0, 0);
	feat = mmio_r32(common + 4);
	ro = feat & F_RO;
	mmio_w32(common + 0, 1);
	if (!(mmio_r32(common + 4) & 1))
		fail("device does not offer VIRTIO_F_VERSION_1");
	mmio_w32(common + 8, 0);
	mmio_w32(common + 12, feat & F_RO);
	mmio_w32(common + 8, 1);
	mmio_w32(common + 12, 1);
	mmio_w8(common + 20, 3 | 8);
	if (!(mmio_r8(common + 20) & 8))
		fail("FEATURES_OK not accepted");
	mmio_w16(common + 22, 0);
	qsz = mmio_r16(common + 24);
	if (qsz < QSZ)
		fail("queue 0 too small");
	mmio_w16(common + 24, QSZ);
	mmio_w64(common + 32, RING);
	mmio_w64(common + 40, RING + 0x1000);
	mmio_w64(common + 48, RING + 0x2000);
	noff = mmio_r16(common + 30);
	notify_addr = notify + (uint64_t)noff * notify_mult;
	for (int i = 0; i < 0x3000; i++)
		((volatile uint8_t *)RING)[i] = 0;
	mmio_w16(common + 28, 1);
	mmio_w8(common + 20, 3 | 8 | 4);
	if (mmio_r8(common + 20) != (3 | 8 | 4))
		fail("DRIVER_OK not accepted");

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
