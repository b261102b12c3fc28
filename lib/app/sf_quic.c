/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC client Initials, v1 (RFC 9000 section 17.2.2, RFC 9001 section 5)
 * and v2 (RFC 9369): long header parsed with every length checked
 * against the datagram, header protection removed (AES-128-ECB on the
 * 16-byte sample), payload opened (AES-128-GCM; the AAD is the
 * unprotected header, fed in three pieces so the datagram is never
 * copied), frames walked, CRYPTO data put at its offset.
 *
 * Contracts and limits:
 * - Keys come from the DCID of the flow's first client Initial and are
 *   kept (RFC 9001 section 5.2). Until one packet of the flow has
 *   authenticated (keyed == 2), a failed packet forgets them, so one
 *   stray or corrupted first Initial does not blind the flow.
 * - A Retry (RFC 9000 section 17.2.5) changes the DCID the client's next
 *   Initials are keyed with; this does not follow it: after a Retry the
 *   client's Initials fail their tag and the datagrams return -1 (the
 *   caller counts them). The same holds for a compatible version change
 *   (RFC 9368) after the first Initial: Initials of another version than
 *   the flow's are -1.
 * - The packet number is taken as sent (truncated): a client's first
 *   Initials are numbered from 0, far below where truncation matters.
 * - Frames are taken after the tag has been checked; a datagram that
 *   fails after an earlier coalesced Initial keeps that Initial's CRYPTO
 *   bytes in `hello`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sf_hash.h"
#include "sf_quic.h"

#define QUIC_TAG_LEN 16
#define QUIC_SAMPLE_LEN 16
#define QUIC_PN_MAX 4
/* Largest UDP payload (IPv4: 65535 - 8 - 20); bigger Length fields are bogus. */
#define QUIC_PLAIN_MAX 65536
#define QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)

/* Frame types an Initial may carry (RFC 9000 section 12.4, table 3) */
enum {
	QUIC_FRAME_PADDING = 0x00,
	QUIC_FRAME_PING = 0x01,
	QUIC_FRAME_ACK = 0x02,
	QUIC_FRAME_ACK_ECN = 0x03,
	QUIC_FRAME_CRYPTO = 0x06,
	QUIC_FRAME_CLOSE = 0x1c,
};

/* Long-header packet types: the 2 type bits differ between v1 and v2 */
enum quic_ptype {
	QUIC_PT_INITIAL,
	QUIC_PT_0RTT,
	QUIC_PT_HANDSHAKE,
	QUIC_PT_RETRY,
};

struct quic_version {
	uint32_t version;
	uint32_t last;		/* versions version..last share the entry (0: version only) */
	uint8_t salt[20];
	const char *key_label;
	const char *iv_label;
	const char *hp_label;
	uint8_t ptype[4];	/* type bits -> enum quic_ptype */
};

static const struct quic_version quic_versions[] = {
	{
		.version = SF_QUIC_V1,	/* RFC 9001 section 5.2 */
		.salt = {
			0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
			0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
		},
		.key_label = "quic key",
		.iv_label = "quic iv",
		.hp_label = "quic hp",
		.ptype = { QUIC_PT_INITIAL, QUIC_PT_0RTT, QUIC_PT_HANDSHAKE, QUIC_PT_RETRY },
	},
	{
		.version = SF_QUIC_V2,	/* RFC 9369 sections 3.2-3.3.3 */
		.salt = {
			0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
			0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
		},
		.key_label = "quicv2 key",
		.iv_label = "quicv2 iv",
		.hp_label = "quicv2 hp",
		.ptype = { QUIC_PT_RETRY, QUIC_PT_INITIAL, QUIC_PT_0RTT, QUIC_PT_HANDSHAKE },
	},
	{
		/* drafts 29 to 32 (draft-ietf-quic-tls-29 section 5.2), as deployed before v1 */
		.version = 0xff00001d, .last = 0xff000020,
		.salt = {
			0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
			0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99,
		},
		.key_label = "quic key",
		.iv_label = "quic iv",
		.hp_label = "quic hp",
		.ptype = { QUIC_PT_INITIAL, QUIC_PT_0RTT, QUIC_PT_HANDSHAKE, QUIC_PT_RETRY },
	},
	{
		/* drafts 23 to 28 (draft-ietf-quic-tls-23 section 5.2) */
		.version = 0xff000017, .last = 0xff00001c,
		.salt = {
			0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
			0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02,
		},
		.key_label = "quic key",
		.iv_label = "quic iv",
		.hp_label = "quic hp",
		.ptype = { QUIC_PT_INITIAL, QUIC_PT_0RTT, QUIC_PT_HANDSHAKE, QUIC_PT_RETRY },
	},
};

