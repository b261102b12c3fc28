/* SPDX-License-Identifier: BSD-3-Clause */
/* Where IPFIX messages go: UDP, TCP with reconnection, files (sf_ipfix_dest.h). */
#include <errno.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sf_common.h"
#include "sf_ipfix_dest.h"

#define BACKOFF_MIN_NS (100 * 1000 * 1000ull)
#define BACKOFF_MAX_NS (5 * 1000 * 1000 * 1000ull)
#define CONNECT_TIMEOUT_NS (5 * 1000 * 1000 * 1000ull)
/* Every template of a session: the builder's worst case, several messages. */
#define TEMPLATES_CAP (4 * 65536)
#define IPFIX_HDR 16	/* message header: the sequence number at offset 8 */

enum tcp_state {
	TCP_DOWN,
	TCP_CONNECTING,
	TCP_UP,
};

/* A message in the TCP buffer: this header, then its bytes padded to 8. */
struct entry {
	uint32_t len;
	uint32_t records;	/* data records: the session's sequence numbers */
	uint32_t flows;		/* flow records: what a loss counts */
	uint32_t pad;
	uint64_t end;		/* session bytes written once its last byte was */
};

struct sf_ipfix_dest {
	enum sf_ipfix_dest_kind kind;
	int fd;
	FILE *f;
	char name[SF_HOSTPORT_TEXT + PATH_MAX];
	struct sf_ipfix_dest_stats st;

	/* TCP */
	struct sockaddr_storage ss;
	socklen_t sl;
	enum tcp_state state;
	uint64_t next_try_ns, backoff_ns, connect_ns;
	bool warned;		/* "not reachable" said once until it connects */
	uint8_t *buf;		/* entries: [head, cur) written, [cur, tail) not yet */
	size_t cap, head, cur, tail;
	size_t pos;		/* bytes of the entry at cur written */
	sf_ipfix_templates_fn templates;	/* TCP sessions and reopened files */
	void *templates_arg;
	uint8_t *tpl;		/* the session's templates, written first */
	size_t tpl_len, tpl_off;
	uint32_t sess_seq;	/* data records sent in the session (TCP) or the file */
	uint64_t sess_bytes;	/* bytes written in the session */
	int file_err;		/* file: the first reopen that failed, reported by close */
};

static size_t
entry_size(size_t len)
{
	return sizeof(struct entry) + ((len + 7) & ~(size_t)7);
}

