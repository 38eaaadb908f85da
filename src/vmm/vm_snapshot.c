// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshot and restore of the VM (see vm_snapshot.h).  A restore checks
 * the VM's shape and decodes every vCPU section before it changes
 * anything, then applies: guest RAM, the interrupt controllers and PIT,
 * the vCPUs (their LAPICs talk to the IOAPIC restored before), kvmclock
 * (after the TSCs, as QEMU does), then the platform registers, whose SCI
 * line is raised again into the restored IOAPIC, and the hot-plug ones.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mem_snapshot.h"
#include "pci_hotplug.h"
#include "platform.h"
#include "vcpu.h"
#include "vcpu_state.h"
#include "vm.h"
#include "vm_snapshot.h"

#define IOAPIC_BASE 0xFEC00000ULL
#define PIT_MODE_MAX 5
#define PIT_MODE_UNSET 0xff /* KVM's reset value: a channel never programmed */
#define PIT_RW_STATE_MAX 4 /* LSB, MSB, WORD0, WORD1 */
#define NR_IRQCHIPS 3 /* PIC master, PIC slave, IOAPIC */

/* The shape of a VM as section "vm" records it. */
struct vm_shape {
	uint64_t mem_size;
	uint32_t nr_regions;
	struct {
		uint64_t gpa, size, fd_offset;
	} region[GUEST_MEM_MAX_REGIONS];
	uint32_t nr_vcpus;
	uint8_t has_irqchip, has_pit, has_platform, has_hotplug;
	uint64_t mmio64_base, mmio64_size;
	uint32_t phys_bits;
};

static void shape_of(struct vm *vm, struct vm_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->mem_size = vm->mem.total;
	s->nr_regions = (uint32_t)vm->mem.nr_regions;
	for (int i = 0; i < vm->mem.nr_regions && i < GUEST_MEM_MAX_REGIONS; i++) {
		s->region[i].gpa = vm->mem.region[i].gpa;
		s->region[i].size = vm->mem.region[i].size;
		s->region[i].fd_offset = vm->mem.region[i].fd_offset;
	}
	s->nr_vcpus = vm->nr_vcpus;
	s->has_irqchip = vm->has_irqchip;
	s->has_pit = vm->has_pit;
	s->has_platform = vm->platform != NULL;
	s->has_hotplug = vm->hotplug != NULL;
	s->mmio64_base = vm->mmio64_base;
	s->mmio64_size = vm->mmio64_size;
	s->phys_bits = vm->phys_bits;
}

void vm_snapshot_put_vm(struct vm *vm, struct snap_out *o)
{
	struct vm_shape s;

	shape_of(vm, &s);
	snap_begin(o, "vm", 1);
	snap_put_u64(o, s.mem_size);
	snap_put_u32(o, s.nr_regions);
	for (uint32_t i = 0; i < s.nr_regions; i++) {
		snap_put_u64(o, s.region[i].gpa);
		snap_put_u64(o, s.region[i].size);
		snap_put_u64(o, s.region[i].fd_offset);
	}
	snap_put_u32(o, s.nr_vcpus);
	snap_put_u8(o, s.has_irqchip);
	snap_put_u8(o, s.has_pit);
	snap_put_u8(o, s.has_platform);
	snap_put_u8(o, s.has_hotplug);
	snap_put_u64(o, s.mmio64_base);
	snap_put_u64(o, s.mmio64_size);
	snap_put_u32(o, s.phys_bits);
	snap_end(o);
}

#define SHAPE_CHECK(field, fmt, name)                                                              \
	do {                                                                                       \
		if (saved.field != live.field)                                                     \
			return snap_bad(sec, in->what, e, name ": snapshot " fmt ", this VM " fmt, \
					saved.field, live.field);                                  \
	} while (0)

