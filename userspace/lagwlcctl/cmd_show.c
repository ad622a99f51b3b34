// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl show             every lagwlc service as ipvsadm -Ln shows it,
 *                            with its replicas' lag, then the replicas in
 *                            no lagwlc service
 * lagwlcctl show ADDR:PORT   one replica
 *
 * A lagwlc service with DR or TUN real servers is marked when its network
 * namespace's conn_reuse_mode lacks bit 2: there a client reusing a source
 * port within the tcpfin timeout reaches its old real server unscheduled.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "addr.h"
#include "ipvs.h"
#include "json.h"
#include "nl.h"
#include "replica.h"
#include "subcommands.h"
#include "values.h"

#define SCHED_NAME "lagwlc"

struct replicas {
	struct replica *v;
	size_t n, cap;
};

static int on_replica(struct nl_msg *msg, void *arg)
{
	struct replicas *rs = arg;
	int r;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct replica *v = realloc(rs->v, cap * sizeof(*v));

		if (!v)
			return -NLE_NOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	r = replica_parse(msg, &rs->v[rs->n]);
	if (r < 0)
		return r;
	rs->n++;
	return 0;
}

static int replica_cmp(const void *a, const void *b)
{
	return ep_cmp(&((const struct replica *)a)->ep, &((const struct replica *)b)->ep);
}

/* Every replica, sorted; 0 or the exit status after an error. */
static int dump_replicas(struct lnl *c, struct replicas *rs)
{
	struct lnl_err err = { "", "" };
	int tries, r = 0;

	for (tries = 0; tries < LNL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = lnl_msg(c->family, LAGWLC_CMD_REPLICA_GET,
					     LAGWLC_GENL_VERSION, NLM_F_DUMP, 0);

		if (!msg) {
			r = -NLE_NOMEM;
			break;
		}
		rs->n = 0;
		r = lnl_transact(c, msg, on_replica, rs, &err);
		nlmsg_free(msg);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r)
		return lnl_report("show", r, &err, false);
	qsort(rs->v, rs->n, sizeof(*rs->v), replica_cmp);
	return 0;
}

static struct replica *find(const struct replicas *rs, const struct endpoint *ep)
{
	struct replica key = { .ep = *ep };

	return rs->n ? bsearch(&key, rs->v, rs->n, sizeof(*rs->v), replica_cmp) : NULL;
}

/* v in decimal into buf, or "-" when absent. */
static const char *num(char *buf, size_t len, bool has, uint32_t v)
{
	if (has)
		snprintf(buf, len, "%u", v);
	else
		snprintf(buf, len, "-");
	return buf;
}

#define DEST_FMT "  -> %-22s %-7s %-6s %-10s %-9s %10s %-9s %7s\n"
#define ORPHAN_FMT "  -> %-22s %-6s %10s %-9s %7s\n"

/* The mark of a service whose reused client ports bypass lagwlc, or "". */
static const char *reuse_mark(const struct ipvs_service *svc, int mode, char *buf, size_t len)
{
	if (!ipvs_reuse_bypass(svc, mode))
		return "";
	if (mode < 0)
		snprintf(buf, len, "  (conn_reuse_mode unreadable: %s)", strerror(-mode));
	else
		snprintf(buf, len, "  (conn_reuse_mode %d, bit 2 clear: a reused client port bypasses lagwlc)",
			 mode);
	return buf;
}

static void text_service(const struct ipvs_service *svc, const struct replicas *rs, int mode)
{
	char e[EP_STRLEN], p[8], w[12], ac[12], ic[12], lag[12], age[12], st[NAME_STRLEN];
	char mark[128];
	size_t i;

	if (svc->fwmark)
		printf("FWM  %u%s %s%s\n", svc->fwmark, svc->af == AF_INET6 ? " IPv6" : "", svc->sched,
		       reuse_mark(svc, mode, mark, sizeof(mark)));
	else
		printf("%-4s %s %s%s\n", ipvs_proto_name(svc->protocol, p, sizeof(p)),
		       ep_format(&svc->vip, e, sizeof(e)), svc->sched,
		       reuse_mark(svc, mode, mark, sizeof(mark)));
	printf(DEST_FMT, "RemoteAddress:Port", "Forward", "Weight", "ActiveConn",
	       "InActConn", "Lag(ms)", "State", "Age(ms)");
	for (i = 0; i < svc->ndests; i++) {
		const struct ipvs_dest *d = &svc->dests[i];
		const struct replica *r = find(rs, &d->ep);

		printf(DEST_FMT, ep_format(&d->ep, e, sizeof(e)), ipvs_fwd_name(d->fwd, false),
		       num(w, sizeof(w), true, d->weight),
		       num(ac, sizeof(ac), true, d->active),
		       num(ic, sizeof(ic), true, d->inactive),
		       num(lag, sizeof(lag), r && r->has_lag, r ? r->lag_ms : 0),
		       !r ? "none" : r->has_state ? state_name(r->state, st, sizeof(st)) : "-",
		       num(age, sizeof(age), r && r->has_age, r ? r->age_ms : 0));
	}
}

