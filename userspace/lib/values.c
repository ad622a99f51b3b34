// SPDX-License-Identifier: GPL-2.0
/* lagwlc's values in words: durations, health, states, reasons. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <linux/lagwlc.h>

#include "values.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int duration_parse_ms(const char *s, uint32_t *ms, char *err, size_t errlen)
{
	static const struct {
		const char *unit;
		unsigned long long ms;
	} units[] = { { "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	unsigned long long whole = 0, frac = 0, div = 1, unit = 0, v;
	const char *p = s;
	size_t i;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (unsigned long long)(*p - '0');
		if (whole > UINT32_MAX)
			goto big;
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			goto bad;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (div >= 1000000000ULL)
				goto fine;	/* more digits than any unit can use */
			frac = frac * 10 + (unsigned long long)(*p - '0');
			div *= 10;
		}
	}
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(p, units[i].unit))
			unit = units[i].ms;
	if (!unit)
		goto bad;
	if (frac * unit % div)
		goto fine;
	v = whole * unit + frac * unit / div;
	if (v > UINT32_MAX)
		goto big;
	*ms = (uint32_t)v;
	return 0;
bad:
	snprintf(err, errlen, "expected a duration: 250 (milliseconds), 250ms, 1.5s, 2m or 1h");
	return -1;
fine:
	snprintf(err, errlen, "finer than a millisecond");
	return -1;
big:
	snprintf(err, errlen, "too large (at most %u ms)", UINT32_MAX);
	return -1;
}

int lag_parse_ms(const char *s, uint32_t *ms, char *err, size_t errlen)
{
	char why[96];

	if (duration_parse_ms(s, ms, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "lag \"%s\": %s", s, why);
		return -1;
	}
	return 0;
}

int health_parse(const char *s)
{
	if (!strcmp(s, "up"))
		return LAGWLC_HEALTH_UP;
	if (!strcmp(s, "down"))
		return LAGWLC_HEALTH_DOWN;
	return 0;
}

static const char *lookup(const char *const *tbl, size_t n, unsigned int v,
			  char *buf, size_t len, const char *unknown)
{
	if (v < n && tbl[v])
		return tbl[v];
	snprintf(buf, len, "%s(%u)", unknown, v);
	return buf;
}

static const char *const health_names[] = {
	[LAGWLC_HEALTH_UP]	= "up",
	[LAGWLC_HEALTH_DOWN]	= "down",
};

static const char *const state_names[] = {
	[LAGWLC_STATE_NONE]	= "none",
	[LAGWLC_STATE_OK]	= "ok",
	[LAGWLC_STATE_LAGGING]	= "lagging",
	[LAGWLC_STATE_DOWN]	= "down",
	[LAGWLC_STATE_STALE]	= "stale",
};

static const char *const reason_names[] = {
	[LAGWLC_REASON_UNSPEC]	= "unspec",
	[LAGWLC_REASON_REPORT]	= "report",
	[LAGWLC_REASON_TUNABLE]	= "tunable",
	[LAGWLC_REASON_TIMEOUT]	= "timeout",
	[LAGWLC_REASON_RELEASE]	= "release",
	[LAGWLC_REASON_DELETE]	= "delete",
	[LAGWLC_REASON_FLUSH]	= "flush",
	[LAGWLC_REASON_EVICT]	= "evict",
};

static const char *const attr_names[] = {
	[LAGWLC_A_REPLICA]	= "LAGWLC_A_REPLICA",
	[LAGWLC_A_SOCKET_OWNER]	= "LAGWLC_A_SOCKET_OWNER",
	[LAGWLC_A_SERVICE]	= "LAGWLC_A_SERVICE",
};

static const char *const service_attr_names[] = {
	[LAGWLC_S_PROTOCOL]		= "LAGWLC_S_PROTOCOL",
	[LAGWLC_S_ADDR4]		= "LAGWLC_S_ADDR4",
	[LAGWLC_S_ADDR6]		= "LAGWLC_S_ADDR6",
	[LAGWLC_S_PORT]			= "LAGWLC_S_PORT",
	[LAGWLC_S_FWMARK]		= "LAGWLC_S_FWMARK",
	[LAGWLC_S_FAMILY]		= "LAGWLC_S_FAMILY",
	[LAGWLC_S_MAX_LAG_MS]		= "LAGWLC_S_MAX_LAG_MS",
	[LAGWLC_S_READMIT_LAG_MS]	= "LAGWLC_S_READMIT_LAG_MS",
	[LAGWLC_S_LAG_PENALTY_MS]	= "LAGWLC_S_LAG_PENALTY_MS",
	[LAGWLC_S_SLOW_START_MS]	= "LAGWLC_S_SLOW_START_MS",
	[LAGWLC_S_STALE_POLICY]		= "LAGWLC_S_STALE_POLICY",
	[LAGWLC_S_ALL_LAGGING]		= "LAGWLC_S_ALL_LAGGING",
};

static const char *const replica_attr_names[] = {
	[LAGWLC_R_ADDR4]	= "LAGWLC_R_ADDR4",
	[LAGWLC_R_ADDR6]	= "LAGWLC_R_ADDR6",
	[LAGWLC_R_PORT]		= "LAGWLC_R_PORT",
	[LAGWLC_R_LAG_MS]	= "LAGWLC_R_LAG_MS",
	[LAGWLC_R_HEALTH]	= "LAGWLC_R_HEALTH",
	[LAGWLC_R_STATE]	= "LAGWLC_R_STATE",
	[LAGWLC_R_OLD_STATE]	= "LAGWLC_R_OLD_STATE",
	[LAGWLC_R_REASON]	= "LAGWLC_R_REASON",
	[LAGWLC_R_AGE_MS]	= "LAGWLC_R_AGE_MS",
};

const char *health_name(unsigned int v, char *buf, size_t len)
{
	return lookup(health_names, ARRAY_SIZE(health_names), v, buf, len, "unknown");
}

const char *state_name(unsigned int v, char *buf, size_t len)
{
	return lookup(state_names, ARRAY_SIZE(state_names), v, buf, len, "unknown");
}

const char *reason_name(unsigned int v, char *buf, size_t len)
{
	return lookup(reason_names, ARRAY_SIZE(reason_names), v, buf, len, "unknown");
}

const char *attr_name(unsigned int type, char *buf, size_t len)
{
	return lookup(attr_names, ARRAY_SIZE(attr_names), type, buf, len, "attribute");
}

const char *replica_attr_name(unsigned int type, char *buf, size_t len)
{
	return lookup(replica_attr_names, ARRAY_SIZE(replica_attr_names), type, buf, len, "attribute");
}

const char *service_attr_name(unsigned int type, char *buf, size_t len)
{
	return lookup(service_attr_names, ARRAY_SIZE(service_attr_names), type, buf, len,
		      "attribute");
}
