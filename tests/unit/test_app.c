/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/app: the hashes against their standards' test vectors (RFC 1321
 * A.5, FIPS 180-4 examples, RFC 4231, RFC 5869, RFC 9001 A.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sf_hash.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
