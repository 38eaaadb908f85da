// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hot-removal of virtio functions at run time (pci_dev.release while other
 * devices keep going), on a VM with buses, a PCI host, a routing table
 * behind a recording KVM fake and the I/O loop, but no KVM: a virtio-net
 * (failover standby, on a socketpair) released from inside an I/O callback
 * whose batch still holds its own fds, then a virtio-blk with its thread.
 * Afterwards nothing of theirs answers on the buses, every irqfd is
 * deassigned and the routing table is back where it was, and the I/O loop
 * has nothing of theirs to run (ASan turns any leftover into a failure).
 * Also vm_io_del() of a handler whose event is in the batch being run.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <cmocka.h>

#include "devices.h"
#include "pci_hotplug.h"
#include "test_virtio_driver.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "vm.h"

struct fx {
	struct vm *vm;
	struct td t;
	char path[64];
	int peer, trigger;
	unsigned int released;
};

/* The fake KVM: counts irqfds as they come and go. */
static int irqfds_on;
static unsigned int irqfds_assigned;

static int fake_kvm_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (req == KVM_IRQFD) {
		struct kvm_irqfd *i = arg;

		if (i->flags & KVM_IRQFD_FLAG_DEASSIGN) {
			irqfds_on--;
		} else {
			irqfds_on++;
			irqfds_assigned++;
		}
	}
	return 0;
}

static const struct irq_kvm_ops fake_ops = {.ioctl = fake_kvm_ioctl};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct errinfo e;
	struct vm *vm;
	int fd;

	if (!x || td_setup(&x->t) < 0)
		return -1;
	vm = x->vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -1;
	vm->vm_fd = -1;
	vm->mem = x->t.mem;
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_mutex_init(&vm->exit_lock, NULL);
	pthread_cond_init(&vm->exit_cond, NULL);
	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->epoll_fd < 0 || bus_init(&vm->pio, "pio") || bus_init(&vm->mmio, "mmio") ||
	    pci_host_init(&vm->pci, vm, &vm->pio, &vm->mmio, 1ull << 36, 1ull << 30, &e) ||
	    irq_routing_init(&vm->irq, -1, 256, false, &fake_ops, &e))
		return -1;
	strcpy(x->path, "/tmp/test_virtio_release.XXXXXX");
	fd = mkstemp(x->path);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		return -1;
	close(fd);
	x->trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	irqfds_on = 0;
	irqfds_assigned = 0;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	struct vm *vm = x->vm;

	pci_host_exit(&vm->pci);
	irq_routing_exit(&vm->irq);
	bus_exit(&vm->mmio);
	bus_exit(&vm->pio);
	vm_io_cleanup(vm);
	close(vm->epoll_fd);
	close(x->trigger);
	if (x->peer > 0)
		close(x->peer);
	unlink(x->path);
	td_teardown(&x->t);
	free(vm);
	free(x);
	return 0;
}

static uint64_t ecam(const struct pci_dev *d, uint32_t off)
{
	return PCI_ECAM_BASE + ((uint64_t)d->slot << 15) + off;
}

static void bus_w(struct bus *b, uint64_t addr, uint64_t v, uint32_t len)
{
	uint8_t d[8];

	for (uint32_t i = 0; i < len; i++)
		d[i] = v >> (8 * i);
	assert_true(bus_dispatch(b, addr, d, len, true));
}

