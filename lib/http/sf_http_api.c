/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request handling: routes, JSON and Prometheus rendering from one
 * snapshot. Runs on MHD's thread only; reads nothing but the snapshot it
 * holds a reference to and the const configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sf_agg_json.h"
#include "sf_common.h"
#include "sf_export.h"
#include "sf_health.h"
#include "sf_http_priv.h"
#include "sf_pkt.h"
#include "sf_search.h"

static double
interval_s(const struct sf_http *h)
{
	return (double)sf_http_params_of(h)->cfg->interval_ns / 1e9;
}

/* The API's protocol name, "" when spanflow has none. */
static const char *
proto_name(uint8_t proto)
{
	const char *n = sf_proto_name(proto);

	return n != NULL ? n : "";
}

/* Endpoints. Each writes a JSON document; 0, or an HTTP status with msg. */

struct req {
	struct sf_http *h;
	const struct sf_snap *s;
	struct MHD_Connection *conn;
	char msg[256];
};

struct arg_find {
	const char *name;
	const char *value;
};

static enum MHD_Result
arg_match(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_find *f = cls;

	(void)kind;
	if (strcmp(key, f->name) != 0)
		return MHD_YES;
	f->value = value;
	return MHD_NO;		/* the first one counts */
}

/*
 * A query argument by its exact name; NULL when absent or without '='.
 * (MHD_lookup_connection_value compares names without case: `?N=5` would
 * be taken for n, and `?By=bytes&by=x` would hide the second one.)
 */
static const char *
get_arg(struct req *r, const char *name)
{
	struct arg_find f = { name, NULL };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_match, &f);
	return f.value;
}

static int
get_uint(struct req *r, const char *name, unsigned int def, unsigned int max,
		unsigned int *out)
{
	const char *v = get_arg(r, name);
	char *end;
	unsigned long n;

	*out = def;
	if (v == NULL)
		return 0;
	n = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || n < 1 || n > max) {
		snprintf(r->msg, sizeof(r->msg), "%s: '%.32s' is not a count; expected 1..%u",
				name, v, max);
		return 400;
	}
	*out = (unsigned int)n;
	return 0;
}

/* The conservation formula in the JSON keys of the OUTCOME counters. */
static void
formula_json(struct sf_text *b)
{
	const char *sep = " = ";
	unsigned int f;

	sf_text_str(b, "\"received");
	for (f = 0; f < SF_AGG_NFIELDS; f++) {
		if (sf_agg_fields[f].rule != SF_AGG_OUTCOME)
			continue;
		sf_text_str(b, sep);
		sf_text_str(b, sf_agg_fields[f].json);
		sep = " + ";
	}
	sf_text_str(b, "\"");
}

static void exporters_json(struct sf_text *b, const struct sf_snap_state *st);

/*
 * Each input port's link as the collector last read it (about once a
 * second): [] for inputs without links (files, replay).
 */
static void
links_json(struct sf_text *b, const struct sf_snap_state *st)
{
	unsigned int i;

	sf_text_str(b, "[");
	for (i = 0; i < st->n_ports; i++) {
		const struct sf_snap_port *p = &st->ports[i];

		sf_text_str(b, i ? ",{\"port\":" : "{\"port\":");
		sf_text_json_str(b, p->name);
		sf_text_printf(b, ",\"up\":%s,\"speed_mbps\":", p->up ? "true" : "false");
		if (p->speed_mbps != 0)
			sf_text_printf(b, "%u", p->speed_mbps);
		else
			sf_text_str(b, "null");
		sf_text_printf(b, ",\"packets\":%" PRIu64 ",\"changes\":%" PRIu64
				",\"last_change_ns\":", p->packets, p->changes);
		if (p->last_change_ns != 0)
			sf_text_printf(b, "%" PRIu64, p->last_change_ns);
		else
			sf_text_str(b, "null");
		sf_text_str(b, "}");
	}
	sf_text_str(b, "]");
}

static int
ep_links(struct req *r, struct sf_text *b)
{
	sf_text_str(b, "{\"links\":");
	links_json(b, &r->s->st);
	sf_text_str(b, "}\n");
	return 0;
}

static int
ep_summary(struct req *r, struct sf_text *b)
{
	const struct sf_snap *s = r->s;
	const struct sf_interval_agg *sum = &s->tot.sum;
	const struct sf_http_params *p = sf_http_params_of(r->h);
	double isec = interval_s(r->h), span;
	struct sf_agg_conservation cons;

	sf_agg_conserve(&cons, sum, s->st.input_received, NULL);
	sf_text_str(b, "{\"input\":");
	sf_text_json_str(b, p->input != NULL ? p->input : "");
	sf_text_printf(b, ",\"live\":%s,\"finished\":%s,\"workers\":%u,\"uptime_s\":%.3f"
			",\"snapshot\":{\"seq\":%" PRIu64 ",\"published_ns\":%" PRIu64 "}"
			",\"interval_ns\":%" PRIu64 ",\"intervals\":%" PRIu64,
			p->live ? "true" : "false", s->st.finished ? "true" : "false",
			s->st.n_workers, (double)s->uptime_ns / 1e9, s->seq, s->wall_ns,
			p->cfg->interval_ns, s->tot.intervals);
	if (s->tot.intervals != 0)
		sf_text_printf(b, ",\"first_interval_start_ns\":%" PRIu64
				",\"last_interval_start_ns\":%"
				PRIu64, s->tot.first_interval * p->cfg->interval_ns,
				s->tot.last_interval * p->cfg->interval_ns);
	sf_text_str(b, ",\"totals\":{");
	sf_agg_json_totals(b, sum);
	sf_text_printf(b, ",\"records\":%" PRIu64 ",\"hosts\":%" PRIu64 ",\"hosts_exact\":%s}",
			s->tot.records, s->tot.hosts, s->tot.talkers_exact ? "true" : "false");
	sf_agg_json_reasons(b, sum);
	sf_agg_json_tables(b, sum);
	sf_agg_json_tunnels(b, &s->tot.tunnels, SF_TUN_TOP);
	sf_agg_json_names(b, s->tot.names, SF_NAMES_TOP);
	sf_text_str(b, ",\"exporters\":");
	exporters_json(b, &s->st);
	sf_text_str(b, ",\"links\":");
	links_json(b, &s->st);
	sf_text_printf(b, ",\"conservation\":{\"input_received\":%" PRIu64 ",\"accounted\":%" PRIu64
			",\"ok\":%s,\"formula\":", cons.received, cons.accounted,
			cons.ok ? "true" : "false");
	formula_json(b);
	sf_text_str(b, "}");
	/* Rates in packet time: the newest finalized interval, and over the span. */
	sf_text_str(b, ",\"rates\":{\"last_interval\":");
	if (s->n_iv != 0) {
		const struct sf_interval_agg *a = &s->iv[s->n_iv - 1]->agg;

		sf_text_printf(b, "{\"start_ns\":%" PRIu64
				",\"packets_per_s\":%.3f,\"bits_per_s\":%.3f}",
				a->interval * p->cfg->interval_ns, (double)a->flowed / isec,
				(double)a->bytes * 8 / isec);
	} else {
		sf_text_str(b, "null");
	}
	span = s->tot.intervals != 0 ?
		(double)(s->tot.last_interval - s->tot.first_interval + 1) * isec : 0;
	if (span > 0)
		sf_text_printf(b, ",\"average\":{\"packets_per_s\":%.3f,\"bits_per_s\":%.3f}}",
				(double)sum->flowed / span, (double)sum->bytes * 8 / span);
	else
		sf_text_str(b, ",\"average\":null}");
	/* The interval in progress: read, not yet in a finalized interval. */
	sf_text_printf(b, ",\"in_progress\":{\"input_received\":%" PRIu64
			",\"not_final\":%" PRIu64 "}",
			cons.received, cons.received > cons.accounted ?
			cons.received - cons.accounted : 0);
	sf_text_printf(b, ",\"interval_lag_s\":%.6f}\n", (double)s->lag_ns / 1e9);
	return 0;
}

