/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet sources. A source hands out bursts of mbufs whose metadata
 * (struct sf_pkt_meta: parse result and packet time) is already filled,
 * so the lcore that reads it (a worker, or the dispatcher feeding several
 * workers) sees the same thing whatever the backend.
 *
 * Backends are const tables of functions, one file each:
 *  - file:    spanflow's own capture reader (libpcap: pcap and pcapng, any
 *             byte order, nanosecond timestamps, truncation detected);
 *  - net_pcap: DPDK's net_pcap virtual device on the same file.
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
	const char *path;		/* capture file */
	enum sf_config_reader reader;
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

struct sf_source;

struct sf_source_ops {
	const char *name;
	int (*open)(struct sf_source *s, const struct sf_source_params *p,
			char *err, size_t errlen);
	uint16_t (*rx)(struct sf_source *s, struct rte_mbuf **m, uint16_t n);
	void (*stats)(struct sf_source *s, struct sf_source_stats *st);
	void (*close)(struct sf_source *s);
};

/*
 * Open a source. On failure NULL, with a user-facing message in err
 * ("FILE: what is wrong"). The link type is checked here, before the
 * pipeline starts.
 */
struct sf_source *sf_source_open(const struct sf_source_params *p, char *err, size_t errlen);
void sf_source_close(struct sf_source *s);

/*
 * Read up to n prepared packets. Returns 0 when nothing is available; then
 * sf_source_eof() tells whether the input has ended. Called by one lcore.
 */
uint16_t sf_source_rx(struct sf_source *s, struct rte_mbuf **m, uint16_t n);

/* The input has ended (end of file, read error, or sf_source_stop()). */
bool sf_source_eof(const struct sf_source *s);

/* Ask the source to end (from any thread, e.g. on a signal). */
void sf_source_stop(struct sf_source *s);

/* Counters; safe to call from another thread (values may lag). */
void sf_source_stats(struct sf_source *s, struct sf_source_stats *st);

int sf_source_linktype(const struct sf_source *s);
const char *sf_source_name(const struct sf_source *s);

/* A warning about the input to show the user (e.g. truncated file), or NULL. */
const char *sf_source_warning(const struct sf_source *s);

#endif /* SF_SOURCE_H */
