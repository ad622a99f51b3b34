// SPDX-License-Identifier: GPL-2.0
/*
 * The lag table: per network namespace, the replicas user space reports on,
 * keyed by real-server address family, address and port. Writers (netlink
 * requests, the stale timer, socket release, tunable changes) serialise on
 * lagwlc_net.lock and derive a replica's state whenever they change it; the
 * packet path only looks entries up under RCU and reads one word.
 *
 * A namespace allocates its hash table (8 KiB) when it reports its first
 * replica, charged to the reporter's memory cgroup like the entries, and
 * hashes with a seed of its own, so that one namespace's admin cannot
 * predict another's chains. Replicas reported with LAGWLC_A_SOCKET_OWNER
 * hang off their socket's struct lagwlc_owner, found by portid in an
 * xarray: closing a socket that owns nothing costs one lookup.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "lagwlc.h"

static unsigned int lagwlc_net_id __read_mostly;

/* Every lagwlc_net, so that a tunable change reaches all namespaces. */
static LIST_HEAD(lagwlc_nets);
static DEFINE_MUTEX(lagwlc_nets_lock);

struct lagwlc_net *lagwlc_net(struct net *net)
{
	return net_generic(net, lagwlc_net_id);
}

static u32 lagwlc_hash(const struct lagwlc_net *ln, u16 af,
		       const union nf_inet_addr *addr, u16 port)
{
	u32 initval = ln->seed ^ ((u32)port << 16 | af);
	u32 h;

	if (af == AF_INET6)
		h = jhash2((__force const u32 *)addr->all, 4, initval);
	else
		h = jhash_1word((__force u32)addr->ip, initval);
	return hash_32(h, LAGWLC_HASH_BITS);
}

static bool lagwlc_key_match(const struct lagwlc_key *key, u16 af,
			     const union nf_inet_addr *addr, u16 port)
{
	if (key->af != af || key->port != port)
		return false;
	if (af == AF_INET6)
		return ipv6_addr_equal(&key->addr.in6, &addr->in6);
	return key->addr.ip == addr->ip;
}

bool lagwlc_key_equal(const struct lagwlc_key *a, const struct lagwlc_key *b)
{
	return lagwlc_key_match(a, b->af, &b->addr, b->port);
}

/* Packet path, under RCU: what the scheduler should make of a destination. */
u32 lagwlc_view_lookup(struct lagwlc_net *ln, u16 af,
		       const union nf_inet_addr *addr, __be16 port)
{
	struct lagwlc_table *t = rcu_dereference(ln->table);
	struct lagwlc_replica *r;
	u16 hport = ntohs(port);

	if (!t)
		return lagwlc_view(LAGWLC_CLASS_NORMAL, 0);
	hlist_for_each_entry_rcu(r, &t->buckets[lagwlc_hash(ln, af, addr, hport)],
				 node) {
		if (lagwlc_key_match(&r->key, af, addr, hport))
			return READ_ONCE(r->view);
	}
	return lagwlc_view(LAGWLC_CLASS_NORMAL, 0);
}

static struct lagwlc_table *lagwlc_table_locked(struct lagwlc_net *ln)
{
	return rcu_dereference_protected(ln->table, lockdep_is_held(&ln->lock));
}

/* Under ln->lock. */
struct lagwlc_replica *lagwlc_replica_find(struct lagwlc_net *ln,
					   const struct lagwlc_key *key)
{
	struct lagwlc_table *t = lagwlc_table_locked(ln);
	struct lagwlc_replica *r;

	if (!t)
		return NULL;
	hlist_for_each_entry(r, &t->buckets[lagwlc_hash(ln, key->af, &key->addr,
							key->port)], node) {
		if (lagwlc_key_match(&r->key, key->af, &key->addr, key->port))
			return r;
	}
	return NULL;
}

/* The table, allocated on first use. Under ln->lock. */
static struct lagwlc_table *lagwlc_table_get(struct lagwlc_net *ln)
{
	struct lagwlc_table *t = lagwlc_table_locked(ln);

	if (t)
		return t;
	t = kvzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return NULL;
	/* zeroed memory is a table of empty hlist_heads */
	rcu_assign_pointer(ln->table, t);
	return t;
}

/*
 * Services' copies of views (struct lagwlc_snap, lagwlc.h). Under ln->lock.
 * The packet path reads a slot's view and the snapshot's count of non-plain
 * slots without a lock; a reader that sees one new and one old value
 * decides as it would have just before or just after the change.
 */
/* A service's current snapshot, for its namespace's writers. */
static struct lagwlc_snap *lagwlc_snap_locked(struct lagwlc_svc *s)
{
	return rcu_dereference_protected(s->snap, lockdep_is_held(&s->ln->lock));
}

/* Set or clear LAGWLC_SVC_LAG in the service's sched_data (lagwlc.h). */
void lagwlc_svc_publish(struct lagwlc_svc *s)
{
	struct lagwlc_snap *snap = lagwlc_snap_locked(s);
	unsigned long v = (unsigned long)s;

	if (!snap || snap->nonplain || snap->ramping)
		v |= LAGWLC_SVC_LAG;
	WRITE_ONCE(s->svc->sched_data, (void *)v);
}

