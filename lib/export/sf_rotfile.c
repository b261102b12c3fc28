/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rotating output files that a reader never sees half-written: each file
 * goes to "NAME.tmp" and is renamed to NAME when complete (rotation or
 * close). NAME is the configured path with a sequence number before its
 * extension: flows.jsonl -> flows.000000.jsonl, ... Without rotation the
 * one file is written in place, as it always was (it can be followed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sf_export.h"

#define ROTFILE_BUF (1u << 20)

struct sf_rotfile {
	FILE *f;
	char *path;		/* as configured */
	char *header;		/* written at the start of every file, or NULL */
	struct sf_rotate rot;
	char name[4096];	/* final name of the current file */
	char tmp[4096];		/* name it is written under */
	uint64_t bytes;		/* in the current file */
	uint64_t opened_ns;	/* monotonic time the current file was opened */
	uint64_t seq;		/* sequence number of the current file */
	uint64_t files;		/* files completed (renamed) */
	int err;		/* first error (errno) */
	char *buf;		/* stdio buffer */
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

static int
open_current(struct sf_rotfile *rf)
{
	size_t hl;
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
	rf->f = fopen(rf->tmp, "w");
	if (rf->f == NULL)
		return -errno;
	if (rf->buf != NULL)
		setvbuf(rf->f, rf->buf, _IOFBF, ROTFILE_BUF);
	rf->bytes = 0;
	rf->opened_ns = mono_ns();
	if (rf->header != NULL) {
		hl = strlen(rf->header);
		if (fwrite(rf->header, 1, hl, rf->f) != hl)
			return errno ? -errno : -EIO;
		rf->bytes = hl;
	}
	return 0;
}

/* Complete the current file: flush, close, rename into place. */
static int
finish_current(struct sf_rotfile *rf)
{
	int ret = 0;

	if (rf->f == NULL || rf->f == stdout)
		return 0;
	if (fflush(rf->f) != 0)
		ret = errno ? -errno : -EIO;
	if (fclose(rf->f) != 0 && ret == 0)
		ret = errno ? -errno : -EIO;
	rf->f = NULL;
	if (ret == 0 && rotating(rf) && rename(rf->tmp, rf->name) != 0)
		ret = -errno;
	if (ret != 0 && rotating(rf))
		remove(rf->tmp);
	else if (ret == 0)
		rf->files++;
	return ret;
}

static void
set_err(struct sf_rotfile *rf, int neg_errno)
{
	if (rf->err == 0 && neg_errno != 0)
		rf->err = -neg_errno;
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
	if (rot != NULL)
		rf->rot = *rot;
	rf->path = strdup(path);
	rf->header = header != NULL ? strdup(header) : NULL;
	if (rf->path == NULL || (header != NULL && rf->header == NULL)) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		rf->f = stdout;
		rf->rot.bytes = rf->rot.ns = 0;
		if (rf->header != NULL)
			fputs(rf->header, stdout);
		return rf;
	}
	rf->buf = malloc(ROTFILE_BUF);
	ret = open_current(rf);
	if (ret != 0) {
		snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(-ret));
		if (rf->f != NULL) {
			fclose(rf->f);
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

void
sf_rotfile_write(struct sf_rotfile *rf, const char *s, size_t n)
{
	int ret;

	if (rf->f != NULL && rf->f != stdout && rotating(rf) &&
			rf->bytes > (rf->header != NULL ? strlen(rf->header) : 0) &&
			((rf->rot.bytes != 0 && rf->bytes + n > rf->rot.bytes) ||
			 (rf->rot.ns != 0 && mono_ns() - rf->opened_ns >= rf->rot.ns))) {
		set_err(rf, finish_current(rf));
		rf->seq++;
		ret = open_current(rf);
		if (ret != 0) {
			set_err(rf, ret);
			if (rf->f != NULL) {
				fclose(rf->f);
				remove(rf->tmp);
				rf->f = NULL;
			}
		}
	}
	if (rf->f == NULL) {
		set_err(rf, -EIO);
		return;
	}
	if (fwrite(s, 1, n, rf->f) != n)
		set_err(rf, errno ? -errno : -EIO);
	rf->bytes += n;
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
	if (rf->f == stdout) {
		if (fflush(stdout) != 0)
			set_err(rf, errno ? -errno : -EIO);
	} else {
		set_err(rf, finish_current(rf));
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
