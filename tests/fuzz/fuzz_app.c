/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the application parsers of lib/app.
 *
 * Input: byte 0 picks the parser (bits 0-2, table below) and its mode
 * (bits 3-7, per parser); the rest is the parser's input.
 *
 *   0  QUIC client datagrams (sf_quic_client_datagram), fresh flow per run.
 *      Bit 3 clear: the rest as one datagram, then its second half as the
 *      flow's next datagram. Bit 3 set: the rest is the plaintext payload
 *      of a v1 client Initial that this target protects (RFC 9001 section
 *      5, fixed DCID, packet number from bits 4-7), so the frame walk runs
 *      on fuzzed frames behind a valid tag; then the second half raw.
 *   1  a TLS handshake message (sf_tls_client_hello); bit 3: as QUIC's.
 *   2  a TCP stream's first bytes (sf_tls_records into a buffer of
 *      bits 3-7 times 512 bytes, 0: SF_APP_HELLO_MAX), then the handshake
 *      bytes found as a ClientHello.
 *   3  two DNS messages on one flow (sf_dns_message): a big-endian u16
 *      length, the first message (a query), the rest (the response);
 *      bit 3: the flow held another kind's metadata before.
 *   4  an HTTP/1.x request head (sf_http_looks_like, sf_http_request).
 *   5  a text (sf_app_text) into a field of bits 3-7 bytes (0-31).
 *   6-7  free.
 *
 * FUZZ_APP_ONLY=N in the environment sends every input to parser N (the
 * mode bits of byte 0 still count), to fuzz one branch at a time.
 *
 * Every input is copied into a buffer of exactly its length so ASan
 * sees any read past it. Checks: results in range, the ClientHello
 * buffer's bounds, and a protected packet always authenticates (only a
 * frame may refuse it); after every call of the TLS, DNS and HTTP
 * parsers every text field of struct sf_flow_app ends within its field
 * and is safe (printable ASCII but the backslash, \xHH, valid UTF-8 of
 * 2-4 bytes); JA3 is 32 hex digits and JA4 has its shape; a text cut by its
 * cap is a prefix of the whole text on a character's boundary.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz_common.h"
#include "sf_app.h"
#include "sf_hash.h"
#include "sf_quic.h"

enum fuzz_app_parser {
	FUZZ_APP_QUIC = 0,
	FUZZ_APP_TLS = 1,
	FUZZ_APP_TLS_RECORDS = 2,
	FUZZ_APP_DNS = 3,
	FUZZ_APP_HTTP = 4,
	FUZZ_APP_TEXT = 5,
};

#define FUZZ_QUIC_PROTECT 0x08
#define FUZZ_QUIC_PAYLOAD_MAX 1500

static struct sf_quic *quic;
static struct sf_app_buf hello;
static int only = -1;	/* $FUZZ_APP_ONLY: every input goes to this parser */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *e = getenv("FUZZ_APP_ONLY");

	quic = sf_quic_create();
	FUZZ_CHECK(quic != NULL);
	if (e != NULL && e[0] >= '0' && e[0] <= '7' && e[1] == '\0')
		only = e[0] - '0';
	return 0;
}

/* One datagram from an exact-length copy */
static int
quic_datagram(struct sf_quic_flow *f, const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n > 0 ? n : 1);
	int rc;

	FUZZ_CHECK(c != NULL);
	if (n > 0)
		memcpy(c, p, n);
	rc = sf_quic_client_datagram(quic, f, c, n, &hello);
	free(c);
	FUZZ_CHECK(rc >= -1);
	FUZZ_CHECK(hello.len <= SF_APP_HELLO_MAX);
	FUZZ_CHECK(f->keyed <= 2);
	FUZZ_CHECK(f->keyed == 0 || f->version == SF_QUIC_V1 || f->version == SF_QUIC_V2);
	FUZZ_CHECK(f->dcid_len <= SF_QUIC_CID_MAX);
	return rc;
}

