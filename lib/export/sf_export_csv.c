/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CSV flow records (RFC 4180): the header and every line come from the
 * field list (sf_fields.h). No value needs quoting: numbers, addresses and
 * names hold no comma, quote or newline.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_export.h"
#include "sf_export_fmt.h"
#include "sf_fields.h"

struct sf_csv {
	struct sf_rotfile *rf;
	uint64_t lines;		/* records written */
};

#define SF_X_NAME(name, kind, expr, ie4, ie6, rev) "," #name
/* The first comma is skipped. */
static const char csv_header[] = SF_FLOW_FIELDS(SF_X_NAME) "\n";
#undef SF_X_NAME

const char *
sf_csv_header(void)
{
	return csv_header + 1;
}

/*
 * The longest line the field list can give, a comma after every value; a
 * line is written straight into a buffer of this size, without a bounds
 * check per value.
 */
#define SF_X_CMAX(name, kind, expr, ie4, ie6, rev) + SF_FMT_MAX_ ## kind + 1
#define CSV_RECORD_MAX (SF_FLOW_FIELDS(SF_X_CMAX))
_Static_assert(CSV_RECORD_MAX < SF_ROTFILE_UNIT_MAX, "a record line is one unit");

#define CSV_TIME(v) p = sf_fmt_u64(p, (uint64_t)(v))
#define CSV_U64 CSV_TIME
#define CSV_U32 CSV_TIME
#define CSV_U16 CSV_TIME
#define CSV_U8 CSV_TIME
#define CSV_ADDR(v) p = sf_fmt_addr(p, r->key.ipver, (v))
#define CSV_REASON(v) p = sf_fmt_reason(p, (v))
#define CSV_CTX(v) p = sf_fmt_ctx(p, (v))
#define CSV_CTXID(v) p = sf_fmt_u64(p, (v)->key.ctx)
#define CSV_SAMPLING(v) p = sf_fmt_sampling(p, (v))
/* Tunnel kinds: an empty cell when the record has no such value. */
#define CSV_ENCAPS(v) p = sf_fmt_encaps(p, (v))
#define CSV_OADDR(v) do { \
		if (r->tun.outer_ipver != 0) \
			p = sf_fmt_addr(p, r->tun.outer_ipver, (v)); \
	} while (0)
#define CSV_OPT(v) do { \
		int64_t opt_ = (v); \
		if (opt_ >= 0) \
			p = sf_fmt_u64(p, (uint64_t)opt_); \
	} while (0)
#define CSV_MPLS CSV_OPT
#define CSV_STR(v) p = sf_fmt_str(p, (v))
#define CSV_OPT64 CSV_OPT
#define CSV_OPT16 CSV_OPT
#define CSV_OPT8 CSV_OPT
#define CSV_OPTN16 CSV_OPT
#define CSV_OPTN8 CSV_OPT
#define CSV_ZSTATE(v) CSV_STR(sf_zeek_state_name(v))
#define CSV_DBL(v) do { \
		double dbl_ = (v); \
		if (dbl_ == dbl_) \
			p = sf_fmt_dbl(p, dbl_); \
	} while (0)
/* nfstream's CSV: a Python list in a quoted cell, "[0, 1, -1]" */
#define CSV_SPLT(v, what) do { \
		const struct sf_flow_splt *splt_ = (v); \
		if (splt_ != NULL) { \
			*p++ = '"'; \
			p = sf_fmt_splt(p, splt_, what, ", "); \
			*p++ = '"'; \
		} \
	} while (0)
#define CSV_SPLTD(v) CSV_SPLT(v, 'd')
#define CSV_SPLTP(v) CSV_SPLT(v, 'p')
#define CSV_SPLTG(v) CSV_SPLT(v, 'g')
#define CSV_APP(v) CSV_STR(sf_app_kind_name(v))
#define CSV_TEXT(v) do { \
		const char *str_ = (v); \
		if (str_ != NULL) \
			p = sf_fmt_text_csv(p, str_); \
	} while (0)
#define CSV_TLSVER(v) do { \
		int64_t opt_ = (v); \
		if (opt_ > 0) \
			p = sf_fmt_tlsver(p, (uint16_t)opt_); \
	} while (0)

/* The line at p (room for CSV_RECORD_MAX), no newline; returns the end. */
static char *
put_record(char *p, const struct sf_flow_record *r)
{
	/* Every value comes with a comma after it; the last one is taken back. */
#define SF_X_CSV(name, kind, expr, ie4, ie6, rev) \
	CSV_ ## kind(expr); \
	*p++ = ',';
	SF_FLOW_FIELDS(SF_X_CSV)
#undef SF_X_CSV
	return p - 1;
}

size_t
sf_csv_format_record(char *buf, size_t len, const struct sf_flow_record *r)
{
	char tmp[CSV_RECORD_MAX];

	return sf_fmt_record_bounded(buf, len, tmp, sizeof(tmp), put_record, r);
}

struct sf_csv *
sf_csv_open(const char *path, const struct sf_rotate *rot, char *err, size_t errlen)
{
	struct sf_csv *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	c->rf = sf_rotfile_open(path, sf_csv_header(), rot, err, errlen);
	if (c->rf == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
sf_csv_write_record(void *arg, const struct sf_flow_record *r)
{
	struct sf_csv *c = arg;
	char *line = sf_rotfile_reserve(c->rf, CSV_RECORD_MAX + 1);
	char *e = put_record(line, r);

	*e++ = '\n';
	sf_rotfile_commit(c->rf, (size_t)(e - line));
	c->lines++;
}

int
sf_csv_close(struct sf_csv *c, char *err, size_t errlen)
{
	int ret;

	if (c == NULL)
		return 0;
	ret = sf_rotfile_close(c->rf, err, errlen);
	free(c);
	return ret;
}

/* Exporter: export.csv */

static int
csv_open(const struct sf_config *cfg, void **x, char *err, size_t errlen)
{
	struct sf_rotate rot = { cfg->rotate_size, cfg->rotate_interval_ns };

	*x = NULL;
	if (cfg->csv_path[0] == '\0')
		return 0;
	*x = sf_csv_open(cfg->csv_path, &rot, err, errlen);
	return *x != NULL ? 0 : -1;
}

static int
csv_finish(void *x, char *err, size_t errlen)
{
	struct sf_csv *c = x;
	int ret = sf_rotfile_close(c->rf, err, errlen);

	c->rf = NULL;
	return ret < 0 ? -1 : 0;
}

static int
csv_reopen(void *x, char *err, size_t errlen)
{
	struct sf_csv *c = x;

	int ret = sf_rotfile_reopen(c->rf, err, errlen);

	return ret < 0 ? -1 : ret;
}

static void
csv_stats(const void *x, struct sf_exporter_stats *st)
{
	const struct sf_csv *c = x;

	st->written = c->lines;
	st->lost = 0;
}

const struct sf_exporter_ops sf_exporter_csv = {
	.name = "csv",
	.open = csv_open,
	.record = sf_csv_write_record,
	.reopen = csv_reopen,
	.close = csv_finish,
	.stats = csv_stats,
	.free = free,
};
