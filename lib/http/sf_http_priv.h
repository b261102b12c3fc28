/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside lib/http: the snapshot layout shared by the publisher and the handlers. */
#ifndef SF_HTTP_PRIV_H
#define SF_HTTP_PRIV_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "sf_http.h"

enum sf_http_by {
	SF_HTTP_BY_BYTES = 0,
	SF_HTTP_BY_PACKETS,
	SF_HTTP_BY_MAX
};

/* One finalized interval, shared by every snapshot that shows it. */
struct sf_snap_iv {
	atomic_uint ref;
	uint64_t final_wall_ns;		/* when the collector finalized it */
	struct sf_interval_agg agg;
};

/* Traffic to one responder port over the run (flow records). */
struct sf_snap_port {
	uint8_t proto;
	uint16_t port;
	uint64_t packets;
	uint64_t bytes;
	uint64_t flows;
};

/* Immutable once published. */
struct sf_snap {
	atomic_uint ref;
	uint64_t seq;
	uint64_t wall_ns;		/* published at (Unix ns) */
	uint64_t uptime_ns;
	uint64_t lag_ns;		/* live: newest interval end -> finalized */
	uint64_t intervals;		/* finalized intervals with content */
	struct sf_collector_totals tot;
	struct sf_http_state st;
	unsigned int ntop[SF_HTTP_BY_MAX];
	struct sf_flow_record top[SF_HTTP_BY_MAX][SF_TOPK];	/* records over the run */
	unsigned int nports;
	struct sf_snap_port ports[SF_TOPK];
	unsigned int n_iv;
	struct sf_snap_iv *iv[];	/* oldest first */
};

/* Reader side: a reference to the newest snapshot (NULL before the first). */
struct sf_snap *sf_snap_get(struct sf_http *h);
void sf_snap_put(struct sf_snap *s);

const struct sf_http_params *sf_http_params_of(const struct sf_http *h);

/* The MHD request handler (sf_http_api.c). */
enum MHD_Result sf_http_handler(void *cls, struct MHD_Connection *conn, const char *url,
		const char *method, const char *version, const char *upload_data,
		size_t *upload_data_size, void **con_cls);

/* The dashboard page, embedded at build time from dashboard.html. */
extern const unsigned char sf_dashboard_html[];
extern const size_t sf_dashboard_html_len;

#endif /* SF_HTTP_PRIV_H */
