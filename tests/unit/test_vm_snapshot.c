// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM snapshots without KVM: the sparse guest-RAM file (written from
 * mappings and from a memfd without touching its holes, read back, wrong
 * lengths refused), the "vm" section refusing a VM of another shape, and
 * "vcpu:N" sections decoded with every hostile value refused, the section
 * named (src/vmm/mem_snapshot.c, vm_snapshot.c, vcpu_state.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem_snapshot.h"
#include "snap_stream.h"
#include "vcpu_state.h"
#include "vm.h"
#include "vm_snapshot.h"

#define PG 4096
#define REG_SIZE (1u << 20)

struct fx {
	char dir[64];
	char path[128];
	struct guest_mem mem;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-vm-snapshot.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/memory", f->dir);
	*state = f;
	return 0;
}

static void mem_unmap(struct guest_mem *m)
{
	for (int i = 0; i < m->nr_regions; i++)
		munmap(m->region[i].hva, m->region[i].size);
	if (m->memfd >= 0)
		close(m->memfd);
	m->nr_regions = 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mem_unmap(&f->mem);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Two regions of REG_SIZE, below and above 4 GiB, like vm.c lays them out: anonymous or memfd. */
static void mem_make(struct guest_mem *m, bool memfd)
{
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	if (memfd) {
		m->memfd = memfd_create("test-ram", MFD_CLOEXEC);
		assert_true(m->memfd >= 0);
		assert_int_equal(ftruncate(m->memfd, 2 * REG_SIZE), 0);
	}
	for (int i = 0; i < 2; i++) {
		void *p = memfd ? mmap(NULL, REG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, m->memfd,
				       (off_t)i * REG_SIZE)
				: mmap(NULL, REG_SIZE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		assert_true(p != MAP_FAILED);
		m->region[i] = (struct guest_mem_region){i ? VM_HIGH_RAM_BASE : 0, REG_SIZE, p,
							 (uint64_t)i * REG_SIZE};
	}
	m->nr_regions = 2;
	m->total = 2 * REG_SIZE;
}

/* Fill page @pg of region @r with a pattern from @seed. */
static void fill_page(struct guest_mem *m, int r, unsigned int pg, uint8_t seed)
{
	uint8_t *p = m->region[r].hva + (size_t)pg * PG;

	for (int i = 0; i < PG; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void mem_equal(const struct guest_mem *a, const struct guest_mem *b)
{
	for (int i = 0; i < a->nr_regions; i++)
		assert_memory_equal(a->region[i].hva, b->region[i].hva, a->region[i].size);
}

/* Data extent containing @off: [*d, *h), checked with SEEK_DATA/SEEK_HOLE. */
static void extent_at(int fd, off_t off, off_t *d, off_t *h)
{
	*d = lseek(fd, off, SEEK_DATA);
	assert_true(*d >= 0);
	*h = lseek(fd, *d, SEEK_HOLE);
	assert_true(*h > *d);
}

static void sparse_file_from_mappings(void **state)
{
	struct fx *f = *state;
	struct guest_mem back;
	struct errinfo e = {0};
	struct stat st;
	off_t d, h;
	int fd;

	mem_make(&f->mem, false);
	/* pages 3 and 5 (4 stays zero), the last page of region 0, page 0 of region 1 */
	fill_page(&f->mem, 0, 3, 1);
	fill_page(&f->mem, 0, 5, 2);
	fill_page(&f->mem, 0, REG_SIZE / PG - 1, 3);
	fill_page(&f->mem, 1, 0, 4);
	/* a page with one non-zero byte at its end is not a zero page */
	f->mem.region[1].hva[10 * PG + PG - 1] = 0x42;
	assert_int_equal(mem_snapshot_write(&f->mem, f->path, &e), 0);

	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 2 * REG_SIZE);
	/* written: 5 pages; the file system may add a block of metadata, not more */
	assert_true(st.st_blocks * 512 >= 5 * PG);
	assert_true(st.st_blocks * 512 <= 7 * PG);
	extent_at(fd, 0, &d, &h);
	assert_int_equal(d, 3 * PG);
	assert_int_equal(h, 4 * PG); /* the zero page 4 is a hole */
	extent_at(fd, h, &d, &h);
	assert_int_equal(d, 5 * PG);
	assert_int_equal(h, 6 * PG);
	/* last page of region 0 and first of region 1 are adjacent in the file */
	extent_at(fd, h, &d, &h);
	assert_int_equal(d, REG_SIZE - PG);
	assert_int_equal(h, REG_SIZE + PG);
	extent_at(fd, h, &d, &h);
	assert_int_equal(d, REG_SIZE + 10 * PG);
	assert_int_equal(h, REG_SIZE + 11 * PG);
	assert_int_equal(lseek(fd, h, SEEK_DATA), -1);
	assert_int_equal(errno, ENXIO);
	close(fd);

	mem_make(&back, false);
	assert_int_equal(mem_snapshot_read(&back, f->path, &e), 0);
	mem_equal(&f->mem, &back);
	mem_unmap(&back);
}

static void memfd_holes_stay_holes(void **state)
{
	struct fx *f = *state;
	struct guest_mem back;
	struct errinfo e = {0};
	off_t d, h;
	int fd;

	mem_make(&f->mem, true);
	fill_page(&f->mem, 0, 7, 9);
	fill_page(&f->mem, 1, 100, 10);
	/* a page the guest touched but left zero: data in the memfd, a hole in the file */
	memset(f->mem.region[1].hva + 200 * PG, 0, PG);
	assert_int_equal(mem_snapshot_write(&f->mem, f->path, &e), 0);
	/* the memfd's holes were not read through the mapping (that would allocate them) */
	extent_at(f->mem.memfd, 0, &d, &h);
	assert_int_equal(d, 7 * PG);
	assert_int_equal(h, 8 * PG);
	extent_at(f->mem.memfd, h, &d, &h);
	assert_int_equal(d, REG_SIZE + 100 * PG);

	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	extent_at(fd, 0, &d, &h);
	assert_int_equal(d, 7 * PG);
	assert_int_equal(h, 8 * PG);
	extent_at(fd, h, &d, &h);
	assert_int_equal(d, REG_SIZE + 100 * PG);
	assert_int_equal(h, REG_SIZE + 101 * PG);
	assert_int_equal(lseek(fd, h, SEEK_DATA), -1);
	close(fd);

	mem_make(&back, true);
	assert_int_equal(mem_snapshot_read(&back, f->path, &e), 0);
	mem_equal(&f->mem, &back);
	mem_unmap(&back);
}

static void memory_file_of_wrong_length_refused(void **state)
{
	struct fx *f = *state;
	struct guest_mem back;
	struct errinfo e = {0};

	mem_make(&f->mem, false);
	fill_page(&f->mem, 0, 1, 1);
	assert_int_equal(mem_snapshot_write(&f->mem, f->path, &e), 0);
	mem_make(&back, false);
	assert_int_equal(truncate(f->path, 2 * REG_SIZE - PG), 0);
	assert_int_equal(mem_snapshot_read(&back, f->path, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, f->path));
	assert_non_null(strstr(e.msg, "needs 2097152 bytes"));
	assert_int_equal(truncate(f->path, 2 * REG_SIZE + PG), 0);
	assert_int_equal(mem_snapshot_read(&back, f->path, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "2101248 bytes"));
	unlink(f->path);
	assert_int_equal(mem_snapshot_read(&back, f->path, &e), -ENOENT);
	mem_unmap(&back);
}

/* A VM shaped like vm_create() makes one, without KVM. */
static void vm_shape(struct vm *vm, uint64_t high, unsigned int cpus)
{
	memset(vm, 0, sizeof(*vm));
	vm->mem.region[0] = (struct guest_mem_region){0, VM_LOW_RAM_MAX, NULL, 0};
	vm->mem.region[1] = (struct guest_mem_region){VM_HIGH_RAM_BASE, high, NULL, VM_LOW_RAM_MAX};
	vm->mem.nr_regions = 2;
	vm->mem.total = VM_LOW_RAM_MAX + high;
	vm->nr_vcpus = cpus;
	vm->has_irqchip = true;
	vm->mmio64_base = 0x200000000ULL;
	vm->mmio64_size = (64ULL << 30);
	vm->phys_bits = 46;
}

/* Parse the container @o into @in (finishing it). */
static void reopen(struct snap_out *o, struct snap_in *in)
{
	struct errinfo e = {0};
	uint8_t *copy;

	assert_int_equal(snap_out_finish(o, &e), 0);
	copy = malloc(o->len);
	memcpy(copy, o->buf, o->len);
	assert_int_equal(snap_in_parse(in, copy, o->len, "test-state", &e), 0);
}

static void vm_section_checks_shape(void **state)
{
	struct vm *saved = calloc(1, sizeof(*saved)), *live = calloc(1, sizeof(*live));
	struct errinfo e = {0};
	struct snap_out o;
	struct snap_in in;

	(void)state;
	vm_shape(saved, 1ULL << 30, 2);
	snap_out_init(&o);
	vm_snapshot_put_vm(saved, &o);
	reopen(&o, &in);

	vm_shape(live, 1ULL << 30, 2);
	assert_int_equal(vm_snapshot_check_vm(live, &in, &e), 0);
	live->nr_vcpus = 4;
	assert_int_equal(vm_snapshot_check_vm(live, &in, &e), -EBADMSG);
	assert_string_equal(e.msg, "test-state: section 'vm': vCPUs: snapshot 2, this VM 4");
	vm_shape(live, 2ULL << 30, 2);
	assert_int_equal(vm_snapshot_check_vm(live, &in, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "section 'vm': guest RAM"));
	vm_shape(live, 1ULL << 30, 2);
	live->has_pit = true;
	assert_int_equal(vm_snapshot_check_vm(live, &in, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "PIT"));
	vm_shape(live, 1ULL << 30, 2);
	live->phys_bits = 39;
	assert_int_equal(vm_snapshot_check_vm(live, &in, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "physical address bits: snapshot 46, this VM 39"));
	snap_in_free(&in);
	snap_out_free(&o);

	/* a truncated "vm" section: named, not read past its end */
	snap_out_init(&o);
	snap_begin(&o, "vm", 1);
	snap_put_u64(&o, saved->mem.total);
	snap_put_u32(&o, 2);
	snap_end(&o);
	reopen(&o, &in);
	assert_int_equal(vm_snapshot_check_vm(live, &in, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "section 'vm'"));
	snap_in_free(&in);
	snap_out_free(&o);

	/* a region count past the array */
	snap_out_init(&o);
	snap_begin(&o, "vm", 1);
	snap_put_u64(&o, saved->mem.total);
	snap_put_u32(&o, 1000);
	snap_end(&o);
	reopen(&o, &in);
	assert_int_equal(vm_snapshot_check_vm(live, &in, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "1000 RAM regions"));
	snap_in_free(&in);
	snap_out_free(&o);
	free(saved);
	free(live);
}

static const uint32_t test_msrs[] = {0x10, 0x1b, 0x6e0, 0xc0000080, 0x4b564d01};

static void caps_make(struct vcpu_state_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->sregs2 = c->xsave = c->xcrs = c->tsc_khz = true;
	c->xsave_size = VCPU_STATE_XSAVE_MIN;
	c->msr_index = (uint32_t *)test_msrs;
	c->nr_msr_index = 5;
}

static void state_make(struct vcpu_state *st)
{
	memset(st, 0, sizeof(*st));
	st->flags = VCPU_STATE_SREGS2 | VCPU_STATE_XSAVE | VCPU_STATE_XCRS;
	st->tsc_khz = 2500000;
	st->mp_state.mp_state = KVM_MP_STATE_HALTED;
	st->sregs2.efer = 0xd01;
	st->sregs2.cr0 = 0x80050033;
	st->sregs2.apic_base = 0xfee00900;
	st->regs.rip = 0xf1234;
	st->regs.rax = 0x5a;
	st->xsave_len = VCPU_STATE_XSAVE_MIN;
	st->xsave = calloc(1, VCPU_STATE_XSAVE_MIN);
	st->xsave->region[0] = 0x37f;
	st->xcrs.nr_xcrs = 1;
	st->xcrs.xcrs[0].value = 7;
	st->lapic.regs[0x20] = 1;
	st->events.sipi_vector = 0x10;
	st->events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	st->debugregs.dr7 = 0x400;
	st->nr_msrs = 3;
	st->msrs = calloc(3, sizeof(*st->msrs));
	st->msrs[0] = (struct kvm_msr_entry){.index = 0x10, .data = 123456789};
	st->msrs[1] = (struct kvm_msr_entry){.index = 0xc0000080, .data = 0xd01};
	st->msrs[2] = (struct kvm_msr_entry){.index = 0x4b564d01, .data = 0x1001};
}

/* The payload of section "vcpu:0" for @st, into a new buffer. */
static uint8_t *payload_of(const struct vcpu_state *st, size_t *len)
{
	struct snap_out o;
	size_t start;
	uint8_t *p;

	snap_out_init(&o);
	snap_begin(&o, "vcpu:0", 1);
	start = o.len;
	vcpu_state_put(&o, st);
	*len = o.len - start;
	p = malloc(*len);
	memcpy(p, o.buf + start, *len);
	snap_out_free(&o);
	return p;
}

/* Decode @len bytes at @p as "vcpu:0" with caps @c; the result of vcpu_state_decode(). */
static int decode_payload(const uint8_t *p, size_t len, const struct vcpu_state_caps *c,
			  struct vcpu_state *st, struct errinfo *e)
{
	struct snap_out o;
	struct snap_in in;
	struct snap_sec *s;
	int ret;

	snap_out_init(&o);
	snap_begin(&o, "vcpu:0", 1);
	snap_put(&o, p, len);
	snap_end(&o);
	reopen(&o, &in);
	assert_int_equal(snap_open(&in, "vcpu:0", VCPU_STATE_SECTION_VERSION, &s, e), 0);
	ret = vcpu_state_decode(s, c, st, in.what, e);
	snap_in_free(&in);
	snap_out_free(&o);
	return ret;
}

static void vcpu_section_round_trip(void **state)
{
	struct vcpu_state_caps c;
	struct vcpu_state st, back;
	struct errinfo e = {0};
	uint8_t *p;
	size_t len;

	(void)state;
	caps_make(&c);
	state_make(&st);
	p = payload_of(&st, &len);
	assert_int_equal(decode_payload(p, len, &c, &back, &e), 0);
	assert_int_equal(back.flags, st.flags);
	assert_int_equal(back.tsc_khz, 2500000);
	assert_int_equal(back.mp_state.mp_state, KVM_MP_STATE_HALTED);
	assert_memory_equal(&back.sregs2, &st.sregs2, sizeof(st.sregs2));
	assert_memory_equal(&back.regs, &st.regs, sizeof(st.regs));
	assert_int_equal(back.xsave_len, VCPU_STATE_XSAVE_MIN);
	assert_memory_equal(back.xsave, st.xsave, VCPU_STATE_XSAVE_MIN);
	assert_memory_equal(&back.xcrs, &st.xcrs, sizeof(st.xcrs));
	assert_memory_equal(&back.lapic, &st.lapic, sizeof(st.lapic));
	assert_memory_equal(&back.events, &st.events, sizeof(st.events));
	assert_memory_equal(&back.debugregs, &st.debugregs, sizeof(st.debugregs));
	assert_int_equal(back.nr_msrs, 3);
	assert_memory_equal(back.msrs, st.msrs, 3 * sizeof(*st.msrs));
	vcpu_state_free(&back);
	vcpu_state_free(&st);
	free(p);
}

/* Offsets into the payload of state_make()'s state (see vcpu_state.h). */
#define OFF_MP 8
#define OFF_SREGS_LEN 12
#define OFF_REGS_LEN (OFF_SREGS_LEN + 4 + sizeof(struct kvm_sregs2))
#define OFF_XSAVE_LEN (OFF_REGS_LEN + 4 + sizeof(struct kvm_regs))
#define OFF_XCRS_LEN (OFF_XSAVE_LEN + 4 + VCPU_STATE_XSAVE_MIN)
#define OFF_LAPIC_LEN (OFF_XCRS_LEN + 4 + sizeof(struct kvm_xcrs))
#define OFF_EVENTS (OFF_LAPIC_LEN + 4 + sizeof(struct kvm_lapic_state) + 4)

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

/* Decode @p with one change; expect -EBADMSG with the section and @want named. */
static void refused(const uint8_t *p, size_t len, const struct vcpu_state_caps *c, const char *want)
{
	struct vcpu_state st;
	struct errinfo e = {0};

	assert_int_equal(decode_payload(p, len, c, &st, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "test-state: section 'vcpu:0'"));
	if (!strstr(e.msg, want))
		fail_msg("'%s' does not say '%s'", e.msg, want);
	/* nothing is left allocated (the sanitizer build would say) */
	assert_null(st.msrs);
	assert_null(st.xsave);
}

static void hostile_vcpu_sections_refused(void **state)
{
	struct vcpu_state_caps c, no_sregs2;
	struct vcpu_state st;
	uint8_t *p, *q;
	size_t len, msr_count_off;

	(void)state;
	caps_make(&c);
	state_make(&st);
	p = payload_of(&st, &len);
	q = malloc(len + 64);
	msr_count_off = len - 3 * 16 - 4;

	/* truncated anywhere: shorter than its layout */
	refused(p, len - 1, &c, "3 MSRs announced, 47 bytes left");
	refused(p, len - 60, &c, "shorter than its layout"); /* in the debug registers */
	refused(p, OFF_LAPIC_LEN + 100, &c, "shorter than its layout");
	refused(p, OFF_REGS_LEN + 10, &c, "shorter than its layout");
	refused(p, 10, &c, "shorter than its layout");
	/* a byte too many */
	memcpy(q, p, len);
	q[len] = 0;
	refused(q, len + 1, &c, "left over");

	memcpy(q, p, len);
	put32(q, OFF_MP, 7);
	refused(q, len, &c, "MP state 7");

	memcpy(q, p, len);
	put32(q, 0, 0x80);
	refused(q, len, &c, "unknown flags");

	memcpy(q, p, len);
	put32(q, OFF_SREGS_LEN, 100);
	refused(q, len, &c, "special registers: 100 bytes");

	memcpy(q, p, len);
	put32(q, OFF_XSAVE_LEN, 1 << 30);
	refused(q, len, &c, "XSAVE area of 1073741824 bytes");

	memcpy(q, p, len);
	put32(q, OFF_LAPIC_LEN, 1023);
	refused(q, len, &c, "LAPIC state: 1023 bytes, expected 1024");

	/* too many MSRs: more than KVM saves, and more than the bytes left */
	memcpy(q, p, len);
	put32(q, msr_count_off, 100000);
	refused(q, len, &c, "100000 MSRs");
	memcpy(q, p, len);
	put32(q, msr_count_off, 5);
	refused(q, len, &c, "5 MSRs announced");

	/* an MSR KVM does not report, and one twice */
	memcpy(q, p, len);
	put32(q, msr_count_off + 4, 0xdead);
	refused(q, len, &c, "MSR 0xdead is not one KVM saves");
	memcpy(q, p, len);
	put32(q, msr_count_off + 4 + 16, 0x10);
	refused(q, len, &c, "MSR 0x10 appears twice");

	/* events: a flag that is not a boolean, an unknown valid-flag */
	memcpy(q, p, len);
	q[OFF_EVENTS] = 2; /* exception.injected */
	refused(q, len, &c, "vCPU events");
	memcpy(q, p, len);
	put32(q, OFF_EVENTS + offsetof(struct kvm_vcpu_events, flags), 0x100);
	refused(q, len, &c, "vCPU events: unknown flags 0x100");

	/* saved with SREGS2, restored where KVM has none */
	no_sregs2 = c;
	no_sregs2.sregs2 = false;
	refused(p, len, &no_sregs2, "KVM_GET_SREGS2");

	free(q);
	free(p);
	vcpu_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sparse_file_from_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(memfd_holes_stay_holes, setup, teardown),
		cmocka_unit_test_setup_teardown(memory_file_of_wrong_length_refused, setup,
						teardown),
		cmocka_unit_test(vm_section_checks_shape),
		cmocka_unit_test(vcpu_section_round_trip),
		cmocka_unit_test(hostile_vcpu_sections_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
