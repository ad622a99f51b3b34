// SPDX-License-Identifier: GPL-2.0
/*
 * The lag table: per network namespace, the replicas user space reports on,
 * keyed by real-server address family, address and port. Writers (netlink
 * requests, the stale timer, socket release, tunable changes) serialise on
 * lagwlc_net.lock and derive a replica's state whenever they change it; the
 * packet path only looks entries up under RCU and reads one word.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
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

static u32 lagwlc_hash(u16 af, const union nf_inet_addr *addr, u16 port)
{
	u32 initval = (u32)port << 16 | af;

	if (af == AF_INET6)
		return jhash2((__force const u32 *)addr->all, 4, initval);
	return jhash_1word((__force u32)addr->ip, initval);
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

static u64 lagwlc_view(enum lagwlc_class class, u32 lag_ms)
{
	return (u64)class << 32 | lag_ms;
}

/* Packet path, under RCU: what the scheduler should make of a destination. */
u64 lagwlc_view_lookup(struct lagwlc_net *ln, u16 af,
		       const union nf_inet_addr *addr, __be16 port)
{
	struct lagwlc_replica *r;
	u16 hport = ntohs(port);

	hash_for_each_possible_rcu(ln->replicas, r, node,
				   lagwlc_hash(af, addr, hport)) {
		if (lagwlc_key_match(&r->key, af, addr, hport))
			return READ_ONCE(r->view);
	}
	return lagwlc_view(LAGWLC_CLASS_NORMAL, 0);
}

