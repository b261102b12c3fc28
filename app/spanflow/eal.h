/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL arguments built from the configuration. */
#ifndef SF_APP_EAL_H
#define SF_APP_EAL_H

#include "sf_config.h"

#define SF_EAL_MAX_ARGS 64

struct sf_eal_args {
	int argc;
	char *argv[SF_EAL_MAX_ARGS + 1];
	char store[SF_EAL_MAX_ARGS][256];
	unsigned int lcores;	/* lcores requested (main + workers + dispatcher) */
	bool hugepages;		/* running on hugepages */
};

/*
 * Build EAL arguments for `lcores` lcores: lcores mapped round-robin onto
 * the CPUs this process may use, hugepages when the machine has free ones
 * (else --no-huge with enough memory), no PCI scan (no NIC is used), and
 * the user's extra arguments last. Returns 0 or -1 with a message.
 */
int sf_eal_args_build(struct sf_eal_args *ea, const struct sf_config *cfg,
		unsigned int lcores, int extra_argc, char **extra_argv,
		char *err, size_t errlen);

#endif /* SF_APP_EAL_H */
