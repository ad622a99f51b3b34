/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lagwlcd's metrics as Prometheus text (exposition format 0.0.4), from a
 * snapshot. Pure code: no lock, no socket, no clock, so that the unit test
 * drives exactly what the endpoint serves. The registry and the HTTP
 * endpoint are in metrics.c.
 */
#ifndef LAGWLCD_METRICS_FMT_H
#define LAGWLCD_METRICS_FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Why a probe failed, as the prober can tell (probe.c). */
enum probe_error {
	PROBE_OK,
	PROBE_ERR_CONNECT,		/* the connection could not be opened */
	PROBE_ERR_CONNECTION_LOST,	/* an open connection broke or timed out mid-query */
	PROBE_ERR_QUERY,		/* the server answered a query with an error */
	PROBE_ERR_REPLICATION,		/* the status says down: threads stopped, no replica */
	PROBE_ERR_HEARTBEAT,		/* the heartbeat query failed or found no usable row */
	PROBE_ERR_NO_LAG,		/* up, but no lag to report (reported down) */
	PROBE_NERRORS
};

/* The reason label of each error ("connect", ...); NULL for PROBE_OK. */
extern const char *const probe_error_names[PROBE_NERRORS];

/* Upper bounds (seconds) of the probe duration histogram's buckets, +Inf aside. */
#define METRICS_NBUCKETS 13
extern const double metrics_bucket_le[METRICS_NBUCKETS];

#define METRICS_REASON_MAX 512

/* One replica's figures. */
struct metrics_replica {
	struct endpoint key;
	/* as lagwlcd last reported it (the push of the last poll, or a dry run's) */
	bool reported;
	bool up;
	bool has_lag;			/* up and the lag known */
	uint32_t lag_ms;
	char reason[METRICS_REASON_MAX];	/* why down, as lagwlcd logs it */
	/* the kernel's state for it: LAGWLC_STATE_OK... or -1 when unknown */
	int kstate;
	/* probes: per-bucket counts (not cumulative), all probes, their seconds */
	uint64_t bucket[METRICS_NBUCKETS];
	uint64_t count;
	double sum;
	uint64_t errors[PROBE_NERRORS];
	double last_success;		/* unix seconds of the last good probe, 0: none */
};

struct metrics_snapshot {
	const char *version;
	uint64_t pushes, push_failures;
	const struct metrics_replica *r;
	size_t n;
};

/* A growing text buffer; on allocation failure it sets oom and stops growing. */
struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mbuf_free(struct mbuf *b);

/* s as a label value: backslash, double quote and newline escaped. */
void metrics_escape(struct mbuf *b, const char *s);

/* Add one probe of sec seconds to r's histogram. */
void metrics_observe(struct metrics_replica *r, double sec);

/* The whole exposition of s into b (appended); -1 if out of memory. */
int metrics_render(const struct metrics_snapshot *s, struct mbuf *b);

/*
 * lagwlcd's own view of each replica, for lagwlcctl why (GET /status): one
 * line per replica, four fields separated by tabs:
 *
 *   ADDR:PORT  up|down|unknown  LAG_MS|-  REASON|-
 *
 * "unknown" before its first report. REASON is why lagwlcd reports it down,
 * with backslash and control characters (tab and newline included) written
 * as \xNN. -1 if out of memory.
 */
int metrics_render_status(const struct metrics_snapshot *s, struct mbuf *b);

#endif
