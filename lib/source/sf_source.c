/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sf_pkt.h"
#include "sf_source_priv.h"

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

struct sf_source *
sf_source_open(const struct sf_source_params *p, char *err, size_t errlen)
{
	struct sf_source *s;
	int lt;

	lt = sf_source_probe_file(p->path, err, errlen);
	if (lt < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->linktype = lt;
	s->pool = p->pool;
	s->ops = p->reader == SF_READER_NET_PCAP ? &sf_source_net_pcap_ops : &sf_source_file_ops;
	if (s->ops->open(s, p, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
sf_source_close(struct sf_source *s)
{
	if (s == NULL)
		return;
	s->ops->close(s);
	free(s);
}

uint16_t
sf_source_rx(struct sf_source *s, struct rte_mbuf **m, uint16_t n)
{
	if (atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		atomic_store_explicit(&s->eof, true, memory_order_release);
		return 0;
	}
	return s->ops->rx(s, m, n);
}

bool
sf_source_eof(const struct sf_source *s)
{
	return atomic_load_explicit(&s->eof, memory_order_acquire);
}

void
sf_source_stop(struct sf_source *s)
{
	atomic_store_explicit(&s->stop, true, memory_order_relaxed);
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
