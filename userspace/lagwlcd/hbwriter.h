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

/*
 * Write to the server at ep (credentials, table and interval from cfg's
 * global settings) until one of the signals of sigs but SIGHUP arrives;
 * with create, create the database and table first if missing. Returns the
 * exit status.
 */
int hbwriter_run(const struct config *cfg, const struct endpoint *ep, bool create,
		 const sigset_t *sigs);

#endif
