// SPDX-License-Identifier: GPL-2.0-only
/* GSI allocator, in-memory routing table with batched commits, irqfds. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "irq.h"
#include "irq_source.h"

static int real_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static const struct irq_kvm_ops real_ops = {.ioctl = real_ioctl};

static int add_entry(struct irq_routing *r, const struct kvm_irq_routing_entry *en)
{
	if (r->nr_ent == r->cap_ent) {
		unsigned int cap = r->cap_ent ? r->cap_ent * 2 : 64;
		struct kvm_irq_routing_entry *n = realloc(r->ent, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->ent = n;
		r->cap_ent = cap;
	}
	r->ent[r->nr_ent++] = *en;
	r->dirty = true;
	return 0;
}

static void gsi_mark(struct irq_routing *r, unsigned int gsi, bool used)
{
	if (used)
		r->gsi_used[gsi / 64] |= 1ULL << (gsi % 64);
	else
		r->gsi_used[gsi / 64] &= ~(1ULL << (gsi % 64));
}

/*
 * KVM_SET_GSI_ROUTING replaces KVM's default table, so the PIC and IOAPIC
 * pin routes it had must be part of ours (as KVM builds them: GSI 0-15 on
 * both PICs' pins and the IOAPIC, 16-23 on the IOAPIC only).
 */
static int add_irqchip_routes(struct irq_routing *r)
{
	for (unsigned int gsi = 0; gsi < IRQ_NR_IRQCHIP_GSIS; gsi++) {
		struct kvm_irq_routing_entry en = {.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP};
		int ret;

		if (gsi < 16) {
			en.u.irqchip.irqchip =
				gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			en.u.irqchip.pin = gsi % 8;
			ret = add_entry(r, &en);
			if (ret)
				return ret;
		}
		en.u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		en.u.irqchip.pin = gsi;
		ret = add_entry(r, &en);
		if (ret)
			return ret;
		gsi_mark(r, gsi, true);
	}
	return 0;
}

int irq_routing_init(struct irq_routing *r, int vm_fd, unsigned int nr_gsis, bool with_irqchip,
		     const struct irq_kvm_ops *ops, struct errinfo *e)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if (nr_gsis <= IRQ_NR_IRQCHIP_GSIS || nr_gsis > IRQ_MAX_GSIS)
		return err_set(e, EINVAL, "GSI count %u out of range (%d..%d)", nr_gsis,
			       IRQ_NR_IRQCHIP_GSIS + 1, IRQ_MAX_GSIS);
	r->vm_fd = vm_fd;
	r->ops = ops ? ops : &real_ops;
	r->nr_gsis = nr_gsis;
	pthread_mutex_init(&r->lock, NULL);
	r->gsi_used = calloc((nr_gsis + 63) / 64, sizeof(uint64_t));
	if (!r->gsi_used) {
		ret = err_sys(e, ENOMEM, "GSI bitmap");
		goto fail;
	}
	/* GSIs below 24 are the irqchip's pins whether or not it exists */
	for (unsigned int gsi = 0; gsi < IRQ_NR_IRQCHIP_GSIS; gsi++)
		gsi_mark(r, gsi, true);
	if (with_irqchip) {
		ret = add_irqchip_routes(r);
		if (ret) {
			err_sys(e, -ret, "building the default irqchip routes");
			goto fail;
		}
		/* KVM already has exactly these: nothing to send yet */
		r->dirty = false;
	} else {
		/* make sure the table has at least an entry array */
		r->ent = calloc(1, sizeof(*r->ent));
		if (!r->ent) {
			ret = err_sys(e, ENOMEM, "routing table");
			goto fail;
		}
		r->cap_ent = 1;
	}
	return 0;
fail:
	irq_routing_exit(r);
	return ret;
}

void irq_routing_exit(struct irq_routing *r)
{
	free(r->ent);
	free(r->gsi_used);
	if (r->ops)
		pthread_mutex_destroy(&r->lock);
	memset(r, 0, sizeof(*r));
}