struct sf_quic {
	EVP_CIPHER *ecb;
	EVP_CIPHER *gcm;
	EVP_CIPHER_CTX *hp_ctx;		/* AES-128-ECB, header protection */
	EVP_CIPHER_CTX *aead_ctx;	/* AES-128-GCM, payload */
	uint8_t plain[QUIC_PLAIN_MAX];	/* one packet's decrypted payload */
};

struct sf_quic *
sf_quic_create(void)
{
	struct sf_quic *q;
	int err = ENOMEM;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		goto fail;
	/* Fetched once: EVP_get_cipherbyname would look them up per init */
	q->ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	q->gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	if (q->ecb == NULL || q->gcm == NULL) {
		err = EINVAL;
		goto fail;
	}
	q->hp_ctx = EVP_CIPHER_CTX_new();
	q->aead_ctx = EVP_CIPHER_CTX_new();
	if (q->hp_ctx == NULL || q->aead_ctx == NULL)
		goto fail;
	/*
	 * Bind the ciphers now; per packet only keys and IV change (NULL
	 * cipher to the Init calls), which allocates nothing.
	 */
	if (EVP_EncryptInit_ex(q->hp_ctx, q->ecb, NULL, NULL, NULL) != 1 ||
			EVP_CIPHER_CTX_set_padding(q->hp_ctx, 0) != 1 ||
			EVP_DecryptInit_ex(q->aead_ctx, q->gcm, NULL, NULL, NULL) != 1) {
		err = EINVAL;
		goto fail;
	}
	return q;
fail:
	sf_quic_free(q);
	errno = err;
	return NULL;
}

void
sf_quic_free(struct sf_quic *q)
{
	if (q == NULL)
		return;
	EVP_CIPHER_CTX_free(q->aead_ctx);
	EVP_CIPHER_CTX_free(q->hp_ctx);
	EVP_CIPHER_free(q->gcm);
	EVP_CIPHER_free(q->ecb);
	free(q);
}

static inline uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const struct quic_version *
quic_version_find(uint32_t version)
{
	size_t i;

	for (i = 0; i < sizeof(quic_versions) / sizeof(quic_versions[0]); i++)
		if (quic_versions[i].version == version || (quic_versions[i].last != 0 &&
				version >= quic_versions[i].version && version <= quic_versions[i].last))
			return &quic_versions[i];
	return NULL;
}

bool
sf_quic_is_initial(const uint8_t *p, size_t n)
{
	const struct quic_version *v;

	if (n < 7 || (p[0] & 0xc0) != 0xc0)
		return false;
	v = quic_version_find(be32(p + 1));
	return v != NULL && v->ptype[(p[0] >> 4) & 3] == QUIC_PT_INITIAL;
}

/* RFC 9000 section 16: a variable-length integer at *off, which moves past it. */
static bool
varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	size_t len, i;
	uint64_t x;

	if (*off >= n)
		return false;
	len = (size_t)1 << (p[*off] >> 6);
	if (len > n - *off)
		return false;
	x = p[*off] & 0x3f;
	for (i = 1; i < len; i++)
		x = x << 8 | p[*off + i];
	*off += len;
	*v = x;
	return true;
}

