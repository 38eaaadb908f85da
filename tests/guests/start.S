/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry of every guest program: the reset vector at the top of the 64 KiB
 * image jumps to the copy at 0xF0000, which switches to protected mode,
 * builds identity page tables for the first 8 GiB (2 MiB pages) and enters
 * 64-bit mode to call guest_main().  Works the same in vfvm --firmware and
 * qemu -bios: nothing here depends on what the VMM puts in RAM.
 */
#define PT_BASE 0x1000 /* PML4 at 0x1000, PDPT at 0x2000, PDs at 0x3000-0xAFFF */
#define STACK_TOP 0x7f000

	.section .text16, "ax"
	.code16
	.globl start16
start16:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x7000, %sp
	/* gdt_desc is in the image at 0xF0000+; reach it with DS = 0xF000 */
	movw $0xf000, %ax
	movw %ax, %ds
	lgdtl gdt_desc - 0xf0000
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $start32

	.code32
start32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $STACK_TOP, %esp

	/* clear 0x1000-0xAFFF */
	movl $PT_BASE, %edi
	movl $(10 * 4096 / 4), %ecx
	xorl %eax, %eax
	rep stosl
	/* PML4[0] -> PDPT */
	movl $(PT_BASE + 0x1000 + 3), PT_BASE
	/* PDPT[i] -> PD i, i = 0..7 */
	movl $0, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $(PT_BASE + 0x2000 + 3), %eax
	movl %eax, PT_BASE + 0x1000(,%ecx,8)
	incl %ecx
	cmpl $8, %ecx
	jne 1b
	/* 8 PDs x 512 entries of 2 MiB: entry n maps n * 2 MiB */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax		/* present, writable, 2 MiB page */
	movl %eax, PT_BASE + 0x2000(,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax		/* high dword: n * 2 MiB >> 32 */
	movl %eax, PT_BASE + 0x2004(,%ecx,8)
	incl %ecx
	cmpl $(8 * 512), %ecx
	jne 2b

	movl $PT_BASE, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax		/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx	/* EFER */
	rdmsr
	orl $0x100, %eax	/* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax	/* PG */
	movl %eax, %cr0
	ljmpl $0x18, $start64

	.code64
start64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq $STACK_TOP, %rsp
	call guest_main
	/* guest_main should not return; say so on the debug-exit port */
	movw $0x501, %dx
	movw $63, %ax
	outw %ax, %dx
3:	jmp 3b

	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt

	.section .reset, "ax"
	.code16
	.globl reset_vector
reset_vector:
	/* at 0xFFFF0 (and 0xFFFFFFF0): continue in the low copy */
	ljmp $0xf000, $(start16 - 0xf0000)
	.balign 16, 0xf4
	.section .note.GNU-stack,"",@progbits
