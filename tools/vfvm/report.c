// SPDX-License-Identifier: GPL-2.0-only
/*
 * What vfvm tells the administrator about passed-through devices while the
 * VM runs: how the DMA map of guest RAM went, and per MSI-X vector its GSI
 * route and which posted-interrupt conditions hold (vfvm(1), IRQ REPORT).
 */
#include <stdio.h>
#include <stdlib.h>

#include "dma.h"
#include "posted.h"
#include "vfio_pci.h"
#include "vfvm.h"
#include "vm.h"

#define REPORT_MAX_VECS 2048
#define REPORT_MAX_DEVS 32

/* vm->log's callback: run-time failures of devices and interrupt paths. */
void vfvm_log_print(void *opaque, enum vlog_level level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "vfvm: %s%s\n",
		level == VLOG_ERR    ? "error: "
		: level == VLOG_WARN ? "warning: "
				     : "",
		msg);
}

/* The counters behind the log: every report, printed or suppressed. */
static void errors_print(struct vm *vm)
{
	struct vfio_irq_errors d[REPORT_MAX_DEVS];
	struct vlog_counts c;
	int n = vfio_pci__irq_errors(vm, d, REPORT_MAX_DEVS);

	vlog_counts(&vm->log, &c);
	fprintf(stderr, "vfvm:   run-time errors: %u, warnings: %u, messages suppressed: %u\n",
		c.errors, c.warnings, c.suppressed);
	for (int i = 0; i < n && i < REPORT_MAX_DEVS; i++)
		fprintf(stderr,
			"vfvm:   %-12s msix-errors %u irq-errors %u host-irqs-steered %u "
			"steer-failed %u\n",
			d[i].bdf, d[i].msix, d[i].irq, d[i].steered, d[i].steer_failed);
}

/* "1 GiB", "512 MiB", "64 KiB": a map piece's size. */
static void size_name(uint64_t b, char *buf, size_t size)
{
	if (b >= (1ULL << 30) && !(b & ((1ULL << 30) - 1)))
		snprintf(buf, size, "%llu GiB", (unsigned long long)(b >> 30));
	else if (b >= (1ULL << 20) && !(b & ((1ULL << 20) - 1)))
		snprintf(buf, size, "%llu MiB", (unsigned long long)(b >> 20));
	else
		snprintf(buf, size, "%llu KiB", (unsigned long long)(b >> 10));
}

void vfvm_dma_stats_print(struct vm *vm)
{
	struct vfio_dma_stats st;
	const char *backend = "?";
	char where[96], piece[48], grown[128] = "";

	if (vfio_pci__dma_stats(vm, &st, &backend) < 0)
		return;
	if (!st.threads)
		snprintf(where, sizeof(where), " (none: the map faulted pages itself)");
	else if (st.node >= 0)
		snprintf(where, sizeof(where), " on NUMA node %d (CPUs %s)", st.node, st.cpus);
	else
		snprintf(where, sizeof(where), " on any CPU (device's NUMA node unknown)");
	if (st.chunk) {
		char sz[32];

		size_name(st.chunk, sz, sizeof(sz));
		snprintf(piece, sizeof(piece), " of %s", sz);
	} else {
		snprintf(piece, sizeof(piece), " (whole regions)");
	}
	if (st.chunk_grown)
		snprintf(grown, sizeof(grown),
			 "; pieces made bigger to fit the %llu mappings the IOMMU takes%s",
			 (unsigned long long)st.map_avail,
			 st.map_avail_type1 ? " (type1 dma_entry_limit)" : "");
	fprintf(stderr,
		"vfvm: DMA-mapped %.2f GiB of guest RAM (%s): prefault %.3f s with %u "
		"thread%s%s%s, "
		"map %.3f s in %u call%s%s%s\n",
		(double)st.bytes / (1 << 30), backend, st.prefault_sec, st.threads,
		st.threads == 1 ? "" : "s", where,
		st.populate_write || !st.threads ? "" : " (pages touched)", st.map_sec,
		st.map_calls, st.map_calls == 1 ? "" : "s", piece, grown);
}

