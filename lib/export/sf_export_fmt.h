/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text formatting of record values for the JSON-lines and CSV writers,
 * without stdio: each function writes at p, unchecked, and returns the
 * end. The caller guarantees room (the SF_FMT_*_MAX bounds). The output
 * is byte for byte that of printf("%" PRIu64) and glibc's inet_ntop(), so
 * files do not change with the writer (tests/unit/test_export.c compares
 * them on edge cases and random values).
 */
#ifndef SF_EXPORT_FMT_H
#define SF_EXPORT_FMT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_flow.h"
#include "sf_pkt.h"

/* The longest text of a value of each kind of sf_fields.h. */
#define SF_FMT_MAX_TIME 20	/* 18446744073709551615 */
#define SF_FMT_MAX_U64 20
#define SF_FMT_MAX_U32 10
#define SF_FMT_MAX_U16 5
#define SF_FMT_MAX_U8 3
#define SF_FMT_MAX_ADDR 45	/* INET6_ADDRSTRLEN - 1: ffff:...:ffff, ::ffff:a.b.c.d */
#define SF_FMT_MAX_REASON 32	/* names are cut here; the longest has 12 bytes */
#define SF_FMT_MAX_CTX 16	/* context kind names are cut here; the longest has 7 */
#define SF_FMT_MAX_CTXID 10
#define SF_FMT_MAX_SAMPLING 8	/* sampling names are cut here; the longest has 6 */
#define SF_FMT_MAX_ENCAP_NAME 15	/* an encapsulation name is cut here; the longest has 10 */
#define SF_FMT_MAX_ENCAPS (32 * (SF_FMT_MAX_ENCAP_NAME + 1))	/* every bit, '+' between */
#define SF_FMT_MAX_OADDR SF_FMT_MAX_ADDR
#define SF_FMT_MAX_OPT SF_FMT_MAX_U32
#define SF_FMT_MAX_OPT64 SF_FMT_MAX_U64
#define SF_FMT_MAX_OPT16 SF_FMT_MAX_U16
#define SF_FMT_MAX_OPT8 SF_FMT_MAX_U8
#define SF_FMT_MAX_OPTN16 SF_FMT_MAX_U16
#define SF_FMT_MAX_OPTN8 SF_FMT_MAX_U8
#define SF_FMT_MAX_ZSTATE 8	/* conn_state names are cut here; the longest has 6 */
#define SF_FMT_MAX_MPLS SF_FMT_MAX_U32
#define SF_FMT_MAX_STR 32	/* short texts (STR fields) are cut here */
/*
 * A text of the application metadata (TEXT): at most SF_FLOW_APP_NAME - 1
 * bytes, each written as at most 6 (JSON's \u00XX), quotes around.
 */
#define SF_FMT_TEXT_IN (SF_FLOW_APP_NAME - 1)
#define SF_FMT_MAX_TEXT (6 * SF_FMT_TEXT_IN + 2)
#define SF_FMT_MAX_APP 8	/* application kind names are cut here; the longest has 4 */
#define SF_FMT_MAX_TLSVER 8	/* "TLS 1.3", "SSL 3.0", "0xhhhh" */
#define SF_FMT_MAX_DBL 24	/* -1.2345678901234567e-308 */
/* A SPLT list: quotes, brackets, 255 values of at most 11 characters ("4294967.295") and ", " */
#define SF_FMT_MAX_SPLT (4 + SF_FEAT_SPLT_MAX * 13)
#define SF_FMT_MAX_SPLTD SF_FMT_MAX_SPLT
#define SF_FMT_MAX_SPLTP SF_FMT_MAX_SPLT
#define SF_FMT_MAX_SPLTG SF_FMT_MAX_SPLT

static const char sf_fmt_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Two digits of v < 100 at p. */
static inline void
sf_fmt_2(char *p, uint32_t v)
{
	memcpy(p, sf_fmt_digits2 + 2 * v, 2);
}

/* Exactly eight digits (leading zeros) of v < 10^8 at p, in 32-bit arithmetic. */
static inline void
sf_fmt_8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	sf_fmt_2(p, hi / 100);
	sf_fmt_2(p + 2, hi % 100);
	sf_fmt_2(p + 4, lo / 100);
	sf_fmt_2(p + 6, lo % 100);
}

/* Decimal of a 32-bit value, as "%u". */
static inline char *
sf_fmt_u32(char *p, uint32_t v)
{
	unsigned int n;
	char *e;

	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		sf_fmt_2(p, v);
		return p + 2;
	}
	n = v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 :
		v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
	e = p + n;
	/* Two digits per division, from the end. */
	while (v >= 100) {
		e -= 2;
		sf_fmt_2(e, v % 100);
		v /= 100;
	}
	if (v >= 10)
		sf_fmt_2(e - 2, v);
	else
		e[-1] = (char)('0' + v);
	return p + n;
}

