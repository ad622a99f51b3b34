// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing on libnl: socket, family, request/reply with
 * extended ACKs, and error lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "nl.h"
#include "replica.h"
#include "values.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

void (*lnl_log_hook)(bool warning, const char *line);

void lnl_log(bool warning, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (lnl_log_hook)
		lnl_log_hook(warning, line);
	else
		fprintf(stderr, "lagwlcctl: %s%s\n", warning ? "warning: " : "", line);
}

int lnl_connect(struct lnl *c)
{
	int one = 1, r;

	c->family = 0;
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		lnl_log(false, "out of memory");
		return 1;
	}
	r = genl_connect(c->sk);
	if (r < 0) {
		lnl_log(false, "cannot open a generic netlink socket: %s", nl_geterror(r));
		return 1;
	}
	/* The kernel's reasons for a rejection; kernels before 4.12 have none. */
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Errors need not echo our request back: we kept it. */
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Dump messages can exceed a page: size each read by peeking. */
	nl_socket_enable_msg_peek(c->sk);
	return 0;
}

/* Is ip_vs_lagwlc loaded (its family may not be registered yet)? */
static bool module_present(void)
{
	return access("/sys/module/ip_vs_lagwlc/initstate", F_OK) == 0;
}

int lnl_open(struct lnl *c)
{
	int r;

	if (lnl_connect(c))
		return 1;
	r = genl_ctrl_resolve(c->sk, LAGWLC_GENL_NAME);
	/*
	 * The module registers its family a moment after it loads (from a
	 * work item: see kmod/netlink.c); give a module just loaded, by this
	 * lookup or by ipvsadm, up to 2 s.
	 */
	for (int i = 0; r == -NLE_OBJ_NOTFOUND && i < 40 && module_present(); i++) {
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
		r = genl_ctrl_resolve(c->sk, LAGWLC_GENL_NAME);
	}
	if (r == -NLE_OBJ_NOTFOUND) {
		lnl_log(false, "the lagwlc module is not loaded (modprobe ip_vs_lagwlc)");
		return 1;
	}
	if (r < 0) {
		lnl_log(false, "cannot resolve the generic netlink family %s: %s",
			LAGWLC_GENL_NAME, nl_geterror(r));
		return 1;
	}
	c->family = r;
	return 0;
}

void lnl_close(struct lnl *c)
{
	if (c->sk)
		nl_socket_free(c->sk);	/* closes it too */
	c->sk = NULL;
}

int lnl_resolve(struct lnl *c, const char *name)
{
	return genl_ctrl_resolve(c->sk, name);
}

struct nl_msg *lnl_msg(int family, uint8_t cmd, uint8_t version, int flags, size_t size)
{
	struct nl_msg *m = size ? nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + size) :
				  nlmsg_alloc();

	if (!m)
		return NULL;
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd, version)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

struct txn {
	struct lnl *c;
	struct nlmsghdr *req;
	lnl_msg_fn fn;
	void *arg;
	struct lnl_err *err;
	bool done;
	bool intr;
	int status;
};

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", s);
}

/*
 * The TLVs of an extended ACK in nlh, after hlen bytes of payload: the
 * message, and the offending or missing attribute mapped back to our request
 * when it was one of lagwlc's.
 */
