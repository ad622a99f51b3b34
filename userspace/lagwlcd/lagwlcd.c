// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcd: measure each database replica's replication lag and health and
 * report them, every poll interval, to the lagwlc IPVS scheduler.
 *
 * The main thread reads the configuration, discovers replicas in IPVS,
 * adopts services, and every poll pushes the latest state of every replica
 * in one LAGWLC_CMD_REPLICA_SET; one prober per replica measures, all of
 * them driven by one event loop thread (probe.c). Signals are blocked in
 * every thread and taken synchronously by the main loop: SIGHUP reloads,
 * SIGTERM and SIGINT end it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mysql.h>

#include "adopt.h"
#include "svcpush.h"
#include "config.h"
#include "discover.h"
#include "ipvs.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"
#include "push.h"
#include "sdnotify.h"
#include "sdstatus.h"
#include "hbwriter.h"
#include "timing.h"

#ifndef LAGWLC_VERSION
#define LAGWLC_VERSION "unknown"
#endif

/* IPVS is read again this often (at least every 4 polls). */
#define RESCAN_MIN_MS 1000
/* A dry run prints each replica's state this often. */
#define DRY_PRINT_MS 1000

/*
 * A prober with a new result wakes the main thread with SIG_NEWS, which
 * reports at once instead of at its next tick: a replica crossing max_lag_ms
 * is then excluded one probe after the crossing, not up to a poll later.
 * Such early reports are at least poll/NEWS_DIV apart (and 5 ms), so that
 * many replicas cost a few messages per poll, not one each.
 */
/*
 * A realtime signal, not SIGUSR1: operators send SIGUSR1 to daemons of this
 * kind expecting a state dump (keepalived), and must not wake or confuse
 * the prober's machinery. Coalesced by the news flag: at most one pending.
 */
#define SIG_NEWS (SIGRTMIN + 1)
#define NEWS_DIV 4
#define NEWS_GAP_MIN_MS 5

static pthread_t main_thread;
static atomic_bool news;

static void prober_news(void)
{
	if (!atomic_exchange(&news, true))
		pthread_kill(main_thread, SIG_NEWS);
}

struct lagwlcd {
	struct config cfg;
	bool dry_run;
	struct pusher ps;
	struct prober *probers;		/* probing */
	struct prober *dying;		/* stopped, not yet joined */
	struct ipvs_table ipvs;		/* the last good read */
	enum ipvs_status ipvs_status;	/* of the last read, for the log */
	bool ipvs_logged;
	enum { REUSE_QUIET, REUSE_UNREADABLE, REUSE_LEFT, REUSE_FAILED } reuse_logged;
	int reuse_mode;			/* the value REUSE_LEFT/FAILED was logged for */
	struct adopt_memo memo;
	struct svcpush svp;		/* [service] sections kept in the module */
	uint64_t next_rescan;
	struct sdstatus sds;		/* READY and STATUS for systemd */
};

static void nl_log(bool warning, const char *line)
{
	log_msg(warning ? LOG_WARNING : LOG_ERR, "%s", line);
}

static struct prober *find_prober(struct lagwlcd *d, const struct endpoint *key)
{
	struct prober *p;

	for (p = d->probers; p; p = p->next)
		if (ep_equal(&p->key, key))
			return p;
	return NULL;
}

/*
 * In LVS-DR/TUN the director never sees a connection past FIN_WAIT, where
 * it stays for the tcpfin timeout (2 minutes) after it closed; unless bit 2
 * of conn_reuse_mode is set, a client reusing its port within that time
 * goes to the old real server unscheduled, excluded or not. So, each rescan
 * while a lagwlc service of this namespace forwards by DR or TUN, set that
 * bit (the others kept) unless the configuration says conn_reuse_mode =
 * keep. Checking each rescan catches ip_vs reloaded (the sysctl back to the
 * kernel's default 1) and an administrator's sysctl -w. Each change is
 * logged once: a set bit, a failed write, a clear bit left alone.
 */
