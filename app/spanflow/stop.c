/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stop signals. The handler only stores atomics (lock-free, so safe in a
 * handler) and reads the monotonic clock (async-signal-safe); it may run
 * on any thread, several at once, so the first signal is claimed with a
 * compare-and-swap on its time.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "stop.h"

static _Atomic int stop_state;
static _Atomic int first_sig;
static _Atomic int64_t first_ns;	/* monotonic time of the first signal, 0 = none */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1: a clock reading of 0 must not look like "no signal yet". */
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + 1;
}

static void
on_signal(int sig)
{
	int saved = errno;
	int64_t now = mono_ns(), none = 0;

	if (atomic_compare_exchange_strong(&first_ns, &none, now)) {
		atomic_store(&first_sig, sig);
		atomic_store(&stop_state, SF_STOP_REQUESTED);
	} else if (now - atomic_load(&first_ns) >= SF_STOP_SAME_NS) {
		atomic_store(&stop_state, SF_STOP_HURRY);
	}
	errno = saved;
}

void
sf_stop_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

enum sf_stop
sf_stop_state(void)
{
	return (enum sf_stop)atomic_load_explicit(&stop_state, memory_order_acquire);
}

int
sf_stop_signal(void)
{
	return atomic_load(&first_sig);
}