int vm_snapshot_check_vm(struct vm *vm, struct snap_in *in, struct errinfo *e)
{
	struct vm_shape saved = {0}, live;
	struct snap_sec *sec;
	int ret = snap_open(in, "vm", 1, &sec, e);

	if (ret)
		return ret;
	shape_of(vm, &live);
	saved.mem_size = snap_get_u64(sec);
	saved.nr_regions = snap_get_u32(sec);
	if (!sec->bad && saved.nr_regions > GUEST_MEM_MAX_REGIONS)
		return snap_bad(sec, in->what, e, "%u RAM regions (at most %d)", saved.nr_regions,
				GUEST_MEM_MAX_REGIONS);
	for (uint32_t i = 0; i < saved.nr_regions; i++) {
		saved.region[i].gpa = snap_get_u64(sec);
		saved.region[i].size = snap_get_u64(sec);
		saved.region[i].fd_offset = snap_get_u64(sec);
	}
	saved.nr_vcpus = snap_get_u32(sec);
	saved.has_irqchip = snap_get_u8(sec);
	saved.has_pit = snap_get_u8(sec);
	saved.has_platform = snap_get_u8(sec);
	saved.has_hotplug = snap_get_u8(sec);
	saved.mmio64_base = snap_get_u64(sec);
	saved.mmio64_size = snap_get_u64(sec);
	saved.phys_bits = snap_get_u32(sec);
	ret = snap_close(sec, in->what, e);
	if (ret)
		return ret;
	SHAPE_CHECK(mem_size, "%" PRIu64 " bytes", "guest RAM");
	SHAPE_CHECK(nr_regions, "%u", "RAM regions");
	for (uint32_t i = 0; i < saved.nr_regions; i++) {
		SHAPE_CHECK(region[i].gpa, "0x%" PRIx64, "RAM region start");
		SHAPE_CHECK(region[i].size, "%" PRIu64 " bytes", "RAM region size");
		SHAPE_CHECK(region[i].fd_offset, "%" PRIu64, "RAM region offset");
	}
	SHAPE_CHECK(nr_vcpus, "%u", "vCPUs");
	SHAPE_CHECK(has_irqchip, "%u", "in-kernel irqchip");
	SHAPE_CHECK(has_pit, "%u", "PIT");
	SHAPE_CHECK(has_platform, "%u", "platform devices");
	SHAPE_CHECK(has_hotplug, "%u", "PCI hot-plug slots");
	SHAPE_CHECK(mmio64_base, "0x%" PRIx64, "64-bit PCI window base");
	SHAPE_CHECK(mmio64_size, "0x%" PRIx64, "64-bit PCI window size");
	SHAPE_CHECK(phys_bits, "%u", "physical address bits");
	return 0;
}

/* vCPUs paused (all parked) or never let go; not stopping. */
static bool vcpus_still(struct vm *vm)
{
	bool still;

	pthread_mutex_lock(&vm->exit_lock);
	still = !vm->vcpus_go || (!atomic_load(&vm->exit_requested) && vm->pause_requested &&
				  vm->nr_paused == vm->nr_vcpus);
	pthread_mutex_unlock(&vm->exit_lock);
	return still;
}

static int vm_ioctl(struct vm *vm, unsigned long req, void *arg, const char *name,
		    struct errinfo *e)
{
	if (ioctl(vm->vm_fd, req, arg) < 0)
		return err_sys(e, errno, "%s", name);
	return 0;
}

static int save_vcpus(struct vm *vm, struct snap_out *o, struct errinfo *e)
{
	struct vcpu_state_caps caps;
	int ret = vcpu_state_caps_get(&caps, vm->kvm_fd, e);

	for (unsigned int i = 0; !ret && i < vm->nr_vcpus; i++) {
		struct vcpu_state st;
		char name[SNAP_NAME_MAX];

		ret = vcpu_state_get(&vm->vcpus[i], &caps, &st, e);
		if (ret)
			break;
		snprintf(name, sizeof(name), "vcpu:%u", i);
		snap_begin(o, name, VCPU_STATE_SECTION_VERSION);
		vcpu_state_put(o, &st);
		snap_end(o);
		vcpu_state_free(&st);
	}
	vcpu_state_caps_free(&caps);
	return ret;
}

static int save_kvm_vm(struct vm *vm, struct snap_out *o, struct errinfo *e)
{
	struct kvm_clock_data clock = {0};
	int ret;

	if (vm->has_irqchip) {
		struct kvm_irqchip chip[NR_IRQCHIPS];

		for (uint32_t i = 0; i < NR_IRQCHIPS; i++) {
			memset(&chip[i], 0, sizeof(chip[i]));
			chip[i].chip_id = i;
			ret = vm_ioctl(vm, KVM_GET_IRQCHIP, &chip[i], "KVM_GET_IRQCHIP", e);
			if (ret)
				return ret;
		}
		snap_begin(o, "irqchip", 1);
		for (int i = 0; i < NR_IRQCHIPS; i++) {
			snap_put_u32(o, sizeof(chip[i]));
			snap_put(o, &chip[i], sizeof(chip[i]));
		}
		snap_end(o);
	}
	if (vm->has_pit) {
		struct kvm_pit_state2 pit;

		memset(&pit, 0, sizeof(pit));
		ret = vm_ioctl(vm, KVM_GET_PIT2, &pit, "KVM_GET_PIT2", e);
		if (ret)
			return ret;
		snap_begin(o, "pit", 1);
		snap_put_u32(o, sizeof(pit));
		snap_put(o, &pit, sizeof(pit));
		snap_end(o);
	}
	ret = vm_ioctl(vm, KVM_GET_CLOCK, &clock, "KVM_GET_CLOCK", e);
	if (ret)
		return ret;
	snap_begin(o, "clock", 1);
	snap_put_u64(o, clock.clock);
	snap_put_u32(o, clock.flags);
	snap_end(o);
	return 0;
}

