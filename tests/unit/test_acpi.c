// SPDX-License-Identifier: GPL-2.0-only
/* ACPI tables: checksums, table chain, MADT/MCFG/FADT contents, AML encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"
#include "helpers/acpi_walk.h"
#include "aml.h"
#include "platform.h"

#define BASE 0xe0000ULL
#define SIZE 0x10000

static const struct acpi_cfg cfg = {
	.nr_cpus = 3,
	.mmio32_base = 0xc0000000,
	.mmio32_size = 0x20000000,
	.mmio64_base = 0x400000000ULL,
	.mmio64_size = 64ULL << 30,
	.ecam_base = 0xe0000000,
};

static void checksums_and_chain(void **state)
{
	uint8_t *buf = calloc(1, SIZE);
	struct errinfo e = {0};
	uint8_t *xsdt, *fadt, *dsdt;
	int len;

	(void)state;
	len = acpi_build(buf, BASE, SIZE, &cfg, &e);
	assert_true(len > 0 && len <= SIZE);
	assert_memory_equal(buf, "RSD PTR ", 8);
	assert_int_equal(buf[15], 2);
	assert_int_equal(acpi_sum(buf, 20), 0);
	assert_int_equal(acpi_sum(buf, 36), 0);
	xsdt = acpi_table(buf, acpi_rd64(buf + 24));
	assert_memory_equal(xsdt, "XSDT", 4);
	assert_int_equal(acpi_sum(xsdt, acpi_rd32(xsdt + 4)), 0);
	assert_int_equal(acpi_rd32(xsdt + 4), 36 + 3 * 8);
	for (int i = 0; i < 3; i++) {
		uint8_t *t = acpi_table(buf, acpi_rd64(xsdt + 36 + 8 * i));

		assert_int_equal(acpi_sum(t, acpi_rd32(t + 4)), 0);
		/* every table 16-byte aligned in guest memory */
		assert_int_equal(acpi_rd64(xsdt + 36 + 8 * i) & 15, 0);
	}
	fadt = acpi_find(buf, "FACP");
	assert_non_null(fadt);
	assert_int_equal(acpi_rd32(fadt + 4), 276);
	dsdt = acpi_table(buf, acpi_rd64(fadt + 140));
	/* FACS: 64 bytes, 64-byte aligned, both FADT pointers agree */
	assert_int_equal(acpi_rd64(fadt + 132) & 63, 0);
	assert_int_equal(acpi_rd32(fadt + 36), (uint32_t)acpi_rd64(fadt + 132));
	assert_memory_equal(acpi_table(buf, acpi_rd64(fadt + 132)), "FACS", 4);
	assert_int_equal(acpi_rd32(acpi_table(buf, acpi_rd64(fadt + 132)) + 4), 64);
	assert_int_equal(acpi_rd32(fadt + 40), (uint32_t)acpi_rd64(fadt + 140));
	assert_memory_equal(dsdt, "DSDT", 4);
	assert_int_equal(acpi_sum(dsdt, acpi_rd32(dsdt + 4)), 0);
	free(buf);
}

