/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared pieces of the application parsers: the reassembly buffer and safe texts. */
#include <string.h>

#include "sf_app.h"

void
sf_app_buf_reset(struct sf_app_buf *b)
{
	b->len = 0;
	b->cut = 0;
	memset(b->seen, 0, sizeof(b->seen));
}

static inline bool
seen(const struct sf_app_buf *b, uint32_t i)
{
	return (b->seen[i >> 3] >> (i & 7)) & 1;
}

void
sf_app_buf_put(struct sf_app_buf *b, uint64_t off, const uint8_t *p, size_t n)
{
	uint32_t i, end;

	if (n == 0)
		return;
	if (off >= SF_APP_HELLO_MAX) {
		b->cut = 1;
		return;
	}
	if (n > SF_APP_HELLO_MAX - off) {
		n = (size_t)(SF_APP_HELLO_MAX - off);
		b->cut = 1;
	}
	end = (uint32_t)(off + n);
	for (i = (uint32_t)off; i < end; i++) {
		if (seen(b, i))
			continue;
		b->data[i] = p[i - off];
		b->seen[i >> 3] |= (uint8_t)(1u << (i & 7));
	}
	while (b->len < SF_APP_HELLO_MAX && seen(b, b->len))
		b->len++;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0. */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
			(cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool
sf_app_text(char *out, size_t cap, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0;

	if (cap == 0)
		return n == 0;
	while (i < n) {
		size_t len = 1;

		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)p[i];
		} else if (p[i] >= 0x80 && (len = utf8_seq(p + i, n - i)) != 0) {
			if (o + len >= cap)
				break;
			memcpy(out + o, p + i, len);
			o += len;
		} else {
			/* \xHH for control bytes, invalid UTF-8 and the backslash itself */
			len = 1;
			if (o + 4 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
		i += len;
	}
	out[o] = '\0';
	return i == n;
}

/* ---- a worker's inspection ---- */

#include <netinet/in.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "sf_pkt.h"
#include "sf_quic.h"

enum app_state {
	ST_IDLE = 0,	/* no payload seen yet */
	ST_TLS,		/* the client's stream: TLS records */
	ST_HTTP,	/* the client's stream: a request head */
	ST_DNS_TCP,	/* DNS over TCP: a length, then the message */
	ST_DNS_UDP,
	ST_QUIC,
	ST_DONE,	/* nothing more to learn */
	ST_DNS_ANSWER,	/* DNS over TCP: the question is known, the rcode is not */
	ST_AHEAD,	/* TCP: bytes came before the stream's first ones (reordered) */
};

_Static_assert(ST_DONE == SF_APP_STATE_DONE, "one value for done");

struct app_buf {
	struct sf_app_buf b;
	struct sf_quic_flow quic;
	uint32_t next;		/* free list: index + 1, 0 ends */
};

struct sf_app {
	struct sf_app_stats st;
	struct sf_quic *quic;	/* NULL: libcrypto cannot, QUIC is not inspected */
	uint32_t nbuf;
	uint32_t free;		/* index + 1 of the first free buffer, 0: none */
	struct app_buf *bufs;
	uint8_t hs[SF_APP_HELLO_MAX];	/* handshake bytes out of TLS records */
};

struct sf_app *
sf_app_create(const struct sf_app_params *p)
{
	struct sf_app *a;
	uint32_t i;

	if (p == NULL || p->buffers == 0 || p->buffers > UINT16_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	a = rte_zmalloc_socket("sf_app", sizeof(*a), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (a == NULL)
		goto fail;
	a->bufs = rte_malloc_socket("sf_app_bufs", sizeof(a->bufs[0]) * p->buffers,
			RTE_CACHE_LINE_SIZE, p->socket_id);
	if (a->bufs == NULL)
		goto fail;
	a->nbuf = p->buffers;
	for (i = 0; i < p->buffers; i++)
		a->bufs[i].next = i + 2 <= p->buffers ? i + 2 : 0;
	a->free = 1;
	a->quic = sf_quic_create();	/* without it QUIC flows are not looked into */
	return a;
fail:
	if (a != NULL)
		rte_free(a->bufs);
	rte_free(a);
	rte_errno = ENOMEM;
	return NULL;
}

void
sf_app_free(struct sf_app *a)
{
	if (a == NULL)
		return;
	sf_quic_free(a->quic);
	rte_free(a->bufs);
	rte_free(a);
}

const struct sf_app_stats *
sf_app_stats(const struct sf_app *a)
{
	return &a->st;
}

static struct app_buf *
buf_get(struct sf_app *a, struct sf_app_flow *f)
{
	struct app_buf *b;

	if (f->buf != 0)
		return &a->bufs[f->buf - 1];
	if (a->free == 0) {
		a->st.no_buffer++;
		return NULL;
	}
	f->buf = (uint16_t)a->free;
	b = &a->bufs[a->free - 1];
	a->free = b->next;
	sf_app_buf_reset(&b->b);
	memset(&b->quic, 0, sizeof(b->quic));
	return b;
}

static void
buf_put(struct sf_app *a, struct sf_app_flow *f)
{
	if (f->buf == 0)
		return;
	a->bufs[f->buf - 1].next = a->free;
	a->free = f->buf;
	f->buf = 0;
}

/* The flow is settled: found (DONE), or given up (BAD, or out of tries). */
static void
finish(struct sf_app *a, struct sf_app_flow *f, enum sf_app_status s)
{
	if (s == SF_APP_DONE && f->res.kind != SF_APP_NONE) {
		a->st.found[f->res.kind]++;
		if (f->res.flags & SF_FLOW_APP_CUT)
			a->st.cut++;
	} else if (s == SF_APP_BAD) {
		a->st.malformed++;
		f->res.kind = SF_APP_NONE;
	} else {
		f->res.kind = SF_APP_NONE;
	}
	f->state = ST_DONE;
	buf_put(a, f);
}

static inline uint16_t
ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The packet's L4 payload within what was captured; NULL for none. */
static const uint8_t *
payload(const struct sf_pkt_info *pi, const uint8_t *frame, uint32_t caplen, uint32_t *len)
{
	uint32_t off = pi->l4_off, start, plen;

	if (frame == NULL || (pi->frag & SF_PKT_FRAG_LATER))
		return NULL;
	if (pi->key.proto == IPPROTO_TCP) {
		if (!(pi->flags & SF_PKT_F_TCP) || (uint64_t)off + 13 > caplen)
			return NULL;
		start = off + (uint32_t)(frame[off + 12] >> 4) * 4;
		plen = pi->tcp.seglen;
	} else if (pi->key.proto == IPPROTO_UDP) {
		if ((uint64_t)off + 8 > caplen)
			return NULL;
		start = off + 8;
		plen = ld16(frame + off + 4);
		plen = plen >= 8 ? plen - 8 : 0;
	} else {
		return NULL;
	}
	if (start >= caplen || plen == 0)
		return NULL;
	*len = plen < caplen - start ? plen : caplen - start;
	return frame + start;
}

static inline bool
dns_port(const struct sf_pkt_info *pi)
{
	uint16_t s = pi->key.port_lo, d = pi->key.port_hi;

	return s == 53 || d == 53 || s == 5353 || d == 5353 || s == 5355 || d == 5355;
}

/* Parse the client's stream (p, n: contiguous bytes from its start) as the state says. */
static enum sf_app_status
stream_parse(struct sf_app_flow *f, const uint8_t *p, size_t n, bool full)
{
	enum sf_app_status s;

	switch (f->state) {
	case ST_TLS: {
		size_t rlen;

		/* one record with the whole hello: parse in place */
		if (n >= 9 && (rlen = ld16(p + 3)) + 5 <= n &&
				((size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8]) + 4 <= rlen &&
				p[0] == 22 && p[1] == 3)
			return sf_tls_client_hello(p + 5, rlen, false, &f->res);
		return SF_APP_MORE;
	}
	case ST_HTTP:
		s = sf_http_request(p, n, &f->res);
		/* a head longer than the buffer: take what is complete */
		return s == SF_APP_MORE && full && f->res.kind == SF_APP_HTTP ? SF_APP_DONE : s;
	case ST_DNS_TCP: {
		size_t len;

		if (n < 2)
			return SF_APP_MORE;
		len = ld16(p);
		if (n - 2 < len)
			return full ? SF_APP_BAD : SF_APP_MORE;
		return sf_dns_message(p + 2, len, &f->res);
	}
	default:
		return SF_APP_BAD;
	}
}

/*
 * The TLS stream when the hello is not in one record of one packet:
 * records unwrapped into a scratch copy of the handshake bytes.
 */
static enum sf_app_status
tls_from_buffer(struct sf_app *a, struct sf_app_flow *f, const struct sf_app_buf *b)
{
	uint8_t *hs = a->hs;
	enum sf_app_status r, s;
	size_t hs_len;

	r = sf_tls_records(b->data, b->len, hs, sizeof(a->hs), &hs_len);
	if (r == SF_APP_BAD)
		return r;
	s = sf_tls_client_hello(hs, hs_len, false, &f->res);
	if (s == SF_APP_MORE && (r == SF_APP_DONE || b->cut || b->len == SF_APP_HELLO_MAX))
		return SF_APP_BAD;	/* the records ended, or the buffer is full, before the hello */
	return s;
}

/* A DNS question over TCP waits for its answer's rcode; anything else is settled. */
static void
dns_or_finish(struct sf_app *a, struct sf_app_flow *f, enum sf_app_status s)
{
	if (f->state == ST_DNS_TCP && s == SF_APP_DONE && !(f->res.flags & SF_FLOW_APP_RCODE)) {
		f->state = ST_DNS_ANSWER;
		buf_put(a, f);
		return;
	}
	finish(a, f, s);
}

/* What a client's stream that starts with p is: ST_IDLE for nothing known. */
static uint8_t
tcp_kind(const struct sf_pkt_info *pi, const uint8_t *p, size_t n)
{
	if (dns_port(pi))
		return ST_DNS_TCP;
	if (n >= 2 && p[0] == 22 && p[1] == 3)
		return ST_TLS;
	if (sf_http_looks_like(p, n))
		return ST_HTTP;
	return ST_IDLE;
}

static void
tcp_client(struct sf_app *a, struct sf_app_flow *f, const struct sf_pkt_info *pi,
		const uint8_t *p, uint32_t n)
{
	enum sf_app_status s;
	struct app_buf *b;
	uint32_t off;

	if (f->state == ST_IDLE && f->isn_known && pi->tcp.seq != f->isn) {
		/* ahead of the stream's first bytes (reordered): kept until they come */
		off = pi->tcp.seq - f->isn;
		if (off >= SF_APP_HELLO_MAX)
			return;
		b = buf_get(a, f);
		if (b == NULL) {
			finish(a, f, SF_APP_MORE);
			return;
		}
		sf_app_buf_put(&b->b, off, p, n);
		f->state = ST_AHEAD;
		return;
	}
	if (f->state == ST_IDLE) {
		f->state = tcp_kind(pi, p, n);
		if (f->state == ST_IDLE) {
			/*
			 * A proxy's greeting (SOCKS) or a protocol that turns to TLS
			 * later (Gnutella) may come first: look on at each packet's
			 * start, the stream's start no longer matters.
			 */
			f->isn_known = 0;
			return;
		}
		if (!f->isn_known)
			f->isn = pi->tcp.seq;
		if (f->state == ST_DNS_TCP)
			f->res.kind = SF_APP_NONE;
		s = stream_parse(f, p, n, false);
		if (s != SF_APP_MORE) {
			dns_or_finish(a, f, s);
			return;
		}
	}
	if (f->state == ST_DNS_ANSWER)
		return;
	b = buf_get(a, f);
	if (b == NULL) {
		finish(a, f, SF_APP_MORE);
		return;
	}
	off = pi->tcp.seq - f->isn;
	if (off >= SF_APP_HELLO_MAX)
		return;		/* before the first byte (reordered), or far past */
	sf_app_buf_put(&b->b, off, p, n);
	if (f->state == ST_AHEAD) {
		if (b->b.len == 0)
			return;		/* the first bytes are still missing */
		f->state = tcp_kind(pi, b->b.data, b->b.len);
		if (f->state == ST_IDLE) {
			finish(a, f, SF_APP_MORE);
			return;
		}
	}
	if (f->state == ST_TLS)
		s = tls_from_buffer(a, f, &b->b);
	else
		s = stream_parse(f, b->b.data, b->b.len, b->b.cut || b->b.len == SF_APP_HELLO_MAX);
	if (s != SF_APP_MORE)
		dns_or_finish(a, f, s);
}

static void
quic_client(struct sf_app *a, struct sf_app_flow *f, const uint8_t *p, uint32_t n)
{
	struct app_buf *b;
	enum sf_app_status s;
	int k;

	if (f->state == ST_IDLE) {
		if (a->quic == NULL || !sf_quic_is_initial(p, n))
			return;	/* a QUIC client may start later in the flow (after STUN, say) */
		f->state = ST_QUIC;
	}
	b = buf_get(a, f);
	if (b == NULL) {
		finish(a, f, SF_APP_MORE);
		return;
	}
	k = sf_quic_client_datagram(a->quic, &b->quic, p, n, &b->b);
	if (k < 0) {
		finish(a, f, SF_APP_BAD);
		return;
	}
	if (k == 0)
		return;
	f->res.quic_version = b->quic.version;
	s = sf_tls_client_hello(b->b.data, b->b.len, true, &f->res);
	if (s == SF_APP_MORE && (b->b.cut || b->b.len == SF_APP_HELLO_MAX))
		s = SF_APP_BAD;
	if (s == SF_APP_DONE)
		f->res.quic_version = b->quic.version;
	if (s != SF_APP_MORE)
		finish(a, f, s);
}

void
sf_app_packet(struct sf_app *a, struct sf_app_flow *f, const struct sf_pkt_info *pi,
		unsigned int dir, const uint8_t *frame, uint32_t caplen)
{
	const uint8_t *p;
	uint32_t n;

	if (f->state == ST_DONE)
		return;
	if (pi->key.proto == IPPROTO_TCP && dir == 0 && (pi->flags & SF_PKT_F_TCP) &&
			(pi->tcp_flags & (SF_TCP_SYN | SF_TCP_ACK)) == SF_TCP_SYN) {
		/* the client's SYN: its stream starts at the next sequence number */
		f->isn = pi->tcp.seq + 1;
		f->isn_known = 1;
	}
	p = payload(pi, frame, caplen, &n);
	if (p == NULL)
		return;
	if (++f->packets > SF_APP_PACKETS_MAX) {
		/* DNS: a query without its answer still says what was asked */
		finish(a, f, f->res.kind == SF_APP_DNS ? SF_APP_DONE : SF_APP_MORE);
		return;
	}
	if (pi->key.proto == IPPROTO_UDP) {
		if (f->state == ST_IDLE && dns_port(pi))
			f->state = ST_DNS_UDP;
		if (f->state == ST_DNS_UDP) {
			if (sf_dns_message(p, n, &f->res) == SF_APP_BAD)
				finish(a, f, f->res.kind == SF_APP_DNS &&
						(f->res.flags & SF_FLOW_APP_QTYPE) ? SF_APP_DONE :
						SF_APP_BAD);
			else if ((f->res.flags & (SF_FLOW_APP_QTYPE | SF_FLOW_APP_RCODE)) ==
					(SF_FLOW_APP_QTYPE | SF_FLOW_APP_RCODE))
				finish(a, f, SF_APP_DONE);
			return;
		}
		if (dir == 0 && f->state == ST_IDLE && sf_http_looks_like(p, n)) {
			/* HTTP over UDP (SSDP): one datagram, one request */
			enum sf_app_status s = sf_http_request(p, n, &f->res);

			finish(a, f, s == SF_APP_MORE && f->res.kind == SF_APP_HTTP ?
					SF_APP_DONE : s);
			return;
		}
		if (dir == 0)
			quic_client(a, f, p, n);
		return;
	}
	if (dir == 0) {
		tcp_client(a, f, pi, p, n);
	} else if (f->state == ST_DNS_ANSWER && n > 2) {
		/* the first response's rcode: its header is in its first segment */
		if (sf_dns_message(p + 2, n - 2, &f->res) == SF_APP_DONE &&
				(f->res.flags & SF_FLOW_APP_RCODE))
			finish(a, f, SF_APP_DONE);
	}
}

void
sf_app_record(struct sf_app *a, struct sf_app_flow *f, struct sf_flow_record *rec, bool ends)
{
	if (ends && f->state != ST_DONE) {
		/* what is known when the flow ends: a DNS query with no answer, say */
		finish(a, f, f->res.kind != SF_APP_NONE && f->state != ST_TLS &&
				f->state != ST_QUIC ? SF_APP_DONE : SF_APP_MORE);
	}
	if (f->res.kind != SF_APP_NONE && (f->state == ST_DONE || f->state == ST_DNS_UDP ||
			f->state == ST_DNS_ANSWER))
		rec->app = f->res;
}
