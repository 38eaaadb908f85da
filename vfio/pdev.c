// SPDX-License-Identifier: GPL-2.0-only
/* The passthrough function's device model: see pdev.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdev.h"

static void note(struct vfio_pdev *p, int ret, const struct errinfo *e)
{
	if (ret < 0) {
		p->nr_errors++;
		p->last_err = *e;
		vlog_err(p->log, NULL, e);
	}
}

/* Only one interrupt mode at a time: VFIO refuses MSI while INTx is on. */
static void irq_mode_changed(struct vfio_pdev *p)
{
	struct vfio_msi_state s;
	struct errinfo e;

	vfio_cfg_msi_state(&p->cfg, &s);
	if (!s.enabled && !(p->has_msix && p->msix.enabled))
		note(p, vfio_intx_enable(&p->intx, &e), &e);
}

static void cb_msi_update(void *opaque)
{
	struct vfio_pdev *p = opaque;
	struct vfio_msi_state s;
	struct errinfo e;

	vfio_cfg_msi_state(&p->cfg, &s);
	if (s.enabled)
		vfio_intx_disable(&p->intx);
	note(p, vfio_msi_update(&p->msi, &s, &e), &e);
	irq_mode_changed(p);
}

/* VFIO's part of MSI-X enable: all vectors in one call, no re-enable to grow later. */
static int msix_register(struct vfio_pdev *p, struct errinfo *e)
{
	int *fds;
	int ret;

	if (p->msix_registered)
		return 0;
	ret = msix_sources_alloc(&p->msix, e);
	if (ret < 0)
		return ret;
	fds = calloc(p->msix.nr, sizeof(int));
	if (!fds)
		return err_sys(e, ENOMEM, "%s: MSI-X", p->dev->name);
	msix_eventfds(&p->msix, fds);
	ret = vfio_irq_set_eventfds(p->dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, p->msix.nr, fds, e);
	free(fds);
	if (ret == 0)
		p->msix_registered = true;
	return ret;
}

static int msix_unregister(struct vfio_pdev *p, struct errinfo *e)
{
	int ret;

	if (!p->msix_registered)
		return 0;
	ret = vfio_irq_disable(p->dev, VFIO_PCI_MSIX_IRQ_INDEX, e);
	p->msix_registered = false;
	/* Interrupts of the old session must not fire in the next one. */
	msix_drain(&p->msix);
	return ret;
}

/* Config path (serialised by the config shadow's caller). */
static void cb_msix_ctrl(void *opaque, bool enable, bool func_mask)
{
	struct vfio_pdev *p = opaque;
	struct errinfo e = {0};
	int ret;

	if (!p->has_msix)
		return;
	if (enable) {
		vfio_intx_disable(&p->intx);
		ret = msix_register(p, &e);
		if (ret < 0) {
			/* MSI-X stays off: VFIO has no eventfds to signal */
			note(p, ret, &e);
			irq_mode_changed(p);
			return;
		}
		msix_set_ctrl(&p->msix, true, func_mask);
	} else {
		/* irqfds detached first, then VFIO lets go of the eventfds */
		msix_set_ctrl(&p->msix, false, func_mask);
		note(p, msix_unregister(p, &e), &e);
	}
	irq_mode_changed(p);
}

static void cb_bar_update(void *opaque, int bar, uint64_t addr, bool on)
{
	struct vfio_pdev *p = opaque;

	if (p->bar_update)
		p->bar_update(p->opaque, bar, addr, on);
}

static const struct vfio_cfg_ops pdev_cfg_ops = {
	.bar_update = cb_bar_update,
	.msi_update = cb_msi_update,
	.msix_ctrl = cb_msix_ctrl,
};

static int load_rom(struct vfio_pdev *p, const struct vfio_pdev_opts *o, struct errinfo *e)
{
	struct vfio_cfg *c = &p->cfg;

	if (c->rom_mode == VFIO_ROM_OFF)
		return 0;
	p->rom = calloc(1, c->rom_size);
	if (!p->rom)
		return err_sys(e, ENOMEM, "%s: ROM of %llu bytes", p->dev->name,
			       (unsigned long long)c->rom_size);
	if (c->rom_mode == VFIO_ROM_FILE) {
		memcpy(p->rom, o->rom_image, o->rom_image_len);
		return 0;
	}
	/* The device's ROM is read once: reading it later races with the guest. */
	return vfio_region_read(p->dev, VFIO_PCI_ROM_REGION_INDEX, 0, p->rom,
				(uint32_t)p->dev->region[VFIO_PCI_ROM_REGION_INDEX].size, e);
}

