/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pusher: lagwlcd's one generic netlink socket, open for the daemon's
 * life, through which every poll one LAGWLC_CMD_REPLICA_SET (per 256
 * replicas) reports the latest state of every replica, flagged
 * LAGWLC_A_SOCKET_OWNER: when lagwlcd dies the socket closes and the module
 * marks its replicas stale at once. The family is resolved again when it
 * disappears (module reloaded); the same socket also reads IPVS.
 */
#ifndef LAGWLCD_PUSH_H
#define LAGWLCD_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "nl.h"

struct push_item {
	struct endpoint key;
	bool up;
	bool has_lag;		/* up only */
	uint32_t lag_ms;
};

/* Replicas the kernel refused (lag table full), sorted by ep_cmp(). */
struct refusals {
	struct endpoint *v;
	size_t n, cap;
};

struct pusher {
	struct lnl nl;
	bool absent_logged;	/* "module not loaded" said, until it is back */
	int last_err;		/* the failure last logged, 0 after a success */
	uint64_t pushes;	/* successful messages, for the log */
	struct refusals refused;	/* by the last push, each logged once */
};

/* Open the socket; 0, or -1 after logging why. */
int pusher_open(struct pusher *ps);

/* (Re)resolve the lagwlc family; true if known. Logs when it appears or goes. */
bool pusher_resolve(struct pusher *ps);

/*
 * Report items (no key twice) in messages of at most LAGWLC_SET_MAX
 * replicas; nothing while the family is unknown (pusher_resolve() finds
 * it). Errors are logged once until the next success. A replica the
 * kernel refuses because its table is full is logged once, when first
 * refused, and again when accepted; the other replicas are still reported
 * (the kernel applies them). 0 or -1.
 */
int pusher_send(struct pusher *ps, const struct push_item *items, size_t n);

/* Forget a replica lagwlcd no longer probes (ENOENT is fine). */
void pusher_del(struct pusher *ps, const struct endpoint *key);

void pusher_close(struct pusher *ps);

#endif
