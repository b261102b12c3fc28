/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rotating output files that a reader never sees half-written: each file
 * goes to "NAME.tmp" and is renamed to NAME when complete (rotation or
 * close). NAME is the configured path with a sequence number before its
 * extension: flows.jsonl -> flows.000000.jsonl, ... Without rotation the
 * one file is written in place, as it always was (it can be followed).
 *
 * Files are written through a buffer of our own with write(2): a line is
 * formatted straight into it (sf_rotfile_reserve/commit), with no stdio
 * call, lock or copy per line. Standard output ("-") stays with stdio,
 * which several writers may share (flows and intervals both on "-") and
 * whose lines must not interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sf_export.h"

#define ROTFILE_BUF (1u << 20)
_Static_assert(SF_ROTFILE_UNIT_MAX <= ROTFILE_BUF / 2, "a unit and a header fit the buffer");

struct sf_rotfile {
	int fd;			/* current file, -1 if none */
	bool to_stdout;		/* "-": stdio's stdout, no rotation */
	char *buf;		/* bytes not yet written, then the reserved unit */
	size_t fill;		/* bytes not yet written */
	char *path;		/* as configured */
	char *header;		/* written at the start of every file, or NULL */
	size_t header_len;
	struct sf_rotate rot;
	char name[4096];	/* final name of the current file */
	char tmp[4096];		/* name it is written under */
	uint64_t bytes;		/* in the current file, buffered ones included */
	uint64_t opened_ns;	/* monotonic time the current file was opened */
	uint64_t seq;		/* sequence number of the current file */
	uint64_t files;		/* files completed (renamed) */
	int err;		/* first error (errno) */
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool
rotating(const struct sf_rotfile *rf)
{
	return rf->rot.bytes != 0 || rf->rot.ns != 0;
}

static void
set_err(struct sf_rotfile *rf, int neg_errno)
{
	if (rf->err == 0 && neg_errno != 0)
		rf->err = -neg_errno;
}

/* 0 or -errno. */
static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, s, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		s += (size_t)k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Write the buffered bytes out; `unit` bytes after them (reserved) move to
 * the front. 0 or -errno.
 */
static int
drain(struct sf_rotfile *rf, size_t unit)
{
	int ret = 0;

	if (rf->fill == 0)
		return 0;
	if (rf->fd >= 0)
		ret = write_all(rf->fd, rf->buf, rf->fill);
	memmove(rf->buf, rf->buf + rf->fill, unit);
	rf->fill = 0;
	return ret;
}

/* Name of file number seq: "dir/flows.jsonl" -> "dir/flows.000003.jsonl". */
static int
seq_name(const struct sf_rotfile *rf, uint64_t seq, char *buf, size_t len)
{
	const char *base = strrchr(rf->path, '/');
	const char *dot;
	int n;

	base = base != NULL ? base + 1 : rf->path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		n = snprintf(buf, len, "%s.%06" PRIu64, rf->path, seq);
	else
		n = snprintf(buf, len, "%.*s.%06" PRIu64 "%s", (int)(dot - rf->path), rf->path,
				seq, dot);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Open the next file, its header in the buffer (which holds nothing else to write). */
static int
open_current(struct sf_rotfile *rf)
{
	int n;

	if (rotating(rf)) {
		if (seq_name(rf, rf->seq, rf->name, sizeof(rf->name)) != 0)
			return -ENAMETOOLONG;
	} else {
		n = snprintf(rf->name, sizeof(rf->name), "%s", rf->path);
		if (n < 0 || (size_t)n >= sizeof(rf->name))
			return -ENAMETOOLONG;
	}
	/* Without rotation the one file is written in place (tail -f works). */
	n = snprintf(rf->tmp, sizeof(rf->tmp), rotating(rf) ? "%s.tmp" : "%s", rf->name);
	if (n < 0 || (size_t)n >= sizeof(rf->tmp))
		return -ENAMETOOLONG;
	rf->fd = open(rf->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (rf->fd < 0)
		return -errno;
	rf->opened_ns = mono_ns();
	if (rf->header_len != 0)
		memcpy(rf->buf, rf->header, rf->header_len);
	rf->fill = rf->bytes = rf->header_len;
	return 0;
}

/*
 * Complete the current file: write it out, close it, rename it into
 * place. `unit` reserved bytes after the buffered ones are kept, moved to
 * the front of the buffer.
 */
static int
finish_current(struct sf_rotfile *rf, size_t unit)
{
	int ret;

	if (rf->fd < 0)
		return 0;
	ret = drain(rf, unit);
	if (close(rf->fd) != 0 && ret == 0)
		ret = -errno;
	rf->fd = -1;
	if (ret == 0 && rotating(rf) && rename(rf->tmp, rf->name) != 0)
		ret = -errno;
	if (ret != 0 && rotating(rf))
		remove(rf->tmp);
	else if (ret == 0)
		rf->files++;
	return ret;
}

/* A new file before a unit of n bytes: one past the size limit, or the time is up. */
static bool
rotate_due(const struct sf_rotfile *rf, size_t n)
{
	return rotating(rf) && rf->fd >= 0 && rf->bytes > rf->header_len &&
		((rf->rot.bytes != 0 && rf->bytes + n > rf->rot.bytes) ||
		 (rf->rot.ns != 0 && mono_ns() - rf->opened_ns >= rf->rot.ns));
}

/*
 * Complete the current file and open the next one; a reserved unit of
 * `unit` bytes moves along, after the new file's header. 0, or -errno of
 * the first error (also kept in rf->err).
 */
static int
rotate(struct sf_rotfile *rf, size_t unit)
{
	int fin, ret;

	fin = finish_current(rf, unit);
	set_err(rf, fin);
	rf->seq++;
	memmove(rf->buf + rf->header_len, rf->buf, unit);
	ret = open_current(rf);
	if (ret != 0) {
		set_err(rf, ret);
		if (rf->fd >= 0) {
			close(rf->fd);
			remove(rf->tmp);
			rf->fd = -1;
		}
		rf->fill = 0;
	}
	return fin != 0 ? fin : ret;
}

/*
 * The one file of a writer without rotation, opened again at its path for
 * appending: logrotate moved the old one away, or (a SIGHUP without a
 * rotation, copytruncate) it is still there and must not be truncated. A
 * new or empty file starts with the header.
 */
static int
open_append(struct sf_rotfile *rf)
{
	struct stat st;
	int ret;

	rf->fd = open(rf->tmp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (rf->fd < 0)
		return -errno;
	if (fstat(rf->fd, &st) != 0) {
		ret = -errno;
		close(rf->fd);
		rf->fd = -1;
		return ret;
	}
	rf->opened_ns = mono_ns();
	rf->fill = 0;
	rf->bytes = (uint64_t)st.st_size;
	if (st.st_size == 0 && rf->header_len != 0) {
		memcpy(rf->buf, rf->header, rf->header_len);
		rf->fill = rf->bytes = rf->header_len;
	}
	return 0;
}

struct sf_rotfile *
sf_rotfile_open(const char *path, const char *header, const struct sf_rotate *rot,
		char *err, size_t errlen)
{
	struct sf_rotfile *rf = calloc(1, sizeof(*rf));
	int ret;

	if (rf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	rf->fd = -1;
	if (rot != NULL)
		rf->rot = *rot;
	rf->path = strdup(path);
	rf->header = header != NULL ? strdup(header) : NULL;
	rf->header_len = header != NULL ? strlen(header) : 0;
	rf->buf = malloc(ROTFILE_BUF);
	if (rf->path == NULL || (header != NULL && rf->header == NULL) || rf->buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (rf->header_len > ROTFILE_BUF - SF_ROTFILE_UNIT_MAX) {
		snprintf(err, errlen, "%s: header longer than %u bytes", path,
				ROTFILE_BUF - SF_ROTFILE_UNIT_MAX);
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		rf->to_stdout = true;
		rf->rot.bytes = rf->rot.ns = 0;
		if (rf->header != NULL)
			fputs(rf->header, stdout);
		return rf;
	}
	ret = open_current(rf);
	if (ret != 0) {
		snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(-ret));
		if (rf->fd >= 0) {
			close(rf->fd);
			if (rotating(rf))
				remove(rf->tmp);
		}
		goto fail;
	}
	return rf;
fail:
	free(rf->buf);
	free(rf->header);
	free(rf->path);
	free(rf);
	return NULL;
}

char *
sf_rotfile_reserve(struct sf_rotfile *rf, size_t max)
{
	if (rf->to_stdout)
		return rf->buf;
	if (rf->fill + max > ROTFILE_BUF)
		set_err(rf, drain(rf, 0));
	return rf->buf + rf->fill;
}

void
sf_rotfile_commit(struct sf_rotfile *rf, size_t n)
{
	if (rf->to_stdout) {
		if (fwrite(rf->buf, 1, n, stdout) != n)
			set_err(rf, errno ? -errno : -EIO);
		return;
	}
	/* The unit is at rf->buf + rf->fill; a rotation keeps it there. */
	if (rotate_due(rf, n))
		rotate(rf, n);
	if (rf->fd < 0) {
		set_err(rf, -EIO);
		return;
	}
	rf->fill += n;
	rf->bytes += n;
}

void
sf_rotfile_write(struct sf_rotfile *rf, const char *s, size_t n)
{
	if (n <= SF_ROTFILE_UNIT_MAX) {
		memcpy(sf_rotfile_reserve(rf, n), s, n);
		sf_rotfile_commit(rf, n);
		return;
	}
	/* Longer than a unit may be: straight to the file, after what is buffered. */
	if (rf->to_stdout) {
		if (fwrite(s, 1, n, stdout) != n)
			set_err(rf, errno ? -errno : -EIO);
		return;
	}
	if (rotate_due(rf, n))
		rotate(rf, 0);
	if (rf->fd < 0) {
		set_err(rf, -EIO);
		return;
	}
	set_err(rf, drain(rf, 0));
	set_err(rf, write_all(rf->fd, s, n));
	rf->bytes += n;
}

int
sf_rotfile_reopen(struct sf_rotfile *rf, char *err, size_t errlen)
{
	int ret, again;

	if (rf->to_stdout)
		return 1;
	if (rotating(rf)) {
		/* A file with nothing but its header yet stays the current one. */
		if (rf->fd >= 0 && rf->bytes <= rf->header_len)
			return 0;
		ret = rotate(rf, 0);
	} else {
		/* The old file's write error is kept; the new file is tried anyway. */
		ret = finish_current(rf, 0);
		set_err(rf, ret);
		again = open_append(rf);
		set_err(rf, again);
		if (ret == 0)
			ret = again;
	}
	if (ret != 0)
		snprintf(err, errlen, "%s: cannot reopen: %s", rf->path, strerror(-ret));
	return ret;
}

uint64_t
sf_rotfile_files(const struct sf_rotfile *rf)
{
	return rf->files;
}

int
sf_rotfile_close(struct sf_rotfile *rf, char *err, size_t errlen)
{
	int ret;

	if (rf == NULL)
		return 0;
	if (rf->to_stdout) {
		if (fflush(stdout) != 0)
			set_err(rf, errno ? -errno : -EIO);
	} else {
		set_err(rf, finish_current(rf, 0));
	}
	ret = -rf->err;
	if (ret != 0)
		snprintf(err, errlen, "%s: write failed: %s", rf->path, strerror(rf->err));
	free(rf->buf);
	free(rf->header);
	free(rf->path);
	free(rf);
	return ret;
}
