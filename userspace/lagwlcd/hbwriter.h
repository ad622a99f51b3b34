/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lagwlcd --heartbeat-writer: keep a pt-heartbeat-compatible row fresh on
 * the primary, every poll interval, so that each replica's lag can be read
 * from its copy of the row.
 */
#ifndef LAGWLCD_HBWRITER_H
#define LAGWLCD_HBWRITER_H

#include <signal.h>
#include <stdbool.h>

#include "addr.h"
#include "config.h"

struct hbwriter_opts {
	bool create;		/* create the database and table first if missing */
	bool dry_run;		/* -n: connect and check, write nothing */
	bool ignore_read_only;	/* write even when the server is read_only */
};

/*
 * Write to the server at ep (credentials, table and interval from cfg's
 * global settings) until one of the signals of sigs but SIGHUP arrives.
 * Before each write, @@global.read_only is read: a read_only server (a
 * replica, or a primary being demoted; MySQL's super_read_only sets it too)
 * is not written to unless o->ignore_read_only, as pt-heartbeat
 * --check-read-only: a write there by an account with SUPER would be an
 * errant transaction. Returns the exit status.
 */
int hbwriter_run(const struct config *cfg, const struct endpoint *ep,
		 const struct hbwriter_opts *o, const sigset_t *sigs);

#endif
