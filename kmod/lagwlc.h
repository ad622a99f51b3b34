/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of ip_vs_lagwlc: the per-netns lag table
 * (lag_table.c), the generic netlink family (netlink.c), the tunables
 * (params.c) and the scheduler (ip_vs_lagwlc.c).
 */
#ifndef _LAGWLC_H
#define _LAGWLC_H

#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/ip_vs.h>
#include <linux/lagwlc.h>

#include "compat.h"
#include "lagwlc_rule.h"

#define LAGWLC_HASH_BITS	10

/* A replica is its real server's address family, address and port. */
struct lagwlc_key {
	union nf_inet_addr addr;
	u16 af;
	u16 port;		/* host byte order; 0 is a valid port (fwmark) */
};

/* One report, parsed from netlink, not yet applied. */
struct lagwlc_report {
	struct lagwlc_key key;
	u32 lag_ms;
	bool has_lag;
	bool up;
	bool refused;			/* set: new, and the table was full */
	const struct nlattr *nest;	/* for extack */
};

/* The netlink socket that reported a set of replicas, and those replicas. */
struct lagwlc_owner {
	struct list_head replicas;	/* lagwlc_replica.owner_node */
	u32 portid;
};

struct lagwlc_replica {
	struct hlist_node node;		/* in lagwlc_table.buckets, RCU */
	struct rcu_head rcu;
	struct lagwlc_key key;
	u32 view;			/* the packet path's word, lagwlc_rule.h */
	/* the rest is the writers', under lagwlc_net.lock */
	struct list_head slots;		/* lagwlc_link.node: services' copies */
	struct list_head owner_node;	/* in owner->replicas */
	struct lagwlc_owner *owner;	/* reporting socket, or NULL */
	unsigned long reported;		/* jiffies of the last report */
	unsigned long released_at;	/* jiffies its socket closed */
	u32 lag_ms;
	u8 state;			/* enum lagwlc_state */
	bool up;
	bool lagging;			/* hysteresis, see lagwlc_derive_state() */
	bool released;			/* its reporting socket was closed */
};

/*
 * Per-service scheduler state. The packet path must not look each
 * destination up in the table (a hash and a chain walk per destination):
 * instead each lagwlc service publishes a snapshot of its destinations in
 * list order, each with a copy of its replica's view. Writers keep the
 * copies current under lagwlc_net.lock: a replica's view change is pushed
 * into every slot that refers to it (lagwlc_replica.slots), and slots are
 * bound to or unbound from replicas when entries come and go. The
 * snapshot is replaced (RCU) when the service's destinations change.
 */
struct lagwlc_slot {			/* hot: the packet path's, 16 bytes */
	struct ip_vs_dest *dest;
	u32 view;			/* copy of the replica's, or plain */
	u32 factor;			/* lagwlc_view_factor() of the view */
};

struct lagwlc_snap;

struct lagwlc_link {			/* cold: the writers' */
	struct list_head node;		/* in replica->slots while bound */
	struct lagwlc_replica *replica;	/* NULL: no entry (plain view) */
	struct lagwlc_snap *snap;
	/* the service's own hysteresis (its max/readmit_lag_ms) */
	bool lagging;
};

/*
 * Slow start (lagwlc_rule.h): ramp[i] is the jiffies at which slot i's
 * destination entered the candidate set, 0 when it does not ramp (a start
 * at jiffies 0 is stored as 1). Writers set it on the transition and
 * clear it from the stale work once the ramp is over; ramping counts the
 * non-zero ones. The packet path reads ramp[] only while ramping is not 0,
 * so the hot slots stay 16 bytes and the stamps (cold, after the links)
 * cost nothing when no destination ramps.
 */
struct lagwlc_snap {
	struct rcu_head rcu;
	unsigned int n;
	unsigned int nonplain;		/* slots whose view is not plain */
	unsigned int ramping;		/* slots whose ramp[] is set */
	struct lagwlc_svc *owner;	/* the service it was made for */
	struct lagwlc_link *links;	/* n of them, after the slots */
	unsigned long *ramp;		/* n of them, after the links */
	struct lagwlc_slot slots[];
};

