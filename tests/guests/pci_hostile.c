// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile PCI driver, against a virtio-rng (1af4:1044) and a virtio-blk
 * (1af4:1042), programming what a driver should not:
 *  - the MSI-X table and PBA written at every byte offset with every access
 *    size (aligned or not, past the table's end too), vector 0 then
 *    programmed properly and read back;
 *  - the rng's BAR moved, with memory decode on, onto guest RAM (RAM must
 *    stay RAM), onto the blk's BAR, onto the ECAM window (config space must
 *    keep working) and to the very top of the address space (the
 *    firmware's ROM below 4 GiB for a 32-bit BAR);
 *  - the virtio config-window capability (VIRTIO_PCI_CAP_PCI_CFG) pointed
 *    at a missing BAR, past a BAR's end, across it, with lengths 0, 3 and
 *    2^32-1, with a write of all ones each time;
 * after each, the devices must answer as before: a good rng request
 * completes, the blk's registers read as they did.  vfvm must survive all
 * of it.  Polls, no interrupts.  Ends with an i8042 reset; failures leave
 * through debug-exit 2.
 */
#include <stddef.h>

#include "virtio_guest.h"

#define RING 0x90000UL /* desc 0x90000, avail 0x91000, used 0x92000 */
#define BUF 0x93000UL
#define RAM_MARK 0x200000UL /* guest RAM the program does not use */
#define QSZ 8
#define CAP_MSIX 0x11
#define CAP_VENDOR 0x09
#define VIRTIO_CAP_TYPE_PCI_CFG 5

static volatile uint64_t *const desc = (uint64_t *)RING;
static uint64_t common, notify_addr;
static uint16_t avail_idx;

static void say(const char *what)
{
	puts_serial("vfvm-guest: ");
	puts_serial(what);
	putc_serial('\n');
}

static void setup_rng(void)
{
	virtio_reset(common);
	for (int i = 0; i < 0x3000; i++)
		((volatile uint8_t *)RING)[i] = 0;
	avail_idx = 0;
	virtio_acknowledge(common);
	virtio_set_features(common, 0);
	mmio_w16(common + 22, 0);
	mmio_w16(common + 24, QSZ);
	virtio_queue_rings(common, RING);
	mmio_w16(common + 28, 1);
	virtio_driver_ok(common);
}

/* One 16-byte rng request must complete with 16 bytes. */
static void rng_works(const char *after)
{
	uint32_t len;

	desc[0] = BUF;
	desc[1] = 16 | (uint64_t)2 << 32; /* device-writable, no next */
	len = virtq_submit(RING, QSZ, &avail_idx, 0, notify_addr, 100000000UL,
			   "rng request not completed (device hung?)");
	if (len != 16) {
		puts_serial("vfvm-guest: after ");
		puts_serial(after);
		puts_serial(": used len ");
		put_dec(len);
		putc_serial('\n');
		fail("rng request did not complete with 16 bytes");
	}
}

static unsigned int find_slot(uint32_t devid, const char *missing)
{
	for (unsigned int slot = 0; slot < 32; slot++)
		if (cfg_r32(slot, 0) == devid)
			return slot;
	fail(missing);
}

/* The BAR index and the offset in it of the virtio structure @type. */
static unsigned int virtio_cap(unsigned int slot, uint8_t type, unsigned int *bar)
{
	for (unsigned int p = cap_find(slot, CAP_VENDOR, 0); p; p = cap_find(slot, CAP_VENDOR, p))
		if (mmio_r8(ecam(slot, p + 3)) == type) {
			if (bar)
				*bar = mmio_r8(ecam(slot, p + 4));
			return p;
		}
	return 0;
}

static bool bar_is64;

/* Program memory BAR @i of @slot to @addr, decode left as it is. */
static void bar_move(unsigned int slot, unsigned int i, uint64_t addr)
{
	cfg_w32(slot, 0x10 + 4 * i, (uint32_t)addr);
	if (bar_is64)
		cfg_w32(slot, 0x14 + 4 * i, (uint32_t)(addr >> 32));
}

static void msix_every_offset(unsigned int slot, const uint64_t *bar)
{
	unsigned int p = cap_find(slot, CAP_MSIX, 0), n;
	uint32_t t, pba;
	uint64_t table, pbaa, end;

	if (!p)
		fail("no MSI-X capability");
	n = (cfg_r32(slot, p) >> 16 & 0x7ff) + 1;
	t = cfg_r32(slot, p + 4);
	pba = cfg_r32(slot, p + 8);
	table = bar[t & 7] + (t & ~7u);
	pbaa = bar[pba & 7] + (pba & ~7u);
	/* every offset and size over the table and 64 bytes past it */
	end = n * 16 + 64;
	for (uint64_t o = 0; o < end; o++) {
		mmio_w8(table + o, 0xff);
		if (o + 2 <= end)
			mmio_w16(table + o, 0xfffe);
		if (o + 4 <= end)
			mmio_w32(table + o, 0xfffffffe);
		if (o + 8 <= end)
			mmio_w64(table + o, 0xfffffffffffffffeULL);
		(void)mmio_r32(table + (o & ~3ull));
	}
	for (uint64_t o = 0; o < 16; o++) {
		mmio_w8(pbaa + o, 0xff);
		if (!(o & 3))
			mmio_w32(pbaa + o, 0xffffffff);
		if (!(o & 7))
			mmio_w64(pbaa + o, ~0ull);
	}
	/* vector 0 programmed the proper way reads back, still masked */
	mmio_w32(table + 0, 0xfee00000);
	mmio_w32(table + 4, 0);
	mmio_w32(table + 8, 0x41);
	mmio_w32(table + 12, 1);
	if (mmio_r32(table + 0) != 0xfee00000 || mmio_r32(table + 4) != 0 ||
	    mmio_r32(table + 8) != 0x41 || (mmio_r32(table + 12) & 1) != 1)
		fail("MSI-X vector 0 does not read back what was written");
	say("MSI-X table and PBA written at every offset and size; vector 0 reads back");
}

/* The config window: @len bytes at @off of BAR @bar, through capability @p. */
static void window_set(unsigned int slot, unsigned int p, uint8_t bar, uint32_t off, uint32_t len)
{
	mmio_w8(ecam(slot, p + 4), bar);
	cfg_w32(slot, p + 8, off);
	cfg_w32(slot, p + 12, len);
}

static void config_window(unsigned int slot, unsigned int cbar, uint64_t bar_size_cbar)
{
	unsigned int cp = virtio_cap(slot, 1, NULL),
		     wp = virtio_cap(slot, VIRTIO_CAP_TYPE_PCI_CFG, NULL);
	uint32_t coff, got;
	static const struct {
		uint8_t bar;
		uint32_t off, len;
	} bad[] = {
		{7, 0, 4}, {5, 0, 4},		{0, 0xfffffffc, 4},  {0, 0, 0},
		{0, 0, 3}, {0, 0, 0xffffffffu}, {0, 0xffffffffu, 1},
	};

	if (!wp)
		fail("no VIRTIO_PCI_CAP_PCI_CFG capability");
	coff = cfg_r32(slot, cp + 8);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		window_set(slot, wp, bad[i].bar == 0 ? (uint8_t)cbar : bad[i].bar, bad[i].off,
			   bad[i].len);
		cfg_w32(slot, wp + 16, 0xffffffff);
		(void)cfg_r32(slot, wp + 16);
	}
	/* across the BAR's end, and just past it */
	window_set(slot, wp, (uint8_t)cbar, (uint32_t)bar_size_cbar - 2, 4);
	cfg_w32(slot, wp + 16, 0xffffffff);
	(void)cfg_r32(slot, wp + 16);
	window_set(slot, wp, (uint8_t)cbar, (uint32_t)bar_size_cbar, 4);
	cfg_w32(slot, wp + 16, 0xffffffff);
	(void)cfg_r32(slot, wp + 16);
	if (mmio_r8(common + 20) != (1 | 2 | 8 | 4))
		fail("the bad config-window accesses changed the device status");
	/* a good one: num_queues (common + 18) through the window */
	window_set(slot, wp, (uint8_t)cbar, coff + 18, 2);
	got = cfg_r32(slot, wp + 16) & 0xffff;
	if (got != mmio_r16(common + 18))
		fail("num_queues through the config window differs from the BAR's");
	say("config window: bad BAR, offset and length ignored; a good access matches the BAR");
}

