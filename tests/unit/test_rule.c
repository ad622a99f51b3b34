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

int main(void)
{
	char got[32];
	int i, bad;

	tap_plan(19);

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
	return tap_done();
}
