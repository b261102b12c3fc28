/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/app: the hashes against their standards' test vectors (RFC 1321
 * A.5, FIPS 180-4 examples, RFC 4231, RFC 5869, RFC 9001 A.1); QUIC
 * client Initials: the RFC 9001 and RFC 9369 A.2 packets, damaged and
 * truncated ones, frames of packets protected here, and real captures
 * (tests/data/quic, see its README.md).
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
