// SPDX-License-Identifier: GPL-2.0-only
/* Config-space shadow of a passed-through device: see config_shadow.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci.h>

#include "config_shadow.h"

#define CAP_GUARD 64

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void emulate(struct vfio_cfg *c, uint32_t off, uint32_t len, const void *val,
		    const void *wmask)
{
	if (off >= VFIO_CFG_SIZE)
		return;
	if (len > VFIO_CFG_SIZE - off)
		len = VFIO_CFG_SIZE - off;
	memset(c->emul + off, 1, len);
	if (val)
		memcpy(c->shadow + off, val, len);
	else
		memset(c->shadow + off, 0, len);
	if (wmask)
		memcpy(c->wmask + off, wmask, len);
	else
		memset(c->wmask + off, 0, len);
}

static void emulate32(struct vfio_cfg *c, uint32_t off, uint32_t val, uint32_t wmask)
{
	uint8_t v[4], m[4];

	wr32(v, val);
	wr32(m, wmask);
	emulate(c, off, 4, v, m);
}

static uint64_t pow2_roundup(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p)
		p <<= 1;
	return p;
}

/* What the VMM can let a guest see (and what it must not). */
bool vfio_cfg_std_cap_kept(uint8_t id)
{
	switch (id) {
	case PCI_CAP_ID_PM:
	case PCI_CAP_ID_VPD:
	case PCI_CAP_ID_MSI:
	case PCI_CAP_ID_VNDR:
	case PCI_CAP_ID_EXP:
	case PCI_CAP_ID_MSIX:
	case PCI_CAP_ID_AF:
		return true;
	default:
		/* PCI-X, HyperTransport, EA (fixed BARs), bridge caps, ... */
		return false;
	}
}

bool vfio_cfg_ext_cap_kept(uint16_t id)
{
	switch (id) {
	case PCI_EXT_CAP_ID_DSN:
	case PCI_EXT_CAP_ID_VNDR:
		return true;
	default:
		/*
		 * SR-IOV and ARI (VFs are the host's business), resizable BAR
		 * (would resize behind our back), ATS/PRI/PASID (need a vIOMMU),
		 * ACS/AER/DPC/LTR/L1SS (host policy), and anything unknown.
		 */
		return false;
	}
}

