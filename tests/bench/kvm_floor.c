// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor for the startup benchmark: the fewest KVM calls that run a
 * flat firmware image until its first port write to 0x64 or 0x501.
 * Usage: kvm_floor IMAGE [irqchip]
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kvm, vm, cpu, fd;
	struct kvm_userspace_memory_region low = {.slot = 0}, top = {.slot = 1};
	struct kvm_run *run;
	uint8_t *mem;
	ssize_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: kvm_floor IMAGE [irqchip]\n");
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("kvm");
		return 1;
	}
	if (argc > 2 && !strcmp(argv[2], "irqchip") && ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("KVM_CREATE_IRQCHIP");
		return 1;
	}
	/* 1 MiB of RAM with the 64 KiB image at 0xF0000, and the image again below 4 GiB */
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = open(argv[1], O_RDONLY);
	if (mem == MAP_FAILED || fd < 0 || (n = read(fd, mem + 0xf0000, 0x10000)) != 0x10000) {
		perror(argv[1]);
		return 1;
	}
	low.memory_size = 1 << 20;
	low.userspace_addr = (unsigned long)mem;
	top.guest_phys_addr = 0xffff0000;
	top.memory_size = 0x10000;
	top.userspace_addr = (unsigned long)(mem + 0xf0000);
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &low) < 0 ||
	    ioctl(vm, KVM_SET_USER_MEMORY_REGION, &top) < 0) {
		perror("KVM_SET_USER_MEMORY_REGION");
		return 1;
	}
	cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		   MAP_SHARED, cpu, 0);
	if (cpu < 0 || run == MAP_FAILED) {
		perror("vcpu");
		return 1;
	}
	for (;;) {
		if (ioctl(cpu, KVM_RUN, 0) < 0) {
			perror("KVM_RUN");
			return 1;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
		    (run->io.port == 0x64 || run->io.port == 0x501))
			return 0;
		if (run->exit_reason != KVM_EXIT_IO && run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
}
