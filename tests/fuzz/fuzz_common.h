/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the libFuzzer targets: EAL start-up (once per process,
 * no hugepages, no devices) and a check that aborts with a message, so a
 * broken invariant is a crash libFuzzer saves, even in release builds.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static inline void
fuzz_eal_init(void)
{
	char *argv[] = {
		"sf_fuzz", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
		"-m", "256", "--no-telemetry", "--log-level=*:error", NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "fuzz: EAL init failed\n");
		exit(1);
	}
}

#endif /* FUZZ_COMMON_H */
