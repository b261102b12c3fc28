/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TPACKET_V3 ring walk (sf_tpacket_ring_rx) on a ring built in memory the
 * way the kernel fills one: frames are copied into mbufs with the kernel's
 * timestamp and the wire length, a burst may stop inside a block, a block
 * goes back to the kernel only once all of its frames are read, the walk
 * wraps, an outer VLAN tag the kernel took out is put back, frames longer
 * than an mbuf are cut but keep their lengths, and an empty packet pool
 * leaves the frames in the ring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "sf_source_priv.h"
#include "sf_test_eal.h"
#include "sf_worker.h"

#define BLOCK_SIZE 4096u
#define BLOCKS 4u
#define MAC_OFF 80u	/* where a frame's link header starts, from its tpacket3_hdr */
#define S UINT64_C(1000000000)

static struct rte_mempool *mbufs;

/* A ring in memory and where the next frame of each block goes. */
struct fake {
	uint8_t *map;
	uint32_t fill[BLOCKS];
	struct tpacket3_hdr *last[BLOCKS];
	struct sf_tpacket_ring r;
};

static struct tpacket_block_desc *
blk(struct fake *f, unsigned int b)
{
	return (struct tpacket_block_desc *)(f->map + (size_t)b * BLOCK_SIZE);
}

static void
fake_init(struct fake *f)
{
	unsigned int b;

	memset(f, 0, sizeof(*f));
	f->map = aligned_alloc(4096, (size_t)BLOCK_SIZE * BLOCKS);
	assert_non_null(f->map);
	memset(f->map, 0, (size_t)BLOCK_SIZE * BLOCKS);
	for (b = 0; b < BLOCKS; b++) {
		blk(f, b)->version = TPACKET_V3;
		blk(f, b)->hdr.bh1.block_status = TP_STATUS_KERNEL;
		blk(f, b)->hdr.bh1.offset_to_first_pkt = 48;
		f->fill[b] = 48;
	}
	f->r.map = f->map;
	f->r.block_size = BLOCK_SIZE;
	f->r.block_nr = BLOCKS;
	f->r.room = RTE_MBUF_DEFAULT_DATAROOM;
	f->r.linktype = SF_LINK_ETHER;
	f->r.port = 3;
}

/*
 * An Ethernet/IPv4/UDP frame of `len` bytes (len >= 42): addresses
 * 10.0.0.1 -> 10.0.0.2, ports sport -> 53, IP total length len - 14.
 */
static void
udp_frame(uint8_t *p, uint32_t len, uint16_t sport)
{
	memset(p, 0, len);
	memset(p, 0xaa, 6);
	memset(p + 6, 0xbb, 6);
	p[12] = 0x08;
	p[14] = 0x45;
	p[16] = (uint8_t)((len - 14) >> 8);
	p[17] = (uint8_t)(len - 14);
	p[22] = 64;
	p[23] = 17;
	p[26] = 10, p[29] = 1;
	p[30] = 10, p[33] = 2;
	p[34] = (uint8_t)(sport >> 8);
	p[35] = (uint8_t)sport;
	p[37] = 53;
	p[38] = (uint8_t)((len - 34) >> 8);
	p[39] = (uint8_t)(len - 34);
}

/* Append a frame to block b: `snap` bytes kept of a `wire`-byte frame. */
static struct tpacket3_hdr *
add_frame(struct fake *f, unsigned int b, uint32_t snap, uint32_t wire, uint16_t sport,
		uint32_t sec, uint32_t nsec)
{
	struct tpacket_block_desc *bd = blk(f, b);
	struct tpacket3_hdr *h = (struct tpacket3_hdr *)(f->map + (size_t)b * BLOCK_SIZE +
			f->fill[b]);
	uint32_t size = (MAC_OFF + snap + 15u) & ~15u;
	uint8_t frame[2048];

	assert_true(f->fill[b] + size <= BLOCK_SIZE);
	memset(h, 0, sizeof(*h));
	h->tp_sec = sec;
	h->tp_nsec = nsec;
	h->tp_snaplen = snap;
	h->tp_len = wire;
	h->tp_mac = MAC_OFF;
	h->tp_status = TP_STATUS_USER;
	udp_frame(frame, wire < sizeof(frame) ? wire : sizeof(frame), sport);
	memcpy((uint8_t *)h + MAC_OFF, frame, snap);
	if (f->last[b] != NULL)
		f->last[b]->tp_next_offset = (uint32_t)((uint8_t *)h - (uint8_t *)f->last[b]);
	f->last[b] = h;
	f->fill[b] += size;
	bd->hdr.bh1.num_pkts++;
	return h;
}

