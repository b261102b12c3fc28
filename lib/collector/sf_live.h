/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The live view: what was on the link in the last interval and the last
 * minutes, active flows included, narrowed by any filter.
 *
 * Each interval, every worker hands over the interval's counts of its
 * flows, those still active included (the flow table's iv_flow: live.flows
 * of them at most per worker, the rest counted as unlisted), in
 * SF_MSG_LIVE messages. A flow lives in one worker, so the collector's
 * union of the workers' lists is the interval's flows, each once with its
 * exact counts. The collector keeps the lists of the last live.window of
 * intervals (struct sf_live_iv, immutable, shared by the snapshots that
 * show them). A view is computed on request, on any thread, from those
 * lists alone (sf_live_view): flows summed by key over the scope, then
 * talkers, responder ports, protocols, VLANs, tunnel contexts, (with
 * app.enabled) applications and (with tcp.analysis) the slowest servers
 * from the summed flows, every figure exact for
 * the itemized flows.
 */
#ifndef SF_LIVE_H
#define SF_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sf_flow.h"
#include "sf_flow_match.h"
#include "sf_flow_table.h"

/* One finalized interval's flows. */
struct sf_live_iv {
	atomic_uint ref;
	uint64_t interval;		/* index: starts at interval * interval_ns */
	uint64_t unlisted_flows;	/* known flows not itemized (at least) */
	uint64_t unlisted_packets;
	uint64_t unlisted_bytes;
	uint32_t n;
	struct sf_flow_topk f[];	/* every itemized flow of the interval */
};

/* Drop a reference; the last one frees. NULL is a no-op. */
void sf_live_iv_put(struct sf_live_iv *iv);

/*
 * Collector: an interval's list from the workers' entries (n of them),
 * its unlisted counts and its exact top list (a top flow a capped worker
 * did not itemize is added from it, and taken off the unlisted counts).
 * NULL on out of memory.
 */
struct sf_live_iv *sf_live_iv_make(uint64_t interval, const struct sf_flow_topk *f, uint32_t n,
		uint64_t unl_flows, uint64_t unl_packets, uint64_t unl_bytes,
		const struct sf_flow_topk *top, unsigned int ntop);

/* Rows of a view. */
struct sf_live_row {
	uint64_t packets;
	uint64_t bytes;
	uint64_t flows;
};

struct sf_live_flow {
	struct sf_flow_key key;
	uint8_t initiator;		/* enum sf_flow_dir */
	uint8_t app;			/* enum sf_app_kind: the newest list's word */
	uint32_t rtt_us;		/* its handshake's RTT at the probe; 0: none */
	bool recent;			/* has packets in the scope's newest interval */
	struct sf_live_row c;		/* flows: 1 */
};

struct sf_live_host {
	uint8_t ipver;
	uint8_t addr[16];
	struct sf_live_row c;		/* sent + received */
};

struct sf_live_port {
	uint8_t proto;
	uint16_t port;			/* the responder's */
	struct sf_live_row c;
};

/* A TCP server (responder address and port) by its handshakes' RTT. */
struct sf_live_server {
	uint8_t ipver;
	uint16_t port;
	uint8_t addr[16];
	uint64_t handshakes;		/* flows with a handshake seen */
	uint64_t rtt_sum_us, rtt_max_us;
	struct sf_live_row c;		/* all its flows' counts */
};

struct sf_live_key {
	uint32_t id;			/* protocol number, VLAN id, or tunnel id */
	uint8_t kind;			/* tunnels: enum sf_flow_ctx_kind */
	struct sf_live_row c;
};

#define SF_LIVE_TOP_MAX 100		/* rows of each table at most */
#define SF_LIVE_SERIES 5		/* protocols and talkers with a time series */

/* One scope (the newest interval, or the last minutes) of a view. */
struct sf_live_scope {
	uint64_t first, last;		/* interval indices covered */
	unsigned int intervals;		/* of them, with a list */
	struct sf_live_row total;	/* flows: distinct keys */
	struct sf_live_row unlisted;	/* not itemized (not narrowed by a filter) */
	unsigned int nflows, ntalkers, nports, nprotos, nvlans, ntunnels, napps, nservers;
	struct sf_live_flow flows[SF_LIVE_TOP_MAX];
	struct sf_live_host talkers[SF_LIVE_TOP_MAX];
	struct sf_live_port ports[SF_LIVE_TOP_MAX];
	struct sf_live_key protos[SF_LIVE_TOP_MAX];
	struct sf_live_key vlans[SF_LIVE_TOP_MAX];
	struct sf_live_key tunnels[SF_LIVE_TOP_MAX];
	struct sf_live_key apps[SF_APP_KINDS];	/* app.enabled: by what was found */
	struct sf_live_server servers[SF_LIVE_TOP_MAX];	/* tcp.analysis: slowest first */
};

/*
 * Time series of the window, one point per interval (oldest first): bytes
 * and packets of its top protocols and top talkers.
 */
struct sf_live_series {
	uint64_t first;			/* interval index of point 0 */
	unsigned int points;
	unsigned int nprotos, ntalkers;
	uint8_t proto[SF_LIVE_SERIES];
	struct sf_live_host talker[SF_LIVE_SERIES];
	uint64_t *proto_bytes[SF_LIVE_SERIES], *proto_packets[SF_LIVE_SERIES];
	uint64_t *talker_bytes[SF_LIVE_SERIES], *talker_packets[SF_LIVE_SERIES];
};

struct sf_live_view {
	struct sf_live_scope last;	/* the newest interval */
	struct sf_live_scope window;	/* the last `window` intervals */
	struct sf_live_series series;
};

/*
 * Compute a view over ivs[0..n) (oldest first, shared lists): the window
 * is the intervals newest - window + 1 .. newest (newest: the newest
 * interval index given, usually ivs[n - 1]'s), narrowed by m; at most
 * top rows per table (<= SF_LIVE_TOP_MAX); with `apps` (app.enabled) the
 * applications table too, with `tcp` (tcp.analysis) the slowest servers
 * (mean handshake RTT of their flows in the scope). 0, or -ENOMEM. Free with
 * sf_live_view_free (which frees the series; the view itself is the
 * caller's).
 */
int sf_live_view(struct sf_live_view *v, struct sf_live_iv *const *ivs, unsigned int n,
		uint64_t newest, uint64_t window, const struct sf_flow_match *m, unsigned int top,
		bool apps, bool tcp);

void sf_live_view_free(struct sf_live_view *v);

/* The responder's port of a flow with ports, else -1. */
int sf_live_service_port(const struct sf_flow_key *k, uint8_t initiator);

#endif /* SF_LIVE_H */
