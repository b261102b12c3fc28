/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the source backends. */
#ifndef SF_SOURCE_PRIV_H
#define SF_SOURCE_PRIV_H

#include <stdatomic.h>

#include "sf_classify.h"
#include "sf_common.h"
#include "sf_source.h"

/* The source module's log type (registered in sf_source.c). */
extern int sf_logtype_source;
#define SRC_LOG(level, fmt, ...) SF_LOG_TYPE(sf_logtype_source, level, fmt, ## __VA_ARGS__)

#define SF_SOURCE_WARN_LEN 512

#define SF_SOURCE_HELD 64

struct sf_source {
	const struct sf_source_ops *ops;
	struct rte_mempool *pool;
	int linktype;
	unsigned int nb_queues;
	bool live;
	const char *input;		/* file, or first interface/port, for messages */
	uint64_t base_tsc;		/* TSC and wall clock at open: live time */
	uint64_t base_ns;
	double ns_per_tsc;
	/*
	 * Live time from the kernel's clock (CLOCK_REALTIME, as its packet
	 * timestamps) held back by clock_lag_ns: an idle lcore that follows
	 * it never gets ahead of packets the kernel still holds.
	 */
	bool kernel_clock;
	uint64_t clock_lag_ns;
	/*
	 * After a stop, ops->stop (if any) ends the capture and rx still
	 * returns what was captured before; drain_ns after the stop the input
	 * ends (eof), and each reader reads on until it gets nothing.
	 */
	uint64_t drain_ns;
	_Atomic uint64_t drain_end_tsc;	/* 0: no drain, end at once */
	atomic_bool stopping;		/* sf_source_stop() has begun */
	atomic_bool eof;		/* input ended */
	atomic_bool stop;		/* asked to end */
	/* Written by the reading lcore, read by others (relaxed). */
	_Atomic uint64_t received;
	_Atomic uint64_t bytes_done;
	uint64_t bytes_total;
	/* Capture clock, reading lcore only; the pipeline clamps to it. */
	uint64_t newest_ns;
	_Atomic uint64_t time_backwards;
	_Atomic uint64_t time_back_max_ns;
	char warning[SF_SOURCE_WARN_LEN];
	/*
	 * Pacing (input.pace, files only): packets are handed over when the
	 * wall clock reaches their capture time (from the first packet on),
	 * divided by pace. A burst read ahead waits in held[] (classified, its
	 * steps not run yet); the input ends once it is empty.
	 */
	double pace;			/* 0: as fast as possible */
	bool pace_started;
	uint64_t pace_wall0;		/* monotonic ns of the first packet */
	uint64_t pace_pkt0;		/* its capture time */
	struct rte_mbuf *held[SF_SOURCE_HELD];
	uint16_t n_held, held_off;
	atomic_bool held_pending;	/* packets wait in held[]: not eof yet */
	/* The classify steps' state of each queue, used by its reading lcore. */
	struct sf_classify *steps[SF_CONFIG_MAX_WORKERS];
	void *priv;			/* backend state */
};

/*
 * Note a packet's capture time. Time that goes backwards is counted (the
 * workers count such packets at the newest time seen) so the report can
 * say so.
 */
static inline void
sf_source_note_time(struct sf_source *s, uint64_t ts)
{
	if (ts >= s->newest_ns) {
		s->newest_ns = ts;
		return;
	}
	atomic_fetch_add_explicit(&s->time_backwards, 1, memory_order_relaxed);
	if (s->newest_ns - ts > atomic_load_explicit(&s->time_back_max_ns, memory_order_relaxed))
		atomic_store_explicit(&s->time_back_max_ns, s->newest_ns - ts,
				memory_order_relaxed);
}

extern const struct sf_source_ops sf_source_file_ops;
extern const struct sf_source_ops sf_source_native_ops;
extern const struct sf_source_ops sf_source_net_pcap_ops;
extern const struct sf_source_ops sf_source_ethdev_ops;
extern const struct sf_source_ops sf_source_replay_ops;
extern const struct sf_source_ops sf_source_tpacket_ops;

/*
 * A Linux interface to capture from: it exists and is up. Returns its
 * index, or 0 with a user-facing message.
 */
unsigned int sf_source_iface_check(const char *name, char *err, size_t errlen);

/*
 * The kernel's view of a Linux interface's link into l (name and packets
 * left as they are): up when the interface is up and running (IFF_RUNNING:
 * operstate up, i.e. carrier; a veth whose peer went down loses it), down
 * when it is not or no longer the interface of index ifindex (removed);
 * speed from sysfs (Mb/s; unreadable or -1 while down). fd: any AF_INET
 * datagram socket, for the ioctl.
 */
void sf_source_iface_link(int fd, const char *name, unsigned int ifindex,
		struct sf_source_link *l);

/*
 * A mapped TPACKET_V3 receive ring and the reading lcore's place in it
 * (sf_source_tpacket.c; here for its unit test). The kernel fills blocks
 * and hands each over with TP_STATUS_USER; the reader copies its frames
 * into mbufs and gives the block back (TP_STATUS_KERNEL) once every frame
 * of it has been read. A burst may end inside a block.
 */
struct sf_tpacket_ring {
	uint8_t *map;			/* block_nr blocks of block_size bytes */
	uint32_t block_size;
	uint32_t block_nr;
	uint32_t block;			/* the block being read, or waited for */
	uint32_t left;			/* its frames not yet read; 0: not opened */
	const uint8_t *frame;		/* the next frame to read */
	uint32_t room;			/* bytes an mbuf takes (data room - headroom) */
	uint8_t linktype;		/* enum sf_linktype of the interface */
	uint8_t port;			/* input index (sf_pkt_info.port) */
};

/*
 * Read up to n frames from ring r into mbufs from pool, metadata filled
 * (packet time: the kernel's timestamp). Returns the number read; 0 when
 * no block is ready or the pool is empty (the frames then wait).
 */
uint16_t sf_tpacket_ring_rx(struct sf_tpacket_ring *r, struct rte_mempool *pool,
		struct rte_mbuf **m, uint16_t n);

/*
 * Read the capture's header with libpcap: check that it is a capture
 * and that its link type is supported. Returns the link type or -1 with
 * a message.
 */
int sf_source_probe_file(const char *path, char *err, size_t errlen);

#endif /* SF_SOURCE_PRIV_H */
