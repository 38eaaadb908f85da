// SPDX-License-Identifier: GPL-2.0-only
/*
 * Saved state of a PCI function as the host sees it: slot, config shadow,
 * BAR placement and decode.  The device model's own state follows through
 * pci_dev.save/load.  See pci.h for what a restore checks.
 *
 * Layout (inside the caller's section):
 *   u32 slot | cfg[PCI_CFG_SIZE] |
 *   7 x (u64 size | u32 flags | u64 addr | u8 active)   BARs 0-5, ROM
 *   device model's part (pci_dev.save)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "pci_priv.h"

#define NR_BARS_ALL (PCI_ROM_BAR + 1)

struct saved_bar {
	uint64_t size;
	uint32_t flags;
	uint64_t addr;
	bool active;
};

bool pci_dev_can_snapshot(const struct pci_dev *d)
{
	return d->save != NULL;
}

void pci_host_save_dev(struct pci_host *h, struct pci_dev *d, struct snap_out *o)
{
	pthread_mutex_lock(&h->lock);
	snap_put_u32(o, (uint32_t)d->slot);
	snap_put(o, d->cfg, PCI_CFG_SIZE);
	for (int i = 0; i < NR_BARS_ALL; i++) {
		snap_put_u64(o, d->bar[i].size);
		snap_put_u32(o, d->bar[i].flags);
		snap_put_u64(o, d->bar[i].addr);
		snap_put_u8(o, d->bar[i].active);
	}
	pthread_mutex_unlock(&h->lock);
	/* outside h->lock: the model may wait for its own threads (see pci.h) */
	if (d->save)
		d->save(d, o);
}

/* Identity: what no guest write changes and what says which device this is. */
static const struct {
	uint32_t off, len;
	const char *name;
} identity[] = {
	{PCI_VENDOR_ID, 2, "vendor"},	     {PCI_DEVICE_ID, 2, "device"},
	{PCI_REVISION_ID, 1, "revision"},    {PCI_CLASS_PROG, 3, "class"},
	{PCI_HEADER_TYPE, 1, "header type"}, {PCI_SUBSYSTEM_VENDOR_ID, 2, "subsystem vendor"},
	{PCI_SUBSYSTEM_ID, 2, "subsystem"},
};

static uint32_t cfg_val(const uint8_t *cfg, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)cfg[off + i] << (8 * i);
	return v;
}

static bool is_bar_reg(uint32_t off)
{
	return (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 4 * PCI_NR_BARS) ||
	       (off >= PCI_ROM_ADDRESS && off < PCI_ROM_ADDRESS + 4);
}

static int check_identity(struct pci_dev *d, struct snap_sec *s, const uint8_t *cfg,
			  const char *what, struct errinfo *e)
{
	for (size_t k = 0; k < sizeof(identity) / sizeof(identity[0]); k++) {
		uint32_t was = cfg_val(cfg, identity[k].off, identity[k].len);
		uint32_t is = cfg_val(d->cfg, identity[k].off, identity[k].len);

		if (was != is)
			return snap_bad(
				s, what, e,
				"the snapshot holds PCI device %04x:%04x class %06x, "
				"slot %d here has %s (%04x:%04x class %06x): %s 0x%x, "
				"not 0x%x",
				cfg_val(cfg, PCI_VENDOR_ID, 2), cfg_val(cfg, PCI_DEVICE_ID, 2),
				cfg_val(cfg, PCI_CLASS_PROG, 3), d->slot, d->name,
				pci_cfg_r16(d, PCI_VENDOR_ID), pci_cfg_r16(d, PCI_DEVICE_ID),
				cfg_val(d->cfg, PCI_CLASS_PROG, 3), identity[k].name, was, is);
	}
	return 0;
}

