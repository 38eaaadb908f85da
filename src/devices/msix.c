// SPDX-License-Identifier: GPL-2.0-only
/* The one MSI-X model (virtio and VFIO): see msix.h for the access rules. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "msix.h"
#include "pci.h"

#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000

int msix_model_init(struct msix *m, const char *name, unsigned int nr, struct errinfo *e)
{
	memset(m, 0, sizeof(*m));
	if (!nr || nr > MSIX_MAX_VECTORS)
		return err_set(e, EINVAL, "%s: MSI-X table of %u vectors", name, nr);
	m->vec = calloc(nr, sizeof(*m->vec));
	if (!m->vec)
		return err_sys(e, ENOMEM, "%s: MSI-X table of %u vectors", name, nr);
	for (unsigned int i = 0; i < nr; i++) {
		m->vec[i].ctrl = 1; /* vectors come out of reset masked */
		m->vec[i].gsi = -1;
		m->vec[i].efd = -1;
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->nr = nr;
	pthread_mutex_init(&m->lock, NULL);
	return 0;
}

int msix_init(struct msix *m, struct pci_dev *d, unsigned int nr, int table_bar, uint32_t table_off,
	      int pba_bar, uint32_t pba_off,
	      void (*vector_changed)(struct msix *m, unsigned int vec, void *opaque), void *opaque,
	      struct errinfo *e)
{
	uint8_t cap[12] = {PCI_CAP_ID_MSIX, 0};
	int off, ret;

	memset(m, 0, sizeof(*m));
	if (!nr || nr > MSIX_MAX_VECTORS || table_bar < 0 || table_bar >= PCI_NR_BARS ||
	    pba_bar < 0 || pba_bar >= PCI_NR_BARS || (table_off & 7) || (pba_off & 7))
		return err_set(e, EINVAL,
			       "%s: bad MSI-X layout (%u vectors, table %d+0x%x, PBA %d+0x%x)",
			       d->name, nr, table_bar, table_off, pba_bar, pba_off);
	cap[2] = (nr - 1) & 0xff;
	cap[3] = (uint8_t)((nr - 1) >> 8);
	memcpy(&cap[4], &(uint32_t){table_off | (uint32_t)table_bar}, 4);
	memcpy(&cap[8], &(uint32_t){pba_off | (uint32_t)pba_bar}, 4);
	ret = msix_model_init(m, d->name, nr, e);
	if (ret < 0)
		return ret;
	off = pci_cap_add(d, PCI_CAP_ID_MSIX, cap, sizeof(cap), e);
	if (off < 0) {
		msix_exit(m);
		return off;
	}
	d->wmask[off + 3] = 0xc0; /* enable + function mask */
	m->dev = d;
	m->cap = (uint32_t)off;
	m->table_bar = table_bar;
	m->table_off = table_off;
	m->pba_bar = pba_bar;
	m->pba_off = pba_off;
	m->vector_changed = vector_changed;
	m->opaque = opaque;
	d->msix = m;
	d->msix_cfg_write = msix_cfg_write;
	return 0;
}

/* m->lock held: a failure the guest caused, counted and logged (rate-limited) */
static void note_error(struct msix *m, int ret, const struct errinfo *e)
{
	if (ret >= 0)
		return;
	m->nr_errors++;
	m->last_err = *e;
	vlog_err(m->log, m->name, e);
}

static void detach(struct msix *m, struct msix_vec *v)
{
	struct errinfo e = {0};
	int ret;

	if (!v->irqfd_on)
		return;
	ret = m->src.ops->irqfd(m->src.ctx, v->gsi, v->efd, -1, false, &e);
	note_error(m, ret, &e);
	v->irqfd_on = false;
}

void msix_exit(struct msix *m)
{
	if (!m->vec)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr; i++) {
		struct msix_vec *v = &m->vec[i];

		if (m->src.ops)
			detach(m, v);
		if (v->gsi >= 0)
			m->src.ops->gsi_free(m->src.ctx, v->gsi);
		if (v->efd >= 0)
			close(v->efd);
	}
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_destroy(&m->lock);
	free(m->vec);
	memset(m, 0, sizeof(*m));
}

void msix_attach(struct msix *m, const struct irq_source *src, struct vlog *log)
{
	m->src = *src;
	m->log = log;
}

bool msix_vector_deliverable(const struct msix *m, unsigned int vec)
{
	return vec < m->nr && m->enabled && !m->func_masked && !(m->vec[vec].ctrl & 1);
}

