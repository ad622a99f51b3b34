// SPDX-License-Identifier: GPL-2.0
/*
 * The probers: one persistent connection per replica, a probe every poll
 * interval, the verdict published under the prober's mutex.
 *
 * One thread runs them all: an epoll loop that drives each replica's
 * connection through libmariadb's non-blocking API (mysql_*_start() and
 * mysql_*_cont(): the library returns what it waits for, MYSQL_WAIT_READ,
 * _WRITE, _TIMEOUT, and the loop resumes it when the socket is ready).
 * The loop, not the library, keeps the time: each wait for the server
 * (to accept the connection, send its greeting, answer, take a query) has
 * a deadline of the replica's timeout in milliseconds, kept in a heap with
 * the next probe times. At the deadline,
 * or when a prober is stopped or must reconnect, the operation in progress
 * is cut short: the socket is shut down and the library resumed until it
 * gives up, which it does at once. Probes start at a random offset (within
 * 10 ms per replica, up to 3/4 of the poll interval), so that many replicas
 * do not all connect at the same instant, and reconnection backs off with
 * jitter.
 *
 * A probe is one round trip, a query of two statements: the replica status
 * (health, and the lag when it comes from Seconds_Behind_*), then read_only
 * and, for the heartbeat source, the newest heartbeat's age computed on the
 * replica itself with UTC_TIMESTAMP(6), so that lagwlcd's clock never
 * enters the figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <mysqld_error.h>

#include "db.h"
#include "log.h"
#include "probe.h"
#include "timing.h"

/* Reconnection attempts back off from one poll interval up to this. */
#define BACKOFF_MAX_MS 5000
/* First probes are spread over this much per replica, at most 3/4 of a poll. */
#define SPREAD_MS 10

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

static void (*notify)(void);

void prober_set_notify(void (*fn)(void))
{
	notify = fn;
}

/* What the library is doing for a prober. */
enum phase {
	PH_IDLE,		/* nothing: between probes, connected or not */
	PH_CONNECT,		/* mysql_real_connect_start() */
	PH_QUERY,		/* mysql_real_query_start() */
	PH_NEXT,		/* mysql_next_result_start() */
	PH_STORE,		/* mysql_store_result_start() */
};

#define HEAP_NONE ((size_t)-1)

/* A prober as the loop thread sees it: touched by no other thread. */
struct probe_run {
	struct prober *p;
	struct probe_run *next_new;	/* on the loop's incoming list */
	size_t idx;			/* in loop.runs */
	size_t hidx;			/* in loop.heap, HEAP_NONE */
	uint64_t due;			/* mono_ms(): the next probe, or this one's deadline */

	/* the settings of the probe in progress, copied at its start */
	struct endpoint probe;
	struct settings s;
	uint32_t poll;
	char name[EP_STRLEN * 2 + 32];
	char host[INET6_ADDRSTRLEN];

	/* the connection and what was learnt about the server */
	MYSQL *m;			/* connecting or connected, or NULL */
	int cnf_fd;			/* the filtered option file while connecting, -1 */
	int fd;				/* registered with epoll, -1 */
	uint32_t events;		/* as registered */
	int wait;			/* what the library waits for: MYSQL_WAIT_* */
	enum phase ph;
	MYSQL *ret_m;			/* the _start/_cont results */
	int ret_i;
	MYSQL_RES *ret_res;
	const char *status_query;	/* the form of SHOW ... STATUS this server takes */
	bool tried_other;		/* the other form was tried after a syntax error */
	int read_only;			/* -1 unknown, -2 not understood, 0, 1: as last seen */
	uint64_t next_connect, backoff;
	char conn_err[VERDICT_REASON_MAX];
	char logged[VERDICT_REASON_MAX];
	int logged_up;

	/* the probe in progress */
	struct probe_state st;
	uint64_t start_ms, start_us;
	int step;			/* 0: the status statement, 1: read_only (and heartbeat) */
	struct lag_policy pol;
	struct verdict v;
	bool hb_up;
	bool aux_hb;			/* the heartbeat counts in this probe's verdict */
	char q[1024];
	char what[200];
};

/* The loop: its thread, its epoll and wake-up eventfd, its probers. */
static struct {
	pthread_mutex_t mu;		/* guards started, incoming, quit */
	bool started;
	bool quit;
	struct probe_run *incoming;	/* started, not yet taken over by the loop */
	pthread_t thread;
	int epfd, evfd;

