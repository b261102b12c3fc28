/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live capture from Linux interfaces with spanflow's own TPACKET_V3 rings.
 *
 * Queue q of the source is worker q's: one AF_PACKET socket per interface,
 * each with its own memory-mapped ring. All sockets of one interface form
 * one kernel fanout group in PACKET_FANOUT_HASH mode, and nothing else:
 *  - no PACKET_FANOUT_FLAG_ROLLOVER. With it (DPDK 22.11's af_packet sets
 *    it) a full ring sends packets to another socket, so under overload a
 *    flow is split between two workers and written twice. Without it the
 *    kernel drops the packet and counts it (PACKET_STATISTICS tp_drops),
 *    and a flow stays in one worker whatever the load;
 *  - no PACKET_FANOUT_FLAG_DEFRAG: it would reassemble IP fragments before
 *    the capture, so live counts would differ from a replay of the same
 *    traffic. spanflow keys every fragment with ports 0 (sf_pkt.h) and so
 *    does the kernel's hash, so fragments need no reassembly to stay
 *    together.
 *
 * The fanout hash is the kernel's symmetric flow hash (flow dissector,
 * __skb_get_hash_symmetric): IP addresses and protocol, and the ports of
 * TCP, UDP, UDP-Lite, SCTP and DCCP, both ends sorted. It skips 802.1Q
 * and 802.1ad tags and ignores the VLAN id, and it reads no ports from a
 * fragment (first or later). spanflow's key holds the same addresses,
 * protocol and ports (ports 0 for every fragment) plus the VLAN id, so for
 * plain Ethernet, VLAN and IP traffic the hash is a function of the key:
 * both directions of a flow, and all its packets, reach one worker. The
 * hash does not depend on the interface, and every interface's group has
 * one socket per worker, joined in worker order, so a flow seen on two
 * interfaces (the two mirror ports of one link) also reaches one worker.
 *
 * What it is not for (yet): the kernel's dissector looks inside GRE,
 * IP-in-IP and IPv6-in-IP and hashes the inner packet, and hashes ESP and
 * AH by their SPI, while spanflow keys all of these on the outer header,
 * so such a flow can be spread over workers (the two directions of an
 * IPsec SA have different SPIs). It also stops at MPLS labels (every
 * labelled packet goes to one worker), at IPv6 mobility, HIP and shim6
 * headers, and treats an IPv6 atomic fragment as a fragment. Dispatch on
 * spanflow's own (tunnel-aware) key is a later step.
 *
 * The reader copies each frame into an mbuf of the packet pool (the ring
 * keeps at most one mbuf's worth of each frame: a socket filter sets the
 * snap length) and gives blocks back to the kernel as soon as all their
 * frames are read. The worker loop polls: no poll(2), no system call per
 * packet. Blocks are retired by the kernel when full or after
 * TP_RETIRE_MS, so live time follows the kernel's clock held back by
 * TP_LAG_NS (sf_source_now_ns).
 *
 * Drops are counted where they happen: a full ring (tp_drops, read with
 * PACKET_STATISTICS, which resets it: the counts are accumulated here),
 * and the interface's own rx_dropped (e.g. a full backlog queue) and
 * rx_missed_errors (the NIC ran out of buffers) since the capture opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "sf_classify.h"
#include "sf_source_priv.h"

/*
 * Ring geometry: TP_BLOCKS blocks when the ring is large enough, each of
 * TP_BLOCK_MIN..TP_BLOCK_MAX bytes (a power of two). On a slow link the
 * kernel hands a block over part-full every TP_RETIRE_MS, so the number of
 * blocks, not their size, is what the ring holds then: 512 blocks are 2 s
 * for a reader that is held up (e.g. descheduled on a busy machine).
 */
#define TP_BLOCKS 512u
#define TP_BLOCK_MIN (8u << 10)
#define TP_BLOCK_MAX (1u << 20)
/* TPACKET_V3 frames are variable; tp_frame_size only has to divide a block. */
#define TP_FRAME_UNIT 2048u
/* A block holding packets is handed to the reader after at most this long. */
#define TP_RETIRE_MS 4u
/*
 * Live clock lag and drain after a stop: the retire timeout plus timer
 * slack (a jiffy is up to 10 ms) and scheduling.
 */
