// SPDX-License-Identifier: GPL-2.0-only
/* MSI-X table/PBA emulation with VFIO eventfds as KVM irqfds: see msix.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "msix.h"

int vfio_msix_init(struct vfio_msix *m, struct vfio_device *dev, const struct vfio_irq *irq,
		   unsigned int nvec, struct errinfo *e)
{
	memset(m, 0, sizeof(*m));
	if (nvec == 0 || nvec > VFIO_MSIX_MAX_VECTORS)
		return err_set(e, EINVAL, "%s: MSI-X table of %u vectors", dev->name, nvec);
	if (dev->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] < nvec)
		return err_set(e, EINVAL, "%s: MSI-X capability has %u vectors, VFIO offers %u",
			       dev->name, nvec, dev->irq_count[VFIO_PCI_MSIX_IRQ_INDEX]);
	m->vec = calloc(nvec, sizeof(*m->vec));
	if (!m->vec)
		return err_sys(e, ENOMEM, "%s: MSI-X table", dev->name);
	for (unsigned int i = 0; i < nvec; i++) {
		m->vec[i].ctrl = 1; /* vectors come out of reset masked */
		m->vec[i].gsi = -1;
		m->vec[i].efd = -1;
	}
	m->dev = dev;
	m->irq = *irq;
	m->nvec = nvec;
	pthread_mutex_init(&m->lock, NULL);
	return 0;
}

/* m->lock held */
static void note_error(struct vfio_msix *m, int ret, const struct errinfo *e)
{
	if (ret >= 0)
		return;
	m->nr_errors++;
	m->last_err = *e;
}

static void detach(struct vfio_msix *m, struct vfio_msix_vec *v)
{
	struct errinfo e;
	int ret;

	if (!v->irqfd_on)
		return;
	ret = m->irq.ops->irqfd(m->irq.ctx, v->gsi, v->efd, -1, false, &e);
	note_error(m, ret, &e);
	v->irqfd_on = false;
}

void vfio_msix_exit(struct vfio_msix *m)
{
	struct errinfo e;

	if (!m->vec)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nvec; i++)
		detach(m, &m->vec[i]);
	if (m->registered)
		vfio_irq_disable(m->dev, VFIO_PCI_MSIX_IRQ_INDEX, &e);
	m->registered = false;
	for (unsigned int i = 0; i < m->nvec; i++) {
		if (m->vec[i].gsi >= 0)
			m->irq.ops->gsi_free(m->irq.ctx, m->vec[i].gsi);
		if (m->vec[i].efd >= 0)
			close(m->vec[i].efd);
	}
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_destroy(&m->lock);
	free(m->vec);
	m->vec = NULL;
}

static bool vec_active(const struct vfio_msix *m, const struct vfio_msix_vec *v)
{
	return m->enabled && !m->func_mask && !(v->ctrl & 1) && v->gsi >= 0 && v->efd >= 0;
}

/* Stage the route of an active vector if its message changed. */
static void vec_stage(struct vfio_msix *m, struct vfio_msix_vec *v)
{
	uint64_t addr = (uint64_t)v->addr_hi << 32 | v->addr_lo;
	struct errinfo e;
	int ret;

	if (!vec_active(m, v) || (v->routed && v->r_addr == addr && v->r_data == v->data))
		return;
	ret = m->irq.ops->route_msi(m->irq.ctx, v->gsi, addr, v->data, &e);
	note_error(m, ret, &e);
	if (ret < 0)
		return;
	v->routed = true;
	v->r_addr = addr;
	v->r_data = v->data;
}

/* After the commit: irqfd attached exactly while the vector is active. */
static void vec_attach(struct vfio_msix *m, struct vfio_msix_vec *v)
{
	struct errinfo e;
	int ret;

	if (!vec_active(m, v) || !v->routed) {
		detach(m, v);
		return;
	}
	if (v->irqfd_on)
		return;
	ret = m->irq.ops->irqfd(m->irq.ctx, v->gsi, v->efd, -1, true, &e);
	note_error(m, ret, &e);
	if (ret == 0)
		v->irqfd_on = true;
}

static void commit(struct vfio_msix *m)
{
	struct errinfo e;

	note_error(m, m->irq.ops->commit(m->irq.ctx, &e), &e);
}

static void sync_all(struct vfio_msix *m)
{
	for (unsigned int i = 0; i < m->nvec; i++)
		if (!vec_active(m, &m->vec[i]))
			detach(m, &m->vec[i]);
	for (unsigned int i = 0; i < m->nvec; i++)
		vec_stage(m, &m->vec[i]);
	commit(m);
	for (unsigned int i = 0; i < m->nvec; i++)
		vec_attach(m, &m->vec[i]);
}

static void sync_one(struct vfio_msix *m, struct vfio_msix_vec *v)
{
	if (!vec_active(m, v)) {
		detach(m, v);
		return;
	}
	vec_stage(m, v);
	commit(m);
	vec_attach(m, v);
}

