// SPDX-License-Identifier: GPL-2.0
/* Monotonic milliseconds, and sleeping that signals interrupt. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>

#include "timing.h"

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int signal_wait_until(const sigset_t *set, uint64_t deadline)
{
	for (;;) {
		uint64_t now = mono_ms();
		struct timespec ts;
		int sig;

		if (now >= deadline)
			return 0;
		ts.tv_sec = (time_t)((deadline - now) / 1000);
		ts.tv_nsec = (long)((deadline - now) % 1000) * 1000000L;
		sig = sigtimedwait(set, NULL, &ts);
		if (sig > 0)
			return sig;
		if (errno != EAGAIN && errno != EINTR)
			return 0;
	}
}