static void conn_reuse(struct lagwlcd *d)
{
	const struct ipvs_dest *dest = NULL;
	char e[EP_STRLEN];
	int mode, want, r;
	size_t i;

	for (i = 0; i < d->ipvs.nsvcs && !dest; i++)
		dest = ipvs_oneway_dest(&d->ipvs.svcs[i]);
	if (!dest) {
		d->reuse_logged = REUSE_QUIET;
		return;
	}
	mode = ipvs_reuse_read();
	if (mode < 0) {
		if (d->reuse_logged != REUSE_UNREADABLE)
			log_warn("%s: cannot read: %s: cannot tell whether a client reusing a port bypasses lagwlc",
				 IPVS_REUSE_PATH, strerror(-mode));
		d->reuse_logged = REUSE_UNREADABLE;
		return;
	}
	if (mode & IPVS_REUSE_ONEWAY) {
		d->reuse_logged = REUSE_QUIET;
		return;
	}
	want = mode | IPVS_REUSE_ONEWAY;
	ep_format(&dest->ep, e, sizeof(e));
	if (d->cfg.conn_reuse_keep || d->dry_run) {
		if (d->reuse_logged != REUSE_LEFT || d->reuse_mode != mode)
			log_warn("%s is %d and real server %s is reached by %s: a client reusing a port within the tcpfin timeout bypasses the scheduler and may reach a lagging replica; %s",
				 IPVS_REUSE_PATH, mode, e, ipvs_fwd_name(dest->fwd, false),
				 d->dry_run ? "dry run: not setting bit 2" :
				 "left so (conn_reuse_mode = keep): set it to 3 by hand");
		d->reuse_logged = REUSE_LEFT;
		d->reuse_mode = mode;
		return;
	}
	r = ipvs_reuse_write(want);
	if (r < 0) {
		if (d->reuse_logged != REUSE_FAILED || d->reuse_mode != mode)
			log_err("%s is %d and real server %s is reached by %s: cannot set it to %d: %s: a client reusing a port within the tcpfin timeout bypasses the scheduler",
				IPVS_REUSE_PATH, mode, e, ipvs_fwd_name(dest->fwd, false), want,
				strerror(-r));
		d->reuse_logged = REUSE_FAILED;
		d->reuse_mode = mode;
		return;
	}
	log_notice("%s was %d: set to %d, since real server %s is reached by %s: a client reusing a port within the tcpfin timeout is now scheduled again (conn_reuse_mode = keep in %s to leave it alone)",
		   IPVS_REUSE_PATH, mode, want, e, ipvs_fwd_name(dest->fwd, false), d->cfg.file);
	d->reuse_logged = REUSE_QUIET;
}

/*
 * Read IPVS, for discovery, adoption and conn_reuse_mode (which also needs
 * it with discover = no and no adopt, or with keep, to warn); keeps the
 * last good table on failure.
 */
static void read_ipvs(struct lagwlcd *d)
{
	struct ipvs_table t;
	enum ipvs_status st;

	st = ipvs_read(&d->ps.nl, LAGWLC_SCHED, &t);
	if (st != d->ipvs_status || !d->ipvs_logged) {
		if (st == IPVS_ABSENT)
			log_warn("IPVS is not loaded (no \"IPVS\" netlink family)%s",
				 d->cfg.discover ? ": no replica discovered" : "");
		else if (st == IPVS_DENIED)
			log_err("reading IPVS needs CAP_NET_ADMIN: discovery, adopt and the conn_reuse_mode check are stuck");
		else if (st == IPVS_READ && d->ipvs_logged)
			log_info("IPVS read again");
		d->ipvs_status = st;
		d->ipvs_logged = true;
	}
	if (st == IPVS_READ) {
		ipvs_free(&d->ipvs);
		d->ipvs = t;
	} else if (st == IPVS_ABSENT) {
		ipvs_free(&d->ipvs);	/* no IPVS, no service */
	}
}

/* Stop probing p and forget its kernel entry. */
static void retire(struct lagwlcd *d, struct prober *p)
{
	char name[EP_STRLEN * 2 + 32];

	log_notice("%s: no longer configured or in a lagwlc service: stopped probing it",
		   prober_name(&p->key, &p->shown, name, sizeof(name)));
	prober_stop(p);
	if (p->pushed && !d->dry_run)
		pusher_del(&d->ps, &p->key);
	p->next = d->dying;
	d->dying = p;
}

/*
 * Between rescans, adopted services are looked at every poll: a keepalived
 * reload that resets the scheduler to wlc is undone within one poll, not
 * one rescan. A switch means new real servers may be in a lagwlc service
 * now: rescan at once.
 */
