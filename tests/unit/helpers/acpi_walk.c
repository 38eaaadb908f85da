// SPDX-License-Identifier: GPL-2.0-only
/* ACPI table reading for unit tests: see acpi_walk.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"
#include "acpi_walk.h"

uint32_t acpi_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t acpi_rd64(const uint8_t *p)
{
	return acpi_rd32(p) | (uint64_t)acpi_rd32(p + 4) << 32;
}

uint8_t *acpi_table(uint8_t *buf, uint64_t gpa)
{
	assert_true(gpa >= ACPI_TABLES_BASE && gpa < ACPI_TABLES_BASE + ACPI_TABLES_SIZE);
	return buf + (gpa - ACPI_TABLES_BASE);
}

uint8_t *acpi_find(uint8_t *buf, const char *sig)
{
	uint8_t *xsdt = acpi_table(buf, acpi_rd64(buf + 24));
	uint32_t n = (acpi_rd32(xsdt + 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t *t = acpi_table(buf, acpi_rd64(xsdt + 36 + 8 * i));

		if (!memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}
