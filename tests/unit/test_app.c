/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/app: the hashes against their standards' test vectors (RFC 1321
 * A.5, FIPS 180-4 examples, RFC 4231, RFC 5869, RFC 9001 A.1); QUIC
 * client Initials: the RFC 9001 and RFC 9369 A.2 packets, damaged and
 * truncated ones, frames of packets protected here, and real captures
 * (tests/data/quic, see its README.md). TLS ClientHellos built here
 * (JA3, JA4 against FoxIO's published example and its spec's rules),
 * TLS records, DNS messages, HTTP/1.x request heads and safe texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "sf_app.h"
#include "sf_hash.h"
#include "sf_quic.h"
#include "sf_test_util.h"

/* Hex of n bytes, compared as text so a failure shows both values. */
#define assert_hex_equal(bytes, n, hex) do { \
	char _h[2 * 256 + 1]; \
	sf_hex((bytes), (n), _h); \
	assert_string_equal(_h, (hex)); \
} while (0)

static void
test_md5_rfc1321(void **state)
{
	/* RFC 1321 appendix A.5, the test suite */
	static const struct {
		const char *in;
		const char *md5;
	} v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
			"d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "1234567890123456789012345678901234567890"
			"1234567890123456789012345678901234567890",
			"57edf4a22be3c955ac49da2e2107b67a" },
	};
	uint8_t out[SF_MD5_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sf_md5(v[i].in, strlen(v[i].in), out);
		assert_hex_equal(out, sizeof(out), v[i].md5);
	}
}

