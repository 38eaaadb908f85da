// SPDX-License-Identifier: GPL-2.0-only
/*
 * When pre-copy stops: the stop rule and the auto-converge steps, pure
 * functions of what the last pass measured (unit-tested on numbers).
 *
 * Stop when the pages dirtied during the last pass could be copied within
 * the downtime budget at the bandwidth that pass achieved - the guest is
 * then paused and they are sent - or when the last pass allowed was made.
 * A guest that dirties more than half of what the link carries will not
 * converge by passes alone: its vCPUs are throttled one step more per pass
 * (as QEMU's auto-converge does) until it does.
 */
#include "migrate_ram.h"

uint64_t migrate_est_ms(uint64_t dirty_bytes, uint64_t bandwidth)
{
	if (!bandwidth)
		return UINT64_MAX;
	return (uint64_t)((unsigned __int128)dirty_bytes * 1000 / bandwidth);
}

enum migrate_step migrate_stop_rule(const struct migrate_rule_in *in)
{
	if (!in->dirty_bytes)
		return MIGRATE_STOP_COPY;
	if (in->bandwidth && migrate_est_ms(in->dirty_bytes, in->bandwidth) <= in->downtime_ms)
		return MIGRATE_STOP_COPY;
	/*
	 * Post-copy instead of throttling: pass 1 copied all RAM, pass 2 the
	 * pages dirtied meanwhile; a dirty set that still does not fit will
	 * not shrink enough by passes.
	 */
	if (in->postcopy && (in->pass >= 2 || in->pass >= in->max_passes))
		return MIGRATE_POSTCOPY;
	if (in->pass >= in->max_passes)
		return MIGRATE_STOP_COPY;
	/* from pass 2 on: pass 1 copies all RAM, its dirty rate says little */
	if (in->can_throttle && in->pass >= 2 && in->bandwidth &&
	    in->dirty_rate > in->bandwidth / 2 && in->throttle_pct < MIGRATE_THROTTLE_MAX)
		return MIGRATE_THROTTLE_MORE;
	return MIGRATE_NEXT_PASS;
}

unsigned int migrate_next_throttle(unsigned int pct)
{
	if (pct < 80)
		return pct < 20 ? 20 : (pct / 20 + 1) * 20;
	if (pct < 90)
		return 90;
	if (pct < 95)
		return 95;
	return MIGRATE_THROTTLE_MAX;
}
