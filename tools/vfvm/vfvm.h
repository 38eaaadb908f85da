/* SPDX-License-Identifier: GPL-2.0-only */
/* vfvm front end: what the command files share (main.c parses, the rest act). */
#ifndef VFVM_FRONT_H
#define VFVM_FRONT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "api.h"
#include "log.h"
#include "vf_mac.h"
#include "vfio_pci.h"
#include "vflink.h"

struct vm;
struct snap_out;
struct vfvm_migration;

/* A virtio-net failover pair (failover.c): where its VF primary is. */
enum vfvm_failover_state {
	FO_WAIT_STANDBY, /* claimed, waiting for the guest to accept STANDBY */
	FO_PLUGGED,
	FO_UNPLUGGING, /* failover-unplug asked the guest */
	FO_UNPLUGGED, /* the guest let go; traffic on virtio */
};
#define VFVM_MAX_FAILOVER 8
struct vfvm_failover {
	char net_id[32];
	char vf_id[32];
	uint8_t mac[6]; /* the standby's MAC, which the primary carries */
	struct vfio_pci *claim; /* the VF, on vfio-pci for the VM's life; NULL: pair ended */
	struct vf_mac_lease lease;
	enum vfvm_failover_state state;
};

/*
 * How an emulated device was made (its SPEC as given, its id made explicit):
 * what a snapshot records so that --restore makes the same device again.
 */
enum vfvm_dev_kind { VFVM_DEV_DISK, VFVM_DEV_NET, VFVM_DEV_RNG };
#define VFVM_MAX_SPECS 64
struct vfvm_spec {
	char id[32];
	enum vfvm_dev_kind kind;
	char spec[API_SPEC_MAX];
};

/*
 * The devices of a running VM as the front end manages them (devices.c,
 * failover.c, snapshot.c): the control API's hooks.
 */
struct vfvm_devices {
	struct vm *vm;
	/* what a snapshot needs to make the VM again */
	struct vfvm_spec specs[VFVM_MAX_SPECS];
	int nr_specs;
	bool debug_exit; /* --debug-exit */
	bool pit; /* an in-kernel PIT (Linux boots) */
	const char *firmware; /* --firmware FILE: placed again on restore (not guest RAM) */
	struct vflink *nl; /* VF MACs of failover primaries; opened with the first pair */
	struct vfvm_failover pairs[VFVM_MAX_FAILOVER];
	int nr_pairs;
	struct vfvm_migration *mig; /* the outgoing migration (migrate_out.c), NULL: none yet */
	struct vfvm_postcopy_in *pc_in; /* an incoming post-copy under way (migrate_in.c) */
	bool incoming; /* made by --incoming: failover MACs are set when plugged */
};
void vfvm_devices_hooks(struct vfvm_devices *x, struct api_hooks *h);
/*
 * A claimed VF with failover=NET becomes the primary of virtio-net NET (which
 * must exist, with failover=on): refused (and unclaimed) when NET is not
 * such a standby, the VF is not a NIC or its PF cannot set its MAC to the
 * standby's.  It is plugged when the guest accepts STANDBY (now, when it
 * has already).  Takes the claim in every case.
 */
int vfvm_failover_add(struct vfvm_devices *x, struct vfio_pci *claim, struct errinfo *e);
/* failover-unplug (@plug_back false) and failover-replug of NET's primary. */
int vfvm_failover_move(struct vfvm_devices *x, const char *net_id, bool plug_back,
		       struct errinfo *e);
/* "primary vf0 (BDF) plugged" for info, or NULL when @net_id has no pair. */
const char *vfvm_failover_describe(struct vfvm_devices *x, const char *net_id, char *buf,
				   size_t size);
/*
 * After vm_destroy(): every primary gets its MAC back and goes back to its
 * host driver.  Returns how many steps failed, @e the first.
 */
int vfvm_failover_exit(struct vfvm_devices *x, struct errinfo *e);
/*
 * After the state of a restore or incoming migration is in (before
 * vm_run()): plug each pair's primary once the vCPUs run, if the loaded
 * guest had accepted STANDBY.
 */
int vfvm_failover_restored(struct vfvm_devices *x, struct errinfo *e);
/*
 * add-device and the run options: create the device @spec describes (@kind)
 * in the VM (running or not); @id (may be NULL) gets its id.  Emulated
 * devices are recorded for snapshots.
 */
int vfvm_add_device(struct vfvm_devices *x, enum api_dev_kind kind, const char *spec,
		    char id[API_DEV_ID_MAX], struct errinfo *e);

/* --rng (or a restored virtio-rng): the device, recorded. */
int vfvm_add_rng(struct vfvm_devices *x, const char *spec, struct errinfo *e);
/* Remember how device @id was made (replacing an earlier device of that id). */
int vfvm_spec_record(struct vfvm_devices *x, enum vfvm_dev_kind kind, const char *spec,
		     const char *id, struct errinfo *e);

