/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interval aggregate as text, generated from its field lists
 * (sf_agg.h): one writer for the JSON of an interval (the --intervals
 * lines and /api/v1/intervals), the run totals, top flows and the
 * Prometheus samples.
 */
#ifndef SF_AGG_JSON_H
#define SF_AGG_JSON_H

#include <stdint.h>

#include "sf_agg.h"
#include "sf_text.h"

/* One interval as a JSON object (no newline). */
void sf_agg_json_interval(struct sf_text *t, const struct sf_interval_agg *a,
		uint64_t interval_ns);

/*
 * The run totals as the members of a JSON object, without braces: every
 * counter with a JSON key but the gauges, under the key flattened
 * ("flows.new" as "flows_new").
 */
void sf_agg_json_totals(struct sf_text *t, const struct sf_interval_agg *a);

/*
 * For each counter split by reason: ,"KEY":{"reason":count,...} with every
 * reason shown; KEY is its reasons key, or its JSON key + "_by_reason".
 */
void sf_agg_json_reasons(struct sf_text *t, const struct sf_interval_agg *a);

/*
 * The keyed tables (SF_AGG_TABLES): ,"protocols":[...],"encapsulations":[...]
 * with the keys in use, as in an interval's JSON.
 */
void sf_agg_json_tables(struct sf_text *t, const struct sf_interval_agg *a);

/*
 * Tunnel contexts: ,"tunnels":[{"tunnel","tunnel_id","packets","bytes"}...]
 * with the first n of top, then ,"tunnels_other":{"contexts","packets",
 * "bytes","overflow_packets"} for the rest (overflow included).
 */
void sf_agg_json_tunnels(struct sf_text *t, const struct sf_tun_top *top, unsigned int n);

/*
 * ,"server_names":{...},"dns_names":{...}: the top n names by bytes and by
 * flows, the totals and what the bounded tables could not track (a kind
 * without any name is left out).
 */
void sf_agg_json_names(struct sf_text *t, const struct sf_names_top top[SF_NAMES_KINDS],
		unsigned int n);

/*
 * TCP health per server and client subnet (sf_agg_tcp.h), if top has any:
 * ,"tcp":{totals, "rtt_histogram":[[lower_ns,count],...]} with the
 * buckets in use, then the rankings ,"tcp_slowest_servers":[...],
 * "tcp_retrans_servers":[...],"tcp_retrans_subnets":[...] (the first n
 * of each).
 */
void sf_agg_json_tcp(struct sf_text *t, const struct sf_tcpa_top *top, unsigned int n);

/* The totals of top as a JSON object (the "tcp" member above). */
void sf_agg_json_tcp_totals(struct sf_text *t, const struct sf_tcpa_top *top);

/*
 * One ranking of top as a JSON array: `which` 0 slowest servers, 1 servers
 * by retransmissions, 2 subnets by retransmissions; the first n.
 */
void sf_agg_json_tcp_list(struct sf_text *t, const struct sf_tcpa_top *top, unsigned int which,
		unsigned int n);

/* One flow of a top list as a JSON object. */
void sf_agg_json_topk(struct sf_text *t, const struct sf_flow_topk *f);

/* Prometheus text: every family of the aggregate with its samples. */
void sf_agg_prom(struct sf_text *t, const struct sf_interval_agg *a);

/* Prometheus text: the HELP and TYPE lines of a family. */
void sf_prom_head(struct sf_text *t, const char *name, const char *type, const char *help);

#endif /* SF_AGG_JSON_H */
