/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake VFIO PCI device behind struct vfio_sys: config space with a
 * capability chain, BAR regions with memory behind them, region info with
 * sparse-mmap and MSI-X-mappable caps, IRQ info, SET_IRQS and reset
 * recording.  Every region access outside a region is counted in nr_oob so
 * tests can assert that a hostile guest never reached outside the device.
 */
#ifndef FAKE_VFIO_H
#define FAKE_VFIO_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "vfio_sys.h"

#define FAKE_REGION_SHIFT 40
#define FAKE_MAX_FDS 64

struct fake_vfio_region {
	uint64_t size;
	uint32_t flags;
	uint8_t *mem;
	bool has_sparse;
	unsigned int nr_sparse;
	struct vfio_sparse_area sparse[4];
	bool msix_mappable;
};

struct fake_vfio_irqset {
	uint32_t flags;
	uint32_t start;
	uint32_t count;
	int fds[FAKE_MAX_FDS];
};

struct fake_vfio {
	struct vfio_sys sys;
	int fd; /* a real fd, so close() in the code under test works; -1 once handed over */
	int devfd; /* the value calls are checked against */
	uint32_t dev_flags;
	struct fake_vfio_region region[VFIO_NR_REGIONS];
	uint8_t cfg_wmask[4096]; /* bits the device itself lets software change */
	uint8_t cap_cursor; /* next free standard capability offset */
	uint16_t ecap_cursor;
	uint16_t ecap_last;
	uint8_t cap_last;
	uint32_t irq_count[VFIO_NR_IRQS];

	/* what the code under test did */
	unsigned int nr_set_irqs[VFIO_NR_IRQS];
	struct fake_vfio_irqset last_set[VFIO_NR_IRQS];
	unsigned int nr_resets;
	unsigned int nr_hot_resets;
	unsigned int nr_oob; /* accesses outside a region: must stay 0 */
	unsigned int nr_cfg_writes;
	unsigned int nr_bar_writes;
	int hot_reset_group; /* group id GET_PCI_HOT_RESET_INFO reports */
};

/* An endpoint with no BARs or capabilities; config region of 4 KiB. */
void fake_vfio_init(struct fake_vfio *f, uint16_t vendor, uint16_t device, uint32_t class_code);
void fake_vfio_free(struct fake_vfio *f);

/* BAR @idx: @flags are the low BAR register bits (PCI_BASE_ADDRESS_*). */
void fake_vfio_bar(struct fake_vfio *f, int idx, uint64_t size, uint32_t flags, bool mmap);
void fake_vfio_sparse(struct fake_vfio *f, int idx, uint64_t off, uint64_t size);
/* Append a capability (body excludes id/next); returns its offset. */
uint8_t fake_vfio_cap(struct fake_vfio *f, uint8_t id, const uint8_t *body, uint32_t len);
/* Append an extended capability of @len bytes; returns its offset. */
uint16_t fake_vfio_ecap(struct fake_vfio *f, uint16_t id, uint8_t ver, uint32_t len);
/* MSI-X capability + VFIO MSI-X IRQ count. */
uint8_t fake_vfio_msix(struct fake_vfio *f, unsigned int nvec, int tbar, uint32_t toff, int pbar,
		       uint32_t poff);
uint8_t fake_vfio_msi(struct fake_vfio *f, unsigned int nvec_log2, bool is64, bool maskbit);

/*
 * QEMU's NVMe VF: BAR0 16 KiB 64-bit, registers at +0, MSI-X table at
 * +0x2000 and PBA at +0x3000, sparse mmap without the table page; PM, PCIe,
 * MSI-X caps; ARI, SR-IOV-like and AER extended caps.
 */
void fake_vfio_nvme_vf(struct fake_vfio *f, unsigned int nvec, bool msix_mappable);

static inline uint32_t fake_cfg32(const struct fake_vfio *f, uint32_t off)
{
	const uint8_t *p = f->region[VFIO_PCI_CONFIG_REGION_INDEX].mem + off;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif

/* A recording struct irq_source_ops (routing table + irqfds as plain state). */
#include "irq_source.h"

#define FAKE_IRQ_GSIS 4096

struct fake_irq_gsi {
	bool used;
	bool routed; /* staged or committed */
	uint64_t addr;
	uint32_t data;
	bool irqfd;
	int efd;
	int resamplefd;
};

struct fake_irq {
	int next_gsi;
	bool dirty;
	unsigned int nr_routes; /* route_msi calls that changed a route */
	unsigned int nr_commits; /* commit calls */
	unsigned int nr_real_commits; /* commits that had something to send */
	unsigned int nr_assign;
	unsigned int nr_deassign;
	int fail_alloc; /* >0: gsi_alloc fails after this many */
	struct fake_irq_gsi gsi[FAKE_IRQ_GSIS];
};

void fake_irq_init(struct fake_irq *fi, struct irq_source *out);