static struct entry *
entry_at(const struct sf_ipfix_dest *d, size_t off)
{
	return (struct entry *)(void *)(d->buf + off);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
tcp_close_fd(struct sf_ipfix_dest *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* The connection failed or dropped: what was not confirmed goes again on the next one. */
static void tcp_confirm(struct sf_ipfix_dest *d);

static void
tcp_down(struct sf_ipfix_dest *d, int err, uint64_t now)
{
	bool was_up = d->state == TCP_UP;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (was_up) {
		/*
		 * What the collector acknowledged before the end is still known
		 * (the socket keeps its sequence numbers); the rest goes again,
		 * so the old connection must not deliver it too: an abortive close.
		 */
		tcp_confirm(d);
		(void)setsockopt(d->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	tcp_close_fd(d);
	d->state = TCP_DOWN;
	d->st.last_error = err;
	d->next_try_ns = now + d->backoff_ns;
	d->backoff_ns = d->backoff_ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : d->backoff_ns * 2;
	d->cur = d->head;
	d->pos = 0;
	d->tpl_len = d->tpl_off = 0;
	if (was_up)
		fprintf(stderr, "spanflow: ipfix: TCP collector %s: connection lost (%s); "
				"%" PRIu64 " records wait, reconnecting\n", d->name, strerror(err),
				d->st.queued);
	else if (!d->warned)
		fprintf(stderr, "spanflow: ipfix: TCP collector %s: not reachable (%s); "
				"records wait (up to export.ipfix_buffer) and the exporter keeps "
				"trying\n", d->name, strerror(err));
	d->warned = true;
}

/* A new transport session: every template first, then what was not confirmed. */
static void
tcp_session(struct sf_ipfix_dest *d)
{
	uint32_t records = 0;

	d->state = TCP_UP;
	d->backoff_ns = BACKOFF_MIN_NS;
	d->sess_seq = 0;
	d->sess_bytes = 0;
	d->tpl_off = 0;
	d->tpl_len = d->templates(d->templates_arg, d->tpl, TEMPLATES_CAP, 0, &records);
	d->sess_seq = records;
	if (d->st.sessions++ != 0) {
		d->st.reconnects++;
		fprintf(stderr, "spanflow: ipfix: TCP collector %s: connected again; sending the "
				"templates and %" PRIu64 " waiting records\n", d->name, d->st.queued);
	} else if (d->warned) {
		fprintf(stderr, "spanflow: ipfix: TCP collector %s: connected\n", d->name);
	}
	d->warned = false;
}

static void
tcp_connect(struct sf_ipfix_dest *d, uint64_t now)
{
	int one = 1;

	d->fd = socket(d->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		tcp_down(d, errno, now);
		return;
	}
	(void)setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(d->fd, (struct sockaddr *)&d->ss, d->sl) == 0) {
		tcp_session(d);
		return;
	}
	if (errno != EINPROGRESS) {
		tcp_down(d, errno, now);
		return;
	}
	d->state = TCP_CONNECTING;
	d->connect_ns = now;
}

/* Write what the socket takes; false when the connection dropped. */
static bool
tcp_write(struct sf_ipfix_dest *d, uint64_t now)
{
	ssize_t n;

	while (d->tpl_off < d->tpl_len) {
		n = send(d->fd, d->tpl + d->tpl_off, d->tpl_len - d->tpl_off,
				MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			goto failed;
		d->tpl_off += (size_t)n;
		d->sess_bytes += (uint64_t)n;
	}
	while (d->cur != d->tail) {
		struct entry *e = entry_at(d, d->cur);
		uint8_t *msg = (uint8_t *)(e + 1);

		if (d->pos == 0)
			put_be32(msg + 8, d->sess_seq);	/* sequence number in this session */
		n = send(d->fd, msg + d->pos, e->len - d->pos, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			goto failed;
		d->pos += (size_t)n;
		d->sess_bytes += (uint64_t)n;
		if (d->pos == e->len) {
			e->end = d->sess_bytes;
			d->sess_seq += e->records;
			d->cur += entry_size(e->len);
			d->pos = 0;
		}
	}
	return true;
failed:
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return true;
	tcp_down(d, errno, now);
	return false;
}

/* Messages the collector's TCP acknowledged leave the buffer. */
static void
tcp_confirm(struct sf_ipfix_dest *d)
{
	int unsent = 0;
	uint64_t acked;

	if (ioctl(d->fd, SIOCOUTQ, &unsent) != 0 || unsent < 0)
		return;
	acked = d->sess_bytes - (uint64_t)unsent;
	while (d->head != d->cur) {
		struct entry *e = entry_at(d, d->head);

		if (e->end > acked)
			break;
		d->st.queued -= e->flows;
		d->head += entry_size(e->len);
	}
	if (d->head == d->tail)
		d->head = d->cur = d->tail = 0;
}

/* A collector that closed its end (or reset it) is down even with nothing to send. */
static bool
tcp_alive(struct sf_ipfix_dest *d, uint64_t now)
{
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN | POLLRDHUP };
	uint8_t junk[512];
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return true;
	if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP)) {
		int err = 0;
		socklen_t el = sizeof(err);

		(void)getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		tcp_down(d, err != 0 ? err : ECONNRESET, now);
		return false;
	}
	/* A collector has nothing to say on this session: read it and forget it. */
	n = recv(d->fd, junk, sizeof(junk), MSG_DONTWAIT);
	if (n == 0) {
		tcp_down(d, ECONNRESET, now);
		return false;
	}
	return true;
}

static void
tcp_tick(struct sf_ipfix_dest *d, uint64_t now)
{
	if (d->state == TCP_DOWN && now >= d->next_try_ns)
		tcp_connect(d, now);
	if (d->state == TCP_CONNECTING) {
		struct pollfd pfd = { .fd = d->fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof(err);

		if (poll(&pfd, 1, 0) > 0) {
			(void)getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err != 0)
				tcp_down(d, err, now);
			else
				tcp_session(d);
		} else if (now - d->connect_ns > CONNECT_TIMEOUT_NS) {
			tcp_down(d, ETIMEDOUT, now);
		}
	}
	if (d->state != TCP_UP || !tcp_alive(d, now))
		return;
	if (tcp_write(d, now))
		tcp_confirm(d);
}

static void
tcp_enqueue(struct sf_ipfix_dest *d, const uint8_t *msg, size_t len, uint32_t records,
		uint32_t flows)
{
	size_t need = entry_size(len);
	struct entry *e;

	if (d->tail + need > d->cap && d->head != 0) {
		/* Move what waits to the front: rare, and at most the buffer once. */
		memmove(d->buf, d->buf + d->head, d->tail - d->head);
		d->cur -= d->head;
		d->tail -= d->head;
		d->head = 0;
	}
	if (d->tail + need > d->cap) {
		d->st.messages_lost++;
		d->st.records_lost += flows;
		d->st.last_error = ENOBUFS;
		return;
	}
	e = entry_at(d, d->tail);
	e->len = (uint32_t)len;
	e->records = records;
	e->flows = flows;
	e->end = UINT64_MAX;
	memcpy(e + 1, msg, len);
	d->tail += need;
	d->st.queued += flows;
}

struct sf_ipfix_dest *
sf_ipfix_dest_open(enum sf_ipfix_dest_kind kind, const struct sf_hostport *hp, const char *path,
		size_t buffer, sf_ipfix_templates_fn templates, void *templates_arg,
		uint32_t *overhead, char *err, size_t errlen)
{
	struct sf_ipfix_dest *d = calloc(1, sizeof(*d));
	int sndbuf = 1 << 20;

	if (d == NULL) {
		snprintf(err, errlen, "ipfix: out of memory");
		return NULL;
	}
	d->kind = kind;
	d->fd = -1;
	d->templates = templates;
	d->templates_arg = templates_arg;
	if (kind == SF_IPFIX_DEST_FILE) {
		snprintf(d->name, sizeof(d->name), "%s", path);
		d->f = fopen(path, "wb");
		if (d->f == NULL) {
			snprintf(err, errlen, "ipfix file '%s': %s", path, strerror(errno));
			free(d);
			return NULL;
		}
		return d;
	}
	snprintf(d->name, sizeof(d->name), "%s", hp->text);
	d->sl = sf_hostport_sockaddr(hp, &d->ss);
	if (d->sl == 0) {
		snprintf(err, errlen, "ipfix destination '%s': no address", d->name);
		free(d);
		return NULL;
	}
	if (kind == SF_IPFIX_DEST_UDP) {
		d->fd = socket(d->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (d->fd < 0 || connect(d->fd, (struct sockaddr *)&d->ss, d->sl) != 0) {
			snprintf(err, errlen, "ipfix destination '%s': %s", d->name,
					strerror(errno));
			tcp_close_fd(d);
			free(d);
			return NULL;
		}
		/* Room for bursts: a full buffer loses messages, it never blocks. */
		(void)setsockopt(d->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		if (d->ss.ss_family == AF_INET6 && *overhead < 48)
			*overhead = 48;
		return d;
	}
	d->cap = buffer;
	d->buf = malloc(buffer);
	d->tpl = malloc(TEMPLATES_CAP);
	if (d->buf == NULL || d->tpl == NULL) {
		snprintf(err, errlen, "ipfix: out of memory for a %zu-byte TCP buffer", buffer);
		free(d->buf);
		free(d->tpl);
		free(d);
		return NULL;
	}
	d->backoff_ns = BACKOFF_MIN_NS;
	d->state = TCP_DOWN;	/* connected on the first tick: the builder is not ready yet */
	return d;
}

/*
 * A file is a transport session of its own: its sequence numbers count
 * the data records written to it, so a file reopened (SIGHUP) starts at 0
 * and decodes on its own, as a new TCP session does. The builder's
 * message is shared with the other destinations: the header goes out
 * with this file's number, the rest as it is.
 */
static void
file_write(struct sf_ipfix_dest *d, const uint8_t *msg, size_t len, uint32_t records,
		uint32_t flows)
{
	uint8_t hdr[IPFIX_HDR];

	if (d->f != NULL && len >= IPFIX_HDR) {
		memcpy(hdr, msg, IPFIX_HDR);
		put_be32(hdr + 8, d->sess_seq);
		errno = 0;
		len -= IPFIX_HDR;
		if (fwrite(hdr, 1, IPFIX_HDR, d->f) == IPFIX_HDR &&
				fwrite(msg + IPFIX_HDR, 1, len, d->f) == len)
			goto done;
	} else {
		errno = EBADF;	/* a reopen that failed: nothing is open */
	}
	d->st.messages_lost++;
	d->st.records_lost += flows;
	d->st.last_error = errno != 0 ? errno : EIO;
done:
	d->sess_seq += records;
}

void
sf_ipfix_dest_send(struct sf_ipfix_dest *d, const uint8_t *msg, size_t len, uint32_t records,
		uint32_t flows)
{
	switch (d->kind) {
	case SF_IPFIX_DEST_UDP:
		if (send(d->fd, msg, len, MSG_DONTWAIT) < 0) {
			d->st.messages_lost++;
			d->st.records_lost += flows;
			d->st.last_error = errno;
		}
		break;
	case SF_IPFIX_DEST_FILE:
		file_write(d, msg, len, records, flows);
		break;
	case SF_IPFIX_DEST_TCP:
		tcp_enqueue(d, msg, len, records, flows);
		if (d->state == TCP_UP && tcp_write(d, sf_clock_ns(CLOCK_MONOTONIC)))
			tcp_confirm(d);
		break;
	}
}

void
sf_ipfix_dest_tick(struct sf_ipfix_dest *d, uint64_t now_ns)
{
	if (d->kind == SF_IPFIX_DEST_TCP)
		tcp_tick(d, now_ns);
}

int
sf_ipfix_dest_reopen(struct sf_ipfix_dest *d)
{
	uint32_t records = 0;
	size_t len;
	int ret = 0;

	if (d->kind != SF_IPFIX_DEST_FILE)
		return 0;
	if (d->f != NULL && fclose(d->f) != 0)
		ret = -errno;
	/* Appending: a file still there (a SIGHUP without a rotation) keeps what it has. */
	d->f = fopen(d->name, "ab");
	if (d->f == NULL) {
		ret = -errno;
		goto out;
	}
	if (d->tpl == NULL)
		d->tpl = malloc(TEMPLATES_CAP);
	if (d->tpl == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	d->sess_seq = 0;
	len = d->templates(d->templates_arg, d->tpl, TEMPLATES_CAP, 0, &records);
	d->sess_seq = records;
	errno = 0;
	if (fwrite(d->tpl, 1, len, d->f) != len && ret == 0)
		ret = errno != 0 ? -errno : -EIO;
out:
	if (ret != 0) {
		d->st.last_error = -ret;
		if (d->file_err == 0)
			d->file_err = -ret;
	}
	return ret;
}

bool
sf_ipfix_dest_idle(const struct sf_ipfix_dest *d)
{
	return d->kind != SF_IPFIX_DEST_TCP || (d->head == d->tail && d->tpl_off == d->tpl_len);
}

int
sf_ipfix_dest_up(const struct sf_ipfix_dest *d)
{
	return d->kind != SF_IPFIX_DEST_TCP ? -1 : d->state == TCP_UP;
}

void
sf_ipfix_dest_stats(const struct sf_ipfix_dest *d, struct sf_ipfix_dest_stats *st)
{
	*st = d->st;
}

const char *
sf_ipfix_dest_name(const struct sf_ipfix_dest *d)
{
	return d->name;
}

enum sf_ipfix_dest_kind
sf_ipfix_dest_kind(const struct sf_ipfix_dest *d)
{
	return d->kind;
}

int
sf_ipfix_dest_close(struct sf_ipfix_dest *d)
{
	int ret = 0;

	if (d == NULL)
		return 0;
	if (d->kind == SF_IPFIX_DEST_TCP) {
		/* What the collector never confirmed is lost. */
		while (d->head != d->tail) {
			struct entry *e = entry_at(d, d->head);

			d->st.messages_lost++;
			d->st.records_lost += e->flows;
			d->st.queued -= e->flows;
			d->head += entry_size(e->len);
		}
	}
	if (d->f != NULL && fclose(d->f) != 0)
		ret = -errno;
	d->f = NULL;
	if (ret == 0 && d->file_err != 0)
		ret = -d->file_err;
	tcp_close_fd(d);
	free(d->buf);
	free(d->tpl);
	d->buf = d->tpl = NULL;
	return ret;
}

void
sf_ipfix_dest_free(struct sf_ipfix_dest *d)
{
	free(d);
}
