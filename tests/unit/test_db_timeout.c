// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcd's connection timeout against the option file
 * (userspace/lagwlcd/db.c with the real libmariadb): a server that accepts
 * the TCP connection and never sends its greeting (a listening socket that
 * is never accept()ed: the fault under test) must give "cannot connect"
 * after lagwlcd's timeout (1 s), even when the option file says
 * connect-timeout=6. Before the file was filtered, libmariadb read it after
 * lagwlcd's options and waited 6 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "tap.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A listener on 127.0.0.1 that completes TCP handshakes and says nothing. */
static int hung_listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	if (fd >= 0) {
		(void)!write(fd, text, strlen(text));
		close(fd);
	}
}

int main(void)
{
	char dir[] = "/tmp/test_db_timeout.XXXXXX", err[4096];
	struct endpoint ep = { 0 };
	struct settings s = { 0 };
	double t0, dt;
	uint16_t port;
	MYSQL *m;
	int lfd;

	tap_plan(4);
	lfd = hung_listener(&port);
	if (lfd < 0 || !mkdtemp(dir)) {
		tap_ok(0, "a listener on 127.0.0.1 and a scratch directory");
		return 1;
	}
	snprintf(err, sizeof(err), "127.0.0.1:%u", port);
	if (ep_parse(err, &ep, err, sizeof(err)) < 0) {
		tap_ok(0, "ep_parse: %s", err);
		return 1;
	}
	s.timeout_ms = 1000;
	snprintf(s.option_file, sizeof(s.option_file), "%s/client.cnf", dir);
	strcpy(s.option_group, "client");

	write_file(s.option_file, "[client]\nuser=lagwlcd\npassword=x\nconnect-timeout=6\n"
		   "read-timeout=6\n");
	t0 = now();
	m = db_connect(&ep, &s, err, sizeof(err));
	dt = now() - t0;
	tap_ok(!m && !strncmp(err, "cannot connect to 127.0.0.1:", 28),
	       "hung handshake: cannot connect (%s)", err);
	tap_ok(dt >= 0.9 && dt < 2.5,
	       "timeout = 1s wins over connect-timeout=6 in the option file: %.2f s", dt);

	/* the file is read again at each connection: changed since the check */
	write_file(s.option_file, "[client]\nuser=lagwlcd\nplugin-dir=/tmp\n");
	t0 = now();
	m = db_connect(&ep, &s, err, sizeof(err));
	dt = now() - t0;
	tap_ok(!m && strstr(err, "client.cnf:3: plugin-dir: refused"),
	       "a file changed to name plugin-dir refused at connection time: %s", err);
	tap_ok(dt < 0.5, "without connecting (%.2f s)", dt);

	unlink(s.option_file);
	rmdir(dir);
	close(lfd);
	mysql_library_end();
	return tap_done();
}
