// SPDX-License-Identifier: GPL-2.0-only
/* The 64-bit PCI MMIO window plan: see mmio_plan.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmio_plan.h"

#define FOUR_GIB (4ULL << 30)
/* guest RAM above 3 GiB continues from 4 GiB (vm.h): RAM ends 1 GiB above its size */
#define RAM_HOLE (1ULL << 30)

#define IORESOURCE_MEM 0x00000200
#define IORESOURCE_PREFETCH 0x00002000
#define IORESOURCE_MEM_64 0x00100000

uint64_t mmio_plan_pow2_roundup(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p < (1ULL << 63))
		p <<= 1;
	return p;
}

const char *mmio_plan_fmt_size(uint64_t v, char *buf, size_t size)
{
	static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
	size_t n = 0;

	if (!v) {
		snprintf(buf, size, "0 bytes");
		return buf;
	}
	buf[0] = '\0';
	/* each unit's part, largest first: "256 GiB + 48 MiB", exact and readable */
	for (int u = 5; u >= 0 && n < size; u--) {
		uint64_t part = (v >> (10 * u)) & (u == 5 ? UINT64_MAX : 1023);
		int w;

		if (!part)
			continue;
		w = snprintf(buf + n, size - n, "%s%" PRIu64 " %s", n ? " + " : "", part, unit[u]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

const char *mmio_plan_fmt_opt(uint64_t v, char *buf, size_t size)
{
	static const char unit[] = "BKMGTP";
	int u = 0;

	while (u < 5 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 "%c", v, unit[u]);
	return buf;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * One thing to place: a BAR, or a ported device's block of BARs; sorted by
 * alignment, largest first, then by device and BAR order.
 */
struct plan_item {
	uint64_t size, align;
	unsigned int dev, bar;
	bool block;
};

static int item_cmp(const void *pa, const void *pb)
{
	const struct plan_item *a = pa, *b = pb;

	if (a->align != b->align)
		return a->align > b->align ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->bar < b->bar ? -1 : a->bar > b->bar;
}

uint64_t mmio_plan_pack(const uint64_t *size, unsigned int n, uint64_t *off)
{
	bool done[64] = {false};
	uint64_t cursor = 0;

	for (unsigned int k = 0; k < n && k < 64; k++) {
		int best = -1;

		for (unsigned int i = 0; i < n && i < 64; i++)
			if (!done[i] && size[i] && (best < 0 || size[i] > size[best]))
				best = (int)i;
		if (best < 0)
			break;
		done[best] = true;
		off[best] = cursor;
		cursor += size[best];
	}
	return cursor;
}

/* Where a window of @size aligned to @align goes above @ram_top, if it ends by @limit. */
static bool fits(uint64_t ram_top, uint64_t size, uint64_t align, uint64_t limit)
{
	uint64_t base = align_up(ram_top, align);

	return base <= limit && size <= limit - base;
}

static int refuse_range(const struct mmio_plan_in *in, const struct mmio_plan *p, uint64_t align,
			struct errinfo *e)
{
	char s[48], n[48], l[48], m[48], m2[48];
	uint64_t base = align_up(p->base, align), lowest = align_up(FOUR_GIB, align);

	mmio_plan_fmt_size(p->size, s, sizeof(s));
	mmio_plan_fmt_size(p->need, n, sizeof(n));
	mmio_plan_fmt_size(p->limit, l, sizeof(l));
	if (lowest > p->limit || p->size > p->limit - lowest) {
		uint64_t most = lowest < p->limit ? p->limit - lowest : 0;

		/* no RAM size helps: the window alone is too big for the address bits */
		err_set(e, ERANGE,
			"a 64-bit MMIO window of %s is more than %u physical address bits allow: "
			"above 4 GiB (at a multiple of %s) it ends at 0x%" PRIx64
			" or higher, the limit is %s (2^%u); the largest window is %s",
			s, p->phys_bits, mmio_plan_fmt_size(align, m2, sizeof(m2)),
			lowest + p->size, l, p->phys_bits, mmio_plan_fmt_size(most, m, sizeof(m)));
		if (p->need > most)
			err_hint(e,
				 "the devices' 64-bit BARs need %s: more than this host's %u "
				 "physical address bits (CPUID 0x80000008, capped by KVM) can "
				 "address; pass fewer devices or use a host with more address bits",
				 n, p->phys_bits);
		else if (in->size)
			err_hint(e, "use --mmio64 %s or less (the devices need %s)",
				 mmio_plan_fmt_opt(most & ~(MMIO_PLAN_MIN_SIZE - 1), m, sizeof(m)),
				 n);
		else
			err_hint(e, "pass fewer devices (they need %s)", n);
		return -ERANGE;
	}
	{
		/* the highest base (RAM may end there), at the window's alignment */
		uint64_t top_max = (p->limit - p->size) & ~(align - 1);
		char t[48];

		err_set(e, ERANGE,
			"guest RAM (ending at 0x%" PRIx64 ") and the 64-bit MMIO window of %s "
			"(at 0x%" PRIx64 ", a multiple of %s) end at 0x%" PRIx64
			", beyond the guest's %u physical address bits (limit 0x%" PRIx64 ", %s)",
			in->ram_top, s, base, mmio_plan_fmt_size(align, m, sizeof(m)),
			base + p->size, p->phys_bits, p->limit, l);
		mmio_plan_fmt_size(top_max > FOUR_GIB ? top_max - RAM_HOLE : 3ULL << 30, t,
				   sizeof(t));
		if (in->size && p->need < p->size)
			err_hint(e,
				 "give the guest at most %s of RAM, or use a smaller --mmio64 (the "
				 "devices need %s)",
				 t, n);
		else
			err_hint(e,
				 "give the guest at most %s of RAM; %u physical address bits are "
				 "this host's limit (CPUID 0x80000008, capped by KVM)",
				 t, p->phys_bits);
	}
	return -ERANGE;
}

int mmio_plan_check_size(uint64_t size, struct errinfo *e)
{
	uint64_t ok = align_up(size, MMIO_PLAN_MIN_SIZE);
	char a[48], b[48];

	if (size >= MMIO_PLAN_MIN_SIZE && !(size & (MMIO_PLAN_MIN_SIZE - 1)))
		return 0;
	return err_set(e, EINVAL,
		       "a 64-bit MMIO window of %s: the size must be a whole number of GiB (the "
		       "window's granularity), for example %s",
		       mmio_plan_fmt_size(size, a, sizeof(a)),
		       mmio_plan_fmt_opt(ok ? ok : MMIO_PLAN_MIN_SIZE, b, sizeof(b)));
}

int mmio_plan_build(const struct mmio_plan_in *in, struct mmio_plan *p, struct errinfo *e)
{
	struct plan_item item[MMIO_PLAN_MAX_DEVS * MMIO_PLAN_BARS];
	uint64_t off[MMIO_PLAN_MAX_DEVS][MMIO_PLAN_BARS] = {{0}};
	unsigned int nr = 0;
	uint64_t ram_top = in->ram_top > FOUR_GIB ? in->ram_top : FOUR_GIB, cursor;
	uint64_t align = MMIO_PLAN_MIN_SIZE;
	char a[48], b[48];

	memset(p, 0, sizeof(*p));
	if (in->nr_dev > MMIO_PLAN_MAX_DEVS)
		return err_set(e, E2BIG, "%u devices: at most %d can be planned", in->nr_dev,
			       MMIO_PLAN_MAX_DEVS);
	if (!in->phys_bits || in->phys_bits > 64)
		return err_set(e, EINVAL, "%u physical address bits: expected 1..64",
			       in->phys_bits);
	p->phys_bits = in->phys_bits;
	p->limit = in->phys_bits >= 63 ? 1ULL << 63 : 1ULL << in->phys_bits;
	p->nr_dev = in->nr_dev;
	for (unsigned int d = 0; d < in->nr_dev; d++) {
		bool port = in->dev[d].port;
		uint64_t largest = 0;

		p->dev[d] = in->dev[d];
		for (unsigned int i = 0; i < MMIO_PLAN_BARS; i++) {
			uint64_t sz = in->dev[d].bar_size[i];

			/* behind a port, a non-prefetchable BAR goes below 4 GiB */
			if (port && !(in->dev[d].prefetch & (1u << i)))
				p->dev[d].bar_size[i] = sz = 0;
			if (!sz)
				continue;
			/* BARs are powers of two; a bad size is placed as the next one */
			sz = mmio_plan_pow2_roundup(sz);
			p->dev[d].bar_size[i] = sz;
			if (sz > p->limit / 2) {
				err_set(e, ERANGE,
					"%s: BAR%u of %s cannot be placed above 4 GiB within %u "
					"physical address bits",
					in->dev[d].name, i, mmio_plan_fmt_size(sz, a, sizeof(a)),
					in->phys_bits);
				err_hint(e,
					 "this host's %u physical address bits (CPUID 0x80000008, "
					 "capped by KVM) are the limit; use a host with more",
					 in->phys_bits);
				return -ERANGE;
			}
			p->bars += sz;
			if (!port)
				item[nr++] = (struct plan_item){sz, sz, d, i, false};
			if (sz > largest)
				largest = sz;
		}
		if (port && largest) {
			uint64_t sz = mmio_plan_pack(p->dev[d].bar_size, MMIO_PLAN_BARS, off[d]);

			item[nr++] = (struct plan_item){
				align_up(sz, MMIO_PLAN_GRAIN),
				largest > MMIO_PLAN_GRAIN ? largest : MMIO_PLAN_GRAIN, d, 0, true};
		}
	}
	qsort(item, nr, sizeof(item[0]), item_cmp);
	/* the layout from offset 0: the base is a multiple of every alignment */
	cursor = 0;
	for (unsigned int k = 0; k < nr; k++) {
		cursor = align_up(cursor, item[k].align);
		if (item[k].align > align)
			align = item[k].align;
		if (item[k].block) {
			p->block_base[item[k].dev] = cursor;
			p->block_size[item[k].dev] = item[k].size;
		} else {
			p->bar_gpa[item[k].dev][item[k].bar] = cursor;
		}
		cursor += item[k].size;
	}
	p->need = cursor;

	if (in->size) {
		p->size_given = true;
		if (mmio_plan_check_size(in->size, e))
			return -EINVAL;
		p->size = in->size;
		if (p->size < p->need) {
			err_set(e, ENOSPC,
				"the devices' 64-bit BARs need %s of 64-bit MMIO window, %s was "
				"given",
				mmio_plan_fmt_size(p->need, a, sizeof(a)),
				mmio_plan_fmt_size(p->size, b, sizeof(b)));
			err_hint(e,
				 "use --mmio64 %s or more, or leave --mmio64 out to size it from "
				 "the devices",
				 mmio_plan_fmt_opt(align_up(p->need, MMIO_PLAN_MIN_SIZE), a,
						   sizeof(a)));
			return -ENOSPC;
		}
	} else {
		uint64_t tight = align_up(p->need ? p->need : 1, MMIO_PLAN_MIN_SIZE);

		/*
		 * 64 GiB while the devices take at most half of it: NIC and NVMe
		 * VFs leave the layout as it was (and as a restored, migrated or
		 * upgraded VM had it); beyond, the devices plus hot-plug room, or
		 * only the devices when the room does not fit the address bits.
		 */
		if (p->need <= MMIO_PLAN_HOTPLUG_ROOM / 2)
			p->size = MMIO_PLAN_HOTPLUG_ROOM;
		else
			p->size = align_up(p->need + MMIO_PLAN_HOTPLUG_ROOM, MMIO_PLAN_MIN_SIZE);
		if (!fits(ram_top, p->size, align, p->limit) &&
		    (fits(ram_top, tight, align, p->limit) || p->need > MMIO_PLAN_HOTPLUG_ROOM / 2))
			p->size = tight;
	}
	p->base = ram_top;
	if (!fits(ram_top, p->size, align, p->limit))
		return refuse_range(in, p, align, e);
	/* aligned to the largest alignment: every BAR and block keeps its own */
	p->base = align_up(ram_top, align);
	for (unsigned int d = 0; d < p->nr_dev; d++) {
		for (unsigned int i = 0; i < MMIO_PLAN_BARS; i++) {
			if (!p->dev[d].bar_size[i])
				continue;
			if (p->dev[d].port)
				p->bar_gpa[d][i] = p->block_base[d] + off[d][i];
			p->bar_gpa[d][i] += p->base;
		}
		if (p->block_size[d])
			p->block_base[d] += p->base;
	}
	return 0;
}

uint64_t mmio_plan_block(const struct mmio_plan *p, const char *name, uint64_t *size)
{
	for (unsigned int d = 0; p && d < p->nr_dev; d++)
		if (!strcmp(p->dev[d].name, name)) {
			*size = p->block_size[d];
			return p->block_base[d];
		}
	*size = 0;
	return 0;
}

uint64_t mmio_plan_bar_gpa(const struct mmio_plan *p, const char *name, int bar)
{
	if (!p || bar < 0 || bar >= MMIO_PLAN_BARS)
		return 0;
	for (unsigned int d = 0; d < p->nr_dev; d++)
		if (!strcmp(p->dev[d].name, name))
			return p->bar_gpa[d][bar];
	return 0;
}

int mmio_plan_dev_from_resource(const char *text, struct mmio_plan_dev *d)
{
	const char *line = text;
	int found = 0;

	memset(d->bar_size, 0, sizeof(d->bar_size));
	d->prefetch = 0;
	for (unsigned int i = 0; i < MMIO_PLAN_BARS && line && *line; i++) {
		unsigned long long s, end, fl;

		if (sscanf(line, "%llx %llx %llx", &s, &end, &fl) != 3)
			return -EINVAL;
		line = strchr(line, '\n');
		if (line)
			line++;
		if (!end || end < s || !(fl & IORESOURCE_MEM) || !(fl & IORESOURCE_MEM_64))
			continue;
		d->bar_size[i] = (uint64_t)(end - s) + 1;
		if (fl & IORESOURCE_PREFETCH)
			d->prefetch |= (uint8_t)(1u << i);
		found++;
	}
	return found;
}
