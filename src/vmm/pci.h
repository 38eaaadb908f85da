/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated PCI host bridge (bus 0 only) and the device interface that
 * every PCI device model (virtio, VFIO passthrough) implements.
 *
 * Config space reaches the host through ECAM (MMIO, PCI_ECAM_BASE) and the
 * legacy 0xCF8/0xCFC ports.  The host keeps a 4 KiB shadow of each
 * device's config space and handles itself:
 *   - BARs and the ROM BAR: sizing (all-ones writes), placement, and the
 *     activate/deactivate hooks when the guest moves a BAR or toggles
 *     memory/IO decode in the command register;
 *   - the MSI-X capability's Message Control word (when dev->msix is set);
 *   - other registers: shadow, with writes limited by the write mask.
 * A device may add cfg_read/cfg_write hooks to see or override accesses
 * (VFIO forwards what it does not emulate to the real device there).
 *
 * A device may ask for a PCIe root port of its own (want_port, pci_port.h):
 * the port sits in the device's bus-0 slot and the device is function 0 of
 * the port's secondary bus, its BARs inside the port's windows.
 *
 * Guest address layout (see vm.h): 32-bit MMIO window below the ECAM area,
 * a 64-bit MMIO window above RAM, I/O ports 0xC000-0xFFFF for I/O BARs.
 */
#ifndef VFVM_PCI_H
#define VFVM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/pci_regs.h> /* register offsets and bits: PCI_COMMAND, ... */

#include "bus.h"
#include "errinfo.h"
#include "irq.h"
#include "pci_caps.h"
#include "snap_stream.h"

struct mmio_plan; /* mmio_plan.h */

#define PCI_CFG_SIZE PCI_CFG_SPACE_EXP_SIZE
#define PCI_MAX_SLOTS 32
#define PCI_NR_BARS PCI_STD_NUM_BARS
#define PCI_ROM_BAR 6 /* index used for the expansion ROM in bar[] */
#define PCI_DEV_ID_MAX 32 /* device ids (id=NAME), the terminating NUL included */

#define PCI_ECAM_BASE 0xE0000000ULL
#define PCI_ECAM_SIZE 0x10000000ULL /* 256 buses: 0 and the root ports' secondaries */
#define PCI_MAX_BUS 255
#define PCI_MMIO32_BASE 0xC0000000ULL
#define PCI_MMIO32_SIZE 0x20000000ULL /* 0xC0000000-0xDFFFFFFF */
/* I/O port window (PCI_IO_BASE is the bridge register in linux/pci_regs.h) */
#define PCI_PIO_BASE 0xC000
#define PCI_PIO_SIZE 0x4000

/* bar flags */
#define PCI_BARF_IO (1u << 0) /* I/O space (else memory) */
#define PCI_BARF_MEM64 (1u << 1) /* 64-bit memory BAR (uses two slots) */
#define PCI_BARF_PREFETCH (1u << 2) /* prefetchable */

struct pci_dev;
struct pci_host;
struct msix;

/*
 * What a function is, set by its device model after pci_dev_init(): how a
 * layer finds its own functions on the host (never by comparing hooks).
 */
enum pci_dev_kind {
	PCI_DEV_EMULATED = 0, /* anything else (unit-test functions) */
	PCI_DEV_VIRTIO, /* src/devices/virtio_pci.c */
	PCI_DEV_VFIO, /* vfio/vfio_pci.c: a passed-through host device */
};

struct pci_bar {
	uint64_t size; /* power of two, 0 = unused */
	unsigned int flags;
	uint64_t addr; /* guest address currently programmed */
	bool active; /* decoded at addr right now */
	/*
	 * Trap handler for an emulated BAR: when the device has no
	 * activate hook, the host registers this on the MMIO/PIO bus at
	 * addr while the BAR is active.
	 */
	bus_access_fn *access;
	void *access_opaque;
};

struct pci_dev {
	/* filled by the device model before pci_dev_register() */
	const char *name; /* e.g. "virtio-blk", "vfio 0000:01:00.1" */
	/*
	 * The id users name the device by (id=NAME in its SPEC; the control
	 * API's info, remove-device, events).  Empty: vm_pci_plug() gives it
	 * a default (net0, virtio-blk0, hostdev0, ...).
	 */
	char id[PCI_DEV_ID_MAX];
	enum pci_dev_kind kind;
	uint8_t cfg[PCI_CFG_SIZE]; /* shadow; header + capabilities set up by the device */
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may change (shadow-only regs) */
	struct pci_bar bar[PCI_NR_BARS + 1]; /* + ROM at PCI_ROM_BAR */
	struct msix *msix; /* MSI-X state if the device has the capability */
	/*
	 * Set with @msix by the one MSI-X model (src/devices/msix.c): the host
	 * tells it about every config write it applied, and the model acts on
	 * those touching its Message Control word.  A hook, so the host (a
	 * lower layer) never calls up into the device models.
	 */
	void (*msix_cfg_write)(struct msix *m, uint32_t off, uint32_t len);
	void *opaque; /* device model's own state */

