// SPDX-License-Identifier: GPL-2.0
/*
 * The "lagwlc" generic netlink family: user space reports replicas' lag and
 * health, deletes or flushes them, reads them back, and listens for state
 * changes on the "events" multicast group. Per network namespace. Every
 * request is validated strictly against a per-operation policy; errors name
 * the offending attribute through extack. docs/netlink/lagwlc.yaml is the
 * specification.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <net/genetlink.h>

#include "lagwlc.h"

enum lagwlc_mcgrp {
	LAGWLC_NLGRP_EVENTS,
};

/* Events carry replicas' addresses and lags: for admins only, like reads. */
static const struct genl_multicast_group lagwlc_mcgrps[] = {
	[LAGWLC_NLGRP_EVENTS] = {
		.name = LAGWLC_MCGRP_EVENTS,
		.flags = LAGWLC_MCGRP_FLAGS,
	},
};

/*
 * Whether the family is registered, under lagwlc_genl_rwsem: a notifier
 * holds it for reading from its check to the end of its multicast, and
 * lagwlc_genl_exit() clears the flag under it for writing before it
 * unregisters. So no event is sent to a family being unregistered,
 * whatever still runs then (the stale work, the URELEASE notifier,
 * tunable writes), and notifiers of different namespaces do not wait for
 * each other.
 */
static DECLARE_RWSEM(lagwlc_genl_rwsem);
static bool lagwlc_genl_up;

/* Port 0 is a key: IPVS takes real servers with port 0 (fwmark services). */
static const struct nla_policy lagwlc_key_policy[LAGWLC_R_MAX + 1] = {
	[LAGWLC_R_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LAGWLC_R_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LAGWLC_R_PORT] = { .type = NLA_U16 },
};

static const struct nla_policy lagwlc_report_policy[LAGWLC_R_MAX + 1] = {
	[LAGWLC_R_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LAGWLC_R_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LAGWLC_R_PORT] = { .type = NLA_U16 },
	[LAGWLC_R_LAG_MS] = { .type = NLA_U32 },
	[LAGWLC_R_HEALTH] = NLA_POLICY_RANGE(NLA_U8, LAGWLC_HEALTH_UP,
					     LAGWLC_HEALTH_MAX),
};

static const struct nla_policy lagwlc_set_policy[LAGWLC_A_MAX + 1] = {
	[LAGWLC_A_REPLICA] = NLA_POLICY_NESTED(lagwlc_report_policy),
	[LAGWLC_A_SOCKET_OWNER] = { .type = NLA_FLAG },
};

static const struct nla_policy lagwlc_key_req_policy[LAGWLC_A_MAX + 1] = {
	[LAGWLC_A_REPLICA] = NLA_POLICY_NESTED(lagwlc_key_policy),
};

static const struct nla_policy lagwlc_no_attr_policy[LAGWLC_A_MAX + 1] = {
	[LAGWLC_A_REPLICA] = {
		.type = NLA_REJECT,
		.reject_message = "flush takes no attribute",
	},
	[LAGWLC_A_SOCKET_OWNER] = {
		.type = NLA_REJECT,
		.reject_message = "flush takes no attribute",
	},
	[LAGWLC_A_SERVICE] = {
		.type = NLA_REJECT,
		.reject_message = "flush takes no attribute",
	},
};

/*
 * A service's key and settings: each setting within a module parameter's
 * range. Not const: 6.1's nla_policy points to a mutable range.
 */
static struct netlink_range_validation lagwlc_ms_range = {
	.max = LAGWLC_LAG_MAX_MS,
};

static const struct nla_policy lagwlc_svc_policy[LAGWLC_S_MAX + 1] = {
	[LAGWLC_S_PROTOCOL] = { .type = NLA_U8 },
	[LAGWLC_S_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LAGWLC_S_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LAGWLC_S_PORT] = { .type = NLA_U16 },
	[LAGWLC_S_FWMARK] = NLA_POLICY_MIN(NLA_U32, 1),
	[LAGWLC_S_FAMILY] = { .type = NLA_U16 },
	[LAGWLC_S_MAX_LAG_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &lagwlc_ms_range),
	[LAGWLC_S_READMIT_LAG_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &lagwlc_ms_range),
	[LAGWLC_S_LAG_PENALTY_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &lagwlc_ms_range),
	[LAGWLC_S_SLOW_START_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &lagwlc_ms_range),
	[LAGWLC_S_STALE_POLICY] = NLA_POLICY_RANGE(NLA_U8, LAGWLC_STALE_OPEN,
						   LAGWLC_STALE_MAX),
	[LAGWLC_S_ALL_LAGGING] =
		NLA_POLICY_RANGE(NLA_U8, LAGWLC_ALL_LAGGING_LEAST_LAG,
				 LAGWLC_ALL_LAGGING_MAX),
	[LAGWLC_S_BOUND] = { .type = NLA_REJECT,
			     .reject_message = "LAGWLC_S_BOUND is reply-only" },
	[LAGWLC_S_EFF_MAX_LAG_MS ... LAGWLC_S_EFF_ALL_LAGGING] = {
		.type = NLA_REJECT,
		.reject_message = "LAGWLC_S_EFF_* attributes are reply-only",
	},
};