#define TP_LAG_NS (20 * SF_NS_PER_MS)
/* Bytes of link header the kernel takes out of a VLAN-tagged frame. */
#define TP_VLAN_LEN 4u
#define TP_MAC_LEN (2 * RTE_ETHER_ADDR_LEN)

#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#endif

/* One socket: one interface of one worker queue. */
struct tp_ring {
	struct sf_tpacket_ring w;	/* reading lcore only */
	int fd;
	void *map;
	size_t map_len;
	uint64_t kernel_drops;		/* tp_drops so far (under stats_lock) */
	_Atomic uint64_t received;	/* frames read: the reading lcore writes */
} __rte_cache_aligned;

struct tp_queue {
	unsigned int next;		/* interface read first on the next call */
	_Atomic uint64_t received;	/* written by the reading lcore only */
} __rte_cache_aligned;

/* Interface counters since the capture opened (sysfs statistics). */
enum tp_ifstat {
	TP_IF_RX_DROPPED,
	TP_IF_RX_MISSED,
	TP_IF_STATS
};

static const char *const tp_ifstat_file[TP_IF_STATS] = {
	[TP_IF_RX_DROPPED] = "rx_dropped",
	[TP_IF_RX_MISSED] = "rx_missed_errors",
};

static const enum sf_drop_reason tp_ifstat_reason[TP_IF_STATS] = {
	[TP_IF_RX_DROPPED] = SF_DROP_IF_RX_DROPPED,
	[TP_IF_RX_MISSED] = SF_DROP_NIC_MISSED,
};

struct tp_iface {
	char name[IF_NAMESIZE];
	unsigned int ifindex;
	bool gone;			/* removed (collector's thread only) */
	bool said;			/* and the user was told */
	uint8_t linktype;
	bool has[TP_IF_STATS];		/* the counter could be read at open */
	uint64_t base[TP_IF_STATS];	/* at open */
	uint64_t seen[TP_IF_STATS];	/* largest delta reported (under stats_lock) */
	_Atomic uint64_t frozen[TP_IF_STATS];	/* at the stop; UINT64_MAX before */
};

struct tp_state {
	unsigned int n_if;
	unsigned int nq;
	struct tp_iface ifs[SF_CONFIG_MAX_PORTS];
	struct tp_ring *rings;		/* nq * n_if: queue q, interface i at q * n_if + i */
	pthread_mutex_t stats_lock;	/* stats() may come from any thread */
	struct tp_queue q[SF_CONFIG_MAX_WORKERS];
};

static inline struct tp_ring *
tp_ring_of(struct tp_state *ts, unsigned int q, unsigned int i)
{
	return &ts->rings[q * ts->n_if + i];
}

/*
 * Ring walk. Kernel memory is shared with the kernel writer: the block
 * status is read with acquire (the frames are complete once it says USER)
 * and written back with release (the frames are no longer read).
 */
static inline struct tpacket_block_desc *
tp_block(const struct sf_tpacket_ring *r, uint32_t b)
{
	return (struct tpacket_block_desc *)(r->map + (size_t)b * r->block_size);
}

static inline void
tp_block_done(struct sf_tpacket_ring *r)
{
	struct tpacket_block_desc *bd = tp_block(r, r->block);

	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->left = 0;
	if (++r->block == r->block_nr)
		r->block = 0;
}

/* One frame into one mbuf; the outer VLAN tag the kernel took out goes back. */
static inline void
tp_frame_copy(const struct sf_tpacket_ring *r, const struct tpacket3_hdr *h,
		struct rte_mbuf *m)
{
	const uint8_t *f = (const uint8_t *)h + h->tp_mac;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t snap = h->tp_snaplen, wire = h->tp_len, len;

