/* SPDX-License-Identifier: GPL-2.0-only */
/* Linux boot protocol internals, split out so unit tests can check them. */
#ifndef VFVM_BOOT_LINUX_H
#define VFVM_BOOT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "guest_mem.h"

/* Low-memory layout used for a Linux boot */
#define BOOT_GDT_ADDR 0x500
#define BOOT_PARAMS_ADDR 0x7000
#define BOOT_PML4_ADDR 0x9000 /* PML4, PDPT at +0x1000, four PDs at +0x2000 */
#define BOOT_CMDLINE_ADDR 0x20000
#define BOOT_CMDLINE_MAX 0x10000
#define BOOT_EBDA_START 0x9fc00
#define BOOT_KERNEL_ADDR 0x100000
#define BOOT_ENTRY64_OFF 0x200 /* startup_64 from the start of the protected-mode kernel */

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_MAX 128

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct linux_layout {
	uint64_t entry; /* 64-bit entry point */
	uint64_t boot_params; /* passed in RSI */
	uint64_t cmdline;
	uint64_t initrd_addr, initrd_size;
	uint64_t kernel_end; /* load address + max(init_size, image) */
};

/* The e820 map for @m: returns the entry count or -ENOSPC. */
int linux_e820(const struct guest_mem *m, struct e820_entry *out, int max);

/*
 * Check the bzImage header, copy the kernel to 1 MiB, build boot_params
 * (setup header, cmdline, initrd, e820, RSDP address) in guest memory.
 */
int linux_load(struct guest_mem *m, const uint8_t *k, size_t ksize, const uint8_t *initrd,
	       size_t isize, const char *cmdline, uint64_t rsdp, struct linux_layout *lay,
	       struct errinfo *e);

#endif