void guest_main(void)
{
	struct virtio_pci v;
	unsigned int bslot, cbar, bbar;
	uint64_t bnext = MMIO_WINDOW + 0x1000000UL, bbars[6], home, size;
	uint16_t bnq, bqs;
	bool is64, io;

	puts_serial("vfvm-guest: hostile PCI driver\n");
	virtio_pci_probe(&v, 0x10441af4, "no virtio-rng (1af4:1044) on bus 0",
			 VIRTIO_CAP_COMMON | VIRTIO_CAP_NOTIFY);
	common = v.common;
	setup_rng();
	notify_addr = virtio_queue_notify(&v);
	rng_works("setup");

	/* the blk, placed 16 MiB further up the window */
	bslot = find_slot(0x10421af4, "no virtio-blk (1af4:1042) on bus 0");
	bars_assign(bslot, &bnext, bbars);
	if (!virtio_cap(bslot, 1, &bbar))
		fail("virtio-blk has no common configuration");
	bnq = mmio_r16(bbars[bbar] + cfg_r32(bslot, virtio_cap(bslot, 1, NULL) + 8) + 18);
	bqs = mmio_r16(bbars[bbar] + cfg_r32(bslot, virtio_cap(bslot, 1, NULL) + 8) + 24);

	msix_every_offset(v.slot, v.bar);
	rng_works("the MSI-X writes");

	if (!virtio_cap(v.slot, 1, &cbar))
		fail("virtio-rng has no common configuration");
	size = bar_size(v.slot, (int)cbar, &is64, &io);
	if (io)
		fail("the rng's common configuration is not in a memory BAR");
	bar_is64 = is64;
	home = v.bar[cbar];

	/* onto guest RAM: RAM stays RAM */
	for (uint64_t i = 0; i < 0x1000; i += 8)
		mmio_w64(RAM_MARK + i, 0x5a5a0000ULL + i);
	bar_move(v.slot, cbar, RAM_MARK);
	mmio_w64(RAM_MARK + 0x800, 0x1234);
	for (uint64_t i = 0; i < 0x1000; i += 8)
		if (*(volatile uint64_t *)(RAM_MARK + i) !=
		    (i == 0x800 ? 0x1234 : 0x5a5a0000ULL + i))
			fail("guest RAM under a BAR moved onto it is not RAM");
	bar_move(v.slot, cbar, home);
	rng_works("the BAR on RAM");
	say("BAR moved onto guest RAM: RAM stayed RAM; the device works moved back");

	/* onto the blk's BAR */
	bar_move(v.slot, cbar, bbars[bbar]);
	(void)mmio_r32(bbars[bbar]);
	(void)mmio_r16(bbars[bbar] + 18);
	bar_move(v.slot, cbar, home);
	rng_works("the BAR on another device's BAR");
	{
		uint64_t bc = bbars[bbar] + cfg_r32(bslot, virtio_cap(bslot, 1, NULL) + 8);

		if (mmio_r16(bc + 18) != bnq || mmio_r16(bc + 24) != bqs)
			fail("the blk's registers changed while a BAR lay on them");
	}
	say("BAR moved onto another device's BAR: both work moved back");

	/* onto the ECAM window: config space keeps working */
	bar_move(v.slot, cbar, ECAM_BASE);
	if (cfg_r32(v.slot, 0) != 0x10441af4 || cfg_r32(bslot, 0) != 0x10421af4)
		fail("config space does not answer with a BAR on the ECAM window");
	bar_move(v.slot, cbar, home);
	rng_works("the BAR on the ECAM window");
	/* to the top of the address space (of 4 GiB for a 32-bit BAR: the firmware's ROM) */
	bar_move(v.slot, cbar, (is64 ? ~0ull : 0xffffffffull) & ~(size - 1));
	(void)mmio_r32(common);
	bar_move(v.slot, cbar, home);
	rng_works("the BAR at the top of the address space");
	say("BAR moved onto the ECAM window and to the top of the address space: device ok");

	config_window(v.slot, cbar, size);
	rng_works("the config-window accesses");
	say("hostile PCI driver survived, devices ok");
	exit_i8042_reset();
}
