/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPVS services and their destinations, read over IPVS's own generic
 * netlink family "IPVS" (as ipvsadm -Ln does).
 */
#ifndef LAGWLCCTL_IPVS_H
#define LAGWLCCTL_IPVS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ip_vs.h>

#include "addr.h"
#include "nl.h"

struct ipvs_dest {
	struct endpoint ep;
	uint32_t fwd;		/* IP_VS_CONN_F_* forwarding method */
	uint32_t weight;
	uint32_t active;
	uint32_t inactive;
};

struct ipvs_service {
	int af;
	uint16_t protocol;	/* IPPROTO_*, 0 for a firewall-mark service */
	struct endpoint vip;	/* address and port, unless fwmark */
	uint32_t fwmark;
	char sched[IP_VS_SCHEDNAME_MAXLEN + 1];
	/* as read, so that ipvs_set_sched() can give them back unchanged */
	struct ip_vs_flags flags;
	uint32_t timeout;	/* persistence, seconds */
	uint32_t netmask;	/* persistence netmask (IPv4) or prefix (IPv6) */
	char pe_name[IP_VS_PENAME_MAXLEN + 1];	/* "" for none */
	struct ipvs_dest *dests;
	size_t ndests;
};

struct ipvs_table {
	struct ipvs_service *svcs;
	size_t nsvcs;
};

enum ipvs_status {
	IPVS_READ,		/* the table is filled */
	IPVS_ABSENT,		/* no "IPVS" family: ip_vs is not loaded */
	IPVS_DENIED,		/* reading IPVS needs CAP_NET_ADMIN */
	IPVS_FAILED,		/* reported on stderr */
};

/*
 * Read the services of c's network namespace, sorted, and the destinations
 * (in IPVS's order) of those whose scheduler is sched.
 */
enum ipvs_status ipvs_read(struct lnl *c, const char *sched, struct ipvs_table *t);
void ipvs_free(struct ipvs_table *t);

/*
 * Switch svc (as read by ipvs_read) to scheduler sched with
 * IPVS_CMD_SET_SERVICE, keeping its flags, timeout, netmask and persistence
 * engine. 0, or lnl_transact's error with the kernel's extack in *err.
 */
int ipvs_set_sched(struct lnl *c, const struct ipvs_service *svc, const char *sched,
		   struct lnl_err *err);

/*
 * conn_reuse_mode, a sysctl of each network namespace that exists while
 * ip_vs is loaded. A SYN from a client address and port that still has an
 * entry in IPVS's connection table goes to that entry's real server without
 * scheduling unless the entry may be rescheduled: bit 1 allows it for
 * TIME_WAIT and CLOSE, IPVS_REUSE_ONEWAY (bit 2) for FIN_WAIT entries of
 * connections IPVS sees one way only (DR, TUN), which is where every closed
 * LVS-DR connection stays for the tcpfin timeout (2 minutes).
 */
#define IPVS_REUSE_PATH "/proc/sys/net/ipv4/vs/conn_reuse_mode"
#define IPVS_REUSE_ONEWAY 2

/* conn_reuse_mode of the caller's network namespace, or -errno. */
int ipvs_reuse_read(void);
/* Write it: 0 or -errno. */
int ipvs_reuse_write(int mode);
/*
 * Whether a client reusing its port may reach a real server of svc
 * unscheduled: svc has a DR or TUN destination and mode (as read by
 * ipvs_reuse_read, or -errno) lacks IPVS_REUSE_ONEWAY.
 */
bool ipvs_reuse_bypass(const struct ipvs_service *svc, int mode);
/* The first DR or TUN destination of svc, NULL if none. */
const struct ipvs_dest *ipvs_oneway_dest(const struct ipvs_service *svc);

/* "Route", "Masq", "Tunnel", "Local", "Bypass" (lower: "route"...). */
const char *ipvs_fwd_name(uint32_t fwd, bool lower);
/* "TCP", "UDP", "SCTP", "FWM" for 0, else the number into buf. */
const char *ipvs_proto_name(uint16_t proto, char *buf, size_t len);

#endif
