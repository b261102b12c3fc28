/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "sf_classify.h"
#include "sf_report.h"

bool
sf_report_conserved(const struct sf_report_info *ri, const struct sf_collector_totals *t)
{
	struct sf_agg_conservation c;

	sf_agg_conserve(&c, &t->sum, ri->src.received, ri->src.dropped);
	return c.ok;
}

/* Tunnel contexts the report lists; the rest is one "other" line. */
#define SF_REPORT_TUNNELS 10

/* 1234567 -> "1.23 M" style with a unit. */
static const char *
human(char *buf, size_t len, double v, const char *unit)
{
	static const char *const pfx[] = { "", "k", "M", "G", "T", "P" };
	unsigned int i = 0;

	while (v >= 1000.0 && i + 1 < sizeof(pfx) / sizeof(pfx[0])) {
		v /= 1000.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f %s", v, unit);
	else
		snprintf(buf, len, "%.2f %s%s", v, pfx[i], unit);
	return buf;
}

static const char *
time_str(char *buf, size_t len, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%06u UTC", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			(unsigned int)(ns % 1000000000u / 1000u));
	return buf;
}

static const char *
proto_str(char *buf, size_t len, uint8_t proto)
{
	const char *n = sf_proto_label(proto);

	if (n != NULL)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "proto %u", proto);
	return buf;
}