static void adopt_poll(struct lagwlcd *d)
{
	read_ipvs(d);
	if (d->ipvs_status == IPVS_READ &&
	    adopt_run(&d->ps.nl, &d->cfg, &d->ipvs, &d->memo, d->dry_run) > 0)
		d->next_rescan = 0;
}

/* The probers for the replicas of the configuration and of IPVS. */
static void rescan(struct lagwlcd *d)
{
	struct targets ts;
	struct prober *p, **pp;
	size_t i;

	if (!d->dry_run) {
		pusher_resolve(&d->ps);
		/* [service] settings: at start, after a reload, after the module came back */
		svcpush_sync(&d->svp, &d->ps.nl, &d->cfg);
	}
	read_ipvs(d);
	if (d->cfg.nadopts && d->ipvs_status == IPVS_READ &&
	    adopt_run(&d->ps.nl, &d->cfg, &d->ipvs, &d->memo, d->dry_run) > 0)
		read_ipvs(d);	/* the adopted services' real servers */
	if (d->ipvs_status == IPVS_READ)
		conn_reuse(d);
	if (targets_build(&d->cfg, d->ipvs.nsvcs ? &d->ipvs : NULL, &ts) < 0) {
		log_err("out of memory");
		return;
	}
	for (p = d->probers; p; p = p->next)
		p->wanted = false;
	for (i = 0; i < ts.n; i++) {
		const struct target *t = &ts.v[i];
		char name[EP_STRLEN * 2 + 32];

		p = find_prober(d, &t->key);
		if (p) {
			int changed = prober_update(p, &t->probe, &t->s, d->cfg.poll_ms);

			if (changed)
				log_info("%s: new settings (lag source %s, timeout %u ms)%s",
					 prober_name(&t->key, &t->probe, name, sizeof(name)),
					 lag_source_name(lag_source_effective(&t->s)), t->s.timeout_ms,
					 changed == 2 ? ": reconnecting" : "");
			if (strcmp(p->origin, t->origin)) {
				log_info("%s: now %s", prober_name(&t->key, &t->probe, name, sizeof(name)),
					 t->origin);
				snprintf(p->origin, sizeof(p->origin), "%s", t->origin);
			}
			p->wanted = true;
			continue;
		}
		p = prober_start(&t->key, &t->probe, &t->s, d->cfg.poll_ms);
		if (!p)
			continue;
		snprintf(p->origin, sizeof(p->origin), "%s", t->origin);
		p->wanted = true;
		p->next = d->probers;
		d->probers = p;
		log_notice("%s: probing (%s, lag source %s, timeout %u ms)",
			   prober_name(&t->key, &t->probe, name, sizeof(name)), t->origin,
			   lag_source_name(lag_source_effective(&t->s)), t->s.timeout_ms);
	}
	targets_free(&ts);
	for (pp = &d->probers; *pp;) {
		p = *pp;
		if (p->wanted) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		retire(d, p);
	}
}

/* Join the probers that have stopped. */
static void reap(struct lagwlcd *d, bool all)
{
	struct prober *p, **pp;

	for (pp = &d->dying; *pp;) {
		p = *pp;
		if (all || prober_finished(p)) {
			*pp = p->next;
			prober_free(p);
		} else {
			pp = &p->next;
		}
	}
}

