/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interval aggregate: what one worker saw in one interval, all workers
 * in one interval (merged), or the whole run (accumulated). Its fields are
 * declared once, in the lists below; from them come the struct, both
 * merges, the message form (lib/msg), the JSON of an interval (the
 * --intervals lines and /api/v1/intervals, one writer), the run totals of
 * /api/v1/summary, the Prometheus counters of /metrics, the report's
 * conservation line and the conservation check itself.
 *
 * A new counter is one row of SF_AGG_FIELDS. A new table keyed by a small
 * number (per port, per application) is one row of SF_AGG_TABLES and its
 * columns. Whoever counts it (the worker) still says so in its own code.
 */
#ifndef SF_AGG_H
#define SF_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_agg_names.h"
#include "sf_agg_tcp.h"
#include "sf_agg_tun.h"
#include "sf_common.h"
#include "sf_flow.h"
#include "sf_flow_table.h"
#include "sf_pkt.h"

/*
 * Why a received packet was dropped before reaching a flow table. Live
 * Linux interfaces (tpacket): kernel_ring_full is a worker's capture ring
 * that was full (PACKET_STATISTICS tp_drops), if_rx_dropped and nic_missed
 * the interface's rx_dropped and rx_missed_errors since the capture opened.
 */
#define SF_DROP_REASONS(X) \
	X(NIC_MISSED, "nic_missed") \
	X(NO_MBUF, "no_mbuf") \
	X(RX_ERROR, "rx_error") \
	X(DISPATCH_FULL, "dispatch_full") \
	X(KERNEL_RING_FULL, "kernel_ring_full") \
	X(IF_RX_DROPPED, "if_rx_dropped")

enum sf_drop_reason {
#define SF_X_ENUM(id, name) SF_DROP_ ## id,
	SF_DROP_REASONS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_DROP_MAX
};

const char *sf_drop_reason_name(enum sf_drop_reason r);

/* Sum of packets dropped over every reason. */
uint64_t sf_drop_total(const uint64_t dropped[SF_DROP_MAX]);

/*
 * Reason sets a counter can be split by:
 *   X(SET, count, name of reason i, first reason shown)
 * (malformed reason 0 is "none": never shown).
 */
#define SF_AGG_REASON_SETS(X) \
	X(MALFORMED, SF_PKT_BAD_MAX, sf_pkt_malformed_name, 1) \
	X(DROP, SF_DROP_MAX, sf_drop_reason_name, 0) \
	X(END, SF_END_MAX, sf_end_reason_name, 0)

/*
 * Prometheus families of the aggregate, in the order /metrics shows them:
 *   X(FAMILY, name, type, help)
 */
#define SF_AGG_PROM_FAMILIES(X) \
	X(PACKETS, "spanflow_packets_total", "counter", \
		"Packets of finalized intervals by outcome; with drops they add up to the " \
		"input packets.") \
	X(DROPPED, "spanflow_packets_dropped_total", "counter", \
		"Packets lost before a flow table, by reason (finalized intervals).") \
	X(MALFORMED, "spanflow_malformed_packets_total", "counter", \
		"Malformed packets by reason (finalized intervals).") \
	X(FLOW_BYTES, "spanflow_flow_bytes_total", "counter", \
		"IP bytes of the packets counted in flows (finalized intervals).") \
	X(PROTO_PACKETS, "spanflow_protocol_packets_total", "counter", \
		"Packets in flows by IP protocol number (finalized intervals).") \
	X(PROTO_BYTES, "spanflow_protocol_bytes_total", "counter", \
		"IP bytes in flows by IP protocol number (finalized intervals).") \
	X(ENCAP_PACKETS, "spanflow_encap_packets_total", "counter", \
		"Packets that carried an encapsulation, by type (finalized intervals).") \
	X(ENCAP_BYTES, "spanflow_encap_bytes_total", "counter", \
		"Innermost IP bytes of flow packets that carried an encapsulation, by type.") \
	X(ENCAP_MALFORMED, "spanflow_encap_malformed_packets_total", "counter", \
		"Malformed packets by the innermost encapsulation they were in (decode " \
		"failures).") \
	X(CONN_STATE_FLOWS, "spanflow_tcp_conn_state_flows_total", "counter", \
		"tcp.analysis: TCP flows that ended, by Zeek conn_state (finalized intervals).") \
	X(APP_FLOWS, "spanflow_app_flows_total", "counter", \
		"app.enabled: flows that ended, by the application metadata found in them " \
		"(tls, quic, dns, http; none: nothing recognised).") \
	X(APP_ISSUES, "spanflow_app_inspection_issues_total", "counter", \
		"app.enabled: flows whose inspection met a malformed message, found no " \
		"reassembly buffer, or had a text cut to its field.") \
	X(FLOWS_CREATED, "spanflow_flows_created_total", "counter", "Flows created.") \
	X(RECORDS, "spanflow_flow_records_total", "counter", \
		"Flow records exported, by end reason.") \
	X(RECORDS_LOST, "spanflow_flow_records_lost_total", "counter", \
		"Flow records dropped on a full ring or pool.") \
	X(DUP_ESTIMATE, "spanflow_span_copies_estimated_total", "counter", \
		"With duplicate removal off: packets estimated to be SPAN copies (from " \
		"sampled runs of packets).") \
	X(UNDERLAY_PACKETS, "spanflow_underlay_packets_total", "counter", \
		"tunnel.underlay: tunnelled packets also counted in their outer (underlay) " \
		"flow; not an outcome, the packets are in spanflow_packets_total already.") \
	X(UNDERLAY_BYTES, "spanflow_underlay_bytes_total", "counter", \
		"tunnel.underlay: outer IP bytes of those packets.")

