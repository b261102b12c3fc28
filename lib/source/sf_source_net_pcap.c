/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The same capture through DPDK's net_pcap virtual device. net_pcap does
 * not pass on the link type (the probe reads it from the file header) nor
 * the on-wire length, gives microsecond timestamps in the Rx timestamp
 * dynamic field, and returns 0 both at end of file and when it ran out of
 * mbufs (after consuming a packet, which it then counts as rx_nombuf).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>

#include "sf_classify.h"
#include "sf_source_priv.h"

struct np_state {
	uint16_t port;
	bool started;
	int ts_off;		/* Rx timestamp dynamic field offset */
	char name[64];
	uint64_t nombuf;	/* rx_nombuf at the last check */
};

static int
np_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	static unsigned int seq;
	struct rte_eth_conf conf;
	struct np_state *np;
	char args[PATH_MAX + 16];
	int ret;

	if (strpbrk(p->cfg->input_file, ",=") != NULL) {
		snprintf(err, errlen, "%s: net_pcap cannot open a path with ',' or '='; "
				"use the libpcap reader", p->cfg->input_file);
		return -1;
	}
	np = calloc(1, sizeof(*np));
	if (np == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(np->name, sizeof(np->name), "net_pcap_sf%u", seq++);
	snprintf(args, sizeof(args), "rx_pcap=%s", p->cfg->input_file);
	ret = rte_eal_hotplug_add("vdev", np->name, args);
	if (ret != 0) {
		snprintf(err, errlen, "%s: net_pcap could not open it (%s); is the net_pcap "
				"driver installed (package dpdk)?", p->cfg->input_file, strerror(-ret));
		free(np);
		return -1;
	}
	ret = rte_eth_dev_get_port_by_name(np->name, &np->port);
	if (ret != 0)
		goto fail;
	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(np->port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(np->port, 0, 512, rte_socket_id(), NULL, p->pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(np->port, 0, 512, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(np->port);
	if (ret != 0)
		goto fail;
	np->started = true;
	np->ts_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	if (np->ts_off < 0) {
		snprintf(err, errlen, "%s: net_pcap gives no packet timestamps", p->cfg->input_file);
		ret = -ENOTSUP;
		goto fail_msg;
	}
	s->priv = np;
	return 0;
fail:
	snprintf(err, errlen, "%s: net_pcap port setup failed: %s", p->cfg->input_file, strerror(-ret));
fail_msg:
	if (np->started)
		rte_eth_dev_stop(np->port);
	rte_eal_hotplug_remove("vdev", np->name);
	free(np);
	return -1;
}

static uint16_t
np_rx(struct sf_source *s, uint16_t queue __rte_unused, struct rte_mbuf **m, uint16_t n)
{
	struct np_state *np = s->priv;
	struct rte_eth_stats st;
	uint16_t i, k;

	/*
	 * net_pcap drops a packet it has read when no mbuf is left: read only
	 * when the pool has room for a whole burst of large (chained) frames.
	 */
	if (rte_mempool_avail_count(s->pool) < (unsigned int)n * 4u + 512u)
		return 0;
	k = rte_eth_rx_burst(np->port, 0, m, n);
	for (i = 0; i < k; i++) {
		uint64_t us = *RTE_MBUF_DYNFIELD(m[i], np->ts_off, uint64_t *);

		sf_source_note_time(s, us * SF_NS_PER_US);
		sf_pkt_meta_in(m[i], us * SF_NS_PER_US, rte_pktmbuf_pkt_len(m[i]), 0);
	}
	if (k != 0) {
		sf_classify_burst(m, k, (enum sf_linktype)s->linktype);
		atomic_fetch_add_explicit(&s->received, k, memory_order_relaxed);
		return k;
	}
	/* Nothing: out of mbufs (try again later), a read error, or the end. */
	if (rte_eth_stats_get(np->port, &st) != 0)
		return 0;
	if (st.rx_nombuf != np->nombuf) {
		np->nombuf = st.rx_nombuf;
		return 0;
	}
	if (st.ierrors != 0)
		snprintf(s->warning, sizeof(s->warning),
				"net_pcap stopped on a read error (truncated file?)");
	atomic_store_explicit(&s->eof, true, memory_order_release);
	return 0;
}

static void
np_stats(struct sf_source *s, struct sf_source_stats *out)
{
	struct np_state *np = s->priv;
	struct rte_eth_stats st;

	if (rte_eth_stats_get(np->port, &st) != 0)
		return;
	/* A packet net_pcap read but had no mbuf for was received, then lost. */
	out->received += st.rx_nombuf;
	out->dropped[SF_DROP_NO_MBUF] = st.rx_nombuf;
}

static void
np_close(struct sf_source *s)
{
	struct np_state *np = s->priv;

	if (np == NULL)
		return;
	if (np->started)
		rte_eth_dev_stop(np->port);
	rte_eth_dev_close(np->port);
	rte_eal_hotplug_remove("vdev", np->name);
	free(np);
	s->priv = NULL;
}

const struct sf_source_ops sf_source_net_pcap_ops = {
	.name = "net_pcap",
	.open = np_open,
	.rx = np_rx,
	.stats = np_stats,
	.close = np_close,
};
