// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU threads: create, CPUID, the KVM_RUN loop dispatching port I/O and
 * MMIO exits to the buses, and kicks that are never lost.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox.h"
#include "throttle.h"
#include "vcpu.h"
#include "vm.h"

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_signal_setup(struct errinfo *e)
{
	struct sigaction sa = {.sa_handler = kick_handler};

	/* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return err_sys(e, errno, "installing the vCPU kick signal handler");
	return 0;
}

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id, struct errinfo *e)
{
	int ret;

	v->vm = vm;
	v->id = id;
	v->host_cpu = -1;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return err_sys(e, errno, "KVM_CREATE_VCPU %u", id);
	v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		      0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		ret = err_sys(e, errno, "mmap of kvm_run for vCPU %u", id);
		close(v->fd);
		v->fd = -1;
		return ret;
	}
	ret = dirty_ring_vcpu_map(v, e);
	if (!ret)
		ret = vcpu_setup_cpuid(v, e);
	if (ret) {
		vcpu_destroy(v);
		return ret;
	}
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->fd >= 0)
		dirty_ring_vcpu_unmap(v);
	if (v->run)
		munmap(v->run, (size_t)v->vm->vcpu_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static unsigned int bits_for(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/*
 * Topology: one socket, nr_vcpus cores, one thread per core; APIC ID =
 * vCPU index.  Leaves 1, 4, 0xB and 0x1F (Intel) and 0x80000008 and
 * 0x8000001E (AMD) are made to agree with that.
 */
int vcpu_setup_cpuid(struct vcpu *v, struct errinfo *e)
{
	unsigned int nr = v->vm->cfg.nr_cpus ? v->vm->cfg.nr_cpus : 1, n = 256;
	struct kvm_cpuid2 *c;
	int ret = 0;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return err_sys(e, ENOMEM, "CPUID table");
		c->nent = n;
		if (ioctl(v->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		ret = errno;
		free(c);
		if (ret != E2BIG || n >= 4096)
			return err_sys(e, ret, "KVM_GET_SUPPORTED_CPUID");
		n *= 2;
	}
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *en = &c->entries[i];

		switch (en->function) {
		case 1:
			en->ebx = (en->ebx & 0xffff) | (nr << 16) | (v->id << 24);
			if (nr > 1)
				en->edx |= 1u << 28; /* HTT: the count field is valid */
			en->ecx |= 1u << 31; /* running under a hypervisor */
			break;
		case 4:
			if (en->eax & 0x1f) {
				en->eax &= ~((0x3fu << 26) | (0xfffu << 14));
				en->eax |= (nr - 1) << 26;
			}
			break;
		case 0x80000008:
			/* physical address bits: the ones the 64-bit window was planned for */
			en->eax = (en->eax & ~0xffu) | (v->vm->phys_bits & 0xff);
			/* AMD: NC = cores - 1, ApicIdCoreIdSize (reserved on Intel) */
			en->ecx = (en->ecx & ~0xf0ffu) | (bits_for(nr) << 12) | (nr - 1);
			break;
		case 0x8000001e:
			/* AMD TOPOEXT: one thread per core, core id = vCPU index */
			en->eax = v->id;
			en->ebx = (en->ebx & ~0xffffu) | (v->id & 0xff);
			en->ecx &= ~0xffu;
			break;
		case 0xb:
		case 0x1f:
			en->edx = v->id;
			if (en->index == 0) {
				en->eax = 0;
				en->ebx = 1;
				en->ecx = 1u << 8;
			} else if (en->index == 1) {
				en->eax = bits_for(nr);
				en->ebx = nr;
				en->ecx = 2u << 8 | 1;
			} else {
				en->eax = en->ebx = 0;
				en->ecx = en->index;
			}
			break;
		}
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		ret = err_sys(e, errno, "KVM_SET_CPUID2 on vCPU %u", v->id);
	else
		ret = 0;
	free(c);
	return ret;
}

static void io_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	bool out = r->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size) {
		if (!bus_dispatch(&v->vm->pio, r->io.port, data, r->io.size, out) && !out)
			memset(data, 0xff, r->io.size);
	}
}

static void mmio_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint32_t len = r->mmio.len;

	if (len > sizeof(r->mmio.data))
		len = sizeof(r->mmio.data);
	if (!bus_dispatch(&v->vm->mmio, r->mmio.phys_addr, r->mmio.data, len, r->mmio.is_write) &&
	    !r->mmio.is_write)
		memset(r->mmio.data, 0xff, len);
}