	if (unlikely(h->tp_status & TP_STATUS_VLAN_VALID) && r->linktype == SF_LINK_ETHER &&
			snap >= TP_MAC_LEN && r->room >= TP_MAC_LEN + TP_VLAN_LEN) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) &&
			h->hv1.tp_vlan_tpid != 0 ? h->hv1.tp_vlan_tpid : RTE_ETHER_TYPE_VLAN;
		uint16_t tag[2] = { rte_cpu_to_be_16(tpid),
			rte_cpu_to_be_16((uint16_t)h->hv1.tp_vlan_tci) };

		len = RTE_MIN(snap + TP_VLAN_LEN, r->room);
		memcpy(d, f, TP_MAC_LEN);
		memcpy(d + TP_MAC_LEN, tag, sizeof(tag));
		rte_memcpy(d + TP_MAC_LEN + TP_VLAN_LEN, f + TP_MAC_LEN,
				len - TP_MAC_LEN - TP_VLAN_LEN);
		wire += TP_VLAN_LEN;
	} else {
		len = RTE_MIN(snap, r->room);
		rte_memcpy(d, f, len);
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	/* tp_len: the frame on the wire, for lengths beyond what was kept. */
	sf_pkt_meta_in(m, (uint64_t)h->tp_sec * SF_NS_PER_S + h->tp_nsec, wire, r->port);
}

uint16_t
sf_tpacket_ring_rx(struct sf_tpacket_ring *r, struct rte_mempool *pool,
		struct rte_mbuf **m, uint16_t n)
{
	uint16_t k = 0;

	while (k < n) {
		const struct tpacket3_hdr *h;
		uint16_t take, i;

		if (r->left == 0) {
			struct tpacket_block_desc *bd = tp_block(r, r->block);

			if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
					TP_STATUS_USER))
				break;
			r->left = bd->hdr.bh1.num_pkts;
			r->frame = (const uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
			if (unlikely(r->left == 0)) {
				tp_block_done(r);
				continue;
			}
		}
		take = (uint16_t)RTE_MIN(r->left, (uint32_t)(n - k));
		/* No buffer: the frames wait in the ring (the kernel counts what it drops). */
		if (unlikely(rte_pktmbuf_alloc_bulk(pool, m + k, take) != 0))
			break;
		for (i = 0; i < take; i++) {
			h = (const struct tpacket3_hdr *)r->frame;
			if (i + 1 < take || r->left > take)
				rte_prefetch0(r->frame + h->tp_next_offset);
			tp_frame_copy(r, h, m[k + i]);
			r->frame += h->tp_next_offset;
		}
		k += take;
		r->left -= take;
		if (r->left == 0)
			tp_block_done(r);
	}
	sf_classify_burst(m, k, (enum sf_linktype)r->linktype);
	return k;
}

static uint16_t
tp_rx(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n)
{
	struct tp_state *ts = s->priv;
	struct tp_queue *tq = &ts->q[queue];
	unsigned int i, p = tq->next;
	uint16_t k = 0;

	/* Interfaces take turns at being read first, so none starves another. */
	for (i = 0; i < ts->n_if && k < n; i++) {
		struct tp_ring *r = tp_ring_of(ts, queue, p);
		uint16_t got = sf_tpacket_ring_rx(&r->w, s->pool, m + k, (uint16_t)(n - k));

		/* Per interface, for the links' packet counts: once per ring and burst. */
		if (got != 0)
			atomic_store_explicit(&r->received, atomic_load_explicit(&r->received,
					memory_order_relaxed) + got, memory_order_relaxed);
		k += got;
		if (++p == ts->n_if)
			p = 0;
	}
	if (++tq->next == ts->n_if)
		tq->next = 0;
	if (k != 0)
		atomic_store_explicit(&tq->received, atomic_load_explicit(&tq->received,
				memory_order_relaxed) + k, memory_order_relaxed);
	return k;
}

/* An interface counter from sysfs; false if it cannot be read. */
static bool
tp_ifstat_read(const char *ifname, enum tp_ifstat st, uint64_t *v)
{
	char path[128], buf[32];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname,
			tp_ifstat_file[st]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	*v = strtoull(buf, NULL, 10);
	return true;
}

