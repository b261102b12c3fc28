/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An HTTP/1.x request head (RFC 9112): the method of its request line,
 * and the first Host and User-Agent header fields, their values without
 * the surrounding spaces and tabs. The head ends at an empty line; a head
 * longer than the bytes given is MORE, so the caller waits for the rest
 * (up to its buffer: then what is complete is taken).
 */
#include <string.h>

#include "sf_app.h"

/* The methods a request line may start with (RFC 9110 section 9, and WebDAV's common ones). */
static bool
method_ok(const uint8_t *p, size_t n)
{
	static const char *const methods[] = {
		"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
		"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT",
		"M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",	/* SSDP, GENA over HTTPU */
	};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i]) == n && memcmp(methods[i], p, n) == 0)
			return true;
	return false;
}

bool
sf_http_looks_like(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < SF_FLOW_APP_METHOD; i++)
		if (p[i] == ' ')
			return method_ok(p, i);
	return false;
}

static inline uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool
name_is(const uint8_t *p, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(p[i]) != (uint8_t)name[i])
			return false;
	return true;
}

static void
value(const uint8_t *p, size_t n, char *out, size_t cap, struct sf_flow_app *app)
{
	while (n > 0 && (p[0] == ' ' || p[0] == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (!sf_app_text(out, cap, p, n))
		app->flags |= SF_FLOW_APP_CUT;
}

enum sf_app_status
sf_http_request(const uint8_t *p, size_t n, struct sf_flow_app *out)
{
	const uint8_t *eol, *sp;
	bool host = false, ua = false;
	size_t off;

	sp = memchr(p, ' ', n < SF_FLOW_APP_METHOD ? n : SF_FLOW_APP_METHOD);
	if (sp == NULL || !method_ok(p, (size_t)(sp - p)))
		return n < SF_FLOW_APP_METHOD && sp == NULL ? SF_APP_MORE : SF_APP_BAD;
	eol = memchr(p, '\n', n);
	if (eol == NULL)
		return SF_APP_MORE;
	/* the request line must say HTTP/1.x */
	if (eol - p < 10 || memcmp(eol - (eol[-1] == '\r' ? 9 : 8), "HTTP/1.", 7) != 0)
		return SF_APP_BAD;
	out->kind = SF_APP_HTTP;
	out->name[0] = '\0';
	out->ua[0] = '\0';
	sf_app_text(out->method, sizeof(out->method), p, (size_t)(sp - p));
	off = (size_t)(eol - p) + 1;
	while (off < n) {
		const uint8_t *line = p + off, *colon;
		size_t len;

		eol = memchr(line, '\n', n - off);
		if (eol == NULL)
			return SF_APP_MORE;
		len = (size_t)(eol - line);
		off += len + 1;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			return SF_APP_DONE;		/* the end of the head */
		colon = memchr(line, ':', len);
		if (colon == NULL)
			continue;
		if (!host && name_is(line, (size_t)(colon - line), "host")) {
			value(colon + 1, (size_t)(eol - colon - 1), out->name, sizeof(out->name), out);
			host = true;
		} else if (!ua && name_is(line, (size_t)(colon - line), "user-agent")) {
			value(colon + 1, (size_t)(eol - colon - 1), out->ua, sizeof(out->ua), out);
			ua = true;
		}
	}
	return SF_APP_MORE;
}
