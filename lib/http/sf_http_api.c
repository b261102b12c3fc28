/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request handling: routes, JSON and Prometheus rendering from one
 * snapshot. Runs on MHD's thread only; reads nothing but the snapshot it
 * holds a reference to and the const configuration.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sf_common.h"
#include "sf_export.h"
#include "sf_http_priv.h"
#include "sf_pkt.h"

/* A growing output buffer; on out of memory it stays marked and short. */
struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void
bput(struct buf *b, const char *s, size_t k)
{
	if (b->oom)
		return;
	if (b->n + k + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *np;

		while (ncap < b->n + k + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, k);
	b->n += k;
	b->p[b->n] = '\0';
}

static void
bs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
bf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k > 0)
		bput(b, tmp, (size_t)k < sizeof(tmp) ? (size_t)k : sizeof(tmp) - 1);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned int n, cp, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the terminator */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
			(cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

/*
 * A JSON string, escaped. Error messages quote what a client sent (any
 * bytes, possibly cut mid-character): bytes that are not UTF-8 become
 * U+FFFD so the document stays valid JSON.
 */
static void
bjs(struct buf *b, const char *s)
{
	bs(b, "\"");
	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;
		size_t k = utf8_len((const unsigned char *)s);

		if (c == '"' || c == '\\')
			bf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			bf(b, "\\u%04x", c);
		else if (k == 0)
			bs(b, "\\ufffd");
		else
			bput(b, s, k);
		s += k ? k : 1;
	}
	bs(b, "\"");
}

static void
baddr(struct buf *b, uint8_t ipver, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, a, s, sizeof(s)) == NULL)
		snprintf(s, sizeof(s), "?");
	bjs(b, s);
}

static double
interval_s(const struct sf_http *h)
{
	return (double)sf_http_params_of(h)->cfg->interval_ns / 1e9;
}

static uint64_t
sum_dropped(const struct sf_interval_agg *a)
{
	return sf_drop_total(a->dropped);
}

static uint64_t
sum_ended(const struct sf_interval_agg *a)
{
	uint64_t e = 0;
	unsigned int i;

	for (i = 0; i < SF_END_MAX; i++)
		e += a->flows_ended[i];
	return e;
}

static const char *
proto_name(unsigned int p)
{
	switch (p) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case 41: return "ipv6";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmpv6";
	case 89: return "ospf";
	case 132: return "sctp";
	default: return "";
	}
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

static void
counts_json(struct buf *b, const struct sf_interval_agg *a)
{
	bf(b, "\"received\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"filtered\":%" PRIu64 ",\"nonflow\":%" PRIu64 ",\"malformed\":%" PRIu64
			",\"dropped\":%" PRIu64 ",\"records_lost\":%" PRIu64,
			a->received, a->flowed, a->bytes, a->filtered, a->nonflow, a->malformed,
			sum_dropped(a), a->records_lost);
}

