/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet sources. A source hands out bursts of mbufs that have been
 * through the classify stage (sf_classify_burst: struct sf_pkt_meta holds
 * the parse result and the packet time), so the lcore that reads it (a
 * worker, or the dispatcher feeding several workers) sees the same thing
 * whatever the backend.
 *
 * Backends are const tables of functions, one file each:
 *  - file:    spanflow's own capture reader (libpcap: pcap and pcapng, any
 *             byte order, nanosecond timestamps, truncation detected);
 *  - net_pcap: DPDK's net_pcap virtual device on the same file;
 *  - replay:  a capture preloaded into memory, one queue per worker, looped
 *             (benchmarks: an RSS NIC at unlimited speed);
 *  - tpacket: live capture from Linux interfaces with spanflow's own
 *             TPACKET_V3 rings, one socket per worker per interface, in one
 *             kernel fanout group (hash, no rollover). Packet time is the
 *             kernel's timestamp (input.capture: tpacket, the default);
 *  - ethdev:  live capture from DPDK ports: Linux interfaces through
 *             net_af_packet (input.capture: af_packet; one queue pair per
 *             worker, kernel fanout hash with rollover) or NICs by PCI
 *             address (one rx queue per worker, symmetric RSS). Packet time
 *             is the TSC converted to wall clock, once per burst.
 * A file has one queue; a live source has one queue per worker, and queue
 * q is read by one lcore only.
 */
#ifndef SF_SOURCE_H
#define SF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "sf_config.h"
#include "sf_msg.h"

struct sf_source_params {
	const struct sf_config *cfg;	/* input.* settings */
	unsigned int nb_queues;		/* live input: queues, one per worker */
	struct rte_mempool *pool;	/* mbufs with SF_PKT_META_SIZE private area */
};

struct sf_source_stats {
	uint64_t received;		/* packets read from the input */
	uint64_t dropped[SF_DROP_MAX];	/* lost before reaching a worker */
	uint64_t time_backwards;	/* packets older than one read before */
	uint64_t time_back_max_ns;	/* the largest such step back */
	uint64_t bytes_done;		/* progress: input bytes consumed */
	uint64_t bytes_total;		/* input size, 0 if unknown */
};

/* One input port's link, as the source last read it. */
#define SF_SOURCE_LINK_NAME 64
struct sf_source_link {
	char name[SF_SOURCE_LINK_NAME];	/* interface or PCI address */
	bool up;			/* carrier up (removed: down) */
	uint32_t speed_mbps;		/* 0 when unknown */
	uint64_t packets;		/* captured from this port so far */
};

struct sf_source;

struct sf_source_ops {
	const char *name;
	int (*open)(struct sf_source *s, const struct sf_source_params *p,
			char *err, size_t errlen);
	uint16_t (*rx)(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n);
	void (*stats)(struct sf_source *s, struct sf_source_stats *st);
	/*
	 * Optional, from any thread: stop capturing. 0 if rx may still return
	 * what was captured before (and then returns 0 once it is all read),
	 * -1 if the input must end at once.
	 */
	int (*stop)(struct sf_source *s);
	/*
	 * Optional, from the collector's thread about once a second: 0 while
	 * the input lives, -1 once it has ended for good (every capture
	 * interface removed), with the reason in why.
	 */
	int (*poll)(struct sf_source *s, char *why, size_t len);
	/*
	 * Optional, from the collector's thread about once a second: the link
	 * of each input port, at most max, in configuration order; the count.
	 * Inputs without a link (files, replay) have none.
	 */
	unsigned int (*links)(struct sf_source *s, struct sf_source_link *out, unsigned int max);
	void (*close)(struct sf_source *s);
};

/* What kind of input the configuration reads. */
enum sf_input_kind {
	SF_INPUT_FILE,		/* a capture file read once (-r): one queue */
	SF_INPUT_REPLAY,	/* a capture replayed from memory (--replay): a queue per worker */
	SF_INPUT_LIVE,		/* live ports (-i, -p): a queue per worker, wall-clock time */
};

