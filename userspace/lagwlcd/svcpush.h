/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The [service] sections of lagwlcd.conf kept in the module: every rescan
 * lagwlcd reads the services' settings back (LAGWLC_CMD_SVC_GET dump) and
 * sets those that are missing or differ (LAGWLC_CMD_SVC_SET), so they are
 * there at start, after a reload, and within a rescan of the module coming
 * back (rmmod; modprobe), with no state to lose in between. Settings of
 * services the configuration does not name (lagwlcctl service set) are
 * left alone, except those a reload removed from the configuration.
 */
#ifndef LAGWLCD_SVCPUSH_H
#define LAGWLCD_SVCPUSH_H

#include "config.h"
#include "nl.h"

struct svcpush {
	int last_err;		/* the failure last logged, 0 after a success */
};

/* Make the module hold cfg's [service] settings; nothing if the family is unknown. */
void svcpush_sync(struct svcpush *sp, struct lnl *nl, const struct config *cfg);

/* A reload: forget the settings of services old has and new does not. */
void svcpush_forget(struct svcpush *sp, struct lnl *nl, const struct config *old,
		    const struct config *new);

#endif