static int
ep_intervals(struct req *r, struct sf_text *b)
{
	const struct sf_snap *s = r->s;
	uint64_t ins = sf_http_params_of(r->h)->cfg->interval_ns;
	unsigned int n, i, first;
	int st = get_uint(r, "last", s->n_iv ? s->n_iv : 1, 1000000, &n);

	if (st != 0)
		return st;
	first = n < s->n_iv ? s->n_iv - n : 0;
	sf_text_printf(b, "{\"interval_ns\":%" PRIu64 ",\"kept\":%u,\"intervals\":[", ins, s->n_iv);
	for (i = first; i < s->n_iv; i++) {
		if (i != first)
			sf_text_str(b, ",");
		sf_agg_json_interval(b, &s->iv[i]->agg, ins);
	}
	sf_text_str(b, "]}\n");
	return 0;
}

static int
ep_flows_top(struct req *r, struct sf_text *b)
{
	const struct sf_snap *s = r->s;
	const char *by = get_arg(r, "by");
	uint64_t ins = sf_http_params_of(r->h)->cfg->interval_ns;
	int k = SF_BY_BYTES, st;
	unsigned int n, i, j, order[SF_TOPK];
	char line[SF_JSONL_RECORD_LEN];

	if (by != NULL && strcmp(by, "packets") == 0)
		k = SF_BY_PACKETS;
	else if (by != NULL && strcmp(by, "bytes") != 0) {
		snprintf(r->msg, sizeof(r->msg), "by: '%.32s' is unknown; expected bytes or "
				"packets", by);
		return 400;
	}
	st = get_uint(r, "n", SF_TOPK, SF_TOPK, &n);
	if (st != 0)
		return st;
	sf_text_printf(b, "{\"by\":\"%s\",\"n\":%u,\"run\":[",
			k == SF_BY_PACKETS ? "packets" : "bytes",
			n);
	for (i = 0; i < s->tot.ntop[k] && i < n; i++) {
		sf_jsonl_format_record(line, sizeof(line), &s->tot.top[k][i]);
		sf_text_str(b, i ? "," : "");
		sf_text_str(b, line);
	}
	sf_text_str(b, "],\"interval\":");
	if (s->n_iv == 0) {
		sf_text_str(b, "null}\n");
		return 0;
	}
	{
		const struct sf_interval_agg *a = &s->iv[s->n_iv - 1]->agg;
		unsigned int m = RTE_MIN(a->ntop, (uint32_t)SF_TOPK);

		/* The interval list is the top by bytes; by=packets orders that list. */
		for (i = 0; i < m; i++)
			order[i] = i;
		for (i = 1; k == SF_BY_PACKETS && i < m; i++)
			for (j = i; j > 0 && a->top[order[j]].packets >
					a->top[order[j - 1]].packets; j--) {
				unsigned int t = order[j];

				order[j] = order[j - 1];
				order[j - 1] = t;
			}
		sf_text_printf(b, "{\"interval_start_ns\":%" PRIu64 ",\"flows\":[",
				a->interval * ins);
		for (i = 0; i < m && i < n; i++) {
			if (i)
				sf_text_str(b, ",");
			sf_agg_json_topk(b, &a->top[order[i]]);
		}
		sf_text_str(b, "]}}\n");
	}
	return 0;
}

/*
 * /api/v1/flows: a search over the flows in the workers' tables now, each
 * worker scanning its own between bursts (sf_search.h). The query's
 * parameters: the filters (sf_flow_match_set), n and sort; anything else,
 * or a parameter given twice, is refused.
 */
#define FLOWS_PARAMS 8		/* six filters, n, sort */

struct flows_args {
	struct req *r;
	struct sf_flow_match m;
	unsigned int n;
	int sort;
	unsigned int nf;
	const char *name[FLOWS_PARAMS];
	const char *value[FLOWS_PARAMS];
	int status;
};

