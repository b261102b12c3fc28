/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spanflow's native reader of classic pcap files: the file is read in large
 * chunks (pread) into a buffer that stays in the L2 cache, the records are
 * walked in that buffer (no stdio locking, no per-packet library call) and
 * each frame is copied into an mbuf up to the mbuf's room, exactly as the
 * libpcap reader does, so both give the same packets, times and warnings.
 *
 * Measured against the alternatives (tools/BENCHMARKS.md, file replay):
 * walking a memory mapping of the file took twice the CPU of these chunked
 * reads (a TLB miss and a fault or fault-around every 4 KiB page, and loads
 * that stall on cold page-cache lines where the kernel's bulk copy
 * streams); libpcap's per-packet fread()s cost as much as the mapping. A
 * copy rather than external-buffer mbufs pointing into the file's bytes:
 * frames are 64..128 bytes in the common case, a cache line or two the
 * worker reads anyway, while an external buffer needs a shared-info whose
 * 16-bit reference count every worker would update atomically on free,
 * and needs the bytes to outlive the source (mbufs still queued to workers
 * are freed after it is closed).
 *
 * What libpcap does is followed to the letter (sf-pcap.c, libpcap 1.10):
 * times are (sec, frac) as signed 32-bit values in the file's own byte
 * order and unsigned when swapped; microseconds are scaled to ns; a record
 * longer than the file's snapshot length (0 or above INT_MAX meaning
 * 262144) is cut to it; a record longer than 262144 bytes or one the file
 * ends inside stops the reading with libpcap's own message. Files it does
 * not handle (pcapng, the Kuznetzov and pre-2.4 formats, byte-swapped Linux
 * cooked captures whose SocketCAN headers libpcap rewrites, anything but a
 * regular file) are handed to the libpcap reader, with one log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "sf_classify.h"
#include "sf_source_priv.h"

#define PCAP_FILE_HDR 24
#define PCAP_RECORD_HDR 16
#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
/* libpcap's largest sane record for the link types spanflow reads. */
#define PCAP_MAX_SNAPLEN 262144u
/* Link types (DLT) whose headers libpcap rewrites in byte-swapped files. */
#define DLT_LINUX_SLL 113
#define DLT_LINUX_SLL2 276

/*
 * The read buffer, refilled when the next record is not whole in it: about
 * 512 KiB (any record fits, with 256 KiB to spare), small enough for L2.
 */
#define READ_CHUNK (256u << 10)
#define READ_BUF (READ_CHUNK + PCAP_RECORD_HDR + PCAP_MAX_SNAPLEN)
/* Cache prefetch distance ahead of the record being read. */
#define READ_PREFETCH 2048u

struct native_state {
	/* The bytes of the file from offset base are buf[0, fill). */
	uint8_t *buf;
	size_t fill;
	size_t pos;		/* next record, in buf */
	uint64_t base;		/* file offset of buf[0] */
	size_t fetched;		/* buf[0, fetched) prefetched into the cache */
	int fd;
	bool at_end;		/* nothing left to read into buf */
	bool done;		/* no record left to hand out */
	bool swapped;		/* file written in the other byte order */
	bool nano;		/* nanosecond timestamps */
	uint32_t snapshot;	/* records longer than this are cut to it */
	char ioerr[128];	/* a read error, in libpcap's words */
};

static inline uint32_t
rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? rte_bswap32(v) : v;
}

/*
 * Why the native reader cannot read this file (NULL if it can), from its
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
native_open(struct sf_source *s, const struct sf_source_params *p, char *err, size_t errlen)
{
	const char *path = p->cfg->input_file;
	uint8_t hdr[PCAP_FILE_HDR];
	struct native_state *rs;
	const char *why;
	struct stat st;
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
	rs = calloc(1, sizeof(*rs));
	if (rs != NULL)
		rs->buf = malloc(READ_BUF);
	if (rs == NULL || rs->buf == NULL) {
		close(fd);
		free(rs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	why = unsupported(hdr, s->linktype, &rs->swapped, &rs->nano, &rs->snapshot);
	if (why != NULL) {
		close(fd);
		free(rs->buf);
		free(rs);
		return fall_back(s, p, why, err, errlen);
	}
	/* Advice only: the kernel reads further ahead. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rs->fd = fd;
	rs->base = PCAP_FILE_HDR;
	s->bytes_total = (uint64_t)st.st_size;
	s->priv = rs;
	return 0;
}

/*
 * At least need bytes (at most one record) from pos in buf, unless the
 * file ends first: what is left moves to the front and more is read.
 * Returns the bytes available from pos.
 */
static size_t
ensure(struct native_state *rs, size_t need)
{
	ssize_t n;

	if (likely(rs->fill - rs->pos >= need) || rs->at_end)
		return rs->fill - rs->pos;
	memmove(rs->buf, rs->buf + rs->pos, rs->fill - rs->pos);
	rs->fill -= rs->pos;
	rs->base += rs->pos;
	rs->pos = 0;
	rs->fetched = 0;
	while (rs->fill < READ_BUF) {
		n = pread(rs->fd, rs->buf + rs->fill, READ_BUF - rs->fill,
				(off_t)(rs->base + rs->fill));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				snprintf(rs->ioerr, sizeof(rs->ioerr), "error reading dump file: %s",
						strerror(errno));
			rs->at_end = true;
			break;
		}
		rs->fill += (size_t)n;
	}
	return rs->fill - rs->pos;
}

