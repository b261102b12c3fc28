/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live capture from DPDK ports, one rx queue per worker:
 *  - Linux interfaces through net_af_packet (qpairs = workers) when
 *    input.capture is af_packet (the default, tpacket, is spanflow's own
 *    source: sf_source_tpacket.c). The kernel spreads packets over the
 *    sockets with its fanout hash, which is symmetric. DPDK 22.11's
 *    af_packet also sets the fanout rollover flag: when one socket's ring
 *    is full the kernel moves packets to another, so under overload a
 *    flow may be split across workers (README).
 *  - NICs by PCI address: hardware RSS with a symmetric Toeplitz key.
 * Packet time is the TSC converted to wall clock once per burst; NIC
 * timestamps are not used yet.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "sf_classify.h"
#include "sf_rss.h"
#include "sf_source_priv.h"

/* af_packet ring: frames of 2 KiB in 4 KiB blocks, input.ring_size bytes per queue. */
#define AFP_FRAME_SIZE 2048

struct eth_port {
	uint16_t port_id;
	bool started;
	bool vdev;		/* created by us (af_packet) */
	unsigned int ifindex;	/* af_packet: the Linux interface's */
	char name[64];		/* interface or PCI address, for messages */
	char vdev_name[64];	/* af_packet vdev, for removal */
};

/* Per-queue counter, on its own cache line: one writer each. */
struct eth_queue {
	_Atomic uint64_t received;
} __rte_cache_aligned;

struct eth_state {
	unsigned int n_ports;
	struct eth_port ports[SF_CONFIG_MAX_PORTS];
	struct eth_queue q[SF_CONFIG_MAX_WORKERS];
};

static int
port_setup(struct sf_source *s, struct eth_port *ep, const struct sf_source_params *p,
		char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint8_t key[SF_RSS_KEY_MAX];
	uint16_t nq = (uint16_t)s->nb_queues, nb_rxd, nb_txd = 0, q;
	int ret;

	ret = rte_eth_dev_info_get(ep->port_id, &info);
	if (ret != 0) {
		snprintf(err, errlen, "%s: cannot read device info: %s", ep->name,
				strerror(-ret));
		return -1;
	}
	if (info.max_rx_queues < nq) {
		snprintf(err, errlen, "%s: the device has %u rx queues, %u workers need one "
				"each; use --workers %u", ep->name, info.max_rx_queues, nq,
				info.max_rx_queues);
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	if (nq > 1 && !ep->vdev) {
		uint64_t hf = SF_RSS_HF & info.flow_type_rss_offloads;
		uint8_t klen = info.hash_key_size ? info.hash_key_size : 40;

		if (klen > sizeof(key))
			klen = sizeof(key);
		sf_rss_key(key, klen);
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = key;
		conf.rx_adv_conf.rss_conf.rss_key_len = klen;
		conf.rx_adv_conf.rss_conf.rss_hf = hf;
		SRC_LOG(INFO, "%s: RSS requested 0x%" PRIx64 ", device accepts 0x%" PRIx64
				" (symmetric key, %u bytes, %u queues)", ep->name,
				(uint64_t)SF_RSS_HF, hf, klen, nq);
		if (hf == 0) {
			snprintf(err, errlen, "%s: the device offers no RSS on IP/TCP/UDP; use "
					"--workers 1", ep->name);
			return -1;
		}
	}
	ret = rte_eth_dev_configure(ep->port_id, nq, info.max_tx_queues ? 1 : 0, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "%s: cannot configure %u rx queues: %s", ep->name, nq,
				strerror(-ret));
		return -1;
	}
	nb_rxd = (uint16_t)(p->cfg->rx_descriptors ? p->cfg->rx_descriptors :
			(info.default_rxportconf.ring_size ? info.default_rxportconf.ring_size :
			 1024));
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(ep->port_id, &nb_rxd, &nb_txd);
	if (ret != 0)
		SRC_LOG(WARNING, "%s: cannot adjust descriptor counts: %s", ep->name,
				strerror(-ret));
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(ep->port_id, q, nb_rxd,
				rte_eth_dev_socket_id(ep->port_id), NULL, s->pool);
		if (ret != 0) {
			snprintf(err, errlen, "%s: cannot set up rx queue %u (%u descriptors): %s",
					ep->name, q, nb_rxd, strerror(-ret));
			return -1;
		}
	}
	if (info.max_tx_queues) {
		ret = rte_eth_tx_queue_setup(ep->port_id, 0, 512,
				rte_eth_dev_socket_id(ep->port_id), NULL);
		if (ret != 0) {
			snprintf(err, errlen, "%s: cannot set up a tx queue: %s", ep->name,
					strerror(-ret));
			return -1;
		}
	}
	ret = rte_eth_dev_start(ep->port_id);
	if (ret != 0) {
		snprintf(err, errlen, "%s: cannot start the port: %s", ep->name, strerror(-ret));
		return -1;
	}
	ep->started = true;
	if (p->cfg->promiscuous) {
		ret = rte_eth_promiscuous_enable(ep->port_id);
		if (ret != 0)
			SRC_LOG(WARNING, "%s: promiscuous mode refused: %s", ep->name,
					strerror(-ret));
	}
	SRC_LOG(INFO, "%s: port %u started, %u rx queues of %u descriptors, driver %s",
			ep->name, ep->port_id, nq, nb_rxd, info.driver_name);
	return 0;
}

