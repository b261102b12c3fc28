/* SPDX-License-Identifier: BSD-3-Clause */
/* spanflow: argv -> configuration -> run -> exit code. */
#include <stdio.h>

#include <rte_version.h>

#include "cli.h"
#include "run.h"
#include "spanflow.h"

int
main(int argc, char **argv)
{
	static struct sf_config cfg;
	struct sf_cli cli;
	char err[SF_CONFIG_ERR_LEN * 2];

	if (sf_cli_parse(&cli, &cfg, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		return SF_EXIT_USAGE;
	}
	switch (cli.action) {
	case SF_CLI_HELP:
		sf_cli_usage(stdout);
		return SF_EXIT_OK;
	case SF_CLI_HELP_MAN:
		sf_cli_man(stdout);
		return SF_EXIT_OK;
	case SF_CLI_VERSION:
		printf("spanflow %s (%s)\n", SF_VERSION, rte_version());
		return SF_EXIT_OK;
	case SF_CLI_PRINT_CONFIG:
		sf_config_dump(&cfg, stdout);
		return SF_EXIT_OK;
	default:
		return sf_run(&cfg, &cli);
	}
}
