/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lagwlc's values in words: durations (lagwlcctl's and lagwlcd.conf's), and the
 * names of health, states, reasons and attributes. Pure code, no netlink.
 */
#ifndef LAGWLCCTL_VALUES_H
#define LAGWLCCTL_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* Room for any name below, "unknown(255)" included. */
#define NAME_STRLEN 24

/*
 * The one duration grammar of lagwlcctl and lagwlcd.conf: a number with an
 * optional fraction and a unit, ms, s, m or h ("250ms", "1.5s", "2m",
 * "0.25h"); a bare number is milliseconds ("250"), the unit lagwlc counts
 * in everywhere. Nothing else: no sign, blanks, upper case or exponent; the
 * value must be a whole number of milliseconds ("1.5ms" is refused) and fit
 * 32 bits. 0, or -1 with the reason (without s) in err.
 */
int duration_parse_ms(const char *s, uint32_t *ms, char *err, size_t errlen);

/* A lag (duration_parse_ms()): -1 with "lag \"S\": REASON" in err. */
int lag_parse_ms(const char *s, uint32_t *ms, char *err, size_t errlen);

/* "up" -> LAGWLC_HEALTH_UP, "down" -> LAGWLC_HEALTH_DOWN, else 0. */
int health_parse(const char *s);

/*
 * Names: the table's word, or "unknown(N)" written into buf for a value
 * this lagwlcctl does not know (a newer module).
 */
const char *health_name(unsigned int v, char *buf, size_t len);
const char *state_name(unsigned int v, char *buf, size_t len);
const char *reason_name(unsigned int v, char *buf, size_t len);

/* UAPI names of attributes, for error messages: "LAGWLC_R_LAG_MS". */
const char *attr_name(unsigned int type, char *buf, size_t len);
const char *replica_attr_name(unsigned int type, char *buf, size_t len);
const char *service_attr_name(unsigned int type, char *buf, size_t len);

#endif
