/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashes the application metadata needs, written from their standards,
 * allocation-free and usable on the packet path: MD5 (RFC 1321; JA3),
 * SHA-256 (FIPS 180-4; JA4), HMAC-SHA-256 (RFC 2104) and HKDF (RFC 5869)
 * with TLS 1.3's HKDF-Expand-Label (RFC 8446 section 7.1; QUIC's initial
 * secrets, RFC 9001 section 5.2).
 */
#ifndef SF_HASH_H
#define SF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SF_MD5_LEN 16
#define SF_SHA256_LEN 32

struct sf_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[64];
	uint32_t fill;		/* bytes in buf */
};

void sf_md5(const void *p, size_t n, uint8_t out[SF_MD5_LEN]);

void sf_sha256_init(struct sf_sha256 *s);
void sf_sha256_update(struct sf_sha256 *s, const void *p, size_t n);
void sf_sha256_final(struct sf_sha256 *s, uint8_t out[SF_SHA256_LEN]);
void sf_sha256(const void *p, size_t n, uint8_t out[SF_SHA256_LEN]);

void sf_hmac_sha256(const void *key, size_t klen, const void *p, size_t n,
		uint8_t out[SF_SHA256_LEN]);

/* HKDF-Extract(salt, ikm) -> prk */
void sf_hkdf_extract(const void *salt, size_t slen, const void *ikm, size_t ilen,
		uint8_t prk[SF_SHA256_LEN]);

/*
 * TLS 1.3 HKDF-Expand-Label(secret, label, "", len): label without the
 * "tls13 " prefix, which this adds; len <= 255, label <= 249 bytes.
 */
void sf_hkdf_expand_label(const uint8_t secret[SF_SHA256_LEN], const char *label,
		uint8_t *out, size_t len);

/* Lower-case hex of n bytes into out (2n + 1 bytes with the NUL). */
void sf_hex(const uint8_t *p, size_t n, char *out);

#endif /* SF_HASH_H */