static void
tp_stats(struct sf_source *s, struct sf_source_stats *out)
{
	struct tp_state *ts = s->priv;
	uint64_t kernel = 0, dropped = 0;
	unsigned int i, j;

	for (i = 0; i < ts->nq; i++)
		out->received += atomic_load_explicit(&ts->q[i].received, memory_order_relaxed);
	pthread_mutex_lock(&ts->stats_lock);
	for (i = 0; i < ts->nq * ts->n_if; i++) {
		struct tp_ring *r = &ts->rings[i];
		struct tpacket_stats_v3 st;
		socklen_t len = sizeof(st);

		/* Read and reset by the kernel: add up. */
		if (r->fd >= 0 && getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			r->kernel_drops += st.tp_drops;
		kernel += r->kernel_drops;
	}
	out->dropped[SF_DROP_KERNEL_RING_FULL] += kernel;
	dropped += kernel;
	for (i = 0; i < ts->n_if; i++) {
		struct tp_iface *fi = &ts->ifs[i];

		for (j = 0; j < TP_IF_STATS; j++) {
			uint64_t v = atomic_load_explicit(&fi->frozen[j], memory_order_acquire);

			if (!fi->has[j])
				continue;
			if (v == UINT64_MAX && !tp_ifstat_read(fi->name, (enum tp_ifstat)j, &v))
				v = fi->base[j];
			/* Never backwards (a counter reset): the collector takes differences. */
			if (v >= fi->base[j] && v - fi->base[j] > fi->seen[j])
				fi->seen[j] = v - fi->base[j];
			out->dropped[tp_ifstat_reason[j]] += fi->seen[j];
			dropped += fi->seen[j];
		}
	}
	pthread_mutex_unlock(&ts->stats_lock);
	/* What the kernel or the interface dropped was received, then lost. */
	out->received += dropped;
}

/* Classic BPF: keep `snap` bytes of every packet (0: keep none, i.e. drop). */
static int
tp_set_snap(int fd, uint32_t snap)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, snap) };
	struct sock_fprog prog = { .len = 1, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/*
 * Stop capturing: every socket now drops what comes (uncounted: it arrives
 * after the stop), and the interface counters are taken as they are now.
 * The rings keep what was captured; the readers drain it.
 */
static int
tp_stop(struct sf_source *s)
{
	struct tp_state *ts = s->priv;
	unsigned int i, j;
	int ret = 0;

	for (i = 0; i < ts->nq * ts->n_if; i++)
		if (ts->rings[i].fd >= 0 && tp_set_snap(ts->rings[i].fd, 0) != 0)
			ret = -1;
	for (i = 0; i < ts->n_if; i++) {
		for (j = 0; j < TP_IF_STATS; j++) {
			uint64_t v;

			if (ts->ifs[i].has[j] &&
					tp_ifstat_read(ts->ifs[i].name, (enum tp_ifstat)j, &v))
				atomic_store_explicit(&ts->ifs[i].frozen[j], v,
						memory_order_release);
		}
	}
	return ret;
}

static void
tp_close(struct sf_source *s)
{
	struct tp_state *ts = s->priv;
	unsigned int i;

	if (ts == NULL)
		return;
	if (ts->rings != NULL) {
		for (i = 0; i < ts->nq * ts->n_if; i++) {
			if (ts->rings[i].map != NULL)
				munmap(ts->rings[i].map, ts->rings[i].map_len);
			if (ts->rings[i].fd >= 0)
				close(ts->rings[i].fd);
		}
		free(ts->rings);
	}
	pthread_mutex_destroy(&ts->stats_lock);
	free(ts);
	s->priv = NULL;
}

/* "32 MiB", "64 KiB": sizes in messages. */
static const char *
tp_size(uint64_t b, char *buf, size_t len)
{
	if (b >= (1u << 20) && b % (1u << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", b >> 20);
	else
		snprintf(buf, len, "%" PRIu64 " KiB", b >> 10);
	return buf;
}

/* The link type of an interface's frames as a packet socket gives them. */
static int
tp_iface_linktype(int fd, const char *name, uint8_t *lt, char *err, size_t errlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		snprintf(err, errlen, "%s: cannot read the link type: %s", name, strerror(errno));
		return -1;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		*lt = SF_LINK_ETHER;
		return 0;
	case ARPHRD_NONE:	/* tun, WireGuard: IP packets, no link header */
	case ARPHRD_PPP:
	case 519:		/* ARPHRD_RAWIP */
		*lt = SF_LINK_RAW;
		return 0;
	default:
		snprintf(err, errlen, "%s: link type %u (ARPHRD) is not supported; spanflow "
				"captures Ethernet, loopback and raw IP (tun, WireGuard, PPP) "
				"interfaces", name, ifr.ifr_hwaddr.sa_family);
		return -1;
	}
}

/* Merged segments make packet counts low; say so once per interface. */
static void
tp_warn_offloads(int fd, const char *name)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GGRO };
	struct ifreq ifr;
	bool gro, lro;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ev;
	gro = ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ev.data != 0;
	ev.cmd = ETHTOOL_GFLAGS;
	ev.data = 0;
	lro = ioctl(fd, SIOCETHTOOL, &ifr) == 0 && (ev.data & ETH_FLAG_LRO) != 0;
	if (gro || lro)
		SRC_LOG(WARNING, "%s: %s%s%s is on: the kernel merges TCP segments before "
				"capture, so packet counts come out low (bytes stay right); "
				"turn it off: ethtool -K %s gro off lro off", name,
				gro ? "GRO" : "", gro && lro ? " and " : "", lro ? "LRO" : "",
				name);
}