/* Every replica's latest state to the kernel (or the log, dry run). */
static void push(struct lagwlcd *d)
{
	struct push_item *items;
	struct prober *p;
	uint64_t now = mono_ms();
	size_t n = 0, count = 0;
	int sent = 0;

	for (p = d->probers; p; p = p->next)
		count++;
	if (!count) {
		sdstatus_push(&d->sds, &d->ps, NULL, 0, 0, 0, d->dry_run);
		return;
	}
	items = calloc(count, sizeof(*items));
	if (!items) {
		log_err("out of memory");
		return;
	}
	for (p = d->probers; p; p = p->next) {
		struct probe_state st;
		struct push_item *it = &items[n];
		char name[EP_STRLEN * 2 + 32];
		uint64_t limit, age;

		prober_get(p, &st);
		pthread_mutex_lock(&p->mu);
		limit = (uint64_t)p->s.timeout_ms + d->cfg.poll_ms;
		pthread_mutex_unlock(&p->mu);
		age = now > st.when_ms ? now - st.when_ms : 0;
		if (!st.valid && age <= limit)
			continue;	/* just started: no word yet */
		it->key = p->key;
		if (age > limit) {
			/* a hung server, or a probe stuck somewhere: its last word is too old */
			if (!p->stale)
				log_warn("%s: down: no probe result for %llu ms (timeout %u ms + poll %u ms)",
					 prober_name(&p->key, &p->shown, name, sizeof(name)),
					 (unsigned long long)age,
					 (unsigned int)(limit - d->cfg.poll_ms), d->cfg.poll_ms);
			p->stale = true;
			it->up = false;
		} else {
			if (p->stale)
				log_notice("%s: probe results again (%s)",
					   prober_name(&p->key, &p->shown, name, sizeof(name)),
					   st.up ? "up" : "down");
			p->stale = false;
			it->up = st.up;
			it->has_lag = st.up && st.has_lag;
			it->lag_ms = st.lag_ms;
			if (it->up && !it->has_lag)
				it->up = false;	/* never report up without a lag */
		}
		metrics_report(p->metrics, it->up, it->has_lag, it->lag_ms,
			       p->stale ? "no fresh probe result" :
			       st.up && !it->up ? "up, but its lag is unknown" : st.reason);
		n++;
		if (d->dry_run && now - p->printed_ms + d->cfg.poll_ms / 2 >= DRY_PRINT_MS) {
			p->printed_ms = now;
			/* formatted only to be logged: at 1000 replicas a push does not pay for it */
			prober_name(&p->key, &p->shown, name, sizeof(name));
			if (it->up)
				log_info("dry run: %s: up, lag %u ms (%s)", name, it->lag_ms,
					 st.source == LAG_SOURCE_AUTO ? "primary" : lag_source_name(st.source));
			else
				log_info("dry run: %s: down (%s)", name,
					 p->stale ? "no fresh probe result" : st.reason);
		}
	}
	if (!d->dry_run && n) {
		sent = pusher_send(&d->ps, items, n);
		metrics_push(sent == 0);
		for (p = d->probers; !sent && p; p = p->next)
			p->pushed = true;
	}
	sdstatus_push(&d->sds, &d->ps, items, n, count, sent, d->dry_run);
	free(items);
}

static size_t count_probers(const struct lagwlcd *d)
{
	const struct prober *p;
	size_t n = 0;

	for (p = d->probers; p; p = p->next)
		n++;
	return n;
}

/* SIGHUP: a new configuration (0), or the old one kept (-1). */
static int reload(struct lagwlcd *d, const char *file)
{
	char err[CONFIG_ERR_MAX];
	struct config nc;
	struct adopt_memo nm;

	log_notice("SIGHUP: reloading %s", file);
	if (config_load(file, &nc, err, sizeof(err)) < 0 ||
	    config_check_files(&nc, err, sizeof(err)) < 0) {
		log_err("%s", err);
		log_err("reload refused: keeping the configuration in force");
		config_free(&nc);
		return -1;
	}
	if (adopt_memo_init(&nm, &nc) < 0) {
		log_err("reload: out of memory: keeping the configuration in force");
		config_free(&nc);
		return -1;
	}
	if (!d->dry_run)
		svcpush_forget(&d->svp, &d->ps.nl, &d->cfg, &nc);
	config_free(&d->cfg);
	d->cfg = nc;
	adopt_memo_free(&d->memo);
	d->memo = nm;
	metrics_configure(&d->cfg);	/* a failure is logged; probing goes on */
	rescan(d);
	d->next_rescan = mono_ms() + (d->cfg.poll_ms * 4 > RESCAN_MIN_MS ? d->cfg.poll_ms * 4 :
				     RESCAN_MIN_MS);
	log_notice("configuration reloaded: poll %u ms, %zu replica(s) probed", d->cfg.poll_ms,
		   count_probers(d));
	return 0;
}