/* An IPVS service, as the key of its settings. */
struct lagwlc_svc_key {
	union nf_inet_addr addr;	/* 0 for fwmark services */
	u32 fwmark;			/* 0: not a fwmark service */
	u16 af;
	u16 protocol;			/* 0 for fwmark services */
	u16 port;			/* host byte order; 0 for fwmark */
};

/*
 * A service's settings (LAGWLC_CMD_SVC_SET), in lagwlc_net.confs, whether
 * or not the service exists: kept until LAGWLC_CMD_SVC_DEL or the
 * namespace goes, so that a service deleted and added again (keepalived
 * reload) gets them back. Under lagwlc_net.lock.
 */
struct lagwlc_svc_conf {
	struct list_head node;		/* in lagwlc_net.confs */
	struct lagwlc_svc_key key;
	u32 set;			/* BIT(LAGWLC_S_*) of the settings given */
	u32 max_lag_ms;
	u32 readmit_lag_ms;
	u32 lag_penalty_ms;
	u32 slow_start_ms;
	u8 stale_policy;		/* enum lagwlc_stale_policy */
	u8 all_lagging;			/* enum lagwlc_all_lagging */
};

/* The values in force for one service: its settings, else the module's. */
struct lagwlc_svc_eff {
	struct lagwlc_rule_params rp;
	u32 slow_start_ms;
	bool reject_lagging;
};

/*
 * A lagwlc service's state, from init_service to done_service. IPVS's
 * svc->sched_data points to it, with LAGWLC_SVC_LAG or'ed in while some
 * destination's view is not plain or it ramps (slow start), or there is
 * no snapshot: the packet path tells "exactly wlc" from the one word it
 * has to load anyway.
 * lagwlc_svc_publish() keeps the bit current, under lagwlc_net.lock.
 */
struct lagwlc_svc {
	struct list_head node;		/* in lagwlc_net.services */
	struct rcu_head rcu;
	struct lagwlc_net *ln;
	struct ip_vs_service *svc;
	/* NULL after a failed allocation: look each destination up instead */
	struct lagwlc_snap __rcu *snap;
	/*
	 * The values in force, resolved by writers (under lagwlc_net.lock)
	 * whenever the service binds, its settings change or a module
	 * parameter does: the packet path reads the three it needs from
	 * here, no lookup of settings per packet or destination.
	 */
	struct lagwlc_svc_conf *conf;	/* writers', or NULL */
	struct lagwlc_rule_params rp;	/* writers'; lag_penalty_ms: packets' */
	u32 ramp_len;			/* slow start, jiffies: packets' */
	bool reject_lagging;		/* all_lagging=reject: packets' */
};

#define LAGWLC_SVC_LAG	1UL

static inline struct lagwlc_svc *lagwlc_svc_of(const struct ip_vs_service *svc)
{
	return (void *)((unsigned long)READ_ONCE(svc->sched_data) &
			~LAGWLC_SVC_LAG);
}

/* A view of "normal, lag 0": what wlc does. */
#define LAGWLC_VIEW_PLAIN 0

/* The hash table, allocated when a namespace reports its first replica. */
struct lagwlc_table {
	struct rcu_head rcu;
	struct hlist_head buckets[1 << LAGWLC_HASH_BITS];
};

/*
 * Per network namespace, kept small: every namespace pays for it, only
 * those that use lagwlc allocate a table.
 */