	/* the loop thread's own */
	struct probe_run **runs;
	size_t nruns, cap;
	struct probe_run **heap;	/* by due, soonest first; every run is in it */
	struct probe_run **starts;	/* due to start a probe, out of the heap meanwhile */
	size_t nheap;
	uint64_t rnd;
} loop = { .mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .evfd = -1 };

static uint64_t rnd(void)
{
	/* xorshift64: jitter, not secrets */
	loop.rnd ^= loop.rnd << 13;
	loop.rnd ^= loop.rnd >> 7;
	loop.rnd ^= loop.rnd << 17;
	return loop.rnd;
}

static bool heap_less(size_t a, size_t b)
{
	return loop.heap[a]->due < loop.heap[b]->due;
}

static void heap_swap(size_t a, size_t b)
{
	struct probe_run *t = loop.heap[a];

	loop.heap[a] = loop.heap[b];
	loop.heap[b] = t;
	loop.heap[a]->hidx = a;
	loop.heap[b]->hidx = b;
}

static void heap_fix(size_t i)
{
	while (i && heap_less(i, (i - 1) / 2)) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop.nheap && heap_less(l, m))
			m = l;
		if (r < loop.nheap && heap_less(r, m))
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
}

/* r's next event is at due (the heap has room: runs and heap grow together). */
static void heap_set(struct probe_run *r, uint64_t due)
{
	r->due = due;
	if (r->hidx == HEAP_NONE) {
		r->hidx = loop.nheap;
		loop.heap[loop.nheap++] = r;
	}
	heap_fix(r->hidx);
}

static void heap_remove(struct probe_run *r)
{
	size_t i = r->hidx;

	if (i == HEAP_NONE)
		return;
	r->hidx = HEAP_NONE;
	if (i != --loop.nheap) {
		loop.heap[i] = loop.heap[loop.nheap];
		loop.heap[i]->hidx = i;
		heap_fix(i);
	}
}

/* Stop watching r's socket. */
static void unwatch(struct probe_run *r)
{
	/*
	 * A socket the library closed itself (a broken connection) left
	 * epoll with it, and its number may be another prober's already.
	 */
	if (r->fd >= 0 && r->m && (int)mysql_get_socket(r->m) == r->fd)
		epoll_ctl(loop.epfd, EPOLL_CTL_DEL, r->fd, NULL);
	r->fd = -1;
	r->events = 0;
}

/* The library waits for status (MYSQL_WAIT_*): watch its socket for it. */
static void watch(struct probe_run *r, int status)
{
	struct epoll_event e = { .data.ptr = r };
	int fd = (int)mysql_get_socket(r->m);

	/*
	 * The deadline: timeout from now. Like libmariadb's own connect,
	 * read and write timeouts, it bounds each wait for the server (to
	 * accept, answer, take data), but to the millisecond.
	 */
	heap_set(r, mono_ms() + r->s.timeout_ms);
	r->wait = status;
	if (status & MYSQL_WAIT_READ)
		e.events |= EPOLLIN;
	if (status & MYSQL_WAIT_WRITE)
		e.events |= EPOLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		e.events |= EPOLLPRI;
	if (fd != r->fd) {
		/* a new socket: the old one was closed, and left epoll with it */
		r->fd = -1;
		r->events = 0;
	}
	if (fd < 0 || !e.events) {
		unwatch(r);
		return;		/* only a timeout: the heap has the deadline */
	}
	if (r->fd < 0) {
		if (epoll_ctl(loop.epfd, EPOLL_CTL_ADD, fd, &e) < 0 && errno == EEXIST)
			epoll_ctl(loop.epfd, EPOLL_CTL_MOD, fd, &e);
	} else if (e.events != r->events) {
		if (epoll_ctl(loop.epfd, EPOLL_CTL_MOD, fd, &e) < 0 && errno == ENOENT)
			epoll_ctl(loop.epfd, EPOLL_CTL_ADD, fd, &e);
	}
	r->fd = fd;
	r->events = e.events;
}

/* Resume the library's operation in progress with what happened (MYSQL_WAIT_*). */
static int op_cont(struct probe_run *r, int ready)
{
	switch (r->ph) {
	case PH_CONNECT:
		return mysql_real_connect_cont(&r->ret_m, r->m, ready);
	case PH_QUERY:
		return mysql_real_query_cont(&r->ret_i, r->m, ready);
	case PH_NEXT:
		return mysql_next_result_cont(&r->ret_i, r->m, ready);
	case PH_STORE:
		return mysql_store_result_cont(&r->ret_res, r->m, ready);
	default:
		return 0;
	}
}

