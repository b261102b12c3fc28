/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <rte_log.h>

#include "sf_common.h"
#include "sf_http.h"
#include "sf_http_priv.h"

RTE_LOG_REGISTER(sf_logtype_http, user.spanflow.http, INFO);
#define HTTP_LOG(level, fmt, ...) SF_LOG_TYPE(sf_logtype_http, level, fmt, ## __VA_ARGS__)

struct sf_http {
	struct sf_http_params p;
	struct MHD_Daemon *mhd;
	uint16_t port;
};

/* Server */

static bool
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

struct sf_http *
sf_http_create(const struct sf_http_params *p, char *err, size_t errlen)
{
	struct sf_http *h;
	struct sockaddr_storage ss;
	socklen_t sl;
	const union MHD_DaemonInfo *di;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	/* http.listen was parsed with the configuration: a numeric address. */
	sl = sf_hostport_sockaddr(&p->cfg->http_listen, &ss);
	if (sl == 0) {
		snprintf(err, errlen, "http.listen: no address; expected ADDR:PORT");
		return NULL;
	}
	if (p->pub == NULL) {
		snprintf(err, errlen, "http: no snapshots to serve");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		goto nomem;
	h->p = *p;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * MHD's thread is a plain pthread: it never runs on an EAL lcore's
	 * loop. Slow or idle clients are cut after the timeout; the limits
	 * bound memory per connection.
	 */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, sf_http_handler, h,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)128,
			MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "http.listen: cannot listen on %s (address in use or not "
				"local?); choose another with --http ADDR:PORT or turn the server "
				"off with --no-http", p->cfg->http_listen.text);
		sf_http_free(h);
		return NULL;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di != NULL ? di->port : 0;
	if (!is_loopback(&ss) && p->cfg->http_token[0] == '\0')
		HTTP_LOG(WARNING, "warning: HTTP on %s without a token: anyone who reaches "
				"it can read the summaries (set http.token)",
				p->cfg->http_listen.text);
	return h;
nomem:
	sf_http_free(h);
	snprintf(err, errlen, "http: out of memory");
	return NULL;
}

void
sf_http_free(struct sf_http *h)
{
	if (h == NULL)
		return;
	if (h->mhd != NULL)
		MHD_stop_daemon(h->mhd);
	free(h);
}

uint16_t
sf_http_port(const struct sf_http *h)
{
	return h->port;
}

const struct sf_http_params *
sf_http_params_of(const struct sf_http *h)
{
	return &h->p;
}
