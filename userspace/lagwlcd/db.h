/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connections to MySQL/MariaDB servers through libmariadb: credentials and
 * TLS from the option file, timeouts on connect, read and write, TCP only.
 */
#ifndef LAGWLCD_DB_H
#define LAGWLCD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <mysql.h>

#include "addr.h"
#include "config.h"
#include "lagsource.h"

/*
 * A handle with lagwlcd's options set and the option file of s (checked
 * and filtered: optfile.h) named, not connected; nonblock: for the
 * non-blocking API (probe.c). *cnf_fd is the filtered file's descriptor
 * (or -1), to close once the connection is made or failed. NULL with the
 * reason in err.
 */
MYSQL *db_prepare(const struct settings *s, bool nonblock, int *cnf_fd, char *err, size_t errlen);

/*
 * Connect to ep (blocking) with the option file (checked and filtered: optfile.h), group
 * and timeout of s. The client library counts timeouts in whole seconds:
 * s->timeout_ms rounded up.
 * The connection, or NULL with the reason in err.
 */
MYSQL *db_connect(const struct endpoint *ep, const struct settings *s, char *err, size_t errlen);

/* The client library's error codes (2000..2999) mean the connection is gone. */
bool db_conn_lost(MYSQL *m);

/* A result set read whole, with its rs_view. */
struct db_result {
	MYSQL_RES *res;
	const char **names;
	const char **values;
	struct rs_view view;
};

/*
 * Run query and read its result whole into *r: 0, or -1 with
 * "WHAT: ERROR (CODE)" in err. Free with db_result_free() either way.
 */
int db_query(MYSQL *m, const char *query, const char *what, struct db_result *r,
	     char *err, size_t errlen);
void db_result_free(struct db_result *r);

/* The result set res, stored whole, into *r (which owns it from now on): 0 or -1. */
int db_result_load(MYSQL_RES *res, const char *what, struct db_result *r, char *err,
		   size_t errlen);

/* Run a statement that returns no rows: 0, or -1 with the error in err. */
int db_exec(MYSQL *m, const char *stmt, char *err, size_t errlen);

#endif
