// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshot of the 16550 UART (serial_save/serial_load) on a VM with only
 * what the UART touches (the I/O port bus and a recording KVM_IRQ_LINE):
 * registers, divisor, FIFO contents and the interrupt line come back, the
 * guest goes on reading; hostile sections change nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <cmocka.h>

#include "devices.h"
#include "serial.h"
#include "snap_test.h"
#include "vm.h"

#define COM1 0x3f8

/* The fake KVM: per VM (vm_fd 1000 + n), the last level driven on each of the first 32 GSIs. */
struct line_rec {
	int level[32];
	int calls;
};

static struct line_rec lines[2];

struct uart_vm {
	struct vm vm;
	struct line_rec *lines;
};

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	if (req == KVM_IRQ_LINE && fd >= 1000 && fd < 1002) {
		struct kvm_irq_level *l = arg;

		if (l->irq < 32)
			lines[fd - 1000].level[l->irq] = (int)l->level;
		lines[fd - 1000].calls++;
	}
	return 0;
}

static const struct irq_kvm_ops fake_ops = {.ioctl = fake_ioctl};

static struct uart_vm *uart_vm_new(int n)
{
	struct uart_vm *u = calloc(1, sizeof(*u));
	struct errinfo e = {0};

	assert_non_null(u);
	assert_int_equal(bus_init(&u->vm.pio, "pio"), 0);
	memset(&lines[n], 0, sizeof(lines[n]));
	u->lines = &lines[n];
	assert_int_equal(irq_routing_init(&u->vm.irq, 1000 + n, 64, false, &fake_ops, &e), 0);
	vlog_init(&u->vm.log);
	assert_int_equal(serial__add(&u->vm, -1, -1, false, &e), 0);
	assert_non_null(u->vm.serial);
	return u;
}

static void uart_vm_free(struct uart_vm *u)
{
	vm_run_cleanups(&u->vm);
	irq_routing_exit(&u->vm.irq);
	vlog_exit(&u->vm.log);
	bus_exit(&u->vm.pio);
	free(u);
}

static void outb(struct uart_vm *u, unsigned int reg, uint8_t v)
{
	assert_true(bus_dispatch(&u->vm.pio, COM1 + reg, &v, 1, true));
}

static uint8_t inb(struct uart_vm *u, unsigned int reg)
{
	uint8_t v = 0;

	assert_true(bus_dispatch(&u->vm.pio, COM1 + reg, &v, 1, false));
	return v;
}

/* What the 8250 driver leaves behind, plus two looped-back bytes (one read). */
static void guest_programs(struct uart_vm *u)
{
	outb(u, 3, 0x80); /* DLAB */
	outb(u, 0, 0x01); /* 115200 */
	outb(u, 1, 0x00);
	outb(u, 3, 0x03); /* 8N1 */
	outb(u, 2, 0x07); /* FIFO on, cleared */
	outb(u, 7, 0x5a); /* scratch */
	outb(u, 4, 0x1b); /* loopback, OUT2, RTS, DTR */
	outb(u, 0, 'h');
	outb(u, 0, 'i');
	outb(u, 0, '!');
	outb(u, 4, 0x0b); /* loopback off: the bytes stay in the FIFO */
	assert_int_equal(inb(u, 0), 'h');
	outb(u, 1, 0x01); /* receive interrupts on */
}

struct fx {
	struct uart_vm *a, *b;
	struct snap_out o;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->a = uart_vm_new(0);
	guest_programs(f->a);
	st_begin(&f->o, "serial");
	serial_save(f->a->vm.serial, &f->o);
	snap_end(&f->o);
	f->b = uart_vm_new(1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	uart_vm_free(f->a);
	uart_vm_free(f->b);
	snap_out_free(&f->o);
	free(f);
	return 0;
}

static void registers(struct uart_vm *u, uint8_t r[8])
{
	r[0] = inb(u, 1); /* IER */
	r[1] = inb(u, 3); /* LCR */
	r[2] = inb(u, 4); /* MCR */
	r[3] = inb(u, 7); /* SCR */
	r[4] = inb(u, 5); /* LSR (data ready) */
	outb(u, 3, r[1] | 0x80);
	r[5] = inb(u, 0); /* DLL */
	r[6] = inb(u, 1); /* DLM */
	outb(u, 3, r[1]);
	r[7] = inb(u, 2); /* IIR: receive data pending, FIFO on */
}

static void serial_restored(void **state)
{
	struct fx *f = *state;
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	uint8_t ra[8], rb[8];

	assert_int_equal(st_reopen(&f->o, &in, "serial", &s, &e), 0);
	assert_int_equal(serial_load(f->b->vm.serial, s, "snap", &e), 0);
	assert_int_equal(snap_close(s, "snap", &e), 0);
	/* IRQ 4 driven as the registers say: received data with RDI enabled */
	assert_int_equal(f->a->lines->level[4], 1);
	assert_int_equal(f->b->lines->level[4], 1);
	registers(f->a, ra);
	registers(f->b, rb);
	assert_memory_equal(ra, rb, sizeof(ra));
	assert_int_equal(rb[0], 0x01);
	assert_int_equal(rb[5], 0x01);
	assert_int_equal(rb[7], 0xc4);
	/* the guest reads on where it stopped */
	assert_int_equal(inb(f->b, 0), 'i');
	assert_int_equal(inb(f->b, 0), '!');
	assert_int_equal(inb(f->b, 5) & 1, 0);
	assert_int_equal(inb(f->b, 2), 0xc1);
	assert_int_equal(f->b->lines->level[4], 0);
	snap_in_free(&in);
}

static void serial_hostile(void **state)
{
	struct fx *f = *state;
	struct snap_sec s;
	struct errinfo e = {0};
	uint8_t *p;

	st_raw(&f->o, &s, &p);
	p[0] = 0xf1; /* IER with bits a write cannot leave */
	assert_int_equal(serial_load(f->b->vm.serial, &s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "serial: IER 0xf1"));
	assert_int_equal(inb(f->b, 1), 0);
	p[0] = 0x01;
	st_put_le(p + 8, 300, 2); /* more bytes than the FIFO holds */
	s.pos = 0;
	s.bad = false;
	assert_int_equal(serial_load(f->b->vm.serial, &s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "300 received bytes"));
	st_put_le(p + 8, 2, 2);
	s.len = 11; /* truncated in the FIFO bytes */
	s.pos = 0;
	s.bad = false;
	assert_int_equal(serial_load(f->b->vm.serial, &s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "received bytes truncated"));
	assert_int_equal(f->b->lines->calls, 0);
	assert_int_equal(inb(f->b, 5) & 1, 0);
	assert_int_equal(inb(f->b, 1), 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(serial_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(serial_hostile, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
