/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lagwlc: the generic netlink family through which user space reports each
 * database replica's replication lag and health to the lagwlc IPVS
 * scheduler, and reads the derived state back. Shared by ip_vs_lagwlc.ko,
 * lagwlcctl and lagwlcd. docs/netlink/lagwlc.yaml is the specification.
 *
 * A replica is keyed by address and port, the real server's as IPVS has it:
 * one entry applies to every IPVS service of the network namespace that
 * has that real server.
 *
 * Services' settings (LAGWLC_CMD_SVC_*) are keyed by the IPVS service
 * (protocol, virtual address and port, or firewall mark) and override
 * some module parameters for that service only.
 *
 * Every command, reads included, and joining the "events" group need
 * CAP_NET_ADMIN in the user namespace that owns the network namespace.
 */
#ifndef _UAPI_LINUX_LAGWLC_H
#define _UAPI_LINUX_LAGWLC_H

#define LAGWLC_GENL_NAME	"lagwlc"
#define LAGWLC_GENL_VERSION	1
#define LAGWLC_MCGRP_EVENTS	"events"

/* Reported lags above this are stored as this (7 days, in ms). */
#define LAGWLC_LAG_MAX_MS	604800000U

/* At most this many replicas in one LAGWLC_CMD_REPLICA_SET message. */
#define LAGWLC_SET_MAX		256

enum lagwlc_cmd {
	LAGWLC_CMD_UNSPEC,
	/* Report lag and health of one or more replicas (LAGWLC_A_REPLICA,
	 * repeated). A malformed message changes nothing. Replicas already in
	 * the table are always updated; a new one is added only while the
	 * table holds fewer than max_entries. When some are refused for that,
	 * the others are still applied, a reply lists each refused replica
	 * (LAGWLC_A_REPLICA, key only) and the request fails with ENOSPC, its
	 * extack naming the first refused one.
	 */
	LAGWLC_CMD_REPLICA_SET,
	/* Forget one replica (LAGWLC_A_REPLICA with its key only). */
	LAGWLC_CMD_REPLICA_DEL,
	/* Forget every replica of the network namespace. */
	LAGWLC_CMD_REPLICA_FLUSH,
	/* One replica (doit, key only) or all of them (dump). */
	LAGWLC_CMD_REPLICA_GET,
	/* Multicast on "events": a replica's state changed. */
	LAGWLC_CMD_STATE_CHANGE,
	/* Set one service's settings (LAGWLC_A_SERVICE: key and at least one
	 * setting). The settings given replace the service's previous ones;
	 * a setting not given follows the module parameter. Kept whether or
	 * not the service exists, applied when it binds lagwlc, and kept
	 * after it goes, until LAGWLC_CMD_SVC_DEL (at most LAGWLC_SVC_MAX
	 * per network namespace: ENOSPC beyond).
	 */
	LAGWLC_CMD_SVC_SET,
	/* Forget one service's settings (LAGWLC_A_SERVICE, key only). */
	LAGWLC_CMD_SVC_DEL,
	/* One service (doit, key only) or all (dump): every service that has
	 * settings or is a lagwlc service, with its settings and the
	 * effective values.
	 */
	LAGWLC_CMD_SVC_GET,
	/* Multicast on "events": a service's settings were set or deleted
	 * (LAGWLC_A_SERVICE as in SVC_GET's reply).
	 */
	LAGWLC_CMD_SVC_CHANGE,

	__LAGWLC_CMD_MAX,
	LAGWLC_CMD_MAX = __LAGWLC_CMD_MAX - 1
};

enum lagwlc_attr {
	LAGWLC_A_UNSPEC,
	LAGWLC_A_REPLICA,	/* nest of enum lagwlc_replica_attr */
	/* flag, in SET: the replicas reported belong to the sending socket
	 * and go stale as soon as it closes (a prober that dies), rather
	 * than after stale_ms. One-shot tools leave it out.
	 */
	LAGWLC_A_SOCKET_OWNER,
	LAGWLC_A_SERVICE,	/* nest of enum lagwlc_service_attr */

	__LAGWLC_A_MAX,
	LAGWLC_A_MAX = __LAGWLC_A_MAX - 1
};

enum lagwlc_replica_attr {
	LAGWLC_R_UNSPEC,
	LAGWLC_R_ADDR4,		/* binary, 4 bytes: IPv4 address (key) */
	LAGWLC_R_ADDR6,		/* binary, 16 bytes: IPv6 address (key) */
	LAGWLC_R_PORT,		/* u16, host byte order (key); 0 for real
				 * servers added with port 0 (fwmark services)
				 */
	LAGWLC_R_LAG_MS,	/* u32: replication lag in ms (set, reply) */
	LAGWLC_R_HEALTH,	/* u8, enum lagwlc_health (set, reply) */
	LAGWLC_R_STATE,		/* u8, enum lagwlc_state (reply, event) */
	LAGWLC_R_OLD_STATE,	/* u8, enum lagwlc_state (event) */
	LAGWLC_R_REASON,	/* u8, enum lagwlc_reason (event) */
	LAGWLC_R_AGE_MS,	/* u32: ms since the last report (reply, event) */

	__LAGWLC_R_MAX,
	LAGWLC_R_MAX = __LAGWLC_R_MAX - 1
};

