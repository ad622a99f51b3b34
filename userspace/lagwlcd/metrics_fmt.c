// SPDX-License-Identifier: GPL-2.0
/*
 * The text exposition format 0.0.4: "# HELP", "# TYPE", then one line per
 * series, NAME{LABEL="VALUE",...} VALUE. Names follow Prometheus's
 * conventions: lagwlcd_ prefix, base units (seconds), _total for counters,
 * a histogram's _bucket series cumulative with le="+Inf" equal to _count.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/lagwlc.h>

#include "metrics_fmt.h"

const char *const probe_error_names[PROBE_NERRORS] = {
	[PROBE_OK] = NULL,
	[PROBE_ERR_CONNECT] = "connect",
	[PROBE_ERR_CONNECTION_LOST] = "connection_lost",
	[PROBE_ERR_QUERY] = "query",
	[PROBE_ERR_REPLICATION] = "replication",
	[PROBE_ERR_HEARTBEAT] = "heartbeat",
	[PROBE_ERR_NO_LAG] = "no_lag",
};

/* from a fast loopback probe to lagwlcd's longer timeouts */
const double metrics_bucket_le[METRICS_NBUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* The kernel's states as the state-set's label values. */
static const struct {
	int state;
	const char *name;
} states[] = {
	{ LAGWLC_STATE_OK, "ok" },
	{ LAGWLC_STATE_LAGGING, "lagging" },
	{ LAGWLC_STATE_DOWN, "down" },
	{ LAGWLC_STATE_STALE, "stale" },
};

void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap : 4096;
			char *p;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			p = realloc(b->p, cap);
			if (!p) {
				b->oom = true;
				return;
			}
			b->p = p;
			b->cap = cap;
		}
	}
}

void mbuf_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void metrics_escape(struct mbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			mbuf_printf(b, "\\\\");
		else if (*s == '"')
			mbuf_printf(b, "\\\"");
		else if (*s == '\n')
			mbuf_printf(b, "\\n");
		else
			mbuf_printf(b, "%c", *s);
	}
}

void metrics_observe(struct metrics_replica *r, double sec)
{
	size_t i;

	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (sec <= metrics_bucket_le[i]) {
			r->bucket[i]++;
			break;
		}
	/* above the last bound: in +Inf only, which is the count */
	r->count++;
	r->sum += sec;
}

