// SPDX-License-Identifier: GPL-2.0-only
/* GSI allocator and batched KVM routing table, with a fake KVM ioctl. */
#include <errno.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "irq.h"

/* What the fake KVM saw; one test at a time, so file scope is fine here. */
static struct {
	int set_routing_calls;
	unsigned int last_nr;
	struct kvm_irq_routing_entry last[128];
	struct kvm_irqfd last_irqfd;
	int irqfd_calls;
	int fail_with; /* -errno for the next call */
} kvm;

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (kvm.fail_with) {
		int r = kvm.fail_with;

		kvm.fail_with = 0;
		return r;
	}
	if (req == KVM_SET_GSI_ROUTING) {
		struct kvm_irq_routing *t = arg;

		kvm.set_routing_calls++;
		kvm.last_nr = t->nr;
		memcpy(kvm.last, t->entries, (t->nr < 128 ? t->nr : 128) * sizeof(t->entries[0]));
	} else if (req == KVM_IRQFD) {
		kvm.irqfd_calls++;
		kvm.last_irqfd = *(struct kvm_irqfd *)arg;
	}
	return 0;
}

static const struct irq_kvm_ops ops = {.ioctl = fake_ioctl};

static int setup(void **state)
{
	struct irq_routing *r = calloc(1, sizeof(*r));
	struct errinfo e = {0};

	memset(&kvm, 0, sizeof(kvm));
	assert_int_equal(irq_routing_init(r, 3, 64, true, &ops, &e), 0);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	irq_routing_exit(*state);
	free(*state);
	return 0;
}

static const struct kvm_irq_routing_entry *route_of(unsigned int gsi)
{
	for (unsigned int i = 0; i < kvm.last_nr; i++)
		if (kvm.last[i].gsi == gsi && kvm.last[i].type == KVM_IRQ_ROUTING_MSI)
			return &kvm.last[i];
	return NULL;
}

static void nothing_sent_until_something_changes(void **state)
{
	struct irq_routing *r = *state;
	struct errinfo e = {0};

	assert_int_equal(irq_routing_commit(r, &e), 0);
	assert_int_equal(kvm.set_routing_calls, 0);
}

static void gsis_from_24_and_reused(void **state)
{
	struct irq_routing *r = *state;
	struct errinfo e = {0};

	assert_int_equal(irq_gsi_alloc(r, &e), 24);
	assert_int_equal(irq_gsi_alloc(r, &e), 25);
	assert_int_equal(irq_gsi_alloc(r, &e), 26);
	irq_gsi_free(r, 25);
	assert_int_equal(irq_gsi_alloc(r, &e), 25);
	/* irqchip GSIs cannot be freed into the MSI pool */
	irq_gsi_free(r, 4);
	assert_int_equal(irq_gsi_alloc(r, &e), 27);
	for (int i = 28; i < 64; i++)
		assert_int_equal(irq_gsi_alloc(r, &e), i);
	assert_int_equal(irq_gsi_alloc(r, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "64"));
}

static void routes_batched_and_unchanged_not_resent(void **state)
{
	struct irq_routing *r = *state;
	struct errinfo e = {0};
	struct msi_msg m1 = {0xfee00000, 0, 0x41}, m2 = {0xfee01000, 0, 0x42};
	int a = irq_gsi_alloc(r, &e), b = irq_gsi_alloc(r, &e);

	assert_int_equal(irq_route_msi(r, (unsigned int)a, &m1, &e), 0);
	assert_int_equal(irq_route_msi(r, (unsigned int)b, &m2, &e), 0);
	assert_int_equal(kvm.set_routing_calls, 0);
	assert_int_equal(irq_routing_commit(r, &e), 0);
	assert_int_equal(kvm.set_routing_calls, 1);
	/* the irqchip routes (16 PIC + 24 IOAPIC) are kept in every table */
	assert_int_equal(kvm.last_nr, 40 + 2);
	assert_int_equal(route_of((unsigned int)a)->u.msi.data, 0x41);
	assert_int_equal(route_of((unsigned int)b)->u.msi.address_lo, 0xfee01000);
	/* same message again: nothing to send */
	assert_int_equal(irq_route_msi(r, (unsigned int)a, &m1, &e), 0);
	assert_int_equal(irq_routing_commit(r, &e), 0);
	assert_int_equal(kvm.set_routing_calls, 1);
	/* a change is sent, updated in place */
	m1.data = 0x51;
	assert_int_equal(irq_route_msi(r, (unsigned int)a, &m1, &e), 0);
	assert_int_equal(irq_routing_commit(r, &e), 0);
	assert_int_equal(kvm.set_routing_calls, 2);
	assert_int_equal(kvm.last_nr, 42);
	assert_int_equal(route_of((unsigned int)a)->u.msi.data, 0x51);
	/* freeing drops the route */
	irq_gsi_free(r, (unsigned int)b);
	assert_int_equal(irq_routing_commit(r, &e), 0);
	assert_int_equal(kvm.last_nr, 41);
	assert_null(route_of((unsigned int)b));
	assert_int_equal(r->nr_commits, 3);
}

