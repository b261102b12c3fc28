/* SPDX-License-Identifier: BSD-3-Clause */
/* The configured outputs (exporters), opened before the pipeline starts. */
#ifndef SF_APP_OUTPUTS_H
#define SF_APP_OUTPUTS_H

#include <stddef.h>
#include <stdio.h>

#include "sf_collector.h"
#include "sf_config.h"
#include "sf_export.h"

struct sf_outputs {
	struct sf_jsonl *flows;
	struct sf_jsonl *intervals;
	struct sf_csv *csv;
	struct sf_ipfix *ipfix;
	/* IPFIX counters, kept after close for the report. */
	bool ipfix_used;
	unsigned int n_ipfix;
	struct sf_ipfix_stats ipfix_stats;
};

/*
 * Open every configured output, so a bad path or collector address is
 * reported before DPDK starts. On failure nothing stays open; -1 with a
 * message.
 */
int sf_outputs_open(struct sf_outputs *o, const struct sf_config *cfg, char *err,
		size_t errlen);

/* The collector sinks of the open outputs; returns how many (<= max). */
unsigned int sf_outputs_sinks(const struct sf_outputs *o, struct sf_collector_sink *sinks,
		unsigned int max);

/*
 * Flush and close; errors are printed, and IPFIX messages the kernel
 * refused (receiver absent or slow) are warned about on stderr. 0, or -1
 * if a file output failed. Calling it again is a no-op.
 */
int sf_outputs_close(struct sf_outputs *o);

/*
 * The report's "export" line (IPFIX messages and records sent and lost);
 * nothing when no IPFIX collector is configured. Call after close.
 */
void sf_outputs_report(const struct sf_outputs *o, FILE *f);

#endif /* SF_APP_OUTPUTS_H */
