/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-memory replay, for benchmarks: the capture is loaded into memory
 * once, split per queue (worker) by the owner of each packet's flow as
 * the dispatcher splits it (sf_pkt_owner), and handed out in a loop, capture time shifted by the
 * file's duration each loop. This is an RSS NIC at unlimited speed: it
 * measures the worker pipeline (parse, flow table, intervals), not file
 * I/O. Like a NIC, it writes each frame into an mbuf taken from the packet
 * pool and the worker frees it after use, so buffers are recycled warm
 * from the pool's per-lcore cache; the frames themselves sit one after
 * another in a dense array (a 64-byte frame is one cache line) that is read
 * sequentially. Each packet is parsed again on every pass.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "sf_classify.h"
#include "sf_source_priv.h"

/* Bytes of each frame kept: headers only; lengths come from IP headers. */
#define REPLAY_SNAP 192

/* Frames are stored at cache-line boundaries. */
#define REPLAY_ALIGN 64

/* Frames fetched this far ahead. */
#define REPLAY_PREFETCH 32

struct replay_pkt {
	uint64_t ts;
	uint64_t off;		/* of the frame in the queue's data */
	uint32_t caplen;	/* as captured */
	uint32_t len;		/* bytes kept (<= REPLAY_SNAP) */
};

struct replay_queue {
	struct replay_pkt *pkts;
	uint8_t *data;
	uint64_t n;
	uint64_t bytes;		/* of data used */
	uint64_t pos;
	uint64_t loop;
	bool done;
	_Atomic uint64_t received;	/* read by the collector */
} __rte_cache_aligned;

struct replay_state {
	struct rte_mempool *pool;	/* the packet pool (not ours) */
	uint64_t loops;
	uint64_t shift;		/* capture duration + one mean gap */
	_Atomic unsigned int queues_done;
	struct replay_queue q[SF_CONFIG_MAX_WORKERS];
};

static void
replay_close(struct sf_source *s)
{
	struct replay_state *rs = s->priv;
	unsigned int i;

	if (rs == NULL)
		return;
	for (i = 0; i < SF_CONFIG_MAX_WORKERS; i++) {
		rte_free(rs->q[i].pkts);
		rte_free(rs->q[i].data);
	}
	free(rs);
	s->priv = NULL;
}

static inline uint32_t
replay_kept(uint32_t caplen)
{
	return caplen < REPLAY_SNAP ? caplen : REPLAY_SNAP;
}

static int
replay_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	const char *path = p->cfg->replay_file;
	char perr[PCAP_ERRBUF_SIZE];
	struct replay_state *rs;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t count = 0, capq = 0, first = 0, last = 0, k;
	struct rte_mbuf *scratch = NULL;
	uint8_t *qof = NULL;	/* queue of each frame, between the passes */
	unsigned int q;
	pcap_t *pc;

	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		goto nomem;
	s->priv = rs;
	rs->loops = p->cfg->replay_loops;
	rs->pool = p->pool;
	if (rte_pktmbuf_data_room_size(rs->pool) <
			RTE_PKTMBUF_HEADROOM + RTE_ALIGN_CEIL(REPLAY_SNAP, REPLAY_ALIGN)) {
		snprintf(err, errlen, "%s: packet buffers too small for the replay", path);
		goto fail;
	}
	/* One mbuf to parse each frame in, for its queue. */
	scratch = rte_pktmbuf_alloc(rs->pool);
	if (scratch == NULL)
		goto nomem;
	/* First pass: each frame's queue, and what each queue needs. */
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		goto fail;
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		uint32_t len = replay_kept(h->caplen);
		uint8_t *nq;

		if (count == capq) {
			capq = capq ? capq * 2 : 65536;
			nq = realloc(qof, capq);
			if (nq == NULL) {
				pcap_close(pc);
				goto nomem;
			}
			qof = nq;
		}
		memcpy(rte_pktmbuf_mtod(scratch, void *), data, len);
		scratch->data_len = (uint16_t)len;
		scratch->pkt_len = len;
		sf_pkt_meta_in(scratch, 0, h->caplen, 0);
		sf_classify_burst(&scratch, 1, (enum sf_linktype)s->linktype);
		q = sf_pkt_owner(sf_pkt_meta(scratch), s->nb_queues);
		qof[count++] = (uint8_t)q;
		rs->q[q].n++;
		rs->q[q].bytes += RTE_ALIGN_CEIL(len, REPLAY_ALIGN);
	}
	pcap_close(pc);
	if (count == 0) {
		snprintf(err, errlen, "%s: no packets to replay", path);
		goto fail;
	}
	for (q = 0; q < s->nb_queues; q++) {
		struct replay_queue *rq = &rs->q[q];

		if (rq->n == 0)
			continue;
		rq->pkts = rte_malloc("sf_replay", sizeof(struct replay_pkt) * rq->n, 64);
		rq->data = rte_malloc("sf_replay", rq->bytes, REPLAY_ALIGN);
		if (rq->pkts == NULL || rq->data == NULL) {
			snprintf(err, errlen, "%s: cannot allocate %lu bytes for the replay: %s",
					path, (unsigned long)(rq->bytes +
					sizeof(struct replay_pkt) * rq->n), rte_strerror(rte_errno));
			goto fail;
		}
		rq->n = 0;
		rq->bytes = 0;
	}
	/* Second pass: the frames into their queues. */
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		goto fail;
	}
	for (k = 0; k < count && pcap_next_ex(pc, &h, &data) == 1; k++) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * SF_NS_PER_S + (uint64_t)h->ts.tv_usec;
		uint32_t len = replay_kept(h->caplen);
		struct replay_queue *rq = &rs->q[qof[k]];

		memcpy(rq->data + rq->bytes, data, len);
		rq->pkts[rq->n++] = (struct replay_pkt){ ts, rq->bytes, h->caplen, len };
		rq->bytes += RTE_ALIGN_CEIL(len, REPLAY_ALIGN);
		if (first == 0)
			first = ts;
		if (ts > last)
			last = ts;
	}
	pcap_close(pc);
	free(qof);
	qof = NULL;
	rte_pktmbuf_free(scratch);
	scratch = NULL;
	rs->shift = last - first + (last - first) / count + 1;
	for (q = 0; q < s->nb_queues; q++) {
		if (rs->q[q].n == 0) {
			rs->q[q].done = true;
			rs->queues_done++;
		}
	}
	if (rs->queues_done == s->nb_queues)
		atomic_store_explicit(&s->eof, true, memory_order_release);
	s->bytes_total = count * rs->loops;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory loading the replay", path);