static int
ep_summary(struct req *r, struct buf *b)
{
	const struct sf_snap *s = r->s;
	const struct sf_interval_agg *sum = &s->tot.sum;
	const struct sf_http_params *p = sf_http_params_of(r->h);
	double isec = interval_s(r->h), span;
	uint64_t accounted;
	unsigned int i;

	accounted = sum->flowed + sum->filtered + sum->nonflow + sum->malformed +
		sum_dropped(sum);
	bs(b, "{\"input\":");
	bjs(b, p->input != NULL ? p->input : "");
	bf(b, ",\"live\":%s,\"finished\":%s,\"workers\":%u,\"uptime_s\":%.3f"
			",\"snapshot\":{\"seq\":%" PRIu64 ",\"published_ns\":%" PRIu64 "}"
			",\"interval_ns\":%" PRIu64 ",\"intervals\":%" PRIu64,
			p->live ? "true" : "false", s->st.finished ? "true" : "false",
			s->st.n_workers, (double)s->uptime_ns / 1e9, s->seq, s->wall_ns,
			p->cfg->interval_ns, s->tot.intervals);
	if (s->tot.intervals != 0)
		bf(b, ",\"first_interval_start_ns\":%" PRIu64 ",\"last_interval_start_ns\":%"
				PRIu64, s->tot.first_interval * p->cfg->interval_ns,
				s->tot.last_interval * p->cfg->interval_ns);
	bs(b, ",\"totals\":{");
	counts_json(b, sum);
	bf(b, ",\"ipv4_packets\":%" PRIu64 ",\"ipv6_packets\":%" PRIu64
			",\"flows_new\":%" PRIu64 ",\"flows_ended\":%" PRIu64
			",\"records\":%" PRIu64 ",\"hosts\":%" PRIu64 ",\"hosts_exact\":%s}",
			sum->ipv4_packets, sum->ipv6_packets, sum->flows_new, sum_ended(sum),
			s->tot.records, s->tot.hosts, s->tot.talkers_exact ? "true" : "false");
	bs(b, ",\"dropped_by_reason\":{");
	for (i = 0; i < SF_DROP_MAX; i++)
		bf(b, "%s\"%s\":%" PRIu64, i ? "," : "", sf_drop_reason_name(i),
				sum->dropped[i]);
	bs(b, "},\"malformed_by_reason\":{");
	for (i = 1; i < SF_PKT_BAD_MAX; i++)
		bf(b, "%s\"%s\":%" PRIu64, i > 1 ? "," : "", sf_pkt_malformed_name(i),
				sum->malformed_by[i]);
	bf(b, "},\"conservation\":{\"input_received\":%" PRIu64 ",\"accounted\":%" PRIu64
			",\"ok\":%s,\"formula\":\"received = packets + filtered + nonflow + "
			"malformed + dropped\"}", s->st.src.received, accounted,
			accounted == s->st.src.received &&
			sum->received + sum_dropped(sum) == accounted ? "true" : "false");
	/* Rates in packet time: the newest finalized interval, and over the span. */
	bs(b, ",\"rates\":{\"last_interval\":");
	if (s->n_iv != 0) {
		const struct sf_interval_agg *a = &s->iv[s->n_iv - 1]->agg;

		bf(b, "{\"start_ns\":%" PRIu64 ",\"packets_per_s\":%.3f,\"bits_per_s\":%.3f}",
				a->interval * p->cfg->interval_ns, (double)a->flowed / isec,
				(double)a->bytes * 8 / isec);
	} else {
		bs(b, "null");
	}
	span = s->tot.intervals != 0 ?
		(double)(s->tot.last_interval - s->tot.first_interval + 1) * isec : 0;
	if (span > 0)
		bf(b, ",\"average\":{\"packets_per_s\":%.3f,\"bits_per_s\":%.3f}}",
				(double)sum->flowed / span, (double)sum->bytes * 8 / span);
	else
		bs(b, ",\"average\":null}");
	/* The interval in progress: read, not yet in a finalized interval. */
	bf(b, ",\"in_progress\":{\"input_received\":%" PRIu64 ",\"not_final\":%" PRIu64 "}",
			s->st.src.received, s->st.src.received > accounted ?
			s->st.src.received - accounted : 0);
	bf(b, ",\"interval_lag_s\":%.6f}\n", (double)s->lag_ns / 1e9);
	return 0;
}

static void
topk_json(struct buf *b, const struct sf_flow_topk *t)
{
	bool lo_src = t->initiator == SF_DIR_LO;

	bs(b, "{\"src_addr\":");
	baddr(b, t->key.ipver, lo_src ? t->key.addr_lo : t->key.addr_hi);
	bf(b, ",\"src_port\":%u,\"dst_addr\":", lo_src ? t->key.port_lo : t->key.port_hi);
	baddr(b, t->key.ipver, lo_src ? t->key.addr_hi : t->key.addr_lo);
	bf(b, ",\"dst_port\":%u,\"proto\":%u,\"vlan\":%u,\"packets\":%" PRIu64
			",\"bytes\":%" PRIu64 "}", lo_src ? t->key.port_hi : t->key.port_lo,
			t->key.proto, t->key.vlan, t->packets, t->bytes);
}

