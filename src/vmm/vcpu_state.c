// SPDX-License-Identifier: GPL-2.0-only
/*
 * A vCPU's state for snapshots (see vcpu_state.h): the KVM get/set ioctls
 * in the order KVM needs, and the section codec that checks every value
 * of a (hostile) snapshot before anything reaches KVM.
 *
 * Order on restore, as QEMU's kvm_arch_put_registers() and Firecracker do
 * it: TSC frequency first (KVM converts the TSC MSR with it), registers,
 * FPU/XSAVE, XCRs, special registers (EFER, CRs, APIC base: the mode the
 * MSRs and the LAPIC are interpreted in), MSRs, MP state, LAPIC, then the
 * TSC deadline MSR (KVM drops it unless the LAPIC timer is in deadline
 * mode), pending events (may refer to all of the above) and debug
 * registers.  On save the MP state is read first: reading it lets KVM
 * accept pending INIT/SIPI, which changes the rest; events come last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"
#include "vcpu_state.h"

#define MSR_IA32_TSC_DEADLINE 0x6e0
#define KVM_MP_STATE_MAX KVM_MP_STATE_SIPI_RECEIVED /* x86 takes 0..4 */
#define TSC_KHZ_MAX 10000000u /* 10 GHz */
#define TSC_KHZ_TOLERANCE_PPM 250 /* host calibration varies; smaller is no change */
#define EVENTS_FLAGS_ALL 0x3fu /* KVM_VCPUEVENT_VALID_* up to TRIPLE_FAULT */
#define XCRS_MAX 16 /* KVM_MAX_XCRS */

int vcpu_state_caps_get(struct vcpu_state_caps *c, int kvm_fd, struct errinfo *e)
{
	struct kvm_msr_list probe = {.nmsrs = 0}, *list;
	int n;

	memset(c, 0, sizeof(*c));
	c->sregs2 = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2) > 0;
	c->xsave = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
	c->xcrs = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	c->tsc_khz = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) > 0;
	n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	c->xsave_size = n > VCPU_STATE_XSAVE_MIN ? (uint32_t)n : VCPU_STATE_XSAVE_MIN;
	if (c->xsave_size > VCPU_STATE_XSAVE_MAX)
		return err_set(e, ENOTSUP, "KVM's XSAVE area is %u bytes; vfvm saves up to %u",
			       c->xsave_size, VCPU_STATE_XSAVE_MAX);
	/* the first call says how many there are (E2BIG) */
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return err_sys(e, errno, "KVM_GET_MSR_INDEX_LIST");
	if (probe.nmsrs > VCPU_STATE_MAX_MSRS)
		return err_set(e, ENOTSUP, "KVM saves %u MSRs; vfvm handles up to %u", probe.nmsrs,
			       VCPU_STATE_MAX_MSRS);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	if (!list)
		return err_set(e, ENOMEM, "MSR index list");
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		int err = errno;

		free(list);
		return err_sys(e, err, "KVM_GET_MSR_INDEX_LIST (%u MSRs)", probe.nmsrs);
	}
	c->msr_index = malloc((list->nmsrs ? list->nmsrs : 1) * sizeof(uint32_t));
	if (!c->msr_index) {
		free(list);
		return err_set(e, ENOMEM, "MSR index list");
	}
	memcpy(c->msr_index, list->indices, list->nmsrs * sizeof(uint32_t));
	c->nr_msr_index = list->nmsrs;
	free(list);
	return 0;
}

void vcpu_state_caps_free(struct vcpu_state_caps *c)
{
	free(c->msr_index);
	memset(c, 0, sizeof(*c));
}

void vcpu_state_free(struct vcpu_state *st)
{
	free(st->xsave);
	free(st->msrs);
	memset(st, 0, sizeof(*st));
}

static int vioctl(struct vcpu *v, unsigned long req, void *arg, const char *name, struct errinfo *e)
{
	if (ioctl(v->fd, req, arg) < 0)
		return err_sys(e, errno, "%s on vCPU %u", name, v->id);
	return 0;
}

