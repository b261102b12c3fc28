/* SPDX-License-Identifier: BSD-3-Clause */
/* The end-of-run report: what a network engineer reads after a replay. */
#ifndef SF_REPORT_H
#define SF_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sf_collector.h"
#include "sf_source.h"

#define SF_REPORT_MAX_WORKERS 64

struct sf_report_info {
	const char *input;		/* file name */
	const char *linktype;		/* link type name */
	const char *reader;		/* source backend */
	unsigned int workers;
	double wall_s;			/* processing wall time, start to last record */
	double input_s;			/* start to end of input */
	struct sf_source_stats src;
	uint64_t msgs_lost;		/* worker messages lost (full ring/pool) */
	uint64_t underlay_lost;		/* live dispatch: underlay copies dropped on a full ring */
	uint64_t stop_lost;		/* records lost in the final flush */
	bool hurried;			/* a second signal cut the final flush short */
	double flush_timeout_s;		/* the final flush's deadline */
	uint64_t evictions;
	uint64_t peak_flows;		/* most flows in the tables at once, summed */
	uint64_t entry_bytes;		/* memory per flow entry, index share included */
	uint64_t table_capacity;	/* flows per worker */
	uint64_t worker_packets[SF_REPORT_MAX_WORKERS];	/* packets each worker got */
	unsigned int sampling;		/* enum sf_sampling */
	uint32_t sampling_rate;
	bool sampling_scale;		/* records' counts were multiplied by the rate */
};

/* Conservation (sf_agg_conserve) with the input's own counts of received and dropped. */
bool sf_report_conserved(const struct sf_report_info *ri, const struct sf_collector_totals *t);

void sf_report_print(FILE *f, const struct sf_report_info *ri,
		const struct sf_collector_totals *t);

#endif /* SF_REPORT_H */
