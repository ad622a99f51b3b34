// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for lagwlcd's configuration parser (userspace/lagwlcd/config.c).
 *
 * configs/bad-NAME.conf is refused with exactly the line in
 * configs/bad-NAME.err ("configs/bad-NAME.conf:LINE: PROBLEM"); the good
 * configurations parse to the values checked here. Then what the corpus
 * cannot hold (NUL bytes, overlong lines, no newline at the end), durations,
 * and the option file checks (missing, group- or world-readable).
 *
 *   test_config [FILE...]   prints FILE's verdict instead (to write a .err)
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include "config.h"
#include "tap.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The bad-*.conf files of configs/, sorted; their count. */
static size_t bad_files(char ***out)
{
	DIR *dir = opendir("configs");
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "bad-", 4) || len < 5 || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strdup(de->d_name);
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	return n;
}

/* The first line of path, without its newline, into buf; -1 if unreadable. */
static int first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void test_corpus(char **files, size_t n)
{
	char path[512], errpath[512], want[CONFIG_ERR_MAX], err[CONFIG_ERR_MAX];
	struct config cfg;
	size_t i;

	for (i = 0; i < n; i++) {
		int r;

		snprintf(path, sizeof(path), "configs/%s", files[i]);
		snprintf(errpath, sizeof(errpath), "configs/%.*s.err",
			 (int)(strlen(files[i]) - 5), files[i]);
		if (first_line(errpath, want, sizeof(want)) < 0) {
			tap_ok(0, "%s: no %s to compare with", files[i], errpath);
			continue;
		}
		err[0] = '\0';
		r = config_load(path, &cfg, err, sizeof(err));
		if (!tap_ok(r == -1 && !strcmp(err, want), "%s refused: %s", files[i], want))
			printf("# got r=%d: %s\n", r, err);
		config_free(&cfg);
	}
}