/* A struct kvm_msrs with room for @n entries. */
static struct kvm_msrs *msrs_alloc(uint32_t n)
{
	return calloc(1, sizeof(struct kvm_msrs) + n * sizeof(struct kvm_msr_entry));
}

/*
 * Every MSR of the list this vCPU can read: KVM_GET_MSRS stops at the
 * first one it cannot (say, a feature the CPUID hides), so go on after it.
 */
static int msrs_get(struct vcpu *v, const struct vcpu_state_caps *c, struct vcpu_state *st,
		    struct errinfo *e)
{
	uint32_t n = c->nr_msr_index, done = 0;
	struct kvm_msrs *m = msrs_alloc(n);

	st->msrs = calloc(n ? n : 1, sizeof(*st->msrs));
	if (!m || !st->msrs) {
		free(m);
		return err_set(e, ENOMEM, "MSRs of vCPU %u", v->id);
	}
	st->nr_msrs = 0;
	while (done < n) {
		int got;

		m->nmsrs = n - done;
		for (uint32_t i = 0; i < m->nmsrs; i++)
			m->entries[i] = (struct kvm_msr_entry){.index = c->msr_index[done + i]};
		got = ioctl(v->fd, KVM_GET_MSRS, m);
		if (got < 0) {
			int err = errno;

			free(m);
			return err_sys(e, err, "KVM_GET_MSRS on vCPU %u", v->id);
		}
		memcpy(st->msrs + st->nr_msrs, m->entries, (size_t)got * sizeof(m->entries[0]));
		st->nr_msrs += (uint32_t)got;
		done += (uint32_t)got + 1; /* skip the one KVM refused */
	}
	free(m);
	return 0;
}

int vcpu_state_get(struct vcpu *v, const struct vcpu_state_caps *c, struct vcpu_state *st,
		   struct errinfo *e)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = vioctl(v, KVM_GET_MP_STATE, &st->mp_state, "KVM_GET_MP_STATE", e);
	if (!ret)
		ret = vioctl(v, KVM_GET_REGS, &st->regs, "KVM_GET_REGS", e);
	if (!ret && c->sregs2) {
		st->flags |= VCPU_STATE_SREGS2;
		ret = vioctl(v, KVM_GET_SREGS2, &st->sregs2, "KVM_GET_SREGS2", e);
	} else if (!ret) {
		ret = vioctl(v, KVM_GET_SREGS, &st->sregs, "KVM_GET_SREGS", e);
	}
	if (!ret && c->xsave) {
		st->flags |= VCPU_STATE_XSAVE;
		st->xsave_len = c->xsave_size;
		st->xsave = calloc(1, c->xsave_size);
		if (!st->xsave)
			ret = err_set(e, ENOMEM, "XSAVE area of vCPU %u", v->id);
		else if (c->xsave_size > VCPU_STATE_XSAVE_MIN)
			ret = vioctl(v, KVM_GET_XSAVE2, st->xsave, "KVM_GET_XSAVE2", e);
		else
			ret = vioctl(v, KVM_GET_XSAVE, st->xsave, "KVM_GET_XSAVE", e);
	} else if (!ret) {
		ret = vioctl(v, KVM_GET_FPU, &st->fpu, "KVM_GET_FPU", e);
	}
	if (!ret && c->xcrs) {
		st->flags |= VCPU_STATE_XCRS;
		ret = vioctl(v, KVM_GET_XCRS, &st->xcrs, "KVM_GET_XCRS", e);
	}
	if (!ret)
		ret = vioctl(v, KVM_GET_LAPIC, &st->lapic, "KVM_GET_LAPIC", e);
	if (!ret)
		ret = msrs_get(v, c, st, e);
	if (!ret)
		ret = vioctl(v, KVM_GET_DEBUGREGS, &st->debugregs, "KVM_GET_DEBUGREGS", e);
	if (!ret)
		ret = vioctl(v, KVM_GET_VCPU_EVENTS, &st->events, "KVM_GET_VCPU_EVENTS", e);
	if (!ret && c->tsc_khz) {
		int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

		if (khz < 0)
			ret = err_sys(e, errno, "KVM_GET_TSC_KHZ on vCPU %u", v->id);
		else
			st->tsc_khz = (uint32_t)khz;
	}
	if (ret)
		vcpu_state_free(st);
	return ret;
}

