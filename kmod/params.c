// SPDX-License-Identifier: GPL-2.0
/*
 * Run-time tunables, in /sys/module/ip_vs_lagwlc/parameters/. Every write
 * is validated: a bad one fails with -EINVAL and leaves the old value; a good
 * one re-derives every replica's state in every namespace at once. Writes are
 * serialised by the module's parameter lock, which makes the
 * readmit_lag_ms <= max_lag_ms check race-free; readers use READ_ONCE().
 *
 * Options given at load time (modprobe, /etc/modprobe.d/) come in any
 * order: until lagwlc_params_check() runs from module init, each is checked
 * against its own range only, and then the pair is checked once, so that
 * "max_lag_ms=1000 readmit_lag_ms=500" loads although max_lag_ms is set
 * while readmit_lag_ms is still at its default of 2000.
 *
 * Defaults, and why:
 * - max_lag_ms 5000, readmit_lag_ms 2000: MySQL/MariaDB operators commonly
 *   take replicas out of the read pool a few seconds behind (proxies ship
 *   cut-offs of 5-30 s). Seconds_Behind_Master moves in whole seconds and
 *   jitters between 0 and 1 on a healthy replica, so the hysteresis band
 *   (3 s) is wider than that resolution: one tick cannot flap a replica.
 * - lag_penalty_ms 1000: a replica 1 s behind counts as twice as loaded as
 *   one in sync, 4 s behind five times: lag steers load before the cut-off.
 * - lag_noise_ms 500: lags weigh in steps of 500 ms. A heartbeat lag swings
 *   between 0 and the heartbeat period plus the probe's timing (0-300 ms
 *   with 100 ms heartbeats in the lab); weighed to the millisecond, that
 *   noise alone split two healthy replicas 27/73 (lagwlc_rule.h says why).
 *   With a 1 s heartbeat (pt-heartbeat's default) raise it to 1000.
 * - stale_ms 3000: a dozen missed reports at lagwlcd's default 250 ms poll,
 *   and still three at a slow 1 s poll.
 * - stale_policy open: when reports stop (the prober died), fall back to
 *   plain wlc rather than refuse every read; "closed" suits sites that prefer
 *   no read to a possibly stale one.
 * - all_lagging least_lag: when every replica is behind, serve the freshest
 *   rather than none; "reject" refuses the connection instead.
 * - max_entries 4096 per network namespace: far above any replica fleet,
 *   small enough to bound memory (about 128 bytes an entry).
 * - evict_ms 600000: an entry whose reporting socket closed (its prober
 *   stopped) and that nobody reported since is forgotten after 10 minutes,
 *   so that replicas that left do not fill the table; a prober restart
 *   reports again within a poll. Not under stale_policy=closed, where the
 *   stale entry is what keeps the replica out.
 * - slow_start_ms 0: off, so that with no lag known the scheduler stays
 *   exactly wlc. A few seconds (5000) let a replica that comes back warm
 *   its buffer pool before it takes its full share; lagwlc_rule.h says
 *   how the ramp limits it.
 *
 * max_lag_ms, readmit_lag_ms, lag_penalty_ms, slow_start_ms, stale_policy
 * and all_lagging can be overridden per IPVS service (LAGWLC_CMD_SVC_SET,
 * lagwlc_svc_eff()); a change here reaches every service that does not
 * override it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "lagwlc.h"

static u32 max_lag_ms = 5000;
static u32 readmit_lag_ms = 2000;
static u32 lag_penalty_ms = 1000;
static u32 lag_noise_ms = 500;
static u32 stale_ms = 3000;
static u32 max_entries = 4096;
static u32 evict_ms = 600000;
static u32 slow_start_ms;
static unsigned int stale_policy;	/* index in stale_policy_names */
static unsigned int all_lagging;	/* index in all_lagging_names */

static const char * const stale_policy_names[] = { "open", "closed" };
static const char * const all_lagging_names[] = { "least_lag", "reject" };

#define STALE_MS_MIN		10
#define MAX_ENTRIES_MAX		1048576

void lagwlc_params_snapshot(struct lagwlc_rule_params *p)
{
	p->max_lag_ms = READ_ONCE(max_lag_ms);
	p->readmit_lag_ms = READ_ONCE(readmit_lag_ms);
	p->lag_penalty_ms = READ_ONCE(lag_penalty_ms);
	p->lag_noise_ms = READ_ONCE(lag_noise_ms);
	p->stale_closed = READ_ONCE(stale_policy) == 1;
}

u32 lagwlc_param_stale_ms(void)
{
	return READ_ONCE(stale_ms);
}

u32 lagwlc_param_max_entries(void)
{
	return READ_ONCE(max_entries);
}

