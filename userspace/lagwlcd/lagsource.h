/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a replica's answers mean: health and lag from the shapes of
 * SHOW REPLICA STATUS / SHOW SLAVE STATUS / SHOW ALL SLAVES STATUS (columns
 * found by name, every channel looked at, the worst one counts) and from
 * the heartbeat query. Pure code: no server, no I/O, so that the unit tests
 * drive it with recorded result shapes of each MySQL and MariaDB version.
 */
#ifndef LAGWLCD_LAGSOURCE_H
#define LAGWLCD_LAGSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A result set as the client library hands it over: ncols column names,
 * then nrows rows of ncols values each (row-major), NULL for SQL NULL.
 */
struct rs_view {
	size_t ncols, nrows;
	const char *const *names;
	const char *const *values;
};

struct lag_policy {
	bool heartbeat;			/* the lag comes from the heartbeat table */
	bool io_stopped_down;		/* an IO thread not running means down */
	bool not_replica_primary;	/* no replication configured: up, lag 0 */
};

#define VERDICT_REASON_MAX 512

struct verdict {
	bool up;
	bool has_lag;			/* up, and the lag is known (or not needed yet) */
	uint32_t lag_ms;
	bool not_replica;		/* no replication configured at all */
	char reason[VERDICT_REASON_MAX];	/* why down; "" when up */
	char channel[96];		/* the channel that decided ("" for the default one) */
};

/*
 * Judge the status result set st under policy pol. Every channel (row)
 * counts: the replica is down if any channel is (the first one down names
 * the reason), else its lag is the largest. With pol->heartbeat the lag is
 * left for heartbeat_apply() (has_lag false).
 */
void status_eval(const struct rs_view *st, const struct lag_policy *pol, struct verdict *v);

/*
 * Apply the heartbeat query's answer: ts is the newest (or server_id's)
 * heartbeat row's ts, NULL when there is no such row; us is the replica's
 * UTC_TIMESTAMP(6) minus that ts in microseconds, as text, NULL when ts is
 * not a timestamp. A negative difference (clocks of primary and replica
 * apart) counts as 0. Changes v only when it is up and a replica.
 */
void heartbeat_apply(struct verdict *v, const char *ts, const char *us, uint32_t server_id);

/* Seconds (text) as milliseconds, at most LAGWLC_LAG_MAX_MS: 0 or -1. */
int seconds_to_ms(const char *s, uint32_t *ms);

/*
 * @@global.read_only (or super_read_only) as the server answered it: 1 for
 * ON or 1, 0 for OFF or 0 (any case), -1 for NULL or anything else.
 */
int read_only_parse(const char *v);

/* The index of column name (case-insensitive) in st, or -1. */
long rs_column(const struct rs_view *st, const char *name);

#endif
