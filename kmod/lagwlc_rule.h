/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lag rule of the lagwlc scheduler, as pure integer code shared with the
 * user-space unit tests (tests/unit/test_rule.c), like lagwlc_cost.h.
 *
 * A replica's report (lag, health) and its age give a state:
 *
 *	stale	no report for stale_ms, or its reporting socket closed
 *	down	reported down
 *	lagging	lag > max_lag_ms, and stays so until lag <= readmit_lag_ms
 *	ok	otherwise
 *
 * and the state gives the class the scheduler sees, with the lag it counts
 * rounded down to a multiple of lag_noise_ms (lagwlc_counted_lag()):
 *
 *	ok		normal, with its lag
 *	lagging		lagging: chosen only when no normal candidate exists
 *	down		excluded
 *	stale		stale_policy=open: normal with lag 0 (plain wlc);
 *			stale_policy=closed: excluded
 *	no entry	normal with lag 0 (plain wlc)
 *
 * Among normal candidates the least cost wins (lagwlc_cost.h) with
 *
 *	factor = lag_penalty_ms + lag	(1 when lag_penalty_ms is 0)
 *
 * that is cost = overhead * (penalty + lag) / (weight * penalty) with the
 * common "/ penalty" dropped; equal costs go to the lower lag, then to the
 * first in list. With every lag 0 the factors are equal and the choice is
 * wlc's. Among lagging candidates (used only when there is no normal one,
 * and all_lagging=least_lag) the least lag wins, then wlc's cost.
 */
#ifndef _LAGWLC_RULE_H
#define _LAGWLC_RULE_H

#include <linux/lagwlc.h>
#include "lagwlc_cost.h"

enum lagwlc_class {
	LAGWLC_CLASS_NORMAL,
	LAGWLC_CLASS_LAGGING,
	LAGWLC_CLASS_EXCLUDED,
};

/* The tunables that the rule reads (see params.c for their meaning). */
struct lagwlc_rule_params {
	u32 max_lag_ms;
	u32 readmit_lag_ms;
	u32 lag_penalty_ms;
	u32 lag_noise_ms;
	bool stale_closed;
};

/*
 * New state of a replica. @lagging carries the hysteresis from one
 * derivation to the next; it moves only while the replica is up, so a
 * replica that was lagging before it went down or stale is still lagging
 * when it comes back, until its lag drops to readmit_lag_ms.
 */
static inline u8 lagwlc_derive_state(bool up, u32 lag_ms, bool stale,
				     bool *lagging,
				     const struct lagwlc_rule_params *p)
{
	if (up && !stale)
		*lagging = lag_ms > p->max_lag_ms ||
			   (*lagging && lag_ms > p->readmit_lag_ms);
	if (stale)
		return LAGWLC_STATE_STALE;
	if (!up)
		return LAGWLC_STATE_DOWN;
	return *lagging ? LAGWLC_STATE_LAGGING : LAGWLC_STATE_OK;
}

/*
 * The lag the scheduler counts: the measured one rounded down to a multiple
 * of lag_noise_ms. A heartbeat lag is a sawtooth as wide as the heartbeat
 * period (plus the probe's timing); weighed exactly, it moves a healthy
 * replica's factor by a few tens of percent from one report to the next,
 * and since the factor scales all of its connections (those in FIN_WAIT
 * for two minutes included), each move sends the next hundreds of new
 * connections all one way. Lags in one step weigh the same, so healthy
 * replicas share as under wlc; whole seconds of lag still count in full.
 */
static inline u32 lagwlc_counted_lag(u32 lag_ms, u32 lag_noise_ms)
{
	return lag_noise_ms > 1 ? lag_ms - lag_ms % lag_noise_ms : lag_ms;
}

/* The class the scheduler sees for @state, and the lag it counts. */
static inline enum lagwlc_class lagwlc_class_of(u8 state, u32 *lag_ms,
						const struct lagwlc_rule_params *p)
{
	switch (state) {
	case LAGWLC_STATE_OK:
		*lag_ms = lagwlc_counted_lag(*lag_ms, p->lag_noise_ms);
		return LAGWLC_CLASS_NORMAL;
	case LAGWLC_STATE_LAGGING:
		*lag_ms = lagwlc_counted_lag(*lag_ms, p->lag_noise_ms);
		return LAGWLC_CLASS_LAGGING;
	case LAGWLC_STATE_STALE:
		if (p->stale_closed)
			return LAGWLC_CLASS_EXCLUDED;
		*lag_ms = 0;
		return LAGWLC_CLASS_NORMAL;
	case LAGWLC_STATE_NONE:
		*lag_ms = 0;
		return LAGWLC_CLASS_NORMAL;
	default:
		return LAGWLC_CLASS_EXCLUDED;
	}
}