	/*
	 * Optional.  Called after the host filled @data from the shadow; the
	 * device may overwrite it (e.g. with the real device's value).
	 */
	void (*cfg_read)(struct pci_dev *d, uint32_t off, uint8_t *data, uint32_t len);
	/* Optional.  Called after the host applied the write to the shadow. */
	void (*cfg_write)(struct pci_dev *d, uint32_t off, const uint8_t *data, uint32_t len);
	/*
	 * Optional.  When set, the host calls these instead of registering
	 * bar[].access on a bus: VFIO installs memslots for mmap-able BARs.
	 * Return 0 or -errno (the BAR then stays inactive).
	 */
	int (*bar_activate)(struct pci_dev *d, int bar, uint64_t addr, uint64_t size);
	int (*bar_deactivate)(struct pci_dev *d, int bar, uint64_t addr, uint64_t size);
	/*
	 * Optional.  Called once so the device model frees what it allocated,
	 * the pci_dev included if it owns it: by pci_host_exit() (VM teardown,
	 * vCPUs stopped; reverse slot order, each already off h->dev[]), or
	 * after a hot-unplug (pci_hotplug.c: on the I/O thread, the device
	 * already off the bus with d->slot == -1, the vCPUs running again).  The one teardown path
	 * for every PCI device: a failure the user must hear of goes to vm->release_failed.
	 */
	void (*release)(struct pci_dev *d);
	/*
	 * Optional (snapshots): @save writes the device model's own state -
	 * everything beyond the config shadow and BAR placement, which the
	 * host saves - into the open section of @o, with the VM paused and
	 * on the I/O thread.  @load reads it back on a restored VM, after
	 * the host restored config and BARs and before any vCPU runs; the
	 * section is hostile input (check every value, name it in @e).  A
	 * device without @save cannot be snapshotted (VFIO passthrough).
	 */
	void (*save)(struct pci_dev *d, struct snap_out *o);
	int (*load)(struct pci_dev *d, struct snap_sec *s, struct errinfo *e);

	uint32_t cap_end; /* first free config byte after capabilities (pci_cap_add) */

	/*
	 * Set before pci_dev_register() for a device that sits behind a PCIe
	 * root port of its own (pci_port.h), which reports @port_link as its
	 * link.  vm_pci_plug() clears it for a device added while the guest
	 * runs: those go on bus 0 (ACPI hot-plug of bus-0 slots).
	 */
	bool want_port;
	struct pcie_link port_link;

	/* set by the host */
	struct pci_host *host;
	int slot; /* device number on bus 0 (of its root port when it has one) */
	struct pci_dev *port; /* the root port in front of it, NULL on bus 0 */
};

struct pci_host {
	struct vm *vm; /* for buses and memslots; may be NULL in unit tests */
	struct bus *pio;
	struct bus *mmio;
	pthread_mutex_t lock; /* config space accesses and BAR moves */
	struct pci_dev *dev[PCI_MAX_SLOTS];
	uint32_t cf8; /* CONFIG_ADDRESS latch */
	/*
	 * BAR windows [base, end): first-fit over the ranges the registered
	 * devices hold, so a removed device's space is reused.
	 */
	uint64_t mmio32_base, mmio32_end;
	uint64_t mmio64_base, mmio64_end;
	/*
	 * The 64-bit window's plan (mmio_plan.h; NULL: none): a planned
	 * device's 64-bit BARs go to their planned addresses, and no other
	 * device is placed on them.  Set once, before devices register.
	 */
	const struct mmio_plan *plan;
	uint32_t io_base, io_end;
	unsigned int next_bus; /* the next root port's secondary bus */
	bool traps; /* ECAM/CF8/CFC registered on the buses */
};

/* PCI config helpers on a shadow (little-endian) */
static inline uint16_t pci_cfg_r16(const struct pci_dev *d, uint32_t off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

static inline uint32_t pci_cfg_r32(const struct pci_dev *d, uint32_t off)
{
	return (uint32_t)d->cfg[off] | (uint32_t)d->cfg[off + 1] << 8 |
	       (uint32_t)d->cfg[off + 2] << 16 | (uint32_t)d->cfg[off + 3] << 24;
}

static inline void pci_cfg_w16(struct pci_dev *d, uint32_t off, uint16_t v)
{
	d->cfg[off] = v & 0xff;
	d->cfg[off + 1] = v >> 8;
}

static inline void pci_cfg_w32(struct pci_dev *d, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		d->cfg[off + i] = (v >> (8 * i)) & 0xff;
}

/*
 * Host bridge: registers the ECAM (bus 0) and 0xCF8/0xCFC traps on @mmio
 * and @pio (none when either is NULL).  @vm may be NULL (unit tests; the
 * 0xCF9 reset is then ignored).  The 64-bit window is
 * [mmio64_base, mmio64_base + mmio64_size).
 */
int pci_host_init(struct pci_host *h, struct vm *vm, struct bus *pio, struct bus *mmio,
		  uint64_t mmio64_base, uint64_t mmio64_size, struct errinfo *e);
void pci_host_exit(struct pci_host *h);

/*
 * Initialise a device shadow: vendor/device/class/revision, header type 0,
 * capabilities list empty, standard write masks (command, BARs done by host,
 * interrupt line, cache line size, latency timer).
 */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		  uint16_t subsys_id);