static void family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{replica="ADDR:PORT" then the caller's labels and value */
static void series(struct mbuf *b, const char *name, const struct metrics_replica *r)
{
	char e[EP_STRLEN];

	mbuf_printf(b, "%s{replica=\"", name);
	metrics_escape(b, ep_format(&r->key, e, sizeof(e)));
	mbuf_printf(b, "\"");
}

int metrics_render(const struct metrics_snapshot *s, struct mbuf *b)
{
	size_t i, j, k;

	family(b, "lagwlcd_build_info", "gauge", "lagwlcd's version, as a label; always 1");
	mbuf_printf(b, "lagwlcd_build_info{version=\"");
	metrics_escape(b, s->version);
	mbuf_printf(b, "\"} 1\n");

	family(b, "lagwlcd_pushes_total", "counter",
	       "Reports of every replica's state sent to the kernel (one per poll)");
	mbuf_printf(b, "lagwlcd_pushes_total %llu\n", (unsigned long long)s->pushes);
	family(b, "lagwlcd_push_failures_total", "counter",
	       "Reports that did not reach the kernel (module absent, refused)");
	mbuf_printf(b, "lagwlcd_push_failures_total %llu\n", (unsigned long long)s->push_failures);

	family(b, "lagwlcd_replicas", "gauge", "Replicas probed");
	mbuf_printf(b, "lagwlcd_replicas %zu\n", s->n);

	family(b, "lagwlcd_replica_up", "gauge",
	       "1 if lagwlcd last reported the replica up, 0 if down (absent before its first report)");
	for (i = 0; i < s->n; i++) {
		if (!s->r[i].reported)
			continue;
		series(b, "lagwlcd_replica_up", &s->r[i]);
		mbuf_printf(b, "} %d\n", s->r[i].up ? 1 : 0);
	}

	family(b, "lagwlcd_replica_lag_seconds", "gauge",
	       "Replication lag lagwlcd last reported (absent while the replica is down or its lag unknown)");
	for (i = 0; i < s->n; i++) {
		const struct metrics_replica *r = &s->r[i];

		if (!r->reported || !r->up || !r->has_lag)
			continue;
		series(b, "lagwlcd_replica_lag_seconds", r);
		mbuf_printf(b, "} %u.%03u\n", r->lag_ms / 1000, r->lag_ms % 1000);
	}

	family(b, "lagwlcd_replica_state", "gauge",
	       "The scheduler's state of the replica as the kernel holds it: 1 for the current state, 0 for the others (absent when the kernel has no entry or could not be read)");
	for (i = 0; i < s->n; i++) {
		if (s->r[i].kstate < 0)
			continue;
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			series(b, "lagwlcd_replica_state", &s->r[i]);
			mbuf_printf(b, ",state=\"%s\"} %d\n", states[k].name,
				    s->r[i].kstate == states[k].state ? 1 : 0);
		}
	}

	family(b, "lagwlcd_replica_last_success_timestamp_seconds", "gauge",
	       "Unix time of the replica's last probe that measured a lag (absent before the first)");
	for (i = 0; i < s->n; i++) {
		if (!s->r[i].last_success)
			continue;
		series(b, "lagwlcd_replica_last_success_timestamp_seconds", &s->r[i]);
		mbuf_printf(b, "} %.3f\n", s->r[i].last_success);
	}

	family(b, "lagwlcd_probe_errors_total", "counter",
	       "Probes that did not measure a lag, by reason");
	for (i = 0; i < s->n; i++)
		for (j = 0; j < PROBE_NERRORS; j++) {
			if (!probe_error_names[j])
				continue;
			series(b, "lagwlcd_probe_errors_total", &s->r[i]);
			mbuf_printf(b, ",reason=\"%s\"} %llu\n", probe_error_names[j],
				    (unsigned long long)s->r[i].errors[j]);
		}

	family(b, "lagwlcd_probe_duration_seconds", "histogram",
	       "Time a probe took: connecting if needed, then its queries");
	for (i = 0; i < s->n; i++) {
		const struct metrics_replica *r = &s->r[i];
		uint64_t cum = 0;

		for (j = 0; j < METRICS_NBUCKETS; j++) {
			cum += r->bucket[j];
			series(b, "lagwlcd_probe_duration_seconds_bucket", r);
			mbuf_printf(b, ",le=\"%g\"} %llu\n", metrics_bucket_le[j],
				    (unsigned long long)cum);
		}
		series(b, "lagwlcd_probe_duration_seconds_bucket", r);
		mbuf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)r->count);
		series(b, "lagwlcd_probe_duration_seconds_sum", r);
		mbuf_printf(b, "} %.6f\n", r->sum);
		series(b, "lagwlcd_probe_duration_seconds_count", r);
		mbuf_printf(b, "} %llu\n", (unsigned long long)r->count);
	}
	return b->oom ? -1 : 0;
}

int metrics_render_status(const struct metrics_snapshot *s, struct mbuf *b)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct metrics_replica *r = &s->r[i];
		char e[EP_STRLEN];
		const char *c;

		mbuf_printf(b, "%s\t", ep_format(&r->key, e, sizeof(e)));
		if (!r->reported) {
			mbuf_printf(b, "unknown\t-\t-\n");
			continue;
		}
		if (r->up && r->has_lag) {
			mbuf_printf(b, "up\t%u\t-\n", r->lag_ms);
			continue;
		}
		mbuf_printf(b, "down\t-\t");
		for (c = r->reason; *c; c++) {
			unsigned char u = (unsigned char)*c;

			if (u < 0x20 || u == 0x7f || u == '\\')
				mbuf_printf(b, "\\x%02x", u);
			else
				mbuf_printf(b, "%c", *c);
		}
		mbuf_printf(b, "%s\n", r->reason[0] ? "" : "-");
	}
	return b->oom ? -1 : 0;
}
