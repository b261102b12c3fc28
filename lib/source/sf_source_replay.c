/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-memory replay, for benchmarks: the capture is loaded into mbufs once,
 * split per queue (worker) by the same symmetric flow hash the dispatcher
 * uses, and handed out in a loop, capture time shifted by the file's
 * duration each loop. This is an RSS NIC at unlimited speed: it measures
 * the worker pipeline (parse, flow table, intervals), not file I/O. Each
 * packet is parsed again on every pass, as a NIC's packets would be.
 * The mbufs stay the source's: workers must not free them.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "sf_source_priv.h"
#include "sf_worker.h"

/* Bytes of each frame kept: headers only; lengths come from IP headers. */
#define REPLAY_SNAP 192

struct replay_pkt {
	struct rte_mbuf *m;
	uint64_t ts;
	uint32_t caplen;
};

struct replay_queue {
	struct replay_pkt *pkts;
	uint64_t n;
	uint64_t pos;
	uint64_t loop;
	bool done;
	_Atomic uint64_t received;	/* read by the collector */
} __rte_cache_aligned;

struct replay_state {
	struct rte_mempool *pool;
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
		uint64_t k;

		for (k = 0; k < rs->q[i].n; k++)
			rte_pktmbuf_free(rs->q[i].pkts[k].m);
		free(rs->q[i].pkts);
	}
	rte_mempool_free(rs->pool);
	free(rs);
	s->priv = NULL;
}

static unsigned int
queue_of(const struct sf_pkt_meta *meta, unsigned int nq)
{
	if (meta->cls != SF_PKT_FLOW)
		return 0;
	return (unsigned int)(((uint64_t)sf_flow_key_hash(&meta->info.key) * nq) >> 32);
}

static int
replay_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	const char *path = p->cfg->replay_file;
	char perr[PCAP_ERRBUF_SIZE], name[RTE_MEMPOOL_NAMESIZE];
	struct replay_state *rs;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t count = 0, first = 0, last = 0;
	unsigned int q;
	pcap_t *pc;

	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		goto nomem;
	s->priv = rs;
	rs->loops = p->cfg->replay_loops;
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		goto fail;
	}
	while (pcap_next_ex(pc, &h, &data) == 1)
		count++;
	pcap_close(pc);
	if (count == 0) {
		snprintf(err, errlen, "%s: no packets to replay", path);
		goto fail;
	}
	snprintf(name, sizeof(name), "sf_replay");
	rs->pool = rte_pktmbuf_pool_create(name, (unsigned int)count, 0, SF_PKT_META_SIZE,
			RTE_PKTMBUF_HEADROOM + REPLAY_SNAP, SOCKET_ID_ANY);
	if (rs->pool == NULL) {
		snprintf(err, errlen, "%s: cannot allocate %lu packet buffers for the replay: %s",
				path, (unsigned long)count, rte_strerror(rte_errno));
		goto fail;
	}
	for (q = 0; q < s->nb_queues; q++) {
		/* Worst case every packet in one queue; shrunk after loading. */
		rs->q[q].pkts = malloc(sizeof(struct replay_pkt) * count);
		if (rs->q[q].pkts == NULL)
			goto nomem;
	}
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		goto fail;
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * SF_NS_PER_S + (uint64_t)h->ts.tv_usec;
		struct rte_mbuf *m = rte_pktmbuf_alloc(rs->pool);
		uint32_t copy = h->caplen < REPLAY_SNAP ? h->caplen : REPLAY_SNAP;
		struct replay_queue *rq;

		if (m == NULL)
			break;
		memcpy(rte_pktmbuf_mtod(m, void *), data, copy);
		m->data_len = (uint16_t)copy;
		m->pkt_len = copy;
		sf_pkt_meta_fill(m, (enum sf_linktype)s->linktype, h->caplen, ts);
		rq = &rs->q[queue_of(sf_pkt_meta(m), s->nb_queues)];
		rq->pkts[rq->n++] = (struct replay_pkt){ m, ts, h->caplen };
		if (first == 0)
			first = ts;
		if (ts > last)
			last = ts;
	}
	pcap_close(pc);
	rs->shift = last - first + (last - first) / count + 1;
	for (q = 0; q < s->nb_queues; q++) {
		struct replay_pkt *np;

		if (rs->q[q].n == 0) {
			rs->q[q].done = true;
			rs->queues_done++;
		}
		np = realloc(rs->q[q].pkts, sizeof(*np) * (rs->q[q].n ? rs->q[q].n : 1));
		if (np != NULL)
			rs->q[q].pkts = np;
	}
	if (rs->queues_done == s->nb_queues)
		atomic_store_explicit(&s->eof, true, memory_order_release);
	s->bytes_total = count * rs->loops;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory loading the replay", path);
fail:
	replay_close(s);
	return -1;
}

static uint16_t
replay_rx(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n)
{
	struct replay_state *rs = s->priv;
	struct replay_queue *rq = &rs->q[queue];
	uint64_t off;
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
	off = rq->loop * rs->shift;
	for (i = 0; i < n; i++) {
		const struct replay_pkt *rp = &rq->pkts[rq->pos + i];

		if (i + 2 < n) {
			struct rte_mbuf *next = rq->pkts[rq->pos + i + 2].m;

			rte_prefetch0(sf_pkt_meta(next));
			rte_prefetch0(rte_pktmbuf_mtod(next, void *));
		}
		m[i] = rp->m;
		sf_pkt_meta_fill(rp->m, (enum sf_linktype)s->linktype, rp->caplen, rp->ts + off);
	}
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