fail:
	free(qof);
	rte_pktmbuf_free(scratch);
	replay_close(s);
	return -1;
}

static uint16_t
replay_rx(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n)
{
	struct replay_state *rs = s->priv;
	struct replay_queue *rq = &rs->q[queue];
	uint64_t off;
	uint32_t k;
	uint16_t i;

	if (rq->done)
		return 0;
	if (rq->pos == rq->n) {
		rq->pos = 0;
		if (++rq->loop == rs->loops) {
			rq->done = true;
			if (atomic_fetch_add_explicit(&rs->queues_done, 1, memory_order_acq_rel) + 1 ==
					s->nb_queues)
				atomic_store_explicit(&s->eof, true, memory_order_release);
			return 0;
		}
	}
	if (n > rq->n - rq->pos)
		n = (uint16_t)(rq->n - rq->pos);
	/*
	 * Like a NIC without free descriptors: nothing this turn. Raw mbufs,
	 * as a PMD rearms them: a pooled mbuf is one direct segment with
	 * refcnt 1 already; the rest is set below.
	 */
	if (rte_mempool_get_bulk(rs->pool, (void **)m, n) != 0)
		return 0;
	off = rq->loop * rs->shift;
	/*
	 * All frames first, then classify: the parser must not read a frame
	 * right behind the vector stores that wrote it (a field across two
	 * stores cannot be forwarded and stalls until they retire).
	 */
	for (i = 0; i < n; i++) {
		const struct replay_pkt *rp = &rq->pkts[rq->pos + i];
		struct rte_mbuf *mb = m[i];

		/* A burst ahead: the frames are read sequentially. */
		if (rq->pos + i + REPLAY_PREFETCH < rq->n)
			rte_prefetch0(rq->data + rq->pkts[rq->pos + i + REPLAY_PREFETCH].off);
		mb->data_off = RTE_PKTMBUF_HEADROOM;
		mb->ol_flags = 0;
		mb->data_len = (uint16_t)rp->len;
		mb->pkt_len = rp->len;
		/* Whole 64-byte blocks: the data is padded, the room is larger. */
		for (k = 0; k < rp->len; k += REPLAY_ALIGN)
			rte_mov64(rte_pktmbuf_mtod_offset(mb, uint8_t *, k),
					rq->data + rp->off + k);
		sf_pkt_meta_in(mb, rp->ts + off, rp->caplen, 0);
	}
	sf_classify_burst(m, n, (enum sf_linktype)s->linktype);
	rq->pos += n;
	atomic_store_explicit(&rq->received,
			atomic_load_explicit(&rq->received, memory_order_relaxed) + n,
			memory_order_relaxed);
	return n;
}

static void
replay_stats(struct sf_source *s, struct sf_source_stats *out)
{
	struct replay_state *rs = s->priv;
	unsigned int q;

	for (q = 0; q < s->nb_queues; q++)
		out->received += atomic_load_explicit(&rs->q[q].received, memory_order_relaxed);
	out->bytes_done = out->received;
}

const struct sf_source_ops sf_source_replay_ops = {
	.name = "replay",
	.open = replay_open,
	.rx = replay_rx,
	.stats = replay_stats,
	.close = replay_close,
};