/*
 * One capture socket of interface `fi` for queue q: TPACKET_V3 ring of
 * ring_bytes, mapped; bound to the interface with a filter that keeps
 * nothing yet (the caller opens it once every socket of the interface is
 * in the fanout group, so no packet is seen twice while they join).
 */
static int
tp_ring_open(struct tp_ring *r, const struct tp_iface *fi, unsigned int q,
		uint64_t ring_bytes, uint32_t room, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	uint32_t block = TP_BLOCK_MAX, min = TP_BLOCK_MIN;
	int ver = TPACKET_V3;
	char sz[32];

	if (page > 0 && (uint32_t)page > min)
		min = (uint32_t)page;
	while (block > min && (uint64_t)block * TP_BLOCKS > ring_bytes)
		block >>= 1;
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: cannot open a capture socket: %s; live capture needs "
				"root or CAP_NET_RAW", fi->name, strerror(errno));
		return -1;
	}
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) != 0) {
		snprintf(err, errlen, "%s: the kernel refuses TPACKET_V3 rings: %s; use "
				"input.capture: af_packet", fi->name, strerror(errno));
		return -1;
	}
	if (tp_set_snap(r->fd, 0) != 0) {
		snprintf(err, errlen, "%s: cannot attach a socket filter: %s", fi->name,
				strerror(errno));
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = block;
	req.tp_block_nr = (uint32_t)(ring_bytes / block);
	if (req.tp_block_nr == 0)
		req.tp_block_nr = 1;
	req.tp_frame_size = TP_FRAME_UNIT;
	req.tp_frame_nr = block / TP_FRAME_UNIT * req.tp_block_nr;
	req.tp_retire_blk_tov = TP_RETIRE_MS;
	if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
		snprintf(err, errlen, "%s: cannot set up a capture ring of %s for worker %u: %s; "
				"lower input.ring_size (bytes per worker per interface) or use "
				"fewer workers", fi->name, tp_size(ring_bytes, sz, sizeof(sz)), q,
				strerror(errno));
		return -1;
	}
	r->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		snprintf(err, errlen, "%s: cannot map the capture ring of %s for worker %u: %s; "
				"lower input.ring_size", fi->name,
				tp_size(r->map_len, sz, sizeof(sz)), q, strerror(errno));
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)fi->ifindex;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		snprintf(err, errlen, "%s: cannot bind a capture socket: %s", fi->name,
				strerror(errno));
		return -1;
	}
	r->w.map = r->map;
	r->w.block_size = req.tp_block_size;
	r->w.block_nr = req.tp_block_nr;
	r->w.room = room;
	r->w.linktype = fi->linktype;
	return 0;
}

