// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO passthrough plugged into the VMM: the device model (pdev.c) as a
 * function on the PCI host bridge, BAR pieces as KVM memslots or MMIO/PIO
 * traps, guest RAM DMA-mapped once per VM, interrupts through the VM's
 * routing table, managed devices taken from and given back to the host.
 *
 * All passthrough devices of a VM share one struct vfio_shared (container
 * or IOAS, KVM-VFIO device, DMA maps); it is found through the devices
 * already on the host bridge, so nothing here is global.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "dma.h"
#include "host_affinity.h"
#include "pci.h"
#include "pci_dev.h"
#include "pci_sysfs.h"
#include "msix.h"
#include "numa_cpus.h"
#include "nv_clique.h"
#include "p2p.h"
#include "pdev.h"
#include "posted.h"
#include "req.h"
#include "spec.h"
#include "vcpu.h"
#include "vfio_iommu.h"
#include "vfio_pci.h"
#include "pci_hotplug.h"
#include "vm.h"

#define ROM_FILE_MAX (16u << 20)

/* A managed device waiting to go back to its host driver. */
struct vfio_give_back {
	char root[256];
	char state_dir[256];
	struct vm_record_live *record;
	const struct vfio_host_priv *priv;
	int group; /* IOMMU group: it goes back once nothing of it is open */
	struct pci_bind_saved saved;
};

struct vfio_shared {
	struct vfio_iommu io;
	int refs;
	bool dma_mapped;
	struct vfio_dma_stats stats;
	/*
	 * Managed devices of an IOMMU group that another device of the VM
	 * still has open: one device's take may have moved its whole group,
	 * and unbinding a member that the VM still has open blocks in the
	 * kernel (vfio-pci relays a request and waits for the close) - vfvm
	 * would hang.  They go back with the group's last device.
	 */
	struct vfio_give_back *pending;
	int nr_pending;
};

struct vfio_trap {
	struct vfio_pci *vp;
	int bar;
	uint64_t off; /* of the piece in its BAR */
};

struct vfio_bar_state {
	void *hva[VFIO_BAR_MAX_PIECES]; /* host mapping of each mapped piece */
	int slot[VFIO_BAR_MAX_PIECES]; /* KVM memslot while active, -1 */
	bool trapped[VFIO_BAR_MAX_PIECES];
	struct vfio_trap trap[VFIO_BAR_MAX_PIECES];
	uint64_t gpa;
};

struct vfio_pci {
	struct pci_dev pd;
	struct vm *vm; /* while added */
	const struct vfio_sys *sys; /* system calls on VFIO fds (tests fake them) */
	int group; /* IOMMU group, -1 unknown */
	struct vfio_pci_spec spec;
	char name[64];
	char root[256];
	char state_dir[256];
	struct vm_record_live *record; /* the VM's record of what it took, NULL: none */
	const struct vfio_host_priv *priv; /* vfio_host_opts.priv */
	enum vfio_backend backend; /* wanted by the front end (AUTO: choose) */
	enum vfio_prefault prefault;
	unsigned int prefault_threads;
	struct vfio_shared *sh;
	struct vfio_device dev;
	bool dev_open;
	struct vfio_pdev p;
	bool pdev_up;
	struct irq_source irq; /* MSI: route, wrapped to note steering work (steer_*) */
	struct irq_source route; /* the VM's routing table (MSI-X uses it directly) */
	/*
	 * Host IRQ steering is a step queued to the I/O thread after a route
	 * commit (steer_efd): never file I/O on a vCPU thread or under the
	 * MSI-X lock.  steer_lock guards what the vCPU/config side queues;
	 * steer_io_lock what the I/O thread owns (taken by nobody else while
	 * the VM runs, so no vCPU ever waits behind /proc I/O).
	 */
	pthread_mutex_t steer_lock;
	pthread_mutex_t steer_io_lock;
	bool steer_lock_init;
	int steer_efd; /* eventfd kicking the I/O thread's steering pass, -1 */
	bool steer_watched;
	bool steer_dirty; /* (steer_lock) a commit changed routes since the last pass */
	uint64_t steer_msi_addr[VFIO_MSI_MAX]; /* (steer_lock) */
	uint32_t steer_msi_data[VFIO_MSI_MAX];
	uint32_t steer_msi_pending; /* (steer_lock) MSI vectors routed since the last pass */
	uint32_t steer_msi_reset; /* (steer_lock) MSI vectors (re)enabled: new host IRQs */
	struct irq_steer steer; /* (steer_io_lock) */
	bool steer_host_posts; /* host can post: IR posting + APICv/AVIC + KVM-VFIO */
	bool steer_msix_on; /* (steer_io_lock) MSI-X enabled as of the last pass */
	struct irq_steer_vec *steer_msix; /* (steer_io_lock) per MSI-X vector */
	struct irq_steer_vec steer_msi[VFIO_MSI_MAX]; /* (steer_io_lock) */
	struct vfio_bar_state bar[VFIO_CFG_NR_BARS];
	struct vfio_p2p p2p; /* BAR pieces DMA-mapped for peer-to-peer */
	uint8_t *rom_image;
	uint64_t rom_len;
	struct pci_bind_saved *saved;
	int nr_saved;
	char (*noted)[BDF_LEN]; /* written down in the record by the claim, until it moved */
	int nr_noted;
	bool err_watched;
	bool req_watched;
	bool req_pending; /* (I/O thread) the host asked for the device back */
	/* vfio_pci__keep_claim(): released back to the claimed state, owner told */
	void (*keep_released)(void *opaque, struct vfio_pci *claim);
	void *keep_opaque;
};

static struct vfio_pci *vp_of(struct pci_dev *d)
{
	return d && d->kind == PCI_DEV_VFIO ? d->opaque : NULL;
}

/*
 * The host bridge owns BAR/ROM registers (sizing, placement, activation)
 * and the interrupt line; everything else comes from the device model.
 */
static bool host_owned(uint32_t o)
{
	return (o >= PCI_BASE_ADDRESS_0 && o < PCI_BASE_ADDRESS_0 + 24) ||
	       (o >= PCI_ROM_ADDRESS && o < PCI_ROM_ADDRESS + 4) || o == PCI_INTERRUPT_LINE;
}

static void vp_cfg_read(struct pci_dev *d, uint32_t off, uint8_t *data, uint32_t len)
{
	struct vfio_pci *vp = d->opaque;
	uint32_t v;

	if (len != 1 && len != 2 && len != 4)
		return;
	v = vfio_pdev_cfg_read(&vp->p, off, len);
	for (uint32_t i = 0; i < len; i++)
		if (!host_owned(off + i))
			data[i] = (v >> (8 * i)) & 0xff;
}

/*
 * Map the active, memslot-backed BAR pieces not yet in the IOMMU for
 * peer-to-peer.  Called after a config write reached the device: the PCI
 * host activates BARs before it forwards the command register, and
 * vfio-pci refuses to fault in a BAR (EFAULT) while memory decode is off.
 */
static void p2p_sync(struct vfio_pci *vp)
{
	if (!vp->sh || !vp->p2p.enabled)
		return;
	for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++) {
		const struct vfio_bar_layout *l = &vp->p.layout[bar];
		struct vfio_bar_state *s = &vp->bar[bar];

		if (!vp->pd.bar[bar].active)
			continue;
		for (unsigned int i = 0; i < l->nr; i++)
			if (s->slot[i] >= 0 && !vp->p2p.piece[bar][i].mapped)
				/* a failure is warned and counted, never fatal */
				vfio_p2p_map(&vp->p2p, &vp->sh->io, bar, i,
					     s->gpa + l->piece[i].off, l->piece[i].size, s->hva[i],
					     &vp->vm->log);
	}
}

static void vp_cfg_write(struct pci_dev *d, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct vfio_pci *vp = d->opaque;
	uint32_t v = 0;

	if (len != 1 && len != 2 && len != 4)
		return;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)data[i] << (8 * i);
	vfio_pdev_cfg_write(&vp->p, off, len, v);
	if (off <= PCI_COMMAND && off + len > PCI_COMMAND)
		p2p_sync(vp);
}

