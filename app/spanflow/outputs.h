/* SPDX-License-Identifier: BSD-3-Clause */
/* The configured outputs (exporters), opened before the pipeline starts. */
#ifndef SF_APP_OUTPUTS_H
#define SF_APP_OUTPUTS_H

#include <stddef.h>

#include "sf_collector.h"
#include "sf_config.h"
#include "sf_export.h"

struct sf_outputs {
	struct sf_jsonl *flows;
	struct sf_jsonl *intervals;
};

/*
 * Open every configured output, so a bad path is reported before DPDK
 * starts. On failure nothing stays open; -1 with a message.
 */
int sf_outputs_open(struct sf_outputs *o, const struct sf_config *cfg, char *err,
		size_t errlen);

/* The collector sinks of the open outputs; returns how many (<= max). */
unsigned int sf_outputs_sinks(const struct sf_outputs *o, struct sf_collector_sink *sinks,
		unsigned int max);

/* Flush and close; errors are printed. 0, or -1 if any output failed. */
int sf_outputs_close(struct sf_outputs *o);

#endif /* SF_APP_OUTPUTS_H */