static const struct nla_policy lagwlc_svc_req_policy[LAGWLC_A_MAX + 1] = {
	[LAGWLC_A_SERVICE] = NLA_POLICY_NESTED(lagwlc_svc_policy),
};

static struct genl_family lagwlc_genl_family;

static int lagwlc_parse_key(const struct nlattr *nest, struct nlattr **tb,
			    struct lagwlc_key *key,
			    struct netlink_ext_ack *extack)
{
	memset(key, 0, sizeof(*key));
	if (tb[LAGWLC_R_ADDR4] && tb[LAGWLC_R_ADDR6]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LAGWLC_R_ADDR6],
				    "replica has both LAGWLC_R_ADDR4 and LAGWLC_R_ADDR6");
		return -EINVAL;
	}
	if (tb[LAGWLC_R_ADDR4]) {
		key->af = AF_INET;
		key->addr.ip = nla_get_in_addr(tb[LAGWLC_R_ADDR4]);
	} else if (tb[LAGWLC_R_ADDR6]) {
		key->af = AF_INET6;
		key->addr.in6 = nla_get_in6_addr(tb[LAGWLC_R_ADDR6]);
	} else {
		NL_SET_ERR_ATTR_MISS(extack, nest, LAGWLC_R_ADDR4);
		NL_SET_ERR_MSG(extack, "replica address missing: LAGWLC_R_ADDR4 or LAGWLC_R_ADDR6");
		return -EINVAL;
	}
	if (!tb[LAGWLC_R_PORT]) {
		NL_SET_ERR_ATTR_MISS(extack, nest, LAGWLC_R_PORT);
		NL_SET_ERR_MSG(extack, "replica port missing: LAGWLC_R_PORT");
		return -EINVAL;
	}
	key->port = nla_get_u16(tb[LAGWLC_R_PORT]);
	return 0;
}

static int lagwlc_parse_report(const struct nlattr *nest,
			       struct lagwlc_report *rep,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[LAGWLC_R_MAX + 1];
	int err;

	err = nla_parse_nested(tb, LAGWLC_R_MAX, nest, lagwlc_report_policy,
			       extack);
	if (err)
		return err;
	err = lagwlc_parse_key(nest, tb, &rep->key, extack);
	if (err)
		return err;
	rep->nest = nest;
	rep->up = !tb[LAGWLC_R_HEALTH] ||
		  nla_get_u8(tb[LAGWLC_R_HEALTH]) == LAGWLC_HEALTH_UP;
	rep->has_lag = tb[LAGWLC_R_LAG_MS];
	if (!rep->has_lag && rep->up) {
		NL_SET_ERR_ATTR_MISS(extack, nest, LAGWLC_R_LAG_MS);
		NL_SET_ERR_MSG(extack, "LAGWLC_R_LAG_MS missing: required unless health is down");
		return -EINVAL;
	}
	if (rep->has_lag)
		rep->lag_ms = nla_get_u32(tb[LAGWLC_R_LAG_MS]);
	return 0;
}

/* The one LAGWLC_A_REPLICA of a key-only request, parsed. */
static int lagwlc_parse_key_req(struct genl_info *info, struct lagwlc_key *key)
{
	const struct nlattr *nest = info->attrs[LAGWLC_A_REPLICA];
	struct nlattr *tb[LAGWLC_R_MAX + 1];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LAGWLC_A_REPLICA)) {
		NL_SET_ERR_MSG(info->extack, "LAGWLC_A_REPLICA missing: the replica to act on");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, LAGWLC_R_MAX, nest, lagwlc_key_policy,
			       info->extack);
	if (err)
		return err;
	return lagwlc_parse_key(nest, tb, key, info->extack);
}

