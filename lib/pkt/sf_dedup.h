/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPAN duplicate removal. A mirror port often shows a packet twice,
 * microseconds apart (both directions of a link mirrored, ingress and
 * egress of two ports), with the TTL lower, another VLAN tag, other MPLS
 * labels or another encapsulation. A copy is recognised by what does not
 * change between copies, read at the innermost IP header (info.l3_off)
 * and what follows it (info.l4_off): the IP addresses, IPv4 identification
 * and fragment field / IPv6 flow label, IP length, protocol, and the first
 * 64 bytes after the IP header chain (TCP: ports, sequence and
 * acknowledgement numbers, flags, window, checksum, options; UDP: ports,
 * length, checksum; and the start of the payload). Never TTL/hop limit,
 * the IP checksum, DSCP, VLAN, MPLS or outer headers.
 *
 * The state is a fixed table allocated at start (4-way buckets of a
 * 64-bit signature and the time it was seen), owned by one lcore. A packet
 * is a copy iff its signature was seen within `window` of packet time
 * before it: a time window, not a packet count, so a retransmission
 * (hundreds of milliseconds later) is never taken for a copy. A full
 * bucket forgets its oldest entry; a copy whose original was forgotten is
 * kept (counted as `forgotten`), so a table too small for the packet rate
 * loses removals, never packets.
 */
#ifndef SF_DEDUP_H
#define SF_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "sf_pkt.h"

struct sf_dedup_params {
	uint32_t entries;	/* signatures kept: power of two >= 4 */
	uint64_t window_ns;	/* a copy comes at most this long after its original */
	int socket_id;
};

struct sf_dedup;

/* NULL with rte_errno set. */
struct sf_dedup *sf_dedup_create(const struct sf_dedup_params *p);
void sf_dedup_free(struct sf_dedup *d);

/*
 * Signature of a parsed flow packet (class SF_PKT_FLOW, l3_off/l4_off
 * set) from the frame bytes in m; never 0. Reads only bytes in m.
 */
uint64_t sf_dedup_signature(const struct rte_mbuf *m, const struct sf_pkt_info *info);

/*
 * Same from a contiguous frame of caplen bytes (the fuzz target's way in;
 * the mbuf form calls it).
 */
uint64_t sf_dedup_signature_buf(const uint8_t *frame, uint32_t caplen,
		const struct sf_pkt_info *info);

/*
 * Was a packet with signature sig seen within the window before ts? If
 * not, it is remembered as seen at ts. A copy does not move the time of
 * its original: a stream of identical packets is not chained into one.
 */
bool sf_dedup_seen(struct sf_dedup *d, uint64_t sig, uint64_t ts);

/* Originals forgotten by a full bucket while still inside the window. */
uint64_t sf_dedup_forgotten(const struct sf_dedup *d);

#endif /* SF_DEDUP_H */
