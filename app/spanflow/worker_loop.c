/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker and dispatcher lcore loops. The burst work itself lives in
 * lib/worker and lib/pkt (sf_pkt_dispatch), tested there; these loops
 * only move bursts.
 */
#include <sched.h>

#include <rte_cycles.h>
#include <rte_pause.h>

#include "spanflow.h"

/* Flows expired per loop turn at most: bounded housekeeping. */
#define SF_EXPIRE_BUDGET 64

unsigned int
sf_idle_wait(const struct sf_app *app, unsigned int idle)
{
	if (app->cfg->idle == SF_IDLE_BUSY)
		return idle;
	if (idle < 64)
		rte_pause();
	else
		sched_yield();
	return idle + 1;
}

void
sf_wait_yield(void)
{
	sched_yield();
}

bool
sf_wait_turn(void *arg)
{
	const struct sf_app *app = arg;

	sched_yield();
	return !atomic_load_explicit(&app->hurry, memory_order_relaxed);
}

/* Read the source directly (one worker). */
static void
loop_source(struct sf_worker_ctx *ctx)
{
	struct sf_app *app = ctx->app;
	struct rte_mbuf *m[SF_BURST];
	unsigned int idle = 0;

	for (;;) {
		uint16_t n = sf_source_rx(app->src, ctx->queue, m, SF_BURST);

		if (n != 0) {
			sf_worker_process(ctx->w, m, n);
			sf_mbuf_free_burst(m, n);
			idle = 0;
		} else if (sf_source_eof(app->src)) {
			break;
		} else {
			/* A quiet link still moves time on: intervals close on time. */
			if (app->live)
				sf_worker_advance(ctx->w, sf_source_now_ns(app->src));
			idle = sf_idle_wait(app, idle);
		}
		sf_worker_housekeep(ctx->w, SF_EXPIRE_BUDGET, rte_rdtsc());
	}
	sf_worker_finish(ctx->w, app->live ? sf_source_now_ns(app->src) :
			sf_worker_clock(ctx->w));
}

/* Take bursts from the dispatcher; follow the clock it tells. */
static void
loop_ring(struct sf_worker_ctx *ctx)
{
	struct sf_app *app = ctx->app;
	struct rte_mbuf *m[SF_BURST];
	unsigned int idle = 0;

	for (;;) {
		/*
		 * Read "done" before the clock and the clock before the ring:
		 * the dispatcher publishes them after enqueuing the packets
		 * they cover, so an empty ring then means they are all here.
		 */
		bool done = atomic_load_explicit(&app->dispatch_done, memory_order_acquire);
		uint64_t told = atomic_load_explicit(&app->told_clock, memory_order_acquire);
		unsigned int n = rte_ring_sc_dequeue_burst(ctx->in_ring, (void **)m,
				SF_BURST, NULL);

		if (n != 0) {
			sf_worker_process(ctx->w, m, n);
			sf_mbuf_free_burst(m, n);
			idle = 0;
		} else {
			sf_worker_advance(ctx->w, told);
			if (done) {
				sf_worker_finish(ctx->w, told);
				return;
			}
			idle = sf_idle_wait(app, idle);
		}
		sf_worker_housekeep(ctx->w, SF_EXPIRE_BUDGET, rte_rdtsc());
	}
}

int
sf_worker_loop(void *arg)
{
	struct sf_worker_ctx *ctx = arg;

	if (ctx->in_ring != NULL)
		loop_ring(ctx);
	else
		loop_source(ctx);
	return 0;
}

/*
 * Live input, worker k's ring full: drop the n packets left. An
 * underlay-only copy is not a packet (its flow went to another worker):
 * counted apart.
 */
static void
drop_rest(struct sf_app *app, unsigned int k, struct rte_mbuf **m, unsigned int n)
{
	unsigned int i, copies = 0;

	for (i = 0; i < n; i++)
		copies += sf_pkt_underlay_only(sf_pkt_meta(m[i]), k);
	if (n > copies)
		atomic_fetch_add_explicit(&app->dispatch_drops, n - copies,
				memory_order_relaxed);
	if (copies != 0)
		atomic_fetch_add_explicit(&app->underlay_drops, copies, memory_order_relaxed);
	rte_pktmbuf_free_bulk(m, n);
}

int
sf_dispatch_loop(void *arg)
{
	struct sf_app *app = arg;
	const unsigned int nw = app->n_workers;
	const bool lossless = !app->live;	/* files wait; live input drops */
	struct rte_mbuf *m[SF_BURST];
	struct rte_mbuf *out[SF_CONFIG_MAX_WORKERS][SF_BURST];
	unsigned int cnt[SF_CONFIG_MAX_WORKERS] = { 0 };
	uint64_t clock = 0;
	unsigned int idle = 0;

	for (;;) {
		uint16_t n = sf_source_rx(app->src, 0, m, SF_BURST);
		unsigned int k;

		if (n == 0) {
			if (sf_source_eof(app->src))
				break;
			/*
			 * A quiet link still moves time on: workers close intervals on
			 * time. So does a paced replay between its packets.
			 */
			uint64_t now = app->live ? sf_source_now_ns(app->src) :
				sf_source_paced_clock(app->src);

			if (now > clock) {
				clock = now;
				atomic_store_explicit(&app->told_clock, clock, memory_order_release);
			}
			idle = sf_idle_wait(app, idle);
			continue;
		}
		idle = 0;
		sf_pkt_dispatch(m, n, nw, &clock, out, cnt);
		for (k = 0; k < nw; k++) {
			unsigned int sent = 0;

			while (sent < cnt[k]) {
				sent += rte_ring_sp_enqueue_burst(app->wk[k].in_ring,
						(void **)&out[k][sent], cnt[k] - sent, NULL);
				if (sent < cnt[k]) {
					if (!lossless) {
						drop_rest(app, k, &out[k][sent], cnt[k] - sent);
						break;
					}
					sf_wait_yield();
				}
			}
		}
		atomic_store_explicit(&app->told_clock, clock, memory_order_release);
	}
	if (app->live)
		clock = RTE_MAX(clock, sf_source_now_ns(app->src));	/* the stop ends the flows */
	atomic_store_explicit(&app->told_clock, clock, memory_order_release);
	atomic_store_explicit(&app->dispatch_done, true, memory_order_release);
	return 0;
}