void vfio_msix_table_access(struct vfio_msix *m, uint64_t off, uint8_t *data, uint32_t len,
			    bool is_write)
{
	uint64_t size = vfio_msix_table_size(m);
	struct vfio_msix_vec *v;
	uint32_t w[4];
	unsigned int idx;

	if (len == 0 || len > 8 || off >= size || len > size - off || (off & (len - 1)) ||
	    (len & (len - 1))) {
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	idx = (unsigned int)(off / 16);
	off %= 16;
	pthread_mutex_lock(&m->lock);
	v = &m->vec[idx];
	w[0] = v->addr_lo;
	w[1] = v->addr_hi;
	w[2] = v->data;
	w[3] = v->ctrl;
	if (!is_write) {
		memcpy(data, (uint8_t *)w + off, len);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	/* The spec allows only dword and qword writes; others are dropped. */
	if (len >= 4) {
		memcpy((uint8_t *)w + off, data, len);
		v->addr_lo = w[0] & ~3u;
		v->addr_hi = w[1];
		v->data = w[2];
		v->ctrl = (v->ctrl & ~1u) | (w[3] & 1);
		sync_one(m, v);
	}
	pthread_mutex_unlock(&m->lock);
}

static bool efd_pending(int efd)
{
	struct pollfd p = {.fd = efd, .events = POLLIN};

	return efd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void vfio_msix_pba_access(struct vfio_msix *m, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	uint64_t size = vfio_msix_pba_size(m);

	if (is_write)
		return; /* the PBA is read-only */
	memset(data, 0, len > 8 ? 8 : len);
	if (len == 0 || len > 8 || off >= size || len > size - off) {
		memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	pthread_mutex_lock(&m->lock);
	for (uint32_t b = 0; b < len * 8; b++) {
		uint64_t vec = off * 8 + b;
		const struct vfio_msix_vec *v;

		if (vec >= m->nvec)
			break;
		v = &m->vec[vec];
		/* pending = raised while the irqfd was detached (masked) */
		if (m->enabled && !v->irqfd_on && efd_pending(v->efd))
			data[b / 8] |= 1u << (b % 8);
	}
	pthread_mutex_unlock(&m->lock);
}

static int alloc_vectors(struct vfio_msix *m, struct errinfo *e)
{
	for (unsigned int i = 0; i < m->nvec; i++) {
		struct vfio_msix_vec *v = &m->vec[i];

		if (v->efd < 0) {
			v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (v->efd < 0)
				return err_sys(e, errno, "%s: eventfd for MSI-X vector %u",
					       m->dev->name, i);
		}
		if (v->gsi < 0) {
			int gsi = m->irq.ops->gsi_alloc(m->irq.ctx, e);

			if (gsi < 0) {
				err_prefix(e, "%s: MSI-X vector %u", m->dev->name, i);
				return gsi;
			}
			v->gsi = gsi;
			v->routed = false;
		}
	}
	return 0;
}

static void drain(int efd)
{
	uint64_t cnt;

	if (efd >= 0 && read(efd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: nothing pending, which is what we want */
	}
}

int vfio_msix_ctrl(struct vfio_msix *m, bool enable, bool func_mask, struct errinfo *e)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (enable && !m->enabled) {
		int *fds = calloc(m->nvec, sizeof(int));

		ret = fds ? alloc_vectors(m, e) : err_sys(e, ENOMEM, "%s: MSI-X", m->dev->name);
		if (ret == 0) {
			for (unsigned int i = 0; i < m->nvec; i++)
				fds[i] = m->vec[i].efd;
			/* All vectors in one call: no disable/re-enable to grow later. */
			ret = vfio_irq_set_eventfds(m->dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, m->nvec,
						    fds, e);
		}
		free(fds);
		if (ret < 0)
			goto out;
		m->registered = true;
		m->enabled = true;
	} else if (!enable && m->enabled) {
		m->enabled = false;
		for (unsigned int i = 0; i < m->nvec; i++)
			detach(m, &m->vec[i]);
		ret = vfio_irq_disable(m->dev, VFIO_PCI_MSIX_IRQ_INDEX, e);
		m->registered = false;
		/* Interrupts of the old session must not fire in the next one. */
		for (unsigned int i = 0; i < m->nvec; i++)
			drain(m->vec[i].efd);
	}
	m->func_mask = func_mask;
	sync_all(m);
out:
	/* under the lock: vCPU threads writing the table note their errors too */
	if (ret < 0)
		note_error(m, ret, e);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

int vfio_msix_vec_info(struct vfio_msix *m, unsigned int vec, struct vfio_msix_vec_info *out)
{
	const struct vfio_msix_vec *v;

	if (vec >= m->nvec)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	v = &m->vec[vec];
	out->gsi = v->gsi;
	out->addr = (uint64_t)v->addr_hi << 32 | v->addr_lo;
	out->data = v->data;
	out->masked = !vec_active(m, v);
	out->irqfd_on = v->irqfd_on;
	out->pending = m->enabled && !v->irqfd_on && efd_pending(v->efd);
	pthread_mutex_unlock(&m->lock);
	return 0;
}
