// SPDX-License-Identifier: GPL-2.0
/*
 * IPVS services and destinations over the "IPVS" generic netlink family.
 * IPVS is a legacy family: its ports are in network byte order, its
 * addresses 16-byte unions with IPv4 in the first 4 bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "ipvs.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

struct ipvs_read {
	struct ipvs_table *t;
	size_t cap;
	struct ipvs_service *svc;	/* whose destinations are being read */
	size_t dcap;
};

static const struct nla_policy svc_policy[IPVS_SVC_ATTR_MAX + 1] = {
	[IPVS_SVC_ATTR_AF]		= { .type = NLA_U16 },
	[IPVS_SVC_ATTR_PROTOCOL]	= { .type = NLA_U16 },
	[IPVS_SVC_ATTR_ADDR]		= { .type = NLA_UNSPEC, .minlen = 16 },
	[IPVS_SVC_ATTR_PORT]		= { .type = NLA_U16 },
	[IPVS_SVC_ATTR_FWMARK]		= { .type = NLA_U32 },
	[IPVS_SVC_ATTR_SCHED_NAME]	= { .type = NLA_STRING },
	[IPVS_SVC_ATTR_FLAGS]		= { .type = NLA_UNSPEC, .minlen = sizeof(struct ip_vs_flags) },
	[IPVS_SVC_ATTR_TIMEOUT]		= { .type = NLA_U32 },
	[IPVS_SVC_ATTR_NETMASK]		= { .type = NLA_U32 },
	[IPVS_SVC_ATTR_PE_NAME]		= { .type = NLA_STRING },
};

static const struct nla_policy dest_policy[IPVS_DEST_ATTR_MAX + 1] = {
	[IPVS_DEST_ATTR_ADDR]		= { .type = NLA_UNSPEC, .minlen = 16 },
	[IPVS_DEST_ATTR_PORT]		= { .type = NLA_U16 },
	[IPVS_DEST_ATTR_FWD_METHOD]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_WEIGHT]		= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_ACTIVE_CONNS]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_INACT_CONNS]	= { .type = NLA_U32 },
	[IPVS_DEST_ATTR_ADDR_FAMILY]	= { .type = NLA_U16 },
};

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static int on_service(struct nl_msg *msg, void *arg)
{
	struct ipvs_read *rd = arg;
	struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1], *s[IPVS_SVC_ATTR_MAX + 1];
	struct ipvs_service *svc;
	struct ipvs_table *t = rd->t;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, IPVS_CMD_ATTR_MAX, NULL) < 0 ||
	    !tb[IPVS_CMD_ATTR_SERVICE] ||
	    nla_parse_nested(s, IPVS_SVC_ATTR_MAX, tb[IPVS_CMD_ATTR_SERVICE], svc_policy) < 0 ||
	    !s[IPVS_SVC_ATTR_AF])
		return -NLE_PARSE_ERR;
	if (t->nsvcs == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 8;
		struct ipvs_service *n = realloc(t->svcs, cap * sizeof(*n));

		if (!n)
			return -NLE_NOMEM;
		t->svcs = n;
		rd->cap = cap;
	}
	svc = &t->svcs[t->nsvcs];
	memset(svc, 0, sizeof(*svc));
	svc->af = nla_get_u16(s[IPVS_SVC_ATTR_AF]);
	if (svc->af != AF_INET && svc->af != AF_INET6)
		return 0;	/* nothing else exists; skip it if it ever does */
	if (s[IPVS_SVC_ATTR_FWMARK])
		svc->fwmark = nla_get_u32(s[IPVS_SVC_ATTR_FWMARK]);
	if (!svc->fwmark) {
		if (!s[IPVS_SVC_ATTR_PROTOCOL] || !s[IPVS_SVC_ATTR_ADDR] || !s[IPVS_SVC_ATTR_PORT])
			return -NLE_PARSE_ERR;
		svc->protocol = nla_get_u16(s[IPVS_SVC_ATTR_PROTOCOL]);
		ep_set(&svc->vip, svc->af, nla_data(s[IPVS_SVC_ATTR_ADDR]),
		       ntohs(nla_get_u16(s[IPVS_SVC_ATTR_PORT])));
	} else {
		svc->vip.family = svc->af;
	}
	if (s[IPVS_SVC_ATTR_SCHED_NAME])
		nla_strlcpy(svc->sched, s[IPVS_SVC_ATTR_SCHED_NAME], sizeof(svc->sched));
	if (s[IPVS_SVC_ATTR_FLAGS])
		memcpy(&svc->flags, nla_data(s[IPVS_SVC_ATTR_FLAGS]), sizeof(svc->flags));
	svc->timeout = get_u32(s[IPVS_SVC_ATTR_TIMEOUT]);
	svc->netmask = get_u32(s[IPVS_SVC_ATTR_NETMASK]);
	if (s[IPVS_SVC_ATTR_PE_NAME])
		nla_strlcpy(svc->pe_name, s[IPVS_SVC_ATTR_PE_NAME], sizeof(svc->pe_name));
	t->nsvcs++;
	return 0;
}

