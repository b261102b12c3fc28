/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClickHouse exporter (export.clickhouse): flow records and interval
 * summaries inserted over ClickHouse's HTTP interface as JSONEachRow, the
 * columns named as the JSON keys (config/clickhouse.sql, compiled in).
 *
 * Two threads. The collector's (record, interval, tick, close) formats
 * rows into the current batch of each table and, when a batch is full or
 * old enough, hands it to a bounded queue; it never waits on the network.
 * The sender, a plain pthread, inserts the queue's batches in order, one
 * POST each, and retries a failed one (100 ms doubling to 5 s) while the
 * newer ones wait. A batch that does not fit in the queue is lost and
 * counted; so is one the server refuses as bad data, and what is left
 * when close's wait runs out.
 *
 * No row is stored twice: every row carries the probe's name and its
 * batch's id (export_batch), and a batch whose request went out without an
 * answer (the server died, the connection broke, a timeout) may have been
 * stored. Before it is sent again the sender counts its rows in the table:
 * all there, it was stored; none, it is sent again. An insert of fewer
 * than max_insert_block_size (1048576) rows is one block, stored whole or
 * not at all (export.clickhouse_batch_rows stays below).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "sf_agg_json.h"
#include "sf_common.h"
#include "sf_export.h"
#include "sf_http_post.h"
#include "sf_text.h"

RTE_LOG_REGISTER(sf_logtype_clickhouse, user.spanflow.clickhouse, INFO);
#define CH_LOG(level, fmt, ...) SF_LOG_TYPE(sf_logtype_clickhouse, level, fmt, ## __VA_ARGS__)

/* config/clickhouse.sql, embedded at build time (lib/export/meson.build). */
extern const unsigned char sf_clickhouse_sql[];
extern const size_t sf_clickhouse_sql_len;

enum { CH_FLOWS, CH_INTERVALS, CH_TABLES };

#define CH_BACKOFF_MIN_NS (100 * 1000000ull)
#define CH_BACKOFF_MAX_NS (5000 * 1000000ull)
/* A batch's bytes at most: an insert stays a reasonable request. */
#define CH_BATCH_BYTES_MAX (16u << 20)
#define CH_STMT_MAX 16
/* Room after a row's JSON for the probe and batch columns. */
#define CH_SUFFIX_MAX 256

/*
 * ClickHouse error codes that say the rows themselves are wrong: sending
 * them again cannot succeed (ErrorCodes.cpp: CANNOT_PARSE_TEXT,
 * CANNOT_PARSE_INPUT_ASSERTION_FAILED, CANNOT_PARSE_ESCAPE_SEQUENCE, ...).
 */
static const int data_errors[] = { 6, 26, 27, 32, 33, 38, 41, 53, 69, 70, 72, 117, 130, 131 };

struct ch_batch {
	struct ch_batch *next;
	unsigned int table;
	uint64_t id;		/* export_batch */
	uint32_t rows;
	bool maybe_stored;	/* a request went out unanswered: count before resending */
	size_t len, cap;
	char *buf;		/* JSONEachRow: one object per line */
};

struct ch_stmt {
	char *sql;
	unsigned int major, minor;	/* runs on servers of this version or newer */
};

struct ch {
	/* Settings, fixed at open. */
	struct sf_url url;
	char where[SF_CONFIG_URL_LEN];	/* the URL without its password, for messages */
	char table[CH_TABLES][160];	/* "database.table" */
	char probe[64];
	char probe_json[192];		/* ,"probe":"NAME","export_batch": */
	char probe_sql[160];		/* 'NAME' */
	char headers[512];		/* authentication */
	struct ch_stmt stmt[CH_STMT_MAX];
	unsigned int n_stmt;
	uint32_t batch_rows;
	size_t batch_bytes;
	uint64_t flush_ns, buffer, timeout_ns, wait_ns, interval_ns;

