/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO PCI passthrough, as the vfvm core calls it.  Implemented in vfio/
 * (the passthrough device model).
 */
#ifndef VFVM_VFIO_PCI_H
#define VFVM_VFIO_PCI_H

#include <sched.h>
#include <stdint.h>

#include "errinfo.h"
#include "vfio_preflight.h"
#include "vm_record.h"
#include "vfio_iommu.h"
#include "vfio_sys.h"

struct vm;
struct vfio_pci;

#define VFIO_DEFAULT_STATE_DIR "/var/lib/vfctl"

/* How guest RAM is faulted in before the DMA map (the bench compares them). */
enum vfio_prefault {
	VFIO_PREFAULT_PARALLEL = 0, /* threads on the memory's node (default) */
	VFIO_PREFAULT_SERIAL,
	VFIO_PREFAULT_NONE, /* the map faults pages itself */
};

/*
 * The host as the front end describes it (from argv or the environment;
 * nothing in vfio/ reads either): where sysfs is (tests point it at a
 * simulated tree), where remembered drivers live, which backend and
 * prefault to use.
 */
struct vfio_host_opts {
	const char *sysfs_root; /* "" or NULL: the real /sys */
	const char *state_dir; /* NULL: VFIO_DEFAULT_STATE_DIR */
	enum vfio_backend backend;
	enum vfio_prefault prefault;
	unsigned int prefault_threads; /* PARALLEL with this many threads; 0: one per CPU */
	const struct vfio_sys *sys; /* NULL: the real system calls (tests fake them) */
	/*
	 * The VM's record of what it took (vm_record.h), NULL: none kept.  A
	 * managed claim writes each device down before it moves and drops it
	 * once it is back on its host driver.
	 */
	struct vm_record_live *record;
	/* Set when privileged host work goes through vfvm's keeper: NULL does it here. */
	const struct vfio_host_priv *priv;
};

/*
 * Host work a confined VMM asks a privileged helper for (vfvm's keeper):
 * each hook NULL while the VMM does it itself.  give_back: a managed device
 * is off the VM's hands, back to its host driver and out of the VM's
 * record.  irq_affinity: the host IRQ named @action (vfio-msix[N](BDF)) to
 * @cpus.  Both return 0 or -errno with @e set.
 */
struct vfio_host_priv {
	int (*give_back)(void *opaque, const char *bdf, struct errinfo *e);
	int (*irq_affinity)(void *opaque, const char *action, const cpu_set_t *cpus,
			    struct errinfo *e);
	void *opaque;
};

/*
 * Claim one --device BDF[,managed][,vf-token=UUID][,rom=on|off|FILE]
 * [,id=NAME][,failover=NETID] before the VM exists (or, for a hot-add,
 * while it runs, on the I/O thread): the SPEC parsed, the device present, a
 * ROM file read, and the device on vfio-pci - taken from its host driver
 * (with its IOMMU group) when managed, else refused naming its driver.
 * Nothing is opened.  On success *out is the claim, for vfio_pci__add() or
 * vfio_pci__unclaim().
 */
int vfio_pci__claim(const struct vfio_host_opts *h, const char *spec, struct vfio_pci **out,
		    struct errinfo *e);
/*
 * Give a claim that is not added (never, or no more: a kept claim after its
 * release) back (managed devices go back to their host drivers).  Returns
 * how many could not be given back, @e saying the first.
 */
int vfio_pci__unclaim(struct vfio_pci *vp, struct errinfo *e);
const char *vfio_pci__bdf(const struct vfio_pci *vp);
/* The bus-0 slot the added device is in (-1 when it is not on the bus). */
int vfio_pci__slot(const struct vfio_pci *vp);
/* The device id (id=NAME, or the default vm_pci_plug() gave; "" before the first add). */
const char *vfio_pci__id(const struct vfio_pci *vp);
/* failover=NETID: the id of the --net ...,failover=on this VF is primary of; "" none. */
const char *vfio_pci__failover(const struct vfio_pci *vp);

