// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl why [-m ADDR:PORT] [ADDR:PORT ...]
 *
 * lagwlcd's own view of each replica, and why it reports one down (the
 * kernel holds only "down"): read from lagwlcd's metrics endpoint
 * (metrics_listen in lagwlcd.conf), GET /status, whose lines are
 * "ADDR:PORT TAB up|down|unknown TAB LAG_MS|- TAB REASON|-" (metrics_fmt.h).
 * No netlink, no privilege: only a loopback HTTP request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "addr.h"
#include "json.h"
#include "subcommands.h"

#define WHY_DEFAULT "127.0.0.1:9731"
#define WHY_TIMEOUT_MS 5000
#define WHY_MAX (64u << 20)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for ev until deadline: 0, or -1 with errno. */
static int wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long long left = deadline - now_ms();
	int r;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	r = poll(&p, 1, (int)left);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

/* GET /status from ep: the whole answer (malloc'ed, NUL-terminated) or NULL with errno. */
static char *fetch(const struct endpoint *ep)
{
	static const char req[] = "GET /status HTTP/1.0\r\nHost: lagwlcd\r\n\r\n";
	long long deadline = now_ms() + WHY_TIMEOUT_MS;
	struct sockaddr_storage ss;
	socklen_t sl;
	char *buf = NULL;
	size_t len = 0, cap = 0, sent = 0;
	int fd, e, soerr;
	socklen_t el = sizeof(soerr);

	sl = ep_sockaddr(ep, &ss);
	fd = socket(ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) < 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0)
			goto fail;
		if (soerr) {
			errno = soerr;
			goto fail;
		}
	}
	while (sent < sizeof(req) - 1) {
		ssize_t n = send(fd, req + sent, sizeof(req) - 1 - sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN || wait_fd(fd, POLLOUT, deadline) < 0)
				goto fail;
			continue;
		}
		sent += (size_t)n;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *p;

			if (cap >= WHY_MAX) {
				errno = EFBIG;
				goto fail;
			}
			p = realloc(buf, cap + 65536 + 1);
			if (!p)
				goto fail;
			buf = p;
			cap += 65536;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0) {
			if (errno != EAGAIN || wait_fd(fd, POLLIN, deadline) < 0)
				goto fail;
			continue;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		errno = EPROTO;
		return NULL;
	}
	buf[len] = '\0';
	return buf;

fail:
	e = errno;
	close(fd);
	free(buf);
	errno = e;
	return NULL;
}

struct line {
	char *replica, *view, *lag, *reason;
};

/* Split a status line in place: 0, or -1 if it has not four fields. */
static int split(char *s, struct line *l)
{
	char *f[4];
	int i;

	for (i = 0; i < 4; i++) {
		f[i] = s;
		s = strchr(s, '\t');
		if (i < 3) {
			if (!s)
				return -1;
			*s++ = '\0';
		}
	}
	if (s)
		return -1;
	l->replica = f[0];
	l->view = f[1];
	l->lag = f[2];
	l->reason = f[3];
	return 0;
}

static bool wanted(const char *replica, int n, const struct endpoint *eps, bool *seen)
{
	struct endpoint ep;
	char err[128];
	int i;

	if (!n)
		return true;
	if (ep_parse_key(replica, &ep, err, sizeof(err)) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (ep_equal(&ep, &eps[i])) {
			seen[i] = true;
			return true;
		}
	return false;
}

int cmd_why(int argc, char **argv, const struct ctl *ctl)
{
	static const struct option opts[] = {
		{ "metrics", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = WHY_DEFAULT;
	struct endpoint src, *eps = NULL;
	char err[128], *answer, *body, *line, *next;
	bool *seen = NULL;
	struct json j;
	int c, n, i, status = EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+m:", opts, NULL)) != -1) {
		if (c == 'm')
			from = optarg;
		else
			return usage_error("why", "unknown option or missing argument: %s",
					   argv[optind - 1]);
	}
	if (ep_parse(from, &src, err, sizeof(err)) < 0)
		return usage_error("why", "-m: %s", err);
	n = argc - optind;
	if (n) {
		eps = calloc((size_t)n, sizeof(*eps));
		seen = calloc((size_t)n, sizeof(*seen));
		if (!eps || !seen) {
			free(eps);
			free(seen);
			fprintf(stderr, "lagwlcctl: out of memory\n");
			return EXIT_FAIL;
		}
		for (i = 0; i < n; i++)
			if (ep_parse_key(argv[optind + i], &eps[i], err, sizeof(err)) < 0) {
				free(eps);
				free(seen);
				return usage_error("why", "%s", err);
			}
	}

	answer = fetch(&src);
	if (!answer) {
		fprintf(stderr, "lagwlcctl: cannot read lagwlcd's status at http://%s/status: %s (is metrics_listen set in lagwlcd.conf?)\n",
			from, strerror(errno));
		free(eps);
		free(seen);
		return EXIT_FAIL;
	}
	body = strstr(answer, "\r\n\r\n");
	if (strncmp(answer, "HTTP/1.1 200 ", 13) || !body) {
		fprintf(stderr, "lagwlcctl: http://%s/status answered \"%.*s\": not a lagwlcd with this command\n",
			from, (int)strcspn(answer, "\r\n"), answer);
		free(answer);
		free(eps);
		free(seen);
		return EXIT_FAIL;
	}
	body += 4;

	if (ctl->json) {
		json_init(&j, stdout);
		json_arr_begin(&j, NULL);
	} else {
		printf("%-40s %-8s %9s  %s\n", "Replica", "lagwlcd", "Lag(ms)", "Why down");
	}
	for (line = body; line && *line; line = next) {
		struct line l;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (split(line, &l) < 0 || !wanted(l.replica, n, eps, seen))
			continue;
		if (ctl->json) {
			json_obj_begin(&j, NULL);
			json_str(&j, "replica", l.replica);
			json_str(&j, "view", l.view);
			if (strcmp(l.lag, "-"))
				json_uint(&j, "lag_ms", strtoull(l.lag, NULL, 10));
			else
				json_null(&j, "lag_ms");
			/* as served: control characters stay \xNN */
			json_str(&j, "reason", strcmp(l.reason, "-") ? l.reason : NULL);
			json_obj_end(&j);
		} else {
			printf("%-40s %-8s %9s  %s\n", l.replica, l.view, l.lag,
			       strcmp(l.reason, "-") ? l.reason : "");
		}
	}
	if (ctl->json) {
		json_arr_end(&j);
		putchar('\n');
	}
	for (i = 0; i < n; i++)
		if (!seen[i]) {
			fprintf(stderr, "lagwlcctl: %s: not probed by lagwlcd\n", argv[optind + i]);
			status = EXIT_FAIL;
		}
	free(answer);
	free(eps);
	free(seen);
	return status;
}
