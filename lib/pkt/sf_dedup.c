/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

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
 * The invariant fields, packed: 32 bytes of addresses, 16 of IP fields,
 * up to 64 of what follows the IP header chain (the L4 header with its
 * options and the start of the payload: duplicate ACKs differ in their
 * SACK blocks, echo requests in their data). Bytes not captured are zero.
 */
#define DEDUP_L4_BYTES 64

struct dedup_key {
	uint8_t addr[32];
	uint32_t ip_word;	/* IPv4 id << 16 | fragment field; IPv6 flow label */
	uint16_t ip_len;	/* IPv4 total length, IPv6 payload length */
	uint8_t proto;
	uint8_t ipver;
	uint32_t l4_len;	/* bytes of l4 below */
	uint32_t pad;
	uint8_t l4[DEDUP_L4_BYTES];
};

_Static_assert(sizeof(struct dedup_key) % 8 == 0, "key is whole words");

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint64_t
sf_dedup_signature_buf(const uint8_t *frame, uint32_t caplen,
		const struct sf_pkt_info *info)
{
	struct dedup_key k;
	const uint8_t *ip;
	uint32_t avail, n, h1, h2;
	uint64_t w[sizeof(k) / 8];
	unsigned int i;

	memset(&k, 0, sizeof(k));
	if (info->l3_off < caplen) {
		ip = frame + info->l3_off;
		avail = caplen - info->l3_off;
		k.ipver = ip[0] >> 4;
		if (k.ipver == 4 && avail >= 20) {
			k.ip_len = rd16(ip + 2);
			k.ip_word = (uint32_t)rd16(ip + 4) << 16 | rd16(ip + 6);
			memcpy(k.addr, ip + 12, 8);
		} else if (k.ipver == 6 && avail >= 40) {
			k.ip_len = rd16(ip + 4);
			k.ip_word = ((uint32_t)ip[1] << 16 | rd16(ip + 2)) & 0xfffff;
			memcpy(k.addr, ip + 8, 32);
		}
	}
	k.proto = info->key.proto;
	if (info->l4_off < caplen) {
		n = DEDUP_L4_BYTES;
		avail = caplen - info->l4_off;
		if (n > avail)
			n = avail;
		/* Not past the IP packet: Ethernet padding is no part of it. */
		if (info->l4_off >= info->l3_off &&
				info->ip_len > (uint32_t)(info->l4_off - info->l3_off) &&
				n > info->ip_len - (uint32_t)(info->l4_off - info->l3_off))
			n = info->ip_len - (uint32_t)(info->l4_off - info->l3_off);
		k.l4_len = n;
		memcpy(k.l4, frame + info->l4_off, n);
	}
	memcpy(w, &k, sizeof(w));
	h1 = 0x9e3779b9u;
	h2 = 0x85ebca6bu;
	for (i = 0; i < RTE_DIM(w); i++) {
		h1 = rte_hash_crc_8byte(w[i], h1);
		h2 = rte_hash_crc_8byte(w[i] ^ 0x5bd1e9955bd1e995ull, h2);
	}
	return ((uint64_t)h1 << 32 | h2) | 1;	/* never 0: 0 marks an empty entry */
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
