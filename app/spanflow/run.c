/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Start-up, lcore launch and shutdown. Everything that can be checked
 * before DPDK starts (input, outputs, configuration) is checked first, so
 * a mistake costs the user no EAL start-up and gets a one-line message.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "eal.h"
#include "outputs.h"
#include "run.h"
#include "serve.h"
#include "sf_collector.h"
#include "sf_pkt.h"
#include "sf_report.h"
#include "sf_source_priv.h"
#include "spanflow.h"
#include "stop.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned int
resolve_workers(const struct sf_config *cfg)
{
	long n;

	if (cfg->workers != 0)
		return cfg->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	if (n < 1)
		n = 1;
	if (n > SF_CONFIG_MAX_WORKERS)
		n = SF_CONFIG_MAX_WORKERS;
	return (unsigned int)n;
}

static int
setup_workers(struct sf_app *app, char *err, size_t errlen)
{
	const struct sf_config *cfg = app->cfg;
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);
	unsigned int i;

	for (i = 0; i < app->n_workers; i++) {
		struct sf_worker_ctx *ctx = &app->wk[i];
		struct sf_worker_params wp;
		char name[32];

		ctx->app = app;
		ctx->id = i;
		ctx->lcore = lcore;
		ctx->queue = (uint16_t)(app->dispatch ? 0 : i);
		lcore = rte_get_next_lcore(lcore, 1, 0);
		ctx->chan = sf_msg_chan_create(i, cfg->ring_size, cfg->msg_pool_size,
				cfg->tcp_analysis, cfg->features ? cfg->splt : 0, SOCKET_ID_ANY);
		if (ctx->chan == NULL) {
			snprintf(err, errlen, "cannot allocate the message ring/pool of worker %u: "
					"%s", i, rte_strerror(rte_errno));
			return -1;
		}
		if (app->dispatch) {
			snprintf(name, sizeof(name), "sf_in%u", i);
			ctx->in_ring = rte_ring_create(name, cfg->dispatch_ring_size,
					SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (ctx->in_ring == NULL) {
				snprintf(err, errlen, "cannot allocate the input ring of worker %u: "
						"%s", i, rte_strerror(rte_errno));
				return -1;
			}
		}
		snprintf(name, sizeof(name), "sf_ft%u", i);
		memset(&wp, 0, sizeof(wp));
		wp.id = i;
		wp.interval_ns = cfg->interval_ns;
		wp.table.name = name;
		wp.table.capacity = cfg->flow_capacity;
		wp.table.idle_ns = cfg->idle_timeout_ns;
		wp.table.active_ns = cfg->active_timeout_ns;
		wp.table.tcp_end_ns = cfg->tcp_end_timeout_ns;
		wp.table.socket_id = (int)rte_lcore_to_socket_id(ctx->lcore);
		wp.chan = ctx->chan;
		wp.lossless = !app->live;	/* files can wait; live input cannot */
		wp.flush_timeout_ns = cfg->flush_timeout_ns;
		wp.sampling = (uint8_t)sf_config_sampling(cfg);
		wp.sampling_rate = cfg->sample_rate;
		wp.sampling_scale = cfg->sample_scale;
		wp.tunnel_facts = cfg->decapsulate;
		wp.tcp_analysis = cfg->tcp_analysis;
		wp.tcp_prefix4 = cfg->tcp_prefix4;
		wp.tcp_prefix6 = cfg->tcp_prefix6;
		wp.app = cfg->app;
		wp.app_buffers = cfg->app_buffers;
		wp.features = cfg->features;
		wp.splt = cfg->splt;
		/* The live view is served over HTTP: without it, nothing is sent. */
		wp.live_flows = app->http != NULL ? cfg->live_flows : 0;
		wp.wait_fn = sf_wait_turn;
		wp.wait_arg = app;
		ctx->w = sf_worker_create(&wp);
		if (ctx->w == NULL) {
			snprintf(err, errlen, "cannot create worker %u (flow table of %" PRIu32
					" flows): %s", i, cfg->flow_capacity, rte_strerror(rte_errno));
			return -1;
		}
	}
	app->dispatch_lcore = lcore;
	return 0;
}

