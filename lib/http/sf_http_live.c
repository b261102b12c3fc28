/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /api/v1/live: the live view (lib/collector/sf_live.h) of the newest
 * interval and of the last minutes, narrowed by the query's filters.
 * Raw numbers only: the dashboard puts units on them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_agg.h"
#include "sf_common.h"
#include "sf_flow_match.h"
#include "sf_http_priv.h"
#include "sf_live.h"
#include "sf_snapshot.h"
#include "sf_text.h"

#define LIVE_DEFAULT_WINDOW_S 300
#define LIVE_DEFAULT_N 20

struct live_args {
	struct sf_flow_match m;
	struct sf_text filter;		/* the filter echoed: "k":"v",... */
	uint64_t window_s;
	unsigned int n;
	uint64_t max_window_s;
	char *msg;
	size_t msglen;
	bool bad;
};

static bool
arg_uint(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (v[0] < '0' || v[0] > '9')
		return false;
	n = strtoull(v, &end, 10);
	if (*end != '\0' || n < 1 || n > max)
		return false;
	*out = n;
	return true;
}

static enum MHD_Result
live_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct live_args *a = cls;
	uint64_t v;
	int r;

	(void)kind;
	if (a->bad)
		return MHD_NO;
	if (value == NULL)
		value = "";
	if (strcmp(key, "window") == 0) {
		if (!arg_uint(value, a->max_window_s, &v)) {
			snprintf(a->msg, a->msglen, "window: '%.32s' is not a number of seconds "
					"1..%" PRIu64 " (live.window)", value, a->max_window_s);
			a->bad = true;
			return MHD_NO;
		}
		a->window_s = v;
		return MHD_YES;
	}
	if (strcmp(key, "n") == 0) {
		if (!arg_uint(value, SF_LIVE_TOP_MAX, &v)) {
			snprintf(a->msg, a->msglen, "n: '%.32s' is not a count; expected 1..%u",
					value, SF_LIVE_TOP_MAX);
			a->bad = true;
			return MHD_NO;
		}
		a->n = (unsigned int)v;
		return MHD_YES;
	}
	r = sf_flow_match_set(&a->m, key, value, a->msg, a->msglen);
	if (r < 0) {
		a->bad = true;
		return MHD_NO;
	}
	if (r == 0) {
		snprintf(a->msg, a->msglen, "'%.32s' is not a parameter of /api/v1/live; expected "
				"window, n, " SF_FLOW_MATCH_PARAMS, key);
		a->bad = true;
		return MHD_NO;
	}
	sf_text_str(&a->filter, a->filter.n ? "," : "");
	sf_text_json_str(&a->filter, key);
	sf_text_str(&a->filter, ":");
	sf_text_json_str(&a->filter, value);
	return MHD_YES;
}

static const char *
name_of(uint8_t proto)
{
	const char *n = sf_proto_name(proto);

	return n != NULL ? n : "";
}

/* A row's counts and rates; the scope's flow count is "flow_count" (its "flows" is a list). */
static void
counts(struct sf_text *b, const struct sf_live_row *c, double secs, const char *flows)
{
	sf_text_printf(b, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"%s\":%" PRIu64
			",\"pps\":%.3f,\"bps\":%.3f", c->packets, c->bytes, flows, c->flows,
			(double)c->packets / secs, (double)c->bytes * 8 / secs);
}

static void
rates(struct sf_text *b, const struct sf_live_row *c, double secs)
{
	counts(b, c, secs, "flows");
}

static const char *
app_name(uint8_t kind)
{
	const char *n = sf_app_kind_name(kind);

	return n != NULL ? n : "none";
}