static int on_dest(struct nl_msg *msg, void *arg)
{
	struct ipvs_read *rd = arg;
	struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1], *d[IPVS_DEST_ATTR_MAX + 1];
	struct ipvs_service *svc = rd->svc;
	struct ipvs_dest *dest;
	int af = svc->af;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, IPVS_CMD_ATTR_MAX, NULL) < 0 ||
	    !tb[IPVS_CMD_ATTR_DEST] ||
	    nla_parse_nested(d, IPVS_DEST_ATTR_MAX, tb[IPVS_CMD_ATTR_DEST], dest_policy) < 0 ||
	    !d[IPVS_DEST_ATTR_ADDR] || !d[IPVS_DEST_ATTR_PORT])
		return -NLE_PARSE_ERR;
	if (d[IPVS_DEST_ATTR_ADDR_FAMILY])
		af = nla_get_u16(d[IPVS_DEST_ATTR_ADDR_FAMILY]);
	if (af != AF_INET && af != AF_INET6)
		return 0;
	if (svc->ndests == rd->dcap) {
		size_t cap = rd->dcap ? rd->dcap * 2 : 8;
		struct ipvs_dest *n = realloc(svc->dests, cap * sizeof(*n));

		if (!n)
			return -NLE_NOMEM;
		svc->dests = n;
		rd->dcap = cap;
	}
	dest = &svc->dests[svc->ndests++];
	memset(dest, 0, sizeof(*dest));
	ep_set(&dest->ep, af, nla_data(d[IPVS_DEST_ATTR_ADDR]),
	       ntohs(nla_get_u16(d[IPVS_DEST_ATTR_PORT])));
	dest->fwd = get_u32(d[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK;
	dest->weight = get_u32(d[IPVS_DEST_ATTR_WEIGHT]);
	dest->active = get_u32(d[IPVS_DEST_ATTR_ACTIVE_CONNS]);
	dest->inactive = get_u32(d[IPVS_DEST_ATTR_INACT_CONNS]);
	return 0;
}

static int svc_cmp(const void *pa, const void *pb)
{
	const struct ipvs_service *a = pa, *b = pb;

	if (!!a->fwmark != !!b->fwmark)
		return a->fwmark ? 1 : -1;
	if (a->fwmark != b->fwmark)
		return a->fwmark < b->fwmark ? -1 : 1;
	if (a->af != b->af)
		return a->af == AF_INET ? -1 : 1;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	return ep_cmp(&a->vip, &b->vip);
}

/*
 * The service's identity, for IPVS_CMD_GET_DEST; with sched, everything
 * IPVS_CMD_SET_SERVICE requires, the rest as read.
 */
static int put_service(struct nl_msg *msg, const struct ipvs_service *svc, const char *sched)
{
	struct nlattr *nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
	int r;

	if (!nest)
		return -NLE_NOMEM;
	r = nla_put_u16(msg, IPVS_SVC_ATTR_AF, (uint16_t)svc->af);
	if (!r && svc->fwmark) {
		r = nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, svc->fwmark);
	} else if (!r) {
		r = nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, svc->protocol);
		if (!r)
			r = nla_put(msg, IPVS_SVC_ATTR_ADDR, 16, svc->vip.addr.raw);
		if (!r)
			r = nla_put_u16(msg, IPVS_SVC_ATTR_PORT, htons(svc->vip.port));
	}
	if (!r && sched) {
		struct ip_vs_flags flags = { .flags = svc->flags.flags, .mask = ~0U };

		r = nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, sched);
		if (!r)
			r = nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof(flags), &flags);
		if (!r)
			r = nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, svc->timeout);
		if (!r)
			r = nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK, svc->netmask);
		/* without it IPVS would drop the service's persistence engine */
		if (!r && svc->pe_name[0])
			r = nla_put_string(msg, IPVS_SVC_ATTR_PE_NAME, svc->pe_name);
	}
	if (r < 0)
		return r;
	return nla_nest_end(msg, nest);
}

