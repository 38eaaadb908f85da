/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading what the guest runs: a flat firmware image or a Linux bzImage. */
#ifndef VFVM_BOOT_H
#define VFVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"

struct vm;

#define FIRMWARE_MAX_SIZE (16u << 20)

/*
 * --firmware FILE: the image's last 64 KiB (or all of a smaller image) is
 * copied to RAM ending at 1 MiB (0xF0000 for 64 KiB), and the whole image
 * is mapped read-only to end at 4 GiB, as on a PC.  vCPU 0 starts at the
 * reset vector F000:FFF0 (KVM's reset state).
 */
int firmware_load(struct vm *vm, const char *path, struct errinfo *e);
/* Same, from memory (unit tests and callers that read the file themselves). */
int firmware_place(struct vm *vm, const uint8_t *img, size_t size, const char *what,
		   struct errinfo *e);

struct linux_boot {
	const char *kernel;
	const char *initrd; /* NULL: none */
	const char *cmdline; /* NULL: "" */
};

/* --kernel/--initrd/--cmdline: 64-bit boot protocol into vCPU 0 (vm must be created). */
int linux_boot(struct vm *vm, const struct linux_boot *lb, struct errinfo *e);

#endif
