// SPDX-License-Identifier: GPL-2.0-only
/* ACPI tables (see acpi.h); layouts from the ACPI 6.x specification. */
#include <errno.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "byteorder.h"
#include "platform.h"
#include "pci.h"
#include "pci_hotplug.h"

#define HDR_LEN 36

uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Standard header; checksum is filled by finish(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "VFVM  ", 6);
	memcpy(t + 16, "VFVMTBL ", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "VFVM", 4);
	put32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)(0 - acpi_sum(t, len));
}

/* Generic Address Structure for a system I/O port block. */
static void gas_io(uint8_t *p, uint16_t port, uint8_t bits)
{
	p[0] = 1; /* system I/O */
	p[1] = bits;
	p[2] = 0;
	p[3] = bits <= 8 ? 1 : bits <= 16 ? 2 : 3; /* access size */
	put64(p + 4, port);
}

static uint32_t build_fadt(uint8_t *t, uint64_t dsdt, uint64_t facs)
{
	const uint32_t len = 276;

	memset(t, 0, len);
	header(t, "FACP", len, 6);
	put32(t + 36, (uint32_t)facs);
	put32(t + 40, (uint32_t)dsdt);
	put16(t + 46, ACPI_SCI_IRQ);
	put32(t + 56, ACPI_PM1A_EVT);
	put32(t + 64, ACPI_PM1A_CNT);
	put32(t + 80, ACPI_GPE0_BLK);
	t[88] = 4; /* PM1_EVT_LEN */
	t[89] = 2; /* PM1_CNT_LEN */
	t[92] = ACPI_GPE0_BLK_LEN; /* GPE0_BLK_LEN: status half, enable half */
	put16(t + 96, 101); /* no C2 */
	put16(t + 98, 1001); /* no C3 */
	/* IAPC_BOOT_ARCH: no VGA, no CMOS RTC, no 8042 (bit 1 clear) */
	put16(t + 109, (1 << 2) | (1 << 5));
	/* flags: WBINVD, sleep button is absent (bit 5), RESET_REG_SUP (bit 10) */
	put32(t + 112, (1u << 0) | (1u << 5) | (1u << 10));
	gas_io(t + 116, 0xcf9, 8);
	t[128] = 0x06; /* reset value: CF9 full reset */
	t[131] = 0; /* FADT minor version */
	put64(t + 132, facs);
	put64(t + 140, dsdt);
	gas_io(t + 148, ACPI_PM1A_EVT, 32);
	gas_io(t + 172, ACPI_PM1A_CNT, 16);
	/* X_GPE0_BLK: GPE registers are byte registers (ACPI 6, 4.8.4.1) */
	gas_io(t + 220, ACPI_GPE0_BLK, 8 * ACPI_GPE0_BLK_LEN);
	t[220 + 3] = 1;
	memcpy(t + 268, "VFVMKVM ", 8);
	finish(t, len);
	return len;
}

static uint32_t build_madt(uint8_t *t, unsigned int nr_cpus)
{
	uint32_t off = HDR_LEN + 8;

	put32(t + HDR_LEN, 0xfee00000);
	put32(t + HDR_LEN + 4, 1); /* PCAT_COMPAT: the 8259s exist */
	for (unsigned int i = 0; i < nr_cpus; i++) {
		t[off] = 0; /* processor local APIC */
		t[off + 1] = 8;
		t[off + 2] = (uint8_t)i; /* ACPI processor UID */
		t[off + 3] = (uint8_t)i; /* APIC ID = vCPU index (see vcpu.c CPUID) */
		put32(t + off + 4, 1); /* enabled */
		off += 8;
	}
	t[off] = 1; /* I/O APIC */
	t[off + 1] = 12;
	t[off + 2] = 0; /* id (after the LAPIC IDs in KVM's numbering is not needed) */
	t[off + 3] = 0;
	put32(t + off + 4, 0xfec00000);
	put32(t + off + 8, 0); /* GSI base */
	off += 12;
	/* SCI: ISA IRQ 9 -> GSI 9, level triggered, active high */
	t[off] = 2;
	t[off + 1] = 10;
	t[off + 2] = 0;
	t[off + 3] = ACPI_SCI_IRQ;
	put32(t + off + 4, ACPI_SCI_IRQ);
	put16(t + off + 8, 0x000d);
	off += 10;
	/* LINT1 of every processor is NMI */
	t[off] = 4;
	t[off + 1] = 6;
	t[off + 2] = 0xff;
	put16(t + off + 3, 0);
	t[off + 5] = 1;
	off += 6;
	header(t, "APIC", off, 4);
	finish(t, off);
	return off;
}

