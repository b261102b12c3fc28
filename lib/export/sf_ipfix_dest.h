/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where IPFIX messages go (private to lib/export): a collector over UDP, a
 * collector over TCP (RFC 7011 section 10.4), or a file (RFC 5655). The
 * message builder (sf_export_ipfix.c) makes each message once and hands it
 * to every destination; nothing here blocks the collector thread.
 *
 * UDP: a connected non-blocking socket; a datagram the kernel refuses is
 * lost, counted.
 *
 * TCP: messages are copied into a bounded buffer and written as the
 * socket takes them. A message leaves the buffer only once the collector's
 * TCP has acknowledged its last byte (SIOCOUTQ), so a connection that
 * drops loses nothing it had not confirmed: the exporter reconnects with
 * back-off (100 ms doubling to 5 s), starts the new transport session
 * with every template (the builder's `templates` callback) and sends the
 * unconfirmed messages again, their sequence numbers rewritten for the
 * session. A message that finds the buffer full is lost, counted. A
 * collector that took bytes but died before reading them may have lost
 * them; so it is with any TCP exporter.
 *
 * File: messages appended in order (buffered stdio), the first with the
 * templates, as RFC 5655 lays a file out. A file is a session of its own:
 * sequence numbers count the data records in it. Reopened (SIGHUP, after
 * logrotate moved it away), the path is opened again for appending and
 * the new file starts with every template (the `templates` callback) and
 * sequence number 0, so each file decodes on its own.
 */
#ifndef SF_IPFIX_DEST_H
#define SF_IPFIX_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_config.h"

enum sf_ipfix_dest_kind {
	SF_IPFIX_DEST_UDP,
	SF_IPFIX_DEST_TCP,
	SF_IPFIX_DEST_FILE,
};

/*
 * Write every template and options template (with their type and options
 * records) as one or more whole messages into buf (at most cap bytes);
 * returns the bytes written and the data records in them (*records), for
 * a new TCP session whose sequence numbers start at seq.
 */
typedef size_t (*sf_ipfix_templates_fn)(void *arg, uint8_t *buf, size_t cap, uint32_t seq,
		uint32_t *records);

struct sf_ipfix_dest_stats {
	uint64_t messages_lost;
	uint64_t records_lost;	/* flow records in them */
	uint64_t queued;	/* flow records waiting (TCP: not yet confirmed) */
	uint64_t sessions;	/* TCP connections made */
	uint64_t reconnects;	/* TCP connections made after the first */
	int last_error;		/* errno of the last failure, 0 if none */
};

struct sf_ipfix_dest;

/*
 * Open a destination: UDP and TCP to hp, a file at path; templates: what
 * a new TCP session or a reopened file starts with. A TCP collector
 * that is not there yet is not an error (the messages wait); a name that
 * does not resolve or a file that cannot be created is. The first
 * connection is tried on the first tick, never inside open. buffer: TCP bytes
 * kept. *overhead: bytes of IP and UDP headers (UDP only: 28, 48 over IPv6).
 * NULL with a message in err.
 */
struct sf_ipfix_dest *sf_ipfix_dest_open(enum sf_ipfix_dest_kind kind,
		const struct sf_hostport *hp, const char *path, size_t buffer,
		sf_ipfix_templates_fn templates, void *templates_arg, uint32_t *overhead,
		char *err, size_t errlen);
/* One whole message with `records` data records, `flows` of them flow records. */
void sf_ipfix_dest_send(struct sf_ipfix_dest *d, const uint8_t *msg, size_t len,
		uint32_t records, uint32_t flows);
/*
 * A file: close it and open its path again, the templates first (see
 * above); other destinations: nothing. 0, or -errno (messages for it are
 * then lost, counted, until a reopen succeeds; close reports the error).
 */
int sf_ipfix_dest_reopen(struct sf_ipfix_dest *d);
/* Collector thread, now and then: connect, write, see what was confirmed. */
void sf_ipfix_dest_tick(struct sf_ipfix_dest *d, uint64_t now_ns);
/* True when nothing waits (TCP: everything confirmed; others: always). */
bool sf_ipfix_dest_idle(const struct sf_ipfix_dest *d);
/* 1 connected, 0 not, -1 no connection to speak of (UDP, file). */
int sf_ipfix_dest_up(const struct sf_ipfix_dest *d);
void sf_ipfix_dest_stats(const struct sf_ipfix_dest *d, struct sf_ipfix_dest_stats *st);
const char *sf_ipfix_dest_name(const struct sf_ipfix_dest *d);
enum sf_ipfix_dest_kind sf_ipfix_dest_kind(const struct sf_ipfix_dest *d);
/*
 * Close: what still waits is counted lost (call sf_ipfix_dest_tick until
 * sf_ipfix_dest_idle first to give it a chance). 0, or -errno of a file's
 * write error.
 */
int sf_ipfix_dest_close(struct sf_ipfix_dest *d);
/* After close (its counters stay readable until then). */
void sf_ipfix_dest_free(struct sf_ipfix_dest *d);

#endif /* SF_IPFIX_DEST_H */
