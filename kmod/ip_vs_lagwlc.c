// SPDX-License-Identifier: GPL-2.0
/*
 * ip_vs_lagwlc: IPVS weighted least-connection scheduling for database
 * replicas, aware of replication lag.
 *
 * Each new connection goes to the destination of least
 *
 *	cost(d) = overhead(d) * (lag_penalty_ms + lag(d)) / (weight(d) * lag_penalty_ms)
 *
 * among those stock wlc would consider (not IP_VS_DEST_F_OVERLOAD,
 * weight > 0) and that the lag table does not exclude (down, or stale under
 * stale_policy=closed). overhead is ip_vs_dest_conn_overhead(), as in wlc;
 * lag_penalty_ms = 0 drops the lag term. Equal costs go to the lower lag,
 * then to the first in the service's list. Lagging replicas (over
 * max_lag_ms, with hysteresis) are chosen only when no other candidate is
 * left, and then only with all_lagging=least_lag: the least lagged wins.
 * With no lag known, or every lag 0, the choice is exactly wlc's.
 *
 * Slow start (slow_start_ms, off by default): a destination that enters
 * the candidate set takes part in each decision with a probability that
 * grows from 1/32 to 1 over slow_start_ms, which caps its share of new
 * connections where wlc would give it all of them (lagwlc_rule.h).
 *
 * lagwlc_rule.h states the rule and lagwlc_cost.h the arithmetic: integer
 * cross-multiplication, no division, no overflow at any weight, connection
 * count or lag. The lag table (lag_table.c) is fed over generic netlink
 * (netlink.c) and tuned through module parameters (params.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/random.h>
#include <net/ip_vs.h>

#include "lagwlc.h"

/* Fill @load for @dest, or return false when wlc would not consider it. */
static __always_inline bool lagwlc_load_of(struct ip_vs_dest *dest,
					   struct lagwlc_load *load)
{
	int weight, overhead;

	if (dest->flags & IP_VS_DEST_F_OVERLOAD)
		return false;
	/* read once: ipvsadm -e may change it under us */
	weight = atomic_read(&dest->weight);
	if (weight <= 0)
		return false;
	overhead = ip_vs_dest_conn_overhead(dest);

	load->overhead = max(overhead, 0);
	load->weight = weight;
	load->factor = 1;
	return true;
}

static struct ip_vs_dest *lagwlc_done(struct ip_vs_service *svc,
				      struct lagwlc_svc *s,
				      struct lagwlc_choice *choice,
				      struct lagwlc_choice *held)
{
	struct ip_vs_dest *dest;
	bool all_lagging;

	dest = lagwlc_chosen_held(choice, held, READ_ONCE(s->reject_lagging),
				  &all_lagging);
	if (!dest) {
		ip_vs_scheduler_err(svc, all_lagging ?
				    "every destination is lagging" :
				    "no destination available");
		return NULL;
	}

	IP_VS_DBG_BUF(6, "LAGWLC: server %s:%u activeconns %d weight %u overhead %u lag %u\n",
		      IP_VS_DBG_ADDR(dest->af, &dest->addr),
		      ntohs(dest->port), atomic_read(&dest->activeconns),
		      choice->least_c.load.weight, choice->least_c.load.overhead,
		      choice->least_c.lag_ms);
	return dest;
}

/*
 * No destination of the service has a view other than "normal, lag 0":
 * the choice is wlc's, so it is made as ip_vs_wlc.c makes it, at its cost.
 */
static __always_inline struct ip_vs_dest *
lagwlc_schedule_plain(struct ip_vs_service *svc)
{
	struct ip_vs_dest *dest, *least;
	int loh, doh;

	list_for_each_entry_rcu(dest, &svc->destinations, n_list) {
		if (!(dest->flags & IP_VS_DEST_F_OVERLOAD) &&
		    atomic_read(&dest->weight) > 0) {
			least = dest;
			loh = ip_vs_dest_conn_overhead(least);
			goto rest;
		}
	}
	ip_vs_scheduler_err(svc, "no destination available");
	return NULL;

rest:
	list_for_each_entry_continue_rcu(dest, &svc->destinations, n_list) {
		if (dest->flags & IP_VS_DEST_F_OVERLOAD)
			continue;
		doh = ip_vs_dest_conn_overhead(dest);
		if ((s64)loh * atomic_read(&dest->weight) >
		    (s64)doh * atomic_read(&least->weight)) {
			least = dest;
			loh = doh;
		}
	}

	IP_VS_DBG_BUF(6, "LAGWLC: server %s:%u activeconns %d weight %d overhead %d (no lag)\n",
		      IP_VS_DBG_ADDR(least->af, &least->addr),
		      ntohs(least->port), atomic_read(&least->activeconns),
		      atomic_read(&least->weight), loh);
	return least;
}

