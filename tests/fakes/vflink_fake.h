/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The recording fake of the VF link backend (sriov/vflink.h), for tests
 * only: linked into the unit test programs and the sim tier's vfctl build
 * (build/tests/vfctl-sim), never into an installed program.
 *
 * vflink_open_fake(STATE): the state file keeps
 *    the VF table (so several processes see the same table) and
 *    "<state file>.log" gets one line per request.  Format of the state file
 *    (one directive a line, '#' starts a comment):
 *        pf <ifname> numvfs <N>          a PF with N VFs (defaults below)
 *        pf <ifname> nosriov             a netdev that is not an SR-IOV PF
 *        vf <ifname> <idx> mac <m> vlan <v> qos <q> proto <802.1Q|802.1ad>
 *           min_tx <r> max_tx <r> spoofchk <on|off> trust <on|off>
 *           state <auto|enable|disable> query_rss <on|off>
 *        fail <ifname|*> <attr> <ERRNO-NAME> <count|always>
 *    <attr> is mac, vlan, rate, spoofchk, trust, state, query_rss or get.
 *    A "fail" line answers the next <count> matching requests with that
 *    errno (the count goes down and is saved), to test retries and
 *    per-driver "unsupported" answers.  VFs without a "vf" line read as
 *    MAC 00:00:00:00:00:00, VLAN 0, rates 0, spoofchk on, trust off,
 *    state auto, query_rss off.  A later "vf" line for a VF overrides an
 *    earlier one: the fake appends one line per change (and compacts the
 *    file now and then), so a request costs the same whatever the VF count.
 *
 * Every function returns 0 or -errno and fills the errinfo.
 */
#ifndef TESTS_FAKES_VFLINK_FAKE_H
#define TESTS_FAKES_VFLINK_FAKE_H

#include "vflink.h"

struct vflink *vflink_open_fake(const char *state_file, struct errinfo *e);

#endif
