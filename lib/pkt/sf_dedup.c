/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "sf_dedup.h"

#define DEDUP_WAYS 4

struct dedup_entry {
	uint64_t sig;		/* 0: empty */
	uint64_t ts;
};

struct dedup_bucket {
	struct dedup_entry e[DEDUP_WAYS];
} __rte_cache_aligned;

struct sf_dedup {
	uint64_t window_ns;
	uint64_t mask;		/* buckets - 1 */
	uint64_t forgotten;
	struct dedup_bucket *b;
};

struct sf_dedup *
sf_dedup_create(const struct sf_dedup_params *p)
{
	struct sf_dedup *d;
	uint64_t nb;

	if (p->entries < DEDUP_WAYS || !rte_is_power_of_2(p->entries)) {
		rte_errno = EINVAL;
		return NULL;
	}
	nb = p->entries / DEDUP_WAYS;
	d = rte_zmalloc_socket("sf_dedup", sizeof(*d), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (d == NULL)
		goto nomem;
	d->b = rte_zmalloc_socket("sf_dedup", nb * sizeof(*d->b), RTE_CACHE_LINE_SIZE,
			p->socket_id);
	if (d->b == NULL)
		goto nomem;
	d->mask = nb - 1;
	d->window_ns = p->window_ns;
	return d;
nomem:
	sf_dedup_free(d);
	rte_errno = ENOMEM;
	return NULL;
}

void
sf_dedup_free(struct sf_dedup *d)
{
	if (d == NULL)
		return;
	rte_free(d->b);
	rte_free(d);
}

uint64_t
sf_dedup_forgotten(const struct sf_dedup *d)
{
	return d->forgotten;
}

/*
 * The invariant fields, hashed where they lie (no copy): the addresses,
 * the IP length, IPv4 identification and fragment field / IPv6 flow label,
 * the protocol, and up to 64 bytes of what follows the IP header chain
 * (the L4 header with its options and the start of the payload: duplicate
 * ACKs differ in their SACK blocks, echo requests in their data), never
 * past the IP packet (Ethernet padding is no part of it) nor the capture.
 */
#define DEDUP_L4_BYTES 64

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint64_t
ld64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Two independent 32-bit CRC chains: a 64-bit signature. */
struct sig_state {
	uint32_t h1, h2;
};

static inline void
sig_mix(struct sig_state *h, uint64_t w)
{
	h->h1 = rte_hash_crc_8byte(w, h->h1);
	h->h2 = rte_hash_crc_8byte(w ^ 0x5bd1e9955bd1e995ull, h->h2);
}

uint64_t
sf_dedup_signature_buf(const uint8_t *frame, uint32_t caplen,
		const struct sf_pkt_info *info)
{
	struct sig_state h = { 0x9e3779b9u, 0x85ebca6bu };
	const uint8_t *ip, *l4;
	uint32_t avail, n, i;
	uint64_t head = (uint64_t)info->key.proto << 56, tail;

	if (info->l3_off < caplen) {
		ip = frame + info->l3_off;
		avail = caplen - info->l3_off;
		if (ip[0] >> 4 == 4 && avail >= 20) {
			/* total length, id, fragment field */
			head |= 4ull << 48 | (uint64_t)rd16(ip + 2) << 32 |
				(uint64_t)rd16(ip + 4) << 16 | rd16(ip + 6);
			sig_mix(&h, ld64(ip + 12));
		} else if (ip[0] >> 4 == 6 && avail >= 40) {
			/* payload length, flow label */
			head |= 6ull << 48 | (uint64_t)rd16(ip + 4) << 32 |
				(((uint32_t)ip[1] << 16 | rd16(ip + 2)) & 0xfffff);
			sig_mix(&h, ld64(ip + 8));
			sig_mix(&h, ld64(ip + 16));
			sig_mix(&h, ld64(ip + 24));
			sig_mix(&h, ld64(ip + 32));
		}
	}
	n = 0;
	if (info->l4_off < caplen) {
		n = RTE_MIN((uint32_t)DEDUP_L4_BYTES, caplen - info->l4_off);
		if (info->l4_off >= info->l3_off &&
				info->ip_len > (uint32_t)(info->l4_off - info->l3_off))
			n = RTE_MIN(n, info->ip_len - (uint32_t)(info->l4_off - info->l3_off));
	}
	sig_mix(&h, head | (uint64_t)n << 40);
	l4 = frame + info->l4_off;
	for (i = 0; i + 8 <= n; i += 8)
		sig_mix(&h, ld64(l4 + i));
	if (i < n) {
		/*
		 * The last 1-7 bytes: the word that ends with them, its earlier
		 * bytes shifted out (for an IP packet l4_off >= 20: the word
		 * starts in the frame).
		 */
		if (likely(info->l4_off + n >= 8)) {
			tail = ld64(l4 + n - 8) >> (64 - 8 * (n - i));
		} else {
			tail = 0;
			memcpy(&tail, l4 + i, n - i);
		}
		sig_mix(&h, tail);
	}
	return ((uint64_t)h.h1 << 32 | h.h2) | 1;	/* never 0: 0 marks an empty entry */
}

uint64_t
sf_dedup_signature(const struct rte_mbuf *m, const struct sf_pkt_info *info)
{
	uint8_t buf[1024 + 64];
	uint32_t len = rte_pktmbuf_data_len(m);

	if (likely(m->nb_segs == 1))
		return sf_dedup_signature_buf(rte_pktmbuf_mtod(m, const uint8_t *), len, info);
	len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)sizeof(buf));
	return sf_dedup_signature_buf(rte_pktmbuf_read(m, 0, len, buf), len, info);
}

bool
sf_dedup_seen(struct sf_dedup *d, uint64_t sig, uint64_t ts)
{
	struct dedup_bucket *b = &d->b[(sig >> 32) & d->mask];
	unsigned int i, old = 0;

	for (i = 0; i < DEDUP_WAYS; i++) {
		struct dedup_entry *e = &b->e[i];

		if (e->sig == sig) {
			uint64_t dt = ts >= e->ts ? ts - e->ts : e->ts - ts;

			if (dt <= d->window_ns)
				return true;
			e->ts = ts;	/* seen long ago: this one is an original */
			return false;
		}
		/* The first empty way, else the oldest. */
		if (b->e[old].sig != 0 && (e->sig == 0 || e->ts < b->e[old].ts))
			old = i;
	}
	if (b->e[old].sig != 0 && ts - b->e[old].ts <= d->window_ns && ts >= b->e[old].ts)
		d->forgotten++;
	b->e[old].sig = sig;
	b->e[old].ts = ts;
	return false;
}
