/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker: one lcore's flow table, its interval aggregate and its side
 * of the ring to the collector. Everything here runs on the owning lcore
 * only; the functions process bursts and are called by the worker loop
 * (app/spanflow/worker_loop.c), so they can be tested without lcores.
 *
 * Packets arrive as classified mbufs (struct sf_pkt_meta in their private
 * area, sf_classify.h), from the worker's own source queue or from the
 * dispatcher that feeds it.
 */
#ifndef SF_WORKER_H
#define SF_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "sf_classify.h"
#include "sf_flow_table.h"
#include "sf_msg.h"

/*
 * Free a burst after processing. The common case, every mbuf plain (one
 * segment, direct, not shared) and from one pool, goes back to the pool in
 * one bulk put, as a PMD's fast-free does; anything else takes DPDK's
 * general path. Only the mbufs' first cache line is read.
 */
static inline void
sf_mbuf_free_burst(struct rte_mbuf **m, unsigned int n)
{
	struct rte_mempool *mp;
	unsigned int i;

	if (n == 0)
		return;
	mp = m[0]->pool;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *b = m[i];

		if (unlikely(b->pool != mp || b->nb_segs != 1 || !RTE_MBUF_DIRECT(b) ||
				rte_mbuf_refcnt_read(b) != 1)) {
			rte_pktmbuf_free_bulk(m, n);
			return;
		}
	}
	rte_mempool_put_bulk(mp, (void **)m, n);
}

struct sf_worker_params {
	unsigned int id;
	uint64_t interval_ns;
	struct sf_flow_table_params table;	/* emit is set by the worker */
	struct sf_msg_chan *chan;		/* to the collector */
	/*
	 * Lossless: while packets are read, wait for the collector on a full
	 * ring or empty pool instead of dropping (for files, which can wait).
	 * Live input never waits while it runs: it drops and counts.
	 */
	bool lossless;
	/*
	 * Once input has stopped (sf_worker_finish), every worker waits for
	 * the collector, live or not, for at most this long from the start of
	 * its final flush; records still unsent then are dropped and counted
	 * (sf_worker_stop_lost). 0 = do not wait.
	 */
	uint64_t flush_timeout_ns;
	/*
	 * Called on each turn of a wait (it may yield the CPU). Returns false
	 * to give up: the message is dropped and counted (a hurried stop).
	 * NULL: wait without a callback.
	 */
	bool (*wait_fn)(void *arg);
	void *wait_arg;
	/*
	 * How the classify steps sample (sampling.*): written into every
	 * record; with scale, packet sampling multiplies the records' packets
	 * and bytes by rate. SF_SAMPLING_NONE (0): every packet.
	 */
	uint8_t sampling;
	uint32_t sampling_rate;
	bool sampling_scale;
	/*
	 * Records of tunnelled flows say what carried them (sf_flow_record.tun):
	 * a cold area per such flow, up to the table's capacity.
	 */
	bool tunnel_facts;
	/*
	 * TCP health (tcp.analysis, lib/tcp): a cold area per TCP flow whose
	 * packets carry the parser's TCP facts (sf_pkt_tcp_fields_set).
	 */
	bool tcp_analysis;
	/* With tcp_analysis: client subnets' prefix lengths (sf_agg_tcp.h). */
	unsigned int tcp_prefix4, tcp_prefix6;
	/*
	 * Application metadata (app.enabled, lib/app): a cold area per TCP
	 * and UDP flow, app_buffers reassembly buffers; the worker passes
	 * the packets' mbufs to the inspection (the parser's TCP facts too).
	 */
	bool app;
	unsigned int app_buffers;
	/* Flow features (features.enabled, lib/feat): state per flow, SPLT of splt packets. */
	bool features;
	unsigned int splt;
	/*
	 * The live view (live.flows): each interval, the counts of at most
	 * this many of its flows (active ones included) go to the collector
	 * in SF_MSG_LIVE messages; the rest are counted as unlisted. 0: none.
	 */
	unsigned int live_flows;
};

struct sf_worker;

struct sf_worker *sf_worker_create(const struct sf_worker_params *p);
void sf_worker_free(struct sf_worker *w);

/* Account a burst of prepared packets; the caller frees the mbufs. */
void sf_worker_process(struct sf_worker *w, struct rte_mbuf **m, unsigned int n);

/*
 * Move the worker's clock to `now` (if later): close every interval that
 * ends at or before it. Used with the dispatcher's clock in replay and
 * with wall time on an idle live link.
 */
void sf_worker_advance(struct sf_worker *w, uint64_t now);

/*
 * Bounded background work for one loop turn: expire at most `budget`
 * timed-out flows and send a partial record batch older than the flush
 * period. `tsc_now` is rte_rdtsc().
 */
void sf_worker_housekeep(struct sf_worker *w, unsigned int budget, uint64_t tsc_now);

/*
 * End of input: advance to `now`, end every flow (end_of_input), close
 * the last interval and tell the collector this worker is done. Nothing
 * is protected by dropping any more, so the records wait for room on the
 * ring (with the flush deadline and wait_fn as above); the last interval
 * message, which carries the accounting and the final watermark, always
 * waits until it is sent.
 */
void sf_worker_finish(struct sf_worker *w, uint64_t now);

/* The worker's clock (its own lcore). */
uint64_t sf_worker_clock(const struct sf_worker *w);

/*
 * What other lcores may read of a worker. The worker stores these with
 * relaxed atomic stores at the end of sf_worker_process(),
 * sf_worker_housekeep() (when it or an interval closed since changed
 * anything) and sf_worker_finish(); each counter is exact as of then, not
 * the set as a whole. sf_worker_counters() loads them relaxed, from any
 * lcore or thread.
 */
struct sf_worker_counters {
	uint64_t received;		/* packets given to the worker */
	uint64_t msgs_lost;		/* messages it could not send (full ring or pool) */
	/*
	 * Flow records lost in all (also in the interval aggregates'
	 * records_lost), and those of them lost during the final flush
	 * (deadline passed or wait_fn gave up).
	 */
	uint64_t records_lost;
	uint64_t stop_lost;
	uint64_t flows_active;		/* flows in its table */
	uint64_t peak_active;		/* most flows in its table at once */
	uint64_t capacity;		/* of its table */
	uint64_t evictions;		/* flows evicted from its full table */
};

void sf_worker_counters(const struct sf_worker *w, struct sf_worker_counters *c);

/*
 * Ask the worker to search its active flows (sf_search.h), from the one
 * asking thread: 0, -EBUSY if SF_SEARCH_RING requests already wait,
 * -ESHUTDOWN once its input has ended (sf_worker_finish). The worker
 * answers in sf_worker_housekeep(), SF_SEARCH_STEP entries per call.
 */
struct sf_search_query;
int sf_worker_query_post(struct sf_worker *w, struct sf_search_query *q);

#endif /* SF_WORKER_H */
