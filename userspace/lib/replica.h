/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lagwlc's replica nest (LAGWLC_A_REPLICA): built for requests, parsed from
 * replies and events, printed as text and JSON.
 */
#ifndef LAGWLCCTL_REPLICA_H
#define LAGWLCCTL_REPLICA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netlink/msg.h>

#include "addr.h"
#include "json.h"

struct replica {
	struct endpoint ep;
	bool has_lag, has_state, has_old_state, has_reason, has_age;
	uint32_t lag_ms;
	uint32_t age_ms;
	uint8_t health;		/* enum lagwlc_health, 0 if absent */
	uint8_t state;		/* enum lagwlc_state */
	uint8_t old_state;
	uint8_t reason;		/* enum lagwlc_reason */
};

/*
 * Append a LAGWLC_A_REPLICA nest with ep's key; LAGWLC_R_LAG_MS if has_lag,
 * LAGWLC_R_HEALTH if health is non-zero. 0 or a negative libnl error.
 */
int replica_put(struct nl_msg *msg, const struct endpoint *ep, bool has_lag,
		uint32_t lag_ms, int health);

/* Parse the LAGWLC_A_REPLICA nest of a reply or event: 0 or -NLE_PARSE_ERR. */
int replica_parse(struct nl_msg *msg, struct replica *r);

/*
 * Call fn with the key of each LAGWLC_A_REPLICA of msg (the replicas a
 * REPLICA_SET refused): 0 or -NLE_PARSE_ERR.
 */
int replica_parse_keys(struct nl_msg *msg, void (*fn)(const struct endpoint *ep, void *arg),
		       void *arg);

/*
 * Name what sits at byte offset offs of lagwlc request req, as the kernel's
 * extended ACK points at it: "replica 10.0.0.1:3306, LAGWLC_R_LAG_MS".
 */
void replica_describe_offset(struct nlmsghdr *req, uint32_t offs, char *buf, size_t len);

/* "10.0.0.1:3306 lag 120 ms health up state ok age 85 ms" and a newline. */
void replica_print(FILE *f, const struct replica *r);

/*
 * The members "lag_ms", "health", "state" and "age_ms" of r, all null
 * when r is NULL (no entry).
 */
void replica_json_fields(struct json *j, const struct replica *r);

/* { "address", "port", then replica_json_fields } as one object. */
void replica_json(struct json *j, const struct replica *r);

#endif