static void bar_trap_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vfio_trap *t = opaque;
	struct vfio_pdev *p = &t->vp->p;
	uint64_t o = t->off + off, table = p->cfg.msix_table_off;

	/*
	 * A guest's vector update goes straight to the MSI-X model (the path
	 * the issue counts: vcpu -> bus -> here -> msix -> irq); anything
	 * else in the trapped page, and accesses that straddle the table,
	 * take the device model's checks.
	 */
	if (p->has_msix && t->bar == p->cfg.msix_table_bar && len && len <= 8 && o >= table &&
	    o - table + len <= msix_table_size(&p->msix)) {
		msix_table_access(&p->msix, o - table, data, len, is_write);
		return;
	}
	vfio_pdev_bar_access(p, t->bar, o, data, len, is_write);
}

static void rom_trap_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vfio_pci *vp = opaque;

	vfio_pdev_rom_access(&vp->p, off, data, len, is_write);
}

/* @keep_p2p: the BAR is only disabled, its peer-to-peer map stays (p2p.h) */
static void bar_unmap_pieces(struct vfio_pci *vp, int bar, bool keep_p2p)
{
	const struct vfio_bar_layout *l = &vp->p.layout[bar];
	struct vfio_bar_state *s = &vp->bar[bar];
	struct bus *b = l->io ? &vp->vm->pio : &vp->vm->mmio;

	for (unsigned int i = 0; i < l->nr; i++) {
		if (vp->sh && !keep_p2p)
			vfio_p2p_unmap(&vp->p2p, &vp->sh->io, bar, i, &vp->vm->log);
		if (s->slot[i] >= 0)
			vm_memslot_del(vp->vm, s->slot[i], NULL);
		if (s->trapped[i])
			bus_unregister(b, s->gpa + l->piece[i].off);
		s->slot[i] = -1;
		s->trapped[i] = false;
	}
}

static int vp_bar_activate(struct pci_dev *d, int bar, uint64_t addr, uint64_t size)
{
	struct vfio_pci *vp = d->opaque;
	const struct vfio_bar_layout *l;
	struct vfio_bar_state *s;
	struct bus *b;
	int ret;

	(void)size;
	if (bar == PCI_ROM_BAR)
		return bus_register(&vp->vm->mmio, addr, vp->p.cfg.rom_size, rom_trap_access, vp,
				    vp->name, NULL);
	l = &vp->p.layout[bar];
	s = &vp->bar[bar];
	b = l->io ? &vp->vm->pio : &vp->vm->mmio;
	s->gpa = addr;
	for (unsigned int i = 0; i < l->nr; i++) {
		const struct vfio_bar_piece *pc = &l->piece[i];

		if (vp->sh)
			vfio_p2p_moved(&vp->p2p, &vp->sh->io, bar, i, addr + pc->off, &vp->vm->log);
		if (pc->map && s->hva[i]) {
			ret = vm_memslot_add(vp->vm, addr + pc->off, pc->size, s->hva[i], false,
					     NULL);
			if (ret < 0)
				goto err;
			s->slot[i] = ret;
			/* the P2P map waits for the device to decode: p2p_sync() */
			continue;
		}
		/* a piece that could not be mmapped is still reachable, trapped */
		s->trap[i].vp = vp;
		s->trap[i].bar = bar;
		s->trap[i].off = pc->off;
		ret = bus_register(b, addr + pc->off, pc->size, bar_trap_access, &s->trap[i],
				   vp->name, NULL);
		if (ret < 0)
			goto err;
		s->trapped[i] = true;
	}
	return 0;
err:
	bar_unmap_pieces(vp, bar, false);
	return ret;
}

static int vp_bar_deactivate(struct pci_dev *d, int bar, uint64_t addr, uint64_t size)
{
	struct vfio_pci *vp = d->opaque;

	(void)size;
	if (bar == PCI_ROM_BAR)
		return bus_unregister(&vp->vm->mmio, addr);
	bar_unmap_pieces(vp, bar, true);
	return 0;
}

/* mmap the mappable pieces once; the guest moving a BAR only moves memslots. */
static void map_bar_pieces(struct vfio_pci *vp)
{
	for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++) {
		const struct vfio_bar_layout *l = &vp->p.layout[bar];
		struct vfio_bar_state *s = &vp->bar[bar];

		for (unsigned int i = 0; i < VFIO_BAR_MAX_PIECES; i++)
			s->slot[i] = -1;
		for (unsigned int i = 0; i < l->nr; i++) {
			const struct vfio_bar_piece *pc = &l->piece[i];
			int err = 0;

			if (!pc->map)
				continue;
			/* on failure the piece simply stays trapped: slower, still correct */
			s->hva[i] = vfio_bar_mmap_aligned(vp->sys, vp->dev.fd,
							  vp->dev.region[bar].offset + pc->off,
							  pc->size, pc->size, &err);
		}
	}
}

static void unmap_bar_pieces(struct vfio_pci *vp)
{
	for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++) {
		const struct vfio_bar_layout *l = &vp->p.layout[bar];

		for (unsigned int i = 0; i < l->nr; i++) {
			if (vp->bar[bar].hva[i])
				vfio_sys_munmap(vp->sys, vp->bar[bar].hva[i], l->piece[i].size);
			vp->bar[bar].hva[i] = NULL;
		}
	}
}

static int read_rom_file(struct vfio_pci *vp, struct errinfo *e)
{
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(vp->spec.rom_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s: ROM file %s", vp->spec.bdf, vp->spec.rom_file);
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > ROM_FILE_MAX) {
		ret = err_set(e, EINVAL, "%s: ROM file %s must be 1 byte to %u MiB", vp->spec.bdf,
			      vp->spec.rom_file, ROM_FILE_MAX >> 20);
		goto out;
	}
	vp->rom_image = malloc((size_t)st.st_size);
	if (!vp->rom_image) {
		ret = err_sys(e, ENOMEM, "%s: ROM file", vp->spec.bdf);
		goto out;
	}
	n = read(fd, vp->rom_image, (size_t)st.st_size);
	if (n != st.st_size) {
		ret = err_sys(e, n < 0 ? errno : EIO, "%s: reading ROM file %s", vp->spec.bdf,
			      vp->spec.rom_file);
		goto out;
	}
	vp->rom_len = (uint64_t)st.st_size;
out:
	close(fd);
	return ret;
}

static void on_err_irq(int fd, uint32_t events, void *opaque)
{
	struct vfio_pci *vp = opaque;
	uint64_t cnt;
	char why[160];

	(void)events;
	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	snprintf(why, sizeof(why), "%s reported an uncorrectable PCIe error (VFIO ERR)", vp->name);
	vm_request_exit(vp->vm, VM_EXIT_ERROR, why);
}

static void on_req_irq(int fd, uint32_t events, void *opaque)
{
	struct vfio_pci *vp = opaque;
	uint64_t cnt;

	(void)events;
	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	vfio_pci_req(vp->vm, &vp->pd, vp->spec.bdf, &vp->req_pending, pci_hotplug__request_unplug);
}

/*
 * Host IRQ steering (irq/host_affinity.h): after a commit that changed a
 * route, the host IRQs of the vectors whose destination changed are moved
 * to the host CPUs of the vCPUs they target.  The commit only queues the
 * step (an eventfd write); the I/O thread does the /proc reads and writes.
 * Mask and unmask stage no route and cost nothing here.  Nothing is done
 * when no vCPU is pinned.
 */