static uint32_t build_mcfg(uint8_t *t, uint64_t ecam)
{
	const uint32_t len = HDR_LEN + 8 + 16;

	memset(t, 0, len);
	header(t, "MCFG", len, 1);
	put64(t + HDR_LEN + 8, ecam);
	put16(t + HDR_LEN + 16, 0); /* segment */
	t[HDR_LEN + 18] = 0; /* first bus */
	t[HDR_LEN + 19] = PCI_MAX_BUS; /* last bus: bus 0 and the root ports' secondaries */
	finish(t, len);
	return len;
}

/*
 * SRAT (ACPI 6.x 5.2.16): a Processor Local APIC Affinity structure (type
 * 0, 16 bytes) per vCPU and a Memory Affinity structure (type 1, 40 bytes)
 * per RAM range of each node.  The 64-bit MMIO window needs none.
 */
static uint32_t build_srat(uint8_t *t, const struct acpi_cfg *c)
{
	uint32_t off = HDR_LEN + 12;

	put32(t + HDR_LEN, 1); /* reserved, 1 for backward compatibility */
	for (unsigned int i = 0; i < c->nr_cpus; i++) {
		t[off] = 0;
		t[off + 1] = 16;
		t[off + 2] = (uint8_t)c->cpu_pxm[i]; /* proximity domain [7:0] */
		t[off + 3] = (uint8_t)i; /* APIC ID = vCPU index, as in the MADT */
		put32(t + off + 4, 1); /* enabled */
		t[off + 9] = (uint8_t)(c->cpu_pxm[i] >> 8); /* proximity domain [31:8] */
		t[off + 10] = (uint8_t)(c->cpu_pxm[i] >> 16);
		t[off + 11] = (uint8_t)(c->cpu_pxm[i] >> 24);
		off += 16;
	}
	for (unsigned int i = 0; i < c->nr_mem; i++) {
		t[off] = 1;
		t[off + 1] = 40;
		put32(t + off + 2, c->mem[i].pxm);
		put64(t + off + 8, c->mem[i].base);
		put64(t + off + 16, c->mem[i].size);
		put32(t + off + 28, 1); /* enabled; not hot-pluggable, not non-volatile */
		off += 40;
	}
	header(t, "SRAT", off, 3);
	finish(t, off);
	return off;
}

/* SLIT (ACPI 6.x 5.2.17): the distance matrix, one byte per pair of domains. */
static uint32_t build_slit(uint8_t *t, const struct acpi_cfg *c)
{
	uint32_t n = c->nr_nodes, len = HDR_LEN + 8 + n * n;

	put64(t + HDR_LEN, n);
	memcpy(t + HDR_LEN + 8, c->slit, (size_t)n * n);
	header(t, "SLIT", len, 1);
	finish(t, len);
	return len;
}

/* _CRS of the host bridge: bus 0, config ports, I/O, 32- and 64-bit MMIO windows */
static void crs(struct aml *r, const struct acpi_cfg *c)
{
	uint8_t bus[16] = {0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00};
	uint8_t cfgio[8] = {0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08};
	uint8_t wio[16] = {0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03};
	uint8_t dmem[26] = {0x87, 0x17, 0x00, 0x00, 0x0c, 0x01};
	uint8_t qmem[46] = {0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x01};
	uint8_t end[2] = {0x79, 0x00};

	/* buses 0-255: the root ports' secondary buses are below the host bridge */
	put16(bus + 8, 0);
	put16(bus + 10, PCI_MAX_BUS);
	put16(bus + 14, PCI_MAX_BUS + 1);
	aml_bytes(r, bus, sizeof(bus));
	aml_bytes(r, cfgio, sizeof(cfgio));
	/* I/O below and above the config ports */
	put16(wio + 8, 0x0000);
	put16(wio + 10, 0x0cf7);
	put16(wio + 14, 0x0cf8);
	aml_bytes(r, wio, sizeof(wio));
	put16(wio + 8, 0x0d00);
	put16(wio + 10, 0xffff);
	put16(wio + 14, 0xf300);
	aml_bytes(r, wio, sizeof(wio));
	put32(dmem + 10, (uint32_t)c->mmio32_base);
	put32(dmem + 14, (uint32_t)(c->mmio32_base + c->mmio32_size - 1));
	put32(dmem + 22, (uint32_t)c->mmio32_size);
	aml_bytes(r, dmem, sizeof(dmem));
	if (c->mmio64_size) {
		put64(qmem + 14, c->mmio64_base);
		put64(qmem + 22, c->mmio64_base + c->mmio64_size - 1);
		put64(qmem + 38, c->mmio64_size);
		aml_bytes(r, qmem, sizeof(qmem));
	}
	aml_bytes(r, end, sizeof(end));
}