int vm_snapshot_save(struct vm *vm, struct snap_out *o, const char *dir, struct errinfo *e)
{
	char path[PATH_MAX];
	int ret;

	if (!vcpus_still(vm))
		return err_set(e, EBUSY,
			       "snapshot: the vCPUs are running or stopping; pause the "
			       "VM first");
	if (dir &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, VM_SNAPSHOT_MEMORY) >= sizeof(path))
		return err_set(e, ENAMETOOLONG, "snapshot directory %s: name too long", dir);
	vm_snapshot_put_vm(vm, o);
	ret = save_vcpus(vm, o, e);
	if (!ret)
		ret = save_kvm_vm(vm, o, e);
	if (ret) {
		err_prefix(e, "snapshot");
		return ret;
	}
	platform__save(vm, o); /* -ENODEV: none, and "vm" says so */
	pci_hotplug__save(vm, o);
	return dir ? mem_snapshot_write(&vm->mem, path, e) : 0;
}

static int pic_check(struct snap_sec *s, const struct kvm_pic_state *p, const char *name,
		     const char *what, struct errinfo *e)
{
	const uint8_t bools[] = {p->read_reg_select,
				 p->poll,
				 p->special_mask,
				 p->auto_eoi,
				 p->rotate_on_auto_eoi,
				 p->special_fully_nested_mode,
				 p->init4};

	for (size_t i = 0; i < sizeof(bools); i++)
		if (bools[i] > 1)
			return snap_bad(s, what, e, "%s: mode flag %zu is %u, not 0 or 1", name, i,
					bools[i]);
	if (p->init_state > 3 || p->priority_add > 7 || (p->irq_base & 7))
		return snap_bad(s, what, e, "%s: init state %u, priority %u, vector base 0x%x",
				name, p->init_state, p->priority_add, p->irq_base);
	return 0;
}

static int load_irqchip(struct vm *vm, struct snap_in *in, struct errinfo *e)
{
	struct kvm_irqchip chip[NR_IRQCHIPS];
	static const char *const names[NR_IRQCHIPS] = {"PIC master", "PIC slave", "IOAPIC"};
	struct snap_sec *s;
	int ret = snap_open(in, "irqchip", 1, &s, e);

	if (ret)
		return ret;
	for (uint32_t i = 0; i < NR_IRQCHIPS; i++) {
		uint32_t len = snap_get_u32(s);

		if (!s->bad && len != sizeof(chip[i]))
			return snap_bad(s, in->what, e, "%s: %u bytes, expected %zu", names[i], len,
					sizeof(chip[i]));
		snap_get(s, &chip[i], sizeof(chip[i]));
		if (s->bad)
			break;
		if (chip[i].chip_id != i || chip[i].pad)
			return snap_bad(s, in->what, e, "%s: chip id %u", names[i],
					chip[i].chip_id);
		if (i < 2 && pic_check(s, &chip[i].chip.pic, names[i], in->what, e))
			return -EBADMSG;
		if (i == 2 && chip[i].chip.ioapic.base_address != IOAPIC_BASE)
			return snap_bad(s, in->what, e, "IOAPIC at 0x%llx, not 0x%llx",
					(unsigned long long)chip[i].chip.ioapic.base_address,
					IOAPIC_BASE);
	}
	ret = snap_close(s, in->what, e);
	for (int i = 0; !ret && i < NR_IRQCHIPS; i++)
		ret = vm_ioctl(vm, KVM_SET_IRQCHIP, &chip[i], "KVM_SET_IRQCHIP", e);
	return ret;
}