u32 lagwlc_param_evict_ms(void)
{
	return READ_ONCE(evict_ms);
}

bool lagwlc_param_all_lagging_reject(void)
{
	return READ_ONCE(all_lagging) == 1;
}

/*
 * The values in force for a service with settings @c (NULL: none): each
 * setting given, else the module parameter. readmit_lag_ms is capped at
 * max_lag_ms, whichever of the two each comes from, so that a strict
 * service's max_lag_ms below the global readmit_lag_ms works alone.
 */
void lagwlc_svc_eff(const struct lagwlc_svc_conf *c, struct lagwlc_svc_eff *e)
{
	lagwlc_params_snapshot(&e->rp);
	e->slow_start_ms = READ_ONCE(slow_start_ms);
	e->reject_lagging = lagwlc_param_all_lagging_reject();
	if (c) {
		if (c->set & BIT(LAGWLC_S_MAX_LAG_MS))
			e->rp.max_lag_ms = c->max_lag_ms;
		if (c->set & BIT(LAGWLC_S_READMIT_LAG_MS))
			e->rp.readmit_lag_ms = c->readmit_lag_ms;
		if (c->set & BIT(LAGWLC_S_LAG_PENALTY_MS))
			e->rp.lag_penalty_ms = c->lag_penalty_ms;
		if (c->set & BIT(LAGWLC_S_SLOW_START_MS))
			e->slow_start_ms = c->slow_start_ms;
		if (c->set & BIT(LAGWLC_S_STALE_POLICY))
			e->rp.stale_closed =
				c->stale_policy == LAGWLC_STALE_CLOSED;
		if (c->set & BIT(LAGWLC_S_ALL_LAGGING))
			e->reject_lagging =
				c->all_lagging == LAGWLC_ALL_LAGGING_REJECT;
	}
	e->rp.readmit_lag_ms = min(e->rp.readmit_lag_ms, e->rp.max_lag_ms);
}

/* Set by lagwlc_params_check(): from then on writes are run-time writes. */
static bool lagwlc_params_live;

/*
 * A u32 tunable and its bounds; floor/ceiling, when set, point to another
 * tunable that bounds this one at run time (readmit_lag_ms <= max_lag_ms).
 */
struct lagwlc_u32_param {
	u32 *val;
	u32 min, max;
	const u32 *floor, *ceiling;
};

static int lagwlc_set_u32(const char *val, const struct kernel_param *kp)
{
	const struct lagwlc_u32_param *up = kp->arg;
	u32 lo = up->min, hi = up->max;
	u32 v;

	if (lagwlc_params_live) {
		if (up->floor)
			lo = *up->floor;
		if (up->ceiling)
			hi = *up->ceiling;
	}
	if (kstrtou32(val, 0, &v) || v < lo || v > hi)
		return -EINVAL;
	WRITE_ONCE(*up->val, v);
	if (lagwlc_params_live)
		lagwlc_rederive_all();
	return 0;
}

static int lagwlc_get_u32(char *buf, const struct kernel_param *kp)
{
	const struct lagwlc_u32_param *up = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(*up->val));
}

static const struct kernel_param_ops lagwlc_u32_ops = {
	.set = lagwlc_set_u32,
	.get = lagwlc_get_u32,
};

static struct lagwlc_u32_param max_lag_ms_param = {
	.val = &max_lag_ms, .min = 0, .max = LAGWLC_LAG_MAX_MS,
	.floor = &readmit_lag_ms,
};
module_param_cb(max_lag_ms, &lagwlc_u32_ops, &max_lag_ms_param, 0644);
MODULE_PARM_DESC(max_lag_ms, "Lag (ms) above which a replica is lagging and gets no new connection (default 5000)");

static struct lagwlc_u32_param readmit_lag_ms_param = {
	.val = &readmit_lag_ms, .min = 0, .max = LAGWLC_LAG_MAX_MS,
	.ceiling = &max_lag_ms,
};
module_param_cb(readmit_lag_ms, &lagwlc_u32_ops, &readmit_lag_ms_param, 0644);
MODULE_PARM_DESC(readmit_lag_ms, "Lag (ms) a lagging replica must fall to before it is chosen again; <= max_lag_ms (default 2000)");

static struct lagwlc_u32_param lag_penalty_ms_param = {
	.val = &lag_penalty_ms, .min = 0, .max = LAGWLC_LAG_MAX_MS,
};
module_param_cb(lag_penalty_ms, &lagwlc_u32_ops, &lag_penalty_ms_param, 0644);
MODULE_PARM_DESC(lag_penalty_ms, "Cost is scaled by (lag_penalty_ms + lag) / lag_penalty_ms; 0: lag does not weigh (default 1000)");

