// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl set ADDR:PORT { lag MS [up | down] | down } [ADDR:PORT ...]
 * One LAGWLC_CMD_REPLICA_SET message with one nest per replica: the kernel
 * applies all of them or none.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "addr.h"
#include "nl.h"
#include "replica.h"
#include "subcommands.h"
#include "values.h"

struct report {
	struct endpoint ep;
	bool has_lag;
	uint32_t lag_ms;
	int health;
};

/* Room for one replica nest: nest, address, port, lag, health headers. */
#define REPORT_NLSIZE (4 + (4 + 16) + 8 + 8 + 8)

/* The reports of argv[1..]; returns how many, or -1 after a usage error. */
static int parse_reports(int argc, char **argv, struct report *rep)
{
	char err[256], e[EP_STRLEN];
	int i = 1, n = 0, j;

	while (i < argc) {
		struct report *r = &rep[n];

		if (ep_parse_key(argv[i], &r->ep, err, sizeof(err)) < 0) {
			if (n > 0 && !strchr(argv[i], ':') && !strchr(argv[i], '['))
				usage_error("set", "unexpected \"%s\" after %s: expected lag, up, down or the next ADDR:PORT",
					    argv[i], ep_format(&rep[n - 1].ep, e, sizeof(e)));
			else
				usage_error("set", "%s", err);
			return -1;
		}
		for (j = 0; j < n; j++) {
			if (ep_equal(&rep[j].ep, &r->ep)) {
				usage_error("set", "%s is given twice", argv[i]);
				return -1;
			}
		}
		r->has_lag = false;
		r->health = 0;
		for (i++; i < argc; i++) {
			int h = health_parse(argv[i]);

			if (h) {
				if (r->health) {
					usage_error("set", "%s: health given twice",
						    ep_format(&r->ep, e, sizeof(e)));
					return -1;
				}
				r->health = h;
			} else if (!strcmp(argv[i], "lag")) {
				if (r->has_lag) {
					usage_error("set", "%s: lag given twice",
						    ep_format(&r->ep, e, sizeof(e)));
					return -1;
				}
				if (++i >= argc) {
					usage_error("set", "lag needs a value, e.g. lag 250 or lag 30s");
					return -1;
				}
				if (lag_parse_ms(argv[i], &r->lag_ms, err, sizeof(err)) < 0) {
					usage_error("set", "%s", err);
					return -1;
				}
				r->has_lag = true;
			} else {
				break;
			}
		}
		if (!r->health)
			r->health = LAGWLC_HEALTH_UP;
		if (!r->has_lag && r->health != LAGWLC_HEALTH_DOWN) {
			usage_error("set", "%s: give its lag (lag MS); only a replica reported down may go without",
				    ep_format(&r->ep, e, sizeof(e)));
			return -1;
		}
		n++;
	}
	if (n == 0)
		usage_error("set", "no replica given");
	if (n > LAGWLC_SET_MAX) {
		usage_error("set", "%d replicas: at most %d in one set", n, LAGWLC_SET_MAX);
		return -1;
	}
	return n ? n : -1;
}

static void say_refused(const struct endpoint *ep, void *arg)
{
	char e[EP_STRLEN];

	(void)arg;
	fprintf(stderr, "lagwlcctl: set: %s refused: the lag table is full (max_entries)\n",
		ep_format(ep, e, sizeof(e)));
}

/* The reply to a SET lists the replicas a full table refused. */
static int on_refused(struct nl_msg *msg, void *arg)
{
	return replica_parse_keys(msg, say_refused, arg);
}

int cmd_set(int argc, char **argv, const struct ctl *ctl)
{
	struct lnl c = { 0 };
	struct lnl_err err;
	struct report *rep;
	struct nl_msg *msg = NULL;
	int n, i, r, status = EXIT_FAIL;

	(void)ctl;
	rep = calloc((size_t)argc, sizeof(*rep));
	if (!rep) {
		fprintf(stderr, "lagwlcctl: out of memory\n");
		return EXIT_FAIL;
	}
	n = parse_reports(argc, argv, rep);
	if (n < 0) {
		free(rep);
		return EXIT_USAGE;
	}
	if (lnl_open(&c))
		goto out;
	msg = lnl_msg(c.family, LAGWLC_CMD_REPLICA_SET, LAGWLC_GENL_VERSION, 0,
		      (size_t)n * REPORT_NLSIZE);
	if (!msg) {
		fprintf(stderr, "lagwlcctl: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = replica_put(msg, &rep[i].ep, rep[i].has_lag, rep[i].lag_ms, rep[i].health);
		if (r < 0) {
			lnl_report("set", r, NULL, true);
			goto out;
		}
	}
	r = lnl_transact(&c, msg, on_refused, NULL, &err);
	if (r)
		lnl_report("set", r, &err, true);
	else
		status = EXIT_OK;
out:
	nlmsg_free(msg);
	lnl_close(&c);
	free(rep);
	return status;
}
