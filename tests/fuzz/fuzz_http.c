/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the HTTP API's request path, end to end.
 *
 * Two real sf_http servers (one without a token, one with) listen on
 * 127.0.0.1 with ephemeral ports in this process and serve a snapshot with
 * data (records and intervals through a real collector: top flows, talkers,
 * ports, protocols, IPv4 and IPv6). Each input becomes one raw request over
 * a socket, so MHD's parsing and percent-decoding of the query string feed
 * the handlers' argument checks (get_uint, by=) as they do in production.
 *
 * Input: byte 0 selects method (bits 0-1: GET, HEAD, GET, POST), server
 * (bit 2: the one with a token), a correct bearer token (bit 3) and the
 * protocol version (bit 4: HTTP/1.0). Then the request target up to the
 * first '\n', arbitrary bytes; after it, extra header bytes.
 *
 * Checks: a complete response arrives; its status is one the server may
 * give (never 500 or 503 with a snapshot published); a JSON body (every
 * status, HEAD aside) is valid RFC 8259 JSON in UTF-8; an error body is
 * {"error":..., "status": <the status>}; /metrics is well-formed
 * Prometheus text. ASan/UBSan/LSan watch the server thread too.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <rte_common.h>

#include "fuzz_common.h"
#include "sf_collector.h"
#include "sf_config.h"
#include "sf_flow.h"
#include "sf_http.h"
#include "sf_msg.h"
#include "sf_snapshot.h"

#define TOKEN "fuzz-token-0123"
#define MAX_RESP (4u << 20)

static struct sf_config cfg[2];
static struct sf_http *srv[2];
static struct sf_collector *coll;
static struct sf_snap_pub *pub;

