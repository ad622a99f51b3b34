/* SPDX-License-Identifier: GPL-2.0 */
/* lagwlcd's clock and its wait for signals between polls. */
#ifndef LAGWLCD_TIMING_H
#define LAGWLCD_TIMING_H

#include <signal.h>
#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t mono_ms(void);

/* Microseconds of CLOCK_MONOTONIC. */
uint64_t mono_us(void);

/*
 * Wait until mono_ms() reaches deadline or one of the signals of set
 * (blocked in every thread) arrives: its number, or 0 at the deadline.
 */
int signal_wait_until(const sigset_t *set, uint64_t deadline);

#endif
