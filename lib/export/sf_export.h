/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writers of flow records and interval summaries. Each writer is a
 * collector sink (sf_collector.h); write and send errors are counted,
 * never fatal on the data path, and reported by close.
 */
#ifndef SF_EXPORT_H
#define SF_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sf_collector.h"
#include "sf_config.h"
#include "sf_flow.h"
#include "sf_msg.h"

/*
 * Exporters: interchangeable backends behind one const table of functions,
 * like the sources; each format's file defines its table(s), and
 * sf_exporters[] (sf_export.c) lists them in the order the collector feeds
 * them. The application opens every exporter the configuration asks for,
 * hands each one to the collector as a sink (record, interval), and at
 * the end closes it, prints its report line and frees it. A new exporter
 * is one file and one row of sf_exporters[].
 */
struct sf_exporter_stats {
	uint64_t written;	/* records (interval summaries) written or sent */
	uint64_t lost;		/* records not delivered, summed over destinations */
	/* Network exporters with a local buffer (0 for the others): */
	uint64_t queued;	/* records waiting in the buffer to be delivered */
	uint64_t retries;	/* deliveries tried again (reconnections, resent batches) */
	int up;			/* destination reachable: 1 yes, 0 no, -1 not a network exporter */
};

struct sf_exporter_ops {
	const char *name;
	/*
	 * Open what the configuration asks of this exporter: 0 with *x the
	 * instance, or NULL when it asks for nothing; -1 with a message in err
	 * (nothing stays open).
	 */
	int (*open)(const struct sf_config *cfg, void **x, char *err, size_t errlen);
	/* Sink callbacks (collector thread); NULL when the exporter takes none. */
	void (*record)(void *x, const struct sf_flow_record *r);
	void (*interval)(void *x, const struct sf_interval_agg *a);
	/*
	 * Optional, collector thread: called about every 10 ms (now_ns on the
	 * monotonic clock) so an exporter can flush a batch that waited long
	 * enough, reconnect, or poll its delivery reports without a record to
	 * carry it. It must not block.
	 */
	void (*tick)(void *x, uint64_t now_ns);
	/*
	 * Optional, collector thread, between records: reopen the output
	 * files (SIGHUP; logrotate has moved them away). What was written
	 * before is complete in the old file, what follows goes to a file
	 * opened again at the configured path (created, or appended to if it
	 * is still there), which starts as a file of this format does (a CSV
	 * header, IPFIX templates). A rotating writer completes its file and
	 * starts the next one. 0; 1 when this instance has no file (standard
	 * output, collectors only); -1 with a message in err: the output then
	 * loses what it is given until a later reopen succeeds, and its close
	 * reports the error. NULL: the exporter never writes files.
	 */
	int (*reopen)(void *x, char *err, size_t errlen);
	/*
	 * Flush and finish: files complete, last messages sent. 0; -1 with an
	 * error in err (the output is incomplete); 1 with a warning in err
	 * (e.g. messages a collector did not take). Counters stay readable.
	 */
	int (*close)(void *x, char *err, size_t errlen);
	/*
	 * Counters; called on the collector thread at any time (for the API and
	 * /metrics) and after close. An exporter with a thread of its own keeps
	 * them in atomics.
	 */
	void (*stats)(const void *x, struct sf_exporter_stats *st);
	/* Optional: the end-of-run report's line(s), after close. */
	void (*report)(const void *x, FILE *f);
	void (*free)(void *x);
};

extern const struct sf_exporter_ops sf_exporter_jsonl_flows;	/* output.flows */
extern const struct sf_exporter_ops sf_exporter_jsonl_intervals;	/* output.intervals */
extern const struct sf_exporter_ops sf_exporter_csv;		/* export.csv */
extern const struct sf_exporter_ops sf_exporter_ipfix;		/* export.ipfix */
/* export.clickhouse: inserts over HTTP from a thread of its own (sf_export_clickhouse.c) */
extern const struct sf_exporter_ops sf_exporter_clickhouse;
extern const struct sf_exporter_ops sf_exporter_kafka;		/* export.kafka (librdkafka) */

