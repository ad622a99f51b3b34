// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl del ADDR:PORT   (LAGWLC_CMD_REPLICA_DEL, one key-only nest)
 * lagwlcctl flush           (LAGWLC_CMD_REPLICA_FLUSH)
 */
#define _POSIX_C_SOURCE 200809L
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "addr.h"
#include "nl.h"
#include "replica.h"
#include "subcommands.h"

/* Send one change request (cmd, with ep's key unless ep is NULL). */
static int change(const char *op, uint8_t cmd, const struct endpoint *ep)
{
	struct lnl c = { 0 };
	struct lnl_err err;
	struct nl_msg *msg = NULL;
	int r, status = EXIT_FAIL;

	if (lnl_open(&c))
		goto out;
	msg = lnl_msg(c.family, cmd, LAGWLC_GENL_VERSION, 0, 0);
	if (!msg) {
		fprintf(stderr, "lagwlcctl: out of memory\n");
		goto out;
	}
	if (ep) {
		r = replica_put(msg, ep, false, 0, 0);
		if (r < 0) {
			lnl_report(op, r, NULL, true);
			goto out;
		}
	}
	r = lnl_transact(&c, msg, NULL, NULL, &err);
	if (r)
		lnl_report(op, r, &err, true);
	else
		status = EXIT_OK;
out:
	nlmsg_free(msg);
	lnl_close(&c);
	return status;
}

int cmd_del(int argc, char **argv, const struct ctl *ctl)
{
	struct endpoint ep;
	char err[256];

	(void)ctl;
	if (argc != 2)
		return usage_error("del", argc < 2 ? "no replica given" : "one replica at a time");
	if (ep_parse_key(argv[1], &ep, err, sizeof(err)) < 0)
		return usage_error("del", "%s", err);
	return change("del", LAGWLC_CMD_REPLICA_DEL, &ep);
}

int cmd_flush(int argc, char **argv, const struct ctl *ctl)
{
	(void)ctl;
	if (argc != 1)
		return usage_error("flush", "unexpected \"%s\"", argv[1]);
	return change("flush", LAGWLC_CMD_REPLICA_FLUSH, NULL);
}