/*
 * Cut the operation in progress short: with its socket shut down the
 * library, resumed, fails at once (and one that waits for a timeout is
 * told it came).
 */
static void op_cancel(struct probe_run *r)
{
	int status = r->wait, fd, i;

	if (r->ph == PH_IDLE || !r->m)
		return;
	fd = (int)mysql_get_socket(r->m);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	for (i = 0; status && i < 8; i++)
		status = op_cont(r, status & MYSQL_WAIT_TIMEOUT ? MYSQL_WAIT_TIMEOUT :
				 status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT));
	if (!status && r->ph == PH_STORE && r->ret_res)
		mysql_free_result(r->ret_res);
	r->ret_res = NULL;
	r->ph = PH_IDLE;
	r->wait = 0;
}

/* Close r's connection, cutting short what it is doing. */
static void conn_drop(struct probe_run *r)
{
	op_cancel(r);
	unwatch(r);
	if (r->m)
		mysql_close(r->m);
	r->m = NULL;
	if (r->cnf_fd >= 0)
		close(r->cnf_fd);
	r->cnf_fd = -1;
	r->ph = PH_IDLE;
	r->wait = 0;
}

/* A connection attempt failed: the next one waits, with jitter. */
static void backoff(struct probe_run *r)
{
	uint64_t b = r->backoff ? r->backoff * 2 : (r->poll > 100 ? r->poll : 100);

	if (b > BACKOFF_MAX_MS)
		b = BACKOFF_MAX_MS;
	r->backoff = b;
	/* in the second half: replicas that failed together retry apart */
	r->next_connect = mono_ms() + b / 2 + rnd() % (b / 2 + 1);
}

/* The probe ended (fail: why, PROBE_NERRORS for no probe): publish it, plan the next. */
static void finish(struct probe_run *r, enum probe_error fail)
{
	struct prober *p = r->p;
	struct probe_state st = r->st;
	uint64_t end_us = mono_us(), next, now;
	bool stop;

	r->ph = PH_IDLE;
	r->wait = 0;
	/*
	 * An idle connection stays watched for input only: nothing comes
	 * unless the server closes it (on_io() then lets it go), and the
	 * next probe, which waits for input too, needs no epoll_ctl() (two
	 * system calls a probe saved at 1000 replicas). Waiting for output
	 * would wake the loop at once: not that.
	 */
	if (r->events & ~(uint32_t)EPOLLIN)
		unwatch(r);
	/* a lag is as of the probe's start; "down" as of its end */
	now = mono_ms();
	if (!st.up)
		st.when_ms = now;
	st.took_ms = (uint32_t)(now - r->start_ms);
	pthread_mutex_lock(&p->mu);
	p->st = st;
	/* under mu and not stopping: the entry is not forgotten yet */
	stop = p->stop;
	if (!stop && fail != PROBE_NERRORS)
		metrics_probe(p->metrics, end_us - r->start_us, fail);
	pthread_mutex_unlock(&p->mu);

	now = mono_ms();
	next = r->start_ms + r->poll;
	heap_set(r, next > now ? next : now + 1);
	if (stop)
		return;	/* prober_stop() cut it short: nothing to say */
	if (notify)
		notify();
	if (st.up && r->logged_up != 1) {
		if (st.has_lag)
			log_notice("%s: up, lag %u ms (%s)", r->name, st.lag_ms,
				   st.source == LAG_SOURCE_AUTO ? "not a replica: counted as a primary" :
				   lag_source_name(st.source));
		else
			log_notice("%s: up", r->name);
		r->logged_up = 1;
		r->logged[0] = '\0';
	} else if (!st.up && (r->logged_up != 0 || strcmp(r->logged, st.reason))) {
		log_warn("%s: down: %s", r->name, st.reason);
		r->logged_up = 0;
		snprintf(r->logged, sizeof(r->logged), "%s", st.reason);
	}
}

/* The connection failed or broke: down for err, closed. Always -1 (no more steps). */
static int fail_conn(struct probe_run *r, enum probe_error fail, const char *err)
{
	if (fail == PROBE_ERR_CONNECT) {
		snprintf(r->conn_err, sizeof(r->conn_err), "%s", err);
		backoff(r);
	}
	down(&r->st, "%s", err);
	conn_drop(r);
	finish(r, fail);
	return -1;
}