static void
test_sha256_fips(void **state)
{
	static const char *abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char *l448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[SF_SHA256_LEN];
	struct sf_sha256 s;
	uint8_t a[1000];
	size_t i, step;

	(void)state;
	sf_sha256("abc", 3, out);
	assert_hex_equal(out, sizeof(out), abc);
	sf_sha256("", 0, out);
	assert_hex_equal(out, sizeof(out),
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sf_sha256(l448, strlen(l448), out);
	assert_hex_equal(out, sizeof(out),
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	/* One million 'a', in pieces of 1000: the incremental path */
	memset(a, 'a', sizeof(a));
	sf_sha256_init(&s);
	for (i = 0; i < 1000; i++)
		sf_sha256_update(&s, a, sizeof(a));
	sf_sha256_final(&s, out);
	assert_hex_equal(out, sizeof(out),
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	/* Any split of the input gives the one-shot digest */
	for (step = 1; step <= 65; step++) {
		sf_sha256_init(&s);
		for (i = 0; i < strlen(l448); i += step) {
			size_t k = strlen(l448) - i < step ? strlen(l448) - i : step;
			sf_sha256_update(&s, l448 + i, k);
		}
		sf_sha256_final(&s, out);
		assert_hex_equal(out, sizeof(out),
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
}

/* Lengths around the padding boundaries (56 and 64 mod 64); digests from Python's hashlib */
static void
test_hash_padding_edges(void **state)
{
	static const struct {
		size_t n;
		const char *md5;
		const char *sha256;
	} v[] = {
		{ 55, "04364420e25c512fd958a70738aa8f72",
			"d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072" },
		{ 56, "668a72d5ba17f08e62dabcafad6db14b",
			"04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e" },
		{ 63, "7dc2ca208106a2f703567bdff99d8981",
			"75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2" },
		{ 64, "c1bb4f81d892b2d57947682aeb252456",
			"7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c" },
		{ 119, "ab347a5f68c8a443cfcddc633f12c24f",
			"000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c" },
		{ 120, "fb98667f98096de92620b64f46e1c5b5",
			"13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98" },
	};
	uint8_t x[120], md5[SF_MD5_LEN], sha[SF_SHA256_LEN];
	size_t i;

	(void)state;
	memset(x, 'x', sizeof(x));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sf_md5(x, v[i].n, md5);
		assert_hex_equal(md5, sizeof(md5), v[i].md5);
		sf_sha256(x, v[i].n, sha);
		assert_hex_equal(sha, sizeof(sha), v[i].sha256);
	}
}

static void
test_hmac_rfc4231(void **state)
{
	static const char *t7 = "This is a test using a larger than block-size key and a larger "
		"than block-size data. The key needs to be hashed before being used by the "
		"HMAC algorithm.";
	static const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], data[50], out[SF_SHA256_LEN];
	unsigned int i;

	(void)state;
	/* Test case 1 */
	memset(key, 0x0b, 20);
	sf_hmac_sha256(key, 20, "Hi There", 8, out);
	assert_hex_equal(out, sizeof(out),
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 2 */
	sf_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
	assert_hex_equal(out, sizeof(out),
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 3 */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	sf_hmac_sha256(key, 20, data, 50, out);
	assert_hex_equal(out, sizeof(out),
		"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	/* Test case 4 */
	for (i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	sf_hmac_sha256(key, 25, data, 50, out);
	assert_hex_equal(out, sizeof(out),
		"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	/* Test case 6: a key longer than the block */
	memset(key, 0xaa, 131);
	sf_hmac_sha256(key, 131, t6, strlen(t6), out);
	assert_hex_equal(out, sizeof(out),
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* Test case 7 */
	sf_hmac_sha256(key, 131, t7, strlen(t7), out);
	assert_hex_equal(out, sizeof(out),
		"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void
test_hkdf(void **state)
{
	static const uint8_t quic_v1_salt[20] = {
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
	};
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	uint8_t ikm[22], salt[13], prk[SF_SHA256_LEN], secret[SF_SHA256_LEN];
	uint8_t key[16], iv[12], hp[16];
	unsigned int i;

	(void)state;
	/* RFC 5869 A.1 (test case 1): the extract step */
	memset(ikm, 0x0b, sizeof(ikm));
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	sf_hkdf_extract(salt, sizeof(salt), ikm, sizeof(ikm), prk);
	assert_hex_equal(prk, sizeof(prk),
		"077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");

	/* RFC 9001 A.1: client initial keys of DCID 0x8394c8f03e515708 */
	sf_hkdf_extract(quic_v1_salt, sizeof(quic_v1_salt), dcid, sizeof(dcid), prk);
	assert_hex_equal(prk, sizeof(prk),
		"7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44");
	sf_hkdf_expand_label(prk, "client in", secret, sizeof(secret));
	assert_hex_equal(secret, sizeof(secret),
		"c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
	sf_hkdf_expand_label(secret, "quic key", key, sizeof(key));
	assert_hex_equal(key, sizeof(key), "1f369613dd76d5467730efcbe3b1a22d");
	sf_hkdf_expand_label(secret, "quic iv", iv, sizeof(iv));
	assert_hex_equal(iv, sizeof(iv), "fa044b2f42a3fd3b46fb255c");
	sf_hkdf_expand_label(secret, "quic hp", hp, sizeof(hp));
	assert_hex_equal(hp, sizeof(hp), "9f50449e04a0e810283a1e9933adedd2");
	/* ... and the server's, same secret, other label */
	sf_hkdf_expand_label(prk, "server in", secret, sizeof(secret));
	assert_hex_equal(secret, sizeof(secret),
		"3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");
}

static void
test_hex(void **state)
{
	static const uint8_t b[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[2 * sizeof(b) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	sf_hex(b, sizeof(b), out);
	assert_string_equal(out, "000fa5ff");
	sf_hex(b, 0, out);
	assert_string_equal(out, "");
}
/* ---- QUIC client Initials ---- */

struct blob {
	uint8_t *p;
	size_t n;
};

/* tests/data/quic/<name>, whole */
static struct blob
load(const char *name)
{
	char path[4096];
	struct blob b = { NULL, 0 };
	FILE *fp;
	long len;

	if (snprintf(path, sizeof(path), "%s/quic/%s", sf_test_data_dir(), name) >=
			(int)sizeof(path))
		fail_msg("path too long: %s", name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len > 0);
	rewind(fp);
	b.n = (size_t)len;
	b.p = malloc(b.n);
	assert_non_null(b.p);
	assert_int_equal(fread(b.p, 1, b.n, fp), b.n);
	fclose(fp);
	return b;
}

/* The i-th datagram of a .dgrams file (u16 big-endian length, payload, ...) */
static struct blob
dgram(const struct blob *file, unsigned int i)
{
	struct blob d = { NULL, 0 };
	size_t off = 0;

	for (;;) {
		assert_true(off + 2 <= file->n);
		d.n = (size_t)file->p[off] << 8 | file->p[off + 1];
		d.p = file->p + off + 2;
		assert_true(d.n <= file->n - off - 2);
		if (i-- == 0)
			return d;
		off += 2 + d.n;
	}
}

struct quic_fx {
	struct sf_quic *q;
	struct sf_quic_flow f;
	struct sf_app_buf hello;
};

static int
quic_setup(void **state)
{
	struct quic_fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->q = sf_quic_create();
	assert_non_null(x->q);
	sf_app_buf_reset(&x->hello);
	*state = x;
	return 0;
}

static int
quic_teardown(void **state)
{
	struct quic_fx *x = *state;

	sf_quic_free(x->q);
	free(x);
	return 0;
}

static void
quic_fresh(struct quic_fx *x)
{
	memset(&x->f, 0, sizeof(x->f));
	sf_app_buf_reset(&x->hello);
}

/* A copy of exactly n bytes, so AddressSanitizer sees any read past n. */
static int
datagram_exact(struct quic_fx *x, const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n > 0 ? n : 1);
	int rc;

	assert_non_null(c);
	if (n > 0)
		memcpy(c, p, n);
	rc = sf_quic_client_datagram(x->q, &x->f, c, n, &x->hello);
	free(c);
	return rc;
}

/* The RFC's A.2 packet, v1 and v2: the same ClientHello comes out */
static void
check_rfc_a2(struct quic_fx *x, const char *file, uint32_t version, const char *key)
{
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	struct blob pkt = load(file);
	struct blob ch = load("rfc9001_a2_client_hello.bin");

	assert_int_equal(pkt.n, 1200);
	assert_true(sf_quic_is_initial(pkt.p, pkt.n));
	quic_fresh(x);
	assert_int_equal(datagram_exact(x, pkt.p, pkt.n), 1);
	assert_int_equal(x->f.version, version);
	assert_int_equal(x->f.keyed, 2);
	assert_int_equal(x->f.dcid_len, sizeof(dcid));
	assert_memory_equal(x->f.dcid, dcid, sizeof(dcid));
	assert_hex_equal(x->f.key, sizeof(x->f.key), key);
	assert_int_equal(x->hello.len, ch.n);
	assert_int_equal(x->hello.cut, 0);
	assert_memory_equal(x->hello.data, ch.p, ch.n);
	/* The flow's second datagram: same keys, the same bytes again */
	assert_int_equal(datagram_exact(x, pkt.p, pkt.n), 1);
	assert_int_equal(x->hello.len, ch.n);
	free(pkt.p);
	free(ch.p);
}

static void
test_quic_rfc9001_a2(void **state)
{
	check_rfc_a2(*state, "rfc9001_a2_client_initial.bin", SF_QUIC_V1,
		"1f369613dd76d5467730efcbe3b1a22d");
}

static void
test_quic_rfc9369_a2(void **state)
{
	/* RFC 9369 A.1: the client key */
	check_rfc_a2(*state, "rfc9369_a2_client_initial.bin", SF_QUIC_V2,
		"8b1a0bc121284290a29e0971b5cd045d");
}

static void
test_quic_is_initial(void **state)
{
	uint8_t p[7] = { 0xc0, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00 };

	(void)state;
	assert_true(sf_quic_is_initial(p, 7));
	assert_false(sf_quic_is_initial(p, 6));
	p[0] = 0xd0;	/* v1 0-RTT */
	assert_false(sf_quic_is_initial(p, 7));
	p[0] = 0x80;	/* no fixed bit */
	assert_false(sf_quic_is_initial(p, 7));
	p[0] = 0x40;	/* short header */
	assert_false(sf_quic_is_initial(p, 7));
	memcpy(p + 1, "\x6b\x33\x43\xcf", 4);
	p[0] = 0xd3;	/* v2 Initial */
	assert_true(sf_quic_is_initial(p, 7));
	p[0] = 0xc3;	/* v2 Retry */
	assert_false(sf_quic_is_initial(p, 7));
	memcpy(p + 1, "\xff\x00\x00\x1d", 4);	/* draft-29: v1's layout, its own salt */
	p[0] = 0xc3;
	assert_true(sf_quic_is_initial(p, 7));
	memcpy(p + 1, "\xff\x00\x00\x16", 4);	/* draft-22: not decrypted */
	assert_false(sf_quic_is_initial(p, 7));
}

/* A damaged packet fails its tag; unconfirmed keys are forgotten, confirmed ones kept */
static void
test_quic_bad_tag(void **state)
{
	struct quic_fx *x = *state;
	struct blob pkt = load("rfc9001_a2_client_initial.bin");
	size_t at[] = { 1199, 600, 30, 5, 9 };	/* tag, ciphertext, sample, version, DCID */
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		quic_fresh(x);
		pkt.p[at[i]] ^= 0x01;
		assert_int_equal(datagram_exact(x, pkt.p, pkt.n), -1);
		assert_int_equal(x->f.keyed, 0);
		assert_int_equal(x->hello.len, 0);
		pkt.p[at[i]] ^= 0x01;
		/* The good packet after it keys the flow from its own DCID */
		assert_int_equal(datagram_exact(x, pkt.p, pkt.n), 1);
		assert_int_equal(x->f.keyed, 2);
	}
	/* Now confirmed: a packet with another DCID is opened with the first keys and fails */
	pkt.p[6] ^= 0xff;
	assert_int_equal(datagram_exact(x, pkt.p, pkt.n), -1);
	assert_int_equal(x->f.keyed, 2);
	assert_int_equal(x->f.dcid[0], 0x83);
	pkt.p[6] ^= 0xff;
	assert_int_equal(datagram_exact(x, pkt.p, pkt.n), 1);
	free(pkt.p);
}

/* Every prefix: no read past n (ASan), and only the whole packet decrypts */
static void
test_quic_truncated(void **state)
{
	static const char *files[] = {
		"rfc9001_a2_client_initial.bin", "rfc9369_a2_client_initial.bin",
	};
	struct quic_fx *x = *state;
	size_t i, n;
	int rc;

	for (i = 0; i < 2; i++) {
		struct blob pkt = load(files[i]);

		for (n = 0; n <= pkt.n; n++) {
			quic_fresh(x);
			rc = datagram_exact(x, pkt.p, n);
			if (n == pkt.n)
				assert_int_equal(rc, 1);
			else if (rc != -1 && rc != 0)
				fail_msg("%s cut to %zu bytes: %d", files[i], n, rc);
			else if (n > 0)
				assert_int_equal(rc, -1);	/* a long header cut short */
		}
		free(pkt.p);
	}
}

/*
 * Protects a v1 client Initial the way RFC 9001 section 5 says, with the
 * test's own use of libcrypto: header (4-byte packet number 0..), payload.
 */
static size_t
protect_v1(uint8_t *out, size_t cap, const uint8_t *dcid, uint8_t dcid_len, uint32_t pn,
		const uint8_t *payload, size_t plen)
{
	static const uint8_t salt[20] = {
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
	};
	uint8_t init[32], client[32], key[16], iv[12], hp[16], mask[16];
	size_t h = 0, pn_off, i, len = 4 + plen + 16;
	EVP_CIPHER_CTX *c;
	int outl;

	assert_true(len < 16384 && 1 + 4 + 1 + dcid_len + 2 + 2 + len <= cap);
	sf_hkdf_extract(salt, sizeof(salt), dcid, dcid_len, init);
	sf_hkdf_expand_label(init, "client in", client, sizeof(client));
	sf_hkdf_expand_label(client, "quic key", key, sizeof(key));
	sf_hkdf_expand_label(client, "quic iv", iv, sizeof(iv));
	sf_hkdf_expand_label(client, "quic hp", hp, sizeof(hp));
	out[h++] = 0xc3;	/* Initial, 4-byte packet number */
	memcpy(out + h, "\x00\x00\x00\x01", 4);
	h += 4;
	out[h++] = dcid_len;
	memcpy(out + h, dcid, dcid_len);
	h += dcid_len;
	out[h++] = 0;	/* SCID */
	out[h++] = 0;	/* token */
	out[h++] = (uint8_t)(0x40 | len >> 8);
	out[h++] = (uint8_t)len;
	pn_off = h;
	for (i = 0; i < 4; i++)
		out[h++] = (uint8_t)(pn >> (24 - 8 * i));
	for (i = 0; i < 4; i++)
		iv[8 + i] ^= (uint8_t)(pn >> (24 - 8 * i));

	c = EVP_CIPHER_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, out, (int)h), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out + h, &outl, payload, (int)plen), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, out + h + plen, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + h + plen), 1);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(c, mask, &outl, out + pn_off + 4, 16), 1);
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < 4; i++)
		out[pn_off + i] ^= mask[1 + i];
	return h + plen + 16;
}

static int
frames_rc(struct quic_fx *x, const uint8_t *payload, size_t plen)
{
	static const uint8_t dcid[4] = { 1, 2, 3, 4 };
	uint8_t pkt[2048];
	size_t n = protect_v1(pkt, sizeof(pkt), dcid, sizeof(dcid), 0, payload, plen);

	quic_fresh(x);
	return datagram_exact(x, pkt, n);
}

static void
test_quic_frames(void **state)
{
	struct quic_fx *x = *state;
	/* PING, ACK (2 ranges), ACK_ECN, CRYPTO at 3 then at 0, PADDING */
	static const uint8_t good[] = {
		0x01,
		0x02, 0x0a, 0x40, 0x10, 0x02, 0x01, 0x01, 0x02, 0x00, 0x00,
		0x03, 0x05, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x02, 0x03,
		0x06, 0x03, 0x02, 'l', 'o',
		0x06, 0x00, 0x03, 'h', 'e', 'l',
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	/* CONNECTION_CLOSE ends the walk: what follows is not looked at */
	static const uint8_t close[] = {
		0x06, 0x00, 0x01, 'x', 0x1c, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const struct {
		const char *what;
		uint8_t p[24];
		size_t n;
	} bad[] = {
		{ "STREAM in an Initial", { 0x08, 0x00, 0x00 }, 20 },
		{ "NEW_TOKEN", { 0x07, 0x00 }, 20 },
		{ "two-byte frame type", { 0x40, 0x06, 0x00, 0x00 }, 20 },
		{ "CRYPTO past the payload", { 0x06, 0x00, 0x30, 'a' }, 20 },
		{ "CRYPTO offset varint cut", { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
			0xc0 }, 21 },
		{ "CRYPTO beyond 2^62", { 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0x02, 'a', 'b' }, 20 },
		{ "ACK ranges past the payload", { 0x02, 0x00, 0x00, 0x20, 0x00 }, 20 },
		{ "ACK_ECN without its counts", { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x00 }, 22 },
	};
	size_t i;

	assert_int_equal(frames_rc(x, good, sizeof(good)), 1);
	assert_int_equal(x->hello.len, 5);
	assert_memory_equal(x->hello.data, "hello", 5);

	assert_int_equal(frames_rc(x, close, sizeof(close)), 1);
	assert_int_equal(x->hello.len, 1);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (frames_rc(x, bad[i].p, bad[i].n) != -1)
			fail_msg("%s: not -1", bad[i].what);
}

/* Initials coalesced with other long-header packets and a short header (RFC 9000 12.2) */
static void
test_quic_coalesced(void **state)
{
	/* A Handshake packet (v1 type 2) whose Length covers 3 bytes, DCID 1 byte */
	static const uint8_t hs[] = {
		0xe0, 0x00, 0x00, 0x00, 0x01, 0x01, 0xaa, 0x00, 0x03, 0x11, 0x22, 0x33,
	};
	static const uint8_t zrtt[] = {	/* 0-RTT (type 1), empty Length */
		0xd0, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};
	static const uint8_t shorth[] = { 0x40, 0xde, 0xad, 0xbe, 0xef };
	struct quic_fx *x = *state;
	struct blob pkt = load("rfc9001_a2_client_initial.bin");
	struct blob v2 = load("rfc9369_a2_client_initial.bin");
	uint8_t d[2 * 1200 + 64];
	size_t n;

	/* 0-RTT, Initial, Handshake, Initial again, a short header to the end */
	n = 0;
	memcpy(d + n, zrtt, sizeof(zrtt));
	n += sizeof(zrtt);
	memcpy(d + n, pkt.p, pkt.n);
	n += pkt.n;
	memcpy(d + n, hs, sizeof(hs));
	n += sizeof(hs);
	memcpy(d + n, pkt.p, pkt.n);
	n += pkt.n;
	memcpy(d + n, shorth, sizeof(shorth));
	n += sizeof(shorth);
	quic_fresh(x);
	assert_int_equal(datagram_exact(x, d, n), 2);
	assert_int_equal(x->hello.len, 241);

	/* Zeros after the packet (datagram padding): the walk stops there */
	memcpy(d, pkt.p, pkt.n);
	memset(d + pkt.n, 0, 40);
	quic_fresh(x);
	assert_int_equal(datagram_exact(x, d, pkt.n + 40), 1);

	/* Only non-Initials: nothing to do, the flow stays unkeyed */
	quic_fresh(x);
	assert_int_equal(datagram_exact(x, hs, sizeof(hs)), 0);
	assert_int_equal(datagram_exact(x, shorth, sizeof(shorth)), 0);
	assert_int_equal(x->f.keyed, 0);

	/* A Handshake packet whose Length runs past the datagram */
	memcpy(d, hs, sizeof(hs));
	d[8] = 0x04;
	assert_int_equal(datagram_exact(x, d, sizeof(hs)), -1);

	/* A v2 Initial on a v1 flow is not the flow's way */
	quic_fresh(x);
	assert_int_equal(datagram_exact(x, pkt.p, pkt.n), 1);
	assert_int_equal(datagram_exact(x, v2.p, v2.n), -1);
	/* A Retry (v1 type 3) from the client side */
	d[0] = 0xf0;
	memcpy(d + 1, "\x00\x00\x00\x01\x00\x00", 6);
	assert_int_equal(datagram_exact(x, d, 7), -1);
	free(pkt.p);
	free(v2.p);
}

/* The ClientHello's type and 3-byte length, as reassembled */
static void
assert_client_hello(const struct sf_app_buf *h, uint32_t len)
{
	assert_true(h->len >= 4);
	assert_int_equal(h->data[0], 0x01);
	assert_int_equal((uint32_t)h->data[1] << 16 | h->data[2] << 8 | h->data[3], len);
	assert_int_equal(h->len, 4 + len);
}

/*
 * Client datagrams from real captures (tests/data/quic/README.md); the
 * ClientHello lengths are tshark 4.0's tls.handshake.length.
 */
static void
test_quic_captures(void **state)
{
	struct quic_fx *x = *state;
	struct blob v2 = load("quic_v2_client.dgrams");
	struct blob zrtt = load("quic_0rtt_client.dgrams");
	struct blob other = load("quic_other_client.dgrams");
	struct blob d;
	unsigned int i;

	/* quic-v2.pcapng.pcap frame 1: v2 Initial with a token, coalesced with 0-RTT */
	quic_fresh(x);
	d = dgram(&v2, 0);
	assert_true(sf_quic_is_initial(d.p, d.n));
	assert_int_equal(datagram_exact(x, d.p, d.n), 1);
	assert_int_equal(x->f.version, SF_QUIC_V2);
	assert_client_hello(&x->hello, 427);
	/* frames 4 and 5: Handshake + short header, short header; fixed bits greased (RFC 9287) */
	for (i = 1; i <= 2; i++) {
		d = dgram(&v2, i);
		assert_false(sf_quic_is_initial(d.p, d.n));
		assert_int_equal(datagram_exact(x, d.p, d.n), 0);
	}
	assert_client_hello(&x->hello, 427);

	/* quic_0RTT.pcap frames 3, 4: 0-RTT before the Initial; 5: Initial in 10 CRYPTO frames */
	quic_fresh(x);
	for (i = 0; i < 2; i++) {
		d = dgram(&zrtt, i);
		assert_false(sf_quic_is_initial(d.p, d.n));
		assert_int_equal(datagram_exact(x, d.p, d.n), 0);
		assert_int_equal(x->f.keyed, 0);
	}
	d = dgram(&zrtt, 2);
	assert_true(sf_quic_is_initial(d.p, d.n));
	assert_int_equal(datagram_exact(x, d.p, d.n), 1);
	assert_int_equal(x->f.version, SF_QUIC_V1);
	assert_client_hello(&x->hello, 607);

	/* draft-28 (quic_0RTT.pcap frame 1): drafts 23-28 salt, v1's labels; a ClientHello */
	d = dgram(&other, 0);
	assert_true(sf_quic_is_initial(d.p, d.n));
	quic_fresh(x);
	assert_int_equal(datagram_exact(x, d.p, d.n), 1);
	assert_int_equal(x->f.version, 0xff00001cu);	/* draft-28 */
	assert_true(x->hello.len > 4 && x->hello.data[0] == 1);

	/* Not QUIC these decrypt: gQUIC (quic.pcap frame 1) */
	for (i = 1; i < 2; i++) {
		d = dgram(&other, i);
		assert_false(sf_quic_is_initial(d.p, d.n));
		quic_fresh(x);
		assert_true(datagram_exact(x, d.p, d.n) <= 0);
		assert_int_equal(x->hello.len, 0);
	}
	free(v2.p);
	free(zrtt.p);
	free(other.p);
}

/* ---- TLS ClientHello: hand-built messages ---- */

/* A message builder: bytes, and length fields filled in when their part closes. */
struct bb {
	uint8_t p[32768];
	size_t n;
	size_t mark[8];
	unsigned int width[8];
	unsigned int depth;
};

static void
bb_u8(struct bb *b, unsigned int v)
{
	assert_true(b->n < sizeof(b->p));
	b->p[b->n++] = (uint8_t)v;
}

static void
bb_u16(struct bb *b, unsigned int v)
{
	bb_u8(b, v >> 8);
	bb_u8(b, v & 0xff);
}

static void
bb_bytes(struct bb *b, const void *p, size_t n)
{
	assert_true(n <= sizeof(b->p) - b->n);
	if (n != 0)		/* memcpy from NULL is undefined even for 0 bytes */
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* A length field of `width` bytes for what follows, until bb_close. */
static void
bb_open(struct bb *b, unsigned int width)
{
	assert_true(b->depth < 8);
	b->mark[b->depth] = b->n;
	b->width[b->depth++] = width;
	while (width-- > 0)
		bb_u8(b, 0);
}

static void
bb_close(struct bb *b)
{
	size_t at, len;
	unsigned int w, i;

	assert_true(b->depth > 0);
	b->depth--;
	at = b->mark[b->depth];
	w = b->width[b->depth];
	len = b->n - at - w;
	for (i = 0; i < w; i++)
		b->p[at + i] = (uint8_t)(len >> (8 * (w - 1 - i)));
}

/* A ClientHello up to its extensions' list, which stays open (hello_end closes it). */
static void
hello_begin(struct bb *b, uint16_t version, const uint16_t *ciphers, unsigned int n)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	bb_u8(b, 1);			/* client_hello */
	bb_open(b, 3);
	bb_u16(b, version);
	for (i = 0; i < 32; i++)
		bb_u8(b, 0x40 + i);	/* random */
	bb_u8(b, 32);			/* session id */
	for (i = 0; i < 32; i++)
		bb_u8(b, 0xe0 - i);
	bb_open(b, 2);
	for (i = 0; i < n; i++)
		bb_u16(b, ciphers[i]);
	bb_close(b);
	bb_u8(b, 1);			/* compression methods: null */
	bb_u8(b, 0);
	bb_open(b, 2);			/* extensions */
}

static void
hello_end(struct bb *b)
{
	bb_close(b);
	bb_close(b);
	assert_int_equal(b->depth, 0);
}

static void
ext_raw(struct bb *b, uint16_t type, const void *data, size_t n)
{
	bb_u16(b, type);
	bb_u16(b, (unsigned int)n);
	bb_bytes(b, data, n);
}

static void
ext_sni(struct bb *b, const char *host)
{
	bb_u16(b, 0x0000);
	bb_open(b, 2);
	bb_open(b, 2);
	bb_u8(b, 0);			/* host_name */
	bb_u16(b, (unsigned int)strlen(host));
	bb_bytes(b, host, strlen(host));
	bb_close(b);
	bb_close(b);
}

/* ALPN of protocols given as length-prefixed bytes ("\x02h2\x08http/1.1"), n bytes of them. */
static void
ext_alpn(struct bb *b, const void *protos, size_t n)
{
	bb_u16(b, 0x0010);
	bb_open(b, 2);
	bb_open(b, 2);
	bb_bytes(b, protos, n);
	bb_close(b);
	bb_close(b);
}

/* An extension holding a list of 16-bit values behind a length of `width` bytes. */
static void
ext_list(struct bb *b, uint16_t type, unsigned int width, const uint16_t *v, unsigned int n)
{
	unsigned int i;

	bb_u16(b, type);
	bb_open(b, 2);
	bb_open(b, width);
	for (i = 0; i < n; i++)
		bb_u16(b, v[i]);
	bb_close(b);
	bb_close(b);
}

#define NV(a) (unsigned int)(sizeof(a) / sizeof((a)[0]))

/* The ciphers and signature algorithms of FoxIO's JA4 example (technical_details/JA4.md). */
static const uint16_t fox_ciphers[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
	0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035 };
static const uint16_t fox_sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501,
	0x0806, 0x0601 };

#define FOX_GREASE 1u		/* GREASE in ciphers, extensions, groups, versions, key shares */
#define FOX_NO_SNI 2u
#define FOX_NO_ALPN 4u

/*
 * A browser-like ClientHello with FoxIO's example values: the 15 ciphers,
 * the extensions of JA4_r "..._0005,000a,000b,000d,0012,0017,001b,0023,
 * 002b,002d,0033,44cd,fe0d,ff01_..." plus SNI and ALPN (h2, http/1.1) in
 * Chrome's order, the signature algorithms in the order sent. `alpn`
 * (n bytes) replaces h2's list when not NULL.
 */
static void
fox_hello(struct bb *b, unsigned int what, const void *alpn, size_t alpn_n)
{
	static const uint8_t ks[32] = { 0x35, 0x80 };
	uint16_t ciphers[16], groups[4], versions[3];
	unsigned int nc = 0, ng = 0, nv = 0, i;
	bool g = what & FOX_GREASE;

	if (g)
		ciphers[nc++] = 0x3a3a;
	for (i = 0; i < NV(fox_ciphers); i++)
		ciphers[nc++] = fox_ciphers[i];
	hello_begin(b, 0x0303, ciphers, nc);
	if (g)
		ext_raw(b, 0x0a0a, NULL, 0);
	if (!(what & FOX_NO_SNI))
		ext_sni(b, "example.com");
	ext_raw(b, 0x0017, NULL, 0);
	ext_raw(b, 0xff01, "\x00", 1);
	if (g)
		groups[ng++] = 0x1a1a;
	groups[ng++] = 0x001d;
	groups[ng++] = 0x0017;
	groups[ng++] = 0x0018;
	ext_list(b, 0x000a, 2, groups, ng);
	ext_raw(b, 0x000b, "\x01\x00", 2);
	ext_raw(b, 0x0023, NULL, 0);
	if (!(what & FOX_NO_ALPN)) {
		if (alpn != NULL)
			ext_alpn(b, alpn, alpn_n);
		else
			ext_alpn(b, "\x02h2\x08http/1.1", 12);
	}
	ext_raw(b, 0x0005, "\x01\x00\x00\x00\x00", 5);
	ext_list(b, 0x000d, 2, fox_sigalgs, NV(fox_sigalgs));
	ext_raw(b, 0x0012, NULL, 0);
	/* key_share: a GREASE share, then x25519 */
	bb_u16(b, 0x0033);
	bb_open(b, 2);
	bb_open(b, 2);
	if (g) {
		bb_u16(b, 0x2a2a);
		bb_u16(b, 1);
		bb_u8(b, 0);
	}
	bb_u16(b, 0x001d);
	bb_u16(b, sizeof(ks));
	bb_bytes(b, ks, sizeof(ks));
	bb_close(b);
	bb_close(b);
	ext_raw(b, 0x002d, "\x01\x01", 2);
	if (g)
		versions[nv++] = 0x2a2a;
	versions[nv++] = 0x0304;
	versions[nv++] = 0x0303;
	ext_list(b, 0x002b, 1, versions, nv);
	ext_raw(b, 0x001b, "\x02\x00\x02", 3);
	ext_raw(b, 0x44cd, "\x00\x03\x02h2", 5);
	ext_raw(b, 0xfe0d, "\x00\x00\x01\x00\x01\x42\x00\x00\x00\x00", 10);
	if (g)
		ext_raw(b, 0xfafa, "\x00", 1);
	hello_end(b);
}

/* sf_tls_client_hello on a copy of exactly n bytes (AddressSanitizer sees reads past n). */
static enum sf_app_status
hello_exact(const uint8_t *p, size_t n, bool quic, struct sf_flow_app *a)
{
	uint8_t *c = malloc(n > 0 ? n : 1);
	enum sf_app_status st;

	assert_non_null(c);
	if (n > 0)
		memcpy(c, p, n);
	memset(a, 0, sizeof(*a));
	st = sf_tls_client_hello(c, n, quic, a);
	free(c);
	return st;
}

/*
 * FoxIO's example: the JA4 of JA4_r "t13d1516h2_002f,...,cca9_0005,...,ff01_0403,...,0601"
 * is t13d1516h2_8daaf6152771_d8a2da3f94cd; JA3 is the MD5 of the JA3 text
 * "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,
 * 0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17613-65037,29-23-24,0" (worked out with
 * Python's hashlib). GREASE anywhere changes neither.
 */
static void
test_tls_foxio_example(void **state)
{
	static const char ja3[] = "ccc7f777f177293b641bd872f08a0065";
	static const char ja4[] = "t13d1516h2_8daaf6152771_d8a2da3f94cd";
	struct bb *b = malloc(sizeof(*b));
	struct sf_flow_app a;
	unsigned int g;

	(void)state;
	assert_non_null(b);
	for (g = 0; g < 2; g++) {
		fox_hello(b, g ? FOX_GREASE : 0, NULL, 0);
		assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
		assert_int_equal(a.kind, SF_APP_TLS);
		assert_string_equal(a.name, "example.com");
		assert_string_equal(a.alpn, "h2");
		assert_int_equal(a.tls_version, 0x0304);
		assert_string_equal(a.ja3, ja3);
		assert_string_equal(a.ja4, ja4);
		assert_int_equal(a.flags & SF_FLOW_APP_CUT, 0);
		/* In QUIC: 'q', the rest the same */
		assert_int_equal(hello_exact(b->p, b->n, true, &a), SF_APP_DONE);
		assert_int_equal(a.kind, SF_APP_QUIC);
		assert_string_equal(a.ja4, "q13d1516h2_8daaf6152771_d8a2da3f94cd");
		assert_string_equal(a.ja3, ja3);
	}
	/* No SNI: 'i', one extension fewer; the hashes leave SNI out anyway */
	fox_hello(b, FOX_GREASE | FOX_NO_SNI, NULL, 0);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t13i1515h2_8daaf6152771_d8a2da3f94cd");
	assert_string_equal(a.name, "");
	/* No ALPN: "00" */
	fox_hello(b, FOX_GREASE | FOX_NO_ALPN, NULL, 0);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t13d151500_8daaf6152771_d8a2da3f94cd");
	assert_string_equal(a.alpn, "");
	free(b);
}

/* The first ALPN value's characters, FoxIO's examples (JA4.md "ALPN Extension Value"). */
static void
test_tls_ja4_alpn(void **state)
{
	static const struct {
		const char *protos;	/* length-prefixed */
		size_t n;
		const char *ja4ab;	/* the two characters */
		const char *text;	/* tls_alpn */
	} v[] = {
		{ "\x01\xab", 2, "ab", "\\xab" },
		{ "\x01\x20", 2, "20", " " },
		{ "\x02\xab\xcd", 3, "ad", "\\xab\\xcd" },
		{ "\x02\x20\x61", 3, "21", " a" },
		{ "\x02\x30\xab", 3, "3b", "0\\xab" },
		{ "\x02\x61\x20", 3, "60", "a " },
		{ "\x04\x30\x31\xab\xcd", 5, "3d", "01\\xab\\xcd" },
		{ "\x04\x30\xab\xcd\x31", 5, "01", "0\\xab\\xcd1" },
		{ "\x08http/1.1\x02h2", 12, "h1", "http/1.1" },
		{ "\x01x", 2, "xx", "x" },	/* one character: first and last */
		{ "\x02\xba\xad", 3, "bd", "\\xba\\xad" },	/* tls-non-ascii-alpn.pcapng's */
		{ "\x00\x02h2", 4, "00", "" },	/* the first value empty */
	};
	struct bb *b = malloc(sizeof(*b));
	struct sf_flow_app a;
	char want[40];
	size_t i;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fox_hello(b, FOX_GREASE, v[i].protos, v[i].n);
		assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
		snprintf(want, sizeof(want), "t13d1516%s_8daaf6152771_d8a2da3f94cd", v[i].ja4ab);
		assert_string_equal(a.ja4, want);
		assert_string_equal(a.alpn, v[i].text);
	}
	/* An ALPN extension with an empty list: "00" too */
	fox_hello(b, 0, "", 0);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t13d151600_8daaf6152771_d8a2da3f94cd");
	free(b);
}

/* Versions: the highest of supported_versions (GREASE left out), else legacy_version. */
static void
test_tls_versions(void **state)
{
	static const uint16_t c[] = { 0x1301, 0x1302 };
	static const struct {
		uint16_t legacy;
		uint16_t v[4];
		unsigned int n;		/* 0: no supported_versions */
		uint16_t want;
		const char *ja4v;
	} v[] = {
		{ 0x0303, { 0x0303, 0x0304, 0x0302 }, 3, 0x0304, "13" },
		{ 0x0303, { 0x0302, 0x0301 }, 2, 0x0302, "11" },	/* the extension wins */
		{ 0x0303, { 0xfafa, 0x0303, 0x1a1a }, 3, 0x0303, "12" },
		{ 0x0303, { 0 }, 0, 0x0303, "12" },
		{ 0x0301, { 0 }, 0, 0x0301, "10" },
		{ 0x0300, { 0 }, 0, 0x0300, "s3" },
		{ 0x0002, { 0 }, 0, 0x0002, "s2" },
		{ 0xfefd, { 0 }, 0, 0xfefd, "d2" },
		{ 0x0305, { 0 }, 0, 0x0305, "00" },
	};
	struct bb *b = malloc(sizeof(*b));
	struct sf_flow_app a;
	size_t i;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hello_begin(b, v[i].legacy, c, NV(c));
		if (v[i].n != 0)
			ext_list(b, 0x002b, 1, v[i].v, v[i].n);
		hello_end(b);
		assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
		assert_int_equal(a.tls_version, v[i].want);
		assert_memory_equal(a.ja4 + 1, v[i].ja4v, 2);
		/* i: no SNI; 02 ciphers; 01 or 00 extensions; 00: no ALPN */
		assert_memory_equal(a.ja4 + 3, v[i].n ? "i020100_" : "i020000_", 8);
	}
	free(b);
}

/* Small and odd hellos: SNI and ALPN alone, no extensions at all, lists over 99. */
static void
test_tls_edges(void **state)
{
	static const uint16_t one[] = { 0x1301 }, old[] = { 0x002f, 0x0035 };
	static const uint16_t sig2[] = { 0x0403, 0x0804 }, grp[] = { 0x001d };
	static const uint16_t ver[] = { 0x0304 };
	struct bb *b = malloc(sizeof(*b));
	uint16_t many[120];
	struct sf_flow_app a;
	unsigned int i;

	(void)state;
	assert_non_null(b);
	/* Only SNI and ALPN: the c list is empty, no signature algorithms: zeros */
	hello_begin(b, 0x0303, one, NV(one));
	ext_sni(b, "a.example");
	ext_alpn(b, "\x02h2", 3);
	hello_end(b);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t12d0102h2_0f2cb44170f4_000000000000");
	assert_string_equal(a.ja3, "33b746a27502e1c870d11cfc1893be87");	/* 771,4865,0-16,, */
	/* Signature algorithms in the order sent, after '_'; none: no '_' */
	hello_begin(b, 0x0303, one, NV(one));
	ext_list(b, 0x000d, 2, sig2, NV(sig2));
	ext_list(b, 0x002b, 1, ver, NV(ver));
	ext_list(b, 0x000a, 2, grp, NV(grp));
	hello_end(b);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t13i010300_0f2cb44170f4_fbabbea27ee8");
	hello_begin(b, 0x0303, one, NV(one));
	ext_list(b, 0x002b, 1, ver, NV(ver));
	ext_list(b, 0x000a, 2, grp, NV(grp));
	ext_raw(b, 0x000d, "\x00\x00", 2);	/* an empty list: no '_' either */
	hello_end(b);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t13i010300_0f2cb44170f4_304562746881");
	/* No extensions at all (SSL 3 / TLS 1.0 style): the message ends after compression */
	hello_begin(b, 0x0301, old, NV(old));
	b->n -= 2;		/* no extensions' length either */
	b->depth--;
	bb_close(b);
	assert_int_equal(b->depth, 0);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t10i020000_f54dd463d39b_000000000000");
	assert_string_equal(a.ja3, "dac4920d4335e769327dbf4e1b759e15");	/* 769,47-53,,, */
	assert_int_equal(a.tls_version, 0x0301);
	/* 120 ciphers, 120 extensions: counts say 99, the hashes take them all */
	for (i = 0; i < 120; i++)
		many[i] = (uint16_t)(i + 1);
	hello_begin(b, 0x0303, many, 120);
	hello_end(b);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t12i990000_0f8860b09f90_000000000000");
	hello_begin(b, 0x0303, one, NV(one));
	for (i = 0; i < 120; i++)
		ext_raw(b, (uint16_t)(0x1000 + i), NULL, 0);
	hello_end(b);
	assert_int_equal(hello_exact(b->p, b->n, false, &a), SF_APP_DONE);
	assert_memory_equal(a.ja4, "t12i019900_0f2cb44170f4_", 24);
	/* Not a ClientHello; longer than SF_APP_HELLO_MAX */
	assert_int_equal(hello_exact((const uint8_t *)"\x02\x00\x00\x00", 4, false, &a), SF_APP_BAD);
	assert_int_equal(hello_exact((const uint8_t *)"\x16", 1, false, &a), SF_APP_BAD);
	assert_int_equal(hello_exact((const uint8_t *)"\x01\x00\x40\x00", 4, false, &a), SF_APP_BAD);
	assert_int_equal(hello_exact((const uint8_t *)"\x01\x00\x3f\xfc", 4, false, &a),
			SF_APP_MORE);
	free(b);
}

/*
 * Truncated anywhere: with the header's length kept, every prefix asks for
 * MORE; with the length saying the cut is the end, the message is BAD,
 * except cut right after the compression methods (a hello without
 * extensions) and at its real end.
 */
static void
test_tls_truncated(void **state)
{
	struct bb *b = malloc(sizeof(*b));
	uint8_t *c = malloc(sizeof(b->p));
	size_t n, no_ext;
	struct sf_flow_app a;
	unsigned int done;

	(void)state;
	assert_non_null(b);
	assert_non_null(c);
	fox_hello(b, FOX_GREASE, NULL, 0);
	no_ext = 4 + 2 + 32 + 1 + 32 + 2 + 2 * 16 + 2;
	for (n = 0; n < b->n; n++)
		assert_int_equal(hello_exact(b->p, n, false, &a), SF_APP_MORE);
	done = 0;
	for (n = 4; n <= b->n; n++) {
		enum sf_app_status st;

		memcpy(c, b->p, n);
		c[1] = (uint8_t)((n - 4) >> 16);
		c[2] = (uint8_t)((n - 4) >> 8);
		c[3] = (uint8_t)(n - 4);
		st = hello_exact(c, n, n % 2 == 0, &a);
		if (st == SF_APP_DONE) {
			assert_true(n == no_ext || n == b->n);
			done++;
		} else {
			assert_int_equal(st, SF_APP_BAD);
		}
	}
	assert_int_equal(done, 2);
	/* An extension whose length reaches past the message */
	memcpy(c, b->p, b->n);
	c[no_ext + 2 + 2] = 0x7f;	/* the first extension's length, high byte */
	assert_int_equal(hello_exact(c, b->n, false, &a), SF_APP_BAD);
	free(c);
	free(b);
}

/* TLS records around the handshake: split over records, followed by others, damaged. */
static void
test_tls_records(void **state)
{
	struct bb *b = malloc(sizeof(*b));
	uint8_t *s = malloc(40000), *hs = malloc(SF_APP_HELLO_MAX);
	size_t n = 0, hs_len, cut, i;
	struct sf_flow_app a;

	(void)state;
	assert_non_null(b);
	assert_non_null(s);
	assert_non_null(hs);
	fox_hello(b, FOX_GREASE, NULL, 0);
	/* Three handshake records: 100 bytes, 1, the rest; then a ChangeCipherSpec record */
	{
		size_t parts[3] = { 100, 1, b->n - 101 }, off = 0;

		for (i = 0; i < 3; i++) {
			s[n++] = 22;
			s[n++] = 3;
			s[n++] = 1;
			s[n++] = (uint8_t)(parts[i] >> 8);
			s[n++] = (uint8_t)parts[i];
			memcpy(s + n, b->p + off, parts[i]);
			n += parts[i];
			off += parts[i];
		}
	}
	assert_int_equal(sf_tls_records(s, n, hs, SF_APP_HELLO_MAX, &hs_len), SF_APP_MORE);
	assert_int_equal(hs_len, b->n);
	assert_memory_equal(hs, b->p, b->n);
	assert_int_equal(sf_tls_client_hello(hs, hs_len, false, &a), SF_APP_DONE);
	assert_string_equal(a.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
	memcpy(s + n, "\x14\x03\x03\x00\x01\x01", 6);
	assert_int_equal(sf_tls_records(s, n + 6, hs, SF_APP_HELLO_MAX, &hs_len), SF_APP_DONE);
	assert_int_equal(hs_len, b->n);
	/* Every prefix: MORE, with the handshake bytes so far */
	for (cut = 1; cut < n; cut++) {
		/* records' headers at 0, 105 and 111; their bytes from 5, 110 and 116 */
		size_t want;

		if (cut < 5)
			want = 0;
		else if (cut <= 105)
			want = cut - 5;
		else if (cut < 110)
			want = 100;
		else if (cut <= 111)
			want = 100 + cut - 110;
		else if (cut < 116)
			want = 101;
		else
			want = 101 + cut - 116;
		assert_int_equal(sf_tls_records(s, cut, hs, SF_APP_HELLO_MAX, &hs_len),
				SF_APP_MORE);
		assert_int_equal(hs_len, want);
	}
	/* A small buffer: filled, DONE */
	assert_int_equal(sf_tls_records(s, n, hs, 50, &hs_len), SF_APP_DONE);
	assert_int_equal(hs_len, 50);
	/* Not a handshake record first: alert, application data, SSLv2-style, HTTP */
	assert_int_equal(sf_tls_records((const uint8_t *)"\x15\x03\x03\x00\x02\x02\x28", 7, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_BAD);
	assert_int_equal(sf_tls_records((const uint8_t *)"\x17\x03\x03\x00\x01\x00", 6, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_BAD);
	assert_int_equal(sf_tls_records((const uint8_t *)"\x80\x2e\x01\x03\x01", 5, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_BAD);
	assert_int_equal(sf_tls_records((const uint8_t *)"GET / HTTP/1.1", 14, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_BAD);
	assert_int_equal(sf_tls_records((const uint8_t *)"\x16\x02\x00\x00\x01\x01", 6, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_BAD);
	/* Record lengths: 0, and past the limit (2^14 + 2048) */
	assert_int_equal(sf_tls_records((const uint8_t *)"\x16\x03\x01\x00\x00", 5, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_BAD);
	assert_int_equal(sf_tls_records((const uint8_t *)"\x16\x03\x01\x48\x01\x01", 6, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_BAD);
	assert_int_equal(sf_tls_records((const uint8_t *)"\x16\x03\x01\x48\x00\x01", 6, hs,
			SF_APP_HELLO_MAX, &hs_len), SF_APP_MORE);
	assert_int_equal(hs_len, 1);
	free(s);
	free(hs);
	free(b);
}

/* ---- DNS ---- */

/* A DNS header and the first question's name as given (wire form), type and class. */
static size_t
dns_build(uint8_t *p, uint16_t flags, uint16_t qd, const uint8_t hdr_tail[6], const void *name,
		size_t name_n, bool with_type)
{
	size_t n = 0;

	p[n++] = 0x12;
	p[n++] = 0x34;
	p[n++] = (uint8_t)(flags >> 8);
	p[n++] = (uint8_t)flags;
	p[n++] = (uint8_t)(qd >> 8);
	p[n++] = (uint8_t)qd;
	if (hdr_tail != NULL)
		memcpy(p + n, hdr_tail, 6);
	else
		memset(p + n, 0, 6);
	n += 6;
	memcpy(p + n, name, name_n);
	n += name_n;
	if (with_type) {
		memcpy(p + n, "\x00\x1c\x00\x01", 4);	/* AAAA, IN */
		n += 4;
	}
	return n;
}

static enum sf_app_status
dns_exact(const uint8_t *p, size_t n, struct sf_flow_app *a)
{
	uint8_t *c = malloc(n > 0 ? n : 1);
	enum sf_app_status st;

	assert_non_null(c);
	if (n > 0)
		memcpy(c, p, n);
	st = sf_dns_message(c, n, a);
	free(c);
	return st;
}

static void
test_dns_message(void **state)
{
	static const char www[] = "\x03www\x07" "example\x03" "com";	/* and its root byte */
	uint8_t p[600], name[600];
	struct sf_flow_app a;
	size_t n, k, i;

	(void)state;
	/* A query, then its NXDOMAIN response on the same flow */
	memset(&a, 0, sizeof(a));
	n = dns_build(p, 0x0100, 1, NULL, www, sizeof(www), true);
	assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
	assert_int_equal(a.kind, SF_APP_DNS);
	assert_string_equal(a.name, "www.example.com");
	assert_int_equal(a.dns_qtype, 28);
	assert_int_equal(a.flags, SF_FLOW_APP_QTYPE);
	n = dns_build(p, 0x8183, 1, NULL, "\x01x\x00", 3, true);
	assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
	assert_string_equal(a.name, "www.example.com");		/* the query's question stays */
	assert_int_equal(a.flags, SF_FLOW_APP_QTYPE | SF_FLOW_APP_RCODE);
	assert_int_equal(a.dns_rcode, 3);
	/* The first response's rcode stays too */
	n = dns_build(p, 0x8180, 1, NULL, www, sizeof(www), true);
	assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
	assert_int_equal(a.dns_rcode, 3);
	/* A response alone: rcode 0 is a value; without a question, no name */
	memset(&a, 0, sizeof(a));
	n = dns_build(p, 0x8180, 0, NULL, "", 0, false);
	assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
	assert_int_equal(a.flags, SF_FLOW_APP_RCODE);
	assert_int_equal(a.dns_rcode, 0);
	assert_string_equal(a.name, "");
	/* The root name */
	memset(&a, 0, sizeof(a));
	n = dns_build(p, 0x0000, 1, NULL, "\x00", 1, true);
	assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
	assert_string_equal(a.name, "<Root>");
	/* A '.' inside a label stays (as tshark writes it), bytes 0x00 and 0xff become \xHH */
	memset(&a, 0, sizeof(a));
	n = dns_build(p, 0x0100, 1, NULL, "\x03" "a.b\x04\x00z\xff\\\x00", 10, true);
	assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
	assert_string_equal(a.name, "a.b.\\x00z\\xff\\x5c");
	/* A pointer backwards (into the header: ns count "\x01a", ar count 0 end the name) */
	memset(&a, 0, sizeof(a));
	n = dns_build(p, 0x0100, 1, (const uint8_t *)"\x00\x00\x01" "a\x00\x00",
			"\x03www\xc0\x08", 6, true);
	assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
	assert_string_equal(a.name, "www.a");
	assert_int_equal(a.dns_qtype, 28);	/* read after the pointer, not after its target */
	/* Pointers to itself, forward, to a later label, past the end: BAD */
	{
		static const struct {
			const char *name;
			size_t n;
		} bad[] = {
			{ "\xc0\x0c", 2 },			/* itself */
			{ "\x03www\xc0\x0c", 6 },		/* the name's own start */
			{ "\x03www\xc0\x10", 6 },		/* its own pointer */
			{ "\x03www\xc0\x14\x01x\x00", 9 },	/* forward */
			/* forward to the type's first byte (0: a root) */
			{ "\x03www\xc0\x12\x00\x1c\x00\x01", 10 },
			{ "\xc1\x00", 2 },			/* past the end */
			{ "\x03ww", 3 },			/* a label past the end */
			{ "\x03www", 4 },			/* no end of name */
			{ "\x40x\x00", 3 },			/* extended label type */
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&a, 0, sizeof(a));
			n = dns_build(p, 0x0100, 1, NULL, bad[i].name, bad[i].n, false);
			assert_int_equal(dns_exact(p, n, &a), SF_APP_BAD);
		}
	}
	/* 127 labels (a 255-byte name on the wire) are fine, 128 are too many */
	for (k = 127; k <= 129; k++) {
		for (i = 0; i < k; i++) {
			name[2 * i] = 1;
			name[2 * i + 1] = (uint8_t)('a' + i % 26);
		}
		name[2 * k] = 0;
		memset(&a, 0, sizeof(a));
		n = dns_build(p, 0x0100, 1, NULL, name, 2 * k + 1, true);
		if (k == 127) {
			assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
			assert_int_equal(strlen(a.name), 253);
			assert_int_equal(a.flags & SF_FLOW_APP_CUT, 0);
		} else {
			assert_int_equal(dns_exact(p, n, &a), SF_APP_BAD);
		}
	}
	/*
	 * Labels of 63 bytes: four make 255 characters, the field's size; a
	 * fifth is cut (flagged)
	 */
	for (k = 4; k <= 5; k++) {
		for (i = 0; i < k; i++) {
			name[64 * i] = 63;
			memset(name + 64 * i + 1, 'q', 63);
		}
		name[64 * k] = 0;
		memset(&a, 0, sizeof(a));
		n = dns_build(p, 0x0100, 1, NULL, name, 64 * k + 1, true);
		assert_int_equal(dns_exact(p, n, &a), SF_APP_DONE);
		assert_int_equal(strlen(a.name), SF_FLOW_APP_NAME - 1);
		assert_int_equal(a.flags & SF_FLOW_APP_CUT, k == 5 ? SF_FLOW_APP_CUT : 0);
	}
	/* Short: no whole header, the question or its type missing */
	n = dns_build(p, 0x0100, 1, NULL, www, sizeof(www), true);
	for (k = 0; k < n; k++) {
		memset(&a, 0, sizeof(a));
		assert_int_equal(dns_exact(p, k, &a), SF_APP_BAD);
	}
}

/* ---- HTTP/1.x ---- */

static enum sf_app_status
http_exact(const char *s, size_t n, struct sf_flow_app *a)
{
	enum sf_app_status st;
	uint8_t *c;

	if (n == SIZE_MAX)
		n = strlen(s);
	c = malloc(n > 0 ? n : 1);

	assert_non_null(c);
	if (n > 0)
		memcpy(c, s, n);
	memset(a, 0, sizeof(*a));
	st = sf_http_request(c, n, a);
	free(c);
	return st;
}

static void
test_http_request(void **state)
{
	static const char head[] = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\nAccept: */*\r\n\r\n"
		"body";
	static const struct {
		const char *s;
		bool looks;	/* sf_http_looks_like: a method and a space */
	} not_http[] = {
		{ "HELLO world HTTP/1.1\r\n\r\n", false }, { "get / HTTP/1.1\r\n\r\n", false },
		{ "CONNECTX host HTTP/1.1\r\n\r\n", false },
		{ "GETTHEREQUESTLINE / HTTP/1.1\r\n", false },
		{ "SSH-2.0-OpenSSH_9.6\r\n", false },
		{ "GET / SPDY/3\r\n\r\n", true }, { "GET / HTTP/2.0\r\n\r\n", true },
		{ "GET /\r\n\r\n", true },
	};
	struct sf_flow_app a;
	size_t n = strlen(head) - 4, k;

	(void)state;
	assert_int_equal(http_exact(head, n + 4, &a), SF_APP_DONE);
	assert_int_equal(a.kind, SF_APP_HTTP);
	assert_string_equal(a.method, "GET");
	assert_string_equal(a.name, "www.example.com");
	assert_string_equal(a.ua, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0");
	/* Split anywhere before the empty line: MORE; the whole head: DONE */
	for (k = 0; k < n; k++)
		assert_int_equal(http_exact(head, k, &a), SF_APP_MORE);
	assert_int_equal(http_exact(head, n, &a), SF_APP_DONE);
	/* Names in any case, values without their spaces and tabs, the first of each kept */
	assert_int_equal(http_exact("POST /x HTTP/1.0\r\nuser-AGENT:\t curl/8.5.0 \t\r\n"
			"HOST:   example.org:8080  \r\nHost: second\r\nUser-Agent: second\r\n\r\n",
			SIZE_MAX, &a), SF_APP_DONE);
	assert_string_equal(a.method, "POST");
	assert_string_equal(a.name, "example.org:8080");
	assert_string_equal(a.ua, "curl/8.5.0");
	/* Bare LF line ends; no Host, no User-Agent: empty (left out of records) */
	assert_int_equal(http_exact("HEAD / HTTP/1.0\nAccept: */*\n\n", SIZE_MAX, &a), SF_APP_DONE);
	assert_string_equal(a.method, "HEAD");
	assert_string_equal(a.name, "");
	assert_string_equal(a.ua, "");
	/* A value's control bytes and non-UTF-8 become \xHH */
	assert_int_equal(http_exact("GET / HTTP/1.1\r\nUser-Agent: a\x01\xff\\b\r\n\r\n",
			SIZE_MAX, &a), SF_APP_DONE);
	assert_string_equal(a.ua, "a\\x01\\xff\\x5cb");
	/* SSDP over UDP */
	{
		static const char ssdp[] = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
			"MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";

		assert_true(sf_http_looks_like((const uint8_t *)ssdp, strlen(ssdp)));
		assert_int_equal(http_exact(ssdp, strlen(ssdp), &a), SF_APP_DONE);
		assert_string_equal(a.method, "M-SEARCH");
		assert_string_equal(a.name, "239.255.255.250:1900");
	}
	/* Not HTTP/1.x */
	for (k = 0; k < sizeof(not_http) / sizeof(not_http[0]); k++) {
		const char *s = not_http[k].s;

		assert_int_equal(http_exact(s, strlen(s), &a), SF_APP_BAD);
		assert_int_equal(sf_http_looks_like((const uint8_t *)s, strlen(s)),
				not_http[k].looks);
	}
	assert_true(sf_http_looks_like((const uint8_t *)"OPTIONS * HTTP/1.1", 18));
	assert_false(sf_http_looks_like((const uint8_t *)"GET", 3));
}

/* ---- safe texts ---- */

static void
test_app_text(void **state)
{
#define IN(s) s, sizeof(s) - 1
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} v[] = {
		{ IN("plain ASCII ~!"), "plain ASCII ~!" },
		{ IN("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xc2\x80"),
			"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xc2\x80" },
		{ IN("\xc0\x80\xc1\xbf"), "\\xc0\\x80\\xc1\\xbf" },		/* overlong 2 */
		{ IN("\xe0\x80\xaf"), "\\xe0\\x80\\xaf" },			/* overlong 3 */
		{ IN("\xf0\x82\x82\xac"), "\\xf0\\x82\\x82\\xac" },		/* overlong 4 */
		/* surrogates */
		{ IN("\xed\xa0\x80\xed\xbf\xbf"), "\\xed\\xa0\\x80\\xed\\xbf\\xbf" },
		/* past U+10FFFF */
		{ IN("\xf4\x90\x80\x80\xf5\x80"), "\\xf4\\x90\\x80\\x80\\xf5\\x80" },
		{ IN("\xe2\x82"), "\\xe2\\x82" },	/* truncated at the end */
		{ IN("\xe2\x82" "A\xf0\x9f\x98"), "\\xe2\\x82" "A\\xf0\\x9f\\x98" },
		{ IN("\x80\xbf"), "\\x80\\xbf" },	/* lone continuations */
		/* controls */
		{ IN("\x00\x09\x0a\x0d\x1f\x7f"), "\\x00\\x09\\x0a\\x0d\\x1f\\x7f" },
		{ IN("a\\b\"c,d"), "a\\x5cb\"c,d" },	/* backslash escaped, quote and comma kept */
		{ IN(""), "" },
	};
#undef IN
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(out, 'x', sizeof(out));
		assert_true(sf_app_text(out, sizeof(out), (const uint8_t *)v[i].in, v[i].n));
		assert_string_equal(out, v[i].out);
	}
	/* The cap cuts at a character's boundary and says so */
	memset(out, 'x', sizeof(out));
	assert_false(sf_app_text(out, 3, (const uint8_t *)"a\xc3\xa9", 3));
	assert_string_equal(out, "a");
	assert_int_equal(out[3], 'x');
	assert_true(sf_app_text(out, 4, (const uint8_t *)"a\xc3\xa9", 3));
	assert_string_equal(out, "a\xc3\xa9");
	assert_false(sf_app_text(out, 4, (const uint8_t *)"\xf0\x9f\x98\x80", 4));
	assert_string_equal(out, "");
	assert_true(sf_app_text(out, 5, (const uint8_t *)"\xf0\x9f\x98\x80", 4));
	assert_false(sf_app_text(out, 4, (const uint8_t *)"\x01", 1));	/* \x01 needs 4 + NUL */
	assert_string_equal(out, "");
	assert_true(sf_app_text(out, 5, (const uint8_t *)"\x01", 1));
	assert_string_equal(out, "\\x01");
	assert_false(sf_app_text(out, 6, (const uint8_t *)"ab\\", 3));
	assert_string_equal(out, "ab");
	assert_false(sf_app_text(out, 1, (const uint8_t *)"a", 1));
	assert_string_equal(out, "");
	memset(out, 'x', sizeof(out));
	assert_false(sf_app_text(out, 0, (const uint8_t *)"a", 1));
	assert_int_equal(out[0], 'x');
	assert_true(sf_app_text(out, 0, (const uint8_t *)"", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_rfc1321),
		cmocka_unit_test(test_sha256_fips),
		cmocka_unit_test(test_hash_padding_edges),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_hkdf),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_quic_is_initial),
		cmocka_unit_test_setup_teardown(test_quic_rfc9001_a2, quic_setup, quic_teardown),
		cmocka_unit_test_setup_teardown(test_quic_rfc9369_a2, quic_setup, quic_teardown),
		cmocka_unit_test_setup_teardown(test_quic_bad_tag, quic_setup, quic_teardown),
		cmocka_unit_test_setup_teardown(test_quic_truncated, quic_setup, quic_teardown),
		cmocka_unit_test_setup_teardown(test_quic_frames, quic_setup, quic_teardown),
		cmocka_unit_test_setup_teardown(test_quic_coalesced, quic_setup, quic_teardown),
		cmocka_unit_test_setup_teardown(test_quic_captures, quic_setup, quic_teardown),
		cmocka_unit_test(test_tls_foxio_example),
		cmocka_unit_test(test_tls_ja4_alpn),
		cmocka_unit_test(test_tls_versions),
		cmocka_unit_test(test_tls_edges),
		cmocka_unit_test(test_tls_truncated),
		cmocka_unit_test(test_tls_records),
		cmocka_unit_test(test_dns_message),
		cmocka_unit_test(test_http_request),
		cmocka_unit_test(test_app_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
