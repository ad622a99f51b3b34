// SPDX-License-Identifier: GPL-2.0
/*
 * The prober threads: one persistent connection per replica, a probe every
 * poll interval, the verdict published under the prober's mutex.
 *
 * A probe is two queries: the replica status (health, and the lag when it
 * comes from Seconds_Behind_*), then read_only and, for the heartbeat
 * source, the newest heartbeat's age computed on the replica itself with
 * UTC_TIMESTAMP(6), so that lagwlcd's clock never enters the figure.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <mysqld_error.h>

#include "db.h"
#include "log.h"
#include "probe.h"
#include "timing.h"

/* Reconnection attempts back off from one poll interval up to this. */
#define BACKOFF_MAX_MS 5000

const char *prober_name(const struct endpoint *key, const struct endpoint *probe,
			char *buf, size_t len)
{
	char k[EP_STRLEN], pr[EP_STRLEN];

	if (ep_equal(key, probe))
		snprintf(buf, len, "replica %s", ep_format(key, k, sizeof(k)));
	else
		snprintf(buf, len, "replica %s (probe %s)", ep_format(key, k, sizeof(k)),
			 ep_format(probe, pr, sizeof(pr)));
	return buf;
}

/* What a connection is for, as far as reconnecting goes. */
static bool same_connection(const struct endpoint *pa, const struct settings *a,
			    const struct endpoint *pb, const struct settings *b)
{
	return ep_equal(pa, pb) && a->timeout_ms == b->timeout_ms &&
	       !strcmp(a->option_file, b->option_file) &&
	       !strcmp(a->option_group, b->option_group);
}

/* A thread's connection and what it learnt about the server. */
struct conn {
	MYSQL *m;
	const char *status_query;	/* the form of SHOW ... STATUS this server takes */
	bool tried_other;		/* the other form was tried after a syntax error */
	int read_only;			/* -1 unknown, -2 not understood, 0, 1: as last seen */
};

static void conn_close(struct prober *p, struct conn *c)
{
	if (!c->m)
		return;
	/* no shutdown() from prober_stop on a number about to be reused */
	pthread_mutex_lock(&p->mu);
	p->fd = -1;
	pthread_mutex_unlock(&p->mu);
	mysql_close(c->m);
	c->m = NULL;
}

static void conn_opened(struct prober *p, struct conn *c, MYSQL *m)
{
	const char *info = mysql_get_server_info(m);
	unsigned long ver = mysql_get_server_version(m);

	c->m = m;
	c->tried_other = false;
	if (info && strstr(info, "MariaDB"))
		c->status_query = "SHOW ALL SLAVES STATUS";	/* every channel */
	else if (ver >= 80022)
		c->status_query = "SHOW REPLICA STATUS";
	else
		c->status_query = "SHOW SLAVE STATUS";
	pthread_mutex_lock(&p->mu);
	p->fd = (int)mysql_get_socket(m);
	if (p->stop)
		shutdown(p->fd, SHUT_RDWR);
	pthread_mutex_unlock(&p->mu);
}

/* The query for read_only and, with the heartbeat, the newest beat's age. */
static void aux_query(const struct settings *s, bool heartbeat, char *q, size_t len)
{
	char from[256], where[64] = "";

	if (!heartbeat) {
		snprintf(q, len, "SELECT @@global.read_only");
		return;
	}
	if (s->heartbeat_server_id)
		snprintf(where, sizeof(where), " WHERE server_id = %u", s->heartbeat_server_id);
	snprintf(from, sizeof(from), "FROM `%s`.`%s`%s ORDER BY ts DESC LIMIT 1",
		 s->heartbeat_db, s->heartbeat_tbl, where);
	snprintf(q, len,
		 "SELECT @@global.read_only, (SELECT ts %s), "
		 "(SELECT TIMESTAMPDIFF(MICROSECOND, CAST(ts AS DATETIME(6)), UTC_TIMESTAMP(6)) %s)",
		 from, from);
}

static void down(struct probe_state *st, const char *fmt, const char *what)
{
	st->up = false;
	st->has_lag = false;
	snprintf(st->reason, sizeof(st->reason), fmt, what);
}

/* A failed query's class: the connection broke (or timed out), or the server said no. */
static enum probe_error query_error(MYSQL *m)
{
	return db_conn_lost(m) ? PROBE_ERR_CONNECTION_LOST : PROBE_ERR_QUERY;
}

