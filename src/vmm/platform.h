/* SPDX-License-Identifier: GPL-2.0-only */
/* The PC platform ports every VM has (src/vmm/platform.c). */
#ifndef VMM_PLATFORM_H
#define VMM_PLATFORM_H

#include <stdbool.h>

#include "errinfo.h"
#include "snap_stream.h"

struct vm;

/*
 * PC platform ports (src/vmm/platform.c): i8042 reset (0xFE to 0x64), ACPI
 * PM1 event/control blocks at ACPI_PM1A_EVT (poweroff by SLP_TYP=5|SLP_EN)
 * and the power button; with @debug_exit also the debug-exit port
 * VM_DEBUG_EXIT_PORT (test programs: the guest then picks the exit status).
 */
#define ACPI_PM1A_EVT 0x600 /* 4 bytes: status, enable */
#define ACPI_PM1A_CNT 0x604 /* 2 bytes */
#define ACPI_SLP_TYP_S5 5
#define ACPI_SCI_IRQ 9
/* GPE0 block: 2 status bytes (write one to clear), then 2 enable bytes */
#define ACPI_GPE0_BLK 0x620
#define ACPI_GPE0_BLK_LEN 4
#define ACPI_GPE0_BITS 16
int platform__add(struct vm *vm, bool debug_exit, struct errinfo *e);
/*
 * Press the ACPI power button (vfvm does on SIGTERM); -EAGAIN when the guest
 * has not enabled the button event, so nothing would listen.
 */
int platform__power_button(struct vm *vm);
/*
 * Set GPE0 status bit @bit (< ACPI_GPE0_BITS): the SCI goes high when the
 * guest has enabled that GPE (and stays high until it clears the status).
 * Any thread.  -ENODEV without platform__add(), -EINVAL for a bad bit.
 */
int platform__gpe_raise(struct vm *vm, unsigned int bit);

/*
 * Snapshots: the registers (PM1 status/enable/control, GPE0 status/enable)
 * as a "platform" section; the load checks each value and sets the SCI
 * line to match (after the irqchip is restored).  -ENODEV without
 * platform__add().  Section payload: u16 pm1_sts, pm1_en, pm1_cnt,
 * gpe_sts, gpe_en.
 */
int platform__save(struct vm *vm, struct snap_out *o);
int platform__load(struct vm *vm, struct snap_sec *s, const char *what, struct errinfo *e);

#endif