static int lagwlc_put_key(struct sk_buff *skb, const struct lagwlc_key *key)
{
	if (key->af == AF_INET6 ?
	    nla_put_in6_addr(skb, LAGWLC_R_ADDR6, &key->addr.in6) :
	    nla_put_in_addr(skb, LAGWLC_R_ADDR4, key->addr.ip))
		return -EMSGSIZE;
	return nla_put_u16(skb, LAGWLC_R_PORT, key->port);
}

static int lagwlc_fill_replica(struct sk_buff *skb,
			       const struct lagwlc_replica *r,
			       u8 old_state, u8 reason)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, LAGWLC_A_REPLICA);
	if (!nest)
		return -EMSGSIZE;
	if (lagwlc_put_key(skb, &r->key) ||
	    nla_put_u32(skb, LAGWLC_R_LAG_MS, r->lag_ms) ||
	    nla_put_u8(skb, LAGWLC_R_HEALTH,
		       r->up ? LAGWLC_HEALTH_UP : LAGWLC_HEALTH_DOWN) ||
	    nla_put_u8(skb, LAGWLC_R_STATE, r->state) ||
	    nla_put_u32(skb, LAGWLC_R_AGE_MS, lagwlc_replica_age_ms(r)))
		goto err_cancel_nest;
	if (reason && (nla_put_u8(skb, LAGWLC_R_OLD_STATE, old_state) ||
		       nla_put_u8(skb, LAGWLC_R_REASON, reason)))
		goto err_cancel_nest;
	nla_nest_end(skb, nest);
	return 0;

err_cancel_nest:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * Some new replicas did not fit in the table (the others were applied):
 * reply with the key of each refused one, then fail with ENOSPC and an
 * extack that points at the first. A reporter learns every refusal from
 * one request and can say so once per replica.
 */
static int lagwlc_nl_refused(struct genl_info *info,
			     const struct lagwlc_report *reps, unsigned int n)
{
	const struct lagwlc_report *first = NULL;
	struct sk_buff *msg;
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	/* a replica nest is at most 32 bytes: 256 of them fit in 16 KiB */
	msg = genlmsg_new(n * nla_total_size(32), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &lagwlc_genl_family, 0,
				LAGWLC_CMD_REPLICA_SET);
	if (!hdr)
		goto err_free_msg;
	for (i = 0; i < n; i++) {
		if (!reps[i].refused)
			continue;
		if (!first)
			first = &reps[i];
		nest = nla_nest_start(msg, LAGWLC_A_REPLICA);
		if (!nest || lagwlc_put_key(msg, &reps[i].key))
			goto err_free_msg;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	genlmsg_reply(msg, info);
	NL_SET_ERR_MSG_ATTR(info->extack, first ? first->nest : NULL,
			    "lag table full (max_entries): new replica refused, the others were applied");
	return -ENOSPC;

err_free_msg:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int lagwlc_nl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct lagwlc_net *ln = lagwlc_net(genl_info_net(info));
	struct lagwlc_report *reps;
	const struct nlattr *nest;
	unsigned int i, n = 0;
	int rem, err = 0;

	nlmsg_for_each_attr(nest, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nest) == LAGWLC_A_REPLICA)
			n++;
	}
	if (!n) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, LAGWLC_A_REPLICA);
		NL_SET_ERR_MSG(info->extack, "no replica given: LAGWLC_A_REPLICA is required");
		return -EINVAL;
	}
	if (n > LAGWLC_SET_MAX) {
		NL_SET_ERR_MSG(info->extack, "too many replicas in one message");
		return -E2BIG;
	}

	reps = kcalloc(n, sizeof(*reps), GFP_KERNEL);
	if (!reps)
		return -ENOMEM;
	n = 0;
	nlmsg_for_each_attr(nest, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nest) != LAGWLC_A_REPLICA)
			continue;
		err = lagwlc_parse_report(nest, &reps[n], info->extack);
		if (err)
			goto out_free_reps;
		/* one message, one report per replica: no order to guess */
		for (i = 0; i < n; i++) {
			if (lagwlc_key_equal(&reps[i].key, &reps[n].key)) {
				NL_SET_ERR_MSG_ATTR(info->extack, nest,
						    "replica given twice in one message");
				err = -EINVAL;
				goto out_free_reps;
			}
		}
		n++;
	}
	/* portid 0: owned by no socket, only stale_ms makes it stale */
	err = lagwlc_replica_set(ln, reps, n,
				 info->attrs[LAGWLC_A_SOCKET_OWNER] ?
				 info->snd_portid : 0);
	if (err > 0)
		err = lagwlc_nl_refused(info, reps, n);

out_free_reps:
	kfree(reps);
	return err;
}