/* Under ln->lock. */
struct lagwlc_replica *lagwlc_replica_find(struct lagwlc_net *ln,
					   const struct lagwlc_key *key)
{
	struct lagwlc_replica *r;

	hash_for_each_possible(ln->replicas, r, node,
			       lagwlc_hash(key->af, &key->addr, key->port)) {
		if (lagwlc_key_match(&r->key, key->af, &key->addr, key->port))
			return r;
	}
	return NULL;
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

static unsigned long lagwlc_deadline(const struct lagwlc_replica *r,
				     u32 stale_ms)
{
	return r->reported + msecs_to_jiffies(stale_ms);
}

/* Derive @r's state from its report, age and the tunables; announce a change. */
static void lagwlc_derive(struct lagwlc_net *ln, struct lagwlc_replica *r,
			  const struct lagwlc_rule_params *p, u32 stale_ms,
			  u8 reason)
{
	bool stale = r->released ||
		     time_after_eq(jiffies, lagwlc_deadline(r, stale_ms));
	enum lagwlc_class class;
	u8 old = r->state;
	u32 lag = r->lag_ms;

	r->state = lagwlc_derive_state(r->up, r->lag_ms, stale, &r->lagging, p);
	class = lagwlc_class_of(r->state, &lag, p);
	WRITE_ONCE(r->view, lagwlc_view(class, lag));
	if (r->state != old)
		lagwlc_notify(ln, r, old, reason);
}

/*
 * Derive every replica of @ln again and arm the stale timer for the earliest
 * report that will expire. Under ln->lock.
 */
static void lagwlc_derive_all(struct lagwlc_net *ln, u8 reason)
{
	unsigned long deadline, next = 0;
	struct lagwlc_rule_params p;
	struct lagwlc_replica *r;
	bool armed = false;
	u32 stale_ms;
	int bkt;

	lagwlc_params_snapshot(&p);
	stale_ms = lagwlc_param_stale_ms();
	hash_for_each(ln->replicas, bkt, r, node) {
		lagwlc_derive(ln, r, &p, stale_ms, reason);
		if (r->state == LAGWLC_STATE_STALE)
			continue;
		deadline = lagwlc_deadline(r, stale_ms);
		if (!armed || time_before(deadline, next)) {
			next = deadline;
			armed = true;
		}
	}
	/* a pending run may be for a deadline that a tunable moved */
	if (armed)
		mod_delayed_work(system_wq, &ln->stale_work,
				 time_after(next, jiffies) ? next - jiffies : 0);
	else
		cancel_delayed_work(&ln->stale_work);
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
			 const struct lagwlc_report *rep, u32 portid,
			 const struct lagwlc_rule_params *p, u32 stale_ms)
{
	if (rep->has_lag)
		r->lag_ms = min(rep->lag_ms, LAGWLC_LAG_MAX_MS);
	r->up = rep->up;
	r->reported = jiffies;
	r->portid = portid;
	r->released = false;
	lagwlc_derive(ln, r, p, stale_ms, LAGWLC_REASON_REPORT);
}

/*
 * Apply @n reports (distinct replicas) owned by netlink socket @portid (0:
 * none), all or nothing: every new entry is allocated and the table's bound
 * checked before anything changes.
 */
int lagwlc_replica_set(struct lagwlc_net *ln, const struct lagwlc_report *reps,
		       unsigned int n, u32 portid, struct netlink_ext_ack *extack)
{
	struct lagwlc_slot {
		struct lagwlc_replica *r;
		bool fresh;
	} *slot;
	u32 max_entries = lagwlc_param_max_entries();
	struct lagwlc_rule_params p;
	unsigned int i, n_new = 0;
	int err = 0;
	u32 stale_ms;

	slot = kcalloc(n, sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return -ENOMEM;

	/* the caller made sure no replica comes twice */
	mutex_lock(&ln->lock);
	for (i = 0; i < n; i++) {
		struct lagwlc_replica *r = lagwlc_replica_find(ln, &reps[i].key);

		if (!r) {
			if (ln->count + n_new >= max_entries) {
				NL_SET_ERR_MSG_ATTR(extack, reps[i].nest,
						    "lag table full: max_entries reached, replica refused");
				err = -ENOSPC;
				goto err_free_new;
			}
			r = kzalloc(sizeof(*r), GFP_KERNEL);
			if (!r) {
				err = -ENOMEM;
				goto err_free_new;
			}
			r->key = reps[i].key;
			r->state = LAGWLC_STATE_NONE;
			slot[i].fresh = true;
			n_new++;
		}
		slot[i].r = r;
	}

	/* nothing fails from here on */
	lagwlc_params_snapshot(&p);
	stale_ms = lagwlc_param_stale_ms();
	for (i = 0; i < n; i++)
		lagwlc_apply(ln, slot[i].r, &reps[i], portid, &p, stale_ms);
	for (i = 0; i < n; i++) {
		struct lagwlc_replica *r = slot[i].r;

		if (!slot[i].fresh)
			continue;
		hash_add_rcu(ln->replicas, &r->node,
			     lagwlc_hash(r->key.af, &r->key.addr, r->key.port));
		ln->count++;
		lagwlc_bump_gen(ln);
	}
	/* no-op when already pending: that one fires earlier */
	queue_delayed_work(system_wq, &ln->stale_work, msecs_to_jiffies(stale_ms));
	goto out_unlock;

err_free_new:
	for (i = 0; i < n; i++) {
		if (slot[i].fresh)
			kfree(slot[i].r);
	}
out_unlock:
	mutex_unlock(&ln->lock);
	kfree(slot);
	return err;
}

/* Under ln->lock. */
static void lagwlc_remove(struct lagwlc_net *ln, struct lagwlc_replica *r,
			  u8 reason)
{
	u8 old = r->state;

	hash_del_rcu(&r->node);
	ln->count--;
	lagwlc_bump_gen(ln);
	r->state = LAGWLC_STATE_NONE;
	if (reason)
		lagwlc_notify(ln, r, old, reason);
	kfree_rcu(r, rcu);
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
	int bkt;

	hash_for_each_safe(ln->replicas, bkt, tmp, r, node)
		lagwlc_remove(ln, r, reason);
}

void lagwlc_replica_flush(struct lagwlc_net *ln)
{
	mutex_lock(&ln->lock);
	lagwlc_remove_all(ln, LAGWLC_REASON_FLUSH);
	mutex_unlock(&ln->lock);
}

/* A tunable changed: derive every replica of every namespace again. */
void lagwlc_rederive_all(void)
{
	struct lagwlc_net *ln;

	mutex_lock(&lagwlc_nets_lock);
	list_for_each_entry(ln, &lagwlc_nets, node) {
		mutex_lock(&ln->lock);
		lagwlc_derive_all(ln, LAGWLC_REASON_TUNABLE);
		mutex_unlock(&ln->lock);
	}
	mutex_unlock(&lagwlc_nets_lock);
}

/*
 * A netlink socket closed. Replicas it reported on go stale now rather than
 * after stale_ms: the prober that fed them is gone. The chain is blocking
 * (process context), so the table's mutex can be taken here.
 */
static int lagwlc_netlink_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct lagwlc_rule_params p;
	struct lagwlc_replica *r;
	struct lagwlc_net *ln;
	u32 stale_ms;
	int bkt;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;

	ln = lagwlc_net(n->net);
	lagwlc_params_snapshot(&p);
	stale_ms = lagwlc_param_stale_ms();
	mutex_lock(&ln->lock);
	hash_for_each(ln->replicas, bkt, r, node) {
		if (r->portid != n->portid || r->released)
			continue;
		r->released = true;
		lagwlc_derive(ln, r, &p, stale_ms, LAGWLC_REASON_RELEASE);
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
	hash_init(ln->replicas);
	ln->gen = 1;
	INIT_DELAYED_WORK(&ln->stale_work, lagwlc_stale_work);

	mutex_lock(&lagwlc_nets_lock);
	list_add(&ln->node, &lagwlc_nets);
	mutex_unlock(&lagwlc_nets_lock);
	return 0;
}

static void __net_exit lagwlc_net_exit(struct net *net)
{
	struct lagwlc_net *ln = lagwlc_net(net);

	/* off the list first, so that no tunable change re-arms the timer */
	mutex_lock(&lagwlc_nets_lock);
	list_del(&ln->node);
	mutex_unlock(&lagwlc_nets_lock);
	cancel_delayed_work_sync(&ln->stale_work);

	mutex_lock(&ln->lock);
	lagwlc_remove_all(ln, 0);	/* a dying namespace has no listeners */
	mutex_unlock(&ln->lock);
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