/* Data: records over a few addresses and protocols, then intervals with top lists. */
static void
feed(void)
{
	static struct sf_msg_records m;
	static struct sf_msg_interval mi;
	static struct sf_interval_agg agg;
	unsigned int i, t;

	memset(&m, 0, sizeof(m));
	m.h.type = SF_MSG_RECORDS;
	m.h.count = SF_MSG_RECS;
	for (i = 0; i < SF_MSG_RECS; i++) {
		struct sf_flow_record *r = &m.rec[i];
		uint8_t a[16] = { 10, 0, 0, (uint8_t)(1 + i % 7) };
		uint8_t b[16] = { 192, 168, 1, (uint8_t)(1 + i % 3) };
		static const uint8_t protos[] = { 6, 17, 132, 1, 58, 47 };
		uint8_t proto = protos[i % sizeof(protos)];
		unsigned int alen = 4;

		if (i % 4 == 3) {
			memset(a, 0, sizeof(a));
			memset(b, 0, sizeof(b));
			a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8; a[15] = (uint8_t)i;
			b[0] = 0xfe; b[1] = 0x80; b[15] = 1;
			alen = 16;
		}
		r->initiator = sf_flow_key_make(&r->key, alen == 4 ? 4 : 6, a, b, alen,
				(uint16_t)(40000 + i), (uint16_t)(i % 5 == 0 ? 443 : 53 + i),
				proto, (uint16_t)(i % 8 == 0 ? 100 : 0));
		r->packets[0] = 1 + i;
		r->packets[1] = i;
		r->bytes[0] = 100 * (i + 1);
		r->bytes[1] = 60 * i;
		r->tcp_flags[0] = proto == 6 ? 0x1b : 0;
		r->start_ns = 1000000000ull + i * 1000;
		r->end_ns = 2000000000ull + i * 1000;
		r->end_reason = (uint8_t)(i % SF_END_MAX);
		r->dscp = (uint8_t)(i % 64);
	}
	sf_collector_handle(coll, &m.h);
	for (t = 0; t < 6; t++) {
		struct sf_interval_agg *a = &agg;

		memset(a, 0, sizeof(*a));
		a->interval = t;
		a->received = 100 + t;
		a->flowed = 90 + t;
		a->bytes = 9000 + t;
		a->filtered = 4;
		a->nonflow = 3;
		a->malformed = 3;
		a->malformed_by[1] = 3;
		a->flows_new = 5;
		a->flows_ended[0] = 2;
		a->flows_active = 3;
		a->ipv4_packets = 60;
		a->ipv6_packets = 30 + t;
		a->proto_packets[6] = 50;
		a->proto_bytes[6] = 5000;
		a->proto_packets[17] = 40 + t;
		a->proto_bytes[17] = 4000 + t;
		a->ntop = SF_TOPK;
		for (i = 0; i < SF_TOPK; i++) {
			uint8_t x[4] = { 10, 1, (uint8_t)t, (uint8_t)i };
			uint8_t y[4] = { 10, 2, 0, 1 };

			a->top[i].initiator = sf_flow_key_make(&a->top[i].key, 4, x, y, 4,
					(uint16_t)(1024 + i), 80, 6, 0);
			a->top[i].bytes = 1000 - 10 * i;
			a->top[i].packets = 1 + (i * 7) % SF_TOPK;
		}
		memset(&mi, 0, sizeof(mi));
		mi.h.type = SF_MSG_INTERVAL;
		mi.h.watermark = t == 5 ? SF_WATERMARK_DONE : t + 1;
		sf_msg_interval_pack(&mi, a);
		sf_collector_handle(coll, &mi.h);
	}
	sf_collector_finish(coll);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sf_collector_params cp;
	struct sf_http_params hp;
	struct sf_snap_state st;
	char err[256];
	unsigned int i;

	(void)argc;
	(void)argv;
	pub = sf_snap_pub_create();
	FUZZ_CHECK(pub != NULL);
	for (i = 0; i < 2; i++) {
		sf_config_defaults(&cfg[i]);
		if (sf_config_set(&cfg[i], "http.listen", "127.0.0.1:0", err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_http: %s\n", err);
			exit(1);
		}
		memset(&hp, 0, sizeof(hp));
		hp.cfg = &cfg[i];
		hp.input = i ? "eth\"0\\\x01" : "fuzz.pcap";
		hp.n_workers = 2;
		hp.live = i == 1;
		hp.pub = pub;
		if (i == 1)
			snprintf(cfg[i].http_token, sizeof(cfg[i].http_token), "%s", TOKEN);
		srv[i] = sf_http_create(&hp, err, sizeof(err));
		if (srv[i] == NULL) {
			fprintf(stderr, "fuzz_http: %s\n", err);
			exit(1);
		}
	}
	memset(&cp, 0, sizeof(cp));
	cp.n_workers = 1;
	cp.interval_ns = cfg[0].interval_ns;
	cp.history = 4;
	cp.live = true;
	coll = sf_collector_create(&cp);
	FUZZ_CHECK(coll != NULL);
	feed();
	memset(&st, 0, sizeof(st));
	st.n_workers = 2;
	st.finished = true;
	st.input_received = 1000;
	for (i = 0; i < 2; i++) {
		st.w[i].lcore = i + 1;
		st.w[i].packets = 400 + i;
		st.w[i].flows_active = 3;
		st.w[i].capacity = 4096;
		st.w[i].evictions = i;
		st.w[i].ring_size = 1024;
	}
	sf_snap_publish(pub, sf_collector_snapshot(coll, &st), sf_collector_version(coll));
	/* The servers, the snapshots and the collector live as long as the process. */
	return 0;
}

/* Strict RFC 8259 JSON with UTF-8 strings: a tiny recursive-descent checker. */

struct jp {
	const unsigned char *p, *end;
	int depth;
};

static void
ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' ||
			*j->p == '\r'))
		j->p++;
}

static bool
lit(struct jp *j, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n) != 0)
		return false;
	j->p += n;
	return true;
}