/*
 * Whether the claimed device is a network controller (PCI class 0x02xxxx in
 * sysfs): 0, or -ENOTSUP naming the BDF and its class (a failover primary
 * must be a NIC), or -errno when the class cannot be read.
 */
int vfio_pci__net_class_check(const struct vfio_pci *vp, struct errinfo *e);

/*
 * Open a claimed device, DMA-map guest RAM (only when it is the VM's first
 * passthrough device: a later one joins the container/IOAS that holds the
 * mappings) and put a PCI function on vm->pci through vm_pci_plug().
 * Called after vm_create(): before vm_run() on the main thread, or while
 * the VM runs (hot-add) on the I/O thread - vm_pci_plug() then announces
 * the device to the guest.  Takes the claim: on failure it is released (a
 * managed device given back) - except a kept claim (vfio_pci__keep_claim),
 * which stays the caller's, claimed.
 *
 * The device is released by pci_dev.release: with the VM (vm_destroy()) or
 * when the guest ejected it after a hot-unplug (I/O thread).  Its release
 * lets go of it right away: device fd closed, and once no other open
 * device of the VM is in its IOMMU group, the group detached (type1) or
 * the cdev closed (iommufd), so managed devices go back to their host
 * drivers at once (those of a group still open go back with the group's
 * last device; the last device closes the container/IOAS).  How many could
 * not go back is added to vm->release_failed, vm->release_err saying the
 * first: a caller of d->release() sees the count grow; a hot-remove while
 * the VM runs also logs it (vm->log, VLOG_ERR) naming the device id.
 */
int vfio_pci__add(struct vm *vm, struct vfio_pci *vp, struct errinfo *e);

/*
 * For failover primaries, which leave the guest and come back later
 * without going back to their host driver in between: once set, the
 * device's release (pci_dev.release) closes everything as usual but keeps
 * the claim - the device stays on vfio-pci, @vp is not freed, it is in the
 * claimed state as after vfio_pci__claim() - and then calls
 * @released(@opaque, @vp) (on the releasing thread), so that the front end
 * can vfio_pci__add() it again or vfio_pci__unclaim() it at exit.
 * @released NULL undoes it.
 */
void vfio_pci__keep_claim(struct vfio_pci *vp,
			  void (*released)(void *opaque, struct vfio_pci *claim), void *opaque);

/*
 * `vfvm check --device SPEC`: run the pre-flight checks (vfio_preflight.h) for
 * one --device option against the guest layout vfvm would build (RAM
 * regions, 64-bit MMIO window, guest physical address bits; @mem may be
 * NULL to skip the RAM checks).  Changes nothing.  Returns the number of
 * failed checks, or -errno (bad SPEC) with @e filled.  Print r->items[].
 */
struct guest_mem;
struct preflight_report;
struct mmio_plan;
struct mmio_plan_dev;
int vfio_pci__check(const struct vfio_host_opts *h, const char *spec, const struct guest_mem *mem,
		    const struct mmio_plan *plan, const struct errinfo *plan_err,
		    struct preflight_report *r, struct errinfo *e);

/*
 * The 64-bit BARs of the device of --device @spec (its sysfs resource file)
 * as the 64-bit window plan takes them (mmio_plan.h), named as the device
 * will register.  Returns how many, or -errno (bad SPEC: -EINVAL).
 */
int vfio_pci__mmio_dev(const struct vfio_host_opts *h, const char *spec, struct mmio_plan_dev *d,
		       struct errinfo *e);

/* The PCI device name of passed-through device @bdf ("vfio 0000:17:00.0"). */
void vfio_pci__name(const char *bdf, char *buf, size_t size);

/*
 * Per MSI-X vector of every passed-through device: its route and whether
 * each posted-interrupt condition holds (see posted.h).  Fills up to @max
 * entries and returns how many vectors there are; @host gets the host-side
 * conditions.  For `vfvm` to list.
 */