static void
teardown_workers(struct sf_app *app)
{
	unsigned int i;

	sf_serve_workers(app, false);
	for (i = 0; i < app->n_workers; i++) {
		struct sf_worker_ctx *ctx = &app->wk[i];
		void *m;

		sf_worker_free(ctx->w);
		sf_msg_chan_free(ctx->chan);
		if (ctx->in_ring != NULL) {
			while (rte_ring_dequeue(ctx->in_ring, &m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(ctx->in_ring);
		}
	}
}

/* The input's drops so far, the live dispatcher's included (the collector's interval figures). */
static void
source_drops(void *arg, uint64_t dropped[SF_DROP_MAX])
{
	struct sf_app *app = arg;
	struct sf_source_stats st;

	sf_source_stats(app->src, &st);
	memcpy(dropped, st.dropped, sizeof(st.dropped));
	dropped[SF_DROP_DISPATCH_FULL] += atomic_load_explicit(&app->dispatch_drops,
			memory_order_relaxed);
}

/*
 * Packet buffers in flight at most: the dispatcher rings, a burst per
 * lcore and the per-lcore caches. rings.mbufs is the upper bound; a
 * smaller pool starts faster (every buffer is touched at creation).
 */
static unsigned int
mbufs_needed(const struct sf_app *app)
{
	const struct sf_config *cfg = app->cfg;
	uint64_t n = (uint64_t)(app->n_workers + 2) * (SF_BURST * 4 + 256 * 3 / 2) + 1024;

	if (app->dispatch)
		n += (uint64_t)app->n_workers * cfg->dispatch_ring_size;
	if (n > cfg->mbuf_pool_size)
		n = cfg->mbuf_pool_size;
	return (unsigned int)n;
}

/*
 * The last word on stderr about how the run ended: only what is true.
 * Records can be lost at two moments: while live input runs (the
 * collector fell behind: workers never wait then) and at the stop (the
 * final flush passed its deadline or was cut short).
 */
static void
say_stop(const struct sf_report_info *ri, const struct sf_collector_totals *t,
		bool input_warned)
{
	const uint64_t lost = t->sum.records_lost;
	const uint64_t live_lost = lost > ri->stop_lost ? lost - ri->stop_lost : 0;
	const int sig = sf_stop_signal();

	if (sig != 0)
		fprintf(stderr, "spanflow: stopped by signal SIG%s after %" PRIu64 " packets; ",
				sigabbrev_np(sig) != NULL ? sigabbrev_np(sig) : "NAL",
				ri->src.received);
	else if (lost != 0 || input_warned)
		fprintf(stderr, "spanflow: input ended after %" PRIu64 " packets; ",
				ri->src.received);
	else
		return;
	if (ri->stop_lost != 0)
		fprintf(stderr, "%" PRIu64 " flow records were NOT written at the stop (%s)",
				ri->stop_lost, ri->hurried ? "a second signal cut the final flush "
				"short" : "the final flush passed shutdown.flush_timeout");
	else if (live_lost == 0)
		fprintf(stderr, "every flow was written (%" PRIu64 " records)", t->records);
	else
		fprintf(stderr, "every flow still in the tables at the stop was written");
	if (live_lost != 0)
		fprintf(stderr, "; %" PRIu64 " records were lost earlier, while the collector "
				"was behind (see the report)", live_lost);
	fprintf(stderr, "\n");
}

static int
pipeline(struct sf_app *app, struct sf_outputs *out, const struct sf_config *cfg,
		const char *input)
{
	struct sf_collector_params cp;
	struct sf_collector *coll = NULL;
	struct sf_source_params sp;
	struct sf_report_info ri;
	char err[1024];
	unsigned int i;
	double t0, t1;
	int ret = SF_EXIT_RUNTIME;

	app->mbuf_pool = rte_pktmbuf_pool_create("sf_mbufs", mbufs_needed(app), 256,
			SF_PKT_META_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (app->mbuf_pool == NULL) {
		fprintf(stderr, "spanflow: cannot allocate %u packet buffers: %s\n",
				mbufs_needed(app), rte_strerror(rte_errno));
		return SF_EXIT_RUNTIME;
	}
	if (setup_workers(app, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		goto done;
	}
	memset(&sp, 0, sizeof(sp));
	sp.cfg = cfg;
	sp.nb_queues = app->dispatch ? 1 : app->n_workers;
	sp.pool = app->mbuf_pool;
	app->src = sf_source_open(&sp, err, sizeof(err));
	if (app->src == NULL) {
		fprintf(stderr, "spanflow: %s\n", err);
		goto done;
	}

	memset(&cp, 0, sizeof(cp));
	cp.n_workers = app->n_workers;
	cp.interval_ns = cfg->interval_ns;
	cp.n_sinks = sf_outputs_sinks(out, cp.sinks, SF_COLLECTOR_MAX_SINKS);
	app->out = out;
	sf_serve_collector_params(app, &cp);
	cp.drops = source_drops;
	cp.drops_arg = app;
	coll = sf_collector_create(&cp);
	if (coll == NULL) {
		fprintf(stderr, "spanflow: cannot create the collector\n");
		goto done;
	}

	sf_stop_install();
	fprintf(stderr, "spanflow: pipeline started: %s (%s), %u worker%s%s\n", input,
			sf_source_name(app->src), app->n_workers, app->n_workers == 1 ? "" : "s",
			app->dispatch ? " and a dispatcher" : "");
	sf_serve_workers(app, true);
	t0 = now_s();
	for (i = 0; i < app->n_workers; i++)
		rte_eal_remote_launch(sf_worker_loop, &app->wk[i], app->wk[i].lcore);
	if (app->dispatch)
		rte_eal_remote_launch(sf_dispatch_loop, app, app->dispatch_lcore);
	sf_collector_loop(app, coll);
	rte_eal_mp_wait_lcore();
	t1 = now_s();
	sf_collector_finish(coll);
	sf_serve_tick(app, coll, true);

	memset(&ri, 0, sizeof(ri));
	ri.input = input;
	ri.linktype = sf_pkt_linktype_name(sf_source_linktype(app->src));
	ri.reader = sf_source_name(app->src);
	ri.workers = app->n_workers;
	ri.wall_s = t1 - t0;
	ri.input_s = app->input_end_tsc > app->start_tsc ?
		(double)(app->input_end_tsc - app->start_tsc) / (double)rte_get_tsc_hz() :
		ri.wall_s;
	sf_source_stats(app->src, &ri.src);
	ri.src.dropped[SF_DROP_DISPATCH_FULL] += atomic_load_explicit(&app->dispatch_drops,
			memory_order_relaxed);
	ri.underlay_lost = atomic_load_explicit(&app->underlay_drops, memory_order_relaxed);
	ri.table_capacity = cfg->flow_capacity;
	ri.entry_bytes = sf_flow_table_bytes_per_flow(cfg->flow_capacity);
	ri.hurried = app->hurried;
	ri.flush_timeout_s = (double)cfg->flush_timeout_ns / 1e9;
	ri.sampling = sf_config_sampling(cfg);
	ri.sampling_rate = cfg->sample_rate;
	ri.sampling_scale = cfg->sample_scale;
	for (i = 0; i < app->n_workers; i++) {
		struct sf_worker_counters wc;

		sf_worker_counters(app->wk[i].w, &wc);
		ri.msgs_lost += wc.msgs_lost;
		ri.stop_lost += wc.stop_lost;
		ri.evictions += wc.evictions;
		ri.worker_packets[i] = wc.received;
		ri.peak_flows += wc.peak_active;
	}
	if (sf_outputs_finish(out) != 0)
		goto done;
	/* What the exporters finally delivered and lost, for a server that lingers. */
	sf_serve_tick(app, coll, true);
	if (cfg->report)
		sf_report_print(stdout, &ri, sf_collector_totals(coll));
	if (cfg->report)
		sf_outputs_report(out, stdout);
	if (sf_source_warning(app->src) != NULL)
		fprintf(stderr, "spanflow: warning: %s: %s; the results cover the %" PRIu64
				" packets read before it\n", input, sf_source_warning(app->src),
				ri.src.received);
	if (ri.src.time_backwards != 0)
		fprintf(stderr, "spanflow: warning: %s: capture time went backwards %" PRIu64
				" times (at most %.6f s); those packets were counted at the newest "
				"time seen before them\n", input, ri.src.time_backwards,
				(double)ri.src.time_back_max_ns / 1e9);
	say_stop(&ri, sf_collector_totals(coll), sf_source_warning(app->src) != NULL);
	if (!sf_report_conserved(&ri, sf_collector_totals(coll))) {
		fprintf(stderr, "spanflow: internal error: packet accounting does not add up\n");
		goto done;
	}
	/* Exit status: README "Stopping". */
	ret = ri.hurried ? SF_EXIT_HURRIED : ri.stop_lost != 0 ? SF_EXIT_STOP_LOST : SF_EXIT_OK;
done:
	sf_collector_free(coll);
	sf_source_close(app->src);
	app->src = NULL;
	teardown_workers(app);
	rte_mempool_free(app->mbuf_pool);
	return ret;
}

/* The parser's decapsulation settings (tunnel.*), before any packet is read. */
static void
tunnel_settings(const struct sf_config *cfg)
{
	struct sf_pkt_decap d;
	unsigned int i;

	sf_pkt_decap_defaults(&d);
	d.enabled = cfg->decapsulate;
	d.context = (uint8_t)cfg->tunnel_context;
	d.vxlan_mirror = cfg->vxlan_mirror;
	d.underlay = cfg->underlay;
	d.teredo = cfg->teredo;
	d.ayiya = cfg->ayiya;
	for (i = 0; i < cfg->n_vxlan_ports && d.n_vxlan_ports < SF_PKT_VXLAN_PORTS_MAX; i++)
		d.vxlan_ports[d.n_vxlan_ports++] = (uint16_t)strtoul(cfg->vxlan_ports[i], NULL, 10);
	sf_pkt_decap_set(&d);
	sf_pkt_tcp_fields_set(cfg->tcp_analysis || cfg->app);
}

int
sf_run(struct sf_config *cfg, const struct sf_cli *cli)
{
	static struct sf_app app;
	struct sf_eal_args ea;
	struct sf_outputs out;
	struct sf_input in;
	char err[1024];
	unsigned int lcores;
	int ret;

	if (sf_config_check(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		return SF_EXIT_USAGE;
	}
	/* The input first: a wrong file or interface costs no DPDK start-up. */
	if (sf_source_check(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		return SF_EXIT_RUNTIME;
	}
	/* A filter libpcap rejects is a usage error, found before DPDK starts. */
	if (sf_source_check_steps(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		return SF_EXIT_USAGE;
	}
	tunnel_settings(cfg);
	memset(&app, 0, sizeof(app));
	app.cfg = cfg;
	app.n_workers = resolve_workers(cfg);
	in = sf_source_input(cfg);
	app.live = in.kind == SF_INPUT_LIVE;
	/*
	 * A file has one queue: a dispatcher spreads it. Live ports have one per
	 * worker, or with input.dispatch key one that a dispatcher spreads by
	 * spanflow's own key (tunnels by their inner flows).
	 */
	app.dispatch = app.n_workers > 1 && (in.kind == SF_INPUT_FILE ||
			(in.kind == SF_INPUT_LIVE && cfg->dispatch == SF_DISPATCH_KEY));
	lcores = 1 + app.n_workers + (app.dispatch ? 1 : 0);

	if (sf_outputs_open(&out, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		return SF_EXIT_RUNTIME;
	}
	ret = SF_EXIT_USAGE;
	if (sf_eal_args_build(&ea, cfg, lcores, cli->eal_argc, cli->eal_argv,
			err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		goto close_outputs;
	}
	/* Before EAL: MHD's thread keeps the whole CPU set, not the main lcore's. */
	ret = SF_EXIT_RUNTIME;
	if (sf_serve_start(&app, in.name, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		goto close_outputs;
	}
	if (!ea.hugepages && cfg->hugepages == SF_HUGEPAGES_AUTO && cfg->report)
		fprintf(stderr, "spanflow: no free hugepages: running without them "
				"(--no-huge; see README \"Hugepages\")\n");
	if (rte_eal_init(ea.argc, ea.argv) < 0) {
		fprintf(stderr, "spanflow: DPDK EAL start-up failed: %s\n",
				rte_strerror(rte_errno));
		goto stop_serving;
	}
	if (rte_lcore_count() < lcores) {
		fprintf(stderr, "spanflow: %u lcores needed (collector, %u workers%s), EAL has "
				"%u; do not restrict lcores in EAL arguments\n", lcores,
				app.n_workers, app.dispatch ? ", dispatcher" : "",
				rte_lcore_count());
		ret = SF_EXIT_USAGE;
		goto eal_cleanup;
	}
	/* The pipeline finishes the outputs before its report: files are whole by then. */
	app.input_name = in.name;
	ret = pipeline(&app, &out, cfg, in.name);
	if (ret == SF_EXIT_OK)
		sf_serve_linger(&app);
eal_cleanup:
	rte_eal_cleanup();
stop_serving:
	sf_serve_stop(&app);
close_outputs:
	sf_outputs_close(&out);
	return ret;
}