/* One probe on an open connection; closes it if it broke. Why it failed, or PROBE_OK. */
static enum probe_error measure(struct prober *p, struct conn *c, const struct settings *s,
		    const char *name, struct probe_state *st)
{
	struct lag_policy pol = {
		.heartbeat = st->source == LAG_SOURCE_HEARTBEAT,
		.io_stopped_down = s->io_stopped_down,
		.not_replica_primary = s->not_replica_primary,
	};
	char err[VERDICT_REASON_MAX], q[768], what[200];
	struct db_result r;
	struct verdict v;
	enum probe_error fail;
	bool hb_up;
	int ro;

	while (db_query(c->m, c->status_query, c->status_query, &r, err, sizeof(err)) < 0) {
		if (mysql_errno(c->m) == ER_PARSE_ERROR && !c->tried_other) {
			/* MySQL before 8.0.22 has no SHOW REPLICA STATUS, 8.4 no SHOW SLAVE STATUS */
			c->tried_other = true;
			c->status_query = strcmp(c->status_query, "SHOW REPLICA STATUS") ?
					  "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
			continue;
		}
		down(st, "%s", err);
		fail = query_error(c->m);
		if (db_conn_lost(c->m))
			conn_close(p, c);
		return fail;
	}
	status_eval(&r.view, &pol, &v);
	db_result_free(&r);
	hb_up = v.up;	/* up until the heartbeat says otherwise */

	aux_query(s, pol.heartbeat && v.up && !v.not_replica, q, sizeof(q));
	if (pol.heartbeat && v.up && !v.not_replica)
		snprintf(what, sizeof(what), "heartbeat query on `%s`.`%s`", s->heartbeat_db,
			 s->heartbeat_tbl);
	else
		snprintf(what, sizeof(what), "SELECT @@global.read_only");
	if (db_query(c->m, q, what, &r, err, sizeof(err)) < 0 || r.view.nrows != 1 ||
	    r.view.ncols < 1) {
		if (r.res)
			snprintf(err, sizeof(err), "%s: %zu rows", what, r.view.nrows);
		db_result_free(&r);
		if (db_conn_lost(c->m) || (pol.heartbeat && v.up && !v.not_replica)) {
			down(st, "%s", err);
			fail = db_conn_lost(c->m) ? PROBE_ERR_CONNECTION_LOST : PROBE_ERR_HEARTBEAT;
			if (db_conn_lost(c->m))
				conn_close(p, c);
			return fail;
		}
		log_debug("%s: %s", name, err);
	} else {
		if (r.view.ncols >= 3)
			heartbeat_apply(&v, r.view.values[1], r.view.values[2], s->heartbeat_server_id);
		ro = read_only_parse(r.view.values[0]);
		if (ro < 0 && c->read_only != -2) {
			/* "abc" is not OFF: say so, once per connection */
			log_err("%s: read_only answer \"%s\" is neither ON, OFF, 1 nor 0: read_only unknown",
				name, r.view.values[0] ? r.view.values[0] : "NULL");
			c->read_only = -2;
		}
		if (ro >= 0 && ro != c->read_only && !v.not_replica) {
			if (!ro)
				log_warn("%s: read_only is OFF on a replica: writes sent to it would make it diverge",
					 name);
			else if (c->read_only == 0)
				log_info("%s: read_only is ON again", name);
			c->read_only = ro;
		}
		db_result_free(&r);
	}
	st->up = v.up;
	st->has_lag = v.up && v.has_lag;
	st->lag_ms = v.lag_ms;
	snprintf(st->reason, sizeof(st->reason), "%s", v.reason);
	if (v.not_replica && v.up)
		st->source = LAG_SOURCE_AUTO;	/* a primary: lag 0 by rule */
	if (!v.up)
		return pol.heartbeat && hb_up ? PROBE_ERR_HEARTBEAT : PROBE_ERR_REPLICATION;
	return st->has_lag ? PROBE_OK : PROBE_ERR_NO_LAG;
}

static void (*notify)(void);

void prober_set_notify(void (*fn)(void))
{
	notify = fn;
}

