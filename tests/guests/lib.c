// SPDX-License-Identifier: GPL-2.0-only
#include "guest.h"

void putc_serial(char c)
{
	/* wait for THR empty, so the same code works on a real 16550 */
	for (int i = 0; i < 100000 && !(inb(0x3f8 + 5) & 0x20); i++)
		;
	outb(0x3f8, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_serial('\r');
		putc_serial(*s++);
	}
}

void put_hex(uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		putc_serial("0123456789abcdef"[(v >> (4 * i)) & 0xf]);
}

void put_dec(uint64_t v)
{
	char b[24];
	int n = 0;

	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_serial(b[--n]);
}

void exit_i8042_reset(void)
{
	outb(0x64, 0xfe);
	/* machines without an i8042 (QEMU microvm): leave through isa-debug-exit */
	outw(0x501, 0);
	for (;;)
		__asm__ volatile("pause");
}

void exit_acpi_poweroff(void)
{
	/* SLP_TYP = 5 (vfvm's \_S5), SLP_EN */
	outw(0x604, (5 << 10) | (1 << 13));
	for (;;)
		__asm__ volatile("pause");
}

void exit_debug(uint16_t code)
{
	outw(0x501, code);
	for (;;)
		__asm__ volatile("pause");
}
