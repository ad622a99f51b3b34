// SPDX-License-Identifier: GPL-2.0
/*
 * Replica status and heartbeat answers, judged. Column names differ between
 * versions (MySQL 8.0.22 renamed Slave_* and *_Master to Replica_* and
 * *_Source, MariaDB kept the old ones and adds Connection_name), so every
 * column is found by name.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <linux/lagwlc.h>

#include "lagsource.h"

long rs_column(const struct rs_view *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->ncols; i++)
		if (st->names[i] && !strcasecmp(st->names[i], name))
			return (long)i;
	return -1;
}

/* The first of two spellings that the result has. */
static long column2(const struct rs_view *st, const char *a, const char *b)
{
	long c = rs_column(st, a);

	return c >= 0 ? c : rs_column(st, b);
}

static const char *cell(const struct rs_view *st, size_t row, long col)
{
	return col < 0 ? NULL : st->values[row * st->ncols + (size_t)col];
}

int seconds_to_ms(const char *s, uint32_t *ms)
{
	unsigned long long v = 0;
	const char *p;

	if (!s || !*s)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v <= LAGWLC_LAG_MAX_MS)
			v = v * 10 + (unsigned long long)(*p - '0');
	}
	v *= 1000;
	*ms = v > LAGWLC_LAG_MAX_MS ? LAGWLC_LAG_MAX_MS : (uint32_t)v;
	return 0;
}

/* ": ERROR" when the error column has text, else "". */
static const char *detail(const char *err, char *buf, size_t len)
{
	if (!err || !*err)
		return "";
	snprintf(buf, len, ": %.300s", err);
	return buf;
}

void status_eval(const struct rs_view *st, const struct lag_policy *pol, struct verdict *v)
{
	long c_name = column2(st, "Connection_name", "Channel_Name");
	long c_io = column2(st, "Replica_IO_Running", "Slave_IO_Running");
	long c_sql = column2(st, "Replica_SQL_Running", "Slave_SQL_Running");
	long c_sbm = rs_column(st, "Seconds_Behind_Source");
	const char *sbm_name = "Seconds_Behind_Source";
	char det[320];
	size_t row;

	memset(v, 0, sizeof(*v));
	if (c_sbm < 0) {
		c_sbm = rs_column(st, "Seconds_Behind_Master");
		sbm_name = "Seconds_Behind_Master";
	}
	if (st->nrows == 0) {
		v->not_replica = true;
		if (pol->not_replica_primary) {
			v->up = true;
			v->has_lag = true;
			v->lag_ms = 0;
		} else {
			snprintf(v->reason, sizeof(v->reason),
				 "not a replica (no replication configured; not_replica = primary would count it as a primary)");
		}
		return;
	}
	if (c_io < 0 || c_sql < 0 || (!pol->heartbeat && c_sbm < 0)) {
		snprintf(v->reason, sizeof(v->reason),
			 "the replica status has no %s column",
			 c_sql < 0 ? "Replica_SQL_Running or Slave_SQL_Running" :
			 c_io < 0 ? "Replica_IO_Running or Slave_IO_Running" :
			 "Seconds_Behind_Source or Seconds_Behind_Master");
		return;
	}
	v->up = true;
	v->has_lag = !pol->heartbeat;
	for (row = 0; row < st->nrows; row++) {
		const char *name = cell(st, row, c_name);
		const char *io = cell(st, row, c_io);
		const char *sql = cell(st, row, c_sql);
		const char *sbm = cell(st, row, c_sbm);
		char chan[128] = "", why[VERDICT_REASON_MAX] = "";
		uint32_t ms = 0;

		if (name && *name)
			snprintf(chan, sizeof(chan), "channel '%.80s': ", name);
		else if (st->nrows > 1)
			snprintf(chan, sizeof(chan), "default channel: ");
		if (!sql || strcasecmp(sql, "Yes")) {
			snprintf(why, sizeof(why), "SQL thread not running (%s)%s",
				 sql ? sql : "NULL",
				 detail(cell(st, row, rs_column(st, "Last_SQL_Error")), det, sizeof(det)));
		} else if ((!io || strcasecmp(io, "Yes")) && pol->io_stopped_down) {
			snprintf(why, sizeof(why), "IO thread not running (%s)%s",
				 io ? io : "NULL",
				 detail(cell(st, row, rs_column(st, "Last_IO_Error")), det, sizeof(det)));
		} else if (!pol->heartbeat && !sbm) {
			snprintf(why, sizeof(why), "lag unknown: %s is NULL", sbm_name);
		} else if (!pol->heartbeat && seconds_to_ms(sbm, &ms) < 0) {
			snprintf(why, sizeof(why), "%s is \"%.40s\", not a number of seconds",
				 sbm_name, sbm);
		}
		if (why[0]) {
			snprintf(v->reason, sizeof(v->reason), "%s%s", chan, why);
			snprintf(v->channel, sizeof(v->channel), "%s", name ? name : "");
			v->up = false;
			v->has_lag = false;
			v->lag_ms = 0;
			return;
		}
		if (!pol->heartbeat && (row == 0 || ms > v->lag_ms)) {
			v->lag_ms = ms;
			snprintf(v->channel, sizeof(v->channel), "%s", name ? name : "");
		}
	}
}

void heartbeat_apply(struct verdict *v, const char *ts, const char *us, uint32_t server_id)
{
	long long x = 0;
	const char *p;
	bool neg = false;

	if (!v->up || v->not_replica)
		return;
	if (!ts) {
		v->up = false;
		v->has_lag = false;
		if (server_id)
			snprintf(v->reason, sizeof(v->reason),
				 "no heartbeat row for server_id %u (is the heartbeat writer running on the primary?)",
				 server_id);
		else
			snprintf(v->reason, sizeof(v->reason),
				 "the heartbeat table is empty (is the heartbeat writer running on the primary?)");
		return;
	}
	if (!us)
		goto bad;
	p = us;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		if (x <= (long long)LAGWLC_LAG_MAX_MS * 1000)
			x = x * 10 + (*p - '0');
	}
	v->has_lag = true;
	if (neg)
		v->lag_ms = 0;
	else
		v->lag_ms = x / 1000 > LAGWLC_LAG_MAX_MS ? LAGWLC_LAG_MAX_MS : (uint32_t)(x / 1000);
	return;
bad:
	v->up = false;
	v->has_lag = false;
	snprintf(v->reason, sizeof(v->reason),
		 "heartbeat ts \"%.40s\" is not a timestamp 'YYYY-MM-DDTHH:MM:SS.ffffff'", ts);
}

int read_only_parse(const char *v)
{
	if (!v)
		return -1;
	if (!strcmp(v, "1") || !strcasecmp(v, "ON"))
		return 1;
	if (!strcmp(v, "0") || !strcasecmp(v, "OFF"))
		return 0;
	return -1;
}