/* Decimal, as "%" PRIu64: eight digits at a time in 32-bit arithmetic. */
static inline char *
sf_fmt_u64(char *p, uint64_t v)
{
	uint64_t hi;

	if (v < 100000000)
		return sf_fmt_u32(p, (uint32_t)v);
	hi = v / 100000000;
	if (hi < 100000000) {
		p = sf_fmt_u32(p, (uint32_t)hi);
	} else {
		p = sf_fmt_u32(p, (uint32_t)(hi / 100000000));
		sf_fmt_8(p, (uint32_t)(hi % 100000000));
		p += 8;
	}
	sf_fmt_8(p, (uint32_t)(v % 100000000));
	return p + 8;
}

/* One byte in decimal, 1 to 3 digits. */
static inline char *
sf_fmt_u8(char *p, unsigned int b)
{
	if (b >= 100) {
		*p = (char)('0' + b / 100);
		sf_fmt_2(p + 1, b % 100);
		return p + 3;
	}
	if (b >= 10) {
		sf_fmt_2(p, b);
		return p + 2;
	}
	*p = (char)('0' + b);
	return p + 1;
}

/* Dotted quad of a[0..3]. */
static inline char *
sf_fmt_ipv4(char *p, const uint8_t *a)
{
	p = sf_fmt_u8(p, a[0]);
	*p++ = '.';
	p = sf_fmt_u8(p, a[1]);
	*p++ = '.';
	p = sf_fmt_u8(p, a[2]);
	*p++ = '.';
	return sf_fmt_u8(p, a[3]);
}

/* A 16-bit word in lower-case hex without leading zeros, as "%x". */
static inline char *
sf_fmt_hex16(char *p, unsigned int w)
{
	static const char hex[] = "0123456789abcdef";
	int s = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;

	for (; s >= 0; s -= 4)
		*p++ = hex[(w >> s) & 0xf];
	return p;
}

/*
 * RFC 5952 text, with glibc's inet_ntop() choices: the first longest run
 * of two or more zero words becomes "::", and an address whose first six
 * words are zero (IPv4-compatible) or whose first five are zero and sixth
 * ffff (IPv4-mapped) ends in a dotted quad.
 */
static inline char *
sf_fmt_ipv6(char *p, const uint8_t *a)
{
	unsigned int w[8];
	int i, best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (i = 0; i < 8; i++) {
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				cur_len = 0;
			}
			cur_len++;
		} else if (cur >= 0) {
			if (cur_len > best_len) {
				best = cur;
				best_len = cur_len;
			}
			cur = -1;
		}
	}
	if (cur >= 0 && cur_len > best_len) {
		best = cur;
		best_len = cur_len;
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return sf_fmt_ipv4(p, a + 12);
		p = sf_fmt_hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

/* An address of the flow key: IPv6 when ipver is 6, else IPv4 in a[0..3]. */
static inline char *
sf_fmt_addr(char *p, uint8_t ipver, const uint8_t *a)
{
	return ipver == 6 ? sf_fmt_ipv6(p, a) : sf_fmt_ipv4(p, a);
}

/* A name from a table, at most max bytes of it (the exporters' buffers are sized by max). */
static inline char *
sf_fmt_name(char *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	memcpy(p, s, n);
	return p + n;
}

/* A short text, at most SF_FMT_MAX_STR bytes of it; none for NULL. */
static inline char *
sf_fmt_str(char *p, const char *s)
{
	return s != NULL ? sf_fmt_name(p, s, SF_FMT_MAX_STR) : p;
}

/*
 * A text of the application metadata as a JSON string, quotes included:
 * '"' and '\\' escaped, control bytes as \u00XX (lib/app's texts have
 * none; other bytes, UTF-8 included, as they are).
 */
static inline char *
sf_fmt_text_json(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = strlen(s);	/* lib/app ends every text within its field */

	n = n < SF_FMT_TEXT_IN ? n : SF_FMT_TEXT_IN;
	*p++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20) {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}

/* The same text as a CSV cell (RFC 4180): quoted, quotes doubled, when it has ',', '"' or a line end. */
static inline char *
sf_fmt_text_csv(char *p, const char *s)
{
	size_t i, n = strlen(s);

	n = n < SF_FMT_TEXT_IN ? n : SF_FMT_TEXT_IN;
	if (strcspn(s, ",\"\r\n") >= n) {
		memcpy(p, s, n);
		return p + n;
	}
	*p++ = '"';
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	return p;
}

/* A TLS version as people name it: "TLS 1.3" ... "SSL 3.0", else 0x and four hex digits. */
static inline char *
sf_fmt_tlsver(char *p, uint16_t v)
{
	static const char hex[] = "0123456789abcdef";

	if (v >= 0x0301 && v <= 0x0304) {
		memcpy(p, "TLS 1.", 6);
		p[6] = (char)('0' + (v - 0x0301));
		return p + 7;
	}
	if (v == 0x0300)
		return (char *)memcpy(p, "SSL 3.0", 7) + 7;
	memcpy(p, "0x", 2);
	p[2] = hex[v >> 12];
	p[3] = hex[(v >> 8) & 15];
	p[4] = hex[(v >> 4) & 15];
	p[5] = hex[v & 15];
	return p + 6;
}

/*
 * A double as the shortest of %.15g, %.16g and %.17g that reads back to
 * the same value (a reader gets the exact double; 0.1 stays "0.1").
 */
static inline char *
sf_fmt_dbl(char *p, double v)
{
	char tmp[32];
	int prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v)
			break;
	}
	if (n < 0)
		n = 0;
	if (n > SF_FMT_MAX_DBL)
		n = SF_FMT_MAX_DBL;
	memcpy(p, tmp, (size_t)n);
	return p + n;
}

