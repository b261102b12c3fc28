/* SPDX-License-Identifier: BSD-3-Clause */
/* Command line: flags generated from the configuration table, and the app's own. */
#ifndef SF_APP_CLI_H
#define SF_APP_CLI_H

#include "sf_config.h"

enum sf_cli_action {
	SF_CLI_RUN = 0,
	SF_CLI_HELP,
	SF_CLI_VERSION,
	SF_CLI_PRINT_CONFIG,
	SF_CLI_HELP_MAN,	/* --help-man (hidden): the manual page */
};

struct sf_cli {
	enum sf_cli_action action;
	int eal_argc;		/* arguments after "--" */
	char **eal_argv;
};

/*
 * Parse argv into cfg: load the config file (-c; when neither -c nor an
 * input is given, the installed configuration, or for a binary run from
 * its build tree without one, the source tree's demo), then apply the
 * flags over it, in order. Returns 0, or -1 with a message (usage and
 * config errors).
 */
int sf_cli_parse(struct sf_cli *cli, struct sf_config *cfg, int argc, char **argv,
		char *err, size_t errlen);

/* --help: every flag with its help, setting and default (from the table). */
void sf_cli_usage(FILE *f);

/*
 * The manual page spanflow(8) in roff, from the same table as --help (the
 * build runs `spanflow --help-man`; nothing of DPDK starts).
 */
void sf_cli_man(FILE *f);

#endif /* SF_APP_CLI_H */