static int run(struct lagwlcd *d, const char *file, const sigset_t *sigs)
{
	uint64_t next, last_push, wd;
	int sig, r;

	if (pusher_open(&d->ps) < 0)
		return 1;
	if (adopt_memo_init(&d->memo, &d->cfg) < 0) {
		log_err("out of memory");
		pusher_close(&d->ps);
		return 1;
	}
	if (metrics_configure(&d->cfg) < 0) {
		adopt_memo_free(&d->memo);
		pusher_close(&d->ps);
		return 1;
	}
	log_notice("lagwlcd %s: poll %u ms, discover %s, %zu [replica] section(s), %zu adopt%s",
		   LAGWLC_VERSION, d->cfg.poll_ms, d->cfg.discover ? "yes" : "no",
		   d->cfg.nreplicas, d->cfg.nadopts, d->dry_run ? ", dry run: nothing pushed" : "");
	main_thread = pthread_self();
	sdn_init();
	if (!d->dry_run)
		prober_set_notify(prober_news);
	next = mono_ms();
	last_push = 0;
	for (;;) {
		uint64_t now = mono_ms(), gap, until;

		/* the main loop's own keep-alive: a stuck loop stops it */
		wd = sdn_watchdog_kick(now);

		gap = d->cfg.poll_ms / NEWS_DIV > NEWS_GAP_MIN_MS ? d->cfg.poll_ms / NEWS_DIV :
			NEWS_GAP_MIN_MS;
		if (now < next) {
			/* woken early: news from a prober, reported if not too soon */
			if (atomic_load(&news) && now >= last_push + gap) {
				atomic_store(&news, false);
				push(d);
				last_push = now;
			}
			until = atomic_load(&news) && last_push + gap < next ? last_push + gap : next;
			if (until > wd)
				until = wd;
			sig = signal_wait_until(sigs, until);
			if (sig == SIG_NEWS || !sig)
				continue;
			if (sig == SIGUSR1 || sig == SIGUSR2) {
				log_notice("%s: lagwlcd dumps no state; lagwlcctl show has each replica's",
					   strsignal(sig));
				continue;
			}
			if (sig == SIGHUP) {
				sdstatus_reloading(&d->sds);
				r = reload(d, file);
				sdstatus_reloaded(&d->sds, r < 0);
				next = mono_ms();
				continue;
			}
			log_notice("%s: exiting", strsignal(sig));
			sdn_send("STOPPING=1\nSTATUS=exiting on %s", strsignal(sig));
			break;
		}
		if (now >= d->next_rescan) {
			rescan(d);
			d->next_rescan = now + (d->cfg.poll_ms * 4 > RESCAN_MIN_MS ?
						d->cfg.poll_ms * 4 : RESCAN_MIN_MS);
		} else if (d->cfg.nadopts) {
			adopt_poll(d);
		}
		atomic_store(&news, false);
		push(d);
		last_push = now;
		reap(d, false);
		next += d->cfg.poll_ms;
		if (next < mono_ms())
			next = mono_ms() + d->cfg.poll_ms;	/* late: skip, don't burst */
	}
	while (d->probers) {
		struct prober *p = d->probers;

		d->probers = p->next;
		prober_stop(p);
		p->next = d->dying;
		d->dying = p;
	}
	reap(d, true);
	prober_loop_end();
	metrics_stop();
	/* closing the socket makes the module mark our replicas stale at once */
	pusher_close(&d->ps);
	ipvs_free(&d->ipvs);
	adopt_memo_free(&d->memo);
	sdstatus_free(&d->sds);
	sdn_close();
	return 0;
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		fprintf(stderr, "lagwlcd: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (chdir("/") < 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lagwlcd [-D] [-n] [-s] [-v] [-c FILE]\n"
		"       lagwlcd -t [-c FILE]\n"
		"       lagwlcd --heartbeat-writer ADDR:PORT [--create-table] [--ignore-read-only] [-n] [-D] [-c FILE]\n"
		"\n"
		"Measure each database replica's replication lag and health and report them\n"
		"to the lagwlc IPVS scheduler every poll interval.\n"
		"\n"
		"  -c, -f, --config FILE  configuration file (" CONFIG_DEFAULT_FILE ")\n"
		"  -D, --foreground     stay in the foreground, log to stderr\n"
		"  -n, --dry-run        probe and log the measurements, push nothing, adopt nothing;\n"
		"                       with --heartbeat-writer: connect and check, write nothing\n"
		"  -s, --syslog         log to syslog even in the foreground\n"
		"  -t, --test           check the configuration and exit\n"
		"  -v, --verbose        log debug lines too\n"
		"      --heartbeat-writer ADDR:PORT\n"
		"                       write the heartbeat row on the primary at ADDR:PORT instead\n"
		"      --create-table   with --heartbeat-writer: create the heartbeat table if missing\n"
		"      --ignore-read-only\n"
		"                       with --heartbeat-writer: write even if the server is read_only\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n");
}