/*
 * The word the packet path reads per replica: class << LAGWLC_VIEW_SHIFT |
 * lag in ms. 32 bits, so that it is loaded whole on every architecture and
 * the scheduler never sees a class from one report with a lag from
 * another; lags are clamped to LAGWLC_LAG_MAX_MS, which fits below the
 * shift.
 */
#define LAGWLC_VIEW_SHIFT	30
#define LAGWLC_VIEW_LAG_MASK	((1U << LAGWLC_VIEW_SHIFT) - 1)

static inline u32 lagwlc_view(enum lagwlc_class class, u32 lag_ms)
{
	return (u32)class << LAGWLC_VIEW_SHIFT | lag_ms;
}

static inline enum lagwlc_class lagwlc_view_class(u32 view)
{
	return view >> LAGWLC_VIEW_SHIFT;
}

static inline u32 lagwlc_view_lag(u32 view)
{
	return view & LAGWLC_VIEW_LAG_MASK;
}

/* A destination the scheduler may choose. */
struct lagwlc_cand {
	struct lagwlc_load load;
	u32 lag_ms;
};

static inline u64 lagwlc_factor(u32 lag_ms, u32 lag_penalty_ms)
{
	return lag_penalty_ms ? (u64)lag_penalty_ms + lag_ms : 1;
}

/* Is normal candidate @a strictly better than @b (which comes first)? */
static inline bool lagwlc_better(const struct lagwlc_cand *a,
				 const struct lagwlc_cand *b)
{
	int c = lagwlc_cost_cmp(&a->load, &b->load);

	if (c)
		return c < 0;
	return a->lag_ms < b->lag_ms;
}

/* Is lagging candidate @a strictly better than @b: less lag, then wlc. */
static inline bool lagwlc_less_lagged(const struct lagwlc_cand *a,
				      const struct lagwlc_cand *b)
{
	if (a->lag_ms != b->lag_ms)
		return a->lag_ms < b->lag_ms;
	return lagwlc_cost_cmp(&a->load, &b->load) < 0;
}

/*
 * The choice among a service's destinations: offer each one, in list order,
 * with its class and candidate figures, then take lagwlc_chosen(). @dest is
 * opaque here (struct ip_vs_dest * in the kernel).
 */
struct lagwlc_choice {
	void *least, *least_lagged;
	struct lagwlc_cand least_c, least_lagged_c;
};

static inline void lagwlc_offer(struct lagwlc_choice *ch, void *dest,
				enum lagwlc_class class, struct lagwlc_cand *c,
				u32 lag_penalty_ms)
{
	switch (class) {
	case LAGWLC_CLASS_NORMAL:
		c->load.factor = lagwlc_factor(c->lag_ms, lag_penalty_ms);
		if (!ch->least || lagwlc_better(c, &ch->least_c)) {
			ch->least = dest;
			ch->least_c = *c;
		}
		break;
	case LAGWLC_CLASS_LAGGING:
		c->load.factor = 1;
		if (!ch->least_lagged ||
		    lagwlc_less_lagged(c, &ch->least_lagged_c)) {
			ch->least_lagged = dest;
			ch->least_lagged_c = *c;
		}
		break;
	default:
		break;
	}
}

/*
 * The same choice among normal candidates, in the form the scheduler's
 * fast loop uses. Writers keep, next to each destination, its factor
 * (lagwlc_view_factor()); the best so far is four scalars the compiler
 * keeps in registers; each candidate costs one multiplication by its
 * factor and one comparison of two products. As the penalty is the same
 * for all, the lower lag of a tie is the lower factor. It picks what
 * lagwlc_offer() picks among LAGWLC_CLASS_NORMAL candidates
 * (tests/unit/test_rule.c checks it).
 *
 * No overflow: overhead < 2^31 and factor <= lag_penalty_ms + lag, both at
 * most LAGWLC_LAG_MAX_MS < 2^30, so overhead * factor < 2^62; weights are
 * below 2^31 and lagwlc_mul_below() compares the 93-bit products.
 */
static inline u32 lagwlc_view_factor(u32 view, u32 lag_penalty_ms)
{
	/* 0: not a normal candidate, or no lag term (the general loop) */
	if (lagwlc_view_class(view) != LAGWLC_CLASS_NORMAL || !lag_penalty_ms)
		return 0;
	return lag_penalty_ms + lagwlc_view_lag(view);
}

struct lagwlc_pick {
	void *least;
	u64 ohf;		/* overhead * factor */
	u32 weight;
	u32 factor;
};

/* Start: weight 0, an infinite cost, so the first candidate wins. */
static inline void lagwlc_pick_init(struct lagwlc_pick *p)
{
	p->least = NULL;
	p->ohf = 1;
	p->weight = 0;
	p->factor = ~0U;
}

