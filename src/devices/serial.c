// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550A UART at 0x3F8 (COM1, IRQ 4): transmit to an fd, receive from an
 * fd watched by the I/O thread.  FIFOs are modelled only as far as Linux's
 * 8250 driver and simple polling guests need: a receive buffer, THR-empty
 * and data-ready interrupts on IRQ 4.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices.h"
#include "vm.h"

#define SERIAL_BASE 0x3f8
#define SERIAL_IRQ 4
#define RX_SIZE 256

/* registers */
#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	int in_fd, out_fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri_pending; /* THR-empty interrupt not yet acknowledged */
	int irq_level;
	uint8_t rx[RX_SIZE];
	unsigned int rx_head, rx_len;
};

static void update_irq(struct serial *s)
{
	int level = ((s->ier & IER_RDI) && s->rx_len) || ((s->ier & IER_THRI) && s->thri_pending);

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_line(&s->vm->irq, SERIAL_IRQ, level, NULL);
	}
}

static void tx(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		if (s->rx_len < RX_SIZE)
			s->rx[(s->rx_head + s->rx_len++) % RX_SIZE] = c;
	} else if (s->out_fd >= 0) {
		/* a closed or full console must not stop the guest */
		while (write(s->out_fd, &c, 1) < 0 && errno == EINTR)
			;
	}
	s->thri_pending = true;
}

static void serial_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;
	uint8_t v = is_write ? data[0] : 0;
	bool dlab;

	if (len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & LCR_DLAB;
	switch (off) {
	case UART_RBR:
		if (is_write) {
			if (dlab)
				s->dll = v;
			else
				tx(s, v);
		} else if (dlab) {
			v = s->dll;
		} else if (s->rx_len) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % RX_SIZE;
			s->rx_len--;
		}
		break;
	case UART_IER:
		if (is_write) {
			if (dlab) {
				s->dlm = v;
			} else {
				/* enabling THRI with an empty THR raises it at once */
				if (!(s->ier & IER_THRI) && (v & IER_THRI))
					s->thri_pending = true;
				s->ier = v & 0x0f;
			}
		} else {
			v = dlab ? s->dlm : s->ier;
		}
		break;
	case UART_IIR:
		if (is_write) {
			s->fcr = v;
			if (v & 0x02) { /* clear receive FIFO */
				s->rx_len = 0;
				s->rx_head = 0;
			}
		} else {
			uint8_t fifo = (s->fcr & 1) ? 0xc0 : 0;

			if ((s->ier & IER_RDI) && s->rx_len) {
				v = 0x04 | fifo;
			} else if ((s->ier & IER_THRI) && s->thri_pending) {
				v = 0x02 | fifo;
				s->thri_pending = false; /* reading IIR acknowledges THRE */
			} else {
				v = 0x01 | fifo;
			}
		}
		break;
	case UART_LCR:
		if (is_write)
			s->lcr = v;
		else
			v = s->lcr;
		break;
	case UART_MCR:
		if (is_write)
			s->mcr = v & 0x1f;
		else
			v = s->mcr;
		break;
	case UART_LSR:
		if (!is_write)
			v = LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
		break;
	case UART_MSR:
		if (!is_write) {
			/* loopback mirrors MCR; otherwise DCD, DSR, CTS asserted */
			if (s->mcr & MCR_LOOP)
				v = (uint8_t)(((s->mcr & 0x0c) << 4) | ((s->mcr & 0x03) << 4));
			else
				v = 0xb0;
		}
		break;
	case UART_SCR:
		if (is_write)
			s->scr = v;
		else
			v = s->scr;
		break;
	}
	if (!is_write)
		data[0] = v;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_input(int fd, uint32_t events, void *opaque)
{
	struct serial *s = opaque;
	uint8_t buf[RX_SIZE];
	ssize_t n;

	pthread_mutex_lock(&s->lock);
	n = RX_SIZE - s->rx_len;
	pthread_mutex_unlock(&s->lock);
	if (n == 0) {
		/* the guest is not reading: drop input as a full 16550 FIFO would */
		if (read(fd, buf, sizeof(buf)) < 0) {
			/* nothing to do: the next readiness event retries */
		}
		return;
	}
	n = read(fd, buf, (size_t)n);
	if (n <= 0) {
		/* EOF or error on stdin: stop watching it, the guest keeps running */
		if (n == 0 || (errno != EAGAIN && errno != EINTR) ||
		    (events & (EPOLLHUP | EPOLLERR)))
			vm_io_del(s->vm, fd);
		return;
	}
	pthread_mutex_lock(&s->lock);
	for (ssize_t i = 0; i < n && s->rx_len < RX_SIZE; i++)
		s->rx[(s->rx_head + s->rx_len++) % RX_SIZE] = buf[i];
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_release(void *opaque)
{
	struct serial *s = opaque;

	s->vm->serial = NULL;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int serial__add(struct vm *vm, int in_fd, int out_fd, struct errinfo *e)
{
	struct serial *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return err_sys(e, ENOMEM, "serial port");
	s->vm = vm;
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	pthread_mutex_init(&s->lock, NULL);
	ret = bus_register(&vm->pio, SERIAL_BASE, 8, serial_access, s, "serial", e);
	if (ret)
		goto fail;
	if (in_fd >= 0) {
		ret = vm_io_add(vm, in_fd, EPOLLIN, serial_input, s, e);
		if (ret == -EPERM || ret == -EBADF) {
			/* regular files and /dev/null cannot be polled: no input then */
			s->in_fd = -1;
			ret = 0;
		} else if (ret) {
			bus_unregister(&vm->pio, SERIAL_BASE);
			goto fail;
		}
	}
	/* freed with the VM, after the vCPU and I/O threads stopped */
	ret = vm_at_destroy(vm, serial_release, s, e);
	if (ret)
		goto fail_io;
	vm->serial = s;
	return 0;
fail_io:
	if (s->in_fd >= 0)
		vm_io_del(vm, s->in_fd);
	bus_unregister(&vm->pio, SERIAL_BASE);
fail:
	pthread_mutex_destroy(&s->lock);
	free(s);
	return ret;
}