/*
 * The counters, in the order of the JSON of an interval. Two kinds of row:
 *
 *   C(field, rule, json, family, label)             one counter
 *   R(field, set, rule, json, json_reasons, shown, family)
 *                                                   one counter per reason of `set`
 * rule    OUTCOME  one fate of a received packet: received = the sum of the
 *                  OUTCOME counters (conservation); they add up like SUM
 *         SUM      adds up over workers and over intervals
 *         GAUGE    a level at the end of the interval: adds up over workers,
 *                  the run keeps the newest
 * json    its key in the JSON of an interval, NULL for none; "a.b" is key b
 *         of object a (consecutive rows share the object). For R rows, the
 *         sum over the reasons.
 * json_reasons, shown (R rows)
 *         key of the object reason -> count in the JSON of an interval (NULL
 *         for none), written after the enclosing object if the row is in
 *         one; shown ALL reasons or only NONZERO counts.
 * family, label
 *         the Prometheus family (NONE for none) and, for C rows, the label
 *         of this counter's sample or NULL; R rows are labelled by reason.
 *
 * live_unlisted_*: flows' interval counts the live view did not get
 * itemized (over live.flows, or no message free on live input); the
 * flows are those known (the rest of a capped walk is not counted).
 *
 * The run totals of /api/v1/summary show every row with a json key but the
 * GAUGEs, flat ("a.b" as "a_b"), and every R row's object with all reasons.
 */
#define SF_AGG_FIELDS(C, R) \
	C(received, SUM, "received", NONE, NULL) \
	C(flowed, OUTCOME, "packets", PACKETS, "outcome=\"flow\"") \
	C(bytes, SUM, "bytes", FLOW_BYTES, NULL) \
	C(ipv4_packets, SUM, "ipv4_packets", NONE, NULL) \
	C(ipv6_packets, SUM, "ipv6_packets", NONE, NULL) \
	C(filtered, OUTCOME, "filtered", PACKETS, "outcome=\"filtered\"") \
	C(nonflow, OUTCOME, "nonflow", PACKETS, "outcome=\"nonflow\"") \
	C(malformed, OUTCOME, "malformed", PACKETS, "outcome=\"malformed\"") \
	C(duplicate, OUTCOME, "duplicate", PACKETS, "outcome=\"duplicate\"") \
	C(sampled_out, OUTCOME, "sampled_out", PACKETS, "outcome=\"sampled_out\"") \
	C(duplicate_estimate, SUM, "duplicate_estimate", DUP_ESTIMATE, NULL) \
	C(underlay_packets, SUM, "underlay.packets", UNDERLAY_PACKETS, NULL) \
	C(underlay_bytes, SUM, "underlay.bytes", UNDERLAY_BYTES, NULL) \
	R(malformed_by, MALFORMED, SUM, NULL, "malformed_by_reason", NONZERO, MALFORMED) \
	R(dropped, DROP, OUTCOME, "dropped", NULL, ALL, DROPPED) \
	C(records_lost, SUM, "records_lost", RECORDS_LOST, NULL) \
	C(app_malformed, SUM, "app_inspection.malformed", APP_ISSUES, "issue=\"malformed\"") \
	C(app_no_buffer, SUM, "app_inspection.no_buffer", APP_ISSUES, "issue=\"no_buffer\"") \
	C(app_cut, SUM, "app_inspection.cut", APP_ISSUES, "issue=\"cut\"") \
	C(flows_new, SUM, "flows.new", FLOWS_CREATED, NULL) \
	R(flows_ended, END, SUM, "flows.ended", "ended_by_reason", ALL, RECORDS) \
	C(flows_active, GAUGE, "flows.active", NONE, NULL) \
	C(live_unlisted_flows, SUM, NULL, NONE, NULL) \
	C(live_unlisted_packets, SUM, NULL, NONE, NULL) \
	C(live_unlisted_bytes, SUM, NULL, NONE, NULL)

