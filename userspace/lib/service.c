// SPDX-License-Identifier: GPL-2.0
/* Services' settings in netlink: the LAGWLC_A_SERVICE nest. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "service.h"

int svc_put(struct nl_msg *msg, const struct svc_key *k, const struct svc_set *s)
{
	struct nlattr *nest = nla_nest_start(msg, LAGWLC_A_SERVICE);
	int r = 0;

	if (!nest)
		return -NLE_NOMEM;
	if (k->fwmark) {
		r = nla_put_u32(msg, LAGWLC_S_FWMARK, k->fwmark);
		if (!r && k->ep.family == AF_INET6)
			r = nla_put_u16(msg, LAGWLC_S_FAMILY, AF_INET6);
	} else {
		r = nla_put_u8(msg, LAGWLC_S_PROTOCOL, (uint8_t)k->protocol);
		if (!r)
			r = k->ep.family == AF_INET6 ?
			    nla_put(msg, LAGWLC_S_ADDR6, 16, k->ep.addr.raw) :
			    nla_put(msg, LAGWLC_S_ADDR4, 4, k->ep.addr.raw);
		if (!r)
			r = nla_put_u16(msg, LAGWLC_S_PORT, k->ep.port);
	}
	for (int a = SVC_FIRST; !r && s && a <= SVC_LAST; a++) {
		if (!(s->set & 1u << a))
			continue;
		if (a == LAGWLC_S_STALE_POLICY || a == LAGWLC_S_ALL_LAGGING)
			r = nla_put_u8(msg, a, (uint8_t)s->v[a]);
		else
			r = nla_put_u32(msg, a, s->v[a]);
	}
	if (r < 0)
		return r;
	nla_nest_end(msg, nest);
	return 0;
}

int svc_parse(struct nl_msg *msg, struct svc_info *info)
{
	struct nlattr *tb[LAGWLC_A_MAX + 1], *sb[LAGWLC_S_MAX + 1];

	memset(info, 0, sizeof(*info));
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LAGWLC_A_MAX, NULL) < 0 ||
	    !tb[LAGWLC_A_SERVICE] ||
	    nla_parse_nested(sb, LAGWLC_S_MAX, tb[LAGWLC_A_SERVICE], NULL) < 0)
		return -1;
	if (sb[LAGWLC_S_FWMARK] && nla_len(sb[LAGWLC_S_FWMARK]) == 4) {
		info->key.fwmark = nla_get_u32(sb[LAGWLC_S_FWMARK]);
		info->key.ep.family = sb[LAGWLC_S_FAMILY] &&
				      nla_get_u16(sb[LAGWLC_S_FAMILY]) == AF_INET6 ?
				      AF_INET6 : AF_INET;
	} else if (sb[LAGWLC_S_PROTOCOL] && sb[LAGWLC_S_PORT]) {
		info->key.protocol = nla_get_u8(sb[LAGWLC_S_PROTOCOL]);
		if (sb[LAGWLC_S_ADDR4] && nla_len(sb[LAGWLC_S_ADDR4]) == 4)
			ep_set(&info->key.ep, AF_INET, nla_data(sb[LAGWLC_S_ADDR4]),
			       nla_get_u16(sb[LAGWLC_S_PORT]));
		else if (sb[LAGWLC_S_ADDR6] && nla_len(sb[LAGWLC_S_ADDR6]) == 16)
			ep_set(&info->key.ep, AF_INET6, nla_data(sb[LAGWLC_S_ADDR6]),
			       nla_get_u16(sb[LAGWLC_S_PORT]));
		else
			return -1;
	} else {
		return -1;
	}
	info->bound = sb[LAGWLC_S_BOUND];
	for (int a = SVC_FIRST; a <= LAGWLC_S_EFF_ALL_LAGGING; a++) {
		if (a == LAGWLC_S_BOUND || !sb[a])
			continue;
		info->s.v[a] = a == LAGWLC_S_STALE_POLICY || a == LAGWLC_S_ALL_LAGGING ||
			       a == LAGWLC_S_EFF_STALE_POLICY || a == LAGWLC_S_EFF_ALL_LAGGING ?
			       nla_get_u8(sb[a]) : nla_get_u32(sb[a]);
		info->s.set |= 1u << a;
	}
	return 0;
}

int svc_list_add(struct nl_msg *msg, void *arg)
{
	struct svc_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct svc_info *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -NLE_NOMEM;
		l->v = nv;
		l->cap = cap;
	}
	if (svc_parse(msg, &l->v[l->n]) < 0)
		return -NLE_PARSE_ERR;
	l->n++;
	return 0;
}
