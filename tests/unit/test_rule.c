// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/lagwlc_rule.h: state derivation with hysteresis, the
 * classes the scheduler sees, and the comparison of candidates, including
 * a reference selection run over random destination sets.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kshim.h"
#include "lagwlc_rule.h"
#include "tap.h"

static const struct lagwlc_rule_params defaults = {
	.max_lag_ms = 5000, .readmit_lag_ms = 2000, .lag_penalty_ms = 1000,
};

/* Feed a sequence of lags to one replica; return the states, as letters. */
static void walk(const u32 *lags, int n, char *out)
{
	bool lagging = false;
	int i;

	for (i = 0; i < n; i++) {
		u8 s = lagwlc_derive_state(true, lags[i], false, &lagging, &defaults);

		out[i] = s == LAGWLC_STATE_OK ? 'o' : s == LAGWLC_STATE_LAGGING ? 'L' : '?';
	}
	out[n] = '\0';
}

static u64 rnd_state = 88172645463325252ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

struct dest {
	u32 overhead, weight, lag;
	u8 state;
};

/* The scheduler's loop, as in ip_vs_lagwlc.c, over an array. */
static int choose(struct dest *d, int n, const struct lagwlc_rule_params *p,
		  bool reject)
{
	struct lagwlc_choice ch = { 0 };
	struct lagwlc_cand c;
	bool all_lagging;
	struct dest *got;
	int i;

	for (i = 0; i < n; i++) {
		if (!d[i].weight)
			continue;
		c.load.overhead = d[i].overhead;
		c.load.weight = d[i].weight;
		c.load.factor = 1;
		c.lag_ms = d[i].lag;
		lagwlc_offer(&ch, &d[i], lagwlc_class_of(d[i].state, &c.lag_ms, p),
			     &c, p->lag_penalty_ms);
	}
	got = lagwlc_chosen(&ch, reject, &all_lagging);
	return got ? (int)(got - d) : -1;
}

/*
 * The kernel's fast loop (ip_vs_lagwlc.c lagwlc_schedule_lag()): each
 * destination's factor from its view, weight 0 and non-normal ones
 * skipped, lagwlc_pick_offer() over the rest; -1 when it finds no normal
 * candidate (the kernel then runs the general loop, choose() above).
 */
static int pick(struct dest *d, int n, const struct lagwlc_rule_params *p)
{
	struct lagwlc_pick pk;
	int i;

	lagwlc_pick_init(&pk);
	for (i = 0; i < n; i++) {
		u32 lag = d[i].lag;
		enum lagwlc_class cls = lagwlc_class_of(d[i].state, &lag, p);
		u32 f = lagwlc_view_factor(lagwlc_view(cls, lag), p->lag_penalty_ms);

		if (!f || !d[i].weight)
			continue;
		lagwlc_pick_offer(&pk, &d[i], d[i].overhead, d[i].weight, f);
	}
	return pk.least ? (int)((struct dest *)pk.least - d) : -1;
}

/* Stock wlc, for the "no lag means wlc" property. */
static int wlc(const struct dest *d, int n)
{
	int i, least = -1;

	for (i = 0; i < n; i++) {
		if (!d[i].weight)
			continue;
		if (least < 0 || (int64_t)d[least].overhead * d[i].weight >
				 (int64_t)d[i].overhead * d[least].weight)
			least = i;
	}
	return least;
}


/*
 * Slow start: the first rnd that lagwlc_ramp_admit() refuses, computed
 * with 128-bit arithmetic from the stated rule (rnd < f * 2^32), 2^32 when
 * every rnd is admitted.
 */
static u64 ramp_threshold(unsigned long elapsed, u32 len)
{
	unsigned __int128 at, q;

	if (elapsed >= len)
		return 1ULL << 32;
	at = elapsed > (len >> LAGWLC_RAMP_MIN_SHIFT) ? elapsed : len >> LAGWLC_RAMP_MIN_SHIFT;
	/* the least rnd with rnd * len >= at * 2^32: ceil(at * 2^32 / len) */
	q = ((at << 32) + len - 1) / len;
	return (u64)q;
}

/* Does the admit rule switch from yes to no exactly at ramp_threshold()? */
static int ramp_exact(unsigned long elapsed, u32 len)
{
	u64 t = ramp_threshold(elapsed, len);

	if (t > (1ULL << 32))
		return 0;
	/* ramps shorter than 32 ticks start at 0 */
	if (t == 0)
		return !lagwlc_ramp_admit(elapsed, len, 0);
	if (t < (1ULL << 32) && lagwlc_ramp_admit(elapsed, len, (u32)t))
		return 0;
	if (t > 0 && !lagwlc_ramp_admit(elapsed, len, (u32)(t - 1)))
		return 0;
	return 1;
}