void vfvm_p2p_print(struct vm *vm)
{
	struct vfio_p2p_info pi;

	for (int slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		struct pci_dev *d = vm->pci.dev[slot];

		if (!d || d->kind != PCI_DEV_VFIO || vfio_pci__p2p_info(d, &pi) < 0)
			continue;
		if (!pi.enabled) {
			fprintf(stderr, "vfvm: peer-to-peer: %s (%s): off (p2p=off)\n", d->id,
				d->name);
			continue;
		}
		fprintf(stderr,
			"vfvm: peer-to-peer: %s (%s): %u BAR piece%s DMA-mapped at the guest "
			"address (%llu bytes), %u failed\n",
			d->id, d->name, pi.mapped, pi.mapped == 1 ? "" : "s",
			(unsigned long long)pi.bytes, pi.failed);
		for (unsigned int i = 0; i < pi.nr; i++)
			fprintf(stderr, "vfvm: peer-to-peer: %s: BAR%d iova 0x%llx size 0x%llx\n",
				d->id, pi.map[i].bar, (unsigned long long)pi.map[i].iova,
				(unsigned long long)pi.map[i].size);
	}
}

void vfvm_dma_progress_print(void *opaque, uint64_t done, uint64_t total)
{
	struct vfvm_dma_progress *p = opaque;
	unsigned int tenth = total ? (unsigned int)(done * 10 / total) : 10;

	/* a line each time another tenth is done: a few lines however big the guest */
	if (!p || tenth <= p->shown)
		return;
	p->shown = tenth;
	fprintf(stderr, "vfvm: DMA map: %llu/%llu GiB (%u%%)\n", (unsigned long long)(done >> 30),
		(unsigned long long)(total >> 30),
		total ? (unsigned int)(done * 100 / total) : 100);
	if (done >= total)
		p->shown = 0; /* a later map (hot-add after the last device left) starts again */
}

void vfvm_irq_steer_warning_print(struct vm *vm)
{
	struct errinfo w = {0};
	int n = vfio_pci__irq_steer_warning(vm, &w);

	if (n <= 0)
		return;
	fprintf(stderr,
		"vfvm: warning: %d host IRQ(s) could not be steered to their vCPU's CPU: %s\n", n,
		w.msg);
	if (w.hint[0])
		fprintf(stderr, "  hint: %s\n", w.hint);
}

static const char *tri(int v)
{
	return v > 0 ? "yes" : v == 0 ? "no" : "unknown";
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "NO";
}

int vfvm_irq_live(struct vm *vm)
{
	struct vfio_irq_report_entry *r;
	int n, live = 0;

	r = calloc(REPORT_MAX_VECS, sizeof(*r));
	if (!r)
		return -1;
	n = vfio_pci__irq_report(vm, vfvm_host()->sysfs_root, r, REPORT_MAX_VECS, NULL);
	for (int i = 0; i < n && i < REPORT_MAX_VECS; i++)
		live += r[i].irqfd && !r[i].masked;
	free(r);
	return live;
}

void vfvm_irq_report_print(struct vm *vm, const char *when)
{
	struct vfio_irq_report_entry *r;
	struct vfio_pi_host host;
	int n;

	r = calloc(REPORT_MAX_VECS, sizeof(*r));
	if (!r)
		return;
	n = vfio_pci__irq_report(vm, vfvm_host()->sysfs_root, r, REPORT_MAX_VECS, &host);
	if (n > REPORT_MAX_VECS)
		n = REPORT_MAX_VECS;
	fprintf(stderr,
		"vfvm: MSI-X vectors of passed-through devices (%s): %d\n"
		"vfvm:   host: IOMMU posts interrupts %s, KVM APICv/AVIC %s\n",
		when, n, tri(host.ir_posting), tri(host.apicv));
	if (n > 0)
		fprintf(stderr,
			"vfvm:   %-12s %4s %5s %-10s %-10s %5s %-6s %-5s %-8s %-6s %-8s %s\n",
			"device", "vec", "gsi", "msi-addr", "msi-data", "dest", "masked", "irqfd",
			"kvm-vfio", "single", "delivery", "postable");
	for (int i = 0; i < n; i++) {
		const struct vfio_irq_report_entry *v = &r[i];
		char gsi[16];

		snprintf(gsi, sizeof(gsi), v->gsi < 0 ? "-" : "%d", v->gsi);
		fprintf(stderr,
			"vfvm:   %-12s %4u %5s 0x%08llx 0x%08x %5u %-6s %-5s %-8s %-6s %-8s %s\n",
			v->bdf, v->vector, gsi, (unsigned long long)v->addr, v->data, v->dest,
			v->masked ? "yes" : "no", yes_no(v->irqfd), yes_no(v->kvm_vfio),
			yes_no(v->single_target), v->delivery_ok ? "ok" : "NO",
			v->postable ? (host.ir_posting > 0 && host.apicv > 0 ? "yes" : "vm-side")
				    : "no");
	}
	errors_print(vm);
	free(r);
}
