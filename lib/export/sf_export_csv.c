/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CSV flow records (RFC 4180): the header and every line come from the
 * field list (sf_fields.h). No value needs quoting: numbers, addresses and
 * end reason names hold no comma, quote or newline.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_export.h"
#include "sf_fields.h"

struct sf_csv {
	struct sf_rotfile *rf;
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

static size_t
put(char *buf, size_t len, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t
put(char *buf, size_t len, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, fmt, ap);
	va_end(ap);
	return n + (k > 0 ? (size_t)k : 0);
}

static size_t
put_addr(char *buf, size_t len, size_t n, uint8_t ipver, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, a, s, sizeof(s)) == NULL)
		snprintf(s, sizeof(s), "?");
	return put(buf, len, n, "%s", s);
}

#define CSV_TIME(v) n = put(buf, len, n, "%" PRIu64, (uint64_t)(v))
#define CSV_U64 CSV_TIME
#define CSV_U32 CSV_TIME
#define CSV_U16 CSV_TIME
#define CSV_U8 CSV_TIME
#define CSV_ADDR(v) n = put_addr(buf, len, n, r->key.ipver, (v))
#define CSV_REASON(v) n = put(buf, len, n, "%s", sf_end_reason_name((enum sf_end_reason)(v)))

size_t
sf_csv_format_record(char *buf, size_t len, const struct sf_flow_record *r)
{
	size_t n = 0;
	bool first = true;

	if (len > 0)
		buf[0] = '\0';
#define SF_X_CSV(name, kind, expr, ie4, ie6, rev) \
	if (!first) \
		n = put(buf, len, n, ","); \
	first = false; \
	CSV_ ## kind(expr);
	SF_FLOW_FIELDS(SF_X_CSV)
#undef SF_X_CSV
	return n;
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
	char line[1024];
	size_t n = sf_csv_format_record(line, sizeof(line) - 1, r);

	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n] = '\n';
	sf_rotfile_write(c->rf, line, n + 1);
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