/* Offer @dest, whose replica's view is @view, to the general loop. */
static __always_inline void lagwlc_offer_dest(struct lagwlc_choice *choice,
					      struct ip_vs_dest *dest, u32 view,
					      u32 penalty)
{
	struct lagwlc_cand cand;

	if (!lagwlc_load_of(dest, &cand.load))
		return;
	cand.lag_ms = lagwlc_view_lag(view);
	lagwlc_offer(choice, dest, lagwlc_view_class(view), &cand, penalty);
}

/*
 * Does the ramp that started at @since (0: none) hold its destination back
 * from this decision? One random number per ramping destination, and
 * none once its ramp is over (lagwlc_rule.h).
 */
static bool lagwlc_ramp_holds(unsigned long since, unsigned long now, u32 len)
{
	unsigned long elapsed;

	if (!since)
		return false;
	elapsed = lagwlc_ramp_elapsed(now, since);
	if (elapsed >= len)
		return false;
	return !lagwlc_ramp_admit(elapsed, len, get_random_u32());
}

/*
 * Every candidate class at once, from the snapshot: the general loop,
 * taken when the fast one below found no normal candidate (every
 * destination lagging, down or overloaded), when lag_penalty_ms is 0, and
 * while some destination ramps: a normal destination its ramp holds back
 * is offered apart, and chosen only when no other normal one is left.
 */
static noinline struct ip_vs_dest *
lagwlc_schedule_snap(struct ip_vs_service *svc, struct lagwlc_snap *snap)
{
	struct lagwlc_svc *s = snap->owner;
	u32 penalty = READ_ONCE(s->rp.lag_penalty_ms);
	struct lagwlc_choice choice = {}, held = {};
	bool ramps = READ_ONCE(snap->ramping);
	unsigned long now = 0;
	unsigned int i;
	u32 len = 0;

	if (ramps) {
		len = READ_ONCE(s->ramp_len);
		now = jiffies;
	}
	for (i = 0; i < snap->n; i++) {
		u32 view = READ_ONCE(snap->slots[i].view);
		struct lagwlc_choice *to = &choice;

		if (ramps && lagwlc_ramp_holds(READ_ONCE(snap->ramp[i]), now,
					       len))
			to = &held;
		lagwlc_offer_dest(to, snap->slots[i].dest, view, penalty);
	}
	return lagwlc_done(svc, s, &choice, &held);
}

/*
 * No snapshot (an allocation failed): look each destination up. The
 * replicas' states are then the module parameters' (the table's), the
 * penalty and all_lagging the service's.
 */
static noinline struct ip_vs_dest *
lagwlc_schedule_lookup(struct ip_vs_service *svc, struct lagwlc_svc *s)
{
	u32 penalty = READ_ONCE(s->rp.lag_penalty_ms);
	struct lagwlc_net *ln = s->ln;
	struct lagwlc_choice choice = {}, held = {};
	struct ip_vs_dest *dest;

	/* no snapshot, no ramp stamps: no slow start */
	list_for_each_entry_rcu(dest, &svc->destinations, n_list)
		lagwlc_offer_dest(&choice, dest,
				  lagwlc_view_lookup(ln, dest->af, &dest->addr,
						     dest->port),
				  penalty);
	return lagwlc_done(svc, s, &choice, &held);
}

/*
 * Some lag is known: the least cost among normal destinations, read from
 * the snapshot's slots (no lookup), the best so far kept in registers.
 * Anything unusual (no snapshot, lag_penalty_ms 0, a ramp, no normal
 * candidate) goes to the general loops above.
 */