/* Admitted rnds among 2^16 evenly spaced ones, out of 65536. */
static u32 ramp_admitted(unsigned long elapsed, u32 len)
{
	u32 i, n = 0;

	for (i = 0; i < 65536; i++)
		n += lagwlc_ramp_admit(elapsed, len, i << 16 | 0x8000);
	return n;
}

/*
 * A ramp on real figures: destination 0 re-enters with no connection,
 * 1 and 2 hold 2000 each (wlc would give 0 every connection until it
 * caught up); 20 decisions per tick over a ramp of @len ticks (0: no slow
 * start). Each connection stays (inactive: overhead + 1). Returns 0's
 * share in per cent in the first and in the last tenth of the ramp.
 */
static void ramp_run(u32 len, u32 weight0, int *first, int *last)
{
	struct dest d[3] = { { 0, weight0, 0, 0 }, { 2000, 1, 0, 0 }, { 2000, 1, 0, 0 } };
	u32 span = len ? len : 100, tick, k, n0f = 0, n0l = 0, nf = 0, nl = 0;

	for (tick = 0; tick < span; tick++) {
		for (k = 0; k < 20; k++) {
			struct lagwlc_choice ch = { 0 }, held = { 0 };
			struct lagwlc_cand c;
			bool all_lagging;
			struct dest *got;
			int i;

			for (i = 0; i < 3; i++) {
				struct lagwlc_choice *to = &ch;

				c.load.overhead = d[i].overhead;
				c.load.weight = d[i].weight;
				c.lag_ms = 0;
				if (i == 0 && !lagwlc_ramp_admit(tick, len, (u32)rnd()))
					to = &held;
				lagwlc_offer(to, &d[i], LAGWLC_CLASS_NORMAL, &c, 1000);
			}
			got = lagwlc_chosen_held(&ch, &held, false, &all_lagging);
			got->overhead++;
			if (tick < span / 10) {
				nf++;
				n0f += got == &d[0];
			} else if (tick >= span - span / 10) {
				nl++;
				n0l += got == &d[0];
			}
		}
	}
	*first = (int)(100 * n0f / nf);
	*last = (int)(100 * n0l / nl);
}

