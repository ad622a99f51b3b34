/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink plumbing on libnl: a socket with extended ACKs, family
 * resolution, request/reply with the kernel's extack message, and the one
 * line per error class that lagwlcctl prints.
 */
#ifndef LAGWLCCTL_NL_H
#define LAGWLCCTL_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>

/* Dumps interrupted by concurrent changes are retried this many times. */
#define LNL_DUMP_TRIES 5

struct lnl {
	struct nl_sock *sk;
	int family;		/* the "lagwlc" family's id */
};

/* What the kernel said about a failed (or warned about) request. */
struct lnl_err {
	char msg[256];		/* NLMSGERR_ATTR_MSG, or "" */
	char where[192];	/* the offending attribute, mapped, or "" */
};

/*
 * Where the error and warning lines of nl.c and ipvs.c go: each is one line
 * without program name or newline. NULL (the default) prints
 * "lagwlcctl: LINE" on stderr; lagwlcd sends them to its log.
 */
extern void (*lnl_log_hook)(bool warning, const char *line);

/* Emit one such line (printf format). */
void lnl_log(bool warning, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Connect a generic netlink socket and resolve the "lagwlc" family. On
 * failure prints the reason and returns the exit status (1); 0 on success.
 */
int lnl_open(struct lnl *c);

/*
 * Only connect the socket (extended ACKs, capped ACKs, peeked reads); the
 * family is left 0 for the caller to resolve. 1 after printing the reason,
 * or 0.
 */
int lnl_connect(struct lnl *c);
void lnl_close(struct lnl *c);

/* Resolve another family on c's socket: its id, or a negative libnl error
 * (-NLE_OBJ_NOTFOUND when it is not registered).
 */
int lnl_resolve(struct lnl *c, const char *name);

/*
 * A new request: genl header for family/cmd/version, nlmsg flags, room for
 * size bytes of attributes (0: a page). NULL on ENOMEM.
 */
struct nl_msg *lnl_msg(int family, uint8_t cmd, uint8_t version, int flags, size_t size);

/*
 * Called for each reply message of the request's family; returns 0, or a
 * negative libnl error (-NLE_NOMEM, -NLE_PARSE_ERR...) to abandon.
 */
typedef int (*lnl_msg_fn)(struct nl_msg *msg, void *arg);

/*
 * Send req and receive its replies until the ACK, the error or the end of
 * the dump. Returns 0; a positive errno from the kernel, with its extack in
 * *err; -NLE_DUMP_INTR if a dump was interrupted (retry it); or another
 * negative libnl error. Warnings the kernel attaches to a successful ACK
 * are printed.
 */
int lnl_transact(struct lnl *c, struct nl_msg *req, lnl_msg_fn fn, void *arg,
		 struct lnl_err *err);

/*
 * Print the line for a failed operation op, given lnl_transact's result:
 * "lagwlcctl: OP: EXTACK (WHERE): STRERROR". changes: op modifies replica
 * state, so EPERM means CAP_NET_ADMIN is missing. Returns the exit status 1.
 */
int lnl_report(const char *op, int ret, const struct lnl_err *err, bool changes);

#endif
