/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the YAML configuration loader.
 *
 * The input is a YAML document. A refused document must leave the struct
 * unchanged and say why; an accepted one goes through sf_config_check(),
 * is dumped with sf_config_dump() and read back: the reload must succeed
 * and give an identical struct, and dumping that gives the same text.
 */
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "sf_config.h"

/*
 * No resolver while fuzzing: the configuration resolves host names
 * (export.ipfix), and an input must neither wait on DNS nor send queries.
 * Linked with -Wl,--wrap=getaddrinfo (meson.build): every lookup is
 * numeric, so a name is refused as one that does not resolve.
 */
int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res);

int
__wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	struct addrinfo h;

	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	return __real_getaddrinfo(node, service, &h, res);
}

/* The struct with every byte after each string's terminator zeroed. */
static void
normalize(struct sf_config *c)
{
	char *s[] = { c->input_file, c->flows_path, c->intervals_path };
	size_t len[] = { sizeof(c->input_file), sizeof(c->flows_path),
		sizeof(c->intervals_path) };
	unsigned int i;
	size_t n;

	for (i = 0; i < 3; i++) {
		n = strnlen(s[i], len[i]);
		FUZZ_CHECK(n < len[i]);
		memset(s[i] + n, 0, len[i] - n);
	}
	for (i = 0; i < SF_CONFIG_MAX_PORTS; i++) {
		n = strnlen(c->interfaces[i], sizeof(c->interfaces[i]));
		FUZZ_CHECK(n < sizeof(c->interfaces[i]));
		memset(c->interfaces[i] + n, 0, sizeof(c->interfaces[i]) - n);
		n = strnlen(c->ports[i], sizeof(c->ports[i]));
		FUZZ_CHECK(n < sizeof(c->ports[i]));
		memset(c->ports[i] + n, 0, sizeof(c->ports[i]) - n);
	}
	for (i = 0; i < SF_CONFIG_MAX_EAL_ARGS; i++) {
		n = strnlen(c->eal_args[i], sizeof(c->eal_args[i]));
		FUZZ_CHECK(n < sizeof(c->eal_args[i]));
		memset(c->eal_args[i] + n, 0, sizeof(c->eal_args[i]) - n);
	}
}

static char *
dump(const struct sf_config *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	FUZZ_CHECK(f != NULL);
	sf_config_dump(c, f);
	FUZZ_CHECK(fclose(f) == 0);
	return text;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct sf_config c, before, again;
	char err[SF_CONFIG_ERR_LEN], *yaml, *text, *text2;
	size_t len, len2;
	int rc;

	yaml = malloc(size + 1);
	FUZZ_CHECK(yaml != NULL);
	memcpy(yaml, data, size);
	yaml[size] = '\0';

	sf_config_defaults(&c);
	before = c;
	err[0] = '\0';
	rc = sf_config_load_string(&c, "fuzz.yaml", yaml, err, sizeof(err));
	free(yaml);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(memcmp(&c, &before, sizeof(c)) == 0);
		FUZZ_CHECK(strncmp(err, "fuzz.yaml:", 10) == 0);
		FUZZ_CHECK(strnlen(err, sizeof(err)) < sizeof(err));
		return 0;
	}
	err[0] = '\0';
	if (sf_config_check(&c, err, sizeof(err)) != 0)
		FUZZ_CHECK(err[0] != '\0' && strnlen(err, sizeof(err)) < sizeof(err));

	text = dump(&c, &len);
	sf_config_defaults(&again);
	err[0] = '\0';
	rc = sf_config_load_string(&again, "dump.yaml", text, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "reload failed: %s\n--- dump:\n%s---\n", err, text);
		FUZZ_CHECK(rc == 0);
	}
	normalize(&c);
	normalize(&again);
	if (memcmp(&c, &again, sizeof(c)) != 0) {
		text2 = dump(&again, &len2);
		fprintf(stderr, "--- dump:\n%s--- reloaded:\n%s---\n", text, text2);
		free(text2);
		FUZZ_CHECK(!"reload of the dump differs");
	}
	text2 = dump(&again, &len2);
	FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0);
	free(text2);
	free(text);
	return 0;
}
