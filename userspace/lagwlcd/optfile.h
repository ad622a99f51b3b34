/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client option file (option_file, my.cnf syntax) that gives lagwlcd's
 * connections their credentials and TLS settings, checked and filtered
 * before libmariadb sees it.
 *
 * libmariadb reads the file inside mysql_real_connect(), after every
 * mysql_options() call, so whatever the file sets wins: a connect-timeout
 * there would beat lagwlcd's timeout. So lagwlcd reads the file itself and
 * hands the library a filtered copy (a memfd) in which:
 *   - keys lagwlcd sets itself (timeout, connect-timeout, read-timeout,
 *     write-timeout, protocol) are left out: lagwlcd's settings win;
 *   - keys that load code or change the connection's semantics
 *     (plugin-dir, default-auth, reconnect, local-infile) and the
 *     !include / !includedir directives refuse the whole file with
 *     "FILE:LINE: PROBLEM";
 * in the groups the library reads: [client], [client-server],
 * [client-mariadb] and option_group. Keys are matched as the library
 * matches them, '-' and '_' alike, and in any case.
 *
 * The file must be a regular file owned by root or by lagwlcd's user and
 * neither readable nor writable by its group or others.
 */
#ifndef LAGWLCD_OPTFILE_H
#define LAGWLCD_OPTFILE_H

#include <stddef.h>

/* Longest line accepted (libmariadb splits longer lines into several). */
#define OPTFILE_LINE_MAX	1024

/*
 * Filter len bytes of buf, the option file named file (for messages), for
 * the groups the library reads with option_group group. 0 with a
 * malloc()ed copy in *out (*outlen bytes, NUL-terminated), or -1 with
 * "FILE:LINE: PROBLEM" in err.
 */
int optfile_filter(const char *file, const char *buf, size_t len, const char *group,
		   char **out, size_t *outlen, char *err, size_t errlen);

/*
 * Open path, check its type, owner and mode, read and filter it: the same
 * as optfile_filter(), with "PATH: PROBLEM" when the file itself is wrong.
 */
int optfile_read(const char *path, const char *group, char **out, size_t *outlen,
		 char *err, size_t errlen);

/*
 * optfile_read(), and the filtered copy in a memfd for libmariadb: its
 * descriptor (close it after mysql_real_connect()) with its name,
 * "/proc/self/fd/N", in name (32 bytes), or -1 with the reason in err.
 */
int optfile_open_filtered(const char *path, const char *group, char *name, size_t namelen,
			  char *err, size_t errlen);

#endif
