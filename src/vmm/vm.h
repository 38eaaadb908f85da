/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One virtual machine: KVM handles, guest memory, vCPUs, trap buses, the
 * PCI host bridge, the interrupt routing table and the I/O thread.
 *
 * Guest physical layout:
 *   0            - low RAM (up to VM_LOW_RAM_MAX = 3 GiB)
 *   0xC0000000   - 32-bit PCI MMIO window (PCI_MMIO32_*)
 *   0xE0000000   - PCIe ECAM (PCI_ECAM_*)
 *   0xFEC00000   - IOAPIC, 0xFEE00000 LAPIC
 *   0xFF000000   - firmware image (end at 4 GiB) when --firmware is used
 *   4 GiB        - high RAM (what did not fit below 3 GiB)
 *   above RAM    - 64-bit PCI MMIO window (vm->mmio64_base): at a multiple
 *                  of the largest BAR (1 GiB at least), sized from the devices
 *                  given at start or by the user, below 2^phys_bits
 *                  (mmio_plan.h)
 */
#ifndef VFVM_VM_H
#define VFVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "dirty_ring.h"
#include "errinfo.h"
#include "guest_mem.h"
#include "irq.h"
#include "log.h"
#include "mmio_plan.h"
#include "pci.h"

struct sandbox;
struct numa_plan;

#define VM_LOW_RAM_MAX 0xC0000000ULL
#define VM_HIGH_RAM_BASE 0x100000000ULL
#define VM_MAX_VCPUS 64
#define VM_MAX_MEMSLOTS 512 /* KVM on x86 has 509 user slots per address space */

/* vfvm exit statuses (documented in vfvm(1)) */
enum vm_exit_status {
	VM_EXIT_POWEROFF = 0, /* guest powered off (ACPI sleep S5) or debug-exit 0 */
	VM_EXIT_ERROR = 1, /* VMM error (setup failed, I/O thread failure) */
	VM_EXIT_USAGE = 2, /* bad command line */
	VM_EXIT_RESET = 3, /* guest asked for reset/reboot (i8042 0xFE, ACPI reset) */
	VM_EXIT_CRASH = 4, /* guest crashed: triple fault, KVM internal error */
	VM_EXIT_SIGNAL = 5, /* stopped by SIGINT/SIGTERM */
	VM_EXIT_DEBUG_BASE = 64, /* debug-exit port: 64 + (value & 63) for value != 0 */
};

/* Test-program exit port: a write of value v ends the VM (see above). */
#define VM_DEBUG_EXIT_PORT 0x501

struct vcpu;
struct vfio_shared; /* owned by vfio/ (vfio_pci.c) */

struct vm_config {
	uint64_t mem_size; /* bytes */
	unsigned int nr_cpus;
	bool hugetlb;
	uint64_t hugepage_size; /* with hugetlb: 2 MiB (also when 0) or 1 GiB */
	const char *cpu_affinity; /* "0-1,3" or NULL */
	/*
	 * Guest RAM from another vfvm on this host (upgrade): its memfd, which
	 * the VM takes over (closed with it), mapped instead of a new one.
	 */
	bool mem_fd_given;
	int mem_fd;
	/*
	 * The 64-bit PCI window: its size (--mmio64; 0 sizes it from the
	 * devices) and the 64-bit BARs of the devices given at start, which
	 * get their planned places when they register (mmio_plan.h).
	 */
	uint64_t mmio64_size;
	const struct mmio_plan_dev *mmio_devs;
	unsigned int nr_mmio_devs;
	/*
	 * How a live migration will learn which pages the vCPUs wrote: the
	 * dirty ring is enabled here, at creation, or never (KVM refuses it
	 * once a vCPU exists); see dirty_ring.h.
	 */
	enum vm_dirty_track dirty_track;
	/*
	 * Guest NUMA (numa.h; NULL: none): vm_create() binds each node's RAM
	 * to its host node before anything touches it, linux_boot() writes
	 * SRAT, SLIT and the _PXM of the slots the plan lists.
	 */
	const struct numa_plan *numa;
};