static void
scope_json(struct sf_text *b, const struct sf_live_scope *sc, uint64_t ins, bool apps, bool tcp)
{
	double secs = (double)(sc->last - sc->first + 1) * (double)ins / 1e9;
	unsigned int i;

	sf_text_printf(b, "{\"start\":%.3f,\"end\":%.3f,\"seconds\":%.3f,\"intervals\":%u",
			(double)(sc->first * ins) / 1e9, (double)((sc->last + 1) * ins) / 1e9,
			secs, sc->intervals);
	counts(b, &sc->total, secs, "flow_count");
	sf_text_printf(b, ",\"unlisted\":{\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
			",\"bytes\":%" PRIu64 "}", sc->unlisted.flows, sc->unlisted.packets,
			sc->unlisted.bytes);

	sf_text_str(b, ",\"flows\":[");
	for (i = 0; i < sc->nflows; i++) {
		const struct sf_live_flow *f = &sc->flows[i];
		const struct sf_flow_key *k = &f->key;
		bool lo = f->initiator == SF_DIR_LO;

		/* The keys of the flow records (--flows, /api/v1/flows). */
		sf_text_str(b, i ? ",{\"src_addr\":" : "{\"src_addr\":");
		sf_text_json_addr(b, k->ipver, lo ? k->addr_lo : k->addr_hi);
		sf_text_str(b, ",\"dst_addr\":");
		sf_text_json_addr(b, k->ipver, lo ? k->addr_hi : k->addr_lo);
		sf_text_printf(b, ",\"src_port\":%u,\"dst_port\":%u,\"proto\":%u,"
				"\"proto_name\":\"%s\",\"vlan\":%u,\"tunnel\":\"%s\",\"tunnel_id\":%u",
				lo ? k->port_lo : k->port_hi, lo ? k->port_hi : k->port_lo, k->proto,
				name_of(k->proto), k->vlan, sf_flow_ctx_name(k->ctx_kind), k->ctx);
		sf_text_printf(b, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
				",\"pps\":%.3f,\"bps\":%.3f,\"active\":%s", f->c.packets, f->c.bytes,
				(double)f->c.packets / secs, (double)f->c.bytes * 8 / secs,
				f->recent ? "true" : "false");
		if (apps)
			sf_text_printf(b, ",\"app\":\"%s\"", app_name(f->app));
		sf_text_str(b, "}");
	}
	sf_text_str(b, "],\"talkers\":[");
	for (i = 0; i < sc->ntalkers; i++) {
		sf_text_str(b, i ? ",{\"host\":" : "{\"host\":");
		sf_text_json_addr(b, sc->talkers[i].ipver, sc->talkers[i].addr);
		rates(b, &sc->talkers[i].c, secs);
		sf_text_str(b, "}");
	}
	sf_text_str(b, "],\"ports\":[");
	for (i = 0; i < sc->nports; i++) {
		sf_text_printf(b, "%s{\"proto\":%u,\"proto_name\":\"%s\",\"port\":%u", i ? "," : "",
				sc->ports[i].proto, name_of(sc->ports[i].proto), sc->ports[i].port);
		rates(b, &sc->ports[i].c, secs);
		sf_text_str(b, "}");
	}
	sf_text_str(b, "],\"protocols\":[");
	for (i = 0; i < sc->nprotos; i++) {
		sf_text_printf(b, "%s{\"proto\":%u,\"name\":\"%s\"", i ? "," : "",
				sc->protos[i].id, name_of((uint8_t)sc->protos[i].id));
		rates(b, &sc->protos[i].c, secs);
		sf_text_str(b, "}");
	}
	sf_text_str(b, "],\"vlans\":[");
	for (i = 0; i < sc->nvlans; i++) {
		sf_text_printf(b, "%s{\"vlan\":%u", i ? "," : "", sc->vlans[i].id);
		rates(b, &sc->vlans[i].c, secs);
		sf_text_str(b, "}");
	}
	if (apps) {
		sf_text_str(b, "],\"apps\":[");
		for (i = 0; i < sc->napps; i++) {
			sf_text_printf(b, "%s{\"app\":\"%s\"", i ? "," : "",
					app_name((uint8_t)sc->apps[i].id));
			rates(b, &sc->apps[i].c, secs);
			sf_text_str(b, "}");
		}
	}
	if (tcp) {
		sf_text_str(b, "],\"servers\":[");
		for (i = 0; i < sc->nservers; i++) {
			const struct sf_live_server *sv = &sc->servers[i];

			sf_text_str(b, i ? ",{\"host\":" : "{\"host\":");
			sf_text_json_addr(b, sv->ipver, sv->addr);
			sf_text_printf(b, ",\"port\":%u,\"handshakes\":%" PRIu64 ",\"rtt_mean_ms\":%.3f"
					",\"rtt_max_ms\":%.3f", sv->port, sv->handshakes,
					(double)sv->rtt_sum_us / (double)sv->handshakes / 1e3,
					(double)sv->rtt_max_us / 1e3);
			rates(b, &sv->c, secs);
			sf_text_str(b, "}");
		}
	}
	sf_text_str(b, "],\"tunnels\":[");
	for (i = 0; i < sc->ntunnels; i++) {
		sf_text_printf(b, "%s{\"kind\":\"%s\",\"id\":%u", i ? "," : "",
				sf_flow_ctx_name(sc->tunnels[i].kind), sc->tunnels[i].id);
		rates(b, &sc->tunnels[i].c, secs);
		sf_text_str(b, "}");
	}
	sf_text_str(b, "]}");
}