/* One interval, with the keys of the interval JSON lines output. */
static void
interval_json(struct buf *b, const struct sf_interval_agg *a, uint64_t interval_ns)
{
	unsigned int i;
	const char *sep = "";

	bf(b, "{\"interval_start_ns\":%" PRIu64 ",\"interval_ns\":%" PRIu64 ",",
			a->interval * interval_ns, interval_ns);
	counts_json(b, a);
	bf(b, ",\"ipv4_packets\":%" PRIu64 ",\"ipv6_packets\":%" PRIu64
			",\"malformed_by_reason\":{", a->ipv4_packets, a->ipv6_packets);
	for (i = 1; i < SF_PKT_BAD_MAX; i++) {
		if (a->malformed_by[i] == 0)
			continue;
		bf(b, "%s\"%s\":%" PRIu64, sep, sf_pkt_malformed_name(i), a->malformed_by[i]);
		sep = ",";
	}
	bf(b, "},\"flows\":{\"new\":%" PRIu64 ",\"ended\":%" PRIu64 ",\"active\":%" PRIu64
			"},\"ended_by_reason\":{", a->flows_new, sum_ended(a), a->flows_active);
	for (i = 0; i < SF_END_MAX; i++)
		bf(b, "%s\"%s\":%" PRIu64, i ? "," : "", sf_end_reason_name(i),
				a->flows_ended[i]);
	bs(b, "},\"protocols\":[");
	sep = "";
	for (i = 0; i < 256; i++) {
		if (a->proto_packets[i] == 0)
			continue;
		bf(b, "%s{\"proto\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", sep, i,
				a->proto_packets[i], a->proto_bytes[i]);
		sep = ",";
	}
	bs(b, "],\"top_flows\":[");
	for (i = 0; i < a->ntop && i < SF_TOPK; i++) {
		if (i)
			bs(b, ",");
		topk_json(b, &a->top[i]);
	}
	bs(b, "]}");
}

static int
ep_intervals(struct req *r, struct buf *b)
{
	const struct sf_snap *s = r->s;
	uint64_t ins = sf_http_params_of(r->h)->cfg->interval_ns;
	unsigned int n, i, first;
	int st = get_uint(r, "last", s->n_iv ? s->n_iv : 1, 1000000, &n);

	if (st != 0)
		return st;
	first = n < s->n_iv ? s->n_iv - n : 0;
	bf(b, "{\"interval_ns\":%" PRIu64 ",\"kept\":%u,\"intervals\":[", ins, s->n_iv);
	for (i = first; i < s->n_iv; i++) {
		if (i != first)
			bs(b, ",");
		interval_json(b, &s->iv[i]->agg, ins);
	}
	bs(b, "]}\n");
	return 0;
}

static int
ep_flows_top(struct req *r, struct buf *b)
{
	const struct sf_snap *s = r->s;
	const char *by = get_arg(r, "by");
	uint64_t ins = sf_http_params_of(r->h)->cfg->interval_ns;
	int k = SF_HTTP_BY_BYTES, st;
	unsigned int n, i, j, order[SF_TOPK];
	char line[1024];

	if (by != NULL && strcmp(by, "packets") == 0)
		k = SF_HTTP_BY_PACKETS;
	else if (by != NULL && strcmp(by, "bytes") != 0) {
		snprintf(r->msg, sizeof(r->msg), "by: '%.32s' is unknown; expected bytes or "
				"packets", by);
		return 400;
	}
	st = get_uint(r, "n", SF_TOPK, SF_TOPK, &n);
	if (st != 0)
		return st;
	bf(b, "{\"by\":\"%s\",\"n\":%u,\"run\":[", k == SF_HTTP_BY_PACKETS ? "packets" : "bytes",
			n);
	for (i = 0; i < s->ntop[k] && i < n; i++) {
		sf_jsonl_format_record(line, sizeof(line), &s->top[k][i]);
		bs(b, i ? "," : "");
		bs(b, line);
	}
	bs(b, "],\"interval\":");
	if (s->n_iv == 0) {
		bs(b, "null}\n");
		return 0;
	}
	{
		const struct sf_interval_agg *a = &s->iv[s->n_iv - 1]->agg;
		unsigned int m = RTE_MIN(a->ntop, (uint32_t)SF_TOPK);

		/* The interval list is the top by bytes; by=packets orders that list. */
		for (i = 0; i < m; i++)
			order[i] = i;
		for (i = 1; k == SF_HTTP_BY_PACKETS && i < m; i++)
			for (j = i; j > 0 && a->top[order[j]].packets >
					a->top[order[j - 1]].packets; j--) {
				unsigned int t = order[j];

				order[j] = order[j - 1];
				order[j - 1] = t;
			}
		bf(b, "{\"interval_start_ns\":%" PRIu64 ",\"flows\":[", a->interval * ins);
		for (i = 0; i < m && i < n; i++) {
			if (i)
				bs(b, ",");
			topk_json(b, &a->top[order[i]]);
		}
		bs(b, "]}}\n");
	}
	return 0;
}

