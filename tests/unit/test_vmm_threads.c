// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport used from several threads at once, the way vfvm
 * runs it: vCPU threads access BAR 0 (common registers, ISR, MSI-X table
 * and PBA, kicks) while the device's I/O thread serves the queue, raises
 * config interrupts and marks the device broken.  The checks here are
 * light; the point is the ThreadSanitizer build (tier unit-tsan), where a
 * data race between those paths fails the program.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio_rng.h"

#define ALL_OK                                                                                \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define QSIZE 64
#define ROUNDS 500

struct fixture {
	struct virtio_rng rng;
	struct td t;
	unsigned int signals[VIRTIO_PCI_MAX_QUEUES + 1]; /* atomic */
	bool stop; /* atomic */
	bool break_device; /* the I/O thread also marks the device broken */
};

static void record_signal(struct virtio_pci *vp, uint16_t vector)
{
	struct fixture *f = (struct fixture *)((char *)vp - offsetof(struct fixture, rng.vp));

	__atomic_add_fetch(&f->signals[vector], 1, __ATOMIC_RELAXED);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errinfo e;

	if (!f || td_setup(&f->t) < 0)
		return -1;
	if (virtio_rng_init(&f->rng, NULL, &f->t.mem, &e) < 0)
		return -1;
	f->rng.vp.signal = record_signal;
	f->t.vp = &f->rng.vp;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_pci_exit(&f->rng.vp);
	td_teardown(&f->t);
	free(f);
	return 0;
}

/* The device's I/O thread: serve queue 0, now and then a config change. */
static void *io_thread(void *arg)
{
	struct fixture *f = arg;
	struct virtio_pci *vp = &f->rng.vp;

	for (unsigned int i = 0; !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); i++) {
		vp->ops->notify(vp, 0);
		if (i % 16 == 0)
			virtio_pci_config_changed(vp);
		if (f->break_device && i % 64 == 0)
			virtio_pci_mark_broken(vp);
		sched_yield(); /* three busy threads, maybe two CPUs */
	}
	return NULL;
}

/* A second vCPU: everything a driver touches besides the ring. */
static void *vcpu_registers(void *arg)
{
	struct fixture *f = arg;
	struct td *t = &f->t;

	for (unsigned int i = 0; !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); i++) {
		td_write(t, TD_COMMON(msix_config), i & 1, 2);
		(void)td_read(t, TD_COMMON(msix_config), 2);
		(void)td_read(t, TD_COMMON(config_generation), 1);
		(void)td_status(t);
		(void)td_read(t, VPCI_ISR_OFF, 1);
		/* Vector 1: address, data, unmask; then the pending bits. */
		td_write(t, VPCI_MSIX_TABLE_OFF + 16 + 0, 0xfee00000 | (i & 0xff) << 12, 4);
		td_write(t, VPCI_MSIX_TABLE_OFF + 16 + 8, 0x4040 + (i & 0xf), 4);
		td_write(t, VPCI_MSIX_TABLE_OFF + 16 + 12, 0, 4);
		(void)td_read(t, VPCI_MSIX_PBA_OFF, 4);
		(void)td_read(t, VPCI_DEVCFG_OFF, 4);
		sched_yield();
	}
	return NULL;
}

/*
 * One request on queue 0, waited for.  Kicked: served on this thread (no
 * VM, so no kick eventfd); not kicked: left to the I/O thread.
 */
static void one_request(struct td *t, uint64_t buf, bool kick)
{
	struct td_buf b = {buf, 64, true};
	uint16_t head;
	uint32_t len;

	td_post(t, 0, &b, 1);
	if (kick)
		td_kick(t, 0);
	while (!td_used(t, 0, &head, &len))
		sched_yield();
	assert_int_equal(len, 64);
}

static void start_threads(struct fixture *f, pthread_t *io, pthread_t *regs)
{
	assert_int_equal(pthread_create(io, NULL, io_thread, f), 0);
	assert_int_equal(pthread_create(regs, NULL, vcpu_registers, f), 0);
}

static void stop_threads(struct fixture *f, pthread_t io, pthread_t regs)
{
	__atomic_store_n(&f->stop, true, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(io, NULL), 0);
	assert_int_equal(pthread_join(regs, NULL), 0);
}

/*
 * This thread is the driving vCPU: requests on queue 0 (also served by the
 * I/O thread), and the queue's vector rewritten, which virtio allows while
 * the queue runs.
 */
static void requests_while_registers_change(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = td_alloc(&f->t, 64);
	pthread_t io, regs;

	/* Without EVENT_IDX every completion interrupts: the vector is read each time. */
	assert_int_equal(td_bringup(&f->t, ~(1ull << VIRTIO_RING_F_EVENT_IDX), 1, QSIZE), ALL_OK);
	start_threads(f, &io, &regs);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		one_request(&f->t, buf, i & 2);
		/* queue_select stays 0: the other vCPU does not change it */
		td_write(&f->t, TD_COMMON(queue_msix_vector), 1 + (i & 1) * 0xfffe, 2);
	}
	stop_threads(f, io, regs);
	assert_int_equal(td_status(&f->t), ALL_OK);
	assert_true(__atomic_load_n(&f->signals[0], __ATOMIC_RELAXED) > 0);
	assert_true(__atomic_load_n(&f->signals[1], __ATOMIC_RELAXED) > 0);
}

/*
 * Resets and fresh bring-ups while the I/O thread serves the queue and
 * marks the device broken: status, vectors and queues change under it.
 */
static void reset_while_device_runs(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = td_alloc(&f->t, 64);
	pthread_t io, regs;

	f->break_device = true;
	start_threads(f, &io, &regs);
	for (unsigned int i = 0; i < ROUNDS / 10; i++) {
		uint8_t st = td_bringup(&f->t, ~0ull, 1, QSIZE);

		if (st == ALL_OK)
			one_request(&f->t, buf, i & 1);
		td_set_status(&f->t, 0);
		memset(&f->t.q[0], 0, sizeof(f->t.q[0]));
		memset(td_ptr(&f->t, 0x10000), 0, 0x10000);
	}
	stop_threads(f, io, regs);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(requests_while_registers_change),
		T(reset_while_device_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
