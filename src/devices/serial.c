// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550A UART at 0x3F8 (COM1, IRQ 4): transmit into a bounded ring that the
 * I/O thread writes to an fd (woken through an eventfd, so a stalled
 * console never stalls a vCPU; flushed at VM destroy), receive from an fd
 * watched by the I/O thread.  FIFOs are modelled only as far as Linux's
 * 8250 driver and simple polling guests need: a receive buffer, THR-empty
 * and data-ready interrupts on IRQ 4.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices.h"
#include "serial.h"
#include "serial_out.h"
#include "vm.h"

#define SERIAL_BASE 0x3f8
#define SERIAL_IRQ 4
#define RX_SIZE 256
/* How long vfvm's exit waits for a console that stopped reading. */
#define SERIAL_EXIT_WAIT_MS 5000

/* A terminal that polls writable has room for at least this much (WAKEUP_CHARS). */
#define SERIAL_TX_CHUNK 256

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
	int out_efd; /* eventfd: output queued, for the I/O thread */
	bool out_pollable; /* out_fd watched for EPOLLOUT (not a regular file) */
	struct serial_out out; /* under lock */
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
	} else if (s->out_fd >= 0 && serial_out_put(&s->out, c)) {
		uint64_t one = 1;

		/* the ring was empty: wake the I/O thread (EAGAIN: a wake-up is pending) */
		(void)!write(s->out_efd, &one, sizeof(one));
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

/*
 * Write the queued output to the console, in order, until the ring is
 * empty.  On the I/O thread (!@final) a console that can be polled gets
 * small writes only while it says it has room (a pipe or terminal that
 * stops reading must not block the I/O thread either): when it has none,
 * its EPOLLOUT edge brings us back.  At teardown (@final) everything goes
 * out.  A console that fails (closed) loses what is queued: counted as
 * dropped, the guest goes on.
 */
static void serial_drain(struct serial *s, bool final)
{
	uint8_t buf[4096];
	size_t n;
	ssize_t w;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = serial_out_peek(&s->out, buf, final ? sizeof(buf) : SERIAL_TX_CHUNK);
		pthread_mutex_unlock(&s->lock);
		if (!n)
			return;
		if (s->out_pollable) {
			struct pollfd pfd = {.fd = s->out_fd, .events = POLLOUT};

			/*
			 * At exit, a console that takes nothing for SERIAL_EXIT_WAIT_MS
			 * loses the rest (counted): the devices still have to go back
			 * to the host, whoever stopped reading.
			 */
			if (poll(&pfd, 1, final ? SERIAL_EXIT_WAIT_MS : 0) == 0) {
				if (final) {
					pthread_mutex_lock(&s->lock);
					s->out.dropped += s->out.len;
					serial_out_consume(&s->out, s->out.len);
					pthread_mutex_unlock(&s->lock);
				}
				return;
			}
		}
		while ((w = write(s->out_fd, buf, n)) < 0 && errno == EINTR)
			;
		if (w < 0 && errno == EAGAIN) {
			/* a non-blocking console that is full: later (EPOLLOUT), or wait at exit */
			struct pollfd pfd = {.fd = s->out_fd, .events = POLLOUT};

			if (!final || poll(&pfd, 1, SERIAL_EXIT_WAIT_MS) <= 0)
				return;
			continue;
		}
		pthread_mutex_lock(&s->lock);
		if (w <= 0) {
			s->out.dropped += s->out.len;
			serial_out_consume(&s->out, s->out.len);
		} else {
			serial_out_consume(&s->out, (size_t)w);
		}
		pthread_mutex_unlock(&s->lock);
		if (w <= 0)
			return;
	}
}

/* The eventfd: the vCPU queued output into an empty ring. */
static void serial_output(int fd, uint32_t events, void *opaque)
{
	uint64_t v;

	(void)events;
	(void)!read(fd, &v, sizeof(v));
	serial_drain(opaque, false);
}

/* The console has room again (edge-triggered EPOLLOUT). */
static void serial_writable(int fd, uint32_t events, void *opaque)
{
	(void)fd;
	(void)events;
	serial_drain(opaque, false);
}

