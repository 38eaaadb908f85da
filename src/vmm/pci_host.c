// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI host bridge (bus 0): config space through ECAM and 0xCF8/0xCFC,
 * BAR sizing/placement/activation, BAR allocation in the 32-bit, 64-bit
 * and I/O windows.  0xCF9 (reset control) shares the 0xCF8 trap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmio_plan.h"
#include "pci.h"
#include "pci_port.h"
#include "pci_priv.h"
#include "vm.h"

void pci_dev_guest_bdf(const struct pci_dev *d, char *buf, size_t size)
{
	if (d->port)
		snprintf(buf, size, "0000:%02x:00.0", pci_port_secondary(d->port));
	else
		snprintf(buf, size, "0000:00:%02x.0", d->slot < 0 ? 0 : (unsigned int)d->slot);
}

unsigned int pci_slot_gsi(int slot)
{
	return 16 + ((unsigned int)slot & 7);
}

static void pci_wmask_w16(struct pci_dev *d, uint32_t off, uint16_t v)
{
	d->wmask[off] = v & 0xff;
	d->wmask[off + 1] = v >> 8;
}

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->slot = -1;
	pci_cfg_w16(d, PCI_VENDOR_ID, vendor);
	pci_cfg_w16(d, PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = class_code & 0xff;
	d->cfg[PCI_CLASS_DEVICE] = (class_code >> 8) & 0xff;
	d->cfg[PCI_CLASS_DEVICE + 1] = (class_code >> 16) & 0xff;
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL; /* single function */
	pci_cfg_w16(d, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_cfg_w16(d, PCI_SUBSYSTEM_ID, subsys_id);
	/* command: I/O, memory, bus master, parity, SERR, INTx disable */
	pci_wmask_w16(d, PCI_COMMAND,
		      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			      PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

int pci_bar_declare(struct pci_dev *d, int idx, uint64_t size, unsigned int flags,
		    bus_access_fn *access, void *access_opaque, struct errinfo *e)
{
	bool io = flags & PCI_BARF_IO;
	uint32_t lo;

	if (idx < 0 || idx > PCI_ROM_BAR || (idx == PCI_ROM_BAR && (flags & ~0u) != 0) ||
	    ((flags & PCI_BARF_MEM64) && (idx >= PCI_NR_BARS - 1 || io)))
		return err_set(e, EINVAL, "%s: BAR %d with flags 0x%x is not possible", d->name,
			       idx, flags);
	if (size & (size - 1) || size < (io ? 4 : 16) || (io && size > 256) ||
	    (!(flags & PCI_BARF_MEM64) && size > (1ULL << 31)))
		return err_set(e, EINVAL, "%s: BAR %d size 0x%llx is not a valid BAR size", d->name,
			       idx, (unsigned long long)size);
	if (d->bar[idx].size || (idx > 0 && (d->bar[idx - 1].flags & PCI_BARF_MEM64)))
		return err_set(e, EBUSY, "%s: BAR %d is already declared", d->name, idx);
	if (idx == PCI_ROM_BAR && size < 2048)
		size = 2048;
	d->bar[idx] = (struct pci_bar){
		.size = size, .flags = flags, .access = access, .access_opaque = access_opaque};
	if (idx == PCI_ROM_BAR)
		return 0;
	lo = io ? 1 : ((flags & PCI_BARF_MEM64) ? 4 : 0) | ((flags & PCI_BARF_PREFETCH) ? 8 : 0);
	pci_cfg_w32(d, PCI_BASE_ADDRESS_0 + 4 * idx, lo);
	return 0;
}

int pci_cap_add(struct pci_dev *d, uint8_t id, const void *body, uint32_t len, struct errinfo *e)
{
	uint32_t off, last = 0;
	int guard = 0;

	/* append after the last capability added (cap_end), dword aligned */
	for (uint8_t p = d->cfg[PCI_CAPABILITY_LIST]; p && guard < 64; p = d->cfg[p + 1], guard++)
		last = p;
	off = d->cap_end > PCI_STD_HEADER_SIZEOF ? d->cap_end : PCI_STD_HEADER_SIZEOF;
	off = (off + 3) & ~3u;
	if (len < 2 || off + len > PCI_CFG_SPACE_SIZE)
		return err_set(e, ENOSPC, "%s: no room for a %u-byte capability 0x%02x", d->name,
			       len, id);
	memcpy(&d->cfg[off], body, len);
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (last)
		d->cfg[last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_end = off + len;
	return (int)off;
}

/* Address the guest programmed in BAR @i (64-bit BARs combine two registers). */
uint64_t pci_bar_programmed(const struct pci_dev *d, int i)
{
	const struct pci_bar *b = &d->bar[i];
	uint64_t a;

	if (i == PCI_ROM_BAR)
		return pci_cfg_r32(d, PCI_ROM_ADDRESS) & PCI_ROM_ADDRESS_MASK;
	a = pci_cfg_r32(d, PCI_BASE_ADDRESS_0 + 4 * i);
	if (b->flags & PCI_BARF_IO)
		return a & ~3ULL & 0xffff;
	a &= ~0xfULL;
	if (b->flags & PCI_BARF_MEM64)
		a |= (uint64_t)pci_cfg_r32(d, PCI_BASE_ADDRESS_0 + 4 * (i + 1)) << 32;
	return a;
}

bool pci_bar_wanted(const struct pci_dev *d, int i, uint64_t addr)
{
	const struct pci_bar *b = &d->bar[i];
	uint16_t cmd = pci_cfg_r16(d, PCI_COMMAND);

	if (!b->size)
		return false;
	if (b->flags & PCI_BARF_IO) {
		if (!(cmd & PCI_COMMAND_IO))
			return false;
	} else if (!(cmd & PCI_COMMAND_MEMORY)) {
		return false;
	}
	if (i == PCI_ROM_BAR && !(d->cfg[PCI_ROM_ADDRESS] & 1))
		return false;
	/* zero or a sizing pattern left in place: not a real address */
	if (!addr || addr + b->size - 1 < addr)
		return false;
	/*
	 * A 64-bit BAR left at its sizing value (both registers all ones) ends at
	 * the top of the address space: unassigned, like a 32-bit one below.
	 */
	if ((b->flags & PCI_BARF_MEM64) && addr + b->size == 0)
		return false;
	/* like QEMU: a BAR whose end reaches the top of its space is a sizing leftover */
	if ((b->flags & PCI_BARF_IO) && addr + b->size >= 0x10000)
		return false;
	if (!(b->flags & PCI_BARF_MEM64) && !(b->flags & PCI_BARF_IO) &&
	    addr + b->size >= 0x100000000ULL)
		return false;
	return true;
}

static struct bus *bar_bus(struct pci_host *h, const struct pci_bar *b)
{
	return (b->flags & PCI_BARF_IO) ? h->pio : h->mmio;
}

void pci_bar_deactivate(struct pci_host *h, struct pci_dev *d, int i)
{
	struct pci_bar *b = &d->bar[i];

	if (!b->active)
		return;
	if (d->bar_deactivate)
		d->bar_deactivate(d, i, b->addr, b->size);
	else if (b->access)
		bus_unregister(bar_bus(h, b), b->addr);
	b->active = false;
}

static void bar_activate(struct pci_host *h, struct pci_dev *d, int i, uint64_t addr)
{
	struct pci_bar *b = &d->bar[i];
	int ret = 0;

	if (d->bar_activate)
		ret = d->bar_activate(d, i, addr, b->size);
	else if (b->access)
		ret = bus_register(bar_bus(h, b), addr, b->size, b->access, b->access_opaque,
				   d->name, NULL);
	/* a guest that overlaps two BARs gets the first: like real decode conflicts, undefined */
	if (!ret) {
		b->addr = addr;
		b->active = true;
	}
}

/* Bring every BAR's activation in line with the command register and BAR values. */
void pci_bars_update(struct pci_host *h, struct pci_dev *d)
{
	for (int i = 0; i <= PCI_ROM_BAR; i++) {
		struct pci_bar *b = &d->bar[i];
		uint64_t addr;
		bool want;

		if (!b->size)
			continue;
		addr = pci_bar_programmed(d, i);
		want = pci_bar_wanted(d, i, addr);
		if (b->active && (!want || addr != b->addr))
			pci_bar_deactivate(h, d, i);
		if (want && !b->active)
			bar_activate(h, d, i, addr);
	}
}

/* Value a BAR register holds after the guest writes @val (sizing included). */
uint32_t pci_bar_reg_value(const struct pci_dev *d, int reg, uint32_t val)
{
	int i = reg;
	const struct pci_bar *b;

	if (reg == PCI_ROM_BAR) {
		b = &d->bar[PCI_ROM_BAR];
		if (!b->size)
			return 0;
		return (val & (uint32_t) ~(b->size - 1) & ~0x7feu) | (val & 1);
	}
	if (i > 0 && (d->bar[i - 1].flags & PCI_BARF_MEM64) && d->bar[i - 1].size) {
		/* upper half of a 64-bit BAR */
		return val & (uint32_t)(~(d->bar[i - 1].size - 1) >> 32);
	}
	b = &d->bar[i];
	if (!b->size)
		return 0;
	if (b->flags & PCI_BARF_IO)
		return (val & (uint32_t) ~(b->size - 1) & ~3u) | PCI_BASE_ADDRESS_SPACE_IO;
	return (val & (uint32_t) ~(b->size - 1) & ~0xfu) |
	       ((b->flags & PCI_BARF_MEM64) ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
	       ((b->flags & PCI_BARF_PREFETCH) ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
}

static void cfg_write(struct pci_host *h, struct pci_dev *d, uint32_t off, const uint8_t *data,
		      uint32_t len)
{
	/* a bridge (root port) header has two BARs, then bus numbers and windows */
	bool bridge = (d->cfg[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
	uint32_t nr_bars = bridge ? 2 : PCI_NR_BARS;
	uint8_t merged[4];
	bool bars_touched = false;

	/* BAR and ROM registers: merge into the dword, then apply sizing masks */
	for (uint32_t o = off; o < off + len;) {
		uint32_t reg = o & ~3u, val;
		int bar = -1;

		if (reg >= PCI_BASE_ADDRESS_0 && reg < PCI_BASE_ADDRESS_0 + 4 * nr_bars)
			bar = (int)(reg - PCI_BASE_ADDRESS_0) / 4;
		else if (reg == PCI_ROM_ADDRESS && !bridge)
			bar = PCI_ROM_BAR;
		if (bar < 0) {
			d->cfg[o] = (d->cfg[o] & ~d->wmask[o]) | (data[o - off] & d->wmask[o]);
			o++;
			continue;
		}
		memcpy(merged, &d->cfg[reg], 4);
		for (; o < off + len && (o & ~3u) == reg; o++)
			merged[o - reg] = data[o - off];
		val = (uint32_t)merged[0] | (uint32_t)merged[1] << 8 | (uint32_t)merged[2] << 16 |
		      (uint32_t)merged[3] << 24;
		pci_cfg_w32(d, reg, pci_bar_reg_value(d, bar, val));
		bars_touched = true;
	}
	if (bars_touched || (off <= PCI_COMMAND && off + len > PCI_COMMAND))
		pci_bars_update(h, d);
	if (d->msix && d->msix_cfg_write)
		d->msix_cfg_write(d->msix, off, len);
	if (d->cfg_write)
		d->cfg_write(d, off, data, len);
}

/*
 * The function a config access reaches, under h->lock: on bus 0 the slot's
 * device, or its root port when it has one; on a port's secondary bus (as
 * the guest numbered it) device 0 is the device behind that port.
 */
static struct pci_dev *cfg_target(struct pci_host *h, unsigned int bus, unsigned int slot)
{
	if (bus == 0) {
		struct pci_dev *d = h->dev[slot];

		return d && d->port ? d->port : d;
	}
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_dev *d = h->dev[s];

		/* a PCIe link has one device on it: the others read as absent */
		if (d && d->port && pci_port_secondary(d->port) == bus)
			return slot == 0 ? d : NULL;
	}
	return NULL;
}

void pci_cfg_access(struct pci_host *h, unsigned int bus, unsigned int slot, unsigned int fn,
		    uint32_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_dev *d;

	if (bus > PCI_MAX_BUS || fn != 0 || slot >= PCI_MAX_SLOTS || off >= PCI_CFG_SIZE ||
	    len > PCI_CFG_SIZE - off) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&h->lock);
	d = cfg_target(h, bus, slot);
	if (!d) {
		if (!is_write)
			memset(data, 0xff, len);
	} else if (is_write) {
		cfg_write(h, d, off, data, len);
	} else {
		memcpy(data, &d->cfg[off], len);
		if (d->cfg_read)
			d->cfg_read(d, off, data, len);
	}
	pthread_mutex_unlock(&h->lock);
}

static void ecam_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_host *h = opaque;
	uint32_t reg = off & 0xfff;

	/* an access must stay inside one function's space and be naturally aligned */
	if (reg & (len - 1)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pci_cfg_access(h, (unsigned int)(off >> 20), (off >> 15) & 31, (off >> 12) & 7, reg, data,
		       len, is_write);
}

static void cf8_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_host *h = opaque;

	if (off == 1 && len == 1) {
		/* 0xCF9 reset control: bit 2 starts a reset (Linux reboot=pci) */
		if (is_write && (data[0] & 4) && h->vm)
			vm_request_exit(h->vm, VM_EXIT_RESET, "guest reset through port 0xCF9");
		else if (!is_write)
			data[0] = 0;
		return;
	}
	if (off != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (is_write)
		memcpy(&h->cf8, data, 4);
	else
		memcpy(data, &h->cf8, 4);
	pthread_mutex_unlock(&h->lock);
}

static void cfc_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_host *h = opaque;
	uint32_t cf8;

	pthread_mutex_lock(&h->lock);
	cf8 = h->cf8;
	pthread_mutex_unlock(&h->lock);
	if (!(cf8 & 0x80000000u)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pci_cfg_access(h, (cf8 >> 16) & 0xff, (cf8 >> 11) & 31, (cf8 >> 8) & 7,
		       (cf8 & 0xfc) + (uint32_t)off, data, len, is_write);
}

int pci_host_init(struct pci_host *h, struct vm *vm, struct bus *pio, struct bus *mmio,
		  uint64_t mmio64_base, uint64_t mmio64_size, struct errinfo *e)
{
	int ret;

	memset(h, 0, sizeof(*h));
	h->vm = vm;
	h->pio = pio;
	h->mmio = mmio;
	pthread_mutex_init(&h->lock, NULL);
	h->mmio32_base = PCI_MMIO32_BASE;
	h->mmio32_end = PCI_MMIO32_BASE + PCI_MMIO32_SIZE;
	h->mmio64_base = mmio64_base;
	h->mmio64_end = mmio64_base + mmio64_size;
	h->io_base = PCI_PIO_BASE;
	h->io_end = PCI_PIO_BASE + PCI_PIO_SIZE;
	h->next_bus = 1;
	if (!pio || !mmio)
		return 0;
	ret = bus_register(mmio, PCI_ECAM_BASE, PCI_ECAM_SIZE, ecam_access, h, "pci-ecam", e);
	if (!ret)
		ret = bus_register(pio, 0xcf8, 4, cf8_access, h, "pci-cf8", e);
	if (!ret)
		ret = bus_register(pio, 0xcfc, 4, cfc_access, h, "pci-cfc", e);
	if (ret) {
		pthread_mutex_destroy(&h->lock);
		h->vm = NULL;
		return ret;
	}
	h->traps = true;
	return 0;
}

void pci_host_exit(struct pci_host *h)
{
	for (int slot = PCI_MAX_SLOTS - 1; slot >= 0; slot--) {
		struct pci_dev *d = h->dev[slot];

		h->dev[slot] = NULL;
		if (!d)
			continue;
		free(d->port);
		d->port = NULL;
		if (d->release)
			d->release(d);
	}
	if (h->traps) {
		bus_unregister(h->mmio, PCI_ECAM_BASE);
		bus_unregister(h->pio, 0xcf8);
		bus_unregister(h->pio, 0xcfc);
	}
	pthread_mutex_destroy(&h->lock);
	h->vm = NULL;
	h->traps = false;
}

/* Whether [a, a + size) overlaps @b's range at @at (same address space as @io). */
static bool bar_overlaps(const struct pci_bar *b, uint64_t at, bool io, uint64_t a, uint64_t size)
{
	if (!b->size || !at || !(b->flags & PCI_BARF_IO) != !io)
		return false;
	return a < at + b->size && at < a + size;
}

/*
 * Whether [a, a + size) is held: by a registered device's BAR (where the
 * host placed it or where the guest moved it), by a registered root port's
 * window, or by one of @d's BARs in @done (placed earlier in this
 * registration).  Under h->lock.
 */
bool pci_range_held(struct pci_host *h, const struct pci_dev *d, const bool *done, bool io,
		    uint64_t a, uint64_t size, uint64_t *held_end)
{
	for (int s = 0; s <= PCI_MAX_SLOTS; s++) {
		const struct pci_dev *o = s < PCI_MAX_SLOTS ? h->dev[s] : d;

		if (!o)
			continue;
		for (int i = 0; i <= PCI_ROM_BAR; i++) {
			const struct pci_bar *b = &o->bar[i];
			uint64_t at[2] = {b->addr, o == d ? 0 : pci_bar_programmed(o, i)};

			if (o == d && !done[i])
				continue;
			for (int k = 0; k < 2; k++)
				if (bar_overlaps(b, at[k], io, a, size)) {
					*held_end = at[k] + b->size;
					return true;
				}
		}
		if (o != d && o->port) {
			struct pci_port_window w[PCI_PORT_NR_WIN];

			pci_port_windows(o->port, w);
			for (int k = 0; k < PCI_PORT_NR_WIN; k++)
				if (w[k].size && (k == PCI_PORT_IO) == io &&
				    a < w[k].base + w[k].size && w[k].base < a + size) {
					*held_end = w[k].base + w[k].size;
					return true;
				}
		}
	}
	/* the planned places of other devices stay theirs (a ported device's: its whole window) */
	for (unsigned int p = 0; !io && h->plan && p < h->plan->nr_dev; p++) {
		if (!strcmp(h->plan->dev[p].name, d->name))
			continue;
		for (int i = 0; i <= MMIO_PLAN_BARS; i++) {
			uint64_t at = i < MMIO_PLAN_BARS ? h->plan->bar_gpa[p][i]
							 : h->plan->block_base[p],
				 sz = i < MMIO_PLAN_BARS ? h->plan->dev[p].bar_size[i]
							 : h->plan->block_size[p];

			if (at && a < at + sz && at < a + size) {
				*held_end = at + sz;
				return true;
			}
		}
	}
	return false;
}

/* The planned address of @d's 64-bit BAR @i when it is free, else 0. */
static uint64_t planned_addr(struct pci_host *h, const struct pci_dev *d, const bool *done, int i)
{
	uint64_t want = mmio_plan_bar_gpa(h->plan, d->name, i), held_end;
	const struct pci_bar *b = &d->bar[i];

	if (!want || want < h->mmio64_base || want + b->size > h->mmio64_end ||
	    (want & (b->size - 1)) || pci_range_held(h, d, done, false, want, b->size, &held_end))
		return 0;
	return want;
}

int pci_alloc_range(struct pci_host *h, const struct pci_dev *d, const bool *done, bool io,
		    uint64_t base, uint64_t end, uint64_t size, uint64_t align, uint64_t *out)
{
	uint64_t a = (base + align - 1) & ~(align - 1), held_end;

	while (a >= base && a + size > a && a + size <= end) {
		if (!pci_range_held(h, d, done, io, a, size, &held_end)) {
			*out = a;
			return 0;
		}
		/* held ranges end above @a, so this always moves forward */
		a = (held_end + align - 1) & ~(align - 1);
	}
	return -ENOSPC;
}

void pci_bar_program(struct pci_dev *d, int i, uint64_t addr)
{
	d->bar[i].addr = addr;
	if (i == PCI_ROM_BAR) {
		pci_cfg_w32(d, PCI_ROM_ADDRESS, (uint32_t)addr);
		return;
	}
	pci_cfg_w32(d, PCI_BASE_ADDRESS_0 + 4 * i, pci_bar_reg_value(d, i, (uint32_t)addr));
	if (d->bar[i].flags & PCI_BARF_MEM64)
		pci_cfg_w32(d, PCI_BASE_ADDRESS_0 + 4 * (i + 1), (uint32_t)(addr >> 32));
}

int pci_dev_register(struct pci_host *h, struct pci_dev *d, int slot, struct errinfo *e)
{
	int order[PCI_NR_BARS + 1], n = 0;
	bool done[PCI_NR_BARS + 1] = {false};

	pthread_mutex_lock(&h->lock);
	if (slot < 0) {
		/* slot 0 is the host bridge's place on a PC; keep it free */
		for (slot = 1; slot < PCI_MAX_SLOTS && h->dev[slot]; slot++)
			;
	}
	if (slot >= PCI_MAX_SLOTS || h->dev[slot]) {
		pthread_mutex_unlock(&h->lock);
		return err_set(e, ENOSPC, "%s: PCI slot %d is taken or no slot is free", d->name,
			       slot);
	}
	if (d->want_port) {
		int ret = pci_port_place(h, d, slot, e);

		if (ret) {
			pthread_mutex_unlock(&h->lock);
			return ret;
		}
		goto placed;
	}
	/* largest BARs first so natural alignment wastes the least */
	for (int i = 0; i <= PCI_ROM_BAR; i++)
		if (d->bar[i].size)
			order[n++] = i;
	for (int a = 1; a < n; a++)
		for (int b = a; b > 0 && d->bar[order[b]].size > d->bar[order[b - 1]].size; b--) {
			int t = order[b];

			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	for (int k = 0; k < n; k++) {
		int i = order[k];
		struct pci_bar *b = &d->bar[i];
		bool io = b->flags & PCI_BARF_IO;
		uint64_t addr;
		int ret;

		if (io)
			ret = pci_alloc_range(h, d, done, true, h->io_base, h->io_end, b->size,
					      b->size, &addr);
		else if ((b->flags & PCI_BARF_MEM64) && i < MMIO_PLAN_BARS &&
			 (addr = planned_addr(h, d, done, i)))
			ret = 0;
		else if (b->flags & PCI_BARF_MEM64)
			ret = pci_alloc_range(h, d, done, false, h->mmio64_base, h->mmio64_end,
					      b->size, b->size, &addr);
		else
			ret = pci_alloc_range(h, d, done, false, h->mmio32_base, h->mmio32_end,
					      b->size, b->size, &addr);
		if (ret) {
			/* nothing of @d is held yet: its BARs only count once it is on the bus */
			for (int j = 0; j <= PCI_ROM_BAR; j++)
				if (done[j])
					d->bar[j].addr = 0;
			pthread_mutex_unlock(&h->lock);
			err_set(e, ENOSPC, "%s: no room for BAR %d (%llu KiB) in the %s window",
				d->name, i, (unsigned long long)(b->size >> 10),
				(b->flags & PCI_BARF_IO)      ? "I/O"
				: (b->flags & PCI_BARF_MEM64) ? "64-bit MMIO"
							      : "32-bit MMIO");
			if (b->flags & PCI_BARF_MEM64)
				err_hint(e, "the 64-bit window is %llu GiB at 0x%llx",
					 (unsigned long long)((h->mmio64_end - h->mmio64_base) >>
							      30),
					 (unsigned long long)h->mmio64_base);
			return ret;
		}
		pci_bar_program(d, i, addr);
		done[i] = true;
	}
placed:
	d->host = h;
	d->slot = slot;
	if (!d->cfg[PCI_INTERRUPT_LINE] && d->cfg[PCI_INTERRUPT_PIN])
		d->cfg[PCI_INTERRUPT_LINE] = (uint8_t)pci_slot_gsi(slot);
	h->dev[slot] = d;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

int pci_dev_unregister(struct pci_host *h, struct pci_dev *d)
{
	pthread_mutex_lock(&h->lock);
	if (d->slot < 0 || d->slot >= PCI_MAX_SLOTS || h->dev[d->slot] != d) {
		pthread_mutex_unlock(&h->lock);
		return -ENOENT;
	}
	for (int i = 0; i <= PCI_ROM_BAR; i++)
		pci_bar_deactivate(h, d, i);
	h->dev[d->slot] = NULL;
	d->slot = -1;
	/* its root port goes with it: the bus below it is empty */
	free(d->port);
	d->port = NULL;
	pthread_mutex_unlock(&h->lock);
	return 0;
}
