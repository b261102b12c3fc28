/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_text.h"

static bool
room(struct sf_text *t, size_t k)
{
	size_t ncap;
	char *np;

	if (t->oom)
		return false;
	if (t->n + k + 1 <= t->cap)
		return true;
	ncap = t->cap ? t->cap : 4096;
	while (ncap < t->n + k + 1)
		ncap *= 2;
	np = realloc(t->p, ncap);
	if (np == NULL) {
		t->oom = true;
		return false;
	}
	t->p = np;
	t->cap = ncap;
	return true;
}

void
sf_text_put(struct sf_text *t, const char *s, size_t k)
{
	if (!room(t, k))
		return;
	memcpy(t->p + t->n, s, k);
	t->n += k;
	t->p[t->n] = '\0';
}

void
sf_text_str(struct sf_text *t, const char *s)
{
	sf_text_put(t, s, strlen(s));
}

void
sf_text_u64(struct sf_text *t, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sf_text_put(t, tmp + i, sizeof(tmp) - i);
}

void
sf_text_printf(struct sf_text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k <= 0 || !room(t, (size_t)k))
		return;
	va_start(ap, fmt);
	vsnprintf(t->p + t->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	t->n += (size_t)k;
}

void
sf_text_reset(struct sf_text *t)
{
	t->n = 0;
	t->oom = false;
	if (t->p != NULL)
		t->p[0] = '\0';
}

void
sf_text_free(struct sf_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned int n, cp, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the terminator */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
			(cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

void
sf_text_json_str(struct sf_text *t, const char *s)
{
	sf_text_put(t, "\"", 1);
	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;
		size_t k = utf8_len((const unsigned char *)s);

		if (c == '"' || c == '\\')
			sf_text_printf(t, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sf_text_printf(t, "\\u%04x", c);
		else if (k == 0)
			sf_text_str(t, "\\ufffd");
		else
			sf_text_put(t, s, k);
		s += k ? k : 1;
	}
	sf_text_put(t, "\"", 1);
}

void
sf_text_json_addr(struct sf_text *t, uint8_t ipver, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, a, s, sizeof(s)) == NULL)
		snprintf(s, sizeof(s), "?");
	sf_text_json_str(t, s);
}