static int load_pit(struct vm *vm, struct snap_in *in, struct errinfo *e)
{
	struct kvm_pit_state2 pit;
	struct snap_sec *s;
	uint32_t len;
	int ret = snap_open(in, "pit", 1, &s, e);

	if (ret)
		return ret;
	len = snap_get_u32(s);
	if (!s->bad && len != sizeof(pit))
		return snap_bad(s, in->what, e, "%u bytes, expected %zu", len, sizeof(pit));
	snap_get(s, &pit, sizeof(pit));
	ret = snap_close(s, in->what, e);
	if (ret)
		return ret;
	if (pit.flags & ~(uint32_t)(KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON))
		return snap_bad(s, in->what, e, "flags 0x%x", pit.flags);
	for (int i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &pit.channels[i];

		if ((c->mode > PIT_MODE_MAX && c->mode != PIT_MODE_UNSET) ||
		    c->rw_mode > PIT_RW_STATE_MAX || c->read_state > PIT_RW_STATE_MAX ||
		    c->write_state > PIT_RW_STATE_MAX || c->count_latched > PIT_RW_STATE_MAX ||
		    c->status_latched > 1 || c->bcd > 1 || c->gate > 1)
			return snap_bad(s, in->what, e,
					"channel %d: mode %u, access %u/%u/%u, latched %u/%u, bcd "
					"%u, gate %u",
					i, c->mode, c->rw_mode, c->read_state, c->write_state,
					c->count_latched, c->status_latched, c->bcd, c->gate);
	}
	return vm_ioctl(vm, KVM_SET_PIT2, &pit, "KVM_SET_PIT2", e);
}

static int load_clock(struct vm *vm, struct snap_in *in, struct errinfo *e)
{
	struct kvm_clock_data clock = {0};
	struct snap_sec *s;
	int ret = snap_open(in, "clock", 1, &s, e);

	if (ret)
		return ret;
	clock.clock = snap_get_u64(s);
	snap_get_u32(s); /* KVM's flags at save time: only informative */
	ret = snap_close(s, in->what, e);
	if (ret)
		return ret;
	/* flags 0: the guest's clock goes on from the saved value, the time in between is lost */
	return vm_ioctl(vm, KVM_SET_CLOCK, &clock, "KVM_SET_CLOCK", e);
}

/* Decode every "vcpu:N" (nothing applied yet), then apply them in order. */
static int load_vcpus(struct vm *vm, struct snap_in *in, const struct vcpu_state_caps *caps,
		      struct vcpu_state *st, struct errinfo *e)
{
	int ret = 0;

	for (unsigned int i = 0; !ret && i < vm->nr_vcpus; i++) {
		char name[SNAP_NAME_MAX];
		struct snap_sec *s;

		snprintf(name, sizeof(name), "vcpu:%u", i);
		ret = snap_open(in, name, VCPU_STATE_SECTION_VERSION, &s, e);
		if (!ret)
			ret = vcpu_state_decode(s, caps, &st[i], in->what, e);
	}
	return ret;
}

static int load_optional(struct vm *vm, struct snap_in *in, const char *name,
			 int (*load)(struct vm *, struct snap_sec *, const char *,
				     struct errinfo *),
			 struct errinfo *e)
{
	struct snap_sec *s;
	int ret = snap_open(in, name, 1, &s, e);

	return ret ? ret : load(vm, s, in->what, e);
}

int vm_snapshot_load(struct vm *vm, struct snap_in *in, const char *dir, struct errinfo *e)
{
	struct vcpu_state_caps caps = {0};
	struct vcpu_state *st;
	char path[PATH_MAX];
	int ret;

	pthread_mutex_lock(&vm->exit_lock);
	ret = vm->vcpus_go ? -EBUSY : 0;
	pthread_mutex_unlock(&vm->exit_lock);
	if (ret)
		return err_set(e, EBUSY, "restore: the VM has run already; load into a fresh one");
	if (dir &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, VM_SNAPSHOT_MEMORY) >= sizeof(path))
		return err_set(e, ENAMETOOLONG, "snapshot directory %s: name too long", dir);
	ret = vm_snapshot_check_vm(vm, in, e);
	if (ret)
		return ret;
	st = calloc(vm->nr_vcpus, sizeof(*st));
	if (!st)
		return err_set(e, ENOMEM, "restore: vCPU state");
	ret = vcpu_state_caps_get(&caps, vm->kvm_fd, e);
	if (!ret)
		ret = load_vcpus(vm, in, &caps, st, e);
	if (!ret && dir)
		ret = mem_snapshot_read(&vm->mem, path, e);
	if (!ret && vm->has_irqchip)
		ret = load_irqchip(vm, in, e);
	if (!ret && vm->has_pit)
		ret = load_pit(vm, in, e);
	for (unsigned int i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = vcpu_state_set(&vm->vcpus[i], &caps, &st[i], e);
	/* after the TSCs, as QEMU sets it (when the VM starts, its vCPUs put) */
	if (!ret)
		ret = load_clock(vm, in, e);
	if (!ret && vm->platform)
		ret = load_optional(vm, in, "platform", platform__load, e);
	if (!ret && vm->hotplug)
		ret = load_optional(vm, in, "hotplug", pci_hotplug__load, e);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_state_free(&st[i]);
	free(st);
	vcpu_state_caps_free(&caps);
	if (ret && !strstr(e->msg, in->what))
		err_prefix(e, "restoring from %s", dir ? dir : in->what);
	return ret;
}
