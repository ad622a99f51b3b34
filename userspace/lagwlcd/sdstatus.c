// SPDX-License-Identifier: GPL-2.0
/*
 * READY=1 and STATUS= for systemd. "lagging" is the kernel's word, not
 * lagwlcd's: max_lag_ms, readmit_lag_ms and the hysteresis between them
 * live in the module (per network namespace), so the counts come from a
 * LAGWLC_CMD_REPLICA_GET dump on the pusher's socket, matched against the
 * replicas lagwlcd probes (other tools' replicas in the table are not
 * lagwlcd's to count). One dump a second at most: a few kB per hundred
 * replicas.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/lagwlc.h>

#include "log.h"
#include "replica.h"
#include "sdnotify.h"
#include "sdstatus.h"
#include "timing.h"

struct sdstatus_entry {
	struct endpoint ep;
	uint8_t state;
};

static int entry_cmp(const void *a, const void *b)
{
	return ep_cmp(&((const struct sdstatus_entry *)a)->ep,
		      &((const struct sdstatus_entry *)b)->ep);
}

static int on_replica(struct nl_msg *msg, void *arg)
{
	struct sdstatus *s = arg;
	struct replica r;

	if (replica_parse(msg, &r) < 0)
		return -NLE_PARSE_ERR;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct sdstatus_entry *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -NLE_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].ep = r.ep;
	s->v[s->n].state = r.has_state ? r.state : LAGWLC_STATE_NONE;
	s->n++;
	return 0;
}

/* The kernel's lag table into s->v, sorted: 0 or a negative/positive error. */
static int dump(struct sdstatus *s, struct pusher *ps)
{
	struct lnl_err err;
	int tries, r = 0;

	for (tries = 0; tries < LNL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = lnl_msg(ps->nl.family, LAGWLC_CMD_REPLICA_GET,
					     LAGWLC_GENL_VERSION, NLM_F_DUMP, 0);

		if (!msg)
			return -NLE_NOMEM;
		s->n = 0;
		r = lnl_transact(&ps->nl, msg, on_replica, s, &err);
		nlmsg_free(msg);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r) {
		s->n = 0;
		return r;
	}
	qsort(s->v, s->n, sizeof(*s->v), entry_cmp);
	return 0;
}

static uint8_t state_of(const struct sdstatus *s, const struct endpoint *ep)
{
	struct sdstatus_entry key = { .ep = *ep }, *e;

	e = s->n ? bsearch(&key, s->v, s->n, sizeof(*s->v), entry_cmp) : NULL;
	return e ? e->state : LAGWLC_STATE_NONE;
}

/* ", N what" into line when N is not 0. */
static void add(char *line, size_t len, size_t n, const char *what)
{
	size_t l = strlen(line);

	if (n && l < len)
		snprintf(line + l, len - l, ", %zu %s", n, what);
}

/*
 * The STATUS= line for this push into buf; true when lagwlcd is doing its
 * job: its pushes and reads accepted by the module, or the module not
 * loaded yet (lagwlcd waits for it), or a dry run.
 */
static bool compose(struct sdstatus *s, struct pusher *ps, const struct push_item *items,
		    size_t n, size_t count, int sent, bool dry_run, char *buf, size_t len)
{
	size_t c[LAGWLC_STATE_MAX + 1] = { 0 }, i, up = 0;
	const char *noun = count == 1 ? "replica" : "replicas";
	int r;

	if (dry_run) {
		for (i = 0; i < n; i++)
			up += items[i].up;
		snprintf(buf, len, "%zu %s: %zu up, %zu down (dry run: nothing pushed)", count,
			 noun, up, n - up);
		add(buf, len, count - n, "starting");
		return true;
	}
	if (!ps->nl.family) {
		snprintf(buf, len, "%zu %s: lagwlc module not loaded, nothing pushed", count, noun);
		return true;
	}
	if (sent < 0) {
		snprintf(buf, len, "%zu %s: pushes to the kernel failing (see the log)", count, noun);
		return false;
	}
	r = dump(s, ps);
	if (r) {
		snprintf(buf, len, "%zu %s: cannot read the kernel's states: %s", count, noun,
			 r > 0 ? strerror(r) : nl_geterror(r));
		return false;
	}
	for (i = 0; i < n; i++)
		c[state_of(s, &items[i].key)]++;
	snprintf(buf, len, "%zu %s: %zu ok, %zu lagging, %zu down", count, noun,
		 c[LAGWLC_STATE_OK], c[LAGWLC_STATE_LAGGING], c[LAGWLC_STATE_DOWN]);
	add(buf, len, c[LAGWLC_STATE_STALE], "stale");
	add(buf, len, c[LAGWLC_STATE_NONE], "not in the lag table");
	add(buf, len, count - n, "starting");
	return true;
}

void sdstatus_push(struct sdstatus *s, struct pusher *ps, const struct push_item *items,
		   size_t n, size_t count, int sent, bool dry_run)
{
	uint64_t now;
	char line[sizeof(s->line)];

	if (!sdn_enabled())
		return;
	now = mono_ms();
	if (!s->ready) {
		/*
		 * Not while a replica has no word yet, nor while the module
		 * refuses us (no CAP_NET_ADMIN: even with no replica to push,
		 * its table cannot be read); then STATUS= says why, and the
		 * module is asked again once a period
		 */
		if (n < count || now < s->next_ms)
			return;
		if (!compose(s, ps, items, n, count, sent, dry_run, line, sizeof(line))) {
			s->next_ms = now + SDSTATUS_PERIOD_MS;
			if (strcmp(line, s->line)) {
				snprintf(s->line, sizeof(s->line), "%s", line);
				sdn_send("STATUS=%s", s->line);
			}
			return;
		}
		snprintf(s->line, sizeof(s->line), "%s", line);
		sdn_send("READY=1\nSTATUS=%s", s->line);
		log_info("told systemd: ready (%s)", s->line);
		s->ready = true;
		s->next_ms = now + SDSTATUS_PERIOD_MS;
		return;
	}
	if (now < s->next_ms)
		return;
	s->next_ms = now + SDSTATUS_PERIOD_MS;
	compose(s, ps, items, n, count, sent, dry_run, line, sizeof(line));
	if (strcmp(line, s->line)) {
		snprintf(s->line, sizeof(s->line), "%s", line);
		sdn_send("STATUS=%s", s->line);
	}
}

void sdstatus_reloading(struct sdstatus *s)
{
	if (!sdn_enabled())
		return;
	sdn_reloading();
	(void)s;
}

void sdstatus_reloaded(struct sdstatus *s, bool refused)
{
	if (!sdn_enabled())
		return;
	/* the counts are sent again at the next push */
	s->next_ms = 0;
	s->line[0] = '\0';
	if (refused)
		sdn_send("READY=1\nSTATUS=reload refused: the configuration in force is kept (see the log)");
	else
		sdn_send("READY=1");
}

void sdstatus_free(struct sdstatus *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