/* The kernel hands block b over. */
static void
ready(struct fake *f, unsigned int b)
{
	blk(f, b)->hdr.bh1.block_status = TP_STATUS_USER;
}

static uint32_t
status(struct fake *f, unsigned int b)
{
	return blk(f, b)->hdr.bh1.block_status;
}

static uint16_t
sport_of(struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	return (uint16_t)(p[34] << 8 | p[35]);
}

static void
test_bursts_blocks_and_wrap(void **state)
{
	struct rte_mbuf *m[8];
	struct fake f;
	uint16_t n, i;

	(void)state;
	fake_init(&f);
	for (i = 0; i < 5; i++)
		add_frame(&f, 0, 60, 60, (uint16_t)(1000 + i), 100, i);
	for (i = 0; i < 3; i++)
		add_frame(&f, 1, 60, 60, (uint16_t)(2000 + i), 101, i);
	ready(&f, 0);
	ready(&f, 1);

	/* A burst of 4 stops inside block 0, which stays with the reader. */
	n = sf_tpacket_ring_rx(&f.r, mbufs, m, 4);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		const struct sf_pkt_meta *meta = sf_pkt_meta(m[i]);

		assert_int_equal(sport_of(m[i]), 1000 + i);
		assert_int_equal(rte_pktmbuf_data_len(m[i]), 60);
		assert_int_equal(meta->ts_ns, 100 * S + i);
		assert_int_equal(meta->cls, SF_PKT_FLOW);
		assert_int_equal(meta->info.port, 3);
		assert_int_equal(meta->info.key.proto, 17);
	}
	assert_int_equal(status(&f, 0), TP_STATUS_USER);
	rte_pktmbuf_free_bulk(m, n);

	/* The rest of block 0, then block 1: both go back to the kernel. */
	n = sf_tpacket_ring_rx(&f.r, mbufs, m, 8);
	assert_int_equal(n, 4);
	assert_int_equal(sport_of(m[0]), 1004);
	for (i = 1; i < 4; i++)
		assert_int_equal(sport_of(m[i]), 2000 + i - 1);
	assert_int_equal(sf_pkt_meta(m[3])->ts_ns, 101 * S + 2);
	assert_int_equal(status(&f, 0), TP_STATUS_KERNEL);
	assert_int_equal(status(&f, 1), TP_STATUS_KERNEL);
	rte_pktmbuf_free_bulk(m, n);

	/* Block 2 is still the kernel's: nothing, and no block is skipped. */
	assert_int_equal(sf_tpacket_ring_rx(&f.r, mbufs, m, 8), 0);
	assert_int_equal(f.r.block, 2);

	/* An empty block (retired by the timer with nothing in it), then wrap. */
	ready(&f, 2);
	memset(f.map, 0, BLOCK_SIZE);
	f.fill[0] = 48;
	f.last[0] = NULL;
	blk(&f, 0)->hdr.bh1.offset_to_first_pkt = 48;
	add_frame(&f, 3, 60, 60, 3000, 102, 0);
	add_frame(&f, 0, 60, 60, 3001, 102, 1);
	ready(&f, 3);
	ready(&f, 0);
	n = sf_tpacket_ring_rx(&f.r, mbufs, m, 8);
	assert_int_equal(n, 2);
	assert_int_equal(sport_of(m[0]), 3000);
	assert_int_equal(sport_of(m[1]), 3001);
	assert_int_equal(status(&f, 2), TP_STATUS_KERNEL);
	assert_int_equal(status(&f, 3), TP_STATUS_KERNEL);
	assert_int_equal(status(&f, 0), TP_STATUS_KERNEL);
	assert_int_equal(f.r.block, 1);
	rte_pktmbuf_free_bulk(m, n);
	free(f.map);
}

