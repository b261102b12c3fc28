/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exporter: export.kafka. Flow records and interval summaries as JSON
 * (the very lines --flows and --intervals write, without the newline) to
 * two topics, through librdkafka's producer.
 *
 * Keys: a flow record's key is its flow key's symmetric hash
 * (sf_flow_key_hash, the hash that picks the owning worker), as 8
 * lowercase hex digits: both directions and every update of one flow have
 * the same key, so they land in one partition (partitioner murmur2_random,
 * the Java client's: other producers of the same keys agree). An interval
 * summary's key is the host name, so one probe's intervals stay in order
 * in one partition.
 *
 * Never blocking: record(), interval() and tick() run on the collector
 * thread. A message is copied into librdkafka's queue (RD_KAFKA_MSG_F_COPY,
 * never F_BLOCK); a full queue (export.kafka_queue, _queue_bytes) refuses
 * it and the record is lost, counted. librdkafka's threads send and retry;
 * a message no broker took within export.kafka_timeout comes back as a
 * failed delivery report, counted as lost. At close, the brokers have
 * export.kafka_linger to confirm the rest; what is still unconfirmed then
 * is purged and counted as not delivered (a message in flight may still
 * have arrived).
 *
 * Threads: the delivery report, error and statistics callbacks are served
 * by rd_kafka_poll()/rd_kafka_flush(), which only the collector thread
 * calls (record, interval, tick, close); stats() runs there too. So every
 * counter is a plain field written and read by that one thread. Only the
 * log callback runs on librdkafka's threads, and it touches nothing here.
 *
 * Built without librdkafka this file is empty: sf_exporters[] has no
 * Kafka row and the configuration refuses export.kafka, saying why.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include "sf_agg_json.h"
#include "sf_common.h"
#include "sf_export.h"
#include "sf_text.h"

#ifdef SF_HAVE_RDKAFKA

#include <librdkafka/rdkafka.h>

RTE_LOG_REGISTER(sf_logtype_kafka, user.spanflow.kafka, INFO);
#define KAFKA_LOG(level, fmt, ...) SF_LOG_TYPE(sf_logtype_kafka, level, fmt, ## __VA_ARGS__)

/* Delivery reports are served every this many records too, not only on the tick. */
#define KAFKA_POLL_EVERY 256
/* librdkafka's statistics (broker states, retries), this often. */
#define KAFKA_STATS_MS "1000"

enum { KF_FLOWS, KF_INTERVALS, KF_N };

struct sf_kafka {
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic[KF_N];
	uint64_t interval_ns;
	uint64_t linger_ns;
	uint64_t timeout_ns;
	char brokers[SF_CONFIG_KAFKA_LEN];
	char topic_name[KF_N][SF_CONFIG_KAFKA_TOPIC];
	char host[256];			/* intervals' key */
	size_t host_len;
	struct sf_text iv;		/* an interval's JSON */
	unsigned int since_poll;
	/* Counters (collector thread only, see above), per topic */
	uint64_t produced[KF_N];	/* taken into librdkafka's queue */
	uint64_t refused[KF_N];		/* not taken: queue full, too large... */
	uint64_t delivered[KF_N];	/* delivery report: written by a broker */
	uint64_t failed[KF_N];		/* delivery report: given up (timed out, refused) */
	uint64_t left[KF_N];		/* unconfirmed at close: purged */
	uint64_t retries;		/* produce requests retried (statistics) */
	rd_kafka_resp_err_t refuse_err;	/* why the last record was refused */
	rd_kafka_resp_err_t fail_err;	/* why the last delivery failed */
	int up;				/* a broker is up: statistics and delivery reports */
	bool warned_down;
	char rec[SF_JSONL_RECORD_LEN];	/* a record's JSON */
};

static unsigned int
topic_of(const struct sf_kafka *k, const rd_kafka_topic_t *rkt)
{
	return rkt == k->topic[KF_INTERVALS] ? KF_INTERVALS : KF_FLOWS;
}

/* Delivery report of one message: rd_kafka_poll/flush, collector thread. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sf_kafka *k = opaque;
	unsigned int t = topic_of(k, m->rkt);

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->delivered[t]++;
		k->up = 1;
	} else if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
			m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
		k->left[t]++;	/* purged by close: not confirmed within export.kafka_linger */
	} else {
		k->failed[t]++;
		k->fail_err = m->err;
	}
}