static void fadt_madt_mcfg_contents(void **state)
{
	uint8_t *buf = calloc(1, SIZE), *fadt, *madt, *mcfg, *p, *end;
	struct errinfo e = {0};
	int lapics = 0, ioapics = 0, isos = 0;

	(void)state;
	assert_true(acpi_build(buf, BASE, SIZE, &cfg, &e) > 0);
	fadt = acpi_find(buf, "FACP");
	assert_int_equal(fadt[46], ACPI_SCI_IRQ);
	assert_int_equal(acpi_rd32(fadt + 56), ACPI_PM1A_EVT);
	assert_int_equal(acpi_rd32(fadt + 64), ACPI_PM1A_CNT);
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(acpi_rd32(fadt + 112) & (1u << 20), 0); /* not hardware-reduced */
	assert_int_equal(acpi_rd32(fadt + 112) & (1u << 4), 0); /* fixed power button */
	assert_int_equal(acpi_rd32(fadt + 112) & (1u << 10), 1u << 10); /* reset register */
	assert_int_equal(fadt[116], 1); /* reset reg in I/O space */
	assert_int_equal(acpi_rd64(fadt + 120), 0xcf9);
	assert_int_equal(fadt[128], 6);
	assert_int_equal(acpi_rd64(fadt + 172 + 4), ACPI_PM1A_CNT);
	/* GPE0 block (PCI hot-plug): legacy port, length, and the X_ GAS agree */
	assert_int_equal(acpi_rd32(fadt + 80), ACPI_GPE0_BLK);
	assert_int_equal(acpi_rd32(fadt + 84), 0); /* no GPE1 */
	assert_int_equal(fadt[92], ACPI_GPE0_BLK_LEN);
	assert_int_equal(fadt[93], 0);
	assert_int_equal(fadt[220], 1); /* system I/O */
	assert_int_equal(fadt[221], 8 * ACPI_GPE0_BLK_LEN);
	assert_int_equal(fadt[223], 1); /* byte access */
	assert_int_equal(acpi_rd64(fadt + 224), ACPI_GPE0_BLK);

	madt = acpi_find(buf, "APIC");
	assert_non_null(madt);
	assert_int_equal(acpi_rd32(madt + 36), 0xfee00000);
	end = madt + acpi_rd32(madt + 4);
	for (p = madt + 44; p < end; p += p[1]) {
		assert_true(p[1] >= 2);
		if (p[0] == 0) {
			assert_int_equal(p[3], lapics); /* APIC ID = vCPU index */
			assert_int_equal(acpi_rd32(p + 4) & 1, 1);
			lapics++;
		} else if (p[0] == 1) {
			assert_int_equal(acpi_rd32(p + 4), 0xfec00000);
			ioapics++;
		} else if (p[0] == 2) {
			assert_int_equal(p[3], ACPI_SCI_IRQ);
			isos++;
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, 3);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 1);

	mcfg = acpi_find(buf, "MCFG");
	assert_non_null(mcfg);
	assert_int_equal(acpi_rd32(mcfg + 4), 60);
	assert_int_equal(acpi_rd64(mcfg + 44), 0xe0000000);
	assert_int_equal(mcfg[54], 0);
	/* buses 0-255: the root ports' secondary buses are decoded too */
	assert_int_equal(mcfg[55], 255);
	free(buf);
}

static bool contains(const uint8_t *h, size_t hl, const void *n, size_t nl)
{
	for (size_t i = 0; i + nl <= hl; i++)
		if (!memcmp(h + i, n, nl))
			return true;
	return false;
}

static void dsdt_describes_host_bridge(void **state)
{
	uint8_t *buf = calloc(1, SIZE), *dsdt, q[8];
	struct errinfo e = {0};
	uint32_t len;
	static const uint8_t s5[] = {0x08, '\\', '_',  'S',  '5',  '_',	 0x12, 0x08,
				     0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00};
	static const uint8_t hid[] = {0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08};

	(void)state;
	assert_true(acpi_build(buf, BASE, SIZE, &cfg, &e) > 0);
	dsdt = acpi_table(buf, acpi_rd64(acpi_find(buf, "FACP") + 140));
	len = acpi_rd32(dsdt + 4);
	assert_true(contains(dsdt, len, "PCI0", 4));
	assert_true(contains(dsdt, len, hid, sizeof(hid)));
	assert_true(contains(dsdt, len, "_CRS", 4));
	assert_true(contains(dsdt, len, "_PRT", 4));
	assert_true(contains(dsdt, len, s5, sizeof(s5)));
	/* the 64-bit window's minimum, maximum and length are in the QWord descriptor */
	for (int i = 0; i < 8; i++)
		q[i] = (uint8_t)(cfg.mmio64_base >> (8 * i));
	assert_true(contains(dsdt, len, q, 8));
	for (int i = 0; i < 8; i++)
		q[i] = (uint8_t)((cfg.mmio64_base + cfg.mmio64_size - 1) >> (8 * i));
	assert_true(contains(dsdt, len, q, 8));
	free(buf);
}

static void aml_encodings(void **state)
{
	struct aml a;

	(void)state;
	assert_int_equal(aml_eisaid("PNP0A03"), 0x030ad041);
	assert_int_equal(aml_eisaid("PNP0A08"), 0x080ad041);
	aml_init(&a);
	aml_pkglen(&a, 62); /* 63 total: one byte */
	assert_int_equal(a.len, 1);
	assert_int_equal(a.buf[0], 63);
	aml_free(&a);
	aml_init(&a);
	aml_pkglen(&a, 63); /* 65 total: two bytes, low nibble first */
	assert_int_equal(a.len, 2);
	assert_int_equal(a.buf[0], 0x40 | (65 & 0xf));
	assert_int_equal(a.buf[1], 65 >> 4);
	aml_free(&a);
	aml_init(&a);
	aml_pkglen(&a, 5000); /* 5003 total: three bytes */
	assert_int_equal(a.len, 3);
	assert_int_equal(a.buf[0], 0x80 | (5003 & 0xf));
	assert_int_equal(a.buf[1], (5003 >> 4) & 0xff);
	assert_int_equal(a.buf[2], 5003 >> 12);
	aml_free(&a);
	aml_init(&a);
	aml_int(&a, 0);
	aml_int(&a, 1);
	aml_int(&a, 0x12);
	aml_int(&a, 0x1234);
	aml_int(&a, 0x12345678);
	aml_int(&a, 0x123456789aULL);
	{
		static const uint8_t want[] = {0x00, 0x01, 0x0a, 0x12, 0x0b, 0x34, 0x12,
					       0x0c, 0x78, 0x56, 0x34, 0x12, 0x0e, 0x9a,
					       0x78, 0x56, 0x34, 0x12, 0,    0,	   0};

		assert_int_equal(a.len, sizeof(want));
		assert_memory_equal(a.buf, want, sizeof(want));
	}
	aml_free(&a);
	aml_init(&a);
	aml_namestring(&a, "\\_SB.PCI0");
	assert_int_equal(a.len, 10);
	assert_memory_equal(a.buf, "\\\x2e_SB_PCI0", 10);
	aml_free(&a);
}