/*
 * Tables keyed by a small number, after the counters in the JSON:
 *   T(table, keys, json, json_key, columns, key_name)
 * columns(X, table, keys) lists X(table, keys, column, json, family): a
 * column is an array `<table>_<column>[keys]` of the aggregate. A key is
 * shown (JSON array entry, Prometheus samples labelled json_key="key") when
 * any of its columns is not zero; key_name (NULL: the number) names it.
 * Every column adds up.
 */
#define SF_AGG_PROTO_COLUMNS(X, t, k) \
	X(t, k, packets, "packets", PROTO_PACKETS) \
	X(t, k, bytes, "bytes", PROTO_BYTES)

/*
 * Encapsulations (lib/pkt SF_PKT_ENCAPS): packets that carried each type,
 * IP bytes of those that were flows, and the malformed ones whose bad
 * header was that encapsulation's or inside it (the innermost type).
 */
#define SF_AGG_ENCAP_COLUMNS(X, t, k) \
	X(t, k, packets, "packets", ENCAP_PACKETS) \
	X(t, k, bytes, "bytes", ENCAP_BYTES) \
	X(t, k, malformed, "malformed", ENCAP_MALFORMED)

/* TCP flows that ended, by Zeek's conn_state (tcp.analysis). */
#define SF_AGG_CONN_STATE_COLUMNS(X, t, k) \
	X(t, k, flows, "flows", CONN_STATE_FLOWS)

static inline const char *
sf_agg_conn_state_name(unsigned int k)
{
	const char *s = sf_zeek_state_name((uint8_t)(k < SF_ZEEK_N ? k : SF_ZEEK_NONE));

	return s != NULL ? s : "none";
}

/* Flows that ended, by what app.enabled found in them. */
#define SF_AGG_APP_COLUMNS(X, t, k) \
	X(t, k, flows, "flows", APP_FLOWS)

static inline const char *
sf_agg_app_name(unsigned int k)
{
	const char *s = sf_app_kind_name((uint8_t)(k < SF_APP_KINDS ? k : SF_APP_NONE));

	return s != NULL ? s : "none";
}

#define SF_AGG_TABLES(T) \
	T(proto, 256, "protocols", "proto", SF_AGG_PROTO_COLUMNS, NULL) \
	T(encap, SF_ENCAP_MAX, "encapsulations", "encap", SF_AGG_ENCAP_COLUMNS, \
			sf_pkt_encap_name) \
	T(conn_state, SF_ZEEK_N, "tcp_conn_states", "conn_state", SF_AGG_CONN_STATE_COLUMNS, \
			sf_agg_conn_state_name) \
	T(app, SF_APP_KINDS, "app_flows", "app", SF_AGG_APP_COLUMNS, sf_agg_app_name)

/* Generated: the counts of each reason set and of the counters. */
enum {
#define SF_X_SET(set, n, name, first) SF_AGG_N_ ## set = (n),
	SF_AGG_REASON_SETS(SF_X_SET)
#undef SF_X_SET
};

#define SF_AGG_X_ONE(field, ...) + 1
#define SF_AGG_X_NSET(field, set, ...) + SF_AGG_N_ ## set
#define SF_AGG_NCOUNTERS (0 SF_AGG_FIELDS(SF_AGG_X_ONE, SF_AGG_X_NSET))