static void text_replica_row(const struct replica *r)
{
	char e[EP_STRLEN], lag[12], age[12], h[NAME_STRLEN], st[NAME_STRLEN];

	printf(ORPHAN_FMT, ep_format(&r->ep, e, sizeof(e)),
	       r->health ? health_name(r->health, h, sizeof(h)) : "-",
	       num(lag, sizeof(lag), r->has_lag, r->lag_ms),
	       r->has_state ? state_name(r->state, st, sizeof(st)) : "-",
	       num(age, sizeof(age), r->has_age, r->age_ms));
}

static void text_show(const struct ipvs_table *t, enum ipvs_status st,
		      const struct replicas *rs, const bool *in_service, int mode)
{
	size_t i, nsvc = 0, norphans = 0;

	if (st == IPVS_ABSENT)
		printf("IPVS is not loaded\n");
	else if (st == IPVS_DENIED)
		printf("IPVS is not readable: listing its services needs CAP_NET_ADMIN\n");
	for (i = 0; i < t->nsvcs; i++) {
		if (strcmp(t->svcs[i].sched, SCHED_NAME))
			continue;
		text_service(&t->svcs[i], rs, mode);
		nsvc++;
	}
	if (st == IPVS_READ && !nsvc)
		printf("No IPVS service uses the %s scheduler\n", SCHED_NAME);
	for (i = 0; i < rs->n; i++)
		norphans += !in_service[i];
	if (!norphans)
		return;
	printf("\n%s\n", st == IPVS_DENIED ? "Replicas:" : "Replicas in no lagwlc service:");
	printf(ORPHAN_FMT, "RemoteAddress:Port", "Health", "Lag(ms)", "State", "Age(ms)");
	for (i = 0; i < rs->n; i++)
		if (!in_service[i])
			text_replica_row(&rs->v[i]);
}