static void steer_kick(struct vfio_pci *vp)
{
	uint64_t one = 1;

	if (vp->steer_efd >= 0 && write(vp->steer_efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, a pass is queued anyway */
	}
}

/* MSI-X committed routes (the model's lock held): queue a pass. */
static void steer_msix_committed(void *opaque)
{
	struct vfio_pci *vp = opaque;

	pthread_mutex_lock(&vp->steer_lock);
	vp->steer_dirty = true;
	pthread_mutex_unlock(&vp->steer_lock);
	steer_kick(vp);
}

static int steer_gsi_alloc(void *ctx, struct errinfo *e)
{
	struct vfio_pci *vp = ctx;

	return vp->route.ops->gsi_alloc(vp->route.ctx, e);
}

static void steer_gsi_free(void *ctx, int gsi)
{
	struct vfio_pci *vp = ctx;

	vp->route.ops->gsi_free(vp->route.ctx, gsi);
}

static int steer_irqfd(void *ctx, int gsi, int efd, int resamplefd, bool assign, struct errinfo *e)
{
	struct vfio_pci *vp = ctx;

	return vp->route.ops->irqfd(vp->route.ctx, gsi, efd, resamplefd, assign, e);
}

/* MSI (not MSI-X): note which vector's route changed, for the next pass. */
static int steer_route_msi(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e)
{
	struct vfio_pci *vp = ctx;
	int ret = vp->route.ops->route_msi(vp->route.ctx, gsi, addr, data, e);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&vp->steer_lock);
	for (unsigned int i = 0; i < vp->p.msi.nvec && i < VFIO_MSI_MAX; i++) {
		if (vp->p.msi.gsi[i] != gsi)
			continue;
		/* MSI just (re)enabled: new host IRQs, whatever the destination */
		if (!vp->p.msi.routed)
			vp->steer_msi_reset |= 1u << i;
		vp->steer_msi_addr[i] = addr;
		vp->steer_msi_data[i] = data;
		vp->steer_msi_pending |= 1u << i;
	}
	pthread_mutex_unlock(&vp->steer_lock);
	return ret;
}

static int steer_commit(void *ctx, struct errinfo *e)
{
	struct vfio_pci *vp = ctx;
	int ret = vp->route.ops->commit(vp->route.ctx, e);
	bool kick;

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&vp->steer_lock);
	kick = vp->steer_msi_pending != 0;
	vp->steer_dirty |= kick;
	pthread_mutex_unlock(&vp->steer_lock);
	if (kick)
		steer_kick(vp);
	return ret;
}

struct steer_pass {
	int host_cpu[VM_MAX_VCPUS];
	unsigned int nr;
	char *text; /* /proc/interrupts, read once per pass when needed */
	bool read_tried;
};

/* I/O thread, steer_io_lock held */
static void steer_vec(struct vfio_pci *vp, struct steer_pass *sp, struct irq_steer_vec *sv,
		      const char *kind, unsigned int i, uint64_t addr, uint32_t data)
{
	struct vfio_pi_msg pm;
	struct errinfo e = {0};
	char action[64];
	cpu_set_t cpus;
	bool posted;

	if (!irq_steer_vec_stale(sv, addr))
		return;
	posted = vp->steer_host_posts && vfio_pi_decode(addr, data, &pm) &&
		 vfio_pi_msg_postable(&pm);
	if (!sp->read_tried && !vp->steer.set &&
	    irq_steer_targets(posted, addr, sp->host_cpu, sp->nr, &cpus)) {
		sp->read_tried = true;
		/* on failure irq_steer_vector() reads again and keeps the warning */
		if (irq_host_read_interrupts(vp->steer.root, &sp->text, &e) < 0)
			sp->text = NULL;
	}
	snprintf(action, sizeof(action), "%s[%u](%s)", kind, i, vp->spec.bdf);
	if (irq_steer_vector(&vp->steer, sv, action, sp->text, posted, addr, sp->host_cpu, sp->nr,
			     &e) < 0)
		vlog_ratelimited(&vp->vm->log, VLOG_WARN,
				 "%s: host IRQ not steered to its vCPU's CPU: %s", vp->spec.bdf,
				 e.msg);
}

/*
 * The queued step, on the I/O thread: take what the vCPU side queued and a
 * snapshot of the MSI-X routes (each under its own lock, never both, never
 * during file I/O), then steer.
 */
static void on_steer_work(int fd, uint32_t events, void *opaque)
{
	struct vfio_pci *vp = opaque;
	struct msix *m = &vp->p.msix;
	struct steer_pass sp = {.nr = 0};
	struct msix_vec_info *vi = NULL;
	uint64_t msi_addr[VFIO_MSI_MAX];
	uint32_t msi_data[VFIO_MSI_MAX], msi_pending, msi_reset;
	bool pinned = false, dirty, msix_on = false;
	uint64_t cnt;

	(void)events;
	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	pthread_mutex_lock(&vp->steer_lock);
	dirty = vp->steer_dirty;
	vp->steer_dirty = false;
	msi_pending = vp->steer_msi_pending;
	msi_reset = vp->steer_msi_reset;
	vp->steer_msi_pending = vp->steer_msi_reset = 0;
	memcpy(msi_addr, vp->steer_msi_addr, sizeof(msi_addr));
	memcpy(msi_data, vp->steer_msi_data, sizeof(msi_data));
	pthread_mutex_unlock(&vp->steer_lock);
	if (vp->steer_msix) {
		pthread_mutex_lock(&m->lock);
		msix_on = m->enabled;
		pthread_mutex_unlock(&m->lock);
		vi = calloc(m->nr, sizeof(*vi));
		for (unsigned int i = 0; vi && i < m->nr; i++)
			msix_vector_info(m, i, &vi[i]);
	}

	pthread_mutex_lock(&vp->steer_io_lock);
	for (unsigned int i = 0; i < VFIO_MSI_MAX; i++)
		if (msi_reset & (1u << i))
			irq_steer_vec_reset(&vp->steer_msi[i]);
	if (vp->steer_msix && msix_on != vp->steer_msix_on) {
		/* enabled: new host IRQs; disabled: they are gone */
		vp->steer_msix_on = msix_on;
		for (unsigned int i = 0; i < m->nr; i++)
			irq_steer_vec_reset(&vp->steer_msix[i]);
		dirty |= msix_on;
	}
	if (!dirty)
		goto out;
	for (; sp.nr < vp->vm->nr_vcpus && sp.nr < VM_MAX_VCPUS; sp.nr++) {
		sp.host_cpu[sp.nr] = vp->vm->vcpus[sp.nr].host_cpu;
		pinned |= sp.host_cpu[sp.nr] >= 0;
	}
	if (pinned && vi && msix_on) {
		for (unsigned int i = 0; i < m->nr; i++)
			if (vi[i].routed && vi[i].gsi >= 0)
				steer_vec(vp, &sp, &vp->steer_msix[i], "vfio-msix", i, vi[i].r_addr,
					  vi[i].r_data);
	}
	for (unsigned int i = 0; pinned && i < VFIO_MSI_MAX; i++)
		if (msi_pending & (1u << i))
			steer_vec(vp, &sp, &vp->steer_msi[i], "vfio-msi", i, msi_addr[i],
				  msi_data[i]);
out:
	pthread_mutex_unlock(&vp->steer_io_lock);
	free(sp.text);
	free(vi);
}

/* The host handler never runs for posted interrupts: nothing to steer then. */
static bool host_posts(struct vfio_pci *vp)
{
	struct vfio_pi_host h;

	vfio_pi_host_read(vp->root, &h);
	return h.ir_posting == 1 && h.apicv == 1 && vp->sh->io.kvm_vfio_fd >= 0;
}

static const struct irq_source_ops steer_ops = {
	.gsi_alloc = steer_gsi_alloc,
	.gsi_free = steer_gsi_free,
	.route_msi = steer_route_msi,
	.commit = steer_commit,
	.irqfd = steer_irqfd,
};

/* The I/O thread (hot-add) is the only one that plugs while the VM runs. */
static int free_slot(struct vm *vm)
{
	int slot = -1;

	pthread_mutex_lock(&vm->pci.lock);
	for (int s = 1; s < PCI_MAX_SLOTS && slot < 0; s++)
		if (!vm->pci.dev[s])
			slot = s;
	pthread_mutex_unlock(&vm->pci.lock);
	return slot;
}