int vfio_pdev_init(struct vfio_pdev *p, struct vfio_device *dev, const struct irq_source *irq,
		   const struct vfio_pdev_opts *o, struct errinfo *e)
{
	uint64_t page = o->page_size ? o->page_size : (uint64_t)sysconf(_SC_PAGESIZE);
	enum vfio_rom_mode rom = o->rom;
	int ret;

	memset(p, 0, sizeof(*p));
	p->dev = dev;
	p->log = o->log;
	p->bar_update = o->bar_update;
	p->opaque = o->opaque;
	if (rom == VFIO_ROM_FILE && (!o->rom_image || !o->rom_image_len))
		return err_set(e, EINVAL, "%s: rom=FILE given without an image", dev->name);
	ret = vfio_cfg_init(&p->cfg, dev, rom, o->rom_image_len, &pdev_cfg_ops, p, e);
	if (ret < 0)
		return ret;
	vfio_msi_init(&p->msi, dev, irq);
	vfio_intx_init(&p->intx, dev, irq, o->intx_gsi);
	if (p->cfg.msix_nvec) {
		if (dev->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] < p->cfg.msix_nvec) {
			ret = err_set(e, EINVAL,
				      "%s: MSI-X capability has %u vectors, VFIO offers %u",
				      dev->name, p->cfg.msix_nvec,
				      dev->irq_count[VFIO_PCI_MSIX_IRQ_INDEX]);
			goto err;
		}
		ret = msix_model_init(&p->msix, dev->name, p->cfg.msix_nvec, e);
		if (ret < 0)
			goto err;
		msix_attach(&p->msix, irq, o->log);
		p->has_msix = true;
	}
	for (int i = 0; i < VFIO_CFG_NR_BARS; i++) {
		const struct vfio_cfg_bar *b = &p->cfg.bar[i];
		struct vfio_bar_trap t[2] = {{0, 0}, {0, 0}};

		if (!b->size)
			continue;
		if (p->has_msix && p->cfg.msix_table_bar == i) {
			t[0].off = p->cfg.msix_table_off;
			t[0].size = msix_table_size(&p->msix);
		}
		/* With MSIX_MAPPABLE only the table has to trap; the PBA is read live. */
		if (p->has_msix && p->cfg.msix_pba_bar == i && !dev->region[i].msix_mappable) {
			t[1].off = p->cfg.msix_pba_off;
			t[1].size = msix_pba_size(&p->msix);
		}
		ret = vfio_bar_layout_build(&dev->region[i], b->size, b->io, t, 2, page,
					    &p->layout[i], e);
		if (ret < 0) {
			err_prefix(e, "%s: BAR%d", dev->name, i);
			goto err;
		}
	}
	ret = load_rom(p, o, e);
	if (ret < 0)
		goto err;
	/* Until the guest enables MSI/MSI-X, the device interrupts through INTx. */
	ret = vfio_intx_enable(&p->intx, e);
	if (ret < 0)
		goto err;
	return 0;
err:
	vfio_pdev_exit(p);
	return ret;
}

void vfio_pdev_exit(struct vfio_pdev *p)
{
	if (p->has_msix) {
		struct errinfo e;

		/* irqfds first: VFIO must not signal an eventfd KVM still reads */
		msix_set_ctrl(&p->msix, false, p->msix.func_masked);
		msix_unregister(p, &e);
		msix_exit(&p->msix);
	}
	p->has_msix = false;
	if (p->dev) {
		vfio_msi_exit(&p->msi);
		vfio_intx_exit(&p->intx);
	}
	free(p->rom);
	p->rom = NULL;
}

uint32_t vfio_pdev_cfg_read(struct vfio_pdev *p, uint32_t off, uint32_t len)
{
	return vfio_cfg_read(&p->cfg, off, len);
}

void vfio_pdev_cfg_write(struct vfio_pdev *p, uint32_t off, uint32_t len, uint32_t val)
{
	vfio_cfg_write(&p->cfg, off, len, val);
}

static bool inside(uint64_t off, uint32_t len, uint64_t start, uint64_t size)
{
	return off >= start && off - start < size && len <= size - (off - start);
}

static bool touches(uint64_t off, uint32_t len, uint64_t start, uint64_t size)
{
	return off < start + size && start < off + len;
}

void vfio_pdev_bar_access(struct vfio_pdev *p, int bar, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	const struct vfio_cfg *c = &p->cfg;
	int ret;

	if (len == 0 || len > 8)
		return;
	if (bar < 0 || bar >= VFIO_CFG_NR_BARS || !c->bar[bar].size ||
	    !inside(off, len, 0, c->bar[bar].size))
		goto bad;
	if (p->has_msix && c->msix_table_bar == bar &&
	    touches(off, len, c->msix_table_off, msix_table_size(&p->msix))) {
		if (!inside(off, len, c->msix_table_off, msix_table_size(&p->msix)))
			goto bad;
		msix_table_access(&p->msix, off - c->msix_table_off, data, len, is_write);
		return;
	}
	if (p->has_msix && c->msix_pba_bar == bar &&
	    touches(off, len, c->msix_pba_off, msix_pba_size(&p->msix))) {
		if (!inside(off, len, c->msix_pba_off, msix_pba_size(&p->msix)))
			goto bad;
		msix_pba_access(&p->msix, off - c->msix_pba_off, data, len, is_write);
		return;
	}
	if (is_write)
		ret = vfio_region_write(p->dev, (unsigned int)bar, off, data, len, NULL);
	else
		ret = vfio_region_read(p->dev, (unsigned int)bar, off, data, len, NULL);
	if (ret == 0)
		return;
bad:
	if (!is_write)
		memset(data, 0xff, len);
}

void vfio_pdev_rom_access(struct vfio_pdev *p, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	if (is_write || len == 0 || len > 8)
		return;
	if (!p->rom || !inside(off, len, 0, p->cfg.rom_size)) {
		memset(data, 0xff, len);
		return;
	}
	memcpy(data, p->rom + off, len);
}