static void test_good(void)
{
	char err[CONFIG_ERR_MAX] = "", e[EP_STRLEN], a[64];
	struct config cfg;
	const struct replica_conf *r;
	int ret;

	ret = config_load("configs/good-full.conf", &cfg, err, sizeof(err));
	if (!tap_ok(ret == 0, "good-full.conf parses"))
		printf("# %s\n", err);
	tap_ok(cfg.poll_ms == 50 && cfg.global.timeout_ms == 1500 && cfg.discover,
	       "globals: poll 50 ms, timeout 1.5 s, discover");
	tap_ok(!strcmp(cfg.global.option_file, "/etc/lagwlc/client.cnf") &&
	       cfg.global.option_file_line == 5 && !strcmp(cfg.global.option_group, "lagwlcd"),
	       "option_file (line 5) and option_group");
	tap_ok(cfg.global.lag_source == LAG_SOURCE_AUTO && cfg.global.heartbeat_configured &&
	       !strcmp(cfg.global.heartbeat_db, "heartbeat") &&
	       !strcmp(cfg.global.heartbeat_tbl, "heartbeat") &&
	       lag_source_effective(&cfg.global) == LAG_SOURCE_HEARTBEAT,
	       "heartbeat table given: auto means heartbeat");
	tap_ok(cfg.global.io_stopped_down && !cfg.global.not_replica_primary,
	       "io_thread_stopped down, not_replica down");
	tap_ok(cfg.nadopts == 3 &&
	       !strcmp(adopt_format(&cfg.adopts[0], a, sizeof(a)), "TCP 10.0.0.10:3306") &&
	       !strcmp(adopt_format(&cfg.adopts[1], a, sizeof(a)), "FWM 42") &&
	       !strcmp(adopt_format(&cfg.adopts[2], a, sizeof(a)), "TCP [2001:db8::10]:3306") &&
	       cfg.adopts[1].line == 14,
	       "three adopt entries, in order, with their lines");
	tap_ok(cfg.nreplicas == 3, "three [replica] sections");
	if (cfg.nreplicas == 3) {
		r = &cfg.replicas[0];
		tap_ok(!strcmp(ep_format(&r->ep, e, sizeof(e)), "10.0.0.21:3306") &&
		       !strcmp(ep_format(&r->probe, e, sizeof(e)), "10.0.0.121:3306") &&
		       r->line == 17 && r->s.lag_source == LAG_SOURCE_HEARTBEAT &&
		       r->s.heartbeat_server_id == 7 && r->s.timeout_ms == 1500 &&
		       !strcmp(r->s.option_group, "lagwlcd"),
		       "replica 1: probe address, heartbeat of server_id 7, global timeout and group");
		r = &cfg.replicas[1];
		tap_ok(!strcmp(ep_format(&r->ep, e, sizeof(e)), "10.0.0.22:3306") &&
		       ep_equal(&r->ep, &r->probe) && r->s.not_replica_primary &&
		       !r->s.io_stopped_down && r->s.timeout_ms == 300 && !r->s.option_file[0] &&
		       r->s.option_file_line == 27 && lag_source_effective(&r->s) == LAG_SOURCE_HEARTBEAT,
		       "replica 2: ' [ replica ... ] ', primary, ignore, own timeout, option_file none");
		r = &cfg.replicas[2];
		tap_ok(r->ep.family == AF_INET6 && r->ep.port == 3307 &&
		       r->s.lag_source == LAG_SOURCE_REPLICA_STATUS && r->s.io_stopped_down,
		       "replica 3: IPv6, replica_status");
	} else {
		tap_ok(0, "replica 1");
		tap_ok(0, "replica 2");
		tap_ok(0, "replica 3");
	}
	config_free(&cfg);

	ret = config_load("configs/good-minimal.conf", &cfg, err, sizeof(err));
	tap_ok(ret == 0 && cfg.poll_ms == 250 && cfg.global.timeout_ms == 1000 && cfg.discover &&
	       !strcmp(cfg.global.option_file, CONFIG_DEFAULT_OPTION_FILE) &&
	       cfg.global.option_file_line == 0 && !strcmp(cfg.global.option_group, "client") &&
	       !cfg.global.heartbeat_configured &&
	       lag_source_effective(&cfg.global) == LAG_SOURCE_REPLICA_STATUS &&
	       cfg.global.heartbeat_server_id == 0 && cfg.global.io_stopped_down &&
	       !cfg.global.not_replica_primary && cfg.nreplicas == 0 && cfg.nadopts == 0 &&
	       !cfg.conn_reuse_keep,
	       "[lagwlcd] alone: the documented defaults (auto is replica_status without a table, conn_reuse_mode auto)");
	config_free(&cfg);
}

/* Parse buf (len bytes); the error, or "" on success. */
static const char *parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct config cfg;

	err[0] = '\0';
	config_parse("mem.conf", buf, len, &cfg, err, errlen);
	config_free(&cfg);
	return err;
}

