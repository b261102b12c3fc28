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

/* The dashboard page, embedded at build time from dashboard.html. */
extern const unsigned char sf_dashboard_html[];
extern const size_t sf_dashboard_html_len;

#endif /* SF_HTTP_PRIV_H */
