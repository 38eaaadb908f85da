// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk request handling against a temporary image file: read, write,
 * flush, GET_ID, read-only mode, bounds, and requests whose buffers point
 * the wrong way.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio_blk.h"
#include "vm.h"

#define IMG_SIZE (1024 * 1024)
#define ALL_OK                                                                                \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
	 VIRTIO_CONFIG_S_DRIVER_OK)

struct fixture {
	struct virtio_blk blk;
	struct td t;
	char path[64];
	bool inited;
};

static void record_signal(struct virtio_pci *vp, uint16_t vector)
{
	struct fixture *f = (struct fixture *)((char *)vp - offsetof(struct fixture, blk.vp));

	f->t.irqs[vector]++;
}

static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static int make_image(struct fixture *f)
{
	uint8_t *buf = malloc(IMG_SIZE);
	int fd;

	strcpy(f->path, "/tmp/test_virtio_blk.XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0 || !buf)
		return -1;
	for (size_t i = 0; i < IMG_SIZE; i++)
		buf[i] = pattern(i);
	if (write(fd, buf, IMG_SIZE) != IMG_SIZE)
		return -1;
	free(buf);
	close(fd);
	return 0;
}

static int open_dev(struct fixture *f, bool ro)
{
	char spec[80];
	struct errinfo e;

	snprintf(spec, sizeof(spec), "%s%s", f->path, ro ? ",ro" : "");
	if (virtio_blk_init(&f->blk, NULL, &f->t.mem, spec, &e) < 0)
		return -1;
	f->inited = true;
	f->blk.vp.signal = record_signal;
	f->t.vp = &f->blk.vp;
	return 0;
}

static int setup_common(void **state, bool ro)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || td_setup(&f->t) < 0 || make_image(f) < 0 || open_dev(f, ro) < 0)
		return -1;
	if (td_bringup(&f->t, ~0ull, 1, 128) != ALL_OK)
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, false);
}

static int setup_ro(void **state)
{
	return setup_common(state, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->inited)
		virtio_blk_exit(&f->blk);
	unlink(f->path);
	td_teardown(&f->t);
	free(f);
	return 0;
}

/* Header in guest memory; returns its address. */
static uint64_t put_hdr(struct fixture *f, uint32_t type, uint64_t sector)
{
	uint64_t g = td_alloc(&f->t, sizeof(struct virtio_blk_outhdr));
	struct virtio_blk_outhdr *h = td_ptr(&f->t, g);

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	return g;
}

/* Post, kick, and return the used length (asserting one completion). */
static uint32_t run(struct fixture *f, const struct td_buf *b, unsigned int n)
{
	uint16_t head = 0xffff, want;
	uint32_t len = 0xffffffff;

	want = td_post(&f->t, 0, b, n);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(head, want);
	return len;
}

static void file_bytes(struct fixture *f, off_t off, void *buf, size_t len)
{
	int fd = open(f->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), len);
	close(fd);
}

static void config_and_features(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = td_device_features(&f->t);

	assert_true(feat & (1ull << VIRTIO_BLK_F_FLUSH));
	assert_true(feat & (1ull << VIRTIO_BLK_F_SEG_MAX));
	assert_true(feat & (1ull << VIRTIO_BLK_F_BLK_SIZE));
	assert_false(feat & (1ull << VIRTIO_BLK_F_RO));
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF + 0, 4), IMG_SIZE / 512);
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF + 4, 4), 0);
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF + 12, 4), VIRTIO_BLK_SEG_MAX);
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF + 20, 4), 512);
	/* Config is read-only. */
	td_write(&f->t, VPCI_DEVCFG_OFF, 5, 4);
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF + 0, 4), IMG_SIZE / 512);
	assert_int_equal(f->t.irqs[0], 0);
}