/*
 * A probe is one round trip: the replica status and the second statement
 * (read_only, and with the heartbeat source the newest beat's age) go in
 * one multi-statement query; their two result sets come back together.
 */
static int query_start(struct probe_run *r)
{
	int n = snprintf(r->q, sizeof(r->q), "%s; ", r->status_query);

	aux_query(&r->s, r->pol.heartbeat, r->q + n, sizeof(r->q) - (size_t)n);
	snprintf(r->what, sizeof(r->what), "%s", r->status_query);
	r->step = 0;
	r->ph = PH_QUERY;
	return mysql_real_query_start(&r->ret_i, r->m, r->q, strlen(r->q));
}

/* The query of a probe on an open connection. */
static int measure_start(struct probe_run *r)
{
	r->pol.heartbeat = r->st.source == LAG_SOURCE_HEARTBEAT;
	r->pol.io_stopped_down = r->s.io_stopped_down;
	r->pol.not_replica_primary = r->s.not_replica_primary;
	return query_start(r);
}

/* The probe's verdict from r->v: published. */
static int measure_end(struct probe_run *r)
{
	struct probe_state *st = &r->st;
	const struct verdict *v = &r->v;
	enum probe_error fail;

	st->up = v->up;
	st->has_lag = v->up && v->has_lag;
	st->lag_ms = v->lag_ms;
	snprintf(st->reason, sizeof(st->reason), "%s", v->reason);
	if (v->not_replica && v->up)
		st->source = LAG_SOURCE_AUTO;	/* a primary: lag 0 by rule */
	if (!v->up)
		fail = r->pol.heartbeat && r->hb_up ? PROBE_ERR_HEARTBEAT : PROBE_ERR_REPLICATION;
	else
		fail = st->has_lag ? PROBE_OK : PROBE_ERR_NO_LAG;
	finish(r, fail);
	return -1;
}

/* The replica status is in: judge it, then take the second result set. */
static int status_done(struct probe_run *r, struct db_result *res)
{
	status_eval(&res->view, &r->pol, &r->v);
	db_result_free(res);
	r->hb_up = r->v.up;	/* up until the heartbeat says otherwise */
	/* the heartbeat was asked for; it counts for a replica that is up */
	r->aux_hb = r->pol.heartbeat && r->v.up && !r->v.not_replica;
	if (r->pol.heartbeat)
		snprintf(r->what, sizeof(r->what), "heartbeat query on `%s`.`%s`",
			 r->s.heartbeat_db, r->s.heartbeat_tbl);
	else
		snprintf(r->what, sizeof(r->what), "SELECT @@global.read_only");
	r->step = 1;
	r->ph = PH_NEXT;
	return mysql_next_result_start(&r->ret_i, r->m);
}

/* The second statement failed (err): fatal if the connection broke or the heartbeat was needed. */
static int aux_failed(struct probe_run *r, const char *err)
{
	if (db_conn_lost(r->m))
		return fail_conn(r, PROBE_ERR_CONNECTION_LOST, err);
	if (r->aux_hb) {
		down(&r->st, "%s", err);
		finish(r, PROBE_ERR_HEARTBEAT);
		return -1;
	}
	log_debug("%s: %s", r->name, err);
	return measure_end(r);
}

static int aux_done(struct probe_run *r, struct db_result *res)
{
	char err[VERDICT_REASON_MAX];
	int ro;

	if (res->view.nrows != 1 || res->view.ncols < 1) {
		snprintf(err, sizeof(err), "%s: %zu rows", r->what, res->view.nrows);
		db_result_free(res);
		return aux_failed(r, err);
	}
	if (r->aux_hb && res->view.ncols >= 3)
		heartbeat_apply(&r->v, res->view.values[1], res->view.values[2],
				r->s.heartbeat_server_id);
	ro = read_only_parse(res->view.values[0]);
	if (ro < 0 && r->read_only != -2) {
		/* "abc" is not OFF: say so, once per connection */
		log_err("%s: read_only answer \"%s\" is neither ON, OFF, 1 nor 0: read_only unknown",
			r->name, res->view.values[0] ? res->view.values[0] : "NULL");
		r->read_only = -2;
	}
	if (ro >= 0 && ro != r->read_only && !r->v.not_replica) {
		if (!ro)
			log_warn("%s: read_only is OFF on a replica: writes sent to it would make it diverge",
				 r->name);
		else if (r->read_only == 0)
			log_info("%s: read_only is ON again", r->name);
		r->read_only = ro;
	}
	db_result_free(res);
	if (mysql_more_results(r->m)) {
		/* never with two statements: start the next probe afresh */
		log_err("%s: more result sets than statements: reconnecting", r->name);
		measure_end(r);
		conn_drop(r);
		return -1;
	}
	return measure_end(r);
}

