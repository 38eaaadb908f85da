/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The requests vfvm's VMM process may make of its keeper (the privileged
 * parent that stays behind when `vfvm run` forks, tools/vfvm/keeper.c).
 *
 * After setup the VMM may be confined (--user, --chroot, seccomp): what it
 * still needs privilege for goes over a SOCK_SEQPACKET socketpair as one
 * fixed-size request, answered by one reply (with up to KEEPER_MAX_FDS file
 * descriptors, SCM_RIGHTS).  The set is narrow on purpose, and every
 * request is checked by the keeper before anything is done:
 *
 *	DECLARE BDF       a device this VM passes through (only before SEAL)
 *	SEAL              setup is over: no more DECLARE
 *	IRQ_AFFINITY      steer the host IRQ vfio-msi[x][N](BDF) of a declared
 *	                  (or recorded) device to a set of online host CPUs
 *	GIVE_BACK BDF     a hot-unplugged managed device the VM's record lists
 *	                  goes back to its host driver
 *
 * A VMM that is taken over cannot name a device the VM never had, move an
 * IRQ that is not a passed-through vector, or write anything else.
 */
#ifndef HOST_KEEPER_MSG_H
#define HOST_KEEPER_MSG_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"
#include "pci_addr.h"

#define KEEPER_MSG_MAGIC 0x3152504bu /* "KPR1" */
#define KEEPER_ACTION_MAX 48
#define KEEPER_CPU_WORDS 16 /* 1024 host CPUs */
#define KEEPER_MAX_FDS 4
/* Highest vector index a vfio-pci IRQ name can carry (MSI-X tables have 2048). */
#define KEEPER_VECTOR_MAX 2047

enum keeper_op {
	KEEPER_OP_DECLARE = 1,
	KEEPER_OP_SEAL,
	KEEPER_OP_IRQ_AFFINITY,
	KEEPER_OP_GIVE_BACK,
};

struct keeper_req {
	uint32_t magic;
	uint32_t op;
	char bdf[BDF_LEN]; /* DECLARE, GIVE_BACK: canonical */
	char action[KEEPER_ACTION_MAX]; /* IRQ_AFFINITY: vfio-msix[N](BDF) */
	uint64_t cpus[KEEPER_CPU_WORDS]; /* IRQ_AFFINITY: bit i = host CPU i */
};

struct keeper_reply {
	uint32_t magic;
	int32_t err; /* positive errno, 0 done */
	char msg[512];
	char hint[256];
};

/* What the VM may name: its devices, and whether setup is over. */
struct keeper_allow {
	char (*bdf)[BDF_LEN]; /* malloc'd */
	int n;
	bool sealed;
};

/* Add @bdf (canonical) once; -ENOMEM. */
int keeper_allow_add(struct keeper_allow *a, const char *bdf);
bool keeper_allow_has(const struct keeper_allow *a, const char *bdf);
void keeper_allow_free(struct keeper_allow *a);

/* Fill a request (-EINVAL with @e set for a BDF, action or CPU set the keeper would refuse). */
int keeper_req_bdf(struct keeper_req *r, enum keeper_op op, const char *bdf, struct errinfo *e);
int keeper_req_seal(struct keeper_req *r);
int keeper_req_irq(struct keeper_req *r, const char *action, const cpu_set_t *cpus,
		   struct errinfo *e);

/*
 * "vfio-msix[N](BDF)" or "vfio-msi[N](BDF)" (what vfio-pci names its host
 * IRQs): the BDF (canonical) and N; -EINVAL for anything else.
 */
int keeper_action_parse(const char *action, char bdf[BDF_LEN], unsigned int *vector);

/*
 * The keeper's check of a received request of @len bytes: its size, magic,
 * op, strings terminated and well-formed, the device one @a allows (or, for
 * GIVE_BACK, one @recorded names: NULL none), DECLARE only before SEAL, the
 * CPU set non-empty and within @nr_cpus.  0, or -EINVAL/-EPERM with @e
 * naming what was wrong.
 */
int keeper_req_check(const struct keeper_req *r, size_t len, const struct keeper_allow *a,
		     bool (*recorded)(void *opaque, const char *bdf), void *opaque,
		     unsigned int nr_cpus, struct errinfo *e);

/* The CPU set of an IRQ_AFFINITY request. */
void keeper_req_cpus(const struct keeper_req *r, cpu_set_t *out);

/* Send one request; receive one (0, or 0 with *len 0 when the peer closed). */
int keeper_send_req(int fd, const struct keeper_req *r, struct errinfo *e);
int keeper_recv_req(int fd, struct keeper_req *r, size_t *len, struct errinfo *e);
/* One reply with @nfds descriptors (may be 0). */
int keeper_send_reply(int fd, const struct errinfo *result, const int *fds, int nfds,
		      struct errinfo *e);
/*
 * Receive one reply: 0 with *result filled (result->err the keeper's
 * answer) and up to @max_fds descriptors in @fds (*nfds; O_CLOEXEC).
 */
int keeper_recv_reply(int fd, struct errinfo *result, int *fds, int max_fds, int *nfds,
		      struct errinfo *e);

#endif
