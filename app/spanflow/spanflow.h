/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application's shared state: who runs where and what each lcore may
 * touch. Each worker lcore gets its own struct sf_worker_ctx; the
 * dispatcher writes only its rings' producer side, the clock it tells and
 * its done flag; the collector (main lcore) reads the message rings.
 */
#ifndef SPANFLOW_H
#define SPANFLOW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "sf_config.h"
#include "sf_snapshot.h"
#include "sf_source.h"
#include "sf_worker.h"

#define SF_EXIT_OK 0
#define SF_EXIT_RUNTIME 1
#define SF_EXIT_USAGE 2
#define SF_EXIT_STOP_LOST 3	/* the final flush passed its deadline: records lost */
#define SF_EXIT_HURRIED 130	/* a second signal cut the final flush short */

struct sf_app;

struct sf_worker_ctx {
	struct sf_app *app;
	unsigned int id;
	unsigned int lcore;
	struct sf_worker *w;
	struct sf_msg_chan *chan;	/* to the collector */
	struct rte_ring *in_ring;	/* from the dispatcher, or NULL */
	uint16_t queue;			/* source queue read when in_ring is NULL */
} __rte_cache_aligned;

struct sf_outputs;
struct sf_search;

struct sf_app {
	const struct sf_config *cfg;
	struct sf_source *src;
	struct rte_mempool *mbuf_pool;
	unsigned int n_workers;
	bool live;			/* live ports: wall-clock time, lossy */
	bool dispatch;			/* a dispatcher lcore feeds the workers */
	unsigned int dispatch_lcore;
	struct sf_worker_ctx wk[SF_CONFIG_MAX_WORKERS];
	/* Dispatcher -> workers: packet time reached, and end of input. */
	_Atomic uint64_t told_clock __rte_cache_aligned;
	atomic_bool dispatch_done;
	_Atomic uint64_t dispatch_drops;	/* live, full worker ring: the dispatcher writes */
	_Atomic uint64_t underlay_drops;	/* ... of those, underlay-only copies (not packets) */
	struct sf_outputs *out;		/* the exporters: ticks and counters */
	struct sf_http *http;		/* live summaries server, or NULL */
	struct sf_snap_pub *snaps;	/* the snapshots it serves, or NULL */
	struct sf_search *search;	/* its way to the workers' tables (/api/v1/flows), or NULL */
	uint64_t start_tsc;		/* collector loop start */
	uint64_t input_end_tsc;		/* first seen end of input (0 before) */
	/* Set by the collector on a hurried stop; workers stop waiting. */
	atomic_bool hurry;
	bool hurried;			/* the hurry came before the flush ended */
	uint64_t next_poll_tsc;		/* next check that the input still lives */
	/* Input ports' links, followed by the collector thread (collector_loop.c). */
	uint64_t next_link_tsc;
	unsigned int n_ports;
	struct sf_snap_port ports[SF_SNAP_PORTS];
	bool links_changed;		/* since the last snapshot: publish one now */
	const char *input_name;		/* file or first interface, for messages */
};

/* Idle back-off for polling loops: returns the new idle count. */
unsigned int sf_idle_wait(const struct sf_app *app, unsigned int idle);

/* Yield while waiting for room on a ring (lossless replay). */
void sf_wait_yield(void);

/*
 * A worker's wait for the collector (struct sf_worker_params.wait_fn, arg
 * the struct sf_app): yields, and returns false once a stop is hurried.
 */
bool sf_wait_turn(void *arg);

int sf_worker_loop(void *arg);
int sf_dispatch_loop(void *arg);

/* Collector loop on the main lcore; returns when every worker is done. */
struct sf_collector;
void sf_collector_loop(struct sf_app *app, struct sf_collector *c);

#endif /* SPANFLOW_H */
