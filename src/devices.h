/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Devices the command line can add.  Each parses its own option string
 * (what follows the flag: "--disk PATH[,ro]" passes "PATH[,ro]"), creates
 * its PCI function on vm->pci and returns 0 or -errno with @e filled.
 * Called after vm_create() and before vm_run(), on the main thread.
 *
 * virtio_*__add live in src/virtio*.c.
 */
#ifndef VFVM_DEVICES_H
#define VFVM_DEVICES_H

#include "errinfo.h"

struct vm;

/* --disk PATH[,ro] */
int virtio_blk__add(struct vm *vm, const char *spec, struct errinfo *e);
/* --net tap=NAME[,mac=M] */
int virtio_net__add(struct vm *vm, const char *spec, struct errinfo *e);
/* --rng (spec is "" ) */
int virtio_rng__add(struct vm *vm, const char *spec, struct errinfo *e);

/* 16550 UART at 0x3f8 (src/serial.c): output to @out_fd, input from @in_fd (-1 = none). */
int serial__add(struct vm *vm, int in_fd, int out_fd, struct errinfo *e);
void serial__free(struct vm *vm);

/*
 * PC platform ports (src/platform.c): i8042 reset (0xFE to 0x64), the
 * debug-exit port VM_DEBUG_EXIT_PORT, ACPI PM1 event/control blocks at
 * ACPI_PM1A_EVT (poweroff by SLP_TYP=5|SLP_EN) and the power button.
 */
#define ACPI_PM1A_EVT 0x600 /* 4 bytes: status, enable */
#define ACPI_PM1A_CNT 0x604 /* 2 bytes */
#define ACPI_SLP_TYP_S5 5
#define ACPI_SCI_IRQ 9
int platform__add(struct vm *vm, struct errinfo *e);
void platform__free(struct vm *vm);
/*
 * Press the ACPI power button (vfvm does on SIGTERM); -EAGAIN when the guest
 * has not enabled the button event, so nothing would listen.
 */
int platform__power_button(struct vm *vm);

#endif
