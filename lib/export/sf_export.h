/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writers of flow records and interval summaries. Each writer is a
 * collector sink (sf_collector.h); write errors are counted, never fatal
 * on the data path, and reported by close.
 */
#ifndef SF_EXPORT_H
#define SF_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sf_collector.h"
#include "sf_flow.h"
#include "sf_msg.h"

struct sf_jsonl;

/*
 * Open a JSON-lines writer on `path` ("-" is stdout). interval_ns is used
 * by interval summaries. NULL with a message in err on failure.
 */
struct sf_jsonl *sf_jsonl_open(const char *path, uint64_t interval_ns,
		char *err, size_t errlen);

/* Flush and close; 0, or -errno of the first write error (message in err). */
int sf_jsonl_close(struct sf_jsonl *j, char *err, size_t errlen);

/* Sink callbacks: arg is the struct sf_jsonl. */
void sf_jsonl_write_record(void *arg, const struct sf_flow_record *r);
void sf_jsonl_write_interval(void *arg, const struct sf_interval_agg *a);

/* Format one record as a JSON object (no newline); returns its length. */
size_t sf_jsonl_format_record(char *buf, size_t len, const struct sf_flow_record *r);

#endif /* SF_EXPORT_H */
