// SPDX-License-Identifier: GPL-2.0-only
/* Serial output: terminal escaping and the bounded ring the I/O thread drains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices.h"
#include "serial_out.h"
#include "vm.h"

static void esc(uint8_t c, const char *want)
{
	char out[4];
	size_t n = serial_escape(c, out);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void escaping(void **state)
{
	(void)state;
	esc('a', "a");
	esc(' ', " ");
	esc('~', "~");
	esc('\n', "\n");
	esc('\r', "\r");
	esc('\t', "\t");
	esc('\b', "\b");
	esc(0x1b, "^[");
	esc(0x00, "^@");
	esc(0x07, "^G");
	esc(0x0c, "^L");
	esc(0x7f, "^?");
	esc(0x9b, "M-^["); /* the 8-bit CSI */
	esc(0xe9, "M-i");
	esc(0xff, "M-^?");
	esc(0xa0, "M- ");
}

static size_t drain(struct serial_out *o, uint8_t *dst, size_t max)
{
	size_t n = serial_out_peek(o, dst, max);

	serial_out_consume(o, n);
	return n;
}

static void put_str(struct serial_out *o, const char *s)
{
	while (*s)
		serial_out_put(o, (uint8_t)*s++);
}

static void ring_escapes_only_when_asked(void **state)
{
	struct serial_out *o = calloc(1, sizeof(*o));
	uint8_t buf[64];
	size_t n;

	(void)state;
	/* raw: bytes as they are */
	assert_true(serial_out_put(o, 0x1b));
	assert_false(serial_out_put(o, '['));
	put_str(o, "2J\n");
	n = drain(o, buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "\x1b[2J\n", 5);
	/* escaped: the terminal never sees the ESC */
	o->escape = true;
	put_str(o, "\x1b[2Jok\r\n");
	n = drain(o, buf, sizeof(buf));
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "^[[2Jok\r\n", 9);
	assert_int_equal(o->dropped, 0);
	free(o);
}

static void ring_full_drops_newest_in_order(void **state)
{
	struct serial_out *o = calloc(1, sizeof(*o));
	uint8_t *buf = malloc(SERIAL_OUT_SIZE);
	size_t n;

	(void)state;
	/* wrap the ring once so the full state spans its end */
	put_str(o, "abc");
	assert_int_equal(drain(o, buf, 3), 3);
	for (size_t i = 0; i < SERIAL_OUT_SIZE; i++)
		serial_out_put(o, (uint8_t)('0' + i % 10));
	assert_int_equal(o->len, SERIAL_OUT_SIZE);
	assert_int_equal(o->dropped, 0);
	/* full: the newest bytes are dropped and counted, what is queued stays */
	assert_false(serial_out_put(o, 'X'));
	assert_false(serial_out_put(o, 'Y'));
	assert_int_equal(o->dropped, 2);
	n = serial_out_peek(o, buf, 10);
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "0123456789", 10);
	/* partial consumption (a short write) keeps the order */
	serial_out_consume(o, 7);
	assert_int_equal(serial_out_peek(o, buf, 5), 5);
	assert_memory_equal(buf, "78901", 5);
	/* an escaped byte goes in whole or not at all */
	o->escape = true;
	serial_out_consume(o, SERIAL_OUT_SIZE - 7 - 3);
	assert_int_equal(o->len, 3);
	for (size_t i = 0; i < SERIAL_OUT_SIZE - 3 - 3; i++)
		serial_out_put(o, 'z');
	assert_int_equal(SERIAL_OUT_SIZE - o->len, 3);
	assert_false(serial_out_put(o, 0x9b)); /* "M-^[" needs 4 */
	assert_int_equal(o->dropped, 3);
	serial_out_put(o, 0x1b); /* "^[" fits */
	assert_int_equal(SERIAL_OUT_SIZE - o->len, 1);
	n = drain(o, buf, SERIAL_OUT_SIZE);
	assert_int_equal(n, SERIAL_OUT_SIZE - 1);
	assert_memory_equal(buf, "345", 3); /* the last digits queued (65533 % 10 = 3) */
	assert_memory_equal(buf + n - 3, "z^[", 3);
	/* empty again: the next byte asks for a wake-up */
	assert_int_equal(o->len, 0);
	assert_true(serial_out_put(o, 'a'));
	free(buf);
	free(o);
}

/*
 * The port on a VM without KVM: the vCPU path only queues (nothing reaches
 * the console fd, the I/O thread's eventfd is signalled), and destroying
 * the VM writes everything out, in order, escaped as asked.
 */
static void port_queues_and_flushes_at_destroy(void **state)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	const char *msg = "hello \x1b[31mred\x1b[0m\n";
	char want[] = "hello ^[[31mred^[[0m\n";
	struct epoll_event ev[4];
	struct errinfo e;
	char got[64];
	int p[2];
	ssize_t n;

	(void)state;
	assert_non_null(vm);
	vm->vm_fd = -1;
	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(vm->epoll_fd >= 0);
	pthread_mutex_init(&vm->io_lock, NULL);
	vlog_init(&vm->log);
	assert_int_equal(bus_init(&vm->pio, "pio"), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(serial__add(vm, -1, p[1], true, &e), 0);
	for (const char *c = msg; *c; c++) {
		uint8_t b = (uint8_t)*c;

		assert_true(bus_dispatch(&vm->pio, 0x3f8, &b, 1, true));
	}
	/*
	 * Nothing written on the vCPU's thread; the I/O thread has two reasons
	 * to run: the eventfd (output queued) and the pipe's room (EPOLLOUT).
	 */
	assert_int_equal(read(p[0], got, sizeof(got)), -1);
	assert_int_equal(epoll_wait(vm->epoll_fd, ev, 4, 0), 2);
	/* teardown flushes what is queued */
	vm_run_cleanups(vm);
	n = read(p[0], got, sizeof(got));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(got, want, strlen(want));
	close(p[0]);
	close(p[1]);
	bus_exit(&vm->pio);
	vlog_exit(&vm->log);
	vm_io_cleanup(vm);
	pthread_mutex_destroy(&vm->io_lock);
	close(vm->epoll_fd);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escaping),
		cmocka_unit_test(ring_escapes_only_when_asked),
		cmocka_unit_test(ring_full_drops_newest_in_order),
		cmocka_unit_test(port_queues_and_flushes_at_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