static void hide_record(struct vfio_cfg *c, unsigned int id)
{
	if (c->nr_hidden < sizeof(c->hidden_ids) / sizeof(c->hidden_ids[0]))
		c->hidden_ids[c->nr_hidden] = id;
	c->nr_hidden++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* End of the capability at @off: the next capability above it, or @limit. */
static uint32_t cap_end(const uint32_t *sorted, int n, uint32_t off, uint32_t limit)
{
	for (int i = 0; i < n; i++)
		if (sorted[i] > off)
			return sorted[i] < limit ? sorted[i] : limit;
	return limit;
}

static void setup_bars(struct vfio_cfg *c, const uint8_t *raw)
{
	for (int i = 0; i < VFIO_CFG_NR_BARS; i++) {
		uint32_t reg = rd32(raw + PCI_BASE_ADDRESS_0 + 4 * i);
		uint64_t size = c->dev->region[i].size;
		struct vfio_cfg_bar *b = &c->bar[i];

		emulate32(c, PCI_BASE_ADDRESS_0 + 4 * i, 0, 0);
		if (!size)
			continue;
		size = pow2_roundup(size);
		if (reg & PCI_BASE_ADDRESS_SPACE_IO) {
			if (size < 4)
				size = 4;
			if (size > 0x10000)
				continue; /* not an I/O BAR any PC can place */
			b->io = true;
			b->size = size;
			emulate32(c, PCI_BASE_ADDRESS_0 + 4 * i, PCI_BASE_ADDRESS_SPACE_IO,
				  (uint32_t) ~(size - 1) & ~3u);
			continue;
		}
		if (size < 16)
			size = 16;
		b->prefetch = reg & PCI_BASE_ADDRESS_MEM_PREFETCH;
		b->mem64 = (reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;
		if (b->mem64 && i == VFIO_CFG_NR_BARS - 1) {
			b->mem64 = false;
			continue; /* a 64-bit BAR cannot start in the last slot */
		}
		if (!b->mem64 && size > (1ULL << 31))
			continue; /* a 32-bit BAR larger than 2 GiB cannot be placed */
		b->size = size;
		emulate32(c, PCI_BASE_ADDRESS_0 + 4 * i, reg & 0xf,
			  size > (1ULL << 31) ? 0 : ((uint32_t) ~(size - 1) & ~0xfu));
		if (b->mem64) {
			i++;
			emulate32(c, PCI_BASE_ADDRESS_0 + 4 * i, 0, (uint32_t)(~(size - 1) >> 32));
		}
	}
}

static void setup_rom(struct vfio_cfg *c, enum vfio_rom_mode mode, uint64_t file_size)
{
	uint64_t size = 0;

	emulate32(c, PCI_ROM_ADDRESS, 0, 0);
	if (mode == VFIO_ROM_DEVICE)
		size = c->dev->region[VFIO_PCI_ROM_REGION_INDEX].size;
	else if (mode == VFIO_ROM_FILE)
		size = file_size;
	if (!size || size > (1ULL << 24)) {
		c->rom_mode = VFIO_ROM_OFF;
		return;
	}
	size = pow2_roundup(size);
	if (size < 2048)
		size = 2048;
	c->rom_mode = mode;
	c->rom_size = size;
	emulate32(c, PCI_ROM_ADDRESS, 0,
		  ((uint32_t) ~(size - 1) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE);
}

static void setup_msi(struct vfio_cfg *c, const uint8_t *raw, uint32_t off, uint32_t end)
{
	uint16_t ctrl = rd16(raw + off + PCI_MSI_FLAGS);
	uint32_t len, data_off, mask_off;
	uint8_t m[24] = {0};
	uint8_t v[24];

	c->msi_64 = ctrl & PCI_MSI_FLAGS_64BIT;
	c->msi_maskbit = ctrl & PCI_MSI_FLAGS_MASKBIT;
	c->msi_nvec = 1u << ((ctrl & PCI_MSI_FLAGS_QMASK) >> 1);
	if (c->msi_nvec > 32)
		c->msi_nvec = 32;
	data_off = c->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	mask_off = c->msi_64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
	len = c->msi_maskbit ? mask_off + 8 : data_off + 2;
	if (off + len > end)
		len = end - off; /* malformed: emulate what fits, never more */
	memcpy(v, raw + off, len);
	/* The guest starts with MSI off and one vector: firmware's reset state. */
	v[PCI_MSI_FLAGS] &= ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	memset(v + 4, 0, len > 4 ? len - 4 : 0);
	m[PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE;
	wr32(m + PCI_MSI_ADDRESS_LO, 0xfffffffc);
	if (c->msi_64)
		wr32(m + PCI_MSI_ADDRESS_HI, 0xffffffff);
	m[data_off] = 0xff;
	m[data_off + 1] = 0xff;
	if (c->msi_maskbit)
		wr32(m + mask_off, c->msi_nvec >= 32 ? 0xffffffff : (1u << c->msi_nvec) - 1);
	/* bytes 0-1 (id, next) are set by the chain rewrite */
	emulate(c, off + 2, len - 2, v + 2, m + 2);
	c->msi_cap = (uint8_t)off;
}

static bool setup_msix(struct vfio_cfg *c, const uint8_t *raw, uint32_t off, uint32_t end)
{
	uint16_t ctrl = rd16(raw + off + PCI_MSIX_FLAGS);
	uint32_t table = rd32(raw + off + PCI_MSIX_TABLE);
	uint32_t pba = rd32(raw + off + PCI_MSIX_PBA);
	unsigned int nvec = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	int tbar = table & PCI_MSIX_TABLE_BIR, pbar = pba & PCI_MSIX_PBA_BIR;
	uint64_t toff = table & PCI_MSIX_TABLE_OFFSET, poff = pba & PCI_MSIX_PBA_OFFSET;
	uint8_t v[12], m[12] = {0};

	/* A table or PBA outside its BAR cannot be trapped: drop MSI-X. */
	if (off + 12 > end || tbar >= VFIO_CFG_NR_BARS || pbar >= VFIO_CFG_NR_BARS ||
	    c->bar[tbar].io || c->bar[pbar].io || !c->bar[tbar].size || !c->bar[pbar].size ||
	    toff + nvec * 16ULL > c->bar[tbar].size ||
	    poff + ((nvec + 63) / 64) * 8ULL > c->bar[pbar].size)
		return false;
	c->msix_nvec = nvec;
	c->msix_table_bar = tbar;
	c->msix_table_off = (uint32_t)toff;
	c->msix_pba_bar = pbar;
	c->msix_pba_off = (uint32_t)poff;
	memcpy(v, raw + off, 12);
	v[PCI_MSIX_FLAGS + 1] &= ~((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
	m[PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	emulate(c, off + 2, 10, v + 2, m + 2);
	c->msix_cap = (uint8_t)off;
	return true;
}

static void setup_std_caps(struct vfio_cfg *c, const uint8_t *raw)
{
	uint32_t offs[CAP_GUARD], sorted[CAP_GUARD];
	uint8_t ids[CAP_GUARD];
	bool keep[CAP_GUARD];
	uint8_t visited[256] = {0};
	uint32_t off;
	int n = 0, prev = -1;

	emulate(c, PCI_CAPABILITY_LIST, 4, NULL, NULL);
	if (!(rd16(raw + PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	off = raw[PCI_CAPABILITY_LIST] & 0xfc;
	while (off >= 0x40 && off <= 0xfc && !visited[off] && n < CAP_GUARD) {
		visited[off] = 1;
		offs[n] = off;
		ids[n] = raw[off];
		n++;
		off = raw[off + 1] & 0xfc;
	}
	memcpy(sorted, offs, n * sizeof(uint32_t));
	qsort(sorted, n, sizeof(uint32_t), cmp_u32);

	for (int i = 0; i < n; i++) {
		uint32_t end = cap_end(sorted, n, offs[i], 256);

		keep[i] = vfio_cfg_std_cap_kept(ids[i]);
		if (keep[i] && ids[i] == PCI_CAP_ID_MSIX)
			keep[i] = setup_msix(c, raw, offs[i], end);
		if (keep[i] && ids[i] == PCI_CAP_ID_MSI && !c->msi_cap)
			setup_msi(c, raw, offs[i], end);
		else if (keep[i] && ids[i] == PCI_CAP_ID_MSI)
			keep[i] = false; /* a second MSI capability is malformed */
		if (keep[i] && ids[i] == PCI_CAP_ID_EXP && !c->pcie_cap)
			c->pcie_cap = (uint8_t)offs[i];
		if (!keep[i]) {
			emulate(c, offs[i], end - offs[i], NULL, NULL);
			hide_record(c, ids[i]);
		}
	}
	/* Relink the kept capabilities in the device's order. */
	for (int i = 0; i < n; i++) {
		uint8_t hdr[2] = {ids[i], 0};

		if (!keep[i])
			continue;
		if (prev < 0)
			c->shadow[PCI_CAPABILITY_LIST] = (uint8_t)offs[i];
		else
			c->shadow[offs[prev] + 1] = (uint8_t)offs[i];
		emulate(c, offs[i], 2, hdr, NULL);
		prev = i;
	}
}

static void setup_ext_caps(struct vfio_cfg *c, const uint8_t *raw)
{
	uint32_t offs[CAP_GUARD], sorted[CAP_GUARD], hdrs[CAP_GUARD];
	bool keep[CAP_GUARD];
	uint32_t off = 0x100, first = 0;
	int n = 0, prev = -1;

	while (off >= 0x100 && off <= VFIO_CFG_SIZE - 4 && n < CAP_GUARD) {
		uint32_t h = rd32(raw + off);
		bool seen = false;

		if (h == 0 || h == 0xffffffff)
			break;
		for (int i = 0; i < n; i++)
			seen |= offs[i] == off;
		if (seen)
			break;
		offs[n] = off;
		hdrs[n] = h;
		n++;
		off = PCI_EXT_CAP_NEXT(h);
	}
	if (!n)
		return;
	memcpy(sorted, offs, n * sizeof(uint32_t));
	qsort(sorted, n, sizeof(uint32_t), cmp_u32);
	for (int i = 0; i < n; i++) {
		uint32_t end = cap_end(sorted, n, offs[i], VFIO_CFG_SIZE);

		keep[i] = vfio_cfg_ext_cap_kept(PCI_EXT_CAP_ID(hdrs[i]));
		if (!keep[i]) {
			emulate(c, offs[i], end - offs[i], NULL, NULL);
			hide_record(c, 0x10000 | PCI_EXT_CAP_ID(hdrs[i]));
		}
	}
	for (int i = n - 1; i >= 0; i--) {
		uint32_t next = 0;

		if (!keep[i])
			continue;
		/* chain order is the device's; next is the following kept one */
		for (int j = i + 1; j < n; j++)
			if (keep[j]) {
				next = offs[j];
				break;
			}
		emulate32(c, offs[i], (hdrs[i] & 0xfffff) | next << 20, 0);
		if (prev < 0 || i < prev)
			prev = i;
	}
	if (prev >= 0)
		first = offs[prev];
	/*
	 * The chain must start at 0x100: when the capability there is hidden,
	 * put a null header (id 0) pointing at the first kept one.
	 */
	if (offs[0] == 0x100 && !keep[0])
		emulate32(c, 0x100, first << 20, 0);
}

int vfio_cfg_init(struct vfio_cfg *c, struct vfio_device *dev, enum vfio_rom_mode rom,
		  uint64_t rom_file_size, const struct vfio_cfg_ops *ops, void *opaque,
		  struct errinfo *e)
{
	uint64_t rsize = dev->region[VFIO_PCI_CONFIG_REGION_INDEX].size;
	uint8_t *raw;
	uint32_t len;
	uint8_t hdr;
	int ret;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->ops = ops;
	c->opaque = opaque;
	len = rsize >= VFIO_CFG_SIZE ? VFIO_CFG_SIZE : 256;
	if (rsize < 256)
		return err_set(e, EINVAL, "%s: config region is %llu bytes, need 256", dev->name,
			       (unsigned long long)rsize);
	raw = calloc(1, VFIO_CFG_SIZE);
	if (!raw)
		return err_sys(e, ENOMEM, "%s: config shadow", dev->name);
	ret = vfio_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, 0, raw, len, e);
	if (ret < 0)
		goto out;
	if (rd16(raw + PCI_VENDOR_ID) == 0xffff) {
		ret = err_set(e, ENODEV, "%s: config space reads all-ones", dev->name);
		err_hint(e, "the device may be in D3cold or gone; check it with lspci");
		goto out;
	}
	hdr = raw[PCI_HEADER_TYPE];
	if ((hdr & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		ret = err_set(e, EINVAL,
			      "%s: header type 0x%02x: only endpoints can be passed through",
			      dev->name, hdr);
		goto out;
	}
	memcpy(c->shadow, raw, VFIO_CFG_SIZE);
	c->size = 256;

	hdr &= 0x7f; /* one function per guest slot */
	emulate(c, PCI_HEADER_TYPE, 1, &hdr, NULL);
	setup_bars(c, raw);
	setup_rom(c, rom, rom_file_size);
	{
		uint8_t m = 0xff;

		emulate(c, PCI_INTERRUPT_LINE, 1, NULL, &m);
	}
	if (!dev->irq_count[VFIO_PCI_INTX_IRQ_INDEX])
		emulate(c, PCI_INTERRUPT_PIN, 1, NULL, NULL);
	setup_std_caps(c, raw);
	if (c->pcie_cap && len == VFIO_CFG_SIZE) {
		c->size = VFIO_CFG_SIZE;
		setup_ext_caps(c, raw);
	}
	ret = 0;
out:
	free(raw);
	return ret;
}

static bool valid_access(const struct vfio_cfg *c, uint32_t off, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && off < c->size && len <= c->size - off;
}

uint32_t vfio_cfg_read(struct vfio_cfg *c, uint32_t off, uint32_t len)
{
	uint8_t b[4];
	bool fwd = false;
	uint32_t v = 0;

	if (!valid_access(c, off, len))
		return 0xffffffff;
	for (uint32_t i = 0; i < len; i++)
		fwd |= !c->emul[off + i];
	if (fwd && vfio_region_read(c->dev, VFIO_PCI_CONFIG_REGION_INDEX, off, b, len, NULL) < 0) {
		memset(b, 0xff, sizeof(b));
		c->fwd_errors++;
	}
	for (uint32_t i = 0; i < len; i++) {
		if (c->emul[off + i])
			b[i] = c->shadow[off + i];
		v |= (uint32_t)b[i] << (8 * i);
	}
	return v;
}

static bool overlaps(uint32_t off, uint32_t len, uint32_t start, uint32_t rlen)
{
	return off < start + rlen && start < off + len;
}

static uint64_t bar_addr(const struct vfio_cfg *c, int i)
{
	const struct vfio_cfg_bar *b = &c->bar[i];
	uint64_t a = rd32(c->shadow + PCI_BASE_ADDRESS_0 + 4 * i);

	if (b->io)
		return a & PCI_BASE_ADDRESS_IO_MASK;
	a &= PCI_BASE_ADDRESS_MEM_MASK;
	if (b->mem64)
		a |= (uint64_t)rd32(c->shadow + PCI_BASE_ADDRESS_0 + 4 * (i + 1)) << 32;
	return a;
}

/*
 * A BAR decodes when its decode bit is on and it holds an address that is
 * not the sizing pattern (all writable bits set) nor zero.
 */
static void update_bars(struct vfio_cfg *c, bool force)
{
	for (int i = 0; i < VFIO_CFG_NR_BARS; i++) {
		struct vfio_cfg_bar *b = &c->bar[i];
		uint64_t a, sizing;
		bool on;

		if (!b->size)
			continue;
		a = bar_addr(c, i);
		sizing = b->io ? ((uint32_t) ~(b->size - 1) & ~3u) : ~(b->size - 1);
		if (!b->io && !b->mem64)
			sizing &= 0xffffffff;
		on = (c->command & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) && a &&
		     a != sizing;
		if (force || a != b->addr || on != b->on) {
			b->addr = a;
			b->on = on;
			if (c->ops && c->ops->bar_update)
				c->ops->bar_update(c->opaque, i, a, on);
		}
	}
	if (c->rom_size) {
		uint32_t r = rd32(c->shadow + PCI_ROM_ADDRESS);
		uint64_t a = r & PCI_ROM_ADDRESS_MASK;
		bool on = (r & PCI_ROM_ADDRESS_ENABLE) && (c->command & PCI_COMMAND_MEMORY) && a &&
			  a != (((uint32_t) ~(c->rom_size - 1)) & PCI_ROM_ADDRESS_MASK);

		if (force || a != c->rom_addr || on != c->rom_on) {
			c->rom_addr = a;
			c->rom_on = on;
			if (c->ops && c->ops->bar_update)
				c->ops->bar_update(c->opaque, VFIO_CFG_ROM, a, on);
		}
	}
}

static void forward_run(struct vfio_cfg *c, uint32_t off, const uint8_t *b, uint32_t len)
{
	if (!len)
		return;
	if (vfio_region_write(c->dev, VFIO_PCI_CONFIG_REGION_INDEX, off, b, len, NULL) < 0)
		c->fwd_errors++;
}

void vfio_cfg_write(struct vfio_cfg *c, uint32_t off, uint32_t len, uint32_t val)
{
	uint8_t b[4];
	uint32_t run = 0;
	uint16_t old_cmd = c->command;

	if (!valid_access(c, off, len))
		return;
	wr32(b, val);
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = off + i;

		if (c->emul[o]) {
			forward_run(c, off + i - run, b + i - run, run);
			run = 0;
			c->shadow[o] = (c->shadow[o] & ~c->wmask[o]) | (b[i] & c->wmask[o]);
			continue;
		}
		run++;
		/* the command register is forwarded; its decode bits are watched */
		if (o == PCI_COMMAND)
			c->command = (c->command & 0xff00) | b[i];
		else if (o == PCI_COMMAND + 1)
			c->command = (c->command & 0x00ff) | (uint16_t)b[i] << 8;
	}
	forward_run(c, off + len - run, b + len - run, run);

	if (overlaps(off, len, PCI_BASE_ADDRESS_0, 24) || overlaps(off, len, PCI_ROM_ADDRESS, 4) ||
	    ((old_cmd ^ c->command) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
		update_bars(c, false);
	if (c->msi_cap && overlaps(off, len, c->msi_cap + 2, 22) && c->ops && c->ops->msi_update)
		c->ops->msi_update(c->opaque);
	if (c->msix_cap && overlaps(off, len, c->msix_cap + PCI_MSIX_FLAGS, 2) && c->ops &&
	    c->ops->msix_ctrl) {
		uint16_t ctrl = rd16(c->shadow + c->msix_cap + PCI_MSIX_FLAGS);

		c->ops->msix_ctrl(c->opaque, ctrl & PCI_MSIX_FLAGS_ENABLE,
				  ctrl & PCI_MSIX_FLAGS_MASKALL);
	}
}

void vfio_cfg_msi_state(const struct vfio_cfg *c, struct vfio_msi_state *s)
{
	const uint8_t *p = c->shadow + c->msi_cap;
	uint16_t ctrl;

	memset(s, 0, sizeof(*s));
	if (!c->msi_cap)
		return;
	ctrl = rd16(p + PCI_MSI_FLAGS);
	s->enabled = ctrl & PCI_MSI_FLAGS_ENABLE;
	s->nvec = 1u << ((ctrl & PCI_MSI_FLAGS_QSIZE) >> 4);
	if (s->nvec > c->msi_nvec)
		s->nvec = c->msi_nvec;
	s->addr = rd32(p + PCI_MSI_ADDRESS_LO);
	if (c->msi_64) {
		s->addr |= (uint64_t)rd32(p + PCI_MSI_ADDRESS_HI) << 32;
		s->data = rd16(p + PCI_MSI_DATA_64);
		if (c->msi_maskbit)
			s->mask = rd32(p + PCI_MSI_MASK_64);
	} else {
		s->data = rd16(p + PCI_MSI_DATA_32);
		if (c->msi_maskbit)
			s->mask = rd32(p + PCI_MSI_MASK_32);
	}
}