/* What went wrong while giving devices back, for the front end to say. */
struct give_back_result {
	int failed;
	struct errinfo first; /* the first failure, with what to do */
	/* the VM record could not be updated: it lists a device that is back (harmless) */
	int record_failed;
	struct errinfo record_err;
};

/* @bdf is off the VM's hands: out of its record. */
static void record_drop(struct vm_record_live *record, const char *bdf, struct give_back_result *r)
{
	struct errinfo e = {0};

	if (vm_record_given_back(record, bdf, &e) && !r->record_failed++)
		r->record_err = e;
}

static void give_back_saved(const char *root, const char *state_dir, struct vm_record_live *record,
			    const struct vfio_host_priv *priv, const struct pci_bind_saved *saved,
			    int n, struct give_back_result *r)
{
	struct errinfo e;

	for (int i = 0; i < n; i++) {
		err_clear(&e);
		/* confined: the keeper gives it back and keeps the record in step */
		if (priv && priv->give_back) {
			if (priv->give_back(priv->opaque, saved[i].bdf, &e) == 0)
				continue;
		} else if (pci_bind_give_back(root, state_dir, &saved[i], &e) == 0) {
			record_drop(record, saved[i].bdf, r);
			continue;
		}
		if (!r->failed++) {
			r->first = e;
			err_prefix(&r->first, "%s: giving it back to %s", saved[i].bdf,
				   saved[i].driver[0] ? saved[i].driver : "no driver");
			err_hint(&r->first, "vfctl restore %s (it remembers the driver)",
				 saved[i].bdf);
		}
	}
}

/* Whether a device of the VM other than those released is open in IOMMU group @group. */
static bool group_busy(const struct vfio_shared *sh, int group)
{
	if (!sh || group < 0)
		return false;
	for (int i = 0; i < sh->io.nr_devs; i++)
		if (sh->io.dev[i].group == group)
			return true;
	return false;
}

/*
 * Hand @vp's managed devices to the shared state: another device of the VM
 * still has their IOMMU group open, and unbinding from vfio-pci while it
 * does blocks in the kernel (vfio-pci relays a request and waits for the
 * close).  They go back with the group's last device.
 */
static void defer_give_back(struct vfio_pci *vp, struct give_back_result *r)
{
	struct vfio_shared *sh = vp->sh;
	struct vfio_give_back *p;

	if (!vp->nr_saved)
		return;
	p = realloc(sh->pending, sizeof(*p) * (size_t)(sh->nr_pending + vp->nr_saved));
	if (!p) {
		/* out of memory: better now (the unbind may wait) than never */
		give_back_saved(vp->root, vp->state_dir, vp->record, vp->priv, vp->saved,
				vp->nr_saved, r);
		vp->nr_saved = 0;
		return;
	}
	sh->pending = p;
	for (int i = 0; i < vp->nr_saved; i++) {
		struct vfio_give_back *g = &sh->pending[sh->nr_pending++];

		snprintf(g->root, sizeof(g->root), "%s", vp->root);
		snprintf(g->state_dir, sizeof(g->state_dir), "%s", vp->state_dir);
		g->record = vp->record;
		g->priv = vp->priv;
		g->group = vp->group;
		g->saved = vp->saved[i];
	}
	vp->nr_saved = 0;
}

/*
 * Devices deferred by others of IOMMU group @group (every group when
 * @group < 0), now that nothing of it is open: given back, or - when @keep
 * (a kept claim holds the group) - taken over by @keep, to go back with it.
 */
static void flush_pending(struct vfio_shared *sh, int group, struct vfio_pci *keep,
			  struct give_back_result *r)
{
	int n = 0;

	for (int i = 0; i < sh->nr_pending; i++) {
		struct vfio_give_back *g = &sh->pending[i];
		struct pci_bind_saved *s;

		if (group >= 0 && g->group != group) {
			sh->pending[n++] = *g;
			continue;
		}
		s = keep ? realloc(keep->saved, sizeof(*s) * (size_t)(keep->nr_saved + 1)) : NULL;
		if (s) {
			keep->saved = s;
			keep->saved[keep->nr_saved++] = g->saved;
		} else {
			give_back_saved(g->root, g->state_dir, g->record, g->priv, &g->saved, 1, r);
		}
	}
	sh->nr_pending = n;
}

/*
 * Undo what vfio_pci__add did, in reverse, back to the claimed state (fds
 * -1, flags cleared, the pci_dev blank but for its id); safe on a partly
 * set-up device and on a claim that was never added.  The device is let go
 * of right away: its fd closed and, once nothing else of the VM has its
 * IOMMU group open, the group detached (type1) - the last device closes the
 * container/IOAS.  Its managed devices then go back to their host drivers
 * unless @keep (they are deferred while the group is still open); failures
 * are counted in @r.
 */
static void vp_close(struct vfio_pci *vp, bool keep, struct give_back_result *r)
{
	struct vfio_shared *sh = vp->sh;
	char id[PCI_DEV_ID_MAX];
	struct errinfo e;

	if (vp->err_watched)
		vm_io_del(vp->vm, vp->dev.err_efd);
	if (vp->req_watched)
		vm_io_del(vp->vm, vp->dev.req_efd);
	if (vp->steer_watched)
		vm_io_del(vp->vm, vp->steer_efd);
	vp->err_watched = vp->req_watched = vp->steer_watched = false;
	for (int bar = 0; bar <= PCI_ROM_BAR; bar++) {
		struct pci_bar *b = &vp->pd.bar[bar];

		if (b->active)
			vp_bar_deactivate(&vp->pd, bar, b->addr, b->size);
		b->active = false;
	}
	/* every BAR is off now; nothing of this device may stay in the IOMMU */
	if (sh)
		vfio_p2p_unmap_all(&vp->p2p, &sh->io, vp->vm ? &vp->vm->log : NULL);
	memset(&vp->p2p, 0, sizeof(vp->p2p));
	if (vp->pdev_up)
		vfio_pdev_exit(&vp->p);
	vp->pdev_up = false;
	unmap_bar_pieces(vp);
	if (vp->dev_open) {
		const struct vfio_iommu_group *g = NULL;
		int n = vfio_iommu_groups(&sh->io, &g), fd, ret;
		struct vfio_group_ref refs[VFIO_IOMMU_MAX_GROUPS];

		for (int i = 0; i < n; i++) {
			refs[i].id = g[i].id;
			refs[i].fd = g[i].fd;
		}
		/* leave nothing of this tenant in the device */
		vfio_device_reset(&vp->dev, refs, (unsigned int)n, &e);
		/* the IOMMU side closes the fd, in the order the kernel needs */
		fd = vp->dev.fd;
		vp->dev.fd = -1;
		vfio_device_close(&vp->dev);
		err_clear(&e);
		ret = vfio_iommu_release_device(&sh->io, fd, &e);
		if (ret < 0 && vp->vm)
			vlog_report(&vp->vm->log, VLOG_WARN, "%s: releasing it: %s", vp->spec.bdf,
				    e.msg);
		if (!sh->io.nr_maps)
			sh->dma_mapped = false; /* the container lost its last group */
	}
	vp->dev_open = false;

	if (sh) {
		/* the group is free now: what others deferred goes back (or stays with us) */
		if (vp->group >= 0 && !group_busy(sh, vp->group))
			flush_pending(sh, vp->group, keep ? vp : NULL, r);
		if (!keep && group_busy(sh, vp->group))
			defer_give_back(vp, r);
		if (--sh->refs <= 0) {
			if (vp->vm && vp->vm->vfio == sh)
				vp->vm->vfio = NULL;
			vfio_iommu_close(&sh->io);
			/* nothing is open any more: whatever is left goes back */
			flush_pending(sh, -1, keep ? vp : NULL, r);
			free(sh->pending);
			free(sh);
		}
	}
	vp->sh = NULL;
	/*
	 * After a REQ the host is unbinding the device itself (or removing
	 * it): binding it back to its old driver would undo what the host
	 * asked for, so it is left to the host.
	 */
	if (!keep && !vp->req_pending) {
		give_back_saved(vp->root, vp->state_dir, vp->record, vp->priv, vp->saved,
				vp->nr_saved, r);
		vp->nr_saved = 0;
	} else if (!keep) {
		/* the host took it: no longer the VM's to give back */
		for (int i = 0; i < vp->nr_saved; i++)
			record_drop(vp->record, vp->saved[i].bdf, r);
		vp->nr_saved = 0;
	}

	free(vp->steer_msix);
	vp->steer_msix = NULL;
	if (vp->steer_efd >= 0)
		close(vp->steer_efd);
	vp->steer_efd = -1;
	pthread_mutex_lock(&vp->steer_lock);
	vp->steer_dirty = false;
	vp->steer_msi_pending = vp->steer_msi_reset = 0;
	pthread_mutex_unlock(&vp->steer_lock);
	vp->steer_msix_on = false;
	memset(vp->steer_msi, 0, sizeof(vp->steer_msi));
	memset(vp->bar, 0, sizeof(vp->bar));
	memset(&vp->p, 0, sizeof(vp->p));
	memset(&vp->dev, 0, sizeof(vp->dev));
	vp->dev.fd = vp->dev.err_efd = vp->dev.req_efd = -1;
	/* a re-added claim keeps the id users know it by */
	snprintf(id, sizeof(id), "%s", vp->pd.id);
	memset(&vp->pd, 0, sizeof(vp->pd));
	snprintf(vp->pd.id, sizeof(vp->pd.id), "%s", id);
	vp->req_pending = false;
	vp->vm = NULL;
}

