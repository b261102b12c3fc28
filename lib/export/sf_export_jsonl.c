/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_export.h"
#include "sf_export_fmt.h"
#include "sf_fields.h"

struct sf_jsonl {
	struct sf_rotfile *rf;
	uint64_t interval_ns;
	uint64_t lines;
};

/* A small appender that never overflows: output is cut at len - 1. */
struct out {
	char *p;
	size_t len;
	size_t n;
};

static void
out_raw(struct out *o, const char *s, size_t k)
{
	if (o->n < o->len) {
		size_t room = o->len - 1 - o->n;

		memcpy(o->p + o->n, s, k < room ? k : room);
	}
	o->n += k;
}

static void
out_str(struct out *o, const char *s)
{
	out_raw(o, s, strlen(s));
}

static void
out_u64(struct out *o, uint64_t v)
{
	char tmp[SF_FMT_MAX_U64];

	out_raw(o, tmp, (size_t)(sf_fmt_u64(tmp, v) - tmp));
}

static void
out_addr(struct out *o, uint8_t ipver, const uint8_t *a)
{
	char s[SF_FMT_MAX_ADDR + 2];
	char *e = s;

	*e++ = '"';
	e = sf_fmt_addr(e, ipver, a);
	*e++ = '"';
	out_raw(o, s, (size_t)(e - s));
}

static void
out_end(struct out *o)
{
	o->p[o->n < o->len ? o->n : o->len - 1] = '\0';
}

/*
 * The longest record line the field list can give (every value taken as
 * quoted); a record is written straight into a buffer of this size,
 * without a bounds check per value.
 */
#define SF_X_JMAX(name, kind, expr, ie4, ie6, rev) \
	+ sizeof(",\"" #name "\":") - 1 + SF_FMT_MAX_ ## kind + 2
#define JSONL_RECORD_MAX (SF_FLOW_FIELDS(SF_X_JMAX) + 1)
_Static_assert(JSONL_RECORD_MAX < SF_ROTFILE_UNIT_MAX, "a record line is one unit");

#define JPUT_TIME(p, r, v) p = sf_fmt_u64(p, (uint64_t)(v))
#define JPUT_U64 JPUT_TIME
#define JPUT_U32 JPUT_TIME
#define JPUT_U16 JPUT_TIME
#define JPUT_U8 JPUT_TIME
#define JPUT_ADDR(p, r, v) do { \
		*p++ = '"'; \
		p = sf_fmt_addr(p, (r)->key.ipver, (v)); \
		*p++ = '"'; \
	} while (0)
#define JPUT_REASON(p, r, v) do { \
		*p++ = '"'; \
		p = sf_fmt_reason(p, (v)); \
		*p++ = '"'; \
	} while (0)

