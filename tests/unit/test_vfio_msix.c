// SPDX-License-Identifier: GPL-2.0-only
/* MSI-X table emulation, MSI and INTx wiring against a fake VFIO device. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/pci.h>

#include "pdev.h"
#include "helpers/fake_vfio.h"

#define NVEC 8

struct fix {
	struct fake_vfio f;
	struct fake_irq fi;
	struct irq_source irq;
	struct vfio_device dev;
	struct vfio_pdev p;
};

static int setup(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	struct vfio_pdev_opts o = {.intx_gsi = 16, .page_size = 4096};
	struct errinfo e = {0};

	fake_vfio_nvme_vf(&x->f, NVEC, false);
	fake_irq_init(&x->fi, &x->irq);
	if (vfio_device_setup(&x->dev, &x->f.sys, x->f.fd, "0000:01:00.1", &e) ||
	    vfio_pdev_init(&x->p, &x->dev, &x->irq, &o, &e)) {
		fail_msg("setup: %s", e.msg);
	}
	x->f.fd = -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;

	vfio_pdev_exit(&x->p);
	vfio_device_close(&x->dev);
	fake_vfio_free(&x->f);
	free(x);
	return 0;
}

static void tbl_w32(struct fix *x, unsigned int vec, unsigned int field, uint32_t v)
{
	vfio_pdev_bar_access(&x->p, 0, 0x2000 + vec * 16 + field, (uint8_t *)&v, 4, true);
}

static uint32_t tbl_r32(struct fix *x, unsigned int vec, unsigned int field)
{
	uint32_t v;

	vfio_pdev_bar_access(&x->p, 0, 0x2000 + vec * 16 + field, (uint8_t *)&v, 4, false);
	return v;
}

static uint64_t pba(struct fix *x)
{
	uint64_t v;

	vfio_pdev_bar_access(&x->p, 0, 0x3000, (uint8_t *)&v, 8, false);
	return v;
}

static void msix_ctrl(struct fix *x, uint16_t bits)
{
	vfio_pdev_cfg_write(&x->p, x->p.cfg.msix_cap + PCI_MSIX_FLAGS, 2, bits);
}

static void program(struct fix *x, unsigned int vec, uint32_t ctrl)
{
	tbl_w32(x, vec, PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000 | (vec << 12));
	tbl_w32(x, vec, PCI_MSIX_ENTRY_UPPER_ADDR, 0);
	tbl_w32(x, vec, PCI_MSIX_ENTRY_DATA, 0x40 + vec);
	tbl_w32(x, vec, PCI_MSIX_ENTRY_VECTOR_CTRL, ctrl);
}

static void test_enable_registers_all_vectors_once(void **state)
{
	struct fix *x = *state;
	const struct fake_vfio_irqset *s = &x->f.last_set[VFIO_PCI_MSIX_IRQ_INDEX];

	for (unsigned int v = 0; v < NVEC; v++)
		program(x, v, 0);
	/* nothing happens while MSI-X is disabled */
	assert_int_equal(x->f.nr_set_irqs[VFIO_PCI_MSIX_IRQ_INDEX], 0);
	assert_int_equal(x->fi.nr_assign, 0);

	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(x->f.nr_set_irqs[VFIO_PCI_MSIX_IRQ_INDEX], 1);
	assert_int_equal(s->start, 0);
	assert_int_equal(s->count, NVEC);
	assert_int_equal(s->flags, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(x->fi.nr_real_commits, 1);
	assert_int_equal(x->fi.nr_assign, NVEC);
	for (unsigned int v = 0; v < NVEC; v++) {
		const struct msix_vec *mv = &x->p.msix.vec[v];
		const struct fake_irq_gsi *g = &x->fi.gsi[mv->gsi];

		/* the VFIO trigger is the KVM irqfd */
		assert_int_equal(s->fds[v], mv->efd);
		assert_true(g->irqfd);
		assert_int_equal(g->efd, mv->efd);
		assert_int_equal(g->resamplefd, -1);
		assert_true(g->addr == (0xfee00000ULL | (v << 12)));
		assert_int_equal(g->data, 0x40 + v);
	}
	/* the device's own table memory was never written */
	assert_int_equal(x->f.nr_bar_writes, 0);
}

