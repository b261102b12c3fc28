/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots: the collector's figures as of one moment, immutable once
 * built, for readers on other threads (the HTTP server renders them).
 *
 * The collector thread builds a snapshot (sf_collector_snapshot) and
 * publishes it; publishing swaps one atomic pointer; readers take a
 * reference. Nobody waits on anybody: a retired snapshot is freed by
 * whoever drops its last reference, and the publisher drops its own
 * reference of a retired snapshot only when no reader is between "load
 * pointer" and "take reference" (a reader count, checked after the swap).
 * Finalized intervals are shared by every snapshot that shows them.
 */
#ifndef SF_SNAPSHOT_H
#define SF_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sf_collector.h"
#include "sf_config.h"
#include "sf_live.h"

/* One worker lcore as seen by the collector thread. */
struct sf_snap_worker {
	unsigned int lcore;
	uint64_t packets;		/* packets handed to the worker */
	uint64_t flows_active;
	uint64_t capacity;		/* flow table capacity */
	uint64_t evictions;
	uint64_t msgs_lost;		/* messages dropped on a full ring/pool */
	uint64_t ring_used;		/* messages waiting in its ring */
	uint64_t ring_size;
	uint64_t msgs_lost_recent;	/* of msgs_lost, in the last 10 to 20 s */
	bool running;			/* its lcore still runs the worker loop */
};

/* One configured exporter (lib/export) as its counters said. */
#define SF_SNAP_EXPORTERS 16
struct sf_snap_exporter {
	char name[24];			/* "flows", "ipfix", "clickhouse", ... */
	uint64_t written;		/* records (summaries) delivered */
	uint64_t lost;			/* records given up on */
	uint64_t queued;		/* waiting in the exporter's buffer */
	uint64_t retries;
	int up;				/* 1, 0, or -1: not a network exporter */
};

/*
 * One input port's link as the collector thread follows it (the source's
 * sf_source_links, about once a second). A change is a flip between up
 * and down; the first reading is the starting state, not a change.
 */
#define SF_SNAP_PORTS SF_CONFIG_MAX_PORTS
struct sf_snap_port {
	char name[64];			/* interface or PCI address */
	bool up;
	uint32_t speed_mbps;		/* 0 when unknown */
	uint64_t changes;		/* flips since the start */
	uint64_t last_change_ns;	/* Unix ns of the newest flip, 0 before one */
	uint64_t packets;		/* captured from the port so far */
};

/*
 * Collector thread: take a new reading of port p at Unix time now_ns.
 * Returns true when the link flipped (counted in p->changes), false for
 * the first reading (p->name empty before it) and for no change.
 */
bool sf_snap_port_update(struct sf_snap_port *p, const char *name, bool up,
		uint32_t speed_mbps, uint64_t now_ns);

/* What a snapshot shows besides the collector's figures. */
struct sf_snap_state {
	uint64_t input_received;	/* packets the input read */
	bool live;			/* live ports (wall-clock time) */
	bool input_ended;		/* the input has ended: workers finish */
	unsigned int n_workers;
	struct sf_snap_worker w[SF_CONFIG_MAX_WORKERS];
	unsigned int n_exporters;
	struct sf_snap_exporter exp[SF_SNAP_EXPORTERS];
	unsigned int n_ports;		/* 0: the input has no links (files) */
	struct sf_snap_port ports[SF_SNAP_PORTS];
	bool finished;			/* the input ended; totals are final */
};

/* One finalized interval, shared by every snapshot that shows it. */
struct sf_snap_iv {
	atomic_uint ref;
	uint64_t final_wall_ns;		/* when the collector finalized it */
	struct sf_interval_agg agg;
};

struct sf_snap {
	atomic_uint ref;
	uint64_t seq;			/* set by sf_snap_publish() */
	uint64_t wall_ns;		/* published at (Unix ns) */
	uint64_t uptime_ns;		/* since the publication point was created */
	uint64_t lag_ns;		/* live: newest interval end -> finalized */
	struct sf_collector_totals tot;
	struct sf_snap_state st;
	/*
	 * The live view's flow lists (sf_live.h), oldest first, and the
	 * newest interval that is final (whether it had traffic or not).
	 */
	unsigned int n_live;
	struct sf_live_iv **live;
	uint64_t live_newest;
	bool live_any;			/* live_newest is valid */
	unsigned int n_iv;
	struct sf_snap_iv *iv[];	/* the history, oldest first */
};

/*
 * Collector thread: the figures as of now (talkers and ports ranked), the
 * history kept (sf_collector_params.history) and st. NULL if out of
 * memory.
 */
struct sf_snap *sf_collector_snapshot(struct sf_collector *c, const struct sf_snap_state *st);

/* Drop a reference; the last one frees. NULL is a no-op. */
void sf_snap_put(struct sf_snap *s);

/* Drop a reference to a history entry. */
void sf_snap_iv_put(struct sf_snap_iv *iv);

/* Where the newest snapshot is published. */
struct sf_snap_pub;

struct sf_snap_pub *sf_snap_pub_create(void);

/* Frees every snapshot; no reader may be left. NULL is a no-op. */
void sf_snap_pub_free(struct sf_snap_pub *p);

/*
 * Publisher: true when a new snapshot is due: `version` (the collector's)
 * changed and 100 ms have passed since the last one, or 1 s has passed
 * (live counters), or `force`.
 */
bool sf_snap_pub_due(const struct sf_snap_pub *p, uint64_t version, bool force);

/* Publisher: publish s (the publication point takes its reference). */
void sf_snap_publish(struct sf_snap_pub *p, struct sf_snap *s, uint64_t version);

/* Any thread: a reference to the newest snapshot, NULL before the first. */
struct sf_snap *sf_snap_get(struct sf_snap_pub *p);

#endif /* SF_SNAPSHOT_H */