	/* Collector thread. */
	struct ch_batch *cur[CH_TABLES];
	uint64_t cur_since[CH_TABLES];	/* monotonic ns of the batch's first row */
	uint64_t now_ns;		/* the last tick's */
	uint64_t run_id, seq;
	uint64_t rows_total;		/* rows formatted */
	char *rec;			/* SF_JSONL_RECORD_LEN */
	struct sf_text iv, flat;
	bool finished;

	/* Shared, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* CLOCK_MONOTONIC */
	struct ch_batch *head, *tail;	/* the head is the one being sent */
	size_t queued_bytes;
	bool stop;			/* close: deliver what is queued until deadline_ns */
	uint64_t deadline_ns;
	char last_error[320];
	bool thread_started;
	pthread_t thread;

	/* Counters: written by either thread, read by the collector. */
	atomic_uint_fast64_t written[CH_TABLES];
	atomic_uint_fast64_t pending;	/* rows formatted, not yet stored or lost */
	atomic_uint_fast64_t lost_full, lost_refused, lost_end;
	atomic_uint_fast64_t retries, inserts, found;
	uint64_t unsure;		/* of lost_end: rows of an insert left unanswered */
	atomic_int up;

	/* Sender thread. */
	bool schema_ok;
	unsigned int major, minor;
};