/* Term helpers for the hot-plug AML: each starts a fresh term in @t. */
static void t_int(struct aml *t, uint64_t v)
{
	aml_init(t);
	aml_int(t, v);
}

static void t_name(struct aml *t, const char *name)
{
	aml_init(t);
	aml_namestring(t, name);
}

static void t_local(struct aml *t, unsigned int n)
{
	aml_init(t);
	aml_local(t, n);
}

static void free_terms(struct aml *t, int n)
{
	for (int i = 0; i < n; i++)
		aml_free(&t[i]);
}

static void slot_name(char *buf, unsigned int slot)
{
	static const char hex[] = "0123456789ABCDEF";

	buf[0] = 'S';
	buf[1] = hex[(slot >> 4) & 0xf];
	buf[2] = hex[slot & 0xf];
	buf[3] = 0;
}

/*
 * Hot-plug of bus-0 slots (pci_hotplug.h), inside \_SB.PCI0: the registers,
 * a device per slot that acpiphp sees as an ejectable slot (_ADR + _EJ0),
 * and PCNT, which the GPE handler calls to notify the slots that changed.
 */
static void hotplug_aml(struct aml *dev, const struct acpi_cfg *c)
{
	static const struct aml_field regs[] = {{"PCIU", 32}, {"PCID", 32}, {"B0EJ", 32}};
	struct aml pcnt, t[4];
	char name[4];

	aml_opregion(dev, "PCST", AML_SYSTEM_IO, PCI_HOTPLUG_PORT, PCI_HOTPLUG_LEN);
	aml_field(dev, "PCST", AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_AS_ZEROS, regs, 3);
	aml_init(&pcnt);
	/* Local0 = PCIU (reading clears it), Local1 = PCID */
	t_name(&t[0], "PCIU");
	t_local(&t[1], 0);
	aml_store(&pcnt, &t[0], &t[1]);
	free_terms(t, 2);
	t_name(&t[0], "PCID");
	t_local(&t[1], 1);
	aml_store(&pcnt, &t[0], &t[1]);
	free_terms(t, 2);
	for (unsigned int slot = 1; slot < PCI_MAX_SLOTS; slot++) {
		struct aml sdev, ej0, cond, body;

		slot_name(name, slot);
		aml_init(&sdev);
		aml_name_int(&sdev, "_ADR", (uint64_t)slot << 16);
		aml_name_int(&sdev, "_SUN", slot);
		/* a passed-through device's node (Linux reads the host bridge's instead) */
		for (unsigned int i = 0; i < c->nr_pxm; i++)
			if (c->pxm[i].slot == slot)
				aml_name_int(&sdev, "_PXM", c->pxm[i].pxm);
		/* _EJ0(Arg0): B0EJ = 1 << slot (the guest let go of the slot) */
		aml_init(&ej0);
		t_int(&t[0], 1u << slot);
		t_name(&t[1], "B0EJ");
		aml_store(&ej0, &t[0], &t[1]);
		free_terms(t, 2);
		aml_method(&sdev, "_EJ0", 1, false, &ej0);
		aml_device(dev, name, &sdev);
		aml_free(&ej0);
		aml_free(&sdev);
		/* If (Local0 & bit) Notify (Sxx, 1: device check); Local1: 3, eject request */
		for (unsigned int l = 0; l < 2; l++) {
			aml_init(&cond);
			aml_init(&body);
			t_local(&t[0], l);
			t_int(&t[1], 1u << slot);
			aml_and(&cond, &t[0], &t[1], NULL);
			t_name(&t[2], name);
			t_int(&t[3], l ? 3 : 1);
			aml_notify(&body, &t[2], &t[3]);
			free_terms(t, 4);
			aml_if(&pcnt, &cond, &body);
			aml_free(&cond);
			aml_free(&body);
		}
	}
	aml_method(dev, "PCNT", 0, true, &pcnt);
	aml_free(&pcnt);
}

