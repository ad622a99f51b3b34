// SPDX-License-Identifier: GPL-2.0
/* lagwlcd's log: stderr or syslog, one line per call. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static bool use_syslog, verbose;

void log_to_syslog(bool on)
{
	if (on && !use_syslog)
		openlog("lagwlcd", LOG_PID, LOG_DAEMON);
	else if (!on && use_syslog)
		closelog();
	use_syslog = on;
}

void log_set_verbose(bool on)
{
	verbose = on;
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const level[] = {
		[LOG_EMERG] = "emergency: ", [LOG_ALERT] = "alert: ", [LOG_CRIT] = "critical: ",
		[LOG_ERR] = "error: ", [LOG_WARNING] = "warning: ", [LOG_NOTICE] = "",
		[LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
	};
	char line[1536], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (prio == LOG_DEBUG && !verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_syslog) {
		syslog(prio, "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	/* one fprintf: stdio's lock keeps the line whole among threads */
	fprintf(stderr, "%s.%03ld lagwlcd: %s%s\n", stamp, ts.tv_nsec / 1000000L,
		level[prio & 7], line);
}