enum lagwlc_health {
	LAGWLC_HEALTH_UP = 1,
	LAGWLC_HEALTH_DOWN,

	__LAGWLC_HEALTH_MAX,
	LAGWLC_HEALTH_MAX = __LAGWLC_HEALTH_MAX - 1
};

/* At most this many services' settings per network namespace. */
#define LAGWLC_SVC_MAX		4096

/*
 * An IPVS service: LAGWLC_S_PROTOCOL, an address and LAGWLC_S_PORT, or
 * LAGWLC_S_FWMARK (with LAGWLC_S_FAMILY, AF_INET when absent). Settings
 * (SVC_SET, reply) override the module parameter of the same name for
 * this service; LAGWLC_S_EFF_* (reply) are the values in force, the
 * service's or the module's (an effective readmit_lag_ms is at most the
 * effective max_lag_ms).
 */
enum lagwlc_service_attr {
	LAGWLC_S_UNSPEC,
	LAGWLC_S_PROTOCOL,	/* u8: IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	LAGWLC_S_ADDR4,		/* binary, 4 bytes: IPv4 virtual address */
	LAGWLC_S_ADDR6,		/* binary, 16 bytes: IPv6 virtual address */
	LAGWLC_S_PORT,		/* u16, host byte order */
	LAGWLC_S_FWMARK,	/* u32, not 0: a firewall-mark service */
	LAGWLC_S_FAMILY,	/* u16: AF_INET or AF_INET6, fwmark only */
	LAGWLC_S_MAX_LAG_MS,	/* u32 (setting) */
	LAGWLC_S_READMIT_LAG_MS,	/* u32 (setting), <= max_lag_ms if both */
	LAGWLC_S_LAG_PENALTY_MS,	/* u32 (setting) */
	LAGWLC_S_SLOW_START_MS,	/* u32 (setting) */
	LAGWLC_S_STALE_POLICY,	/* u8, enum lagwlc_stale_policy (setting) */
	LAGWLC_S_ALL_LAGGING,	/* u8, enum lagwlc_all_lagging (setting) */
	LAGWLC_S_BOUND,		/* flag (reply): the service exists on lagwlc */
	LAGWLC_S_EFF_MAX_LAG_MS,	/* u32 (reply) */
	LAGWLC_S_EFF_READMIT_LAG_MS,	/* u32 (reply) */
	LAGWLC_S_EFF_LAG_PENALTY_MS,	/* u32 (reply) */
	LAGWLC_S_EFF_SLOW_START_MS,	/* u32 (reply) */
	LAGWLC_S_EFF_STALE_POLICY,	/* u8 (reply) */
	LAGWLC_S_EFF_ALL_LAGGING,	/* u8 (reply) */

	__LAGWLC_S_MAX,
	LAGWLC_S_MAX = __LAGWLC_S_MAX - 1
};

/* The module parameters' keywords, as values. */
enum lagwlc_stale_policy {
	LAGWLC_STALE_OPEN = 1,
	LAGWLC_STALE_CLOSED,

	__LAGWLC_STALE_MAX,
	LAGWLC_STALE_MAX = __LAGWLC_STALE_MAX - 1
};

enum lagwlc_all_lagging {
	LAGWLC_ALL_LAGGING_LEAST_LAG = 1,
	LAGWLC_ALL_LAGGING_REJECT,

	__LAGWLC_ALL_LAGGING_MAX,
	LAGWLC_ALL_LAGGING_MAX = __LAGWLC_ALL_LAGGING_MAX - 1
};

/* What the scheduler makes of a replica (see docs/scheduler.md). */
enum lagwlc_state {
	LAGWLC_STATE_NONE,	/* no entry (deleted): plain wlc */
	LAGWLC_STATE_OK,	/* lag within limits: chosen, lag penalised */
	LAGWLC_STATE_LAGGING,	/* over max_lag_ms, not yet back under readmit_lag_ms */
	LAGWLC_STATE_DOWN,	/* reported down: never chosen */
	LAGWLC_STATE_STALE,	/* no fresh report: as stale_policy says */

	__LAGWLC_STATE_MAX,
	LAGWLC_STATE_MAX = __LAGWLC_STATE_MAX - 1
};

/* Why a state changed, in LAGWLC_CMD_STATE_CHANGE events. */
enum lagwlc_reason {
	LAGWLC_REASON_UNSPEC,
	LAGWLC_REASON_REPORT,	/* a report changed lag or health */
	LAGWLC_REASON_TUNABLE,	/* a module parameter changed */
	LAGWLC_REASON_TIMEOUT,	/* no report for stale_ms */
	LAGWLC_REASON_RELEASE,	/* the reporting socket was closed */
	LAGWLC_REASON_DELETE,	/* LAGWLC_CMD_REPLICA_DEL */
	LAGWLC_REASON_FLUSH,	/* LAGWLC_CMD_REPLICA_FLUSH */
	LAGWLC_REASON_EVICT,	/* stale and released for evict_ms: forgotten */

	__LAGWLC_REASON_MAX,
	LAGWLC_REASON_MAX = __LAGWLC_REASON_MAX - 1
};

#endif /* _UAPI_LINUX_LAGWLC_H */
