/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Symmetric receive-side scaling. With a Toeplitz key made of the 16-bit
 * pattern 0x6d5a repeated, swapping source and destination (addresses and
 * ports) gives the same hash, so a NIC sends both directions of a flow to
 * the same queue, hence to the same worker (DESIGN.md, invariant 2).
 */
#ifndef SF_RSS_H
#define SF_RSS_H

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include "sf_pkt.h"

/* Longest RSS key a NIC takes (ice, i40e: 52 bytes). */
#define SF_RSS_KEY_MAX 52

/* Hash functions spanflow asks a NIC for; the device may accept fewer. */
#define SF_RSS_HF (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP)

static inline void
sf_rss_key(uint8_t *key, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

/*
 * The Toeplitz hash a NIC computes for a packet (addresses and, when the
 * key has them, ports, in packet order), from the parse result and the
 * sender's direction. `key` must be at least 40 bytes.
 */
static inline uint32_t
sf_rss_hash(const struct sf_pkt_info *pi, const uint8_t *key)
{
	const struct sf_flow_key *k = &pi->key;
	const uint8_t *src = pi->dir == SF_DIR_LO ? k->addr_lo : k->addr_hi;
	const uint8_t *dst = pi->dir == SF_DIR_LO ? k->addr_hi : k->addr_lo;
	uint16_t sport = pi->dir == SF_DIR_LO ? k->port_lo : k->port_hi;
	uint16_t dport = pi->dir == SF_DIR_LO ? k->port_hi : k->port_lo;
	union rte_thash_tuple t;
	unsigned int i;

	if (k->ipver == 4) {
		t.v4.src_addr = (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 |
			(uint32_t)src[2] << 8 | src[3];
		t.v4.dst_addr = (uint32_t)dst[0] << 24 | (uint32_t)dst[1] << 16 |
			(uint32_t)dst[2] << 8 | dst[3];
		t.v4.sport = sport;
		t.v4.dport = dport;
		return rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, key);
	}
	for (i = 0; i < 16; i++) {
		t.v6.src_addr[i] = src[i];
		t.v6.dst_addr[i] = dst[i];
	}
	/* rte_softrss takes the tuple as host-order 32-bit words. */
	for (i = 0; i < 4; i++) {
		uint32_t *s = (uint32_t *)&t.v6.src_addr[4 * i];
		uint32_t *d = (uint32_t *)&t.v6.dst_addr[4 * i];

		*s = rte_be_to_cpu_32(*s);
		*d = rte_be_to_cpu_32(*d);
	}
	t.v6.sport = sport;
	t.v6.dport = dport;
	return rte_softrss((uint32_t *)&t, RTE_THASH_V6_L4_LEN, key);
}

/* The queue of a hash with the default redirection table (i % queues). */
static inline unsigned int
sf_rss_queue(uint32_t hash, unsigned int reta_size, unsigned int queues)
{
	return (hash % reta_size) % queues;
}

#endif /* SF_RSS_H */