/* One line for a bad command line, then where the help is (as iproute2). */
static int usage_error(const char *fmt, const char *arg)
{
	fputs("lagwlcd: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'lagwlcd --help' for more information.\n", stderr);
	return 2;
}

/*
 * -f was "foreground"; keepalived, haproxy and sshd take -f for the
 * configuration file. "-f FILE" is now the file; a -f followed by an
 * option or by nothing keeps its old meaning, with a warning, so that
 * existing units and scripts ("lagwlcd -f -c FILE") still work.
 */
static void deprecated_f(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (strcmp(argv[i], "-f"))
			continue;
		if (i + 1 < argc && argv[i + 1][0] != '-') {
			argv[i] = "-c";
			i++;
		} else {
			fprintf(stderr, "lagwlcd: warning: -f for the foreground is deprecated: use -D (-f FILE is the configuration file)\n");
			argv[i] = "-D";
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'D' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "syslog", no_argument, NULL, 's' },
		{ "test", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "heartbeat-writer", required_argument, NULL, 'W' },
		{ "create-table", no_argument, NULL, 'C' },
		{ "ignore-read-only", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = CONFIG_DEFAULT_FILE, *writer = NULL;
	bool foreground = false, test = false, syslog_on = false;
	struct hbwriter_opts hbw = { .create = false };
	struct lagwlcd d = { .ipvs_status = IPVS_READ };
	struct endpoint writer_ep;
	char err[CONFIG_ERR_MAX];
	sigset_t sigs;
	int c, status;

	deprecated_f(argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:DfnstvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			file = optarg;
			break;
		case 'f':	/* in a group ("-fn"): deprecated_f() left it */
			fprintf(stderr, "lagwlcd: warning: -f for the foreground is deprecated: use -D (-f FILE is the configuration file)\n");
			/* fall through */
		case 'D':
			foreground = true;
			break;
		case 'n':
			d.dry_run = true;
			break;
		case 's':
			syslog_on = true;
			break;
		case 't':
			test = true;
			break;
		case 'v':
			log_set_verbose(true);
			break;
		case 'W':
			writer = optarg;
			break;
		case 'C':
			hbw.create = true;
			break;
		case 'R':
			hbw.ignore_read_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("lagwlcd %s\n", LAGWLC_VERSION);
			return 0;
		case ':':
			return usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option -%s", (char[2]){ (char)optopt, 0 });
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((hbw.create || hbw.ignore_read_only) && !writer)
		return usage_error("%s goes with --heartbeat-writer",
				   hbw.create ? "--create-table" : "--ignore-read-only");
	if (writer && ep_parse(writer, &writer_ep, err, sizeof(err)) < 0)
		return usage_error("--heartbeat-writer: %s", err);

	if (config_load(file, &d.cfg, err, sizeof(err)) < 0 ||
	    config_check_files(&d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(&d.cfg);
		return 1;
	}
	if (test) {
		printf("%s: configuration OK: poll %u ms, timeout %u ms, discover %s, %zu [replica] section(s), %zu adopt, conn_reuse_mode %s\n",
		       file, d.cfg.poll_ms, d.cfg.global.timeout_ms, d.cfg.discover ? "yes" : "no",
		       d.cfg.nreplicas, d.cfg.nadopts, d.cfg.conn_reuse_keep ? "keep" : "auto");
		config_free(&d.cfg);
		return 0;
	}

	if (!foreground) {
		if (daemonize() < 0) {
			config_free(&d.cfg);
			return 1;
		}
		syslog_on = true;
	}
	log_to_syslog(syslog_on);
	lnl_log_hook = nl_log;

	/* blocked here, before any thread: every thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIG_NEWS);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mysql_library_init(0, NULL, NULL)) {
		log_err("cannot initialise the MySQL client library");
		config_free(&d.cfg);
		return 1;
	}
	hbw.dry_run = d.dry_run;
	if (writer)
		status = hbwriter_run(&d.cfg, &writer_ep, &hbw, &sigs);
	else
		status = run(&d, file, &sigs);
	config_free(&d.cfg);
	mysql_library_end();
	log_to_syslog(false);
	return status;
}