/* A v1 client Initial around `payload`, as RFC 9001 section 5 protects it */
static size_t
quic_protect(uint8_t *out, const uint8_t *payload, size_t plen, uint8_t pn)
{
	static const uint8_t salt[20] = {
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
	};
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	uint8_t init[SF_SHA256_LEN], client[SF_SHA256_LEN], key[16], iv[12], hp[16];
	uint8_t mask[16];
	size_t h = 0, pn_off, len = 1 + plen + 16;
	EVP_CIPHER_CTX *c;
	int outl;

	sf_hkdf_extract(salt, sizeof(salt), dcid, sizeof(dcid), init);
	sf_hkdf_expand_label(init, "client in", client, sizeof(client));
	sf_hkdf_expand_label(client, "quic key", key, sizeof(key));
	sf_hkdf_expand_label(client, "quic iv", iv, sizeof(iv));
	sf_hkdf_expand_label(client, "quic hp", hp, sizeof(hp));
	out[h++] = 0xc0;	/* Initial, 1-byte packet number */
	memcpy(out + h, "\x00\x00\x00\x01\x08", 5);
	h += 5;
	memcpy(out + h, dcid, sizeof(dcid));
	h += sizeof(dcid);
	out[h++] = 0;	/* SCID */
	out[h++] = 0;	/* token */
	out[h++] = (uint8_t)(0x40 | len >> 8);
	out[h++] = (uint8_t)len;
	pn_off = h;
	out[h++] = pn;
	iv[11] ^= pn;
	c = EVP_CIPHER_CTX_new();
	FUZZ_CHECK(c != NULL);
	FUZZ_CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv) == 1);
	FUZZ_CHECK(EVP_EncryptUpdate(c, NULL, &outl, out, (int)h) == 1);
	if (plen > 0)
		FUZZ_CHECK(EVP_EncryptUpdate(c, out + h, &outl, payload, (int)plen) == 1);
	FUZZ_CHECK(EVP_EncryptFinal_ex(c, out + h + plen, &outl) == 1);
	FUZZ_CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + h + plen) == 1);
	h += plen + 16;
	/* Header protection needs 4 + 16 bytes after the packet number's start */
	while (h < pn_off + 4 + 16)
		out[h++] = 0;	/* not covered by Length: the parser stops at them */
	FUZZ_CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL) == 1);
	FUZZ_CHECK(EVP_EncryptUpdate(c, mask, &outl, out + pn_off + 4, 16) == 1);
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	out[pn_off] ^= mask[1];
	return h;
}

static void
fuzz_quic(uint8_t mode, const uint8_t *p, size_t n)
{
	static uint8_t pkt[64 + FUZZ_QUIC_PAYLOAD_MAX];
	struct sf_quic_flow f;
	size_t len;
	int rc;

	memset(&f, 0, sizeof(f));
	sf_app_buf_reset(&hello);
	if (mode & FUZZ_QUIC_PROTECT) {
		if (n > FUZZ_QUIC_PAYLOAD_MAX)
			n = FUZZ_QUIC_PAYLOAD_MAX;
		len = quic_protect(pkt, p, n, (uint8_t)(mode >> 4));
		rc = quic_datagram(&f, pkt, len);
		/*
		 * A short payload leaves the sample partly outside the packet's
		 * Length: -1 before any decryption. Otherwise the tag is right:
		 * -1 can only come from the frames, and the keys stay.
		 */
		FUZZ_CHECK(rc == 1 || rc == -1);
		if (1 + n + 16 >= 4 + 16)
			FUZZ_CHECK(f.keyed == 2);
		if (rc == 1)
			FUZZ_CHECK(hello.len <= n);
	} else {
		quic_datagram(&f, p, n);
	}
	quic_datagram(&f, p + n / 2, n - n / 2);
}

/* A copy of exactly n bytes (caller frees), so ASan sees any read past n. */
static uint8_t *
exact(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n > 0 ? n : 1);

	FUZZ_CHECK(c != NULL);
	if (n > 0)
		memcpy(c, p, n);
	return c;
}

