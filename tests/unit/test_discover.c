// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the choice of replicas lagwlcd probes
 * (userspace/lagwlcd/discover.c): [replica] sections first, then every real server
 * of every lagwlc service of an IPVS table, each key once, sorted; real
 * servers of other schedulers left alone.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "config.h"
#include "discover.h"
#include "tap.h"

static struct endpoint ep(const char *s)
{
	struct endpoint e;
	char err[256];

	if (ep_parse(s, &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return e;
}

static struct ipvs_dest dests_a[] = {
	{ .weight = 1 }, { .weight = 2 },
};
static struct ipvs_dest dests_b[] = {
	{ .weight = 1 }, { .weight = 1 },
};
static struct ipvs_dest dests_wlc[] = {
	{ .weight = 1 },
};
static struct ipvs_dest dests_fwm[] = {
	{ .weight = 1 },
};

static const char *fmt(const struct endpoint *e)
{
	static char buf[4][EP_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return ep_format(e, buf[i], sizeof(buf[i]));
}

int main(void)
{
	const char *conf =
		"[lagwlcd]\n"
		"timeout = 2s\n"
		"[replica 10.0.0.21:3306]\n"
		"probe = 10.0.0.121:3306\n"
		"lag_source = heartbeat\n";
	struct ipvs_service svcs[4];
	struct ipvs_table t = { svcs, 4 };
	char err[CONFIG_ERR_MAX];
	struct config cfg;
	struct targets ts;
	int r;

	tap_plan(14);
	memset(svcs, 0, sizeof(svcs));
	dests_a[0].ep = ep("10.0.0.22:3306");
	dests_a[1].ep = ep("10.0.0.21:3306");	/* also a [replica] section */
	dests_b[0].ep = ep("10.0.0.22:3306");	/* in both services */
	dests_b[1].ep = ep("[2001:db8::23]:3306");
	dests_wlc[0].ep = ep("10.0.0.99:3306");
	dests_fwm[0].ep = ep("10.0.0.5:3306");
	svcs[0] = (struct ipvs_service){ .af = AF_INET, .protocol = IPPROTO_TCP,
		.vip = ep("10.0.0.10:3306"), .sched = "lagwlc", .dests = dests_a, .ndests = 2 };
	svcs[1] = (struct ipvs_service){ .af = AF_INET6, .protocol = IPPROTO_TCP,
		.vip = ep("[2001:db8::10]:3306"), .sched = "lagwlc", .dests = dests_b, .ndests = 2 };
	svcs[2] = (struct ipvs_service){ .af = AF_INET, .protocol = IPPROTO_TCP,
		.vip = ep("10.0.0.11:3306"), .sched = "wlc", .dests = dests_wlc, .ndests = 1 };
	svcs[3] = (struct ipvs_service){ .af = AF_INET, .fwmark = 7, .sched = "lagwlc",
		.dests = dests_fwm, .ndests = 1 };

	r = config_parse("d.conf", conf, strlen(conf), &cfg, err, sizeof(err));
	tap_ok(r == 0, "configuration parses %s", err);

	r = targets_build(&cfg, &t, &ts);
	tap_ok(r == 0 && ts.n == 4, "four replicas: one configured, three more discovered (got %zu)",
	       ts.n);
	if (ts.n == 4) {
		tap_ok(!strcmp(fmt(&ts.v[0].key), "10.0.0.5:3306") &&
		       !strcmp(ts.v[0].origin, "discovered in FWM 7"),
		       "sorted by key: 10.0.0.5:3306 from the firewall-mark service (%s)",
		       ts.v[0].origin);
		tap_ok(!strcmp(fmt(&ts.v[1].key), "10.0.0.21:3306") &&
		       !strcmp(fmt(&ts.v[1].probe), "10.0.0.121:3306") &&
		       !strcmp(ts.v[1].origin, "[replica] at line 3") &&
		       ts.v[1].s.lag_source == LAG_SOURCE_HEARTBEAT,
		       "the configured replica keeps its section's probe and settings, though IPVS has it too");
		tap_ok(!strcmp(fmt(&ts.v[2].key), "10.0.0.22:3306") &&
		       ep_equal(&ts.v[2].key, &ts.v[2].probe) &&
		       !strcmp(ts.v[2].origin, "discovered in TCP 10.0.0.10:3306") &&
		       ts.v[2].s.timeout_ms == 2000 && ts.v[2].s.lag_source == LAG_SOURCE_AUTO,
		       "a real server of two services: once, first service named, global settings");
		tap_ok(!strcmp(fmt(&ts.v[3].key), "[2001:db8::23]:3306") &&
		       !strcmp(ts.v[3].origin, "discovered in TCP [2001:db8::10]:3306"),
		       "an IPv6 real server, after the IPv4 ones");
	} else {
		tap_ok(0, "10.0.0.5:3306");
		tap_ok(0, "10.0.0.21:3306");
		tap_ok(0, "10.0.0.22:3306");
		tap_ok(0, "[2001:db8::23]:3306");
	}
	r = 1;
	for (size_t i = 0; i < ts.n; i++)
		if (!strcmp(fmt(&ts.v[i].key), "10.0.0.99:3306"))
			r = 0;
	tap_ok(r, "the wlc service's real server is not probed");
	targets_free(&ts);

	r = targets_build(&cfg, NULL, &ts);
	tap_ok(r == 0 && ts.n == 1 && !strcmp(fmt(&ts.v[0].key), "10.0.0.21:3306"),
	       "no IPVS table: the configured replica only");
	targets_free(&ts);

	cfg.discover = false;
	r = targets_build(&cfg, &t, &ts);
	tap_ok(r == 0 && ts.n == 1, "discover = no: the configured replica only");
	targets_free(&ts);
	config_free(&cfg);

	r = config_parse("d.conf", "[lagwlcd]\n", 10, &cfg, err, sizeof(err));
	svcs[0].sched[0] = 'x';
	svcs[1].sched[0] = 'x';
	svcs[3].sched[0] = 'x';
	r = r ? r : targets_build(&cfg, &t, &ts);
	tap_ok(r == 0 && ts.n == 0 && !ts.v, "no lagwlc service, no section: nothing to probe");
	targets_free(&ts);
	config_free(&cfg);

	{
		/* port 0: a key as IPVS has it; probed at 3306, or where probe = says */
		static struct ipvs_dest d0[2];
		const char *c0 = "[replica 10.0.0.7:0]\nprobe = 10.0.0.7:3307\n";
		struct ipvs_service s0 = { .af = AF_INET, .fwmark = 9, .sched = "lagwlc",
					   .dests = d0, .ndests = 2 };
		struct ipvs_table t0 = { &s0, 1 };

		d0[0].ep = ep("10.0.0.6:3306");
		d0[0].ep.port = 0;
		d0[1].ep = d0[0].ep;
		d0[1].ep.addr.raw[3] = 7;		/* 10.0.0.7:0, also configured */
		r = config_parse("p0.conf", c0, strlen(c0), &cfg, err, sizeof(err));
		tap_ok(r == 0 && cfg.nreplicas == 1 && cfg.replicas[0].ep.port == 0 &&
		       cfg.replicas[0].probe.port == 3307,
		       "[replica 10.0.0.7:0] with probe = 10.0.0.7:3307 parses %s", err);
		r = r ? r : targets_build(&cfg, &t0, &ts);
		tap_ok(r == 0 && ts.n == 2 &&
		       !strcmp(fmt(&ts.v[0].key), "10.0.0.6:0") &&
		       !strcmp(fmt(&ts.v[0].probe), "10.0.0.6:3306") &&
		       !strcmp(fmt(&ts.v[1].key), "10.0.0.7:0") &&
		       !strcmp(fmt(&ts.v[1].probe), "10.0.0.7:3307"),
		       "fwmark real servers with port 0: keyed :0, probed at 3306 or at probe =");
		targets_free(&ts);
		config_free(&cfg);
	}
	{
		char p[8];

		tap_ok(!strcmp(ipvs_proto_name(IPPROTO_UDP, p, sizeof(p)), "UDP") &&
		       !strcmp(ipvs_proto_name(0, p, sizeof(p)), "FWM"),
		       "protocol names for origins");
		tap_ok(!strcmp(ipvs_fwd_name(IP_VS_CONN_F_DROUTE, true), "route"),
		       "forwarding names");
	}
	return tap_done();
}