/* One UTF-8 sequence (no overlongs, no surrogates, <= U+10FFFF). */
static bool
utf8(struct jp *j)
{
	unsigned char c = *j->p;
	unsigned int n, cp, i;

	if (c < 0x80) {
		j->p++;
		return true;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else {
		return false;
	}
	if (j->end - j->p <= (long)n)
		return false;
	for (i = 1; i <= n; i++) {
		if ((j->p[i] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (j->p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
			(cp >= 0xd800 && cp <= 0xdfff))
		return false;
	j->p += n + 1;
	return true;
}

static bool
jstring(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20)
			return false;
		if (*j->p == '\\') {
			j->p++;
			if (j->p >= j->end)
				return false;
			if (*j->p == 'u') {
				int k;

				for (k = 1; k <= 4; k++)
					if (j->p + k >= j->end || !isxdigit(j->p[k]))
						return false;
				j->p += 5;
			} else if (strchr("\"\\/bfnrt", *j->p) != NULL && *j->p != '\0') {
				j->p++;
			} else {
				return false;
			}
		} else if (!utf8(j)) {
			return false;
		}
	}
	if (j->p >= j->end)
		return false;
	j->p++;
	return true;
}

static bool
digits(struct jp *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool
jnumber(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return false;
	}
	return true;
}

static bool jvalue(struct jp *j);

static bool
jcontainer(struct jp *j, char close, bool object)
{
	bool first = true;

	if (++j->depth > 64)
		return false;
	j->p++;		/* the opening bracket */
	for (;;) {
		ws(j);
		if (j->p < j->end && *j->p == close && first) {
			j->p++;
			break;
		}
		if (object) {
			if (!jstring(j))
				return false;
			ws(j);
			if (j->p >= j->end || *j->p != ':')
				return false;
			j->p++;
		}
		if (!jvalue(j))
			return false;
		ws(j);
		first = false;
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			break;
		}
		return false;
	}
	j->depth--;
	return true;
}

static bool
jvalue(struct jp *j)
{
	ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{': return jcontainer(j, '}', true);
	case '[': return jcontainer(j, ']', false);
	case '"': return jstring(j);
	case 't': return lit(j, "true");
	case 'f': return lit(j, "false");
	case 'n': return lit(j, "null");
	default: return jnumber(j);
	}
}

static bool
json_valid(const char *s, size_t n)
{
	struct jp j = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };

	if (!jvalue(&j))
		return false;
	ws(&j);
	return j.p == j.end;
}

/* Prometheus text 0.0.4: comments, or `name{labels} value`. */
static bool
prom_valid(const char *s, size_t n)
{
	const char *end = s + n, *nl;

	if (n == 0 || s[n - 1] != '\n')
		return false;
	for (; s < end; s = nl + 1) {
		const char *p = s;

		nl = memchr(s, '\n', (size_t)(end - s));
		if (*p == '#')
			continue;
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return false;
		while (p < nl && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				*p == '_'))
			p++;
		if (p < nl && *p == '{') {
			/* label="value" pairs; values escape \ " and newline */
			for (p++; p < nl && *p != '}';) {
				while (p < nl && *p != '=' && *p != '"')
					p++;
				if (p + 1 >= nl || p[0] != '=' || p[1] != '"')
					return false;
				for (p += 2; p < nl && *p != '"'; p++)
					if (*p == '\\')
						p++;
				if (p >= nl)
					return false;
				p++;
				if (p < nl && *p == ',')
					p++;
			}
			if (p >= nl)
				return false;
			p++;
		}
		if (p >= nl || *p != ' ' || p + 1 >= nl)
			return false;
		{
			char num[64], *e;
			size_t k = (size_t)(nl - p - 1);

			if (k >= sizeof(num))
				return false;
			memcpy(num, p + 1, k);
			num[k] = '\0';
			strtod(num, &e);
			if (*e != '\0')
				return false;
		}
	}
	return true;
}

static bool
ci_contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

struct resp {
	char *buf;
	size_t n;
	int status;
	const char *body;
	size_t body_len;
	bool json, prom, complete;
};

