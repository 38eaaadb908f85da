// SPDX-License-Identifier: GPL-2.0-only
/*
 * Small PC platform devices that end or signal the VM: i8042 reset line,
 * the debug-exit port for test programs (only when asked for: it lets the
 * guest choose the exit status), the ACPI PM1 blocks (sleep
 * to S5 = poweroff, fixed power button raising the SCI) and the GPE0 block
 * (general-purpose events, e.g. PCI hot-plug, also on the SCI).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "vm.h"

#define PM1_PWRBTN 0x0100 /* PWRBTN_STS / PWRBTN_EN */
#define PM1_SCI_EN 0x0001
#define PM1_SLP_EN 0x2000

struct platform {
	struct vm *vm;
	pthread_mutex_t lock;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en; /* GPE0 bits 0-15 */
	int sci_level;
};

static uint64_t le_value(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

static void le_store(uint8_t *data, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len; i++)
		data[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static void i8042_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct platform *p = opaque;

	/* 0x64 is off 4 of the 0x60 range: command 0xFE pulses the CPU reset line */
	if (is_write) {
		if (off == 4 && len == 1 && data[0] == 0xfe)
			vm_request_exit(p->vm, VM_EXIT_RESET,
					"guest reset through the i8042 (0xFE to port 0x64)");
		return;
	}
	/* no keyboard: status says both buffers empty, data reads zero */
	memset(data, 0, len);
}

static void debug_exit_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			      bool is_write)
{
	struct platform *p = opaque;
	uint64_t v;
	char why[96];

	(void)off;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	v = le_value(data, len);
	snprintf(why, sizeof(why), "guest wrote %llu to the debug-exit port 0x%x",
		 (unsigned long long)v, VM_DEBUG_EXIT_PORT);
	vm_request_exit(p->vm, v ? VM_EXIT_DEBUG_BASE + (int)(v & 63) : VM_EXIT_POWEROFF, why);
}

/* Under p->lock.  The SCI is level triggered: high while any enabled event is pending. */
static void sci_update(struct platform *p)
{
	int level = ((p->pm1_sts & p->pm1_en & PM1_PWRBTN) || (p->gpe_sts & p->gpe_en)) &&
		    (p->pm1_cnt & PM1_SCI_EN);

	if (level != p->sci_level) {
		p->sci_level = level;
		irq_line(&p->vm->irq, ACPI_SCI_IRQ, level, NULL);
	}
}

static void pm1_evt_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct platform *p = opaque;
	uint32_t v = (uint32_t)p->pm1_sts | (uint32_t)p->pm1_en << 16;

	pthread_mutex_lock(&p->lock);
	if (!is_write) {
		le_store(data, len, v >> (8 * off));
	} else {
		uint32_t w = (uint32_t)le_value(data, len) << (8 * off);
		uint32_t m = (uint32_t)(((1ULL << (8 * len)) - 1) << (8 * off));

		/* status bits are write-one-to-clear; enable bits plain */
		p->pm1_sts &= (uint16_t) ~(w & m & 0xffff);
		if (m >> 16)
			p->pm1_en = (uint16_t)((p->pm1_en & ~(m >> 16)) | ((w & m) >> 16));
		sci_update(p);
	}
	pthread_mutex_unlock(&p->lock);
}

static void pm1_cnt_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct platform *p = opaque;
	uint16_t v;

	pthread_mutex_lock(&p->lock);
	if (!is_write) {
		le_store(data, len, (uint64_t)p->pm1_cnt >> (8 * off));
		pthread_mutex_unlock(&p->lock);
		return;
	}
	v = (uint16_t)(le_value(data, len) << (8 * off));
	if (off == 0 && len == 1)
		v |= p->pm1_cnt & 0xff00;
	else if (off == 1)
		v |= p->pm1_cnt & 0x00ff;
	/* SCI_EN stays set: there is no SMI_CMD, the platform is always in ACPI mode */
	p->pm1_cnt = (v & ~PM1_SLP_EN) | PM1_SCI_EN;
	pthread_mutex_unlock(&p->lock);
	if ((v & PM1_SLP_EN) && ((v >> 10) & 7) == ACPI_SLP_TYP_S5)
		vm_request_exit(p->vm, VM_EXIT_POWEROFF, "guest powered off (ACPI S5)");
}

/* GPE0_BLK: bytes 0-1 status (write one to clear), bytes 2-3 enable (plain). */
static void gpe0_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct platform *p = opaque;
	uint32_t v, w, m;

	pthread_mutex_lock(&p->lock);
	v = (uint32_t)p->gpe_sts | (uint32_t)p->gpe_en << 16;
	if (!is_write) {
		le_store(data, len, v >> (8 * off));
	} else {
		w = (uint32_t)le_value(data, len) << (8 * off);
		m = (uint32_t)(((1ULL << (8 * len)) - 1) << (8 * off));
		p->gpe_sts &= (uint16_t) ~(w & m & 0xffff);
		if (m >> 16)
			p->gpe_en = (uint16_t)((p->gpe_en & ~(m >> 16)) | ((w & m) >> 16));
		sci_update(p);
	}
	pthread_mutex_unlock(&p->lock);
}

