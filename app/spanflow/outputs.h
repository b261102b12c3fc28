/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configured outputs: an instance of each exporter (sf_exporters[],
 * lib/export) the configuration asks for, opened before the pipeline
 * starts.
 */
#ifndef SF_APP_OUTPUTS_H
#define SF_APP_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sf_collector.h"
#include "sf_config.h"
#include "sf_export.h"

#define SF_OUTPUTS_MAX SF_COLLECTOR_MAX_SINKS

struct sf_output {
	const struct sf_exporter_ops *ops;
	void *x;
	bool closed;
};

struct sf_outputs {
	unsigned int n;
	uint64_t next_tick_ns;		/* monotonic */
	struct sf_output out[SF_OUTPUTS_MAX];
};

/*
 * Open every configured output, so a bad path or an unreachable collector
 * is reported before DPDK starts. On failure nothing stays open; -1 with a
 * message.
 */
int sf_outputs_open(struct sf_outputs *o, const struct sf_config *cfg, char *err,
		size_t errlen);

/* The collector sinks of the open outputs; returns how many (<= max). */
unsigned int sf_outputs_sinks(const struct sf_outputs *o, struct sf_collector_sink *sinks,
		unsigned int max);

/*
 * Flush and finish every output (files complete, last messages sent);
 * errors and warnings (e.g. IPFIX messages a collector did not take) are
 * printed on stderr. 0, or -1 if an output is incomplete. Outputs already
 * finished are skipped.
 */
int sf_outputs_finish(struct sf_outputs *o);

/*
 * Collector thread: give each output its tick (sf_exporter_ops.tick) when
 * 10 ms have passed since the last; cheap to call on every loop.
 */
void sf_outputs_tick(struct sf_outputs *o);

/*
 * Collector thread, between records (SIGHUP): every open output that has
 * files reopens them (sf_exporter_ops.reopen); a line on stderr says so,
 * and another names an output that could not.
 */
void sf_outputs_reopen(struct sf_outputs *o);

/* Output i's counters (memset, up -1, then the exporter's own). */
void sf_outputs_stats(const struct sf_outputs *o, unsigned int i, struct sf_exporter_stats *st);

/* The report's lines of the outputs (e.g. IPFIX messages sent and lost); after finish. */
void sf_outputs_report(const struct sf_outputs *o, FILE *f);

/* Finish what is not finished yet, and free everything. Calling it again is a no-op. */
void sf_outputs_close(struct sf_outputs *o);

#endif /* SF_APP_OUTPUTS_H */
