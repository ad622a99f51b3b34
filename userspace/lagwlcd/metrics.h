/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lagwlcd's Prometheus endpoint (metrics_listen in lagwlcd.conf): a registry
 * of every probed replica's figures, fed by the probers and the main loop
 * under one mutex, and a thread of its own that serves GET /metrics (and
 * GET /status, lagwlcd's own view for lagwlcctl why) over
 * HTTP/1.x on a non-blocking socket, one request per connection. The main
 * loop waits in sigtimedwait() and takes no file descriptor, and a slow
 * client must delay neither probes nor pushes: hence the thread.
 */
#ifndef LAGWLCD_METRICS_H
#define LAGWLCD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "metrics_fmt.h"

/*
 * A replica's entry, from its prober's start (metrics_add) until its stop
 * (metrics_forget); NULL (out of memory) is accepted by every call below.
 */
struct metrics_replica *metrics_add(const struct endpoint *key);
void metrics_forget(struct metrics_replica *m);

/* A probe of usec microseconds ended (err: PROBE_OK if it measured a lag). */
void metrics_probe(struct metrics_replica *m, uint64_t usec, enum probe_error err);

/* What the main loop reported for the replica this poll; reason: why down. */
void metrics_report(struct metrics_replica *m, bool up, bool has_lag, uint32_t lag_ms,
		    const char *reason);

/* A push (one poll's report) reached the kernel or failed. */
void metrics_push(bool ok);

/*
 * Serve what cfg->metrics_listen says: start, move or stop the endpoint.
 * 0, or -1 after logging why (the address cannot be bound).
 */
int metrics_configure(const struct config *cfg);

/* Stop the endpoint (at exit). */
void metrics_stop(void);

#endif