static void
points(struct sf_text *b, const char *key, const uint64_t *v, unsigned int n, double f)
{
	unsigned int i;

	sf_text_printf(b, ",\"%s\":[", key);
	for (i = 0; i < n; i++)
		sf_text_printf(b, "%s%.3f", i ? "," : "", (double)v[i] * f);
	sf_text_str(b, "]");
}

static void
series_json(struct sf_text *b, const struct sf_live_series *se, uint64_t ins)
{
	double secs = (double)ins / 1e9;
	unsigned int i, k;

	sf_text_printf(b, "{\"interval_s\":%.3f,\"start\":[", secs);
	for (i = 0; i < se->points; i++)
		sf_text_printf(b, "%s%.3f", i ? "," : "", (double)((se->first + i) * ins) / 1e9);
	sf_text_str(b, "],\"protocols\":[");
	for (k = 0; k < se->nprotos; k++) {
		sf_text_printf(b, "%s{\"proto\":%u,\"name\":\"%s\"", k ? "," : "", se->proto[k],
				name_of(se->proto[k]));
		points(b, "bps", se->proto_bytes[k], se->points, 8 / secs);
		points(b, "pps", se->proto_packets[k], se->points, 1 / secs);
		sf_text_str(b, "}");
	}
	sf_text_str(b, "],\"talkers\":[");
	for (k = 0; k < se->ntalkers; k++) {
		sf_text_str(b, k ? ",{\"host\":" : "{\"host\":");
		sf_text_json_addr(b, se->talker[k].ipver, se->talker[k].addr);
		points(b, "bps", se->talker_bytes[k], se->points, 8 / secs);
		points(b, "pps", se->talker_packets[k], se->points, 1 / secs);
		sf_text_str(b, "}");
	}
	sf_text_str(b, "]}");
}

int
sf_http_live(struct sf_text *b, const struct sf_snap *s, const struct sf_config *cfg,
		struct MHD_Connection *conn, char *msg, size_t msglen)
{
	uint64_t ins = cfg->interval_ns;
	struct live_args a;
	struct sf_live_view *v;
	uint64_t window;
	int rc;

	if (cfg->live_flows == 0) {
		snprintf(msg, msglen, "the live view is off (live.flows: 0)");
		return 404;
	}
	memset(&a, 0, sizeof(a));
	a.window_s = LIVE_DEFAULT_WINDOW_S;
	a.n = LIVE_DEFAULT_N;
	a.max_window_s = RTE_MAX(cfg->live_window_ns / SF_NS_PER_S, (uint64_t)1);
	a.window_s = RTE_MIN(a.window_s, a.max_window_s);
	a.msg = msg;
	a.msglen = msglen;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, live_arg, &a);
	if (a.bad || a.filter.oom) {
		sf_text_free(&a.filter);
		return a.bad ? 400 : 500;
	}
	window = RTE_MAX((a.window_s * SF_NS_PER_S + ins - 1) / ins, (uint64_t)1);
	sf_text_printf(b, "{\"interval_s\":%.3f,\"window_s\":%" PRIu64 ",\"filter\":{",
			(double)ins / 1e9, a.window_s);
	if (a.filter.n != 0)
		sf_text_put(b, a.filter.p, a.filter.n);
	sf_text_free(&a.filter);
	sf_text_str(b, "}");
	if (!s->live_any) {
		sf_text_str(b, ",\"last\":null,\"window\":null,\"series\":null}\n");
		return 0;
	}
	v = malloc(sizeof(*v));
	if (v == NULL)
		return 500;
	rc = sf_live_view(v, s->live, s->n_live, s->live_newest, window, &a.m, a.n, cfg->app,
			cfg->tcp_analysis);
	if (rc != 0) {
		free(v);
		return 500;
	}
	sf_text_str(b, ",\"last\":");
	scope_json(b, &v->last, ins, cfg->app, cfg->tcp_analysis);
	sf_text_str(b, ",\"window\":");
	scope_json(b, &v->window, ins, cfg->app, cfg->tcp_analysis);
	sf_text_str(b, ",\"series\":");
	series_json(b, &v->series, ins);
	sf_text_str(b, "}\n");
	sf_live_view_free(v);
	free(v);
	return 0;
}
