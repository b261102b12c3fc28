/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the source backends. */
#ifndef SF_SOURCE_PRIV_H
#define SF_SOURCE_PRIV_H

#include <stdatomic.h>

#include "sf_source.h"

#define SF_SOURCE_WARN_LEN 512

struct sf_source {
	const struct sf_source_ops *ops;
	struct rte_mempool *pool;
	int linktype;
	atomic_bool eof;		/* input ended */
	atomic_bool stop;		/* asked to end */
	/* Written by the reading lcore, read by others (relaxed). */
	_Atomic uint64_t received;
	_Atomic uint64_t bytes_done;
	uint64_t bytes_total;
	char warning[SF_SOURCE_WARN_LEN];
	void *priv;			/* backend state */
};

extern const struct sf_source_ops sf_source_file_ops;
extern const struct sf_source_ops sf_source_net_pcap_ops;

/*
 * Read the capture's header with libpcap: check that it is a capture
 * and that its link type is supported. Returns the link type or -1 with
 * a message.
 */
int sf_source_probe_file(const char *path, char *err, size_t errlen);

#endif /* SF_SOURCE_PRIV_H */