/*
 * snapshot DIR (snapshot.c): the paused VM's state into DIR/state and its
 * RAM into the sparse DIR/memory.  Refused, naming the device, while a
 * passed-through device is in the guest.  @bytes: guest RAM bytes written.
 */
int vfvm_snapshot_save(struct vfvm_devices *x, const char *dir, uint64_t *bytes, struct errinfo *e);

/* --restore DIR: the snapshot read and checked, before any VM exists. */
struct snap_in;
struct vfvm_restore {
	const char *opt; /* "--restore" or "--incoming", for messages */
	const char *dir; /* NULL: RAM comes from a migration stream */
	int mem_fd; /* upgrade: the source's guest RAM, -1: none */
	struct snap_in *in;
	uint64_t mem_size;
	unsigned int nr_cpus;
	bool hugetlb, debug_exit, pit;
	uint64_t hugepage_size; /* with hugetlb: 2 MiB or 1 GiB */
	char firmware[4096]; /* "" for a Linux guest */
	int nr_devs;
	struct vfvm_saved_dev {
		enum vfvm_dev_kind kind;
		char id[32];
		int slot;
		char spec[API_SPEC_MAX];
	} devs[VFVM_MAX_SPECS];
};
/*
 * Whether every device of the VM can be saved (for @op: "snapshot",
 * "migrate"); else -errno, @e naming the first that cannot and what to do.
 * @primaries_ok: a plugged failover primary does not count (a migration
 * unplugs it first).
 */
int vfvm_check_saveable(struct vfvm_devices *x, const char *op, bool primaries_ok,
			struct errinfo *e);
/* The "config" section: how to make the VM again (memory, vCPUs, devices). */
void vfvm_put_config(struct vfvm_devices *x, struct snap_out *o);
/*
 * The paused VM's state after it (vCPUs, VM, serial, every PCI device) and
 * snap_out_finish(); guest RAM to @dir/memory, or nowhere with @dir NULL.
 * On the I/O thread, with the vCPUs paused.
 */
int vfvm_put_state(struct vfvm_devices *x, struct snap_out *o, const char *dir, struct errinfo *e);
/*
 * --incoming: the "config" container the source sent first (@buf, malloc'd,
 * owned by @r from here), then the state container after RAM, which
 * replaces it; r->dir stays NULL (RAM came over the stream).
 */
int vfvm_restore_parse(struct vfvm_restore *r, uint8_t *buf, size_t len, const char *what,
		       struct errinfo *e);
int vfvm_restore_set_state(struct vfvm_restore *r, uint8_t *buf, size_t len, const char *what,
			   struct errinfo *e);
/* Read DIR/state and its "config" section; -errno with @e naming what is wrong. */
int vfvm_restore_open(struct vfvm_restore *r, const char *dir, struct errinfo *e);
void vfvm_restore_close(struct vfvm_restore *r);
/*
 * Make the saved devices in the new VM, each SPEC overridden by the --net /
 * --disk of the same id (@over, @nr_over: "id=N,tap=T"; an id the snapshot
 * lacks is refused), each in its saved slot.
 */
int vfvm_restore_devices(struct vfvm_devices *x, struct vfvm_restore *r, const char *const *over,
			 int nr_over, struct errinfo *e);
/* Load the saved state into the VM and its devices (before vm_run()). */
int vfvm_restore_state(struct vfvm_devices *x, struct vfvm_restore *r, struct errinfo *e);

/*
 * Outgoing migration (migrate_out.c): the control API's migrate,
 * migrate-status and migrate-cancel, and what the device verbs check.
 */
void vfvm_migrate_hooks(struct vfvm_devices *x, struct api_hooks *h);
/* failover.c: a primary left the guest after failover-unplug. */
void vfvm_migrate_unplugged(struct vfvm_devices *x);

/* A section of the config container: an upgrade, RAM's memfd follows. */
#define VFVM_HANDOVER_SECTION "handover"
/* What the destination answers once the migrated VM is whole there. */
#define VFVM_MIGRATE_ACK "VFVMDONE"

/*
 * Incoming migration (migrate_in.c).  open: listen on @uri, take the
 * source's connection and its "config" container into @rs (the VM is made
 * from it, like --restore); *@fd is the connection.  finish (before
 * vm_run(), devices made): guest RAM and the state from the stream, loaded;
 * the source is told, and stops.
 */
int vfvm_incoming_open(const char *uri, struct vfvm_restore *rs, int *fd, struct errinfo *e);
int vfvm_incoming_finish(struct vfvm_devices *x, struct vfvm_restore *rs, int fd,
			 struct errinfo *e);

/*
 * The host as vfvm's environment describes it (host_opts.c): read once by
 * main() before any command; bad values are said there (-1).
 */
int vfvm_host_init(void);
const struct vfio_host_opts *vfvm_host(void);
/* The VM's record of what it takes from the host (--name), NULL: none. */
void vfvm_host_set_record(struct vm_record_live *record);
void vfvm_host_set_priv(const struct vfio_host_priv *priv);

