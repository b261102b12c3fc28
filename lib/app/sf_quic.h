/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC client Initial packets (RFC 9000 section 17.2.2): v1 (RFC 9001)
 * and v2 (RFC 9369) header protection removed and payload decrypted with
 * the initial secrets of the client's first Destination Connection ID
 * (HKDF in sf_hash.c, AES-128 ECB and GCM through libcrypto with contexts
 * made once per worker), and the CRYPTO frames put into the ClientHello
 * buffer at their offsets. Nothing is allocated per packet.
 */
#ifndef SF_QUIC_H
#define SF_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_app.h"

#define SF_QUIC_V1 0x00000001u
#define SF_QUIC_V2 0x6b3343cfu
#define SF_QUIC_CID_MAX 20

/* One flow's client keys, derived once from its first Initial's DCID. */
struct sf_quic_flow {
	uint32_t version;	/* of the first Initial; 0: none seen yet */
	uint8_t dcid_len;
	uint8_t keyed;		/* key, iv and hp set: 1 derived, 2 a packet authenticated */
	uint8_t dcid[SF_QUIC_CID_MAX];
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t hp[16];
};

struct sf_quic;	/* a worker's cipher contexts */

/* NULL with errno set (ENOMEM, or EINVAL when libcrypto lacks AES-128-GCM). */
struct sf_quic *sf_quic_create(void);
void sf_quic_free(struct sf_quic *q);

/*
 * Is this UDP payload's first packet a QUIC long-header Initial of a
 * version this decrypts (v1 or v2)? A cheap test on the first 5 bytes.
 */
bool sf_quic_is_initial(const uint8_t *p, size_t n);

/*
 * One UDP datagram from the client. Each coalesced Initial packet of the
 * flow's version is unprotected and decrypted, and its CRYPTO frames go
 * into `hello` at their offsets (sf_app_buf_put); other packet types in
 * the datagram are skipped. Returns the number of Initial packets
 * decrypted (0: none in it), or -1 when the datagram is not QUIC the way
 * the flow started, or a packet fails its checks or its authentication
 * tag, or a frame is malformed.
 */
int sf_quic_client_datagram(struct sf_quic *q, struct sf_quic_flow *f,
		const uint8_t *p, size_t n, struct sf_app_buf *hello);

#endif /* SF_QUIC_H */
