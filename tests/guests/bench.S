/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The startup benchmark's guest: nothing but the reset vector, which
 * resets through the i8042 and, where there is none (QEMU microvm),
 * leaves through isa-debug-exit.  Real mode only, so every VMM (and the
 * bare KVM floor) runs exactly the same instructions.
 */
	/* one byte at 0xF0000 so the flat image spans the full 64 KiB */
	.section .text16, "ax"
	.byte 0xf4

	.section .reset, "ax"
	.code16
	.globl reset_vector
reset_vector:
	movb $0xfe, %al
	outb %al, $0x64
	movw $0x501, %dx
	xorw %ax, %ax
	outw %ax, %dx
1:	jmp 1b
	.balign 16, 0xf4
	.section .note.GNU-stack,"",@progbits