/*
 * keeper.c: `vfvm run` splits in two before it makes anything.  Returns 0
 * in the child, which goes on as the VMM; the parent (vfvm's keeper) never
 * returns: it serves the VMM's privileged requests, gives back what the
 * VM's record @name (NULL: none) still lists once the VMM has ended, and
 * exits with the VMM's status.  -1 (said) when the split failed.
 */
int vfvm_keeper_fork(const char *name, const char *api_socket, const char *const *dev, int nr_dev,
		     bool will_confine);
/* The VMM is about to drop its privileges: from now on the keeper gives devices back. */
int vfvm_keeper_seal(struct errinfo *e);
bool vfvm_keeper_confined(void);

/* confine.c: --user and --chroot (jailer-style), applied by the VMM after setup. */
struct vfvm_confine {
	bool user; /* --user given */
	uid_t uid;
	gid_t gid;
	const char *chroot; /* NULL: none */
};
/* Parse --user UID:GID|NAME[:GROUP] / check --chroot DIR; 0, or the usage error said. */
int vfvm_confine_parse_user(const char *arg, struct vfvm_confine *c);
int vfvm_confine_check_chroot(const char *dir);
/* Enter the chroot, drop to the user with no capabilities left. */
int vfvm_confine(const struct vfvm_confine *c, struct errinfo *e);

/* SIZE as --mem takes it: bytes, or with K, M, G suffix (plain number = MiB). */
int vfvm_parse_size(const char *s, uint64_t *out);

/*
 * --hugetlb [2M|1G] (hugetlb_opt.c): @optval from `--hugetlb=SIZE`, else
 * a next word starting with a digit is taken; the page size into @size.
 * Messages start with @who.  -EINVAL after saying why on stderr.
 */
int vfvm_opt_hugetlb(int argc, char **argv, const char *optval, uint64_t *size, const char *who);
/* 1 GiB pages want --mem in whole GiB: -EINVAL after saying so. */
int vfvm_check_hugetlb_mem(uint64_t page, uint64_t mem, const char *who);

/* `vfvm check --device SPEC... [--mem SIZE] [--hugetlb [SIZE]]`: 0 ready, 3 blockers. */
int cmd_check(int argc, char **argv);

/*
 * `vfvm ctl PATH VERB [--json]`: one request to a VM's control API
 * (--api-socket); `events` prints events until the VM exits.  0 on
 * success, 1 when the VM refused or could not be reached, 2 usage.
 */
int cmd_ctl(int argc, char **argv);

/* Exit status of `vfvm check` when a device is not ready (like vfctl check). */
#define VFVM_CHECK_NOT_READY 3

/*
 * Print, per MSI-X vector of every passed-through device, its GSI route and
 * each posted-interrupt condition, on stderr; @when says at which point.
 */
void vfvm_irq_report_print(struct vm *vm, const char *when);

/* Vectors unmasked with a KVM irqfd attached, over all devices (-1: no memory). */
int vfvm_irq_live(struct vm *vm);

/* From this much guest RAM on, vfvm says it is mapping and shows progress. */
#define VFVM_DMA_PROGRESS_MIN (4ULL << 30)

/* After the DMA map of guest RAM: backend, GiB, time (stderr). */
void vfvm_dma_stats_print(struct vm *vm);
/* At exit: each passed-through device's BAR pieces DMA-mapped for peer-to-peer. */
void vfvm_p2p_print(struct vm *vm);
/* vm->dma_progress's state: the tenths of the map already said. */
struct vfvm_dma_progress {
	unsigned int shown;
};
/*
 * vm->dma_progress callback (@opaque a struct vfvm_dma_progress): a line
 * "vfvm: DMA map: 12/64 GiB (18%)" each time another tenth is mapped.
 */
void vfvm_dma_progress_print(void *opaque, uint64_t done, uint64_t total);
/* Warn once (at exit) when host IRQs could not be steered (irq/host_affinity.h). */
void vfvm_irq_steer_warning_print(struct vm *vm);
/* vm->log callback: "vfvm: error: ..." on standard error. */
void vfvm_log_print(void *opaque, enum vlog_level level, const char *msg);

/*
 * --numa (numa_opt.c): the guest NUMA plan for the --device list, --mem,
 * --hugetlb page size (0: none), --cpus and --cpu-affinity (NULL: the CPUs
 * vfvm may run on).  Warns (as @who) of each device whose node is unknown;
 * @dev_node gets each device's host node (-1 unknown).  0, or -1 said on
 * stderr.
 */
#define VFVM_NUMA_MAX_DEVS 32
struct numa_plan;
struct vfvm_numa_req {
	const char *const *dev;
	int nr_dev;
	uint64_t mem, hugepage_size;
	unsigned int cpus;
	const char *affinity;
};
int vfvm_numa_plan(const struct vfvm_numa_req *r, struct numa_plan *p, int *dev_node,
		   const char *who);
/* One line per guest node, each starting with @prefix. */
void vfvm_numa_print(FILE *f, const struct numa_plan *p, const char *prefix);

#endif
