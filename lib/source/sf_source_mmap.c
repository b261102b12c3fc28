/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic pcap files read through a memory mapping: the records are walked
 * in place (no read(2), no stdio locking, no per-packet library call) and
 * each frame is copied into an mbuf up to the mbuf's room, exactly as the
 * libpcap reader does, so both give the same packets, times and warnings.
 *
 * Why a copy and not external-buffer mbufs pointing into the mapping: the
 * frames are 64..128 bytes in the common case, one or two cache lines the
 * worker reads anyway, while an external buffer needs a shared-info whose
 * 16-bit reference count every worker would update atomically on free
 * (cache-line bouncing between workers), and mbufs still queued to workers
 * are freed after the source is closed (run.c teardown), which would have
 * to keep the mapping alive past close.
 *
 * What libpcap does is followed to the letter (sf-pcap.c, libpcap 1.10):
 * times are (sec, frac) as signed 32-bit values in the file's own byte
 * order and unsigned when swapped; microseconds are scaled to ns; a record
 * longer than the file's snapshot length (0 or above INT_MAX meaning
 * 262144) is cut to it; a record longer than 262144 bytes or one the file
 * ends inside stops the reading with libpcap's own message. Files it does not
 * handle (pcapng, the Kuznetzov and pre-2.4 formats, byte-swapped Linux
 * cooked captures whose SocketCAN headers libpcap rewrites, anything that
 * cannot be mapped) are handed to the libpcap reader, with one log line.
 *
 * The file must not shrink while it is read (a mapped page past the new
 * end raises SIGBUS); a capture being written is read with libpcap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "sf_source_priv.h"
#include "sf_worker.h"

#define PCAP_FILE_HDR 24
#define PCAP_RECORD_HDR 16
#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
/* libpcap's largest sane record for the link types spanflow reads. */
#define PCAP_MAX_SNAPLEN 262144u
/* Link types (DLT) whose headers libpcap rewrites in byte-swapped files. */
#define DLT_LINUX_SLL 113
#define DLT_LINUX_SLL2 276

/* Read-ahead: ask for the next window when half of the last one is used. */
#define MMAP_WINDOW (32u << 20)

struct mmap_state {
	const uint8_t *map;
	size_t size;
	size_t pos;		/* next record */
	size_t advised;		/* end of the range asked for (MADV_WILLNEED) */
	uint32_t snapshot;	/* records longer than this are cut to it */
	bool swapped;		/* file written in the other byte order */
	bool nano;		/* nanosecond timestamps */
	bool done;
};

static inline uint32_t
rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? rte_bswap32(v) : v;
}

/*
 * Why the mmap reader cannot read this file (NULL if it can), from its
 * header: hdr holds the first 24 bytes.
 */
static const char *
unsupported(const uint8_t *hdr, int lt, bool *swapped, bool *nano, uint32_t *snapshot)
{
	uint32_t magic = rd32(hdr, false);
	uint16_t major, minor;
	uint32_t snap;

	*swapped = false;
	if (magic != MAGIC_US && magic != MAGIC_NS) {
		magic = rte_bswap32(magic);
		if (magic != MAGIC_US && magic != MAGIC_NS)
			return "not a classic pcap file (pcapng?)";
		*swapped = true;
	}
	*nano = magic == MAGIC_NS;
	memcpy(&major, hdr + 4, 2);
	memcpy(&minor, hdr + 6, 2);
	if (*swapped) {
		major = rte_bswap16(major);
		minor = rte_bswap16(minor);
	}
	if (major != 2 || minor != 4)
		return "pcap format version other than 2.4";
	if (*swapped && (lt == DLT_LINUX_SLL || lt == DLT_LINUX_SLL2))
		return "byte-swapped Linux cooked capture";
	snap = rd32(hdr + 16, *swapped);
	/* libpcap 1.10 keeps any snapshot length up to INT_MAX. */
	*snapshot = snap == 0 || snap > INT32_MAX ? PCAP_MAX_SNAPLEN : snap;
	return NULL;
}

static int
fall_back(struct sf_source *s, const struct sf_source_params *p, const char *why,
		char *err, size_t errlen)
{
	SRC_LOG(NOTICE, "%s: %s; reading it with the libpcap reader", p->cfg->input_file, why);
	s->ops = &sf_source_file_ops;
	return s->ops->open(s, p, err, errlen);
}

static int
mmap_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	const char *path = p->cfg->input_file;
	uint8_t hdr[PCAP_FILE_HDR];
	struct mmap_state *ms;
	const char *why;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < PCAP_FILE_HDR ||
			pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
		close(fd);
		return fall_back(s, p, "not a regular file", err, errlen);
	}
	ms = calloc(1, sizeof(*ms));
	if (ms == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	why = unsupported(hdr, s->linktype, &ms->swapped, &ms->nano, &ms->snapshot);
	if (why != NULL) {
		close(fd);
		free(ms);
		return fall_back(s, p, why, err, errlen);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		free(ms);
		return fall_back(s, p, "cannot be mapped into memory", err, errlen);
	}
	ms->map = map;
	ms->size = (size_t)st.st_size;
	ms->pos = PCAP_FILE_HDR;
	ms->advised = RTE_MIN(ms->size, (size_t)MMAP_WINDOW);
	/* Advice only: reading works without it. */
	(void)madvise(map, ms->size, MADV_SEQUENTIAL);
	(void)madvise(map, ms->advised, MADV_WILLNEED);
	s->bytes_total = ms->size;
	s->priv = ms;
	return 0;
}

