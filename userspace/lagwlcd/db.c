// SPDX-License-Identifier: GPL-2.0
/* libmariadb connections and queries for lagwlcd. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errmsg.h>

#include "db.h"
#include "optfile.h"

MYSQL *db_prepare(const struct settings *s, bool nonblock, int *cnf_fd, char *err, size_t errlen)
{
	unsigned int secs = (s->timeout_ms + 999) / 1000, proto = MYSQL_PROTOCOL_TCP;
	my_bool no = 0;
	unsigned int zero = 0;
	char cnf[32];
	MYSQL *m;

	*cnf_fd = -1;
	if (s->option_file[0]) {
		/*
		 * libmariadb reads the option file inside mysql_real_connect(),
		 * after the options below, and what it reads wins: it gets a
		 * checked copy without the keys lagwlcd sets (optfile.h), read
		 * again at every connection as the library would.
		 */
		*cnf_fd = optfile_open_filtered(s->option_file, s->option_group, cnf, sizeof(cnf),
						err, errlen);
		if (*cnf_fd < 0)
			return NULL;
	}
	m = mysql_init(NULL);
	if (!m || (nonblock && mysql_options(m, MYSQL_OPT_NONBLOCK, 0))) {
		snprintf(err, errlen, "out of memory");
		if (m)
			mysql_close(m);
		if (*cnf_fd >= 0)
			close(*cnf_fd);
		*cnf_fd = -1;
		return NULL;
	}
	/*
	 * In whole seconds; in non-blocking mode they only make the library
	 * ask for a timeout, which the caller's loop reports at its own,
	 * millisecond, deadline.
	 */
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &secs);
	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(m, MYSQL_OPT_RECONNECT, &no);
	mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &zero);
	if (*cnf_fd >= 0) {
		/* credentials and TLS (ssl-ca, ssl-cert...) come from here */
		mysql_options(m, MYSQL_READ_DEFAULT_FILE, cnf);
		mysql_options(m, MYSQL_READ_DEFAULT_GROUP, s->option_group);
	}
	return m;
}

MYSQL *db_connect(const struct endpoint *ep, const struct settings *s, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN], e[EP_STRLEN];
	int cnf_fd;
	MYSQL *m = db_prepare(s, false, &cnf_fd, err, errlen);

	if (!m)
		return NULL;
	ep_format_addr(ep, host, sizeof(host));
	if (!mysql_real_connect(m, host, NULL, NULL, NULL, ep->port, NULL, 0)) {
		snprintf(err, errlen, "cannot connect to %s: %s (%u)", ep_format(ep, e, sizeof(e)),
			 mysql_error(m), mysql_errno(m));
		mysql_close(m);
		m = NULL;
	}
	if (cnf_fd >= 0)
		close(cnf_fd);
	return m;
}

bool db_conn_lost(MYSQL *m)
{
	unsigned int e = mysql_errno(m);

	return e >= CR_MIN_ERROR && e <= CR_MAX_ERROR;
}

int db_result_load(MYSQL_RES *res, const char *what, struct db_result *r, char *err,
		   size_t errlen)
{
	size_t nrows, ncols, i, j;
	MYSQL_FIELD *f;
	MYSQL_ROW row;

	r->res = res;
	ncols = mysql_num_fields(r->res);
	nrows = (size_t)mysql_num_rows(r->res);
	r->names = calloc(ncols + 1, sizeof(*r->names));
	r->values = calloc(nrows * ncols + 1, sizeof(*r->values));
	if (!r->names || !r->values) {
		snprintf(err, errlen, "%s: out of memory", what);
		db_result_free(r);
		return -1;
	}
	f = mysql_fetch_fields(r->res);
	for (j = 0; j < ncols; j++)
		r->names[j] = f[j].name;
	for (i = 0; i < nrows && (row = mysql_fetch_row(r->res)); i++)
		for (j = 0; j < ncols; j++)
			r->values[i * ncols + j] = row[j];
	r->view.ncols = ncols;
	r->view.nrows = i;
	r->view.names = r->names;
	r->view.values = r->values;
	return 0;
}

int db_query(MYSQL *m, const char *query, const char *what, struct db_result *r,
	     char *err, size_t errlen)
{
	MYSQL_RES *res;

	memset(r, 0, sizeof(*r));
	if (mysql_query(m, query)) {
		snprintf(err, errlen, "%s: %s (%u)", what, mysql_error(m), mysql_errno(m));
		return -1;
	}
	res = mysql_store_result(m);
	if (!res) {
		if (mysql_errno(m))
			snprintf(err, errlen, "%s: %s (%u)", what, mysql_error(m), mysql_errno(m));
		else
			snprintf(err, errlen, "%s: no result set", what);
		return -1;
	}
	return db_result_load(res, what, r, err, errlen);
}

void db_result_free(struct db_result *r)
{
	if (r->res)
		mysql_free_result(r->res);
	free(r->names);
	free(r->values);
	memset(r, 0, sizeof(*r));
}

int db_exec(MYSQL *m, const char *stmt, char *err, size_t errlen)
{
	MYSQL_RES *res;

	if (mysql_query(m, stmt)) {
		snprintf(err, errlen, "%s: %s (%u)", stmt, mysql_error(m), mysql_errno(m));
		return -1;
	}
	res = mysql_store_result(m);
	if (res)
		mysql_free_result(res);
	return 0;
}
