/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growing text buffer, for documents built in memory (JSON, Prometheus
 * text). On out of memory it stays marked and short; the text is always
 * NUL-terminated once anything was written.
 */
#ifndef SF_TEXT_H
#define SF_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sf_text {
	char *p;
	size_t n, cap;
	bool oom;
};

void sf_text_put(struct sf_text *t, const char *s, size_t k);
void sf_text_str(struct sf_text *t, const char *s);
void sf_text_u64(struct sf_text *t, uint64_t v);
void sf_text_printf(struct sf_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Empty it, keeping the memory. */
void sf_text_reset(struct sf_text *t);
void sf_text_free(struct sf_text *t);

/*
 * A JSON string, quoted and escaped. Bytes that are not UTF-8 (text a
 * client sent, cut anywhere) become U+FFFD so the document stays valid.
 */
void sf_text_json_str(struct sf_text *t, const char *s);

/* An address as a JSON string ("192.0.2.1", "2001:db8::1"). */
void sf_text_json_addr(struct sf_text *t, uint8_t ipver, const uint8_t *a);

#endif /* SF_TEXT_H */