static int
ep_talkers(struct req *r, struct buf *b)
{
	const struct sf_snap *s = r->s;
	unsigned int n, i;
	int st = get_uint(r, "n", SF_TOPK, SF_TOPK, &n);

	if (st != 0)
		return st;
	bf(b, "{\"by\":\"bytes\",\"hosts\":%" PRIu64 ",\"exact\":%s,\"talkers\":[",
			s->tot.hosts, s->tot.talkers_exact ? "true" : "false");
	for (i = 0; i < s->tot.ntalkers && i < n; i++) {
		const struct sf_talker *t = &s->tot.talkers[i];

		bs(b, i ? ",{\"addr\":" : "{\"addr\":");
		baddr(b, t->ipver, t->addr);
		bf(b, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"bytes_error\":%"
				PRIu64 ",\"flows\":%" PRIu64 "}",
				t->packets, t->bytes, t->bytes_err, t->flows);
	}
	bs(b, "]}\n");
	return 0;
}

static int
ep_ports(struct req *r, struct buf *b)
{
	const struct sf_snap *s = r->s;
	unsigned int n, i;
	int st = get_uint(r, "n", SF_TOPK, SF_TOPK, &n);

	if (st != 0)
		return st;
	bs(b, "{\"by\":\"bytes\",\"ports\":[");
	for (i = 0; i < s->nports && i < n; i++) {
		const struct sf_snap_port *p = &s->ports[i];

		bf(b, "%s{\"proto\":%u,\"name\":\"%s\",\"port\":%u,\"packets\":%" PRIu64
				",\"bytes\":%" PRIu64 ",\"flows\":%" PRIu64 "}", i ? "," : "",
				p->proto, proto_name(p->proto), p->port, p->packets, p->bytes,
				p->flows);
	}
	bs(b, "]}\n");
	return 0;
}

static int
ep_protocols(struct req *r, struct buf *b)
{
	const struct sf_interval_agg *a = &r->s->tot.sum;
	unsigned int order[256], n = 0, i, j;

	for (i = 0; i < 256; i++)
		if (a->proto_packets[i] != 0)
			order[n++] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && a->proto_bytes[order[j]] > a->proto_bytes[order[j - 1]];
				j--) {
			unsigned int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	bf(b, "{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"protocols\":[",
			a->flowed, a->bytes);
	for (i = 0; i < n; i++)
		bf(b, "%s{\"proto\":%u,\"name\":\"%s\",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
				"}", i ? "," : "", order[i], proto_name(order[i]),
				a->proto_packets[order[i]], a->proto_bytes[order[i]]);
	bs(b, "]}\n");
	return 0;
}

static int
ep_workers(struct req *r, struct buf *b)
{
	const struct sf_http_state *st = &r->s->st;
	unsigned int i;

	bs(b, "{\"workers\":[");
	for (i = 0; i < st->n_workers; i++) {
		const struct sf_http_worker *w = &st->w[i];

		bf(b, "%s{\"id\":%u,\"lcore\":%u,\"packets\":%" PRIu64
				",\"flows_active\":%" PRIu64 ",\"capacity\":%" PRIu64
				",\"table_fill\":%.6f,\"evictions\":%" PRIu64
				",\"ring_used\":%" PRIu64 ",\"ring_size\":%" PRIu64
				",\"ring_drops\":%" PRIu64 "}", i ? "," : "", i, w->lcore,
				w->packets, w->flows_active, w->capacity, w->capacity ?
				(double)w->flows_active / (double)w->capacity : 0.0, w->evictions,
				w->ring_used, w->ring_size, w->msgs_lost);
	}
	bs(b, "]}\n");
	return 0;
}