static void json_service(struct json *j, const struct ipvs_service *svc,
			 const struct replicas *rs, int mode)
{
	char a[INET6_ADDRSTRLEN], p[8];
	size_t i;

	json_obj_begin(j, NULL);
	json_str(j, "family", svc->af == AF_INET6 ? "inet6" : "inet");
	if (svc->fwmark) {
		json_null(j, "protocol");
		json_null(j, "address");
		json_null(j, "port");
	} else {
		json_str(j, "protocol", ipvs_proto_name(svc->protocol, p, sizeof(p)));
		json_str(j, "address", ep_format_addr(&svc->vip, a, sizeof(a)));
		json_uint(j, "port", svc->vip.port);
	}
	json_uint(j, "fwmark", svc->fwmark);
	json_str(j, "scheduler", svc->sched);
	json_bool(j, "reuse_bypass", ipvs_reuse_bypass(svc, mode));
	json_arr_begin(j, "destinations");
	for (i = 0; i < svc->ndests; i++) {
		const struct ipvs_dest *d = &svc->dests[i];

		json_obj_begin(j, NULL);
		json_str(j, "address", ep_format_addr(&d->ep, a, sizeof(a)));
		json_uint(j, "port", d->ep.port);
		json_str(j, "forward", ipvs_fwd_name(d->fwd, true));
		json_uint(j, "weight", d->weight);
		json_uint(j, "active", d->active);
		json_uint(j, "inactive", d->inactive);
		replica_json_fields(j, find(rs, &d->ep));
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_show(const struct ipvs_table *t, enum ipvs_status st,
		      const struct replicas *rs, const bool *in_service, int mode)
{
	char a[INET6_ADDRSTRLEN];
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_arr_begin(&j, "services");
	for (i = 0; i < t->nsvcs; i++)
		if (!strcmp(t->svcs[i].sched, SCHED_NAME))
			json_service(&j, &t->svcs[i], rs, mode);
	json_arr_end(&j);
	json_arr_begin(&j, "replicas");
	for (i = 0; i < rs->n; i++) {
		const struct replica *r = &rs->v[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "address", ep_format_addr(&r->ep, a, sizeof(a)));
		json_uint(&j, "port", r->ep.port);
		replica_json_fields(&j, r);
		if (st == IPVS_DENIED)
			json_null(&j, "in_service");
		else
			json_bool(&j, "in_service", in_service[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_str(&j, "ipvs", st == IPVS_READ ? "loaded" : st == IPVS_ABSENT ?
		 "not loaded" : "permission denied");
	if (mode < 0)
		json_null(&j, "conn_reuse_mode");
	else
		json_uint(&j, "conn_reuse_mode", (uint32_t)mode);
	json_obj_end(&j);
	putchar('\n');
}

static int show_all(const struct ctl *ctl)
{
	struct lnl c = { 0 };
	struct replicas rs = { 0 };
	struct ipvs_table t = { 0 };
	enum ipvs_status st;
	bool *in_service = NULL;
	int status = EXIT_FAIL, mode;
	size_t i, k;

	if (lnl_open(&c) || dump_replicas(&c, &rs))
		goto out;
	st = ipvs_read(&c, SCHED_NAME, &t);
	if (st == IPVS_FAILED)
		goto out;
	in_service = calloc(rs.n + 1, sizeof(*in_service));
	if (!in_service) {
		fprintf(stderr, "lagwlcctl: out of memory\n");
		goto out;
	}
	for (i = 0; i < t.nsvcs; i++) {
		if (strcmp(t.svcs[i].sched, SCHED_NAME))
			continue;
		for (k = 0; k < t.svcs[i].ndests; k++) {
			const struct replica *r = find(&rs, &t.svcs[i].dests[k].ep);

			if (r)
				in_service[r - rs.v] = true;
		}
	}
	mode = st == IPVS_READ ? ipvs_reuse_read() : -ENOENT;
	if (ctl->json)
		json_show(&t, st, &rs, in_service, mode);
	else
		text_show(&t, st, &rs, in_service, mode);
	status = fflush(stdout) ? EXIT_FAIL : EXIT_OK;
out:
	free(in_service);
	ipvs_free(&t);
	free(rs.v);
	lnl_close(&c);
	return status;
}

static int on_one(struct nl_msg *msg, void *arg)
{
	struct replicas *rs = arg;

	if (rs->n)
		return 0;	/* one reply expected */
	return on_replica(msg, rs);
}

static int show_one(const char *arg, const struct ctl *ctl)
{
	struct lnl c = { 0 };
	struct replicas rs = { 0 };
	struct lnl_err err;
	struct endpoint ep;
	struct nl_msg *msg = NULL;
	char e[256], op[EP_STRLEN + 8];
	int r, status = EXIT_FAIL;

	if (ep_parse_key(arg, &ep, e, sizeof(e)) < 0)
		return usage_error("show", "%s", e);
	snprintf(op, sizeof(op), "show %s", ep_format(&ep, e, sizeof(e)));
	if (lnl_open(&c))
		goto out;
	msg = lnl_msg(c.family, LAGWLC_CMD_REPLICA_GET, LAGWLC_GENL_VERSION, 0, 0);
	if (!msg) {
		fprintf(stderr, "lagwlcctl: out of memory\n");
		goto out;
	}
	r = replica_put(msg, &ep, false, 0, 0);
	if (!r)
		r = lnl_transact(&c, msg, on_one, &rs, &err);
	if (r) {
		lnl_report(op, r, &err, false);
		goto out;
	}
	if (!rs.n) {
		fprintf(stderr, "lagwlcctl: %s: the kernel sent no reply\n", op);
		goto out;
	}
	if (ctl->json) {
		struct json j;

		json_init(&j, stdout);
		replica_json(&j, &rs.v[0]);
		putchar('\n');
	} else {
		replica_print(stdout, &rs.v[0]);
	}
	status = fflush(stdout) ? EXIT_FAIL : EXIT_OK;
out:
	nlmsg_free(msg);
	free(rs.v);
	lnl_close(&c);
	return status;
}

int cmd_show(int argc, char **argv, const struct ctl *ctl)
{
	if (argc == 1)
		return show_all(ctl);
	if (argc == 2)
		return show_one(argv[1], ctl);
	return usage_error("show", "unexpected \"%s\"", argv[2]);
}