/* The value of header `name` in the response head, or NULL. */
static const char *
header(const struct resp *r, const char *name, size_t *len)
{
	const char *p = strstr(r->buf, "\r\n"), *head_end = r->body - 2;
	size_t k = strlen(name);

	while (p != NULL && p + 2 < head_end) {
		const char *line = p + 2, *eol = strstr(line, "\r\n");

		if (eol == NULL)
			return NULL;
		if ((size_t)(eol - line) > k && strncasecmp(line, name, k) == 0 &&
				line[k] == ':') {
			line += k + 1;
			while (*line == ' ')
				line++;
			*len = (size_t)(eol - line);
			return line;
		}
		p = eol;
	}
	return NULL;
}

/* Read one response: head, then Content-Length bytes of body (none for HEAD). */
static void
read_response(int fd, bool head, struct resp *r)
{
	size_t want = SIZE_MAX;
	ssize_t k;

	static char *buf;

	/* One buffer for the process: a fresh 4 MiB per input is slow under ASan. */
	if (buf == NULL)
		buf = malloc(MAX_RESP + 1);
	FUZZ_CHECK(buf != NULL);
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	while (r->n < MAX_RESP && (want == SIZE_MAX || r->n < want)) {
		k = read(fd, r->buf + r->n, MAX_RESP - r->n);
		if (k <= 0)
			break;
		r->n += (size_t)k;
		r->buf[r->n] = '\0';
		if (r->body == NULL) {
			const char *e = strstr(r->buf, "\r\n\r\n");
			const char *cl;
			size_t len;

			if (e == NULL)
				continue;
			r->body = e + 4;
			cl = header(r, "Content-Length", &len);
			want = (size_t)(r->body - r->buf) +
				(head || cl == NULL ? 0 : strtoul(cl, NULL, 10));
		}
	}
	r->buf[r->n] = '\0';
	if (r->body == NULL)
		return;
	r->complete = r->n >= want;
	r->body_len = r->n - (size_t)(r->body - r->buf);
	if (sscanf(r->buf, "HTTP/1.%*[01] %d ", &r->status) != 1)
		r->status = -1;
	{
		size_t len;
		const char *ct = header(r, "Content-Type", &len);

		r->json = ct != NULL && len >= 16 && strncmp(ct, "application/json", 16) == 0;
		r->prom = ct != NULL && len >= 10 && strncmp(ct, "text/plain", 10) == 0;
	}
}

/*
 * Send one request and read the answer. The client resets the connection
 * when it closes (SO_LINGER 0): 5000 connections a second would otherwise
 * use up the ephemeral ports in TIME_WAIT.
 */
