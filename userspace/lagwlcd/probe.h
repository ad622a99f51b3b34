/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One prober per replica: a persistent connection that measures the
 * replica's lag and health every poll interval and publishes the result,
 * reconnecting with jittered backoff. Every prober is driven by one event
 * loop thread (probe.c) through libmariadb's non-blocking API, so the
 * thread count does not grow with the replicas, a server that does not
 * answer within the timeout is given up on to the millisecond and a
 * stopped prober is cancelled at once. The pusher reads the latest result whenever it wants, so a hung
 * replica delays nobody else.
 */
#ifndef LAGWLCD_PROBE_H
#define LAGWLCD_PROBE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "lagsource.h"
#include "metrics.h"

/* The latest measurement of a replica. */
struct probe_state {
	bool valid;			/* a probe has finished */
	bool up;
	bool has_lag;
	uint32_t lag_ms;
	uint64_t when_ms;		/* mono_ms() when the probe began (up) or ended (down) */
	uint32_t took_ms;		/* how long the probe took, connecting included */
	enum lag_source source;		/* the source the lag came from */
	char reason[VERDICT_REASON_MAX];	/* why down */
};

struct prober {
	struct endpoint key;		/* the real server: what is pushed */
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* finished became true */
	struct probe_run *run;		/* the loop thread's own (probe.c) */

	/* guarded by mu */
	struct endpoint probe;		/* where to connect */
	struct settings s;
	uint32_t poll_ms;
	bool stop;			/* leave */
	bool reconnect;			/* drop the connection: settings changed */
	bool finished;			/* the loop has let go of it */
	struct probe_state st;
	struct metrics_replica *metrics;	/* its figures (metrics.h), NULL once stopped */

	/* the main thread's own */
	struct endpoint shown;		/* probe, as last set: for the main thread's logs */
	bool wanted;			/* still configured or discovered (rescan) */
	bool pushed;			/* reported to the kernel at least once */
	bool stale;			/* reported down for want of a fresh result */
	uint64_t printed_ms;		/* dry run: last printed */
	char origin[96];		/* "[replica] at line 9", "discovered in TCP ..." */
	struct prober *next;
};

/* "replica 10.0.0.21:3306" or "replica 10.0.0.21:3306 (probe 10.0.0.121:3306)". */
const char *prober_name(const struct endpoint *key, const struct endpoint *probe,
			char *buf, size_t len);

/*
 * fn is called (from the loop thread, without locks held) after every
 * probe result, so that the caller can report it at once rather than at
 * its next tick. Set it before the first prober_start().
 */
void prober_set_notify(void (*fn)(void));

/* Start probing key at probe with settings s; NULL (logged) on failure. */
struct prober *prober_start(const struct endpoint *key, const struct endpoint *probe,
			    const struct settings *s, uint32_t poll_ms);

/*
 * New settings for a running prober. It reconnects if where or how it
 * connects changed (probe address, option file or group, timeout); lag
 * settings apply from its next probe. Its last result is kept. Returns 0
 * if nothing changed, 1 if the settings did, 2 if it reconnects.
 */
int prober_update(struct prober *p, const struct endpoint *probe, const struct settings *s,
		  uint32_t poll_ms);

/*
 * Stop probing: the loop closes the connection at once, a connect or query
 * in progress included (no waiting for its timeout). Returns at once.
 */
void prober_stop(struct prober *p);

/* The loop has closed p's connection and let go of it (after prober_stop). */
bool prober_finished(struct prober *p);

/* Wait until prober_finished(p), then free p. */
void prober_free(struct prober *p);

/* End the loop thread (after every prober is freed): at exit. */
void prober_loop_end(void);

/* A copy of the latest result. */
void prober_get(struct prober *p, struct probe_state *st);

#endif