/* Ask the kernel for the next window before the reader gets there. */
static void
read_ahead(struct mmap_state *ms)
{
	size_t start = ms->advised, len;

	if (start >= ms->size || ms->pos + MMAP_WINDOW / 2 < start)
		return;
	start &= ~((size_t)4095);	/* page-aligned for madvise */
	len = RTE_MIN((size_t)MMAP_WINDOW, ms->size - start);
	(void)madvise((void *)(uintptr_t)(ms->map + start), len, MADV_WILLNEED);
	ms->advised = start + len;
}

/*
 * The next record: its header fields and where its data starts. Returns
 * 1, 0 at the end of the file, or -1 with libpcap's message in s->warning.
 */
static inline int
next_record(struct sf_source *s, struct mmap_state *ms, const uint8_t **data,
		uint32_t *caplen, uint64_t *ts)
{
	const uint8_t *rec = ms->map + ms->pos;
	size_t left = ms->size - ms->pos;
	uint32_t sec, frac, len;
	uint64_t ns;

	if (unlikely(left < PCAP_RECORD_HDR)) {
		if (left == 0)
			return 0;
		snprintf(s->warning, sizeof(s->warning), "truncated dump file; tried to read %u "
				"header bytes, only got %zu", PCAP_RECORD_HDR, left);
		return -1;
	}
	sec = rd32(rec, ms->swapped);
	frac = rd32(rec + 4, ms->swapped);
	len = rd32(rec + 8, ms->swapped);
	left -= PCAP_RECORD_HDR;
	if (unlikely(len > PCAP_MAX_SNAPLEN)) {
		if (len > ms->snapshot)
			snprintf(s->warning, sizeof(s->warning), "invalid packet capture length "
					"%u, bigger than snaplen of %u", len, ms->snapshot);
		else
			snprintf(s->warning, sizeof(s->warning), "invalid packet capture length "
					"%u, bigger than maximum of %u", len, PCAP_MAX_SNAPLEN);
		return -1;
	}
	/* libpcap reads the snapshot, then skips the rest; says so if cut. */
	if (unlikely(len > ms->snapshot && left < ms->snapshot)) {
		snprintf(s->warning, sizeof(s->warning), "truncated dump file; tried to read %u "
				"captured bytes, only got %zu", ms->snapshot, left);
		return -1;
	}
	if (unlikely(left < len)) {
		snprintf(s->warning, sizeof(s->warning), "truncated dump file; tried to read %u "
				"captured bytes, only got %zu", len, left);
		return -1;
	}
	/*
	 * As libpcap's struct timeval: signed 32-bit fields widened, unsigned
	 * when swapped; microseconds scaled (modulo 2^64 like the libpcap reader).
	 */
	if (ms->swapped)
		ns = ms->nano ? (uint64_t)frac : (uint64_t)frac * 1000u;
	else
		ns = ms->nano ? (uint64_t)(int64_t)(int32_t)frac :
			(uint64_t)((int64_t)(int32_t)frac * 1000);
	*ts = (ms->swapped ? (uint64_t)sec : (uint64_t)(int64_t)(int32_t)sec) * SF_NS_PER_S + ns;
	*data = rec + PCAP_RECORD_HDR;
	*caplen = RTE_MIN(len, ms->snapshot);
	ms->pos += PCAP_RECORD_HDR + (size_t)len;
	return 1;
}

static uint16_t
mmap_rx(struct sf_source *s, uint16_t queue __rte_unused, struct rte_mbuf **m, uint16_t n)
{
	struct mmap_state *ms = s->priv;
	uint16_t i;

	if (unlikely(ms->done))
		return 0;
	/* Buffers first: a packet read from the file is never lost. */
	if (rte_pktmbuf_alloc_bulk(s->pool, m, n) != 0)
		return 0;
	read_ahead(ms);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *mb = m[i];
		const uint8_t *data;
		uint32_t caplen, copy;
		uint64_t ts;

		if (unlikely(next_record(s, ms, &data, &caplen, &ts) != 1)) {
			ms->done = true;
			atomic_store_explicit(&s->eof, true, memory_order_release);
			break;
		}
		copy = RTE_MIN(caplen, (uint32_t)rte_pktmbuf_tailroom(mb));
		rte_memcpy(rte_pktmbuf_mtod(mb, void *), data, copy);
		mb->data_len = (uint16_t)copy;
		mb->pkt_len = copy;
		sf_source_note_time(s, ts);
		sf_pkt_meta_fill(mb, (enum sf_linktype)s->linktype, caplen, ts);
	}
	if (i < n)
		rte_pktmbuf_free_bulk(m + i, n - i);
	if (i != 0)
		atomic_fetch_add_explicit(&s->received, i, memory_order_relaxed);
	atomic_store_explicit(&s->bytes_done, ms->done ? ms->size : ms->pos,
			memory_order_relaxed);
	return i;
}

static void
mmap_close(struct sf_source *s)
{
	struct mmap_state *ms = s->priv;

	if (ms == NULL)
		return;
	munmap((void *)(uintptr_t)ms->map, ms->size);
	free(ms);
	s->priv = NULL;
}

const struct sf_source_ops sf_source_mmap_ops = {
	.name = "mmap",
	.open = mmap_open,
	.rx = mmap_rx,
	.stats = NULL,
	.close = mmap_close,
};