static void serial_release(void *opaque)
{
	struct serial *s = opaque;

	/* the vCPUs have stopped: what they queued last goes out now */
	if (s->out_fd >= 0)
		serial_drain(s, true);
	if (s->out.dropped)
		vlog_report(&s->vm->log, VLOG_WARN,
			    "serial: %llu bytes of guest output dropped (console too slow)",
			    (unsigned long long)s->out.dropped);
	if (s->out_efd >= 0)
		close(s->out_efd);
	s->vm->serial = NULL;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int serial__add(struct vm *vm, int in_fd, int out_fd, bool escape, struct errinfo *e)
{
	struct serial *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return err_sys(e, ENOMEM, "serial port");
	s->vm = vm;
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->out_efd = -1;
	s->out.escape = escape;
	pthread_mutex_init(&s->lock, NULL);
	if (out_fd >= 0) {
		s->out_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->out_efd < 0) {
			ret = err_sys(e, errno, "serial port: eventfd");
			goto fail;
		}
		ret = vm_io_add(vm, s->out_efd, EPOLLIN, serial_output, s, e);
		if (ret)
			goto fail;
		ret = vm_io_add(vm, out_fd, EPOLLOUT | EPOLLET, serial_writable, s, e);
		if (ret == -EPERM || ret == -EBADF) {
			/* a regular file or /dev/null: writes never wait */
			ret = 0;
		} else if (ret) {
			vm_io_del(vm, s->out_efd);
			goto fail;
		} else {
			s->out_pollable = true;
		}
	}
	ret = bus_register(&vm->pio, SERIAL_BASE, 8, serial_access, s, "serial", e);
	if (ret)
		goto fail_out;
	if (in_fd >= 0) {
		ret = vm_io_add(vm, in_fd, EPOLLIN, serial_input, s, e);
		if (ret == -EPERM || ret == -EBADF) {
			/* regular files and /dev/null cannot be polled: no input then */
			s->in_fd = -1;
			ret = 0;
		} else if (ret) {
			bus_unregister(&vm->pio, SERIAL_BASE);
			goto fail_out;
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
fail_out:
	if (s->out_pollable)
		vm_io_del(vm, out_fd);
	if (s->out_efd >= 0)
		vm_io_del(vm, s->out_efd);
fail:
	if (s->out_efd >= 0)
		close(s->out_efd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return ret;
}

/*
 * Snapshots.  Layout: u8 IER | LCR | MCR | SCR | DLL | DLM | FCR |
 * u8 THR-empty pending | u16 rx bytes | rx bytes (oldest first).
 * The interrupt line is what the registers make it (update_irq), so it is
 * computed again, not saved.  Output queued for the console is host side
 * (the guest already sees it as sent): it drains on the original VM.
 */
void serial_save(void *serial, struct snap_out *o)
{
	struct serial *s = serial;

	pthread_mutex_lock(&s->lock);
	snap_put_u8(o, s->ier);
	snap_put_u8(o, s->lcr);
	snap_put_u8(o, s->mcr);
	snap_put_u8(o, s->scr);
	snap_put_u8(o, s->dll);
	snap_put_u8(o, s->dlm);
	snap_put_u8(o, s->fcr);
	snap_put_u8(o, s->thri_pending);
	snap_put_u16(o, (uint16_t)s->rx_len);
	for (unsigned int i = 0; i < s->rx_len; i++)
		snap_put_u8(o, s->rx[(s->rx_head + i) % RX_SIZE]);
	pthread_mutex_unlock(&s->lock);
}

int serial_load(void *serial, struct snap_sec *sec, const char *what, struct errinfo *e)
{
	struct serial *s = serial;
	uint8_t r[8], rx[RX_SIZE];
	uint16_t rx_len;

	snap_get(sec, r, sizeof(r));
	rx_len = snap_get_u16(sec);
	if (sec->bad)
		return snap_bad(sec, what, e, "serial: registers truncated");
	/* what serial_access() can leave there */
	if ((r[0] & ~0x0f) || (r[2] & ~0x1f) || r[7] > 1)
		return snap_bad(sec, what, e,
				"serial: IER 0x%02x / MCR 0x%02x / THRE %u out of range", r[0],
				r[2], r[7]);
	if (rx_len > RX_SIZE)
		return snap_bad(sec, what, e, "serial: %u received bytes, the FIFO holds %d",
				rx_len, RX_SIZE);
	snap_get(sec, rx, rx_len);
	if (sec->bad)
		return snap_bad(sec, what, e, "serial: received bytes truncated");
	pthread_mutex_lock(&s->lock);
	s->ier = r[0];
	s->lcr = r[1];
	s->mcr = r[2];
	s->scr = r[3];
	s->dll = r[4];
	s->dlm = r[5];
	s->fcr = r[6];
	s->thri_pending = r[7];
	memcpy(s->rx, rx, rx_len);
	s->rx_head = 0;
	s->rx_len = rx_len;
	/* drive IRQ 4 to what the registers say, whatever it was told before */
	s->irq_level = -1;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