struct lagwlc_net {
	struct net *net;
	struct list_head node;		/* in the list of all lagwlc_nets */
	struct mutex lock;		/* serialises the writers below */
	struct lagwlc_table __rcu *table;	/* NULL until first used */
	u32 seed;			/* random, per namespace */
	unsigned int count;
	unsigned int gen;		/* bumped on every change, for dumps */
	struct xarray owners;		/* portid -> struct lagwlc_owner */
	struct delayed_work stale_work;	/* marks silent replicas stale */
	unsigned long armed;		/* when stale_work is due, if pending */
	struct list_head services;	/* lagwlc_svc.node, under lock */
	struct list_head confs;		/* lagwlc_svc_conf.node, under lock */
	unsigned int n_confs;
	unsigned int svc_gen;		/* services' dumps: bumped on change */
	bool exiting;			/* pernet exit: arm no more work */
};

/* params.c */
/*
 * A ramp's length in jiffies. Resolved per service (lagwlc_svc.ramp_len,
 * from its slow_start_ms setting or the module parameter) when the
 * service's values are; the packet path reads the service's.
 */
static inline u32 lagwlc_ramp_jiffies(u32 slow_start_ms)
{
	return min_t(unsigned long, msecs_to_jiffies(slow_start_ms), U32_MAX);
}

void lagwlc_params_snapshot(struct lagwlc_rule_params *p);
u32 lagwlc_param_stale_ms(void);
u32 lagwlc_param_max_entries(void);
u32 lagwlc_param_evict_ms(void);
bool lagwlc_param_all_lagging_reject(void);
int lagwlc_params_check(void);
void lagwlc_svc_eff(const struct lagwlc_svc_conf *c, struct lagwlc_svc_eff *e);

/* lag_table.c */
int lagwlc_table_init(void);
void lagwlc_table_exit(void);
struct lagwlc_net *lagwlc_net(struct net *net);
u32 lagwlc_view_lookup(struct lagwlc_net *ln, u16 af,
		       const union nf_inet_addr *addr, __be16 port);
bool lagwlc_key_equal(const struct lagwlc_key *a, const struct lagwlc_key *b);
struct lagwlc_replica *lagwlc_replica_find(struct lagwlc_net *ln,
					   const struct lagwlc_key *key);
int lagwlc_replica_set(struct lagwlc_net *ln, struct lagwlc_report *reps,
		       unsigned int n, u32 portid);
int lagwlc_replica_del(struct lagwlc_net *ln, const struct lagwlc_key *key);
void lagwlc_replica_flush(struct lagwlc_net *ln);
u32 lagwlc_replica_age_ms(const struct lagwlc_replica *r);
void lagwlc_rederive_all(void);
void lagwlc_snap_bind(struct lagwlc_net *ln, struct lagwlc_snap *snap,
		      const struct lagwlc_snap *old);
void lagwlc_snap_unbind(struct lagwlc_snap *snap);
void lagwlc_svc_publish(struct lagwlc_svc *s);
void lagwlc_snap_ramps(struct lagwlc_snap *snap, struct lagwlc_snap *old,
		       struct ip_vs_dest *added);
void lagwlc_svc_key_of(const struct ip_vs_service *svc,
		       struct lagwlc_svc_key *key);
bool lagwlc_svc_key_equal(const struct lagwlc_svc_key *a,
			  const struct lagwlc_svc_key *b);
struct lagwlc_svc_conf *lagwlc_conf_find(struct lagwlc_net *ln,
					 const struct lagwlc_svc_key *key);
struct lagwlc_svc *lagwlc_svc_find(struct lagwlc_net *ln,
				   const struct lagwlc_svc_key *key);
void lagwlc_svc_resolve(struct lagwlc_svc *s);
int lagwlc_conf_set(struct lagwlc_net *ln, const struct lagwlc_svc_conf *c);
int lagwlc_conf_del(struct lagwlc_net *ln, const struct lagwlc_svc_key *key);

/* netlink.c */
void lagwlc_genl_init(void);
void lagwlc_genl_exit(void);
void lagwlc_notify(struct lagwlc_net *ln, const struct lagwlc_replica *r,
		   u8 old_state, u8 reason);
void lagwlc_notify_svc(struct lagwlc_net *ln, const struct lagwlc_svc_key *key);

#endif /* _LAGWLC_H */
