// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcd's Prometheus exposition (metrics_fmt.c): label values escaped,
 * the histogram's buckets cumulative with +Inf equal to _count, a bucket's
 * bound inclusive, series absent when their value is unknown, the
 * state-set one series per state, and every line of the text format's
 * grammar. promtool and a real Prometheus read the same output in the lab
 * (tests/vm/t-lagwlcd-metrics.sh).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <linux/lagwlc.h>

#include "metrics_fmt.h"
#include "tap.h"

/* The value of the series whose line starts with "SERIES " in text, or NULL. */
static const char *value(const char *text, const char *series, char *buf, size_t len)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, series, n) && p[n] == ' ') {
			const char *v = p + n + 1, *e = strchr(v, '\n');

			snprintf(buf, len, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			return buf;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Lines starting with prefix. */
static int count(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;
	int c = 0;

	while (p && *p) {
		if (!strncmp(p, prefix, n))
			c++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return c;
}

/*
 * One line of the text format: "# HELP NAME TEXT", "# TYPE NAME TYPE", or
 * NAME[{LABEL="VALUE"(,LABEL="VALUE")*}] NUMBER, values with \\, \" and \n
 * only, no raw newline. Returns 0 or -1.
 */
static int line_ok(const char *l, size_t len)
{
	size_t i = 0;

	if (len >= 2 && l[0] == '#')
		return !strncmp(l, "# HELP ", 7) || !strncmp(l, "# TYPE ", 7) ? 0 : -1;
	if (!len || !(isalpha((unsigned char)l[0]) || l[0] == '_' || l[0] == ':'))
		return -1;
	while (i < len && (isalnum((unsigned char)l[i]) || l[i] == '_' || l[i] == ':'))
		i++;
	if (i < len && l[i] == '{') {
		i++;
		for (;;) {
			if (i < len && l[i] == '}') {
				i++;
				break;
			}
			if (!(i < len && (isalpha((unsigned char)l[i]) || l[i] == '_')))
				return -1;
			while (i < len && (isalnum((unsigned char)l[i]) || l[i] == '_'))
				i++;
			if (i + 1 >= len || l[i] != '=' || l[i + 1] != '"')
				return -1;
			i += 2;
			while (i < len && l[i] != '"') {
				if (l[i] == '\\') {
					if (i + 1 >= len || !strchr("\\\"n", l[i + 1]))
						return -1;
					i++;
				}
				i++;
			}
			if (i >= len)
				return -1;
			i++;
			if (i < len && l[i] == ',')
				i++;
		}
	}
	if (i >= len || l[i] != ' ')
		return -1;
	i++;
	{
		char num[64], *end;

		if (len - i >= sizeof(num) || len == i)
			return -1;
		memcpy(num, l + i, len - i);
		num[len - i] = '\0';
		if (!strcmp(num, "+Inf") || !strcmp(num, "-Inf") || !strcmp(num, "NaN"))
			return 0;
		strtod(num, &end);
		return *end ? -1 : 0;
	}
}

static int fabs_ok(double a, double b)
{
	return a - b < 1e-6 && b - a < 1e-6;
}

static int all_lines_ok(const char *text, char *bad, size_t badlen)
{
	const char *p = text;

	while (*p) {
		const char *e = strchr(p, '\n');

		if (!e || line_ok(p, (size_t)(e - p)) < 0) {
			snprintf(bad, badlen, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
			return -1;
		}
		p = e + 1;
	}
	return 0;
}

static void key(struct metrics_replica *r, const char *addr, uint16_t port)
{
	memset(r, 0, sizeof(*r));
	r->kstate = -1;
	if (strchr(addr, ':')) {
		r->key.family = AF_INET6;
		inet_pton(AF_INET6, addr, &r->key.addr.v6);
	} else {
		r->key.family = AF_INET;
		inet_pton(AF_INET, addr, &r->key.addr.v4);
	}
	r->key.port = port;
}

int main(void)
{
	static const double obs[] = { 0.0005, 0.003, 0.003, 0.005, 0.2, 7, 50 };
	struct metrics_replica r[3];
	struct metrics_snapshot s = { .version = "1.0 \"q\" \\b\nx", .pushes = 42,
				      .push_failures = 3, .r = r, .n = 3 };
	struct mbuf b = { 0 };
	char v[128], bad[512] = "";
	size_t i;
	int monotonic = 1, inf_eq_count = 1;

	tap_plan(25);

	metrics_escape(&b, "a\\b\"c\nd");
	mbuf_printf(&b, "%c", '\0');
	tap_ok(!b.oom && !strcmp(b.p, "a\\\\b\\\"c\\nd"),
	       "label value escaping: backslash, quote, newline: %s", b.p);
	mbuf_free(&b);

	key(&r[0], "10.0.0.21", 3306);
	r[0].reported = true;
	r[0].up = true;
	r[0].has_lag = true;
	r[0].lag_ms = 1500;
	r[0].kstate = LAGWLC_STATE_LAGGING;
	r[0].last_success = 1700000000.25;
	for (i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		metrics_observe(&r[0], obs[i]);
	r[0].errors[PROBE_ERR_CONNECT] = 5;

	key(&r[1], "::1", 3307);
	r[1].reported = true;
	r[1].up = false;
	r[1].lag_ms = 9000;	/* a stale figure: not shown for a replica down */
	snprintf(r[1].reason, sizeof(r[1].reason), "cannot connect:\tC:\\x\nend");
	r[1].kstate = LAGWLC_STATE_DOWN;

	key(&r[2], "10.0.0.23", 3306);	/* just started: nothing reported yet */

	tap_ok(metrics_render(&s, &b) == 0 && !b.oom, "renders");
	mbuf_printf(&b, "%c", '\0');

	i = all_lines_ok(b.p, bad, sizeof(bad)) == 0;
	tap_ok(i, "every line is of the text format%s%s", i ? "" : ": not: ", bad);
	tap_ok(value(b.p, "lagwlcd_build_info{version=\"1.0 \\\"q\\\" \\\\b\\nx\"}", v, sizeof(v)) &&
	       !strcmp(v, "1"), "build_info: the version escaped");
	tap_ok(value(b.p, "lagwlcd_pushes_total", v, sizeof(v)) && !strcmp(v, "42") &&
	       value(b.p, "lagwlcd_push_failures_total", v, sizeof(v)) && !strcmp(v, "3"),
	       "pushes and push failures");
	tap_ok(value(b.p, "lagwlcd_replica_lag_seconds{replica=\"10.0.0.21:3306\"}", v, sizeof(v)) &&
	       !strcmp(v, "1.500"), "lag of an up replica in seconds: 1500 ms is 1.500");
	tap_ok(!value(b.p, "lagwlcd_replica_lag_seconds{replica=\"[::1]:3307\"}", v, sizeof(v)) &&
	       !value(b.p, "lagwlcd_replica_lag_seconds{replica=\"10.0.0.23:3306\"}", v, sizeof(v)),
	       "no lag series for a replica down or not reported yet");
	tap_ok(value(b.p, "lagwlcd_replica_up{replica=\"10.0.0.21:3306\"}", v, sizeof(v)) &&
	       !strcmp(v, "1") &&
	       value(b.p, "lagwlcd_replica_up{replica=\"[::1]:3307\"}", v, sizeof(v)) &&
	       !strcmp(v, "0") &&
	       !value(b.p, "lagwlcd_replica_up{replica=\"10.0.0.23:3306\"}", v, sizeof(v)),
	       "up 1, down 0 (IPv6 bracketed), absent before the first report");
	tap_ok(count(b.p, "lagwlcd_replica_state{replica=\"10.0.0.21:3306\"") == 4 &&
	       value(b.p, "lagwlcd_replica_state{replica=\"10.0.0.21:3306\",state=\"lagging\"}", v,
		     sizeof(v)) && !strcmp(v, "1") &&
	       value(b.p, "lagwlcd_replica_state{replica=\"10.0.0.21:3306\",state=\"ok\"}", v,
		     sizeof(v)) && !strcmp(v, "0") &&
	       value(b.p, "lagwlcd_replica_state{replica=\"10.0.0.21:3306\",state=\"down\"}", v,
		     sizeof(v)) && !strcmp(v, "0") &&
	       value(b.p, "lagwlcd_replica_state{replica=\"10.0.0.21:3306\",state=\"stale\"}", v,
		     sizeof(v)) && !strcmp(v, "0"),
	       "state-set: four series, only lagging is 1");
	tap_ok(value(b.p, "lagwlcd_replica_state{replica=\"[::1]:3307\",state=\"down\"}", v,
		     sizeof(v)) && !strcmp(v, "1") &&
	       count(b.p, "lagwlcd_replica_state{replica=\"10.0.0.23:3306\"") == 0,
	       "state down; no state series where the kernel's state is unknown");
	tap_ok(value(b.p, "lagwlcd_replica_last_success_timestamp_seconds{replica=\"10.0.0.21:3306\"}",
		     v, sizeof(v)) && !strcmp(v, "1700000000.250") &&
	       !value(b.p, "lagwlcd_replica_last_success_timestamp_seconds{replica=\"[::1]:3307\"}",
		      v, sizeof(v)),
	       "last success in unix seconds; absent when there was none");
	tap_ok(value(b.p, "lagwlcd_probe_errors_total{replica=\"10.0.0.21:3306\",reason=\"connect\"}",
		     v, sizeof(v)) && !strcmp(v, "5") &&
	       count(b.p, "lagwlcd_probe_errors_total{replica=\"10.0.0.21:3306\",") == PROBE_NERRORS - 1,
	       "errors by reason, every reason present (0 too)");

	/* the histogram: 0.0005 | 0.003 0.003 0.005 | 0.2 | 7 | 50 */
	tap_ok(value(b.p, "lagwlcd_probe_duration_seconds_bucket{replica=\"10.0.0.21:3306\",le=\"0.001\"}",
		     v, sizeof(v)) && !strcmp(v, "1"), "le=0.001: 1");
	tap_ok(value(b.p, "lagwlcd_probe_duration_seconds_bucket{replica=\"10.0.0.21:3306\",le=\"0.0025\"}",
		     v, sizeof(v)) && !strcmp(v, "1"), "le=0.0025: still 1 (cumulative, none added)");
	tap_ok(value(b.p, "lagwlcd_probe_duration_seconds_bucket{replica=\"10.0.0.21:3306\",le=\"0.005\"}",
		     v, sizeof(v)) && !strcmp(v, "4"), "le=0.005: 4 (a bound is inclusive: 0.005 counts)");
	tap_ok(value(b.p, "lagwlcd_probe_duration_seconds_bucket{replica=\"10.0.0.21:3306\",le=\"0.25\"}",
		     v, sizeof(v)) && !strcmp(v, "5"), "le=0.25: 5");
	tap_ok(value(b.p, "lagwlcd_probe_duration_seconds_bucket{replica=\"10.0.0.21:3306\",le=\"10\"}",
		     v, sizeof(v)) && !strcmp(v, "6"), "le=10: 6 (50 s is above every bound)");
	tap_ok(value(b.p, "lagwlcd_probe_duration_seconds_bucket{replica=\"10.0.0.21:3306\",le=\"+Inf\"}",
		     v, sizeof(v)) && !strcmp(v, "7") &&
	       value(b.p, "lagwlcd_probe_duration_seconds_count{replica=\"10.0.0.21:3306\"}", v,
		     sizeof(v)) && !strcmp(v, "7"),
	       "+Inf bucket == _count == 7");
	tap_ok(value(b.p, "lagwlcd_probe_duration_seconds_sum{replica=\"10.0.0.21:3306\"}", v,
		     sizeof(v)) && fabs_ok(strtod(v, NULL), 57.2115),
	       "_sum: 57.2115 s (%s)", v);

	/* every replica's buckets rise and end at its count */
	for (i = 0; i < s.n; i++) {
		char e[EP_STRLEN], series[256], cnt[64];
		uint64_t prev = 0;
		size_t j;

		ep_format(&r[i].key, e, sizeof(e));
		for (j = 0; j <= METRICS_NBUCKETS; j++) {
			char le[32];
			uint64_t x;

			if (j < METRICS_NBUCKETS)
				snprintf(le, sizeof(le), "%g", metrics_bucket_le[j]);
			else
				snprintf(le, sizeof(le), "+Inf");
			snprintf(series, sizeof(series),
				 "lagwlcd_probe_duration_seconds_bucket{replica=\"%s\",le=\"%s\"}", e, le);
			if (!value(b.p, series, v, sizeof(v))) {
				monotonic = 0;
				break;
			}
			x = strtoull(v, NULL, 10);
			if (x < prev)
				monotonic = 0;
			prev = x;
		}
		snprintf(series, sizeof(series), "lagwlcd_probe_duration_seconds_count{replica=\"%s\"}", e);
		if (!value(b.p, series, cnt, sizeof(cnt)) || strtoull(cnt, NULL, 10) != prev)
			inf_eq_count = 0;
	}
	tap_ok(monotonic, "every replica's buckets are cumulative (never decrease)");
	tap_ok(inf_eq_count, "every replica's +Inf bucket equals its _count (0 for none)");
	tap_ok(count(b.p, "# TYPE lagwlcd_probe_duration_seconds histogram") == 1 &&
	       count(b.p, "# TYPE lagwlcd_pushes_total counter") == 1 &&
	       count(b.p, "# TYPE lagwlcd_probe_errors_total counter") == 1,
	       "TYPE lines: histogram, counters");
	mbuf_free(&b);

	/* lagwlcd's own view, for lagwlcctl why */
	tap_ok(metrics_render_status(&s, &b) == 0, "status renders");
	mbuf_printf(&b, "%c", '\0');
	tap_ok(!strcmp(b.p, "10.0.0.21:3306\tup\t1500\t-\n"
			    "[::1]:3307\tdown\t-\tcannot connect:\\x09C:\\x5cx\\x0aend\n"
			    "10.0.0.23:3306\tunknown\t-\t-\n"),
	       "status: one line per replica, four tab-separated fields");
	{
		const char *st = strstr(b.p, "cannot connect"), *nl = st ? strchr(st, '\n') : NULL;

		i = st && nl && nl == strstr(b.p, "end\n") + 3 && !memchr(st, '\t', (size_t)(nl - st));
	}
	tap_ok(i,
	       "status: tab, newline and backslash in a reason escaped (no field or line split)");
	mbuf_free(&b);
	return tap_done();
}
