// SPDX-License-Identifier: GPL-2.0-only
/*
 * The passthrough device model's config space (vfio/config_shadow.c, with
 * vfio/pdev.c: MSI, MSI-X, BAR and ROM traps) in front of a malicious
 * device: a fake VFIO device (tests/unit/helpers/fake_vfio.c, no ioctls)
 * whose config space - header, BARs, capability chain, extended
 * capabilities - comes from the fuzzer, then fuzzed guest accesses to
 * config space, BARs and ROM.  Whatever the device holds, the guest's
 * capability chains must end and show only capabilities that are kept,
 * no access may reach outside a device region, and accesses the rules
 * refuse read all-ones.
 *
 * Input: ROM mode byte, config byte count (2 bytes) and that many bytes
 * laid over a QEMU NVMe VF's config space from offset 0, then operations.
 */
#include <string.h>

#include "config_shadow.h"
#include "fuzz.h"
#include "helpers/fake_vfio.h"
#include "pdev.h"

static const uint8_t rom_image[2048] = {0x55, 0xaa, 0x04};

static void check_chains(struct vfio_pdev *p)
{
	uint32_t off, hops = 0;

	/* standard capabilities: kept ones only, and the chain ends */
	if (vfio_pdev_cfg_read(p, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) {
		off = vfio_pdev_cfg_read(p, PCI_CAPABILITY_LIST, 1) & 0xfc;
		while (off) {
			FUZZ_CHECK(off >= 0x40 && ++hops <= 48);
			FUZZ_CHECK(vfio_cfg_std_cap_kept((uint8_t)vfio_pdev_cfg_read(p, off, 1)));
			off = vfio_pdev_cfg_read(p, off + 1, 1) & 0xfc;
		}
	}
	if (p->cfg.size < VFIO_CFG_SIZE)
		return;
	/* extended ones: a null header only at 0x100 (the first one hidden) */
	off = 0x100;
	hops = 0;
	while (off) {
		uint32_t h = vfio_pdev_cfg_read(p, off, 4);

		FUZZ_CHECK(off >= 0x100 && ++hops <= 1024);
		if (!h || h == 0xffffffff)
			break;
		FUZZ_CHECK((off == 0x100 && PCI_EXT_CAP_ID(h) == 0) ||
			   vfio_cfg_ext_cap_kept(PCI_EXT_CAP_ID(h)));
		off = PCI_EXT_CAP_NEXT(h);
	}
}

static void run_ops(struct vfio_pdev *p, struct fuzz_in *in)
{
	while (in->n) {
		uint8_t op = fuzz_u8(in);
		uint32_t off = fuzz_u16(in), len = (op >> 3) & 7, v;
		uint64_t val = fuzz_u64(in);
		uint8_t buf[8];

		switch (op & 3) {
		case 0: /* config read: any size, any offset */
			v = vfio_pdev_cfg_read(p, off, len);
			if (!(len == 1 || len == 2 || len == 4) || off >= p->cfg.size ||
			    len > p->cfg.size - off)
				FUZZ_CHECK(v == 0xffffffff);
			break;
		case 1:
			vfio_pdev_cfg_write(p, off, len, (uint32_t)val);
			break;
		case 2: /* BAR access, the MSI-X table and PBA included */
			len = fuzz_access_len((uint8_t)len);
			memcpy(buf, &val, sizeof(buf));
			vfio_pdev_bar_access(p, (op >> 6) % VFIO_CFG_NR_BARS,
					     op & 0x20 ? (uint64_t)off << 2 : off, buf, len,
					     op & 4);
			break;
		default:
			len = fuzz_access_len((uint8_t)len);
			memcpy(buf, &val, sizeof(buf));
			vfio_pdev_rom_access(p, off, buf, len, op & 4);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct fake_vfio *f = calloc(1, sizeof(*f));
	static struct fake_irq fake; /* 4096 GSIs: reset by fake_irq_init(), not reallocated */
	struct fake_irq *fi = &fake;
	struct vfio_device *dev = calloc(1, sizeof(*dev));
	struct vfio_pdev *p = calloc(1, sizeof(*p));
	struct vfio_pdev_opts o = {.intx_gsi = 16, .page_size = 4096};
	struct irq_source irq;
	struct errinfo e = {0};
	uint8_t mode = fuzz_u8(&in);
	size_t n = fuzz_u16(&in) % (VFIO_CFG_SIZE + 1);

	if (!f || !dev || !p)
		abort();
	fake_vfio_nvme_vf(f, 8, mode & 4);
	if (n > in.n)
		n = in.n;
	memcpy(f->region[VFIO_PCI_CONFIG_REGION_INDEX].mem, in.p, n);
	in.p += n;
	in.n -= n;
	if (mode & 8)
		f->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	o.rom = (enum vfio_rom_mode)(mode % 3);
	if (o.rom == VFIO_ROM_FILE) {
		o.rom_image = rom_image;
		o.rom_image_len = sizeof(rom_image);
	}
	fake_irq_init(fi, &irq);
	if (vfio_device_setup(dev, &f->sys, f->fd, "0000:01:00.1", &e) < 0)
		abort();
	f->fd = -1; /* the device owns it */
	if (vfio_pdev_init(p, dev, &irq, &o, &e) == 0) {
		check_chains(p);
		run_ops(p, &in);
		check_chains(p);
		vfio_pdev_exit(p);
	}
	FUZZ_CHECK(f->nr_oob == 0);
	vfio_device_close(dev);
	fake_vfio_free(f);
	free(p);
	free(dev);
	free(f);
	return 0;
}
