/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The 16550 UART's saved state (src/devices/serial.c; serial__add() in
 * devices.h creates it, vm->serial points at it).
 */
#ifndef VFVM_SERIAL_H
#define VFVM_SERIAL_H

#include "errinfo.h"
#include "snap_stream.h"

/*
 * Snapshots of the UART (vm->serial is @serial): registers, divisor, the
 * pending THR-empty interrupt and the received bytes the guest has not
 * read.  serial_save() writes into the caller's open section; serial_load()
 * checks every value (-EBADMSG naming @what and the section) before it
 * changes anything, then drives IRQ 4 to what the registers say - call it
 * after the irqchip state is restored, before any vCPU runs.
 */
void serial_save(void *serial, struct snap_out *o);
int serial_load(void *serial, struct snap_sec *s, const char *what, struct errinfo *e);

#endif
