// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcd's log (userspace/lagwlcd/log.c): what servers say (error texts,
 * channel names) reaches the log with its control characters escaped, so
 * that a server cannot forge or hide a log line.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static void esc(const char *in, size_t outlen, const char *want, const char *what)
{
	char out[256];
	size_t n = log_escape(in, out, outlen);

	if (!tap_ok(!strcmp(out, want) && n == strlen(want), "%s", what))
		printf("#   got \"%s\" (%zu), want \"%s\"\n", out, n, want);
}

int main(void)
{
	char buf[4096], *nl;
	FILE *f;
	size_t n;
	int saved;

	tap_plan(7);
	esc("plain text, UTF-8 \xc3\xa9 kept", 256, "plain text, UTF-8 \xc3\xa9 kept",
	    "printable text and UTF-8 unchanged");
	esc("a\nb\rc\td\x1b[31me\x7f", 256, "a\\x0ab\\x0dc\\x09d\\x1b[31me\\x7f",
	    "newline, CR, tab, ESC and DEL escaped as \\xNN");
	esc("ab\ncd", 6, "ab", "cut before an escape that does not fit");
	esc("abcdef", 4, "abc", "cut at the buffer's end, terminated");

	/* the real log line, on stderr: one line whatever the server said */
	f = tmpfile();
	saved = dup(2);
	if (!f || saved < 0 || dup2(fileno(f), 2) < 0) {
		tap_ok(0, "stderr to a temporary file");
		return 1;
	}
	log_msg(LOG_ERR, "r1: %s", "Error 'x'\n12:00:00.000 lagwlcd: r2 ok\r\x1b[2K");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	nl = strchr(buf, '\n');
	tap_ok(nl && nl[1] == '\0', "a server's newline does not make a second log line");
	tap_ok(strstr(buf, "error: r1: Error 'x'\\x0a12:00:00.000 lagwlcd: r2 ok\\x0d\\x1b[2K\n") != NULL,
	       "the line as logged: %.*s", (int)(nl ? nl - buf : 0), buf);
	tap_ok(!strchr(buf, '\r') && !strchr(buf, '\x1b'), "no CR or ESC reaches the log");
	return tap_done();
}
