/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Services' settings (LAGWLC_CMD_SVC_*): the key grammar "tcp|udp|sctp
 * ADDR:PORT" or "fwmark N [inet6]", the settings' names and values, shared
 * by lagwlcctl's command line and lagwlcd.conf's [service] sections. Pure
 * code, no netlink (service.h has their netlink form).
 */
#ifndef LAGWLC_SVCKEY_H
#define LAGWLC_SVCKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/lagwlc.h>

#include "addr.h"

/* "sctp [IPv6]:PORT" or "fwmark 4294967295 inet6" and a NUL fit. */
#define SVC_STRLEN (EP_STRLEN + 8)

struct svc_key {
	uint32_t fwmark;	/* 0: protocol, address and port */
	uint16_t protocol;	/* IPPROTO_TCP, _UDP or _SCTP; 0 for fwmark */
	struct endpoint ep;	/* for fwmark: only its family */
};

/*
 * Settings, or a reply: the values indexed by attribute (LAGWLC_S_*), set
 * telling which settings were given (bit 1 << LAGWLC_S_*). A reply's
 * LAGWLC_S_EFF_* values are always there.
 */
struct svc_set {
	unsigned int set;
	uint32_t v[LAGWLC_S_MAX + 1];
};

struct svc_info {
	struct svc_key key;
	struct svc_set s;
	bool bound;		/* a lagwlc service exists */
};

/*
 * The key in tok[0..n-1]: "tcp ADDR:PORT" (udp, sctp), "fwmark N" or
 * "fwmark N inet6". Returns the tokens used (2 or 3), or -1 with the reason
 * in err.
 */
int svc_key_parse(char *const *tok, int n, struct svc_key *k, char *err, size_t errlen);
const char *svc_key_format(const struct svc_key *k, char *buf, size_t len);
bool svc_key_equal(const struct svc_key *a, const struct svc_key *b);

/*
 * The settings' words, "max-lag", "readmit-lag", "penalty", "slow-start",
 * "stale-policy", "all-lagging" (lagwlcd.conf writes them with '_'): the
 * attribute of name, or 0.
 */
int svc_setting_attr(const char *name);
const char *svc_setting_name(int attr);

/*
 * Set setting attr (svc_setting_attr()) to the value in words: a duration
 * (duration_parse_ms()), open|closed, least_lag|reject. 0, or -1 with
 * "NAME \"VALUE\": REASON" in err.
 */
int svc_setting_parse(int attr, const char *val, struct svc_set *s, char *err, size_t errlen);

/* A value in words: "500ms", "closed", "least_lag"; attr may be an EFF one. */
const char *svc_value_format(int attr, uint32_t v, char *buf, size_t len);

/* The first setting and the attribute of its effective value. */
#define SVC_FIRST LAGWLC_S_MAX_LAG_MS
#define SVC_LAST LAGWLC_S_ALL_LAGGING
#define SVC_EFF(attr) ((attr) - LAGWLC_S_MAX_LAG_MS + LAGWLC_S_EFF_MAX_LAG_MS)

#endif