static void test_services(void)
{
	static const char conf[] =
		"[lagwlcd]\n"
		"discover = no\n"
		"[replica 10.0.0.21:3306]\n"
		"[service tcp 10.0.0.100:3306]   # strict\n"
		"max_lag = 500ms\n"
		"readmit-lag = 200\n"
		"[service  udp [2001:db8::1]:53 ]\n"
		"penalty = 2s\n"
		"slow_start = 1.5s\n"
		"stale_policy = closed\n"
		"all_lagging = reject\n"
		"[service fwmark 42 inet6]\n"
		"all_lagging = least_lag\n";
	char err[CONFIG_ERR_MAX], f[SVC_STRLEN];
	const struct service_conf *sc;
	struct config cfg;
	int ret;

	ret = config_parse("mem.conf", conf, sizeof(conf) - 1, &cfg, err, sizeof(err));
	if (!tap_ok(ret == 0 && cfg.nservices == 3, "three [service] sections parse"))
		printf("# %s\n", err);
	if (ret || cfg.nservices != 3) {
		tap_ok(0, "service 1");
		tap_ok(0, "service 2");
		tap_ok(0, "service 3");
		config_free(&cfg);
		return;
	}
	sc = &cfg.services[0];
	tap_ok(!strcmp(svc_key_format(&sc->key, f, sizeof(f)), "tcp 10.0.0.100:3306") &&
	       sc->line == 4 &&
	       sc->s.set == (1u << LAGWLC_S_MAX_LAG_MS | 1u << LAGWLC_S_READMIT_LAG_MS) &&
	       sc->s.v[LAGWLC_S_MAX_LAG_MS] == 500 && sc->s.v[LAGWLC_S_READMIT_LAG_MS] == 200,
	       "service 1: tcp, max_lag 500 ms, readmit-lag (either spelling) 200 ms, line 4");
	sc = &cfg.services[1];
	tap_ok(!strcmp(svc_key_format(&sc->key, f, sizeof(f)), "udp [2001:db8::1]:53") &&
	       sc->s.v[LAGWLC_S_LAG_PENALTY_MS] == 2000 &&
	       sc->s.v[LAGWLC_S_SLOW_START_MS] == 1500 &&
	       sc->s.v[LAGWLC_S_STALE_POLICY] == LAGWLC_STALE_CLOSED &&
	       sc->s.v[LAGWLC_S_ALL_LAGGING] == LAGWLC_ALL_LAGGING_REJECT &&
	       !(sc->s.set & 1u << LAGWLC_S_MAX_LAG_MS),
	       "service 2: IPv6 udp, penalty, slow_start, stale_policy, all_lagging; max_lag unset");
	sc = &cfg.services[2];
	tap_ok(!strcmp(svc_key_format(&sc->key, f, sizeof(f)), "fwmark 42 inet6") &&
	       sc->s.set == 1u << LAGWLC_S_ALL_LAGGING &&
	       sc->s.v[LAGWLC_S_ALL_LAGGING] == LAGWLC_ALL_LAGGING_LEAST_LAG,
	       "service 3: fwmark 42 inet6, all_lagging least_lag only");
	config_free(&cfg);
}

