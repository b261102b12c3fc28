/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared pieces of the application parsers: the reassembly buffer and safe texts. */
#include <string.h>

#include "sf_app.h"

void
sf_app_buf_reset(struct sf_app_buf *b)
{
	b->len = 0;
	b->cut = 0;
	memset(b->seen, 0, sizeof(b->seen));
}

static inline bool
seen(const struct sf_app_buf *b, uint32_t i)
{
	return (b->seen[i >> 3] >> (i & 7)) & 1;
}

void
sf_app_buf_put(struct sf_app_buf *b, uint64_t off, const uint8_t *p, size_t n)
{
	uint32_t i, end;

	if (n == 0)
		return;
	if (off >= SF_APP_HELLO_MAX) {
		b->cut = 1;
		return;
	}
	if (n > SF_APP_HELLO_MAX - off) {
		n = (size_t)(SF_APP_HELLO_MAX - off);
		b->cut = 1;
	}
	end = (uint32_t)(off + n);
	for (i = (uint32_t)off; i < end; i++) {
		if (seen(b, i))
			continue;
		b->data[i] = p[i - off];
		b->seen[i >> 3] |= (uint8_t)(1u << (i & 7));
	}
	while (b->len < SF_APP_HELLO_MAX && seen(b, b->len))
		b->len++;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0. */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
			(cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool
sf_app_text(char *out, size_t cap, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0;

	if (cap == 0)
		return n == 0;
	while (i < n) {
		size_t len = 1;

		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)p[i];
		} else if (p[i] >= 0x80 && (len = utf8_seq(p + i, n - i)) != 0) {
			if (o + len >= cap)
				break;
			memcpy(out + o, p + i, len);
			o += len;
		} else {
			/* \xHH for control bytes, invalid UTF-8 and the backslash itself */
			len = 1;
			if (o + 4 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
		i += len;
	}
	out[o] = '\0';
	return i == n;
}
