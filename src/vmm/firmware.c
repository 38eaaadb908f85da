// SPDX-License-Identifier: GPL-2.0-only
/* Flat firmware images placed like a PC BIOS (see boot.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "vm.h"

#define BIOS_SHADOW_END 0x100000ULL
#define BIOS_SHADOW_MAX 0x10000ULL
#define FOUR_GIB 0x100000000ULL

int firmware_place(struct vm *vm, const uint8_t *img, size_t size, const char *what,
		   struct errinfo *e)
{
	size_t shadow = size < BIOS_SHADOW_MAX ? size : BIOS_SHADOW_MAX;
	size_t map = (size + 4095) & ~(size_t)4095;
	bool ro;
	uint8_t *low, *hi;
	int ret;

	if (!size || size > FIRMWARE_MAX_SIZE)
		return err_set(e, EFBIG, "firmware %s: %zu bytes; it must be 1 byte to %u MiB",
			       what, size, FIRMWARE_MAX_SIZE >> 20);
	low = guest_mem_ptr(&vm->mem, BIOS_SHADOW_END - shadow, shadow);
	if (!low)
		return err_set(e, ENOMEM, "firmware %s: guest RAM does not reach 1 MiB", what);
	memcpy(low, img + size - shadow, shadow);

	hi = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hi == MAP_FAILED)
		return err_sys(e, errno, "firmware %s: mapping %zu bytes", what, map);
	memcpy(hi + map - size, img, size);
	ro = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	ret = vm_memslot_add(vm, FOUR_GIB - map, map, hi, ro, e);
	if (ret < 0) {
		munmap(hi, map);
		err_prefix(e, "firmware %s", what);
		return ret;
	}
	/* the mapping lives as long as the VM (the process) */
	return 0;
}

int firmware_load(struct vm *vm, const char *path, struct errinfo *e)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "--firmware %s", path);
	if (fstat(fd, &st) < 0) {
		ret = err_sys(e, errno, "--firmware %s: stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = err_set(e, EINVAL, "--firmware %s is not a regular file", path);
		goto out;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > FIRMWARE_MAX_SIZE) {
		ret = err_set(e, EFBIG, "--firmware %s: %lld bytes; it must be 1 byte to %u MiB",
			      path, (long long)st.st_size, FIRMWARE_MAX_SIZE >> 20);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		ret = err_sys(e, ENOMEM, "--firmware %s", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? err_sys(e, errno, "--firmware %s: read", path)
				    : err_set(e, EIO, "--firmware %s: file shrank while reading",
					      path);
			free(buf);
			goto out;
		}
		got += (size_t)n;
	}
	ret = firmware_place(vm, buf, got, path, e);
	free(buf);
out:
	close(fd);
	return ret;
}