static void
quic_derive(struct sf_quic_flow *f, const struct quic_version *v, uint32_t version,
		const uint8_t *dcid, uint8_t dcid_len)
{
	uint8_t initial[SF_SHA256_LEN], client[SF_SHA256_LEN];

	/* RFC 9001 section 5.2 */
	sf_hkdf_extract(v->salt, sizeof(v->salt), dcid, dcid_len, initial);
	sf_hkdf_expand_label(initial, "client in", client, sizeof(client));
	sf_hkdf_expand_label(client, v->key_label, f->key, sizeof(f->key));
	sf_hkdf_expand_label(client, v->iv_label, f->iv, sizeof(f->iv));
	sf_hkdf_expand_label(client, v->hp_label, f->hp, sizeof(f->hp));
	f->version = version;	/* the packet's: drafts share an entry */
	f->dcid_len = dcid_len;
	memcpy(f->dcid, dcid, dcid_len);
	f->keyed = 1;
}

/*
 * RFC 9000 section 12.4 and 19: the frames of a decrypted Initial.
 * Anything but PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE is -1.
 */
static int
quic_frames(const uint8_t *p, size_t n, struct sf_app_buf *hello)
{
	uint64_t v, count, i, off, len;
	size_t at = 0;
	uint8_t type;

	if (n == 0)
		return -1;	/* a packet without frames (section 12.4) */
	while (at < n) {
		/* Types are varints; those allowed here take one byte */
		type = p[at++];
		switch (type) {
		case QUIC_FRAME_PADDING:
		case QUIC_FRAME_PING:
			break;
		case QUIC_FRAME_ACK:
		case QUIC_FRAME_ACK_ECN:
			/* Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range */
			if (!varint(p, n, &at, &v) || !varint(p, n, &at, &v) ||
					!varint(p, n, &at, &count) || !varint(p, n, &at, &v))
				return -1;
			/* Each range takes 2 bytes at least: the loop ends with the payload */
			for (i = 0; i < count; i++)
				if (!varint(p, n, &at, &v) || !varint(p, n, &at, &v))
					return -1;
			if (type == QUIC_FRAME_ACK_ECN)
				for (i = 0; i < 3; i++)	/* ECT0, ECT1, ECN-CE */
					if (!varint(p, n, &at, &v))
						return -1;
			break;
		case QUIC_FRAME_CRYPTO:
			if (!varint(p, n, &at, &off) || !varint(p, n, &at, &len))
				return -1;
			if (len > n - at || off + len > QUIC_VARINT_MAX)
				return -1;
			sf_app_buf_put(hello, off, p + at, (size_t)len);
			at += (size_t)len;
			break;
		case QUIC_FRAME_CLOSE:
			return 0;	/* the rest does not matter */
		default:
			return -1;
		}
	}
	return 0;
}

/*
 * One Initial packet: p[0..pn_off) is its header up to the packet
 * number, p[pn_off..end) the protected packet number and payload.
 */
