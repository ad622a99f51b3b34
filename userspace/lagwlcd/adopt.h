/* SPDX-License-Identifier: GPL-2.0 */
/*
 * adopt: services another program owns (keepalived, which refuses
 * schedulers it does not know, so keepalived.conf says lb_algo wlc) are
 * switched to lagwlc with IPVS_CMD_SET_SERVICE, everything else kept as
 * read, and switched back whenever something resets them. Each change is
 * logged, each trouble once until it changes.
 */
#ifndef LAGWLCD_ADOPT_H
#define LAGWLCD_ADOPT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ipvs.h"
#include "nl.h"

enum adopt_seen {
	ADOPT_UNKNOWN,		/* not looked at yet */
	ADOPT_MISSING,		/* no such IPVS service */
	ADOPT_OURS,		/* scheduler lagwlc */
	ADOPT_FAILED,		/* switching failed */
};

/* What lagwlcd last saw of each adopt entry, parallel to cfg->adopts. */
struct adopt_memo {
	enum adopt_seen *seen;
	int *err;
	size_t n;
};

/* A memo for cfg's adopt entries (all unknown); 0 or -1 (out of memory). */
int adopt_memo_init(struct adopt_memo *m, const struct config *cfg);
void adopt_memo_free(struct adopt_memo *m);

/*
 * Look at each adopt entry of cfg in t (ipvs_read's, all services) and
 * switch those not on lagwlc; with dry_run only say so. Returns how many
 * were switched (t is then out of date).
 */
int adopt_run(struct lnl *nl, const struct config *cfg, const struct ipvs_table *t,
	      struct adopt_memo *m, bool dry_run);

#endif