static int lagwlc_nl_del(struct sk_buff *skb, struct genl_info *info)
{
	struct lagwlc_net *ln = lagwlc_net(genl_info_net(info));
	struct lagwlc_key key;
	int err;

	err = lagwlc_parse_key_req(info, &key);
	if (err)
		return err;
	err = lagwlc_replica_del(ln, &key);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LAGWLC_A_REPLICA],
				    "no such replica");
	return err;
}

/*
 * The service of LAGWLC_A_SERVICE: protocol, address and port, or fwmark
 * (and family); its settings are parsed into @c when @settings. @tb gets
 * the nest's attributes.
 */
static int lagwlc_parse_svc(struct genl_info *info, struct nlattr **tb,
			    struct lagwlc_svc_conf *c, bool settings)
{
	const struct nlattr *nest = info->attrs[LAGWLC_A_SERVICE];
	struct netlink_ext_ack *extack = info->extack;
	struct lagwlc_svc_key *key = &c->key;
	unsigned int i;
	int err;

	memset(c, 0, sizeof(*c));
	if (GENL_REQ_ATTR_CHECK(info, LAGWLC_A_SERVICE)) {
		NL_SET_ERR_MSG(extack, "LAGWLC_A_SERVICE missing: the service to act on");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, LAGWLC_S_MAX, nest, lagwlc_svc_policy,
			       extack);
	if (err)
		return err;
	if (tb[LAGWLC_S_FWMARK]) {
		for (i = LAGWLC_S_PROTOCOL; i <= LAGWLC_S_PORT; i++) {
			if (tb[i]) {
				NL_SET_ERR_MSG_ATTR(extack, tb[i],
						    "a fwmark service has no protocol, address or port");
				return -EINVAL;
			}
		}
		key->fwmark = nla_get_u32(tb[LAGWLC_S_FWMARK]);
		key->af = tb[LAGWLC_S_FAMILY] ?
			  nla_get_u16(tb[LAGWLC_S_FAMILY]) : AF_INET;
		if (key->af != AF_INET && key->af != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LAGWLC_S_FAMILY],
					    "LAGWLC_S_FAMILY must be AF_INET or AF_INET6");
			return -EINVAL;
		}
	} else {
		if (tb[LAGWLC_S_FAMILY]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LAGWLC_S_FAMILY],
					    "LAGWLC_S_FAMILY is for fwmark services: the address gives the family");
			return -EINVAL;
		}
		if (tb[LAGWLC_S_ADDR4] && tb[LAGWLC_S_ADDR6]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LAGWLC_S_ADDR6],
					    "service has both LAGWLC_S_ADDR4 and LAGWLC_S_ADDR6");
			return -EINVAL;
		}
		if (tb[LAGWLC_S_ADDR4]) {
			key->af = AF_INET;
			key->addr.ip = nla_get_in_addr(tb[LAGWLC_S_ADDR4]);
		} else if (tb[LAGWLC_S_ADDR6]) {
			key->af = AF_INET6;
			key->addr.in6 = nla_get_in6_addr(tb[LAGWLC_S_ADDR6]);
		} else {
			NL_SET_ERR_ATTR_MISS(extack, nest, LAGWLC_S_ADDR4);
			NL_SET_ERR_MSG(extack, "no service: LAGWLC_S_ADDR4, _ADDR6 or _FWMARK");
			return -EINVAL;
		}
		if (!tb[LAGWLC_S_PROTOCOL]) {
			NL_SET_ERR_ATTR_MISS(extack, nest, LAGWLC_S_PROTOCOL);
			NL_SET_ERR_MSG(extack, "service protocol missing: LAGWLC_S_PROTOCOL");
			return -EINVAL;
		}
		key->protocol = nla_get_u8(tb[LAGWLC_S_PROTOCOL]);
		if (key->protocol != IPPROTO_TCP &&
		    key->protocol != IPPROTO_UDP &&
		    key->protocol != IPPROTO_SCTP) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LAGWLC_S_PROTOCOL],
					    "LAGWLC_S_PROTOCOL must be IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP");
			return -EINVAL;
		}
		if (!tb[LAGWLC_S_PORT]) {
			NL_SET_ERR_ATTR_MISS(extack, nest, LAGWLC_S_PORT);
			NL_SET_ERR_MSG(extack, "service port missing: LAGWLC_S_PORT");
			return -EINVAL;
		}
		key->port = nla_get_u16(tb[LAGWLC_S_PORT]);
	}

	for (i = LAGWLC_S_MAX_LAG_MS; i <= LAGWLC_S_ALL_LAGGING; i++) {
		if (!tb[i])
			continue;
		if (!settings) {
			NL_SET_ERR_MSG_ATTR(extack, tb[i],
					    "settings are for LAGWLC_CMD_SVC_SET only: give the key only");
			return -EINVAL;
		}
		c->set |= BIT(i);
	}
	if (!settings)
		return 0;
	if (!c->set) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "no setting given: use LAGWLC_CMD_SVC_DEL to follow the module parameters");
		return -EINVAL;
	}
	if (tb[LAGWLC_S_MAX_LAG_MS])
		c->max_lag_ms = nla_get_u32(tb[LAGWLC_S_MAX_LAG_MS]);
	if (tb[LAGWLC_S_READMIT_LAG_MS])
		c->readmit_lag_ms = nla_get_u32(tb[LAGWLC_S_READMIT_LAG_MS]);
	if (tb[LAGWLC_S_LAG_PENALTY_MS])
		c->lag_penalty_ms = nla_get_u32(tb[LAGWLC_S_LAG_PENALTY_MS]);
	if (tb[LAGWLC_S_SLOW_START_MS])
		c->slow_start_ms = nla_get_u32(tb[LAGWLC_S_SLOW_START_MS]);
	if (tb[LAGWLC_S_STALE_POLICY])
		c->stale_policy = nla_get_u8(tb[LAGWLC_S_STALE_POLICY]);
	if (tb[LAGWLC_S_ALL_LAGGING])
		c->all_lagging = nla_get_u8(tb[LAGWLC_S_ALL_LAGGING]);
	if (tb[LAGWLC_S_MAX_LAG_MS] && tb[LAGWLC_S_READMIT_LAG_MS] &&
	    c->readmit_lag_ms > c->max_lag_ms) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LAGWLC_S_READMIT_LAG_MS],
				    "readmit_lag_ms must be <= max_lag_ms");
		return -EINVAL;
	}
	return 0;
}