static uint64_t
relaxed(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void
add(atomic_uint_fast64_t *v, uint64_t n)
{
	atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static void
sub(atomic_uint_fast64_t *v, uint64_t n)
{
	atomic_fetch_sub_explicit(v, n, memory_order_relaxed);
}

static uint64_t
lost_total(const struct ch *c)
{
	return relaxed(&c->lost_full) + relaxed(&c->lost_refused) + relaxed(&c->lost_end);
}

static void
set_error(struct ch *c, const char *fmt, const char *a, const char *b)
{
	pthread_mutex_lock(&c->mu);
	snprintf(c->last_error, sizeof(c->last_error), fmt, a, b);
	pthread_mutex_unlock(&c->mu);
}

/* The server's error text on one line, without ClickHouse's ", e.what() = ..." tail. */
static const char *
server_text(char *body)
{
	char *p;

	for (p = body; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	p = strstr(body, ", e.what()");
	if (p != NULL)
		*p = '\0';
	return body;
}

/* "Code: N, ..." -> N, or -1. */
static int
server_code(const char *body)
{
	const char *p = strstr(body, "Code: ");

	return p != NULL ? atoi(p + 6) : -1;
}

/* One request to the server; the deadline is the request timeout, or close's. */
static int
post(struct ch *c, const char *target, const char *body, size_t len, struct sf_http_resp *r)
{
	struct sf_http_req q = {
		.host = c->url.host, .port = c->url.port, .target = target,
		.headers = c->headers, .body = body, .body_len = len,
	};
	uint64_t now = sf_http_now_ns();

	q.deadline_ns = now + c->timeout_ns;
	pthread_mutex_lock(&c->mu);
	if (c->stop && c->deadline_ns < q.deadline_ns)
		q.deadline_ns = c->deadline_ns;
	pthread_mutex_unlock(&c->mu);
	return sf_http_post(&q, r);
}

/* A query whose answer is text (SELECT): 0 with the body in r, -1 with last_error set. */
static int
query(struct ch *c, const char *sql, struct sf_http_resp *r)
{
	if (post(c, "/", sql, strlen(sql), r) < 0) {
		set_error(c, "cannot reach the server: %.240s%s", r->err, "");
		return -1;
	}
	if (r->status != 200) {
		set_error(c, "%.60s: %.240s", sql, server_text(r->body));
		return -1;
	}
	return 0;
}

/*
 * Create what is missing: database, tables, view; the statements a newer
 * server takes only there. -1 when the server is unreachable or refuses
 * one (last_error says which); *answered tells the two apart.
 */
static int
ensure_schema(struct ch *c, bool *answered)
{
	struct sf_http_resp *r = malloc(sizeof(*r));
	unsigned int i;
	int ret = -1;

	*answered = false;
	if (r == NULL)
		return -1;
	if (query(c, "SELECT version()", r) < 0) {
		*answered = r->status != 0;
		goto out;
	}
	if (sscanf(r->body, "%u.%u", &c->major, &c->minor) != 2) {
		*answered = true;
		set_error(c, "SELECT version(): unexpected answer '%.40s'%s", r->body, "");
		goto out;
	}
	for (i = 0; i < c->n_stmt; i++) {
		const struct ch_stmt *s = &c->stmt[i];

		if (c->major < s->major || (c->major == s->major && c->minor < s->minor))
			continue;
		/*
		 * IF NOT EXISTS is checked before the creation: probes starting
		 * together may race, and the loser hears "already exists" (57,
		 * 82), which is what it wanted.
		 */
		if (query(c, s->sql, r) < 0 && (r->status == 0 ||
				(server_code(r->body) != 57 && server_code(r->body) != 82))) {
			*answered = r->status != 0;
			goto out;
		}
	}
	c->schema_ok = true;
	ret = 0;
out:
	free(r);
	return ret;
}

/* Rows of batch b found in its table, or -1 (unreachable, or an error). */
static int64_t
count_stored(struct ch *c, const struct ch_batch *b)
{
	struct sf_http_resp *r = malloc(sizeof(*r));
	char sql[512];
	int64_t n = -1;
	char *e;

	if (r == NULL)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT count() FROM %s WHERE probe = %s AND "
			"export_batch = %" PRIu64, c->table[b->table], c->probe_sql, b->id);
	if (query(c, sql, r) == 0) {
		n = (int64_t)strtoull(r->body, &e, 10);
		if (e == r->body)
			n = -1;
	}
	free(r);
	return n;
}

static void
stored(struct ch *c, const struct ch_batch *b, uint64_t rows)
{
	add(&c->written[b->table], rows);
	sub(&c->pending, b->rows);
	if (rows < b->rows)
		add(&c->lost_refused, b->rows - rows);
}

/*
 * Insert the head batch: 0 when it is settled (stored, or given up and
 * counted), -1 to try again later.
 */
static int
deliver(struct ch *c, struct ch_batch *b)
{
	struct sf_http_resp *r;
	char target[512];
	bool answered;
	int64_t n;
	int code, ret = -1;
	size_t k;

	if (!c->schema_ok && ensure_schema(c, &answered) < 0) {
		atomic_store_explicit(&c->up, 0, memory_order_relaxed);
		return -1;
	}
	if (b->maybe_stored) {
		n = count_stored(c, b);
		if (n < 0) {
			atomic_store_explicit(&c->up, 0, memory_order_relaxed);
			return -1;
		}
		if (n != 0) {
			/* Stored before the answer was lost: not again. */
			add(&c->found, 1);
			stored(c, b, (uint64_t)n < b->rows ? (uint64_t)n : b->rows);
			return 0;
		}
		b->maybe_stored = false;
	}
	r = malloc(sizeof(*r));
	if (r == NULL)
		return -1;
	k = (size_t)snprintf(target, sizeof(target), "/?input_format_skip_unknown_fields=1&query=");
	snprintf(target + k, sizeof(target) - k, "INSERT%%20INTO%%20%s%%20FORMAT%%20JSONEachRow",
			c->table[b->table]);
	if (post(c, target, b->buf, b->len, r) < 0) {
		if (r->sent)
			b->maybe_stored = true;
		atomic_store_explicit(&c->up, 0, memory_order_relaxed);
		set_error(c, "cannot reach the server: %.240s%s", r->err, "");
		goto out;
	}
	if (r->status == 200) {
		atomic_store_explicit(&c->up, 1, memory_order_relaxed);
		add(&c->inserts, 1);
		stored(c, b, b->rows);
		ret = 0;
		goto out;
	}
	/* An answer that is an error: the insert did not happen. */
	atomic_store_explicit(&c->up, 0, memory_order_relaxed);
	code = server_code(r->body);
	set_error(c, "INSERT INTO %.60s: %.240s", c->table[b->table], server_text(r->body));
	if (r->status == 404 || code == 60 || code == 81) {
		/* Table or database gone (dropped by hand?): create them again. */
		c->schema_ok = false;
		goto out;
	}
	for (k = 0; k < sizeof(data_errors) / sizeof(data_errors[0]); k++)
		if (code == data_errors[k])
			break;
	if (k < sizeof(data_errors) / sizeof(data_errors[0]) ||
			(r->status >= 400 && r->status < 500)) {
		stored(c, b, 0);
		ret = 0;
	}
out:
	free(r);
	return ret;
}

static void
deadline_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *
sender(void *arg)
{
	struct ch *c = arg;
	uint64_t backoff = 0, until;
	struct ch_batch *b;
	struct timespec ts;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (c->head == NULL && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->head == NULL || (c->stop && sf_http_now_ns() >= c->deadline_ns))
			break;
		b = c->head;
		pthread_mutex_unlock(&c->mu);
		if (deliver(c, b) == 0) {
			backoff = 0;
			pthread_mutex_lock(&c->mu);
			c->head = b->next;
			if (c->head == NULL)
				c->tail = NULL;
			c->queued_bytes -= b->cap;
			free(b->buf);
			free(b);
			continue;
		}
		add(&c->retries, 1);
		backoff = backoff == 0 ? CH_BACKOFF_MIN_NS : backoff * 2;
		if (backoff > CH_BACKOFF_MAX_NS)
			backoff = CH_BACKOFF_MAX_NS;
		until = sf_http_now_ns() + backoff;
		pthread_mutex_lock(&c->mu);
		/* close() wakes it: the wait then ends at close's deadline at the latest. */
		while (sf_http_now_ns() < until) {
			if (c->stop && c->deadline_ns < until)
				until = c->deadline_ns;
			deadline_ts(until, &ts);
			if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT)
				break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Collector side */

static struct ch_batch *
batch_new(struct ch *c, unsigned int t)
{
	struct ch_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->cap = 64 * 1024;
	b->buf = malloc(b->cap);
	if (b->buf == NULL) {
		free(b);
		return NULL;
	}
	b->table = t;
	b->id = c->run_id + c->seq++;
	c->cur_since[t] = c->now_ns;
	return b;
}

/* Queue the current batch of table t; lost (counted) when the queue is full. */
static void
hand_over(struct ch *c, unsigned int t)
{
	struct ch_batch *b = c->cur[t];

	if (b == NULL)
		return;
	c->cur[t] = NULL;
	if (b->rows == 0)
		goto drop;
	/* What waits is counted as what it holds: the room to grow goes back. */
	if (b->cap > b->len + 4096) {
		char *p = realloc(b->buf, b->len);

		if (p != NULL) {
			b->buf = p;
			b->cap = b->len;
		}
	}
	pthread_mutex_lock(&c->mu);
	if (c->queued_bytes + b->cap > c->buffer) {
		snprintf(c->last_error, sizeof(c->last_error), "export.clickhouse_buffer (%"
				PRIu64 " bytes) full: the server is down or too slow", c->buffer);
		pthread_mutex_unlock(&c->mu);
		add(&c->lost_full, b->rows);
		sub(&c->pending, b->rows);
		goto drop;
	}
	if (c->tail != NULL)
		c->tail->next = b;
	else
		c->head = b;
	c->tail = b;
	c->queued_bytes += b->cap;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return;
drop:
	free(b->buf);
	free(b);
}

/*
 * Room for a row of up to n bytes plus the suffix in table t's batch (a
 * new one when needed): the batch, or NULL when memory ran out.
 */
static struct ch_batch *
room(struct ch *c, unsigned int t, size_t n)
{
	struct ch_batch *b = c->cur[t];
	size_t need;
	char *p;

	if (b != NULL && (b->rows >= c->batch_rows || b->len + n > c->batch_bytes))
		hand_over(c, t);
	if (c->cur[t] == NULL)
		c->cur[t] = batch_new(c, t);
	b = c->cur[t];
	if (b == NULL)
		return NULL;
	need = b->len + n + CH_SUFFIX_MAX;
	if (need > b->cap) {
		size_t cap = b->cap;

		while (cap < need)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (p == NULL)
			return NULL;
		b->buf = p;
		b->cap = cap;
	}
	return b;
}

/* The row's JSON object (without its closing brace) is in place: close it. */
static void
row_end(struct ch *c, struct ch_batch *b, size_t n)
{
	char *p = b->buf + b->len + n;

	p += snprintf(p, CH_SUFFIX_MAX, "%s%" PRIu64 "}\n", c->probe_json, b->id);
	b->len = (size_t)(p - b->buf);
	b->rows++;
	c->rows_total++;
	add(&c->pending, 1);
}

static void
lost_now(struct ch *c)
{
	add(&c->lost_full, 1);
	c->rows_total++;
}

static void
ch_record(void *x, const struct sf_flow_record *r)
{
	struct ch *c = x;
	struct ch_batch *b;
	size_t n = sf_jsonl_format_record(c->rec, SF_JSONL_RECORD_LEN, r);

	if (n < 2 || (b = room(c, CH_FLOWS, n)) == NULL) {
		lost_now(c);
		return;
	}
	/* The record's object without its '}': the two columns go after it. */
	memcpy(b->buf + b->len, c->rec, n - 1);
	row_end(c, b, n - 1);
}

/*
 * The end of the JSON value at p: the ',' or closing bracket after it
 * (trusted text: spanflow's own).
 */
static const char *
skip_value(const char *p)
{
	int depth = 0;

	for (;; p++) {
		if (*p == '"') {
			for (p++; *p != '"' && *p != '\0'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				return p;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return p;
			depth--;
		} else if ((*p == ',' && depth == 0) || *p == '\0') {
			return p;
		}
	}
}

/*
 * The interval's JSON as one flat row: a scalar keeps its key, an object's
 * scalars become parent_key, lists and deeper objects are left out.
 * `prefix` is the parent's key ("" at the top).
 */
static const char *
flatten(struct sf_text *t, const char *p, const char *prefix, size_t plen)
{
	const char *k, *v;
	size_t klen;

	p++;	/* '{' */
	while (*p == '"') {
		k = p + 1;
		klen = strcspn(k, "\"");
		v = k + klen + 2;	/* after '":' */
		if (*v == '{' && plen == 0) {
			char sub[128];

			snprintf(sub, sizeof(sub), "%.*s_", (int)klen, k);
			p = flatten(t, v, sub, strlen(sub));
		} else if (*v == '{' || *v == '[') {
			p = skip_value(v);
		} else {
			p = skip_value(v);
			sf_text_str(t, t->n > 1 ? ",\"" : "\"");
			sf_text_put(t, prefix, plen);
			sf_text_put(t, k, klen);
			sf_text_str(t, "\":");
			sf_text_put(t, v, (size_t)(p - v));
		}
		if (*p == ',')
			p++;
	}
	return *p == '}' ? p + 1 : p;
}

static void
ch_interval(void *x, const struct sf_interval_agg *a)
{
	struct ch *c = x;
	struct ch_batch *b;

	sf_text_reset(&c->iv);
	sf_agg_json_interval(&c->iv, a, c->interval_ns);
	sf_text_put(&c->iv, "", 1);
	sf_text_reset(&c->flat);
	sf_text_str(&c->flat, "{");
	if (!c->iv.oom && c->iv.n > 2 && c->iv.p[0] == '{')
		flatten(&c->flat, c->iv.p, "", 0);
	if (c->iv.oom || c->flat.oom || c->flat.n < 2 ||
			(b = room(c, CH_INTERVALS, c->flat.n)) == NULL) {
		lost_now(c);
		return;
	}
	memcpy(b->buf + b->len, c->flat.p, c->flat.n);
	row_end(c, b, c->flat.n);
}

static void
ch_tick(void *x, uint64_t now_ns)
{
	struct ch *c = x;
	unsigned int t;

	c->now_ns = now_ns;
	for (t = 0; t < CH_TABLES; t++)
		if (c->cur[t] != NULL && c->cur[t]->rows != 0 &&
				now_ns - c->cur_since[t] >= c->flush_ns)
			hand_over(c, t);
}

/* Open */

/* Replace each {name} of the schema with its value; NULL when memory ran out. */
static char *
substitute(const char *s, size_t len, const char *const names[][2], unsigned int n)
{
	struct sf_text t = { 0 };
	const char *end = s + len;
	unsigned int i;

	while (s < end) {
		for (i = 0; i < n; i++) {
			size_t nl = strlen(names[i][0]);

			if ((size_t)(end - s) >= nl && memcmp(s, names[i][0], nl) == 0) {
				sf_text_str(&t, names[i][1]);
				s += nl;
				break;
			}
		}
		if (i == n)
			sf_text_put(&t, s++, 1);
	}
	sf_text_put(&t, "", 1);
	if (t.oom) {
		sf_text_free(&t);
		return NULL;
	}
	return t.p;
}

/*
 * Split the schema into statements: each ends with a line ending in ';';
 * comment lines are left out, "-- spanflow: requires X.Y" before a
 * statement gives the server version it needs.
 */
static int
split_schema(struct ch *c, const char *sql, char *err, size_t errlen)
{
	struct sf_text cur = { 0 };
	unsigned int major = 0, minor = 0;
	const char *line = sql, *trim;
	size_t len, tlen;

	for (; *line != '\0'; line += len + (line[len] == '\n')) {
		len = strcspn(line, "\n");
		trim = line + strspn(line, " \t");
		tlen = len - (size_t)(trim - line);
		if (tlen >= 2 && strncmp(trim, "--", 2) == 0) {
			if (cur.n == 0 && sscanf(trim, "-- spanflow: requires %u.%u", &major,
					&minor) != 2)
				major = minor = 0;
			continue;
		}
		if (tlen == 0)
			continue;
		if (trim[tlen - 1] != ';') {
			sf_text_put(&cur, line, len);
			sf_text_put(&cur, "\n", 1);
			continue;
		}
		sf_text_put(&cur, line, len - 1);
		sf_text_put(&cur, "", 1);
		if (cur.oom || c->n_stmt == CH_STMT_MAX) {
			snprintf(err, errlen, "ClickHouse schema: %s", cur.oom ? "out of memory" :
					"too many statements");
			sf_text_free(&cur);
			return -1;
		}
		c->stmt[c->n_stmt++] = (struct ch_stmt){ cur.p, major, minor };
		memset(&cur, 0, sizeof(cur));
		major = minor = 0;
	}
	sf_text_free(&cur);
	return 0;
}

/* s quoted for JSON or SQL (q is the quote), into dst of size n. */
static void
quote(char *dst, size_t n, const char *s, char q)
{
	size_t o = 0;

	dst[o++] = q;
	for (; *s != '\0' && o + 8 < n; s++) {
		if (*s == q || *s == '\\')
			dst[o++] = '\\';
		if ((unsigned char)*s < 0x20)
			continue;
		dst[o++] = *s;
	}
	dst[o++] = q;
	dst[o] = '\0';
}

static void ch_free(void *x);

static int
ch_open(const struct sf_config *cfg, void **x, char *err, size_t errlen)
{
	char what[256], db[64], pj[140], *sql = NULL;
	const char *names[3][2];
	pthread_condattr_t ca;
	struct timespec ts;
	struct ch *c;
	bool answered;
	uint64_t t;

	*x = NULL;
	if (cfg->clickhouse[0] == '\0')
		return 0;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "ClickHouse: out of memory");
		return -1;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (sf_config_parse_url(cfg->clickhouse, &c->url, what, sizeof(what)) < 0) {
		snprintf(err, errlen, "export.clickhouse: %s", what);
		goto fail;
	}
	snprintf(db, sizeof(db), "%s", c->url.database[0] ? c->url.database :
			cfg->clickhouse_database);
	snprintf(c->where, sizeof(c->where), "http://%s%s%s%s%s:%u/%s", c->url.user,
			c->url.user[0] ? "@" : "", strchr(c->url.host, ':') ? "[" : "",
			c->url.host, strchr(c->url.host, ':') ? "]" : "", c->url.port, db);
	if (c->url.user[0] != '\0')
		snprintf(c->headers, sizeof(c->headers),
				"X-ClickHouse-User: %s\r\nX-ClickHouse-Key: %s\r\n",
				c->url.user, c->url.password);
	snprintf(c->table[CH_FLOWS], sizeof(c->table[0]), "%s.%s", db, cfg->clickhouse_flows);
	snprintf(c->table[CH_INTERVALS], sizeof(c->table[0]), "%s.%s", db,
			cfg->clickhouse_intervals);
	if (cfg->probe[0] != '\0')
		snprintf(c->probe, sizeof(c->probe), "%s", cfg->probe);
	else if (gethostname(c->probe, sizeof(c->probe) - 1) != 0)
		snprintf(c->probe, sizeof(c->probe), "spanflow");
	quote(pj, sizeof(pj), c->probe, '"');
	snprintf(c->probe_json, sizeof(c->probe_json), ",\"probe\":%s,\"export_batch\":", pj);
	quote(c->probe_sql, sizeof(c->probe_sql), c->probe, '\'');
	c->batch_rows = cfg->clickhouse_batch_rows;
	c->buffer = cfg->clickhouse_buffer;
	c->batch_bytes = c->buffer / 4 < CH_BATCH_BYTES_MAX ? c->buffer / 4 : CH_BATCH_BYTES_MAX;
	c->flush_ns = cfg->clickhouse_flush_ns;
	c->timeout_ns = cfg->clickhouse_timeout_ns;
	c->wait_ns = cfg->clickhouse_wait_ns;
	c->interval_ns = cfg->interval_ns;
	/* Batch ids: the run's start (wall clock, ns) plus a sequence. */
	clock_gettime(CLOCK_REALTIME, &ts);
	c->run_id = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	c->now_ns = sf_http_now_ns();
	c->rec = malloc(SF_JSONL_RECORD_LEN);
	if (c->rec == NULL) {
		snprintf(err, errlen, "ClickHouse: out of memory");
		goto fail;
	}

	names[0][0] = "{database}";
	names[0][1] = db;
	names[1][0] = "{flows}";
	names[1][1] = cfg->clickhouse_flows;
	names[2][0] = "{intervals}";
	names[2][1] = cfg->clickhouse_intervals;
	sql = substitute((const char *)sf_clickhouse_sql, sf_clickhouse_sql_len, names, 3);
	if (sql == NULL) {
		snprintf(err, errlen, "ClickHouse: out of memory");
		goto fail;
	}
	if (split_schema(c, sql, err, errlen) < 0)
		goto fail;
	free(sql);
	sql = NULL;

	/*
	 * Create the tables now, so a refusal (authentication, rights, a
	 * database name the server will not take) stops the run before it
	 * starts. A server that does not answer is not an error: rows wait in
	 * the buffer and the sender creates the tables when it comes up.
	 */
	t = c->timeout_ns;
	c->timeout_ns = t < 5 * 1000000000ull ? t : 5 * 1000000000ull;
	if (ensure_schema(c, &answered) < 0) {
		if (answered) {
			snprintf(err, errlen, "export.clickhouse: %s: %s", c->where, c->last_error);
			goto fail;
		}
		CH_LOG(WARNING, "warning: export.clickhouse: %s: %s; rows wait (at most "
				"export.clickhouse_buffer) and are sent when it answers", c->where,
				c->last_error);
	} else {
		atomic_store_explicit(&c->up, 1, memory_order_relaxed);
	}
	c->timeout_ns = t;
	if (pthread_create(&c->thread, NULL, sender, c) != 0) {
		snprintf(err, errlen, "ClickHouse: cannot start its thread: %s", strerror(errno));
		goto fail;
	}
	c->thread_started = true;
	*x = c;
	return 0;
fail:
	free(sql);
	ch_free(c);
	return -1;
}

static int
ch_close(void *x, char *err, size_t errlen)
{
	struct ch *c = x;
	struct ch_batch *b;
	uint64_t left = 0, lost;
	unsigned int t;

	if (c->finished)
		return 0;
	c->finished = true;
	for (t = 0; t < CH_TABLES; t++)
		hand_over(c, t);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	c->deadline_ns = sf_http_now_ns() + c->wait_ns;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->thread_started)
		pthread_join(c->thread, NULL);
	c->thread_started = false;
	while ((b = c->head) != NULL) {
		c->head = b->next;
		left += b->rows;
		if (b->maybe_stored)
			c->unsure += b->rows;
		free(b->buf);
		free(b);
	}
	c->tail = NULL;
	c->queued_bytes = 0;
	if (left != 0) {
		add(&c->lost_end, left);
		sub(&c->pending, left);
	}
	lost = lost_total(c);
	if (lost == 0)
		return 0;
	snprintf(err, errlen, "ClickHouse: %" PRIu64 " of %" PRIu64 " rows not stored: %s%s",
			lost, c->rows_total, c->last_error, left != 0 ? " (export.clickhouse_wait "
			"passed)" : "");
	return 1;
}

static void
ch_stats(const void *x, struct sf_exporter_stats *st)
{
	const struct ch *c = x;

	st->written = relaxed(&c->written[CH_FLOWS]) + relaxed(&c->written[CH_INTERVALS]);
	st->lost = lost_total(c);
	st->queued = relaxed(&c->pending);
	st->retries = relaxed(&c->retries);
	st->up = atomic_load_explicit(&c->up, memory_order_relaxed);
}

static void
ch_report(const void *x, FILE *f)
{
	const struct ch *c = x;
	uint64_t full = relaxed(&c->lost_full), refused = relaxed(&c->lost_refused);
	uint64_t end = relaxed(&c->lost_end);

	fprintf(f, "export: clickhouse to %s: %" PRIu64 " flow rows and %" PRIu64 " interval "
			"rows stored in %" PRIu64 " inserts; %" PRIu64 " retried", c->where,
			relaxed(&c->written[CH_FLOWS]), relaxed(&c->written[CH_INTERVALS]),
			relaxed(&c->inserts), relaxed(&c->retries));
	if (relaxed(&c->found) != 0)
		fprintf(f, " (%" PRIu64 " found stored after an unanswered insert)",
				relaxed(&c->found));
	fprintf(f, "; lost %" PRIu64, full + refused + end);
	if (full + refused + end != 0)
		fprintf(f, " (%" PRIu64 " buffer full, %" PRIu64 " refused by the server, %" PRIu64
				" still waiting at the end: %s)", full, refused, end, c->last_error);
	/* The one case the count cannot settle: no answer, and no time left to ask. */
	if (c->unsure != 0)
		fprintf(f, "; %" PRIu64 " of the lost rows were in an insert left unanswered at "
				"the end: the server may have stored them", c->unsure);
	fputc('\n', f);
}

static void
ch_free(void *x)
{
	struct ch *c = x;
	struct ch_batch *b;
	unsigned int i;

	if (c == NULL)
		return;
	if (c->thread_started) {
		char err[8];

		ch_close(c, err, sizeof(err));
	}
	for (i = 0; i < CH_TABLES; i++) {
		if (c->cur[i] != NULL)
			free(c->cur[i]->buf);
		free(c->cur[i]);
	}
	while ((b = c->head) != NULL) {
		c->head = b->next;
		free(b->buf);
		free(b);
	}
	for (i = 0; i < c->n_stmt; i++)
		free(c->stmt[i].sql);
	free(c->rec);
	sf_text_free(&c->iv);
	sf_text_free(&c->flat);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

const struct sf_exporter_ops sf_exporter_clickhouse = {
	.name = "clickhouse",
	.open = ch_open,
	.record = ch_record,
	.interval = ch_interval,
	.tick = ch_tick,
	.close = ch_close,
	.stats = ch_stats,
	.report = ch_report,
	.free = ch_free,
};