/* Errors of the client as a whole (brokers unreachable...): collector thread. */
static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct sf_kafka *k = opaque;

	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		k->up = 0;
		/* Once: a broker that stays away would say it on every reconnection. */
		if (!k->warned_down)
			KAFKA_LOG(WARNING, "warning: kafka: no broker of %s is reachable (%s); "
					"records wait up to export.kafka_timeout (%.3f s), then "
					"are lost (counted)", k->brokers, reason,
					(double)k->timeout_ns / 1e9);
		k->warned_down = true;
		return;
	}
	KAFKA_LOG(DEBUG, "kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* The value after `"name":` in s..end, or NULL. */
static const char *
json_after(const char *s, const char *end, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = s; p != NULL && p + n + 3 <= end; p++) {
		p = memchr(p, '"', (size_t)(end - p));
		if (p == NULL || p + n + 3 > end)
			return NULL;
		if (memcmp(p + 1, name, n) == 0 && p[n + 1] == '"' && p[n + 2] == ':')
			return p + n + 3;
	}
	return NULL;
}

/*
 * librdkafka's statistics (collector thread, from rd_kafka_poll): whether
 * a broker is up, and the produce requests it retried. Its JSON lists
 * each broker as an object with "source" ("configured", "learned" or
 * "internal": not a broker), "state" ("UP", "DOWN", "CONNECT"...) and
 * "txretries"; the brokers come before "topics". Read by hand: these
 * three keys are all that is needed of it.
 */
static int
on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct sf_kafka *k = opaque;
	const char *p = json, *end = json + len, *topics;
	uint64_t retries = 0;
	int up = 0;

	(void)rk;
	p = json_after(p, end, "brokers");
	topics = p != NULL ? json_after(p, end, "topics") : NULL;
	if (topics != NULL)
		end = topics;
	while (p != NULL && (p = json_after(p, end, "source")) != NULL) {
		bool internal = strncmp(p, "\"internal\"", 10) == 0;

		p = json_after(p, end, "state");
		if (p == NULL)
			break;
		if (!internal && strncmp(p, "\"UP\"", 4) == 0)
			up = 1;
		p = json_after(p, end, "txretries");
		if (p == NULL)
			break;
		if (!internal)
			retries += strtoull(p, NULL, 10);
	}
	if (topics != NULL) {
		k->up = up;
		k->retries = retries;
	}
	KAFKA_LOG(DEBUG, "kafka: statistics: %s, %" PRIu64 " requests retried%s",
			up ? "a broker is up" : "no broker is up", retries,
			topics == NULL ? " (not understood: kept as they were)" : "");
	return 0;	/* json is librdkafka's to free */
}

/* librdkafka's own log lines (its threads): debug level (--log-level=user.spanflow.kafka:debug). */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	rte_log(RTE_LOG_DEBUG, sf_logtype_kafka, "spanflow: kafka: %s: %s\n", fac, buf);
}

static void
kafka_poll(struct sf_kafka *k)
{
	k->since_poll = 0;
	rd_kafka_poll(k->rk, 0);
}

static void
produce(struct sf_kafka *k, unsigned int t, const char *s, size_t n, const char *key,
		size_t key_len)
{
	/* COPY: the buffer is reused at once. No F_BLOCK: a full queue refuses. */
	if (rd_kafka_produce(k->topic[t], RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
			(void *)(uintptr_t)s, n, key, key_len, NULL) == 0) {
		k->produced[t]++;
	} else {
		k->refused[t]++;
		k->refuse_err = rd_kafka_last_error();
	}
	if (++k->since_poll >= KAFKA_POLL_EVERY)
		kafka_poll(k);
}

static void
kafka_record(void *x, const struct sf_flow_record *r)
{
	struct sf_kafka *k = x;
	size_t n = sf_jsonl_format_record(k->rec, sizeof(k->rec), r);
	char key[9];

	snprintf(key, sizeof(key), "%08" PRIx32, sf_flow_key_hash(&r->key));
	produce(k, KF_FLOWS, k->rec, n, key, 8);
}

static void
kafka_interval(void *x, const struct sf_interval_agg *a)
{
	struct sf_kafka *k = x;

	sf_text_reset(&k->iv);
	sf_agg_json_interval(&k->iv, a, k->interval_ns);
	if (k->iv.oom) {
		k->refused[KF_INTERVALS]++;
		k->refuse_err = RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
		return;
	}
	produce(k, KF_INTERVALS, k->iv.p, k->iv.n, k->host, k->host_len);
}

static void
kafka_tick(void *x, uint64_t now_ns)
{
	(void)now_ns;
	kafka_poll(x);
}

