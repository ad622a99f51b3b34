/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lagwlcd's configuration file (lagwlcd.conf(5)): an INI-like file with a
 * [lagwlcd] section of global settings, [replica ADDR:PORT] sections and
 * [service tcp|udp|sctp VIP:PORT] (or [service fwmark N]) sections.
 * Pure parsing: the file is read whole, then parsed from memory, so that
 * the unit tests and the fuzzer drive exactly what the daemon runs. Every
 * error is one line "FILE:LINE: PROBLEM".
 */
#ifndef LAGWLCD_CONFIG_H
#define LAGWLCD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "svckey.h"

#define CONFIG_DEFAULT_FILE	"/etc/lagwlc/lagwlcd.conf"
#define CONFIG_DEFAULT_OPTION_FILE "/etc/lagwlc/client.cnf"
#define CONFIG_LINE_MAX		4096	/* bytes in a line, newline excluded, minus one */
#define CONFIG_ERR_MAX		(CONFIG_LINE_MAX + 512)
#define CONFIG_PATH_MAX		1024
#define CONFIG_GROUP_MAX	64
/* `db`.`table`: two identifiers of at most 64 characters and the dot */
#define CONFIG_TABLE_MAX	(64 + 1 + 64 + 1)

/* Limits of the durations (ms). */
#define POLL_MIN_MS		10
#define POLL_MAX_MS		60000
#define TIMEOUT_MIN_MS		10
#define TIMEOUT_MAX_MS		3600000

enum lag_source {
	LAG_SOURCE_AUTO,		/* heartbeat if a heartbeat_table is configured, else replica_status */
	LAG_SOURCE_HEARTBEAT,
	LAG_SOURCE_REPLICA_STATUS,
};

/* The settings a [replica] section may override. */
struct settings {
	uint32_t timeout_ms;
	char option_file[CONFIG_PATH_MAX];	/* "" for none */
	char option_group[CONFIG_GROUP_MAX];
	enum lag_source lag_source;
	char heartbeat_db[65];
	char heartbeat_tbl[65];
	bool heartbeat_configured;	/* heartbeat_table given, globally or here */
	uint32_t heartbeat_server_id;	/* 0: the newest row */
	bool io_stopped_down;		/* io_thread_stopped = down */
	bool not_replica_primary;	/* not_replica = primary */
	unsigned int option_file_line;	/* where option_file was set, 0: default */
};

struct replica_conf {
	struct endpoint ep;		/* the real server, as IPVS has it: the key */
	struct endpoint probe;		/* where to connect: ep unless probe = is given */
	unsigned int line;		/* of the [replica] header */
	struct settings s;		/* effective: the section's, else the global ones */
};

struct adopt_conf {
	uint16_t protocol;		/* IPPROTO_TCP/UDP/SCTP, 0 for fwm */
	struct endpoint vip;		/* unless fwmark */
	uint32_t fwmark;
	unsigned int line;
};

/* A [service ...] section: settings lagwlcd pushes for an IPVS service. */
struct service_conf {
	struct svc_key key;
	struct svc_set s;		/* at least one setting */
	unsigned int line;		/* of the [service] header */
};

struct config {
	char file[CONFIG_PATH_MAX];
	uint32_t poll_ms;
	bool discover;
	bool conn_reuse_keep;		/* conn_reuse_mode = keep: never write the sysctl */
	bool metrics_on;		/* metrics_listen given: serve Prometheus metrics */
	struct endpoint metrics_ep;	/* where */
	struct settings global;
	struct replica_conf *replicas;
	size_t nreplicas;
	struct adopt_conf *adopts;
	size_t nadopts;
	struct service_conf *services;
	size_t nservices;
};

/*
 * Parse len bytes of buf as the configuration file named file (used in
 * messages only). Returns 0 with *cfg filled, or -1 with one line
 * "FILE:LINE: PROBLEM" in err (errlen bytes, CONFIG_ERR_MAX is enough) and
 * *cfg empty. Either way config_free(cfg) may be called.
 */
int config_parse(const char *file, const char *buf, size_t len, struct config *cfg,
		 char *err, size_t errlen);

/* Read file and parse it; "FILE: REASON" when it cannot be read. */
int config_load(const char *file, struct config *cfg, char *err, size_t errlen);

/*
 * Check the MySQL option files the configuration names: each must exist,
 * be a regular file owned by root or lagwlcd's user, be readable and
 * writable by nobody else (it holds a password), and set none of the keys
 * optfile.h refuses. 0, or -1 with "FILE:LINE: PROBLEM" in err (the line
 * of lagwlcd.conf for the file itself, of the option file for its content).
 */
int config_check_files(const struct config *cfg, char *err, size_t errlen);

void config_free(struct config *cfg);

/* The same settings (option_file_line aside). */
bool settings_equal(const struct settings *a, const struct settings *b);

/* "auto", "heartbeat", "replica_status". */
const char *lag_source_name(enum lag_source s);

/* The source a replica with settings s actually uses (auto resolved). */
enum lag_source lag_source_effective(const struct settings *s);

/* "TCP 10.0.0.10:3306", "FWM 42" into buf (EP_STRLEN + 16). */
const char *adopt_format(const struct adopt_conf *a, char *buf, size_t len);


#endif