static void
eth_close(struct sf_source *s)
{
	struct eth_state *es = s->priv;
	unsigned int i;

	if (es == NULL)
		return;
	for (i = 0; i < es->n_ports; i++) {
		struct eth_port *ep = &es->ports[i];

		if (ep->started)
			rte_eth_dev_stop(ep->port_id);
		rte_eth_dev_close(ep->port_id);
		if (ep->vdev)
			rte_eal_hotplug_remove("vdev", ep->vdev_name);
	}
	free(es);
	s->priv = NULL;
}

static int
eth_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	const struct sf_config *cfg = p->cfg;
	struct eth_state *es;
	unsigned int i;
	int ret;

	if (s->nb_queues == 0 || s->nb_queues > SF_CONFIG_MAX_WORKERS) {
		snprintf(err, errlen, "bad number of queues %u", s->nb_queues);
		return -1;
	}
	es = calloc(1, sizeof(*es));
	if (es == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->priv = es;
	for (i = 0; i < cfg->n_interfaces; i++) {
		struct eth_port *ep = &es->ports[es->n_ports];
		char args[256];

		snprintf(ep->name, sizeof(ep->name), "%s", cfg->interfaces[i]);
		ep->ifindex = if_nametoindex(cfg->interfaces[i]);
		snprintf(ep->vdev_name, sizeof(ep->vdev_name), "net_af_packet_sf%u", i);
		snprintf(args, sizeof(args), "iface=%s,qpairs=%u,blocksz=4096,framesz=%u,"
				"framecnt=%" PRIu64 ",qdisc_bypass=1", cfg->interfaces[i],
				s->nb_queues, AFP_FRAME_SIZE, cfg->capture_ring_size / AFP_FRAME_SIZE);
		ret = rte_eal_hotplug_add("vdev", ep->vdev_name, args);
		if (ret != 0) {
			snprintf(err, errlen, "%s: cannot open it with af_packet (%s); is it up, "
					"and are we root?", cfg->interfaces[i], strerror(-ret));
			goto fail;
		}
		ep->vdev = true;
		es->n_ports++;
		if (rte_eth_dev_get_port_by_name(ep->vdev_name, &ep->port_id) != 0) {
			snprintf(err, errlen, "%s: af_packet port not found", cfg->interfaces[i]);
			goto fail;
		}
		if (port_setup(s, ep, p, err, errlen) != 0)
			goto fail;
	}
	for (i = 0; i < cfg->n_ports; i++) {
		struct eth_port *ep = &es->ports[es->n_ports];

		snprintf(ep->name, sizeof(ep->name), "%s", cfg->ports[i]);
		if (rte_eth_dev_get_port_by_name(cfg->ports[i], &ep->port_id) != 0) {
			snprintf(err, errlen, "%s: no DPDK port for this PCI device; is it bound to "
					"vfio-pci (dpdk-devbind.py --status)?", cfg->ports[i]);
			goto fail;
		}
		es->n_ports++;
		if (port_setup(s, ep, p, err, errlen) != 0)
			goto fail;
	}
	return 0;
fail:
	eth_close(s);
	return -1;
}

