/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SF_APP_RUN_H
#define SF_APP_RUN_H

#include "cli.h"
#include "sf_config.h"

/* Run the pipeline as configured; returns the process exit code. */
int sf_run(struct sf_config *cfg, const struct sf_cli *cli);

#endif /* SF_APP_RUN_H */
