// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux x86 64-bit boot protocol (Documentation/arch/x86/boot.rst): the
 * protected-mode kernel at 1 MiB, boot_params ("zero page") with the
 * setup header, e820 map, command line and initrd, then vCPU 0 enters
 * startup_64 in long mode with identity page tables and a flat GDT, as
 * kvmtool and Firecracker do.
 */
#include <asm/bootparam.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi.h"
#include "boot_linux.h"
#include "numa.h"
#include "vcpu.h"
#include "byteorder.h"
#include "pci.h"
#include "vm.h"

int linux_e820(const struct guest_mem *m, struct e820_entry *out, int max)
{
	int n = 0;

#define ADD(a, s, t)                                           \
	do {                                                   \
		if (n == max)                                  \
			return -ENOSPC;                        \
		out[n++] = (struct e820_entry){(a), (s), (t)}; \
	} while (0)

	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->region[i];

		if (r->gpa == 0) {
			/* conventional memory, EBDA/BIOS area reserved, RAM from 1 MiB */
			ADD(0, BOOT_EBDA_START, E820_RAM);
			ADD(BOOT_EBDA_START, 0x100000 - BOOT_EBDA_START, E820_RESERVED);
			if (r->size > 0x100000)
				ADD(0x100000, r->size - 0x100000, E820_RAM);
		} else {
			ADD(r->gpa, r->size, E820_RAM);
		}
	}
	/* ECAM: Linux only trusts MCFG regions that are reserved in the e820 map */
	ADD(PCI_ECAM_BASE, PCI_ECAM_SIZE, E820_RESERVED);
#undef ADD
	return n;
}

/* Where the setup header sits in the bzImage and in the zero page. */
#define HDR_OFF offsetof(struct boot_params, hdr)
/* The header's jump (0x200) skips it: the header ends where that lands. */
#define HDR_JUMP_END (HDR_OFF + offsetof(struct setup_header, header))
/* "HdrS", the setup header's magic */
#define HDR_MAGIC 0x53726448u

int linux_load(struct guest_mem *m, const uint8_t *k, size_t ksize, const uint8_t *initrd,
	       size_t isize, const char *cmdline, uint64_t rsdp, struct linux_layout *lay,
	       struct errinfo *e)
{
	struct setup_header kh;
	struct boot_params *bp;
	uint8_t *dst;
	unsigned int setup_sects;
	size_t setup_size, pm_size, cl_len, hdr_end;
	uint32_t cmdline_size, init_size;
	uint64_t low_top, initrd_max, kernel_end;
	struct e820_entry map[E820_MAX];
	int n;

	memset(lay, 0, sizeof(*lay));
	if (ksize < 0x1000)
		return err_set(e, ENOEXEC,
			       "not a bzImage (no boot sector signature or 'HdrS' header)");
	memcpy(&kh, k + HDR_OFF, sizeof(kh));
	if (le16toh(kh.boot_flag) != 0xaa55 || le32toh(kh.header) != HDR_MAGIC)
		return err_set(e, ENOEXEC,
			       "not a bzImage (no boot sector signature or 'HdrS' header)");
	if (le16toh(kh.version) < 0x20c)
		return err_set(e, ENOEXEC,
			       "boot protocol %u.%02u is too old: 2.12 or later is needed for "
			       "64-bit entry",
			       le16toh(kh.version) >> 8, le16toh(kh.version) & 0xff);
	if (!(le16toh(kh.xloadflags) & XLF_KERNEL_64))
		return err_set(e, ENOEXEC, "the kernel has no 64-bit entry point (XLF_KERNEL_64)");
	if (!(kh.loadflags & LOADED_HIGH))
		return err_set(e, ENOEXEC,
			       "the kernel cannot be loaded high (LOADED_HIGH missing)");
	setup_sects = kh.setup_sects ? kh.setup_sects : 4;
	setup_size = (setup_sects + 1) * 512;
	if (setup_size >= ksize)
		return err_set(e, ENOEXEC, "bzImage of %zu bytes is shorter than its setup (%zu)",
			       ksize, setup_size);
	pm_size = ksize - setup_size;
	/* startup_64 is at +0x200: an image that ends before it would run guest garbage */
	if (pm_size <= BOOT_ENTRY64_OFF)
		return err_set(
			e, ENOEXEC,
			"bzImage's kernel of %zu bytes ends before its 64-bit entry at +0x%x",
			pm_size, BOOT_ENTRY64_OFF);
	init_size = le32toh(kh.init_size);
	cmdline_size = le32toh(kh.cmdline_size);
	/*
	 * A relocatable kernel entered at 1 MiB decompresses itself at
	 * pref_address (16 MiB on x86-64) when that is higher: the initrd
	 * must stay clear of [max(load, pref), + init_size).
	 */
	{
		uint64_t pref = le64toh(kh.pref_address);
		uint64_t base =
			pref > BOOT_KERNEL_ADDR && pref < (1ULL << 32) ? pref : BOOT_KERNEL_ADDR;

		kernel_end = base + (init_size > pm_size ? init_size : pm_size);
	}

