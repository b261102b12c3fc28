/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside lib/http: what the request handlers need of the server. */
#ifndef SF_HTTP_PRIV_H
#define SF_HTTP_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "sf_http.h"

const struct sf_http_params *sf_http_params_of(const struct sf_http *h);

/* The MHD request handler (sf_http_api.c). */
enum MHD_Result sf_http_handler(void *cls, struct MHD_Connection *conn, const char *url,
		const char *method, const char *version, const char *upload_data,
		size_t *upload_data_size, void **con_cls);

struct sf_text;
struct sf_snap;
struct sf_config;

/*
 * /api/v1/live (sf_http_live.c): the live view of snapshot s narrowed by
 * the request's query. 0, or an HTTP status with a message in msg.
 */
int sf_http_live(struct sf_text *b, const struct sf_snap *s, const struct sf_config *cfg,
		struct MHD_Connection *conn, char *msg, size_t msglen);

/* The dashboard page, embedded at build time from dashboard.html. */
extern const unsigned char sf_dashboard_html[];
extern const size_t sf_dashboard_html_len;

#endif /* SF_HTTP_PRIV_H */