struct sf_input {
	enum sf_input_kind kind;
	const char *name;	/* the file, or the first interface or port: for messages */
};

/*
 * Which input the configuration reads, and its name: the one place that
 * decides it (sf_config_check() has made sure there is exactly one). A
 * file has one queue, which a dispatcher spreads over several workers;
 * a replay and live ports have one queue per worker.
 */
struct sf_input sf_source_input(const struct sf_config *cfg);

/*
 * Checks that need no DPDK, run before EAL starts: the capture file is
 * readable with a supported link type; interfaces exist and we may capture
 * on them; PCI devices exist and are bound to a DPDK-capable driver.
 * Returns 0, or -1 with a user-facing message ("WHAT: what is wrong; ...").
 */
int sf_source_check(const struct sf_config *cfg, char *err, size_t errlen);

/*
 * The classify steps' checks that need no DPDK (before EAL starts): the
 * capture filters compile for the input's link type. 0, or -1 with a
 * message naming the expression and libpcap's complaint.
 */
int sf_source_check_steps(const struct sf_config *cfg, char *err, size_t errlen);

/*
 * Open a source (after EAL init). On failure NULL, with a user-facing
 * message in err.
 */
struct sf_source *sf_source_open(const struct sf_source_params *p, char *err, size_t errlen);
void sf_source_close(struct sf_source *s);

/*
 * Read up to n prepared packets from queue q. Returns 0 when nothing is
 * available; then sf_source_eof() tells whether the input has ended. Each
 * queue is read by one lcore.
 */
uint16_t sf_source_rx(struct sf_source *s, uint16_t queue, struct rte_mbuf **m, uint16_t n);

/* Queues to read (1 for a file). */
unsigned int sf_source_queues(const struct sf_source *s);

/* Live input: packet times are wall-clock time, and idle lcores follow it. */
bool sf_source_is_live(const struct sf_source *s);

/*
 * Wall-clock time now in ns, from the TSC (cheap; for live packet times).
 * A source whose packet times come from the kernel answers with the
 * kernel's clock, held back by how long the kernel may keep a packet
 * before handing it over (tpacket: a few ms), so that a clock moved on by
 * it never passes a packet still to come.
 */
uint64_t sf_source_now_ns(const struct sf_source *s);
/*
 * Paced replay (input.pace): the capture time the wall clock has reached,
 * kept below the next packet not yet handed over, for the dispatcher to
 * move the workers' clock on through a capture's quiet stretches; 0 when
 * not paced or nothing waits.
 */
uint64_t sf_source_paced_clock(const struct sf_source *s);

/* The input has ended (end of file, read error, or sf_source_stop()). */
bool sf_source_eof(const struct sf_source *s);

/*
 * Ask the source to end (from any thread, e.g. on a signal). A live
 * capture stops taking packets at once; what it had captured is still
 * read (a few milliseconds) before sf_source_eof() turns true.
 */
void sf_source_stop(struct sf_source *s);

/*
 * Has the input ended for good (a live interface removed)? Call about once
 * a second from one thread. -1 if so: the reason is then the source's
 * warning (sf_source_warning), and the caller stops the source.
 */
int sf_source_poll(struct sf_source *s);

/*
 * The link state of each input port (at most max), read now: a system
 * call or a driver query per port, so about once a second from one thread.
 * 0 for inputs without links (files, replay).
 */
unsigned int sf_source_links(struct sf_source *s, struct sf_source_link *out, unsigned int max);

/* Counters; safe to call from another thread (values may lag). */
void sf_source_stats(struct sf_source *s, struct sf_source_stats *st);

int sf_source_linktype(const struct sf_source *s);
const char *sf_source_name(const struct sf_source *s);

/* A warning about the input to show the user (e.g. truncated file), or NULL. */
const char *sf_source_warning(const struct sf_source *s);

#endif /* SF_SOURCE_H */
