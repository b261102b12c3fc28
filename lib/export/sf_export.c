/* SPDX-License-Identifier: BSD-3-Clause */
/* The exporters, in the order the collector feeds them (sf_export.h). */
#include <stddef.h>

#include "sf_export.h"

/*
 * Outputs that may share stdout ("-") are written in this order for each
 * record and interval, as before the table existed: keep it.
 */
const struct sf_exporter_ops *const sf_exporters[] = {
	&sf_exporter_jsonl_flows,
	&sf_exporter_jsonl_intervals,
	&sf_exporter_csv,
	&sf_exporter_ipfix,
	&sf_exporter_clickhouse,
#ifdef SF_HAVE_RDKAFKA
	&sf_exporter_kafka,	/* without librdkafka, export.kafka is refused */
#endif
	NULL,
};