/* Does @snap need the lag path: a view that is not plain, or a ramp? */
static bool lagwlc_snap_lag(const struct lagwlc_snap *snap)
{
	return snap->nonplain || snap->ramping;
}

/* The service's bit after a change of @snap, which needed it as @was. */
static void lagwlc_snap_republish(struct lagwlc_snap *snap, bool was)
{
	struct lagwlc_svc *s = snap->owner;

	/* a new snapshot's bit is set when it is published */
	if (was != lagwlc_snap_lag(snap) && rcu_access_pointer(s->snap) == snap)
		lagwlc_svc_publish(s);
}

static void lagwlc_arm(struct lagwlc_net *ln, unsigned long deadline);

/* Set slot @i's ramp stamp (0: no ramp), keeping snap->ramping in step. */
static void lagwlc_ramp_set(struct lagwlc_snap *snap, unsigned int i,
			    unsigned long since)
{
	unsigned long old = snap->ramp[i];

	if (old == since)
		return;
	WRITE_ONCE(snap->ramp[i], since);
	WRITE_ONCE(snap->ramping, snap->ramping + !!since - !!old);
}

/*
 * Slot @i's destination entered the candidate set: ramp it for
 * slow_start_ms, and have the stale work end the ramp (one work per
 * namespace, no timer per destination).
 */
static void lagwlc_ramp_start(struct lagwlc_snap *snap, unsigned int i)
{
	struct lagwlc_net *ln = snap->owner->ln;
	u32 len = snap->owner->ramp_len;
	unsigned long now = jiffies;

	if (!len || ln->exiting)
		return;
	/* 0 means "no ramp": a start at jiffies 0 counts from 1 */
	lagwlc_ramp_set(snap, i, now ?: 1);
	lagwlc_arm(ln, now + len);
}

static void lagwlc_slot_set(struct lagwlc_snap *snap, unsigned int i, u32 view)
{
	u32 old = snap->slots[i].view;
	bool was = lagwlc_snap_lag(snap);

	if (old == view)
		return;
	WRITE_ONCE(snap->slots[i].view, view);
	WRITE_ONCE(snap->slots[i].factor,
		   lagwlc_view_factor(view, snap->owner->rp.lag_penalty_ms));
	WRITE_ONCE(snap->nonplain, snap->nonplain +
				   (view != LAGWLC_VIEW_PLAIN) -
				   (old != LAGWLC_VIEW_PLAIN));
	/* slow start: entering the normal class ramps, leaving it ends it */
	if (lagwlc_view_class(view) != LAGWLC_CLASS_NORMAL)
		lagwlc_ramp_set(snap, i, 0);
	else if (lagwlc_view_class(old) != LAGWLC_CLASS_NORMAL)
		lagwlc_ramp_start(snap, i);
	lagwlc_snap_republish(snap, was);
}

/*
 * A new snapshot of a service replaces @old (NULL: the first one, from
 * init_service, whose destinations do not ramp): destinations ramping in
 * @old go on ramping from the same start, and @added, the destination
 * that joined the service (add_dest), starts its ramp if it is a normal
 * candidate. Before the snapshot is published.
 */
void lagwlc_snap_ramps(struct lagwlc_snap *snap, struct lagwlc_snap *old,
		       struct ip_vs_dest *added)
{
	unsigned int i, j;

	lockdep_assert_held(&snap->owner->ln->lock);
	for (i = 0; i < snap->n; i++) {
		struct ip_vs_dest *dest = snap->slots[i].dest;

		if (lagwlc_view_class(snap->slots[i].view) != LAGWLC_CLASS_NORMAL)
			continue;
		if (dest == added) {
			lagwlc_ramp_start(snap, i);
			continue;
		}
		for (j = 0; old && old->ramping && j < old->n; j++) {
			if (old->slots[j].dest == dest) {
				lagwlc_ramp_set(snap, i, old->ramp[j]);
				break;
			}
		}
	}
}

/*
 * End the ramps that are over (slow_start_ms after their start, or at once
 * when it was lowered or set to 0), so that a service whose destinations
 * all ramped to the end gets wlc's loop back; lower *@next to the end of
 * the earliest ramp still running. Returns whether *@next is set (it was
 * when @armed). From the stale work and tunable writes, under ln->lock.
 */
static bool lagwlc_ramp_sweep(struct lagwlc_net *ln, unsigned long *next,
			      bool armed)
{
	unsigned long now = jiffies;
	struct lagwlc_svc *s;
	unsigned int i;

	list_for_each_entry(s, &ln->services, node) {
		struct lagwlc_snap *snap = lagwlc_snap_locked(s);
		u32 len = s->ramp_len;
		bool was;

		if (!snap || !snap->ramping)
			continue;
		was = lagwlc_snap_lag(snap);
		for (i = 0; i < snap->n; i++) {
			unsigned long since = snap->ramp[i];

			if (!since)
				continue;
			if (lagwlc_ramp_elapsed(now, since) >= len) {
				lagwlc_ramp_set(snap, i, 0);
				continue;
			}
			if (!armed || time_before(since + len, *next)) {
				*next = since + len;
				armed = true;
			}
		}
		lagwlc_snap_republish(snap, was);
	}
	return armed;
}