	low_top = m->nr_regions && m->region[0].gpa == 0 ? m->region[0].size : 0;
	if (kernel_end + 0x100000 > low_top)
		return err_set(e, ENOMEM,
			       "guest RAM below 3 GiB (%llu MiB) is too small for a kernel needing "
			       "%llu MiB",
			       (unsigned long long)(low_top >> 20),
			       (unsigned long long)(kernel_end >> 20) + 1);
	dst = guest_mem_ptr(m, BOOT_KERNEL_ADDR, pm_size);
	if (!dst)
		return err_set(e, ENOMEM, "kernel does not fit in guest RAM");
	memcpy(dst, k + setup_size, pm_size);

	bp = (struct boot_params *)guest_mem_ptr(m, BOOT_PARAMS_ADDR, sizeof(*bp));
	if (!bp)
		return err_set(e, ENOMEM, "no guest RAM at 0x%x for boot_params", BOOT_PARAMS_ADDR);
	memset(bp, 0, sizeof(*bp));
	/* the setup header: as long as the kernel's jump over it says */
	hdr_end = HDR_JUMP_END + (le16toh(kh.jump) >> 8);
	if (hdr_end > offsetof(struct boot_params, edd_mbr_sig_buffer) || hdr_end > ksize)
		hdr_end = offsetof(struct boot_params, edd_mbr_sig_buffer);
	memcpy((uint8_t *)bp + HDR_OFF, k + HDR_OFF, hdr_end - HDR_OFF);
	bp->hdr.vid_mode = htole16(0xffff); /* normal */
	bp->hdr.type_of_loader = 0xff; /* undefined */
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.loadflags &= (uint8_t)~QUIET_FLAG; /* show early messages */
	bp->hdr.heap_end_ptr = htole16(0xde00);

	/* command line */
	if (!cmdline)
		cmdline = "";
	cl_len = strlen(cmdline);
	if (cl_len > cmdline_size || cl_len >= BOOT_CMDLINE_MAX)
		return err_set(
			e, E2BIG,
			"kernel command line of %zu bytes exceeds the kernel's limit of %u", cl_len,
			cmdline_size < BOOT_CMDLINE_MAX ? cmdline_size : BOOT_CMDLINE_MAX - 1);
	dst = guest_mem_ptr(m, BOOT_CMDLINE_ADDR, cl_len + 1);
	if (!dst)
		return err_set(e, ENOMEM, "no guest RAM for the command line");
	memcpy(dst, cmdline, cl_len + 1);
	bp->hdr.cmd_line_ptr = htole32(BOOT_CMDLINE_ADDR);

	/* initrd: as high as the kernel allows, page aligned, above the kernel */
	if (initrd && isize) {
		uint64_t a;

		initrd_max = le32toh(kh.initrd_addr_max);
		if (!initrd_max)
			initrd_max = 0x37ffffff;
		if (initrd_max > low_top - 1)
			initrd_max = low_top - 1;
		if (isize > initrd_max + 1)
			return err_set(e, E2BIG, "initrd of %zu MiB does not fit below 0x%llx",
				       isize >> 20, (unsigned long long)initrd_max);
		a = (initrd_max + 1 - isize) & ~0xfffULL;
		if (a < kernel_end)
			return err_set(e, ENOMEM,
				       "initrd of %zu MiB does not fit above the kernel: give the "
				       "guest more RAM",
				       isize >> 20);
		dst = guest_mem_ptr(m, a, isize);
		if (!dst)
			return err_set(e, ENOMEM, "initrd at 0x%llx is outside guest RAM",
				       (unsigned long long)a);
		memcpy(dst, initrd, isize);
		bp->hdr.ramdisk_image = htole32((uint32_t)a);
		bp->hdr.ramdisk_size = htole32((uint32_t)isize);
		lay->initrd_addr = a;
		lay->initrd_size = isize;
	}

