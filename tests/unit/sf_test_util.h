/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers shared by unit tests: the test data directory, a PRNG. */
#ifndef SF_TEST_UTIL_H
#define SF_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tests/data: $SF_TEST_DATA, else beside tests/unit as the build saw it. */
static inline const char *
sf_test_data_dir(void)
{
	static char dir[4096];
	const char *env = getenv("SF_TEST_DATA");
	const char *slash;

	if (env != NULL)
		return env;
	/* __FILE__ is tests/unit/sf_test_util.h as the build saw it. */
	slash = strrchr(__FILE__, '/');
	snprintf(dir, sizeof(dir), "%.*s/../data", (int)(slash - __FILE__), __FILE__);
	return dir;
}

/* xorshift64, the high half: reproducible random numbers from *state. */
static inline uint32_t
sf_test_rng(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 32);
}

#endif /* SF_TEST_UTIL_H */