static int lagwlc_put_svc_key(struct sk_buff *skb,
			      const struct lagwlc_svc_key *key)
{
	if (key->fwmark)
		return nla_put_u32(skb, LAGWLC_S_FWMARK, key->fwmark) ||
		       nla_put_u16(skb, LAGWLC_S_FAMILY, key->af) ?
		       -EMSGSIZE : 0;
	if (nla_put_u8(skb, LAGWLC_S_PROTOCOL, key->protocol) ||
	    (key->af == AF_INET6 ?
	     nla_put_in6_addr(skb, LAGWLC_S_ADDR6, &key->addr.in6) :
	     nla_put_in_addr(skb, LAGWLC_S_ADDR4, key->addr.ip)) ||
	    nla_put_u16(skb, LAGWLC_S_PORT, key->port))
		return -EMSGSIZE;
	return 0;
}

/* Room for one service nest: key, six settings, flag, six values. */
#define LAGWLC_SVC_NLSIZE 256

/*
 * One service's nest: its key, its settings (@c, or NULL), whether it is a
 * lagwlc service, and the values in force. Under ln->lock.
 */
static int lagwlc_fill_svc(struct sk_buff *skb, const struct lagwlc_svc_key *key,
			   const struct lagwlc_svc_conf *c, bool bound)
{
	struct lagwlc_svc_eff e;
	struct nlattr *nest;
	u32 set = c ? c->set : 0;

	lagwlc_svc_eff(c, &e);
	nest = nla_nest_start(skb, LAGWLC_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (lagwlc_put_svc_key(skb, key) ||
	    (bound && nla_put_flag(skb, LAGWLC_S_BOUND)))
		goto err_cancel_nest;
	if (((set & BIT(LAGWLC_S_MAX_LAG_MS)) &&
	     nla_put_u32(skb, LAGWLC_S_MAX_LAG_MS, c->max_lag_ms)) ||
	    ((set & BIT(LAGWLC_S_READMIT_LAG_MS)) &&
	     nla_put_u32(skb, LAGWLC_S_READMIT_LAG_MS, c->readmit_lag_ms)) ||
	    ((set & BIT(LAGWLC_S_LAG_PENALTY_MS)) &&
	     nla_put_u32(skb, LAGWLC_S_LAG_PENALTY_MS, c->lag_penalty_ms)) ||
	    ((set & BIT(LAGWLC_S_SLOW_START_MS)) &&
	     nla_put_u32(skb, LAGWLC_S_SLOW_START_MS, c->slow_start_ms)) ||
	    ((set & BIT(LAGWLC_S_STALE_POLICY)) &&
	     nla_put_u8(skb, LAGWLC_S_STALE_POLICY, c->stale_policy)) ||
	    ((set & BIT(LAGWLC_S_ALL_LAGGING)) &&
	     nla_put_u8(skb, LAGWLC_S_ALL_LAGGING, c->all_lagging)))
		goto err_cancel_nest;
	if (nla_put_u32(skb, LAGWLC_S_EFF_MAX_LAG_MS, e.rp.max_lag_ms) ||
	    nla_put_u32(skb, LAGWLC_S_EFF_READMIT_LAG_MS, e.rp.readmit_lag_ms) ||
	    nla_put_u32(skb, LAGWLC_S_EFF_LAG_PENALTY_MS, e.rp.lag_penalty_ms) ||
	    nla_put_u32(skb, LAGWLC_S_EFF_SLOW_START_MS, e.slow_start_ms) ||
	    nla_put_u8(skb, LAGWLC_S_EFF_STALE_POLICY,
		       e.rp.stale_closed ? LAGWLC_STALE_CLOSED :
					   LAGWLC_STALE_OPEN) ||
	    nla_put_u8(skb, LAGWLC_S_EFF_ALL_LAGGING,
		       e.reject_lagging ? LAGWLC_ALL_LAGGING_REJECT :
					  LAGWLC_ALL_LAGGING_LEAST_LAG))
		goto err_cancel_nest;
	nla_nest_end(skb, nest);
	return 0;

err_cancel_nest:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int lagwlc_nl_svc_set(struct sk_buff *skb, struct genl_info *info)
{
	struct lagwlc_net *ln = lagwlc_net(genl_info_net(info));
	struct nlattr *tb[LAGWLC_S_MAX + 1];
	struct lagwlc_svc_conf c;
	int err;

	err = lagwlc_parse_svc(info, tb, &c, true);
	if (err)
		return err;
	err = lagwlc_conf_set(ln, &c);
	if (err == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LAGWLC_A_SERVICE],
				    "too many services' settings (LAGWLC_SVC_MAX): delete some first");
	return err;
}

static int lagwlc_nl_svc_del(struct sk_buff *skb, struct genl_info *info)
{
	struct lagwlc_net *ln = lagwlc_net(genl_info_net(info));
	struct nlattr *tb[LAGWLC_S_MAX + 1];
	struct lagwlc_svc_conf c;
	int err;

	err = lagwlc_parse_svc(info, tb, &c, false);
	if (err)
		return err;
	err = lagwlc_conf_del(ln, &c.key);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LAGWLC_A_SERVICE],
				    "no settings for this service");
	return err;
}

