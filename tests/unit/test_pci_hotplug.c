// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI PCI hot-plug (pci_hotplug.c) on a VM without KVM: the PCIU/PCID/B0EJ
 * registers through the I/O-port bus, the GPE0 block and SCI level
 * (platform.c, KVM_IRQ_LINE seen through the irq ioctl seam), the eject
 * path over the eventfd (driven with vm_io_poll()), default and duplicate
 * ids, and the first-fit BAR allocator reusing what a removed device held.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/kvm.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci_hotplug.h"
#include "platform.h"
#include "vm.h"

#define GPE_STS ACPI_GPE0_BLK
#define GPE_EN (ACPI_GPE0_BLK + 2)
#define PCIU PCI_HOTPLUG_PORT
#define PCID (PCI_HOTPLUG_PORT + 4)
#define B0EJ (PCI_HOTPLUG_PORT + 8)

#define NR_DEVS 4
#define MAX_EVENTS 16

struct fx {
	struct vm vm;
	struct pci_dev dev[NR_DEVS];
	int released[NR_DEVS];
	char released_id[NR_DEVS][PCI_DEV_ID_MAX];
	int bar_hits;
	int nr_events;
	char ev_name[MAX_EVENTS][32], ev_id[MAX_EVENTS][PCI_DEV_ID_MAX];
};

/* SCI line as the fake KVM_IRQ_LINE last set it (-1: never) */
static int sci_level = -1;
static int sci_changes;

static int fake_kvm(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (req == KVM_IRQ_LINE) {
		struct kvm_irq_level *l = arg;

		if (l->irq == ACPI_SCI_IRQ) {
			sci_level = (int)l->level;
			sci_changes++;
		}
	}
	return 0;
}

static const struct irq_kvm_ops fake_ops = {.ioctl = fake_kvm};

static void on_event(void *opaque, const char *name, const char *id, const char *detail)
{
	struct fx *f = opaque;

	(void)detail;
	if (f->nr_events >= MAX_EVENTS)
		return;
	snprintf(f->ev_name[f->nr_events], sizeof(f->ev_name[0]), "%s", name);
	snprintf(f->ev_id[f->nr_events], sizeof(f->ev_id[0]), "%s", id ? id : "");
	f->nr_events++;
}

static struct fx *fx_of(struct pci_dev *d)
{
	return d->opaque;
}

static void dev_release(struct pci_dev *d)
{
	struct fx *f = fx_of(d);
	int i = (int)(d - f->dev);

	f->released[i]++;
	snprintf(f->released_id[i], sizeof(f->released_id[i]), "%s", d->id);
	/* what a model that frees its function does: nothing may touch it after */
	memset(d, 0x5a, sizeof(*d));
}

static void bar_fn(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	struct fx *f = o;

	(void)off;
	f->bar_hits++;
	if (!w)
		memset(data, 0xab, len);
}