/* Join the interface's fanout group; the first socket creates it (*id < 0). */
static int
tp_fanout(struct tp_ring *r, const struct tp_iface *fi, int *id, char *err, size_t errlen)
{
	int arg, val;
	socklen_t len = sizeof(val);

	if (*id < 0)
		arg = (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
	else
		arg = *id | PACKET_FANOUT_HASH << 16;
	if (setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
		snprintf(err, errlen, "%s: cannot join a fanout group (hash, no rollover): %s; "
				"is the interface up?", fi->name, strerror(errno));
		return -1;
	}
	if (*id < 0) {
		if (getsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &val, &len) != 0) {
			snprintf(err, errlen, "%s: cannot read the fanout group id: %s", fi->name,
					strerror(errno));
			return -1;
		}
		*id = val & 0xffff;
	}
	return 0;
}

static int
tp_iface_open(struct tp_state *ts, unsigned int i, uint64_t ring_bytes, uint32_t room,
		bool promisc, char *err, size_t errlen)
{
	struct tp_iface *fi = &ts->ifs[i];
	const struct sf_tpacket_ring *r0;
	unsigned int q;
	int id = -1;
	char sz[32], bsz[32];

	for (q = 0; q < ts->nq; q++) {
		struct tp_ring *r = tp_ring_of(ts, q, i);

		if (tp_ring_open(r, fi, q, ring_bytes, room, err, errlen) != 0)
			return -1;
		r->w.port = (uint8_t)i;
		if (ts->nq > 1 && tp_fanout(r, fi, &id, err, errlen) != 0)
			return -1;
	}
	if (promisc) {
		struct packet_mreq mr;

		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = (int)fi->ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(tp_ring_of(ts, 0, i)->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
				sizeof(mr)) != 0)
			SRC_LOG(WARNING, "%s: promiscuous mode refused: %s", fi->name,
					strerror(errno));
	}
	/* Every socket is in the group now: open the filters. */
	for (q = 0; q < ts->nq; q++) {
		if (tp_set_snap(tp_ring_of(ts, q, i)->fd, room) != 0) {
			snprintf(err, errlen, "%s: cannot attach a socket filter: %s", fi->name,
					strerror(errno));
			return -1;
		}
	}
	r0 = &tp_ring_of(ts, 0, i)->w;
	tp_size(r0->block_size, bsz, sizeof(bsz));
	if (ts->nq > 1)
		SRC_LOG(INFO, "%s: tpacket capture started: %u rings of %s (%u blocks of %s, "
				"one ring per worker), fanout group %d (hash, no rollover)",
				fi->name, ts->nq, tp_size(ring_bytes, sz, sizeof(sz)),
				r0->block_nr, bsz, id);
	else
		SRC_LOG(INFO, "%s: tpacket capture started: one ring of %s (%u blocks of %s)",
				fi->name, tp_size(ring_bytes, sz, sizeof(sz)), r0->block_nr, bsz);
	return 0;
}

