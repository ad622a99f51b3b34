// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the client option file check and filter
 * (userspace/lagwlcd/optfile.c): keys lagwlcd sets itself left out, keys
 * that load code or change the connection refused with FILE:LINE, in the
 * groups libmariadb reads only; the file's owner and mode.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "optfile.h"
#include "tap.h"

static char err[2048];

/* filter text; the copy (or "ERR: message") in a static buffer */
static const char *filter(const char *text, const char *group)
{
	static char res[4096];
	size_t len;
	char *out;

	if (optfile_filter("c.cnf", text, strlen(text), group, &out, &len, err, sizeof(err)) < 0) {
		snprintf(res, sizeof(res), "ERR: %s", err);
		return res;
	}
	if (strlen(out) != len)
		snprintf(res, sizeof(res), "BAD LENGTH");
	else
		snprintf(res, sizeof(res), "%s", out);
	free(out);
	return res;
}

static void expect(const char *text, const char *group, const char *want, const char *what)
{
	const char *got = filter(text, group);

	if (!tap_ok(!strcmp(got, want), "%s", what))
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n", got, want);
}

static void test_filter(void)
{
	expect("[client]\nuser=lagwlcd\npassword = secret\nssl-ca=/etc/ca.pem\n", "client",
	       "[client]\nuser=lagwlcd\npassword = secret\nssl-ca=/etc/ca.pem\n",
	       "credentials and TLS kept as they are");
	expect("[client]\nuser=u\nconnect-timeout=6\n  read_timeout = 9\nWRITE-TIMEOUT=9\ntimeout=7\n"
	       "protocol=socket\npassword=p", "client",
	       "[client]\nuser=u\n\n\n\n\n\npassword=p",
	       "lagwlcd's own keys (timeouts, protocol) left out, - or _, any case; lines kept");
	expect("[mysqld]\nconnect-timeout=6\nplugin-dir=/tmp\n[client]\nuser=u\n", "client",
	       "[mysqld]\nconnect-timeout=6\nplugin-dir=/tmp\n[client]\nuser=u\n",
	       "a group the library does not read is left alone");
	expect("[lagwlcd]\nconnect-timeout=6\n[client-mariadb]\ntimeout=3\n[client-server]\nprotocol=tcp\n",
	       "lagwlcd", "[lagwlcd]\n\n[client-mariadb]\n\n[client-server]\n\n",
	       "option_group, [client-mariadb] and [client-server] are read too");
	expect("[client]\r\nuser=u\r\nconnect-timeout=6\r\n", "client", "[client]\r\nuser=u\r\n\n",
	       "CRLF lines");
	expect("", "client", "", "an empty file");

	expect("[client]\nuser=u\nplugin-dir=/home/eve/lib\n", "client",
	       "ERR: c.cnf:3: plugin-dir: refused: it makes lagwlcd load shared objects from another directory",
	       "plugin-dir refused with FILE:LINE");
	expect("[client]\nplugin_dir=/x\n", "client",
	       "ERR: c.cnf:2: plugin-dir: refused: it makes lagwlcd load shared objects from another directory",
	       "plugin_dir (underscore) refused");
	expect("[lagwlcd]\n Default_Auth = dialog\n", "lagwlcd",
	       "ERR: c.cnf:2: default-auth: refused: it makes lagwlcd load an authentication plugin",
	       "default-auth in option_group refused, any case");
	expect("[client-mariadb]\nreconnect\n", "client",
	       "ERR: c.cnf:2: reconnect: refused: the library would reconnect behind the prober's back",
	       "reconnect (no value) refused");
	expect("[client]\nlocal_infile=1\n", "client",
	       "ERR: c.cnf:2: local-infile: refused: it lets a server read lagwlcd's local files",
	       "local_infile refused");
	expect("[client]\nuser=u\n!include /home/eve/x.cnf\n", "client",
	       "ERR: c.cnf:3: !include: refused: lagwlcd reads one option file, checked (name it in option_file)",
	       "!include refused");
	expect("[mysqld]\n  !includedir /etc/mysql/conf.d/\n", "client",
	       "ERR: c.cnf:2: !includedir: refused: lagwlcd reads one option file, checked (name it in option_file)",
	       "!includedir refused in any group (the library follows it in any)");
	expect("user=u\n[client]\n", "client",
	       "ERR: c.cnf:1: an option before any [group] (the client library stops reading there)",
	       "an option before any group refused");
	expect("[client\nuser=u\n", "client", "ERR: c.cnf:1: [group: no closing ']'",
	       "an unclosed [group refused");
}

static void test_long_and_nul(void)
{
	char buf[1200];
	size_t len;
	char *out;
	int r;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "[client]\nuser=", 14);
	buf[sizeof(buf) - 1] = '\0';
	r = optfile_filter("c.cnf", buf, strlen(buf), "client", &out, &len, err, sizeof(err));
	tap_ok(r < 0 && !strcmp(err, "c.cnf:2: line longer than 1024 bytes"),
	       "a line longer than 1024 bytes refused (the library would split it): %s", err);
	r = optfile_filter("c.cnf", "[client]\nuser=a\0b\n", 18, "client", &out, &len, err, sizeof(err));
	tap_ok(r < 0 && !strcmp(err, "c.cnf: a NUL byte: not a text file"), "a NUL byte refused: %s", err);
}

static void test_files(void)
{
	char dir[] = "/tmp/test_optfile.XXXXXX", path[256], want[1024];
	size_t len;
	char *out;
	int fd, r;

	if (!mkdtemp(dir)) {
		tap_ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/client.cnf", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	(void)!write(fd, "[client]\nuser=u\nconnect-timeout=6\n", 34);
	close(fd);
	r = optfile_read(path, "client", &out, &len, err, sizeof(err));
	tap_ok(r == 0 && !strcmp(out, "[client]\nuser=u\n\n"), "a 0600 file of lagwlcd's user read and filtered");
	free(out);

	r = geteuid() == 0 ? chown(path, 12345, 12345) : -1;
	r = r ? r : optfile_read(path, "client", &out, &len, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s: owned by uid 12345, neither root nor lagwlcd's user (uid 0): chown root %s",
		 path, path);
	if (!tap_ok(r < 0 && !strcmp(err, want), "a 0600 file owned by another user refused"))
		printf("#   got: %s\n", err);
	if (geteuid() == 0)
		(void)!chown(path, 0, 0);

	chmod(path, 0620);
	r = optfile_read(path, "client", &out, &len, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s: writable by its group (mode 0620) but it holds credentials: chmod 600 %s", path, path);
	if (!tap_ok(r < 0 && !strcmp(err, want), "a group-writable file refused"))
		printf("#   got: %s\n", err);
	chmod(path, 0602);
	r = optfile_read(path, "client", &out, &len, err, sizeof(err));
	tap_ok(r < 0 && strstr(err, "writable by everyone (mode 0602)"), "a world-writable file refused");
	chmod(path, 0600);

	fd = open(path, O_WRONLY | O_TRUNC);
	(void)!write(fd, "[client]\nuser=u\n\ndefault-auth=x\n", 32);
	close(fd);
	r = optfile_read(path, "client", &out, &len, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s:4: default-auth: refused: it makes lagwlcd load an authentication plugin", path);
	if (!tap_ok(r < 0 && !strcmp(err, want), "optfile_read: a refused key is FILE:LINE"))
		printf("#   got: %s\n", err);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	tap_plan(22);
	test_filter();
	test_long_and_nul();
	test_files();
	return tap_done();
}
