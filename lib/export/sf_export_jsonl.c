/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_agg_json.h"
#include "sf_export.h"
#include "sf_export_fmt.h"
#include "sf_fields.h"

struct sf_jsonl {
	struct sf_rotfile *rf;
	uint64_t interval_ns;
	uint64_t lines;
	struct sf_text iv;	/* an interval line, built in memory */
};

/*
 * The longest record line the field list can give (every value taken as
 * quoted); a record is written straight into a buffer of this size,
 * without a bounds check per value.
 */
#define SF_X_JMAX(name, kind, expr, ie4, ie6, rev) \
	+ sizeof(",\"" #name "\":") - 1 + SF_FMT_MAX_ ## kind + 2
#define JSONL_RECORD_MAX (SF_FLOW_FIELDS(SF_X_JMAX) + 1)
_Static_assert(JSONL_RECORD_MAX < SF_ROTFILE_UNIT_MAX, "a record line is one unit");
_Static_assert(JSONL_RECORD_MAX <= SF_JSONL_RECORD_LEN, "SF_JSONL_RECORD_LEN holds any record");

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

#define JPUT_CTX(p, r, v) do { \
		*p++ = '"'; \
		p = sf_fmt_ctx(p, (v)); \
		*p++ = '"'; \
	} while (0)
#define JPUT_CTXID(p, r, v) p = sf_fmt_u64(p, (v)->key.ctx)
#define JPUT_SAMPLING(p, r, v) do { \
		*p++ = '"'; \
		p = sf_fmt_sampling(p, (v)); \
		*p++ = '"'; \
	} while (0)

/* A key and its value; the tunnel kinds leave out the key of an absent value. */
#define JFIELD(p, key, r, v, kind) do { \
		p = SF_FMT_LIT(p, key); \
		JPUT_ ## kind(p, r, v); \
	} while (0)
#define JFIELD_TIME(p, key, r, v) JFIELD(p, key, r, v, TIME)
#define JFIELD_U64(p, key, r, v) JFIELD(p, key, r, v, U64)
#define JFIELD_U32(p, key, r, v) JFIELD(p, key, r, v, U32)
#define JFIELD_U16(p, key, r, v) JFIELD(p, key, r, v, U16)
#define JFIELD_U8(p, key, r, v) JFIELD(p, key, r, v, U8)
#define JFIELD_ADDR(p, key, r, v) JFIELD(p, key, r, v, ADDR)
#define JFIELD_REASON(p, key, r, v) JFIELD(p, key, r, v, REASON)
#define JFIELD_CTX(p, key, r, v) JFIELD(p, key, r, v, CTX)
#define JFIELD_CTXID(p, key, r, v) JFIELD(p, key, r, v, CTXID)
#define JFIELD_SAMPLING(p, key, r, v) JFIELD(p, key, r, v, SAMPLING)
#define JFIELD_ENCAPS(p, key, r, v) do { \
		if ((v) != 0) { \
			p = SF_FMT_LIT(p, key); \
			*p++ = '"'; \
			p = sf_fmt_encaps(p, (v)); \
			*p++ = '"'; \
		} \
	} while (0)
#define JFIELD_OADDR(p, key, r, v) do { \
		if ((r)->tun.outer_ipver != 0) { \
			p = SF_FMT_LIT(p, key); \
			*p++ = '"'; \
			p = sf_fmt_addr(p, (r)->tun.outer_ipver, (v)); \
			*p++ = '"'; \
		} \
	} while (0)
#define JFIELD_OPT(p, key, r, v) do { \
		int64_t opt_ = (v); \
		if (opt_ >= 0) { \
			p = SF_FMT_LIT(p, key); \
			p = sf_fmt_u64(p, (uint64_t)opt_); \
		} \
	} while (0)
#define JFIELD_MPLS JFIELD_OPT
#define JFIELD_STR(p, key, r, v) do { \
		const char *str_ = (v); \
		if (str_ != NULL) { \
			p = SF_FMT_LIT(p, key); \
			*p++ = '"'; \
			p = sf_fmt_str(p, str_); \
			*p++ = '"'; \
		} \
	} while (0)
