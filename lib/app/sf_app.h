/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a flow carries: the metadata of its first TLS ClientHello (over
 * TCP, or in QUIC Initials), DNS question and response code, HTTP/1.x
 * request. The parsers here read untrusted bytes with every length
 * checked against what is there, and write struct sf_flow_app (the
 * record's part, sf_flow.h). Texts are copied with a length cap and made
 * safe for every output: valid UTF-8 passes, any other byte and every
 * control character becomes \xHH (as Zeek writes them).
 */
#ifndef SF_APP_H
#define SF_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_flow.h"

/* Bytes of a ClientHello (the handshake message) put together at most. */
#define SF_APP_HELLO_MAX 16384

/* Parser outcomes */
enum sf_app_status {
	SF_APP_DONE = 0,	/* parsed: the fields are set */
	SF_APP_MORE,		/* so far so good: needs the bytes that follow */
	SF_APP_BAD,		/* not what it should be: malformed, or not this protocol */
};

/*
 * Bytes at offsets (a TCP stream's first bytes, QUIC CRYPTO frames):
 * `len` bytes from 0 are all there. Pieces past SF_APP_HELLO_MAX are cut.
 */
struct sf_app_buf {
	uint32_t len;		/* contiguous bytes from offset 0 */
	uint32_t cut;		/* a piece reached past the end */
	uint8_t seen[SF_APP_HELLO_MAX / 8];	/* bit per byte received */
	uint8_t data[SF_APP_HELLO_MAX];
};

void sf_app_buf_reset(struct sf_app_buf *b);
/* Put n bytes at offset off (overlaps keep the first copy). */
void sf_app_buf_put(struct sf_app_buf *b, uint64_t off, const uint8_t *p, size_t n);

/*
 * A TLS handshake message (type, 3-byte length, body) that should be a
 * ClientHello: sets kind (TLS, or QUIC with quic true), name (SNI),
 * alpn (first), tls_version (highest offered, GREASE left out), ja3 and
 * ja4. MORE when the message is longer than n.
 */
enum sf_app_status sf_tls_client_hello(const uint8_t *p, size_t n, bool quic,
		struct sf_flow_app *out);

/*
 * The start of a TCP stream from the client, through TLS records: the
 * handshake bytes of the leading handshake records, copied into hs
 * (at most cap bytes); *hs_len gets their count. MORE while the records
 * may still go on; BAD when the stream does not start with a TLS
 * handshake record.
 */
enum sf_app_status sf_tls_records(const uint8_t *p, size_t n, uint8_t *hs, size_t cap,
		size_t *hs_len);

/*
 * A DNS message (over UDP; over TCP without the 2-byte length): the
 * first question's name and type; a response also its rcode
 * (SF_FLOW_APP_RCODE). `into` may already hold the query's question: a
 * response fills only what is missing.
 */
enum sf_app_status sf_dns_message(const uint8_t *p, size_t n, struct sf_flow_app *out);

/* Does a client's first payload start with an HTTP/1.x request line's method and a space? */
bool sf_http_looks_like(const uint8_t *p, size_t n);

/* An HTTP/1.x request head: method, Host, User-Agent. MORE before the end of the head. */
enum sf_app_status sf_http_request(const uint8_t *p, size_t n, struct sf_flow_app *out);

/*
 * Copy n bytes of untrusted text into out (cap bytes with the NUL), made
 * safe as the header says. Returns false when it had to cut.
 */
bool sf_app_text(char *out, size_t cap, const uint8_t *p, size_t n);

/* ---- a worker's inspection of its flows ---- */

/*
 * Inspection is bounded per flow: it looks at the first
 * SF_APP_PACKETS_MAX packets with payload (both directions) and at most
 * SF_APP_HELLO_MAX bytes of the client's stream, and stops as soon as
 * the protocol's facts are known. A flow whose first client payload is
 * in one packet needs no more than its cold area (struct sf_app_flow); a
 * ClientHello, DNS message or request head split over packets, and every
 * QUIC flow, borrows one of the worker's reassembly buffers
 * (sf_app_params.buffers) until it is parsed, given up, or the flow
 * ends. With none free, the flow is not inspected (counted).
 */
#define SF_APP_PACKETS_MAX 8

struct sf_app;	/* a worker's buffers and QUIC ciphers */

struct sf_app_params {
	uint32_t buffers;	/* reassembly buffers (>= 1) */
	int socket_id;
};

/* What inspection met, cumulative (the worker reads deltas per interval). */
struct sf_app_stats {
	uint64_t found[SF_APP_KINDS];	/* flows whose metadata was found, by kind */
	uint64_t malformed;	/* flows given up on bad bytes (a hostile or broken message) */
	uint64_t no_buffer;	/* flows not inspected: every reassembly buffer was lent */
	uint64_t cut;		/* a text longer than its field (cut, flagged in the record) */
};

/* Per-flow state, in the worker's cold area; zeroed is the start. */
struct sf_app_flow {
	uint8_t state;		/* internal */
	uint8_t packets;	/* payload packets examined */
	uint16_t buf;		/* a lent buffer, or none */
	uint32_t isn;		/* TCP: sequence number of the client's first payload byte */
	uint8_t isn_known;	/* isn came from the client's SYN */
	uint8_t pad[3];
	struct sf_flow_app res;	/* what was found */
};

#define SF_APP_STATE_DONE 6	/* sf_app_flow.state: nothing more to learn */

/* Does the flow still want its packets? */
static inline bool
sf_app_flow_active(const struct sf_app_flow *f)
{
	return f->state != SF_APP_STATE_DONE;
}

/* NULL with rte_errno set. */
struct sf_app *sf_app_create(const struct sf_app_params *p);
void sf_app_free(struct sf_app *a);
const struct sf_app_stats *sf_app_stats(const struct sf_app *a);

struct sf_pkt_info;

/*
 * A packet of an inspected flow: dir 0 from the initiator. frame and
 * caplen are the captured bytes pi was parsed from (NULL: nothing to see).
 */
void sf_app_packet(struct sf_app *a, struct sf_app_flow *f, const struct sf_pkt_info *pi,
		unsigned int dir, const uint8_t *frame, uint32_t caplen);

/* Into a record of the flow; `ends`: the flow ends, its buffer returns. */
void sf_app_record(struct sf_app *a, struct sf_app_flow *f, struct sf_flow_record *rec,
		bool ends);

#endif /* SF_APP_H */