	n = linux_e820(m, map, E820_MAX);
	if (n < 0)
		return err_set(e, ENOSPC, "e820 map too long");
	bp->e820_entries = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = htole64(map[i].addr);
		bp->e820_table[i].size = htole64(map[i].size);
		bp->e820_table[i].type = htole32(map[i].type);
	}
	bp->acpi_rsdp_addr = htole64(rsdp); /* protocol 2.14; harmless before */

	lay->entry = BOOT_KERNEL_ADDR + BOOT_ENTRY64_OFF; /* startup_64 */
	lay->boot_params = BOOT_PARAMS_ADDR;
	lay->cmdline = BOOT_CMDLINE_ADDR;
	lay->kernel_end = kernel_end;
	return 0;
}

/* Identity map of the first 4 GiB with 2 MiB pages, and the boot GDT. */
static int write_paging_gdt(struct guest_mem *m, struct errinfo *e)
{
	uint8_t *pml4 = guest_mem_ptr(m, BOOT_PML4_ADDR, 4096);
	uint8_t *pdpt = guest_mem_ptr(m, BOOT_PML4_ADDR + 0x1000, 4096);
	uint8_t *pd = guest_mem_ptr(m, BOOT_PML4_ADDR + 0x2000, 4 * 4096);
	uint8_t *gdt = guest_mem_ptr(m, BOOT_GDT_ADDR, 32);

	if (!pml4 || !pdpt || !pd || !gdt)
		return err_set(e, ENOMEM, "no guest RAM for boot page tables");
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	put64(pml4, (BOOT_PML4_ADDR + 0x1000) | 3);
	for (int i = 0; i < 4; i++)
		put64(pdpt + 8 * i, (BOOT_PML4_ADDR + 0x2000 + 0x1000 * (uint64_t)i) | 3);
	for (uint64_t i = 0; i < 4 * 512; i++)
		put64(pd + 8 * i, (i << 21) | 0x83);
	/* null, null, __BOOT_CS (0x10): 64-bit code, __BOOT_DS (0x18): data */
	put64(gdt, 0);
	put64(gdt + 8, 0);
	put64(gdt + 16, 0x00af9b000000ffffULL);
	put64(gdt + 24, 0x00cf93000000ffffULL);
	return 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

static int vcpu_enter_long_mode(struct vcpu *v, const struct linux_layout *lay, struct errinfo *e)
{
	struct kvm_sregs sr;
	struct kvm_regs r;

	if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
		return err_sys(e, errno, "KVM_GET_SREGS on vCPU 0");
	seg(&sr.cs, 0x10, 0xb, true);
	seg(&sr.ds, 0x18, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = BOOT_GDT_ADDR;
	sr.gdt.limit = 31;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	sr.cr3 = BOOT_PML4_ADDR;
	sr.cr4 |= 0x20; /* PAE */
	sr.efer |= 0x500; /* LME | LMA */
	/* PG | NE | ET | PE; caches on (the reset value has CD and NW set) */
	sr.cr0 = (sr.cr0 & ~0x60000000ULL) | 0x80000031;
	if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0)
		return err_sys(e, errno, "KVM_SET_SREGS (long mode) on vCPU 0");
	memset(&r, 0, sizeof(r));
	r.rip = lay->entry;
	r.rsi = lay->boot_params;
	r.rsp = BOOT_PARAMS_ADDR; /* a stack below the zero page until the kernel has its own */
	r.rflags = 2;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return err_sys(e, errno, "KVM_SET_REGS on vCPU 0");
	return 0;
}

/*
 * LVT LINT0 as ExtINT and LINT1 as NMI on every vCPU: the virtual-wire
 * setup a PC BIOS leaves behind, which Linux expects for the 8259 path.
 */
static int lapic_virtual_wire(struct vm *vm, struct errinfo *e)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_lapic_state la;
		uint32_t v;

		if (ioctl(vm->vcpus[i].fd, KVM_GET_LAPIC, &la) < 0)
			return err_sys(e, errno, "KVM_GET_LAPIC on vCPU %u", i);
		memcpy(&v, &la.regs[0x350], 4);
		v = (v & ~0x700u) | (7u << 8); /* ExtINT */
		memcpy(&la.regs[0x350], &v, 4);
		memcpy(&v, &la.regs[0x360], 4);
		v = (v & ~0x700u) | (4u << 8); /* NMI */
		memcpy(&la.regs[0x360], &v, 4);
		if (ioctl(vm->vcpus[i].fd, KVM_SET_LAPIC, &la) < 0)
			return err_sys(e, errno, "KVM_SET_LAPIC on vCPU %u", i);
	}
	return 0;
}

