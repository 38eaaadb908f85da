/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Devices the command line can add.  Each parses its own option string
 * (what follows the flag: "--disk PATH[,ro]" passes "PATH[,ro]"), creates
 * its PCI function on vm->pci and returns 0 or -errno with @e filled.
 * Called after vm_create() and before vm_run(), on the main thread.
 *
 * virtio_*__add live in src/devices/virtio*.c.  Each device is freed with
 * the VM (vm_at_destroy() or its PCI function's release).
 */
#ifndef VFVM_DEVICES_H
#define VFVM_DEVICES_H

#include <stdbool.h>

#include "errinfo.h"

struct vm;

/* --disk PATH[,ro][,id=ID] (virtio_blk_parse_spec() checks the syntax alone) */
int virtio_blk__add(struct vm *vm, const char *spec, struct errinfo *e);
/*
 * --net tap=NAME[,id=ID][,mac=M][,tx-coalesce=US][,failover=on|off]
 * (virtio_net_parse_spec() checks the syntax alone)
 */
int virtio_net__add(struct vm *vm, const char *spec, struct errinfo *e);
/* --rng (spec is "" ) */
int virtio_rng__add(struct vm *vm, const char *spec, struct errinfo *e);

/*
 * 16550 UART at 0x3f8 (src/devices/serial.c): output to @out_fd, input from
 * @in_fd (-1 = none).  Output goes through a bounded ring the I/O thread
 * writes out (the vCPU never waits for the console; when the ring is full
 * the newest bytes are dropped and counted, reported at exit on vm->log),
 * flushed completely when the VM is destroyed.  @escape: show control bytes
 * as ^X / M-x (the front end asks for it when @out_fd is a terminal).
 */
int serial__add(struct vm *vm, int in_fd, int out_fd, bool escape, struct errinfo *e);

#endif
