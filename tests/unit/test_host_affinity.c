// SPDX-License-Identifier: GPL-2.0-only
/* Host IRQ steering: /proc/interrupts parsing, the decision, writes to a temp /proc tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host_affinity.h"

/* What Linux 6.12 shows with intel-iommu interrupt remapping (trimmed). */
static const char interrupts[] =
	"            CPU0       CPU1       \n"
	"   0:         48          0   IO-APIC    2-edge      timer\n"
	"   9:          0          0   IO-APIC    9-fasteoi   acpi\n"
	"  24:          0          0  DMAR-MSI    0-edge      dmar0\n"
	"  40:          5          1  IR-PCI-MSIX-0000:00:03.0    0-edge      "
	"vfio-msix[0](0000:00:03.0)\n"
	"  41:          0          0  IR-PCI-MSIX-0000:00:03.0    1-edge      "
	"vfio-msix[1](0000:00:03.0)\n"
	"  42:          0          0  IR-PCI-MSIX-0000:00:03.0    2-edge      "
	"vfio-msix[11](0000:00:03.0)\n"
	"  43:          0          0  IR-PCI-MSI-0000:00:04.0    0-edge      "
	"vfio-msi[0](0000:00:04.0)\n"
	"  44:          0          0  IR-PCI-MSI-0000:00:05.0    0-edge      "
	"virtio0-config, vfio-msi[0](0000:00:05.0), other\n"
	" NMI:          0          0   Non-maskable interrupts\n"
	" LOC:       1000       1000   Local timer interrupts\n"
	" ERR:          0\n";

static void find_exact_action(void **state)
{
	(void)state;
	assert_int_equal(irq_host_find(interrupts, "vfio-msix[0](0000:00:03.0)"), 40);
	assert_int_equal(irq_host_find(interrupts, "vfio-msix[1](0000:00:03.0)"), 41);
	/* "[1]" must not match "[11]" and vice versa */
	assert_int_equal(irq_host_find(interrupts, "vfio-msix[11](0000:00:03.0)"), 42);
	assert_int_equal(irq_host_find(interrupts, "vfio-msi[0](0000:00:04.0)"), 43);
	/* shared line: the action is one of a comma-separated list */
	assert_int_equal(irq_host_find(interrupts, "vfio-msi[0](0000:00:05.0)"), 44);
	assert_int_equal(irq_host_find(interrupts, "virtio0-config"), 44);
	assert_int_equal(irq_host_find(interrupts, "timer"), 0);
}

static void find_misses(void **state)
{
	(void)state;
	assert_int_equal(irq_host_find(interrupts, "vfio-msix[2](0000:00:03.0)"), -ENOENT);
	/* a prefix or a part of an action is not the action */
	assert_int_equal(irq_host_find(interrupts, "vfio-msix[0]"), -ENOENT);
	assert_int_equal(irq_host_find(interrupts, "msix[0](0000:00:03.0)"), -ENOENT);
	/* the chip name column is not an action, nor are the unnumbered lines */
	assert_int_equal(irq_host_find(interrupts, "0000:00:03.0"), -ENOENT);
	assert_int_equal(irq_host_find(interrupts, "interrupts"), -ENOENT);
	assert_int_equal(irq_host_find(interrupts, ""), -ENOENT);
	assert_int_equal(irq_host_find("", "timer"), -ENOENT);
	/* no trailing newline, garbage number */
	assert_int_equal(irq_host_find(" 7:  1  x  act", "act"), 7);
	assert_int_equal(irq_host_find(" 99999999999999999999:  1  act\n", "act"), -ENOENT);
	assert_int_equal(irq_host_find(" 12 1  act\n", "act"), -ENOENT);
}

static void cpulist(void **state)
{
	cpu_set_t s;
	char buf[64];

	(void)state;
	CPU_ZERO(&s);
	irq_cpulist_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "");
	CPU_SET(1, &s);
	irq_cpulist_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "1");
	CPU_SET(0, &s);
	CPU_SET(2, &s);
	CPU_SET(5, &s);
	CPU_SET(7, &s);
	CPU_SET(8, &s);
	irq_cpulist_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "0-2,5,7-8");
	irq_cpulist_format(&s, buf, 4);
	assert_int_equal(strlen(buf) < 4, 1);
}

#define MSI(dest) (0xfee00000ULL | ((uint64_t)(dest) << 12))
#define MSI_LOGICAL (1u << 2)