static noinline struct ip_vs_dest *
lagwlc_schedule_lag(struct ip_vs_service *svc, struct lagwlc_svc *s)
{
	struct lagwlc_snap *snap = rcu_dereference(s->snap);
	const struct lagwlc_slot *slot, *end;
	struct lagwlc_pick pick;

	if (unlikely(!snap))
		return lagwlc_schedule_lookup(svc, s);
	/*
	 * no lag term (every factor is 0), or a destination ramps: the
	 * general loop decides
	 */
	if (unlikely(!READ_ONCE(s->rp.lag_penalty_ms) ||
		     READ_ONCE(snap->ramping)))
		return lagwlc_schedule_snap(svc, snap);
	lagwlc_pick_init(&pick);
	for (slot = snap->slots, end = slot + snap->n; slot < end; slot++) {
		struct ip_vs_dest *dest = slot->dest;
		u32 factor = READ_ONCE(slot->factor);
		int weight = atomic_read(&dest->weight);
		bool skip = !factor;	/* not a normal candidate */
		int overhead;

		/* two branches for three tests: the loop stays short */
		skip |= dest->flags & IP_VS_DEST_F_OVERLOAD;
		if (skip || weight <= 0)
			continue;
		overhead = ip_vs_dest_conn_overhead(dest);
		lagwlc_pick_offer(&pick, dest, max(overhead, 0), weight, factor);
	}
	if (unlikely(!pick.least))
		return lagwlc_schedule_snap(svc, snap);

	IP_VS_DBG_BUF(6, "LAGWLC: server %s:%u weight %u factor %u\n",
		      IP_VS_DBG_ADDR(svc->af,
				     &((struct ip_vs_dest *)pick.least)->addr),
		      ntohs(((struct ip_vs_dest *)pick.least)->port),
		      pick.weight, pick.factor);
	return pick.least;
}

static struct ip_vs_dest *lagwlc_schedule(struct ip_vs_service *svc,
					  const struct sk_buff *skb,
					  struct ip_vs_iphdr *iph)
{
	unsigned long v = (unsigned long)READ_ONCE(svc->sched_data);

	/* some destination's lag is known: one bit says so */
	if (unlikely(v & LAGWLC_SVC_LAG))
		return lagwlc_schedule_lag(svc, (void *)(v & ~LAGWLC_SVC_LAG));
	return lagwlc_schedule_plain(svc);
}

/*
 * Per-service state. IPVS calls these under its __ip_vs_mutex, in process
 * context: init_service when a service binds lagwlc (it may already have
 * destinations: ipvsadm -E), add_dest right after a destination joined
 * svc->destinations, del_dest right after one left it, done_service when
 * the service unbinds (packets may still be in lagwlc_schedule(): IPVS
 * waits a grace period only before it binds another scheduler, so
 * everything is freed through RCU). The list cannot change while IPVS
 * holds the mutex.
 */

/* A snapshot of @svc's destinations, in list order, not yet bound. */
static struct lagwlc_snap *lagwlc_snap_new(struct ip_vs_service *svc,
					   struct lagwlc_svc *s)
{
	struct lagwlc_snap *snap;
	struct ip_vs_dest *dest;
	unsigned int i, n = 0;

	list_for_each_entry(dest, &svc->destinations, n_list)
		n++;
	snap = kvzalloc(struct_size(snap, slots, n) +
			n * (sizeof(*snap->links) + sizeof(*snap->ramp)),
			GFP_KERNEL_ACCOUNT);
	if (!snap)
		return NULL;
	snap->n = n;
	snap->owner = s;
	snap->links = (struct lagwlc_link *)&snap->slots[n];
	snap->ramp = (unsigned long *)&snap->links[n];
	i = 0;
	list_for_each_entry(dest, &svc->destinations, n_list) {
		snap->slots[i].dest = dest;
		snap->links[i].snap = snap;
		i++;
	}
	return snap;
}

/*
 * Replace @s's snapshot by one of @svc's current destinations; @added (or
 * NULL) just joined them and starts its slow start. When the allocation
 * fails, the service falls back to table lookups on the packet path
 * (slower, never wrong, no slow start) until the next change of its
 * destinations.
 */
static void lagwlc_svc_refresh(struct ip_vs_service *svc, struct lagwlc_svc *s,
			       struct ip_vs_dest *added)
{
	struct lagwlc_snap *snap = lagwlc_snap_new(svc, s), *old;
	struct lagwlc_net *ln = s->ln;