static const char *
endpoint(char *buf, size_t len, uint8_t ipver, const uint8_t *addr, uint16_t port,
		bool has_port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	if (!has_port)
		snprintf(buf, len, "%s", a);
	else if (ipver == 6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

static void
print_protocols(FILE *f, const struct sf_interval_agg *s)
{
	uint8_t order[256];
	unsigned int n = sf_agg_proto_order(s, order), i;
	char b1[32], b2[32], pn[24];

	fprintf(f, "protocols\n");
	for (i = 0; i < n; i++) {
		unsigned int p = order[i];

		fprintf(f, "  %-10s %14s %14s  %5.1f%% of bytes\n", proto_str(pn, sizeof(pn), (uint8_t)p),
				human(b1, sizeof(b1), (double)s->proto_packets[p], "pkts"),
				human(b2, sizeof(b2), (double)s->proto_bytes[p], "B"),
				s->bytes ? 100.0 * (double)s->proto_bytes[p] / (double)s->bytes : 0.0);
	}
}

/* Encapsulations packets carried (any class), the inner IP bytes of flow packets, decode failures. */
static void
print_encaps(FILE *f, const struct sf_interval_agg *s)
{
	char b1[32], b2[32];
	unsigned int k;
	bool any = false;

	for (k = 0; k < SF_ENCAP_MAX; k++) {
		if (s->encap_packets[k] == 0 && s->encap_malformed[k] == 0)
			continue;
		if (!any)
			fprintf(f, "encapsulations (packets that carried each; bytes of the innermost "
					"IP packets in flows)\n");
		any = true;
		fprintf(f, "  %-10s %14s %14s", sf_pkt_encap_name(k),
				human(b1, sizeof(b1), (double)s->encap_packets[k], "pkts"),
				human(b2, sizeof(b2), (double)s->encap_bytes[k], "B"));
		if (s->encap_malformed[k] != 0)
			fprintf(f, "  %" PRIu64 " malformed", s->encap_malformed[k]);
		fputc('\n', f);
	}
}

/* The run's top tunnel contexts (VNI, GRE key, TEID) by bytes, and the rest. */
static void
print_tunnels(FILE *f, const struct sf_collector_totals *t)
{
	const struct sf_tun_top *tt = &t->tunnels;
	uint64_t ctx = tt->other_contexts, pk = tt->other_packets, by = tt->other_bytes;
	char b1[32], b2[32];
	unsigned int i;

	if (tt->n == 0 && tt->other_packets == 0)
		return;
	fprintf(f, "tunnels (traffic per tunnel context, bytes of the innermost IP packets)\n");
	for (i = 0; i < tt->n; i++) {
		const struct sf_tun_entry *e = &tt->top[i];

		if (i >= SF_REPORT_TUNNELS) {
			ctx++;
			pk += e->packets;
			by += e->bytes;
			continue;
		}
		fprintf(f, "  %-8s %10" PRIu32 " %14s %14s\n", sf_flow_ctx_name(e->kind), e->id,
				human(b1, sizeof(b1), (double)e->packets, "pkts"),
				human(b2, sizeof(b2), (double)e->bytes, "B"));
	}
	if (pk != 0) {
		fprintf(f, "  other    %10" PRIu64 " %14s %14s", ctx,
				human(b1, sizeof(b1), (double)pk, "pkts"),
				human(b2, sizeof(b2), (double)by, "B"));
		if (tt->overflow_packets != 0)
			fprintf(f, "  (%" PRIu64 " packets of contexts beyond the bounded tables)",
					tt->overflow_packets);
		fputc('\n', f);
	}
}

/* The run's top server names and DNS names by bytes (app.enabled). */
static void
print_names(FILE *f, const struct sf_collector_totals *t)
{
	static const char *const title[SF_NAMES_KINDS] = {
		"server names (TLS/QUIC SNI, HTTP Host)", "DNS names (questions)" };
	unsigned int k, i;
	char b1[32];

	for (k = 0; k < SF_NAMES_KINDS; k++) {
		const struct sf_names_top *x = &t->names[k];

		if (x->names == 0 && x->untracked_flows == 0)
			continue;
		fprintf(f, "top %s, by bytes: %" PRIu64 " names, %" PRIu64 " flows\n", title[k],
				x->names, x->flows);
		for (i = 0; i < x->n_bytes; i++)
			fprintf(f, "  %-48s %14s %8" PRIu64 " flow%s\n", x->by_bytes[i].name,
					human(b1, sizeof(b1), (double)x->by_bytes[i].bytes, "B"),
					x->by_bytes[i].flows, x->by_bytes[i].flows == 1 ? "" : "s");
		if (x->untracked_flows != 0 || x->untracked_bytes != 0)
			fprintf(f, "  (%s in %" PRIu64 " flows of names beyond the bounded table: "
					"a count may be that much off)\n",
					human(b1, sizeof(b1), (double)x->untracked_bytes, "B"),
					x->untracked_flows);
	}
}

/* TCP servers and client subnets each ranking of the report lists. */
#define SF_REPORT_TCP 10

/* A TCP server or subnet: address[/prefix], with its VLAN and tunnel context if any. */
static const char *
tcp_host_str(char *buf, size_t len, const struct sf_tcpa_rank *r, bool subnet)
{
	const struct sf_tcp_host *k = &r->key;
	char a[INET6_ADDRSTRLEN];
	size_t n;

	inet_ntop(k->ipver == 4 ? AF_INET : AF_INET6, k->addr, a, sizeof(a));
	n = (size_t)snprintf(buf, len, "%s", a);
	if (subnet && n < len)
		n += (size_t)snprintf(buf + n, len - n, "/%u", r->prefix);
	if (k->vlan != 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, " vlan %u", k->vlan);
	if (k->ctx_kind != SF_FLOW_CTX_NONE && n < len)
		snprintf(buf + n, len - n, " %s %u", sf_flow_ctx_name(k->ctx_kind), k->ctx);
	return buf;
}

static void
print_tcp_retrans(FILE *f, const char *title, const struct sf_tcpa_rank *e, unsigned int n,
		bool subnet)
{
	char b1[96];
	unsigned int i;

	if (n == 0)
		return;
	fprintf(f, "%s\n", title);
	for (i = 0; i < n && i < SF_REPORT_TCP; i++) {
		uint64_t pk = e[i].packets[0] + e[i].packets[1];
		uint64_t rt = e[i].retrans[0] + e[i].retrans[1];

		fprintf(f, "  %-40s %8" PRIu64 " of %10" PRIu64 " packets (%.2f%%), %" PRIu64
				" %s / %" PRIu64 " %s\n",
				tcp_host_str(b1, sizeof(b1), &e[i], subnet), rt, pk, pk ? 100.0 * (double)rt / (double)pk : 0.0, e[i].retrans[0],
				subnet ? "from clients" : "to server", e[i].retrans[1],
				subnet ? "to clients" : "from server");
	}
}

/*
 * TCP health per server and subnet over the run (tcp.analysis): the
 * slowest servers by handshake RTT and the most retransmissions.
 */
static void
print_tcp(FILE *f, const struct sf_collector_totals *t)
{
	const struct sf_tcpa_top *tt = &t->tcp;
	char b1[96];
	unsigned int i;

	if (sf_tcpa_top_empty(tt))
		return;
	fprintf(f, "tcp health   %" PRIu64 " servers, %" PRIu64 " client subnets, %" PRIu64
			" handshakes (RTT at the probe, SYN -> SYN/ACK: p50 %.3f ms, p90 %.3f ms, "
			"p99 %.3f ms), %" PRIu64 " of %" PRIu64 " packets retransmitted (%.2f%%)\n",
			tt->servers, tt->subnets, tt->rtt.count,
			(double)sf_rtt_quantile(&tt->rtt, 500) / 1e6,
			(double)sf_rtt_quantile(&tt->rtt, 900) / 1e6,
			(double)sf_rtt_quantile(&tt->rtt, 990) / 1e6, tt->retrans, tt->packets,
			tt->packets ? 100.0 * (double)tt->retrans / (double)tt->packets : 0.0);
	if (tt->server_overflow_packets != 0 || tt->subnet_overflow_packets != 0)
		fprintf(f, "  (%" PRIu64 " and %" PRIu64 " packets of servers and subnets beyond "
				"the bounded tables)\n", tt->server_overflow_packets,
				tt->subnet_overflow_packets);
	if (tt->nslow != 0)
		fprintf(f, "slowest servers (handshake RTT at the probe, %u handshakes or more; "
				"quantiles within 6.25%%)\n", SF_TCPA_SLOW_MIN);
	for (i = 0; i < tt->nslow && i < SF_REPORT_TCP; i++) {
		const struct sf_tcpa_rank *e = &tt->slow[i];

		fprintf(f, "  %-40s p90 %10.3f ms  p50 %10.3f ms  max %10.3f ms  %6" PRIu64
				" handshakes\n", tcp_host_str(b1, sizeof(b1), e, false),
				(double)e->rtt_p90_ns / 1e6, (double)e->rtt_p50_ns / 1e6,
				(double)e->rtt_max_ns / 1e6, e->handshakes);
	}
	print_tcp_retrans(f, "most retransmissions (servers)", tt->rserv, tt->nrserv, false);
	print_tcp_retrans(f, "most retransmissions (client subnets)", tt->rsub, tt->nrsub, true);
}

/* TCP flows that ended, by Zeek's conn_state (tcp.analysis), on one line. */
static void
print_conn_states(FILE *f, const struct sf_interval_agg *s)
{
	unsigned int k;
	bool any = false;

	for (k = 1; k < SF_ZEEK_N; k++) {
		if (s->conn_state_flows[k] == 0)
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : "tcp ended    by Zeek conn_state: ",
				sf_agg_conn_state_name(k), s->conn_state_flows[k]);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

/* What separates a flow from others with its addresses: VLAN, tunnel context; "" if nothing. */
static const char *
context_str(char *buf, size_t len, const struct sf_flow_record *r)
{
	size_t n = 0;

	buf[0] = '\0';
	if (r->key.vlan != 0)
		n = (size_t)snprintf(buf, len, " vlan %u", r->key.vlan);
	if (r->key.ctx_kind == SF_FLOW_CTX_UNDERLAY && n < len)
		snprintf(buf + n, len - n, " underlay");
	else if (r->key.ctx_kind != SF_FLOW_CTX_NONE && n < len)
		snprintf(buf + n, len - n, r->key.ctx_kind == SF_FLOW_CTX_FULL ? " %s %#x" :
				" %s %u", sf_flow_ctx_name(r->key.ctx_kind), r->key.ctx);
	return buf;
}

/* received = the OUTCOME counters by name, drops as the input counted them */
static void
print_conservation(FILE *f, const struct sf_report_info *ri, const struct sf_interval_agg *s)
{
	struct sf_agg_conservation c;
	const char *sep = " = ";
	unsigned int i;

	sf_agg_conserve(&c, s, ri->src.received, ri->src.dropped);
	fprintf(f, "conservation: received %" PRIu64, c.received);
	for (i = 0; i < SF_AGG_NFIELDS; i++) {
		const struct sf_agg_field *d = &sf_agg_fields[i];

		if (d->rule != SF_AGG_OUTCOME)
			continue;
		fprintf(f, "%s%s %" PRIu64, sep, d->name, d->set == SF_AGG_SET_DROP ?
				sf_drop_total(ri->src.dropped) : sf_agg_field_total(s, d));
		sep = " + ";
	}
	fprintf(f, "  [%s]\n", c.ok ? "ok" : "MISMATCH");
}

static void
print_top_flows(FILE *f, const struct sf_collector_totals *t)
{
	char s[64], d[64], pn[24], b1[32], b2[32], ctx[48];
	unsigned int i;

	fprintf(f, "top flows (bytes, both directions)\n");
	for (i = 0; i < t->ntop[SF_BY_BYTES]; i++) {
		const struct sf_flow_record *r = &t->top[SF_BY_BYTES][i];
		bool ports = sf_proto_has_ports(r->key.proto) || r->key.port_lo || r->key.port_hi;

		fprintf(f, "  %2u. %s -> %s %s%s  %s %s  %s\n", i + 1,
				endpoint(s, sizeof(s), r->key.ipver, sf_flow_record_addr(r, false),
					sf_flow_record_port(r, false), ports),
				endpoint(d, sizeof(d), r->key.ipver, sf_flow_record_addr(r, true),
					sf_flow_record_port(r, true), ports),
				proto_str(pn, sizeof(pn), r->key.proto), context_str(ctx, sizeof(ctx), r),
				human(b1, sizeof(b1), (double)(r->packets[0] + r->packets[1]), "pkts"),
				human(b2, sizeof(b2), (double)(r->bytes[0] + r->bytes[1]), "B"),
				sf_end_reason_name(r->end_reason));
	}
}

static void
print_talkers(FILE *f, const struct sf_collector_totals *t)
{
	char a[64], b1[32], b2[32];
	unsigned int i;

	if (t->talkers_exact)
		fprintf(f, "top talkers (bytes sent + received; %" PRIu64 " hosts)\n", t->hosts);
	else
		fprintf(f, "top talkers (bytes sent + received; about %" PRIu64 " hosts, more than "
				"the summary holds: bytes are upper bounds, packets and flows "
				"lower bounds)\n", t->hosts);
	for (i = 0; i < t->ntalkers; i++) {
		const struct sf_talker *h = &t->talkers[i];

		fprintf(f, "  %2u. %-40s %14s %14s %8" PRIu64 " flow%s", i + 1,
				endpoint(a, sizeof(a), h->ipver, h->addr, 0, false),
				human(b1, sizeof(b1), (double)h->bytes, "B"),
				human(b2, sizeof(b2), (double)h->packets, "pkts"), h->flows,
				h->flows == 1 ? "" : "s");
		if (h->bytes_err != 0)
			fprintf(f, "  (bytes over by at most %s)",
					human(b1, sizeof(b1), (double)h->bytes_err, "B"));
		fputc('\n', f);
	}
}

void
sf_report_print(FILE *f, const struct sf_report_info *ri, const struct sf_collector_totals *t)
{
	const struct sf_interval_agg *s = &t->sum;
	uint64_t dropped = sf_drop_total(ri->src.dropped);
	char b1[64], b2[64];
	unsigned int i;
	const char *sep = "";

	fprintf(f, "spanflow %s: %s (%s, reader %s), %u worker%s\n", SF_VERSION, ri->input,
			ri->linktype, ri->reader, ri->workers, ri->workers == 1 ? "" : "s");
	if (t->records != 0) {
		double span = (double)(t->last_ns - t->first_ns) / 1e9;

		fprintf(f, "capture      %s .. %s (%.3f s)\n", time_str(b1, sizeof(b1), t->first_ns),
				time_str(b2, sizeof(b2), t->last_ns), span);
	}
	fprintf(f, "processed    %" PRIu64 " packets in %.3f s: %s (then %.3f s to end the "
			"flows and write them)\n", ri->src.received, ri->input_s,
			human(b1, sizeof(b1), ri->input_s > 0 ?
				(double)ri->src.received / ri->input_s : 0.0, "packets/s"),
			ri->wall_s > ri->input_s ? ri->wall_s - ri->input_s : 0.0);
	print_conservation(f, ri, s);
	if (s->duplicate != 0)
		fprintf(f, "duplicates   %" PRIu64 " SPAN copies removed (%.1f%% of the packets "
				"received)\n", s->duplicate, ri->src.received ?
				100.0 * (double)s->duplicate / (double)ri->src.received : 0.0);
	if (ri->sampling != SF_SAMPLING_NONE)
		fprintf(f, "sampling     %s, 1 in %" PRIu32 " %s: %" PRIu64 " flow packets kept, %"
				PRIu64 " sampled out; %s\n", sf_sampling_name(ri->sampling),
				ri->sampling_rate, ri->sampling == SF_SAMPLING_FLOW ? "flows" : "packets",
				s->flowed, s->sampled_out, ri->sampling == SF_SAMPLING_FLOW ?
				"the kept flows are counted whole" : ri->sampling_scale ?
				"records' packets and bytes are scaled by the rate" :
				"records count the kept packets (sampling.scale multiplies them)");
	if (s->duplicate_estimate != 0)
		fprintf(f, "duplicates   about %" PRIu64 " packets (%.1f%% of those in flows) looked "
				"like SPAN copies (estimated on samples of packets); they are counted "
				"twice: --dedup removes them\n", s->duplicate_estimate, s->flowed ?
				100.0 * (double)s->duplicate_estimate / (double)s->flowed : 0.0);
	if (s->malformed != 0) {
		fprintf(f, "malformed    ");
		for (i = 1; i < SF_PKT_BAD_MAX; i++) {
			if (s->malformed_by[i] == 0)
				continue;
			fprintf(f, "%s%s %" PRIu64, sep, sf_pkt_malformed_name(i), s->malformed_by[i]);
			sep = ", ";
		}
		fprintf(f, "\n");
	}
	if (dropped != 0) {
		sep = "";
		fprintf(f, "dropped      ");
		for (i = 0; i < SF_DROP_MAX; i++) {
			if (ri->src.dropped[i] == 0)
				continue;
			fprintf(f, "%s%s %" PRIu64, sep, sf_drop_reason_name(i), ri->src.dropped[i]);
			sep = ", ";
		}
		fprintf(f, "\n");
	}
	fprintf(f, "traffic      %" PRIu64 " packets, %s of IP (%" PRIu64 " bytes); IPv4 %"
			PRIu64 " packets, IPv6 %" PRIu64 "\n", s->flowed,
			human(b2, sizeof(b2), (double)s->bytes, "B"), s->bytes, s->ipv4_packets,
			s->ipv6_packets);
	fprintf(f, "flows        %" PRIu64 " records:", t->records);
	for (i = 0; i < SF_END_MAX; i++)
		fprintf(f, " %s %" PRIu64 "%s", sf_end_reason_name(i), t->records_by_reason[i],
				i + 1 < SF_END_MAX ? "," : "\n");
	fprintf(f, "             %" PRIu64 " flows started; at most %" PRIu64 " at once (%.1f%% "
			"of the tables, %" PRIu64 " bytes each); %" PRIu64 " evicted from full "
			"tables (%" PRIu64 " flows each)", s->flows_new, ri->peak_flows,
			ri->table_capacity && ri->workers ? 100.0 * (double)ri->peak_flows /
			(double)(ri->table_capacity * ri->workers) : 0.0, ri->entry_bytes,
			ri->evictions, ri->table_capacity);
	if (s->records_lost > ri->stop_lost)
		fprintf(f, "; LOST %" PRIu64 " records while the collector was behind (%"
				PRIu64 " messages)", s->records_lost - ri->stop_lost, ri->msgs_lost);
	if (ri->stop_lost != 0)
		fprintf(f, "; LOST %" PRIu64 " records at the stop (%s)", ri->stop_lost,
				ri->hurried ? "a second signal cut the final flush short" :
				"final flush deadline passed");
	else if (ri->hurried)
		fprintf(f, "; the final flush was hurried by a second signal");
	fprintf(f, "\n");
	if (ri->workers > 1) {
		fprintf(f, "workers     ");
		for (i = 0; i < ri->workers && i < SF_REPORT_MAX_WORKERS; i++)
			fprintf(f, " %u: %" PRIu64 " packets (%.1f%%)%s", i, ri->worker_packets[i],
					s->received ? 100.0 * (double)ri->worker_packets[i] /
					(double)s->received : 0.0, i + 1 < ri->workers ? "," : "\n");
	}
	if (s->underlay_packets != 0 || ri->underlay_lost != 0) {
		fprintf(f, "underlay     %" PRIu64 " tunnelled packets also in their outer flows, "
				"%s of outer IP", s->underlay_packets,
				human(b2, sizeof(b2), (double)s->underlay_bytes, "B"));
		if (ri->underlay_lost != 0)
			fprintf(f, "; LOST %" PRIu64 " to full worker rings", ri->underlay_lost);
		fputc('\n', f);
	}
	print_protocols(f, s);
	print_encaps(f, s);
	print_tunnels(f, t);
	print_names(f, t);
	print_tcp(f, t);
	print_conn_states(f, s);
	print_top_flows(f, t);
	print_talkers(f, t);
}
