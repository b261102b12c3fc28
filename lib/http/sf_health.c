/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sf_health.h"

static void
reason(struct sf_health *h, const char *fmt, ...)
{
	va_list ap;

	h->ok = false;
	if (h->n_reasons == SF_HEALTH_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(h->reasons[h->n_reasons++], SF_HEALTH_REASON_LEN, fmt, ap);
	va_end(ap);
}

static void
alive(const struct sf_snap *s, uint64_t now_ns, struct sf_health *h)
{
	const struct sf_snap_state *st = &s->st;
	uint64_t age = now_ns > s->wall_ns ? now_ns - s->wall_ns : 0;
	unsigned int i;

	if (age > SF_HEALTH_MAX_AGE_NS)
		reason(h, "collector stalled: the newest snapshot is %.1f s old (at most %.0f s)",
				(double)age / 1e9, (double)SF_HEALTH_MAX_AGE_NS / 1e9);
	/* Workers end at the end of input; before it, one that ended has failed. */
	for (i = 0; i < st->n_workers && !st->input_ended; i++)
		if (!st->w[i].running)
			reason(h, "worker %u (lcore %u) stopped before the input ended", i,
					st->w[i].lcore);
}

static void
keeping_up(const struct sf_snap *s, struct sf_health *h)
{
	const struct sf_snap_state *st = &s->st;
	unsigned int i;

	for (i = 0; i < st->n_ports; i++)
		if (!st->ports[i].up)
			reason(h, "port %s: link down", st->ports[i].name);
	if (s->lag_ns > SF_READY_MAX_LAG_NS)
		reason(h, "collector behind: the newest interval was finalized %.1f s after "
				"it ended (at most %.0f s)", (double)s->lag_ns / 1e9,
				(double)SF_READY_MAX_LAG_NS / 1e9);
	for (i = 0; i < st->n_workers; i++) {
		const struct sf_snap_worker *w = &st->w[i];
		double fill = w->ring_size != 0 ?
			(double)w->ring_used / (double)w->ring_size : 0;

		/* A file waits for the collector (lossless): a full ring is its pace. */
		if (st->live && fill > SF_READY_MAX_RING_FILL)
			reason(h, "collector behind: worker %u's ring is %.0f%% full", i,
					100.0 * fill);
		if (w->msgs_lost_recent != 0)
			reason(h, "collector behind: worker %u's ring dropped %" PRIu64
					" messages in the last 10 to 20 s", i, w->msgs_lost_recent);
	}
}

void
sf_health_check(const struct sf_snap *s, uint64_t now_ns, bool ready, struct sf_health *h)
{
	memset(h, 0, sizeof(*h));
	h->ok = true;
	if (s == NULL) {
		h->status = "starting";
		reason(h, "starting: the collector has not published a snapshot yet");
		return;
	}
	if (s->st.finished) {
		h->status = "finished";
		return;
	}
	alive(s, now_ns, h);
	if (ready)
		keeping_up(s, h);
	if (h->ok)
		h->status = ready ? "ready" : "ok";
	else
		h->status = ready ? "not ready" : "failing";
}