/* The record at p (room for JSONL_RECORD_MAX); returns the end. */
static char *
put_record(char *p, const struct sf_flow_record *r)
{
	char *start = p;

	/* Every key comes with a comma before it; the first one becomes '{'. */
#define SF_X_JSON(name, kind, expr, ie4, ie6, rev) \
	p = SF_FMT_LIT(p, ",\"" #name "\":"); \
	JPUT_ ## kind(p, r, expr);
	SF_FLOW_FIELDS(SF_X_JSON)
#undef SF_X_JSON
	*start = '{';
	*p++ = '}';
	return p;
}

size_t
sf_jsonl_format_record(char *buf, size_t len, const struct sf_flow_record *r)
{
	char tmp[JSONL_RECORD_MAX];

	return sf_fmt_record_bounded(buf, len, tmp, sizeof(tmp), put_record, r);
}

struct sf_jsonl *
sf_jsonl_open(const char *path, uint64_t interval_ns, const struct sf_rotate *rot,
		char *err, size_t errlen)
{
	struct sf_jsonl *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	j->interval_ns = interval_ns;
	j->rf = sf_rotfile_open(path, NULL, rot, err, errlen);
	if (j->rf == NULL) {
		free(j);
		return NULL;
	}
	return j;
}

static void
write_line(struct sf_jsonl *j, const char *s, size_t n)
{
	sf_rotfile_write(j->rf, s, n);
	j->lines++;
}

void
sf_jsonl_write_record(void *arg, const struct sf_flow_record *r)
{
	struct sf_jsonl *j = arg;
	char *line = sf_rotfile_reserve(j->rf, JSONL_RECORD_MAX + 1);
	char *e = put_record(line, r);

	*e++ = '\n';
	sf_rotfile_commit(j->rf, (size_t)(e - line));
	j->lines++;
}

static void
out_topk(struct out *o, const struct sf_flow_topk *t)
{
	bool lo_src = t->initiator == SF_DIR_LO;

	out_str(o, "{\"src_addr\":");
	out_addr(o, t->key.ipver, lo_src ? t->key.addr_lo : t->key.addr_hi);
	out_str(o, ",\"src_port\":");
	out_u64(o, lo_src ? t->key.port_lo : t->key.port_hi);
	out_str(o, ",\"dst_addr\":");
	out_addr(o, t->key.ipver, lo_src ? t->key.addr_hi : t->key.addr_lo);
	out_str(o, ",\"dst_port\":");
	out_u64(o, lo_src ? t->key.port_hi : t->key.port_lo);
	out_str(o, ",\"proto\":");
	out_u64(o, t->key.proto);
	out_str(o, ",\"vlan\":");
	out_u64(o, t->key.vlan);
	out_str(o, ",\"packets\":");
	out_u64(o, t->packets);
	out_str(o, ",\"bytes\":");
	out_u64(o, t->bytes);
	out_str(o, "}");
}

void
sf_jsonl_write_interval(void *arg, const struct sf_interval_agg *a)
{
	struct sf_jsonl *j = arg;
	static char line[64 * 1024];
	struct out o = { line, sizeof(line) - 1, 0 };
	const char *sep = "";
	unsigned int i;

	out_str(&o, "{\"interval_start_ns\":");
	out_u64(&o, a->interval * j->interval_ns);
	out_str(&o, ",\"interval_ns\":");
	out_u64(&o, j->interval_ns);
	out_str(&o, ",\"received\":");
	out_u64(&o, a->received);
	out_str(&o, ",\"packets\":");
	out_u64(&o, a->flowed);
	out_str(&o, ",\"bytes\":");
	out_u64(&o, a->bytes);
	out_str(&o, ",\"ipv4_packets\":");
	out_u64(&o, a->ipv4_packets);
	out_str(&o, ",\"ipv6_packets\":");
	out_u64(&o, a->ipv6_packets);
	out_str(&o, ",\"filtered\":");
	out_u64(&o, a->filtered);
	out_str(&o, ",\"nonflow\":");
	out_u64(&o, a->nonflow);
	out_str(&o, ",\"malformed\":");
	out_u64(&o, a->malformed);
	out_str(&o, ",\"malformed_by_reason\":{");
	for (i = 1; i < SF_PKT_BAD_MAX; i++) {
		if (a->malformed_by[i] == 0)
			continue;
		out_str(&o, sep);
		out_str(&o, "\"");
		out_str(&o, sf_pkt_malformed_name(i));
		out_str(&o, "\":");
		out_u64(&o, a->malformed_by[i]);
		sep = ",";
	}
	out_str(&o, "},\"dropped\":");
	out_u64(&o, sf_drop_total(a->dropped));
	out_str(&o, ",\"records_lost\":");
	out_u64(&o, a->records_lost);
	out_str(&o, ",\"flows\":{\"new\":");
	out_u64(&o, a->flows_new);
	out_str(&o, ",\"ended\":");
	{
		uint64_t e = 0;

		for (i = 0; i < SF_END_MAX; i++)
			e += a->flows_ended[i];
		out_u64(&o, e);
	}
	out_str(&o, ",\"active\":");
	out_u64(&o, a->flows_active);
	out_str(&o, "},\"ended_by_reason\":{");
	for (i = 0; i < SF_END_MAX; i++) {
		out_str(&o, i ? ",\"" : "\"");
		out_str(&o, sf_end_reason_name(i));
		out_str(&o, "\":");
		out_u64(&o, a->flows_ended[i]);
	}
	out_str(&o, "},\"protocols\":[");
	sep = "";
	for (i = 0; i < 256; i++) {
		if (a->proto_packets[i] == 0)
			continue;
		out_str(&o, sep);
		out_str(&o, "{\"proto\":");
		out_u64(&o, i);
		out_str(&o, ",\"packets\":");
		out_u64(&o, a->proto_packets[i]);
		out_str(&o, ",\"bytes\":");
		out_u64(&o, a->proto_bytes[i]);
		out_str(&o, "}");
		sep = ",";
	}
	out_str(&o, "],\"top_flows\":[");
	for (i = 0; i < a->ntop && i < SF_TOPK; i++) {
		if (i)
			out_str(&o, ",");
		out_topk(&o, &a->top[i]);
	}
	out_str(&o, "]}\n");
	out_end(&o);
	write_line(j, line, strlen(line));
}

int
sf_jsonl_close(struct sf_jsonl *j, char *err, size_t errlen)
{
	int ret;

	if (j == NULL)
		return 0;
	ret = sf_rotfile_close(j->rf, err, errlen);
	free(j);
	return ret;
}

/* Exporters: output.flows and output.intervals */

static int
jsonl_open(const char *path, const struct sf_config *cfg, void **x, char *err, size_t errlen)
{
	struct sf_rotate rot = { cfg->rotate_size, cfg->rotate_interval_ns };

	*x = NULL;
	if (path[0] == '\0')
		return 0;
	*x = sf_jsonl_open(path, cfg->interval_ns, &rot, err, errlen);
	return *x != NULL ? 0 : -1;
}

static int
flows_open(const struct sf_config *cfg, void **x, char *err, size_t errlen)
{
	return jsonl_open(cfg->flows_path, cfg, x, err, errlen);
}

static int
intervals_open(const struct sf_config *cfg, void **x, char *err, size_t errlen)
{
	return jsonl_open(cfg->intervals_path, cfg, x, err, errlen);
}

static int
jsonl_finish(void *x, char *err, size_t errlen)
{
	struct sf_jsonl *j = x;
	int ret = sf_rotfile_close(j->rf, err, errlen);

	j->rf = NULL;
	return ret < 0 ? -1 : 0;
}

static void
jsonl_stats(const void *x, struct sf_exporter_stats *st)
{
	const struct sf_jsonl *j = x;

	st->written = j->lines;
	st->lost = 0;
}

const struct sf_exporter_ops sf_exporter_jsonl_flows = {
	.name = "flows",
	.open = flows_open,
	.record = sf_jsonl_write_record,
	.close = jsonl_finish,
	.stats = jsonl_stats,
	.free = free,
};

const struct sf_exporter_ops sf_exporter_jsonl_intervals = {
	.name = "intervals",
	.open = intervals_open,
	.interval = sf_jsonl_write_interval,
	.close = jsonl_finish,
	.stats = jsonl_stats,
	.free = free,
};
