// SPDX-License-Identifier: GPL-2.0
/* lagwlc's replica nest: build, parse, describe, print. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/socket.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "replica.h"
#include "values.h"

int replica_put(struct nl_msg *msg, const struct endpoint *ep, bool has_lag,
		uint32_t lag_ms, int health)
{
	struct nlattr *nest = nla_nest_start(msg, LAGWLC_A_REPLICA);
	int r;

	if (!nest)
		return -NLE_NOMEM;
	if (ep->family == AF_INET6)
		r = nla_put(msg, LAGWLC_R_ADDR6, 16, ep->addr.raw);
	else
		r = nla_put(msg, LAGWLC_R_ADDR4, 4, ep->addr.raw);
	if (!r)
		r = nla_put_u16(msg, LAGWLC_R_PORT, ep->port);
	if (!r && has_lag)
		r = nla_put_u32(msg, LAGWLC_R_LAG_MS, lag_ms);
	if (!r && health)
		r = nla_put_u8(msg, LAGWLC_R_HEALTH, (uint8_t)health);
	if (r < 0) {
		nla_nest_cancel(msg, nest);
		return r;
	}
	return nla_nest_end(msg, nest);
}

static const struct nla_policy replica_policy[LAGWLC_R_MAX + 1] = {
	[LAGWLC_R_ADDR4]	= { .type = NLA_UNSPEC, .minlen = 4 },
	[LAGWLC_R_ADDR6]	= { .type = NLA_UNSPEC, .minlen = 16 },
	[LAGWLC_R_PORT]		= { .type = NLA_U16 },
	[LAGWLC_R_LAG_MS]	= { .type = NLA_U32 },
	[LAGWLC_R_HEALTH]	= { .type = NLA_U8 },
	[LAGWLC_R_STATE]	= { .type = NLA_U8 },
	[LAGWLC_R_OLD_STATE]	= { .type = NLA_U8 },
	[LAGWLC_R_REASON]	= { .type = NLA_U8 },
	[LAGWLC_R_AGE_MS]	= { .type = NLA_U32 },
};

/* The key of a replica nest: 0, or -1 if it has none or a malformed one. */
static int key_parse(struct nlattr **tb, struct endpoint *ep)
{
	if (!tb[LAGWLC_R_PORT] || !!tb[LAGWLC_R_ADDR4] == !!tb[LAGWLC_R_ADDR6])
		return -1;
	if (tb[LAGWLC_R_ADDR4] && nla_len(tb[LAGWLC_R_ADDR4]) == 4)
		ep_set(ep, AF_INET, nla_data(tb[LAGWLC_R_ADDR4]), nla_get_u16(tb[LAGWLC_R_PORT]));
	else if (tb[LAGWLC_R_ADDR6] && nla_len(tb[LAGWLC_R_ADDR6]) == 16)
		ep_set(ep, AF_INET6, nla_data(tb[LAGWLC_R_ADDR6]), nla_get_u16(tb[LAGWLC_R_PORT]));
	else
		return -1;
	return 0;
}

int replica_parse(struct nl_msg *msg, struct replica *r)
{
	struct nlattr *tb[LAGWLC_A_MAX + 1], *rtb[LAGWLC_R_MAX + 1];

	memset(r, 0, sizeof(*r));
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LAGWLC_A_MAX, NULL) < 0 ||
	    !tb[LAGWLC_A_REPLICA] ||
	    nla_parse_nested(rtb, LAGWLC_R_MAX, tb[LAGWLC_A_REPLICA], replica_policy) < 0 ||
	    key_parse(rtb, &r->ep) < 0)
		return -NLE_PARSE_ERR;
	if (rtb[LAGWLC_R_LAG_MS]) {
		r->has_lag = true;
		r->lag_ms = nla_get_u32(rtb[LAGWLC_R_LAG_MS]);
	}
	if (rtb[LAGWLC_R_HEALTH])
		r->health = nla_get_u8(rtb[LAGWLC_R_HEALTH]);
	if (rtb[LAGWLC_R_STATE]) {
		r->has_state = true;
		r->state = nla_get_u8(rtb[LAGWLC_R_STATE]);
	}
	if (rtb[LAGWLC_R_OLD_STATE]) {
		r->has_old_state = true;
		r->old_state = nla_get_u8(rtb[LAGWLC_R_OLD_STATE]);
	}
	if (rtb[LAGWLC_R_REASON]) {
		r->has_reason = true;
		r->reason = nla_get_u8(rtb[LAGWLC_R_REASON]);
	}
	if (rtb[LAGWLC_R_AGE_MS]) {
		r->has_age = true;
		r->age_ms = nla_get_u32(rtb[LAGWLC_R_AGE_MS]);
	}
	return 0;
}

