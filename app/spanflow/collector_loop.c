/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collector loop on the main lcore: drain every worker's ring, hand
 * messages to the collector, return them to their pools, and show
 * progress on a terminal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "serve.h"
#include "sf_collector.h"
#include "spanflow.h"

#define SF_COLLECT_BURST 32
#define SF_PROGRESS_MS 500

static void
progress(struct sf_app *app, uint64_t start_tsc, bool final)
{
	struct sf_source_stats st;
	double secs = (double)(rte_rdtsc() - start_tsc) / (double)rte_get_tsc_hz();
	uint64_t active = 0;
	unsigned int i;

	sf_source_stats(app->src, &st);
	for (i = 0; i < app->n_workers; i++)
		active += sf_worker_table_stats(app->wk[i].w)->active;
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

void
sf_collector_loop(struct sf_app *app, struct sf_collector *c, volatile sig_atomic_t *stop)
{
	const bool show = app->cfg->progress && isatty(STDERR_FILENO);
	const uint64_t period = rte_get_tsc_hz() / 1000 * SF_PROGRESS_MS;
	uint64_t start = rte_rdtsc(), next = start + period;

	app->start_tsc = start;
	bool shown = false, stopping = false;
	unsigned int idle = 0;
	void *msgs[SF_COLLECT_BURST];
	/*
	 * Test hook: a collector that falls behind. Workers on live input must
	 * not wait for it: they drop messages and count them (test_live.py).
	 */
	const char *stall_env = getenv("SPANFLOW_TEST_COLLECTOR_STALL_MS");
	const unsigned int stall_ms = stall_env != NULL ? (unsigned int)atoi(stall_env) : 0;

	while (!sf_collector_done(c)) {
		unsigned int i, j, total = 0;

		if (stall_ms != 0)
			usleep(stall_ms * 1000u);

		for (i = 0; i < app->n_workers; i++) {
			struct sf_worker_ctx *ctx = &app->wk[i];
			unsigned int n = rte_ring_sc_dequeue_burst(ctx->msg_ring, msgs,
					SF_COLLECT_BURST, NULL);

			for (j = 0; j < n; j++)
				sf_collector_handle(c, msgs[j]);
			if (n != 0)
				rte_mempool_put_bulk(ctx->msg_pool, msgs, n);
			total += n;
		}
		if (app->input_end_tsc == 0 && sf_source_eof(app->src))
			app->input_end_tsc = rte_rdtsc();
		if (*stop && !stopping) {
			/* End the input: workers flush their flows and finish. */
			sf_source_stop(app->src);
			stopping = true;
		}
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