static void *run(void *arg)
{
	struct prober *p = arg;
	struct conn c = { .read_only = -1 };
	uint64_t next_connect = 0, backoff = 0;
	char conn_err[VERDICT_REASON_MAX] = "", name[EP_STRLEN * 2 + 32];
	char logged[VERDICT_REASON_MAX] = "";
	int logged_up = -1;

	mysql_thread_init();
	for (;;) {
		struct endpoint probe;
		struct settings s;
		struct probe_state st;
		uint32_t poll;
		uint64_t start, until, start_us, end_us;
		enum probe_error fail;
		bool drop;

		pthread_mutex_lock(&p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		probe = p->probe;
		s = p->s;
		poll = p->poll_ms;
		drop = p->reconnect;
		p->reconnect = false;
		pthread_mutex_unlock(&p->mu);
		prober_name(&p->key, &probe, name, sizeof(name));

		if (drop) {
			conn_close(p, &c);
			next_connect = 0;
			backoff = 0;
		}
		start = mono_ms();
		start_us = mono_us();
		memset(&st, 0, sizeof(st));
		st.valid = true;
		st.when_ms = start;
		st.source = lag_source_effective(&s);
		/* waiting to reconnect is no probe: nothing for the metrics */
		fail = PROBE_NERRORS;
		if (!c.m && start >= next_connect) {
			MYSQL *m = db_connect(&probe, &s, conn_err, sizeof(conn_err));

			fail = PROBE_ERR_CONNECT;
			if (m) {
				conn_opened(p, &c, m);
				backoff = 0;
				log_debug("%s: connected to %s", name, mysql_get_server_info(m));
			} else {
				backoff = backoff ? backoff * 2 : (poll > 100 ? poll : 100);
				if (backoff > BACKOFF_MAX_MS)
					backoff = BACKOFF_MAX_MS;
				next_connect = mono_ms() + backoff;
			}
		}
		if (c.m)
			fail = measure(p, &c, &s, name, &st);
		else
			down(&st, "%s", conn_err);
		end_us = mono_us();

		/* a lag is as of the probe's start; "down" as of its end */
		if (!st.up)
			st.when_ms = mono_ms();
		pthread_mutex_lock(&p->mu);
		p->st = st;
		/* under mu and not stopping: the entry is not forgotten yet */
		if (!p->stop && fail != PROBE_NERRORS)
			metrics_probe(p->metrics, end_us - start_us, fail);
		pthread_mutex_unlock(&p->mu);

		pthread_mutex_lock(&p->mu);
		if (p->stop) {
			/* prober_stop() cut the query short: nothing to say */
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		if (notify)
			notify();
		if (st.up && logged_up != 1) {
			if (st.has_lag)
				log_notice("%s: up, lag %u ms (%s)", name, st.lag_ms,
					   st.source == LAG_SOURCE_AUTO ? "not a replica: counted as a primary" :
					   lag_source_name(st.source));
			else
				log_notice("%s: up", name);
			logged_up = 1;
			logged[0] = '\0';
		} else if (!st.up && (logged_up != 0 || strcmp(logged, st.reason))) {
			log_warn("%s: down: %s", name, st.reason);
			logged_up = 0;
			snprintf(logged, sizeof(logged), "%s", st.reason);
		}

		until = start + poll;
		pthread_mutex_lock(&p->mu);
		while (!p->stop && !p->reconnect) {
			uint64_t now = mono_ms();
			struct timespec ts;

			if (now >= until)
				break;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)((until - now) / 1000);
			ts.tv_nsec += (long)((until - now) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		}
		pthread_mutex_unlock(&p->mu);
	}
	conn_close(p, &c);
	mysql_thread_end();
	pthread_mutex_lock(&p->mu);
	p->finished = true;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct prober *prober_start(const struct endpoint *key, const struct endpoint *probe,
			    const struct settings *s, uint32_t poll_ms)
{
	struct prober *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	char name[EP_STRLEN * 2 + 32];
	int r;

	if (!p) {
		log_err("%s: out of memory", prober_name(key, probe, name, sizeof(name)));
		return NULL;
	}
	p->key = *key;
	p->probe = *probe;
	p->shown = *probe;
	p->s = *s;
	p->poll_ms = poll_ms;
	p->fd = -1;
	p->st.when_ms = mono_ms();	/* its start, until a first result */
	p->metrics = metrics_add(key);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&p->thread, NULL, run, p);
	if (r) {
		log_err("%s: cannot start its thread: %s",
			prober_name(key, probe, name, sizeof(name)), strerror(r));
		metrics_forget(p->metrics);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

int prober_update(struct prober *p, const struct endpoint *probe, const struct settings *s,
		  uint32_t poll_ms)
{
	int changed = 0;

	pthread_mutex_lock(&p->mu);
	if (!same_connection(&p->probe, &p->s, probe, s)) {
		p->reconnect = true;
		changed = 2;
	} else if (!settings_equal(&p->s, s)) {
		changed = 1;
	}
	p->probe = *probe;
	p->s = *s;
	p->poll_ms = poll_ms;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	p->shown = *probe;
	return changed;
}

void prober_stop(struct prober *p)
{
	struct metrics_replica *m;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	/* a query in progress returns at once rather than after its timeout */
	if (p->fd >= 0)
		shutdown(p->fd, SHUT_RDWR);
	pthread_cond_signal(&p->cv);
	m = p->metrics;
	p->metrics = NULL;
	pthread_mutex_unlock(&p->mu);
	/* the thread reports no probe once stop is set (run()) */
	metrics_forget(m);
}

bool prober_finished(struct prober *p)
{
	bool f;

	pthread_mutex_lock(&p->mu);
	f = p->finished;
	pthread_mutex_unlock(&p->mu);
	return f;
}

void prober_free(struct prober *p)
{
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void prober_get(struct prober *p, struct probe_state *st)
{
	pthread_mutex_lock(&p->mu);
	*st = p->st;
	pthread_mutex_unlock(&p->mu);
}