/*
 * The aggregate. The counters are also an array (counters[]) for code
 * that treats them alike (merge, messages); tables are column arrays.
 */
struct sf_interval_agg {
	uint64_t interval;		/* index: starts at interval * interval_ns */
	union {
		struct {
#define SF_X_DECL_C(field, ...) uint64_t field;
#define SF_X_DECL_R(field, set, ...) uint64_t field[SF_AGG_N_ ## set];
			SF_AGG_FIELDS(SF_X_DECL_C, SF_X_DECL_R)
#undef SF_X_DECL_C
#undef SF_X_DECL_R
		};
		uint64_t counters[SF_AGG_NCOUNTERS];
	};
#define SF_X_DECL_COL(table, keys, col, json, family) uint64_t table ## _ ## col[keys];
#define SF_X_DECL_T(table, keys, json, jkey, cols, kname) cols(SF_X_DECL_COL, table, keys)
	SF_AGG_TABLES(SF_X_DECL_T)
#undef SF_X_DECL_COL
#undef SF_X_DECL_T
	uint32_t ntop;			/* top flows by bytes in the interval */
	uint32_t pad;
	struct sf_flow_topk top[SF_TOPK];
	/*
	 * Traffic per tunnel context, ranked by the collector when it
	 * finalizes the interval (sf_agg_tun.h); workers send their tables in
	 * their own messages, merges and /metrics leave it alone.
	 */
	struct sf_tun_top tunnels;
	/*
	 * TCP health per server and client subnet (tcp.analysis), ranked by
	 * the collector like the tunnels (sf_agg_tcp.h); empty without it.
	 */
	struct sf_tcpa_top tcp;
	/*
	 * Server names and DNS names (app.enabled), counted and ranked by the
	 * collector from the records of the interval (sf_agg_names.h).
	 */
	struct sf_names_top names[SF_NAMES_KINDS];
};

_Static_assert(sizeof(((struct sf_interval_agg *)0)->counters) ==
		sizeof(uint64_t) * SF_AGG_NCOUNTERS, "counters overlay the fields exactly");

/* Descriptions generated from the lists, for the code that walks them. */
enum sf_agg_rule {
	SF_AGG_OUTCOME,
	SF_AGG_SUM,
	SF_AGG_GAUGE,
};

enum sf_agg_shown {
	SF_AGG_ALL,
	SF_AGG_NONZERO,
};

enum sf_agg_family {
#define SF_X_FAM(fam, name, type, help) SF_AGG_PROM_ ## fam,
	SF_AGG_PROM_FAMILIES(SF_X_FAM)
#undef SF_X_FAM
	SF_AGG_PROM_MAX,
	SF_AGG_PROM_NONE = SF_AGG_PROM_MAX,
};

enum sf_agg_set {
#define SF_X_SETID(set, n, name, first) SF_AGG_SET_ ## set,
	SF_AGG_REASON_SETS(SF_X_SETID)
#undef SF_X_SETID
	SF_AGG_SET_MAX,
	SF_AGG_SET_NONE = SF_AGG_SET_MAX,
};

struct sf_agg_reason_set {
	unsigned int n;
	unsigned int first;		/* reasons below are never shown */
	const char *(*name)(unsigned int i);
};

struct sf_agg_field {
	const char *name;		/* the C field ("flowed"): the report's word */
	unsigned int off;		/* first counter in counters[] */
	unsigned int n;			/* counters: 1, or one per reason */
	enum sf_agg_set set;		/* R rows; SF_AGG_SET_NONE for C rows */
	enum sf_agg_rule rule;
	const char *json;
	const char *json_reasons;
	enum sf_agg_shown shown;
	enum sf_agg_family family;
	const char *label;
};

struct sf_agg_column {
	const char *json;
	enum sf_agg_family family;
	size_t off;			/* of the column array in the aggregate */
};

struct sf_agg_table {
	const char *json;
	const char *json_key;
	const char *(*key_name)(unsigned int k);	/* NULL: keys are numbers */
	unsigned int keys;
	unsigned int ncols;
	const struct sf_agg_column *cols;
};

struct sf_agg_family_desc {
	const char *name;
	const char *type;
	const char *help;
};