static struct lagwlc_u32_param lag_noise_ms_param = {
	.val = &lag_noise_ms, .min = 0, .max = LAGWLC_LAG_MAX_MS,
};
module_param_cb(lag_noise_ms, &lagwlc_u32_ops, &lag_noise_ms_param, 0644);
MODULE_PARM_DESC(lag_noise_ms, "Lags count rounded down to a multiple of this (ms): differences within the measurement's noise move no load; 0: exact (default 500)");

static struct lagwlc_u32_param stale_ms_param = {
	.val = &stale_ms, .min = STALE_MS_MIN, .max = LAGWLC_LAG_MAX_MS,
};
module_param_cb(stale_ms, &lagwlc_u32_ops, &stale_ms_param, 0644);
MODULE_PARM_DESC(stale_ms, "A replica with no report for this long (ms) is stale (default 3000)");

/* lowering it below the current count refuses new entries only */
static struct lagwlc_u32_param max_entries_param = {
	.val = &max_entries, .min = 1, .max = MAX_ENTRIES_MAX,
};
module_param_cb(max_entries, &lagwlc_u32_ops, &max_entries_param, 0644);
MODULE_PARM_DESC(max_entries, "Most replicas in the lag table of one network namespace (default 4096)");

static struct lagwlc_u32_param evict_ms_param = {
	.val = &evict_ms, .min = 0, .max = LAGWLC_LAG_MAX_MS,
};
module_param_cb(evict_ms, &lagwlc_u32_ops, &evict_ms_param, 0644);
MODULE_PARM_DESC(evict_ms, "An entry stale since its reporting socket closed is forgotten after this long (ms); 0: never; not under stale_policy=closed (default 600000)");

/* a change re-derives: ramps over by the new length end at once */
static struct lagwlc_u32_param slow_start_ms_param = {
	.val = &slow_start_ms, .min = 0, .max = LAGWLC_LAG_MAX_MS,
};
module_param_cb(slow_start_ms, &lagwlc_u32_ops, &slow_start_ms_param, 0644);
MODULE_PARM_DESC(slow_start_ms, "A replica entering the candidate set (up, readmitted, new) ramps over this long (ms) from 1/32 to all of the new connections it may take; 0: off (default 0)");

/* Keyword tunables: kp->arg is the index of the keyword in names[]. */
struct lagwlc_keywords {
	unsigned int *index;
	const char * const *names;
	size_t n;
};

static int lagwlc_set_keyword(const char *val, const struct kernel_param *kp)
{
	const struct lagwlc_keywords *kw = kp->arg;
	int i = __sysfs_match_string(kw->names, kw->n, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(*kw->index, i);
	if (lagwlc_params_live)
		lagwlc_rederive_all();
	return 0;
}

static int lagwlc_get_keyword(char *buf, const struct kernel_param *kp)
{
	const struct lagwlc_keywords *kw = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%s\n", kw->names[READ_ONCE(*kw->index)]);
}

static const struct kernel_param_ops lagwlc_keyword_ops = {
	.set = lagwlc_set_keyword,
	.get = lagwlc_get_keyword,
};

static struct lagwlc_keywords stale_policy_kw = {
	&stale_policy, stale_policy_names, ARRAY_SIZE(stale_policy_names)
};
module_param_cb(stale_policy, &lagwlc_keyword_ops, &stale_policy_kw, 0644);
MODULE_PARM_DESC(stale_policy, "open: a stale replica counts as lag 0 (plain wlc); closed: it is never chosen (default open)");

static struct lagwlc_keywords all_lagging_kw = {
	&all_lagging, all_lagging_names, ARRAY_SIZE(all_lagging_names)
};
module_param_cb(all_lagging, &lagwlc_keyword_ops, &all_lagging_kw, 0644);
MODULE_PARM_DESC(all_lagging, "When every candidate lags: least_lag chooses the least lagged, reject chooses none (default least_lag)");

/*
 * From module init: check the load-time options together, then switch to
 * run-time validation. Under the parameter lock, so that a write through
 * sysfs (whose files exist during init) is either checked here or checked
 * as a run-time write.
 */
int lagwlc_params_check(void)
{
	int err = 0;

	kernel_param_lock(THIS_MODULE);
	if (readmit_lag_ms > max_lag_ms) {
		pr_err("readmit_lag_ms=%u is above max_lag_ms=%u: not loading (readmit_lag_ms must be <= max_lag_ms)\n",
		       readmit_lag_ms, max_lag_ms);
		err = -EINVAL;
	} else {
		lagwlc_params_live = true;
	}
	kernel_param_unlock(THIS_MODULE);
	return err;
}