/* The hot-plug AML, byte for byte against ACPI 6 chapter 20. */
static void aml_method_encodings(void **state)
{
	static const struct aml_field f[] = {{"PCIU", 32}, {"BIG", 100}};
	struct aml a, x, y, t, body;

	(void)state;
	aml_init(&a);
	aml_opregion(&a, "PCST", AML_SYSTEM_IO, 0x630, 12);
	aml_field(&a, "PCST", AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_AS_ZEROS, f, 2);
	{
		/* BIG: 100 bits takes a two-byte length (0x40 | low nibble, rest) */
		static const uint8_t want[] = {0x5b, 0x80, 'P',	 'C',  'S',  'T',  0x01, 0x0b,
					       0x30, 0x06, 0x0a, 0x0c, 0x5b, 0x81, 0x11, 'P',
					       'C',  'S',  'T',	 0x43, 'P',  'C',  'I',	 'U',
					       0x20, 'B',  'I',	 'G',  '_',  0x44, 0x06};

		assert_int_equal(a.len, sizeof(want));
		assert_memory_equal(a.buf, want, sizeof(want));
	}
	aml_free(&a);

	/* Method(M1, 1, Serialized) { If (LNot(LEqual(And(Arg0, 4), Local2))) { Notify(S01, 3) } }
	 */
	aml_init(&a);
	aml_init(&x);
	aml_init(&y);
	aml_init(&t);
	aml_init(&body);
	aml_arg(&x, 0);
	aml_int(&y, 4);
	aml_and(&t, &x, &y, NULL);
	aml_free(&x);
	aml_free(&y);
	aml_init(&x);
	aml_init(&y);
	aml_local(&y, 2);
	aml_lequal(&x, &t, &y);
	aml_free(&t);
	aml_init(&t);
	aml_lnot(&t, &x);
	aml_free(&x);
	aml_free(&y);
	aml_init(&x);
	aml_init(&y);
	aml_namestring(&x, "S01");
	aml_int(&y, 3);
	aml_notify(&body, &x, &y);
	aml_free(&x);
	aml_init(&x);
	aml_if(&x, &t, &body);
	aml_method(&a, "M1", 1, true, &x);
	{
		static const uint8_t want[] = {0x14, 0x17, 'M',	 '1',  '_',  '_',  0x09, 0xa0,
					       0x10, 0x92, 0x93, 0x7b, 0x68, 0x0a, 0x04, 0x00,
					       0x62, 0x86, 'S',	 '0',  '1',  '_',  0x0a, 0x03};

		assert_int_equal(a.len, sizeof(want));
		assert_memory_equal(a.buf, want, sizeof(want));
	}
	aml_free(&a);
	aml_free(&x);
	aml_free(&y);
	aml_free(&t);
	aml_free(&body);

	/* Store(ShiftLeft(One, Arg1, Local0), B0EJ); a call with an argument */
	aml_init(&a);
	aml_init(&x);
	aml_init(&y);
	aml_init(&t);
	aml_int(&x, 1);
	aml_arg(&y, 1);
	aml_local(&t, 0);
	aml_init(&body);
	aml_shiftleft(&body, &x, &y, &t);
	aml_free(&x);
	aml_init(&x);
	aml_namestring(&x, "B0EJ");
	aml_store(&a, &body, &x);
	aml_call(&a, "\\_SB.PCI0.PCNT", &y);
	{
		static const uint8_t want[] = {0x70, 0x79, 0x01, 0x69, 0x60, 'B', '0', 'E', 'J',
					       '\\', 0x2f, 0x03, '_',  'S',  'B', '_', 'P', 'C',
					       'I',  '0',  'P',	 'C',  'N',  'T', 0x69};

		assert_int_equal(a.len, sizeof(want));
		assert_memory_equal(a.buf, want, sizeof(want));
		assert_int_equal(a.err, 0);
	}
	aml_free(&a);
	aml_free(&x);
	aml_free(&y);
	aml_free(&t);
	aml_free(&body);
}