static uint16_t
eth_rx(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n)
{
	struct eth_state *es = s->priv;
	uint16_t k = 0, i;
	unsigned int p;
	uint64_t now = 0;

	for (p = 0; p < es->n_ports && k < n; p++) {
		uint16_t got = rte_eth_rx_burst(es->ports[p].port_id, queue, m + k,
				(uint16_t)(n - k));

		if (got == 0)
			continue;
		if (k == 0)
			now = sf_source_now_ns(s);
		for (i = k; i < k + got; i++) {
			rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
			/* ingressInterface: the port's place in the input list */
			sf_pkt_meta_in(m[i], now, rte_pktmbuf_pkt_len(m[i]), (uint8_t)p);
		}
		sf_classify_burst(m + k, got, SF_LINK_ETHER);
		k += got;
	}
	if (k == 0)
		return 0;
	atomic_store_explicit(&es->q[queue].received,
			atomic_load_explicit(&es->q[queue].received, memory_order_relaxed) + k,
			memory_order_relaxed);
	return k;
}

static void
eth_stats(struct sf_source *s, struct sf_source_stats *out)
{
	struct eth_state *es = s->priv;
	unsigned int i;

	for (i = 0; i < s->nb_queues; i++)
		out->received += atomic_load_explicit(&es->q[i].received, memory_order_relaxed);
	for (i = 0; i < es->n_ports; i++) {
		struct rte_eth_stats st;

		if (rte_eth_stats_get(es->ports[i].port_id, &st) != 0)
			continue;
		out->dropped[SF_DROP_NIC_MISSED] += st.imissed;
		out->dropped[SF_DROP_RX_ERROR] += st.ierrors;
		out->dropped[SF_DROP_NO_MBUF] += st.rx_nombuf;
	}
	/* What the ports dropped was received by them, then lost. */
	out->received += out->dropped[SF_DROP_NIC_MISSED] + out->dropped[SF_DROP_RX_ERROR] +
		out->dropped[SF_DROP_NO_MBUF];
}

/*
 * A NIC's link as its driver says, without waiting for autonegotiation.
 * DPDK 22.11's net_af_packet always says up, so an af_packet port's link
 * is the kernel's view of its interface (sf_source_iface_link).
 */
static unsigned int
eth_links(struct sf_source *s, struct sf_source_link *out, unsigned int max)
{
	struct eth_state *es = s->priv;
	unsigned int i, n = RTE_MIN(es->n_ports, max);
	int fd = -1;

	for (i = 0; i < n; i++) {
		struct rte_eth_link link;
		struct rte_eth_stats st;

		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s", es->ports[i].name);
		if (rte_eth_stats_get(es->ports[i].port_id, &st) == 0)
			out[i].packets = st.ipackets;
		if (es->ports[i].vdev) {
			if (fd < 0)
				fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			sf_source_iface_link(fd, es->ports[i].name, es->ports[i].ifindex, &out[i]);
			continue;
		}
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(es->ports[i].port_id, &link) != 0)
			continue;
		out[i].up = link.link_status == RTE_ETH_LINK_UP;
		if (link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
			out[i].speed_mbps = link.link_speed;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

const struct sf_source_ops sf_source_ethdev_ops = {
	.name = "ethdev",
	.open = eth_open,
	.rx = eth_rx,
	.stats = eth_stats,
	.links = eth_links,
	.close = eth_close,
};