/* vp_close() and free what the claim held. */
static void vp_release(struct vfio_pci *vp, struct give_back_result *r)
{
	vp_close(vp, false, r);
	free(vp->saved);
	vp->saved = NULL;
	free(vp->noted);
	vp->noted = NULL;
	free(vp->rom_image);
	vp->rom_image = NULL;
	if (vp->steer_lock_init) {
		pthread_mutex_destroy(&vp->steer_lock);
		pthread_mutex_destroy(&vp->steer_io_lock);
	}
	vp->steer_lock_init = false;
	free(vp);
}

/*
 * Failures to give devices back: counted for the front end (vm->release_failed,
 * the first in vm->release_err, reported after vm_destroy()); a hot-remove
 * while the VM runs also says it at once through vm->log, naming the device
 * and what to do, since nobody may look at the count until exit.
 */
static void note_release_failure(struct vm *vm, const char *id, const struct give_back_result *gb)
{
	if (gb->record_failed && vm)
		vlog_report(&vm->log, VLOG_WARN, "%s: %s", id, gb->record_err.msg);
	if (!gb->failed || !vm)
		return;
	if (!vm->release_failed)
		vm->release_err = gb->first;
	vm->release_failed += gb->failed;
	if (!atomic_load(&vm->exit_requested))
		vlog_report(&vm->log, VLOG_ERR, "%s removed but not given back: %s (%s)", id,
			    gb->first.msg, gb->first.hint);
}

/*
 * pci_dev.release: VM teardown (pci_host_exit(), in vm_destroy()) or a
 * hot-remove once the guest ejected the slot (I/O thread).  The device is
 * let go of right away (vp_close()); failures to give managed devices back
 * reach the front end through vm->release_failed.  A kept claim
 * (vfio_pci__keep_claim) goes back to the claimed state and its owner is
 * told instead.
 */
static void vp_pci_release(struct pci_dev *d)
{
	struct give_back_result gb = {0};
	struct vfio_pci *vp = d->opaque;
	struct vm *vm = vp->vm;
	char id[PCI_DEV_ID_MAX];

	snprintf(id, sizeof(id), "%s", d->id);
	if (vp->keep_released) {
		vp_close(vp, true, &gb);
		note_release_failure(vm, id, &gb);
		vp->keep_released(vp->keep_opaque, vp);
		return;
	}
	vp_release(vp, &gb);
	note_release_failure(vm, id, &gb);
}

static int setup_pci_dev(struct vfio_pci *vp, struct errinfo *e)
{
	struct vfio_pdev *p = &vp->p;
	struct pci_dev *d = &vp->pd;
	uint32_t class_rev = vfio_pdev_cfg_read(p, PCI_CLASS_REVISION, 4);
	char id[PCI_DEV_ID_MAX];
	int ret;

	snprintf(id, sizeof(id), "%s", d->id); /* pci_dev_init() blanks it */
	pci_dev_init(d, vp->name, (uint16_t)vfio_pdev_cfg_read(p, PCI_VENDOR_ID, 2),
		     (uint16_t)vfio_pdev_cfg_read(p, PCI_DEVICE_ID, 2), class_rev >> 8,
		     (uint8_t)class_rev,
		     (uint16_t)vfio_pdev_cfg_read(p, PCI_SUBSYSTEM_VENDOR_ID, 2),
		     (uint16_t)vfio_pdev_cfg_read(p, PCI_SUBSYSTEM_ID, 2));
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->cfg[PCI_INTERRUPT_PIN] = (uint8_t)vfio_pdev_cfg_read(p, PCI_INTERRUPT_PIN, 1);
	for (int i = 0; i < VFIO_CFG_NR_BARS; i++) {
		const struct vfio_cfg_bar *b = &p->cfg.bar[i];
		unsigned int fl = 0;

		if (!b->size)
			continue;
		fl |= b->io ? PCI_BARF_IO : 0;
		fl |= b->mem64 ? PCI_BARF_MEM64 : 0;
		fl |= b->prefetch ? PCI_BARF_PREFETCH : 0;
		ret = pci_bar_declare(d, i, b->size, fl, NULL, NULL, e);
		if (ret < 0)
			return ret;
	}
	if (p->cfg.rom_size) {
		ret = pci_bar_declare(d, PCI_ROM_BAR, p->cfg.rom_size, 0, NULL, NULL, e);
		if (ret < 0)
			return ret;
	}
	d->kind = PCI_DEV_VFIO;
	d->opaque = vp;
	d->release = vp_pci_release;
	d->cfg_read = vp_cfg_read;
	d->cfg_write = vp_cfg_write;
	d->bar_activate = vp_bar_activate;
	d->bar_deactivate = vp_bar_deactivate;
	return 0;
}

/*
 * Whether @vp's device may be opened through VFIO without taking it: bound
 * to vfio-pci.  A device on another driver (or none) is refused naming both
 * fixes, before any VM exists.
 */
static int check_on_vfio(const struct vfio_pci *vp, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], drv[64] = "";
	int ret;

	ret = sysfs_dev_link_base(vp->root, vp->spec.bdf, "driver", drv, sizeof(drv), NULL);
	if (ret == 0 && !strcmp(drv, "vfio-pci"))
		return 0;
	if (ret < 0 && ret != -ENOENT) {
		sysfs_dev_path(path, sizeof(path), vp->root, vp->spec.bdf, "driver");
		return err_sys(e, -ret, "%s: reading its driver (%s)", vp->spec.bdf, path);
	}
	err_set(e, EBUSY, "%s is bound to %s, not vfio-pci", vp->spec.bdf,
		drv[0] ? drv : "no driver");
	err_hint(e, "bind it first (vfctl bind %s vfio-pci), or pass --device %s,managed",
		 vp->spec.bdf, vp->spec.bdf);
	return -EBUSY;
}

/*
 * pci_bind_group_noted()'s note: the members about to move, written down in
 * the VM's record first (and remembered here, to drop them again when the
 * take fails and is rolled back).
 */