/* Every exporter, in the order the collector feeds them; NULL-terminated. */
extern const struct sf_exporter_ops *const sf_exporters[];

/*
 * Output files. With rotation (either limit non-zero) each file is written
 * as NAME.tmp and renamed to NAME once complete, so a reader never sees
 * half a file; NAME carries a sequence number before the extension
 * (flows.jsonl -> flows.000000.jsonl, flows.000001.jsonl, ...) and a new
 * file starts before a line that would pass `bytes`, or once the current
 * file is `ns` old (monotonic clock). Lines are never split. Without
 * rotation the file is written in place (it can be followed while it
 * grows). "-" is stdout: no rename, no rotation.
 */
struct sf_rotate {
	uint64_t bytes;		/* 0: no rotation by size */
	uint64_t ns;		/* 0: no rotation by time */
};

struct sf_rotfile;

/* header (or NULL) starts every file. NULL with a message in err on failure. */
struct sf_rotfile *sf_rotfile_open(const char *path, const char *header,
		const struct sf_rotate *rot, char *err, size_t errlen);
/* Append one unit (a line); it lands whole in one file. */
void sf_rotfile_write(struct sf_rotfile *rf, const char *s, size_t n);
/*
 * The same without a copy: reserve room for a unit of at most `max` bytes
 * (<= SF_ROTFILE_UNIT_MAX), write it at the pointer returned, then commit
 * the n bytes written. Nothing else may touch rf in between.
 */
#define SF_ROTFILE_UNIT_MAX (128u * 1024)
char *sf_rotfile_reserve(struct sf_rotfile *rf, size_t max);
void sf_rotfile_commit(struct sf_rotfile *rf, size_t n);
/* Files completed so far (renamed into place). */
uint64_t sf_rotfile_files(const struct sf_rotfile *rf);
/*
 * Reopen (SIGHUP, after logrotate moved the file away): with rotation, the
 * current file is completed and the next one started (when it holds more
 * than the header); without, the file is closed and the configured path
 * opened again for appending, created if it is gone (a new or empty file
 * gets the header). 0; 1 for stdout (nothing to reopen); -errno with a
 * message in err (then nothing is written until a reopen succeeds; close
 * reports it).
 */
int sf_rotfile_reopen(struct sf_rotfile *rf, char *err, size_t errlen);
/* Complete the last file; 0, or -errno of the first error (message in err). */
int sf_rotfile_close(struct sf_rotfile *rf, char *err, size_t errlen);

/* JSON lines */

struct sf_jsonl;

/*
 * Open a JSON-lines writer on `path` ("-" is stdout). interval_ns is used
 * by interval summaries; rot may be NULL (no rotation). NULL with a
 * message in err on failure.
 */
struct sf_jsonl *sf_jsonl_open(const char *path, uint64_t interval_ns,
		const struct sf_rotate *rot, char *err, size_t errlen);

/* Flush and close; 0, or -errno of the first write error (message in err). */
int sf_jsonl_close(struct sf_jsonl *j, char *err, size_t errlen);

/* Sink callbacks: arg is the struct sf_jsonl. */
void sf_jsonl_write_record(void *arg, const struct sf_flow_record *r);
void sf_jsonl_write_interval(void *arg, const struct sf_interval_agg *a);

/*
 * Format one record as a JSON object (no newline); returns its length. A
 * buffer of SF_JSONL_RECORD_LEN bytes holds any record (a static check in
 * sf_export_jsonl.c keeps it so as fields are added).
 */
#define SF_JSONL_RECORD_LEN 32768
size_t sf_jsonl_format_record(char *buf, size_t len, const struct sf_flow_record *r);

/* CSV (RFC 4180): a header line of the field names, then one line per record. */

struct sf_csv;

struct sf_csv *sf_csv_open(const char *path, const struct sf_rotate *rot,
		char *err, size_t errlen);
int sf_csv_close(struct sf_csv *c, char *err, size_t errlen);
/* Sink callback: arg is the struct sf_csv. */
void sf_csv_write_record(void *arg, const struct sf_flow_record *r);
/* The header line, with its newline. */
const char *sf_csv_header(void);
/* Format one record as a CSV line (no newline); returns its length. */
size_t sf_csv_format_record(char *buf, size_t len, const struct sf_flow_record *r);

