/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live summaries over HTTP (libmicrohttpd, its own polling thread; never
 * an EAL lcore): JSON API under /api/v1/, Prometheus text at /metrics and
 * an embedded dashboard at /. Read-only.
 *
 * The collector thread publishes immutable snapshots; the server only
 * reads the newest one. Publishing swaps one atomic pointer; readers take
 * a reference. Nobody waits on anybody: a retired snapshot is freed by
 * whoever drops its last reference, and the publisher frees a retired
 * snapshot only when no reader is between "load pointer" and "take
 * reference" (a reader count, checked after the swap).
 */
#ifndef SF_HTTP_H
#define SF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_collector.h"
#include "sf_config.h"
#include "sf_source.h"

/* One worker lcore as seen by the collector thread at publish time. */
struct sf_http_worker {
	unsigned int lcore;
	uint64_t packets;		/* packets handed to the worker */
	uint64_t flows_active;
	uint64_t capacity;		/* flow table capacity */
	uint64_t evictions;
	uint64_t msgs_lost;		/* messages dropped on a full ring/pool */
	uint64_t ring_used;		/* messages waiting in its ring */
	uint64_t ring_size;
};

/* Everything besides the collector that a snapshot shows. */
struct sf_http_state {
	struct sf_source_stats src;
	unsigned int n_workers;
	struct sf_http_worker w[SF_CONFIG_MAX_WORKERS];
	bool finished;			/* the input ended; totals are final */
};

struct sf_http_params {
	const struct sf_config *cfg;	/* http.*, interval, and /api/v1/config */
	const char *input;		/* file or interface name, for the summary */
	bool live;
	unsigned int n_workers;
};

struct sf_http;

/*
 * Start the server on cfg->http_listen (parsed by the configuration). NULL
 * with a message in err when it cannot listen there (port in use...).
 */
struct sf_http *sf_http_create(const struct sf_http_params *p, char *err, size_t errlen);

/* Stop the server and free every snapshot. NULL is a no-op. */
void sf_http_free(struct sf_http *h);

/* The bound port (useful with port 0). */
uint16_t sf_http_port(const struct sf_http *h);

/*
 * The collector sink that feeds the history ring and per-port counters
 * (collector thread). `coll` is read at publish time.
 */
void sf_http_sink(struct sf_http *h, struct sf_collector_sink *sink);

/*
 * Collector thread: true when a new snapshot is due (new intervals and at
 * least 100 ms since the last one, or `force`).
 */
bool sf_http_due(const struct sf_http *h, bool force);

/* Collector thread: build and publish a snapshot. */
void sf_http_publish(struct sf_http *h, struct sf_collector *coll,
		const struct sf_http_state *st);

#endif /* SF_HTTP_H */
