/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which replicas to probe: the [replica] sections of the configuration,
 * then every real server of every IPVS service whose scheduler is lagwlc
 * (with discover = yes), each key once. Pure code over an IPVS table that
 * ipvs_read() filled, so that it is unit-tested without IPVS.
 */
#ifndef LAGWLCD_DISCOVER_H
#define LAGWLCD_DISCOVER_H

#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "ipvs.h"

#define LAGWLC_SCHED "lagwlc"

/*
 * A discovered real server with port 0 (fwmark services: "the client's
 * port") is probed at MySQL's port; a [replica ADDR:0] section with
 * probe = says otherwise.
 */
#define DISCOVER_PORT0_PROBE 3306

struct target {
	struct endpoint key;		/* the real server */
	struct endpoint probe;		/* where to connect */
	struct settings s;
	char origin[96];		/* "[replica] at line 9", "discovered in TCP 10.0.0.10:3306" */
};

struct targets {
	struct target *v;
	size_t n, cap;
};

/*
 * The replicas of cfg and, when cfg->discover and t is not NULL, those of
 * t's lagwlc services, sorted by key. 0, or -1 when out of memory.
 */
int targets_build(const struct config *cfg, const struct ipvs_table *t, struct targets *out);
void targets_free(struct targets *ts);

#endif
