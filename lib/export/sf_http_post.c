/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sf_http_post.h"

/*
 * What is kept of an answer before decoding: the head and the first part
 * of the body. The rest is read and dropped, so a long answer cannot grow
 * memory; the caller only needs a status, a number or an error text.
 */
#define RAW_MAX 16384

uint64_t
sf_http_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

size_t
sf_http_escape(char *dst, size_t n, size_t at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (at + 4 > n)
			return n;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				(ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.') {
			dst[at++] = (char)ch;
		} else {
			dst[at++] = '%';
			dst[at++] = hex[ch >> 4];
			dst[at++] = hex[ch & 15];
		}
	}
	dst[at] = '\0';
	return at;
}

/* Milliseconds left before the deadline for poll(); 0 when passed. */
static int
left_ms(uint64_t deadline_ns)
{
	uint64_t now = sf_http_now_ns();

	if (now >= deadline_ns)
		return 0;
	return (int)((deadline_ns - now + 999999) / 1000000 > 60000 ? 60000 :
			(deadline_ns - now + 999999) / 1000000);
}

/* Wait for fd to be ready for ev: 0, or -1 with the reason in r->err. */
static int
wait_fd(int fd, short ev, uint64_t deadline_ns, struct sf_http_resp *r, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int rc, ms;

	for (;;) {
		ms = left_ms(deadline_ns);
		if (ms == 0) {
			snprintf(r->err, sizeof(r->err), "timed out %s", what);
			return -1;
		}
		rc = poll(&pfd, 1, ms);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			snprintf(r->err, sizeof(r->err), "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* A connected non-blocking socket, or -1 with the reason in r->err. */
static int
connect_to(const struct sf_http_req *q, struct sf_http_resp *r)
{
	struct addrinfo hints, *ai = NULL, *a;
	char port[8];
	int fd = -1, rc, soerr;
	socklen_t sl;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", q->port);
	rc = getaddrinfo(q->host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(r->err, sizeof(r->err), "cannot resolve %s: %s", q->host,
				rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);
		if (fd < 0) {
			snprintf(r->err, sizeof(r->err), "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		soerr = errno;
		if (soerr == EINPROGRESS) {
			if (wait_fd(fd, POLLOUT, q->deadline_ns, r, "connecting") < 0) {
				close(fd);
				fd = -1;
				continue;
			}
			soerr = 0;
			sl = sizeof(soerr);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			if (soerr == 0)
				break;
		}
		snprintf(r->err, sizeof(r->err), "connect: %s", strerror(soerr));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int
send_all(int fd, const char *p, size_t n, uint64_t deadline_ns, struct sf_http_resp *r)
{
	ssize_t k;

	while (n > 0) {
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			r->sent = true;
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline_ns, r, "sending") < 0)
				return -1;
			continue;
		}
		snprintf(r->err, sizeof(r->err), "send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* A header's value in the head (lines after the status line), or NULL. */
static const char *
header(const char *head, const char *name)
{
	size_t nl = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p != NULL && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* Keep n bytes of body (what fits). */
static void
body_put(struct sf_http_resp *r, const char *p, size_t n)
{
	size_t room = sizeof(r->body) - 1 - r->body_len;

	if (n > room)
		n = room;
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
}

/*
 * Decode the body after the head: chunked or plain. 0 when it is complete
 * (the last chunk, Content-Length bytes, or the end of the connection
 * without either); -1 when the answer was cut short. Only the kept part
 * of a very long body is checked.
 */
static int
decode_body(const char *head, const char *b, size_t n, bool truncated, struct sf_http_resp *r)
{
	const char *te = header(head, "Transfer-Encoding");
	const char *cl = header(head, "Content-Length");
	const char *end = b + n;
	unsigned long long len;
	char *e;

	if (te != NULL && strncasecmp(te, "chunked", 7) == 0) {
		while (b < end) {
			len = strtoull(b, &e, 16);
			if (e == b)
				return -1;
			b = memchr(b, '\n', (size_t)(end - b));
			if (b == NULL)
				return truncated ? 0 : -1;
			b++;
			if (len == 0)
				return 0;
			if (len > (unsigned long long)(end - b)) {
				body_put(r, b, (size_t)(end - b));
				return truncated ? 0 : -1;
			}
			body_put(r, b, (size_t)len);
			b += len;
			if (end - b >= 2)
				b += 2;
		}
		return truncated ? 0 : -1;
	}
	body_put(r, b, n);
	if (cl != NULL && !truncated && strtoull(cl, NULL, 10) > n)
		return -1;
	return 0;
}

int
sf_http_post(const struct sf_http_req *q, struct sf_http_resp *r)
{
	char head[1024], *raw = NULL, *he, sink[4096];
	size_t got = 0;
	bool truncated = false;
	int fd, hl, ret = -1;
	ssize_t k;

	memset(r, 0, sizeof(*r));
	hl = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n%s\r\n", q->target,
			strchr(q->host, ':') ? "[" : "", q->host, strchr(q->host, ':') ? "]" : "",
			q->port, q->body_len, q->headers != NULL ? q->headers : "");
	if (hl < 0 || (size_t)hl >= sizeof(head)) {
		snprintf(r->err, sizeof(r->err), "request head too long");
		return -1;
	}
	fd = connect_to(q, r);
	if (fd < 0)
		return -1;
	if (send_all(fd, head, (size_t)hl, q->deadline_ns, r) < 0 ||
			send_all(fd, q->body, q->body_len, q->deadline_ns, r) < 0)
		goto out;
	raw = malloc(RAW_MAX + 1);
	if (raw == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		goto out;
	}
	/* Connection: close: the answer ends where the connection does. */
	for (;;) {
		if (got < RAW_MAX)
			k = recv(fd, raw + got, RAW_MAX - got, 0);
		else
			k = recv(fd, sink, sizeof(sink), 0);
		if (k > 0) {
			if (got < RAW_MAX)
				got += (size_t)k;
			else
				truncated = true;
			continue;
		}
		if (k == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(fd, POLLIN, q->deadline_ns, r, "waiting for the answer") < 0)
				goto out;
			continue;
		}
		snprintf(r->err, sizeof(r->err), "recv: %s", strerror(errno));
		goto out;
	}
	raw[got] = '\0';
	he = strstr(raw, "\r\n\r\n");
	if (strncmp(raw, "HTTP/1.", 7) != 0 || he == NULL || got < 12) {
		snprintf(r->err, sizeof(r->err), got == 0 ? "connection closed without an answer" :
				"malformed answer");
		goto out;
	}
	he[2] = '\0';	/* the head, its last line's CRLF kept for header() */
	if (decode_body(raw, he + 4, got - (size_t)(he + 4 - raw), truncated, r) < 0) {
		snprintf(r->err, sizeof(r->err), "answer cut short");
		goto out;
	}
	r->status = atoi(raw + 9);
	if (r->status < 100 || r->status > 599) {
		r->status = 0;
		snprintf(r->err, sizeof(r->err), "malformed status line");
		goto out;
	}
	ret = 0;
out:
	free(raw);
	close(fd);
	return ret;
}