void msix_vector_msg(const struct msix *m, unsigned int vec, struct msi_msg *msg)
{
	msg->addr_lo = m->vec[vec].addr_lo;
	msg->addr_hi = m->vec[vec].addr_hi;
	msg->data = m->vec[vec].data;
}

static bool vec_active(const struct msix *m, const struct msix_vec *v)
{
	return m->src.ops && m->enabled && !m->func_masked && !(v->ctrl & 1) && v->gsi >= 0 &&
	       v->efd >= 0;
}

/* Stage the route of an active vector if its message changed. */
static bool vec_stage(struct msix *m, struct msix_vec *v)
{
	uint64_t addr = (uint64_t)v->addr_hi << 32 | v->addr_lo;
	struct errinfo e = {0};
	int ret;

	if (!vec_active(m, v) || (v->routed && v->r_addr == addr && v->r_data == v->data))
		return false;
	ret = m->src.ops->route_msi(m->src.ctx, v->gsi, addr, v->data, &e);
	note_error(m, ret, &e);
	if (ret < 0)
		return false;
	v->routed = true;
	v->r_addr = addr;
	v->r_data = v->data;
	return true;
}

/* After the commit: irqfd attached exactly while the vector is active. */
static void vec_attach(struct msix *m, struct msix_vec *v)
{
	struct errinfo e = {0};
	int ret;

	if (!vec_active(m, v) || !v->routed) {
		detach(m, v);
		return;
	}
	if (v->irqfd_on)
		return;
	/* an event raised while detached is still in the eventfd: KVM injects it now */
	ret = m->src.ops->irqfd(m->src.ctx, v->gsi, v->efd, -1, true, &e);
	note_error(m, ret, &e);
	if (ret == 0)
		v->irqfd_on = true;
}

/*
 * @force: MSI-X was enabled or disabled, so the host IRQs behind the
 * vectors changed even when no route did (steering must look again).
 */
static void commit(struct msix *m, bool staged, bool force)
{
	struct errinfo e = {0};
	int ret = 0;

	if (staged) {
		ret = m->src.ops->commit(m->src.ctx, &e);
		note_error(m, ret, &e);
	}
	if ((staged || force) && ret == 0 && m->committed)
		m->committed(m->committed_opaque);
}

/* Vectors [first, last] may have changed: detach, stage, one commit, attach. */
static void sync_range(struct msix *m, unsigned int first, unsigned int last, bool force)
{
	bool staged = false;

	if (!m->src.ops)
		return;
	for (unsigned int i = first; i <= last; i++)
		if (!vec_active(m, &m->vec[i]))
			detach(m, &m->vec[i]);
	for (unsigned int i = first; i <= last; i++)
		staged |= vec_stage(m, &m->vec[i]);
	commit(m, staged, force);
	for (unsigned int i = first; i <= last; i++)
		vec_attach(m, &m->vec[i]);
}

static void vectors_changed(struct msix *m, unsigned int first, unsigned int last, bool force)
{
	sync_range(m, first, last, force);
	if (m->vector_changed)
		for (unsigned int v = first; v <= last; v++)
			m->vector_changed(m, v, m->opaque);
}

