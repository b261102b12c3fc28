/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>

#include "serve.h"
#include "sf_collector.h"
#include "sf_http.h"
#include "stop.h"

int
sf_serve_start(struct sf_app *app, const char *input, char *err, size_t errlen)
{
	const struct sf_config *cfg = app->cfg;
	struct sf_http_params hp;

	if (cfg->http_enabled == SF_HTTP_OFF ||
			(cfg->http_enabled == SF_HTTP_AUTO && !app->live && !cfg->http_serve))
		return 0;
	memset(&hp, 0, sizeof(hp));
	hp.cfg = cfg;
	hp.input = input;
	hp.live = app->live;
	hp.n_workers = app->n_workers;
	app->http = sf_http_create(&hp, err, errlen);
	if (app->http == NULL) {
		/* Asked for (true, --http, --serve): an error. Implied by live capture: a warning. */
		if (cfg->http_enabled == SF_HTTP_ON)
			return -1;
		fprintf(stderr, "spanflow: warning: %s; capturing without the HTTP server\n",
				err);
		return 0;
	}
	if (cfg->report)
		fprintf(stderr, "spanflow: serving http://%s/ (API under /api/v1/, /metrics)\n",
				cfg->http_listen);
	return 0;
}

void
sf_serve_tick(struct sf_app *app, struct sf_collector *c, bool final)
{
	static struct sf_http_state st;	/* collector thread only */
	unsigned int i;

	if (app->http == NULL || !sf_http_due(app->http, final))
		return;
	memset(&st, 0, sizeof(st));
	if (app->src != NULL)
		sf_source_stats(app->src, &st.src);
	st.n_workers = app->n_workers;
	for (i = 0; i < app->n_workers; i++) {
		const struct sf_worker_ctx *ctx = &app->wk[i];
		const struct sf_flow_table_stats *ts = sf_worker_table_stats(ctx->w);

		st.w[i].lcore = ctx->lcore;
		st.w[i].packets = sf_worker_received(ctx->w);
		st.w[i].flows_active = ts->active;
		st.w[i].capacity = ts->capacity;
		st.w[i].evictions = ts->ended[SF_END_EVICTED];
		st.w[i].msgs_lost = sf_worker_msgs_lost(ctx->w);
		st.w[i].ring_used = rte_ring_count(ctx->msg_ring);
		st.w[i].ring_size = rte_ring_get_capacity(ctx->msg_ring);
	}
	st.finished = final;
	sf_collector_rank_talkers(c);
	sf_http_publish(app->http, c, &st);
}

void
sf_serve_linger(struct sf_app *app)
{
	if (app->http == NULL || app->live || !app->cfg->http_serve ||
			sf_stop_state() != SF_STOP_NONE)
		return;
	if (app->cfg->report)
		fprintf(stderr, "spanflow: replay done; serving http://%s/ until Ctrl-C\n",
				app->cfg->http_listen);
	while (sf_stop_state() == SF_STOP_NONE)
		usleep(100 * 1000);
}

void
sf_serve_stop(struct sf_app *app)
{
	sf_http_free(app->http);
	app->http = NULL;
}
