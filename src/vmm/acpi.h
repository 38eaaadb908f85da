/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI tables for Linux guests: RSDP, XSDT, FADT (PM1 ports, reset
 * register, fixed power button), MADT (one LAPIC per vCPU, IOAPIC, SCI
 * override), MCFG (ECAM for bus 0) and a DSDT describing the PCI host
 * bridge (bus 0, I/O, 32-bit and 64-bit MMIO windows, _PRT) and \_S5;
 * with guest NUMA (numa.h) also SRAT, SLIT and _PXM on device slots.
 */
#ifndef VFVM_ACPI_H
#define VFVM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"

#define ACPI_TABLES_BASE 0xE0000ULL /* RSDP here, where the BIOS-area scan finds it */
#define ACPI_TABLES_SIZE 0x10000ULL

/* SRAT Memory Affinity: RAM [base, base + size) is in proximity domain @pxm. */
struct acpi_numa_mem {
	uint64_t base, size;
	uint32_t pxm;
};

/* Name (_PXM, @pxm) in the DSDT device of bus-0 slot @slot. */
struct acpi_pxm {
	unsigned int slot;
	uint32_t pxm;
};

struct acpi_cfg {
	unsigned int nr_cpus;
	uint64_t mmio32_base, mmio32_size;
	uint64_t mmio64_base, mmio64_size;
	uint64_t ecam_base;
	/*
	 * Guest NUMA: @nr_nodes proximity domains (0: no SRAT/SLIT); the
	 * domain of each vCPU (APIC ID = index, @nr_cpus entries), the RAM
	 * ranges of each domain, the SLIT (@nr_nodes rows of @nr_nodes) and
	 * the _PXM of device slots.
	 */
	unsigned int nr_nodes;
	const uint32_t *cpu_pxm;
	const struct acpi_numa_mem *mem;
	unsigned int nr_mem;
	const uint8_t *slit;
	const struct acpi_pxm *pxm;
	unsigned int nr_pxm;
	/*
	 * _PXM of the host bridge (PCI0) when @bridge_has_pxm: Linux gives a
	 * PCI device the node of its root bus and reads no _PXM below it.
	 */
	bool bridge_has_pxm;
	uint32_t bridge_pxm;
};

/*
 * Write all tables into @buf (guest memory at guest address @gpa, @size
 * bytes).  Returns the total length used, or -errno.  The RSDP is at
 * offset 0.
 */
int acpi_build(uint8_t *buf, uint64_t gpa, size_t size, const struct acpi_cfg *c,
	       struct errinfo *e);

/* 8-bit checksum helper: the sum of @len bytes (0 for a valid table). */
uint8_t acpi_sum(const uint8_t *p, size_t len);

#endif