static void
exchange(unsigned int which, const char *req, size_t n, bool head, struct resp *r)
{
	struct sockaddr_in sa;
	struct timeval tv = { 3, 0 };
	struct linger lg = { 1, 0 };
	size_t off = 0;
	ssize_t k;
	int fd, i, rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(sf_http_port(srv[which]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 50 && rc != 0; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		FUZZ_CHECK(fd >= 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (rc != 0) {
			close(fd);
			usleep(10000);
		}
	}
	if (rc != 0) {
		fprintf(stderr, "connect to 127.0.0.1:%u: %s\n", sf_http_port(srv[which]),
				strerror(errno));
		FUZZ_CHECK(0);
	}
	/* The server may answer (413, 414, 431) and close before reading it all. */
	while (off < n && (k = send(fd, req + off, n - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)k;
	read_response(fd, head, r);
	close(fd);
}

static bool
status_expected(int s)
{
	/* Ours: 200 400 401 404 405; MHD's own for malformed requests. */
	static const int ok[] = { 200, 400, 401, 404, 405, 413, 414, 431, 501, 505 };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (s == ok[i])
			return true;
	return false;
}

/*
 * The status the API must give a simple request: a route, then a query of
 * distinct key=value pairs of plain characters (nothing MHD decodes), so
 * the arguments the handler sees are known. -1 for any other request.
 * Contract: n (top lists) and last (intervals) are decimal counts in
 * 1..max, by is bytes or packets, other keys are ignored; a key without
 * '=' is absent.
 */
static int
expected_status(const unsigned char *t, size_t tlen, bool post, bool need_token)
{
	static const struct {
		const char *path, *count;
		unsigned long max;
		bool by;
	} routes[] = {
		{ "/api/v1/summary", NULL, 0, false },
		{ "/api/v1/intervals", "last", 1000000, false },
		{ "/api/v1/flows/top", "n", SF_TOPK, true },
		{ "/api/v1/talkers/top", "n", SF_TOPK, false },
		{ "/api/v1/ports/top", "n", SF_TOPK, false },
		{ "/api/v1/protocols", NULL, 0, false },
		{ "/api/v1/workers", NULL, 0, false },
		{ "/api/v1/config", NULL, 0, false },
		{ "/metrics", NULL, 0, false },
	};
	char q[512], *save = NULL, *kv, *seen[32];
	size_t plen = 0, i, j, nseen = 0;
	int st = 200;

	while (plen < tlen && t[plen] != '?')
		plen++;
	for (i = 0; i < RTE_DIM(routes); i++)
		if (strlen(routes[i].path) == plen && memcmp(t, routes[i].path, plen) == 0)
			break;
	if (i == RTE_DIM(routes) || tlen - plen >= sizeof(q))
		return -1;
	for (j = plen + 1; j < tlen; j++)
		if (!isalnum(t[j]) && strchr("=&_.-", t[j]) == NULL)
			return -1;
	if (post)
		return 405;
	if (need_token)
		return 401;
	if (plen == tlen)
		return 200;
	memcpy(q, t + plen + 1, tlen - plen - 1);
	q[tlen - plen - 1] = '\0';
	if (strstr(q, "&&") != NULL || q[0] == '&' || q[0] == '\0' ||
			q[strlen(q) - 1] == '&')
		return -1;
	for (kv = strtok_r(q, "&", &save); kv != NULL; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		const char *v;

		if (eq == NULL || eq == kv || nseen == RTE_DIM(seen))
			return -1;	/* no value, empty key: left to MHD */
		*eq = '\0';
		v = eq + 1;
		for (j = 0; j < nseen; j++)
			if (strcmp(seen[j], kv) == 0)
				return -1;	/* repeated keys: left out */
		seen[nseen++] = kv;
		if (routes[i].count != NULL && strcmp(kv, routes[i].count) == 0) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);

			if (!isdigit((unsigned char)v[0]) || *end != '\0' || n < 1 ||
					n > routes[i].max)
				st = 400;
		} else if (routes[i].by && strcmp(kv, "by") == 0) {
			if (strcmp(v, "bytes") != 0 && strcmp(v, "packets") != 0)
				st = 400;
		}
	}
	return st;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const methods[] = { "GET", "HEAD", "GET", "POST" };
	const unsigned char *nl;
	size_t tlen, hlen, n = 0;
	const char *method;
	unsigned int which, i;
	bool head, token, v10;
	struct resp r;
	char *req;

	if (size < 1 || size > 16384)
		return -1;
	method = methods[data[0] & 3];
	head = (data[0] & 3) == 1;
	which = (data[0] >> 2) & 1;
	token = (data[0] >> 3) & 1;
	v10 = (data[0] >> 4) & 1;
	data++;
	size--;
	nl = memchr(data, '\n', size);
	tlen = nl != NULL ? (size_t)(nl - data) : size;
	hlen = nl != NULL ? size - tlen - 1 : 0;
	/* A body announced but never sent makes MHD wait: not the API's business. */
	if (hlen != 0 && (ci_contains((const char *)nl + 1, hlen, "content-length") ||
			ci_contains((const char *)nl + 1, hlen, "transfer-encoding") ||
			ci_contains((const char *)nl + 1, hlen, "expect")))
		hlen = 0;

	req = malloc(tlen + hlen + 256);
	FUZZ_CHECK(req != NULL);
	n += (size_t)sprintf(req + n, "%s ", method);
	memcpy(req + n, data, tlen);
	n += tlen;
	n += (size_t)sprintf(req + n, " HTTP/1.%c\r\nHost: 127.0.0.1\r\n"
			"Connection: close\r\n", v10 ? '0' : '1');
	if (token)
		n += (size_t)sprintf(req + n, "Authorization: Bearer " TOKEN "\r\n");
	if (hlen != 0) {
		memcpy(req + n, nl + 1, hlen);
		n += hlen;
		n += (size_t)sprintf(req + n, "\r\n");
	}
	n += (size_t)sprintf(req + n, "\r\n");

	exchange(which, req, n, head, &r);

	/*
	 * MHD may close without answering a request it cannot parse at all; a
	 * request line with a target free of spaces and controls always gets an
	 * answer.
	 */
	if (r.body == NULL) {
		bool plain = tlen > 0;

		for (i = 0; i < tlen; i++)
			if (data[i] <= 0x20 || data[i] == 0x7f)
				plain = false;
		/*
		 * A server at its connection limit closes new connections at
		 * once: ask again before calling it a failure.
		 */
		for (i = 0; plain && hlen == 0 && i < 5 && r.body == NULL; i++) {
			usleep(20000u << i);
			exchange(which, req, n, head, &r);
		}
		if (plain && hlen == 0 && r.body == NULL) {
			fprintf(stderr, "no response to a plain request (%zu bytes read)\n", r.n);
			FUZZ_CHECK(0);
		}
		if (r.body == NULL) {
			free(req);
			return 0;
		}
	}
	free(req);
	if (getenv("FUZZ_HTTP_VERBOSE") != NULL)
		fprintf(stderr, "%d %zu bytes: %.*s\n", r.status, r.body_len,
				(int)RTE_MIN(r.body_len, (size_t)160), r.body);
	/*
	 * The active-flow search asks the workers: this harness runs none, so
	 * the search says so (503), as spanflow does before its workers start.
	 */
	if (!status_expected(r.status) && !(r.status == 503 && tlen >= 13 &&
			memcmp(data, "/api/v1/flows", 13) == 0 &&
			(tlen == 13 || data[13] == '?' || data[13] == '#' || data[13] == '\0'))) {
		fprintf(stderr, "unexpected status %d\n%.*s\n", r.status, (int)r.n, r.buf);
		FUZZ_CHECK(0);
	}
	FUZZ_CHECK(r.complete);
	/* Simple requests: the argument checks give exactly the documented answer. */
	if (hlen == 0) {
		int want = expected_status(data, tlen, (data[-1] & 3) == 3,
				which == 1 && !token);

		if (want != -1 && r.status != want) {
			fprintf(stderr, "status %d, expected %d for %.*s\n%.*s\n", r.status,
					want, (int)tlen, data, (int)r.n, r.buf);
			FUZZ_CHECK(0);
		}
	}
	if (!head && r.json) {
		if (!json_valid(r.body, r.body_len)) {
			fprintf(stderr, "invalid JSON (status %d):\n%.*s\n", r.status,
					(int)r.body_len, r.body);
			FUZZ_CHECK(0);
		}
		if (r.status != 200) {
			char want[32];

			snprintf(want, sizeof(want), ",\"status\":%d}\n", r.status);
			FUZZ_CHECK(strncmp(r.body, "{\"error\":\"", 10) == 0);
			FUZZ_CHECK(r.body_len > strlen(want) && strcmp(r.body + r.body_len -
					strlen(want), want) == 0);
		}
	}
	if (!head && r.status == 200 && r.prom && !prom_valid(r.body, r.body_len)) {
		fprintf(stderr, "invalid Prometheus text:\n%.*s\n", (int)r.body_len, r.body);
		FUZZ_CHECK(0);
	}
	/* Only the page and the API answer 200: JSON, Prometheus or the page. */
	if (r.status == 200 && !head && !r.json && !r.prom)
		FUZZ_CHECK(r.body_len > 15 && strncasecmp(r.body, "<!doctype html", 14) == 0);
	return 0;
}
