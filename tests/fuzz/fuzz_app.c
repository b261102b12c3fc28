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
 *   1-7  free for the TLS, DNS and HTTP/1 parsers (see the switch).
 *
 * Every datagram is copied into a buffer of exactly its length so ASan
 * sees any read past it. Checks: results in range, the ClientHello
 * buffer's bounds, and a protected packet always authenticates (only a
 * frame may refuse it).
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
	/* FUZZ_APP_TLS = 1, FUZZ_APP_DNS = 2, FUZZ_APP_HTTP = 3: to come */
};

#define FUZZ_QUIC_PROTECT 0x08
#define FUZZ_QUIC_PAYLOAD_MAX 1500

static struct sf_quic *quic;
static struct sf_app_buf hello;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	quic = sf_quic_create();
	FUZZ_CHECK(quic != NULL);
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

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 0x07) {
	case FUZZ_APP_QUIC:
		fuzz_quic(data[0], data + 1, size - 1);
		break;
	/*
	 * TLS (sf_tls_client_hello, sf_tls_records), DNS (sf_dns_message)
	 * and HTTP/1 (sf_http_request) branches go here, one case each,
	 * keeping the numbers above so saved corpora stay meaningful.
	 */
	default:
		break;
	}
	return 0;
}