static void dev_setup(struct fx *f, int i, const char *name)
{
	struct pci_dev *d = &f->dev[i];
	struct errinfo e = {0};

	pci_dev_init(d, name, 0x1af4, 0x1041, 0x020000, 1, 0x1af4, 0x1100);
	d->opaque = f;
	d->release = dev_release;
	assert_int_equal(pci_bar_declare(d, 0, 0x1000, 0, bar_fn, f, &e), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vm *vm = &f->vm;
	struct errinfo e = {0};

	assert_non_null(f);
	vm->vm_fd = -1;
	vlog_init(&vm->log);
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_mutex_init(&vm->exit_lock, NULL);
	pthread_cond_init(&vm->exit_cond, NULL);
	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(vm->epoll_fd >= 0 && vm->stop_efd >= 0);
	assert_int_equal(bus_init(&vm->pio, "pio"), 0);
	assert_int_equal(bus_init(&vm->mmio, "mmio"), 0);
	assert_int_equal(
		pci_host_init(&vm->pci, vm, &vm->pio, &vm->mmio, 1ull << 36, 1ull << 30, &e), 0);
	assert_int_equal(irq_routing_init(&vm->irq, -1, 256, false, &fake_ops, &e), 0);
	vm->event_cb = on_event;
	vm->event_opaque = f;
	assert_int_equal(platform__add(vm, false, &e), 0);
	assert_int_equal(pci_hotplug__add(vm, &e), 0);
	assert_non_null(vm->hotplug);
	for (int i = 0; i < NR_DEVS; i++)
		dev_setup(f, i, "virtio-net");
	sci_level = -1;
	sci_changes = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct vm *vm = &f->vm;

	vm_run_cleanups(vm);
	assert_null(vm->hotplug);
	assert_null(vm->platform);
	pci_host_exit(&vm->pci);
	vm_io_cleanup(vm);
	irq_routing_exit(&vm->irq);
	bus_exit(&vm->mmio);
	bus_exit(&vm->pio);
	close(vm->epoll_fd);
	close(vm->stop_efd);
	pthread_cond_destroy(&vm->exit_cond);
	pthread_mutex_destroy(&vm->exit_lock);
	pthread_mutex_destroy(&vm->io_lock);
	vlog_exit(&vm->log);
	free(f);
	return 0;
}

static uint32_t pio_rd(struct fx *f, uint64_t port, uint32_t len)
{
	uint8_t b[4] = {0};
	uint32_t v = 0;

	assert_true(bus_dispatch(&f->vm.pio, port, b, len, false));
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void pio_wr(struct fx *f, uint64_t port, uint32_t len, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	assert_true(bus_dispatch(&f->vm.pio, port, b, len, true));
}

static uint32_t cfg32(struct fx *f, int slot, uint32_t off)
{
	uint8_t b[4];

	pci_cfg_access(&f->vm.pci, 0, (unsigned int)slot, 0, off, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wcfg16(struct fx *f, int slot, uint32_t off, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	pci_cfg_access(&f->vm.pci, 0, (unsigned int)slot, 0, off, b, 2, true);
}

/* What vm_run() does once the vCPUs exist (none here: vm_pause() returns at once). */
static void set_running(struct fx *f)
{
	pthread_mutex_lock(&f->vm.exit_lock);
	f->vm.vcpus_go = true;
	pthread_mutex_unlock(&f->vm.exit_lock);
}

static void pump(struct fx *f)
{
	while (vm_io_poll(&f->vm, 0) > 0)
		;
}

static void gpe_status_enable_and_sci(void **state)
{
	struct fx *f = *state;
	const uint32_t bit = 1u << PCI_HOTPLUG_GPE;

	/* status without enable: recorded, SCI stays low */
	assert_int_equal(platform__gpe_raise(&f->vm, PCI_HOTPLUG_GPE), 0);
	assert_int_equal(pio_rd(f, GPE_STS, 2), bit);
	assert_int_equal(pio_rd(f, GPE_EN, 2), 0);
	assert_int_equal(sci_changes, 0);
	/* the guest enables it: the pending status raises the SCI */
	pio_wr(f, GPE_EN, 1, bit);
	assert_int_equal(pio_rd(f, GPE_EN, 2), bit);
	assert_int_equal(sci_level, 1);
	/* a 4-byte read covers both halves */
	assert_int_equal(pio_rd(f, GPE_STS, 4), bit | bit << 16);
	/* writing zero clears nothing; writing one clears the status and drops the SCI */
	pio_wr(f, GPE_STS, 1, 0);
	assert_int_equal(pio_rd(f, GPE_STS, 2), bit);
	assert_int_equal(sci_level, 1);
	pio_wr(f, GPE_STS, 1, bit);
	assert_int_equal(pio_rd(f, GPE_STS, 2), 0);
	assert_int_equal(sci_level, 0);
	/* raised while enabled: straight to the SCI; a status write does not touch enables */
	assert_int_equal(platform__gpe_raise(&f->vm, PCI_HOTPLUG_GPE), 0);
	assert_int_equal(sci_level, 1);
	/* the power button is ORed in: GPE cleared while PWRBTN pending keeps the line up */
	pio_wr(f, ACPI_PM1A_EVT + 2, 2, 0x0100);
	assert_int_equal(platform__power_button(&f->vm), 0);
	pio_wr(f, GPE_STS, 2, bit);
	assert_int_equal(sci_level, 1);
	pio_wr(f, ACPI_PM1A_EVT, 2, 0x0100);
	assert_int_equal(sci_level, 0);
	/* an event the guest did not enable leaves the line low */
	assert_int_equal(platform__gpe_raise(&f->vm, 3), 0);
	assert_int_equal(sci_level, 0);
	assert_int_equal(pio_rd(f, GPE_EN, 2), bit);
	assert_int_equal(platform__gpe_raise(&f->vm, ACPI_GPE0_BITS), -EINVAL);
}

static void default_and_duplicate_ids(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};

	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[0], -1, &e), 0);
	assert_string_equal(f->dev[0].id, "net0");
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[1], -1, &e), 0);
	assert_string_equal(f->dev[1].id, "net1");
	snprintf(f->dev[2].id, sizeof(f->dev[2].id), "net0");
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[2], -1, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "net0"));
	assert_int_equal(f->dev[2].slot, -1);
	assert_ptr_equal(vm_pci_find(&f->vm, "net1"), &f->dev[1]);
	assert_null(vm_pci_find(&f->vm, "net2"));
	/* not running yet: no announcement */
	assert_int_equal(f->nr_events, 0);
	assert_int_equal(pio_rd(f, PCIU, 4), 0);
	/* a device never plugged cannot be asked back */
	assert_int_equal(pci_hotplug__request_unplug(&f->vm, &f->dev[2], &e), -ENOENT);
}

