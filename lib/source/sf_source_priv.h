/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the source backends. */
#ifndef SF_SOURCE_PRIV_H
#define SF_SOURCE_PRIV_H

#include <stdatomic.h>

#include "sf_common.h"
#include "sf_source.h"

/* The source module's log type (registered in sf_source.c). */
extern int sf_logtype_source;
#define SRC_LOG(level, fmt, ...) SF_LOG_TYPE(sf_logtype_source, level, fmt, ## __VA_ARGS__)

#define SF_SOURCE_WARN_LEN 512

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

/*
 * Read the capture's header with libpcap: check that it is a capture
 * and that its link type is supported. Returns the link type or -1 with
 * a message.
 */
int sf_source_probe_file(const char *path, char *err, size_t errlen);

#endif /* SF_SOURCE_PRIV_H */