static int note_taking(void *opaque, const struct pci_bind_saved *plan, int n, struct errinfo *e)
{
	struct vfio_pci *vp = opaque;
	struct vm_record_dev *d;
	int ret;

	if (!vp->record)
		return 0;
	d = calloc((size_t)n, sizeof(*d));
	vp->noted = calloc((size_t)n, sizeof(*vp->noted));
	if (!d || !vp->noted) {
		free(d);
		return err_set(e, ENOMEM, "%s: out of memory", vp->spec.bdf);
	}
	for (int i = 0; i < n; i++) {
		snprintf(d[i].bdf, sizeof(d[i].bdf), "%s", plan[i].bdf);
		snprintf(d[i].driver, sizeof(d[i].driver), "%s", plan[i].driver);
		snprintf(d[i].override, sizeof(d[i].override), "%s", plan[i].override);
		snprintf(d[i].with, sizeof(d[i].with), "%s", plan[i].with);
		memcpy(vp->noted[i], plan[i].bdf, BDF_LEN);
	}
	ret = vm_record_take(vp->record, d, n, e);
	free(d);
	if (ret == 0)
		vp->nr_noted = n;
	return ret;
}

/* After the take: members noted but not (or no more) moved leave the record. */
static void drop_unmoved(struct vfio_pci *vp, struct give_back_result *r)
{
	for (int i = 0; i < vp->nr_noted; i++) {
		bool moved = false;

		for (int k = 0; k < vp->nr_saved && !moved; k++)
			moved = vp->saved[k].changed && !strcmp(vp->saved[k].bdf, vp->noted[i]);
		if (!moved)
			record_drop(vp->record, vp->noted[i], r);
	}
	vp->nr_noted = 0;
}

int vfio_pci__claim(const struct vfio_host_opts *h, const char *spec, struct vfio_pci **out,
		    struct errinfo *e)
{
	struct give_back_result gb = {0};
	char path[SYSFS_PATH_MAX];
	struct vfio_pci *vp;
	int ret;

	*out = NULL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return err_sys(e, ENOMEM, "--device %s", spec);
	pthread_mutex_init(&vp->steer_lock, NULL);
	pthread_mutex_init(&vp->steer_io_lock, NULL);
	vp->steer_lock_init = true;
	vp->steer_efd = -1;
	vp->dev.fd = vp->dev.err_efd = vp->dev.req_efd = -1;
	vp->group = -1;
	vp->sys = h->sys ? h->sys : &vfio_sys_host;
	ret = vfio_pci_spec_parse(spec, &vp->spec, e);
	if (ret < 0)
		goto err;
	snprintf(vp->pd.id, sizeof(vp->pd.id), "%s", vp->spec.id);
	vfio_pci__name(vp->spec.bdf, vp->name, sizeof(vp->name));
	snprintf(vp->root, sizeof(vp->root), "%s", h->sysfs_root ? h->sysfs_root : "");
	snprintf(vp->state_dir, sizeof(vp->state_dir), "%s",
		 h->state_dir && *h->state_dir ? h->state_dir : VFIO_DEFAULT_STATE_DIR);
	vp->record = h->record;
	vp->priv = h->priv;
	vp->backend = h->backend;
	vp->prefault = h->prefault;
	vp->prefault_threads = h->prefault_threads;
	sysfs_dev_path(path, sizeof(path), vp->root, vp->spec.bdf, "");
	if (!sysfs_exists(path)) {
		ret = err_set(e, ENODEV, "%s: no such PCI device (%s)", vp->spec.bdf, path);
		err_hint(e, "list the host's devices with lspci -D or vfctl list");
		goto err;
	}
	if (vp->spec.rom == VFIO_ROM_FILE) {
		ret = read_rom_file(vp, e);
		if (ret < 0)
			goto err;
	}
	/* a VM never takes a device the host uses: no force flag here */
	if (vp->spec.managed) {
		ret = pci_bind_group_noted(vp->root, vp->state_dir, vp->spec.bdf, "vfio-pci", 0,
					   note_taking, vp, &vp->saved, &vp->nr_saved, e);
		/* rolled back on failure: what was noted is where it was */
		drop_unmoved(vp, &gb);
	} else {
		ret = check_on_vfio(vp, e);
	}
	if (ret < 0)
		goto err;
	/* for the give-back order (no group: the IOMMU check refuses it at add) */
	vp->group = vfio_iommu_group_id(vp->root, vp->spec.bdf, NULL);
	*out = vp;
	return 0;
err:
	vp_release(vp, &gb);
	return ret;
}

int vfio_pci__unclaim(struct vfio_pci *vp, struct errinfo *e)
{
	struct give_back_result gb = {0};

	if (!vp)
		return 0;
	vp_release(vp, &gb);
	if (gb.failed && e)
		*e = gb.first;
	return gb.failed;
}

const char *vfio_pci__bdf(const struct vfio_pci *vp)
{
	return vp->spec.bdf;
}

int vfio_pci__slot(const struct vfio_pci *vp)
{
	return vp->pd.slot;
}

const char *vfio_pci__id(const struct vfio_pci *vp)
{
	return vp->pd.id;
}

const char *vfio_pci__failover(const struct vfio_pci *vp)
{
	return vp->spec.failover;
}

void vfio_pci__keep_claim(struct vfio_pci *vp,
			  void (*released)(void *opaque, struct vfio_pci *claim), void *opaque)
{
	vp->keep_released = released;
	vp->keep_opaque = released ? opaque : NULL;
}

int vfio_pci__net_class_check(const struct vfio_pci *vp, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], buf[32];
	unsigned long cls;
	char *end;
	int ret;

	sysfs_dev_path(path, sizeof(path), vp->root, vp->spec.bdf, "class");
	ret = sysfs_read_str(path, buf, sizeof(buf), e);
	if (ret < 0) {
		err_prefix(e, "%s: reading its PCI class", vp->spec.bdf);
		return ret;
	}
	errno = 0;
	cls = strtoul(buf, &end, 16);
	if (errno || end == buf || cls > 0xffffff)
		return err_set(e, EINVAL, "%s: PCI class '%s' in %s is not a number", vp->spec.bdf,
			       buf, path);
	if (cls >> 16 == 0x02) /* PCI base class: network controller */
		return 0;
	err_set(e, ENOTSUP,
		"%s is not a network controller (PCI class 0x%06lx): it cannot be a failover "
		"primary",
		vp->spec.bdf, cls);
	err_hint(e, "failover=NETID is for a NIC VF; drop it for this --device");
	return -ENOTSUP;
}

/* The CPUs of @bdf's NUMA node this process may run on (numa_cpus.h). */
static int near_cpus(const char *root, const char *bdf, cpu_set_t *set, char *list, size_t size)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		CPU_ZERO(&allowed); /* not known: the node's CPUs as they are */
	return vfio_numa_cpus(root, bdf, CPU_COUNT(&allowed) ? &allowed : NULL, set, list, size);
}

