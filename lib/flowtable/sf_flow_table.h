/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's flow table: fixed capacity, allocated once, owned by one
 * lcore (no locks, no atomics, no allocation after create).
 *
 * Time is packet time in ns and must not go backwards between calls
 * (callers clamp to their clock). Flows end:
 *  - idle:    no packet for idle_ns (now - last >= idle_ns);
 *  - tcp_fin / tcp_rst: after FIN in both directions, or any RST, the flow
 *             waits tcp_end_ns for stragglers, then ends with that reason
 *             (tcp_rst if any RST was seen); a new SYN (without ACK) on
 *             such a flow ends it at once and starts a new flow;
 *  - active:  a packet arriving active_ns or more after the record's first
 *             packet closes the record (reason active) and opens the next
 *             record of the same flow with that packet;
 *  - evicted: the table is full and a new flow arrives: the least recently
 *             seen flow (TCP flows already ended first) is emitted; a
 *             victim already past its idle or tcp_end timeout (expire()
 *             lagging behind) ends with that timeout's reason instead;
 *  - flush:   sf_flow_table_flush() at end of input or shutdown.
 * Finished records go to the emit callback given at create time, from
 * within update_burst(), expire() and flush(). Timeouts are checked on the
 * packet path too, so records do not depend on how often expire() runs.
 */
#ifndef SF_FLOW_TABLE_H
#define SF_FLOW_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "sf_common.h"
#include "sf_flow.h"
#include "sf_pkt.h"

struct sf_flow_table;

typedef void (*sf_flow_emit_fn)(void *arg, const struct sf_flow_record *rec);

/*
 * Cold areas: per-flow state that only some flows need (TCP analysis,
 * application metadata), kept out of the hot entry that every packet of a
 * flow touches. The table allocates `slots` areas of `size` bytes at
 * create (a fixed pool, 64-byte aligned areas) and lends one to a flow
 * for its whole life:
 *  - want() is asked once per flow, at its first packet (also when a flow
 *    restarts on the key of one that ended), if that packet has one of the
 *    sf_pkt_info.flags bits in want_flags (0: every first packet); true:
 *    the flow gets a zeroed area. With the pool empty it runs without one,
 *    counted in stats.cold_full; its records are complete, only the
 *    feature's state is missing.
 *  - start() (optional) sees the first packet of a flow that got an area.
 *  - packet() sees every packet of a flow that has an area, the first one
 *    included, after the table has counted it; dir is the record
 *    direction (0: from the initiator); frame is the caller's handle on
 *    the packet's bytes (sf_flow_table_update_frames), or NULL.
 *  - record() sees each record of such a flow before it is emitted, so
 *    the feature can write its results into it; `ends` says the flow ends
 *    (not an active-timeout update): the area then returns to the pool
 *    and must not be kept.
 * A flow without an area costs the hot path one test of a field in the
 * entry's second line. slots 0 (the default) means no pool and no calls.
 */
struct sf_flow_cold {
	uint32_t size;		/* bytes of one area, at most 4096; 0: no cold areas */
	uint32_t slots;		/* areas in the pool: flows that may hold one at once */
	uint8_t want_flags;	/* SF_PKT_F_* a first packet needs for want(); 0: any */
	bool (*want)(void *arg, const struct sf_pkt_info *pi);
	void (*start)(void *arg, void *area, const struct sf_pkt_info *pi);
	void (*packet)(void *arg, void *area, const struct sf_pkt_info *pi, unsigned int dir,
			uint64_t ts, const void *frame);
	void (*record)(void *arg, void *area, struct sf_flow_record *rec, bool ends);
	void *arg;
};

/* One flow of the interval top list: counts within the interval only. */
struct sf_flow_topk {
	struct sf_flow_key key;
	uint64_t packets;	/* both directions */
	uint64_t bytes;		/* both directions */
	uint8_t initiator;	/* enum sf_flow_dir */
	uint8_t app;		/* live view: enum sf_app_kind found so far (app.enabled) */
	uint8_t pad[2];
	uint32_t rtt_us;	/* live view: SYN -> SYN/ACK at the probe (tcp.analysis); 0: none */
};

struct sf_flow_table_params {
	const char *name;	/* unique, for memory zone names */
	uint32_t capacity;	/* maximum concurrent flows (>= 1) */
	uint64_t idle_ns;	/* > 0 */
	uint64_t active_ns;	/* > 0 */
	uint64_t tcp_end_ns;	/* > 0 */
	int socket_id;		/* NUMA socket, or SOCKET_ID_ANY */
	sf_flow_emit_fn emit;	/* NULL: records are only counted */
	void *emit_arg;
	struct sf_flow_cold cold;	/* zero: none */
	/*
	 * Optional: a flow with counts in the current interval that leaves
	 * the table (ends, is evicted, or its key starts a new flow) gets
	 * iv_flow with those counts, before it goes; the flows still in the
	 * table are handed over by sf_flow_table_interval_flows(). `cold` is
	 * the flow's cold area, or NULL.
	 */
	void (*iv_flow)(void *arg, const struct sf_flow_topk *f, const void *cold);
	void *iv_arg;
};