static void plug_at_run_time_sets_pciu_once(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	int slot;

	pio_wr(f, GPE_EN, 1, 1u << PCI_HOTPLUG_GPE);
	set_running(f);
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[0], -1, &e), 0);
	slot = f->dev[0].slot;
	assert_true(slot > 0);
	assert_int_equal(f->nr_events, 1);
	assert_string_equal(f->ev_name[0], "device-added");
	assert_string_equal(f->ev_id[0], "net0");
	assert_int_equal(pio_rd(f, GPE_STS, 2), 1u << PCI_HOTPLUG_GPE);
	assert_int_equal(sci_level, 1);
	/* the device is whole on the bus already */
	assert_int_equal(cfg32(f, slot, 0), 0x10411af4);
	/* reading PCIU clears it */
	assert_int_equal(pio_rd(f, PCIU, 4), 1u << slot);
	assert_int_equal(pio_rd(f, PCIU, 4), 0);
	assert_int_equal(pio_rd(f, PCID, 4), 0);
	/* B0EJ reads zero; PCIU/PCID ignore writes */
	assert_int_equal(pio_rd(f, B0EJ, 4), 0);
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[1], -1, &e), 0);
	pio_wr(f, PCIU, 4, 0);
	assert_int_equal(pio_rd(f, PCIU, 4), 1u << f->dev[1].slot);
}

