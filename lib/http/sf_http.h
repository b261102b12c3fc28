/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live summaries over HTTP (libmicrohttpd, its own polling thread; never
 * an EAL lcore): JSON API under /api/v1/, Prometheus text at /metrics and
 * an embedded dashboard at /. Read-only: the server renders the newest
 * snapshot the collector published (sf_snapshot.h) and owns no figure.
 */
#ifndef SF_HTTP_H
#define SF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_config.h"
#include "sf_snapshot.h"

struct sf_search;

struct sf_http_params {
	const struct sf_config *cfg;	/* http.*, interval, and /api/v1/config */
	const char *input;		/* file or interface name, for the summary */
	bool live;
	unsigned int n_workers;
	struct sf_snap_pub *pub;	/* where the collector publishes snapshots */
	/*
	 * The workers' tables, for /api/v1/flows (sf_search.h): attached
	 * while the workers live, searched through their request rings. NULL:
	 * that path answers 503.
	 */
	struct sf_search *search;
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

#endif /* SF_HTTP_H */
