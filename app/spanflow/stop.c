/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stop and reopen signals. The handlers only store atomics (lock-free, so
 * safe in a handler) and read the monotonic clock (async-signal-safe);
 * they may run on any thread, several at once, so the first stop signal
 * is claimed with a compare-and-swap on its time.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "stop.h"

static _Atomic int stop_state;
static _Atomic int first_sig;
static _Atomic int64_t first_ns;	/* monotonic time of the first signal, 0 = none */
static atomic_bool reopen_asked;	/* a SIGHUP not yet taken by the collector */
/* Written once by sf_stop_install, before any other thread exists. */
static int tty_fd = -1;			/* the terminal spanflow was started from, or -1 */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1: a clock reading of 0 must not look like "no signal yet". */
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + 1;
}

static void
request_stop(int sig)
{
	int64_t now = mono_ns(), none = 0;

	if (atomic_compare_exchange_strong(&first_ns, &none, now)) {
		atomic_store(&first_sig, sig);
		atomic_store(&stop_state, SF_STOP_REQUESTED);
	} else if (now - atomic_load(&first_ns) >= SF_STOP_SAME_NS) {
		atomic_store(&stop_state, SF_STOP_HURRY);
	}
}

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		atomic_store(&reopen_asked, true);
	else
		request_stop(sig);
	errno = saved;
}

void
sf_stop_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	unsigned int i;
	int fd;

	/*
	 * nohup ignores SIGHUP so that a hangup does not stop the program: then
	 * no SIGHUP is taken for a hangup, only for reopening.
	 */
	if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		for (fd = 0; fd <= 2 && tty_fd < 0; fd++)
			if (isatty(fd))
				tty_fd = fd;
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

bool
sf_stop_take_reopen(void)
{
	struct termios t;

	if (!atomic_load_explicit(&reopen_asked, memory_order_relaxed) ||
			!atomic_exchange(&reopen_asked, false))
		return false;
	/* A hung-up terminal answers every request with EIO from then on. */
	if (tty_fd >= 0 && tcgetattr(tty_fd, &t) != 0 && errno == EIO) {
		request_stop(SIGHUP);
		return false;
	}
	return true;
}