/*
 * The next record: its data, captured length and time. Returns 1, 0 at the
 * end of the file, or -1 with libpcap's message in s->warning.
 */
static inline int
next_record(struct sf_source *s, struct native_state *rs, const uint8_t **data,
		uint32_t *caplen, uint64_t *ts)
{
	size_t left = ensure(rs, PCAP_RECORD_HDR);
	const uint8_t *rec;
	uint32_t sec, frac, len;
	uint64_t ns;

	if (unlikely(left < PCAP_RECORD_HDR)) {
		if (rs->ioerr[0] != '\0')
			snprintf(s->warning, sizeof(s->warning), "%s", rs->ioerr);
		else if (left != 0)
			snprintf(s->warning, sizeof(s->warning), "truncated dump file; tried to "
					"read %u header bytes, only got %zu", PCAP_RECORD_HDR, left);
		return left == 0 && rs->ioerr[0] == '\0' ? 0 : -1;
	}
	rec = rs->buf + rs->pos;
	sec = rd32(rec, rs->swapped);
	frac = rd32(rec + 4, rs->swapped);
	len = rd32(rec + 8, rs->swapped);
	if (unlikely(len > PCAP_MAX_SNAPLEN)) {
		if (len > rs->snapshot)
			snprintf(s->warning, sizeof(s->warning), "invalid packet capture length "
					"%u, bigger than snaplen of %u", len, rs->snapshot);
		else
			snprintf(s->warning, sizeof(s->warning), "invalid packet capture length "
					"%u, bigger than maximum of %u", len, PCAP_MAX_SNAPLEN);
		return -1;
	}
	/* The whole record in buf (len is at most 262144 here). */
	if (unlikely(left < PCAP_RECORD_HDR + (size_t)len)) {
		left = ensure(rs, PCAP_RECORD_HDR + (size_t)len);
		rec = rs->buf + rs->pos;
		if (left < PCAP_RECORD_HDR + (size_t)len && rs->ioerr[0] != '\0') {
			snprintf(s->warning, sizeof(s->warning), "%s", rs->ioerr);
			return -1;
		}
	}
	left -= PCAP_RECORD_HDR;
	/* libpcap reads the snapshot, then skips the rest; says so if cut. */
	if (unlikely(len > rs->snapshot && left < rs->snapshot)) {
		snprintf(s->warning, sizeof(s->warning), "truncated dump file; tried to read %u "
				"captured bytes, only got %zu", rs->snapshot, left);
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
	if (rs->swapped)
		ns = rs->nano ? (uint64_t)frac : (uint64_t)frac * 1000u;
	else
		ns = rs->nano ? (uint64_t)(int64_t)(int32_t)frac :
			(uint64_t)((int64_t)(int32_t)frac * 1000);
	*ts = (rs->swapped ? (uint64_t)sec : (uint64_t)(int64_t)(int32_t)sec) * SF_NS_PER_S + ns;
	*data = rec + PCAP_RECORD_HDR;
	*caplen = RTE_MIN(len, rs->snapshot);
	rs->pos += PCAP_RECORD_HDR + (size_t)len;
	/* Keep READ_PREFETCH bytes ahead in flight (bounded per record). */
	for (int k = 0; k < 4 && rs->fetched < rs->pos + READ_PREFETCH &&
			rs->fetched < rs->fill; k++) {
		rte_prefetch0(rs->buf + rs->fetched);
		rs->fetched += RTE_CACHE_LINE_SIZE;
	}
	return 1;
}

static uint16_t
native_rx(struct sf_source *s, uint16_t queue __rte_unused, struct rte_mbuf **m, uint16_t n)
{
	struct native_state *rs = s->priv;
	uint16_t i;

	if (unlikely(rs->done))
		return 0;
	/* Buffers first: a packet read from the file is never lost. */
	if (rte_pktmbuf_alloc_bulk(s->pool, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *mb = m[i];
		const uint8_t *data;
		uint32_t caplen, copy;
		uint64_t ts;

		if (unlikely(next_record(s, rs, &data, &caplen, &ts) != 1)) {
			rs->done = true;
			atomic_store_explicit(&s->eof, true, memory_order_release);
			break;
		}
		copy = RTE_MIN(caplen, (uint32_t)rte_pktmbuf_tailroom(mb));
		rte_memcpy(rte_pktmbuf_mtod(mb, void *), data, copy);
		mb->data_len = (uint16_t)copy;
		mb->pkt_len = copy;
		sf_source_note_time(s, ts);
		sf_pkt_meta_in(mb, ts, caplen, 0);
	}
	if (i < n)
		rte_pktmbuf_free_bulk(m + i, n - i);
	sf_classify_burst(m, i, (enum sf_linktype)s->linktype);
	if (i != 0)
		atomic_fetch_add_explicit(&s->received, i, memory_order_relaxed);
	atomic_store_explicit(&s->bytes_done, rs->done ? s->bytes_total : rs->base + rs->pos,
			memory_order_relaxed);
	return i;
}

static void
native_close(struct sf_source *s)
{
	struct native_state *rs = s->priv;

	if (rs == NULL)
		return;
	close(rs->fd);
	free(rs->buf);
	free(rs);
	s->priv = NULL;
}

const struct sf_source_ops sf_source_native_ops = {
	.name = "native",
	.open = native_open,
	.rx = native_rx,
	.stats = NULL,
	.close = native_close,
};
