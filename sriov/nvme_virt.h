/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NVMe virtualization management for SR-IOV NVMe PFs.
 *
 * A new NVMe VF (a "secondary controller") has no queue or interrupt
 * resources until the primary controller gives it some: without them the
 * host nvme driver fails on the VF (CSTS=0x2) and so does any guest.  The
 * sequence, which QEMU's emulated NVMe also insists on, is:
 *
 *   1. nvme_virt_prepare():   before VFs exist (sriov_numvfs == 0): set the
 *      primary's flexible VQ/VI resources to 0 (Virtualization Management,
 *      action "primary flexible allocation"), reset the controller so the
 *      change takes effect, wait until it is live again.
 *   2. the caller writes sriov_numvfs.  With autoprobe on, the nvme driver
 *      probes each new VF now and fails (no resources yet), harmlessly.
 *   3. nvme_virt_online_vfs(): for each of the first nvfs secondary
 *      controllers: offline, assign VQ and VI resources (the flexible pool
 *      split evenly), online.
 *      When the PF autoprobes its VFs (sriov_drivers_autoprobe = 1), each VF
 *      brought online that has no driver (its first nvme probe failed for
 *      want of resources) is probed again through drivers_probe, so the host
 *      nvme driver (or a driver_override) takes it.
 *   4. with autoprobe off the VFs stay driverless for the caller to bind
 *      (vfio-pci).  Note: while autoprobe is 0 the kernel probes a VF only
 *      through driver_override (seen in the lab).
 *
 * All of this goes through the admin command ioctl on ROOT/dev/nvmeN (N is
 * found under ROOT/sys/bus/pci/devices/BDF/nvme/) and the sysfs file
 * ROOT/sys/class/nvme/nvmeN/reset_controller.  ROOT is the sysfs-root seam
 * ("" on the real system).  Commands go through struct nvme_virt_ops so
 * unit tests can fake the controller.
 */
#ifndef VF_NVME_VIRT_H
#define VF_NVME_VIRT_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

/* Admin opcodes and Identify CNS values used here (NVMe base spec 2.0). */
#define NVME_VIRT_OPC_IDENTIFY 0x06
#define NVME_VIRT_OPC_VIRT_MGMT 0x1c
#define NVME_VIRT_CNS_PRIMARY_CAPS 0x14
#define NVME_VIRT_CNS_SECONDARY_LIST 0x15

/* Virtualization Management: CDW10 bits 3:0 (action), 10:8 (resource type). */
enum nvme_virt_act {
	NVME_VIRT_ACT_PRIMARY_FLEX = 0x1,
	NVME_VIRT_ACT_SECONDARY_OFFLINE = 0x7,
	NVME_VIRT_ACT_SECONDARY_ASSIGN = 0x8,
	NVME_VIRT_ACT_SECONDARY_ONLINE = 0x9,
};

enum nvme_virt_rt {
	NVME_VIRT_RT_VQ = 0x0, /* queue resources */
	NVME_VIRT_RT_VI = 0x1, /* interrupt resources */
};

/* One admin command, as far as this module needs (a subset of the kernel's). */
struct nvme_virt_cmd {
	uint8_t opcode;
	uint32_t nsid;
	uint32_t cdw10, cdw11;
	void *data; /* host buffer for the data transfer, or NULL */
	uint32_t data_len; /* bytes */
	uint32_t result; /* completion dword 0, filled on success */
};

/* Primary Controller Capabilities (Identify CNS 0x14), decoded. */
struct nvme_virt_primary_caps {
	uint16_t cntlid;
	uint16_t portid;
	uint8_t crt; /* bit 0: VQ resources supported, bit 1: VI */
	uint32_t vqfrt; /* VQ flexible resources total */
	uint32_t vqrfa; /* VQ flexible resources assigned to secondaries */
	uint16_t vqrfap; /* VQ flexible resources allocated to the primary */
	uint16_t vqprt; /* VQ private resources of the primary */
	uint16_t vqfrsm; /* VQ flexible resources max per secondary */
	uint16_t vqgran;
	uint32_t vifrt;
	uint32_t virfa;
	uint16_t virfap;
	uint16_t viprt;
	uint16_t vifrsm;
	uint16_t vigran;
};

/* One Secondary Controller Entry (Identify CNS 0x15), decoded. */
struct nvme_virt_secondary {
	uint16_t scid; /* secondary controller id (CNTLID of the VF's controller) */
	uint16_t pcid; /* primary controller id */
	uint8_t scs; /* bit 0: online */
	uint16_t vfn; /* VF number, 1-based */
	uint16_t nvq; /* VQ resources assigned */
	uint16_t nvi; /* VI resources assigned */
};