/* Scope(\_GPE) { Method(_Exx) { \_SB.PCI0.PCNT() } }: GPE PCI_HOTPLUG_GPE, level */
static void gpe_aml(struct aml *top)
{
	static const char hex[] = "0123456789ABCDEF";
	struct aml gpe, ev;
	char name[5] = {'_', 'E', hex[(PCI_HOTPLUG_GPE >> 4) & 0xf], hex[PCI_HOTPLUG_GPE & 0xf], 0};

	aml_init(&gpe);
	aml_init(&ev);
	aml_call(&ev, "\\_SB.PCI0.PCNT", NULL);
	aml_method(&gpe, name, 0, false, &ev);
	aml_scope(top, "\\_GPE", &gpe);
	aml_free(&ev);
	aml_free(&gpe);
}

static int build_dsdt(uint8_t *t, size_t room, const struct acpi_cfg *c, uint32_t *len_out)
{
	struct aml dev, sb, top, tmp, prt, res;
	int ret = 0;
	uint32_t len;

	aml_init(&dev);
	aml_init(&sb);
	aml_init(&top);
	aml_init(&tmp);
	aml_init(&prt);
	aml_init(&res);

	aml_name_int(&dev, "_HID", aml_eisaid("PNP0A08"));
	aml_name_int(&dev, "_CID", aml_eisaid("PNP0A03"));
	aml_name_int(&dev, "_SEG", 0);
	aml_name_int(&dev, "_BBN", 0);
	aml_name_int(&dev, "_UID", 0);
	if (c->bridge_has_pxm)
		aml_name_int(&dev, "_PXM", c->bridge_pxm);
	crs(&res, c);
	aml_buffer(&tmp, &res);
	aml_name(&dev, "_CRS", &tmp);
	/* INTA-D of slots 1-31 swizzled onto IOAPIC pins 16-23 (pci_slot_gsi for INTA) */
	for (unsigned int slot = 1; slot < PCI_MAX_SLOTS; slot++) {
		for (unsigned int pin = 0; pin < 4; pin++) {
			struct aml el;

			aml_init(&el);
			aml_int(&el, (uint64_t)slot << 16 | 0xffff);
			aml_int(&el, pin);
			aml_int(&el, 0);
			aml_int(&el, 16 + ((slot + pin) & 7));
			aml_package(&prt, 4, &el);
			aml_free(&el);
		}
	}
	aml_free(&tmp);
	aml_init(&tmp);
	aml_package(&tmp, (PCI_MAX_SLOTS - 1) * 4, &prt);
	aml_name(&dev, "_PRT", &tmp);
	hotplug_aml(&dev, c);
	aml_device(&sb, "PCI0", &dev);
	aml_scope(&top, "\\_SB", &sb);
	gpe_aml(&top);
	/* \_S5: SLP_TYP 5 for PM1a and PM1b */
	aml_free(&tmp);
	aml_init(&tmp);
	{
		struct aml s5;

		aml_init(&s5);
		aml_int(&s5, ACPI_SLP_TYP_S5);
		aml_int(&s5, ACPI_SLP_TYP_S5);
		aml_int(&s5, 0);
		aml_int(&s5, 0);
		aml_package(&tmp, 4, &s5);
		aml_free(&s5);
	}
	aml_name(&top, "\\_S5", &tmp);

	if (top.err || dev.err || sb.err || prt.err) {
		ret = -ENOMEM;
		goto out;
	}
	len = HDR_LEN + (uint32_t)top.len;
	if (len > room) {
		ret = -ENOSPC;
		goto out;
	}
	memset(t, 0, HDR_LEN);
	header(t, "DSDT", len, 2);
	memcpy(t + HDR_LEN, top.buf, top.len);
	finish(t, len);
	*len_out = len;
out:
	aml_free(&dev);
	aml_free(&sb);
	aml_free(&top);
	aml_free(&tmp);
	aml_free(&prt);
	aml_free(&res);
	return ret;
}

