/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Posted-interrupt eligibility, per vector: a device interrupt reaches a
 * running vCPU without a VM exit only when every condition below holds.
 * Host side: the IOMMU does interrupt remapping with posting (VT-d PI /
 * AMD GA) and KVM uses APICv/AVIC.  VM side: the device is registered with
 * the KVM-VFIO device, the VFIO trigger eventfd is the KVM irqfd, the MSI
 * targets a single vCPU with fixed or lowest-priority delivery, and the
 * vector is not masked.
 */
#ifndef VFIO_POSTED_H
#define VFIO_POSTED_H

#include <stdbool.h>
#include <stdint.h>

struct vfio_pi_host {
	int ir_posting; /* 1 yes, 0 no, -1 cannot tell */
	int apicv; /* 1 yes, 0 no, -1 cannot tell */
};

/* Read the host conditions from ROOT/sys (Intel DMAR cap bit 59; kvm module params). */
void vfio_pi_host_read(const char *root, struct vfio_pi_host *h);

struct vfio_pi_msg {
	unsigned int dest; /* APIC destination id */
	bool logical; /* destination mode logical */
	unsigned int mode; /* delivery mode (0 fixed, 1 lowest priority, ...) */
	unsigned int vector; /* guest vector */
	bool single_target; /* one vCPU is named */
};

/* Decode an x86 MSI message; false when the address is not in 0xFEExxxxx. */
bool vfio_pi_decode(uint64_t addr, uint32_t data, struct vfio_pi_msg *m);

/* A vector's own conditions (the host ones are separate). */
static inline bool vfio_pi_msg_postable(const struct vfio_pi_msg *m)
{
	return m->single_target && (m->mode == 0 || m->mode == 1);
}

#endif