static void request_eject_removes(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	uint32_t bar;
	int slot;

	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[0], -1, &e), 0);
	slot = f->dev[0].slot;
	/* the guest decodes BAR 0 */
	bar = cfg32(f, slot, PCI_BASE_ADDRESS_0) & ~0xfu;
	wcfg16(f, slot, PCI_COMMAND, PCI_COMMAND_MEMORY);
	{
		uint8_t b[4];

		assert_true(bus_dispatch(&f->vm.mmio, bar, b, 4, false));
		assert_int_equal(f->bar_hits, 1);
	}
	set_running(f);
	assert_false(pci_hotplug__unplug_pending(&f->vm, &f->dev[0]));
	assert_int_equal(pci_hotplug__request_unplug(&f->vm, &f->dev[0], &e), 0);
	assert_int_equal(f->nr_events, 1);
	assert_string_equal(f->ev_name[0], "unplug-requested");
	assert_string_equal(f->ev_id[0], "net0");
	assert_true(pci_hotplug__unplug_pending(&f->vm, &f->dev[0]));
	assert_int_equal(pio_rd(f, GPE_STS, 2), 1u << PCI_HOTPLUG_GPE);
	/* PCID stays set while the guest thinks about it */
	assert_int_equal(pio_rd(f, PCID, 4), 1u << slot);
	assert_int_equal(pio_rd(f, PCID, 4), 1u << slot);
	assert_int_equal(pci_hotplug__request_unplug(&f->vm, &f->dev[0], &e), -EALREADY);
	assert_int_equal(f->nr_events, 1);
	pump(f);
	assert_int_equal(f->released[0], 0);

	/* _EJ0: the vCPU thread only hands over; the I/O thread removes */
	pio_wr(f, B0EJ, 4, 1u << slot);
	assert_int_equal(pio_rd(f, PCID, 4), 0);
	assert_int_equal(f->released[0], 0);
	/* ejected, not yet off the bus: still pending, not asked again */
	assert_true(pci_hotplug__unplug_pending(&f->vm, &f->dev[0]));
	assert_int_equal(pci_hotplug__request_unplug(&f->vm, &f->dev[0], &e), -EALREADY);
	pump(f);
	assert_int_equal(f->released[0], 1);
	assert_string_equal(f->released_id[0], "net0");
	assert_int_equal(f->nr_events, 2);
	assert_string_equal(f->ev_name[1], "device-removed");
	assert_string_equal(f->ev_id[1], "net0");
	assert_null(f->vm.pci.dev[slot]);
	assert_int_equal(cfg32(f, slot, 0), 0xffffffff);
	{
		uint8_t b[4];

		assert_false(bus_dispatch(&f->vm.mmio, bar, b, 4, false));
	}
	/* the held vCPUs were let go again */
	assert_false(f->vm.pause_requested);
	/* nothing more happens on another round or a repeated eject of the empty slot */
	pio_wr(f, B0EJ, 4, 1u << slot);
	pump(f);
	assert_int_equal(f->released[0], 1);
	assert_int_equal(f->nr_events, 2);
	/* the slot and its BAR space serve the next device */
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[1], -1, &e), 0);
	assert_int_equal(f->dev[1].slot, slot);
	assert_string_equal(f->dev[1].id, "net0");
	assert_int_equal(cfg32(f, slot, PCI_BASE_ADDRESS_0) & ~0xfu, bar);
	assert_false(pci_hotplug__unplug_pending(&f->vm, &f->dev[1]));
}

static void guest_eject_without_request(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	int s0, s1;

	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[0], -1, &e), 0);
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[1], -1, &e), 0);
	s0 = f->dev[0].slot;
	s1 = f->dev[1].slot;
	set_running(f);
	/* a user's pause is the user's: the eject neither ends nor doubles it */
	f->vm.pause_requested = true;
	/* like QEMU: whatever occupied slot the guest ejects goes (sysfs eject); slot 0 never */
	pio_wr(f, B0EJ, 4, 1u << s1 | 1u << 0 | 1u << 30);
	pump(f);
	assert_int_equal(f->released[1], 1);
	assert_int_equal(f->released[0], 0);
	assert_ptr_equal(f->vm.pci.dev[s0], &f->dev[0]);
	assert_null(f->vm.pci.dev[s1]);
	assert_true(f->vm.pause_requested);
	assert_int_equal(f->nr_events, 1);
	assert_string_equal(f->ev_name[0], "device-removed");
	assert_string_equal(f->ev_id[0], "net1");
	f->vm.pause_requested = false;
}