/*
 * The effective configuration as JSON, from the YAML dump (one source of
 * truth for keys and forms): {"section.key": value}. Lists become arrays,
 * true/false booleans, plain integers numbers, anything else a string.
 * The token is never shown.
 */
static void
yaml_scalar_json(struct buf *b, const char **pp)
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
		bjs(b, tmp);
	} else {
		while (*p != '\0' && *p != ',' && *p != ']' && !(p[0] == ' ' && p[1] == ' ') &&
				n + 1 < sizeof(tmp))
			tmp[n++] = *p++;
		tmp[n] = '\0';
		if (strcmp(tmp, "true") == 0 || strcmp(tmp, "false") == 0 ||
				(n > 0 && n < 20 && strspn(tmp, "0123456789") == n))
			bs(b, tmp);
		else
			bjs(b, tmp);
	}
	*pp = p;
}

static int
ep_config(struct req *r, struct buf *b)
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
	bs(b, "{");
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
		bs(b, first ? "" : ",");
		first = false;
		bjs(b, key);
		bs(b, ":");
		p = colon + 2;
		if (strcmp(key, "http.token") == 0) {
			bs(b, cfg->http_token[0] ? "\"(set)\"" : "\"\"");
		} else if (*p == '[') {
			bs(b, "[");
			for (p++; *p != ']' && *p != '\0';) {
				yaml_scalar_json(b, &p);
				if (*p == ',') {
					bs(b, ",");
					p++;
					while (*p == ' ')
						p++;
				}
			}
			bs(b, "]");
		} else {
			yaml_scalar_json(b, &p);
		}
	}
	bs(b, "}\n");
	free(text);
	return 0;
}

/* Prometheus text exposition format 0.0.4 */

static void
prom_head(struct buf *b, const char *name, const char *type, const char *help)
{
	bf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
prom_label_value(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			bf(b, "\\%c", *v);
		else if (*v == '\n')
			bs(b, "\\n");
		else
			bput(b, v, 1);
	}
}