static enum MHD_Result
flows_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct flows_args *a = cls;
	const char *v = value != NULL ? value : "";
	unsigned int i;
	char *end;
	int rc;

	(void)kind;
	for (i = 0; i < a->nf; i++)
		if (strcmp(a->name[i], key) == 0) {
			snprintf(a->r->msg, sizeof(a->r->msg), "%.32s: given twice; give each "
					"parameter once", key);
			a->status = 400;
			return MHD_NO;
		}
	if (strcmp(key, "n") == 0) {
		unsigned long n = strtoul(v, &end, 10);

		if (v[0] < '0' || v[0] > '9' || *end != '\0' || n < 1 || n > SF_SEARCH_MAX) {
			snprintf(a->r->msg, sizeof(a->r->msg), "n: '%.32s' is not a count; "
					"expected 1..%u", v, SF_SEARCH_MAX);
			a->status = 400;
			return MHD_NO;
		}
		a->n = (unsigned int)n;
	} else if (strcmp(key, "sort") == 0) {
		a->sort = sf_search_sort_parse(v);
		if (a->sort < 0) {
			snprintf(a->r->msg, sizeof(a->r->msg), "sort: '%.32s' is unknown; "
					"expected bytes, packets or duration", v);
			a->status = 400;
			return MHD_NO;
		}
	} else {
		rc = sf_flow_match_set(&a->m, key, v, a->r->msg, sizeof(a->r->msg));
		if (rc < 0) {
			a->status = 400;
			return MHD_NO;
		}
		if (rc == 0) {
			snprintf(a->r->msg, sizeof(a->r->msg), "%.32s: unknown parameter; "
					"expected " SF_FLOW_MATCH_PARAMS ", n or sort", key);
			a->status = 400;
			return MHD_NO;
		}
	}
	/* Every name above is one of FLOWS_PARAMS, each once: there is room. */
	a->name[a->nf] = key;
	a->value[a->nf++] = v;
	return MHD_YES;
}

/* One active flow, oriented as records are: src is the initiator. */
static void
search_hit_json(struct sf_text *b, const struct sf_search_hit *h)
{
	const struct sf_flow_key *k = &h->key;
	bool lo_src = h->initiator == SF_DIR_LO;

	sf_text_str(b, "{\"src_addr\":");
	sf_text_json_addr(b, k->ipver, lo_src ? k->addr_lo : k->addr_hi);
	sf_text_printf(b, ",\"src_port\":%u,\"dst_addr\":", lo_src ? k->port_lo : k->port_hi);
	sf_text_json_addr(b, k->ipver, lo_src ? k->addr_hi : k->addr_lo);
	sf_text_printf(b, ",\"dst_port\":%u,\"proto\":%u,\"proto_name\":",
			lo_src ? k->port_hi : k->port_lo, k->proto);
	sf_text_json_str(b, proto_name(k->proto));
	sf_text_printf(b, ",\"ip_version\":%u,\"vlan\":%u,\"tunnel\":", k->ipver, k->vlan);
	sf_text_json_str(b, sf_flow_ctx_name(k->ctx_kind));
	sf_text_printf(b, ",\"tunnel_id\":%" PRIu32 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"rev_packets\":%" PRIu64 ",\"rev_bytes\":%" PRIu64
			",\"tcp_flags\":%u,\"rev_tcp_flags\":%u,\"tcp_ended\":%s"
			",\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64 ",\"duration_ns\":%" PRIu64
			",\"worker\":%u}", k->ctx, h->packets[0], h->bytes[0], h->packets[1],
			h->bytes[1], h->tcp_flags[0], h->tcp_flags[1],
			h->tcp_ended ? "true" : "false", h->first_ns, h->last_ns,
			h->last_ns - h->first_ns, h->worker);
}

static int
ep_flows(struct req *r, struct sf_text *b)
{
	const struct sf_http_params *p = sf_http_params_of(r->h);
	struct flows_args a;
	struct sf_search_result res;
	const char *sep = "";
	unsigned int i;
	int rc;

	memset(&a, 0, sizeof(a));
	a.r = r;
	a.n = SF_SEARCH_DEFAULT;
	a.sort = SF_SEARCH_BY_BYTES;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, flows_arg, &a);
	if (a.status != 0)
		return a.status;
	if (p->search == NULL) {
		snprintf(r->msg, sizeof(r->msg), "no flow search in this run");
		return 503;
	}
	rc = sf_search_run(p->search, &a.m, a.n, (enum sf_search_sort)a.sort,
			(uint64_t)SF_SEARCH_TIMEOUT_MS * SF_NS_PER_MS, &res);
	if (rc == -EAGAIN) {
		snprintf(r->msg, sizeof(r->msg), "the workers have not started yet");
		return 503;
	}
	if (rc != 0) {
		sf_search_result_free(&res);
		snprintf(r->msg, sizeof(r->msg), "flow search: out of memory");
		return 500;
	}
	/* active: some worker still reads input (the others' tables are empty). */
	sf_text_printf(b, "{\"active\":%s,\"workers\":%u,\"asked\":%u,\"answered\":%u"
			",\"ended\":%u,\"busy\":%u,\"complete\":%s,\"scanned\":%" PRIu64
			",\"matched\":%" PRIu64 ",\"limit\":%u,\"sort\":\"%s\",\"filter\":{",
			res.ended < res.workers ? "true" : "false", res.workers, res.asked,
			res.answered, res.ended, res.busy, res.complete ? "true" : "false",
			res.scanned, res.matched, a.n, sf_search_sort_name((unsigned int)a.sort));
	for (i = 0; i < a.nf; i++) {
		if (strcmp(a.name[i], "n") == 0 || strcmp(a.name[i], "sort") == 0)
			continue;
		sf_text_str(b, sep);
		sep = ",";
		sf_text_json_str(b, a.name[i]);
		sf_text_str(b, ":");
		sf_text_json_str(b, a.value[i]);
	}
	sf_text_str(b, "},\"worker_states\":[");
	for (i = 0; i < res.workers; i++) {
		sf_text_str(b, i ? "," : "");
		sf_text_json_str(b, sf_search_state_name(res.state[i]));
	}
	sf_text_str(b, "],\"flows\":[");
	for (i = 0; i < res.n; i++) {
		sf_text_str(b, i ? "," : "");
		search_hit_json(b, &res.hit[i]);
	}
	sf_text_str(b, "]}\n");
	sf_search_result_free(&res);
	return 0;
}

