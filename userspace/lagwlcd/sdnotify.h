/* SPDX-License-Identifier: GPL-2.0 */
/*
 * systemd's notification protocol (sd_notify(3)), without libsystemd: one
 * datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (abstract when the name starts with '@'). With
 * $NOTIFY_SOCKET unset, as outside a Type=notify unit, nothing is sent.
 */
#ifndef LAGWLCD_SDNOTIFY_H
#define LAGWLCD_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and open the
 * socket; a bad value is logged once and turns that part off. Call once,
 * after any fork (the watchdog is for the pid systemd watches).
 */
void sdn_init(void);

/* Whether a notification socket is in use. */
bool sdn_enabled(void);

/*
 * Send one datagram of lines (printf format, "\n" between lines); 0, or
 * -1 (logged once until a send succeeds again). Nothing when disabled.
 */
int sdn_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * "RELOADING=1" with MONOTONIC_USEC, as systemd wants it since 253 (older
 * ones ignore the second line).
 */
void sdn_reloading(void);

/*
 * The watchdog: the interval between keep-alives (half of $WATCHDOG_USEC,
 * in ms), 0 when systemd wants none from us.
 */
uint64_t sdn_watchdog_ms(void);

/*
 * Send WATCHDOG=1 if one is due at now_ms (mono_ms()); returns the time
 * the next one is due, UINT64_MAX without a watchdog.
 */
uint64_t sdn_watchdog_kick(uint64_t now_ms);

/* Close the socket (after STOPPING=1). */
void sdn_close(void);

#endif