/* Cumulative counters; callers compute per-interval deltas. */
struct sf_flow_table_stats {
	uint64_t packets;		/* packets accounted to flows */
	uint64_t bytes;
	uint64_t created;		/* flows (records' first segments) created */
	uint64_t ended[SF_END_MAX];	/* records emitted, by reason */
	uint64_t cold_full;		/* flows that wanted a cold area when none was left */
	uint32_t active;		/* flows in the table now */
	uint32_t capacity;
	uint32_t peak_active;		/* most flows in the table at once */
	uint32_t cold_used;		/* cold areas lent now */
	uint32_t cold_slots;		/* cold areas in the pool */
};

/* NULL with rte_errno set on failure (EINVAL, ENOMEM). */
struct sf_flow_table *sf_flow_table_create(const struct sf_flow_table_params *p);
void sf_flow_table_free(struct sf_flow_table *t);

/*
 * Account n flow packets (n <= SF_BURST). ts[i] is the packet time, not
 * decreasing along the array nor from earlier calls. All keys are hashed
 * and their buckets prefetched before the first lookup.
 */
void sf_flow_table_update_burst(struct sf_flow_table *t,
		const struct sf_pkt_info *const pi[], const uint64_t ts[], unsigned int n);

/* The same, with a handle per packet (or NULL) that cold areas' packet() gets. */
void sf_flow_table_update_frames(struct sf_flow_table *t,
		const struct sf_pkt_info *const pi[], const uint64_t ts[],
		const void *const frame[], unsigned int n);

/*
 * End flows whose timeout has passed at `now` (idle, tcp end), earliest deadline
 * first, at most `budget` of them. Returns how many were ended.
 */
unsigned int sf_flow_table_expire(struct sf_flow_table *t, uint64_t now, unsigned int budget);

/* End every flow with `reason` (SF_END_END_OF_INPUT at end of input). */
void sf_flow_table_flush(struct sf_flow_table *t, enum sf_end_reason reason);

/*
 * Per-interval top flows by bytes. interval_begin() starts a new interval
 * (exact top-SF_TOPK tracking of bytes counted from now on); packets fed
 * after it must be later than every packet fed before it (the worker
 * begins intervals at boundaries of packet time). interval_top()
 * copies the current top list, largest first (ties by key order, then
 * more packets), and returns its length (<= SF_TOPK). Flows ended during
 * the interval keep their place; a flow that ends and starts again on the
 * same key is a second item. The list does not depend on how packets of
 * different flows interleave.
 */
void sf_flow_table_interval_begin(struct sf_flow_table *t);
unsigned int sf_flow_table_interval_top(const struct sf_flow_table *t,
		struct sf_flow_topk out[SF_TOPK]);

/*
 * The flows still in the table that have counts in the current interval:
 * iv_flow for each, most recently seen first, at most `max` of them.
 * Returns how many were handed over; *rest is how many such flows were
 * not (counted as packets arrive, not walked: their counts are the
 * interval's flow counts minus those handed over here and on leaving).
 * Call it just before sf_flow_table_interval_begin.
 */
unsigned int sf_flow_table_interval_flows(struct sf_flow_table *t, unsigned int max,
		uint64_t *rest);

const struct sf_flow_table_stats *sf_flow_table_stats(const struct sf_flow_table *t);

/*
 * A live flow as a scan sees it: its current record (since the flow began
 * or since its last active-timeout update), read-only, copied out of the
 * entry. Counts are by record direction: [0] from the initiator.
 */
struct sf_flow_view {
	struct sf_flow_key key;
	uint64_t first_ns;	/* first packet of the record */
	uint64_t last_ns;	/* latest packet */
	uint64_t packets[2];
	uint64_t bytes[2];
	uint8_t tcp_flags[2];
	uint8_t initiator;	/* enum sf_flow_dir */
	bool tcp_ended;		/* FIN both ways or RST: waiting out tcp_end_ns */
};

typedef void (*sf_flow_scan_fn)(void *arg, const struct sf_flow_view *v);

#define SF_FLOW_SCAN_END UINT32_MAX	/* sf_flow_table_scan(): every entry visited */

/*
 * Bounded walk over the live flows, for searches served between bursts:
 * look at the entries [cursor, cursor + budget) (at most `budget` of
 * them, live or free, so one step costs the same whether the table is
 * full or empty), call cb for each live flow, and return the cursor of
 * the next step, or SF_FLOW_SCAN_END after the last entry. A scan starts
 * at cursor 0. The table may change between steps: a flow that lives
 * through the whole scan is visited exactly once; one that starts or ends
 * meanwhile may or may not be. Owning lcore only; cb must not change the
 * table.
 */
uint32_t sf_flow_table_scan(const struct sf_flow_table *t, uint32_t cursor, uint32_t budget,
		sf_flow_scan_fn cb, void *arg);

/* Bytes of one hot table entry (for reports and benchmarks). */
size_t sf_flow_table_entry_size(void);

/*
 * Memory per flow of a table of this capacity: hot entry, side record and
 * its share of the index (cold areas, when configured, come on top).
 */
size_t sf_flow_table_bytes_per_flow(uint32_t capacity);

#endif /* SF_FLOW_TABLE_H */
