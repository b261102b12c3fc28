/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client's first TLS ClientHello (RFC 8446 section 4.1.2; earlier
 * versions have the same layout): server name (RFC 6066), first ALPN
 * value (RFC 7301), highest version offered, and the JA3 and JA4
 * fingerprints.
 *
 * JA3 (Salesforce): MD5 of "version,ciphers,extensions,groups,formats",
 * decimal values joined by '-', GREASE values (RFC 8701) left out, the
 * ClientHello's legacy_version first, lists in the order sent.
 *
 * JA4 (FoxIO, technical_details/JA4.md): a_b_c where
 *  a = 't' (TCP) or 'q' (QUIC); the version (highest of
 *      supported_versions, else legacy_version: 13 12 11 10 s3 s2, d1 d2 d3
 *      for DTLS, 00 otherwise); 'd' with a server_name extension, 'i'
 *      without; the number of ciphers and of extensions (GREASE left out,
 *      capped at 99) in two digits each; the first and last characters of
 *      the first ALPN value when both are ASCII letters or digits, else the
 *      first hex digit of its first byte and the last of its last byte;
 *      "00" without ALPN;
 *  b = the first 12 hex digits of the SHA-256 of the ciphers as 4-digit hex,
 *      sorted, joined by ','; "000000000000" when there is none;
 *  c = likewise of the extensions sorted (server_name and ALPN left out),
 *      then '_' and the signature algorithms in the order sent (no '_'
 *      when there are none); "000000000000" when there is no extension.
 * Every length is checked against what is there: a ClientHello that
 * claims more than it holds is BAD, one longer than SF_APP_HELLO_MAX too.
 */
#include <stdio.h>
#include <string.h>

#include "sf_app.h"
#include "sf_hash.h"

/* Values kept per list: a real ClientHello has fewer than 100; more is hostile. */
#define TLS_LIST_MAX 512

#define TLS_EXT_SNI 0x0000
#define TLS_EXT_GROUPS 0x000a
#define TLS_EXT_POINT_FORMATS 0x000b
#define TLS_EXT_SIG_ALGS 0x000d
#define TLS_EXT_ALPN 0x0010
#define TLS_EXT_VERSIONS 0x002b

static inline bool
grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static inline uint16_t
ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
ld24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

struct u16list {
	unsigned int n;
	uint16_t v[TLS_LIST_MAX];
};

static bool
list_add(struct u16list *l, uint16_t v)
{
	if (l->n == TLS_LIST_MAX)
		return false;
	l->v[l->n++] = v;
	return true;
}

/* Shell sort: bounded work, no allocation (glibc's qsort may malloc). */
static void
sort16(uint16_t *v, unsigned int n)
{
	static const unsigned int gaps[] = { 132, 57, 23, 10, 4, 1 };
	unsigned int g, i, j;

	for (g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		unsigned int h = gaps[g];

		for (i = h; i < n; i++) {
			uint16_t x = v[i];

			for (j = i; j >= h && v[j - h] > x; j -= h)
				v[j] = v[j - h];
			v[j] = x;
		}
	}
}

/* What the hello offers, GREASE left out. */
struct hello {
	uint16_t legacy_version;
	uint16_t best_version;		/* highest of supported_versions; 0: no such extension */
	bool sni;			/* a server_name extension */
	const uint8_t *host;		/* its first host_name */
	size_t host_len;
	const uint8_t *alpn;		/* the first ALPN value */
	size_t alpn_len;
	bool has_alpn;
	struct u16list ciphers;
	struct u16list exts;
	struct u16list groups;
	struct u16list formats;
	struct u16list sigalgs;
};

/* A list of 16-bit values of `len` bytes at p into l (GREASE out); false if it does not fit. */
static bool
read16s(const uint8_t *p, size_t len, struct u16list *l)
{
	size_t i;

	if (len % 2 != 0)
		return false;
	for (i = 0; i < len; i += 2) {
		uint16_t v = ld16(p + i);

		if (!grease(v) && !list_add(l, v))
			return false;
	}
	return true;
}

static bool
ext_sni(struct hello *h, const uint8_t *p, size_t n)
{
	size_t len, i;

	h->sni = true;
	if (n < 2 || (len = ld16(p)) > n - 2)
		return false;
	p += 2;
	for (i = 0; i + 3 <= len; ) {
		size_t nl = ld16(p + i + 1);

		if (nl > len - i - 3)
			return false;
		if (p[i] == 0 && h->host == NULL) {
			h->host = p + i + 3;
			h->host_len = nl;
		}
		i += 3 + nl;
	}
	return i == len;
}

static bool
ext_alpn(struct hello *h, const uint8_t *p, size_t n)
{
	size_t len;

	h->has_alpn = true;
	if (n < 2 || (len = ld16(p)) > n - 2)
		return false;
	if (len >= 1 && p[2] <= len - 1) {
		h->alpn = p + 3;
		h->alpn_len = p[2];
	} else if (len != 0) {
		return false;
	}
	return true;
}

