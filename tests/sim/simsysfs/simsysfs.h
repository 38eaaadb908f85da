/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * simsysfs: a FUSE filesystem that presents a sysfs + /dev/vfio tree with
 * the kernel's behaviour for SR-IOV and driver binding, so that vfctl (and
 * shell tests) can run unmodified against it with --sysfs-root.
 *
 * All state hangs off one struct sim passed as FUSE private data: the daemon
 * runs single-threaded (-s), so no locking is needed.
 */
#ifndef SIMSYSFS_H
#define SIMSYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum snode_type { SN_DIR, SN_FILE, SN_LINK, SN_CHR };

/* What a write to (or a read of) a file means. */
enum sattr {
	SA_PLAIN, /* stored bytes; writes replace them */
	SA_CONFIG, /* config space, computed from device state */
	SA_NUMVFS,
	SA_AUTOPROBE,
	SA_OVERRIDE,
	SA_DRV_BIND,
	SA_DRV_UNBIND,
	SA_DRV_NEWID, /* accepted and logged; never used by a sane tool */
	SA_PROBE,
	SA_INJECT,
	SA_CTL,
	SA_LOG,
};

struct snode {
	char *name;
	enum snode_type type;
	mode_t mode;
	struct snode *parent;
	struct snode *child; /* first child (directories) */
	struct snode *next; /* next sibling */
	char *data; /* file bytes, or absolute in-mount link target */
	size_t len;
	enum sattr attr;
	void *owner; /* struct simdev or struct simdrv for special files */
	dev_t rdev;
};

struct snode *tree_new_root(void);
void tree_free(struct snode *n);
/* Creates missing directories along an absolute in-mount path. */
struct snode *tree_mkdir_p(struct snode *root, const char *path);
struct snode *tree_add_file(struct snode *root, const char *path, mode_t mode, const char *data,
			    size_t len);
struct snode *tree_add_link(struct snode *root, const char *path, const char *target);
struct snode *tree_add_chr(struct snode *root, const char *path, dev_t rdev);
/* Looks a path up without following links (as FUSE hands them to us). */
struct snode *tree_lookup(struct snode *root, const char *path);
/* Looks a path up following links in every component (for .sim/inject). */
struct snode *tree_resolve(struct snode *root, const char *path);
void tree_remove(struct snode *root, const char *path);
void tree_set(struct snode *n, const char *data, size_t len);
void tree_setf(struct snode *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Absolute in-mount path of a node; caller frees. */
char *tree_path(const struct snode *n);
/* Target of a link relative to the link's directory (what readlink shows). */
char *tree_rel_target(const struct snode *link);

/* Driver flags. */
#define DRV_SRIOV (1u << 0) /* has sriov_configure */
#define DRV_NET (1u << 1) /* creates a netdev for the device */
#define DRV_VFIO (1u << 2) /* a VFIO driver: /dev/vfio/<group> */
#define DRV_NVME (1u << 3) /* creates nvme/nvmeN + /dev/nvmeN */

#define SIM_MAX_IDS 8

struct simdrv {
	char name[64];
	unsigned int flags;
	int nids;
	uint16_t ids[SIM_MAX_IDS][2]; /* vendor, device */
	int nclasses;
	uint32_t classes[SIM_MAX_IDS]; /* class code prefix; see cls_len */
	int cls_len[SIM_MAX_IDS]; /* hex digits given: 2, 4 or 6 */
};

struct simdev {
	char bdf[16];
	char dir[300]; /* in-mount path of the device directory */
	uint16_t vendor, device, sub_vendor, sub_device;
	uint32_t class;
	uint8_t revision;
	bool bridge;
	int pcie; /* 0 conventional, else PCIe port type + 1 */
	bool acs;
	bool flr;
	int msix; /* MSI-X table size, 0 none */
	int group; /* -1: no IOMMU group */
	int numa;
	char reset[64]; /* reset_method contents (space separated) */
	char driver[64]; /* bound driver, "" none */
	char override[64]; /* driver_override, "" none */
	char net[32]; /* netdev name when bound to a DRV_NET driver */
	char mac[24];
	bool net_up;
	int ifindex;
	int nvme_inst; /* nvme controller instance while bound, -1 */
	char serial[24]; /* NVMe serial number (PF; VFs derive theirs) */
	uint64_t dsn; /* PCIe Device Serial Number capability, 0 none */
	unsigned int link_speed, link_width; /* PCIe link (codes 1-6, lanes); 0: 2.5 GT/s x1 */
	char resource[2048]; /* the sysfs resource file as captured, "" all zeros */
	/* SR-IOV (PF) */
	int totalvfs, numvfs, vfoffset, vfstride;
	uint16_t vfdevice;
	int vfmsix;
	char vfreset[64];
	bool autoprobe;
	/* VF */
	struct simdev *pf;
	int vfindex;
	bool removed;
};

#define SIM_MAX_DEVS 1024
#define SIM_MAX_DRVS 64
#define SIM_MAX_INJECT 32
/*
 * Injections that are no errno: the writer is killed (SIGKILL) before the
 * write lands (nothing changes) or just after it landed - a tool killed
 * between two steps, at a chosen one.
 */
#define SIM_KILL_BEFORE 100001
#define SIM_KILL_AFTER 100002

struct sim_inject {
	char path[512]; /* canonical in-mount path */
	int err;
	int count; /* writes left to fail; -1 forever */
};

struct sim {
	struct snode *root;
	struct simdev *devs[SIM_MAX_DEVS];
	int ndevs;
	struct simdrv drvs[SIM_MAX_DRVS];
	int ndrvs;
	bool iommu;
	bool vfio_module;
	int next_ifindex;
	int next_nvme;
	struct sim_inject inject[SIM_MAX_INJECT];
	int ninject;
	char *log;
	size_t loglen;
	const char *nlstate; /* vfctl's netlink fake state file to keep in step, or NULL */
	char spec_dir[512]; /* directory of the spec file: relative paths in it start there */
};

/* spec.c */
int spec_load(struct sim *s, const char *file, char *err, size_t errlen);

/* pcidev.c: kernel behaviour */
struct simdev *sim_dev_find(struct sim *s, const char *bdf);
struct simdrv *sim_drv_find(struct sim *s, const char *name);
int sim_dev_add(struct sim *s, struct simdev *d, const char *parent_bdf);
void sim_drv_add(struct sim *s, const struct simdrv *drv);
int sim_bind(struct sim *s, struct simdev *d, struct simdrv *drv);
void sim_unbind(struct sim *s, struct simdev *d);
bool sim_match(const struct simdrv *drv, const struct simdev *d);
/* Writes: return count or -errno, as the kernel's store functions do. */
int sim_write_numvfs(struct sim *s, struct simdev *pf, const char *buf);
int sim_write_autoprobe(struct sim *s, struct simdev *pf, const char *buf);
int sim_write_override(struct sim *s, struct simdev *d, const char *buf);
int sim_write_probe(struct sim *s, const char *buf);
int sim_write_bind(struct sim *s, struct simdrv *drv, const char *buf);
int sim_write_unbind(struct sim *s, struct simdrv *drv, const char *buf);
int sim_write_ctl(struct sim *s, const char *buf);

/* nlfake.c */
int nlfake_sync(const struct sim *s, const struct simdev *pf);

/* cfgspace.c */
size_t cfg_build(const struct simdev *d, uint8_t *buf, size_t size);

/* errnames.c */
int errno_from_name(const char *name);
const char *errno_name(int err);

#endif
