/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spanflow's own capture reader: libpcap reads the file (pcap or pcapng,
 * either byte order) with nanosecond timestamps; each frame is copied into
 * an mbuf, up to the mbuf's room. spanflow needs only the headers (byte
 * counts come from the IP header), so a frame larger than the room keeps
 * its first bytes and its captured length in the metadata.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "sf_classify.h"
#include "sf_source_priv.h"

/* Bytes of a classic pcap record header, for the progress estimate. */
#define PCAP_RECORD_HDR 16

/* stdio buffer of the capture stream */
#define FILE_BUF (1u << 20)

struct file_state {
	pcap_t *pcap;		/* owns f once opened */
	FILE *f;
	char *buf;
	uint64_t bytes;		/* record bytes consumed (estimate for pcapng) */
};

static int
file_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct file_state *fs;
	struct stat st;

	fs = calloc(1, sizeof(*fs));
	if (fs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Our own stream with a large buffer: libpcap reads with fread. */
	fs->f = fopen(p->cfg->input_file, "rb");
	fs->buf = malloc(FILE_BUF);
	if (fs->f == NULL || fs->buf == NULL) {
		snprintf(err, errlen, "%s: %s", p->cfg->input_file, strerror(fs->f ? ENOMEM : errno));
		goto fail;
	}
	setvbuf(fs->f, fs->buf, _IOFBF, FILE_BUF);
	fs->pcap = pcap_fopen_offline_with_tstamp_precision(fs->f,
			PCAP_TSTAMP_PRECISION_NANO, perr);
	if (fs->pcap == NULL) {
		snprintf(err, errlen, "%s: %s", p->cfg->input_file, perr);
		goto fail;
	}
	if (stat(p->cfg->input_file, &st) == 0 && S_ISREG(st.st_mode))
		s->bytes_total = (uint64_t)st.st_size;
	s->priv = fs;
	return 0;
fail:
	if (fs->f != NULL)
		fclose(fs->f);
	free(fs->buf);
	free(fs);
	return -1;
}

static uint16_t
file_rx(struct sf_source *s, uint16_t queue __rte_unused, struct rte_mbuf **m, uint16_t n)
{
	struct file_state *fs = s->priv;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint16_t i;
	int ret;

	if (unlikely(fs->pcap == NULL))
		return 0;
	/* Buffers first: a packet read from the file is never lost. */
	if (rte_pktmbuf_alloc_bulk(s->pool, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *mb = m[i];
		uint32_t room, copy;
		uint64_t ts;

		ret = pcap_next_ex(fs->pcap, &h, &data);
		if (unlikely(ret != 1)) {
			if (ret == PCAP_ERROR)
				snprintf(s->warning, sizeof(s->warning), "%s",
						pcap_geterr(fs->pcap));
			pcap_close(fs->pcap);
			fs->pcap = NULL;
			atomic_store_explicit(&s->eof, true, memory_order_release);
			break;
		}
		room = rte_pktmbuf_tailroom(mb);
		copy = h->caplen < room ? h->caplen : room;
		rte_memcpy(rte_pktmbuf_mtod(mb, void *), data, copy);
		mb->data_len = (uint16_t)copy;
		mb->pkt_len = copy;
		fs->bytes += PCAP_RECORD_HDR + h->caplen;
		ts = (uint64_t)h->ts.tv_sec * SF_NS_PER_S + (uint64_t)h->ts.tv_usec;
		sf_source_note_time(s, ts);
		sf_pkt_meta_in(mb, ts, h->caplen, 0);
	}
	if (i < n)
		rte_pktmbuf_free_bulk(m + i, n - i);
	sf_classify_burst(m, i, (enum sf_linktype)s->linktype);
	if (i != 0) {
		atomic_fetch_add_explicit(&s->received, i, memory_order_relaxed);
		atomic_store_explicit(&s->bytes_done, fs->bytes, memory_order_relaxed);
	}
	if (fs->pcap == NULL)
		atomic_store_explicit(&s->bytes_done, s->bytes_total, memory_order_relaxed);
	return i;
}

static void
file_close(struct sf_source *s)
{
	struct file_state *fs = s->priv;

	if (fs == NULL)
		return;
	if (fs->pcap != NULL)
		pcap_close(fs->pcap);
	free(fs->buf);
	free(fs);
	s->priv = NULL;
}

const struct sf_source_ops sf_source_file_ops = {
	.name = "libpcap",
	.open = file_open,
	.rx = file_rx,
	.stats = NULL,
	.close = file_close,
};