/*
 * One SPLT list as nfstream writes it: '[' values joined by sep ']', n of
 * them, -1 past the flow's last packet. what: 'd' directions (0 src2dst, 1
 * dst2src), 'p' sizes, 'g' gaps in ms (exact: the us as ms with up to three
 * decimals).
 */
static inline char *
sf_fmt_splt(char *p, const struct sf_flow_splt *s, char what, const char *sep)
{
	size_t seplen = strlen(sep);
	unsigned int i;

	*p++ = '[';
	for (i = 0; i < s->n; i++) {
		if (i != 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		if (i >= s->len) {
			memcpy(p, "-1", 2);
			p += 2;
		} else if (what == 'd') {
			*p++ = (char)('0' + (s->e[i].dir & 1));
		} else if (what == 'p') {
			p = sf_fmt_u32(p, s->e[i].ps);
		} else {
			uint32_t us = s->e[i].gap_us, frac = us % 1000;

			p = sf_fmt_u32(p, us / 1000);
			if (frac != 0) {
				char d[3] = { (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
					(char)('0' + frac % 10) };
				unsigned int k = 3;

				while (d[k - 1] == '0')
					k--;
				*p++ = '.';
				memcpy(p, d, k);
				p += k;
			}
		}
	}
	*p++ = ']';
	return p;
}

/* The name of an end reason (sf_end_reason_name), at most SF_FMT_MAX_REASON bytes. */
static inline char *
sf_fmt_reason(char *p, uint8_t reason)
{
	return sf_fmt_name(p, sf_end_reason_name((enum sf_end_reason)reason), SF_FMT_MAX_REASON);
}

/* The name of a tunnel context kind (sf_flow_ctx_name), at most SF_FMT_MAX_CTX bytes. */
static inline char *
sf_fmt_ctx(char *p, uint8_t kind)
{
	return sf_fmt_name(p, sf_flow_ctx_name(kind), SF_FMT_MAX_CTX);
}

/* The name of a sampling (sf_sampling_name), at most SF_FMT_MAX_SAMPLING bytes. */
static inline char *
sf_fmt_sampling(char *p, uint8_t s)
{
	return sf_fmt_name(p, sf_sampling_name(s), SF_FMT_MAX_SAMPLING);
}

/* An encapsulation set (bits 1 << SF_ENCAP_*): names joined by '+', in lib/pkt's order. */
static inline char *
sf_fmt_encaps(char *p, uint32_t encaps)
{
	unsigned int e;
	char *start = p;

	for (e = 0; e < 32; e++) {
		if (!(encaps & (UINT32_C(1) << e)))
			continue;
		if (p != start)
			*p++ = '+';
		p = sf_fmt_name(p, sf_pkt_encap_name(e), SF_FMT_MAX_ENCAP_NAME);
	}
	return p;
}

/* A string of known length (a literal: sizeof - 1, so the copy is inlined). */
#define SF_FMT_LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

/*
 * snprintf-like front of a record formatter put() that needs `max` bytes
 * of room: formats into buf when it has the room, otherwise into tmp (at
 * least max bytes) and copies what fits, NUL-terminated. Returns the
 * record's full length.
 */
static inline size_t
sf_fmt_record_bounded(char *buf, size_t len, char *tmp, size_t max,
		char *(*put)(char *p, const struct sf_flow_record *r),
		const struct sf_flow_record *r)
{
	size_t n;

	if (len > max) {
		n = (size_t)(put(buf, r) - buf);
		buf[n] = '\0';
		return n;
	}
	n = (size_t)(put(tmp, r) - tmp);
	if (len > 0) {
		size_t k = n < len - 1 ? n : len - 1;

		memcpy(buf, tmp, k);
		buf[k] = '\0';
	}
	return n;
}

#endif /* SF_EXPORT_FMT_H */
