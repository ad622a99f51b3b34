// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl monitor: one line per event of the "events" multicast group (a
 * replica's LAGWLC_CMD_STATE_CHANGE, a service's LAGWLC_CMD_SVC_CHANGE),
 * until SIGINT or SIGTERM (or the module goes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "json.h"
#include "nl.h"
#include "replica.h"
#include "service.h"
#include "subcommands.h"
#include "values.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct monitor {
	const struct ctl *ctl;
	int family;
	bool gone;		/* the family was unregistered */
};

static void print_event(const struct monitor *m, const struct replica *r)
{
	char e[EP_STRLEN], o[NAME_STRLEN], s[NAME_STRLEN], h[NAME_STRLEN], why[NAME_STRLEN];
	const char *old = r->has_old_state ? state_name(r->old_state, o, sizeof(o)) : NULL;
	const char *reason = r->has_reason ? reason_name(r->reason, why, sizeof(why)) : NULL;

	if (m->ctl->json) {
		struct json j;
		char a[INET6_ADDRSTRLEN];

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "address", ep_format_addr(&r->ep, a, sizeof(a)));
		json_uint(&j, "port", r->ep.port);
		json_str(&j, "old_state", old);
		json_str(&j, "state", r->has_state ? state_name(r->state, s, sizeof(s)) : NULL);
		if (r->has_lag)
			json_uint(&j, "lag_ms", r->lag_ms);
		else
			json_null(&j, "lag_ms");
		json_str(&j, "health", r->health ? health_name(r->health, h, sizeof(h)) : NULL);
		json_str(&j, "reason", reason);
		if (r->has_age)
			json_uint(&j, "age_ms", r->age_ms);
		else
			json_null(&j, "age_ms");
		json_obj_end(&j);
		putchar('\n');
	} else {
		printf("%s %s -> %s", ep_format(&r->ep, e, sizeof(e)), old ? old : "?",
		       r->has_state ? state_name(r->state, s, sizeof(s)) : "?");
		if (r->has_lag)
			printf(" lag %u ms", r->lag_ms);
		else
			printf(" lag -");
		if (r->health)
			printf(" health %s", health_name(r->health, h, sizeof(h)));
		if (reason)
			printf(" (%s)", reason);
		putchar('\n');
	}
	fflush(stdout);
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* A service's settings were set or deleted: what it now has. */
static int on_svc_event(const struct monitor *m, struct nl_msg *msg)
{
	struct svc_info in;

	if (svc_parse(msg, &in) < 0) {
		fprintf(stderr, "lagwlcctl: monitor: skipped a malformed event\n");
		return NL_SKIP;
	}
	if (m->ctl->json) {
		struct json j;

		json_init(&j, stdout);
		service_json(&j, &in);
		putchar('\n');
	} else {
		service_line(&in);
	}
	fflush(stdout);
	return NL_OK;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct monitor *m = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh;
	struct replica r;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gh = genlmsg_hdr(nlh);
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		struct nlattr *tb[CTRL_ATTR_MAX + 1];

		if (gh->cmd == CTRL_CMD_DELFAMILY &&
		    genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) == 0 &&
		    tb[CTRL_ATTR_FAMILY_ID] && nla_len(tb[CTRL_ATTR_FAMILY_ID]) >= 2 &&
		    nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]) == m->family) {
			m->gone = true;
			return NL_STOP;
		}
		return NL_SKIP;
	}
	if (nlh->nlmsg_type != m->family)
		return NL_SKIP;
	if (gh->cmd == LAGWLC_CMD_SVC_CHANGE)
		return on_svc_event(m, msg);
	if (gh->cmd != LAGWLC_CMD_STATE_CHANGE)
		return NL_SKIP;
	if (replica_parse(msg, &r) < 0) {
		fprintf(stderr, "lagwlcctl: monitor: skipped a malformed event\n");
		return NL_SKIP;
	}
	print_event(m, &r);
	return NL_OK;
}

int cmd_monitor(int argc, char **argv, const struct ctl *ctl)
{
	struct monitor m = { .ctl = ctl };
	struct lnl c = { 0 };
	struct nl_cb *cb = NULL;
	struct sigaction sa;
	sigset_t block, wait;
	int grp, ctrl_grp, r, status = EXIT_FAIL;

	if (argc != 1)
		return usage_error("monitor", "unexpected \"%s\"", argv[1]);
	if (lnl_open(&c))
		goto out;
	m.family = c.family;
	grp = genl_ctrl_resolve_grp(c.sk, LAGWLC_GENL_NAME, LAGWLC_MCGRP_EVENTS);
	if (grp < 0) {
		fprintf(stderr, "lagwlcctl: monitor: the lagwlc family has no \"%s\" group: %s\n",
			LAGWLC_MCGRP_EVENTS, nl_geterror(grp));
		goto out;
	}
	/* To notice the module going away; optional. */
	ctrl_grp = genl_ctrl_resolve_grp(c.sk, "nlctrl", "notify");

	/* Events are not answers: no sequence numbers to check (on_event's cb too). */
	nl_socket_disable_seq_check(c.sk);
	r = nl_socket_add_membership(c.sk, grp);
	if (r == -NLE_PERM) {
		fprintf(stderr, "lagwlcctl: monitor: permission denied: listening to lagwlc events needs CAP_NET_ADMIN\n");
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "lagwlcctl: monitor: cannot join the \"%s\" group: %s\n",
			LAGWLC_MCGRP_EVENTS, nl_geterror(r));
		goto out;
	}
	if (ctrl_grp >= 0)
		nl_socket_add_membership(c.sk, ctrl_grp);
	nl_socket_set_buffer_size(c.sk, 1 << 20, 0);
	r = nl_socket_set_nonblocking(c.sk);
	if (r < 0) {
		fprintf(stderr, "lagwlcctl: monitor: %s\n", nl_geterror(r));
		goto out;
	}
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		fprintf(stderr, "lagwlcctl: out of memory\n");
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &m);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);

	/*
	 * SIGINT and SIGTERM are blocked but while waiting in ppoll(), so
	 * that none slips in between the check of stop and the wait. Both
	 * are caught even when ignored on entry (a shell's background job):
	 * "kill -INT" is how scripts stop a monitor.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait);
	sigdelset(&wait, SIGINT);
	sigdelset(&wait, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!stop && !m.gone) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(c.sk), .events = POLLIN };

		if (ppoll(&pfd, 1, NULL, &wait) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "lagwlcctl: monitor: poll: %s\n", strerror(errno));
			goto out;
		}
		r = nl_recvmsgs(c.sk, cb);
		if (r == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events for us */
			fprintf(stderr, "lagwlcctl: monitor: events were lost (receive buffer overrun)\n");
		} else if (r < 0) {
			fprintf(stderr, "lagwlcctl: monitor: %s\n", nl_geterror(r));
			goto out;
		}
	}
	if (m.gone)
		fprintf(stderr, "lagwlcctl: monitor: the lagwlc module was unloaded\n");
	else
		status = EXIT_OK;
out:
	if (cb)
		nl_cb_put(cb);
	lnl_close(&c);
	return status;
}