/* Returns false when the loop must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	char why[160];

	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		io_exit(v);
		return true;
	case KVM_EXIT_MMIO:
		mmio_exit(v);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_DIRTY_RING_FULL:
		/* a migration tracks and this vCPU wrote a ring's worth: drain it, go on */
		if (!dirty_ring_vcpu_full(v, &v->err))
			return true;
		vm_request_exit(v->vm, VM_EXIT_ERROR, v->err.msg);
		return false;
	case KVM_EXIT_HLT:
		snprintf(why, sizeof(why), "vCPU %u halted with no interrupt controller", v->id);
		err_set(&v->err, EIO, "%s", why);
		vm_request_exit(v->vm, VM_EXIT_CRASH, why);
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu_report_crash(v);
		snprintf(why, sizeof(why), "vCPU %u: triple fault (guest crashed)", v->id);
		err_set(&v->err, EIO, "%s", why);
		vm_request_exit(v->vm, VM_EXIT_CRASH, why);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (r->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request_exit(v->vm, VM_EXIT_RESET, "guest reset");
		else
			vm_request_exit(v->vm, VM_EXIT_POWEROFF, "guest power off");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "vCPU %u: KVM entry failed, hardware reason 0x%llx",
			 v->id, (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_report_crash(v);
		snprintf(why, sizeof(why), "vCPU %u: KVM internal error, suberror %u%s", v->id,
			 r->internal.suberror,
			 r->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				 ? " (instruction emulation failed)"
				 : "");
		break;
	default:
		snprintf(why, sizeof(why), "vCPU %u: unhandled KVM exit reason %u", v->id,
			 r->exit_reason);
		break;
	}
	err_set(&v->err, EIO, "%s", why);
	vm_request_exit(v->vm, VM_EXIT_CRASH, why);
	return false;
}

/*
 * After an I/O or MMIO exit KVM has not finished the instruction: an IN's
 * value goes to RAX, and string I/O may need more rounds, on the next
 * KVM_RUN.  Before parking (a pause may be a snapshot reading the state),
 * run KVM_RUN with immediate_exit: KVM completes the instruction and
 * returns EINTR without entering the guest, or exits again for the next
 * round of string I/O, which is served here.  Clearing immediate_exit
 * afterwards loses no kick: the caller checks the flags next.  Returns
 * false when the loop must stop.
 */
static bool complete_pending_io(struct vcpu *v)
{
	for (;;) {
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			int err = errno;

			__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
			if (err == EINTR || err == EAGAIN)
				return true;
			err_sys(&v->err, err, "KVM_RUN (completing I/O) on vCPU %u", v->id);
			vm_request_exit(v->vm, VM_EXIT_ERROR, v->err.msg);
			return false;
		}
		if (!handle_exit(v))
			return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (v->host_cpu >= 0) {
		cpu_set_t cs;

		CPU_ZERO(&cs);
		CPU_SET(v->host_cpu, &cs);
		if (sched_setaffinity(0, sizeof(cs), &cs) < 0) {
			err_sys(&v->err, errno, "pinning vCPU %u to host CPU %d", v->id,
				v->host_cpu);
			vm_request_exit(vm, VM_EXIT_ERROR, v->err.msg);
			return NULL;
		}
	}
	/* setup is done: from here on only what sandbox.c allows a vCPU */
	if (sandbox_enter_role(vm->sandbox, SANDBOX_VCPU, &v->err)) {
		vm_request_exit(vm, VM_EXIT_ERROR, v->err.msg);
		return NULL;
	}
	/*
	 * Wait until every vCPU thread exists (so a kick always has a valid
	 * thread to signal) or the VM is already stopping.
	 */
	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->vcpus_go && !atomic_load(&vm->exit_requested))
		pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
	pthread_mutex_unlock(&vm->exit_lock);

	while (!atomic_load(&vm->exit_requested)) {
		/* a pause kicks us out of KVM_RUN (immediate_exit: never lost) */
		if (__atomic_load_n(&vm->pause_requested, __ATOMIC_ACQUIRE)) {
			if (!complete_pending_io(v))
				break;
			vm_vcpu_park(vm);
			continue;
		}
		vcpu_throttle(v); /* one untaken branch unless a migration throttles */
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			int err = errno;

			if (err == EINTR || err == EAGAIN) {
				/* vcpu_kick() sets it from other threads */
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
				continue;
			}
			err_sys(&v->err, err, "KVM_RUN on vCPU %u", v->id);
			vm_request_exit(vm, VM_EXIT_ERROR, v->err.msg);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	vcpu_throttle_stop(v);
	return NULL;
}

int vcpu_start(struct vcpu *v, struct errinfo *e)
{
	int ret = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (ret)
		return err_sys(e, ret, "creating the thread of vCPU %u", v->id);
	/* the thread waits at the gate in vcpu_thread() until vm_run() opens it */
	__atomic_store_n(&v->started, true, __ATOMIC_RELEASE);
	return 0;
}

/* Order matters: immediate_exit first, then the signal (see vcpu.h). */
void vcpu_kick(struct vcpu *v)
{
	if (!__atomic_load_n(&v->started, __ATOMIC_ACQUIRE) || !v->run)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_join(v->thread, NULL);
	v->started = false;
}