static uint64_t bus_r(struct bus *b, uint64_t addr, uint32_t len)
{
	uint8_t d[8] = {0};
	uint64_t v = 0;

	if (!bus_dispatch(b, addr, d, len, false))
		return ~0ull;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

/* As firmware and a driver would: decode on, MSI-X on, vector 0 aimed and unmasked. */
static void bring_up(struct vm *vm, struct pci_dev *d, uint64_t *bar0, uint64_t *bar2)
{
	struct virtio_pci *vp = d->opaque;

	*bar0 = bus_r(&vm->mmio, ecam(d, PCI_BASE_ADDRESS_0), 4) & ~0xfull;
	*bar2 = bus_r(&vm->mmio, ecam(d, PCI_BASE_ADDRESS_2), 4) & ~0x3ull;
	bus_w(&vm->mmio, ecam(d, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
	bus_w(&vm->mmio, ecam(d, vp->msix.cap + PCI_MSIX_FLAGS), PCI_MSIX_FLAGS_ENABLE, 2);
	bus_w(&vm->mmio, *bar0 + VPCI_MSIX_TABLE_OFF, 0xfee00000, 4);
	bus_w(&vm->mmio, *bar0 + VPCI_MSIX_TABLE_OFF + 4, 0, 4);
	bus_w(&vm->mmio, *bar0 + VPCI_MSIX_TABLE_OFF + 8, 0x41, 4);
	bus_w(&vm->mmio, *bar0 + VPCI_MSIX_TABLE_OFF + 12, 0, 4);
	/* decoded: the common config answers, the I/O notify port is there */
	assert_int_equal(bus_r(&vm->mmio, *bar0 + TD_COMMON(num_queues), 2), vp->nr_queues);
	assert_true(bus_dispatch(&vm->pio, *bar2, (uint8_t[4]){0}, 2, false));
}

/* What the hot-plug core does once the guest ejected: off h->dev[], then release. */
static void unplug(struct vm *vm, struct pci_dev *d)
{
	pthread_mutex_lock(&vm->pci.lock);
	vm->pci.dev[d->slot] = NULL;
	pthread_mutex_unlock(&vm->pci.lock);
	d->release(d);
}

static void release_net_from_io_callback(int fd, uint32_t events, void *opaque)
{
	struct fx *x = opaque;
	struct pci_dev *d = vm_pci_find(x->vm, "sb0");
	uint64_t v;

	(void)events;
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	assert_non_null(d);
	unplug(x->vm, d);
	x->released++;
}

static void net_and_blk_hot_removed(void **state)
{
	struct fx *x = *state;
	struct vm *vm = x->vm;
	struct virtio_net_spec s;
	struct virtio_net *n = NULL;
	struct pci_dev *dn, *db;
	uint64_t nbar0, nbar2, bbar0, bbar2, one = 1;
	unsigned int routes0 = vm->irq.nr_ent, nr_irqfds;
	char spec[96], pkt[64] = {0};
	struct errinfo e;
	int sv[2];

	/* Two devices on the bus. */
	assert_int_equal(
		virtio_net_parse_spec("id=sb0,tap=t,mac=02:11:22:33:44:55,failover=on", &s, &e), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	x->peer = sv[1];
	assert_int_equal(virtio_net_add_fd(vm, sv[0], false, &s, &n, &e), 0);
	snprintf(spec, sizeof(spec), "%s,id=disk0", x->path);
	assert_int_equal(virtio_blk__add(vm, spec, &e), 0);
	dn = vm_pci_find(vm, "sb0");
	db = vm_pci_find(vm, "disk0");
	assert_ptr_equal(dn, &n->vp.pci);
	assert_non_null(db);
	assert_ptr_equal(virtio_net__find(vm, "sb0"), n);
	assert_null(virtio_net__find(vm, "disk0"));
	bring_up(vm, dn, &nbar0, &nbar2);
	bring_up(vm, db, &bbar0, &bbar2);
	assert_int_equal(irqfds_on, 2);
	nr_irqfds = irqfds_assigned;
	assert_true(vm->irq.nr_ent > routes0);

	/*
	 * The release runs from an I/O callback whose batch also holds every
	 * fd of the device: its kicks, its "tap", its failover eventfd.  The
	 * trigger is made ready first so it comes first in the batch.
	 */
	assert_int_equal(vm_io_add(vm, x->trigger, EPOLLIN, release_net_from_io_callback, x, &e),
			 0);
	assert_int_equal(write(x->trigger, &one, sizeof(one)), sizeof(one));
	for (unsigned int q = 0; q < n->vp.nr_queues; q++)
		assert_int_equal(write(n->vp.q[q].kick_efd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(write(n->fo_efd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(send(x->peer, pkt, sizeof(pkt), 0), sizeof(pkt));
	n = NULL; /* freed by the release */
	assert_int_equal(vm_io_poll(vm, 0), 5);
	assert_int_equal(x->released, 1);

	/* Nothing of the net device is left... */
	assert_null(vm_pci_find(vm, "sb0"));
	assert_false(bus_dispatch(&vm->mmio, nbar0, (uint8_t[4]){0}, 4, false));
	assert_false(bus_dispatch(&vm->pio, nbar2, (uint8_t[4]){0}, 2, false));
	assert_int_equal(irqfds_on, 1);
	assert_false(vm->irq.dirty); /* the freed route reached KVM at once */
	assert_int_equal(send(x->peer, pkt, sizeof(pkt), 0), -1); /* its end is closed */
	assert_int_equal(vm_io_poll(vm, 0), 0);
	/* ...and the disk goes on. */
	assert_int_equal(bus_r(&vm->mmio, bbar0 + TD_COMMON(num_queues), 2), 1);
	assert_int_equal(bus_r(&vm->mmio, ecam(db, 0), 4), 0x10421af4);

	/* The disk, from a thread that is not the I/O thread: its own thread joins. */
	unplug(vm, db);
	assert_null(vm_pci_find(vm, "disk0"));
	assert_false(bus_dispatch(&vm->mmio, bbar0, (uint8_t[4]){0}, 4, false));
	assert_false(bus_dispatch(&vm->pio, bbar2, (uint8_t[4]){0}, 2, false));
	assert_int_equal(irqfds_on, 0);
	assert_int_equal(irqfds_assigned, nr_irqfds);
	assert_int_equal(vm->irq.nr_ent, routes0);
	assert_false(vm->irq.dirty);
	vm_io_del(vm, x->trigger);
}

/* vm_io_del() of a handler whose event is in the batch being run: it is not called. */
struct pair {
	struct vm *vm;
	int fd[2];
	unsigned int calls[2];
};

static void pair_cb(int fd, uint32_t events, void *opaque)
{
	struct pair *p = opaque;
	int me = fd == p->fd[1];

	int ret = vm_io_del(p->vm, p->fd[!me]);

	(void)events;
	p->calls[me]++;
	/* the first call takes the other away; later ones find it gone */
	assert_int_equal(ret, p->calls[0] + p->calls[1] == 1 ? 0 : -ENOENT);
}

static void io_del_inside_batch(void **state)
{
	struct fx *x = *state;
	struct pair p = {.vm = x->vm};
	struct errinfo e;
	uint64_t one = 1;

	for (int i = 0; i < 2; i++) {
		p.fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_int_equal(vm_io_add(x->vm, p.fd[i], EPOLLIN, pair_cb, &p, &e), 0);
		assert_int_equal(write(p.fd[i], &one, sizeof(one)), sizeof(one));
	}
	/* Both were ready in one batch; whichever ran first took the other away. */
	assert_int_equal(vm_io_poll(x->vm, 0), 2);
	assert_int_equal(p.calls[0] + p.calls[1], 1);
	/* The one still registered keeps working (level-triggered, still ready). */
	assert_int_equal(vm_io_poll(x->vm, 0), 1);
	assert_int_equal(p.calls[0] + p.calls[1], 2);
	assert_true(p.calls[0] == 2 || p.calls[1] == 2);
	for (int i = 0; i < 2; i++) {
		vm_io_del(x->vm, p.fd[i]);
		close(p.fd[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(net_and_blk_hot_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(io_del_inside_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