static int
conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errlen)
{
	char why[256];

	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "kafka: %s=%s: %s", name, value, why);
	return -1;
}

static void kafka_free(void *x);

/* v within lo..INT32_MAX: librdkafka's settings in ms and kB are ints. */
static uint64_t
clamp_int(uint64_t v, uint64_t lo)
{
	return v < lo ? lo : v > INT32_MAX ? INT32_MAX : v;
}

static int
kafka_open(const struct sf_config *cfg, void **x, char *err, size_t errlen)
{
	uint64_t kb = cfg->kafka_queue_bytes / 1024;
	rd_kafka_conf_t *conf = NULL;
	struct sf_kafka *k;
	char num[32];
	unsigned int t;

	*x = NULL;
	if (cfg->kafka[0] == '\0')
		return 0;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(err, errlen, "kafka: out of memory");
		return -1;
	}
	k->interval_ns = cfg->interval_ns;
	k->linger_ns = cfg->kafka_linger_ns;
	k->timeout_ns = cfg->kafka_timeout_ns;
	snprintf(k->brokers, sizeof(k->brokers), "%s", cfg->kafka);
	snprintf(k->topic_name[KF_FLOWS], sizeof(k->topic_name[0]), "%s", cfg->kafka_topic_flows);
	snprintf(k->topic_name[KF_INTERVALS], sizeof(k->topic_name[0]), "%s",
			cfg->kafka_topic_intervals);
	if (gethostname(k->host, sizeof(k->host) - 1) != 0 || k->host[0] == '\0')
		snprintf(k->host, sizeof(k->host), "spanflow");
	k->host_len = strlen(k->host);

	conf = rd_kafka_conf_new();
	if (conf_set(conf, "bootstrap.servers", cfg->kafka, err, errlen) != 0 ||
			conf_set(conf, "client.id", "spanflow", err, errlen) != 0 ||
			conf_set(conf, "partitioner", "murmur2_random", err, errlen) != 0 ||
			conf_set(conf, "statistics.interval.ms", KAFKA_STATS_MS, err, errlen) != 0)
		goto fail;
	snprintf(num, sizeof(num), "%" PRIu32, cfg->kafka_queue);
	if (conf_set(conf, "queue.buffering.max.messages", num, err, errlen) != 0)
		goto fail;
	snprintf(num, sizeof(num), "%" PRIu64, clamp_int(kb, 1));
	if (conf_set(conf, "queue.buffering.max.kbytes", num, err, errlen) != 0)
		goto fail;
	snprintf(num, sizeof(num), "%" PRIu64, clamp_int(cfg->kafka_timeout_ns / SF_NS_PER_MS, 1));
	if (conf_set(conf, "message.timeout.ms", num, err, errlen) != 0)
		goto fail;
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_stats_cb(conf, on_stats);
	rd_kafka_conf_set_log_cb(conf, on_log);

	/* rd_kafka_new takes conf only when it succeeds. */
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (k->rk == NULL)
		goto fail;
	conf = NULL;
	for (t = 0; t < KF_N; t++) {
		k->topic[t] = rd_kafka_topic_new(k->rk, k->topic_name[t], NULL);
		if (k->topic[t] == NULL) {
			snprintf(err, errlen, "kafka: topic %s: %s", k->topic_name[t],
					rd_kafka_err2str(rd_kafka_last_error()));
			goto fail;
		}
	}
	*x = k;
	return 0;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	kafka_free(k);
	return -1;
}

static uint64_t
sum(const uint64_t v[KF_N])
{
	return v[KF_FLOWS] + v[KF_INTERVALS];
}

static uint64_t
lost(const struct sf_kafka *k, unsigned int t)
{
	return k->refused[t] + k->failed[t] + k->left[t];
}

/* The topics and the client, once; what was not confirmed by then is counted. */
static void
kafka_finish(struct sf_kafka *k)
{
	unsigned int t;

	if (k->rk == NULL)
		return;
	rd_kafka_flush(k->rk, (int)clamp_int(k->linger_ns / SF_NS_PER_MS, 0));
	if (rd_kafka_outq_len(k->rk) > 0) {
		/* Each purged message comes back as a delivery report (on_delivery: left). */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(k->rk, 100);
	}
	rd_kafka_poll(k->rk, 0);
	/* A report librdkafka never gave is a record not delivered all the same. */
	for (t = 0; t < KF_N; t++)
		k->left[t] = k->produced[t] - k->delivered[t] - k->failed[t];
	for (t = 0; t < KF_N; t++) {
		if (k->topic[t] != NULL)
			rd_kafka_topic_destroy(k->topic[t]);
		k->topic[t] = NULL;
	}
	rd_kafka_destroy(k->rk);
	k->rk = NULL;
}