static bool
ext_versions(struct hello *h, const uint8_t *p, size_t n)
{
	size_t len, i;

	if (n < 1 || (len = p[0]) > n - 1 || len % 2 != 0)
		return false;
	for (i = 0; i < len; i += 2) {
		uint16_t v = ld16(p + 1 + i);

		if (!grease(v) && v > h->best_version)
			h->best_version = v;
	}
	return true;
}

static bool
parse_ext(struct hello *h, uint16_t type, const uint8_t *p, size_t n)
{
	size_t len;

	switch (type) {
	case TLS_EXT_SNI:
		return h->sni ? true : ext_sni(h, p, n);
	case TLS_EXT_ALPN:
		return h->has_alpn ? true : ext_alpn(h, p, n);
	case TLS_EXT_VERSIONS:
		return ext_versions(h, p, n);
	case TLS_EXT_GROUPS:
		if (h->groups.n != 0 || n < 2 || (len = ld16(p)) > n - 2)
			return h->groups.n != 0;
		return read16s(p + 2, len, &h->groups);
	case TLS_EXT_SIG_ALGS:
		if (h->sigalgs.n != 0 || n < 2 || (len = ld16(p)) > n - 2)
			return h->sigalgs.n != 0;
		return read16s(p + 2, len, &h->sigalgs);
	case TLS_EXT_POINT_FORMATS:
		if (h->formats.n != 0 || n < 1 || (len = p[0]) > n - 1)
			return h->formats.n != 0;
		for (size_t i = 0; i < len; i++)
			if (!list_add(&h->formats, p[1 + i]))
				return false;
		return true;
	default:
		return true;
	}
}

/* The hello's body (after the 4-byte handshake header). */
static bool
parse_hello(struct hello *h, const uint8_t *p, size_t n)
{
	size_t off, len, end;

	if (n < 2 + 32 + 1)
		return false;
	h->legacy_version = ld16(p);
	off = 2 + 32;
	off += 1 + (size_t)p[off];			/* session id */
	if (off + 2 > n)
		return false;
	len = ld16(p + off);
	off += 2;
	if (len > n - off || !read16s(p + off, len, &h->ciphers))
		return false;
	off += len;
	if (off + 1 > n || (size_t)p[off] > n - off - 1)
		return false;
	off += 1 + (size_t)p[off];			/* compression methods */
	if (off == n)
		return true;				/* no extensions (before TLS 1.2) */
	if (off + 2 > n || (len = ld16(p + off)) > n - off - 2)
		return false;
	off += 2;
	end = off + len;
	while (off < end) {
		uint16_t type;
		size_t elen;

		if (end - off < 4)
			return false;
		type = ld16(p + off);
		elen = ld16(p + off + 2);
		off += 4;
		if (elen > end - off)
			return false;
		if (!grease(type)) {
			if (!list_add(&h->exts, type) || !parse_ext(h, type, p + off, elen))
				return false;
		}
		off += elen;
	}
	return true;
}

/* Appends to a bounded text; returns the new length (cap - 1 at most). */
static size_t
put(char *s, size_t o, size_t cap, const char *fmt, unsigned int v)
{
	int k = snprintf(s + o, cap - o, fmt, v);

	if (k < 0)
		return o;
	return o + (size_t)k < cap ? o + (size_t)k : cap - 1;
}

static size_t
ja3_list(char *s, size_t o, size_t cap, const struct u16list *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		o = put(s, o, cap, i == 0 ? "%u" : "-%u", l->v[i]);
	return o;
}

/* 5 lists of at most TLS_LIST_MAX values of 5 digits and a separator */
#define JA3_TEXT_MAX (5 * TLS_LIST_MAX * 6 + 16)

static void
ja3(const struct hello *h, char out[SF_FLOW_APP_JA3])
{
	char s[JA3_TEXT_MAX];
	uint8_t md[SF_MD5_LEN];
	size_t o;

	o = put(s, 0, sizeof(s), "%u,", h->legacy_version);
	o = ja3_list(s, o, sizeof(s), &h->ciphers);
	o = put(s, o, sizeof(s), ",", 0);
	o = ja3_list(s, o, sizeof(s), &h->exts);
	o = put(s, o, sizeof(s), ",", 0);
	o = ja3_list(s, o, sizeof(s), &h->groups);
	o = put(s, o, sizeof(s), ",", 0);
	o = ja3_list(s, o, sizeof(s), &h->formats);
	sf_md5(s, o, md);
	sf_hex(md, sizeof(md), out);
}

static const char *
ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static inline bool
alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 12 hex digits of the SHA-256 of a text, or twelve zeros for none. */
static void
hash12(const char *s, size_t n, char out[13])
{
	uint8_t md[SF_SHA256_LEN];

	if (n == 0) {
		memcpy(out, "000000000000", 13);
		return;
	}
	sf_sha256(s, n, md);
	sf_hex(md, 6, out);
}