static void test_mask_unmask_keeps_pending(void **state)
{
	struct fix *x = *state;
	struct msix_vec_info info;
	unsigned int set_before;
	uint64_t one = 1;
	int efd;

	program(x, 3, 0);
	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE);
	set_before = x->f.nr_set_irqs[VFIO_PCI_MSIX_IRQ_INDEX];
	efd = x->p.msix.vec[3].efd;
	assert_true(x->fi.gsi[x->p.msix.vec[3].gsi].irqfd);

	tbl_w32(x, 3, PCI_MSIX_ENTRY_VECTOR_CTRL, 1);
	assert_false(x->fi.gsi[x->p.msix.vec[3].gsi].irqfd);
	assert_int_equal(pba(x), 0);
	/* the device fires while masked: pending, not delivered */
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(pba(x), 1u << 3);
	assert_int_equal(msix_vector_info(&x->p.msix, 3, &info), 0);
	assert_true(info.pending);
	assert_true(info.masked);

	tbl_w32(x, 3, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_true(x->fi.gsi[x->p.msix.vec[3].gsi].irqfd);
	/* the eventfd still holds the interrupt: KVM delivers it on attach */
	assert_int_equal(x->fi.gsi[x->p.msix.vec[3].gsi].efd, efd);
	/* mask/unmask never went to VFIO */
	assert_int_equal(x->f.nr_set_irqs[VFIO_PCI_MSIX_IRQ_INDEX], set_before);
}

static void test_route_changes_commit_only_when_needed(void **state)
{
	struct fix *x = *state;
	unsigned int commits, routes;
	int gsi;

	program(x, 0, 0);
	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE);
	gsi = x->p.msix.vec[0].gsi;
	commits = x->fi.nr_real_commits;
	routes = x->fi.nr_routes;
	/* same message again: nothing sent */
	program(x, 0, 0);
	assert_int_equal(x->fi.nr_real_commits, commits);
	assert_int_equal(x->fi.nr_routes, routes);
	/* new destination while unmasked: one route, one commit */
	tbl_w32(x, 0, PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee02000);
	assert_true(x->fi.gsi[gsi].addr == 0xfee02000ULL);
	assert_int_equal(x->fi.nr_real_commits, commits + 1);
	/* masked vectors' messages are staged only when unmasked */
	program(x, 5, 1);
	assert_false(x->fi.gsi[x->p.msix.vec[5].gsi].routed);
	tbl_w32(x, 5, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_true(x->fi.gsi[x->p.msix.vec[5].gsi].routed);
	assert_int_equal(x->fi.gsi[x->p.msix.vec[5].gsi].data, 0x45);
}

