// SPDX-License-Identifier: GPL-2.0
/* LAGWLC_CMD_REPLICA_SET every poll, on one socket for the daemon's life. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
	free(ps->refused.v);
	memset(&ps->refused, 0, sizeof(ps->refused));
}

static int ep_cmp_void(const void *a, const void *b)
{
	return ep_cmp(a, b);
}

static bool refused_has(const struct refusals *rf, const struct endpoint *ep)
{
	return rf->n && bsearch(ep, rf->v, rf->n, sizeof(*rf->v), ep_cmp_void);
}

/* lnl_transact's callback for a SET's reply: the replicas it refused. */
static void add_refused(const struct endpoint *ep, void *arg)
{
	struct refusals *rf = arg;

	if (rf->n == rf->cap) {
		size_t cap = rf->cap ? rf->cap * 2 : 16;
		struct endpoint *v = realloc(rf->v, cap * sizeof(*v));

		if (!v)
			return;	/* logged as refused next time */
		rf->v = v;
		rf->cap = cap;
	}
	rf->v[rf->n++] = *ep;
}

static int on_refused(struct nl_msg *msg, void *arg)
{
	return replica_parse_keys(msg, add_refused, arg);
}

/* Say which replicas are newly refused, and which are accepted again. */
static void log_refusals(struct pusher *ps, struct refusals *now,
			 const struct push_item *items, size_t n)
{
	char e[EP_STRLEN];
	size_t i;

	if (now->n)
		qsort(now->v, now->n, sizeof(*now->v), ep_cmp_void);
	for (i = 0; i < now->n; i++) {
		if (!refused_has(&ps->refused, &now->v[i]))
			log_err("replica %s: refused: the kernel's lag table is full (max_entries); it is scheduled as if it had no lag entry until there is room",
				ep_format(&now->v[i], e, sizeof(e)));
	}
	for (i = 0; i < n; i++) {
		if (refused_has(&ps->refused, &items[i].key) && !refused_has(now, &items[i].key))
			log_notice("replica %s: accepted into the lag table",
				   ep_format(&items[i].key, e, sizeof(e)));
	}
	free(ps->refused.v);
	ps->refused = *now;
	memset(now, 0, sizeof(*now));
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

/*
 * One message of n items; lnl_transact's result. ENOSPC: those added to
 * refused did not fit in the table, the others were applied.
 */
static int send_batch(struct pusher *ps, const struct push_item *it, size_t n,
		      struct refusals *refused, struct lnl_err *err)
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
		r = lnl_transact(&ps->nl, msg, on_refused, refused, err);
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
	struct refusals now = { 0 };
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
		r = send_batch(ps, items + off, k, &now, &err);
		if (r == ENOENT || r == EOPNOTSUPP) {
			/* the family went away: the module was unloaded, maybe reloaded */
			if (!pusher_resolve(ps)) {
				free(now.v);
				return -1;
			}
			r = send_batch(ps, items + off, k, &now, &err);
		}
		/* a full table refuses new replicas only: go on with the rest */
		if (r == ENOSPC)
			r = 0;
		if (r)
			break;
	}
	if (r) {
		free(now.v);
		log_failure(ps, r, &err);
		return -1;
	}
	log_refusals(ps, &now, items, n);
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
