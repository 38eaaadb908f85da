// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MSI-X capability shared by every device model: capability in config
 * space, table and PBA emulation, and (optionally) one GSI route + KVM
 * irqfd per vector so an emulated device raises interrupts with one
 * eventfd write and no VMM thread in the delivery path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci.h"

#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000

int msix_init(struct msix *m, struct pci_dev *d, unsigned int nr, int table_bar, uint32_t table_off,
	      int pba_bar, uint32_t pba_off,
	      void (*vector_changed)(struct msix *m, unsigned int vec, void *opaque), void *opaque,
	      struct errinfo *e)
{
	uint8_t cap[12] = {PCI_CAP_ID_MSIX, 0};
	int off;

	memset(m, 0, sizeof(*m));
	if (!nr || nr > 2048 || table_bar < 0 || table_bar >= PCI_NR_BARS || pba_bar < 0 ||
	    pba_bar >= PCI_NR_BARS || (table_off & 7) || (pba_off & 7))
		return err_set(e, EINVAL,
			       "%s: bad MSI-X layout (%u vectors, table %d+0x%x, PBA %d+0x%x)",
			       d->name, nr, table_bar, table_off, pba_bar, pba_off);
	cap[2] = (nr - 1) & 0xff;
	cap[3] = (uint8_t)((nr - 1) >> 8);
	memcpy(&cap[4], &(uint32_t){table_off | (uint32_t)table_bar}, 4);
	memcpy(&cap[8], &(uint32_t){pba_off | (uint32_t)pba_bar}, 4);
	m->table = calloc(nr, sizeof(*m->table));
	m->pba = calloc((nr + 63) / 64, sizeof(uint64_t));
	if (!m->table || !m->pba) {
		free(m->table);
		free(m->pba);
		return err_sys(e, ENOMEM, "%s: MSI-X table of %u vectors", d->name, nr);
	}
	off = pci_cap_add(d, PCI_CAP_ID_MSIX, cap, sizeof(cap), e);
	if (off < 0) {
		free(m->table);
		free(m->pba);
		return off;
	}
	for (unsigned int i = 0; i < nr; i++)
		m->table[i].ctrl = 1; /* vectors start masked */
	d->wmask[off + 3] = 0xc0; /* enable + function mask */
	m->dev = d;
	m->nr = nr;
	m->cap = (uint32_t)off;
	m->table_bar = table_bar;
	m->table_off = table_off;
	m->pba_bar = pba_bar;
	m->pba_off = pba_off;
	m->vector_changed = vector_changed;
	m->opaque = opaque;
	pthread_mutex_init(&m->lock, NULL);
	d->msix = m;
	return 0;
}

void msix_exit(struct msix *m)
{
	if (!m->table)
		return;
	for (unsigned int v = 0; v < m->nr && m->efd; v++) {
		if (m->irqfd_on[v])
			irq_irqfd_deassign(m->irq, m->efd[v], (unsigned int)m->gsi[v], NULL);
		if (m->gsi[v] >= 0)
			irq_gsi_free(m->irq, (unsigned int)m->gsi[v]);
		if (m->efd[v] >= 0)
			close(m->efd[v]);
	}
	free(m->efd);
	free(m->gsi);
	free(m->irqfd_on);
	free(m->table);
	free(m->pba);
	pthread_mutex_destroy(&m->lock);
	memset(m, 0, sizeof(*m));
}

bool msix_vector_deliverable(const struct msix *m, unsigned int vec)
{
	return vec < m->nr && m->enabled && !m->func_masked && !(m->table[vec].ctrl & 1);
}

void msix_vector_msg(const struct msix *m, unsigned int vec, struct msi_msg *msg)
{
	msg->addr_lo = m->table[vec].addr_lo;
	msg->addr_hi = m->table[vec].addr_hi;
	msg->data = m->table[vec].data;
}

/* irqfd mode: route (already committed) + irqfd attached iff deliverable. */
static void irqfd_sync(struct msix *m, unsigned int v)
{
	bool want = msix_vector_deliverable(m, v);

	if (want && !m->irqfd_on[v]) {
		if (m->pba[v / 64] & (1ULL << (v % 64))) {
			uint64_t one = 1;

			/* a pending interrupt kept while masked: KVM injects it on assign */
			m->pba[v / 64] &= ~(1ULL << (v % 64));
			if (write(m->efd[v], &one, sizeof(one)) < 0) {
				/* cannot fail for a non-saturated eventfd */
			}
		}
		if (!irq_irqfd_assign(m->irq, m->efd[v], (unsigned int)m->gsi[v], -1, NULL))
			m->irqfd_on[v] = true;
	} else if (!want && m->irqfd_on[v]) {
		if (!irq_irqfd_deassign(m->irq, m->efd[v], (unsigned int)m->gsi[v], NULL))
			m->irqfd_on[v] = false;
	}
}