static int
quic_open(struct sf_quic *q, struct sf_quic_flow *f, const uint8_t *p, size_t pn_off,
		size_t end, struct sf_app_buf *hello)
{
	uint8_t mask[2 * QUIC_SAMPLE_LEN], nonce[12], tag[QUIC_TAG_LEN];
	uint8_t first, pn_bytes[QUIC_PN_MAX];
	size_t pn_len, ct_off, ct_len, i;
	uint64_t pn = 0;
	int outl, fin;

	/* RFC 9001 section 5.4.2: the sample starts 4 bytes after the packet number */
	if (end - pn_off < QUIC_PN_MAX + QUIC_SAMPLE_LEN)
		return -1;
	if (EVP_EncryptInit_ex(q->hp_ctx, NULL, NULL, f->hp, NULL) != 1 ||
			EVP_EncryptUpdate(q->hp_ctx, mask, &outl, p + pn_off + QUIC_PN_MAX,
				QUIC_SAMPLE_LEN) != 1 || outl != QUIC_SAMPLE_LEN)
		return -1;
	first = p[0] ^ (mask[0] & 0x0f);	/* long header: 4 bits protected */
	pn_len = (size_t)(first & 3) + 1;
	for (i = 0; i < pn_len; i++) {
		pn_bytes[i] = p[pn_off + i] ^ mask[1 + i];
		pn = pn << 8 | pn_bytes[i];
	}
	ct_off = pn_off + pn_len;
	ct_len = end - ct_off - QUIC_TAG_LEN;	/* >= 0: the sample check above */

	/* RFC 9001 section 5.3: nonce = iv XOR the packet number, left-padded */
	memcpy(nonce, f->iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[sizeof(nonce) - 1 - i] ^= (uint8_t)(pn >> (8 * i));
	memcpy(tag, p + end - QUIC_TAG_LEN, sizeof(tag));
	if (EVP_DecryptInit_ex(q->aead_ctx, NULL, NULL, f->key, nonce) != 1)
		return -1;
	/* AAD: the header as unprotected, in three pieces */
	if (EVP_DecryptUpdate(q->aead_ctx, NULL, &outl, &first, 1) != 1 ||
			EVP_DecryptUpdate(q->aead_ctx, NULL, &outl, p + 1,
				(int)(pn_off - 1)) != 1 ||
			EVP_DecryptUpdate(q->aead_ctx, NULL, &outl, pn_bytes, (int)pn_len) != 1)
		return -1;
	outl = 0;
	if (ct_len > 0 && EVP_DecryptUpdate(q->aead_ctx, q->plain, &outl, p + ct_off,
			(int)ct_len) != 1)
		return -1;
	if (EVP_CIPHER_CTX_ctrl(q->aead_ctx, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN, tag) != 1)
		return -1;
	if (EVP_DecryptFinal_ex(q->aead_ctx, q->plain + outl, &fin) != 1)
		return -1;	/* authentication failed */
	f->keyed = 2;	/* the keys are right, whatever the frames are */
	/* Reserved bits must be 0 once both protections are off (RFC 9000 17.2) */
	if (first & 0x0c)
		return -1;
	return quic_frames(q->plain, ct_len, hello);
}

int
sf_quic_client_datagram(struct sf_quic *q, struct sf_quic_flow *f,
		const uint8_t *p, size_t n, struct sf_app_buf *hello)
{
	const struct quic_version *v;
	size_t off = 0, at, pn_off, end;
	uint64_t tlen, len;
	uint8_t dcid_len, scid_len;
	const uint8_t *dcid;
	int done = 0;

	if (n > QUIC_PLAIN_MAX)
		return -1;	/* no UDP payload is that long; the int casts rely on it */
	/* RFC 9000 section 12.2: packets follow each other, each with its Length */
	while (off < n) {
		if (!(p[off] & 0x80))
			break;	/* a short header runs to the end of the datagram */
		/*
		 * The fixed bit is not checked: peers that negotiated RFC 9287
		 * grease it after the first flight (and may in a token-bearing
		 * Initial); the version and the tag say enough.
		 */
		if (n - off < 7)
			return -1;
		v = quic_version_find(be32(p + off + 1));
		if (v == NULL)
			return -1;
		at = off + 5;
		dcid_len = p[at++];
		if (dcid_len > SF_QUIC_CID_MAX || dcid_len >= n - at)
			return -1;
		dcid = p + at;
		at += dcid_len;
		scid_len = p[at++];
		if (scid_len > SF_QUIC_CID_MAX || scid_len > n - at)
			return -1;
		at += scid_len;
		switch (v->ptype[(p[off] >> 4) & 3]) {
		case QUIC_PT_RETRY:
			return -1;	/* servers send these, and they have no Length */
		case QUIC_PT_INITIAL:
			if (!varint(p, n, &at, &tlen) || tlen > n - at)
				return -1;
			at += (size_t)tlen;	/* the token */
			break;
		default:
			break;
		}
		if (!varint(p, n, &at, &len) || len > n - at)
			return -1;
		pn_off = at;
		end = at + (size_t)len;
		if (v->ptype[(p[off] >> 4) & 3] == QUIC_PT_INITIAL) {
			if (f->keyed && f->version != be32(p + off + 1))
				return -1;
			if (!f->keyed)
				quic_derive(f, v, be32(p + off + 1), dcid, dcid_len);
			if (quic_open(q, f, p + off, pn_off - off, end - off, hello) < 0) {
				/* Keys nothing has confirmed yet may be a stray packet's */
				if (f->keyed == 1)
					memset(f, 0, sizeof(*f));
				return -1;
			}
			done++;
		}
		off = end;
	}
	return done;
}
