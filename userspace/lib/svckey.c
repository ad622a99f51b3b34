// SPDX-License-Identifier: GPL-2.0
/* Services' keys and settings in words (LAGWLC_CMD_SVC_*). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include "svckey.h"
#include "values.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

static const struct {
	const char *name;
	uint16_t proto;
} protos[] = { { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "sctp", IPPROTO_SCTP } };

static const char *const setting_names[LAGWLC_S_MAX + 1] = {
	[LAGWLC_S_MAX_LAG_MS]		= "max-lag",
	[LAGWLC_S_READMIT_LAG_MS]	= "readmit-lag",
	[LAGWLC_S_LAG_PENALTY_MS]	= "penalty",
	[LAGWLC_S_SLOW_START_MS]	= "slow-start",
	[LAGWLC_S_STALE_POLICY]		= "stale-policy",
	[LAGWLC_S_ALL_LAGGING]		= "all-lagging",
};

static const char *const stale_words[] = {
	[LAGWLC_STALE_OPEN] = "open", [LAGWLC_STALE_CLOSED] = "closed",
};

static const char *const all_lagging_words[] = {
	[LAGWLC_ALL_LAGGING_LEAST_LAG] = "least_lag",
	[LAGWLC_ALL_LAGGING_REJECT] = "reject",
};

static int parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (unsigned long long)(*s - '0');
		if (x > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

int svc_key_parse(char *const *tok, int n, struct svc_key *k, char *err, size_t errlen)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	if (n < 1) {
		snprintf(err, errlen, "no service given: tcp|udp|sctp ADDR:PORT or fwmark N [inet6]");
		return -1;
	}
	if (!strcmp(tok[0], "fwmark")) {
		if (n < 2 || parse_u32(tok[1], &k->fwmark) < 0 || !k->fwmark) {
			snprintf(err, errlen, "fwmark \"%s\": expected a firewall mark 1..4294967295",
				 n < 2 ? "" : tok[1]);
			return -1;
		}
		k->ep.family = AF_INET;
		if (n > 2 && !strcmp(tok[2], "inet6")) {
			k->ep.family = AF_INET6;
			return 3;
		}
		return 2;
	}
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(tok[0], protos[i].name))
			k->protocol = protos[i].proto;
	if (!k->protocol) {
		snprintf(err, errlen, "service \"%s\": expected tcp, udp, sctp or fwmark", tok[0]);
		return -1;
	}
	if (n < 2) {
		snprintf(err, errlen, "%s needs the virtual service's ADDR:PORT", tok[0]);
		return -1;
	}
	if (ep_parse(tok[1], &k->ep, err, errlen) < 0)
		return -1;
	return 2;
}

const char *svc_key_format(const struct svc_key *k, char *buf, size_t len)
{
	char e[EP_STRLEN];
	const char *p = "?";
	size_t i;

	if (k->fwmark) {
		snprintf(buf, len, "fwmark %u%s", k->fwmark,
			 k->ep.family == AF_INET6 ? " inet6" : "");
		return buf;
	}
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (k->protocol == protos[i].proto)
			p = protos[i].name;
	snprintf(buf, len, "%s %s", p, ep_format(&k->ep, e, sizeof(e)));
	return buf;
}

bool svc_key_equal(const struct svc_key *a, const struct svc_key *b)
{
	if (a->fwmark || b->fwmark)
		return a->fwmark == b->fwmark && a->ep.family == b->ep.family;
	return a->protocol == b->protocol && ep_equal(&a->ep, &b->ep);
}

int svc_setting_attr(const char *name)
{
	for (int a = SVC_FIRST; a <= SVC_LAST; a++)
		if (!strcmp(name, setting_names[a]))
			return a;
	return 0;
}

const char *svc_setting_name(int attr)
{
	if (attr >= LAGWLC_S_EFF_MAX_LAG_MS && attr <= LAGWLC_S_EFF_ALL_LAGGING)
		attr = attr - LAGWLC_S_EFF_MAX_LAG_MS + LAGWLC_S_MAX_LAG_MS;
	return attr >= SVC_FIRST && attr <= SVC_LAST ? setting_names[attr] : "?";
}

static int word(const char *const *words, size_t n, const char *s)
{
	for (size_t i = 1; i < n; i++)
		if (!strcmp(s, words[i]))
			return (int)i;
	return 0;
}

int svc_setting_parse(int attr, const char *val, struct svc_set *s, char *err, size_t errlen)
{
	char why[128];
	uint32_t v;
	int w;

	switch (attr) {
	case LAGWLC_S_STALE_POLICY:
		w = word(stale_words, 3, val);
		if (!w) {
			snprintf(err, errlen, "stale-policy \"%s\": expected open or closed", val);
			return -1;
		}
		v = (uint32_t)w;
		break;
	case LAGWLC_S_ALL_LAGGING:
		w = word(all_lagging_words, 3, val);
		if (!w && !strcmp(val, "least-lag"))
			w = LAGWLC_ALL_LAGGING_LEAST_LAG;
		if (!w) {
			snprintf(err, errlen, "all-lagging \"%s\": expected least_lag or reject", val);
			return -1;
		}
		v = (uint32_t)w;
		break;
	case LAGWLC_S_MAX_LAG_MS:
	case LAGWLC_S_READMIT_LAG_MS:
	case LAGWLC_S_LAG_PENALTY_MS:
	case LAGWLC_S_SLOW_START_MS:
		if (duration_parse_ms(val, &v, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s \"%s\": %s", setting_names[attr], val, why);
			return -1;
		}
		if (v > LAGWLC_LAG_MAX_MS) {
			snprintf(err, errlen, "%s \"%s\": at most %u ms (7 days)",
				 setting_names[attr], val, LAGWLC_LAG_MAX_MS);
			return -1;
		}
		break;
	default:
		snprintf(err, errlen, "unknown setting");
		return -1;
	}
	s->v[attr] = v;
	s->set |= 1u << attr;
	return 0;
}

const char *svc_value_format(int attr, uint32_t v, char *buf, size_t len)
{
	if (attr >= LAGWLC_S_EFF_MAX_LAG_MS)
		attr = attr - LAGWLC_S_EFF_MAX_LAG_MS + LAGWLC_S_MAX_LAG_MS;
	if (attr == LAGWLC_S_STALE_POLICY && v >= 1 && v <= 2)
		snprintf(buf, len, "%s", stale_words[v]);
	else if (attr == LAGWLC_S_ALL_LAGGING && v >= 1 && v <= 2)
		snprintf(buf, len, "%s", all_lagging_words[v]);
	else if (attr == LAGWLC_S_STALE_POLICY || attr == LAGWLC_S_ALL_LAGGING)
		snprintf(buf, len, "unknown(%u)", v);
	else
		snprintf(buf, len, "%ums", v);
	return buf;
}

