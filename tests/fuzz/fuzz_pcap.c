/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the capture file path, through the real source.
 *
 * The input is written to a memory file and opened as spanflow opens a
 * capture: sf_source_probe_file(), then sf_source_open() with each file
 * reader in turn (libpcap, then native, which walks the records in its own
 * read buffer and hands pcapng to libpcap), whose bursts of mbufs (through
 * the classify stage, sf_classify_burst()) are read to the end. An independent libpcap reading
 * of the same file checks that no packet is lost or invented, that bytes,
 * times and parse results match, and that a read error is reported as a
 * warning with libpcap's own message. Each frame is also parsed from a
 * buffer of exactly its length, so ASan sees any read past caplen (mbuf
 * memory is not instrumented).
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "fuzz_common.h"
#include "sf_classify.h"
#include "sf_common.h"
#include "sf_pkt.h"
#include "sf_source.h"
#include "sf_source_priv.h"

#define FUZZ_MBUFS 256
#define FUZZ_MAX_IDLE_RX 1000	/* empty reads in a row before calling it a hang */

static struct rte_mempool *pool;
static struct sf_config cfg;	/* input.file = the memory file */
static int mfd = -1;
static const char *path = cfg.input_file;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fuzz_eal_init();
	pool = rte_pktmbuf_pool_create("fuzz_mbufs", FUZZ_MBUFS, 0, SF_PKT_META_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	FUZZ_CHECK(pool != NULL);
	mfd = memfd_create("fuzz_pcap", 0);
	FUZZ_CHECK(mfd >= 0);
	sf_config_defaults(&cfg);
	snprintf(cfg.input_file, sizeof(cfg.input_file), "/proc/self/fd/%d", mfd);
	return 0;
}

/* Compare one packet of the source with the reference reading of it. */
static void
check_packet(struct rte_mbuf *m, int lt, const struct pcap_pkthdr *h, const u_char *data)
{
	const struct sf_pkt_meta *meta = sf_pkt_meta(m);
	uint32_t len = h->caplen < rte_pktmbuf_tailroom(m) + m->data_len ?
		h->caplen : rte_pktmbuf_tailroom(m) + m->data_len;
	uint64_t ts = (uint64_t)h->ts.tv_sec * SF_NS_PER_S + (uint64_t)h->ts.tv_usec;
	struct sf_pkt_info info;
	enum sf_pkt_class cls;
	uint8_t *frame;

	FUZZ_CHECK(m->data_len == len && m->pkt_len == len);
	FUZZ_CHECK(memcmp(rte_pktmbuf_mtod(m, const void *), data, len) == 0);
	FUZZ_CHECK(meta->ts_ns == ts);
	/* Exactly the bytes the reader kept: ASan reports any read past them. */
	frame = malloc(len ? len : 1);
	FUZZ_CHECK(frame != NULL);
	memcpy(frame, data, len);
	memset(&info, 0, sizeof(info));
	cls = sf_pkt_parse(frame, len, (enum sf_linktype)lt, &info);
	free(frame);
	FUZZ_CHECK(meta->cls == cls);
	if (cls == SF_PKT_FLOW) {
		FUZZ_CHECK(memcmp(&meta->info.key, &info.key, sizeof(info.key)) == 0);
		FUZZ_CHECK(meta->info.dir == info.dir);
		FUZZ_CHECK(meta->info.tcp_flags == info.tcp_flags);
		FUZZ_CHECK(meta->info.ip_len >= info.ip_len);
	} else if (cls == SF_PKT_MALFORMED) {
		FUZZ_CHECK(meta->info.malformed == info.malformed);
	}
}

/* Read the file to the end with one reader, checking it against libpcap. */
static void
read_with(enum sf_config_reader reader, int lt, size_t size)
{
	struct sf_source_params p = {
		.cfg = &cfg,
		.nb_queues = 1,
		.pool = pool,
	};
	char err[512], perr[PCAP_ERRBUF_SIZE];
	struct rte_mbuf *m[SF_BURST];
	struct sf_source_stats st;
	struct pcap_pkthdr *h;
	const u_char *pd;
	uint64_t count = 0;
	unsigned int idle = 0;
	struct sf_source *s;
	pcap_t *ref;
	uint16_t n, i;
	int ret;

	cfg.reader = reader;
	s = sf_source_open(&p, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "probe accepted, open refused: %s\n", err);
		FUZZ_CHECK(s != NULL);
	}
	FUZZ_CHECK(sf_source_linktype(s) == lt);
	ref = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	FUZZ_CHECK(ref != NULL);

	while (!sf_source_eof(s)) {
		n = sf_source_rx(s, 0, m, SF_BURST);
		if (n == 0) {
			FUZZ_CHECK(++idle < FUZZ_MAX_IDLE_RX);
			continue;
		}
		idle = 0;
		for (i = 0; i < n; i++) {
			ret = pcap_next_ex(ref, &h, &pd);
			FUZZ_CHECK(ret == 1);
			check_packet(m[i], lt, h, pd);
			count++;
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	/* Nothing lost: the reference has no packet left either. */
	ret = pcap_next_ex(ref, &h, &pd);
	FUZZ_CHECK(ret != 1);
	if (ret == PCAP_ERROR) {
		/* The same words as libpcap (the native reader writes its own). */
		FUZZ_CHECK(sf_source_warning(s) != NULL);
		if (strcmp(sf_source_warning(s), pcap_geterr(ref)) != 0) {
			fprintf(stderr, "%s reader: '%s', libpcap: '%s'\n", sf_source_name(s),
					sf_source_warning(s), pcap_geterr(ref));
			FUZZ_CHECK(0);
		}
	} else {
		FUZZ_CHECK(sf_source_warning(s) == NULL);
	}
	pcap_close(ref);

	sf_source_stats(s, &st);
	FUZZ_CHECK(st.received == count);
	FUZZ_CHECK(st.bytes_done == st.bytes_total && st.bytes_total == size);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == FUZZ_MBUFS);
	sf_source_close(s);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[512];
	int lt;

	FUZZ_CHECK(ftruncate(mfd, 0) == 0);
	FUZZ_CHECK(pwrite(mfd, data, size, 0) == (ssize_t)size);

	err[0] = '\0';
	lt = sf_source_probe_file(path, err, sizeof(err));
	if (lt < 0) {
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0);
		return 0;
	}
	FUZZ_CHECK(sf_pkt_linktype_supported(lt));
	read_with(SF_READER_LIBPCAP, lt, size);
	read_with(SF_READER_NATIVE, lt, size);
	return 0;
}