static int lagwlc_nl_svc_get(struct sk_buff *skb, struct genl_info *info)
{
	struct lagwlc_net *ln = lagwlc_net(genl_info_net(info));
	struct nlattr *tb[LAGWLC_S_MAX + 1];
	struct lagwlc_svc_conf key, *c;
	struct sk_buff *msg;
	bool bound;
	void *hdr;
	int err;

	err = lagwlc_parse_svc(info, tb, &key, false);
	if (err)
		return err;

	msg = genlmsg_new(LAGWLC_SVC_NLSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &lagwlc_genl_family, 0,
				LAGWLC_CMD_SVC_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free_msg;
	}

	mutex_lock(&ln->lock);
	c = lagwlc_conf_find(ln, &key.key);
	bound = lagwlc_svc_find(ln, &key.key);
	if (c || bound)
		err = lagwlc_fill_svc(msg, &key.key, c, bound);
	mutex_unlock(&ln->lock);
	if (!c && !bound) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LAGWLC_A_SERVICE],
				    "no such service: neither settings nor a lagwlc service");
		err = -ENOENT;
	}
	if (err)
		goto err_free_msg;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free_msg:
	nlmsg_free(msg);
	return err;
}

static int lagwlc_dump_svc_one(struct sk_buff *skb, struct netlink_callback *cb,
			       const struct lagwlc_svc_key *key,
			       const struct lagwlc_svc_conf *c, bool bound)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &lagwlc_genl_family, NLM_F_MULTI, LAGWLC_CMD_SVC_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (lagwlc_fill_svc(skb, key, c, bound)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Dump every service's settings (with whether the service is bound), then
 * every lagwlc service that has none; resumes at the index in cb->args[0]
 * of that sequence. A change between two parts sets NLM_F_DUMP_INTR.
 */
static int lagwlc_nl_svc_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct lagwlc_net *ln = lagwlc_net(sock_net(skb->sk));
	unsigned long skip = cb->args[0], idx = 0;
	struct lagwlc_svc_key key;
	struct lagwlc_svc_conf *c;
	struct lagwlc_svc *s;

	mutex_lock(&ln->lock);
	/* 0 means "no sequence" to nl_dump_check_consistent() */
	cb->seq = ln->svc_gen ?: 1;
	list_for_each_entry(c, &ln->confs, node) {
		if (idx >= skip &&
		    lagwlc_dump_svc_one(skb, cb, &c->key, c,
					lagwlc_svc_find(ln, &c->key)))
			goto out_unlock;
		idx++;
	}
	list_for_each_entry(s, &ln->services, node) {
		if (s->conf)
			continue;
		lagwlc_svc_key_of(s->svc, &key);
		if (idx >= skip && lagwlc_dump_svc_one(skb, cb, &key, NULL, true))
			goto out_unlock;
		idx++;
	}
out_unlock:
	mutex_unlock(&ln->lock);
	cb->args[0] = idx;
	return skb->len;
}

