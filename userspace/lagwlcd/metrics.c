// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics registry and lagwlcd's HTTP endpoint.
 *
 * Locking: one mutex (mu) guards the registry and the counters. A prober
 * calls metrics_probe() with its own mutex held and only while not asked to
 * stop, and prober_stop() forgets the entry after setting stop under that
 * mutex: no probe touches an entry after it is forgotten. The lock order
 * is prober, then registry; the registry's holder takes no other lock.
 *
 * The server thread copies the registry under mu, reads the kernel's state
 * of each replica on a netlink socket of its own (outside mu), renders and
 * sends. Each client has METRICS_CLIENT_MS to send its request (at most
 * METRICS_REQ_MAX bytes) and take the answer; at most METRICS_CLIENTS are
 * served at once: a new one takes the place of the client that has waited
 * longest without a complete request, so idle connections cannot lock a
 * scraper out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "log.h"
#include "metrics.h"
#include "nl.h"
#include "replica.h"
#include "timing.h"

#ifndef LAGWLC_VERSION
#define LAGWLC_VERSION "unknown"
#endif

#define METRICS_CLIENTS		8
#define METRICS_REQ_MAX		4096
#define METRICS_CLIENT_MS	5000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_replica **reg;	/* guarded by mu */
static size_t nreg, capreg;
static uint64_t pushes, push_failures;

struct metrics_replica *metrics_add(const struct endpoint *key)
{
	struct metrics_replica *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->key = *key;
	m->kstate = -1;
	pthread_mutex_lock(&mu);
	if (nreg == capreg) {
		size_t cap = capreg ? capreg * 2 : 16;
		struct metrics_replica **v = realloc(reg, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&mu);
			free(m);
			return NULL;
		}
		reg = v;
		capreg = cap;
	}
	reg[nreg++] = m;
	pthread_mutex_unlock(&mu);
	return m;
}

void metrics_forget(struct metrics_replica *m)
{
	size_t i;

	if (!m)
		return;
	pthread_mutex_lock(&mu);
	for (i = 0; i < nreg; i++)
		if (reg[i] == m) {
			memmove(&reg[i], &reg[i + 1], (nreg - i - 1) * sizeof(*reg));
			nreg--;
			break;
		}
	if (!nreg) {
		free(reg);
		reg = NULL;
		capreg = 0;
	}
	pthread_mutex_unlock(&mu);
	free(m);
}

void metrics_probe(struct metrics_replica *m, uint64_t usec, enum probe_error err)
{
	struct timespec now;

	if (!m)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&mu);
	metrics_observe(m, (double)usec / 1e6);
	if (err == PROBE_OK)
		m->last_success = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	else if (err < PROBE_NERRORS)
		m->errors[err]++;
	pthread_mutex_unlock(&mu);
}

void metrics_report(struct metrics_replica *m, bool up, bool has_lag, uint32_t lag_ms,
		    const char *reason)
{
	if (!m)
		return;
	pthread_mutex_lock(&mu);
	m->reported = true;
	m->up = up;
	m->has_lag = up && has_lag;
	m->lag_ms = lag_ms;
	snprintf(m->reason, sizeof(m->reason), "%s", up ? "" : reason ? reason : "");
	pthread_mutex_unlock(&mu);
}

void metrics_push(bool ok)
{
	pthread_mutex_lock(&mu);
	if (ok)
		pushes++;
	else
		push_failures++;
	pthread_mutex_unlock(&mu);
}

/* The registry, copied (sorted by address); NULL with *n 0 if empty or out of memory. */
static struct metrics_replica *snapshot(size_t *n, uint64_t *p, uint64_t *pf)
{
	struct metrics_replica *v = NULL;
	size_t i;

	pthread_mutex_lock(&mu);
	*n = 0;
	if (nreg)
		v = malloc(nreg * sizeof(*v));
	if (v) {
		for (i = 0; i < nreg; i++)
			v[i] = *reg[i];
		*n = nreg;
	}
	*p = pushes;
	*pf = push_failures;
	pthread_mutex_unlock(&mu);
	return v;
}

static int key_cmp(const void *a, const void *b)
{
	return ep_cmp(&((const struct metrics_replica *)a)->key,
		      &((const struct metrics_replica *)b)->key);
}

/* The kernel's replicas, for the state-set. */
struct kread {
	struct metrics_replica *v;	/* sorted */
	size_t n;
};

static int on_replica(struct nl_msg *msg, void *arg)
{
	struct kread *k = arg;
	struct metrics_replica key, *m;
	struct replica r;

	if (replica_parse(msg, &r) < 0 || !r.has_state)
		return 0;
	key.key = r.ep;
	m = bsearch(&key, k->v, k->n, sizeof(*k->v), key_cmp);
	if (m)
		m->kstate = r.state;
	return 0;
}

/*
 * Fill kstate from a dump of the kernel's table; left -1 where the kernel
 * has no entry or cannot be read (module absent, no CAP_NET_ADMIN).
 */
