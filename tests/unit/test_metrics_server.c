// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcd's metrics registry and HTTP endpoint (metrics.c) with threads:
 * four "probers" record probes, reports and pushes while the endpoint is
 * scraped over a real socket, entries come and go, and the endpoint is
 * moved and stopped. Built twice: with ASan/UBSan (test_metrics_server)
 * and with ThreadSanitizer (test_metrics_server_tsan), which fails the run
 * on any data race.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "config.h"
#include "metrics.h"
#include "tap.h"

#define NTHREADS 4
#define ITER 3000

#if defined(__SANITIZE_THREAD__)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "halt_on_error=1:exitcode=66";
}
#endif

static uint16_t port;

/* GET path (whole request text req when not NULL) on port p; the answer, malloc'ed. */
static char *http(uint16_t p, const char *req)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p) };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 65536) {
			char *q = realloc(buf, cap + 65536 + 1);

			if (!q)
				break;
			buf = q;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void *prober(void *arg)
{
	struct endpoint ep = { .family = AF_INET, .port = 3306 };
	struct metrics_replica *m = NULL;
	int i;

	ep.addr.v4.s_addr = htonl(0x0a000000u + (uint32_t)(uintptr_t)arg);
	for (i = 0; i < ITER; i++) {
		if (i % 1000 == 0) {
			/* an entry that comes and goes, as a reload does */
			struct metrics_replica *t = metrics_add(&ep);

			metrics_probe(t, 10, PROBE_ERR_CONNECT);
			metrics_forget(t);
		}
		if (i == 0)
			m = metrics_add(&ep);
		metrics_probe(m, (uint64_t)i, i % 3 ? PROBE_OK : PROBE_ERR_QUERY);
		metrics_report(m, i % 2, true, (uint32_t)i, "cannot connect");
		metrics_push(i % 10 != 0);
	}
	return m;
}

static long value(const char *text, const char *series)
{
	const char *p = strstr(text, series);

	return p ? strtol(p + strlen(series), NULL, 10) : -1;
}

int main(void)
{
	struct config cfg;
	pthread_t t[NTHREADS];
	struct metrics_replica *m[NTHREADS];
	int i, scrapes = 0, good = 0;
	char *r;

	tap_plan(9);
	memset(&cfg, 0, sizeof(cfg));
	port = (uint16_t)(20000 + getpid() % 20000);
	cfg.metrics_on = true;
	cfg.metrics_ep.family = AF_INET;
	cfg.metrics_ep.addr.v4.s_addr = htonl(INADDR_LOOPBACK);
	cfg.metrics_ep.port = port;
	tap_ok(metrics_configure(&cfg) == 0, "serving on 127.0.0.1:%u", port);

	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, prober, (void *)(uintptr_t)(i + 1));
	/* scrape while they run */
	for (i = 0; i < 40; i++) {
		r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
		scrapes++;
		if (r && !strncmp(r, "HTTP/1.1 200 OK\r\n", 17) && strstr(r, "lagwlcd_build_info{"))
			good++;
		free(r);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], (void **)&m[i]);
	tap_ok(good == scrapes, "%d of %d scrapes during the probes answered 200 with the metrics",
	       good, scrapes);

	r = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
	tap_ok(r && value(r, "\nlagwlcd_pushes_total ") == NTHREADS * (ITER - ITER / 10) &&
	       value(r, "\nlagwlcd_push_failures_total ") == NTHREADS * (ITER / 10),
	       "every push and push failure counted (%d, %d)", NTHREADS * (ITER - ITER / 10),
	       NTHREADS * (ITER / 10));
	tap_ok(r && value(r, "\nlagwlcd_replicas ") == NTHREADS &&
	       value(r, "lagwlcd_probe_duration_seconds_count{replica=\"10.0.0.1:3306\"} ") == ITER &&
	       value(r, "lagwlcd_probe_errors_total{replica=\"10.0.0.1:3306\",reason=\"query\"} ") ==
	       ITER / 3,
	       "every probe counted once, errors by reason; forgotten entries gone");
	free(r);

	r = http(port, "GET /other HTTP/1.1\r\n\r\n");
	tap_ok(r && !strncmp(r, "HTTP/1.1 404 ", 13), "404 for another path");
	free(r);
	r = http(port, "DELETE /metrics HTTP/1.1\r\n\r\n");
	tap_ok(r && !strncmp(r, "HTTP/1.1 405 ", 13) && strstr(r, "\r\nAllow: GET, HEAD\r\n"),
	       "405 for another method, with Allow");
	free(r);

	for (i = 0; i < NTHREADS; i++)
		metrics_forget(m[i]);
	r = http(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
	tap_ok(r && !strncmp(r, "HTTP/1.1 200 OK\r\n", 17) && strstr(r, "\r\nContent-Length: ") &&
	       !strstr(r, "lagwlcd_build_info"), "HEAD: headers, no body");
	free(r);

	/* moved: the old port closed, the new one answers */
	r = NULL;
	cfg.metrics_ep.port = (uint16_t)(port + 1);
	tap_ok(metrics_configure(&cfg) == 0 && !http(port, "GET /metrics HTTP/1.0\r\n\r\n") &&
	       (r = http((uint16_t)(port + 1), "GET /metrics HTTP/1.0\r\n\r\n")) &&
	       value(r, "\nlagwlcd_replicas ") == 0,
	       "moved to port %u: the old one closed, no replica left", port + 1);
	free(r);
	metrics_stop();
	tap_ok(!http((uint16_t)(port + 1), "GET /metrics HTTP/1.0\r\n\r\n"), "stopped: closed");
	return tap_done();
}