/* A query or its result failed with the library's error. */
static int query_failed(struct probe_run *r)
{
	char err[VERDICT_REASON_MAX];

	if (mysql_errno(r->m))
		snprintf(err, sizeof(err), "%s: %s (%u)", r->what, mysql_error(r->m),
			 mysql_errno(r->m));
	else
		snprintf(err, sizeof(err), "%s: no result set", r->what);
	if (r->step == 1)
		return aux_failed(r, err);
	if (mysql_errno(r->m) == ER_PARSE_ERROR && !r->tried_other) {
		/* MySQL before 8.0.22 has no SHOW REPLICA STATUS, 8.4 no SHOW SLAVE STATUS */
		r->tried_other = true;
		r->status_query = strcmp(r->status_query, "SHOW REPLICA STATUS") ?
				  "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
		return query_start(r);
	}
	if (db_conn_lost(r->m))
		return fail_conn(r, PROBE_ERR_CONNECTION_LOST, err);
	down(&r->st, "%s", err);
	finish(r, PROBE_ERR_QUERY);
	return -1;
}

static int connect_done(struct probe_run *r)
{
	char err[VERDICT_REASON_MAX], e[EP_STRLEN];
	const char *info;
	unsigned long ver;

	if (r->cnf_fd >= 0)
		close(r->cnf_fd);
	r->cnf_fd = -1;
	if (!r->ret_m) {
		snprintf(err, sizeof(err), "cannot connect to %s: %s (%u)",
			 ep_format(&r->probe, e, sizeof(e)), mysql_error(r->m), mysql_errno(r->m));
		return fail_conn(r, PROBE_ERR_CONNECT, err);
	}
	info = mysql_get_server_info(r->m);
	ver = mysql_get_server_version(r->m);
	r->tried_other = false;
	if (info && strstr(info, "MariaDB"))
		r->status_query = "SHOW ALL SLAVES STATUS";	/* every channel */
	else if (ver >= 80022)
		r->status_query = "SHOW REPLICA STATUS";
	else
		r->status_query = "SHOW SLAVE STATUS";
	r->backoff = 0;
	log_debug("%s: connected to %s", r->name, info);
	return measure_start(r);
}

/*
 * The operation in progress completed: take its result and start the next
 * one. Its status (0: it completed at once too), or -1 when the probe ended.
 */
static int op_done(struct probe_run *r)
{
	struct db_result res;
	char err[VERDICT_REASON_MAX];

	switch (r->ph) {
	case PH_CONNECT:
		return connect_done(r);
	case PH_QUERY:
	case PH_NEXT:
		/* PH_NEXT: -1 (no second result set) fails as "no result set" */
		if (r->ret_i)
			return query_failed(r);
		r->ph = PH_STORE;
		r->ret_res = NULL;
		return mysql_store_result_start(&r->ret_res, r->m);
	case PH_STORE:
		if (!r->ret_res)
			return query_failed(r);
		memset(&res, 0, sizeof(res));
		if (db_result_load(r->ret_res, r->what, &res, err, sizeof(err)) < 0) {
			/* out of memory: no verdict, the connection stays */
			r->ret_res = NULL;
			down(&r->st, "%s", err);
			finish(r, PROBE_ERR_QUERY);
			return -1;
		}
		r->ret_res = NULL;
		return r->step ? aux_done(r, &res) : status_done(r, &res);
	default:
		return -1;
	}
}

/* Drive r from status (what its operation returned) as far as it goes without waiting. */
static void advance(struct probe_run *r, int status)
{
	while (!status) {
		r->wait = 0;
		status = op_done(r);
	}
	if (status > 0)
		watch(r, status);
}