/* Length of a valid UTF-8 sequence of 2-4 bytes at s (NUL-terminated), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
			(cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool
hexdigit(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A text ends within its field of cap bytes and is what sf_app_text writes. */
static void
check_text(const char *s, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n, k;

	FUZZ_CHECK(memchr(s, '\0', cap) != NULL);
	n = strlen(s);
	FUZZ_CHECK(n < cap);
	for (i = 0; i < n; i += k) {
		if (u[i] == '\\') {
			FUZZ_CHECK(i + 4 <= n && u[i + 1] == 'x' && hexdigit(u[i + 2]) &&
					hexdigit(u[i + 3]));
			k = 4;
		} else if (u[i] >= 0x80) {
			k = utf8_len(u + i);
			FUZZ_CHECK(k != 0);
		} else {
			FUZZ_CHECK(u[i] >= 0x20 && u[i] < 0x7f);
			k = 1;
		}
	}
}

static void
check_app(const struct sf_flow_app *a)
{
	FUZZ_CHECK(a->kind < SF_APP_KINDS);
	check_text(a->name, sizeof(a->name));
	check_text(a->alpn, sizeof(a->alpn));
	check_text(a->ja3, sizeof(a->ja3));
	check_text(a->ja4, sizeof(a->ja4));
	check_text(a->method, sizeof(a->method));
	check_text(a->ua, sizeof(a->ua));
}

/* A ClientHello's fingerprints have their shape. */
static void
check_hello(const struct sf_flow_app *a, bool in_quic)
{
	size_t i;

	FUZZ_CHECK(a->kind == (in_quic ? SF_APP_QUIC : SF_APP_TLS));
	FUZZ_CHECK(strlen(a->ja3) == 32);
	for (i = 0; i < 32; i++)
		FUZZ_CHECK(hexdigit((unsigned char)a->ja3[i]));
	/* t13d1516h2_8daaf6152771_d8a2da3f94cd */
	FUZZ_CHECK(strlen(a->ja4) == 36);
	FUZZ_CHECK(a->ja4[0] == (in_quic ? 'q' : 't'));
	FUZZ_CHECK(a->ja4[3] == 'd' || a->ja4[3] == 'i');
	FUZZ_CHECK(a->ja4[10] == '_' && a->ja4[23] == '_');
	for (i = 11; i < 36; i++)
		FUZZ_CHECK(i == 23 || hexdigit((unsigned char)a->ja4[i]));
}

/* sf_tls_client_hello on an exact copy; the message alone gives the same. */
static enum sf_app_status
tls_hello(const uint8_t *p, size_t n, bool in_quic)
{
	struct sf_flow_app a, b;
	enum sf_app_status st;
	uint8_t *c = exact(p, n);

	memset(&a, 0, sizeof(a));
	st = sf_tls_client_hello(c, n, in_quic, &a);
	free(c);
	FUZZ_CHECK(st == SF_APP_DONE || st == SF_APP_MORE || st == SF_APP_BAD);
	check_app(&a);
	if (st == SF_APP_DONE) {
		size_t len = 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);

		check_hello(&a, in_quic);
		/* bytes after the message change nothing */
		FUZZ_CHECK(len <= n);
		c = exact(p, len);
		memset(&b, 0, sizeof(b));
		FUZZ_CHECK(sf_tls_client_hello(c, len, in_quic, &b) == SF_APP_DONE);
		free(c);
		FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	}
	return st;
}

static void
fuzz_tls_records(uint8_t mode, const uint8_t *p, size_t n)
{
	size_t cap = (mode >> 3) != 0 ? (size_t)(mode >> 3) * 512 : SF_APP_HELLO_MAX;
	uint8_t *hs = malloc(cap), *c = exact(p, n);
	enum sf_app_status st;
	size_t hs_len = SIZE_MAX;

	FUZZ_CHECK(hs != NULL);
	st = sf_tls_records(c, n, hs, cap, &hs_len);
	free(c);
	FUZZ_CHECK(st == SF_APP_DONE || st == SF_APP_MORE || st == SF_APP_BAD);
	FUZZ_CHECK(hs_len <= cap && hs_len <= n);
	if (st != SF_APP_BAD && hs_len > 0)
		tls_hello(hs, hs_len, false);
	free(hs);
}