int vfio_pci__add(struct vm *vm, struct vfio_pci *vp, struct errinfo *e)
{
	struct give_back_result gb = {0};
	struct vfio_pdev_opts o = {.intx_gsi = -1};
	struct vfio_dma_opts dopt = {0};
	int fd, slot, ret;

	vp->vm = vm;
	slot = free_slot(vm);
	if (slot < 0) {
		ret = err_set(e, ENOSPC, "%s: no free PCI slot", vp->spec.bdf);
		goto err;
	}

	vp->sh = vm->vfio;
	if (!vp->sh) {
		vp->sh = calloc(1, sizeof(*vp->sh));
		if (!vp->sh) {
			ret = err_sys(e, ENOMEM, "%s: VFIO state", vp->spec.bdf);
			goto err;
		}
		ret = vfio_iommu_init(&vp->sh->io, vp->sys, vp->root, vm->vm_fd, vp->backend, e);
		if (ret < 0) {
			free(vp->sh);
			vp->sh = NULL;
			goto err;
		}
		vm->vfio = vp->sh;
	}
	vp->sh->refs++;

	fd = vfio_iommu_open_device(&vp->sh->io, vp->spec.bdf, vp->spec.vf_token, e);
	if (fd < 0) {
		ret = fd;
		goto err;
	}
	ret = vfio_device_setup(&vp->dev, vp->sys, fd, vp->spec.bdf, e);
	vp->dev_open = true; /* the fd is the device's now, even on failure */
	if (ret < 0)
		goto err;
	if (vfio_device_can_reset(&vp->dev)) {
		/* start from a clean device: the last tenant's state must not leak */
		ret = vfio_device_reset(&vp->dev, NULL, 0, e);
		if (ret < 0)
			goto err;
	}

	/*
	 * Guest RAM is mapped once per VM.  A device added later (hot-add)
	 * joins the container/IOAS that holds the mappings - the kernel
	 * replays them into its IOMMU domain - so nothing is mapped again;
	 * only the first passthrough device (again: after the last one left,
	 * the mappings went with the container) maps now.
	 */
	if (!vp->sh->dma_mapped) {
		cpu_set_t near;
		char list[64];
		int node;

		/* map in 1 GiB steps so big guests get progress (dma.h: the count is checked) */
		dopt.chunk = VFIO_DMA_DEFAULT_CHUNK;
		dopt.progress = vm->dma_progress;
		dopt.opaque = vm->dma_progress_opaque;
		/* serial and none are for the bench to compare against */
		dopt.prefault_threads = vp->prefault_threads;
		if (vp->prefault == VFIO_PREFAULT_SERIAL)
			dopt.prefault_threads = 1;
		else if (vp->prefault == VFIO_PREFAULT_NONE)
			dopt.no_prefault = true;
		/* prefault on the device's node: first touch puts guest RAM there */
		node = near_cpus(vp->root, vp->spec.bdf, &near, list, sizeof(list));
		if (node >= 0)
			dopt.cpus = &near;
		ret = vfio_dma_map_guest(&vp->sh->io, &vm->mem, &dopt, &vp->sh->stats, e);
		if (ret < 0) {
			err_prefix(e, "%s: DMA-mapping guest RAM (%s)", vp->spec.bdf,
				   vfio_backend_name(vp->sh->io.kind));
			goto err;
		}
		vp->sh->stats.node = node;
		snprintf(vp->sh->stats.cpus, sizeof(vp->sh->stats.cpus), "%s",
			 node >= 0 ? list : "");
		vp->sh->dma_mapped = true;
	}

	irq_source_routing(&vp->route, &vm->irq);
	vp->irq.ops = &steer_ops;
	vp->irq.ctx = vp;
	irq_steer_init(&vp->steer, vp->root);
	if (vp->priv && vp->priv->irq_affinity) {
		vp->steer.set = vp->priv->irq_affinity;
		vp->steer.set_opaque = vp->priv->opaque;
	}
	vp->steer_host_posts = host_posts(vp);
	o.rom = vp->spec.rom;
	o.rom_image = vp->rom_image;
	o.rom_image_len = vp->rom_len;
	o.intx_gsi = vm->has_irqchip ? (int)pci_slot_gsi(slot) : -1;
	o.log = &vm->log;
	vp->steer_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vp->steer_efd < 0) {
		ret = err_sys(e, errno, "%s: eventfd for host IRQ steering", vp->spec.bdf);
		goto err;
	}
	ret = vm_io_add(vm, vp->steer_efd, EPOLLIN, on_steer_work, vp, e);
	if (ret < 0)
		goto err;
	vp->steer_watched = true;
	ret = vfio_pdev_init(&vp->p, &vp->dev, &vp->irq, &o, e);
	if (ret < 0)
		goto err;
	vp->pdev_up = true;
	if (vp->spec.clique >= 0) {
		ret = vfio_nv_clique_add(&vp->p.cfg, vp->spec.bdf, vp->spec.clique, e);
		if (ret < 0)
			goto err;
	}
	vfio_p2p_init(&vp->p2p, vp->spec.bdf, !vp->spec.no_p2p);
	if (vp->p.has_msix) {
		/* MSI-X talks to the routing table directly; steering is queued */
		msix_attach(&vp->p.msix, &vp->route, &vm->log);
		vp->p.msix.committed = steer_msix_committed;
		vp->p.msix.committed_opaque = vp;
		vp->steer_msix = calloc(vp->p.msix.nr, sizeof(*vp->steer_msix));
		if (!vp->steer_msix) {
			ret = err_sys(e, ENOMEM, "%s: MSI-X steering state", vp->spec.bdf);
			goto err;
		}
	}
	ret = setup_pci_dev(vp, e);
	if (ret < 0)
		goto err;
	/* its own root port shows the host's link of the device (a VF: its PF's) */
	/* a device added while the guest runs goes on bus 0 (vm_pci_plug): no port to show */
	vp->pd.want_port = !vp->spec.no_rootport && !vm_pci_plug_is_hot(vm);
	if (vp->pd.want_port) {
		struct errinfo le = {0};

		/* config space unreadable: a trained 2.5 GT/s x1 link, and a word why */
		if (pcie_link_read(vp->root, vp->spec.bdf, &vp->pd.port_link, &le) < 0) {
			vp->pd.port_link = (struct pcie_link){1, 1, 1, 1, 0x2};
			vlog_report(&vm->log, VLOG_WARN,
				    "%s: its root port shows a 2.5 GT/s x1 link: %s", vp->spec.bdf,
				    le.msg);
		}
	}
	map_bar_pieces(vp);

	ret = vfio_device_arm_err_req(&vp->dev, e);
	if (ret < 0)
		goto err;
	if (vp->dev.err_efd >= 0) {
		ret = vm_io_add(vm, vp->dev.err_efd, EPOLLIN, on_err_irq, vp, e);
		if (ret < 0)
			goto err;
		vp->err_watched = true;
	}
	if (vp->dev.req_efd >= 0) {
		ret = vm_io_add(vm, vp->dev.req_efd, EPOLLIN, on_req_irq, vp, e);
		if (ret < 0)
			goto err;
		vp->req_watched = true;
	}
	/* before the VM runs: registered; while it runs: announced to the guest */
	ret = vm_pci_plug(vm, &vp->pd, slot, e);
	if (ret < 0)
		goto err;
	return 0;
err:
	/* a kept claim stays the caller's, claimed; any other is released */
	if (vp->keep_released)
		vp_close(vp, true, &gb);
	else
		vp_release(vp, &gb);
	if (gb.failed) {
		char h[sizeof(e->hint)];

		snprintf(h, sizeof(h), "%s", e->hint);
		err_hint(e, "%s%s%s; then %s", h, h[0] ? "; " : "", gb.first.msg, gb.first.hint);
	}
	return ret;
}

/* gpudirect-clique=N asked for: is it an NVIDIA GPU?  1 when not (a failed item). */
static int check_clique(const char *root, const struct vfio_pci_spec *s, struct preflight_report *r)
{
	struct errinfo e = {0};
	struct pcidev d;

	if (pcidev_read(root, s->bdf, &d, &e) < 0)
		return 0; /* the device checks said why already */
	if (d.vendor != VFIO_NV_VENDOR || (d.class_code >> 16) != VFIO_CLASS_DISPLAY) {
		preflight_add(
			r, "gpudirect-clique", PREFLIGHT_FAIL,
			"drop gpudirect-clique=N from this --device",
			"gpudirect-clique is for NVIDIA GPUs (vendor 0x%04x, class 0x03); %s is "
			"%04x:%04x class 0x%06x",
			VFIO_NV_VENDOR, s->bdf, d.vendor, d.device, d.class_code);
		return 1;
	}
	preflight_add(
		r, "gpudirect-clique", PREFLIGHT_OK, NULL,
		"GPUDirect P2P clique %d: the capability is added to the guest's config space",
		s->clique);
	return 0;
}

