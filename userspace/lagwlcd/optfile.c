// SPDX-License-Identifier: GPL-2.0
/* The client option file, checked and filtered for libmariadb (optfile.h). */
#define _GNU_SOURCE	/* memfd_create */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "optfile.h"

/* The largest option file read (it holds a few credentials). */
#define OPTFILE_SIZE_MAX	(1u << 20)

/* Keys lagwlcd sets itself: left out of the copy, lagwlcd's value wins. */
static const char *const own_keys[] = {
	"timeout", "connect-timeout", "read-timeout", "write-timeout", "protocol",
};

/* Keys that refuse the file, and why. */
static const struct {
	const char *key;
	const char *why;
} refused_keys[] = {
	{ "plugin-dir", "it makes lagwlcd load shared objects from another directory" },
	{ "default-auth", "it makes lagwlcd load an authentication plugin" },
	{ "reconnect", "the library would reconnect behind the prober's back" },
	{ "local-infile", "it lets a server read lagwlcd's local files" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int fail(char *err, size_t errlen, const char *file, unsigned int line,
		const char *fmt, const char *arg)
{
	int n = snprintf(err, errlen, "%s:%u: ", file, line);

	if (n >= 0 && (size_t)n < errlen) {
		char *c;

		snprintf(err + n, errlen - (size_t)n, fmt, arg);
		for (c = err + n; *c; c++)
			if (!isprint((unsigned char)*c))
				*c = '?';
	}
	return -1;
}

/* key (len bytes) as the library would match it: lower case, '_' as '-'. */
static void normalize(const char *key, size_t len, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = key[i] == '_' ? '-' : (char)tolower((unsigned char)key[i]);
	out[i] = '\0';
}

static bool read_group(const char *name, size_t len, const char *group)
{
	static const char *const fixed[] = { "client", "client-server", "client-mariadb" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		if (strlen(fixed[i]) == len && !memcmp(name, fixed[i], len))
			return true;
	return group && *group && strlen(group) == len && !memcmp(name, group, len);
}

int optfile_filter(const char *file, const char *buf, size_t len, const char *group,
		   char **out, size_t *outlen, char *err, size_t errlen)
{
	bool seen_group = false, reading = false;
	const char *p = buf, *end = buf + len;
	unsigned int line = 0;
	size_t o = 0;
	char *copy;

	*out = NULL;
	*outlen = 0;
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s: a NUL byte: not a text file", file);
		return -1;
	}
	copy = malloc(len + 1);
	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *s = p, *e = eol;
		size_t n = (size_t)(eol - p);
		bool keep = true;
		char key[64];

		line++;
		if (n > OPTFILE_LINE_MAX) {
			fail(err, errlen, file, line, "line longer than %s bytes", "1024");
			goto err;
		}
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s < e && *s == '!') {
			/* the library reads !include FILE and !includedir DIR in any group */
			const char *w = s + 1;

			while (w < e && !isspace((unsigned char)*w))
				w++;
			normalize(s, (size_t)(w - s), key, sizeof(key));
			fail(err, errlen, file, line,
			     "%s: refused: lagwlcd reads one option file, checked (name it in option_file)",
			     key);
			goto err;
		} else if (s == e || *s == '#' || *s == ';' || *s == '\'' || *s == '"') {
			/* blank, a comment, or a line the library skips */
		} else if (*s == '[') {
			const char *c = memchr(s, ']', (size_t)(e - s)), *ge;

			if (!c) {
				fail(err, errlen, file, line, "%s: no closing ']'", "[group");
				goto err;
			}
			for (ge = c; ge > s + 1 && isspace((unsigned char)ge[-1]); ge--)
				;
			seen_group = true;
			reading = read_group(s + 1, (size_t)(ge - s - 1), group);
		} else if (!seen_group) {
			fail(err, errlen, file, line,
			     "an option before any [group]%s (the client library stops reading there)",
			     "");
			goto err;
		} else if (reading) {
			const char *k = memchr(s, '=', (size_t)(e - s)), *ke = k ? k : e;
			size_t i;

			while (ke > s && isspace((unsigned char)ke[-1]))
				ke--;
			normalize(s, (size_t)(ke - s), key, sizeof(key));
			for (i = 0; i < ARRAY_SIZE(refused_keys); i++)
				if (!strcmp(key, refused_keys[i].key)) {
					char msg[160];

					snprintf(msg, sizeof(msg), "%%s: refused: %s",
						 refused_keys[i].why);
					fail(err, errlen, file, line, msg, key);
					goto err;
				}
			for (i = 0; i < ARRAY_SIZE(own_keys); i++)
				if (!strcmp(key, own_keys[i]))
					keep = false;
		}
		if (keep) {
			memcpy(copy + o, p, n);
			o += n;
		}
		/* a line left out stays a line: the copy's line numbers are the file's */
		if (nl)
			copy[o++] = '\n';
		p = nl ? nl + 1 : end;
	}
	copy[o] = '\0';
	*out = copy;
	*outlen = o;
	return 0;
err:
	free(copy);
	return -1;
}

int optfile_read(const char *path, const char *group, char **out, size_t *outlen,
		 char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, r;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s: owned by uid %u, neither root nor lagwlcd's user (uid %u): chown root %s",
			 path, (unsigned int)st.st_uid, (unsigned int)geteuid(), path);
		goto fail;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "%s: %s by %s (mode %04o) but it holds credentials: chmod 600 %s",
			 path, st.st_mode & (S_IRGRP | S_IROTH) ? "readable" : "writable",
			 st.st_mode & (S_IROTH | S_IWOTH) ? "everyone" : "its group",
			 (unsigned int)(st.st_mode & 07777), path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > OPTFILE_SIZE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, OPTFILE_SIZE_MAX);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			snprintf(err, errlen, "%s: grew while being read", path);
			free(buf);
			goto fail;
		}
	}
	close(fd);
	r = optfile_filter(path, buf, len, group, out, outlen, err, errlen);
	free(buf);
	return r;
fail:
	close(fd);
	return -1;
}

int optfile_open_filtered(const char *path, const char *group, char *name, size_t namelen,
			  char *err, size_t errlen)
{
	size_t len, off = 0;
	char *text;
	int fd;

	if (optfile_read(path, group, &text, &len, err, errlen) < 0)
		return -1;
	fd = memfd_create("lagwlcd-client.cnf", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: memfd_create: %s", path, strerror(errno));
		free(text);
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: copy: %s", path, n < 0 ? strerror(errno) : "short write");
			free(text);
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	free(text);
	snprintf(name, namelen, "/proc/self/fd/%d", fd);
	return fd;
}