/* Keys over every table, and the most columns of a table (message sizes). */
#define SF_AGG_X_KEYS(t, keys, json, jkey, cols, kname) + (keys)
#define SF_AGG_KEYS_MAX (0 SF_AGG_TABLES(SF_AGG_X_KEYS))
#define SF_AGG_X_NCOL(t, k, col, json, fam) + 1
#define SF_X_TNCOLS(t, keys, json, jkey, cols, kname) char t[0 cols(SF_AGG_X_NCOL, t, keys)];
union sf_agg_ncols {
	SF_AGG_TABLES(SF_X_TNCOLS)
};
#undef SF_X_TNCOLS
#define SF_AGG_COLS_MAX (sizeof(union sf_agg_ncols))

#define SF_AGG_X_ROW(...) + 1
#define SF_AGG_NFIELDS (0 SF_AGG_FIELDS(SF_AGG_X_ROW, SF_AGG_X_ROW))
#define SF_AGG_X_TABLE(...) + 1
#define SF_AGG_NTABLES (0 SF_AGG_TABLES(SF_AGG_X_TABLE))

extern const struct sf_agg_field sf_agg_fields[SF_AGG_NFIELDS];
extern const struct sf_agg_table sf_agg_tables[SF_AGG_NTABLES];
extern const struct sf_agg_reason_set sf_agg_reason_sets[SF_AGG_SET_MAX];
extern const struct sf_agg_family_desc sf_agg_families[SF_AGG_PROM_MAX];

/* Column j of key k of table t. */
static inline uint64_t *
sf_agg_cell(struct sf_interval_agg *a, const struct sf_agg_table *t, unsigned int j,
		unsigned int k)
{
	return (uint64_t *)((char *)a + t->cols[j].off) + k;
}

static inline uint64_t
sf_agg_cell_get(const struct sf_interval_agg *a, const struct sf_agg_table *t, unsigned int j,
		unsigned int k)
{
	return ((const uint64_t *)((const char *)a + t->cols[j].off))[k];
}

/* True if key k of table t is shown (any column not zero). */
bool sf_agg_key_used(const struct sf_interval_agg *a, const struct sf_agg_table *t,
		unsigned int k);

/* Sum of a field's counters (the field itself for a C row). */
uint64_t sf_agg_field_total(const struct sf_interval_agg *a, const struct sf_agg_field *f);

/* True if the aggregate has nothing to report: every counter is zero. */
bool sf_agg_empty(const struct sf_interval_agg *a);

/*
 * Merge: dst += src over the workers of one interval (every counter and
 * table cell adds up; top lists are merged by the collector).
 */
void sf_agg_merge(struct sf_interval_agg *dst, const struct sf_interval_agg *src);

/*
 * Accumulate: dst (the run so far) takes interval src; GAUGEs take src's
 * value, everything else adds up.
 */
void sf_agg_accumulate(struct sf_interval_agg *dst, const struct sf_interval_agg *src);

/*
 * Conservation: every packet the input received is counted once, as one
 * OUTCOME. `dropped` is the drop count to use (the input's own figures,
 * which may be newer than the aggregate's) or NULL for the aggregate's.
 */
struct sf_agg_conservation {
	uint64_t received;		/* the input's packets */
	uint64_t accounted;		/* the sum of the OUTCOMEs */
	bool ok;			/* received == accounted, and workers_ok */
	bool workers_ok;		/* the workers' received == the OUTCOMEs they
					 * count (all but drops) */
};

void sf_agg_conserve(struct sf_agg_conservation *c, const struct sf_interval_agg *sum,
		uint64_t input_received, const uint64_t dropped[SF_DROP_MAX]);

/*
 * Protocols: the short label ("TCP", for people) and the lower-case name
 * ("tcp", for the API) of an IP protocol number; NULL if spanflow has none.
 */
const char *sf_proto_label(uint8_t proto);
const char *sf_proto_name(uint8_t proto);

/* True for protocols whose flows have ports. */
bool sf_proto_has_ports(uint8_t proto);

/* Protocols seen in a, by bytes descending (equal bytes: lower number first). */
unsigned int sf_agg_proto_order(const struct sf_interval_agg *a, uint8_t order[256]);

#endif /* SF_AGG_H */