/* Where the guest will find the device: behind its own root port (the link it shows), or bus 0. */
static void check_port(const char *root, const struct vfio_pci_spec *s, struct preflight_report *r)
{
	struct errinfo e = {0};
	struct pcie_link l;

	if (s->no_rootport) {
		preflight_add(r, "root-port", PREFLIGHT_OK, NULL,
			      "rootport=off: on the guest's bus 0, without a root port");
		return;
	}
	if (pcie_link_read(root, s->bdf, &l, &e) < 0) {
		preflight_add(r, "root-port", PREFLIGHT_WARN, NULL,
			      "behind a root port of its own, showing a 2.5 GT/s x1 link: %s",
			      e.msg);
		return;
	}
	preflight_add(r, "root-port", PREFLIGHT_OK, NULL,
		      "behind a root port of its own, showing the host's link: %s x%u (up to %s "
		      "x%u)",
		      pcie_speed_name(l.speed), l.width, pcie_speed_name(l.max_speed), l.max_width);
}

int vfio_pci__check(const struct vfio_host_opts *h, const char *spec, const struct guest_mem *mem,
		    const struct mmio_plan *plan, const struct errinfo *plan_err,
		    struct preflight_report *r, struct errinfo *e)
{
	struct vfio_preflight_in in = {0};
	struct vfio_pci_spec s;
	int ret;

	ret = vfio_pci_spec_parse(spec, &s, e);
	if (ret < 0)
		return ret;
	in.root = h->sysfs_root ? h->sysfs_root : "";
	in.bdf = s.bdf;
	in.managed = s.managed;
	in.have_vf_token = s.vf_token[0] != '\0';
	in.mem = mem;
	in.plan = plan;
	in.plan_err = plan_err;
	ret = vfio_preflight_run(&in, r, e);
	if (ret >= 0)
		check_port(in.root, &s, r);
	if (ret >= 0 && s.clique >= 0)
		ret += check_clique(in.root, &s, r);
	return ret;
}

void vfio_pci__name(const char *bdf, char *buf, size_t size)
{
	snprintf(buf, size, "vfio %s", bdf);
}

int vfio_pci__mmio_dev(const struct vfio_host_opts *h, const char *spec, struct mmio_plan_dev *d,
		       struct errinfo *e)
{
	struct vfio_pci_spec s;
	char name[64];
	int ret;

	ret = vfio_pci_spec_parse(spec, &s, e);
	if (ret < 0)
		return ret;
	vfio_pci__name(s.bdf, name, sizeof(name));
	ret = vfio_mmio_dev_read(h->sysfs_root ? h->sysfs_root : "", s.bdf, name, d, e);
	d->port = !s.no_rootport;
	return ret;
}

int vfio_pci__irq_report(struct vm *vm, const char *sysfs_root, struct vfio_irq_report_entry *out,
			 int max, struct vfio_pi_host *host)
{
	int n = 0;

	if (host)
		vfio_pi_host_read(sysfs_root ? sysfs_root : "", host);
	for (int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct vfio_pci *vp = vp_of(vm->pci.dev[i]);

		if (!vp || !vp->p.has_msix)
			continue;
		for (unsigned int v = 0; v < vp->p.msix.nr; v++, n++) {
			struct vfio_irq_report_entry *r;
			struct msix_vec_info vi;
			struct vfio_pi_msg m;

			if (n >= max || msix_vector_info(&vp->p.msix, v, &vi) < 0)
				continue;
			r = &out[n];
			memset(r, 0, sizeof(*r));
			snprintf(r->bdf, sizeof(r->bdf), "%s", vp->spec.bdf);
			r->vector = v;
			r->gsi = vi.gsi;
			r->addr = vi.addr;
			r->data = vi.data;
			r->masked = vi.masked;
			r->irqfd = vi.irqfd_on;
			r->same_eventfd = true;
			r->kvm_vfio = vp->sh && vp->sh->io.kvm_vfio_fd >= 0;
			if (vfio_pi_decode(vi.addr, vi.data, &m)) {
				r->dest = m.dest;
				r->single_target = m.single_target;
				r->delivery_ok = m.mode == 0 || m.mode == 1;
			}
			r->postable = r->kvm_vfio && r->irqfd && !r->masked && r->single_target &&
				      r->delivery_ok;
		}
	}
	return n;
}

int vfio_pci__dma_stats(struct vm *vm, struct vfio_dma_stats *st, const char **backend)
{
	struct vfio_shared *sh = vm->vfio;

	if (!sh || !sh->dma_mapped)
		return -ENOENT;
	*st = sh->stats;
	if (backend)
		*backend = vfio_backend_name(sh->io.kind);
	return 0;
}

int vfio_pci__p2p_info(struct pci_dev *d, struct vfio_p2p_info *out)
{
	struct vfio_pci *vp = vp_of(d);
	const struct vfio_p2p *p;

	memset(out, 0, sizeof(*out));
	if (!vp || !vp->sh)
		return -ENOENT;
	p = &vp->p2p;
	out->enabled = p->enabled;
	out->clique = vp->spec.clique;
	out->mapped = p->nr_mapped;
	out->failed = p->nr_failed;
	out->last_err = p->last_err;
	for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++)
		for (unsigned int i = 0; i < VFIO_BAR_MAX_PIECES; i++) {
			if (!p->piece[bar][i].mapped)
				continue;
			out->bytes += p->piece[bar][i].size;
			if (out->nr < VFIO_P2P_INFO_MAX) {
				out->map[out->nr].bar = bar;
				out->map[out->nr].iova = p->piece[bar][i].iova;
				out->map[out->nr].size = p->piece[bar][i].size;
				out->nr++;
			}
		}
	return 0;
}

int vfio_pci__numa_node(const struct vfio_host_opts *h, const char *spec, char *cpus, size_t size)
{
	struct vfio_pci_spec s;

	if (vfio_pci_spec_parse(spec, &s, NULL) < 0)
		return -1;
	return vfio_device_numa_node(h->sysfs_root ? h->sysfs_root : "", s.bdf, cpus, size);
}

int vfio_pci__numa_cpus(const struct vfio_host_opts *h, const char *spec, cpu_set_t *set,
			char *list, size_t size)
{
	struct vfio_pci_spec s;

	CPU_ZERO(set);
	if (list && size)
		list[0] = '\0';
	if (vfio_pci_spec_parse(spec, &s, NULL) < 0)
		return -1;
	return near_cpus(h->sysfs_root, s.bdf, set, list, size);
}

/*
 * The first failure to steer a host IRQ of any passed-through device
 * (a warning: interrupts still work, with an extra IPI), for vfvm to log
 * once.  Returns how many steering attempts failed; 0 leaves @w alone.
 */
int vfio_pci__irq_steer_warning(struct vm *vm, struct errinfo *w)
{
	int n = 0;

	for (int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct vfio_pci *vp = vp_of(vm->pci.dev[i]);

		if (!vp)
			continue;
		pthread_mutex_lock(&vp->steer_io_lock);
		if (vp->steer.warned && !n)
			*w = vp->steer.warn;
		n += (int)vp->steer.nr_failed;
		pthread_mutex_unlock(&vp->steer_io_lock);
	}
	return n;
}

int vfio_pci__irq_errors(struct vm *vm, struct vfio_irq_errors *out, int max)
{
	int n = 0;

	for (int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct vfio_pci *vp = vp_of(vm->pci.dev[i]);
		struct vfio_irq_errors *r;

		if (!vp)
			continue;
		if (n >= max) {
			n++;
			continue;
		}
		r = &out[n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->bdf, sizeof(r->bdf), "%s", vp->spec.bdf);
		if (vp->p.has_msix) {
			pthread_mutex_lock(&vp->p.msix.lock);
			r->msix = vp->p.msix.nr_errors;
			pthread_mutex_unlock(&vp->p.msix.lock);
		}
		/* pdev counters change on the config path, under the host's lock */
		pthread_mutex_lock(&vm->pci.lock);
		r->irq = vp->p.nr_errors;
		pthread_mutex_unlock(&vm->pci.lock);
		pthread_mutex_lock(&vp->steer_io_lock);
		r->steer_failed = vp->steer.nr_failed;
		r->steered = vp->steer.nr_steered;
		pthread_mutex_unlock(&vp->steer_io_lock);
	}
	return n;
}
