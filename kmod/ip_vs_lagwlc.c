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
 * lagwlc_rule.h states the rule and lagwlc_cost.h the arithmetic: integer
 * cross-multiplication, no division, no overflow at any weight, connection
 * count or lag. The lag table (lag_table.c) is fed over generic netlink
 * (netlink.c) and tuned through module parameters (params.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <net/ip_vs.h>

#include "lagwlc.h"

/* Fill @load for @dest, or return false when wlc would not consider it. */
static bool lagwlc_load_of(struct ip_vs_dest *dest, struct lagwlc_load *load)
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

static struct ip_vs_dest *lagwlc_schedule(struct ip_vs_service *svc,
					  const struct sk_buff *skb,
					  struct ip_vs_iphdr *iph)
{
	struct lagwlc_net *ln = lagwlc_net(svc->ipvs->net);
	u32 penalty = lagwlc_param_lag_penalty_ms();
	struct lagwlc_choice choice = {};
	struct ip_vs_dest *dest;
	struct lagwlc_cand cand;
	bool all_lagging;

	list_for_each_entry_rcu(dest, &svc->destinations, n_list) {
		u32 view;

		if (!lagwlc_load_of(dest, &cand.load))
			continue;
		view = lagwlc_view_lookup(ln, dest->af, &dest->addr, dest->port);
		cand.lag_ms = lagwlc_view_lag(view);
		lagwlc_offer(&choice, dest, lagwlc_view_class(view), &cand,
			     penalty);
	}

	dest = lagwlc_chosen(&choice, lagwlc_param_all_lagging_reject(),
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
		      choice.least_c.load.weight, choice.least_c.load.overhead,
		      choice.least_c.lag_ms);
	return dest;
}

static struct ip_vs_scheduler lagwlc_scheduler = {
	.name = "lagwlc",
	.refcnt = ATOMIC_INIT(0),
	.module = THIS_MODULE,
	.n_list = LIST_HEAD_INIT(lagwlc_scheduler.n_list),
	.schedule = lagwlc_schedule,
};

static int __init lagwlc_init(void)
{
	int err;

	/* a lag and a class share the packet path's 32-bit word */
	BUILD_BUG_ON(LAGWLC_LAG_MAX_MS > LAGWLC_VIEW_LAG_MASK);
	BUILD_BUG_ON(LAGWLC_CLASS_EXCLUDED >= 1 << (32 - LAGWLC_VIEW_SHIFT));

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
