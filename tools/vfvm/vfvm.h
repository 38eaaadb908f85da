/* SPDX-License-Identifier: GPL-2.0-only */
/* vfvm front end: what the command files share (main.c parses, the rest act). */
#ifndef VFVM_FRONT_H
#define VFVM_FRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "log.h"
#include "vf_mac.h"
#include "vfio_pci.h"
#include "vflink.h"

struct vm;

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
 * The devices of a running VM as the front end manages them (devices.c,
 * failover.c): the control API's hooks.
 */
struct vfvm_devices {
	struct vm *vm;
	struct vflink *nl; /* VF MACs of failover primaries; opened with the first pair */
	struct vfvm_failover pairs[VFVM_MAX_FAILOVER];
	int nr_pairs;
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
/* add-device: create the device @spec describes (@kind) in the running VM; @id gets its id. */
int vfvm_add_device(struct vfvm_devices *x, enum api_dev_kind kind, const char *spec,
		    char id[API_DEV_ID_MAX], struct errinfo *e);

/*
 * The host as vfvm's environment describes it (host_opts.c): read once by
 * main() before any command; bad values are said there (-1).
 */
int vfvm_host_init(void);
const struct vfio_host_opts *vfvm_host(void);

/* SIZE as --mem takes it: bytes, or with K, M, G suffix (plain number = MiB). */
int vfvm_parse_size(const char *s, uint64_t *out);

/* `vfvm check --device SPEC... [--mem SIZE] [--hugetlb]`: 0 ready, 3 blockers. */
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

/* From this much guest RAM on, vfvm says it is mapping before it starts. */
#define VFVM_DMA_PROGRESS_MIN (8ULL << 30)

/* After the DMA map of guest RAM: backend, GiB, time (stderr). */
void vfvm_dma_stats_print(struct vm *vm);
/* vm->dma_progress callback: one line per GiB-sized step of a big map. */
void vfvm_dma_progress_print(void *opaque, uint64_t done, uint64_t total);
/* Warn once (at exit) when host IRQs could not be steered (irq/host_affinity.h). */
void vfvm_irq_steer_warning_print(struct vm *vm);
/* vm->log callback: "vfvm: error: ..." on standard error. */
void vfvm_log_print(void *opaque, enum vlog_level level, const char *msg);

#endif