/* 4-digit hex values joined by ',' (sorted copies first when asked). */
static size_t
hex_list(char *s, size_t o, size_t cap, const uint16_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		o = put(s, o, cap, i == 0 ? "%04x" : ",%04x", v[i]);
	return o;
}

static void
ja4(const struct hello *h, bool quic, char out[SF_FLOW_APP_JA4])
{
	/* two lists of TLS_LIST_MAX values of 4 hex digits and a separator */
	char s[2 * TLS_LIST_MAX * 5 + 8];
	uint16_t v[TLS_LIST_MAX];
	char alpn[3] = "00", b[13], c[13];
	unsigned int i, k;
	size_t o;

	if (h->alpn != NULL && h->alpn_len != 0) {
		uint8_t f = h->alpn[0], l = h->alpn[h->alpn_len - 1];
		static const char hex[] = "0123456789abcdef";

		if (alnum(f) && alnum(l)) {
			alpn[0] = (char)f;
			alpn[1] = (char)l;
		} else {
			alpn[0] = hex[f >> 4];
			alpn[1] = hex[l & 15];
		}
	}
	memcpy(v, h->ciphers.v, h->ciphers.n * sizeof(v[0]));
	sort16(v, h->ciphers.n);
	o = hex_list(s, 0, sizeof(s), v, h->ciphers.n);
	hash12(s, o, b);

	for (i = 0, k = 0; i < h->exts.n; i++)
		if (h->exts.v[i] != TLS_EXT_SNI && h->exts.v[i] != TLS_EXT_ALPN)
			v[k++] = h->exts.v[i];
	sort16(v, k);
	o = hex_list(s, 0, sizeof(s), v, k);
	if (h->sigalgs.n != 0) {
		o = put(s, o, sizeof(s), "_", 0);
		o = hex_list(s, o, sizeof(s), h->sigalgs.v, h->sigalgs.n);
	}
	/* no extension at all: zeros (signature algorithms come in an extension) */
	hash12(s, h->exts.n != 0 ? o : 0, c);

	snprintf(out, SF_FLOW_APP_JA4, "%c%s%c%02u%02u%s_%s_%s", quic ? 'q' : 't',
			ja4_version(h->best_version != 0 ? h->best_version : h->legacy_version),
			h->sni ? 'd' : 'i', h->ciphers.n > 99 ? 99 : h->ciphers.n,
			h->exts.n > 99 ? 99 : h->exts.n, alpn, b, c);
}

enum sf_app_status
sf_tls_client_hello(const uint8_t *p, size_t n, bool quic, struct sf_flow_app *out)
{
	struct hello h;
	size_t len;

	if (n < 4)
		return n == 0 || p[0] == 1 ? SF_APP_MORE : SF_APP_BAD;
	if (p[0] != 1)
		return SF_APP_BAD;
	len = ld24(p + 1);
	if (len > SF_APP_HELLO_MAX - 4)
		return SF_APP_BAD;
	if (n - 4 < len)
		return SF_APP_MORE;
	memset(&h, 0, offsetof(struct hello, ciphers));
	h.ciphers.n = h.exts.n = h.groups.n = h.formats.n = h.sigalgs.n = 0;
	if (!parse_hello(&h, p + 4, len))
		return SF_APP_BAD;

	out->kind = quic ? SF_APP_QUIC : SF_APP_TLS;
	out->tls_version = h.best_version != 0 ? h.best_version : h.legacy_version;
	out->name[0] = '\0';
	out->alpn[0] = '\0';
	if (h.host != NULL && !sf_app_text(out->name, sizeof(out->name), h.host, h.host_len))
		out->flags |= SF_FLOW_APP_CUT;
	if (h.alpn != NULL && !sf_app_text(out->alpn, sizeof(out->alpn), h.alpn, h.alpn_len))
		out->flags |= SF_FLOW_APP_CUT;
	ja3(&h, out->ja3);
	ja4(&h, quic, out->ja4);
	return SF_APP_DONE;
}

enum sf_app_status
sf_tls_records(const uint8_t *p, size_t n, uint8_t *hs, size_t cap, size_t *hs_len)
{
	size_t off = 0, got = 0;

	*hs_len = 0;
	while (off < n) {
		size_t len, take;

		if (n - off < 5)
			return SF_APP_MORE;
		/* handshake records only; TLS 1.0 .. 1.3 record versions 3.x */
		if (p[off] != 22 || p[off + 1] != 3) {
			*hs_len = got;
			return off == 0 ? SF_APP_BAD : SF_APP_DONE;
		}
		len = ld16(p + off + 3);
		if (len == 0 || len > 16384 + 2048)
			return SF_APP_BAD;
		off += 5;
		take = len < n - off ? len : n - off;
		if (take > cap - got)
			take = cap - got;
		memcpy(hs + got, p + off, take);
		got += take;
		*hs_len = got;
		if (got == cap)
			return SF_APP_DONE;
		if (n - off < len)
			return SF_APP_MORE;
		off += len;
	}
	return SF_APP_MORE;
}