static int check_bars(struct pci_host *h, struct pci_dev *d, struct pci_dev *tmp,
		      const struct saved_bar *sb, struct snap_sec *s, const char *what,
		      struct errinfo *e)
{
	for (int i = 0; i < NR_BARS_ALL; i++) {
		const struct pci_bar *b = &d->bar[i];
		uint32_t reg = i == PCI_ROM_BAR ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * i;
		uint32_t v = pci_cfg_r32(tmp, reg);

		if (sb[i].size != b->size || sb[i].flags != b->flags)
			return snap_bad(s, what, e,
					"%s BAR %d: %llu bytes (flags 0x%x) in the snapshot, "
					"%llu bytes (flags 0x%x) here: another device",
					d->name, i, (unsigned long long)sb[i].size, sb[i].flags,
					(unsigned long long)b->size, b->flags);
		/* the register must hold what a guest write could leave there (0 if unused) */
		if (v != pci_bar_reg_value(d, i, v))
			return snap_bad(s, what, e,
					"%s BAR %d register 0x%08x has bits the device does not "
					"implement",
					d->name, i, v);
	}
	for (int i = 0; i < NR_BARS_ALL; i++) {
		const struct pci_bar *b = &d->bar[i];
		uint64_t addr, lo, hi;
		bool want, in;
		const char *win;

		if (!b->size)
			continue;
		addr = pci_bar_programmed(tmp, i);
		want = pci_bar_wanted(tmp, i, addr);
		if (want != sb[i].active || (want && addr != sb[i].addr))
			return snap_bad(s, what, e,
					"%s BAR %d: decode state (%s at 0x%llx) does not match its "
					"registers (%s at 0x%llx)",
					d->name, i, sb[i].active ? "on" : "off",
					(unsigned long long)sb[i].addr, want ? "on" : "off",
					(unsigned long long)addr);
		if (!want)
			continue;
		if (b->flags & PCI_BARF_IO) {
			lo = h->io_base;
			hi = h->io_end;
			win = "I/O";
			in = addr >= lo && addr < hi && b->size <= hi - addr;
		} else {
			lo = h->mmio32_base;
			hi = h->mmio32_end;
			win = "32-bit MMIO";
			in = addr >= lo && addr < hi && b->size <= hi - addr;
			/* a 64-bit BAR may sit in either window (Linux may move it low) */
			if (!in && (b->flags & PCI_BARF_MEM64)) {
				lo = h->mmio64_base;
				hi = h->mmio64_end;
				win = "64-bit MMIO";
				in = addr >= lo && addr < hi && b->size <= hi - addr;
			}
		}
		if (!in || (addr & (b->size - 1)))
			return snap_bad(s, what, e,
					"%s BAR %d at 0x%llx (%llu bytes) is %s the %s window "
					"[0x%llx, 0x%llx)",
					d->name, i, (unsigned long long)addr,
					(unsigned long long)b->size,
					in ? "misaligned in" : "outside", win,
					(unsigned long long)lo, (unsigned long long)hi);
	}
	return 0;
}

int pci_host_load_dev(struct pci_host *h, struct pci_dev *d, struct snap_sec *s, const char *what,
		      struct errinfo *e)
{
	struct saved_bar sb[NR_BARS_ALL];
	uint8_t *cfg = malloc(PCI_CFG_SIZE);
	struct pci_dev *tmp = malloc(sizeof(*tmp));
	uint32_t slot;
	int ret;

	if (!cfg || !tmp) {
		ret = err_set(e, ENOMEM, "%s: out of memory", what);
		goto out;
	}
	slot = snap_get_u32(s);
	snap_get(s, cfg, PCI_CFG_SIZE);
	for (int i = 0; i < NR_BARS_ALL; i++) {
		sb[i].size = snap_get_u64(s);
		sb[i].flags = snap_get_u32(s);
		sb[i].addr = snap_get_u64(s);
		sb[i].active = snap_get_u8(s) != 0;
	}
	if (s->bad) {
		ret = snap_bad(s, what, e, "truncated in the PCI part (%zu bytes)", s->len);
		goto out;
	}
	if (slot != (uint32_t)d->slot) {
		ret = snap_bad(s, what, e, "saved for PCI slot %u, %s is in slot %d here", slot,
			       d->name, d->slot);
		goto out;
	}
	ret = check_identity(d, s, cfg, what, e);
	if (ret < 0)
		goto out;
	/*
	 * The shadow as restored: guest-writable bits and BAR registers from
	 * the snapshot, the rest from the device (what a guest cannot change).
	 * Checked on a copy so a refusal changes nothing.
	 */
	*tmp = *d;
	for (uint32_t off = 0; off < PCI_CFG_SIZE; off++)
		tmp->cfg[off] = is_bar_reg(off) ? cfg[off]
						: (uint8_t)((d->cfg[off] & ~d->wmask[off]) |
							    (cfg[off] & d->wmask[off]));
	ret = check_bars(h, d, tmp, sb, s, what, e);
	if (ret < 0)
		goto out;

	pthread_mutex_lock(&h->lock);
	memcpy(cfg, d->cfg, PCI_CFG_SIZE); /* the old shadow, to roll back */
	memcpy(d->cfg, tmp->cfg, PCI_CFG_SIZE);
	pci_bars_update(h, d);
	for (int i = 0; i < NR_BARS_ALL; i++) {
		if (d->bar[i].size && d->bar[i].active != sb[i].active) {
			/* the range is taken (another device, a platform trap) */
			for (int j = 0; j < NR_BARS_ALL; j++)
				pci_bar_deactivate(h, d, j);
			memcpy(d->cfg, cfg, PCI_CFG_SIZE);
			pci_bars_update(h, d);
			pthread_mutex_unlock(&h->lock);
			ret = snap_bad(s, what, e,
				       "%s BAR %d cannot decode at 0x%llx: the range is taken",
				       d->name, i, (unsigned long long)sb[i].addr);
			goto out;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (d->load)
		ret = d->load(d, s, e);
out:
	free(cfg);
	free(tmp);
	return ret;
}