static int
ep_talkers(struct req *r, struct sf_text *b)
{
	const struct sf_snap *s = r->s;
	unsigned int n, i;
	int st = get_uint(r, "n", SF_TOPK, SF_TOPK, &n);

	if (st != 0)
		return st;
	sf_text_printf(b, "{\"by\":\"bytes\",\"hosts\":%" PRIu64 ",\"exact\":%s,\"talkers\":[",
			s->tot.hosts, s->tot.talkers_exact ? "true" : "false");
	for (i = 0; i < s->tot.ntalkers && i < n; i++) {
		const struct sf_talker *t = &s->tot.talkers[i];

		sf_text_str(b, i ? ",{\"addr\":" : "{\"addr\":");
		sf_text_json_addr(b, t->ipver, t->addr);
		sf_text_printf(b, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"bytes_error\":%"
				PRIu64 ",\"flows\":%" PRIu64 "}",
				t->packets, t->bytes, t->bytes_err, t->flows);
	}
	sf_text_str(b, "]}\n");
	return 0;
}

static int
ep_ports(struct req *r, struct sf_text *b)
{
	const struct sf_snap *s = r->s;
	unsigned int n, i;
	int st = get_uint(r, "n", SF_TOPK, SF_TOPK, &n);

	if (st != 0)
		return st;
	sf_text_str(b, "{\"by\":\"bytes\",\"ports\":[");
	for (i = 0; i < s->tot.nports && i < n; i++) {
		const struct sf_port_total *p = &s->tot.ports[i];

		sf_text_printf(b, "%s{\"proto\":%u,\"name\":\"%s\",\"port\":%u,\"packets\":%" PRIu64
				",\"bytes\":%" PRIu64 ",\"flows\":%" PRIu64 "}", i ? "," : "",
				p->proto, proto_name(p->proto), p->port, p->packets, p->bytes,
				p->flows);
	}
	sf_text_str(b, "]}\n");
	return 0;
}

/* The run's traffic per tunnel context (VNI, GRE key, TEID), by bytes. */
static int
ep_tunnels(struct req *r, struct sf_text *b)
{
	unsigned int n;
	int st = get_uint(r, "n", SF_TUN_TOP, SF_TUN_TOP, &n);

	if (st != 0)
		return st;
	sf_text_str(b, "{\"by\":\"bytes\"");
	sf_agg_json_tunnels(b, &r->s->tot.tunnels, n);
	sf_text_str(b, "}\n");
	return 0;
}

/* The run's server names (SNI, HTTP Host) and DNS names by bytes and by flows. */
static int
ep_names(struct req *r, struct sf_text *b)
{
	unsigned int n;
	int st = get_uint(r, "n", SF_NAMES_TOP, SF_NAMES_TOP, &n);

	if (st != 0)
		return st;
	sf_text_printf(b, "{\"app\":%s", sf_http_params_of(r->h)->cfg->app ? "true" : "false");
	sf_agg_json_names(b, r->s->tot.names, n);
	sf_text_str(b, "}\n");
	return 0;
}

/* TCP health needs the analysis: without it there is nothing to show. */
static int
tcp_off(struct req *r)
{
	if (sf_http_params_of(r->h)->cfg->tcp_analysis)
		return 0;
	snprintf(r->msg, sizeof(r->msg), "TCP analysis is off: start with --tcp-analysis "
			"(tcp.analysis: true)");
	return 404;
}

/*
 * One TCP ranking (sf_agg_tcp.h) over the run and over the newest
 * finalized interval, with the run's totals.
 */
static void
tcp_lists(struct req *r, struct sf_text *b, unsigned int which, unsigned int n)
{
	const struct sf_snap *s = r->s;

	sf_text_str(b, ",\"run\":");
	sf_agg_json_tcp_list(b, &s->tot.tcp, which, n);
	sf_text_str(b, ",\"interval\":");
	if (s->n_iv == 0) {
		sf_text_str(b, "null");
	} else {
		const struct sf_snap_iv *iv = s->iv[s->n_iv - 1];

		sf_text_printf(b, "{\"start_ns\":%" PRIu64 ",\"list\":",
				iv->agg.interval * sf_http_params_of(r->h)->cfg->interval_ns);
		sf_agg_json_tcp_list(b, &iv->agg.tcp, which, n);
		sf_text_str(b, "}");
	}
	sf_text_str(b, ",\"totals\":");
	sf_agg_json_tcp_totals(b, &s->tot.tcp);
	sf_text_str(b, "}\n");
}

/* Servers: the slowest by handshake RTT (by=rtt), or by retransmissions (by=retrans). */
static int
ep_tcp_servers(struct req *r, struct sf_text *b)
{
	const char *by = get_arg(r, "by");
	unsigned int n, which = 0;
	int st = tcp_off(r);

	if (st != 0)
		return st;
	if (by != NULL && strcmp(by, "retrans") == 0) {
		which = 1;
	} else if (by != NULL && strcmp(by, "rtt") != 0) {
		snprintf(r->msg, sizeof(r->msg), "by: '%.32s' is unknown; expected rtt or retrans",
				by);
		return 400;
	}
	st = get_uint(r, "n", SF_TCPA_TOP, SF_TCPA_TOP, &n);
	if (st != 0)
		return st;
	sf_text_printf(b, "{\"by\":\"%s\",\"n\":%u,\"min_handshakes\":%u",
			which ? "retrans" : "rtt", n, SF_TCPA_SLOW_MIN);
	tcp_lists(r, b, which, n);
	return 0;
}

/* Client subnets by retransmissions. */
static int
ep_tcp_subnets(struct req *r, struct sf_text *b)
{
	unsigned int n;
	int st = tcp_off(r);

	if (st != 0)
		return st;
	st = get_uint(r, "n", SF_TCPA_TOP, SF_TCPA_TOP, &n);
	if (st != 0)
		return st;
	sf_text_printf(b, "{\"by\":\"retrans\",\"n\":%u,\"prefix_v4\":%u,\"prefix_v6\":%u",
			n, sf_http_params_of(r->h)->cfg->tcp_prefix4,
			sf_http_params_of(r->h)->cfg->tcp_prefix6);
	tcp_lists(r, b, 2, n);
	return 0;
}

static int
ep_protocols(struct req *r, struct sf_text *b)
{
	const struct sf_interval_agg *a = &r->s->tot.sum;
	uint8_t order[256];
	unsigned int n = sf_agg_proto_order(a, order), i;

	sf_text_printf(b, "{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"protocols\":[",
			a->flowed, a->bytes);
	for (i = 0; i < n; i++)
		sf_text_printf(b, "%s{\"proto\":%u,\"name\":\"%s\",\"packets\":%" PRIu64
				",\"bytes\":%" PRIu64
				"}", i ? "," : "", order[i], proto_name(order[i]),
				a->proto_packets[order[i]], a->proto_bytes[order[i]]);
	sf_text_str(b, "]}\n");
	return 0;
}