static void unplug_before_run_is_immediate(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	int slot;

	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[0], 3, &e), 0);
	slot = f->dev[0].slot;
	assert_int_equal(slot, 3);
	assert_int_equal(pci_hotplug__request_unplug(&f->vm, &f->dev[0], &e), 0);
	assert_int_equal(f->released[0], 1);
	assert_null(f->vm.pci.dev[slot]);
	assert_int_equal(pio_rd(f, PCID, 4), 0);
	assert_int_equal(f->nr_events, 1);
	assert_string_equal(f->ev_name[0], "device-removed");
}

/* --- the first-fit allocator, on a bare host with a small 64-bit window */

static void first_fit_reuses_and_refuses(void **state)
{
	struct pci_host h;
	struct pci_dev d[4];
	struct errinfo e = {0};
	uint64_t a[4];

	(void)state;
	/* 64-bit window: 4 MiB */
	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, 1ull << 36, 4ull << 20, &e), 0);
	for (int i = 0; i < 4; i++) {
		pci_dev_init(&d[i], "m64", 0x1234, 0x1, 0x020000, 0, 0, 0);
		assert_int_equal(pci_bar_declare(&d[i], 0, i == 3 ? 2ull << 20 : 1ull << 20,
						 PCI_BARF_MEM64, NULL, NULL, &e),
				 0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pci_dev_register(&h, &d[i], -1, &e), 0);
		a[i] = d[i].bar[0].addr;
	}
	assert_int_equal(a[0], 1ull << 36);
	assert_int_equal(a[1], (1ull << 36) + (1ull << 20));
	assert_int_equal(a[2], (1ull << 36) + (2ull << 20));
	/* 2 MiB, naturally aligned: only [+2M, +4M) could hold it, and d[2] is there */
	assert_int_equal(pci_dev_register(&h, &d[3], -1, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "no room for BAR 0"));
	assert_non_null(strstr(e.msg, "64-bit MMIO"));
	assert_int_equal(d[3].slot, -1);
	/* freeing d[0] leaves a 1 MiB hole at +0: still no aligned 2 MiB */
	assert_int_equal(pci_dev_unregister(&h, &d[0]), 0);
	assert_int_equal(d[0].slot, -1);
	assert_int_equal(pci_dev_unregister(&h, &d[0]), -ENOENT);
	assert_int_equal(pci_dev_register(&h, &d[3], -1, &e), -ENOSPC);
	/* freeing d[1] too: [+0, +2M) is free and aligned */
	assert_int_equal(pci_dev_unregister(&h, &d[1]), 0);
	assert_int_equal(pci_dev_register(&h, &d[3], -1, &e), 0);
	assert_int_equal(d[3].bar[0].addr, 1ull << 36);
	/* [+3M, +4M) is the one hole left; then the window is full */
	assert_int_equal(pci_dev_register(&h, &d[0], -1, &e), 0);
	assert_int_equal(d[0].bar[0].addr, (1ull << 36) + (3ull << 20));
	assert_int_equal(pci_dev_register(&h, &d[1], -1, &e), -ENOSPC);
	/* after d[2] goes, the next device takes d[2]'s place */
	assert_int_equal(pci_dev_unregister(&h, &d[2]), 0);
	assert_int_equal(pci_dev_register(&h, &d[1], -1, &e), 0);
	assert_int_equal(d[1].bar[0].addr, a[2]);
	pci_host_exit(&h);
}

