// SPDX-License-Identifier: GPL-2.0-only
/* MSI vectors through VFIO eventfds used as KVM irqfds: see msi.h. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "msi.h"

void vfio_msi_init(struct vfio_msi *m, struct vfio_device *dev, const struct irq_source *irq)
{
	memset(m, 0, sizeof(*m));
	m->dev = dev;
	m->irq = *irq;
	for (int i = 0; i < VFIO_MSI_MAX; i++) {
		m->gsi[i] = -1;
		m->efd[i] = -1;
	}
}

static void detach(struct vfio_msi *m, unsigned int i)
{
	struct errinfo e;

	if (m->irqfd_on[i])
		m->irq.ops->irqfd(m->irq.ctx, m->gsi[i], m->efd[i], -1, false, &e);
	m->irqfd_on[i] = false;
}

static int disable(struct vfio_msi *m, struct errinfo *e)
{
	int ret = 0;

	if (!m->nvec)
		return 0;
	for (unsigned int i = 0; i < m->nvec; i++)
		detach(m, i);
	ret = vfio_irq_disable(m->dev, VFIO_PCI_MSI_IRQ_INDEX, e);
	m->nvec = 0;
	m->routed = false;
	return ret;
}

static int enable(struct vfio_msi *m, unsigned int nvec, struct errinfo *e)
{
	int fds[VFIO_MSI_MAX];
	int ret;

	if (nvec > m->dev->irq_count[VFIO_PCI_MSI_IRQ_INDEX])
		nvec = m->dev->irq_count[VFIO_PCI_MSI_IRQ_INDEX];
	if (!nvec)
		return err_set(e, ENODEV, "%s: guest enabled MSI but VFIO offers no MSI vectors",
			       m->dev->name);
	for (unsigned int i = 0; i < nvec; i++) {
		if (m->efd[i] < 0) {
			m->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (m->efd[i] < 0)
				return err_sys(e, errno, "%s: eventfd for MSI", m->dev->name);
		}
		if (m->gsi[i] < 0) {
			ret = m->irq.ops->gsi_alloc(m->irq.ctx, e);
			if (ret < 0)
				return ret;
			m->gsi[i] = ret;
		}
		fds[i] = m->efd[i];
	}
	ret = vfio_irq_set_eventfds(m->dev, VFIO_PCI_MSI_IRQ_INDEX, 0, nvec, fds, e);
	if (ret < 0)
		return ret;
	m->nvec = nvec;
	m->routed = false;
	return 0;
}

int vfio_msi_update(struct vfio_msi *m, const struct vfio_msi_state *s, struct errinfo *e)
{
	int ret;

	if (!s->enabled || (m->nvec && m->nvec != s->nvec)) {
		ret = disable(m, e);
		if (ret < 0 || !s->enabled)
			return ret;
	}
	if (!m->nvec) {
		ret = enable(m, s->nvec, e);
		if (ret < 0)
			return ret;
	}
	if (!m->routed || m->addr != s->addr || m->data != s->data) {
		for (unsigned int i = 0; i < m->nvec; i++) {
			/* multiple-message MSI: the low data bits carry the vector */
			uint32_t data = (s->data & ~(m->nvec - 1)) | i;

			ret = m->irq.ops->route_msi(m->irq.ctx, m->gsi[i], s->addr, data, e);
			if (ret < 0)
				return ret;
		}
		ret = m->irq.ops->commit(m->irq.ctx, e);
		if (ret < 0)
			return ret;
		m->routed = true;
		m->addr = s->addr;
		m->data = s->data;
	}
	for (unsigned int i = 0; i < m->nvec; i++) {
		bool masked = s->mask & (1u << i);

		if (masked) {
			detach(m, i);
		} else if (!m->irqfd_on[i]) {
			ret = m->irq.ops->irqfd(m->irq.ctx, m->gsi[i], m->efd[i], -1, true, e);
			if (ret < 0)
				return ret;
			m->irqfd_on[i] = true;
		}
	}
	return 0;
}

void vfio_msi_exit(struct vfio_msi *m)
{
	struct errinfo e;

	disable(m, &e);
	for (int i = 0; i < VFIO_MSI_MAX; i++) {
		if (m->gsi[i] >= 0)
			m->irq.ops->gsi_free(m->irq.ctx, m->gsi[i]);
		if (m->efd[i] >= 0)
			close(m->efd[i]);
		m->gsi[i] = m->efd[i] = -1;
	}
}

void vfio_intx_init(struct vfio_intx *x, struct vfio_device *dev, const struct irq_source *irq,
		    int gsi)
{
	memset(x, 0, sizeof(*x));
	x->dev = dev;
	x->irq = *irq;
	x->gsi = gsi;
	x->trigger_efd = -1;
	x->resample_efd = -1;
}

int vfio_intx_enable(struct vfio_intx *x, struct errinfo *e)
{
	int ret;

	if (x->on || !x->dev->irq_count[VFIO_PCI_INTX_IRQ_INDEX] || x->gsi < 0)
		return 0;
	if (x->trigger_efd < 0)
		x->trigger_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (x->resample_efd < 0)
		x->resample_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (x->trigger_efd < 0 || x->resample_efd < 0)
		return err_sys(e, errno, "%s: eventfd for INTx", x->dev->name);
	ret = vfio_irq_set_eventfds(x->dev, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &x->trigger_efd, e);
	if (ret < 0)
		return ret;
	ret = vfio_irq_set_unmask_fd(x->dev, VFIO_PCI_INTX_IRQ_INDEX, x->resample_efd, e);
	if (ret < 0)
		goto err_vfio;
	ret = x->irq.ops->irqfd(x->irq.ctx, x->gsi, x->trigger_efd, x->resample_efd, true, e);
	if (ret < 0)
		goto err_vfio;
	x->on = true;
	return 0;
err_vfio:
	vfio_irq_disable(x->dev, VFIO_PCI_INTX_IRQ_INDEX, NULL);
	return ret;
}

void vfio_intx_disable(struct vfio_intx *x)
{
	if (!x->on)
		return;
	x->irq.ops->irqfd(x->irq.ctx, x->gsi, x->trigger_efd, -1, false, NULL);
	vfio_irq_disable(x->dev, VFIO_PCI_INTX_IRQ_INDEX, NULL);
	x->on = false;
}

void vfio_intx_exit(struct vfio_intx *x)
{
	vfio_intx_disable(x);
	if (x->trigger_efd >= 0)
		close(x->trigger_efd);
	if (x->resample_efd >= 0)
		close(x->resample_efd);
	x->trigger_efd = x->resample_efd = -1;
}