static void
fuzz_dns(uint8_t mode, const uint8_t *p, size_t n)
{
	struct sf_flow_app a;
	size_t first;
	uint8_t *c;
	int i;

	memset(&a, 0, sizeof(a));
	if (mode & 0x08) {
		/* another kind's metadata before: DNS starts over */
		a.kind = SF_APP_HTTP;
		a.flags = 0xff;
		memcpy(a.name, "before", 7);
		memcpy(a.method, "GET", 4);
	}
	if (n < 2)
		return;
	first = (size_t)p[0] << 8 | p[1];
	p += 2;
	n -= 2;
	if (first > n)
		first = n;
	for (i = 0; i < 2; i++) {
		const uint8_t *m = i == 0 ? p : p + first;
		size_t mn = i == 0 ? first : n - first;
		enum sf_app_status st;
		uint8_t had = a.flags & (SF_FLOW_APP_QTYPE | SF_FLOW_APP_RCODE);
		bool same = a.kind == SF_APP_DNS;

		c = exact(m, mn);
		st = sf_dns_message(c, mn, &a);
		free(c);
		FUZZ_CHECK(st == SF_APP_DONE || st == SF_APP_BAD);
		check_app(&a);
		if (st == SF_APP_DONE) {
			FUZZ_CHECK(a.kind == SF_APP_DNS);
			FUZZ_CHECK(!(a.flags & SF_FLOW_APP_QTYPE) || a.name[0] != '\0');
		}
		/* what a DNS flow knew stays known */
		if (same)
			FUZZ_CHECK((a.flags & had) == had);
	}
}

static void
fuzz_http(const uint8_t *p, size_t n)
{
	struct sf_flow_app a;
	enum sf_app_status st;
	uint8_t *c = exact(p, n);
	bool looks = sf_http_looks_like(c, n);

	memset(&a, 0, sizeof(a));
	st = sf_http_request(c, n, &a);
	free(c);
	FUZZ_CHECK(st == SF_APP_DONE || st == SF_APP_MORE || st == SF_APP_BAD);
	check_app(&a);
	if (st == SF_APP_DONE) {
		FUZZ_CHECK(looks);
		FUZZ_CHECK(a.kind == SF_APP_HTTP && a.method[0] != '\0');
	}
}

static void
fuzz_text(uint8_t mode, const uint8_t *p, size_t n)
{
	size_t cap = mode >> 3, whole_cap = 4 * n + 1;
	char *out = malloc(cap + 1), *whole = malloc(whole_cap);
	uint8_t *c = exact(p, n);
	bool ok;

	FUZZ_CHECK(out != NULL && whole != NULL);
	out[cap] = 'x';		/* a canary past the field */
	FUZZ_CHECK(sf_app_text(whole, whole_cap, c, n));	/* 4 bytes per byte at most */
	check_text(whole, whole_cap);
	ok = sf_app_text(out, cap, c, n);
	FUZZ_CHECK(out[cap] == 'x');
	if (cap == 0) {
		FUZZ_CHECK(ok == (n == 0));
	} else {
		check_text(out, cap);
		FUZZ_CHECK(strncmp(out, whole, strlen(out)) == 0);
		FUZZ_CHECK(ok == (strcmp(out, whole) == 0));
	}
	free(c);
	free(out);
	free(whole);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned int parser;

	if (size < 1)
		return 0;
	parser = only >= 0 ? (unsigned int)only : data[0] & 0x07u;
	switch (parser) {
	case FUZZ_APP_QUIC:
		fuzz_quic(data[0], data + 1, size - 1);
		break;
	case FUZZ_APP_TLS:
		tls_hello(data + 1, size - 1, (data[0] & 0x08) != 0);
		break;
	case FUZZ_APP_TLS_RECORDS:
		fuzz_tls_records(data[0], data + 1, size - 1);
		break;
	case FUZZ_APP_DNS:
		fuzz_dns(data[0], data + 1, size - 1);
		break;
	case FUZZ_APP_HTTP:
		fuzz_http(data + 1, size - 1);
		break;
	case FUZZ_APP_TEXT:
		fuzz_text(data[0], data + 1, size - 1);
		break;
	/* 6 and 7: free; keep the numbers above so saved corpora stay meaningful */
	default:
		break;
	}
	return 0;
}