/* One dump, retried while interrupted; 0 or lnl_transact's error. */
static int dump(struct lnl *c, int family, uint8_t cmd, const struct ipvs_service *svc,
		lnl_msg_fn fn, struct ipvs_read *rd, struct lnl_err *err)
{
	int tries, r = 0;

	for (tries = 0; tries < LNL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = lnl_msg(family, cmd, IPVS_GENL_VERSION, NLM_F_DUMP, 0);

		if (!msg)
			return -NLE_NOMEM;
		/* start over */
		if (svc) {
			rd->svc->ndests = 0;
		} else {
			ipvs_free(rd->t);
			rd->cap = 0;
		}
		r = svc ? put_service(msg, svc, NULL) : 0;
		if (!r)
			r = lnl_transact(c, msg, fn, rd, err);
		nlmsg_free(msg);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	return r;
}

enum ipvs_status ipvs_read(struct lnl *c, const char *sched, struct ipvs_table *t)
{
	struct ipvs_read rd = { .t = t };
	struct lnl_err err;
	int family, r;
	size_t i;

	memset(t, 0, sizeof(*t));
	family = lnl_resolve(c, IPVS_GENL_NAME);
	if (family == -NLE_OBJ_NOTFOUND)
		return IPVS_ABSENT;
	if (family < 0) {
		lnl_log(false, "cannot resolve the generic netlink family %s: %s",
			IPVS_GENL_NAME, nl_geterror(family));
		return IPVS_FAILED;
	}
	r = dump(c, family, IPVS_CMD_GET_SERVICE, NULL, on_service, &rd, &err);
	if (r == EPERM || r == EACCES) {
		ipvs_free(t);
		return IPVS_DENIED;
	}
	if (r) {
		lnl_report("reading IPVS services", r, &err, false);
		ipvs_free(t);
		return IPVS_FAILED;
	}
	qsort(t->svcs, t->nsvcs, sizeof(*t->svcs), svc_cmp);
	for (i = 0; i < t->nsvcs; i++) {
		if (strcmp(t->svcs[i].sched, sched))
			continue;
		rd.svc = &t->svcs[i];
		rd.dcap = 0;
		r = dump(c, family, IPVS_CMD_GET_DEST, rd.svc, on_dest, &rd, &err);
		if (r == ENOENT) {
			/* the service went away meanwhile */
			rd.svc->ndests = 0;
		} else if (r) {
			lnl_report("reading IPVS destinations", r, &err, false);
			ipvs_free(t);
			return IPVS_FAILED;
		}
	}
	return IPVS_READ;
}

int ipvs_set_sched(struct lnl *c, const struct ipvs_service *svc, const char *sched,
		   struct lnl_err *err)
{
	struct nl_msg *msg;
	int family, r;

	memset(err, 0, sizeof(*err));
	family = lnl_resolve(c, IPVS_GENL_NAME);
	if (family < 0)
		return family;
	msg = lnl_msg(family, IPVS_CMD_SET_SERVICE, IPVS_GENL_VERSION, 0, 0);
	if (!msg)
		return -NLE_NOMEM;
	r = put_service(msg, svc, sched);
	if (!r)
		r = lnl_transact(c, msg, NULL, NULL, err);
	nlmsg_free(msg);
	return r;
}

void ipvs_free(struct ipvs_table *t)
{
	size_t i;

	for (i = 0; i < t->nsvcs; i++)
		free(t->svcs[i].dests);
	free(t->svcs);
	t->svcs = NULL;
	t->nsvcs = 0;
}

const char *ipvs_fwd_name(uint32_t fwd, bool lower)
{
	switch (fwd & IP_VS_CONN_F_FWD_MASK) {
	case IP_VS_CONN_F_MASQ:
		return lower ? "masq" : "Masq";
	case IP_VS_CONN_F_LOCALNODE:
		return lower ? "local" : "Local";
	case IP_VS_CONN_F_TUNNEL:
		return lower ? "tunnel" : "Tunnel";
	case IP_VS_CONN_F_DROUTE:
		return lower ? "route" : "Route";
	case IP_VS_CONN_F_BYPASS:
		return lower ? "bypass" : "Bypass";
	default:
		return lower ? "unknown" : "?";
	}
}

const char *ipvs_proto_name(uint16_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 0:
		return "FWM";
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

int ipvs_reuse_read(void)
{
	char buf[32];
	ssize_t n;
	int fd, mode = 0;
	char *p;

	fd = open(IPVS_REUSE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	for (p = buf; *p >= '0' && *p <= '9' && mode < 100000; p++)
		mode = mode * 10 + (*p - '0');
	if (p == buf || (*p && *p != '\n'))
		return -EINVAL;
	return mode;
}

int ipvs_reuse_write(int mode)
{
	char buf[16];
	int fd, len, r = 0;

	len = snprintf(buf, sizeof(buf), "%d\n", mode);
	fd = open(IPVS_REUSE_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

const struct ipvs_dest *ipvs_oneway_dest(const struct ipvs_service *svc)
{
	size_t i;

	for (i = 0; i < svc->ndests; i++) {
		uint32_t fwd = svc->dests[i].fwd & IP_VS_CONN_F_FWD_MASK;

		if (fwd == IP_VS_CONN_F_DROUTE || fwd == IP_VS_CONN_F_TUNNEL)
			return &svc->dests[i];
	}
	return NULL;
}

bool ipvs_reuse_bypass(const struct ipvs_service *svc, int mode)
{
	return ipvs_oneway_dest(svc) && (mode < 0 || !(mode & IPVS_REUSE_ONEWAY));
}