static void
exporters_json(struct sf_text *b, const struct sf_snap_state *st)
{
	unsigned int i;

	sf_text_str(b, "[");
	for (i = 0; i < st->n_exporters; i++) {
		const struct sf_snap_exporter *e = &st->exp[i];

		sf_text_printf(b, "%s{\"name\":\"%s\",\"written\":%" PRIu64 ",\"lost\":%" PRIu64
				",\"queued\":%" PRIu64 ",\"retries\":%" PRIu64 ",\"up\":%s}",
				i ? "," : "", e->name, e->written, e->lost, e->queued, e->retries,
				e->up < 0 ? "null" : e->up ? "true" : "false");
	}
	sf_text_str(b, "]");
}

static int
ep_exporters(struct req *r, struct sf_text *b)
{
	sf_text_str(b, "{\"exporters\":");
	exporters_json(b, &r->s->st);
	sf_text_str(b, "}\n");
	return 0;
}

static int
ep_workers(struct req *r, struct sf_text *b)
{
	const struct sf_snap_state *st = &r->s->st;
	unsigned int i;

	sf_text_str(b, "{\"workers\":[");
	for (i = 0; i < st->n_workers; i++) {
		const struct sf_snap_worker *w = &st->w[i];

		sf_text_printf(b, "%s{\"id\":%u,\"lcore\":%u,\"packets\":%" PRIu64
				",\"flows_active\":%" PRIu64 ",\"capacity\":%" PRIu64
				",\"table_fill\":%.6f,\"evictions\":%" PRIu64
				",\"ring_used\":%" PRIu64 ",\"ring_size\":%" PRIu64
				",\"ring_drops\":%" PRIu64 "}", i ? "," : "", i, w->lcore,
				w->packets, w->flows_active, w->capacity, w->capacity ?
				(double)w->flows_active / (double)w->capacity : 0.0, w->evictions,
				w->ring_used, w->ring_size, w->msgs_lost);
	}
	sf_text_str(b, "]}\n");
	return 0;
}

/*
 * The effective configuration as JSON, from the YAML dump (one source of
 * truth for keys and forms): {"section.key": value}. Lists become arrays,
 * true/false booleans, plain integers numbers, anything else a string.
 * The token and the ClickHouse URL's password are never shown.
 */
/* A URL without its password: http://user:(set)@host... */
static void
url_json(struct sf_text *b, const char *url)
{
	const char *auth = strncmp(url, "http://", 7) == 0 ? url + 7 : url;
	const char *at = strchr(auth, '@'), *colon;
	char tmp[SF_CONFIG_URL_LEN + 8];

	if (at == NULL || at > auth + strcspn(auth, "/?#") ||
			(colon = memchr(auth, ':', (size_t)(at - auth))) == NULL) {
		sf_text_json_str(b, url);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*s:(set)%s", (int)(colon - url), url, at);
	sf_text_json_str(b, tmp);
}

static void
yaml_scalar_json(struct sf_text *b, const char **pp)
{
	const char *p = *pp;
	char tmp[4096];
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"' && n + 1 < sizeof(tmp); p++) {
			if (*p == '\\' && p[1] == 'x' && p[2] != '\0' && p[3] != '\0') {
				char hex[3] = { p[2], p[3], 0 };

				tmp[n++] = (char)strtoul(hex, NULL, 16);
				p += 3;
			} else if (*p == '\\' && p[1] != '\0') {
				tmp[n++] = *++p;
			} else {
				tmp[n++] = *p;
			}
		}
		if (*p == '"')
			p++;
		tmp[n] = '\0';
		sf_text_json_str(b, tmp);
	} else {
		while (*p != '\0' && *p != ',' && *p != ']' && !(p[0] == ' ' && p[1] == ' ') &&
				n + 1 < sizeof(tmp))
			tmp[n++] = *p++;
		tmp[n] = '\0';
		if (strcmp(tmp, "true") == 0 || strcmp(tmp, "false") == 0 ||
				(n > 0 && n < 20 && strspn(tmp, "0123456789") == n))
			sf_text_str(b, tmp);
		else
			sf_text_json_str(b, tmp);
	}
	*pp = p;
}

static int
ep_config(struct req *r, struct sf_text *b)
{
	const struct sf_config *cfg = sf_http_params_of(r->h)->cfg;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char section[64] = "";
	bool first = true;

	if (f == NULL)
		return 500;
	sf_config_dump(cfg, f);
	fclose(f);
	sf_text_str(b, "{");
	for (line = strtok_r(text, "\n", &save); line != NULL;
			line = strtok_r(NULL, "\n", &save)) {
		const char *colon = strstr(line, ": "), *p;
		bool nested = line[0] == ' ';
		char key[160];

		if (line[0] == '#')
			continue;
		if (colon == NULL) {
			/* "section:" */
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(line, ":"), line);
			continue;
		}
		if (!nested)
			section[0] = '\0';
		snprintf(key, sizeof(key), "%s%s%.*s", section, section[0] ? "." : "",
				(int)(colon - line - (nested ? 2 : 0)), line + (nested ? 2 : 0));
		sf_text_str(b, first ? "" : ",");
		first = false;
		sf_text_json_str(b, key);
		sf_text_str(b, ":");
		p = colon + 2;
		if (strcmp(key, "http.token") == 0) {
			sf_text_str(b, cfg->http_token[0] ? "\"(set)\"" : "\"\"");
		} else if (strcmp(key, "export.clickhouse") == 0) {
			url_json(b, cfg->clickhouse);
		} else if (*p == '[') {
			sf_text_str(b, "[");
			for (p++; *p != ']' && *p != '\0';) {
				yaml_scalar_json(b, &p);
				if (*p == ',') {
					sf_text_str(b, ",");
					p++;
					while (*p == ' ')
						p++;
				}
			}
			sf_text_str(b, "]");
		} else {
			yaml_scalar_json(b, &p);
		}
	}
	sf_text_str(b, "}\n");
	free(text);
	return 0;
}

