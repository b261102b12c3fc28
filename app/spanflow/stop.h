/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How spanflow is asked to stop. SIGINT, SIGTERM and SIGHUP are one
 * request; signals within SF_STOP_SAME_NS of the first are the same
 * request (`timeout` and process-group supervisors signal the process and
 * then its group, so two arrive at once). A signal later than that asks to
 * hurry: the final flush is cut short, but files are still closed whole
 * and the report says what was lost. Nothing but SIGKILL ends spanflow
 * without a report.
 */
#ifndef SF_APP_STOP_H
#define SF_APP_STOP_H

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

#endif /* SF_APP_STOP_H */
