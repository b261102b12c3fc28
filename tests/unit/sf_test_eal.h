/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL start-up for unit tests: no hugepages, no PCI, no shared config. */
#ifndef SF_TEST_EAL_H
#define SF_TEST_EAL_H

#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>

static inline void
sf_test_eal_init(void)
{
	char *argv[] = {
		"sf_test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
		"-m", "512", "--no-telemetry", "--log-level=*:warning", NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		exit(1);
	}
}

#endif /* SF_TEST_EAL_H */