struct vm_io_handler; /* opaque; see vm_io_add() */
struct vm_cleanup; /* opaque; see vm_at_destroy() */

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct vm_config cfg;

	struct guest_mem mem;
	uint64_t mmio64_base; /* 64-bit PCI window (mmio_plan.base) */
	uint64_t mmio64_size;
	unsigned int phys_bits; /* guest physical address bits: vm_guest_phys_bits() */
	struct mmio_plan mmio_plan; /* the window and the start-up devices' BARs in it */

	unsigned int nr_vcpus;
	struct vcpu *vcpus;

	struct bus pio;
	struct bus mmio;
	struct pci_host pci;
	struct irq_routing irq;
	bool has_irqchip;
	bool has_pit; /* vm_create_pit() */
	uint64_t memslot_used[VM_MAX_MEMSLOTS / 64]; /* KVM memslot ids in use */
	pthread_mutex_t memslot_lock;

	/* I/O thread: one epoll loop for eventfds, tap, stdin, ... */
	int epoll_fd;
	int stop_efd; /* eventfd: wakes the I/O thread and the main thread at exit */
	pthread_t io_thread;
	bool io_thread_started;
	pthread_mutex_t io_lock;
	struct vm_io_handler *io_handlers; /* list, freed at vm_destroy() */
	struct vm_cleanup *cleanups; /* vm_at_destroy() list */

	/*
	 * Run-time failures of devices and interrupt paths (irqfd, route,
	 * host IRQ steering), counted; the front end sets log.cb to print
	 * them.  Initialised by vm_create() before anything can fail.
	 */
	struct vlog log;

	/* devices that need per-VM state reachable by the core */
	void *serial;
	void *platform;
	void *hotplug; /* src/vmm/pci_hotplug.c */

	/*
	 * Control-API events (set by the API server, src/vmm/api.c): see
	 * vm_event().  NULL when nobody listens.
	 */
	void (*event_cb)(void *opaque, const char *name, const char *id, const char *detail);
	void *event_opaque;
	/*
	 * Passthrough state every VFIO device of this VM shares (container or
	 * IOAS, DMA map, devices waiting to go back to their host drivers):
	 * created with the first device, freed with the last one's release.
	 * Opaque here; only vfio/ looks inside.
	 */
	struct vfio_shared *vfio;
	/* src/vmm/sandbox.h: each thread enters its role after setup; NULL: off */
	const struct sandbox *sandbox;
	/*
	 * Devices whose release (pci_dev.release, in vm_destroy()) failed in a
	 * way the user must hear of - a managed passthrough device not given
	 * back to its host driver - and the first failure with what to do.
	 * For the front end to report after vm_destroy().
	 */
	int release_failed;
	struct errinfo release_err;

	/*
	 * Set by the front end before passthrough devices are added: called as
	 * the guest-RAM DMA map advances (big guests only), so the user sees
	 * progress instead of a silent pause.  Libraries never print.
	 */
	void (*dma_progress)(void *opaque, uint64_t done, uint64_t total);
	void *dma_progress_opaque;

	/* Exit request: first writer wins. */
	atomic_int exit_requested;
	int exit_status; /* enum vm_exit_status or debug value */
	char exit_reason[256];
	pthread_mutex_t exit_lock;
	pthread_cond_t exit_cond; /* exit_kicked or vcpus_go set */
	bool vcpus_go; /* every vCPU thread exists: they may enter KVM_RUN */
	/*
	 * The exit requester has kicked every vCPU and the I/O thread and
	 * is done with them: only now may vm_run() join (and forget) them.
	 */
	bool exit_kicked;
	/*
	 * Pause (the control API): vCPUs leave KVM_RUN and wait on exit_cond
	 * while pause_requested; nr_paused counts those waiting.  Both under
	 * exit_lock.
	 */
	bool pause_requested;
	unsigned int nr_paused;
	/*
	 * Percent of time each vCPU is kept out of the guest (migration
	 * auto-converge, throttle.c); 0 = off.  Atomic access.
	 */
	unsigned int throttle_pct;
	/* KVM's per-vCPU dirty rings, when vm_create() enabled them (dirty_ring.h) */
	struct vm_dirty_ring dirty_ring;
};

/* Create the VM: KVM fds, guest RAM, memslots, irqchip, buses, PCI host, routing. */
int vm_create(struct vm *vm, const struct vm_config *cfg, struct errinfo *e);
/*
 * Tear everything down (safe on a partly created VM): every PCI device is
 * released through pci_dev.release; release_failed/release_err then say
 * what the user must hear of.
 */
void vm_destroy(struct vm *vm);

/*
 * Add a KVM memslot mapping [gpa, gpa+size) to host memory @hva (device
 * BARs mmapped by VFIO, ROMs).  Returns the slot id (>= 0) or -errno.
 */