static void ext_ack(struct txn *t, struct nlmsghdr *nlh, size_t hlen)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(hlen);
	bool ours = t->req->nlmsg_type == t->c->family;
	char buf[128], name[NAME_STRLEN];

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || nlh->nlmsg_len <= start)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + start),
		      (int)(nlh->nlmsg_len - start), NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(t->err->msg, tb[NLMSGERR_ATTR_MSG], sizeof(t->err->msg));
	if (!ours)
		return;
	if (tb[NLMSGERR_ATTR_OFFS] && nla_len(tb[NLMSGERR_ATTR_OFFS]) >= 4) {
		replica_describe_offset(t->req, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]),
					buf, sizeof(buf));
		append(t->err->where, sizeof(t->err->where), buf);
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE] && nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= 4) {
		unsigned int type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
		struct nlattr *nest = tb[NLMSGERR_ATTR_MISS_NEST];

		if (nest && nla_len(nest) >= 4) {
			replica_describe_offset(t->req, nla_get_u32(nest), buf, sizeof(buf));
			append(t->err->where, sizeof(t->err->where), buf);
		}
		snprintf(buf, sizeof(buf), "missing %s",
			 !nest ? attr_name(type, name, sizeof(name)) :
			 genlmsg_hdr(t->req)->cmd >= LAGWLC_CMD_SVC_SET ?
				service_attr_name(type, name, sizeof(name)) :
				replica_attr_name(type, name, sizeof(name)));
		if (t->err->msg[0])
			append(t->err->where, sizeof(t->err->where), buf);
		else
			snprintf(t->err->msg, sizeof(t->err->msg), "%s", buf);
	}
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;
	int r;

	if (nlmsg_hdr(msg)->nlmsg_type != t->req->nlmsg_type || !t->fn)
		return NL_SKIP;
	r = t->fn(msg, t->arg);
	if (r < 0) {
		t->status = r;
		t->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int on_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct txn *t = arg;
	size_t hlen = sizeof(*e);

	(void)nla;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
		hlen += e->msg.nlmsg_len - NLMSG_HDRLEN;
	t->status = e->error < 0 ? -e->error : e->error;
	ext_ack(t, nlh, hlen);
	t->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	ext_ack(t, nlmsg_hdr(msg), sizeof(struct nlmsgerr));
	if (t->err->msg[0])
		lnl_log(true, "%s%s%s%s", t->err->msg, t->err->where[0] ? " (" : "",
			t->err->where, t->err->where[0] ? ")" : "");
	memset(t->err, 0, sizeof(*t->err));
	t->done = true;
	return NL_STOP;
}

/* NLMSG_DONE ends a dump; an error in it is the dump's failure. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct txn *t = arg;
	int e;

	if (nlmsg_datalen(nlh) >= (int)sizeof(e)) {
		memcpy(&e, nlmsg_data(nlh), sizeof(e));
		if (e < 0) {
			t->status = -e;
			ext_ack(t, nlh, sizeof(e));
		}
	}
	t->done = true;
	return NL_STOP;
}

static int on_intr(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	(void)msg;
	t->intr = true;
	return NL_OK;
}

int lnl_transact(struct lnl *c, struct nl_msg *req, lnl_msg_fn fn, void *arg,
		 struct lnl_err *err)
{
	struct txn t = {
		.c = c, .req = nlmsg_hdr(req), .fn = fn, .arg = arg, .err = err,
	};
	struct nl_cb *cb;
	int r;

	memset(err, 0, sizeof(*err));
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &t);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_intr, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_err, &t);

	r = nl_send_auto(c->sk, req);
	if (r < 0) {
		nl_cb_put(cb);
		return r;
	}
	while (!t.done) {
		r = nl_recvmsgs(c->sk, cb);
		if (r < 0 && !t.done) {
			t.status = r;
			break;
		}
	}
	nl_cb_put(cb);
	if (t.status == 0 && t.intr)
		return -NLE_DUMP_INTR;
	return t.status;
}

int lnl_report(const char *op, int ret, const struct lnl_err *err, bool changes)
{
	char what[512] = "";

	if (ret == EPERM && changes) {
		lnl_log(false, "permission denied: changing replica state needs CAP_NET_ADMIN");
	} else if (ret == EPERM) {
		lnl_log(false, "%s: permission denied: reading the lag table needs CAP_NET_ADMIN, as listing IPVS services does",
			op);
	} else if (ret > 0) {
		if (err && err->msg[0])
			snprintf(what, sizeof(what), "%s%s%s%s: ", err->msg,
				 err->where[0] ? " (" : "", err->where, err->where[0] ? ")" : "");
		else if (err && err->where[0])
			snprintf(what, sizeof(what), "%s: ", err->where);
		lnl_log(false, "%s: %s%s", op, what, strerror(ret));
	} else if (ret == -NLE_DUMP_INTR) {
		lnl_log(false, "%s: the dump was interrupted by concurrent changes %d times; try again",
			op, LNL_DUMP_TRIES);
	} else {
		lnl_log(false, "%s: %s", op, nl_geterror(ret));
	}
	return 1;
}
