/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "sf_common.h"
#include "sf_pkt.h"
#include "sf_source_priv.h"

RTE_LOG_REGISTER(sf_logtype_source, user.spanflow.source, INFO);

int
sf_source_probe_file(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct stat st;
	pcap_t *p;
	int lt;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory; expected a pcap or pcapng file", path);
		return -1;
	}
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
		snprintf(err, errlen, "%s: not a readable capture (%s); expected a pcap or "
				"pcapng file", path, perr);
		return -1;
	}
	lt = pcap_datalink(p);
	pcap_close(p);
	/* libpcap reports LINKTYPE_RAW (101) as its platform's DLT_RAW. */
	if (lt == DLT_RAW || lt == 12 || lt == 14)
		lt = SF_LINK_RAW;
	if (!sf_pkt_linktype_supported(lt)) {
		const char *name = pcap_datalink_val_to_name(lt);

		snprintf(err, errlen, "%s: link type %d (%s) is not supported; spanflow reads "
				"Ethernet, Linux cooked (SLL, SLL2), raw IP, BSD loopback (NULL, "
				"LOOP), PPP and Cisco HDLC captures", path, lt,
				name != NULL ? name : "unknown");
		return -1;
	}
	return lt;
}

/* The kernel driver a PCI device is bound to ("" if none), from sysfs. */
static void
pci_driver(const char *addr, char *drv, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver", addr);
	const char *base;

	n = readlink(link, target, sizeof(target) - 1);
	drv[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	if (strlen(base) < len)
		memcpy(drv, base, strlen(base) + 1);
}

unsigned int
sf_source_iface_check(const char *name, char *err, size_t errlen)
{
	unsigned int idx = if_nametoindex(name);
	struct ifreq ifr;
	int fd;

	if (idx == 0) {
		snprintf(err, errlen, "%s: no such network interface (see 'ip link')", name);
		return 0;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return idx;	/* nothing more to learn; opening it will tell */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		snprintf(err, errlen, "%s: the interface is down; bring it up first "
				"(ip link set %s up)", name, name);
		idx = 0;
	}
	close(fd);
	return idx;
}

void
sf_source_iface_link(int fd, const char *name, unsigned int ifindex, struct sf_source_link *l)
{
	struct ifreq ifr;
	char path[96], buf[24];
	ssize_t len;
	int sfd;

	l->up = false;
	l->speed_mbps = 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 || if_nametoindex(name) != ifindex)
		return;
	l->up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	snprintf(path, sizeof(path), "/sys/class/net/%s/speed", name);
	sfd = open(path, O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		return;
	len = read(sfd, buf, sizeof(buf) - 1);
	close(sfd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9')
		l->speed_mbps = (uint32_t)strtoul(buf, NULL, 10);
}

struct sf_input
sf_source_input(const struct sf_config *cfg)
{
	struct sf_input in = { .kind = SF_INPUT_FILE, .name = cfg->input_file };

	if (cfg->replay_file[0] != '\0') {
		in.kind = SF_INPUT_REPLAY;
		in.name = cfg->replay_file;
	} else if (cfg->n_interfaces != 0) {
		in.kind = SF_INPUT_LIVE;
		in.name = cfg->interfaces[0];
	} else if (cfg->n_ports != 0) {
		in.kind = SF_INPUT_LIVE;
		in.name = cfg->ports[0];
	}
	return in;
}

int
sf_source_check(const struct sf_config *cfg, char *err, size_t errlen)
{
	static const char *const dpdk_drivers[] = {
		"vfio-pci", "igb_uio", "uio_pci_generic",
		"mlx5_core", "mlx4_core",	/* bifurcated: stay on the kernel driver */
	};
	const struct sf_input in = sf_source_input(cfg);
	char path[PATH_MAX], drv[64];
	unsigned int i, j;
	int fd;

	if (in.kind != SF_INPUT_LIVE)
		return sf_source_probe_file(in.name, err, errlen) < 0 ? -1 : 0;
	for (i = 0; i < cfg->n_interfaces; i++)
		if (sf_source_iface_check(cfg->interfaces[i], err, errlen) == 0)
			return -1;
	if (cfg->n_interfaces != 0) {
		fd = socket(AF_PACKET, SOCK_RAW, 0);
		if (fd < 0) {
			snprintf(err, errlen, "%s: cannot capture: %s; live capture needs root or "
					"CAP_NET_RAW", cfg->interfaces[0], strerror(errno));
			return -1;
		}
		close(fd);
	}
	for (i = 0; i < cfg->n_ports; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", cfg->ports[i]);
		if (access(path, F_OK) != 0) {
			snprintf(err, errlen, "%s: no such PCI device; expected a full address like "
					"0000:03:00.0 (see 'dpdk-devbind.py --status')", cfg->ports[i]);
			return -1;
		}
		pci_driver(cfg->ports[i], drv, sizeof(drv));
		for (j = 0; j < RTE_DIM(dpdk_drivers); j++)
			if (strcmp(drv, dpdk_drivers[j]) == 0)
				break;
		if (j == RTE_DIM(dpdk_drivers)) {
			snprintf(err, errlen, "%s: bound to %s%s; DPDK needs it bound to vfio-pci: "
					"dpdk-devbind.py -b vfio-pci %s (or capture with -i IFACE)",
					cfg->ports[i], drv[0] ? "kernel driver " : "no driver",
					drv, cfg->ports[i]);
			return -1;
		}
	}
	return 0;
}

/* The classify steps' settings for input link type lt. */
static void
steps_params(const struct sf_config *cfg, int lt, struct sf_classify_params *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->linktype = lt;
	cp->filter = cfg->filter;
	cp->inner_filter = cfg->inner_filter;
	cp->dedup = cfg->dedup;
	cp->dedup_window_ns = cfg->dedup_window_ns;
	cp->dedup_entries = cfg->dedup_entries;
	cp->sampling = (uint8_t)sf_config_sampling(cfg);
	cp->sampling_rate = cfg->sample_rate;
	cp->socket_id = SOCKET_ID_ANY;
}

int
sf_source_check_steps(const struct sf_config *cfg, char *err, size_t errlen)
{
	const struct sf_input in = sf_source_input(cfg);
	struct sf_classify_params cp;
	int lt = SF_LINK_ETHER;

	if (in.kind != SF_INPUT_LIVE) {
		lt = sf_source_probe_file(in.name, err, errlen);
		if (lt < 0)
			return -1;
	}
	steps_params(cfg, lt, &cp);
	return sf_classify_check(&cp, err, errlen);
}

struct sf_source *
sf_source_open(const struct sf_source_params *p, char *err, size_t errlen)
{
	const struct sf_config *cfg = p->cfg;
	const struct sf_input in = sf_source_input(cfg);
	struct timespec now;
	struct sf_source *s;
	int lt = SF_LINK_ETHER;
	unsigned int q;

	if (in.kind != SF_INPUT_LIVE) {
		lt = sf_source_probe_file(in.name, err, errlen);
		if (lt < 0)
			return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->linktype = lt;
	s->pool = p->pool;
	s->nb_queues = in.kind == SF_INPUT_FILE ? 1 : p->nb_queues;
	s->input = in.name;
	s->live = in.kind == SF_INPUT_LIVE;
	switch (in.kind) {
	case SF_INPUT_LIVE:
		s->ops = cfg->n_interfaces != 0 && cfg->capture == SF_CAPTURE_TPACKET ?
			&sf_source_tpacket_ops : &sf_source_ethdev_ops;
		break;
	case SF_INPUT_REPLAY:
		s->ops = &sf_source_replay_ops;
		break;
	default:
		/* native hands pcapng and odd formats to the libpcap reader itself. */
		switch (cfg->reader) {
		case SF_READER_NET_PCAP:
			s->ops = &sf_source_net_pcap_ops;
			break;
		case SF_READER_NATIVE:
			s->ops = &sf_source_native_ops;
			break;
		default:
			s->ops = &sf_source_file_ops;
			break;
		}
		break;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	s->base_tsc = rte_rdtsc();
	s->base_ns = (uint64_t)now.tv_sec * SF_NS_PER_S + (uint64_t)now.tv_nsec;
	s->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	if (in.kind == SF_INPUT_FILE)
		s->pace = sf_config_pace(cfg);
	if (s->ops->open(s, p, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	for (q = 0; q < s->nb_queues; q++) {
		struct sf_classify_params cp;

		steps_params(cfg, lt, &cp);
		cp.queue = q;
		s->steps[q] = sf_classify_create(&cp, err, errlen);
		if (s->steps[q] == NULL) {
			sf_source_close(s);
			return NULL;
		}
	}
	return s;
}

void
sf_source_close(struct sf_source *s)
{
	unsigned int q;

	if (s == NULL)
		return;
	if (s->n_held > s->held_off)
		rte_pktmbuf_free_bulk(s->held + s->held_off, s->n_held - s->held_off);
	s->ops->close(s);
	for (q = 0; q < RTE_DIM(s->steps); q++)
		sf_classify_free(s->steps[q]);
	free(s);
}

/* When a packet of capture time ts is due on the monotonic clock. */
static uint64_t
pace_due(const struct sf_source *s, uint64_t ts)
{
	if (ts <= s->pace_pkt0)
		return s->pace_wall0;
	return s->pace_wall0 + (uint64_t)((double)(ts - s->pace_pkt0) / s->pace);
}

/*
 * Paced reading: what is due of the burst read ahead, then the next burst.
 * hurry (a stop): everything held goes at once, nothing is lost.
 */
static uint16_t
paced_rx(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n, bool hurry)
{
	uint64_t now = sf_clock_ns(CLOCK_MONOTONIC);
	uint16_t out = 0;

	if (s->n_held == 0 && !hurry) {
		uint16_t k;

		/* Before the read: a reader that ends the input must not look done early. */
		atomic_store_explicit(&s->held_pending, true, memory_order_release);
		k = s->ops->rx(s, queue, s->held, RTE_MIN(n, SF_SOURCE_HELD));
		if (k == 0) {
			atomic_store_explicit(&s->held_pending, false, memory_order_release);
			return 0;
		}
		s->n_held = k;
		s->held_off = 0;
	}
	while (s->held_off < s->n_held && out < n) {
		struct rte_mbuf *mb = s->held[s->held_off];
		uint64_t ts = sf_pkt_meta(mb)->ts_ns;

		if (!s->pace_started) {
			s->pace_started = true;
			s->pace_wall0 = now;
			s->pace_pkt0 = ts;
		}
		if (!hurry && pace_due(s, ts) > now)
			break;
		m[out++] = mb;
		s->held_off++;
	}
	if (s->held_off == s->n_held) {
		s->n_held = s->held_off = 0;
		atomic_store_explicit(&s->held_pending, false, memory_order_release);
	}
	return out;
}

uint64_t
sf_source_paced_clock(const struct sf_source *s)
{
	uint64_t virt, next;

	if (s->pace == 0 || !s->pace_started || s->held_off >= s->n_held)
		return 0;
	/* Never at or past a packet not handed over: records stay as unpaced. */
	virt = s->pace_pkt0 + (uint64_t)((double)(sf_clock_ns(CLOCK_MONOTONIC) - s->pace_wall0) *
			s->pace);
	next = sf_pkt_meta(s->held[s->held_off])->ts_ns;
	return virt < next ? virt : next - 1;
}

uint16_t
sf_source_rx(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n)
{
	if (s->pace != 0) {
		bool stop = atomic_load_explicit(&s->stop, memory_order_acquire);

		if (s->n_held != 0 || !stop) {
			n = paced_rx(s, queue, m, n, stop);
			if (n != 0)
				sf_classify_steps(s->steps[queue], m, n);
			return n;
		}
	}
	if (unlikely(atomic_load_explicit(&s->stop, memory_order_acquire))) {
		uint64_t end = atomic_load_explicit(&s->drain_end_tsc, memory_order_relaxed);

		/* Draining: eof once the kernel has surely handed everything over. */
		if (end == 0 || rte_rdtsc() >= end)
			atomic_store_explicit(&s->eof, true, memory_order_release);
		if (end == 0)
			return 0;
	}
	n = s->ops->rx(s, queue, m, n);
	/* The backend classified the burst; the steps run on this queue's lcore. */
	if (n != 0)
		sf_classify_steps(s->steps[queue], m, n);
	return n;
}

unsigned int
sf_source_queues(const struct sf_source *s)
{
	return s->nb_queues;
}

bool
sf_source_is_live(const struct sf_source *s)
{
	return s->live;
}

uint64_t
sf_source_now_ns(const struct sf_source *s)
{
	struct timespec now;

	if (s->kernel_clock) {
		/* vDSO: no system call. Idle lcores and the end of input only. */
		clock_gettime(CLOCK_REALTIME, &now);
		return (uint64_t)now.tv_sec * SF_NS_PER_S + (uint64_t)now.tv_nsec -
			s->clock_lag_ns;
	}
	return s->base_ns + (uint64_t)((double)(rte_rdtsc() - s->base_tsc) * s->ns_per_tsc);
}

bool
sf_source_eof(const struct sf_source *s)
{
	/* Paced: the packets read ahead are still to come. */
	if (atomic_load_explicit(&s->held_pending, memory_order_acquire))
		return false;
	return atomic_load_explicit(&s->eof, memory_order_acquire);
}

void
sf_source_stop(struct sf_source *s)
{
	uint64_t end = 0;

	if (atomic_exchange_explicit(&s->stopping, true, memory_order_relaxed))
		return;
	if (s->ops->stop != NULL && s->ops->stop(s) == 0)
		end = rte_rdtsc() + (uint64_t)((double)s->drain_ns / s->ns_per_tsc) + 1;
	/* The drain deadline is in place before a reader can see the stop. */
	atomic_store_explicit(&s->drain_end_tsc, end, memory_order_relaxed);
	atomic_store_explicit(&s->stop, true, memory_order_release);
}

int
sf_source_poll(struct sf_source *s)
{
	char why[SF_SOURCE_WARN_LEN];

	if (s->ops->poll == NULL || s->ops->poll(s, why, sizeof(why)) == 0)
		return 0;
	if (s->warning[0] == '\0')
		snprintf(s->warning, sizeof(s->warning), "%s", why);
	return -1;
}

unsigned int
sf_source_links(struct sf_source *s, struct sf_source_link *out, unsigned int max)
{
	if (s == NULL || s->ops->links == NULL)
		return 0;
	return s->ops->links(s, out, max);
}

void
sf_source_stats(struct sf_source *s, struct sf_source_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->received = atomic_load_explicit(&s->received, memory_order_relaxed);
	st->bytes_done = atomic_load_explicit(&s->bytes_done, memory_order_relaxed);
	st->bytes_total = s->bytes_total;
	st->time_backwards = atomic_load_explicit(&s->time_backwards, memory_order_relaxed);
	st->time_back_max_ns = atomic_load_explicit(&s->time_back_max_ns, memory_order_relaxed);
	if (s->ops->stats != NULL)
		s->ops->stats(s, st);
}

int
sf_source_linktype(const struct sf_source *s)
{
	return s->linktype;
}

const char *
sf_source_name(const struct sf_source *s)
{
	return s->ops->name;
}

const char *
sf_source_warning(const struct sf_source *s)
{
	return s->warning[0] != '\0' ? s->warning : NULL;
}