/* The same as key_parse, tolerant of anything else in the nest. */
static int nest_key(struct nlattr *nest, struct endpoint *ep)
{
	struct nlattr *tb[LAGWLC_R_MAX + 1];

	if (nla_parse_nested(tb, LAGWLC_R_MAX, nest, NULL) < 0)
		return -1;
	return key_parse(tb, ep);
}

int replica_parse_keys(struct nl_msg *msg, void (*fn)(const struct endpoint *ep, void *arg),
		       void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	struct endpoint ep;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(a) != LAGWLC_A_REPLICA)
			continue;
		if (nest_key(a, &ep) < 0)
			return -NLE_PARSE_ERR;
		fn(&ep, arg);
	}
	return 0;
}

void replica_describe_offset(struct nlmsghdr *req, uint32_t offs, char *buf, size_t len)
{
	struct genlmsghdr *gh = genlmsg_hdr(req);
	struct nlattr *a, *n;
	char name[NAME_STRLEN], who[EP_STRLEN + 16];
	int rem, nrem, i = 0;

	snprintf(buf, len, "at byte %u", offs);
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
		uint32_t aoff = (uint32_t)((char *)a - (char *)req);
		struct endpoint ep;

		i++;
		if (offs < aoff || offs >= aoff + (uint32_t)nla_total_size(nla_len(a)))
			continue;
		if (nla_type(a) == LAGWLC_A_SERVICE) {
			snprintf(buf, len, "%s", attr_name(nla_type(a), name, sizeof(name)));
			nla_for_each_nested(n, a, nrem) {
				uint32_t noff = (uint32_t)((char *)n - (char *)req);

				if (offs >= noff &&
				    offs < noff + (uint32_t)nla_total_size(nla_len(n)))
					snprintf(buf, len, "LAGWLC_A_SERVICE, %s",
						 service_attr_name(nla_type(n), name,
								   sizeof(name)));
			}
			return;
		}
		if (nla_type(a) != LAGWLC_A_REPLICA) {
			snprintf(buf, len, "%s", attr_name(nla_type(a), name, sizeof(name)));
			return;
		}
		if (nest_key(a, &ep) == 0) {
			char e[EP_STRLEN];

			snprintf(who, sizeof(who), "replica %s", ep_format(&ep, e, sizeof(e)));
		} else {
			snprintf(who, sizeof(who), "replica #%d", i);
		}
		snprintf(buf, len, "%s", who);
		nla_for_each_nested(n, a, nrem) {
			uint32_t noff = (uint32_t)((char *)n - (char *)req);

			if (offs >= noff && offs < noff + (uint32_t)nla_total_size(nla_len(n))) {
				snprintf(buf, len, "%s, %s", who,
					 replica_attr_name(nla_type(n), name, sizeof(name)));
				return;
			}
		}
		return;
	}
}

void replica_print(FILE *f, const struct replica *r)
{
	char e[EP_STRLEN], h[NAME_STRLEN], s[NAME_STRLEN];

	fprintf(f, "%s", ep_format(&r->ep, e, sizeof(e)));
	if (r->has_lag)
		fprintf(f, " lag %u ms", r->lag_ms);
	else
		fprintf(f, " lag -");
	if (r->health)
		fprintf(f, " health %s", health_name(r->health, h, sizeof(h)));
	if (r->has_state)
		fprintf(f, " state %s", state_name(r->state, s, sizeof(s)));
	if (r->has_age)
		fprintf(f, " age %u ms", r->age_ms);
	fputc('\n', f);
}

void replica_json_fields(struct json *j, const struct replica *r)
{
	char h[NAME_STRLEN], s[NAME_STRLEN];

	if (r && r->has_lag)
		json_uint(j, "lag_ms", r->lag_ms);
	else
		json_null(j, "lag_ms");
	json_str(j, "health", r && r->health ? health_name(r->health, h, sizeof(h)) : NULL);
	json_str(j, "state", r && r->has_state ? state_name(r->state, s, sizeof(s)) : NULL);
	if (r && r->has_age)
		json_uint(j, "age_ms", r->age_ms);
	else
		json_null(j, "age_ms");
}

void replica_json(struct json *j, const struct replica *r)
{
	char a[INET6_ADDRSTRLEN];

	json_obj_begin(j, NULL);
	json_str(j, "address", ep_format_addr(&r->ep, a, sizeof(a)));
	json_uint(j, "port", r->ep.port);
	replica_json_fields(j, r);
	json_obj_end(j);
}