int main(void)
{
	char got[32];
	int i, bad;

	tap_plan(26);

	{
		static const u32 lags[] = { 0, 5000, 5001, 4000, 2001, 2000, 3000, 5000, 5001 };

		walk(lags, 9, got);
		tap_ok(!strcmp(got, "ooLLLoooL"),
		       "hysteresis: lagging above max, back only at readmit (%s)", got);
	}
	{
		bool lagging = true;
		u8 s = lagwlc_derive_state(false, 0, false, &lagging, &defaults);

		tap_ok(s == LAGWLC_STATE_DOWN && lagging,
		       "down wins, and a lagging replica stays lagging while down");
		s = lagwlc_derive_state(true, 100, true, &lagging, &defaults);
		tap_ok(s == LAGWLC_STATE_STALE && lagging,
		       "stale wins over health and lag, and keeps the hysteresis");
		s = lagwlc_derive_state(true, 3000, false, &lagging, &defaults);
		tap_ok(s == LAGWLC_STATE_LAGGING,
		       "back from stale at 3000 ms (above readmit): still lagging");
	}
	{
		struct lagwlc_rule_params p = defaults;
		bool lagging = false;

		p.max_lag_ms = p.readmit_lag_ms = 0;
		tap_ok(lagwlc_derive_state(true, 1, false, &lagging, &p) == LAGWLC_STATE_LAGGING &&
		       lagwlc_derive_state(true, 0, false, &lagging, &p) == LAGWLC_STATE_OK,
		       "max_lag_ms 0: any lag is lagging, 0 is ok");
		p.max_lag_ms = p.readmit_lag_ms = LAGWLC_LAG_MAX_MS;
		tap_ok(lagwlc_derive_state(true, LAGWLC_LAG_MAX_MS, false, &lagging, &p) ==
		       LAGWLC_STATE_OK, "max_lag_ms at the clamp: the largest lag is ok");
	}
	{
		struct lagwlc_rule_params open = defaults, closed = defaults;
		u32 lag = 1234;

		closed.stale_closed = true;
		bad = lagwlc_class_of(LAGWLC_STATE_OK, &lag, &open) != LAGWLC_CLASS_NORMAL || lag != 1234;
		bad |= lagwlc_class_of(LAGWLC_STATE_LAGGING, &lag, &open) != LAGWLC_CLASS_LAGGING;
		bad |= lagwlc_class_of(LAGWLC_STATE_DOWN, &lag, &open) != LAGWLC_CLASS_EXCLUDED;
		bad |= lagwlc_class_of(LAGWLC_STATE_STALE, &lag, &closed) != LAGWLC_CLASS_EXCLUDED;
		bad |= lagwlc_class_of(LAGWLC_STATE_STALE, &lag, &open) != LAGWLC_CLASS_NORMAL || lag != 0;
		lag = 99;
		bad |= lagwlc_class_of(LAGWLC_STATE_NONE, &lag, &closed) != LAGWLC_CLASS_NORMAL || lag != 0;
		bad |= lagwlc_class_of(200, &lag, &open) != LAGWLC_CLASS_EXCLUDED;
		tap_ok(!bad, "classes: ok, lagging, down, stale open/closed, no entry, unknown");
	}
	{
		/* counted lag: whole steps of lag_noise_ms, rounded down */
		struct lagwlc_rule_params p = defaults;
		static const u32 in[] = { 0, 1, 499, 500, 999, 1000, 1001, 3000,
					  LAGWLC_LAG_MAX_MS };
		static const u32 want500[] = { 0, 0, 0, 500, 500, 1000, 1000, 3000,
					       LAGWLC_LAG_MAX_MS - LAGWLC_LAG_MAX_MS % 500 };
		unsigned int i;
		u32 lag;

		bad = 0;
		for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			p.lag_noise_ms = 500;
			lag = in[i];
			bad |= lagwlc_class_of(LAGWLC_STATE_OK, &lag, &p) != LAGWLC_CLASS_NORMAL ||
			       lag != want500[i];
			lag = in[i];
			bad |= lagwlc_class_of(LAGWLC_STATE_LAGGING, &lag, &p) != LAGWLC_CLASS_LAGGING ||
			       lag != want500[i];
			p.lag_noise_ms = i & 1;	/* 0 and 1: exact */
			lag = in[i];
			bad |= lagwlc_class_of(LAGWLC_STATE_OK, &lag, &p) != LAGWLC_CLASS_NORMAL ||
			       lag != in[i];
		}
		p.lag_noise_ms = UINT32_MAX;
		lag = LAGWLC_LAG_MAX_MS;
		bad |= lagwlc_class_of(LAGWLC_STATE_OK, &lag, &p) != LAGWLC_CLASS_NORMAL || lag != 0;
		/* the hysteresis reads the measured lag, not the counted one */
		p.lag_noise_ms = 4000;
		{
			bool lagging = false;

			bad |= lagwlc_derive_state(true, 5001, false, &lagging, &p) !=
			       LAGWLC_STATE_LAGGING;
			bad |= lagwlc_derive_state(true, 2001, false, &lagging, &p) !=
			       LAGWLC_STATE_LAGGING;
			bad |= lagwlc_derive_state(true, 2000, false, &lagging, &p) !=
			       LAGWLC_STATE_OK;
		}
		tap_ok(!bad, "counted lag: rounded down to lag_noise_ms steps (0 and 1: exact), state from the measured lag");
	}

	tap_ok(lagwlc_factor(0, 0) == 1 && lagwlc_factor(LAGWLC_LAG_MAX_MS, 0) == 1 &&
	       lagwlc_factor(UINT32_MAX, UINT32_MAX) == 2ULL * UINT32_MAX,
	       "factor: 1 without penalty, penalty + lag without overflow");

	{
		/* equal cost: lower lag wins; equal lag: neither (first wins) */
		struct lagwlc_cand a = { { 10, 1, 1000 }, 0 }, b = { { 10, 1, 1000 }, 5 };

		tap_ok(lagwlc_better(&a, &b) && !lagwlc_better(&b, &a) &&
		       !lagwlc_better(&a, &a), "ties go to the lower lag, then to list order");
	}
	{
		struct lagwlc_cand a = { { 1000, 1, 1 }, 100 }, b = { { 0, 1, 1 }, 200 };

		tap_ok(lagwlc_less_lagged(&a, &b) && !lagwlc_less_lagged(&b, &a),
		       "all lagging: less lag beats less load");
	}

	/* no lag anywhere (no entry, or ok with lag 0): exactly wlc */
	bad = 0;
	for (i = 0; i < 200000; i++) {
		struct dest d[6];
		int n = 1 + rnd() % 6, j;

		for (j = 0; j < n; j++) {
			d[j].overhead = rnd() % 4 ? rnd() % 2000 : rnd() % 0x80000000ULL;
			d[j].weight = rnd() % 5 ? rnd() % 4 : rnd() % 0x80000000ULL;
			d[j].lag = 0;
			d[j].state = rnd() % 2 ? LAGWLC_STATE_NONE : LAGWLC_STATE_OK;
		}
		bad += choose(d, n, &defaults, false) != wlc(d, n);
	}
	tap_ok(!bad, "with every lag 0, 200000 random services choose as wlc (%d differ)", bad);

	/* lagging ones are never chosen while a normal candidate exists */
	bad = 0;
	for (i = 0; i < 200000; i++) {
		struct dest d[6];
		int n = 2 + rnd() % 5, j, c, normal = 0;

		for (j = 0; j < n; j++) {
			d[j].overhead = rnd() % 5000;
			d[j].weight = 1 + rnd() % 3;
			d[j].lag = rnd() % 20000;
			d[j].state = 1 + rnd() % 4;
			normal |= d[j].state == LAGWLC_STATE_OK || d[j].state == LAGWLC_STATE_STALE;
		}
		c = choose(d, n, &defaults, false);
		if (normal)
			bad += c < 0 || d[c].state == LAGWLC_STATE_LAGGING ||
			       d[c].state == LAGWLC_STATE_DOWN;
		else
			bad += choose(d, n, &defaults, true) != -1;
	}
	tap_ok(!bad, "lagging only as a last resort, none under reject, never down (%d wrong)", bad);

	{
		/* penalty: same load, more lag costs more; doubling lag+P doubles cost */
		struct dest d[3] = {
			{ 3000, 1, 2000, LAGWLC_STATE_OK },	/* 3000 * 3000 */
			{ 4000, 1, 1000, LAGWLC_STATE_OK },	/* 4000 * 2000 */
			{ 8500, 1, 0, LAGWLC_STATE_OK },	/* 8500 * 1000 */
		};

		tap_ok(choose(d, 3, &defaults, false) == 1,
		       "penalty: cost = overhead * (1000 + lag) picks the cheapest");
	}
	{
		struct dest d[2] = {
			{ 0x7fffffff, 0x7fffffff, LAGWLC_LAG_MAX_MS, LAGWLC_STATE_OK },
			{ 0x7ffffffe, 0x7fffffff, LAGWLC_LAG_MAX_MS, LAGWLC_STATE_OK },
		};
		struct lagwlc_rule_params p = defaults;

		p.lag_penalty_ms = LAGWLC_LAG_MAX_MS;
		tap_ok(choose(d, 2, &p, false) == 1,
		       "extremes: INT_MAX load and weight, clamp lag and penalty, still exact");
	}
	/*
	 * The fast loop picks what the general one picks whenever a normal
	 * candidate exists: realistic figures (64-bit products) and extremes
	 * (products past 2^64: the out-of-line 128-bit compare), ties included.
	 */
	{
		long wide = 0, none = 0, n_ties = 0;

		bad = 0;
		for (i = 0; i < 300000; i++) {
			struct lagwlc_rule_params p = defaults;
			struct dest d[8];
			int n = 1 + rnd() % 8, j, want, got;
			bool big = rnd() % 3 == 0;

			p.lag_penalty_ms = 1 + (big ? rnd() % LAGWLC_LAG_MAX_MS : rnd() % 3000);
			for (j = 0; j < n; j++) {
				d[j].overhead = big ? rnd() % 0x80000000ULL : rnd() % 4 * 256;
				d[j].weight = big ? rnd() % 0x80000000ULL : rnd() % 4;
				d[j].lag = big ? rnd() % (LAGWLC_LAG_MAX_MS + 1ULL) : rnd() % 3 * 500;
				d[j].state = 1 + rnd() % 4;
			}
			want = choose(d, n, &p, false);
			got = pick(d, n, &p);
			if (got < 0) {
				none++;
				bad += want >= 0 && (d[want].state == LAGWLC_STATE_OK ||
						     d[want].state == LAGWLC_STATE_STALE) &&
				       d[want].weight;
				continue;
			}
			bad += got != want;
			wide += big;
			for (j = 0; j < n; j++)
				n_ties += j != got && d[j].weight &&
					  (u64)d[j].overhead * d[got].weight ==
					  (u64)d[got].overhead * d[j].weight;
		}
		tap_ok(!bad && wide > 1000 && n_ties > 1000 && none > 1000,
		       "fast loop = general loop: 300000 random services, %ld with extreme figures, %ld load ties, %ld left to the general loop (%d differ)",
		       wide, n_ties, none, bad);
	}
	{
		struct lagwlc_pick pk;
		struct dest d[2];

		/* a first candidate of overhead 0 beats the start; weight 0 never */
		lagwlc_pick_init(&pk);
		lagwlc_pick_offer(&pk, &d[0], 0, 1, 1000);
		bad = pk.least != &d[0];
		lagwlc_pick_offer(&pk, &d[1], 0, 1, 999);
		bad += pk.least != &d[1];
		lagwlc_pick_offer(&pk, &d[0], 0, 1, 999);
		bad += pk.least != &d[1];
		tap_ok(!bad && lagwlc_view_factor(lagwlc_view(LAGWLC_CLASS_NORMAL, 7), 0) == 0 &&
		       lagwlc_view_factor(lagwlc_view(LAGWLC_CLASS_LAGGING, 7), 10) == 0 &&
		       lagwlc_view_factor(lagwlc_view(LAGWLC_CLASS_NORMAL, 7), 10) == 17,
		       "fast loop: start, equal cost goes to the lower factor then the first; factor 0 off the fast loop");
	}
	{
		/*
		 * The packet path's word: one 32-bit load on every architecture
		 * (a u64 tears on 32-bit ones), and every class with every lag
		 * up to the clamp comes back out whole.
		 */
		u32 lags[] = { 0, 1, 4999, 5001, LAGWLC_LAG_MAX_MS - 1, LAGWLC_LAG_MAX_MS };
		int cls, i, bad = 0;

		tap_ok(sizeof(lagwlc_view(LAGWLC_CLASS_NORMAL, 0)) == 4 &&
		       LAGWLC_LAG_MAX_MS <= LAGWLC_VIEW_LAG_MASK,
		       "the view is one 32-bit word, with room for a lag of %u ms",
		       LAGWLC_LAG_MAX_MS);
		for (cls = LAGWLC_CLASS_NORMAL; cls <= LAGWLC_CLASS_EXCLUDED; cls++)
			for (i = 0; i < (int)(sizeof(lags) / sizeof(lags[0])); i++) {
				u32 v = lagwlc_view(cls, lags[i]);

				bad += lagwlc_view_class(v) != (enum lagwlc_class)cls ||
				       lagwlc_view_lag(v) != lags[i];
			}
		tap_ok(!bad, "view round trip: 3 classes x 6 lags up to the clamp (%d wrong)", bad);
	}
	{
		/* slow start: the admit rule at the start, middle and end */
		bad = !ramp_exact(0, 5000) || ramp_threshold(0, 5120) != 1ULL << 27 ||
		      !lagwlc_ramp_admit(0, 5120, (1U << 27) - 1) ||
		      lagwlc_ramp_admit(0, 5120, 1U << 27) ||
		      !lagwlc_ramp_admit(159, 5120, (1U << 27) - 1) ||
		      lagwlc_ramp_admit(159, 5120, 1U << 27) ||
		      ramp_admitted(0, 5120) != 65536 / 32;
		tap_ok(!bad, "slow start: at the start of a ramp, 1/32 of the decisions (%u of 65536), until 1/32 of it has passed",
		       ramp_admitted(0, 5120));
		bad = !ramp_exact(2500, 5000) || !ramp_exact(1, 3) ||
		      ramp_admitted(2500, 5000) != 32768 ||
		      ramp_admitted(1000, 5000) != 13107;
		tap_ok(!bad, "slow start: halfway 1/2 (%u of 65536), at 1/5 1/5 (%u), exact at odd lengths",
		       ramp_admitted(2500, 5000), ramp_admitted(1000, 5000));
		bad = !lagwlc_ramp_admit(5000, 5000, ~0U) ||
		      lagwlc_ramp_admit(4999, 5000, ~0U) || !ramp_exact(4999, 5000) ||
		      ramp_admitted(4999, 5000) != 65536 - 13 ||
		      !lagwlc_ramp_admit(0, 0, ~0U) || !lagwlc_ramp_admit(7, 0, ~0U) ||
		      !lagwlc_ramp_admit(~0UL, 5000, ~0U);
		tap_ok(!bad, "slow start: ends exactly at slow_start_ms (%u of 65536 a jiffy before), 0 is off",
		       ramp_admitted(4999, 5000));
	}
	{
		/* no overflow at any length, elapsed or random number */
		u32 lens[] = { 1, 2, 31, 32, 33, 1000, 604800000U, 0x7fffffffU,
			       0x80000000U, ~0U - 1, ~0U };
		int i, k;

		bad = 0;
		for (i = 0; i < (int)(sizeof(lens) / sizeof(lens[0])); i++) {
			bad += !ramp_exact(0, lens[i]) + !ramp_exact(lens[i] - 1, lens[i]) +
			       !ramp_exact(lens[i] / 2, lens[i]) + !ramp_exact(lens[i], lens[i]);
			for (k = 0; k < 2000; k++)
				bad += !ramp_exact(rnd() % lens[i], lens[i]);
		}
		for (k = 0; k < 200000; k++) {
			u32 len = (u32)rnd(), r = (u32)rnd();
			unsigned long el = rnd() % ((u64)len + 2);

			bad += lagwlc_ramp_admit(el, len, r) != ((u64)r < ramp_threshold(el, len));
		}
		tap_ok(!bad, "slow start: exact against 128-bit arithmetic, lengths up to 2^32 - 1 (%d wrong)",
		       bad);
	}
	{
		/* a ramp across the jiffies wrap counts the time since its start */
		unsigned long since = ~0UL - 9, now = 20;	/* 30 jiffies later */

		bad = lagwlc_ramp_elapsed(now, since) != 30 ||
		      ramp_admitted(lagwlc_ramp_elapsed(now, since), 100) != 19661 ||
		      lagwlc_ramp_elapsed(since + 100, since) != 100 ||
		      !lagwlc_ramp_admit(lagwlc_ramp_elapsed(since + 100, since), 100, ~0U) ||
		      /* a stamp ahead of now (never stored) is a ramp that ended */
		      !lagwlc_ramp_admit(lagwlc_ramp_elapsed(now, now + 5), 100, ~0U);
		tap_ok(!bad, "slow start: across the jiffies wrap, 30 of 100 ticks give 30%% (%u of 65536)",
		       ramp_admitted(lagwlc_ramp_elapsed(now, since), 100));
	}
	{
		/* held back: chosen only when no other normal candidate is left */
		struct lagwlc_choice ch = { 0 }, held = { 0 };
		struct lagwlc_cand c = { { 0, 0x7fffffff, 1 }, 0 };
		bool all_lagging;
		struct dest d[3];
		void *got;

		/* weight INT_MAX, no connection: wlc's sure winner, held back */
		lagwlc_offer(&held, &d[0], LAGWLC_CLASS_NORMAL, &c, 1000);
		c.load.overhead = 0x7fffffff;
		c.load.weight = 1;
		lagwlc_offer(&ch, &d[1], LAGWLC_CLASS_NORMAL, &c, 1000);
		c.load.overhead = 0;
		c.lag_ms = 6000;
		lagwlc_offer(&ch, &d[2], LAGWLC_CLASS_LAGGING, &c, 1000);
		got = lagwlc_chosen_held(&ch, &held, false, &all_lagging);
		bad = got != &d[1];
		/* the only normal one held back: still it, not the lagging one */
		memset(&ch, 0, sizeof(ch));
		lagwlc_offer(&ch, &d[2], LAGWLC_CLASS_LAGGING, &c, 1000);
		got = lagwlc_chosen_held(&ch, &held, true, &all_lagging);
		bad += got != &d[0] || all_lagging || ch.least_c.load.weight != 0x7fffffff;
		/* nothing held: as lagwlc_chosen() */
		memset(&held, 0, sizeof(held));
		got = lagwlc_chosen_held(&ch, &held, true, &all_lagging);
		bad += got || !all_lagging;
		tap_ok(!bad, "slow start: a held-back destination (weight INT_MAX, no connection) loses to one of overhead 2^31-1, and is chosen when no other normal one is left");
	}
	{
		int f0, l0, f1, l1, fh, lh;

		ramp_run(0, 1, &f0, &l0);
		ramp_run(1000, 1, &f1, &l1);
		ramp_run(1000, 0x7fffffff, &fh, &lh);
		tap_ok(f0 == 100 && f1 <= 10 && l1 > 3 * f1 && fh <= 10 && lh > 3 * fh,
		       "slow start: a destination back with no connection takes %d%% of the first tenth without a ramp, %d%% with (last tenth %d%%), %d%% at weight INT_MAX (last %d%%)",
		       f0, f1, l1, fh, lh);
	}
	return tap_done();
}