/*
 * The view of a bound slot: its replica's report and staleness, derived
 * with its service's values (lagwlc_svc.rp) and hysteresis (l->lagging),
 * which are the replica's own when the service has no settings.
 */
static u32 lagwlc_link_view(struct lagwlc_link *l)
{
	const struct lagwlc_replica *r = l->replica;
	const struct lagwlc_rule_params *p = &l->snap->owner->rp;
	enum lagwlc_class class;
	u32 lag = r->lag_ms;
	u8 state;

	state = lagwlc_derive_state(r->up, r->lag_ms,
				    r->state == LAGWLC_STATE_STALE,
				    &l->lagging, p);
	/* apart: lagwlc_class_of() sets the lag it counts (0 when stale) */
	class = lagwlc_class_of(state, &lag, p);
	return lagwlc_view(class, lag);
}

/*
 * A slot's hysteresis when it binds with no earlier slot of its service
 * to take it from: the replica's, judged by the service's limits. Equal
 * to r->lagging when the service has no settings; like it, it moves only
 * while the replica is up and fresh.
 */
static bool lagwlc_link_seed(const struct lagwlc_link *l,
			     const struct lagwlc_replica *r)
{
	const struct lagwlc_rule_params *p = &l->snap->owner->rp;
	bool fresh = r->up && r->state != LAGWLC_STATE_STALE;

	if (r->lagging)
		return !fresh || r->lag_ms > p->readmit_lag_ms;
	return fresh && r->lag_ms > p->max_lag_ms;
}

static void lagwlc_link_bind(struct lagwlc_link *l, struct lagwlc_replica *r,
			     const struct lagwlc_link *was)
{
	l->replica = r;
	l->lagging = was ? was->lagging : lagwlc_link_seed(l, r);
	list_add(&l->node, &r->slots);
	lagwlc_slot_set(l->snap, l - l->snap->links, lagwlc_link_view(l));
}

static void lagwlc_link_unbind(struct lagwlc_link *l)
{
	list_del(&l->node);
	l->replica = NULL;
	lagwlc_slot_set(l->snap, l - l->snap->links, LAGWLC_VIEW_PLAIN);
}

static bool lagwlc_dest_is(const struct ip_vs_dest *dest,
			   const struct lagwlc_key *key)
{
	return lagwlc_key_match(key, dest->af, &dest->addr, ntohs(dest->port));
}

/* @old's bound link of @dest to @r, if it has one. */
static const struct lagwlc_link *
lagwlc_snap_link_of(const struct lagwlc_snap *old,
		    const struct ip_vs_dest *dest,
		    const struct lagwlc_replica *r)
{
	unsigned int j;

	for (j = 0; old && j < old->n; j++) {
		if (old->slots[j].dest == dest && old->links[j].replica == r)
			return &old->links[j];
	}
	return NULL;
}

/*
 * Bind every slot of a new snapshot to its replica, if it has one; slots
 * that @old (the snapshot it replaces, or NULL) had keep their hysteresis.
 */
void lagwlc_snap_bind(struct lagwlc_net *ln, struct lagwlc_snap *snap,
		      const struct lagwlc_snap *old)
{
	struct lagwlc_key key;
	unsigned int i;

	lockdep_assert_held(&ln->lock);
	for (i = 0; i < snap->n; i++) {
		struct ip_vs_dest *dest = snap->slots[i].dest;
		struct lagwlc_replica *r;

		snap->slots[i].factor =
			lagwlc_view_factor(LAGWLC_VIEW_PLAIN,
					   snap->owner->rp.lag_penalty_ms);

		key.af = dest->af;
		key.addr = dest->addr;
		key.port = ntohs(dest->port);
		r = lagwlc_replica_find(ln, &key);
		if (r)
			lagwlc_link_bind(&snap->links[i], r,
					 lagwlc_snap_link_of(old, dest, r));
	}
}

/*
 * Detach a snapshot that was replaced or whose service is done from the
 * replicas. Its slots keep their views: packets may still be reading it
 * until the grace period ends, and must not see a down replica as plain.
 */
void lagwlc_snap_unbind(struct lagwlc_snap *snap)
{
	unsigned int i;

	for (i = 0; i < snap->n; i++) {
		if (snap->links[i].replica) {
			list_del(&snap->links[i].node);
			snap->links[i].replica = NULL;
		}
	}
}

/*
 * A new replica: bind the slots of every lagwlc service of the namespace
 * that hold its real server. Adding a replica is rare (a new replica, or
 * a prober's first report) and costs services x destinations key
 * comparisons; the packet path costs nothing.
 */