/*
 * MTRRs enabled with write-back as the default type, as firmware leaves
 * them: otherwise Linux reports "MTRRs disabled by BIOS" and maps
 * device memory without the usual cache attributes.
 */
static int mtrr_default_wb(struct vm *vm, struct errinfo *e)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry ent[1];
	} m = {.hdr.nmsrs = 1, .ent[0] = {.index = 0x2ff, .data = (1u << 11) | 6}};

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		int n = ioctl(vm->vcpus[i].fd, KVM_SET_MSRS, &m);

		if (n < 0)
			return err_sys(e, errno, "KVM_SET_MSRS (MTRRdefType) on vCPU %u", i);
		/* 0 written: this KVM has no MTRR emulation; Linux copes without */
	}
	return 0;
}

static int read_file(const char *flag, const char *path, uint8_t **buf, size_t *size,
		     struct errinfo *e)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	*buf = NULL;
	if (fd < 0)
		return err_sys(e, errno, "%s %s", flag, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		ret = err_set(e, EINVAL, "%s %s: not a non-empty regular file", flag, path);
		goto out;
	}
	*buf = malloc((size_t)st.st_size);
	if (!*buf) {
		ret = err_sys(e, ENOMEM, "%s %s: %lld bytes", flag, path, (long long)st.st_size);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n ? err_sys(e, errno, "%s %s: read", flag, path)
				: err_set(e, EIO, "%s %s: file shrank while reading", flag, path);
			free(*buf);
			*buf = NULL;
			goto out;
		}
		got += (size_t)n;
	}
	*size = got;
out:
	close(fd);
	return ret;
}

int linux_boot(struct vm *vm, const struct linux_boot *lb, struct errinfo *e)
{
	struct acpi_cfg ac = {
		.nr_cpus = vm->nr_vcpus,
		.mmio32_base = PCI_MMIO32_BASE,
		.mmio32_size = PCI_MMIO32_SIZE,
		.mmio64_base = vm->mmio64_base,
		.mmio64_size = vm->mmio64_size,
		.ecam_base = PCI_ECAM_BASE,
	};
	struct numa_acpi numa;
	struct linux_layout lay;
	uint8_t *k = NULL, *ird = NULL, *tables;
	size_t ksize = 0, isize = 0;
	const char *cmdline = lb->cmdline ? lb->cmdline : "console=ttyS0";
	int ret;

	if (vm->cfg.numa && vm->cfg.numa->nr)
		numa_plan_acpi(vm->cfg.numa, &numa, &ac);
	ret = read_file("--kernel", lb->kernel, &k, &ksize, e);
	if (ret)
		return ret;
	if (lb->initrd) {
		ret = read_file("--initrd", lb->initrd, &ird, &isize, e);
		if (ret)
			goto out;
	}
	tables = guest_mem_ptr(&vm->mem, ACPI_TABLES_BASE, ACPI_TABLES_SIZE);
	if (!tables) {
		ret = err_set(e, ENOMEM, "no guest RAM for the ACPI tables");
		goto out;
	}
	ret = acpi_build(tables, ACPI_TABLES_BASE, ACPI_TABLES_SIZE, &ac, e);
	if (ret < 0)
		goto out;
	ret = linux_load(&vm->mem, k, ksize, ird, isize, cmdline, ACPI_TABLES_BASE, &lay, e);
	if (ret) {
		err_prefix(e, "--kernel %s", lb->kernel);
		goto out;
	}
	ret = write_paging_gdt(&vm->mem, e);
	if (!ret)
		ret = lapic_virtual_wire(vm, e);
	if (!ret)
		ret = mtrr_default_wb(vm, e);
	if (!ret)
		ret = vcpu_enter_long_mode(&vm->vcpus[0], &lay, e);
out:
	free(k);
	free(ird);
	return ret;
}
