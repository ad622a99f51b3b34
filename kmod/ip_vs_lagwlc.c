// SPDX-License-Identifier: GPL-2.0
/*
 * ip_vs_lagwlc: IPVS weighted least-connection scheduling for database
 * replicas, aware of replication lag.
 *
 * Each new connection goes to the destination of least
 *
 *	cost(d) = overhead(d) * factor(d) / weight(d)
 *
 * among those stock wlc would consider (not IP_VS_DEST_F_OVERLOAD,
 * weight > 0); equal costs go to the first in the service's list. overhead
 * is ip_vs_dest_conn_overhead(), as in wlc. factor is the lag term; it is 1
 * for every destination in this version, which makes the choice exactly
 * wlc's. lagwlc_cost.h does the comparison in integers, without division and
 * without overflow at any weight, connection count or factor.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <net/ip_vs.h>

#include "lagwlc_cost.h"

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
	struct ip_vs_dest *dest, *least = NULL;
	struct lagwlc_load least_load, load;

	list_for_each_entry_rcu(dest, &svc->destinations, n_list) {
		if (!lagwlc_load_of(dest, &load))
			continue;
		if (!least || lagwlc_costlier(&least_load, &load)) {
			least = dest;
			least_load = load;
		}
	}

	if (!least) {
		ip_vs_scheduler_err(svc, "no destination available");
		return NULL;
	}

	IP_VS_DBG_BUF(6, "LAGWLC: server %s:%u activeconns %d weight %u overhead %u\n",
		      IP_VS_DBG_ADDR(least->af, &least->addr),
		      ntohs(least->port), atomic_read(&least->activeconns),
		      least_load.weight, least_load.overhead);
	return least;
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
	return register_ip_vs_scheduler(&lagwlc_scheduler);
}

static void __exit lagwlc_exit(void)
{
	unregister_ip_vs_scheduler(&lagwlc_scheduler);
	/* packets may still be walking lagwlc_schedule() */
	synchronize_rcu();
}

module_init(lagwlc_init);
module_exit(lagwlc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IPVS weighted least-connection scheduler aware of database replication lag");
MODULE_AUTHOR("The lagwlc authors");
MODULE_VERSION(LAGWLC_VERSION);
