/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lagwlcd's log: stderr in the foreground (with a timestamp), syslog
 * otherwise. Thread-safe: one write per line.
 */
#ifndef LAGWLCD_LOG_H
#define LAGWLCD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* Send lines to syslog (ident "lagwlcd", facility daemon) rather than stderr. */
void log_to_syslog(bool on);

/* One line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG). */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * in into out (outlen bytes, always terminated) with every control
 * character (below 0x20, and 0x7f) written as \xNN, cut at a whole
 * character when out is full: the length written. log_msg() applies it to
 * every line.
 */
size_t log_escape(const char *in, char *out, size_t outlen);

/* Debug lines are dropped unless this is set (-v). */
void log_set_verbose(bool on);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