static int
tp_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	const struct sf_config *cfg = p->cfg;
	struct tp_state *ts;
	unsigned int i, j;
	uint32_t room;
	int fd;

	if (s->nb_queues == 0 || s->nb_queues > SF_CONFIG_MAX_WORKERS) {
		snprintf(err, errlen, "bad number of queues %u", s->nb_queues);
		return -1;
	}
	room = (uint32_t)rte_pktmbuf_data_room_size(s->pool) - RTE_PKTMBUF_HEADROOM;
	ts = calloc(1, sizeof(*ts));
	if (ts == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&ts->stats_lock, NULL);
	ts->nq = s->nb_queues;
	ts->n_if = cfg->n_interfaces;
	s->priv = ts;
	ts->rings = calloc((size_t)ts->nq * ts->n_if, sizeof(*ts->rings));
	if (ts->rings == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < ts->nq * ts->n_if; i++)
		ts->rings[i].fd = -1;
	/* A socket for interface ioctls (link type, offloads). */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open a socket: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < ts->n_if; i++) {
		struct tp_iface *fi = &ts->ifs[i];

		/* A name that fits no interface (IF_NAMESIZE) fails the check. */
		fi->ifindex = sf_source_iface_check(cfg->interfaces[i], err, errlen);
		snprintf(fi->name, sizeof(fi->name), "%.*s", (int)sizeof(fi->name) - 1,
				cfg->interfaces[i]);
		if (fi->ifindex == 0 ||
				tp_iface_linktype(fd, fi->name, &fi->linktype, err, errlen) != 0) {
			close(fd);
			goto fail;
		}
		tp_warn_offloads(fd, fi->name);
		for (j = 0; j < TP_IF_STATS; j++) {
			fi->has[j] = tp_ifstat_read(fi->name, (enum tp_ifstat)j, &fi->base[j]);
			atomic_init(&fi->frozen[j], UINT64_MAX);
		}
	}
	close(fd);
	for (i = 0; i < ts->n_if; i++)
		if (tp_iface_open(ts, i, cfg->capture_ring_size, room, cfg->promiscuous, err,
				errlen) != 0)
			goto fail;
	s->linktype = ts->ifs[0].linktype;
	s->kernel_clock = true;
	s->clock_lag_ns = TP_LAG_NS;
	s->drain_ns = TP_LAG_NS;
	return 0;
fail:
	tp_close(s);
	return -1;
}

/*
 * An interface that goes down may come back, and its sockets capture again
 * when it does; one that is removed (unregistered: a veth deleted, a USB
 * NIC unplugged) never comes back, and its sockets stay silent. When every
 * interface is gone the input has ended.
 */
static int
tp_poll(struct sf_source *s, char *why, size_t len)
{
	struct tp_state *ts = s->priv;
	unsigned int i, left = 0;

	for (i = 0; i < ts->n_if; i++) {
		struct tp_iface *fi = &ts->ifs[i];

		if (!fi->gone && if_nametoindex(fi->name) != fi->ifindex)
			fi->gone = true;
		left += !fi->gone;
	}
	for (i = 0; i < ts->n_if && left != 0; i++) {
		if (ts->ifs[i].gone && !ts->ifs[i].said) {
			ts->ifs[i].said = true;
			SRC_LOG(WARNING, "%s: the interface was removed; its capture ended, "
					"the other interfaces go on", ts->ifs[i].name);
		}
	}
	if (left != 0)
		return 0;
	if (ts->n_if == 1)
		snprintf(why, len, "the interface was removed, so the capture ended there");
	else
		snprintf(why, len, "every capture interface was removed, so the capture "
				"ended there");
	return -1;
}

/* The kernel's view of each interface (sf_source_iface_link); removed: down. */
static unsigned int
tp_links(struct sf_source *s, struct sf_source_link *out, unsigned int max)
{
	struct tp_state *ts = s->priv;
	unsigned int i, q, n = RTE_MIN(ts->n_if, max);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (i = 0; i < n; i++) {
		const struct tp_iface *fi = &ts->ifs[i];
		struct sf_source_link *l = &out[i];

		memset(l, 0, sizeof(*l));
		snprintf(l->name, sizeof(l->name), "%s", fi->name);
		for (q = 0; q < ts->nq; q++)
			l->packets += atomic_load_explicit(&tp_ring_of(ts, q, i)->received,
					memory_order_relaxed);
		if (!fi->gone)
			sf_source_iface_link(fd, fi->name, fi->ifindex, l);
	}
	if (fd >= 0)
		close(fd);
	return n;
}

const struct sf_source_ops sf_source_tpacket_ops = {
	.name = "tpacket",
	.open = tp_open,
	.rx = tp_rx,
	.stats = tp_stats,
	.stop = tp_stop,
	.poll = tp_poll,
	.links = tp_links,
	.close = tp_close,
};