/* Prometheus text exposition format 0.0.4 */

static void
prom_label_value(struct sf_text *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			sf_text_printf(b, "\\%c", *v);
		else if (*v == '\n')
			sf_text_str(b, "\\n");
		else
			sf_text_put(b, v, 1);
	}
}

/* Nanoseconds as decimal seconds, exactly ("0.000001023"). */
static void
prom_ns_seconds(struct sf_text *b, uint64_t ns)
{
	char frac[16];
	int k;

	snprintf(frac, sizeof(frac), "%09" PRIu64, ns % SF_NS_PER_S);
	for (k = 8; k > 0 && frac[k] == '0'; k--)
		frac[k] = '\0';
	sf_text_printf(b, "%" PRIu64 ".%s", ns / SF_NS_PER_S, frac);
}

/*
 * TCP health over the run (tcp.analysis): the handshake RTT histogram
 * (every handshake, no per-server labels) with one bucket per power of two
 * of nanoseconds, exact: "le" is 2^k - 1 ns, the last value below the
 * log-histogram's bucket that starts at 2^k ns.
 */
static void
tcp_metrics(struct sf_text *b, const struct sf_tcpa_top *t)
{
	uint64_t cum = 0;
	unsigned int e, k = 0;

	sf_prom_head(b, "spanflow_tcp_handshake_rtt_seconds", "histogram",
			"TCP handshake RTT at the probe, SYN to SYN/ACK (the server's side), "
			"over the run.");
	for (e = SF_RTT_MIN_EXP; e <= SF_RTT_MAX_EXP; e++) {
		unsigned int end = sf_rtt_bucket(UINT64_C(1) << e);

		for (; k < end; k++)
			cum += t->rtt.b[k];
		sf_text_str(b, "spanflow_tcp_handshake_rtt_seconds_bucket{le=\"");
		prom_ns_seconds(b, (UINT64_C(1) << e) - 1);
		sf_text_printf(b, "\"} %" PRIu64 "\n", cum);
	}
	sf_text_printf(b, "spanflow_tcp_handshake_rtt_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
			t->rtt.count);
	sf_text_str(b, "spanflow_tcp_handshake_rtt_seconds_sum ");
	prom_ns_seconds(b, t->rtt.sum_ns);
	sf_text_printf(b, "\nspanflow_tcp_handshake_rtt_seconds_count %" PRIu64 "\n", t->rtt.count);
	sf_prom_head(b, "spanflow_tcp_packets_total", "counter",
			"Packets of analysed TCP flows.");
	sf_text_printf(b, "spanflow_tcp_packets_total %" PRIu64 "\n", t->packets);
	sf_prom_head(b, "spanflow_tcp_retransmitted_packets_total", "counter",
			"TCP retransmissions (fast and spurious ones too), both directions.");
	sf_text_printf(b, "spanflow_tcp_retransmitted_packets_total %" PRIu64 "\n", t->retrans);
}

/* The exporters' families: a counter or gauge per exporter, one table. */
static void
exporters_metrics(struct sf_text *b, const struct sf_snap_state *st)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} fam[] = {
		{ "spanflow_export_records_total", "counter",
		  "Records (interval summaries) each exporter delivered.",
		  offsetof(struct sf_snap_exporter, written) },
		{ "spanflow_export_lost_records_total", "counter",
		  "Records each exporter gave up on (destination down, buffer full).",
		  offsetof(struct sf_snap_exporter, lost) },
		{ "spanflow_export_queued_records", "gauge",
		  "Records waiting in each exporter's buffer.",
		  offsetof(struct sf_snap_exporter, queued) },
		{ "spanflow_export_retries_total", "counter",
		  "Deliveries each exporter tried again (reconnections, resent batches).",
		  offsetof(struct sf_snap_exporter, retries) },
	};
	unsigned int f, i, network = 0;

	if (st->n_exporters == 0)
		return;
	for (f = 0; f < RTE_DIM(fam); f++) {
		sf_prom_head(b, fam[f].name, fam[f].type, fam[f].help);
		for (i = 0; i < st->n_exporters; i++) {
			uint64_t v;

			memcpy(&v, (const char *)&st->exp[i] + fam[f].off, sizeof(v));
			sf_text_printf(b, "%s{exporter=\"%s\"} %" PRIu64 "\n", fam[f].name,
					st->exp[i].name, v);
		}
	}
	/* Only exporters with a destination to reach have a state. */
	for (i = 0; i < st->n_exporters; i++)
		network += st->exp[i].up >= 0;
	if (network != 0)
		sf_prom_head(b, "spanflow_export_up", "gauge",
				"1 when a network exporter's destination is reachable, 0 when not.");
	for (i = 0; i < st->n_exporters; i++)
		if (st->exp[i].up >= 0)
			sf_text_printf(b, "spanflow_export_up{exporter=\"%s\"} %d\n",
					st->exp[i].name, st->exp[i].up);
}

