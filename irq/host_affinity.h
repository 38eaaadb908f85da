/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host IRQ steering for passed-through device vectors.
 *
 * When a device interrupt cannot be posted (no VT-d PI / AMD GA, or no
 * APICv/AVIC), the host IRQ handler runs, signals the irqfd, and KVM kicks
 * the target vCPU.  If that handler runs on the CPU the vCPU is pinned to,
 * the kick is a local one instead of an IPI; so each vector's host IRQ is
 * steered (/proc/irq/N/smp_affinity_list) to the host CPUs of the vCPUs its
 * MSI address targets.  Unpinned vCPUs leave the IRQ alone: the scheduler
 * may move them anywhere, and irqbalance knows better then.
 *
 * Linux names the host IRQs of vfio-pci "vfio-msix[N](BDF)" and
 * "vfio-msi[N](BDF)"; the number is found by that action name in
 * /proc/interrupts.  Every /proc path is prefixed with a root string ("" on
 * the real system) so tests can run against a temporary tree.
 *
 * Failures (EIO on kernel-managed IRQs, EPERM, no such IRQ) are never
 * fatal: the first one is kept in struct irq_steer as a warning for the
 * VMM to log, the rest only counted.
 */
#ifndef VFVM_HOST_AFFINITY_H
#define VFVM_HOST_AFFINITY_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"

/*
 * The IRQ number of the line of @text (the contents of /proc/interrupts)
 * whose action list names exactly @action; -ENOENT when none does.
 */
int irq_host_find(const char *text, const char *action);

/* Read ROOT/proc/interrupts into *@text (malloc'd, NUL-terminated). */
int irq_host_read_interrupts(const char *root, char **text, struct errinfo *e);

/* "0-2,5" for a CPU set ("" when empty, truncated to @size). */
void irq_cpulist_format(const cpu_set_t *cpus, char *buf, size_t size);

/* Write @cpus to ROOT/proc/irq/@irq/smp_affinity_list. */
int irq_host_set_affinity(const char *root, int irq, const cpu_set_t *cpus, struct errinfo *e);

/*
 * Which host CPUs should take the host IRQ of an MSI with address @addr
 * (x86: 0xFEE, destination APIC ID in bits 19:12, bit 2 logical mode).
 * @host_cpu[i] is the host CPU vCPU i (APIC ID i) is pinned to, -1 when
 * not pinned.  Returns true with @out filled when the IRQ should be
 * steered; false to leave it alone: @posted (the interrupt is delivered
 * without the host handler), not an MSI address, a target vCPU that does
 * not exist or is not pinned, logical cluster mode (more than 8 vCPUs).
 */
bool irq_steer_targets(bool posted, uint64_t addr, const int *host_cpu, unsigned int nr_vcpus,
		       cpu_set_t *out);

/* Per-device steering state. */
struct irq_steer {
	char root[256]; /* /proc prefix, "" on the real system */
	unsigned int nr_steered; /* smp_affinity_list writes that worked */
	unsigned int nr_failed;
	bool warned; /* @warn holds the first failure */
	struct errinfo warn;
	/*
	 * Set: a privileged helper finds the IRQ named @action and writes its
	 * affinity (the VMM may not read /proc or write /proc/irq itself).
	 */
	int (*set)(void *opaque, const char *action, const cpu_set_t *cpus, struct errinfo *e);
	void *set_opaque;
};

/* MSI address bits naming the target: destination id, redirection hint, mode */
#define IRQ_MSI_DEST_KEY_MASK 0xffffcu

/* Per-vector state: the destination last acted on. */
struct irq_steer_vec {
	bool valid; /* @dest_key is what the host IRQ is steered for */
	uint32_t dest_key; /* destination fields of the MSI address */
};

void irq_steer_init(struct irq_steer *s, const char *root);

/* The vector's host IRQ went away (MSI/MSI-X disabled): forget it. */
static inline void irq_steer_vec_reset(struct irq_steer_vec *v)
{
	v->valid = false;
}

/* Would irq_steer_vector() act on @addr (its destination changed)? */
static inline bool irq_steer_vec_stale(const struct irq_steer_vec *v, uint64_t addr)
{
	return !v->valid || v->dest_key != ((uint32_t)addr & IRQ_MSI_DEST_KEY_MASK);
}

/*
 * The route of the vector whose host IRQ is named @action now targets
 * @addr.  Does nothing (returns 0) when the destination is what the vector
 * was last steered for; otherwise decides with irq_steer_targets() and
 * writes the host IRQ's affinity.  @text: /proc/interrupts contents when
 * the caller already read them (several vectors at once), NULL to read
 * them here.  Returns 1 when the affinity was written, 0 when left alone,
 * -errno on failure (@e filled, the first failure also kept in s->warn);
 * a failed destination is not retried until it changes.
 */
int irq_steer_vector(struct irq_steer *s, struct irq_steer_vec *v, const char *action,
		     const char *text, bool posted, uint64_t addr, const int *host_cpu,
		     unsigned int nr_vcpus, struct errinfo *e);

#endif