int acpi_build(uint8_t *buf, uint64_t gpa, size_t size, const struct acpi_cfg *c, struct errinfo *e)
{
	uint32_t off, dsdt, fadt, madt, mcfg, srat = 0, slit = 0, xsdt, facs, len;
	int ret;

	/* worst case MADT: header + 8 per CPU + 28 */
	if (size < 4096 + 8u * c->nr_cpus || !c->nr_cpus || c->nr_cpus > 255)
		return err_set(e, EINVAL, "ACPI tables: %zu bytes for %u CPUs is not possible",
			       size, c->nr_cpus);
	memset(buf, 0, size);
	/*
	 * RSDP at 0 (36 bytes); FACS at 64 (64 bytes, must be 64-byte aligned;
	 * no checksum; required when the FADT is not hardware-reduced); then
	 * the other tables, 16-byte aligned.
	 */
	facs = 64;
	memcpy(buf + facs, "FACS", 4);
	put32(buf + facs + 4, 64);
	buf[facs + 32] = 2; /* version */
	off = facs + 64;
	dsdt = off;
	ret = build_dsdt(buf + dsdt, size - dsdt, c, &len);
	if (ret)
		return err_set(e, -ret, "building the ACPI DSDT");
	off = (dsdt + len + 15) & ~15u;
	fadt = off;
	off = (off + build_fadt(buf + fadt, gpa + dsdt, gpa + facs) + 15) & ~15u;
	madt = off;
	if (off + HDR_LEN + 8 + 8 * c->nr_cpus + 28 + 64 + 64 > size)
		return err_set(e, ENOSPC, "ACPI tables do not fit in %zu bytes", size);
	off = (off + build_madt(buf + madt, c->nr_cpus) + 15) & ~15u;
	mcfg = off;
	off = (off + build_mcfg(buf + mcfg, c->ecam_base) + 15) & ~15u;
	if (c->nr_nodes) {
		/* SRAT, SLIT and the XSDT after them */
		uint32_t need = HDR_LEN + 12 + 16 * c->nr_cpus + 40 * c->nr_mem + 16 + HDR_LEN + 8 +
				c->nr_nodes * c->nr_nodes + 16 + HDR_LEN + 5 * 8;

		if (c->nr_nodes > 255 || off + need > size)
			return err_set(e, ENOSPC,
				       "ACPI tables for %u NUMA nodes do not fit in %zu bytes",
				       c->nr_nodes, size);
		srat = off;
		off = (off + build_srat(buf + srat, c) + 15) & ~15u;
		slit = off;
		off = (off + build_slit(buf + slit, c) + 15) & ~15u;
	}
	xsdt = off;
	len = HDR_LEN + (c->nr_nodes ? 5 : 3) * 8;
	header(buf + xsdt, "XSDT", len, 1);
	put64(buf + xsdt + HDR_LEN, gpa + fadt);
	put64(buf + xsdt + HDR_LEN + 8, gpa + madt);
	put64(buf + xsdt + HDR_LEN + 16, gpa + mcfg);
	if (c->nr_nodes) {
		put64(buf + xsdt + HDR_LEN + 24, gpa + srat);
		put64(buf + xsdt + HDR_LEN + 32, gpa + slit);
	}
	finish(buf + xsdt, len);
	off += len;

	/* RSDP (ACPI 2.0+): checksum over the first 20 bytes, extended over all 36 */
	memcpy(buf, "RSD PTR ", 8);
	memcpy(buf + 9, "VFVM  ", 6);
	buf[15] = 2;
	put32(buf + 16, 0); /* no RSDT: XSDT only */
	put32(buf + 20, 36);
	put64(buf + 24, gpa + xsdt);
	buf[8] = (uint8_t)(0 - acpi_sum(buf, 20));
	buf[32] = (uint8_t)(0 - acpi_sum(buf, 36));
	return (int)off;
}