static int connect_start(struct probe_run *r)
{
	char err[VERDICT_REASON_MAX];

	r->m = db_prepare(&r->s, true, &r->cnf_fd, err, sizeof(err));
	if (!r->m)
		return fail_conn(r, PROBE_ERR_CONNECT, err);
	ep_format_addr(&r->probe, r->host, sizeof(r->host));
	r->ph = PH_CONNECT;
	r->ret_m = NULL;
	return mysql_real_connect_start(&r->ret_m, r->m, r->host, NULL, NULL, NULL, r->probe.port,
					NULL, CLIENT_MULTI_STATEMENTS);
}

/* Time for r's next probe. */
static void probe_start(struct probe_run *r)
{
	struct prober *p = r->p;
	struct endpoint was = r->probe;
	bool drop;
	int status;

	pthread_mutex_lock(&p->mu);
	r->probe = p->probe;
	r->s = p->s;
	r->poll = p->poll_ms;
	drop = p->reconnect;
	p->reconnect = false;
	pthread_mutex_unlock(&p->mu);
	/* the name for the log: formatted again only when the address changed */
	if (!r->name[0] || !ep_equal(&was, &r->probe))
		prober_name(&p->key, &r->probe, r->name, sizeof(r->name));

	if (drop) {
		conn_drop(r);
		r->next_connect = 0;
		r->backoff = 0;
	}
	r->start_ms = mono_ms();
	r->start_us = mono_us();
	memset(&r->st, 0, sizeof(r->st));
	r->st.valid = true;
	r->st.when_ms = r->start_ms;
	r->st.source = lag_source_effective(&r->s);
	if (!r->m) {
		if (r->start_ms < r->next_connect) {
			/* waiting to reconnect is no probe: nothing for the metrics */
			down(&r->st, "%s", r->conn_err);
			finish(r, PROBE_NERRORS);
			return;
		}
		status = connect_start(r);
	} else {
		status = measure_start(r);
	}
	if (status >= 0)
		advance(r, status);
}

/* r's deadline passed with an operation in progress. */
static void timed_out(struct probe_run *r)
{
	char err[VERDICT_REASON_MAX], e[EP_STRLEN];

	if (r->ph == PH_CONNECT) {
		snprintf(err, sizeof(err), "cannot connect to %s: timed out after %u ms",
			 ep_format(&r->probe, e, sizeof(e)), r->s.timeout_ms);
		fail_conn(r, PROBE_ERR_CONNECT, err);
	} else {
		snprintf(err, sizeof(err), "%s: timed out after %u ms", r->what, r->s.timeout_ms);
		fail_conn(r, PROBE_ERR_CONNECTION_LOST, err);
	}
}

