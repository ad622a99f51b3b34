// SPDX-License-Identifier: GPL-2.0
/*
 * The heartbeat writer. The row is (ts, server_id): ts the primary's
 * UTC_TIMESTAMP(6) as 'YYYY-MM-DDTHH:MM:SS.ffffff', as pt-heartbeat --utc
 * writes it. server_id is read once per connection and written as a
 * literal: @@server_id in the statement itself would, under statement-based
 * replication, be evaluated again on each replica. UTC_TIMESTAMP(6) is safe
 * there: replicas replay it with the primary's event time.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysqld_error.h>

#include "db.h"
#include "hbwriter.h"
#include "log.h"
#include "timing.h"

#define BACKOFF_MAX_MS 5000

static int create_table(MYSQL *m, const struct settings *s, char *err, size_t errlen)
{
	char q[512];

	snprintf(q, sizeof(q), "CREATE DATABASE IF NOT EXISTS `%s`", s->heartbeat_db);
	if (db_exec(m, q, err, errlen) < 0)
		return -1;
	snprintf(q, sizeof(q),
		 "CREATE TABLE IF NOT EXISTS `%s`.`%s` ("
		 "ts varchar(26) NOT NULL, "
		 "server_id int unsigned NOT NULL PRIMARY KEY, "
		 "file varchar(255) DEFAULT NULL, "
		 "position bigint unsigned DEFAULT NULL, "
		 "relay_master_log_file varchar(255) DEFAULT NULL, "
		 "exec_master_log_pos bigint unsigned DEFAULT NULL)",
		 s->heartbeat_db, s->heartbeat_tbl);
	return db_exec(m, q, err, errlen);
}

/* @@server_id of the connection's server: 0 or -1. */
static int server_id(MYSQL *m, unsigned long *id, char *err, size_t errlen)
{
	struct db_result r;
	int ret = -1;

	if (db_query(m, "SELECT @@server_id", "SELECT @@server_id", &r, err, errlen) < 0)
		return -1;
	if (r.view.nrows == 1 && r.view.ncols == 1 && r.view.values[0]) {
		*id = strtoul(r.view.values[0], NULL, 10);
		ret = 0;
	} else {
		snprintf(err, errlen, "SELECT @@server_id: no answer");
	}
	db_result_free(&r);
	return ret;
}

/* @@global.read_only: 1, 0, or -1 with the reason in err. */
static int read_only(MYSQL *m, char *err, size_t errlen)
{
	struct db_result r;
	int ro = -1;

	if (db_query(m, "SELECT @@global.read_only", "SELECT @@global.read_only", &r, err,
		     errlen) < 0)
		return -1;
	if (r.view.nrows == 1 && r.view.ncols == 1)
		ro = read_only_parse(r.view.values[0]);
	if (ro < 0)
		snprintf(err, errlen, "SELECT @@global.read_only: \"%s\" is neither ON, OFF, 1 nor 0",
			 r.view.nrows == 1 && r.view.ncols == 1 && r.view.values[0] ?
			 r.view.values[0] : "NULL");
	db_result_free(&r);
	return ro;
}

int hbwriter_run(const struct config *cfg, const struct endpoint *ep,
		 const struct hbwriter_opts *o, const sigset_t *sigs)
{
	bool create = o->create, need_create = false;
	const struct settings *s = &cfg->global;
	char err[VERDICT_REASON_MAX] = "", logged[VERDICT_REASON_MAX] = "", q[512], e[EP_STRLEN];
	uint64_t next = mono_ms(), backoff = 0, writes = 0;
	unsigned long id = 0;
	MYSQL *m = NULL;
	int sig;

	ep_format(ep, e, sizeof(e));
	log_notice("heartbeat writer for %s: REPLACE INTO `%s`.`%s` every %u ms%s%s", e,
		   s->heartbeat_db, s->heartbeat_tbl, cfg->poll_ms,
		   o->dry_run ? ", dry run: nothing written" : "",
		   o->ignore_read_only ? ", even if read_only" : "");
	for (;;) {
		bool ok = false;

		if (!m) {
			m = db_connect(ep, s, err, sizeof(err));
			if (m && server_id(m, &id, err, sizeof(err)) < 0) {
				mysql_close(m);
				m = NULL;
			}
			need_create = create;
			if (m)
				backoff = 0;
			else
				backoff = backoff ? backoff * 2 : cfg->poll_ms;
			if (backoff > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
		}
		if (m) {
			int ro = o->ignore_read_only ? 0 : read_only(m, err, sizeof(err));

			snprintf(q, sizeof(q),
				 "REPLACE INTO `%s`.`%s` (ts, server_id) VALUES "
				 "(DATE_FORMAT(UTC_TIMESTAMP(6), '%%Y-%%m-%%dT%%H:%%i:%%s.%%f'), %lu)",
				 s->heartbeat_db, s->heartbeat_tbl, id);
			/* the table too is created only where writing is allowed */
			if (ro == 0 && need_create && !o->dry_run) {
				if (create_table(m, s, err, sizeof(err)) < 0)
					ro = -1;
				else
					need_create = false;
			}
			if (ro > 0) {
				snprintf(err, sizeof(err),
					 "%s is read_only: not writing (a replica? --ignore-read-only writes anyway)",
					 e);
			} else if (ro == 0 && o->dry_run) {
				ok = true;
				if (!writes++)
					log_notice("heartbeat writer: dry run: would write to %s (server_id %lu): %s",
						   e, id, q);
			} else if (ro == 0 && db_exec(m, q, err, sizeof(err)) == 0) {
				ok = true;
				writes++;
			} else if (ro == 0) {
				if (mysql_errno(m) == ER_NO_SUCH_TABLE && !create)
					snprintf(err + strlen(err), sizeof(err) - strlen(err),
						 " (lagwlcd --heartbeat-writer --create-table creates it)");
			}
			if (!ok && db_conn_lost(m)) {
				mysql_close(m);
				m = NULL;
			}
		}
		if (ok && logged[0]) {
			log_notice("heartbeat writer: writing to %s again (server_id %lu)", e, id);
			logged[0] = '\0';
		} else if (ok && writes == 1 && !o->dry_run) {
			log_notice("heartbeat writer: writing to %s (server_id %lu)", e, id);
		} else if (!ok && strcmp(logged, err)) {
			log_err("heartbeat writer: %s", err);
			snprintf(logged, sizeof(logged), "%s", err);
		}
		next += ok || !backoff ? cfg->poll_ms : backoff;
		if (next < mono_ms())
			next = mono_ms();
		while ((sig = signal_wait_until(sigs, next)) == SIGHUP)
			log_info("heartbeat writer: SIGHUP: nothing to reload");
		if (sig)
			break;
	}
	log_notice("heartbeat writer: exiting after %llu %s", (unsigned long long)writes,
		   o->dry_run ? "dry-run rounds, nothing written" : "writes");
	if (m)
		mysql_close(m);
	return 0;
}