static void lagwlc_bind_new(struct lagwlc_net *ln, struct lagwlc_replica *r)
{
	struct lagwlc_svc *s;
	unsigned int i;

	list_for_each_entry(s, &ln->services, node) {
		struct lagwlc_snap *snap = lagwlc_snap_locked(s);

		for (i = 0; snap && i < snap->n; i++) {
			if (!snap->links[i].replica &&
			    lagwlc_dest_is(snap->slots[i].dest, &r->key))
				lagwlc_link_bind(&snap->links[i], r, NULL);
		}
	}
}

/* @r's report, staleness or the tunables changed: every service's copy. */
static void lagwlc_push(struct lagwlc_replica *r)
{
	struct lagwlc_link *l;

	list_for_each_entry(l, &r->slots, node)
		lagwlc_slot_set(l->snap, l - l->snap->links,
				lagwlc_link_view(l));
}

u32 lagwlc_replica_age_ms(const struct lagwlc_replica *r)
{
	u64 age = jiffies64_to_msecs(jiffies - r->reported);

	return min_t(u64, age, U32_MAX);
}

static void lagwlc_bump_gen(struct lagwlc_net *ln)
{
	/* 0 means "no sequence" to nl_dump_check_consistent() */
	if (++ln->gen == 0)
		ln->gen = 1;
}

/* Detach @r from its reporting socket; free the owner once it owns nothing. */
static void lagwlc_disown(struct lagwlc_net *ln, struct lagwlc_replica *r)
{
	struct lagwlc_owner *o = r->owner;

	if (!o)
		return;
	list_del(&r->owner_node);
	r->owner = NULL;
	if (list_empty(&o->replicas)) {
		xa_erase(&ln->owners, o->portid);
		kfree(o);
	}
}

/* The owner of @portid, created if need be. Under ln->lock. */
static struct lagwlc_owner *lagwlc_owner_get(struct lagwlc_net *ln, u32 portid)
{
	struct lagwlc_owner *o = xa_load(&ln->owners, portid);
	int err;

	if (o)
		return o;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return NULL;
	INIT_LIST_HEAD(&o->replicas);
	o->portid = portid;
	err = xa_err(xa_store(&ln->owners, portid, o, GFP_KERNEL_ACCOUNT));
	if (err) {
		kfree(o);
		return NULL;
	}
	return o;
}

/* An owner created for a request that then failed owns nothing: drop it. */
static void lagwlc_owner_put_unused(struct lagwlc_net *ln,
				    struct lagwlc_owner *o)
{
	if (o && list_empty(&o->replicas)) {
		xa_erase(&ln->owners, o->portid);
		kfree(o);
	}
}

static void lagwlc_set_owner(struct lagwlc_net *ln, struct lagwlc_replica *r,
			     struct lagwlc_owner *o)
{
	if (r->owner == o)
		return;
	lagwlc_disown(ln, r);
	if (o) {
		list_add(&r->owner_node, &o->replicas);
		r->owner = o;
	}
}

/*
 * When @r next needs the stale timer: its report's expiry while it has one,
 * its eviction when it is stale and released; false when never.
 */
static bool lagwlc_deadline(const struct lagwlc_replica *r, u32 stale_ms,
			    u32 evict_ms, bool stale_closed,
			    unsigned long *deadline)
{
	if (r->state != LAGWLC_STATE_STALE) {
		*deadline = r->reported + msecs_to_jiffies(stale_ms);
		return true;
	}
	/*
	 * Under stale_policy=closed a stale entry keeps its replica out;
	 * forgetting it would let the replica back in as plain wlc.
	 */
	if (!r->released || !evict_ms || stale_closed)
		return false;
	*deadline = r->released_at + msecs_to_jiffies(evict_ms);
	return true;
}

/*
 * Have the stale work run at @deadline at the latest: a pending run that is
 * due later (an eviction, minutes away) is brought forward, one due sooner
 * is kept. Under ln->lock, which keeps ln->armed in step with the timer.
 */
static void lagwlc_arm(struct lagwlc_net *ln, unsigned long deadline)
{
	if (ln->exiting)
		return;
	if (delayed_work_pending(&ln->stale_work) &&
	    !time_before(deadline, ln->armed))
		return;
	ln->armed = deadline;
	mod_delayed_work(lagwlc_wq, &ln->stale_work,
			 time_after(deadline, jiffies) ? deadline - jiffies : 0);
}

/* Derive @r's state from its report, age and the tunables; announce a change. */
static void lagwlc_derive(struct lagwlc_net *ln, struct lagwlc_replica *r,
			  const struct lagwlc_rule_params *p, u32 stale_ms,
			  u8 reason)
{
	bool stale = r->released ||
		     time_after_eq(jiffies, r->reported + msecs_to_jiffies(stale_ms));
	enum lagwlc_class class;
	u8 old = r->state;
	u32 lag = r->lag_ms;

	r->state = lagwlc_derive_state(r->up, r->lag_ms, stale, &r->lagging, p);
	class = lagwlc_class_of(r->state, &lag, p);
	if (r->view != lagwlc_view(class, lag))
		WRITE_ONCE(r->view, lagwlc_view(class, lag));
	/*
	 * Services with settings of their own may see a change where the
	 * table's view has none (a lag within one lag_noise_ms step crossing
	 * their max_lag_ms): derive every slot; unchanged ones cost a compare.
	 */
	lagwlc_push(r);
	if (r->state != old)
		lagwlc_notify(ln, r, old, reason);
}