/* Many add/remove cycles: the 32-bit window never runs out. */
static void add_remove_cycles_do_not_leak_space(void **state)
{
	struct pci_host h;
	struct pci_dev d;
	struct errinfo e = {0};
	uint64_t first = 0;

	(void)state;
	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, 1ull << 36, 1ull << 30, &e), 0);
	for (int i = 0; i < 100; i++) {
		pci_dev_init(&d, "big", 0x1234, 0x1, 0x020000, 0, 0, 0);
		/* 256 MiB: the 512 MiB window holds two, so a bump allocator fails at 3 */
		assert_int_equal(pci_bar_declare(&d, 0, 256ull << 20, 0, NULL, NULL, &e), 0);
		assert_int_equal(pci_bar_declare(&d, 1, 256, PCI_BARF_IO, NULL, NULL, &e), 0);
		assert_int_equal(pci_dev_register(&h, &d, -1, &e), 0);
		if (!i)
			first = d.bar[0].addr;
		assert_int_equal(d.bar[0].addr, first);
		assert_int_equal(d.bar[1].addr, PCI_PIO_BASE);
		assert_int_equal(pci_dev_unregister(&h, &d), 0);
	}
	pci_host_exit(&h);
}

/* Parse the finished @o into @in (a copy: @in owns its buffer). */
static void snap_reopen(struct snap_out *o, struct snap_in *in)
{
	struct errinfo e = {0};
	uint8_t *copy;

	assert_int_equal(snap_out_finish(o, &e), 0);
	copy = malloc(o->len);
	assert_non_null(copy);
	memcpy(copy, o->buf, o->len);
	assert_int_equal(snap_in_parse(in, copy, o->len, "test-state", &e), 0);
}

/* Snapshots (platform__save/load, pci_hotplug__save/load): registers and the SCI come back. */
static void snapshot_restores_registers_and_sci(void **state)
{
	struct fx *f = *state;
	const uint32_t bit = 1u << PCI_HOTPLUG_GPE;
	struct errinfo e = {0};
	struct snap_out o;
	struct snap_in in;
	struct snap_sec *s;

	set_running(f);
	pio_wr(f, GPE_EN, 2, bit);
	pio_wr(f, ACPI_PM1A_EVT + 2, 2, 0x0100);
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[0], 3, &e), 0);
	assert_int_equal(sci_level, 1);
	snap_out_init(&o);
	assert_int_equal(platform__save(&f->vm, &o), 0);
	assert_int_equal(pci_hotplug__save(&f->vm, &o), 0);
	snap_reopen(&o, &in);
	snap_out_free(&o);

	/* the guest moves on: reads PCIU (clears it), acknowledges the GPE, disables it */
	assert_int_equal(pio_rd(f, PCIU, 4), 1u << 3);
	pio_wr(f, GPE_STS, 2, bit);
	pio_wr(f, GPE_EN, 2, 0);
	assert_int_equal(sci_level, 0);

	/* the saved state comes back, the SCI line with it */
	assert_int_equal(snap_open(&in, "platform", 1, &s, &e), 0);
	assert_int_equal(platform__load(&f->vm, s, in.what, &e), 0);
	assert_int_equal(sci_level, 1);
	assert_int_equal(pio_rd(f, GPE_STS, 2), bit);
	assert_int_equal(pio_rd(f, GPE_EN, 2), bit);
	assert_int_equal(pio_rd(f, ACPI_PM1A_EVT + 2, 2), 0x0100);
	assert_int_equal(snap_open(&in, "hotplug", 1, &s, &e), 0);
	assert_int_equal(pci_hotplug__load(&f->vm, s, in.what, &e), 0);
	assert_int_equal(pio_rd(f, PCIU, 4), 1u << 3);
	assert_int_equal(pio_rd(f, PCIU, 4), 0);
	snap_in_free(&in);
}

/* An eject saved before the I/O thread handled it is handled after the load. */
static void snapshot_pending_eject_handled_after_load(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	struct snap_out o;
	struct snap_in in;
	struct snap_sec *s;

	set_running(f);
	assert_int_equal(vm_pci_plug(&f->vm, &f->dev[0], 3, &e), 0);
	pump(f);
	snap_out_init(&o);
	snap_begin(&o, "hotplug", 1);
	snap_put_u32(&o, 0);
	snap_put_u32(&o, 0);
	snap_put_u32(&o, 1u << 3); /* ejected, not yet taken off the bus */
	snap_end(&o);
	snap_reopen(&o, &in);
	snap_out_free(&o);
	assert_int_equal(snap_open(&in, "hotplug", 1, &s, &e), 0);
	assert_int_equal(pci_hotplug__load(&f->vm, s, in.what, &e), 0);
	assert_int_equal(f->released[0], 0);
	pump(f);
	assert_int_equal(f->released[0], 1);
	assert_string_equal(f->released_id[0], "net0");
	snap_in_free(&in);
}

