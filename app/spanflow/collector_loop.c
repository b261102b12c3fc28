/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collector loop on the main lcore: drain every worker's ring, hand
 * messages to the collector, return them to their pools, and show
 * progress on a terminal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "outputs.h"
#include "serve.h"
#include "sf_collector.h"
#include "spanflow.h"
#include "stop.h"

#define SF_COLLECT_BURST 32
#define SF_PROGRESS_MS 500

/* Flows still in the tables (as the workers last said). */
static uint64_t
flows_in_tables(const struct sf_app *app)
{
	struct sf_worker_counters wc;
	uint64_t active = 0;
	unsigned int i;

	for (i = 0; i < app->n_workers; i++) {
		sf_worker_counters(app->wk[i].w, &wc);
		active += wc.flows_active;
	}
	return active;
}

static void
progress(struct sf_app *app, uint64_t start_tsc, bool final)
{
	struct sf_source_stats st;
	double secs = (double)(rte_rdtsc() - start_tsc) / (double)rte_get_tsc_hz();
	uint64_t active = flows_in_tables(app);

	sf_source_stats(app->src, &st);
	if (st.bytes_total != 0)
		fprintf(stderr, "\r[%5.1f%%] ", 100.0 * (double)st.bytes_done /
				(double)st.bytes_total);
	else
		fprintf(stderr, "\r");
	fprintf(stderr, "%" PRIu64 " packets, %.2f Mpps, %" PRIu64 " flows active   %s",
			st.received, secs > 0 ? (double)st.received / secs / 1e6 : 0.0, active,
			final ? "\n" : "");
	fflush(stderr);
}

/*
 * Follow a stop request: the first asks the source to end (the workers
 * then write every flow and finish); a hurried one tells the workers to
 * stop waiting. A flush that takes a while says so once.
 */
static void
follow_stop(struct sf_app *app, enum sf_stop *seen, uint64_t *since)
{
	enum sf_stop st = sf_stop_state();
	const uint64_t hz = rte_get_tsc_hz();

	if (st >= SF_STOP_REQUESTED && *seen < SF_STOP_REQUESTED) {
		sf_source_stop(app->src);
		*since = rte_rdtsc();
	}
	if (st == SF_STOP_NONE && rte_rdtsc() > app->next_poll_tsc) {
		/* Input gone for good (an interface removed): stop as on a signal. */
		app->next_poll_tsc = rte_rdtsc() + hz;
		if (sf_source_poll(app->src) < 0) {
			fprintf(stderr, "\nspanflow: %s: %s; writing every flow\n",
					app->input_name, sf_source_warning(app->src));
			sf_source_stop(app->src);
		}
	}
	if (st == SF_STOP_HURRY && *seen < SF_STOP_HURRY) {
		atomic_store_explicit(&app->hurry, true, memory_order_relaxed);
		app->hurried = true;
		fprintf(stderr, "\nspanflow: second signal: cutting the final flush short; "
				"what is unwritten will be counted\n");
	}
	if (st == SF_STOP_REQUESTED && *since != 0 && rte_rdtsc() - *since > hz) {
		fprintf(stderr, "\nspanflow: stopping: writing the %" PRIu64 " flows still in "
				"the tables (at most %.0f s, shutdown.flush_timeout; a second signal "
				"cuts this short)\n", flows_in_tables(app),
				(double)app->cfg->flush_timeout_ns / 1e9);
		*since = 0;
	}
	*seen = st;
}

/*
 * Follow each input port's link, about once a second: a flip (and a link
 * already down at the start) is said on stderr with its UTC time and
 * counted; the snapshots show the state (serve.c). Supervisors learn of a
 * port going down and up mid-capture, which the capture itself survives.
 */
static void
poll_links(struct sf_app *app, bool show)
{
	struct sf_source_link l[SF_SNAP_PORTS];
	const uint64_t hz = rte_get_tsc_hz();
	unsigned int n, i;
	struct timespec ts;
	struct tm tm;
	char when[32];
	uint64_t now;

	if (rte_rdtsc() < app->next_link_tsc)
		return;
	app->next_link_tsc = rte_rdtsc() + hz;
	n = sf_source_links(app->src, l, SF_SNAP_PORTS);
	if (n == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * SF_NS_PER_S + (uint64_t)ts.tv_nsec;
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 0; i < n; i++) {
		struct sf_snap_port *p = &app->ports[i];
		bool first = p->name[0] == '\0';

		p->packets = l[i].packets;
		if (sf_snap_port_update(p, l[i].name, l[i].up, l[i].speed_mbps, now))
			app->links_changed = true;
		else if (!first || p->up)
			continue;
		fprintf(stderr, "%sspanflow: %s: port %s: link %s%s\n", show ? "\n" : "", when,
				p->name, p->up ? "up" : "down", first ? " at the start" : "");
	}
	app->n_ports = n;
}

void
sf_collector_loop(struct sf_app *app, struct sf_collector *c)
{
	const bool show = app->cfg->progress && isatty(STDERR_FILENO);
	const uint64_t period = rte_get_tsc_hz() / 1000 * SF_PROGRESS_MS;
	uint64_t start = rte_rdtsc(), next = start + period;

	app->start_tsc = start;
	bool shown = false;
	enum sf_stop seen = SF_STOP_NONE;
	uint64_t stop_tsc = 0;
	unsigned int idle = 0;
	void *msgs[SF_COLLECT_BURST];

	while (!sf_collector_done(c)) {
		unsigned int i, j, total = 0;

		for (i = 0; i < app->n_workers; i++) {
			struct sf_worker_ctx *ctx = &app->wk[i];
			unsigned int n = rte_ring_sc_dequeue_burst(ctx->chan->ring, msgs,
					SF_COLLECT_BURST, NULL);

			for (j = 0; j < n; j++)
				sf_collector_handle(c, msgs[j]);
			if (n != 0)
				sf_msg_chan_put(ctx->chan, msgs, n);
			total += n;
		}
		if (app->input_end_tsc == 0 && sf_source_eof(app->src))
			app->input_end_tsc = rte_rdtsc();
		follow_stop(app, &seen, &stop_tsc);
		if (seen == SF_STOP_NONE)
			poll_links(app, shown);
		/* Between messages: no record is half written when the files change. */
		if (sf_stop_take_reopen() && app->out != NULL)
			sf_outputs_reopen(app->out);
		if (app->out != NULL)
			sf_outputs_tick(app->out);
		sf_serve_tick(app, c, false);
		if (show && rte_rdtsc() > next) {
			progress(app, start, false);
			shown = true;
			next += period;
		}
		if (total == 0)
			idle = sf_idle_wait(app, idle);
		else
			idle = 0;
	}
	if (shown)
		progress(app, start, true);
}
