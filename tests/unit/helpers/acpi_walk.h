/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading the ACPI tables acpi_build() wrote at ACPI_TABLES_BASE into a
 * test's buffer: little-endian fields, a table by its guest address, and a
 * table by its signature through the XSDT (test_acpi, test_numa).
 */
#ifndef TEST_ACPI_WALK_H
#define TEST_ACPI_WALK_H

#include <stdint.h>

uint32_t acpi_rd32(const uint8_t *p);
uint64_t acpi_rd64(const uint8_t *p);
/* The table at guest address @gpa (asserted inside the tables' area). */
uint8_t *acpi_table(uint8_t *buf, uint64_t gpa);
/* The table the XSDT lists with signature @sig, NULL when none. */
uint8_t *acpi_find(uint8_t *buf, const char *sig);

#endif
