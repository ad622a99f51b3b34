// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcbench: times real IPVS schedulers' decisions, for bench/decision.
 * Test-only, never installed.
 *
 * It registers a dummy scheduler "lagwlcbench" whose only job is to learn
 * a service's address: `ipvsadm -A ... -s lagwlcbench` calls its
 * init_service, which keeps the svc pointer. The bench then switches that
 * same service to the scheduler under test (`ipvsadm -E ... -s wlc`), and
 * a write to /sys/module/lagwlcbench/parameters/run times calls of the
 * service's current scheduler's schedule() on it, as ip_vs_schedule() makes
 * them, under rcu_read_lock() with interrupts off. wlc, rr and lagwlc read
 * neither the skb nor the IP header (except in debug output), so NULL and
 * a zeroed header do.
 *
 *	run  "ITERS warm"	ITERS batches of 64 calls, caches warm
 *	run  "ITERS cold"	ITERS single calls, each after writing a
 *				buffer of 16 MiB (evicts caches and TLBs)
 *	conns "SEED"		give every destination pseudo-random active
 *				and inactive counts (0 for SEED 0), so that
 *				costs differ as on a live director
 *	result			the last run: scheduler, destinations, mode,
 *				median, 10th and 90th percentile of ps per
 *				call, and the median of an empty indirect call
 *				timed the same way (the method's floor)
 *
 * The pointer is kept until the next init_service: the caller must not
 * delete the service while it runs the bench (bench/decision does not).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <net/ip_vs.h>

#define BATCH		64
#define MAX_ITERS	4096
#define EVICT_BYTES	(16 << 20)

static struct ip_vs_service *bench_svc;
static DEFINE_MUTEX(bench_lock);
static char bench_result[256];

typedef struct ip_vs_dest *(*sched_fn)(struct ip_vs_service *svc,
				       const struct sk_buff *skb,
				       struct ip_vs_iphdr *iph);

static noinline struct ip_vs_dest *bench_empty(struct ip_vs_service *svc,
					       const struct sk_buff *skb,
					       struct ip_vs_iphdr *iph)
{
	barrier();
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* ps per call of @fn on @svc: @iters samples, sorted */
static void bench_time(sched_fn fn, struct ip_vs_service *svc, u64 *samples,
		       unsigned int iters, u8 *evict)
{
	struct ip_vs_iphdr iph = {};
	unsigned long flags;
	unsigned int i, k;
	u64 t0, t1;

	for (i = 0; i < iters; i++) {
		if (evict)
			memset(evict, i, EVICT_BYTES);
		local_irq_save(flags);
		t0 = ktime_get_ns();
		if (evict) {
			fn(svc, NULL, &iph);
		} else {
			for (k = 0; k < BATCH; k++)
				fn(svc, NULL, &iph);
		}
		t1 = ktime_get_ns();
		local_irq_restore(flags);
		samples[i] = (t1 - t0) * 1000 / (evict ? 1 : BATCH);
		cond_resched_rcu();
	}
	sort(samples, iters, sizeof(*samples), cmp_u64, NULL);
}

static int bench_run(unsigned int iters, bool cold)
{
	struct ip_vs_scheduler *sched;
	struct ip_vs_dest *dest;
	u64 *samples, *base;
	unsigned int n = 0;
	u8 *evict = NULL;
	char name[IP_VS_SCHEDNAME_MAXLEN];
	int err = 0;

	if (!bench_svc)
		return -ENOENT;
	samples = kcalloc(iters, sizeof(*samples), GFP_KERNEL);
	base = kcalloc(iters, sizeof(*base), GFP_KERNEL);
	if (cold)
		evict = vmalloc(EVICT_BYTES);
	if (!samples || !base || (cold && !evict)) {
		err = -ENOMEM;
		goto out;
	}
	rcu_read_lock();
	sched = rcu_dereference(bench_svc->scheduler);
	if (!sched) {
		rcu_read_unlock();
		err = -ENOENT;
		goto out;
	}
	strscpy(name, sched->name, sizeof(name));
	list_for_each_entry_rcu(dest, &bench_svc->destinations, n_list)
		n++;
	/* one untimed round first: the warm case starts warm */
	bench_time(sched->schedule, bench_svc, samples, min(iters, 8U), NULL);
	bench_time(sched->schedule, bench_svc, samples, iters, evict);
	bench_time(bench_empty, bench_svc, base, iters, evict);
	rcu_read_unlock();
	scnprintf(bench_result, sizeof(bench_result),
		  "sched=%s dests=%u mode=%s iters=%u median_ps=%llu p10_ps=%llu p90_ps=%llu empty_ps=%llu\n",
		  name, n, cold ? "cold" : "warm", iters, samples[iters / 2],
		  samples[iters / 10], samples[iters * 9 / 10], base[iters / 2]);
out:
	vfree(evict);
	kfree(base);
	kfree(samples);
	return err;
}

static int bench_run_set(const char *val, const struct kernel_param *kp)
{
	unsigned int iters;
	char mode[8];
	int err;

	if (sscanf(val, "%u %7s", &iters, mode) != 2 || !iters ||
	    iters > MAX_ITERS || (strcmp(mode, "warm") && strcmp(mode, "cold")))
		return -EINVAL;
	mutex_lock(&bench_lock);
	err = bench_run(iters, !strcmp(mode, "cold"));
	mutex_unlock(&bench_lock);
	return err;
}

static int bench_result_get(char *buf, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&bench_lock);
	n = scnprintf(buf, PAGE_SIZE, "%s", bench_result);
	mutex_unlock(&bench_lock);
	return n;
}

static int bench_conns_set(const char *val, const struct kernel_param *kp)
{
	struct ip_vs_dest *dest;
	u32 seed;

	if (kstrtou32(val, 0, &seed))
		return -EINVAL;
	mutex_lock(&bench_lock);
	if (!bench_svc) {
		mutex_unlock(&bench_lock);
		return -ENOENT;
	}
	rcu_read_lock();
	list_for_each_entry_rcu(dest, &bench_svc->destinations, n_list) {
		/* xorshift: deterministic per seed */
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		atomic_set(&dest->activeconns, seed ? seed % 64 : 0);
		atomic_set(&dest->totalconns, seed ? (seed >> 8) % 256 : 0);
	}
	rcu_read_unlock();
	mutex_unlock(&bench_lock);
	return 0;
}

static const struct kernel_param_ops bench_run_ops = {
	.set = bench_run_set,
	.get = bench_result_get,
};

static const struct kernel_param_ops bench_conns_ops = {
	.set = bench_conns_set,
};

module_param_cb(run, &bench_run_ops, NULL, 0600);
MODULE_PARM_DESC(run, "write \"ITERS warm|cold\" to time; read the result");
module_param_cb(conns, &bench_conns_ops, NULL, 0200);
MODULE_PARM_DESC(conns, "write a seed: pseudo-random connection counts");

static int bench_init_service(struct ip_vs_service *svc)
{
	mutex_lock(&bench_lock);
	bench_svc = svc;
	mutex_unlock(&bench_lock);
	return 0;
}

static struct ip_vs_dest *bench_schedule(struct ip_vs_service *svc,
					 const struct sk_buff *skb,
					 struct ip_vs_iphdr *iph)
{
	return NULL;	/* never carries traffic */
}

static struct ip_vs_scheduler bench_scheduler = {
	.name = "lagwlcbench",
	.refcnt = ATOMIC_INIT(0),
	.module = THIS_MODULE,
	.n_list = LIST_HEAD_INIT(bench_scheduler.n_list),
	.init_service = bench_init_service,
	.schedule = bench_schedule,
};

static int __init bench_init(void)
{
	return register_ip_vs_scheduler(&bench_scheduler);
}

static void __exit bench_exit(void)
{
	unregister_ip_vs_scheduler(&bench_scheduler);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lagwlc test-only: times IPVS schedulers' decisions");