/* Under ln->lock. */
static void lagwlc_remove(struct lagwlc_net *ln, struct lagwlc_replica *r,
			  u8 reason)
{
	struct lagwlc_link *l, *tmp;
	u8 old = r->state;

	hash_del_rcu(&r->node);
	list_for_each_entry_safe(l, tmp, &r->slots, node)
		lagwlc_link_unbind(l);
	lagwlc_disown(ln, r);
	ln->count--;
	lagwlc_bump_gen(ln);
	r->state = LAGWLC_STATE_NONE;
	if (reason)
		lagwlc_notify(ln, r, old, reason);
	kfree_rcu(r, rcu);
}

/*
 * Derive every replica of @ln again, evict those released for evict_ms,
 * end the ramps that are over, and arm the stale timer for the earliest
 * deadline. Under ln->lock.
 */
static void lagwlc_derive_all(struct lagwlc_net *ln, u8 reason)
{
	u32 stale_ms = lagwlc_param_stale_ms();
	u32 evict_ms = lagwlc_param_evict_ms();
	unsigned long deadline, next = 0;
	struct lagwlc_rule_params p;
	struct lagwlc_replica *r;
	struct hlist_node *tmp;
	struct lagwlc_table *t;
	bool armed = false;
	unsigned int bkt;

	lagwlc_params_snapshot(&p);
	t = lagwlc_table_locked(ln);
	/* no table: no replica, but new destinations may ramp */
	if (t) {
		hash_for_each_safe(t->buckets, bkt, tmp, r, node) {
			lagwlc_derive(ln, r, &p, stale_ms, reason);
			if (!lagwlc_deadline(r, stale_ms, evict_ms,
					     p.stale_closed, &deadline))
				continue;
			if (r->state == LAGWLC_STATE_STALE &&
			    time_after_eq(jiffies, deadline)) {
				lagwlc_remove(ln, r, LAGWLC_REASON_EVICT);
				continue;
			}
			if (!armed || time_before(deadline, next)) {
				next = deadline;
				armed = true;
			}
		}
	}
	/* after the replicas: their changes may have started ramps */
	armed = lagwlc_ramp_sweep(ln, &next, armed);
	/* a pending run may be for a deadline that a tunable moved */
	if (armed && !ln->exiting) {
		ln->armed = next;
		mod_delayed_work(lagwlc_wq, &ln->stale_work,
				 time_after(next, jiffies) ? next - jiffies : 0);
	} else {
		cancel_delayed_work(&ln->stale_work);
	}
}

static void lagwlc_stale_work(struct work_struct *work)
{
	struct lagwlc_net *ln = container_of(to_delayed_work(work),
					     struct lagwlc_net, stale_work);

	mutex_lock(&ln->lock);
	lagwlc_derive_all(ln, LAGWLC_REASON_TIMEOUT);
	mutex_unlock(&ln->lock);
}

static void lagwlc_apply(struct lagwlc_net *ln, struct lagwlc_replica *r,
			 const struct lagwlc_report *rep,
			 struct lagwlc_owner *owner,
			 const struct lagwlc_rule_params *p, u32 stale_ms)
{
	if (rep->has_lag)
		r->lag_ms = min(rep->lag_ms, LAGWLC_LAG_MAX_MS);
	r->up = rep->up;
	r->reported = jiffies;
	r->released = false;
	lagwlc_set_owner(ln, r, owner);
	lagwlc_derive(ln, r, p, stale_ms, LAGWLC_REASON_REPORT);
}

/*
 * Apply @n reports (distinct replicas) owned by netlink socket @portid (0:
 * none). Replicas already in the table are always updated; a new one is
 * added while the table is under max_entries, and otherwise refused:
 * reps[i].refused is set and the return value counts them. A failed
 * allocation changes nothing (-ENOMEM): everything that can fail is done
 * before the first report is applied.
 */