static void route_update(struct msix *m, unsigned int v)
{
	struct msi_msg msg;

	if (!m->efd || !msix_vector_deliverable(m, v))
		return;
	msix_vector_msg(m, v, &msg);
	irq_route_msi(m->irq, (unsigned int)m->gsi[v], &msg, NULL);
}

/* A range of vectors changed: update routes, one commit, then irqfds and callbacks. */
static void vectors_changed(struct msix *m, unsigned int first, unsigned int last)
{
	if (m->efd) {
		for (unsigned int v = first; v <= last; v++)
			route_update(m, v);
		irq_routing_commit(m->irq, NULL);
		for (unsigned int v = first; v <= last; v++)
			irqfd_sync(m, v);
	}
	if (m->vector_changed)
		for (unsigned int v = first; v <= last; v++)
			m->vector_changed(m, v, m->opaque);
}

void msix_cfg_write(struct msix *m)
{
	uint16_t ctrl = pci_cfg_r16(m->dev, m->cap + 2);
	bool en = ctrl & MSIX_CTRL_ENABLE, fm = ctrl & MSIX_CTRL_MASKALL;

	pthread_mutex_lock(&m->lock);
	if (en != m->enabled || fm != m->func_masked) {
		m->enabled = en;
		m->func_masked = fm;
		vectors_changed(m, 0, m->nr - 1);
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_table_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	unsigned int v = (unsigned int)(off / MSIX_ENTRY_SIZE);
	uint32_t in = (uint32_t)(off % MSIX_ENTRY_SIZE);
	struct msix_entry before;
	uint8_t *ent;

	/* only aligned dword/qword accesses inside the table are defined */
	if (v >= m->nr || (len != 4 && len != 8) || (in & (len - 1))) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&m->lock);
	ent = (uint8_t *)&m->table[v];
	if (!is_write) {
		memcpy(data, ent + in, len);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	before = m->table[v];
	memcpy(ent + in, data, len);
	m->table[v].ctrl &= 1; /* reserved bits read as zero */
	if (memcmp(&before, &m->table[v], sizeof(before)))
		vectors_changed(m, v, v);
	pthread_mutex_unlock(&m->lock);
}

void msix_pba_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	unsigned int first = (unsigned int)(off * 8);

	/* read only for the guest */
	if (is_write)
		return;
	pthread_mutex_lock(&m->lock);
	/* irqfd mode: an event that arrived while detached is pending */
	for (unsigned int v = first; m->efd && v < first + len * 8 && v < m->nr; v++) {
		uint64_t cnt;

		if (!m->irqfd_on[v] && read(m->efd[v], &cnt, sizeof(cnt)) == sizeof(cnt) && cnt)
			m->pba[v / 64] |= 1ULL << (v % 64);
	}
	for (uint32_t i = 0; i < len; i++) {
		unsigned int byte = (unsigned int)off + i;

		data[i] = byte < (m->nr + 7) / 8 ? (uint8_t)(m->pba[byte / 8] >> (8 * (byte % 8)))
						 : 0;
	}
	pthread_mutex_unlock(&m->lock);
}

int msix_irqfd_enable(struct msix *m, struct irq_routing *irq, struct errinfo *e)
{
	int ret;

	m->irq = irq;
	m->gsi = malloc(m->nr * sizeof(*m->gsi));
	m->efd = malloc(m->nr * sizeof(*m->efd));
	m->irqfd_on = calloc(m->nr, sizeof(*m->irqfd_on));
	if (!m->gsi || !m->efd || !m->irqfd_on) {
		ret = err_sys(e, ENOMEM, "%s: MSI-X irqfd state", m->dev->name);
		goto fail;
	}
	for (unsigned int v = 0; v < m->nr; v++)
		m->gsi[v] = m->efd[v] = -1;
	for (unsigned int v = 0; v < m->nr; v++) {
		ret = irq_gsi_alloc(irq, e);
		if (ret < 0)
			goto fail;
		m->gsi[v] = ret;
		m->efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->efd[v] < 0) {
			ret = err_sys(e, errno, "%s: eventfd for MSI-X vector %u", m->dev->name, v);
			goto fail;
		}
	}
	return 0;
fail:
	for (unsigned int v = 0; m->gsi && m->efd && v < m->nr; v++) {
		if (m->gsi[v] >= 0)
			irq_gsi_free(irq, (unsigned int)m->gsi[v]);
		if (m->efd[v] >= 0)
			close(m->efd[v]);
	}
	free(m->gsi);
	free(m->efd);
	free(m->irqfd_on);
	m->gsi = m->efd = NULL;
	m->irqfd_on = NULL;
	return ret;
}

int msix_eventfd(const struct msix *m, unsigned int vec)
{
	return m->efd && vec < m->nr ? m->efd[vec] : -1;
}

int msix_notify(struct msix *m, unsigned int vec)
{
	uint64_t one = 1;

	if (!m->efd || vec >= m->nr)
		return -EINVAL;
	if (write(m->efd[vec], &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}