static void test_memory(void)
{
	char err[CONFIG_ERR_MAX], *big, a[EP_STRLEN];
	const char nul[] = "[lagwlcd]\ntimeout = 1s\0\n";
	const char *s;
	struct config cfg;

	s = parse(nul, sizeof(nul) - 1, err, sizeof(err));
	tap_ok(!strcmp(s, "mem.conf:2: NUL byte in the line"), "NUL byte: %s", s);

	big = malloc(CONFIG_LINE_MAX + 64);
	memset(big, '#', CONFIG_LINE_MAX + 63);
	memcpy(big, "[lagwlcd]\n", 10);
	big[CONFIG_LINE_MAX + 63] = '\0';
	s = parse(big, strlen(big), err, sizeof(err));
	tap_ok(!strcmp(s, "mem.conf:2: line longer than 4095 characters"), "overlong line: %s", s);
	/* exactly the longest allowed line */
	memset(big + 10, '#', CONFIG_LINE_MAX - 1);
	big[10 + CONFIG_LINE_MAX - 1] = '\0';
	s = parse(big, strlen(big), err, sizeof(err));
	tap_ok(!*s, "a comment line of 4095 characters is fine");
	free(big);

	s = parse("[lagwlcd]\ntimeout = 2s", 22, err, sizeof(err));
	tap_ok(!*s, "no newline at the end is fine");
	s = parse("", 0, err, sizeof(err));
	tap_ok(!*s, "an empty file is the defaults (discover yes)");
	s = parse("[lagwlcd]\ntimeout=2s;comment\n", 29, err, sizeof(err));
	tap_ok(!strcmp(s, "mem.conf:2: timeout \"2s;comment\": expected a duration: 250 (milliseconds), 250ms, 1.5s, 2m or 1h"),
	       "a comment needs a blank before it: %s", s);
	s = parse("[lagwlcd]\nheartbeat_table = h\x01.t\n", 33, err, sizeof(err));
	tap_ok(!strcmp(s, "mem.conf:2: heartbeat_table \"h?.t\": expected DATABASE.TABLE (letters, digits, '_' and '$', at most 64 each)"),
	       "control characters are shown as '?': %s", s);

	/* the grammar lagwlcctl uses too (values.h): a bare number is ms */
	s = "[lagwlcd]\npoll_interval = 250\ntimeout = 2m\n";
	config_parse("mem.conf", s, strlen(s), &cfg, err, sizeof(err));
	tap_ok(cfg.poll_ms == 250 && cfg.global.timeout_ms == 120000,
	       "poll_interval = 250 (milliseconds), timeout = 2m");
	config_free(&cfg);
	s = parse("[lagwlcd]\ntimeout = 1.5ms\n", 26, err, sizeof(err));
	tap_ok(!strcmp(s, "mem.conf:2: timeout \"1.5ms\": finer than a millisecond"), "1.5ms: %s", s);

	s = "[lagwlcd]\nconn_reuse_mode = keep\n";
	config_parse("mem.conf", s, strlen(s), &cfg, err, sizeof(err));
	tap_ok(cfg.conn_reuse_keep, "conn_reuse_mode = keep");
	config_free(&cfg);
	s = "[lagwlcd]\nconn_reuse_mode = auto\n";
	config_parse("mem.conf", s, strlen(s), &cfg, err, sizeof(err));
	tap_ok(!cfg.conn_reuse_keep, "conn_reuse_mode = auto");
	config_free(&cfg);

	/* the metrics endpoint: off unless given, IPv4 or IPv6 */
	s = "[lagwlcd]\nmetrics_listen = [::1]:9731\n";
	config_parse("mem.conf", s, strlen(s), &cfg, err, sizeof(err));
	tap_ok(cfg.metrics_on && cfg.metrics_ep.family == AF_INET6 && cfg.metrics_ep.port == 9731 &&
	       !strcmp(ep_format(&cfg.metrics_ep, a, sizeof(a)), "[::1]:9731"),
	       "metrics_listen = [::1]:9731");
	config_free(&cfg);
	s = "[lagwlcd]\nconn_reuse_mode = auto\n";
	config_parse("mem.conf", s, strlen(s), &cfg, err, sizeof(err));
	tap_ok(!cfg.metrics_on, "no metrics_listen: no endpoint");
	config_free(&cfg);

	/* settings given after the [replica] section still reach it */
	s = "[replica 10.0.0.1:3306]\n[lagwlcd]\ntimeout = 2s\nheartbeat_table = a.b\n";
	config_parse("mem.conf", s, strlen(s), &cfg, err, sizeof(err));
	tap_ok(cfg.nreplicas == 1 && cfg.replicas[0].s.timeout_ms == 2000 &&
	       !strcmp(cfg.replicas[0].s.heartbeat_db, "a") &&
	       lag_source_effective(&cfg.replicas[0].s) == LAG_SOURCE_HEARTBEAT,
	       "global settings apply to replicas whatever the order");
	config_free(&cfg);
}