int lagwlc_replica_set(struct lagwlc_net *ln, struct lagwlc_report *reps,
		       unsigned int n, u32 portid)
{
	u32 max_entries = lagwlc_param_max_entries();
	struct lagwlc_owner *owner = NULL;
	unsigned int i, n_new = 0, n_refused = 0;
	struct lagwlc_replica **slot;
	struct lagwlc_rule_params p;
	struct lagwlc_table *t;
	int err = 0;
	u32 stale_ms;

	slot = kcalloc(n, sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return -ENOMEM;

	/* the caller made sure no replica comes twice */
	mutex_lock(&ln->lock);
	t = lagwlc_table_get(ln);
	if (!t) {
		err = -ENOMEM;
		goto out_unlock;
	}
	if (portid) {
		owner = lagwlc_owner_get(ln, portid);
		if (!owner) {
			err = -ENOMEM;
			goto out_unlock;
		}
	}
	for (i = 0; i < n; i++) {
		struct lagwlc_replica *r = lagwlc_replica_find(ln, &reps[i].key);

		reps[i].refused = false;
		if (r) {
			slot[i] = r;
			continue;
		}
		if (ln->count + n_new >= max_entries) {
			reps[i].refused = true;
			n_refused++;
			continue;
		}
		r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
		if (!r) {
			err = -ENOMEM;
			goto err_free_new;
		}
		r->key = reps[i].key;
		r->state = LAGWLC_STATE_NONE;
		INIT_LIST_HEAD(&r->owner_node);
		INIT_LIST_HEAD(&r->slots);
		slot[i] = r;
		n_new++;
	}

	/* nothing fails from here on */
	lagwlc_params_snapshot(&p);
	stale_ms = lagwlc_param_stale_ms();
	for (i = 0; i < n; i++) {
		struct lagwlc_replica *r = slot[i];

		if (!r)
			continue;
		lagwlc_apply(ln, r, &reps[i], owner, &p, stale_ms);
		if (hlist_unhashed(&r->node)) {
			hlist_add_head_rcu(&r->node,
					   &t->buckets[lagwlc_hash(ln, r->key.af,
								   &r->key.addr,
								   r->key.port)]);
			ln->count++;
			lagwlc_bump_gen(ln);
			lagwlc_bind_new(ln, r);
		}
	}
	lagwlc_owner_put_unused(ln, owner);
	if (n_refused < n)
		lagwlc_arm(ln, jiffies + msecs_to_jiffies(stale_ms));
	err = n_refused;
	goto out_unlock;

err_free_new:
	for (i = 0; i < n; i++) {
		if (slot[i] && hlist_unhashed(&slot[i]->node))
			kfree(slot[i]);
	}
	lagwlc_owner_put_unused(ln, owner);
out_unlock:
	mutex_unlock(&ln->lock);
	kfree(slot);
	return err;
}

int lagwlc_replica_del(struct lagwlc_net *ln, const struct lagwlc_key *key)
{
	struct lagwlc_replica *r;
	int err = -ENOENT;

	mutex_lock(&ln->lock);
	r = lagwlc_replica_find(ln, key);
	if (r) {
		lagwlc_remove(ln, r, LAGWLC_REASON_DELETE);
		err = 0;
	}
	mutex_unlock(&ln->lock);
	return err;
}

static void lagwlc_remove_all(struct lagwlc_net *ln, u8 reason)
{
	struct lagwlc_replica *r;
	struct hlist_node *tmp;
	struct lagwlc_table *t;
	unsigned int bkt;

	t = lagwlc_table_locked(ln);
	if (!t)
		return;
	hash_for_each_safe(t->buckets, bkt, tmp, r, node)
		lagwlc_remove(ln, r, reason);
}

void lagwlc_replica_flush(struct lagwlc_net *ln)
{
	mutex_lock(&ln->lock);
	lagwlc_remove_all(ln, LAGWLC_REASON_FLUSH);
	cancel_delayed_work(&ln->stale_work);
	mutex_unlock(&ln->lock);
}

/*
 * Services' settings. Writers resolve a service's values (its settings,
 * else the module parameters) into struct lagwlc_svc when it binds, when
 * its settings are set or deleted, and when a tunable changes; its slots
 * are then derived again with them. The packet path reads the resolved
 * values from the service it has in hand: no lookup of settings.
 */
void lagwlc_svc_key_of(const struct ip_vs_service *svc,
		       struct lagwlc_svc_key *key)
{
	memset(key, 0, sizeof(*key));
	key->af = svc->af;
	key->fwmark = svc->fwmark;
	if (svc->fwmark)
		return;
	key->protocol = svc->protocol;
	key->addr = svc->addr;
	key->port = ntohs(svc->port);
}

bool lagwlc_svc_key_equal(const struct lagwlc_svc_key *a,
			  const struct lagwlc_svc_key *b)
{
	if (a->af != b->af || a->fwmark != b->fwmark ||
	    a->protocol != b->protocol || a->port != b->port)
		return false;
	if (a->af == AF_INET6)
		return ipv6_addr_equal(&a->addr.in6, &b->addr.in6);
	return a->addr.ip == b->addr.ip;
}

/* Under ln->lock. */
struct lagwlc_svc_conf *lagwlc_conf_find(struct lagwlc_net *ln,
					 const struct lagwlc_svc_key *key)
{
	struct lagwlc_svc_conf *c;

	lockdep_assert_held(&ln->lock);
	list_for_each_entry(c, &ln->confs, node) {
		if (lagwlc_svc_key_equal(&c->key, key))
			return c;
	}
	return NULL;
}

/* The lagwlc service of @key, or NULL. Under ln->lock. */
struct lagwlc_svc *lagwlc_svc_find(struct lagwlc_net *ln,
				   const struct lagwlc_svc_key *key)
{
	struct lagwlc_svc_key k;
	struct lagwlc_svc *s;

	lockdep_assert_held(&ln->lock);
	list_for_each_entry(s, &ln->services, node) {
		lagwlc_svc_key_of(s->svc, &k);
		if (lagwlc_svc_key_equal(&k, key))
			return s;
	}
	return NULL;
}

/* Resolve @s's values from s->conf and the tunables. Under ln->lock. */
void lagwlc_svc_resolve(struct lagwlc_svc *s)
{
	struct lagwlc_svc_eff e;

	lockdep_assert_held(&s->ln->lock);
	lagwlc_svc_eff(s->conf, &e);
	s->rp.max_lag_ms = e.rp.max_lag_ms;
	s->rp.readmit_lag_ms = e.rp.readmit_lag_ms;
	s->rp.lag_noise_ms = e.rp.lag_noise_ms;
	s->rp.stale_closed = e.rp.stale_closed;
	WRITE_ONCE(s->rp.lag_penalty_ms, e.rp.lag_penalty_ms);
	WRITE_ONCE(s->ramp_len, lagwlc_ramp_jiffies(e.slow_start_ms));
	WRITE_ONCE(s->reject_lagging, e.reject_lagging);
}

/*
 * Resolve @s's values again and derive its slots with them: views of
 * bound slots (their hysteresis kept), then every factor. Ramps that a
 * shorter slow start ended are swept by lagwlc_derive_all() after.
 */
static void lagwlc_svc_apply(struct lagwlc_svc *s)
{
	struct lagwlc_snap *snap;
	unsigned int i;

	lagwlc_svc_resolve(s);
	snap = lagwlc_snap_locked(s);
	for (i = 0; snap && i < snap->n; i++) {
		if (snap->links[i].replica)
			lagwlc_slot_set(snap, i,
					lagwlc_link_view(&snap->links[i]));
		WRITE_ONCE(snap->slots[i].factor,
			   lagwlc_view_factor(snap->slots[i].view,
					      s->rp.lag_penalty_ms));
	}
}

/* Point the services of @key at @c (NULL: none) and apply it. */
static void lagwlc_conf_attach(struct lagwlc_net *ln,
			       const struct lagwlc_svc_key *key,
			       struct lagwlc_svc_conf *c)
{
	struct lagwlc_svc_key k;
	struct lagwlc_svc *s;

	list_for_each_entry(s, &ln->services, node) {
		lagwlc_svc_key_of(s->svc, &k);
		if (!lagwlc_svc_key_equal(&k, key))
			continue;
		s->conf = c;
		lagwlc_svc_apply(s);
	}
	ln->svc_gen++;
	/* ramps a shorter slow start ended, the stale timer re-armed */
	lagwlc_derive_all(ln, LAGWLC_REASON_TUNABLE);
	lagwlc_notify_svc(ln, key);
}

/*
 * Set the settings of @c->key to @c's (replacing earlier ones). A new
 * service's settings are refused with -ENOSPC when LAGWLC_SVC_MAX are
 * kept already.
 */
int lagwlc_conf_set(struct lagwlc_net *ln, const struct lagwlc_svc_conf *c)
{
	struct lagwlc_svc_conf *old, *nc;
	int err = 0;

	nc = kmemdup(c, sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!nc)
		return -ENOMEM;
	mutex_lock(&ln->lock);
	old = lagwlc_conf_find(ln, &c->key);
	if (old) {
		/* in place: services point at it */
		nc->node = old->node;
		*old = *nc;
		kfree(nc);
		nc = old;
	} else {
		if (ln->n_confs >= LAGWLC_SVC_MAX) {
			err = -ENOSPC;
			goto err_free_conf;
		}
		list_add_tail(&nc->node, &ln->confs);
		ln->n_confs++;
	}
	lagwlc_conf_attach(ln, &nc->key, nc);
	mutex_unlock(&ln->lock);
	return 0;

err_free_conf:
	mutex_unlock(&ln->lock);
	kfree(nc);
	return err;
}

/* Forget @key's settings: its service follows the tunables again. */
int lagwlc_conf_del(struct lagwlc_net *ln, const struct lagwlc_svc_key *key)
{
	struct lagwlc_svc_conf *c;

	mutex_lock(&ln->lock);
	c = lagwlc_conf_find(ln, key);
	if (!c) {
		mutex_unlock(&ln->lock);
		return -ENOENT;
	}
	list_del(&c->node);
	ln->n_confs--;
	lagwlc_conf_attach(ln, key, NULL);
	mutex_unlock(&ln->lock);
	kfree(c);
	return 0;
}

/* A tunable changed: derive every replica of every namespace again. */
void lagwlc_rederive_all(void)
{
	struct lagwlc_net *ln;
	struct lagwlc_svc *s;

	mutex_lock(&lagwlc_nets_lock);
	list_for_each_entry(ln, &lagwlc_nets, node) {
		mutex_lock(&ln->lock);
		/* services' values first: the replicas' derivation reads them */
		list_for_each_entry(s, &ln->services, node)
			lagwlc_svc_apply(s);
		lagwlc_derive_all(ln, LAGWLC_REASON_TUNABLE);
		mutex_unlock(&ln->lock);
	}
	mutex_unlock(&lagwlc_nets_lock);
}

/*
 * A netlink socket closed. Replicas it reported on go stale now rather than
 * after stale_ms: the prober that fed them is gone. Every generic netlink
 * socket of the namespace passes here, so a socket that owns nothing costs
 * one xarray lookup and no lock. The chain is blocking (process context),
 * so the table's mutex can be taken.
 */
static int lagwlc_netlink_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct lagwlc_replica *r, *tmp;
	struct lagwlc_rule_params p;
	struct lagwlc_owner *o;
	struct lagwlc_net *ln;
	u32 stale_ms;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;

	ln = lagwlc_net(n->net);
	if (!xa_load(&ln->owners, n->portid))
		return NOTIFY_DONE;

	lagwlc_params_snapshot(&p);
	stale_ms = lagwlc_param_stale_ms();
	mutex_lock(&ln->lock);
	o = xa_load(&ln->owners, n->portid);
	if (o) {
		list_for_each_entry_safe(r, tmp, &o->replicas, owner_node) {
			list_del_init(&r->owner_node);
			r->owner = NULL;
			r->released = true;
			r->released_at = jiffies;
			lagwlc_derive(ln, r, &p, stale_ms,
				      LAGWLC_REASON_RELEASE);
		}
		xa_erase(&ln->owners, o->portid);
		kfree(o);
		/* the timer now has their eviction to arm */
		lagwlc_arm(ln, jiffies);
	}
	mutex_unlock(&ln->lock);
	return NOTIFY_DONE;
}

