/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tiny runtime for guest programs (64-bit, identity mapped, no SSE):
 * port/MMIO access, a polling 16550 console, PCI config through ECAM and
 * the ways out of the VM.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdbool.h>
#include <stdint.h>

#define ECAM_BASE 0xE0000000UL

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t mmio_r32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

static inline uint16_t mmio_r16(uint64_t a)
{
	return *(volatile uint16_t *)a;
}

static inline uint8_t mmio_r8(uint64_t a)
{
	return *(volatile uint8_t *)a;
}

static inline void mmio_w32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static inline void mmio_w16(uint64_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}

static inline void mmio_w8(uint64_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}

static inline void mmio_w64(uint64_t a, uint64_t v)
{
	/* two dword writes: the virtio spec allows it and traps stay simple */
	mmio_w32(a, (uint32_t)v);
	mmio_w32(a + 4, (uint32_t)(v >> 32));
}

void putc_serial(char c);
void puts_serial(const char *s);
void put_hex(uint64_t v, int digits);
void put_dec(uint64_t v);

static inline uint64_t ecam(unsigned int slot, unsigned int off)
{
	return ECAM_BASE + ((uint64_t)slot << 15) + off;
}

/* Exits */
void __attribute__((noreturn)) exit_i8042_reset(void);
void __attribute__((noreturn)) exit_acpi_poweroff(void);
void __attribute__((noreturn)) exit_debug(uint16_t code);

/* Each guest program defines this; start.S calls it once long mode is on. */
void guest_main(void);

#endif