static int
ep_metrics(struct req *r, struct sf_text *b)
{
	const struct sf_snap *s = r->s;
	const struct sf_interval_agg *a = &s->tot.sum;
	const struct sf_http_params *p = sf_http_params_of(r->h);
	const struct sf_snap_state *st = &s->st;
	uint64_t active = 0;
	unsigned int i;

	sf_prom_head(b, "spanflow_info", "gauge", "Build and input of this spanflow process.");
	sf_text_str(b, "spanflow_info{version=\"" SF_VERSION "\",input=\"");
	prom_label_value(b, p->input != NULL ? p->input : "");
	sf_text_printf(b, "\",live=\"%s\"} 1\n", p->live ? "true" : "false");
	sf_prom_head(b, "spanflow_uptime_seconds", "gauge", "Seconds since the server started.");
	sf_text_printf(b, "spanflow_uptime_seconds %.3f\n", (double)s->uptime_ns / 1e9);
	sf_prom_head(b, "spanflow_input_packets_total", "counter",
			"Packets read from the input (live: at the last snapshot).");
	sf_text_printf(b, "spanflow_input_packets_total %" PRIu64 "\n", st->input_received);
	sf_agg_prom(b, a);
	for (i = 0; i < st->n_workers; i++)
		active += st->w[i].flows_active;
	if (p->cfg->tcp_analysis)
		tcp_metrics(b, &s->tot.tcp);
	sf_prom_head(b, "spanflow_flows_active", "gauge", "Flows in the flow tables now.");
	sf_text_printf(b, "spanflow_flows_active %" PRIu64 "\n", active);
	sf_prom_head(b, "spanflow_intervals_total", "counter", "Finalized intervals.");
	sf_text_printf(b, "spanflow_intervals_total %" PRIu64 "\n", s->tot.intervals);
	sf_prom_head(b, "spanflow_interval_lag_seconds", "gauge",
			"Live input: wall-clock delay between the end of the newest interval "
			"and its finalization; 0 for files.");
	sf_text_printf(b, "spanflow_interval_lag_seconds %.6f\n", (double)s->lag_ns / 1e9);
	sf_prom_head(b, "spanflow_snapshot_age_seconds", "gauge",
			"Seconds since the summaries served were published.");
	{
		uint64_t now = sf_clock_ns(CLOCK_REALTIME);

		sf_text_printf(b, "spanflow_snapshot_age_seconds %.6f\n",
				now > s->wall_ns ? (double)(now - s->wall_ns) / 1e9 : 0.0);
	}
	sf_prom_head(b, "spanflow_input_finished", "gauge",
			"1 once the input has ended and the figures are final (a file replayed).");
	sf_text_printf(b, "spanflow_input_finished %d\n", st->finished ? 1 : 0);
	/*
	 * Conservation as far as it can be judged now: the finalized intervals
	 * balance (every packet a worker received has an outcome) and account
	 * for no packet the input did not read; once the input has finished,
	 * they account for every packet read. Live, the packets of intervals
	 * not yet finalized are the difference (spanflow_packets_unaccounted).
	 */
	{
		struct sf_agg_conservation cons;
		bool ok;

		sf_agg_conserve(&cons, a, st->input_received, NULL);
		ok = st->finished ? cons.ok : cons.workers_ok && cons.accounted <= cons.received;
		sf_prom_head(b, "spanflow_conservation_ok", "gauge",
				"1 when received = flowed + filtered + nonflow + malformed + "
				"duplicate + sampled_out + dropped holds for what is finalized, "
				"0 when packets are counted twice or lost uncounted.");
		sf_text_printf(b, "spanflow_conservation_ok %d\n", ok ? 1 : 0);
		sf_prom_head(b, "spanflow_packets_unaccounted", "gauge",
				"Packets read but not yet in a finalized interval (live: the "
				"intervals in progress; 0 once the input has finished).");
		sf_text_printf(b, "spanflow_packets_unaccounted %" PRIu64 "\n",
				cons.received > cons.accounted ?
				cons.received - cons.accounted : 0);
	}
	if (st->n_ports != 0) {
		sf_prom_head(b, "spanflow_link_up", "gauge",
				"1 when the input port's link is up, 0 when down (read about once "
				"a second).");
		for (i = 0; i < st->n_ports; i++) {
			sf_text_str(b, "spanflow_link_up{port=\"");
			prom_label_value(b, st->ports[i].name);
			sf_text_printf(b, "\"} %d\n", st->ports[i].up ? 1 : 0);
		}
		sf_prom_head(b, "spanflow_link_changes_total", "counter",
				"Times the input port's link went down or came back up.");
		for (i = 0; i < st->n_ports; i++) {
			sf_text_str(b, "spanflow_link_changes_total{port=\"");
			prom_label_value(b, st->ports[i].name);
			sf_text_printf(b, "\"} %" PRIu64 "\n", st->ports[i].changes);
		}
		sf_prom_head(b, "spanflow_port_packets_total", "counter",
				"Packets captured from each input port (read about once a "
				"second).");
		for (i = 0; i < st->n_ports; i++) {
			sf_text_str(b, "spanflow_port_packets_total{port=\"");
			prom_label_value(b, st->ports[i].name);
			sf_text_printf(b, "\"} %" PRIu64 "\n", st->ports[i].packets);
		}
	}
	sf_prom_head(b, "spanflow_worker_packets_total", "counter", "Packets per worker lcore.");
	for (i = 0; i < st->n_workers; i++)
		sf_text_printf(b, "spanflow_worker_packets_total{worker=\"%u\"} %" PRIu64 "\n", i,
				st->w[i].packets);
	sf_prom_head(b, "spanflow_flow_table_flows", "gauge", "Flows in each worker's table.");
	for (i = 0; i < st->n_workers; i++)
		sf_text_printf(b, "spanflow_flow_table_flows{worker=\"%u\"} %" PRIu64 "\n", i,
				st->w[i].flows_active);
	sf_prom_head(b, "spanflow_flow_table_fill_ratio", "gauge",
			"Flows in each worker's table over its capacity.");
	for (i = 0; i < st->n_workers; i++)
		sf_text_printf(b, "spanflow_flow_table_fill_ratio{worker=\"%u\"} %.6f\n", i,
				st->w[i].capacity ? (double)st->w[i].flows_active /
				(double)st->w[i].capacity : 0.0);
	sf_prom_head(b, "spanflow_flow_table_evictions_total", "counter",
			"Flows evicted from a full table, per worker.");
	for (i = 0; i < st->n_workers; i++)
		sf_text_printf(b, "spanflow_flow_table_evictions_total{worker=\"%u\"} %" PRIu64
				"\n", i,
				st->w[i].evictions);
	sf_prom_head(b, "spanflow_ring_occupancy_ratio", "gauge",
			"Messages waiting in each worker->collector ring over its size.");
	for (i = 0; i < st->n_workers; i++)
		sf_text_printf(b, "spanflow_ring_occupancy_ratio{worker=\"%u\"} %.6f\n", i,
				st->w[i].ring_size ? (double)st->w[i].ring_used /
				(double)st->w[i].ring_size : 0.0);
	sf_prom_head(b, "spanflow_ring_messages_dropped_total", "counter",
			"Worker->collector messages dropped on a full ring or pool.");
	for (i = 0; i < st->n_workers; i++)
		sf_text_printf(b, "spanflow_ring_messages_dropped_total{worker=\"%u\"} %" PRIu64
				"\n", i,
				st->w[i].msgs_lost);
	exporters_metrics(b, st);
	return 0;
}