static void test_option_files(void)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[256], conf[512], err[CONFIG_ERR_MAX], want[1024];
	struct config cfg;
	int fd, r;

	if (!mkdtemp(dir)) {
		tap_ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/client.cnf", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0) {
		(void)!write(fd, "[client]\nuser=lagwlcd\n", 22);
		close(fd);
	}
	snprintf(conf, sizeof(conf), "[lagwlcd]\noption_file = %s\n", path);
	r = config_parse("t.conf", conf, strlen(conf), &cfg, err, sizeof(err));
	r = r ? r : config_check_files(&cfg, err, sizeof(err));
	tap_ok(r == 0, "option file of mode 0600 accepted");
	config_free(&cfg);

	chmod(path, 0640);
	r = config_parse("t.conf", conf, strlen(conf), &cfg, err, sizeof(err));
	r = r ? r : config_check_files(&cfg, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "t.conf:2: option_file %s: readable by its group (mode 0640) but it holds credentials: chmod 600 %s",
		 path, path);
	if (!tap_ok(r < 0 && !strcmp(err, want), "group-readable option file refused, naming file and line"))
		printf("# got %s\n", err);
	config_free(&cfg);

	chmod(path, 0604);
	r = config_parse("t.conf", conf, strlen(conf), &cfg, err, sizeof(err));
	r = r ? r : config_check_files(&cfg, err, sizeof(err));
	tap_ok(r < 0 && strstr(err, "readable by everyone (mode 0604)"),
	       "world-readable option file refused: %s", err);
	config_free(&cfg);

	/* a replica's own option file is checked too, at its own line */
	chmod(path, 0600);
	snprintf(conf, sizeof(conf),
		 "[lagwlcd]\noption_file = %s\n[replica 10.0.0.1:3306]\noption_file = %s/nope.cnf\n",
		 path, dir);
	r = config_parse("t.conf", conf, strlen(conf), &cfg, err, sizeof(err));
	r = r ? r : config_check_files(&cfg, err, sizeof(err));
	snprintf(want, sizeof(want), "t.conf:4: option_file %s/nope.cnf: No such file or directory", dir);
	if (!tap_ok(r < 0 && !strcmp(err, want), "a replica's missing option file: %s", want))
		printf("# got %s\n", err);
	config_free(&cfg);

	/* the default, not in the file: named as such */
	r = config_parse("t.conf", "[replica 10.0.0.1:3306]\n", 24, &cfg, err, sizeof(err));
	strcpy(cfg.global.option_file, path);
	strcpy(cfg.replicas[0].s.option_file, dir);	/* a directory */
	r = r ? r : config_check_files(&cfg, err, sizeof(err));
	snprintf(want, sizeof(want), "t.conf: option_file %s (the default): not a regular file", dir);
	if (!tap_ok(r < 0 && !strcmp(err, want), "a default option file that is a directory: %s", want))
		printf("# got %s\n", err);
	config_free(&cfg);

	r = config_parse("t.conf", "[replica 10.0.0.1:3306]\noption_file = none\n", 42, &cfg, err,
			 sizeof(err));
	cfg.discover = false;
	r = r ? r : config_check_files(&cfg, err, sizeof(err));
	tap_ok(r == 0, "option_file = none: nothing to check");
	config_free(&cfg);

	/* what the option file says is checked too: lagwlcd -t reports its line */
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd >= 0) {
		(void)!write(fd, "[client]\nuser=lagwlcd\nplugin_dir=/home/eve\n", 42);
		close(fd);
	}
	snprintf(conf, sizeof(conf), "[lagwlcd]\noption_file = %s\n", path);
	r = config_parse("t.conf", conf, strlen(conf), &cfg, err, sizeof(err));
	r = r ? r : config_check_files(&cfg, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s:3: plugin-dir: refused: it makes lagwlcd load shared objects from another directory",
		 path);
	if (!tap_ok(r < 0 && !strcmp(err, want), "plugin_dir in the option file: its FILE:LINE"))
		printf("# got %s\n", err);
	config_free(&cfg);

	unlink(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char err[CONFIG_ERR_MAX], *dir = strdup(argv[0]);
	char **files = NULL;
	struct config cfg;
	size_t n, i;

	if (argc > 1) {
		int i2, bad = 0;

		for (i2 = 1; i2 < argc; i2++) {
			if (config_load(argv[i2], &cfg, err, sizeof(err)) < 0) {
				printf("%s\n", err);
				bad = 1;
			} else {
				printf("%s: OK\n", argv[i2]);
			}
			config_free(&cfg);
		}
		free(dir);
		return bad;
	}
	/* the corpus lies beside the binary; its names appear in the messages */
	if (chdir(dirname(dir)) < 0) {
		perror("chdir");
		return 1;
	}
	free(dir);
	n = bad_files(&files);
	tap_plan((int)n + 11 + 4 + 14 + 7);
	test_corpus(files, n);
	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
	test_good();
	test_services();
	test_memory();
	test_option_files();
	return tap_done();
}