#define NVME_VIRT_MAX_SECONDARY 127 /* entries in one Secondary Controller List */

struct nvme_virt_ops {
	/*
	 * Run one admin command on the controller character device dev_path.
	 * Returns 0 on success, -errno when the command could not be sent, or
	 * a positive NVMe status (SCT << 8 | SC, maybe with the DNR bit 0x4000)
	 * when the controller failed it (what NVME_IOCTL_ADMIN_CMD returns).
	 */
	int (*admin)(void *opaque, const char *dev_path, struct nvme_virt_cmd *cmd);
	/* Write "1" to reset_path (nvmeN/reset_controller or the PF's PCI reset); 0 or -errno. */
	int (*reset)(void *opaque, const char *reset_path);
	void *opaque;
	/* How long to wait for ROOT/sys/class/nvme/nvmeN/state to read "live" after a reset; 0: 60
	 * s. */
	unsigned live_timeout_ms;
};

/* The real backend: NVME_IOCTL_ADMIN_CMD and a sysfs write. */
extern const struct nvme_virt_ops nvme_virt_ops_real;

/* True when ROOT/sys/bus/pci/devices/BDF has an NVMe controller (class 01:08:02 and nvme/). */
bool nvme_virt_is_nvme_pf(const char *root, const char *pf_bdf);

/*
 * Before creating VFs: primary flexible resources to 0, reset, wait until
 * live.  Does nothing (returns 0) when the primary already holds no flexible
 * resources, so it is safe to call every time.  The reset is the controller
 * reset (sysfs reset_controller); when the device did not apply the new
 * allocation on it (QEMU's NVMe applies it only on a function reset), the PCI
 * function reset (sysfs reset, FLR with the nvme driver kept bound) follows.
 * Errors: -EOPNOTSUPP no virtualization management; -ERANGE the flexible pool
 * cannot serve nvfs VFs; -EBUSY VFs exist while the primary still holds
 * flexible resources (remove them first); -ENOENT PF not on the nvme driver.
 */
int nvme_virt_prepare(const char *root, const char *pf_bdf, unsigned nvfs, struct errinfo *e);

/*
 * After sriov_numvfs = nvfs: give the first nvfs secondaries resources and set
 * them online.  Each VF gets (pool not held by the primary) / nvfs queue and
 * interrupt resources, capped at the per-VF maximum (VQFRSM/VIFRSM).  A
 * secondary already online with exactly that is left alone, so calling it
 * again changes nothing.  A VF brought online without a driver is probed
 * when the PF autoprobes (see step 3 above).  Any reset of the PF controller (driver rebind)
 * takes the secondaries offline again: call this again afterwards.
 * Errors: -EINVAL fewer than nvfs VFs exist; -ENOSPC the pool cannot give
 * each VF 2 queue and 1 interrupt resources; -EIO the controller refused.
 */
int nvme_virt_online_vfs(const char *root, const char *pf_bdf, unsigned nvfs, struct errinfo *e);

/* The same two with an explicit backend (tests pass a fake). */
int nvme_virt_prepare_ops(const struct nvme_virt_ops *ops, const char *root, const char *pf_bdf,
			  unsigned nvfs, struct errinfo *e);
int nvme_virt_online_vfs_ops(const struct nvme_virt_ops *ops, const char *root, const char *pf_bdf,
			     unsigned nvfs, struct errinfo *e);

/* Lower-level pieces, also used by `vfctl show` and tests. */
int nvme_virt_ctrl_name(const char *root, const char *pf_bdf, char *name, unsigned size,
			struct errinfo *e);
int nvme_virt_primary_caps(const struct nvme_virt_ops *ops, const char *dev_path,
			   struct nvme_virt_primary_caps *caps, struct errinfo *e);
/* Fills up to max entries; returns the number of entries or -errno. */
int nvme_virt_secondary_list(const struct nvme_virt_ops *ops, const char *dev_path,
			     struct nvme_virt_secondary *list, unsigned max, struct errinfo *e);

/* Decoders for the 4096-byte Identify data (exposed for unit tests). */
void nvme_virt_decode_primary(const uint8_t *buf, struct nvme_virt_primary_caps *caps);
unsigned nvme_virt_decode_secondary(const uint8_t *buf, struct nvme_virt_secondary *list,
				    unsigned max);

#endif