/* Dispatch */

struct route {
	const char *path;
	int (*fn)(struct req *r, struct sf_text *b);
	const char *type;
	bool from_workers;	/* answered by the workers, not from a snapshot (r->s is NULL) */
};

static int
ep_live(struct req *r, struct sf_text *b)
{
	return sf_http_live(b, r->s, sf_http_params_of(r->h)->cfg, r->conn, r->msg,
			sizeof(r->msg));
}

static const struct route routes[] = {
	{ "/api/v1/summary", ep_summary, "application/json" },
	{ "/api/v1/intervals", ep_intervals, "application/json" },
	{ "/api/v1/flows", ep_flows, "application/json", true },
	{ "/api/v1/flows/top", ep_flows_top, "application/json" },
	{ "/api/v1/live", ep_live, "application/json" },
	{ "/api/v1/talkers/top", ep_talkers, "application/json" },
	{ "/api/v1/ports/top", ep_ports, "application/json" },
	{ "/api/v1/tunnels/top", ep_tunnels, "application/json" },
	{ "/api/v1/names/top", ep_names, "application/json" },
	{ "/api/v1/tcp/servers", ep_tcp_servers, "application/json" },
	{ "/api/v1/tcp/subnets", ep_tcp_subnets, "application/json" },
	{ "/api/v1/protocols", ep_protocols, "application/json" },
	{ "/api/v1/workers", ep_workers, "application/json" },
	{ "/api/v1/exporters", ep_exporters, "application/json" },
	{ "/api/v1/links", ep_links, "application/json" },
	{ "/api/v1/config", ep_config, "application/json" },
	{ "/metrics", ep_metrics, "text/plain; version=0.0.4; charset=utf-8" },
};

static enum MHD_Result
send_buf(struct MHD_Connection *conn, unsigned int status, const char *type,
		char *body, size_t len, bool must_free)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body,
			must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"Bearer realm=\"spanflow\"");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *conn, unsigned int status, const char *what)
{
	struct sf_text b = { 0 };

	sf_text_printf(&b, "{\"error\":");
	sf_text_json_str(&b, what);
	sf_text_printf(&b, ",\"status\":%u}\n", status);
	if (b.oom) {
		free(b.p);
		return MHD_NO;
	}
	return send_buf(conn, status, "application/json", b.p, b.n, true);
}

/*
 * /healthz and /readyz (sf_health.h): 200 or 503 with the status and the
 * reasons. They answer without the bearer token, because supervisors and
 * orchestrators probe without credentials, and so show nothing but the
 * verdict: no figure of the traffic.
 */
static enum MHD_Result
send_health(struct sf_http *h, struct MHD_Connection *conn, bool ready)
{
	struct sf_snap *s = sf_snap_get(sf_http_params_of(h)->pub);
	struct sf_text b = { 0 };
	struct sf_health v;
	unsigned int i;

	sf_health_check(s, sf_clock_ns(CLOCK_REALTIME), ready, &v);
	sf_snap_put(s);
	sf_text_str(&b, "{\"status\":");
	sf_text_json_str(&b, v.status);
	sf_text_str(&b, ",\"reasons\":[");
	for (i = 0; i < v.n_reasons; i++) {
		sf_text_str(&b, i ? "," : "");
		sf_text_json_str(&b, v.reasons[i]);
	}
	sf_text_str(&b, "]}\n");
	if (b.oom) {
		free(b.p);
		return MHD_NO;
	}
	return send_buf(conn, v.ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			"application/json", b.p, b.n, true);
}

static bool
authorized(const struct sf_http *h, struct MHD_Connection *conn)
{
	const char *tok = sf_http_params_of(h)->cfg->http_token;
	const char *auth;
	size_t n = strlen(tok), i;
	unsigned char diff = 0;

	if (n == 0)
		return true;
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
			MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) != n)
		return false;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(auth[7 + i] ^ tok[i]);
	return diff == 0;
}

enum MHD_Result
sf_http_handler(void *cls, struct MHD_Connection *conn, const char *url,
		const char *method, const char *version, const char *upload_data,
		size_t *upload_data_size, void **con_cls)
{
	struct sf_http *h = cls;
	struct req r;
	struct sf_text b = { 0 };
	const struct route *rt = NULL;
	size_t i;
	int st;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				"read-only server: only GET and HEAD");
	/* The page holds no data: it asks for the token (#token=...) to fetch the API. */
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return send_buf(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
				(char *)sf_dashboard_html, sf_dashboard_html_len, false);
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0)
		return send_health(h, conn, url[1] == 'r');
	if (!authorized(h, conn))
		return send_error(conn, MHD_HTTP_UNAUTHORIZED,
				"missing or wrong bearer token (Authorization: Bearer TOKEN)");
	for (i = 0; i < RTE_DIM(routes); i++)
		if (strcmp(url, routes[i].path) == 0)
			rt = &routes[i];
	if (rt == NULL)
		return send_error(conn, MHD_HTTP_NOT_FOUND, "unknown path; see /api/v1/summary, "
				"/api/v1/live, /api/v1/intervals, /api/v1/flows, /api/v1/flows/top, /api/v1/talkers/top, "
				"/api/v1/ports/top, /api/v1/tunnels/top, /api/v1/names/top, /api/v1/tcp/servers, "
				"/api/v1/tcp/subnets, /api/v1/protocols, "
				"/api/v1/workers, /api/v1/exporters, /api/v1/links, "
				"/api/v1/config, /metrics, /healthz, /readyz or /");
	memset(&r, 0, sizeof(r));
	r.h = h;
	r.conn = conn;
	r.s = rt->from_workers ? NULL : sf_snap_get(sf_http_params_of(h)->pub);
	if (r.s == NULL && !rt->from_workers)
		return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				"no summary yet: the collector has not published one");
	st = rt->fn(&r, &b);
	if (r.s != NULL)
		sf_snap_put((struct sf_snap *)r.s);
	if (st != 0 || b.oom) {
		free(b.p);
		if (b.oom)
			return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return send_error(conn, (unsigned int)st, r.msg[0] ? r.msg : "internal error");
	}
	return send_buf(conn, MHD_HTTP_OK, rt->type, b.p, b.n, true);
}