/* Offer a normal candidate of weight >= 1. */
static __always_inline void lagwlc_pick_offer(struct lagwlc_pick *p,
					      void *dest, u32 overhead,
					      u32 weight, u32 factor)
{
	u64 ohf = (u64)overhead * factor;
	bool take;

	/* cost(dest) against cost(least), both scaled by both weights */
	if (likely(!((ohf | p->ohf) >> 32))) {
		/*
		 * Both products are below 2^63 (weights are below 2^31), so
		 * "less, or equal with a lower factor" is one comparison:
		 * 2 * lhs + (factor >= least's) <= 2 * rhs.
		 */
		take = 2 * (ohf * p->weight) + (factor >= p->factor) <=
		       2 * (p->ohf * weight);
	} else {
		int c = lagwlc_cmp_mul_wide(ohf, p->weight, p->ohf, weight);

		take = c < 0 || (c == 0 && factor < p->factor);
	}
	if (take) {
		p->least = dest;
		p->ohf = ohf;
		p->weight = weight;
		p->factor = factor;
	}
}

/*
 * The destination to use, or NULL. A lagging one only when no other is
 * left and @reject_lagging (all_lagging=reject) is false; *@all_lagging
 * tells the caller that lagging destinations were all there was.
 */
static inline void *lagwlc_chosen(struct lagwlc_choice *ch,
				  bool reject_lagging, bool *all_lagging)
{
	*all_lagging = !ch->least && ch->least_lagged;
	if (ch->least)
		return ch->least;
	if (reject_lagging)
		return NULL;
	ch->least_c = ch->least_lagged_c;
	return ch->least_lagged;
}

/*
 * Slow start. A destination that enters the candidate set (up after down,
 * readmitted after lagging, the end of stale under stale_policy=closed,
 * its entry deleted while it was out, a new real server) ramps for
 * slow_start_ms. wlc's cost cannot ramp it: it compares stocks of
 * connections (overhead = 256 * active + inactive), and a destination
 * with none wins every comparison however small its weight, until its
 * stock has caught up with the others' (their FIN_WAIT connections
 * included). Scaling its weight, or adding a constant to its overhead,
 * only moves the stock it must reach; the flood stays.
 *
 * So the ramp limits the rate instead: in each decision a ramping
 * destination takes part with probability
 *
 *	f = max(elapsed, len / 32) / len
 *
 * (elapsed: time since it entered, len: slow_start_ms, both in jiffies),
 * and when it takes part it competes with its plain cost. Its share of
 * new connections is then at most f, whatever its weight and however
 * many connections the others hold: 1/32 at first, growing linearly to
 * all of them at the end of the ramp, when the rule is the plain one
 * again. A destination that has caught up gets wlc's share, which is
 * less. One held back is still chosen when no other normal candidate is
 * left (it is never refused, nor replaced by a lagging one).
 *
 * The decision is integer only and exact: rnd < f * 2^32, that is
 *
 *	rnd * len < max(elapsed, len / 32) * 2^32
 *
 * with len below 2^32 (the caller clamps it) and elapsed below len: both
 * products are below 2^64.
 */
#define LAGWLC_RAMP_MIN_SHIFT	5	/* the ramp starts at 1/32 */

/*
 * Time since @since, at @now (jiffies). The subtraction is modulo the
 * word, so a ramp across the jiffies wrap counts right; a stamp "in the
 * future" (which writers never store) gives a huge value, that is a ramp
 * that has ended.
 */
static inline unsigned long lagwlc_ramp_elapsed(unsigned long now,
						unsigned long since)
{
	return now - since;
}

/* Does a destination @elapsed into a ramp of @len take part? @rnd: uniform. */
static inline bool lagwlc_ramp_admit(unsigned long elapsed, u32 len, u32 rnd)
{
	u32 at = len >> LAGWLC_RAMP_MIN_SHIFT;

	if (elapsed >= len)
		return true;	/* ended (or len 0: no slow start) */
	if (elapsed > at)
		at = elapsed;	/* below len, so it fits */
	return (u64)rnd * len < (u64)at << 32;
}

/*
 * The destination to use when some normal candidates were held back by
 * their ramp (offered to @held rather than @ch): a normal candidate that
 * took part, else the best held-back one, else lagwlc_chosen().
 */
static inline void *lagwlc_chosen_held(struct lagwlc_choice *ch,
				       struct lagwlc_choice *held,
				       bool reject_lagging, bool *all_lagging)
{
	if (!ch->least && held->least) {
		*all_lagging = false;
		ch->least_c = held->least_c;
		return held->least;
	}
	return lagwlc_chosen(ch, reject_lagging, all_lagging);
}

#endif /* _LAGWLC_RULE_H */
