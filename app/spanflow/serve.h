/* SPDX-License-Identifier: BSD-3-Clause */
/* Glue between the pipeline and the HTTP server (lib/http). */
#ifndef SF_APP_SERVE_H
#define SF_APP_SERVE_H

#include <stdbool.h>

#include "sf_collector.h"
#include "sf_http.h"
#include "spanflow.h"

/*
 * Start the server if the configuration asks for it (http.enabled auto:
 * live capture, or a file with http.serve). Runs before EAL start-up so
 * MHD's thread keeps the process's CPU set (it is not an lcore). 0 (also
 * when off), or -1 with a message.
 */
int sf_serve_start(struct sf_app *app, const char *input, char *err, size_t errlen);

/*
 * Give the server's searches (/api/v1/flows) the workers once they exist
 * (attach), and take them back before they are freed (detach).
 */
void sf_serve_workers(struct sf_app *app, bool attach);

/* What the collector keeps for the server: the history, the lag of live input. */
void sf_serve_collector_params(const struct sf_app *app, struct sf_collector_params *cp);

/* Collector thread: publish a snapshot when one is due (or `final`). */
void sf_serve_tick(struct sf_app *app, struct sf_collector *c, bool final);

/* After a replay with http.serve: keep serving until a stop signal. */
void sf_serve_linger(struct sf_app *app);

void sf_serve_stop(struct sf_app *app);

#endif /* SF_APP_SERVE_H */