/* ACPICA's disassembler (acpica-tools) must decode every table without complaint. */
static void iasl_decodes_tables(void **state)
{
	uint8_t *buf = calloc(1, SIZE), *t;
	struct errinfo e = {0};
	char dir[] = "/tmp/vfvm-acpi-XXXXXX", cmd[2048], path[256];
	const char *sigs[] = {"FACP", "APIC", "MCFG", "DSDT"};
	FILE *f;

	(void)state;
	if (system("command -v iasl >/dev/null 2>&1") != 0)
		fail_msg("iasl not found: install acpica-tools (tools/install-deps.sh)");
	assert_true(acpi_build(buf, BASE, SIZE, &cfg, &e) > 0);
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 4; i++) {
		t = i == 3 ? acpi_table(buf, acpi_rd64(acpi_find(buf, "FACP") + 140))
			   : acpi_find(buf, sigs[i]);
		snprintf(path, sizeof(path), "%s/%s.dat", dir, sigs[i]);
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(t, 1, acpi_rd32(t + 4), f), acpi_rd32(t + 4));
		fclose(f);
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat >%s.log 2>&1", dir, sigs[i],
			 sigs[i]);
		assert_int_equal(system(cmd), 0);
	}
	/* the disassembly says what the host bridge is and where its windows are */
	snprintf(cmd, sizeof(cmd),
		 "grep -q 'EisaId (\"PNP0A08\")' %s/DSDT.dsl && grep -q QWordMemory %s/DSDT.dsl && "
		 "grep -q 0x0000000400000000 %s/DSDT.dsl && grep -q '_S5_' %s/DSDT.dsl && "
		 "! grep -qi 'invalid\\|error' %s/APIC.dsl %s/FACP.dsl %s/MCFG.dsl",
		 dir, dir, dir, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	/*
	 * PCI hot-plug (what Linux acpiphp looks for): the register region and
	 * fields, a device with _ADR and _EJ0 for every slot 1-31, PCNT
	 * notifying them, the GPE handler calling it; and no complaint.
	 */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && grep -q 'OperationRegion (PCST, SystemIO, 0x0630, 0x0C)' DSDT.dsl && "
		 "grep -q 'Field (PCST, DWordAcc' DSDT.dsl && grep -q 'PCIU, *32' DSDT.dsl && "
		 "grep -q 'PCID, *32' DSDT.dsl && grep -q 'B0EJ, *32' DSDT.dsl && "
		 "[ $(grep -c 'Device (S[0-9A-F][0-9A-F])' DSDT.dsl) -eq 31 ] && "
		 "[ $(grep -c 'Method (_EJ0, 1' DSDT.dsl) -eq 31 ] && "
		 "grep -q 'Device (S1F)' DSDT.dsl && grep -q 'Name (_ADR, 0x001F0000)' DSDT.dsl && "
		 "grep -q 'B0EJ = 0x80000000' DSDT.dsl && grep -q 'Method (PCNT, 0' DSDT.dsl && "
		 "grep -q 'Local0 = PCIU' DSDT.dsl && grep -q 'Notify (S05, One)' DSDT.dsl && "
		 "grep -q 'Notify (S05, 0x03)' DSDT.dsl && grep -q 'Scope (\\\\_GPE)' DSDT.dsl && "
		 "grep -q 'Method (_E01, 0' DSDT.dsl && grep -q '\\\\_SB.PCI0.PCNT ()' DSDT.dsl && "
		 "! grep -qi 'invalid\\|error\\|warning' DSDT.dsl DSDT.log",
		 dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(buf);
}

static void too_small_buffer_is_refused(void **state)
{
	uint8_t *buf = calloc(1, 1024);
	struct errinfo e = {0};

	(void)state;
	assert_true(acpi_build(buf, BASE, 1024, &cfg, &e) < 0);
	assert_int_equal(e.err, EINVAL);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checksums_and_chain),
		cmocka_unit_test(fadt_madt_mcfg_contents),
		cmocka_unit_test(dsdt_describes_host_bridge),
		cmocka_unit_test(aml_encodings),
		cmocka_unit_test(aml_method_encodings),
		cmocka_unit_test(iasl_decodes_tables),
		cmocka_unit_test(too_small_buffer_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
