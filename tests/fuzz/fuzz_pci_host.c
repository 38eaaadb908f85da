// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCI host bridge (src/vmm/pci_host.c) as a guest reaches it: ECAM
 * reads and writes, the CF8/CFC port pair (and CF9), and whatever the
 * guest then decodes - BARs sized, moved anywhere (over each other, over
 * ECAM), decode toggled - with two emulated functions registered: a test
 * function with 32-bit, 64-bit, I/O and MSI-X BARs over a recording
 * interrupt source, behind a PCIe root port of its own (bus numbers and
 * windows the guest may rewrite), and a real virtio-rng over malloc'd
 * guest memory on bus 0.  The ECAM window must always answer, and config
 * space of an empty slot, another function or a bus no port leads to
 * reads all-ones.
 *
 * Input: operations, each a kind, an address, a size and a value.
 */
#include <string.h>

#include "fuzz.h"
#include "helpers/fake_vfio.h"
#include "msix.h"
#include "pci.h"
#include "pci_port.h"
#include "virtio_rng.h"

#define RAM_SIZE 0x10000
#define MMIO64_BASE 0x400000000ULL
#define MMIO64_SIZE (1ULL << 34)
#define TEST_NVEC 8

struct testdev {
	struct pci_dev d;
	struct msix m;
	struct fake_irq fi;
	uint8_t regs[0x100]; /* BAR2 and BAR4 registers */
};

static void msix_bar(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct testdev *t = o;

	if (off < 0x800)
		msix_table_access(&t->m, off, data, len, w);
	else
		msix_pba_access(&t->m, off - 0x800, data, len, w);
}

static void regs_bar(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct testdev *t = o;

	for (uint32_t i = 0; i < len; i++) {
		uint8_t *r = &t->regs[(off + i) % sizeof(t->regs)];

		if (w)
			*r = data[i];
		else
			data[i] = *r;
	}
}

static void testdev_setup(struct testdev *t, struct pci_host *h)
{
	struct irq_source src;
	struct errinfo e = {0};

	pci_dev_init(&t->d, "fuzzdev", 0x1234, 0x5678, 0x020000, 1, 0x1af4, 0x1100);
	if (pci_bar_declare(&t->d, 0, 0x1000, 0, msix_bar, t, &e) < 0 ||
	    pci_bar_declare(&t->d, 2, 1 << 20, PCI_BARF_MEM64 | PCI_BARF_PREFETCH, regs_bar, t,
			    &e) < 0 ||
	    pci_bar_declare(&t->d, 4, 32, PCI_BARF_IO, regs_bar, t, &e) < 0 ||
	    msix_init(&t->m, &t->d, TEST_NVEC, 0, 0, 0, 0x800, NULL, NULL, &e) < 0)
		abort();
	fake_irq_init(&t->fi, &src);
	msix_attach(&t->m, &src, NULL);
	t->d.want_port = true;
	t->d.port_link = (struct pcie_link){4, 16, 3, 8, 0x1e};
	if (msix_sources_alloc(&t->m, &e) < 0 || pci_dev_register(h, &t->d, 1, &e) < 0)
		abort();
}

static void no_rng_signal(struct virtio_pci *vp, uint16_t vector)
{
	(void)vp;
	(void)vector;
}

/* Whether ECAM offset @off names a function that exists (as the guest numbered the buses). */
static bool ecam_present(const struct pci_host *h, uint64_t off)
{
	unsigned int bus = (unsigned int)(off >> 20), slot = (off >> 15) & 31;

	if ((off >> 12) & 7)
		return false;
	if (bus == 0)
		return h->dev[slot];
	for (int s = 0; s < PCI_MAX_SLOTS; s++)
		if (h->dev[s] && h->dev[s]->port && pci_port_secondary(h->dev[s]->port) == bus)
			return slot == 0;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct guest_mem mem = {.nr_regions = 1, .memfd = -1};
	/* big (the fake's 4096 GSIs): cleared, not reallocated, for every input */
	static struct testdev test;
	struct testdev *t = memset(&test, 0, sizeof(test));
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct bus pio, mmio;
	struct pci_host h;
	struct errinfo e = {0};

	if (!rng || !ram || bus_init(&pio, "pio") < 0 || bus_init(&mmio, "mmio") < 0 ||
	    pci_host_init(&h, NULL, &pio, &mmio, MMIO64_BASE, MMIO64_SIZE, &e) < 0)
		abort();
	mem.region[0] = (struct guest_mem_region){.gpa = 0, .size = RAM_SIZE, .hva = ram};
	mem.total = RAM_SIZE;
	testdev_setup(t, &h);
	if (virtio_rng_init(rng, NULL, &mem, &e) < 0)
		abort();
	rng->vp.signal = no_rng_signal;
	if (pci_dev_register(&h, &rng->vp.pci, 2, &e) < 0)
		abort();

	while (in.n) {
		uint8_t op = fuzz_u8(&in);
		uint32_t len = fuzz_access_len(op >> 4);
		bool w = op & 8;
		uint64_t addr = 0, val;
		bool ecam = false;
		uint8_t *buf;

		switch (op & 7) {
		case 0: /* ECAM: bus 0 mostly, sometimes further buses */
			addr = fuzz_u32(&in) & 0x1fffff;
			ecam = true;
			break;
		case 1: /* CONFIG_ADDRESS */
			addr = 0xcf8;
			len = 4;
			break;
		case 2: /* CONFIG_DATA, CF9 */
			addr = 0xcf8 + (fuzz_u8(&in) & 7);
			break;
		case 3: /* any port: I/O BARs */
			addr = fuzz_u16(&in);
			break;
		case 4: /* the 32-bit BAR window */
			addr = PCI_MMIO32_BASE + fuzz_u32(&in) % PCI_MMIO32_SIZE;
			break;
		case 5: /* the 64-bit BAR window */
			addr = MMIO64_BASE + fuzz_u32(&in);
			break;
		default: /* anywhere */
			addr = fuzz_u64(&in);
			break;
		}
		val = fuzz_u64(&in);
		buf = malloc(len); /* exactly len bytes: ASan sees overruns */
		if (!buf)
			abort();
		memcpy(buf, &val, len);
		if ((op & 7) == 0 || (op & 7) >= 4) {
			bool hit = bus_dispatch(&mmio, ecam ? PCI_ECAM_BASE + addr : addr, buf, len,
						w);

			/* every bus's ECAM is trapped: buses 0 and 1 are what reads check */
			if (ecam && !w && addr + len <= (2u << 20)) {
				FUZZ_CHECK(hit);
				if (!ecam_present(&h, addr))
					for (uint32_t i = 0; i < len; i++)
						FUZZ_CHECK(buf[i] == 0xff);
			}
		} else {
			bus_dispatch(&pio, addr, buf, len, w);
		}
		free(buf);
	}

	pci_host_exit(&h); /* releases the virtio-rng */
	msix_exit(&t->m);
	bus_exit(&pio);
	bus_exit(&mmio);
	free(ram);
	return 0;
}