static int lagwlc_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	lagwlc_replica_flush(lagwlc_net(genl_info_net(info)));
	return 0;
}

static int lagwlc_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct lagwlc_net *ln = lagwlc_net(genl_info_net(info));
	struct lagwlc_replica *r;
	struct lagwlc_key key;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = lagwlc_parse_key_req(info, &key);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &lagwlc_genl_family, 0,
				LAGWLC_CMD_REPLICA_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free_msg;
	}

	mutex_lock(&ln->lock);
	r = lagwlc_replica_find(ln, &key);
	if (r)
		err = lagwlc_fill_replica(msg, r, 0, 0);
	mutex_unlock(&ln->lock);
	if (!r) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LAGWLC_A_REPLICA],
				    "no such replica");
		err = -ENOENT;
	}
	if (err)
		goto err_free_msg;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free_msg:
	nlmsg_free(msg);
	return err;
}

static int lagwlc_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct lagwlc_replica *r)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &lagwlc_genl_family, NLM_F_MULTI,
			  LAGWLC_CMD_REPLICA_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (lagwlc_fill_replica(skb, r, 0, 0)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Dump every replica: resumes at (bucket, index in bucket) from cb->args;
 * a table changed between two parts sets NLM_F_DUMP_INTR on the next one.
 */
static int lagwlc_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct lagwlc_net *ln = lagwlc_net(sock_net(skb->sk));
	unsigned long bkt = cb->args[0], skip = cb->args[1], idx = 0;
	struct lagwlc_replica *r;

	struct lagwlc_table *t;

	mutex_lock(&ln->lock);
	cb->seq = ln->gen;
	t = rcu_dereference_protected(ln->table, lockdep_is_held(&ln->lock));
	for (; t && bkt < HASH_SIZE(t->buckets); bkt++, skip = 0) {
		idx = 0;
		hlist_for_each_entry(r, &t->buckets[bkt], node) {
			if (idx >= skip && lagwlc_dump_one(skb, cb, r))
				goto out_unlock;
			idx++;
		}
	}
	idx = 0;
out_unlock:
	mutex_unlock(&ln->lock);
	cb->args[0] = bkt;
	cb->args[1] = idx;
	return skb->len;
}

void lagwlc_notify(struct lagwlc_net *ln, const struct lagwlc_replica *r,
		   u8 old_state, u8 reason)
{
	struct sk_buff *msg;
	void *hdr;

	down_read(&lagwlc_genl_rwsem);
	if (!lagwlc_genl_up ||
	    !genl_has_listeners(&lagwlc_genl_family, ln->net,
				LAGWLC_NLGRP_EVENTS))
		goto out_unlock;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto out_unlock;
	hdr = genlmsg_put(msg, 0, 0, &lagwlc_genl_family, 0,
			  LAGWLC_CMD_STATE_CHANGE);
	if (!hdr || lagwlc_fill_replica(msg, r, old_state, reason)) {
		nlmsg_free(msg);
		goto out_unlock;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&lagwlc_genl_family, ln->net, msg, 0,
				LAGWLC_NLGRP_EVENTS, GFP_KERNEL);
out_unlock:
	up_read(&lagwlc_genl_rwsem);
}