static int
ep_metrics(struct req *r, struct buf *b)
{
	const struct sf_snap *s = r->s;
	const struct sf_interval_agg *a = &s->tot.sum;
	const struct sf_http_params *p = sf_http_params_of(r->h);
	const struct sf_http_state *st = &s->st;
	uint64_t active = 0;
	unsigned int i;

	prom_head(b, "spanflow_info", "gauge", "Build and input of this spanflow process.");
	bs(b, "spanflow_info{version=\"" SF_VERSION "\",input=\"");
	prom_label_value(b, p->input != NULL ? p->input : "");
	bf(b, "\",live=\"%s\"} 1\n", p->live ? "true" : "false");
	prom_head(b, "spanflow_uptime_seconds", "gauge", "Seconds since the server started.");
	bf(b, "spanflow_uptime_seconds %.3f\n", (double)s->uptime_ns / 1e9);
	prom_head(b, "spanflow_input_packets_total", "counter",
			"Packets read from the input (live: at the last snapshot).");
	bf(b, "spanflow_input_packets_total %" PRIu64 "\n", st->src.received);
	prom_head(b, "spanflow_packets_total", "counter",
			"Packets of finalized intervals by outcome; with drops they add up to "
			"the input packets.");
	bf(b, "spanflow_packets_total{outcome=\"flow\"} %" PRIu64 "\n", a->flowed);
	bf(b, "spanflow_packets_total{outcome=\"filtered\"} %" PRIu64 "\n", a->filtered);
	bf(b, "spanflow_packets_total{outcome=\"nonflow\"} %" PRIu64 "\n", a->nonflow);
	bf(b, "spanflow_packets_total{outcome=\"malformed\"} %" PRIu64 "\n", a->malformed);
	prom_head(b, "spanflow_packets_dropped_total", "counter",
			"Packets lost before a flow table, by reason (finalized intervals).");
	for (i = 0; i < SF_DROP_MAX; i++)
		bf(b, "spanflow_packets_dropped_total{reason=\"%s\"} %" PRIu64 "\n",
				sf_drop_reason_name(i), a->dropped[i]);
	prom_head(b, "spanflow_malformed_packets_total", "counter",
			"Malformed packets by reason (finalized intervals).");
	for (i = 1; i < SF_PKT_BAD_MAX; i++)
		bf(b, "spanflow_malformed_packets_total{reason=\"%s\"} %" PRIu64 "\n",
				sf_pkt_malformed_name(i), a->malformed_by[i]);
	prom_head(b, "spanflow_flow_bytes_total", "counter",
			"IP bytes of the packets counted in flows (finalized intervals).");
	bf(b, "spanflow_flow_bytes_total %" PRIu64 "\n", a->bytes);
	prom_head(b, "spanflow_protocol_packets_total", "counter",
			"Packets in flows by IP protocol number (finalized intervals).");
	for (i = 0; i < 256; i++)
		if (a->proto_packets[i] != 0)
			bf(b, "spanflow_protocol_packets_total{proto=\"%u\"} %" PRIu64 "\n", i,
					a->proto_packets[i]);
	prom_head(b, "spanflow_protocol_bytes_total", "counter",
			"IP bytes in flows by IP protocol number (finalized intervals).");
	for (i = 0; i < 256; i++)
		if (a->proto_packets[i] != 0)
			bf(b, "spanflow_protocol_bytes_total{proto=\"%u\"} %" PRIu64 "\n", i,
					a->proto_bytes[i]);
	prom_head(b, "spanflow_flows_created_total", "counter", "Flows created.");
	bf(b, "spanflow_flows_created_total %" PRIu64 "\n", a->flows_new);
	prom_head(b, "spanflow_flow_records_total", "counter",
			"Flow records exported, by end reason.");
	for (i = 0; i < SF_END_MAX; i++)
		bf(b, "spanflow_flow_records_total{reason=\"%s\"} %" PRIu64 "\n",
				sf_end_reason_name(i), a->flows_ended[i]);
	prom_head(b, "spanflow_flow_records_lost_total", "counter",
			"Flow records dropped on a full ring or pool.");
	bf(b, "spanflow_flow_records_lost_total %" PRIu64 "\n", a->records_lost);
	for (i = 0; i < st->n_workers; i++)
		active += st->w[i].flows_active;
	prom_head(b, "spanflow_flows_active", "gauge", "Flows in the flow tables now.");
	bf(b, "spanflow_flows_active %" PRIu64 "\n", active);
	prom_head(b, "spanflow_intervals_total", "counter", "Finalized intervals.");
	bf(b, "spanflow_intervals_total %" PRIu64 "\n", s->intervals);
	prom_head(b, "spanflow_interval_lag_seconds", "gauge",
			"Live input: wall-clock delay between the end of the newest interval "
			"and its finalization; 0 for files.");
	bf(b, "spanflow_interval_lag_seconds %.6f\n", (double)s->lag_ns / 1e9);
	prom_head(b, "spanflow_snapshot_age_seconds", "gauge",
			"Seconds since the summaries served were published.");
	{
		struct timespec ts;
		uint64_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * SF_NS_PER_S + (uint64_t)ts.tv_nsec;
		bf(b, "spanflow_snapshot_age_seconds %.6f\n",
				now > s->wall_ns ? (double)(now - s->wall_ns) / 1e9 : 0.0);
	}
	prom_head(b, "spanflow_worker_packets_total", "counter", "Packets per worker lcore.");
	for (i = 0; i < st->n_workers; i++)
		bf(b, "spanflow_worker_packets_total{worker=\"%u\"} %" PRIu64 "\n", i,
				st->w[i].packets);
	prom_head(b, "spanflow_flow_table_flows", "gauge", "Flows in each worker's table.");
	for (i = 0; i < st->n_workers; i++)
		bf(b, "spanflow_flow_table_flows{worker=\"%u\"} %" PRIu64 "\n", i,
				st->w[i].flows_active);
	prom_head(b, "spanflow_flow_table_fill_ratio", "gauge",
			"Flows in each worker's table over its capacity.");
	for (i = 0; i < st->n_workers; i++)
		bf(b, "spanflow_flow_table_fill_ratio{worker=\"%u\"} %.6f\n", i,
				st->w[i].capacity ? (double)st->w[i].flows_active /
				(double)st->w[i].capacity : 0.0);
	prom_head(b, "spanflow_flow_table_evictions_total", "counter",
			"Flows evicted from a full table, per worker.");
	for (i = 0; i < st->n_workers; i++)
		bf(b, "spanflow_flow_table_evictions_total{worker=\"%u\"} %" PRIu64 "\n", i,
				st->w[i].evictions);
	prom_head(b, "spanflow_ring_occupancy_ratio", "gauge",
			"Messages waiting in each worker->collector ring over its size.");
	for (i = 0; i < st->n_workers; i++)
		bf(b, "spanflow_ring_occupancy_ratio{worker=\"%u\"} %.6f\n", i,
				st->w[i].ring_size ? (double)st->w[i].ring_used /
				(double)st->w[i].ring_size : 0.0);
	prom_head(b, "spanflow_ring_messages_dropped_total", "counter",
			"Worker->collector messages dropped on a full ring or pool.");
	for (i = 0; i < st->n_workers; i++)
		bf(b, "spanflow_ring_messages_dropped_total{worker=\"%u\"} %" PRIu64 "\n", i,
				st->w[i].msgs_lost);
	return 0;
}