static void on_io(struct probe_run *r, uint32_t events)
{
	int ready = 0;

	if (r->ph == PH_IDLE) {
		unwatch(r);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		ready |= MYSQL_WAIT_READ;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		ready |= MYSQL_WAIT_WRITE;
	if (events & EPOLLPRI)
		ready |= MYSQL_WAIT_EXCEPT;
	ready &= r->wait;
	if (ready)
		advance(r, op_cont(r, ready));
}

static void run_free(struct probe_run *r)
{
	struct prober *p = r->p;

	conn_drop(r);
	heap_remove(r);
	loop.runs[r->idx] = loop.runs[--loop.nruns];
	loop.runs[r->idx]->idx = r->idx;
	free(r);
	pthread_mutex_lock(&p->mu);
	p->run = NULL;
	p->finished = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	/* p is prober_free()'s now */
}

/* Woken by another thread: new, stopped or changed probers. True: leave. */
static bool on_wake(void)
{
	struct probe_run *in, *r;
	uint64_t v, now = mono_ms(), window;
	size_t i, first_new = loop.nruns;
	uint32_t poll;
	bool quit;

	(void)!read(loop.evfd, &v, sizeof(v));
	pthread_mutex_lock(&loop.mu);
	in = loop.incoming;
	loop.incoming = NULL;
	quit = loop.quit;
	pthread_mutex_unlock(&loop.mu);
	while (in) {
		r = in;
		in = r->next_new;
		if (loop.nruns == loop.cap) {
			size_t cap = loop.cap ? loop.cap * 2 : 64;
			struct probe_run **runs = realloc(loop.runs, cap * sizeof(*runs));
			struct probe_run **heap = runs ? realloc(loop.heap, cap * sizeof(*heap)) : NULL;
			struct probe_run **starts = heap ? realloc(loop.starts, cap * sizeof(*starts)) :
						    NULL;

			if (runs)
				loop.runs = runs;
			if (heap)
				loop.heap = heap;
			if (starts)
				loop.starts = starts;
			if (!runs || !heap || !starts) {
				/* cannot happen often: try again at the next wake-up */
				log_err("out of memory");
				r->next_new = in;
				pthread_mutex_lock(&loop.mu);
				for (in = r; in->next_new; in = in->next_new)
					;
				in->next_new = loop.incoming;
				loop.incoming = r;
				pthread_mutex_unlock(&loop.mu);
				break;
			}
			loop.cap = cap;
		}
		r->idx = loop.nruns;
		loop.runs[loop.nruns++] = r;
	}
	/*
	 * The first probe at a random offset, and the next ones a poll interval
	 * apart from it: not all replicas at the same instant. The window grows
	 * with the replicas (SPREAD_MS each), so that a few are probed at once
	 * at the start, up to 3/4 of a poll interval, which leaves the first
	 * result time before the pusher gives up waiting for one (timeout +
	 * poll).
	 */
	for (i = first_new; i < loop.nruns; i++) {
		r = loop.runs[i];
		pthread_mutex_lock(&r->p->mu);
		poll = r->p->poll_ms;
		pthread_mutex_unlock(&r->p->mu);
		window = (uint64_t)loop.nruns * SPREAD_MS;
		if (window > poll * 3 / 4)
			window = poll * 3 / 4;
		heap_set(r, r->p->st.when_ms + rnd() % (window + 1));
	}
	for (i = 0; i < loop.nruns;) {
		struct prober *p;
		bool stop, again;

		r = loop.runs[i];
		p = r->p;
		pthread_mutex_lock(&p->mu);
		stop = p->stop || quit;
		again = p->reconnect;
		pthread_mutex_unlock(&p->mu);
		if (stop) {
			run_free(r);	/* runs[i] is another one now */
			continue;
		}
		if (again) {
			/* where or how it connects changed: at once, from scratch */
			conn_drop(r);
			heap_set(r, now);
		}
		i++;
	}
	return quit;
}

static void *loop_main(void *arg)
{
	struct epoll_event ev[64];
	size_t nstarts;

	(void)arg;
	mysql_thread_init();
	for (;;) {
		uint64_t now = mono_ms();
		int n, i, timeout = -1;
		bool woken = false;

		if (loop.nheap) {
			uint64_t due = loop.heap[0]->due;

			timeout = due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
		}
		n = epoll_wait(loop.epfd, ev, sizeof(ev) / sizeof(ev[0]), timeout);
		if (n < 0 && errno != EINTR) {
			log_err("probers: epoll_wait: %s", strerror(errno));
			n = 0;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr)
				on_io(ev[i].data.ptr, ev[i].events);
			else
				woken = true;
		}
		/* after the events: this frees stopped probers */
		if (woken && on_wake())
			break;
		/*
		 * Deadlines first, then the probes due: a loop that fell behind
		 * (a busy machine) lets new probes start late rather than let
		 * the ones in progress overrun their deadlines.
		 */
		now = mono_ms();
		nstarts = 0;
		while (loop.nheap && loop.heap[0]->due <= now) {
			struct probe_run *r = loop.heap[0];

			if (r->ph == PH_IDLE) {
				heap_remove(r);
				loop.starts[nstarts++] = r;
			} else {
				timed_out(r);
			}
		}
		for (i = 0; i < (int)nstarts; i++)
			probe_start(loop.starts[i]);
	}
	mysql_thread_end();
	return NULL;
}

static void wake(void)
{
	uint64_t one = 1;

	(void)!write(loop.evfd, &one, sizeof(one));
}

/*
 * The loop thread's stack: LOOP_STACK bytes between two LOOP_GAP bytes of
 * reserved, inaccessible address space. libmariadb runs each connection's
 * operations on a stack of its own (malloc()ed) and switches to it and back
 * by setting %rsp. Memcheck (valgrind) takes a move of the stack pointer by
 * more than 2 MB for such a switch and one by less for a stack frame,
 * marking everything in between as allocated or freed: a library stack
 * malloc()ed next to the thread's stack then made valgrind report
 * thousands of false errors. With the gaps, every switch is a far one.
 * (Debian's libmariadb is built without its own valgrind annotations.)
 */
#define LOOP_STACK (2u << 20)
#define LOOP_GAP (4u << 20)