/* KVM_SET_MSRS of the entries @want picks (deadline or not); names the one refused. */
static int msrs_set(struct vcpu *v, const struct vcpu_state *st, bool deadline, struct errinfo *e)
{
	struct kvm_msrs *m = msrs_alloc(st->nr_msrs);
	int got;

	if (!m)
		return err_set(e, ENOMEM, "MSRs of vCPU %u", v->id);
	for (uint32_t i = 0; i < st->nr_msrs; i++)
		if ((st->msrs[i].index == MSR_IA32_TSC_DEADLINE) == deadline)
			m->entries[m->nmsrs++] = st->msrs[i];
	got = m->nmsrs ? ioctl(v->fd, KVM_SET_MSRS, m) : 0;
	if (got < 0) {
		got = errno;
		free(m);
		return err_sys(e, got, "KVM_SET_MSRS on vCPU %u", v->id);
	}
	if ((uint32_t)got < m->nmsrs) {
		uint32_t idx = m->entries[got].index;
		unsigned long long val = m->entries[got].data;

		free(m);
		return err_set(e, EINVAL, "vCPU %u: KVM refused MSR 0x%x = 0x%llx", v->id, idx,
			       val);
	}
	free(m);
	return 0;
}

/* The saved TSC rate differs from this vCPU's beyond calibration noise: set it (TSC scaling). */
static int tsc_khz_set(struct vcpu *v, uint32_t want, struct errinfo *e)
{
	int cur = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	uint64_t diff;

	if (cur < 0)
		return err_sys(e, errno, "KVM_GET_TSC_KHZ on vCPU %u", v->id);
	diff = (uint64_t)(cur > (int)want ? (uint32_t)cur - want : want - (uint32_t)cur);
	if (diff * 1000000 <= (uint64_t)want * TSC_KHZ_TOLERANCE_PPM)
		return 0;
	if (ioctl(v->fd, KVM_SET_TSC_KHZ, (unsigned long)want) < 0) {
		err_sys(e, errno,
			"vCPU %u: setting the TSC to the saved %u kHz (this host: %d kHz)", v->id,
			want, cur);
		err_hint(e, "restore on a host with the same TSC frequency, or one with TSC "
			    "scaling");
		return -e->err;
	}
	return 0;
}

int vcpu_state_set(struct vcpu *v, const struct vcpu_state_caps *c, const struct vcpu_state *st,
		   struct errinfo *e)
{
	struct kvm_mp_state mp = st->mp_state;
	struct kvm_vcpu_events ev = st->events;
	struct kvm_debugregs dr = st->debugregs;
	struct kvm_regs regs = st->regs;
	struct kvm_xcrs xcrs = st->xcrs;
	struct kvm_lapic_state lapic = st->lapic;
	int ret = 0;