struct vfio_irq_report_entry {
	char bdf[16];
	unsigned int vector;
	int gsi; /* -1: never enabled */
	uint64_t addr;
	uint32_t data;
	unsigned int dest; /* APIC destination */
	bool masked;
	bool irqfd; /* KVM irqfd attached now */
	bool same_eventfd; /* VFIO trigger == irqfd eventfd (always, by design) */
	bool kvm_vfio; /* device registered with the KVM-VFIO device */
	bool single_target; /* one vCPU named */
	bool delivery_ok; /* fixed or lowest-priority */
	bool postable; /* every VM-side condition holds */
};
struct vfio_pi_host;
/*
 * How the guest-RAM DMA map went (bytes, prefault threads and seconds, map
 * calls and seconds, backend "type1v2"/"iommufd"), for vfvm to report.
 * Returns -ENOENT when no device was added.
 */
/*
 * NUMA node of the device a --device SPEC names (-1 unknown or bad SPEC)
 * and the node's CPU list in @cpus: vfvm pins vCPUs there by default so
 * DMA and interrupts stay node-local.
 */
int vfio_pci__numa_node(const struct vfio_host_opts *h, const char *spec, char *cpus, size_t size);
/*
 * The CPUs of that node this process may run on, in @set and as a list in
 * @list: where the prefault threads of the DMA map run.  Returns the node,
 * or -1 with @set empty (unknown, bad SPEC, none allowed: any CPU).
 */
int vfio_pci__numa_cpus(const struct vfio_host_opts *h, const char *spec, cpu_set_t *set,
			char *list, size_t size);
struct vfio_dma_stats;
int vfio_pci__dma_stats(struct vm *vm, struct vfio_dma_stats *st, const char **backend);

/* A passed-through device's peer-to-peer BAR mappings (vfvm ctl PATH info). */
#define VFIO_P2P_INFO_MAX 16
struct vfio_p2p_info {
	bool enabled;
	int clique; /* gpudirect-clique, -1 none */
	unsigned int mapped; /* BAR pieces DMA-mapped now */
	unsigned int failed; /* map calls that failed (warned) */
	int last_err;
	uint64_t bytes;
	unsigned int nr; /* entries in map (the first VFIO_P2P_INFO_MAX) */
	struct {
		int bar;
		uint64_t iova; /* = guest-physical address */
		uint64_t size;
	} map[VFIO_P2P_INFO_MAX];
};
struct pci_dev;
/* -ENOENT when @d is not an added passthrough device. */
int vfio_pci__p2p_info(struct pci_dev *d, struct vfio_p2p_info *out);
/*
 * Host IRQ steering (irq/host_affinity.h) failures: returns how many, with
 * the first one in @w (0 when every steer worked or none was needed).
 */
int vfio_pci__irq_steer_warning(struct vm *vm, struct errinfo *w);
int vfio_pci__irq_report(struct vm *vm, const char *sysfs_root, struct vfio_irq_report_entry *out,
			 int max, struct vfio_pi_host *host);

/*
 * Run-time failure counters of each passed-through device (also reported
 * one by one through vm->log): MSI-X route/irqfd calls, other interrupt
 * set-up (MSI, INTx, VFIO SET_IRQS) caused by the guest, host IRQ steering.
 * Fills up to @max entries; returns the number of devices.
 */
struct vfio_irq_errors {
	char bdf[16];
	unsigned int msix; /* MSI-X routing/irqfd failures */
	unsigned int irq; /* MSI/MSI-X enable, INTx, VFIO SET_IRQS failures */
	unsigned int steer_failed; /* host IRQ affinity writes that failed */
	unsigned int steered; /* and those that worked */
};
int vfio_pci__irq_errors(struct vm *vm, struct vfio_irq_errors *out, int max);

#endif