int irq_gsi_alloc(struct irq_routing *r, struct errinfo *e)
{
	int gsi = -1;

	pthread_mutex_lock(&r->lock);
	for (unsigned int g = IRQ_NR_IRQCHIP_GSIS; g < r->nr_gsis; g++) {
		if (!(r->gsi_used[g / 64] & (1ULL << (g % 64)))) {
			gsi_mark(r, g, true);
			gsi = (int)g;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (gsi < 0)
		return err_set(e, ENOSPC, "all %u KVM GSIs are in use", r->nr_gsis);
	return gsi;
}

static void remove_locked(struct irq_routing *r, unsigned int gsi)
{
	for (unsigned int i = 0; i < r->nr_ent;) {
		if (r->ent[i].gsi == gsi) {
			r->ent[i] = r->ent[--r->nr_ent];
			r->dirty = true;
		} else {
			i++;
		}
	}
}

void irq_gsi_free(struct irq_routing *r, unsigned int gsi)
{
	if (gsi < IRQ_NR_IRQCHIP_GSIS || gsi >= r->nr_gsis)
		return;
	pthread_mutex_lock(&r->lock);
	remove_locked(r, gsi);
	gsi_mark(r, gsi, false);
	pthread_mutex_unlock(&r->lock);
}

void irq_route_remove(struct irq_routing *r, unsigned int gsi)
{
	pthread_mutex_lock(&r->lock);
	remove_locked(r, gsi);
	pthread_mutex_unlock(&r->lock);
}

int irq_route_msi(struct irq_routing *r, unsigned int gsi, const struct msi_msg *msg,
		  struct errinfo *e)
{
	struct kvm_irq_routing_entry en = {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = {.address_lo = msg->addr_lo,
			  .address_hi = msg->addr_hi,
			  .data = msg->data},
	};
	int ret = 0;

	if (gsi < IRQ_NR_IRQCHIP_GSIS || gsi >= r->nr_gsis)
		return err_set(e, EINVAL, "GSI %u is not an MSI GSI (%d..%u)", gsi,
			       IRQ_NR_IRQCHIP_GSIS, r->nr_gsis - 1);
	pthread_mutex_lock(&r->lock);
	for (unsigned int i = 0; i < r->nr_ent; i++) {
		struct kvm_irq_routing_entry *x = &r->ent[i];

		if (x->gsi != gsi)
			continue;
		if (x->type == KVM_IRQ_ROUTING_MSI && x->u.msi.address_lo == msg->addr_lo &&
		    x->u.msi.address_hi == msg->addr_hi && x->u.msi.data == msg->data)
			goto out; /* unchanged: keep the table clean */
		*x = en;
		r->dirty = true;
		goto out;
	}
	ret = add_entry(r, &en);
	if (ret)
		err_sys(e, -ret, "adding MSI route for GSI %u", gsi);
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_routing_commit(struct irq_routing *r, struct errinfo *e)
{
	struct kvm_irq_routing *t;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->dirty)
		goto out;
	t = malloc(sizeof(*t) + r->nr_ent * sizeof(t->entries[0]));
	if (!t) {
		ret = err_sys(e, ENOMEM, "routing table of %u entries", r->nr_ent);
		goto out;
	}
	t->nr = r->nr_ent;
	t->flags = 0;
	memcpy(t->entries, r->ent, r->nr_ent * sizeof(t->entries[0]));
	ret = r->ops->ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t);
	free(t);
	if (ret) {
		err_sys(e, -ret, "KVM_SET_GSI_ROUTING with %u routes", r->nr_ent);
		goto out;
	}
	r->dirty = false;
	r->nr_commits++;
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_irqfd_assign(struct irq_routing *r, int efd, unsigned int gsi, int resample_fd,
		     struct errinfo *e)
{
	struct kvm_irqfd fd = {.fd = (uint32_t)efd, .gsi = gsi};
	int ret;

	if (resample_fd >= 0) {
		fd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		fd.resamplefd = (uint32_t)resample_fd;
	}
	ret = r->ops->ioctl(r->vm_fd, KVM_IRQFD, &fd);
	if (ret)
		return err_sys(e, -ret, "KVM_IRQFD assign eventfd %d to GSI %u%s", efd, gsi,
			       resample_fd >= 0 ? " with resample" : "");
	return 0;
}

int irq_irqfd_deassign(struct irq_routing *r, int efd, unsigned int gsi, struct errinfo *e)
{
	struct kvm_irqfd fd = {.fd = (uint32_t)efd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN};
	int ret = r->ops->ioctl(r->vm_fd, KVM_IRQFD, &fd);

	if (ret)
		return err_sys(e, -ret, "KVM_IRQFD deassign eventfd %d from GSI %u", efd, gsi);
	return 0;
}

int irq_line(struct irq_routing *r, unsigned int gsi, int level, struct errinfo *e)
{
	struct kvm_irq_level l = {.irq = gsi, .level = (uint32_t)level};
	int ret = r->ops->ioctl(r->vm_fd, KVM_IRQ_LINE, &l);

	if (ret)
		return err_sys(e, -ret, "KVM_IRQ_LINE GSI %u level %d", gsi, level);
	return 0;
}

int irq_signal_msi(struct irq_routing *r, const struct msi_msg *msg, struct errinfo *e)
{
	struct kvm_msi m = {
		.address_lo = msg->addr_lo, .address_hi = msg->addr_hi, .data = msg->data};
	int ret = r->ops->ioctl(r->vm_fd, KVM_SIGNAL_MSI, &m);

	/* KVM_SIGNAL_MSI returns >0 for delivered, 0 for blocked; our wrapper maps <0 only */
	if (ret < 0)
		return err_sys(e, -ret, "KVM_SIGNAL_MSI addr 0x%x data 0x%x", msg->addr_lo,
			       msg->data);
	return 0;
}

/* The interrupt-source interface (irq_source.h) over this table. */

static int glue_gsi_alloc(void *ctx, struct errinfo *e)
{
	return irq_gsi_alloc(ctx, e);
}

static void glue_gsi_free(void *ctx, int gsi)
{
	irq_gsi_free(ctx, (unsigned int)gsi);
}

static int glue_route_msi(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e)
{
	struct msi_msg msg = {
		.addr_lo = (uint32_t)addr,
		.addr_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	return irq_route_msi(ctx, (unsigned int)gsi, &msg, e);
}

static int glue_commit(void *ctx, struct errinfo *e)
{
	return irq_routing_commit(ctx, e);
}

static int glue_irqfd(void *ctx, int gsi, int efd, int resamplefd, bool assign, struct errinfo *e)
{
	if (assign)
		return irq_irqfd_assign(ctx, efd, (unsigned int)gsi, resamplefd, e);
	return irq_irqfd_deassign(ctx, efd, (unsigned int)gsi, e);
}

static const struct irq_source_ops routing_ops = {
	.gsi_alloc = glue_gsi_alloc,
	.gsi_free = glue_gsi_free,
	.route_msi = glue_route_msi,
	.commit = glue_commit,
	.irqfd = glue_irqfd,
};

void irq_source_routing(struct irq_source *out, struct irq_routing *r)
{
	out->ops = &routing_ops;
	out->ctx = r;
}