static void decide_physical(void **state)
{
	const int pinned[] = {1, 3, -1};
	cpu_set_t s;

	(void)state;
	assert_true(irq_steer_targets(false, MSI(0), pinned, 3, &s));
	assert_int_equal(CPU_COUNT(&s), 1);
	assert_true(CPU_ISSET(1, &s));
	assert_true(irq_steer_targets(false, MSI(1), pinned, 3, &s));
	assert_int_equal(CPU_COUNT(&s), 1);
	assert_true(CPU_ISSET(3, &s));
	/* vCPU 2 is not pinned: leave the IRQ alone */
	assert_false(irq_steer_targets(false, MSI(2), pinned, 3, &s));
	/* no such vCPU */
	assert_false(irq_steer_targets(false, MSI(9), pinned, 3, &s));
	/* posted: the host handler does not run */
	assert_false(irq_steer_targets(true, MSI(0), pinned, 3, &s));
	/* not an MSI address */
	assert_false(irq_steer_targets(false, 0xfed00000ULL, pinned, 3, &s));
	assert_false(irq_steer_targets(false, MSI(0) | (1ULL << 32), pinned, 3, &s));
	assert_false(irq_steer_targets(false, MSI(0), pinned, 0, &s));
}

static void decide_broadcast_logical(void **state)
{
	const int all[] = {0, 1, 3};
	const int some[] = {0, -1, 3};
	const int nine[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	cpu_set_t s;

	(void)state;
	/* physical broadcast: every vCPU's CPU, only when all are pinned */
	assert_true(irq_steer_targets(false, MSI(0xff), all, 3, &s));
	assert_int_equal(CPU_COUNT(&s), 3);
	assert_true(CPU_ISSET(0, &s) && CPU_ISSET(1, &s) && CPU_ISSET(3, &s));
	assert_false(irq_steer_targets(false, MSI(0xff), some, 3, &s));
	/* logical flat: bit i = vCPU i */
	assert_true(irq_steer_targets(false, MSI(0x5) | MSI_LOGICAL, all, 3, &s));
	assert_int_equal(CPU_COUNT(&s), 2);
	assert_true(CPU_ISSET(0, &s) && CPU_ISSET(3, &s));
	assert_true(irq_steer_targets(false, MSI(0x4) | MSI_LOGICAL, some, 3, &s));
	assert_int_equal(CPU_COUNT(&s), 1);
	assert_false(irq_steer_targets(false, MSI(0x2) | MSI_LOGICAL, some, 3, &s));
	assert_false(irq_steer_targets(false, MSI(0) | MSI_LOGICAL, all, 3, &s));
	/* cluster mode (more than 8 vCPUs) cannot be decoded */
	assert_false(irq_steer_targets(false, MSI(0x1) | MSI_LOGICAL, nine, 9, &s));
	/* two vCPUs on one CPU: one CPU */
	{
		const int same[] = {1, 1};

		assert_true(irq_steer_targets(false, MSI(0x3) | MSI_LOGICAL, same, 2, &s));
		assert_int_equal(CPU_COUNT(&s), 1);
		assert_true(CPU_ISSET(1, &s));
	}
}

/* A temporary /proc with interrupts and one smp_affinity_list per IRQ. */
struct tree {
	char root[PATH_MAX];
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void aff_path(const struct tree *t, int irq, char *out, size_t size)
{
	snprintf(out, size, "%s/proc/irq/%d/smp_affinity_list", t->root, irq);
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char p[PATH_MAX + 64];

	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/test_host_affinity.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(p, sizeof(p), "%s/proc", t->root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/proc/irq", t->root);
	assert_int_equal(mkdir(p, 0755), 0);
	for (int irq = 40; irq <= 44; irq++) {
		snprintf(p, sizeof(p), "%s/proc/irq/%d", t->root, irq);
		assert_int_equal(mkdir(p, 0755), 0);
		aff_path(t, irq, p, sizeof(p));
		put(p, "0-1\n");
	}
	snprintf(p, sizeof(p), "%s/proc/interrupts", t->root);
	put(p, interrupts);
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static void read_interrupts(void **state)
{
	struct tree *t = *state;
	struct errinfo e = {0};
	char *text = NULL;

	assert_int_equal(irq_host_read_interrupts(t->root, &text, &e), 0);
	assert_string_equal(text, interrupts);
	free(text);
	assert_int_equal(irq_host_read_interrupts("/nonexistent-root", &text, &e), -ENOENT);
	assert_null(text);
	assert_non_null(strstr(e.msg, "/nonexistent-root/proc/interrupts"));
}

static void steer_writes_once_per_destination(void **state)
{
	struct tree *t = *state;
	const int pinned[] = {1, 0};
	struct irq_steer s;
	struct irq_steer_vec v = {0};
	struct errinfo e = {0};
	const char *act = "vfio-msix[1](0000:00:03.0)";
	char p[PATH_MAX + 64];

	irq_steer_init(&s, t->root);
	aff_path(t, 41, p, sizeof(p));
	assert_int_equal(irq_steer_vector(&s, &v, act, NULL, false, MSI(0), pinned, 2, &e), 1);
	assert_string_equal(slurp(p), "1\n");
	assert_int_equal(s.nr_steered, 1);

	/* same destination (another guest vector, mask/unmask): nothing written */
	put(p, "marker\n");
	assert_int_equal(irq_steer_vector(&s, &v, act, NULL, false, MSI(0), pinned, 2, &e), 0);
	assert_string_equal(slurp(p), "marker\n");

	/* destination moves to vCPU 1: follow it */
	assert_int_equal(irq_steer_vector(&s, &v, act, NULL, false, MSI(1), pinned, 2, &e), 1);
	assert_string_equal(slurp(p), "0\n");
	assert_int_equal(s.nr_steered, 2);

	/* host IRQs re-created (MSI-X disabled and enabled): write again */
	put(p, "marker\n");
	irq_steer_vec_reset(&v);
	assert_int_equal(irq_steer_vector(&s, &v, act, interrupts, false, MSI(1), pinned, 2, &e),
			 1);
	assert_string_equal(slurp(p), "0\n");
	assert_false(s.warned);
	assert_int_equal(s.nr_failed, 0);
}

static void steer_leaves_unpinned_and_posted_alone(void **state)
{
	struct tree *t = *state;
	const int unpinned[] = {-1, -1};
	const int pinned[] = {1, 0};
	struct irq_steer s;
	struct irq_steer_vec v = {0};
	struct errinfo e = {0};
	const char *act = "vfio-msix[0](0000:00:03.0)";
	char p[PATH_MAX + 64];

	irq_steer_init(&s, t->root);
	aff_path(t, 40, p, sizeof(p));
	assert_int_equal(irq_steer_vector(&s, &v, act, NULL, false, MSI(0), unpinned, 2, &e), 0);
	assert_string_equal(slurp(p), "0-1\n");
	irq_steer_vec_reset(&v);
	assert_int_equal(irq_steer_vector(&s, &v, act, NULL, true, MSI(0), pinned, 2, &e), 0);
	assert_string_equal(slurp(p), "0-1\n");
	assert_int_equal(s.nr_steered, 0);
	assert_false(s.warned);
}

static void steer_failures_warn_once(void **state)
{
	struct tree *t = *state;
	const int pinned[] = {1, 0};
	struct irq_steer s;
	struct irq_steer_vec v = {0}, w = {0}, x = {0};
	struct errinfo e = {0};
	char p[PATH_MAX + 64];

	irq_steer_init(&s, t->root);
	/* no such IRQ: ENOENT naming the action */
	assert_int_equal(irq_steer_vector(&s, &v, "vfio-msix[7](0000:00:03.0)", NULL, false, MSI(0),
					  pinned, 2, &e),
			 -ENOENT);
	assert_true(s.warned);
	assert_int_equal(s.warn.err, ENOENT);
	assert_non_null(strstr(s.warn.msg, "vfio-msix[7](0000:00:03.0)"));
	assert_int_equal(s.nr_failed, 1);
	/* not retried for the same destination */
	assert_int_equal(irq_steer_vector(&s, &v, "vfio-msix[7](0000:00:03.0)", NULL, false, MSI(0),
					  pinned, 2, &e),
			 0);
	assert_int_equal(s.nr_failed, 1);

	/* the write fails (here: no smp_affinity_list): counted, first warning kept */
	aff_path(t, 42, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(irq_steer_vector(&s, &w, "vfio-msix[11](0000:00:03.0)", NULL, false,
					  MSI(1), pinned, 2, &e),
			 -ENOENT);
	assert_non_null(strstr(e.msg, "smp_affinity_list"));
	assert_non_null(strstr(e.msg, "vfio-msix[11]"));
	assert_int_equal(s.nr_failed, 2);
	assert_non_null(strstr(s.warn.msg, "vfio-msix[7]"));

	/* /proc/interrupts unreadable */
	snprintf(p, sizeof(p), "%s/proc/interrupts", t->root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(irq_steer_vector(&s, &x, "vfio-msix[0](0000:00:03.0)", NULL, false, MSI(0),
					  pinned, 2, &e),
			 -ENOENT);
	assert_int_equal(s.nr_failed, 3);
	assert_non_null(strstr(s.warn.msg, "vfio-msix[7]"));
}

static void set_affinity_errors(void **state)
{
	struct tree *t = *state;
	struct errinfo e = {0};
	cpu_set_t s;
	char p[PATH_MAX + 64];

	CPU_ZERO(&s);
	assert_int_equal(irq_host_set_affinity(t->root, 40, &s, &e), -EINVAL);
	CPU_SET(0, &s);
	CPU_SET(1, &s);
	assert_int_equal(irq_host_set_affinity(t->root, 40, &s, &e), 0);
	aff_path(t, 40, p, sizeof(p));
	assert_string_equal(slurp(p), "0-1\n");
	/* a directory where the file should be: the open fails, errno kept */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(irq_host_set_affinity(t->root, 40, &s, &e), -EISDIR);
	assert_int_equal(e.err, EISDIR);
	assert_non_null(strstr(e.msg, "/proc/irq/40/smp_affinity_list"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_exact_action),
		cmocka_unit_test(find_misses),
		cmocka_unit_test(cpulist),
		cmocka_unit_test(decide_physical),
		cmocka_unit_test(decide_broadcast_logical),
		cmocka_unit_test_setup_teardown(read_interrupts, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(steer_writes_once_per_destination, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(steer_leaves_unpinned_and_posted_alone, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(steer_failures_warn_once, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(set_affinity_errors, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
