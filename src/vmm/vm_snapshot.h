/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Snapshot and restore of the VM itself (issue 12): guest RAM, vCPUs,
 * in-kernel irqchip, PIT and clock, and the platform and hot-plug
 * registers of src/vmm.  PCI devices and the serial port live above this
 * layer: the front end saves and loads them (pci_host_save_dev(),
 * serial_save(), ...) in the same container.
 *
 * Snapshot directory: DIR/memory (guest RAM, sparse: mem_snapshot.h) and
 * the container (written by the front end) holding these sections:
 *   "vm"        the VM's shape: RAM layout, vCPUs, irqchip, PIT, 64-bit
 *               PCI window, physical address bits, platform and hot-plug
 *               presence; a restore refuses a VM created differently
 *   "vcpu:N"    vCPU N (vcpu_state.h)
 *   "irqchip"   PIC master, PIC slave, IOAPIC (KVM_GET_IRQCHIP), each as
 *               u32 length | struct kvm_irqchip
 *   "pit"       u32 length | struct kvm_pit_state2 (when the VM has a PIT)
 *   "clock"     u64 kvmclock (KVM_GET_CLOCK) | u32 KVM's flags (informative)
 *   "platform"  platform.h, "hotplug" pci_hotplug.h (when the VM has them)
 *
 * Saving (front end, on the I/O thread):
 *   vm_pause(); snap_out_init(); vm_snapshot_save(vm, o, DIR); devices;
 *   snap_out_finish(); write DIR/state; vm_resume() or vm_request_exit().
 * Restoring: vm_create() with the same configuration, the same devices
 *   added (same slots) and platform__add()/pci_hotplug__add()/
 *   vm_create_pit() as at the original start, firmware placed again
 *   (--firmware: its mapping below 4 GiB is not guest RAM), no kernel
 *   boot; snap_in_read_file(DIR/state); vm_snapshot_load(); devices;
 *   snap_unused() == NULL; vm_run().
 */
#ifndef VMM_VM_SNAPSHOT_H
#define VMM_VM_SNAPSHOT_H

#include "errinfo.h"
#include "snap_stream.h"

struct vm;

#define VM_SNAPSHOT_MEMORY "memory" /* guest RAM file in the snapshot directory */

/*
 * Append the VM's sections to @o and write @dir/memory (@dir NULL: no
 * memory file, a migration sends RAM itself).  The vCPUs must be
 * paused (vm_pause()) or never started: -EBUSY otherwise.  Call on the I/O
 * thread (or before vm_run()), so no device changes the state meanwhile.
 */
int vm_snapshot_save(struct vm *vm, struct snap_out *o, const char *dir, struct errinfo *e);

/*
 * Load the VM's sections of @in and @dir/memory (@dir NULL: RAM is in
 * already, from a migration) into @vm, fresh from
 * vm_create() (see above), whose vCPUs have not started: -EBUSY otherwise.
 * Every vCPU section is decoded and checked before anything is applied;
 * -EBADMSG naming the section for a hostile or mismatching one.  On any
 * failure the VM is half-loaded: destroy it.
 */
int vm_snapshot_load(struct vm *vm, struct snap_in *in, const char *dir, struct errinfo *e);

/*
 * Open section "vm" of @in and check it against @vm (no KVM needed):
 * -EBADMSG naming the first field that differs.
 */
int vm_snapshot_check_vm(struct vm *vm, struct snap_in *in, struct errinfo *e);
/* Append section "vm" describing @vm (no KVM needed). */
void vm_snapshot_put_vm(struct vm *vm, struct snap_out *o);

#endif
