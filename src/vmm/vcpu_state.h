/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One vCPU's architectural state as KVM hands it out, for snapshots: read
 * with the state ioctls into a struct vcpu_state, written to a "vcpu:N"
 * section, decoded (every value checked) back into a struct vcpu_state,
 * then applied with the set ioctls.  Decoding needs no KVM, so hostile
 * sections are tested without it.
 *
 * The payload holds the KVM UAPI structs as they are (x86, little-endian,
 * fixed layouts since the ioctls were added), each with its length:
 *   u32 flags (VCPU_STATE_*) | u32 tsc_khz | u32 mp_state
 *   u32 sregs length | struct kvm_sregs2 or struct kvm_sregs
 *   u32 regs length | struct kvm_regs
 *   u32 fpu length  | struct kvm_xsave (as many bytes as KVM gave) or kvm_fpu
 *   u32 xcrs length | struct kvm_xcrs (length 0 without VCPU_STATE_XCRS)
 *   u32 lapic length | struct kvm_lapic_state
 *   u32 events length | struct kvm_vcpu_events
 *   u32 debugregs length | struct kvm_debugregs
 *   u32 nr_msrs | nr_msrs x (u32 index, u32 reserved 0, u64 value)
 */
#ifndef VMM_VCPU_STATE_H
#define VMM_VCPU_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "snap_stream.h"

#define VCPU_STATE_SREGS2 (1u << 0) /* sregs holds a kvm_sregs2 (PDPTRs too) */
#define VCPU_STATE_XSAVE (1u << 1) /* fpu holds a kvm_xsave, else a kvm_fpu */
#define VCPU_STATE_XCRS (1u << 2)
#define VCPU_STATE_FLAGS_ALL (VCPU_STATE_SREGS2 | VCPU_STATE_XSAVE | VCPU_STATE_XCRS)

#define VCPU_STATE_MAX_MSRS 1024 /* KVM reports a few hundred at most */
#define VCPU_STATE_XSAVE_MIN 4096 /* struct kvm_xsave */
#define VCPU_STATE_XSAVE_MAX (64u << 10) /* KVM_CAP_XSAVE2 sizes are a few KiB */
#define VCPU_STATE_SECTION_VERSION 1

struct vcpu;

/* What this KVM can do and which MSRs it saves: per VM, from /dev/kvm. */
struct vcpu_state_caps {
	bool sregs2, xsave, xcrs, tsc_khz;
	uint32_t xsave_size; /* bytes KVM_GET_XSAVE2 fills (4096 without XSAVE2) */
	uint32_t *msr_index; /* KVM_GET_MSR_INDEX_LIST */
	uint32_t nr_msr_index;
};

struct vcpu_state {
	uint32_t flags; /* VCPU_STATE_* */
	uint32_t tsc_khz; /* 0: unknown */
	struct kvm_mp_state mp_state;
	union {
		struct kvm_sregs sregs;
		struct kvm_sregs2 sregs2;
	};
	struct kvm_regs regs;
	struct kvm_fpu fpu; /* without VCPU_STATE_XSAVE */
	struct kvm_xsave *xsave; /* xsave_len bytes, owned */
	uint32_t xsave_len;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_msr_entry *msrs; /* owned */
	uint32_t nr_msrs;
};

/* Ask KVM (kvm_fd: /dev/kvm) what it can save; free with vcpu_state_caps_free(). */
int vcpu_state_caps_get(struct vcpu_state_caps *c, int kvm_fd, struct errinfo *e);
void vcpu_state_caps_free(struct vcpu_state_caps *c);

/*
 * Read @v's state (the vCPU must be parked: out of KVM_RUN, its pending
 * I/O completed - see vm_vcpu_park()).
 */
int vcpu_state_get(struct vcpu *v, const struct vcpu_state_caps *c, struct vcpu_state *st,
		   struct errinfo *e);
/*
 * Apply @st to @v, in the order KVM needs (see vcpu_state.c); @v must not
 * be running.
 */
int vcpu_state_set(struct vcpu *v, const struct vcpu_state_caps *c, const struct vcpu_state *st,
		   struct errinfo *e);
void vcpu_state_free(struct vcpu_state *st);

/* Append @st to the open section of @o. */
void vcpu_state_put(struct snap_out *o, const struct vcpu_state *st);
/*
 * Decode section @s into @st, checking every value against what this KVM
 * (@c) can take: -EBADMSG naming the section (@what: the source) when a
 * value is out of range, a length is wrong or an MSR is one KVM does not
 * save.  @st is freed on failure.
 */
int vcpu_state_decode(struct snap_sec *s, const struct vcpu_state_caps *c, struct vcpu_state *st,
		      const char *what, struct errinfo *e);

#endif
