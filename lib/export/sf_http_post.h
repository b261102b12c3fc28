/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small blocking HTTP/1.1 client for the exporters that talk HTTP
 * (ClickHouse): one POST per connection, with a deadline on the whole
 * exchange (connect, send, receive). It reads what such a server answers:
 * the status line, Content-Length or chunked bodies, and keeps the first
 * part of the body (the server's error text). Run it on an exporter's own
 * thread, never on the collector's.
 */
#ifndef SF_HTTP_POST_H
#define SF_HTTP_POST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sf_http_req {
	const char *host;		/* name or address (IPv6 without brackets) */
	uint16_t port;
	const char *target;		/* "/?query=..." (already escaped) */
	const char *headers;		/* extra header lines, each ending "\r\n", or NULL */
	const char *body;
	size_t body_len;
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC: give up then */
};

struct sf_http_resp {
	int status;			/* 0: no answer (see err) */
	/*
	 * The request went out whole or in part before the failure: the
	 * server may have acted on it. False when nothing was sent (no
	 * connection), so the caller knows a resend cannot duplicate.
	 */
	bool sent;
	char body[4096];		/* the body's first bytes, NUL-terminated */
	size_t body_len;
	char err[256];			/* what failed when status is 0 */
};

/*
 * Send one request and read the answer. 0 with r->status set (any
 * status); -1 when no complete answer came (connection refused, reset,
 * timeout, malformed answer), with the reason in r->err.
 */
int sf_http_post(const struct sf_http_req *q, struct sf_http_resp *r);

/* Append s percent-escaped for a URL's query to dst (size n); its new length, or n on overflow. */
size_t sf_http_escape(char *dst, size_t n, size_t at, const char *s);

/* Monotonic clock, ns. */
uint64_t sf_http_now_ns(void);

#endif /* SF_HTTP_POST_H */