	if (!snap)
		pr_warn_ratelimited("no memory for a service's state: looking destinations up\n");
	mutex_lock(&ln->lock);
	old = rcu_dereference_protected(s->snap, lockdep_is_held(&ln->lock));
	/* bound and filled in before readers can see it */
	if (snap) {
		lagwlc_snap_bind(ln, snap, old);
		lagwlc_snap_ramps(snap, old, added);
	}
	rcu_assign_pointer(s->snap, snap);
	lagwlc_svc_publish(s);
	if (old)
		lagwlc_snap_unbind(old);
	mutex_unlock(&ln->lock);
	if (old)
		kvfree_rcu(old, rcu);
}

static int lagwlc_init_service(struct ip_vs_service *svc)
{
	struct lagwlc_net *ln = lagwlc_net(svc->ipvs->net);
	struct lagwlc_svc_key key;
	struct lagwlc_svc *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	s->ln = ln;
	s->svc = svc;
	lagwlc_svc_key_of(svc, &key);
	mutex_lock(&ln->lock);
	list_add(&s->node, &ln->services);
	ln->svc_gen++;
	/* its settings, if some were set before it came */
	s->conf = lagwlc_conf_find(ln, &key);
	lagwlc_svc_resolve(s);
	/* no snapshot yet: lookups, until the refresh below */
	lagwlc_svc_publish(s);
	mutex_unlock(&ln->lock);
	/* destinations it already has do not ramp: nothing served before */
	lagwlc_svc_refresh(svc, s, NULL);
	return 0;
}

static void lagwlc_done_service(struct ip_vs_service *svc)
{
	struct lagwlc_svc *s = lagwlc_svc_of(svc);
	struct lagwlc_net *ln = s->ln;
	struct lagwlc_snap *snap;

	mutex_lock(&ln->lock);
	list_del(&s->node);
	ln->svc_gen++;
	snap = rcu_dereference_protected(s->snap, lockdep_is_held(&ln->lock));
	if (snap)
		lagwlc_snap_unbind(snap);
	mutex_unlock(&ln->lock);
	if (snap)
		kvfree_rcu(snap, rcu);
	kfree_rcu(s, rcu);
}

static int lagwlc_add_dest(struct ip_vs_service *svc, struct ip_vs_dest *dest)
{
	lagwlc_svc_refresh(svc, lagwlc_svc_of(svc), dest);
	return 0;
}

static int lagwlc_del_dest(struct ip_vs_service *svc, struct ip_vs_dest *dest)
{
	lagwlc_svc_refresh(svc, lagwlc_svc_of(svc), NULL);
	return 0;
}

static struct ip_vs_scheduler lagwlc_scheduler = {
	.name = "lagwlc",
	.refcnt = ATOMIC_INIT(0),
	.module = THIS_MODULE,
	.n_list = LIST_HEAD_INIT(lagwlc_scheduler.n_list),
	.init_service = lagwlc_init_service,
	.done_service = lagwlc_done_service,
	.add_dest = lagwlc_add_dest,
	.del_dest = lagwlc_del_dest,
	.schedule = lagwlc_schedule,
};

static int __init lagwlc_init(void)
{
	int err;

	/* a lag and a class share the packet path's 32-bit word */
	BUILD_BUG_ON(LAGWLC_LAG_MAX_MS > LAGWLC_VIEW_LAG_MASK);
	BUILD_BUG_ON(LAGWLC_CLASS_EXCLUDED >= 1 << (32 - LAGWLC_VIEW_SHIFT));
	/* four slots to a cache line; ramp stamps live apart */
	BUILD_BUG_ON(sizeof(struct lagwlc_slot) > 16);

	err = lagwlc_params_check();
	if (err)
		return err;
	/* the table first: the scheduler and netlink both use it */
	err = lagwlc_table_init();
	if (err)
		return err;
	err = register_ip_vs_scheduler(&lagwlc_scheduler);
	if (err)
		goto err_table;
	/* deferred: see lagwlc_genl_register() */
	lagwlc_genl_init();
	return 0;

err_table:
	lagwlc_table_exit();
	return err;
}

static void __exit lagwlc_exit(void)
{
	lagwlc_genl_exit();
	unregister_ip_vs_scheduler(&lagwlc_scheduler);
	/* packets may still be walking lagwlc_schedule() */
	synchronize_rcu();
	lagwlc_table_exit();
}

module_init(lagwlc_init);
module_exit(lagwlc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IPVS weighted least-connection scheduler aware of database replication lag");
MODULE_AUTHOR("The lagwlc authors");
MODULE_VERSION(LAGWLC_VERSION);