static void test_function_mask_and_disable(void **state)
{
	struct fix *x = *state;
	const struct fake_vfio_irqset *s = &x->f.last_set[VFIO_PCI_MSIX_IRQ_INDEX];

	for (unsigned int v = 0; v < NVEC; v++)
		program(x, v, 0);
	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_int_equal(x->fi.nr_assign, 0);
	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(x->fi.nr_assign, NVEC);
	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_int_equal(x->fi.nr_deassign, NVEC);
	msix_ctrl(x, 0);
	assert_int_equal(s->count, 0);
	assert_int_equal(s->flags, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
	for (unsigned int v = 0; v < NVEC; v++)
		assert_false(x->fi.gsi[x->p.msix.vec[v].gsi].irqfd);
	/* re-enable: one SET_IRQS again, same eventfds */
	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(s->count, NVEC);
	assert_int_equal(s->fds[0], x->p.msix.vec[0].efd);
}

static void test_table_readback_and_reserved_bits(void **state)
{
	struct fix *x = *state;
	uint64_t q = 0x00000001fee01004ULL;

	/* qword write of address */
	vfio_pdev_bar_access(&x->p, 0, 0x2000 + 16 * 2, (uint8_t *)&q, 8, true);
	assert_int_equal(tbl_r32(x, 2, PCI_MSIX_ENTRY_LOWER_ADDR), 0xfee01004);
	assert_int_equal(tbl_r32(x, 2, PCI_MSIX_ENTRY_UPPER_ADDR), 1);
	tbl_w32(x, 2, PCI_MSIX_ENTRY_VECTOR_CTRL, 0xfffffffe);
	assert_int_equal(tbl_r32(x, 2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	/* vectors come out of reset masked */
	assert_int_equal(tbl_r32(x, 7, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
	/* PBA is read-only */
	q = ~0ULL;
	vfio_pdev_bar_access(&x->p, 0, 0x3000, (uint8_t *)&q, 8, true);
	assert_int_equal(pba(x), 0);
}

static void test_hostile_table_access(void **state)
{
	struct fix *x = *state;
	uint8_t buf[8];
	uint32_t seed = 99;

	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE);
	/* past the table (8 vectors = 128 bytes) but inside the trapped page */
	memset(buf, 0xab, sizeof(buf));
	vfio_pdev_bar_access(&x->p, 0, 0x2000 + 6 * 16 + 12, buf, 8, false); /* straddles */
	assert_int_equal(buf[0], 0xff);
	for (uint64_t off = 0x1ff0; off < 0x4010; off++)
		for (uint32_t len = 0; len <= 9; len++) {
			memset(buf, 0x5a, sizeof(buf));
			vfio_pdev_bar_access(&x->p, 0, off, buf, len, true);
			vfio_pdev_bar_access(&x->p, 0, off, buf, len > 8 ? 8 : len, false);
		}
	for (int i = 0; i < 100000; i++) {
		uint64_t off;
		uint32_t len, val;

		seed = seed * 1103515245 + 12345;
		off = 0x2000 + (seed >> 8) % 0x2100;
		len = 1u << ((seed >> 3) % 4);
		seed = seed * 1103515245 + 12345;
		val = seed;
		memcpy(buf, &val, 4);
		memcpy(buf + 4, &val, 4);
		vfio_pdev_bar_access(&x->p, 0, off, buf, len, i & 1);
		if (!(i % 7))
			msix_ctrl(x, (uint16_t)(seed & 0xc000));
	}
	/* accesses beyond the BAR and to BARs that do not exist */
	vfio_pdev_bar_access(&x->p, 0, 0x4000, buf, 4, false);
	assert_int_equal(buf[0], 0xff);
	vfio_pdev_bar_access(&x->p, 3, 0, buf, 4, true);
	vfio_pdev_bar_access(&x->p, -1, 0, buf, 4, true);
	vfio_pdev_bar_access(&x->p, 17, 0, buf, 4, false);
	assert_int_equal(x->f.nr_oob, 0);
	assert_int_equal(x->p.msix.nr_errors, 0);
}

static void test_msi_multi_vector(void **state)
{
	struct fake_vfio f;
	struct fake_irq fi;
	struct irq_source irq;
	struct vfio_device dev;
	struct vfio_pdev p;
	struct vfio_pdev_opts o = {.intx_gsi = 17, .page_size = 4096};
	struct errinfo e = {0};
	uint8_t cap;

	(void)state;
	fake_vfio_init(&f, 0x8086, 0x10d3, 0x020000);
	fake_vfio_bar(&f, 0, 0x20000, 0, true);
	cap = fake_vfio_msi(&f, 2, true, true);
	fake_irq_init(&fi, &irq);
	assert_int_equal(vfio_device_setup(&dev, &f.sys, f.fd, "0000:02:00.0", &e), 0);
	f.fd = -1;
	assert_int_equal(vfio_pdev_init(&p, &dev, &irq, &o, &e), 0);
	/* INTx wired at start: trigger irqfd with resamplefd = VFIO unmask fd */
	assert_true(fi.gsi[17].irqfd);
	assert_int_equal(fi.gsi[17].resamplefd, p.intx.resample_efd);
	assert_int_equal(f.last_set[VFIO_PCI_INTX_IRQ_INDEX].flags,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK);
	assert_int_equal(f.last_set[VFIO_PCI_INTX_IRQ_INDEX].fds[0], p.intx.resample_efd);

	vfio_pdev_cfg_write(&p, cap + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
	vfio_pdev_cfg_write(&p, cap + PCI_MSI_DATA_64, 2, 0x60);
	vfio_pdev_cfg_write(&p, cap + PCI_MSI_MASK_64, 4, 0x2);
	vfio_pdev_cfg_write(&p, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | (2 << 4));
	assert_false(fi.gsi[17].irqfd); /* INTx off before MSI on */
	assert_int_equal(f.last_set[VFIO_PCI_MSI_IRQ_INDEX].count, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(fi.gsi[p.msi.gsi[i]].data, 0x60 | i);
		assert_int_equal(f.last_set[VFIO_PCI_MSI_IRQ_INDEX].fds[i], p.msi.efd[i]);
		assert_int_equal(fi.gsi[p.msi.gsi[i]].irqfd, i != 1);
	}
	/* disable: back to INTx */
	vfio_pdev_cfg_write(&p, cap + PCI_MSI_FLAGS, 2, 0);
	assert_int_equal(f.last_set[VFIO_PCI_MSI_IRQ_INDEX].count, 0);
	assert_true(fi.gsi[17].irqfd);
	assert_int_equal(p.nr_errors, 0);
	vfio_pdev_exit(&p);
	vfio_device_close(&dev);
	fake_vfio_free(&f);
}

static void test_gsi_exhaustion_is_reported(void **state)
{
	struct fix *x = *state;

	x->fi.fail_alloc = 3;
	msix_ctrl(x, PCI_MSIX_FLAGS_ENABLE);
	/* MSI-X stays off, VFIO not touched, the error is kept for the log */
	assert_false(x->p.msix.enabled);
	assert_int_equal(x->f.nr_set_irqs[VFIO_PCI_MSIX_IRQ_INDEX], 0);
	assert_true(x->p.nr_errors > 0);
	assert_non_null(strstr(x->p.last_err.msg, "MSI-X vector 3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enable_registers_all_vectors_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mask_unmask_keeps_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_changes_commit_only_when_needed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_function_mask_and_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_readback_and_reserved_bits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_table_access, setup, teardown),
		cmocka_unit_test(test_msi_multi_vector),
		cmocka_unit_test_setup_teardown(test_gsi_exhaustion_is_reported, setup, teardown),
	};

	return cmocka_run_group_tests_name("vfio_msix", tests, NULL, NULL);
}