int platform__gpe_raise(struct vm *vm, unsigned int bit)
{
	struct platform *p = vm->platform;

	if (!p)
		return -ENODEV;
	if (bit >= ACPI_GPE0_BITS)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	p->gpe_sts |= (uint16_t)(1u << bit);
	sci_update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int platform__power_button(struct vm *vm)
{
	struct platform *p = vm->platform;

	int ret = 0;

	if (!p)
		return -ENODEV;
	pthread_mutex_lock(&p->lock);
	/* a guest that never enabled the button would not react: say so */
	if (!(p->pm1_en & PM1_PWRBTN)) {
		ret = -EAGAIN;
	} else {
		p->pm1_sts |= PM1_PWRBTN;
		sci_update(p);
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static void platform_release(void *opaque)
{
	struct platform *p = opaque;

	p->vm->platform = NULL;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int platform__add(struct vm *vm, bool debug_exit, struct errinfo *e)
{
	struct platform *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return err_sys(e, ENOMEM, "platform devices");
	p->vm = vm;
	p->pm1_cnt = PM1_SCI_EN;
	pthread_mutex_init(&p->lock, NULL);
	ret = bus_register(&vm->pio, 0x60, 5, i8042_access, p, "i8042", e);
	if (!ret && debug_exit)
		ret = bus_register(&vm->pio, VM_DEBUG_EXIT_PORT, 2, debug_exit_access, p,
				   "debug-exit", e);
	if (!ret)
		ret = bus_register(&vm->pio, ACPI_PM1A_EVT, 4, pm1_evt_access, p, "acpi-pm1-evt",
				   e);
	if (!ret)
		ret = bus_register(&vm->pio, ACPI_PM1A_CNT, 2, pm1_cnt_access, p, "acpi-pm1-cnt",
				   e);
	if (!ret)
		ret = bus_register(&vm->pio, ACPI_GPE0_BLK, ACPI_GPE0_BLK_LEN, gpe0_access, p,
				   "acpi-gpe0", e);
	/* freed with the VM (a failed one too: its ranges stay registered) */
	if (vm_at_destroy(vm, platform_release, p, ret ? NULL : e)) {
		pthread_mutex_destroy(&p->lock);
		free(p);
		return ret ? ret : -ENOMEM;
	}
	vm->platform = p;
	return ret;
}

int platform__save(struct vm *vm, struct snap_out *o)
{
	struct platform *p = vm->platform;

	if (!p)
		return -ENODEV;
	pthread_mutex_lock(&p->lock);
	snap_begin(o, "platform", 1);
	snap_put_u16(o, p->pm1_sts);
	snap_put_u16(o, p->pm1_en);
	snap_put_u16(o, p->pm1_cnt);
	snap_put_u16(o, p->gpe_sts);
	snap_put_u16(o, p->gpe_en);
	snap_end(o);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int platform__load(struct vm *vm, struct snap_sec *s, const char *what, struct errinfo *e)
{
	struct platform *p = vm->platform;
	uint16_t pm1_sts, pm1_en, pm1_cnt, gpe_sts, gpe_en;
	int ret;

	if (!p)
		return err_set(e, ENODEV, "%s: this VM has no platform devices", what);
	pm1_sts = snap_get_u16(s);
	pm1_en = snap_get_u16(s);
	pm1_cnt = snap_get_u16(s);
	gpe_sts = snap_get_u16(s);
	gpe_en = snap_get_u16(s);
	ret = snap_close(s, what, e);
	if (ret)
		return ret;
	/* only the power button sets a PM1 status bit; SCI_EN always on, SLP_EN never kept */
	if (pm1_sts & ~PM1_PWRBTN)
		return snap_bad(s, what, e, "PM1 status 0x%04x has bits no device sets", pm1_sts);
	if (!(pm1_cnt & PM1_SCI_EN) || (pm1_cnt & PM1_SLP_EN))
		return snap_bad(s, what, e, "PM1 control 0x%04x (SCI_EN must be set, SLP_EN clear)",
				pm1_cnt);
	pthread_mutex_lock(&p->lock);
	p->pm1_sts = pm1_sts;
	p->pm1_en = pm1_en;
	p->pm1_cnt = pm1_cnt;
	p->gpe_sts = gpe_sts;
	p->gpe_en = gpe_en;
	sci_update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}