/*
 * IPFIX (RFC 7011) over UDP. Each flow record becomes one data record of
 * the IPv4 or IPv6 template generated from sf_fields.h (a tunnelled flow's
 * in the tunnel template, an analysed TCP flow's in the TCP template, both
 * in the tunnel + TCP one; each of those with the application metadata in
 * its app twin when the record has some, and each of the sixteen with the
 * flow features in its feature twin when the record has them); in biflow mode the
 * responder's counters are RFC 5103 reverse elements of the same record,
 * in uniflow mode they form a second record with the ends swapped (a
 * direction without packets is not sent). Templates and the exporter
 * statistics options template are sent first and again every
 * template_refresh_ns or template_messages messages, whichever comes
 * first. Messages stay within mtu minus IP and UDP headers: a record with
 * application metadata too long for that has its longest texts cut (at a
 * UTF-8 character boundary) until it fits, and is counted (texts_cut);
 * an app template longer than a message (biflow, tunnelled, TCP health:
 * export.mtu below 580, 600 to an IPv6 collector, 4 more sampled) is not
 * sent, its records go without app elements, counted (apps_left_out).
 * Likewise a feature template longer than a message, or whose records
 * (texts cut) an empty message cannot hold, is not sent: its records go in
 * the template without features, counted (feats_left_out); features go
 * before app metadata, which stays where it was without them.
 * Every destination gets the same messages (one transport session each).
 * Sockets are non-blocking: a message the kernel refuses (EAGAIN,
 * ECONNREFUSED...) is counted as lost, never waited for.
 */
/* 4 collectors over UDP, 4 over TCP and a file */
#define SF_IPFIX_MAX_DEST (2 * SF_CONFIG_MAX_IPFIX + 1)
/* Bytes of messages kept per TCP collector by default (export.ipfix_buffer) */
#define SF_IPFIX_TCP_BUFFER (16u << 20)
#define SF_IPFIX_PEN_REVERSE 29305u	/* RFC 5103 */
#define SF_IPFIX_TID_V4 256
#define SF_IPFIX_TID_V6 257
#define SF_IPFIX_TID_STATS 258
#define SF_IPFIX_TID_SELECTOR 259	/* the sampling selector (PSAMP, RFC 5477) */
#define SF_IPFIX_TID_V4_TUN 260		/* records of tunnelled flows: what carried them */
#define SF_IPFIX_TID_V6_TUN 261
#define SF_IPFIX_TID_IE_TYPE 262	/* RFC 5610 type records of the enterprise elements */
/* Records of analysed TCP flows (tcp.analysis): the above and their TCP health */
#define SF_IPFIX_TID_V4_TCP 263
#define SF_IPFIX_TID_V6_TCP 264
#define SF_IPFIX_TID_V4_TUN_TCP 265
#define SF_IPFIX_TID_V6_TUN_TCP 266
/*
 * Records with application metadata (app.enabled, app kind not none): the
 * eight above (256, 257, 260, 261, 263..266) followed by the app elements,
 * 267 + (IPv6 1 | tunnelled 2 | TCP health 4).
 */
#define SF_IPFIX_TID_APP 267
#define SF_IPFIX_TID_V4_APP 267
#define SF_IPFIX_TID_V6_APP 268
#define SF_IPFIX_TID_V4_TUN_APP 269
#define SF_IPFIX_TID_V6_TUN_APP 270
#define SF_IPFIX_TID_V4_TCP_APP 271
#define SF_IPFIX_TID_V6_TCP_APP 272
#define SF_IPFIX_TID_V4_TUN_TCP_APP 273
#define SF_IPFIX_TID_V6_TUN_TCP_APP 274
/*
 * Records with flow features (features.enabled): the sixteen above (256,
 * 257, 260, 261, 263..274) followed by the feature elements,
 * 275 + (IPv6 1 | tunnelled 2 | TCP health 4 | app metadata 8).
 */