static void read_kernel(struct lnl *nl, bool *nl_open, struct kread *k)
{
	struct lnl_err err;
	int fam, tries, r;

	/* a lookup of a family not registered has the kernel run modprobe: not each scrape */
	if (access("/sys/module/ip_vs_lagwlc/initstate", F_OK))
		return;
	if (!*nl_open) {
		if (lnl_connect(nl))
			return;
		*nl_open = true;
	}
	fam = lnl_resolve(nl, LAGWLC_GENL_NAME);
	if (fam < 0)
		return;
	nl->family = fam;
	for (tries = 0; tries < LNL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = lnl_msg(nl->family, LAGWLC_CMD_REPLICA_GET,
					     LAGWLC_GENL_VERSION, NLM_F_DUMP, 0);
		size_t i;

		if (!msg)
			return;
		for (i = 0; i < k->n; i++)
			k->v[i].kstate = -1;
		r = lnl_transact(nl, msg, on_replica, k, &err);
		nlmsg_free(msg);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r) {
		size_t i;

		for (i = 0; i < k->n; i++)
			k->v[i].kstate = -1;
	}
}

/* The body of GET /metrics, or of GET /status; 0 or -1 (out of memory). */
static int render(struct lnl *nl, bool *nl_open, bool status, struct mbuf *b)
{
	struct metrics_snapshot s = { .version = LAGWLC_VERSION };
	struct kread k;
	int r;

	k.v = snapshot(&k.n, &s.pushes, &s.push_failures);
	if (k.n) {
		qsort(k.v, k.n, sizeof(*k.v), key_cmp);
		if (!status)
			read_kernel(nl, nl_open, &k);
	}
	s.r = k.v;
	s.n = k.n;
	r = status ? metrics_render_status(&s, b) : metrics_render(&s, b);
	free(k.v);
	return r;
}

/* The server */

struct client {
	int fd;				/* -1: free slot */
	char req[METRICS_REQ_MAX];
	size_t reqlen;
	struct mbuf out;		/* the whole answer, once the request is in */
	size_t sent;
	uint64_t deadline;
};

struct server {
	struct endpoint ep;
	int lfd;
	int wake[2];			/* metrics_stop() writes to wake[1] */
	pthread_t thread;
	struct client c[METRICS_CLIENTS];
	struct lnl nl;
	bool nl_open;
};

static struct server *srv;		/* the main thread's */

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	mbuf_free(&c->out);
}

static void answer(struct server *s, struct client *c, int code, const char *reason,
		   const char *type, const char *body, size_t len, bool head)
{
	mbuf_printf(&c->out,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
		    code, reason, type, len, code == 405 ? "Allow: GET, HEAD\r\n" : "");
	(void)s;
	if (!head && len && !c->out.oom) {
		/* the body, which may be megabytes: appended as is */
		if (c->out.cap - c->out.len < len + 1) {
			char *p = realloc(c->out.p, c->out.len + len + 1);

			if (!p) {
				c->out.oom = true;
				return;
			}
			c->out.p = p;
			c->out.cap = c->out.len + len + 1;
		}
		memcpy(c->out.p + c->out.len, body, len);
		c->out.len += len;
	}
}

static void plain(struct server *s, struct client *c, int code, const char *reason, bool head)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);

	answer(s, c, code, reason, "text/plain; charset=utf-8", body, (size_t)n, head);
}

/* The request is in (up to its blank line): prepare the answer. */
static void handle(struct server *s, struct client *c)
{
	char *sp1, *sp2, *eol, *q;
	bool head;

	c->req[c->reqlen] = '\0';
	eol = strpbrk(c->req, "\r\n");
	if (eol)
		*eol = '\0';
	sp1 = strchr(c->req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
		plain(s, c, 400, "Bad Request", false);
		return;
	}
	*sp1 = '\0';
	*sp2 = '\0';
	head = !strcmp(c->req, "HEAD");
	if (strcmp(c->req, "GET") && !head) {
		plain(s, c, 405, "Method Not Allowed", false);
		return;
	}
	q = strchr(sp1 + 1, '?');
	if (q)
		*q = '\0';
	if (strcmp(sp1 + 1, "/metrics") && strcmp(sp1 + 1, "/status")) {
		plain(s, c, 404, "Not Found", head);
		return;
	}
	{
		struct mbuf body = { 0 };

		if (render(&s->nl, &s->nl_open, !strcmp(sp1 + 1, "/status"), &body) < 0) {
			mbuf_free(&body);
			plain(s, c, 500, "Internal Server Error", head);
			return;
		}
		answer(s, c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body.p,
		       body.len, head);
		mbuf_free(&body);
	}
}

/* The end of the request's header block, or NULL. */
static const char *header_end(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n')
			return p + i;
		if (i + 3 < len && !memcmp(p + i, "\r\n\r\n", 4))
			return p + i;
	}
	return NULL;
}