/* Under ln->lock: @key's settings were set or deleted. */
void lagwlc_notify_svc(struct lagwlc_net *ln, const struct lagwlc_svc_key *key)
{
	struct sk_buff *msg;
	void *hdr;

	down_read(&lagwlc_genl_rwsem);
	if (!lagwlc_genl_up ||
	    !genl_has_listeners(&lagwlc_genl_family, ln->net,
				LAGWLC_NLGRP_EVENTS))
		goto out_unlock;

	msg = genlmsg_new(LAGWLC_SVC_NLSIZE, GFP_KERNEL);
	if (!msg)
		goto out_unlock;
	hdr = genlmsg_put(msg, 0, 0, &lagwlc_genl_family, 0,
			  LAGWLC_CMD_SVC_CHANGE);
	if (!hdr || lagwlc_fill_svc(msg, key, lagwlc_conf_find(ln, key),
				    lagwlc_svc_find(ln, key))) {
		nlmsg_free(msg);
		goto out_unlock;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&lagwlc_genl_family, ln->net, msg, 0,
				LAGWLC_NLGRP_EVENTS, GFP_KERNEL);
out_unlock:
	up_read(&lagwlc_genl_rwsem);
}

static const struct genl_ops lagwlc_genl_ops[] = {
	{
		.cmd = LAGWLC_CMD_REPLICA_SET,
		.doit = lagwlc_nl_set,
		.policy = lagwlc_set_policy,
		.maxattr = LAGWLC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LAGWLC_CMD_REPLICA_DEL,
		.doit = lagwlc_nl_del,
		.policy = lagwlc_key_req_policy,
		.maxattr = LAGWLC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LAGWLC_CMD_REPLICA_FLUSH,
		.doit = lagwlc_nl_flush,
		.policy = lagwlc_no_attr_policy,
		.maxattr = LAGWLC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LAGWLC_CMD_REPLICA_GET,
		.doit = lagwlc_nl_get,
		.dumpit = lagwlc_nl_dump,
		.policy = lagwlc_key_req_policy,
		.maxattr = LAGWLC_A_MAX,
		/* IPVS needs CAP_NET_ADMIN to list services too */
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LAGWLC_CMD_SVC_SET,
		.doit = lagwlc_nl_svc_set,
		.policy = lagwlc_svc_req_policy,
		.maxattr = LAGWLC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LAGWLC_CMD_SVC_DEL,
		.doit = lagwlc_nl_svc_del,
		.policy = lagwlc_svc_req_policy,
		.maxattr = LAGWLC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LAGWLC_CMD_SVC_GET,
		.doit = lagwlc_nl_svc_get,
		.dumpit = lagwlc_nl_svc_dump,
		.policy = lagwlc_svc_req_policy,
		.maxattr = LAGWLC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/* not __ro_after_init: registered after init, see lagwlc_genl_register() */
static struct genl_family lagwlc_genl_family = {
	.name = LAGWLC_GENL_NAME,
	.version = LAGWLC_GENL_VERSION,
	.maxattr = LAGWLC_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = lagwlc_genl_ops,
	.n_ops = ARRAY_SIZE(lagwlc_genl_ops),
	.mcgrps = lagwlc_mcgrps,
	.n_mcgrps = ARRAY_SIZE(lagwlc_mcgrps),
};

/*
 * The family is registered from a work item, not from module init.
 * "ipvsadm -A ... -s lagwlc" loads this module through request_module()
 * from inside IPVS's own generic netlink handler, which holds genetlink's
 * cb_lock for reading until modprobe returns; genl_register_family() takes
 * it for writing, so registering from init would deadlock that autoload.
 * The family appears a moment after init; user space retries its lookup
 * while /sys/module/ip_vs_lagwlc exists but the family does not yet.
 */
static void lagwlc_genl_register(struct work_struct *work)
{
	int err = genl_register_family(&lagwlc_genl_family);

	if (err) {
		pr_err("cannot register generic netlink family %s: %d\n",
		       LAGWLC_GENL_NAME, err);
		return;
	}
	if (!LAGWLC_MCGRP_FLAGS)
		pr_notice("this kernel cannot restrict multicast groups: any local user can listen to lagwlc events\n");
	down_write(&lagwlc_genl_rwsem);
	lagwlc_genl_up = true;
	up_write(&lagwlc_genl_rwsem);
}

static DECLARE_WORK(lagwlc_genl_work, lagwlc_genl_register);

void lagwlc_genl_init(void)
{
	schedule_work(&lagwlc_genl_work);
}

void lagwlc_genl_exit(void)
{
	bool up;

	cancel_work_sync(&lagwlc_genl_work);
	/* waits for notifiers past their check: see lagwlc_genl_rwsem */
	down_write(&lagwlc_genl_rwsem);
	up = lagwlc_genl_up;
	lagwlc_genl_up = false;
	up_write(&lagwlc_genl_rwsem);
	if (up)
		genl_unregister_family(&lagwlc_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(LAGWLC_GENL_NAME);
