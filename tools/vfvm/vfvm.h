/* SPDX-License-Identifier: GPL-2.0-only */
/* vfvm front end: what the command files share (main.c parses, the rest act). */
#ifndef VFVM_FRONT_H
#define VFVM_FRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "log.h"
#include "vfio_pci.h"

struct vm;

/*
 * The devices of a running VM as the front end manages them (devices.c):
 * the control API's add-device and info hooks.
 */
struct vfvm_devices {
	struct vm *vm;
};
void vfvm_devices_hooks(struct vfvm_devices *x, struct api_hooks *h);
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
