/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MD5 (RFC 1321), SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104), HKDF
 * (RFC 5869) and TLS 1.3's HKDF-Expand-Label (RFC 8446 section 7.1),
 * written from those texts. Everything lives on the caller's stack: no
 * allocation, so the packet path may call any of them.
 */
#include <string.h>

#include "sf_hash.h"

#define SF_HASH_BLOCK 64

static inline uint32_t
rol32(uint32_t x, unsigned int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline uint32_t
ror32(uint32_t x, unsigned int r)
{
	return (x >> r) | (x << (32 - r));
}

static inline uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static inline void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
		(uint32_t)p[3];
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- MD5, RFC 1321 ---- */

/* T[i] = floor(2^32 * |sin(i + 1)|), section 3.4 */
static const uint32_t md5_t[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left rotations, four per round (section 3.4) */
static const uint8_t md5_s[4][4] = {
	{ 7, 12, 17, 22 },
	{ 5, 9, 14, 20 },
	{ 4, 11, 16, 23 },
	{ 6, 10, 15, 21 },
};

static void
md5_block(uint32_t st[4], const uint8_t *blk)
{
	uint32_t x[16], a = st[0], b = st[1], c = st[2], d = st[3], f, t;
	unsigned int i, k;

	for (i = 0; i < 16; i++)
		x[i] = get_le32(blk + 4 * i);
	for (i = 0; i < 64; i++) {
		switch (i >> 4) {
		case 0:
			f = (b & c) | (~b & d);
			k = i;
			break;
		case 1:
			f = (b & d) | (c & ~d);
			k = (5 * i + 1) & 15;
			break;
		case 2:
			f = b ^ c ^ d;
			k = (3 * i + 5) & 15;
			break;
		default:
			f = c ^ (b | ~d);
			k = (7 * i) & 15;
			break;
		}
		t = d;
		d = c;
		c = b;
		b = b + rol32(a + f + md5_t[i] + x[k], md5_s[i >> 4][i & 3]);
		a = t;
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
}

void
sf_md5(const void *p, size_t n, uint8_t out[SF_MD5_LEN])
{
	uint32_t st[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	const uint8_t *in = p;
	uint8_t last[2 * SF_HASH_BLOCK];
	uint64_t bits = (uint64_t)n * 8;
	size_t rest, tail, i;

	for (; n >= SF_HASH_BLOCK; n -= SF_HASH_BLOCK, in += SF_HASH_BLOCK)
		md5_block(st, in);
	/* Padding (section 3.1-3.2): 0x80, zeros to 56 mod 64, bit length LE */
	rest = n;
	memset(last, 0, sizeof(last));
	if (rest > 0)
		memcpy(last, in, rest);
	last[rest] = 0x80;
	tail = rest < 56 ? SF_HASH_BLOCK : 2 * SF_HASH_BLOCK;
	put_le32(last + tail - 8, (uint32_t)bits);
	put_le32(last + tail - 4, (uint32_t)(bits >> 32));
	for (i = 0; i < tail; i += SF_HASH_BLOCK)
		md5_block(st, last + i);
	for (i = 0; i < 4; i++)
		put_le32(out + 4 * i, st[i]);
}

/* ---- SHA-256, FIPS 180-4 ---- */

/* Section 4.2.2: cube roots of the first 64 primes, fractional bits */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void
sha256_block(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64], v[8], s0, s1, ch, maj, t1, t2;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = get_be32(blk + 4 * i);
	for (i = 16; i < 64; i++) {
		s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		s1 = ror32(v[4], 6) ^ ror32(v[4], 11) ^ ror32(v[4], 25);
		ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		t1 = v[7] + s1 + ch + sha256_k[i] + w[i];
		s0 = ror32(v[0], 2) ^ ror32(v[0], 13) ^ ror32(v[0], 22);
		maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
		t2 = s0 + maj;
		v[7] = v[6];
		v[6] = v[5];
		v[5] = v[4];
		v[4] = v[3] + t1;
		v[3] = v[2];
		v[2] = v[1];
		v[1] = v[0];
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

void
sf_sha256_init(struct sf_sha256 *s)
{
	/* Section 5.3.3: square roots of the first 8 primes, fractional bits */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(s->h));
	s->len = 0;
	s->fill = 0;
}

void
sf_sha256_update(struct sf_sha256 *s, const void *p, size_t n)
{
	const uint8_t *in = p;
	size_t take;

	s->len += n;
	if (s->fill > 0) {
		take = SF_HASH_BLOCK - s->fill;
		if (take > n)
			take = n;
		memcpy(s->buf + s->fill, in, take);
		s->fill += (uint32_t)take;
		in += take;
		n -= take;
		if (s->fill < SF_HASH_BLOCK)
			return;
		sha256_block(s->h, s->buf);
		s->fill = 0;
	}
	for (; n >= SF_HASH_BLOCK; n -= SF_HASH_BLOCK, in += SF_HASH_BLOCK)
		sha256_block(s->h, in);
	if (n > 0) {
		memcpy(s->buf, in, n);
		s->fill = (uint32_t)n;
	}
}

void
sf_sha256_final(struct sf_sha256 *s, uint8_t out[SF_SHA256_LEN])
{
	uint64_t bits = s->len * 8;
	unsigned int i;

	/* Section 5.1.1: 0x80, zeros to 56 mod 64, bit length big-endian */
	s->buf[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->buf + s->fill, 0, SF_HASH_BLOCK - s->fill);
		sha256_block(s->h, s->buf);
		s->fill = 0;
	}
	memset(s->buf + s->fill, 0, 56 - s->fill);
	put_be32(s->buf + 56, (uint32_t)(bits >> 32));
	put_be32(s->buf + 60, (uint32_t)bits);
	sha256_block(s->h, s->buf);
	for (i = 0; i < 8; i++)
		put_be32(out + 4 * i, s->h[i]);
	memset(s, 0, sizeof(*s));
}

void
sf_sha256(const void *p, size_t n, uint8_t out[SF_SHA256_LEN])
{
	struct sf_sha256 s;

	sf_sha256_init(&s);
	sf_sha256_update(&s, p, n);
	sf_sha256_final(&s, out);
}

/* ---- HMAC-SHA-256, RFC 2104 ---- */

struct hmac {
	struct sf_sha256 inner;
	struct sf_sha256 outer;
};

static void
hmac_init(struct hmac *h, const void *key, size_t klen)
{
	uint8_t k[SF_HASH_BLOCK], pad[SF_HASH_BLOCK];
	unsigned int i;

	/* Keys longer than a block are hashed first; shorter ones zero-padded */
	memset(k, 0, sizeof(k));
	if (klen > SF_HASH_BLOCK)
		sf_sha256(key, klen, k);
	else if (klen > 0)
		memcpy(k, key, klen);
	for (i = 0; i < SF_HASH_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	sf_sha256_init(&h->inner);
	sf_sha256_update(&h->inner, pad, sizeof(pad));
	for (i = 0; i < SF_HASH_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	sf_sha256_init(&h->outer);
	sf_sha256_update(&h->outer, pad, sizeof(pad));
}

static void
hmac_final(struct hmac *h, uint8_t out[SF_SHA256_LEN])
{
	uint8_t ih[SF_SHA256_LEN];

	sf_sha256_final(&h->inner, ih);
	sf_sha256_update(&h->outer, ih, sizeof(ih));
	sf_sha256_final(&h->outer, out);
}

void
sf_hmac_sha256(const void *key, size_t klen, const void *p, size_t n,
		uint8_t out[SF_SHA256_LEN])
{
	struct hmac h;

	hmac_init(&h, key, klen);
	sf_sha256_update(&h.inner, p, n);
	hmac_final(&h, out);
}

/* ---- HKDF, RFC 5869; HKDF-Expand-Label, RFC 8446 section 7.1 ---- */

void
sf_hkdf_extract(const void *salt, size_t slen, const void *ikm, size_t ilen,
		uint8_t prk[SF_SHA256_LEN])
{
	static const uint8_t zeros[SF_SHA256_LEN];

	/* RFC 5869 2.2: no salt means HashLen zeros */
	if (salt == NULL || slen == 0) {
		salt = zeros;
		slen = sizeof(zeros);
	}
	sf_hmac_sha256(salt, slen, ikm, ilen, prk);
}

#define TLS13_PREFIX "tls13 "
#define TLS13_PREFIX_LEN (sizeof(TLS13_PREFIX) - 1)
#define LABEL_MAX 255

void
sf_hkdf_expand_label(const uint8_t secret[SF_SHA256_LEN], const char *label,
		uint8_t *out, size_t len)
{
	/* struct HkdfLabel: uint16 length, opaque label<7..255>, opaque context<0..255> */
	uint8_t info[2 + 1 + LABEL_MAX + 1];
	uint8_t t[SF_SHA256_LEN];
	size_t llen = strlen(label), ilen = 0, done = 0, take;
	struct hmac h;
	uint8_t ctr;

	if (len > LABEL_MAX)
		len = LABEL_MAX;
	if (llen > LABEL_MAX - TLS13_PREFIX_LEN)
		llen = LABEL_MAX - TLS13_PREFIX_LEN;
	info[ilen++] = (uint8_t)(len >> 8);
	info[ilen++] = (uint8_t)len;
	info[ilen++] = (uint8_t)(TLS13_PREFIX_LEN + llen);
	memcpy(info + ilen, TLS13_PREFIX, TLS13_PREFIX_LEN);
	ilen += TLS13_PREFIX_LEN;
	memcpy(info + ilen, label, llen);
	ilen += llen;
	info[ilen++] = 0;	/* empty context */

	/* RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i), T(0) empty */
	for (ctr = 1; done < len; ctr++) {
		hmac_init(&h, secret, SF_SHA256_LEN);
		if (ctr > 1)
			sf_sha256_update(&h.inner, t, sizeof(t));
		sf_sha256_update(&h.inner, info, ilen);
		sf_sha256_update(&h.inner, &ctr, 1);
		hmac_final(&h, t);
		take = len - done < sizeof(t) ? len - done : sizeof(t);
		memcpy(out + done, t, take);
		done += take;
	}
}

void
sf_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