/*
 * Records not delivered are a warning: the run itself went well. It says
 * how many went each way: refused by the full local queue, given up by
 * librdkafka (with the last reason), unconfirmed at the end.
 */
static int
kafka_close(void *x, char *err, size_t errlen)
{
	struct sf_kafka *k = x;
	uint64_t gone;
	size_t n;

	kafka_finish(k);
	gone = lost(k, KF_FLOWS) + lost(k, KF_INTERVALS);
	if (gone == 0)
		return 0;
	n = (size_t)snprintf(err, errlen, "Kafka: %" PRIu64 " of %" PRIu64 " records not "
			"delivered (%" PRIu64 " flow records, %" PRIu64 " intervals):", gone,
			sum(k->produced) + sum(k->refused), lost(k, KF_FLOWS),
			lost(k, KF_INTERVALS));
	if (sum(k->refused) != 0 && n < errlen)
		n += (size_t)snprintf(err + n, errlen - n, " %" PRIu64 " refused by the local "
				"queue (%s);", sum(k->refused), rd_kafka_err2str(k->refuse_err));
	if (sum(k->failed) != 0 && n < errlen)
		n += (size_t)snprintf(err + n, errlen - n, " %" PRIu64 " given up (%s);",
				sum(k->failed), rd_kafka_err2str(k->fail_err));
	if (sum(k->left) != 0 && n < errlen)
		n += (size_t)snprintf(err + n, errlen - n, " %" PRIu64 " not confirmed within "
				"export.kafka_linger;", sum(k->left));
	if (n < errlen)
		snprintf(err + n - 1, errlen - n + 1, "%s", sum(k->delivered) == 0 ?
				"; no broker took any" : "");
	return 1;
}

static void
kafka_stats(const void *x, struct sf_exporter_stats *st)
{
	const struct sf_kafka *k = x;
	unsigned int t;

	st->written = sum(k->delivered);
	st->lost = lost(k, KF_FLOWS) + lost(k, KF_INTERVALS);
	st->queued = 0;
	for (t = 0; t < KF_N; t++)
		st->queued += k->produced[t] - k->delivered[t] - k->failed[t] - k->left[t];
	st->retries = k->retries;
	st->up = k->up;	/* after close: the last state seen */
}

static void
kafka_report(const void *x, FILE *f)
{
	const struct sf_kafka *k = x;

	fprintf(f, "export: kafka to %s: %" PRIu64 " flow records and %" PRIu64 " intervals "
			"delivered to topics %s and %s; lost %" PRIu64, k->brokers,
			k->delivered[KF_FLOWS], k->delivered[KF_INTERVALS],
			k->topic_name[KF_FLOWS], k->topic_name[KF_INTERVALS],
			lost(k, KF_FLOWS) + lost(k, KF_INTERVALS));
	/* Only when it happened: the line stays short for a run that went well. */
	if (sum(k->refused) != 0)
		fprintf(f, "; %" PRIu64 " refused by the local queue (%s)", sum(k->refused),
				rd_kafka_err2str(k->refuse_err));
	if (sum(k->failed) != 0)
		fprintf(f, "; %" PRIu64 " given up (%s)", sum(k->failed),
				rd_kafka_err2str(k->fail_err));
	if (sum(k->left) != 0)
		fprintf(f, "; %" PRIu64 " unconfirmed at the end", sum(k->left));
	if (k->retries != 0)
		fprintf(f, "; %" PRIu64 " requests retried", k->retries);
	fputc('\n', f);
}

static void
kafka_free(void *x)
{
	struct sf_kafka *k = x;
	unsigned int t;

	if (k == NULL)
		return;
	/* Not closed (a failed open, or outputs closed early): no flush, no wait. */
	if (k->rk != NULL) {
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		for (t = 0; t < KF_N; t++)
			if (k->topic[t] != NULL)
				rd_kafka_topic_destroy(k->topic[t]);
		rd_kafka_destroy(k->rk);
	}
	sf_text_free(&k->iv);
	free(k);
}

const struct sf_exporter_ops sf_exporter_kafka = {
	.name = "kafka",
	.open = kafka_open,
	.record = kafka_record,
	.interval = kafka_interval,
	.tick = kafka_tick,
	.close = kafka_close,
	.stats = kafka_stats,
	.report = kafka_report,
	.free = kafka_free,
};

#endif /* SF_HAVE_RDKAFKA */