static void read_sectors(void **state)
{
	struct fixture *f = *state;
	uint64_t data = td_alloc(&f->t, 1024), st = td_alloc(&f->t, 1);
	struct td_buf b[] = {
		{put_hdr(f, VIRTIO_BLK_T_IN, 2), 16, false},
		{data, 1024, true},
		{st, 1, true},
	};
	uint8_t *p;

	*(uint8_t *)td_ptr(&f->t, st) = 0xff;
	assert_int_equal(run(f, b, 3), 1025);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	p = td_ptr(&f->t, data);
	for (size_t i = 0; i < 1024; i++)
		assert_int_equal(p[i], pattern(1024 + i));
	assert_int_equal(f->t.irqs[1], 1);
}

static void read_with_status_in_data_buffer(void **state)
{
	struct fixture *f = *state;
	uint64_t data = td_alloc(&f->t, 513);
	struct td_buf b[] = {
		{put_hdr(f, VIRTIO_BLK_T_IN, 0), 16, false},
		{data, 513, true},
	};
	uint8_t *p = td_ptr(&f->t, data);

	assert_int_equal(run(f, b, 2), 513);
	assert_int_equal(p[512], VIRTIO_BLK_S_OK);
	assert_int_equal(p[511], pattern(511));
}

static void write_sectors(void **state)
{
	struct fixture *f = *state;
	uint64_t d1 = td_alloc(&f->t, 256), d2 = td_alloc(&f->t, 256), st = td_alloc(&f->t, 1);
	struct td_buf b[] = {
		{put_hdr(f, VIRTIO_BLK_T_OUT, 4), 16, false},
		{d1, 256, false},
		{d2, 256, false},
		{st, 1, true},
	};
	uint8_t back[512], want[512];

	for (int i = 0; i < 512; i++)
		want[i] = (uint8_t)(0xa5 ^ i);
	memcpy(td_ptr(&f->t, d1), want, 256);
	memcpy(td_ptr(&f->t, d2), want + 256, 256);
	assert_int_equal(run(f, b, 4), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	file_bytes(f, 4 * 512, back, 512);
	assert_memory_equal(back, want, 512);
	/* Neighbours untouched. */
	file_bytes(f, 3 * 512 + 511, back, 1);
	assert_int_equal(back[0], pattern(3 * 512 + 511));
	file_bytes(f, 5 * 512, back, 1);
	assert_int_equal(back[0], pattern(5 * 512));
}

/*
 * The host side of the image fails (here: the image's fd swapped for a
 * read-only one, as a full or dead filesystem would fail a write): the
 * guest gets an I/O error, each failure is counted, one errno is reported
 * once, and a request that works again clears it.
 */
static void host_write_error(void **state)
{
	struct fixture *f = *state;
	uint64_t d = td_alloc(&f->t, 512), st = td_alloc(&f->t, 1);
	struct td_buf b[] = {
		{put_hdr(f, VIRTIO_BLK_T_OUT, 8), 16, false},
		{d, 512, false},
		{st, 1, true},
	};
	int rw = dup(f->blk.fd), ro = open(f->path, O_RDONLY);
	uint8_t back[512];

	assert_true(rw >= 0 && ro >= 0);
	assert_int_equal(dup2(ro, f->blk.fd), f->blk.fd);
	memset(td_ptr(&f->t, d), 0x5a, 512);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(run(f, b, 3), 1);
		assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
		assert_int_equal(f->blk.host_errors, i);
		assert_int_equal(f->blk.last_errno, EBADF);
	}
	file_bytes(f, 8 * 512, back, 1);
	assert_int_equal(back[0], pattern(8 * 512));
	/* the image back: the next write works and the error is cleared */
	assert_int_equal(dup2(rw, f->blk.fd), f->blk.fd);
	assert_int_equal(run(f, b, 3), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	assert_int_equal(f->blk.last_errno, 0);
	assert_int_equal(f->blk.host_errors, 2);
	file_bytes(f, 8 * 512, back, 1);
	assert_int_equal(back[0], 0x5a);
	close(rw);
	close(ro);
}

static void write_header_split(void **state)
{
	struct fixture *f = *state;
	uint64_t h = put_hdr(f, VIRTIO_BLK_T_OUT, 1);
	uint64_t d = td_alloc(&f->t, 512), st = td_alloc(&f->t, 1);
	struct td_buf b[] = {
		{h, 8, false},
		{h + 8, 8, false},
		{d, 512, false},
		{st, 1, true},
	};
	uint8_t back[512];

	memset(td_ptr(&f->t, d), 0x5a, 512);
	assert_int_equal(run(f, b, 4), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	file_bytes(f, 512, back, 512);
	for (int i = 0; i < 512; i++)
		assert_int_equal(back[i], 0x5a);
}

static void flush_and_get_id(void **state)
{
	struct fixture *f = *state;
	uint64_t st = td_alloc(&f->t, 1), id = td_alloc(&f->t, VIRTIO_BLK_ID_BYTES);
	struct td_buf fl[] = {
		{put_hdr(f, VIRTIO_BLK_T_FLUSH, 0), 16, false},
		{st, 1, true},
	};
	struct td_buf gi[] = {
		{put_hdr(f, VIRTIO_BLK_T_GET_ID, 0), 16, false},
		{id, VIRTIO_BLK_ID_BYTES, true},
		{st, 1, true},
	};

	*(uint8_t *)td_ptr(&f->t, st) = 0xff;
	assert_int_equal(run(f, fl, 2), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	*(uint8_t *)td_ptr(&f->t, st) = 0xff;
	assert_int_equal(run(f, gi, 3), VIRTIO_BLK_ID_BYTES + 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	assert_memory_equal(td_ptr(&f->t, id), "vfvm", 4);
}

static void unsupported_type(void **state)
{
	struct fixture *f = *state;
	uint64_t st = td_alloc(&f->t, 1);
	struct td_buf b[] = {
		{put_hdr(f, VIRTIO_BLK_T_DISCARD, 0), 16, false},
		{st, 1, true},
	};

	assert_int_equal(run(f, b, 2), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_UNSUPP);
}

static void out_of_range(void **state)
{
	struct fixture *f = *state;
	uint64_t d = td_alloc(&f->t, 1024), st = td_alloc(&f->t, 1);
	struct td_buf b[] = {
		{0, 16, false},
		{d, 1024, true},
		{st, 1, true},
	};

	/* Last sector plus one more. */
	b[0].gpa = put_hdr(f, VIRTIO_BLK_T_IN, IMG_SIZE / 512 - 1);
	assert_int_equal(run(f, b, 3), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
	/* A sector number that overflows when multiplied by 512. */
	b[0].gpa = put_hdr(f, VIRTIO_BLK_T_IN, UINT64_MAX / 256);
	assert_int_equal(run(f, b, 3), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	b[0].gpa = put_hdr(f, VIRTIO_BLK_T_IN, 0);
	b[1].len = 100;
	assert_int_equal(run(f, b, 3), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
	/* The very last sector is fine. */
	b[0].gpa = put_hdr(f, VIRTIO_BLK_T_IN, IMG_SIZE / 512 - 1);
	b[1].len = 512;
	assert_int_equal(run(f, b, 3), 513);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
}

static void wrong_direction(void **state)
{
	struct fixture *f = *state;
	uint64_t d = td_alloc(&f->t, 512), st = td_alloc(&f->t, 1);
	uint8_t back[512];

	/* Read whose data buffer is device-readable. */
	struct td_buf rd[] = {
		{put_hdr(f, VIRTIO_BLK_T_IN, 0), 16, false},
		{d, 512, false},
		{st, 1, true},
	};
	memset(td_ptr(&f->t, d), 0xee, 512);
	assert_int_equal(run(f, rd, 3), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, d), 0xee);

	/* Write whose data buffer is device-writable: nothing written to the file. */
	struct td_buf wr[] = {
		{put_hdr(f, VIRTIO_BLK_T_OUT, 0), 16, false},
		{d, 512, true},
		{st, 1, true},
	};
	assert_int_equal(run(f, wr, 3), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
	file_bytes(f, 0, back, 512);
	assert_int_equal(back[0], pattern(0));
	assert_int_equal(back[511], pattern(511));

	/* No writable status byte at all: completed with nothing written. */
	struct td_buf ns[] = {
		{put_hdr(f, VIRTIO_BLK_T_OUT, 0), 16, false},
		{d, 512, false},
	};
	assert_int_equal(run(f, ns, 2), 0);
	file_bytes(f, 0, back, 1);
	assert_int_equal(back[0], pattern(0));

	/* Header too short. */
	struct td_buf sh[] = {
		{put_hdr(f, VIRTIO_BLK_T_IN, 0), 8, false},
		{st, 1, true},
	};
	assert_int_equal(run(f, sh, 2), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
	/* Still healthy. */
	assert_int_equal(td_status(&f->t), ALL_OK);
}

static void readonly_mode(void **state)
{
	struct fixture *f = *state;
	uint64_t d = td_alloc(&f->t, 512), st = td_alloc(&f->t, 1);
	struct td_buf wr[] = {
		{put_hdr(f, VIRTIO_BLK_T_OUT, 0), 16, false},
		{d, 512, false},
		{st, 1, true},
	};
	struct td_buf rd[] = {
		{put_hdr(f, VIRTIO_BLK_T_IN, 0), 16, false},
		{d, 512, true},
		{st, 1, true},
	};
	uint8_t back[1];

	assert_true(td_device_features(&f->t) & (1ull << VIRTIO_BLK_F_RO));
	memset(td_ptr(&f->t, d), 0, 512);
	assert_int_equal(run(f, wr, 3), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_IOERR);
	file_bytes(f, 1, back, 1);
	assert_int_equal(back[0], pattern(1));
	assert_int_equal(run(f, rd, 3), 513);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, d + 1), pattern(1));
}

static void spec_errors(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk b;
	struct errinfo e;
	char spec[96];
	int fd;

	memset(&b, 0, sizeof(b));
	assert_int_equal(virtio_blk_init(&b, NULL, &f->t.mem, "", &e), -EINVAL);
	snprintf(spec, sizeof(spec), "%s,rw", f->path);
	assert_int_equal(virtio_blk_init(&b, NULL, &f->t.mem, spec, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown option 'rw'"));
	assert_int_equal(virtio_blk_init(&b, NULL, &f->t.mem, "/nonexistent/disk.img", &e),
			 -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent/disk.img"));
	assert_int_equal(virtio_blk_init(&b, NULL, &f->t.mem, "/tmp", &e), -EISDIR);
	/* Smaller than a sector. */
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(virtio_blk_init(&b, NULL, &f->t.mem, f->path, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "smaller than one 512-byte sector"));
}

static void spec_ids(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk_spec s;
	struct virtio_blk b;
	struct errinfo e;
	char spec[160];

	assert_int_equal(virtio_blk_parse_spec("/d.img", &s, &e), 0);
	assert_string_equal(s.path, "/d.img");
	assert_string_equal(s.id, "");
	assert_false(s.readonly);
	assert_int_equal(virtio_blk_parse_spec("/d.img,id=root,ro", &s, &e), 0);
	assert_string_equal(s.id, "root");
	assert_true(s.readonly);
	assert_int_equal(virtio_blk_parse_spec("/d.img,ro,id=data-1.x_y", &s, &e), 0);
	assert_string_equal(s.id, "data-1.x_y");
	assert_int_equal(virtio_blk_parse_spec("/d.img,id=abcdefghijklmnopqrstuvwxyz01234", &s, &e),
			 0);
	assert_int_equal(
		virtio_blk_parse_spec("/d.img,id=abcdefghijklmnopqrstuvwxyz012345", &s, &e),
		-EINVAL);
	assert_non_null(strstr(e.msg, "bad id 'abcdefghijklmnopqrstuvwxyz012345'"));
	assert_int_equal(virtio_blk_parse_spec("/d.img,id=", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "bad id ''"));
	assert_int_equal(virtio_blk_parse_spec("/d.img,id=9", &s, &e), -EINVAL);
	assert_int_equal(virtio_blk_parse_spec("/d.img,id=a/b", &s, &e), -EINVAL);
	assert_int_equal(virtio_blk_parse_spec("/d.img,id=a,id=b", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "id given twice"));
	assert_int_equal(virtio_blk_parse_spec("/d.img,ro,ro", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "ro given twice"));
	assert_int_equal(virtio_blk_parse_spec(",id=a", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "no file name"));
	assert_int_equal(virtio_blk_parse_spec("/d.img,", &s, &e), 0);

	/* The id lands on the PCI function, where vm_pci_plug() looks. */
	memset(&b, 0, sizeof(b));
	snprintf(spec, sizeof(spec), "%s,id=scratch", f->path);
	assert_int_equal(virtio_blk_init(&b, NULL, &f->t.mem, spec, &e), 0);
	assert_string_equal(b.vp.pci.id, "scratch");
	virtio_blk_exit(&b);
}

static int fake_kvm_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	(void)req;
	(void)arg;
	return 0;
}

static uint64_t bus_read(struct bus *b, uint64_t addr, uint32_t len)
{
	uint8_t d[8] = {0};
	uint64_t v = 0;

	assert_true(bus_dispatch(b, addr, d, len, false));
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

/*
 * On a real PCI host and MMIO bus (no KVM: ioeventfds fail and kicks fall
 * back to the trap): config space through ECAM, BAR 0 decoded once memory
 * space is enabled, and the host's teardown (pci_host_exit() calling the
 * function's release) takes it off the bus and frees it (ASan checks
 * nothing leaks).
 */
static void on_pci_bus_and_released(void **state)
{
	static const struct irq_kvm_ops fake_ops = {.ioctl = fake_kvm_ioctl};
	struct fixture *f = *state;
	struct vm *vm = calloc(1, sizeof(*vm));
	struct virtio_blk *b = calloc(1, sizeof(*b));
	uint8_t cmd[2] = {0x02, 0x00}; /* memory space enable */
	uint64_t ecam, bar;
	struct errinfo e;
	int slot;

	assert_non_null(vm);
	assert_non_null(b);
	vm->vm_fd = -1;
	assert_int_equal(bus_init(&vm->pio, "pio"), 0);
	assert_int_equal(bus_init(&vm->mmio, "mmio"), 0);
	assert_int_equal(
		pci_host_init(&vm->pci, vm, &vm->pio, &vm->mmio, 1ull << 36, 1ull << 30, &e), 0);
	assert_int_equal(irq_routing_init(&vm->irq, -1, 256, false, &fake_ops, &e), 0);
	assert_int_equal(virtio_blk_init(b, vm, &f->t.mem, f->path, &e), 0);
	assert_int_equal(virtio_pci_register(&b->vp, &e), 0);
	slot = b->vp.pci.slot;
	assert_true(slot >= 0);
	ecam = PCI_ECAM_BASE + ((uint64_t)slot << 15);
	assert_int_equal(bus_read(&vm->mmio, ecam, 4), 0x10421af4);
	bar = bus_read(&vm->mmio, ecam + 0x10, 4) & ~0xfull;
	assert_true(bar >= PCI_MMIO32_BASE && bar < PCI_MMIO32_BASE + PCI_MMIO32_SIZE);
	/* Not decoded until memory space is enabled. */
	assert_false(bus_dispatch(&vm->mmio, bar, cmd, 2, false));
	assert_true(bus_dispatch(&vm->mmio, ecam + 4, cmd, 2, true));
	assert_int_equal(bus_read(&vm->mmio, bar + TD_COMMON(num_queues), 2), 1);
	assert_int_equal(bus_read(&vm->mmio, bar + VPCI_DEVCFG_OFF, 4), IMG_SIZE / 512);

	pci_host_exit(&vm->pci);
	assert_null(vm->pci.dev[slot]);
	assert_false(bus_dispatch(&vm->mmio, bar, cmd, 2, false));

	irq_routing_exit(&vm->irq);
	bus_exit(&vm->mmio);
	bus_exit(&vm->pio);
	free(vm);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(config_and_features),
		T(read_sectors),
		T(read_with_status_in_data_buffer),
		T(write_sectors),
		T(write_header_split),
		T(host_write_error),
		T(flush_and_get_id),
		T(unsupported_type),
		T(out_of_range),
		T(wrong_direction),
		cmocka_unit_test_setup_teardown(readonly_mode, setup_ro, teardown),
		T(spec_errors),
		T(spec_ids),
		T(on_pci_bus_and_released),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
