/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health verdicts for supervisors and orchestrators (/healthz, /readyz),
 * from one snapshot and the time now. Pure: no I/O, no clock of its own.
 *
 * Alive (/healthz): the collector published a snapshot less than
 * SF_HEALTH_MAX_AGE_NS ago and every worker lcore still runs its loop
 * (a worker ending before the input did is a failure). A run whose input
 * has finished (a file replayed, lingering with --serve) is alive: its
 * last snapshot is final and stays.
 *
 * Ready (/readyz): alive, and every input port's link is up, and the
 * collector keeps up: the newest interval was finalized less than
 * SF_READY_MAX_LAG_NS after it ended, no worker->collector ring of a live
 * input is fuller than SF_READY_MAX_RING_FILL (a file replay waits for the
 * collector when its rings fill: that is its pace), and no ring dropped a message lately (the
 * snapshot's msgs_lost_recent: the last 10 to 20 s). A finished input is
 * ready, with status "finished": what it serves is complete.
 */
#ifndef SF_HEALTH_H
#define SF_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "sf_common.h"
#include "sf_snapshot.h"

#define SF_HEALTH_MAX_AGE_NS (10 * SF_NS_PER_S)	/* snapshots come at least every 1 s */
#define SF_READY_MAX_LAG_NS (5 * SF_NS_PER_S)
#define SF_READY_MAX_RING_FILL 0.9

#define SF_HEALTH_REASONS 8
#define SF_HEALTH_REASON_LEN 112

struct sf_health {
	bool ok;
	const char *status;		/* "ok", "ready", "finished", "starting", "failing",
					 * "not ready" */
	unsigned int n_reasons;		/* why not ok (the first SF_HEALTH_REASONS) */
	char reasons[SF_HEALTH_REASONS][SF_HEALTH_REASON_LEN];
};

/*
 * The verdict on snapshot s (NULL: none published yet) at Unix time
 * now_ns: liveness when ready is false, readiness when it is true.
 */
void sf_health_check(const struct sf_snap *s, uint64_t now_ns, bool ready,
		struct sf_health *h);

#endif /* SF_HEALTH_H */