void msix_set_ctrl(struct msix *m, bool enable, bool func_mask)
{
	pthread_mutex_lock(&m->lock);
	if (enable != m->enabled || func_mask != m->func_masked) {
		bool toggled = enable != m->enabled;

		m->enabled = enable;
		m->func_masked = func_mask;
		vectors_changed(m, 0, m->nr - 1, toggled);
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_cfg_write(struct msix *m, uint32_t off, uint32_t len)
{
	uint16_t ctrl;

	if (!m->dev || off >= m->cap + 4 || off + len <= m->cap + 2)
		return;
	ctrl = pci_cfg_r16(m->dev, m->cap + 2);

	msix_set_ctrl(m, ctrl & MSIX_CTRL_ENABLE, ctrl & MSIX_CTRL_MASKALL);
}

void msix_table_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	unsigned int v;
	uint32_t w[4], in;
	struct msix_vec *e;

	/* aligned DWORD or QWORD inside the table only (msix.h) */
	if ((len != 4 && len != 8) || (off & (len - 1)) || off >= msix_table_size(m) ||
	    len > msix_table_size(m) - off) {
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	v = (unsigned int)(off / MSIX_ENTRY_SIZE);
	in = (uint32_t)(off % MSIX_ENTRY_SIZE);
	pthread_mutex_lock(&m->lock);
	e = &m->vec[v];
	w[0] = e->addr_lo;
	w[1] = e->addr_hi;
	w[2] = e->data;
	w[3] = e->ctrl;
	if (!is_write) {
		memcpy(data, (uint8_t *)w + in, len);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	memcpy((uint8_t *)w + in, data, len);
	w[0] &= ~3u; /* reserved: DWORD-aligned address */
	w[3] &= 1; /* reserved control bits read as zero */
	if (w[0] != e->addr_lo || w[1] != e->addr_hi || w[2] != e->data || w[3] != e->ctrl) {
		e->addr_lo = w[0];
		e->addr_hi = w[1];
		e->data = w[2];
		e->ctrl = w[3];
		vectors_changed(m, v, v, false);
	}
	pthread_mutex_unlock(&m->lock);
}

static bool efd_pending(int efd)
{
	struct pollfd p = {.fd = efd, .events = POLLIN};

	return efd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* m->lock held: the source fired while the vector could not be delivered */
static bool vec_pending(const struct msix_vec *v)
{
	return !v->irqfd_on && efd_pending(v->efd);
}

void msix_pba_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t size = msix_pba_size(m);

	if (is_write)
		return; /* the PBA is read-only */
	if (len == 0 || len > 8 || off >= size || len > size - off) {
		memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	memset(data, 0, len);
	pthread_mutex_lock(&m->lock);
	for (uint32_t b = 0; b < len * 8; b++) {
		uint64_t vec = off * 8 + b;

		if (vec >= m->nr)
			break;
		if (vec_pending(&m->vec[vec]))
			data[b / 8] |= (uint8_t)(1u << (b % 8));
	}
	pthread_mutex_unlock(&m->lock);
}

int msix_sources_alloc(struct msix *m, struct errinfo *e)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->src.ops) {
		ret = err_set(e, EINVAL, "%s: MSI-X has no interrupt source", m->name);
		goto out;
	}
	for (unsigned int i = 0; i < m->nr && !m->sources; i++) {
		struct msix_vec *v = &m->vec[i];

		if (v->efd < 0) {
			v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (v->efd < 0) {
				ret = err_sys(e, errno, "%s: eventfd for MSI-X vector %u", m->name,
					      i);
				goto out;
			}
		}
		if (v->gsi < 0) {
			int gsi = m->src.ops->gsi_alloc(m->src.ctx, e);

			if (gsi < 0) {
				err_prefix(e, "%s: MSI-X vector %u", m->name, i);
				ret = gsi;
				goto out;
			}
			v->gsi = gsi;
			v->routed = false;
		}
	}
	m->sources = true;
out:
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void msix_eventfds(struct msix *m, int *fds)
{
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr; i++)
		fds[i] = m->vec[i].efd;
	pthread_mutex_unlock(&m->lock);
}

void msix_drain(struct msix *m)
{
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr; i++) {
		uint64_t cnt;

		if (m->vec[i].efd >= 0 && read(m->vec[i].efd, &cnt, sizeof(cnt)) < 0) {
			/* EAGAIN: nothing pending, which is what we want */
		}
	}
	pthread_mutex_unlock(&m->lock);
}

int msix_vector_info(struct msix *m, unsigned int vec, struct msix_vec_info *out)
{
	const struct msix_vec *v;

	if (vec >= m->nr)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	v = &m->vec[vec];
	out->gsi = v->gsi;
	out->addr = (uint64_t)v->addr_hi << 32 | v->addr_lo;
	out->data = v->data;
	out->routed = v->routed;
	out->r_addr = v->r_addr;
	out->r_data = v->r_data;
	out->masked = !vec_active(m, v);
	out->irqfd_on = v->irqfd_on;
	out->pending = m->enabled && vec_pending(v);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int msix_irqfd_enable(struct msix *m, struct irq_routing *irq, struct errinfo *e)
{
	struct irq_source src;

	irq_source_routing(&src, irq);
	msix_attach(m, &src, m->log);
	return msix_sources_alloc(m, e);
}

int msix_eventfd(const struct msix *m, unsigned int vec)
{
	return m->sources && vec < m->nr ? m->vec[vec].efd : -1;
}

int msix_notify(struct msix *m, unsigned int vec)
{
	uint64_t one = 1;

	if (!m->sources || vec >= m->nr)
		return -EINVAL;
	if (write(m->vec[vec].efd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

/*
 * Snapshots.  Layout: u32 nr | u8 enabled | u8 function masked |
 * nr x (u32 addr_lo | u32 addr_hi | u32 data | u32 ctrl | u8 pending).
 * A pending vector is an event waiting in its eventfd while the vector
 * could not be delivered (msix.h): restored by signalling the new eventfd,
 * so KVM delivers it when the guest unmasks, as it would have.
 */
void msix_save(struct msix *m, struct snap_out *o)
{
	pthread_mutex_lock(&m->lock);
	snap_put_u32(o, m->nr);
	snap_put_u8(o, m->enabled);
	snap_put_u8(o, m->func_masked);
	for (unsigned int i = 0; i < m->nr; i++) {
		struct msix_vec *v = &m->vec[i];

		snap_put_u32(o, v->addr_lo);
		snap_put_u32(o, v->addr_hi);
		snap_put_u32(o, v->data);
		snap_put_u32(o, v->ctrl);
		snap_put_u8(o, vec_pending(v));
	}
	pthread_mutex_unlock(&m->lock);
}

int msix_load(struct msix *m, struct snap_sec *s, const char *what, struct errinfo *e)
{
	uint32_t nr = snap_get_u32(s);
	uint8_t enabled = snap_get_u8(s), masked = snap_get_u8(s);
	struct msix_vec *in;
	uint8_t *pending;
	int ret = 0;

	if (s->bad)
		return snap_bad(s, what, e, "%s: MSI-X state truncated", m->name);
	if (nr != m->nr)
		return snap_bad(s, what, e,
				"%s: MSI-X table of %u vectors in the snapshot, %u here", m->name,
				nr, m->nr);
	if (enabled > 1 || masked > 1)
		return snap_bad(s, what, e, "%s: MSI-X enable/mask flags %u/%u are not booleans",
				m->name, enabled, masked);
	if (m->dev) {
		uint16_t ctrl = pci_cfg_r16(m->dev, m->cap + 2);

		/* the host restored Message Control first: both must tell the same */
		if (!(ctrl & MSIX_CTRL_ENABLE) != !enabled ||
		    !(ctrl & MSIX_CTRL_MASKALL) != !masked)
			return snap_bad(s, what, e,
					"%s: MSI-X enable/mask %u/%u disagree with Message Control "
					"0x%04x",
					m->name, enabled, masked, ctrl);
	}
	in = calloc(nr, sizeof(*in));
	pending = calloc(nr, 1);
	if (!in || !pending) {
		ret = err_set(e, ENOMEM, "%s: %s: out of memory", what, m->name);
		goto out;
	}
	for (unsigned int i = 0; i < nr; i++) {
		in[i].addr_lo = snap_get_u32(s);
		in[i].addr_hi = snap_get_u32(s);
		in[i].data = snap_get_u32(s);
		in[i].ctrl = snap_get_u32(s);
		pending[i] = snap_get_u8(s);
		if (s->bad) {
			ret = snap_bad(s, what, e, "%s: MSI-X vector %u truncated", m->name, i);
			goto out;
		}
		/* what a table write can leave there (msix_table_access) */
		if ((in[i].addr_lo & 3) || (in[i].ctrl & ~1u) || pending[i] > 1) {
			ret = snap_bad(s, what, e,
				       "%s: MSI-X vector %u has reserved bits set (address 0x%x, "
				       "control 0x%x, pending %u)",
				       m->name, i, in[i].addr_lo, in[i].ctrl, pending[i]);
			goto out;
		}
	}
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < nr; i++) {
		struct msix_vec *v = &m->vec[i];
		uint64_t one = 1;

		v->addr_lo = in[i].addr_lo;
		v->addr_hi = in[i].addr_hi;
		v->data = in[i].data;
		v->ctrl = in[i].ctrl;
		if (pending[i] && v->efd >= 0 && write(v->efd, &one, sizeof(one)) != sizeof(one)) {
			struct errinfo le = {0};

			/* the guest loses one interrupt: counted and logged like any other */
			note_error(
				m,
				err_sys(&le, errno, "%s: re-raising pending vector %u", m->name, i),
				&le);
		}
	}
	m->enabled = enabled;
	m->func_masked = masked;
	/* routes, one commit and irqfds as the guest's own writes would set them */
	vectors_changed(m, 0, m->nr - 1, true);
	pthread_mutex_unlock(&m->lock);
out:
	free(in);
	free(pending);
	return ret;
}