static void irqchip_default_routes(void **state)
{
	struct irq_routing *r = *state;
	struct errinfo e = {0};
	int pic = 0, ioapic = 0;
	struct msi_msg m = {0xfee00000, 0, 0x30};

	irq_route_msi(r, (unsigned int)irq_gsi_alloc(r, &e), &m, &e);
	irq_routing_commit(r, &e);
	for (unsigned int i = 0; i < kvm.last_nr; i++) {
		if (kvm.last[i].type != KVM_IRQ_ROUTING_IRQCHIP)
			continue;
		if (kvm.last[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			assert_int_equal(kvm.last[i].u.irqchip.pin, kvm.last[i].gsi);
			ioapic++;
		} else {
			assert_true(kvm.last[i].gsi < 16);
			assert_int_equal(kvm.last[i].u.irqchip.pin, kvm.last[i].gsi % 8);
			pic++;
		}
	}
	assert_int_equal(pic, 16);
	assert_int_equal(ioapic, 24);
}

static void bad_gsi_and_kvm_failure(void **state)
{
	struct irq_routing *r = *state;
	struct errinfo e = {0};
	struct msi_msg m = {0xfee00000, 0, 0x41};
	int g = irq_gsi_alloc(r, &e);

	assert_int_equal(irq_route_msi(r, 5, &m, &e), -EINVAL);
	assert_int_equal(irq_route_msi(r, 64, &m, &e), -EINVAL);
	irq_route_msi(r, (unsigned int)g, &m, &e);
	kvm.fail_with = -EINVAL;
	assert_int_equal(irq_routing_commit(r, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "KVM_SET_GSI_ROUTING"));
	/* still dirty: the next commit retries */
	assert_int_equal(irq_routing_commit(r, &e), 0);
	assert_int_equal(kvm.set_routing_calls, 1);
}

static void irqfd_flags(void **state)
{
	struct irq_routing *r = *state;
	struct errinfo e = {0};

	assert_int_equal(irq_irqfd_assign(r, 7, 30, -1, &e), 0);
	assert_int_equal(kvm.last_irqfd.fd, 7);
	assert_int_equal(kvm.last_irqfd.gsi, 30);
	assert_int_equal(kvm.last_irqfd.flags, 0);
	assert_int_equal(irq_irqfd_assign(r, 8, 17, 9, &e), 0);
	assert_int_equal(kvm.last_irqfd.flags, KVM_IRQFD_FLAG_RESAMPLE);
	assert_int_equal(kvm.last_irqfd.resamplefd, 9);
	assert_int_equal(irq_irqfd_deassign(r, 7, 30, &e), 0);
	assert_int_equal(kvm.last_irqfd.flags, KVM_IRQFD_FLAG_DEASSIGN);
	kvm.fail_with = -EBUSY;
	assert_int_equal(irq_irqfd_assign(r, 7, 30, -1, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "eventfd 7"));
}

static void no_irqchip_table_starts_empty(void **state)
{
	struct irq_routing r;
	struct errinfo e = {0};
	struct msi_msg m = {0xfee00000, 0, 0x41};

	(void)state;
	memset(&kvm, 0, sizeof(kvm));
	assert_int_equal(irq_routing_init(&r, 3, 32, false, &ops, &e), 0);
	irq_route_msi(&r, (unsigned int)irq_gsi_alloc(&r, &e), &m, &e);
	assert_int_equal(irq_routing_commit(&r, &e), 0);
	assert_int_equal(kvm.last_nr, 1);
	irq_routing_exit(&r);
	assert_int_equal(irq_routing_init(&r, 3, 10, false, &ops, &e), -EINVAL);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(nothing_sent_until_something_changes),
		T(gsis_from_24_and_reused),
		T(routes_batched_and_unchanged_not_resent),
		T(irqchip_default_routes),
		T(bad_gsi_and_kvm_failure),
		T(irqfd_flags),
		T(no_irqchip_table_starts_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
