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

size_t log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!outlen)
		return 0;
	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f) {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

void log_msg(int prio, const char *fmt, ...)
{
	static const char *const level[] = {
		[LOG_EMERG] = "emergency: ", [LOG_ALERT] = "alert: ", [LOG_CRIT] = "critical: ",
		[LOG_ERR] = "error: ", [LOG_WARNING] = "warning: ", [LOG_NOTICE] = "",
		[LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
	};
	char line[1536], esc[4 * sizeof(line)], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (prio == LOG_DEBUG && !verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/*
	 * Lines carry what servers said (error texts, channel names): a
	 * newline or escape sequence there must not forge or hide a line.
	 */
	log_escape(line, esc, sizeof(esc));
	if (use_syslog) {
		syslog(prio, "%s", esc);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	/* one fprintf: stdio's lock keeps the line whole among threads */
	fprintf(stderr, "%s.%03ld lagwlcd: %s%s\n", stamp, ts.tv_nsec / 1000000L,
		level[prio & 7], esc);
}
