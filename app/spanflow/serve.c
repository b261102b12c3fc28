/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_ring.h>

#include "outputs.h"
#include "serve.h"
#include "sf_collector.h"
#include "sf_http.h"
#include "sf_search.h"
#include "sf_snapshot.h"
#include "stop.h"

int
sf_serve_start(struct sf_app *app, const char *input, char *err, size_t errlen)
{
	const struct sf_config *cfg = app->cfg;
	struct sf_http_params hp;

	/* A paced replay stands in for live traffic: served as live capture is. */
	if (cfg->http_enabled == SF_HTTP_OFF ||
			(cfg->http_enabled == SF_HTTP_AUTO && !app->live && !cfg->http_serve &&
			 sf_config_pace(cfg) == 0))
		return 0;
	app->snaps = sf_snap_pub_create();
	app->search = sf_search_create(app->n_workers);
	if (app->snaps == NULL || app->search == NULL) {
		sf_snap_pub_free(app->snaps);
		app->snaps = NULL;
		sf_search_free(app->search);
		app->search = NULL;
		snprintf(err, errlen, "http: out of memory");
		return -1;
	}
	memset(&hp, 0, sizeof(hp));
	hp.cfg = cfg;
	hp.pub = app->snaps;
	hp.input = input;
	hp.live = app->live;
	hp.n_workers = app->n_workers;
	hp.search = app->search;
	app->http = sf_http_create(&hp, err, errlen);
	if (app->http == NULL) {
		sf_snap_pub_free(app->snaps);
		app->snaps = NULL;
		sf_search_free(app->search);
		app->search = NULL;
		/* Asked for (true, --http, --serve): an error. Implied by live capture: a warning. */
		if (cfg->http_enabled == SF_HTTP_ON)
			return -1;
		fprintf(stderr, "spanflow: warning: %s; capturing without the HTTP server\n",
				err);
		return 0;
	}
	if (cfg->report)
		fprintf(stderr, "spanflow: serving http://%s/ (API under /api/v1/, /metrics)\n",
				cfg->http_listen.text);
	return 0;
}

void
sf_serve_workers(struct sf_app *app, bool attach)
{
	struct sf_worker *w[SF_CONFIG_MAX_WORKERS];
	unsigned int i;

	if (app->search == NULL)
		return;
	if (!attach) {
		/* Before the workers are freed: no search posts to them after this. */
		sf_search_detach(app->search);
		return;
	}
	for (i = 0; i < app->n_workers; i++)
		w[i] = app->wk[i].w;
	sf_search_attach(app->search, w, app->n_workers);
}

void
sf_serve_collector_params(const struct sf_app *app, struct sf_collector_params *cp)
{
	/* The history is kept for the server only (http.history). */
	cp->history = 0;
	if (app->http != NULL)
		cp->history = app->cfg->http_history != 0 ? app->cfg->http_history : 1;
	cp->live = app->live;
	/* The live view's lists: live.window in intervals, with HTTP only. */
	cp->live_window = 0;
	if (app->http != NULL && app->cfg->live_flows != 0)
		cp->live_window = (unsigned int)RTE_MIN((app->cfg->live_window_ns +
				app->cfg->interval_ns - 1) / app->cfg->interval_ns, (uint64_t)100000);
}

/*
 * Ring drops "lately" for /readyz: the drops since a mark taken 10 to 20 s
 * ago (the mark moves every 10 s), so one loss keeps spanflow unready for
 * at least 10 s and at most 20 s.
 */
#define RECENT_WINDOW_S 10

static void
recent_drops(struct sf_snap_state *st)
{
	static uint64_t mark[SF_CONFIG_MAX_WORKERS], next_mark[SF_CONFIG_MAX_WORKERS];
	static uint64_t next_tsc;
	unsigned int i;

	for (i = 0; i < st->n_workers; i++)
		st->w[i].msgs_lost_recent = st->w[i].msgs_lost - mark[i];
	if (rte_rdtsc() < next_tsc)
		return;
	next_tsc = rte_rdtsc() + rte_get_tsc_hz() * RECENT_WINDOW_S;
	for (i = 0; i < st->n_workers; i++) {
		mark[i] = next_mark[i];
		next_mark[i] = st->w[i].msgs_lost;
	}
}

void
sf_serve_tick(struct sf_app *app, struct sf_collector *c, bool final)
{
	static struct sf_snap_state st;	/* collector thread only */
	struct sf_source_stats src;
	struct sf_snap *s;
	unsigned int i;

	if (app->snaps == NULL || !sf_snap_pub_due(app->snaps, sf_collector_version(c),
			final || app->links_changed))
		return;
	app->links_changed = false;
	memset(&st, 0, sizeof(st));
	st.live = app->live;
	st.input_ended = app->input_end_tsc != 0 || final;
	if (app->src != NULL) {
		sf_source_stats(app->src, &src);
		st.input_received = src.received;
	}
	st.n_workers = app->n_workers;
	for (i = 0; i < app->n_workers; i++) {
		const struct sf_worker_ctx *ctx = &app->wk[i];
		struct sf_worker_counters wc;

		sf_worker_counters(ctx->w, &wc);
		st.w[i].lcore = ctx->lcore;
		st.w[i].packets = wc.received;
		st.w[i].flows_active = wc.flows_active;
		st.w[i].capacity = wc.capacity;
		st.w[i].evictions = wc.evictions;
		st.w[i].msgs_lost = wc.msgs_lost;
		st.w[i].ring_used = rte_ring_count(ctx->chan->ring);
		st.w[i].ring_size = rte_ring_get_capacity(ctx->chan->ring);
		st.w[i].running = rte_eal_get_lcore_state(ctx->lcore) == RUNNING;
	}
	recent_drops(&st);
	st.n_ports = app->n_ports;
	memcpy(st.ports, app->ports, sizeof(st.ports[0]) * app->n_ports);
	if (app->out != NULL)
		for (i = 0; i < app->out->n && i < SF_SNAP_EXPORTERS; i++) {
			struct sf_snap_exporter *e = &st.exp[i];
			struct sf_exporter_stats es;

			sf_outputs_stats(app->out, i, &es);
			snprintf(e->name, sizeof(e->name), "%s", app->out->out[i].ops->name);
			e->written = es.written;
			e->lost = es.lost;
			e->queued = es.queued;
			e->retries = es.retries;
			e->up = es.up;
			st.n_exporters = i + 1;
		}
	st.finished = final;
	s = sf_collector_snapshot(c, &st);
	if (s != NULL)
		sf_snap_publish(app->snaps, s, sf_collector_version(c));
}

void
sf_serve_linger(struct sf_app *app)
{
	if (app->http == NULL || app->live || !app->cfg->http_serve ||
			sf_stop_state() != SF_STOP_NONE)
		return;
	if (app->cfg->report)
		fprintf(stderr, "spanflow: replay done; serving http://%s/ until Ctrl-C\n",
				app->cfg->http_listen.text);
	/* A terminal's hangup stops serving; another SIGHUP finds no file left to reopen. */
	while (sf_stop_state() == SF_STOP_NONE) {
		if (sf_stop_take_reopen())
			fprintf(stderr, "spanflow: SIGHUP: no output file reopened (the "
					"replay's files are complete)\n");
		usleep(100 * 1000);
	}
}

void
sf_serve_stop(struct sf_app *app)
{
	/* The server first: it reads the snapshots. */
	sf_http_free(app->http);
	app->http = NULL;
	sf_snap_pub_free(app->snaps);
	app->snaps = NULL;
	/* After the server (no search runs) and the workers (every query answered). */
	sf_search_free(app->search);
	app->search = NULL;
}