static void *loop_stack;

static int loop_thread_create(void)
{
	size_t len = LOOP_GAP + LOOP_STACK + LOOP_GAP;
	pthread_attr_t a;
	char *base;
	int r;

	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return errno;
	if (mprotect(base + LOOP_GAP, LOOP_STACK, PROT_READ | PROT_WRITE) < 0) {
		r = errno;
		munmap(base, len);
		return r;
	}
	pthread_attr_init(&a);
	r = pthread_attr_setstack(&a, base + LOOP_GAP, LOOP_STACK);
	if (!r)
		r = pthread_create(&loop.thread, &a, loop_main, NULL);
	pthread_attr_destroy(&a);
	if (r)
		munmap(base, len);
	else
		loop_stack = base;
	return r;
}

/* Start the loop thread unless it runs: 0 or -1 (logged). Under loop.mu. */
static int loop_start(void)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };
	int r;

	if (loop.started)
		return 0;
	loop.epfd = epoll_create1(EPOLL_CLOEXEC);
	loop.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop.epfd < 0 || loop.evfd < 0 ||
	    epoll_ctl(loop.epfd, EPOLL_CTL_ADD, loop.evfd, &e) < 0) {
		log_err("probers: cannot set up their event loop: %s", strerror(errno));
		goto err;
	}
	loop.rnd = mono_us() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)&e;
	if (!loop.rnd)
		loop.rnd = 1;
	loop.quit = false;
	r = loop_thread_create();
	if (r) {
		log_err("probers: cannot start their thread: %s", strerror(r));
		goto err;
	}
	loop.started = true;
	return 0;
err:
	if (loop.epfd >= 0)
		close(loop.epfd);
	if (loop.evfd >= 0)
		close(loop.evfd);
	loop.epfd = loop.evfd = -1;
	return -1;
}

void prober_loop_end(void)
{
	pthread_mutex_lock(&loop.mu);
	if (!loop.started) {
		pthread_mutex_unlock(&loop.mu);
		return;
	}
	loop.quit = true;
	wake();
	pthread_mutex_unlock(&loop.mu);
	pthread_join(loop.thread, NULL);
	munmap(loop_stack, LOOP_GAP + LOOP_STACK + LOOP_GAP);
	loop_stack = NULL;
	close(loop.epfd);
	close(loop.evfd);
	loop.epfd = loop.evfd = -1;
	free(loop.runs);
	free(loop.heap);
	free(loop.starts);
	loop.runs = loop.heap = loop.starts = NULL;
	loop.nruns = loop.cap = loop.nheap = 0;
	pthread_mutex_lock(&loop.mu);
	loop.started = false;
	pthread_mutex_unlock(&loop.mu);
}

struct prober *prober_start(const struct endpoint *key, const struct endpoint *probe,
			    const struct settings *s, uint32_t poll_ms)
{
	struct prober *p = calloc(1, sizeof(*p));
	struct probe_run *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	char name[EP_STRLEN * 2 + 32];

	if (!p || !r) {
		log_err("%s: out of memory", prober_name(key, probe, name, sizeof(name)));
		free(p);
		free(r);
		return NULL;
	}
	p->key = *key;
	p->probe = *probe;
	p->shown = *probe;
	p->s = *s;
	p->poll_ms = poll_ms;
	p->st.when_ms = mono_ms();	/* its start, until a first result */
	p->run = r;
	r->p = p;
	r->hidx = HEAP_NONE;
	r->fd = -1;
	r->cnf_fd = -1;
	r->read_only = -1;
	r->logged_up = -1;
	r->poll = poll_ms;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&loop.mu);
	if (loop_start() < 0) {
		pthread_mutex_unlock(&loop.mu);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(r);
		free(p);
		return NULL;
	}
	p->metrics = metrics_add(key);
	r->next_new = loop.incoming;
	loop.incoming = r;
	wake();
	pthread_mutex_unlock(&loop.mu);
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
	pthread_mutex_unlock(&p->mu);
	if (changed == 2)
		wake();
	p->shown = *probe;
	return changed;
}

void prober_stop(struct prober *p)
{
	struct metrics_replica *m;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	m = p->metrics;
	p->metrics = NULL;
	pthread_mutex_unlock(&p->mu);
	/* the loop closes its connection at once, and reports no probe once stop is set */
	wake();
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
	pthread_mutex_lock(&p->mu);
	while (!p->finished)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
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
