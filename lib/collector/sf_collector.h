/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collector merges what the workers send and owns every figure of the
 * run. Records are passed on to the sinks as they arrive and counted in
 * the run's analytics (top flows by bytes and by packets, responder ports,
 * talkers: sf_summary.c). Interval t is final once every worker's
 * watermark is past t; it is then merged (counters summed, top flows
 * merged exactly: a flow lives in one worker, so the union of the
 * workers' top lists holds the global top list), added to the run totals
 * and the history, and handed to the sinks in interval order. Readers on
 * other threads (HTTP) get immutable snapshots (sf_snapshot.h).
 * Runs on one thread (the main lcore); nothing here is on the packet path.
 */
#ifndef SF_COLLECTOR_H
#define SF_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "sf_flow.h"
#include "sf_msg.h"

struct sf_collector_sink {
	void (*record)(void *arg, const struct sf_flow_record *r);
	void (*interval)(void *arg, const struct sf_interval_agg *a);
	void *arg;
};

#define SF_COLLECTOR_MAX_SINKS 8

struct sf_collector_params {
	unsigned int n_workers;
	uint64_t interval_ns;
	unsigned int n_sinks;
	struct sf_collector_sink sinks[SF_COLLECTOR_MAX_SINKS];
	/*
	 * Optional: cumulative packet drops of the input by reason (NIC
	 * missed, no mbuf...). Each finalized interval gets the drops since
	 * the previous one, so summaries show where packets were lost.
	 */
	void (*drops)(void *arg, uint64_t dropped[SF_DROP_MAX]);
	void *drops_arg;
	/* Finalized intervals kept for snapshots (the newest); 0: none. */
	unsigned int history;
	/* Live input: intervals end in wall time, so snapshots tell the lag. */
	bool live;
	/* The live view (sf_live.h): intervals whose flow lists are kept; 0: none. */
	unsigned int live_window;
};

/* Top lists of the run's records: more bytes, or more packets, first. */
enum sf_by {
	SF_BY_BYTES = 0,
	SF_BY_PACKETS,
	SF_BY_MAX
};

/*
 * A host's traffic over the run (sent + received). Exact while
 * sf_collector_totals.talkers_exact; otherwise (more hosts than the
 * bounded summary holds) `bytes` is an upper bound, at most `bytes_err`
 * over, and packets and flows count since the host entered the summary.
 */
struct sf_talker {
	uint8_t addr[16];
	uint8_t ipver;
	uint64_t bytes;
	uint64_t bytes_err;
	uint64_t packets;
	uint64_t flows;
};

/* Traffic to one responder port (TCP, UDP, SCTP) over the run, from flow records. */
struct sf_port_total {
	uint8_t proto;
	uint16_t port;
	uint64_t packets;
	uint64_t bytes;
	uint64_t flows;
};

/* Totals over the whole run: the report, the exports' ends and the snapshots. */
struct sf_collector_totals {
	struct sf_interval_agg sum;	/* every finalized interval accumulated */
	uint64_t intervals;		/* finalized intervals with content */
	uint64_t first_interval;
	uint64_t last_interval;
	uint64_t records;		/* records received */
	uint64_t records_by_reason[SF_END_MAX];
	uint64_t first_ns;		/* earliest record start */
	uint64_t last_ns;		/* latest record end */
	unsigned int ntop[SF_BY_MAX];
	struct sf_flow_record top[SF_BY_MAX][SF_TOPK];	/* both directions added */
	/* As of the last sf_collector_rank(): */
	unsigned int nports;
	struct sf_port_total ports[SF_TOPK];	/* by bytes */
	unsigned int ntalkers;
	struct sf_talker talkers[SF_TOPK];	/* by bytes */
	uint64_t hosts;			/* distinct addresses seen (estimate unless exact) */
	/* Traffic per tunnel context over the run (a bounded table: overflow counted). */
	struct sf_tun_top tunnels;
	/* TCP servers and client subnets over the run (a bounded table: overflow counted). */
	struct sf_tcpa_top tcp;
	/* Server names and DNS names over the run (bounded tables: untracked counted). */
	struct sf_names_top names[SF_NAMES_KINDS];
	bool talkers_exact;		/* every talker figure and `hosts` exact */
};

struct sf_collector;

struct sf_collector *sf_collector_create(const struct sf_collector_params *p);
void sf_collector_free(struct sf_collector *c);

/* Take one message; the caller returns it to its pool afterwards. */
void sf_collector_handle(struct sf_collector *c, const struct sf_msg *m);

/* True once every worker has sent its last message. */
bool sf_collector_done(const struct sf_collector *c);

/* Final steps after the last message (rankings). */
void sf_collector_finish(struct sf_collector *c);

/*
 * Rank the talkers and ports (and count hosts) as of now, O(hosts +
 * ports): for live views; sf_collector_finish() does it at the end.
 */
void sf_collector_rank(struct sf_collector *c);

const struct sf_collector_totals *sf_collector_totals(const struct sf_collector *c);

/* Lowest watermark over the workers: intervals below it are final. */
uint64_t sf_collector_watermark(const struct sf_collector *c);

/* Grows whenever a record or a finalized interval changes the figures. */
uint64_t sf_collector_version(const struct sf_collector *c);

/* Merge two top lists into dst (<= SF_TOPK, bytes desc, then key order). */
unsigned int sf_topk_merge(struct sf_flow_topk *dst, unsigned int ndst,
		const struct sf_flow_topk *src, unsigned int nsrc);

#endif /* SF_COLLECTOR_H */