	if (st->tsc_khz && c->tsc_khz)
		ret = tsc_khz_set(v, st->tsc_khz, e);
	if (!ret)
		ret = vioctl(v, KVM_SET_REGS, &regs, "KVM_SET_REGS", e);
	if (!ret && (st->flags & VCPU_STATE_XSAVE)) {
		/* as big as this KVM reads: a shorter saved area is padded with zeros */
		struct kvm_xsave *x = calloc(1, c->xsave_size);

		if (!x)
			return err_set(e, ENOMEM, "XSAVE area of vCPU %u", v->id);
		memcpy(x, st->xsave, st->xsave_len);
		ret = vioctl(v, KVM_SET_XSAVE, x, "KVM_SET_XSAVE", e);
		free(x);
	} else if (!ret) {
		struct kvm_fpu fpu = st->fpu;

		ret = vioctl(v, KVM_SET_FPU, &fpu, "KVM_SET_FPU", e);
	}
	if (!ret && (st->flags & VCPU_STATE_XCRS))
		ret = vioctl(v, KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS", e);
	if (!ret && (st->flags & VCPU_STATE_SREGS2)) {
		struct kvm_sregs2 s2 = st->sregs2;

		ret = vioctl(v, KVM_SET_SREGS2, &s2, "KVM_SET_SREGS2", e);
	} else if (!ret) {
		struct kvm_sregs s = st->sregs;

		ret = vioctl(v, KVM_SET_SREGS, &s, "KVM_SET_SREGS", e);
	}
	if (!ret)
		ret = msrs_set(v, st, false, e);
	if (!ret)
		ret = vioctl(v, KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE", e);
	if (!ret)
		ret = vioctl(v, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC", e);
	if (!ret)
		ret = msrs_set(v, st, true, e);
	if (!ret) {
		/* the NMI and SIPI fields count too (KVM reports only the optional ones) */
		ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
		ret = vioctl(v, KVM_SET_VCPU_EVENTS, &ev, "KVM_SET_VCPU_EVENTS", e);
	}
	if (!ret)
		ret = vioctl(v, KVM_SET_DEBUGREGS, &dr, "KVM_SET_DEBUGREGS", e);
	return ret;
}

static void put_blob(struct snap_out *o, const void *p, uint32_t len)
{
	snap_put_u32(o, len);
	snap_put(o, p, len);
}

void vcpu_state_put(struct snap_out *o, const struct vcpu_state *st)
{
	snap_put_u32(o, st->flags);
	snap_put_u32(o, st->tsc_khz);
	snap_put_u32(o, st->mp_state.mp_state);
	if (st->flags & VCPU_STATE_SREGS2)
		put_blob(o, &st->sregs2, sizeof(st->sregs2));
	else
		put_blob(o, &st->sregs, sizeof(st->sregs));
	put_blob(o, &st->regs, sizeof(st->regs));
	if (st->flags & VCPU_STATE_XSAVE)
		put_blob(o, st->xsave, st->xsave_len);
	else
		put_blob(o, &st->fpu, sizeof(st->fpu));
	put_blob(o, &st->xcrs, (st->flags & VCPU_STATE_XCRS) ? sizeof(st->xcrs) : 0);
	put_blob(o, &st->lapic, sizeof(st->lapic));
	put_blob(o, &st->events, sizeof(st->events));
	put_blob(o, &st->debugregs, sizeof(st->debugregs));
	snap_put_u32(o, st->nr_msrs);
	for (uint32_t i = 0; i < st->nr_msrs; i++) {
		snap_put_u32(o, st->msrs[i].index);
		snap_put_u32(o, 0);
		snap_put_u64(o, st->msrs[i].data);
	}
}

/* A blob of exactly @len bytes into @p; false (section bad) otherwise. */
static bool get_blob(struct snap_sec *s, void *p, size_t len, uint32_t *got)
{
	*got = snap_get_u32(s);
	if (s->bad || *got != len)
		return false;
	snap_get(s, p, len);
	return !s->bad;
}

/* A blob that did not decode: cut short (shorter than the layout) or of another length. */
static int blob_fail(struct snap_sec *s, const char *what, struct errinfo *e, const char *name,
		     uint32_t len, size_t want)
{
	if (s->bad)
		return snap_close(s, what, e);
	return snap_bad(s, what, e, "%s: %u bytes, expected %zu", name, len, want);
}

static bool msr_known(const struct vcpu_state_caps *c, uint32_t index)
{
	for (uint32_t i = 0; i < c->nr_msr_index; i++)
		if (c->msr_index[i] == index)
			return true;
	return false;
}

static int events_check(struct snap_sec *s, const struct kvm_vcpu_events *ev, const char *what,
			struct errinfo *e)
{
	const uint8_t bools[] = {
		ev->exception.injected,
		ev->exception.has_error_code,
		ev->exception.pending,
		ev->interrupt.injected,
		ev->interrupt.soft,
		ev->nmi.injected,
		ev->nmi.masked,
		ev->smi.smm,
		ev->smi.pending,
		ev->smi.smm_inside_nmi,
		ev->smi.latched_init,
		ev->triple_fault.pending,
		ev->exception_has_payload,
	};

	if (ev->flags & ~EVENTS_FLAGS_ALL)
		return snap_bad(s, what, e, "vCPU events: unknown flags 0x%x", ev->flags);
	for (size_t i = 0; i < sizeof(bools); i++)
		if (bools[i] > 1)
			return snap_bad(s, what, e, "vCPU events: flag %zu is %u, not 0 or 1", i,
					bools[i]);
	if (ev->exception.nr >= 32)
		return snap_bad(s, what, e, "vCPU events: exception vector %u (0..31)",
				ev->exception.nr);
	if (ev->sipi_vector > 0xff)
		return snap_bad(s, what, e, "vCPU events: SIPI vector 0x%x", ev->sipi_vector);
	return 0;
}

static int decode(struct snap_sec *s, const struct vcpu_state_caps *c, struct vcpu_state *st,
		  const char *what, struct errinfo *e)
{
	uint32_t len, nr, lim;

	st->flags = snap_get_u32(s);
	st->tsc_khz = snap_get_u32(s);
	st->mp_state.mp_state = snap_get_u32(s);
	if (s->bad)
		return snap_close(s, what, e);
	if (st->flags & ~VCPU_STATE_FLAGS_ALL)
		return snap_bad(s, what, e, "unknown flags 0x%x", st->flags);
	if ((st->flags & VCPU_STATE_SREGS2) && !c->sregs2)
		return snap_bad(s, what, e, "saved with KVM_GET_SREGS2, which this KVM lacks");
	if ((st->flags & VCPU_STATE_XSAVE) && !c->xsave)
		return snap_bad(s, what, e, "saved with XSAVE, which this KVM lacks");
	if ((st->flags & VCPU_STATE_XCRS) && !c->xcrs)
		return snap_bad(s, what, e, "saved with XCRs, which this KVM lacks");
	if (st->tsc_khz > TSC_KHZ_MAX)
		return snap_bad(s, what, e, "TSC frequency %u kHz", st->tsc_khz);
	if (st->mp_state.mp_state > KVM_MP_STATE_MAX)
		return snap_bad(s, what, e, "MP state %u (0..%u)", st->mp_state.mp_state,
				KVM_MP_STATE_MAX);

	if (st->flags & VCPU_STATE_SREGS2) {
		if (!get_blob(s, &st->sregs2, sizeof(st->sregs2), &len))
			return blob_fail(s, what, e, "special registers", len, sizeof(st->sregs2));
		if (st->sregs2.flags & ~(uint64_t)KVM_SREGS2_FLAGS_PDPTRS_VALID)
			return snap_bad(s, what, e, "special registers: flags 0x%llx",
					(unsigned long long)st->sregs2.flags);
	} else if (!get_blob(s, &st->sregs, sizeof(st->sregs), &len)) {
		return blob_fail(s, what, e, "special registers", len, sizeof(st->sregs));
	}
	if ((st->flags & VCPU_STATE_SREGS2 ? st->sregs2.cr8 : st->sregs.cr8) > 15)
		return snap_bad(s, what, e, "CR8 above 15");
	if (!get_blob(s, &st->regs, sizeof(st->regs), &len))
		return blob_fail(s, what, e, "registers", len, sizeof(st->regs));
	if (st->flags & VCPU_STATE_XSAVE) {
		len = snap_get_u32(s);
		if (s->bad || len < VCPU_STATE_XSAVE_MIN || len > c->xsave_size || len % 4)
			return snap_bad(s, what, e, "XSAVE area of %u bytes (this KVM: %u to %u)",
					len, VCPU_STATE_XSAVE_MIN, c->xsave_size);
		st->xsave = calloc(1, len);
		if (!st->xsave)
			return err_set(e, ENOMEM, "%s: XSAVE area", what);
		st->xsave_len = len;
		snap_get(s, st->xsave, len);
	} else if (!get_blob(s, &st->fpu, sizeof(st->fpu), &len)) {
		return blob_fail(s, what, e, "FPU state", len, sizeof(st->fpu));
	}
	if (st->flags & VCPU_STATE_XCRS) {
		if (!get_blob(s, &st->xcrs, sizeof(st->xcrs), &len))
			return blob_fail(s, what, e, "XCRs", len, sizeof(st->xcrs));
		if (st->xcrs.nr_xcrs > XCRS_MAX || st->xcrs.flags)
			return snap_bad(s, what, e, "XCRs: %u registers, flags 0x%x",
					st->xcrs.nr_xcrs, st->xcrs.flags);
	} else if (snap_get_u32(s) != 0) {
		return snap_bad(s, what, e, "XCRs present without the XCRS flag");
	}
	if (!get_blob(s, &st->lapic, sizeof(st->lapic), &len))
		return blob_fail(s, what, e, "LAPIC state", len, sizeof(st->lapic));
	if (!get_blob(s, &st->events, sizeof(st->events), &len))
		return blob_fail(s, what, e, "vCPU events", len, sizeof(st->events));
	if (events_check(s, &st->events, what, e))
		return -EBADMSG;
	if (!get_blob(s, &st->debugregs, sizeof(st->debugregs), &len))
		return blob_fail(s, what, e, "debug registers", len, sizeof(st->debugregs));
	if (st->debugregs.flags || (st->debugregs.dr6 >> 32) || (st->debugregs.dr7 >> 32))
		return snap_bad(s, what, e, "debug registers: flags or DR6/DR7 out of range");

	nr = snap_get_u32(s);
	lim = c->nr_msr_index < VCPU_STATE_MAX_MSRS ? c->nr_msr_index : VCPU_STATE_MAX_MSRS;
	if (s->bad)
		return snap_close(s, what, e);
	if (nr > lim)
		return snap_bad(s, what, e, "%u MSRs; this KVM saves at most %u", nr, lim);
	if ((uint64_t)nr * 16 > snap_left(s))
		return snap_bad(s, what, e, "%u MSRs announced, %zu bytes left", nr, snap_left(s));
	st->msrs = calloc(nr ? nr : 1, sizeof(*st->msrs));
	if (!st->msrs)
		return err_set(e, ENOMEM, "%s: MSRs", what);
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t index = snap_get_u32(s), rsv = snap_get_u32(s);
		uint64_t val = snap_get_u64(s);

		if (rsv)
			return snap_bad(s, what, e, "MSR entry %u: reserved word 0x%x", i, rsv);
		if (!msr_known(c, index))
			return snap_bad(s, what, e, "MSR 0x%x is not one KVM saves", index);
		for (uint32_t j = 0; j < i; j++)
			if (st->msrs[j].index == index)
				return snap_bad(s, what, e, "MSR 0x%x appears twice", index);
		st->msrs[i] = (struct kvm_msr_entry){.index = index, .data = val};
		st->nr_msrs = i + 1;
	}
	return snap_close(s, what, e);
}

int vcpu_state_decode(struct snap_sec *s, const struct vcpu_state_caps *c, struct vcpu_state *st,
		      const char *what, struct errinfo *e)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = decode(s, c, st, what, e);
	if (ret)
		vcpu_state_free(st);
	return ret;
}