/* Load @payload as section @name with @load; expect -EBADMSG naming it and saying @want. */
static void load_refused(struct fx *f, const char *name, const uint8_t *payload, size_t len,
			 int (*load)(struct vm *, struct snap_sec *, const char *,
				     struct errinfo *),
			 const char *want)
{
	struct errinfo e = {0};
	struct snap_out o;
	struct snap_in in;
	struct snap_sec *s;
	char sec[64];

	snap_out_init(&o);
	snap_begin(&o, name, 1);
	snap_put(&o, payload, len);
	snap_end(&o);
	snap_reopen(&o, &in);
	snap_out_free(&o);
	assert_int_equal(snap_open(&in, name, 1, &s, &e), 0);
	assert_int_equal(load(&f->vm, s, in.what, &e), -EBADMSG);
	snprintf(sec, sizeof(sec), "test-state: section '%s'", name);
	assert_non_null(strstr(e.msg, sec));
	if (!strstr(e.msg, want))
		fail_msg("'%s' does not say '%s'", e.msg, want);
	snap_in_free(&in);
}

static void snapshot_hostile_sections_refused(void **state)
{
	struct fx *f = *state;
	/* pm1_sts, pm1_en, pm1_cnt, gpe_sts, gpe_en (u16 LE) */
	const uint8_t pm_sts_bad[10] = {0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0};
	const uint8_t pm_cnt_slp[10] = {0, 0, 0, 0, 1, 0x20, 0, 0, 0, 0};
	const uint8_t pm_cnt_nosci[10] = {0};
	/* pciu, pcid, ejected (u32 LE) */
	const uint8_t hp_slot0[12] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	const uint8_t hp_ok[12] = {0};

	load_refused(f, "platform", pm_sts_bad, sizeof(pm_sts_bad), platform__load,
		     "PM1 status 0x8000");
	load_refused(f, "platform", pm_cnt_slp, sizeof(pm_cnt_slp), platform__load,
		     "PM1 control 0x2001");
	load_refused(f, "platform", pm_cnt_nosci, sizeof(pm_cnt_nosci), platform__load,
		     "SCI_EN must be set");
	load_refused(f, "platform", pm_sts_bad, 9, platform__load, "shorter than its layout");
	load_refused(f, "hotplug", hp_slot0, sizeof(hp_slot0), pci_hotplug__load,
		     "outside slots 1..31");
	load_refused(f, "hotplug", hp_ok, 8, pci_hotplug__load, "shorter than its layout");
	load_refused(f, "hotplug", hp_ok, 12 - 1, pci_hotplug__load, "shorter than its layout");
	/* nothing reached the registers or the SCI */
	assert_int_equal(pio_rd(f, ACPI_PM1A_EVT, 4), 0);
	assert_int_equal(pio_rd(f, PCIU, 4), 0);
	assert_int_equal(sci_changes, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(gpe_status_enable_and_sci),
		T(default_and_duplicate_ids),
		T(plug_at_run_time_sets_pciu_once),
		T(request_eject_removes),
		T(guest_eject_without_request),
		T(unplug_before_run_is_immediate),
		T(snapshot_restores_registers_and_sci),
		T(snapshot_pending_eject_handled_after_load),
		T(snapshot_hostile_sections_refused),
		cmocka_unit_test(first_fit_reuses_and_refuses),
		cmocka_unit_test(add_remove_cycles_do_not_leak_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