#define JFIELD_OPT64 JFIELD_OPT
#define JFIELD_OPT16 JFIELD_OPT
#define JFIELD_OPT8 JFIELD_OPT
#define JFIELD_OPTN16 JFIELD_OPT
#define JFIELD_OPTN8 JFIELD_OPT
#define JFIELD_ZSTATE(p, key, r, v) JFIELD_STR(p, key, r, sf_zeek_state_name(v))
#define JFIELD_DBL(p, key, r, v) do { \
		double dbl_ = (v); \
		if (dbl_ == dbl_) { \
			p = SF_FMT_LIT(p, key); \
			p = sf_fmt_dbl(p, dbl_); \
		} \
	} while (0)
#define JFIELD_SPLT(p, key, r, v, what) do { \
		const struct sf_flow_splt *splt_ = (v); \
		if (splt_ != NULL) { \
			p = SF_FMT_LIT(p, key); \
			p = sf_fmt_splt(p, splt_, what, ","); \
		} \
	} while (0)
#define JFIELD_SPLTD(p, key, r, v) JFIELD_SPLT(p, key, r, v, 'd')
#define JFIELD_SPLTP(p, key, r, v) JFIELD_SPLT(p, key, r, v, 'p')
#define JFIELD_SPLTG(p, key, r, v) JFIELD_SPLT(p, key, r, v, 'g')
#define JFIELD_APP(p, key, r, v) JFIELD_STR(p, key, r, sf_app_kind_name(v))
#define JFIELD_TEXT(p, key, r, v) do { \
		const char *str_ = (v); \
		if (str_ != NULL) { \
			p = SF_FMT_LIT(p, key); \
			p = sf_fmt_text_json(p, str_); \
		} \
	} while (0)
#define JFIELD_TLSVER(p, key, r, v) do { \
		int64_t opt_ = (v); \
		if (opt_ > 0) { \
			p = SF_FMT_LIT(p, key); \
			*p++ = '"'; \
			p = sf_fmt_tlsver(p, (uint16_t)opt_); \
			*p++ = '"'; \
		} \
	} while (0)

/* The record at p (room for JSONL_RECORD_MAX); returns the end. */
static char *
put_record(char *p, const struct sf_flow_record *r)
{
	char *start = p;

	/* Every key comes with a comma before it; the first one (always there) becomes '{'. */
#define SF_X_JSON(name, kind, expr, ie4, ie6, flags) \
	JFIELD_ ## kind(p, ",\"" #name "\":", r, expr);
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

void
sf_jsonl_write_interval(void *arg, const struct sf_interval_agg *a)
{
	struct sf_jsonl *j = arg;

	sf_text_reset(&j->iv);
	sf_agg_json_interval(&j->iv, a, j->interval_ns);
	sf_text_put(&j->iv, "\n", 1);
	if (!j->iv.oom)
		write_line(j, j->iv.p, j->iv.n);
}

int
sf_jsonl_close(struct sf_jsonl *j, char *err, size_t errlen)
{
	int ret;

	if (j == NULL)
		return 0;
	ret = sf_rotfile_close(j->rf, err, errlen);
	sf_text_free(&j->iv);
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

static int
jsonl_reopen(void *x, char *err, size_t errlen)
{
	struct sf_jsonl *j = x;

	int ret = sf_rotfile_reopen(j->rf, err, errlen);

	return ret < 0 ? -1 : ret;
}

static void
jsonl_stats(const void *x, struct sf_exporter_stats *st)
{
	const struct sf_jsonl *j = x;

	st->written = j->lines;
	st->lost = 0;
}

/* After jsonl_finish(): the interval line buffer and the writer. */
static void
jsonl_free(void *x)
{
	struct sf_jsonl *j = x;

	sf_text_free(&j->iv);
	free(j);
}

const struct sf_exporter_ops sf_exporter_jsonl_flows = {
	.name = "flows",
	.open = flows_open,
	.record = sf_jsonl_write_record,
	.reopen = jsonl_reopen,
	.close = jsonl_finish,
	.stats = jsonl_stats,
	.free = jsonl_free,
};

const struct sf_exporter_ops sf_exporter_jsonl_intervals = {
	.name = "intervals",
	.open = intervals_open,
	.interval = sf_jsonl_write_interval,
	.reopen = jsonl_reopen,
	.close = jsonl_finish,
	.stats = jsonl_stats,
	.free = jsonl_free,
};