#define SF_IPFIX_TID_FEAT 275
#define SF_IPFIX_TID_V4_FEAT 275
#define SF_IPFIX_TID_V6_FEAT 276
#define SF_IPFIX_TID_V6_TUN_TCP_APP_FEAT 290
/*
 * The enterprise number of spanflow's own information elements (the
 * tunnel facts): 32473, the number RFC 5612 sets aside for examples and
 * documentation, until spanflow has one of its own from IANA.
 */
#define SF_IPFIX_PEN 32473u

enum sf_ipfix_mode {
	SF_IPFIX_BIFLOW = 0,
	SF_IPFIX_UNIFLOW,
};

struct sf_ipfix_params {
	unsigned int n_dest;
	const struct sf_hostport *dest;	/* n_dest collectors over UDP, parsed by the configuration */
	unsigned int n_tcp;
	const struct sf_hostport *tcp;	/* n_tcp collectors over TCP */
	const char *file;		/* an IPFIX file (RFC 5655), or NULL/"" */
	size_t tcp_buffer;		/* bytes kept per TCP collector; 0: SF_IPFIX_TCP_BUFFER */
	uint64_t linger_ns;		/* close: the wait for TCP collectors to confirm the rest */
	enum sf_ipfix_mode mode;
	uint32_t domain;		/* observation domain id */
	uint32_t mtu;			/* path MTU, >= 576 */
	uint64_t template_refresh_ns;	/* 0: no time-based refresh */
	uint32_t template_messages;	/* 0: no count-based refresh */
	/*
	 * Sampling (enum sf_sampling, 1 in sampling_rate): with one, records
	 * carry selectorId 1 and an options record describes the selector.
	 */
	uint8_t sampling;
	uint32_t sampling_rate;
	/* Tests: with send set, messages go there instead of sockets (n_dest 0). */
	int (*send)(void *arg, const uint8_t *msg, size_t len);
	void *send_arg;
};

struct sf_ipfix_stats {
	uint64_t messages;		/* messages built */
	uint64_t records;		/* data records built (flow records, uniflow halves) */
	uint64_t octets;		/* message bytes built */
	uint64_t messages_lost;		/* summed over destinations */
	uint64_t records_lost;		/* flow records, summed over destinations */
	int last_error;			/* errno of the last failed send, 0 if none */
	uint64_t queued;		/* flow records waiting for a TCP collector */
	uint64_t reconnects;		/* TCP sessions made after a first one */
	uint64_t texts_cut;		/* records whose texts were cut to fit export.mtu */
	/* records sent without app elements: their app template is longer than a message */
	uint64_t apps_left_out;
	/* records sent without feature elements: their feature template (or record) does not fit */
	uint64_t feats_left_out;
};

struct sf_ipfix;

struct sf_ipfix *sf_ipfix_open(const struct sf_ipfix_params *p, char *err, size_t errlen);
/*
 * Send what is buffered and the final statistics, close the sockets; the
 * final counters go to `last` when it is not NULL.
 */
void sf_ipfix_close(struct sf_ipfix *x, struct sf_ipfix_stats *last);
/*
 * Now and then (the exporter's tick): TCP collectors are connected, written
 * to, and their confirmations taken.
 */
void sf_ipfix_tick(struct sf_ipfix *x, uint64_t now_ns);
/* Send the buffered records now. */
void sf_ipfix_flush(struct sf_ipfix *x);
void sf_ipfix_get_stats(const struct sf_ipfix *x, struct sf_ipfix_stats *s);
/* Sink callbacks: arg is the struct sf_ipfix. An interval flushes the buffer. */
void sf_ipfix_write_record(void *arg, const struct sf_flow_record *r);
void sf_ipfix_write_interval(void *arg, const struct sf_interval_agg *a);
/*
 * The most bytes a data record of a template takes (sf_fields.h; a text
 * varies: an app text counts its longest, 3 + 255 bytes), for tests.
 */
size_t sf_ipfix_record_len(int ipver, enum sf_ipfix_mode mode, bool tun, bool tcp, bool app,
		bool feat);
/* flowEndReason code of an end reason (RFC 7011/IANA registry). */
uint8_t sf_ipfix_end_reason(enum sf_end_reason r);

#endif /* SF_EXPORT_H */
