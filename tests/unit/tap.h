/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for the user-space unit tests. */
#ifndef LAGWLC_TAP_H
#define LAGWLC_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static void tap_plan(int n)
{
	printf("1..%d\n", n);
}

/* Report one test point; returns cond so callers can add diagnostics. */
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

static int tap_done(void)
{
	return tap_failed ? 1 : 0;
}

#endif