static void client_read(struct server *s, struct client *c)
{
	ssize_t n = recv(c->fd, c->req + c->reqlen, sizeof(c->req) - 1 - c->reqlen, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->reqlen += (size_t)n;
	if (header_end(c->req, c->reqlen))
		handle(s, c);
	else if (c->reqlen == sizeof(c->req) - 1)
		plain(s, c, 431, "Request Header Fields Too Large", false);
	if (c->out.oom)
		client_close(c);
}

static void client_write(struct client *c)
{
	ssize_t n = send(c->fd, c->out.p + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_close(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == c->out.len) {
		shutdown(c->fd, SHUT_WR);
		client_close(c);
	}
}

/*
 * A free slot; when all are taken, the one of the client that has waited
 * longest without completing its request, dropped (idle connections must
 * not lock a scraper out); NULL if every client is being answered.
 */
static struct client *slot(struct server *s)
{
	struct client *old = NULL;
	size_t i;

	for (i = 0; i < METRICS_CLIENTS; i++) {
		struct client *c = &s->c[i];

		if (c->fd < 0)
			return c;
		if (!c->out.len && (!old || c->deadline < old->deadline))
			old = c;
	}
	if (old)
		client_close(old);
	return old;
}

static void accept_all(struct server *s)
{
	for (;;) {
		struct client *c;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("metrics: accept: %s", strerror(errno));
			return;
		}
		c = slot(s);
		if (!c) {
			close(fd);	/* every slot is sending an answer */
			return;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline = mono_ms() + METRICS_CLIENT_MS;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct pollfd pfd[2 + METRICS_CLIENTS];
		struct client *who[2 + METRICS_CLIENTS];
		uint64_t now = mono_ms(), first = now + 60000;
		size_t i, n = 0, busy = 0, answering = 0;
		int r;

		for (i = 0; i < METRICS_CLIENTS; i++) {
			struct client *c = &s->c[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				client_close(c);	/* too slow */
				continue;
			}
			if (c->deadline < first)
				first = c->deadline;
			pfd[n].fd = c->fd;
			pfd[n].events = c->out.len ? POLLOUT : POLLIN;
			who[n++] = c;
			busy++;
			if (c->out.len)
				answering++;
		}
		pfd[n].fd = s->wake[0];
		pfd[n].events = POLLIN;
		who[n++] = NULL;
		if (answering < METRICS_CLIENTS) {
			pfd[n].fd = s->lfd;
			pfd[n].events = POLLIN;
			who[n++] = NULL;
		}
		r = poll(pfd, n, (int)(first - now));
		if (r < 0 && errno != EINTR) {
			log_err("metrics: poll: %s", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (pfd[busy].revents)
			break;		/* metrics_stop() */
		for (i = 0; i < busy; i++) {
			if (!pfd[i].revents)
				continue;
			if (who[i]->out.len)
				client_write(who[i]);
			else
				client_read(s, who[i]);
		}
		if (answering < METRICS_CLIENTS && pfd[busy + 1].revents)
			accept_all(s);
	}
	return NULL;
}

static int listen_on(const struct endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char e[EP_STRLEN];
	int fd, one = 1;

	sl = ep_sockaddr(ep, &ss);
	fd = socket(ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0)
		goto err_close;
	return fd;

err_close:
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
err:
	log_err("metrics_listen %s: %s", ep_format(ep, e, sizeof(e)), strerror(errno));
	return -1;
}

void metrics_stop(void)
{
	struct server *s = srv;
	char e[EP_STRLEN];
	size_t i;

	if (!s)
		return;
	srv = NULL;
	if (write(s->wake[1], "x", 1) < 0)
		log_err("metrics: cannot wake the server thread: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (s->c[i].fd >= 0)
			client_close(&s->c[i]);
	if (s->nl_open)
		lnl_close(&s->nl);
	close(s->lfd);
	close(s->wake[0]);
	close(s->wake[1]);
	log_notice("metrics: no longer serving on %s", ep_format(&s->ep, e, sizeof(e)));
	free(s);
}

int metrics_configure(const struct config *cfg)
{
	struct server *s;
	char e[EP_STRLEN];
	size_t i;
	int r;

	if (srv && cfg->metrics_on && ep_equal(&srv->ep, &cfg->metrics_ep))
		return 0;
	metrics_stop();
	if (!cfg->metrics_on)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s) {
		log_err("metrics: out of memory");
		return -1;
	}
	s->ep = cfg->metrics_ep;
	for (i = 0; i < METRICS_CLIENTS; i++)
		s->c[i].fd = -1;
	s->lfd = listen_on(&s->ep);
	if (s->lfd < 0) {
		free(s);
		return -1;
	}
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		log_err("metrics: pipe: %s", strerror(errno));
		close(s->lfd);
		free(s);
		return -1;
	}
	r = pthread_create(&s->thread, NULL, serve, s);
	if (r) {
		log_err("metrics: cannot start its thread: %s", strerror(r));
		close(s->lfd);
		close(s->wake[0]);
		close(s->wake[1]);
		free(s);
		return -1;
	}
	srv = s;
	log_notice("metrics: serving http://%s/metrics", ep_format(&s->ep, e, sizeof(e)));
	return 0;
}