/* Declare BAR @idx (size a power of two >= 16, or >= 4 for I/O). */
int pci_bar_declare(struct pci_dev *d, int idx, uint64_t size, unsigned int flags,
		    bus_access_fn *access, void *access_opaque, struct errinfo *e);

/*
 * Add a capability of @len bytes (ID at byte 0, next pointer filled in
 * here); returns its config offset (>= 0x40) or -ENOSPC.
 */
int pci_cap_add(struct pci_dev *d, uint8_t id, const void *body, uint32_t len, struct errinfo *e);

/*
 * Put the device in a free slot (or @slot when >= 0), assign every BAR an
 * address in the right window (naturally aligned, first fit around what
 * the registered devices hold - where placed or where the guest moved
 * them - so a removed device's space is reused; 64-bit BARs go to the
 * 64-bit window, large ones first), and program the BAR
 * registers as firmware would.  BARs become active when the guest enables
 * decode in the command register.
 */
int pci_dev_register(struct pci_host *h, struct pci_dev *d, int slot, struct errinfo *e);

/*
 * Take @d off the bus (hot-unplug): under h->lock every active BAR is
 * deactivated (bar_deactivate hook or bus trap removed), h->dev[slot]
 * cleared and d->slot set to -1; config accesses to the slot then read
 * all ones and the BAR ranges are free for the next pci_dev_register().
 * Does not call d->release.  -ENOENT when @d is not on @h.  The caller
 * keeps the vCPUs out of the device's BARs (a VFIO memslot goes away).
 */
int pci_dev_unregister(struct pci_host *h, struct pci_dev *d);

/* Config access by (slot, function, offset), used by the traps and by tests. */
void pci_cfg_access(struct pci_host *h, unsigned int bus, unsigned int slot, unsigned int fn,
		    uint32_t off, uint8_t *data, uint32_t len, bool is_write);

/*
 * Snapshots (src/vmm/pci_snap.c).  pci_host_save_dev() writes into the
 * caller's open section of @o: the slot, the 4 KiB config shadow, each
 * BAR's size, flags, address and decode state (the ROM too), then the
 * device model's own state through d->save when it has one.  Call it with
 * the vCPUs paused, on the I/O thread, and before guest memory is saved:
 * a device's save may finish work in flight (virtio-blk's thread), which
 * writes guest memory.
 *
 * pci_host_load_dev() restores that into @d, a device of the same kind
 * already registered in the same slot of a freshly created VM (vCPUs not
 * yet run).  Hostile input: it refuses (-EBADMSG, @what and the section
 * named) a truncated part, another slot, another device (vendor, device,
 * class, revision, header type, subsystem or BAR layout differ), BAR
 * registers with bits the device does not implement, decoding BARs
 * outside their window or misaligned - before changing anything.  Then
 * the config shadow takes the saved value of every guest-writable bit
 * (write mask, BAR registers, MSI-X Message Control) and keeps the rest
 * from the live device, and the BARs decode where they did, through the
 * path a guest write takes (bar_activate hooks / bus traps).  Last, d->load
 * reads the rest of @s (nothing when the device has no load hook).  The
 * caller closes @s (snap_close) afterwards, which refuses bytes left over.
 * On a failure of d->load the device is half restored: the caller throws
 * the VM away (restore never runs a VM whose load failed).
 */
void pci_host_save_dev(struct pci_host *h, struct pci_dev *d, struct snap_out *o);
int pci_host_load_dev(struct pci_host *h, struct pci_dev *d, struct snap_sec *s, const char *what,
		      struct errinfo *e);
/* Whether @d can be snapshotted: its model saves its own state (VFIO cannot). */
bool pci_dev_can_snapshot(const struct pci_dev *d);

/*
 * The address the guest finds @d at ("0000:00:03.0", or "0000:01:00.0"
 * behind a root port: the port's secondary bus as programmed now).
 */
void pci_dev_guest_bdf(const struct pci_dev *d, char *buf, size_t size);

/* Guest-visible INTx: the legacy GSI of a slot (swizzled onto IOAPIC pins 16-23). */
unsigned int pci_slot_gsi(int slot);

#endif
