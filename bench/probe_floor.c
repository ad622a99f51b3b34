// SPDX-License-Identifier: GPL-2.0
/*
 * probe_floor: the least a prober can spend on bench/scale's probes, measured
 * beside lagwlcd in the same fixture (bench/scale, issue 14).
 *
 *	probe_floor OPTION_FILE POLL_MS WARMUP_S WINDOW_S < replicas
 *
 * One connection per "HOST:PORT" line of stdin, opened as lagwlcd opens
 * them (the option file's [client] group, multi-statements), then on each
 * one, every POLL_MS with the starts spread evenly, the query lagwlcd
 * sends with bench/scale's settings (lag_source heartbeat, server id 1: the
 * replica status, read_only and the newest heartbeat's age, in one
 * multi-statement query; probe.c's query_start()) with libmariadb's
 * blocking calls: each result set stored and freed, no field read, nothing
 * logged, no deadline, no event loop, one thread. What remains is the
 * round trip itself: the system calls, loopback TCP and libmariadb's
 * parsing of the result sets. After WARMUP_S it prints the CPU of the next
 * WINDOW_S (utime + stime, getrusage) and its peak RSS as
 * "cpu_pct PCT probes N errors N hwm_kb KB".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <mysql.h>

#define NSEC_PER_SEC 1000000000LL

static const char query[] =
	"SHOW ALL SLAVES STATUS; "
	"SELECT @@global.read_only, "
	"(SELECT ts FROM `heartbeat`.`heartbeat` WHERE server_id = 1 ORDER BY ts DESC LIMIT 1), "
	"(SELECT TIMESTAMPDIFF(MICROSECOND, CAST(ts AS DATETIME(6)), UTC_TIMESTAMP(6)) "
	"FROM `heartbeat`.`heartbeat` WHERE server_id = 1 ORDER BY ts DESC LIMIT 1)";

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static long long cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NSEC_PER_SEC +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

/* VmHWM: the peak resident set, as bench/scale_sample.py reads lagwlcd's */
static long peak_rss_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void sleep_until(long long t)
{
	struct timespec ts = { .tv_sec = t / NSEC_PER_SEC, .tv_nsec = t % NSEC_PER_SEC };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* One probe: 0, or -1 when the server or the connection failed. */
static int probe(MYSQL *m)
{
	MYSQL_RES *res;
	int next;

	if (mysql_real_query(m, query, sizeof(query) - 1))
		return -1;
	do {
		res = mysql_store_result(m);
		if (!res && mysql_errno(m))
			return -1;
		mysql_free_result(res);
		next = mysql_next_result(m);
	} while (next == 0);
	return next > 0 ? -1 : 0;
}

static MYSQL *open_one(const char *optfile, char *line)
{
	char *colon = strrchr(line, ':');
	MYSQL *m = mysql_init(NULL);

	if (!m || !colon)
		return NULL;
	*colon = '\0';
	mysql_options(m, MYSQL_READ_DEFAULT_FILE, optfile);
	mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "client");
	if (!mysql_real_connect(m, line, NULL, NULL, NULL, atoi(colon + 1), NULL,
				CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "probe_floor: %s:%s: %s\n", line, colon + 1, mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

int main(int argc, char **argv)
{
	long long poll, start, warm_end, end, cpu0 = 0, probes = 0, errors = 0;
	MYSQL **conns = NULL;
	size_t n = 0, cap = 0, i;
	char line[128];
	int measuring = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: probe_floor OPTION_FILE POLL_MS WARMUP_S WINDOW_S < replicas\n");
		return 2;
	}
	poll = atoll(argv[2]) * 1000000LL;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			conns = realloc(conns, cap * sizeof(*conns));
			if (!conns)
				return 1;
		}
		conns[n] = open_one(argv[1], line);
		if (!conns[n])
			return 1;
		n++;
	}
	if (!n || poll <= 0)
		return 2;
	start = now_ns();
	warm_end = start + atoll(argv[3]) * NSEC_PER_SEC;
	end = warm_end + atoll(argv[4]) * NSEC_PER_SEC;
	for (long long round = 0;; round++) {
		for (i = 0; i < n; i++) {
			long long due = start + round * poll + (long long)i * poll / (long long)n;

			if (due >= end)
				goto done;
			if (!measuring && due >= warm_end) {
				measuring = 1;
				cpu0 = cpu_ns();
			}
			if (due > now_ns())
				sleep_until(due);
			if (probe(conns[i]) < 0) {
				errors += measuring;
				fprintf(stderr, "probe_floor: %s\n", mysql_error(conns[i]));
			}
			probes += measuring;
		}
	}
done:
	printf("cpu_pct %.2f probes %lld errors %lld hwm_kb %ld\n",
	       100.0 * (double)(cpu_ns() - cpu0) / (double)(end - warm_end), probes, errors,
	       peak_rss_kb());
	for (i = 0; i < n; i++)
		mysql_close(conns[i]);
	free(conns);
	return errors ? 1 : 0;
}