/* Dispatch */

struct route {
	const char *path;
	int (*fn)(struct req *r, struct buf *b);
	const char *type;
};

static const struct route routes[] = {
	{ "/api/v1/summary", ep_summary, "application/json" },
	{ "/api/v1/intervals", ep_intervals, "application/json" },
	{ "/api/v1/flows/top", ep_flows_top, "application/json" },
	{ "/api/v1/talkers/top", ep_talkers, "application/json" },
	{ "/api/v1/ports/top", ep_ports, "application/json" },
	{ "/api/v1/protocols", ep_protocols, "application/json" },
	{ "/api/v1/workers", ep_workers, "application/json" },
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
	struct buf b = { 0 };

	bf(&b, "{\"error\":");
	bjs(&b, what);
	bf(&b, ",\"status\":%u}\n", status);
	if (b.oom) {
		free(b.p);
		return MHD_NO;
	}
	return send_buf(conn, status, "application/json", b.p, b.n, true);
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
	struct buf b = { 0 };
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
	if (!authorized(h, conn))
		return send_error(conn, MHD_HTTP_UNAUTHORIZED,
				"missing or wrong bearer token (Authorization: Bearer TOKEN)");
	for (i = 0; i < RTE_DIM(routes); i++)
		if (strcmp(url, routes[i].path) == 0)
			rt = &routes[i];
	if (rt == NULL)
		return send_error(conn, MHD_HTTP_NOT_FOUND, "unknown path; see /api/v1/summary, "
				"/api/v1/intervals, /api/v1/flows/top, /api/v1/talkers/top, "
				"/api/v1/ports/top, /api/v1/protocols, /api/v1/workers, "
				"/api/v1/config, /metrics or /");
	memset(&r, 0, sizeof(r));
	r.h = h;
	r.conn = conn;
	r.s = sf_snap_get(h);
	if (r.s == NULL)
		return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				"no summary yet: the collector has not published one");
	st = rt->fn(&r, &b);
	sf_snap_put((struct sf_snap *)r.s);
	if (st != 0 || b.oom) {
		free(b.p);
		if (b.oom)
			return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return send_error(conn, (unsigned int)st, r.msg[0] ? r.msg : "internal error");
	}
	return send_buf(conn, MHD_HTTP_OK, rt->type, b.p, b.n, true);
}