int vm_memslot_add(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly,
		   struct errinfo *e);
int vm_memslot_del(struct vm *vm, int slot, struct errinfo *e);

/*
 * I/O thread: call @cb(fd, epoll events, opaque) when @fd is ready.  May be
 * called before or after vm_run() starts; @cb runs on the I/O thread.
 */
int vm_io_add(struct vm *vm, int fd, uint32_t events,
	      void (*cb)(int fd, uint32_t events, void *opaque), void *opaque, struct errinfo *e);
int vm_io_del(struct vm *vm, int fd);
/*
 * One round of the I/O thread's loop: wait up to @timeout_ms (-1: forever)
 * and run the callbacks of the ready fds.  Returns how many were ready or
 * -errno.  The I/O thread's body; unit tests drive handlers with it.
 */
int vm_io_poll(struct vm *vm, int timeout_ms);
/*
 * Run @fn(@opaque) in vm_destroy() (after the vCPUs and I/O thread have
 * stopped, before guest memory goes away), last added first: for state
 * that is not a PCI device (PCI devices use pci_dev.release).
 */
int vm_at_destroy(struct vm *vm, void (*fn)(void *opaque), void *opaque, struct errinfo *e);
/* Internal (vm_destroy): free the handler list; run the vm_at_destroy() list. */
void vm_io_cleanup(struct vm *vm);
void vm_run_cleanups(struct vm *vm);

/*
 * Ask the VM to stop with @status; @reason says why (for the log).  Safe
 * from any thread and from signal handlers' deferred work; the first
 * request wins.  Every vCPU is kicked out of KVM_RUN.
 */
void vm_request_exit(struct vm *vm, int status, const char *reason);

/*
 * Commit IRQ routes, start vCPU and I/O threads, wait for an exit request,
 * stop them.  Returns the exit status (enum vm_exit_status or a debug-exit
 * value, >= 0; @e says why for ERROR/CRASH), or -errno if it could not start.
 */
int vm_run(struct vm *vm, struct errinfo *e);
/*
 * Hold every vCPU out of KVM_RUN (guest time keeps going); returns once all
 * are parked.  A vCPU parks only after finishing the instruction of its
 * last exit (one KVM_RUN with immediate_exit: an IN's value reaches RAX,
 * string I/O completes), so state read while paused is whole, as a
 * snapshot needs.  Returns -EAGAIN when the vCPUs are not running (yet or any more),
 * -ETIMEDOUT when one did not stop within a second.  vm_resume() lets them
 * go.  From any thread but a vCPU's.
 */
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);
/*
 * Wait until vm_run() has let the vCPUs go (true) or the VM is stopping
 * (false).  For work the I/O thread must do with the guest running, such
 * as a hot-plug right after a restore: the I/O thread starts first.
 */
bool vm_wait_running(struct vm *vm);
/* Internal (vcpu.c): park the calling vCPU while a pause is requested. */
void vm_vcpu_park(struct vm *vm);

/*
 * Tell control-API subscribers that @name happened (device-added,
 * device-removed, failover-negotiated, ...) to device @id (may be NULL),
 * with a human @detail (may be NULL).  I/O thread only: work that starts
 * on a vCPU thread is handed over through an eventfd first.
 */
void vm_event(struct vm *vm, const char *name, const char *id, const char *detail);

/*
 * Physical address bits for a guest: the host CPU's (CPUID 0x80000008
 * EAX[7:0]), capped by what KVM reports for that leaf in
 * KVM_GET_SUPPORTED_CPUID (@kvm_fd < 0: the host's alone).  The vCPUs'
 * CPUID 0x80000008 says the same.
 */
unsigned int vm_guest_phys_bits(int kvm_fd);

/* The first byte above guest RAM of @mem_size bytes as vm_create() lays it out. */
uint64_t vm_ram_top(uint64_t mem_size);

/* Parse "0-2,5" into @cpus; returns the count or -EINVAL. */
int vm_parse_cpu_affinity(const char *list, int *cpus, int max);

/*
 * Whether to build with an in-kernel PIT: set before vm_create() would
 * cost ~15 ms at teardown, so it is created only when asked for (Linux
 * boots calibrate against it; firmware test programs do not need it).
 */
int vm_create_pit(struct vm *vm, struct errinfo *e);

#endif