static void
test_vlan_put_back(void **state)
{
	struct rte_mbuf *m;
	struct tpacket3_hdr *h;
	struct fake f;
	const uint8_t *p;

	(void)state;
	fake_init(&f);
	h = add_frame(&f, 0, 60, 60, 4000, 1, 0);
	h->tp_status |= TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID;
	h->hv1.tp_vlan_tci = 0x2064;	/* priority 1, VLAN 100 */
	h->hv1.tp_vlan_tpid = 0x88a8;
	ready(&f, 0);
	assert_int_equal(sf_tpacket_ring_rx(&f.r, mbufs, &m, 1), 1);
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(rte_pktmbuf_data_len(m), 64);
	assert_int_equal(p[11], 0xbb);
	assert_int_equal(p[12] << 8 | p[13], 0x88a8);
	assert_int_equal(p[14] << 8 | p[15], 0x2064);
	assert_int_equal(p[16] << 8 | p[17], 0x0800);
	assert_int_equal(sf_pkt_meta(m)->cls, SF_PKT_FLOW);
	assert_int_equal(sf_pkt_meta(m)->info.key.vlan, 100);
	assert_int_equal(sf_pkt_meta(m)->info.ip_len, 46);
	rte_pktmbuf_free(m);
	free(f.map);

	/* Without a TPID from the kernel the tag is 802.1Q. */
	fake_init(&f);
	h = add_frame(&f, 0, 60, 60, 4001, 1, 0);
	h->tp_status |= TP_STATUS_VLAN_VALID;
	h->hv1.tp_vlan_tci = 7;
	ready(&f, 0);
	assert_int_equal(sf_tpacket_ring_rx(&f.r, mbufs, &m, 1), 1);
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(p[12] << 8 | p[13], 0x8100);
	assert_int_equal(sf_pkt_meta(m)->info.key.vlan, 7);
	rte_pktmbuf_free(m);
	free(f.map);
}

static void
test_long_frame_cut_to_the_mbuf(void **state)
{
	struct rte_mbuf *m;
	struct fake f;

	(void)state;
	fake_init(&f);
	/* 1500 bytes on the wire, 1000 in the ring, 256 fit the "mbuf". */
	f.r.room = 256;
	add_frame(&f, 0, 1000, 1500, 5000, 2, 0);
	ready(&f, 0);
	assert_int_equal(sf_tpacket_ring_rx(&f.r, mbufs, &m, 1), 1);
	assert_int_equal(rte_pktmbuf_data_len(m), 256);
	assert_int_equal(sf_pkt_meta(m)->cls, SF_PKT_FLOW);
	/* Bytes come from the IP header: the whole frame's. */
	assert_int_equal(sf_pkt_meta(m)->info.ip_len, 1486);
	rte_pktmbuf_free(m);
	free(f.map);
}

static void
test_empty_pool_leaves_frames(void **state)
{
	struct rte_mempool *small;
	struct rte_mbuf *hold[4], *m[4];
	struct fake f;

	(void)state;
	small = rte_pktmbuf_pool_create("tt_small", 4, 0, SF_PKT_META_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	assert_non_null(small);
	fake_init(&f);
	add_frame(&f, 0, 60, 60, 6000, 3, 0);
	add_frame(&f, 0, 60, 60, 6001, 3, 1);
	ready(&f, 0);
	assert_int_equal(rte_pktmbuf_alloc_bulk(small, hold, 4), 0);
	assert_int_equal(sf_tpacket_ring_rx(&f.r, small, m, 4), 0);
	assert_int_equal(status(&f, 0), TP_STATUS_USER);
	rte_pktmbuf_free_bulk(hold, 4);
	assert_int_equal(sf_tpacket_ring_rx(&f.r, small, m, 4), 2);
	assert_int_equal(sport_of(m[0]), 6000);
	assert_int_equal(status(&f, 0), TP_STATUS_KERNEL);
	rte_pktmbuf_free_bulk(m, 2);
	rte_mempool_free(small);
	free(f.map);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bursts_blocks_and_wrap),
		cmocka_unit_test(test_vlan_put_back),
		cmocka_unit_test(test_long_frame_cut_to_the_mbuf),
		cmocka_unit_test(test_empty_pool_leaves_frames),
	};

	sf_test_eal_init();
	mbufs = rte_pktmbuf_pool_create("tt_mbufs", 255, 0, SF_PKT_META_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mbufs == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