static struct notifier_block lagwlc_netlink_notifier = {
	.notifier_call = lagwlc_netlink_event,
};

static int __net_init lagwlc_net_init(struct net *net)
{
	struct lagwlc_net *ln = lagwlc_net(net);

	ln->net = net;
	mutex_init(&ln->lock);
	RCU_INIT_POINTER(ln->table, NULL);
	ln->seed = get_random_u32();
	ln->gen = 1;
	xa_init(&ln->owners);
	INIT_DELAYED_WORK(&ln->stale_work, lagwlc_stale_work);
	INIT_LIST_HEAD(&ln->services);
	INIT_LIST_HEAD(&ln->confs);
	ln->svc_gen = 1;

	mutex_lock(&lagwlc_nets_lock);
	list_add(&ln->node, &lagwlc_nets);
	mutex_unlock(&lagwlc_nets_lock);
	return 0;
}

static void __net_exit lagwlc_net_exit(struct net *net)
{
	struct lagwlc_net *ln = lagwlc_net(net);
	struct lagwlc_svc_conf *c, *tmp;
	struct lagwlc_table *t;
	struct lagwlc_svc *s;

	/* off the list first, so that no tunable change re-arms the timer */
	mutex_lock(&lagwlc_nets_lock);
	list_del(&ln->node);
	mutex_unlock(&lagwlc_nets_lock);
	/* nor the stale work itself, nor the slots' ramps below */
	mutex_lock(&ln->lock);
	ln->exiting = true;
	mutex_unlock(&ln->lock);
	cancel_delayed_work_sync(&ln->stale_work);

	mutex_lock(&ln->lock);
	/*
	 * A dying namespace has no listeners. Its lagwlc services stay (IPVS's
	 * exit runs after ours and calls done_service), now with plain views;
	 * struct lagwlc_net is freed only after every pernet exit.
	 */
	lagwlc_remove_all(ln, 0);
	t = lagwlc_table_locked(ln);
	RCU_INIT_POINTER(ln->table, NULL);
	/* services that remain keep their resolved values, not a pointer */
	list_for_each_entry(s, &ln->services, node)
		s->conf = NULL;
	list_for_each_entry_safe(c, tmp, &ln->confs, node) {
		list_del(&c->node);
		kfree(c);
	}
	ln->n_confs = 0;
	mutex_unlock(&ln->lock);
	/* every owner went with its last replica */
	WARN_ON_ONCE(!xa_empty(&ln->owners));
	xa_destroy(&ln->owners);
	if (t)
		kvfree_rcu(t, rcu);
}

static struct pernet_operations lagwlc_net_ops = {
	.init = lagwlc_net_init,
	.exit = lagwlc_net_exit,
	.id = &lagwlc_net_id,
	.size = sizeof(struct lagwlc_net),
};

int lagwlc_table_init(void)
{
	int err;

	err = register_pernet_subsys(&lagwlc_net_ops);
	if (err)
		return err;
	err = netlink_register_notifier(&lagwlc_netlink_notifier);
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(&lagwlc_net_ops);
	return err;
}

void lagwlc_table_exit(void)
{
	netlink_unregister_notifier(&lagwlc_netlink_notifier);
	unregister_pernet_subsys(&lagwlc_net_ops);
}
