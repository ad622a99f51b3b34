// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl check [--max-age MS] [--conn-reuse]
 *
 * A health check for keepalived's track_script (vrrp_script): exit 0 when
 * this director can schedule by lag, 1 with one line on stderr saying why
 * not. It can when the module is loaded and its family answers a dump;
 * with --max-age also only when a prober (lagwlcd) is alive and sees a
 * replica: at least one replica has a report at most MS old that is not
 * stale (lagwlcd reports every replica every poll, and its replicas turn
 * stale the moment its socket closes) and says it is up (ok or lagging).
 * The last part keeps the VIP off a director that cannot reach any replica
 * (its link was cut, say) until its lagwlcd has seen one again: taking
 * the VIP back earlier would fail every new connection. With --conn-reuse
 * also only when no lagwlc service forwarding by DR or TUN is in a
 * namespace whose conn_reuse_mode lacks bit 2 (there a client reusing a
 * port within the tcpfin timeout bypasses the scheduler).
 *
 * The module is looked for in /sys first: resolving the family would load
 * it (MODULE_ALIAS_GENL_FAMILY), and a check must change nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "addr.h"
#include "ipvs.h"
#include "nl.h"
#include "replica.h"
#include "subcommands.h"
#include "values.h"

struct freshness {
	uint32_t max_age;
	unsigned int n;		/* replicas in the table */
	unsigned int fresh;	/* of those, reported within max_age and not stale */
	unsigned int up;	/* of those, ok or lagging */
	uint32_t youngest;	/* smallest age seen, UINT32_MAX if none */
};

static int on_replica(struct nl_msg *msg, void *arg)
{
	struct freshness *f = arg;
	struct replica r;
	int err = replica_parse(msg, &r);

	if (err < 0)
		return err;
	f->n++;
	if (!r.has_age)
		return 0;
	if (r.age_ms < f->youngest)
		f->youngest = r.age_ms;
	if (r.age_ms > f->max_age || !r.has_state || r.state == LAGWLC_STATE_STALE)
		return 0;
	f->fresh++;
	if (r.state == LAGWLC_STATE_OK || r.state == LAGWLC_STATE_LAGGING)
		f->up++;
	return 0;
}

/*
 * --conn-reuse: true, with a line on stderr, when IPVS cannot be read or a
 * lagwlc service forwards by DR or TUN while conn_reuse_mode lacks bit 2.
 */
static bool reuse_bypassed(struct lnl *c)
{
	struct ipvs_table t = { 0 };
	enum ipvs_status st = ipvs_read(c, "lagwlc", &t);
	const struct ipvs_service *svc = NULL;
	char e[EP_STRLEN], p[8];
	int mode;
	size_t i;

	if (st != IPVS_READ) {
		if (st == IPVS_ABSENT)
			fprintf(stderr, "lagwlcctl: check: IPVS is not loaded\n");
		else if (st == IPVS_DENIED)
			fprintf(stderr, "lagwlcctl: check: --conn-reuse: reading IPVS needs CAP_NET_ADMIN\n");
		return true;
	}
	mode = ipvs_reuse_read();
	for (i = 0; i < t.nsvcs && !svc; i++)
		if (!strcmp(t.svcs[i].sched, "lagwlc") && ipvs_reuse_bypass(&t.svcs[i], mode))
			svc = &t.svcs[i];
	if (svc) {
		if (svc->fwmark)
			snprintf(e, sizeof(e), "%u", svc->fwmark);
		else
			ep_format(&svc->vip, e, sizeof(e));
		if (mode < 0)
			fprintf(stderr, "lagwlcctl: check: %s: %s\n", IPVS_REUSE_PATH, strerror(-mode));
		else
			fprintf(stderr, "lagwlcctl: check: conn_reuse_mode is %d (bit 2 clear) and lagwlc service %s %s forwards by %s: a client reusing a port within the tcpfin timeout bypasses lagwlc (lagwlcd sets it unless conn_reuse_mode = keep; or sysctl -w net.ipv4.vs.conn_reuse_mode=%d)\n",
				mode, ipvs_proto_name(svc->protocol, p, sizeof(p)), e,
				ipvs_fwd_name(ipvs_oneway_dest(svc)->fwd, false), mode | IPVS_REUSE_ONEWAY);
	}
	ipvs_free(&t);
	return svc != NULL;
}

int cmd_check(int argc, char **argv, const struct ctl *ctl)
{
	static const struct option opts[] = {
		{ "max-age", required_argument, NULL, 'a' },
		{ "conn-reuse", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct freshness f = { .youngest = UINT32_MAX };
	struct lnl c = { 0 };
	struct lnl_err err = { "", "" };
	bool want_fresh = false, want_reuse = false;
	char why[256];
	int opt, r, tries, status = EXIT_FAIL;

	(void)ctl;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+a:", opts, NULL)) != -1) {
		if (opt == 'r') {
			want_reuse = true;
			continue;
		}
		if (opt != 'a')
			return usage_error("check", "unknown option %s", argv[optind - 1]);
		if (lag_parse_ms(optarg, &f.max_age, why, sizeof(why)) < 0)
			return usage_error("check", "--max-age: %s", why);
		want_fresh = true;
	}
	if (optind < argc)
		return usage_error("check", "unexpected \"%s\"", argv[optind]);

	if (access("/sys/module/ip_vs_lagwlc", F_OK)) {
		fprintf(stderr, "lagwlcctl: check: the ip_vs_lagwlc module is not loaded\n");
		return EXIT_FAIL;
	}
	if (lnl_open(&c))
		goto out;
	for (tries = 0; tries < LNL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = lnl_msg(c.family, LAGWLC_CMD_REPLICA_GET,
					     LAGWLC_GENL_VERSION, NLM_F_DUMP, 0);

		if (!msg) {
			r = -NLE_NOMEM;
			break;
		}
		f.n = f.fresh = f.up = 0;
		f.youngest = UINT32_MAX;
		r = lnl_transact(&c, msg, on_replica, &f, &err);
		nlmsg_free(msg);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r) {
		lnl_report("check", r, &err, false);
		goto out;
	}
	if (want_fresh && !f.fresh) {
		if (!f.n)
			fprintf(stderr, "lagwlcctl: check: no replica reported (is lagwlcd running?)\n");
		else if (f.youngest == UINT32_MAX)
			fprintf(stderr, "lagwlcctl: check: %u replica(s), none with a report (is lagwlcd running?)\n",
				f.n);
		else
			fprintf(stderr, "lagwlcctl: check: no fresh report: the newest of %u replica(s) is %u ms old or stale, max %u ms (is lagwlcd running?)\n",
				f.n, f.youngest, f.max_age);
		goto out;
	}
	if (want_fresh && !f.up) {
		fprintf(stderr, "lagwlcctl: check: lagwlcd reports none of %u replica(s) up\n", f.n);
		goto out;
	}
	if (want_reuse && reuse_bypassed(&c))
		goto out;
	status = EXIT_OK;
out:
	lnl_close(&c);
	return status;
}
