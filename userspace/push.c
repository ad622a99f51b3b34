// SPDX-License-Identifier: GPL-2.0
/* LAGWLC_CMD_REPLICA_SET every poll, on one socket for the daemon's life. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "log.h"
#include "push.h"
#include "replica.h"

/* Room for one replica nest: nest, address, port, lag, health headers. */
#define ITEM_NLSIZE (4 + (4 + 16) + 8 + 8 + 8)

int pusher_open(struct pusher *ps)
{
	memset(ps, 0, sizeof(*ps));
	if (lnl_connect(&ps->nl))
		return -1;
	return 0;
}

void pusher_close(struct pusher *ps)
{
	lnl_close(&ps->nl);
}

bool pusher_resolve(struct pusher *ps)
{
	int old = ps->nl.family;
	int r = lnl_resolve(&ps->nl, LAGWLC_GENL_NAME);

	if (r == -NLE_OBJ_NOTFOUND) {
		ps->nl.family = 0;
		if (!ps->absent_logged)
			log_warn("the lagwlc module is not loaded: nothing is pushed until it is (modprobe ip_vs_lagwlc)");
		ps->absent_logged = true;
		return false;
	}
	if (r < 0) {
		log_err("cannot resolve the generic netlink family %s: %s", LAGWLC_GENL_NAME,
			nl_geterror(r));
		return ps->nl.family != 0;
	}
	ps->nl.family = r;
	if (old != r || ps->absent_logged)
		log_notice("lagwlc generic netlink family found (id %d): pushing", r);
	ps->absent_logged = false;
	return true;
}

/* One message of n items; lnl_transact's result. */
static int send_batch(struct pusher *ps, const struct push_item *it, size_t n,
		      struct lnl_err *err)
{
	struct nl_msg *msg = lnl_msg(ps->nl.family, LAGWLC_CMD_REPLICA_SET, LAGWLC_GENL_VERSION,
				     0, n * ITEM_NLSIZE + 8);
	size_t i;
	int r = 0;

	memset(err, 0, sizeof(*err));
	if (!msg)
		return -NLE_NOMEM;
	r = nla_put_flag(msg, LAGWLC_A_SOCKET_OWNER);
	for (i = 0; i < n && !r; i++)
		r = replica_put(msg, &it[i].key, it[i].up && it[i].has_lag, it[i].lag_ms,
				it[i].up ? LAGWLC_HEALTH_UP : LAGWLC_HEALTH_DOWN);
	if (!r)
		r = lnl_transact(&ps->nl, msg, NULL, NULL, err);
	nlmsg_free(msg);
	return r;
}

static void log_failure(struct pusher *ps, int r, const struct lnl_err *err)
{
	char what[512] = "";

	if (r == ps->last_err)
		return;
	ps->last_err = r;
	if (r == EPERM) {
		log_err("push refused: reporting to lagwlc needs CAP_NET_ADMIN; retrying every poll");
	} else if (r > 0) {
		if (err->msg[0] || err->where[0])
			snprintf(what, sizeof(what), "%s%s%s%s: ", err->msg,
				 err->msg[0] && err->where[0] ? " (" : "", err->where,
				 err->msg[0] && err->where[0] ? ")" : "");
		log_err("push failed: %s%s; retrying every poll", what, strerror(r));
	} else {
		log_err("push failed: %s; retrying every poll", nl_geterror(r));
	}
}

int pusher_send(struct pusher *ps, const struct push_item *items, size_t n)
{
	struct lnl_err err;
	size_t off, k;
	int r = 0;

	if (!n)
		return 0;
	/*
	 * Unknown family: the rescan resolves it again, once a second. Not
	 * every poll: each failed lookup has the kernel run modprobe.
	 */
	if (!ps->nl.family)
		return -1;
	for (off = 0; off < n; off += k) {
		k = n - off > LAGWLC_SET_MAX ? LAGWLC_SET_MAX : n - off;
		r = send_batch(ps, items + off, k, &err);
		if (r == ENOENT || r == EOPNOTSUPP) {
			/* the family went away: the module was unloaded, maybe reloaded */
			if (!pusher_resolve(ps))
				return -1;
			r = send_batch(ps, items + off, k, &err);
		}
		if (r)
			break;
	}
	if (r) {
		log_failure(ps, r, &err);
		return -1;
	}
	if (ps->last_err)
		log_notice("pushing again");
	ps->last_err = 0;
	ps->pushes++;
	return 0;
}

void pusher_del(struct pusher *ps, const struct endpoint *key)
{
	struct lnl_err err;
	struct nl_msg *msg;
	char e[EP_STRLEN];
	int r;

	if (!ps->nl.family)
		return;
	msg = lnl_msg(ps->nl.family, LAGWLC_CMD_REPLICA_DEL, LAGWLC_GENL_VERSION, 0, ITEM_NLSIZE);
	if (!msg)
		return;
	r = replica_put(msg, key, false, 0, 0);
	if (!r)
		r = lnl_transact(&ps->nl, msg, NULL, NULL, &err);
	nlmsg_free(msg);
	if (r && r != ENOENT)
		log_warn("replica %s: cannot delete its entry: %s", ep_format(key, e, sizeof(e)),
			 r > 0 ? strerror(r) : nl_geterror(r));
}
