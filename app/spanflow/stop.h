/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How spanflow is asked to stop, and to reopen its output files.
 *
 * SIGINT and SIGTERM are one request to stop; signals within
 * SF_STOP_SAME_NS of the first are the same request (`timeout` and
 * process-group supervisors signal the process and then its group, so two
 * arrive at once). A signal later than that asks to hurry: the final
 * flush is cut short, but files are still closed whole and the report
 * says what was lost. Nothing but SIGKILL ends spanflow without a report.
 *
 * SIGHUP asks the collector to reopen the output files (logrotate moves a
 * file away, then signals; systemd's reload does the same): it never
 * stops a run. One exception keeps an interactive run from outliving its
 * session: a SIGHUP that comes because the terminal spanflow was started
 * from hung up (its shell passes the hangup on) is a stop, as it always
 * was. Under nohup (SIGHUP ignored at start) a hangup is never a stop.
 */
#ifndef SF_APP_STOP_H
#define SF_APP_STOP_H

#include <stdbool.h>

#define SF_STOP_SAME_NS 1000000000LL	/* 1 s */

enum sf_stop {
	SF_STOP_NONE = 0,
	SF_STOP_REQUESTED,	/* stop reading, write every flow */
	SF_STOP_HURRY,		/* a later signal: cut the final flush short */
};

/* Install the handlers (once, before the lcores start). */
void sf_stop_install(void);

/* The current request; safe from any thread. */
enum sf_stop sf_stop_state(void);

/* The first stop signal's number, 0 if none. */
int sf_stop_signal(void);

/*
 * Collector thread: true once for each SIGHUP (several before the call
 * are one) that asks to reopen the output files. A SIGHUP of a terminal
 * that hung up is turned into a stop request here instead (SIGHUP, as if
 * SIGINT had come) and returns false.
 */
bool sf_stop_take_reopen(void);

#endif /* SF_APP_STOP_H */
