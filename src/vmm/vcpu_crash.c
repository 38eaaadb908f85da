// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a vCPU looked like when its guest crashed (triple fault, emulation
 * failure).  Called on the vCPU's own thread right after the exit, so the
 * state read is the state KVM gave up on; it goes to the VM's log so a
 * user (or a flaky nested setup) leaves something to read besides "guest
 * crashed".
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"
#include "vm.h"

void vcpu_report_crash(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_vcpu_events ev;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		vlog_report(&v->vm->log, VLOG_ERR,
			    "vCPU %u: reading its registers after the crash: %s", v->id,
			    strerror(errno));
		return;
	}
	/*
	 * On AMD, KVM answers a shutdown intercept by resetting the vCPU (the
	 * VMCB is undefined after it): what is left is the reset vector, not
	 * the state at the fault.  Say so rather than print a misleading one.
	 */
	if (r.rip == 0xfff0 && s.cs.selector == 0xf000 && s.cs.base == 0xffff0000) {
		vlog_report(&v->vm->log, VLOG_ERR,
			    "vCPU %u: KVM reset the vCPU at the crash (it does on AMD SVM): "
			    "its registers at the fault are lost",
			    v->id);
		return;
	}
	vlog_report(
		&v->vm->log, VLOG_ERR,
		"vCPU %u state: rip=%#llx rsp=%#llx rflags=%#llx rax=%#llx cs=%#x ss=%#x cr0=%#llx "
		"cr2=%#llx cr3=%#llx cr4=%#llx efer=%#llx idt=%#llx/%#x gdt=%#llx/%#x",
		v->id, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		(unsigned long long)r.rflags, (unsigned long long)r.rax, s.cs.selector,
		s.ss.selector, (unsigned long long)s.cr0, (unsigned long long)s.cr2,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4, (unsigned long long)s.efer,
		(unsigned long long)s.idt.base, s.idt.limit, (unsigned long long)s.gdt.base,
		s.gdt.limit);
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return;
	vlog_report(&v->vm->log, VLOG_ERR,
		    "vCPU %u events: exception injected=%u pending=%u nr=%u error=%#x; "
		    "interrupt injected=%u nr=%u; nmi injected=%u pending=%u",
		    v->id, ev.exception.injected, ev.exception.pending, ev.exception.nr,
		    ev.exception.has_error_code ? ev.exception.error_code : 0,
		    ev.interrupt.injected, ev.interrupt.nr, ev.nmi.injected, ev.nmi.pending);
}
