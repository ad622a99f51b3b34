// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/lagwlc_cost.h, the scheduler's cost comparison,
 * checked against 128-bit compiler arithmetic at the extremes of every input.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "kshim.h"
#include "lagwlc_cost.h"
#include "tap.h"

typedef unsigned __int128 u128;

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: deterministic, so a failure reproduces */
static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Values that sit on the edges of 32- and 64-bit arithmetic. */
static const u64 edges[] = {
	0, 1, 2, 3, 255, 256, 257, 65535, 65536, 0x7ffffffeULL, 0x7fffffffULL,
	0x80000000ULL, 0xffffffffULL, 0x100000000ULL, 0x100000001ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffffffeULL,
	UINT64_MAX,
};

#define N_EDGES (sizeof(edges) / sizeof(edges[0]))

static bool mul_matches(u64 a, u64 b)
{
	struct lagwlc_u128 r = lagwlc_mul_u64(a, b);
	u128 want = (u128)a * b;

	return r.hi == (u64)(want >> 64) && r.lo == (u64)want;
}

static bool ref_costlier(const struct lagwlc_load *a, const struct lagwlc_load *b)
{
	u128 lhs = (u128)a->overhead * b->weight * a->factor;
	u128 rhs = (u128)b->overhead * a->weight * b->factor;

	return lhs > rhs;
}

static int ref_cmp(const struct lagwlc_load *a, const struct lagwlc_load *b)
{
	u128 lhs = (u128)a->overhead * b->weight * a->factor;
	u128 rhs = (u128)b->overhead * a->weight * b->factor;

	return (lhs > rhs) - (lhs < rhs);
}

static struct lagwlc_load load(u32 oh, u32 w, u64 f)
{
	struct lagwlc_load l = { .overhead = oh, .weight = w, .factor = f };

	return l;
}

int main(void)
{
	unsigned int i, j, bad;

	tap_plan(9);

	bad = 0;
	for (i = 0; i < N_EDGES; i++)
		for (j = 0; j < N_EDGES; j++)
			bad += !mul_matches(edges[i], edges[j]);
	tap_ok(!bad, "64x64 product exact on %zu edge pairs (%u wrong)",
	       N_EDGES * N_EDGES, bad);

	bad = 0;
	for (i = 0; i < 1000000; i++)
		bad += !mul_matches(rnd(), rnd());
	tap_ok(!bad, "64x64 product exact on 1e6 random pairs (%u wrong)", bad);

	/* factor 1 must be stock wlc: (s64)loh * dw > (s64)doh * lw */
	bad = 0;
	for (i = 0; i < 1000000; i++) {
		u32 oh_a = rnd() % ((i & 1) ? 1000 : 0x80000000ULL);
		u32 oh_b = rnd() % ((i & 1) ? 1000 : 0x80000000ULL);
		u32 w_a = 1 + rnd() % ((i & 2) ? 4 : 0x7fffffffULL);
		u32 w_b = 1 + rnd() % ((i & 2) ? 4 : 0x7fffffffULL);
		struct lagwlc_load a = load(oh_a, w_a, 1), b = load(oh_b, w_b, 1);
		bool wlc = (int64_t)oh_a * w_b > (int64_t)oh_b * w_a;

		bad += lagwlc_costlier(&a, &b) != wlc;
	}
	tap_ok(!bad, "factor 1 decides exactly as wlc on 1e6 random pairs (%u differ)",
	       bad);

	/* every combination of extreme overhead, weight and factor */
	bad = 0;
	{
		static const u32 ohs[] = { 0, 1, 256, 0x7ffffffe, 0x7fffffff };
		static const u32 ws[] = { 1, 3, 65535, 0x7ffffffe, 0x7fffffff };
		static const u64 fs[] = { 1, 2, 1000, 0xffffffffULL,
					  0x100000000ULL, UINT64_MAX - 1, UINT64_MAX };
		unsigned int a1, a2, a3, b1, b2, b3;

		for (a1 = 0; a1 < 5; a1++)
		for (a2 = 0; a2 < 5; a2++)
		for (a3 = 0; a3 < 7; a3++)
		for (b1 = 0; b1 < 5; b1++)
		for (b2 = 0; b2 < 5; b2++)
		for (b3 = 0; b3 < 7; b3++) {
			struct lagwlc_load a = load(ohs[a1], ws[a2], fs[a3]);
			struct lagwlc_load b = load(ohs[b1], ws[b2], fs[b3]);

			bad += lagwlc_costlier(&a, &b) != ref_costlier(&a, &b);
			bad += lagwlc_cost_cmp(&a, &b) != ref_cmp(&a, &b);
		}
	}
	tap_ok(!bad, "extreme overhead x weight x factor grid matches 128-bit reference (%u wrong)",
	       bad);

	bad = 0;
	for (i = 0; i < 1000000; i++) {
		struct lagwlc_load a = load(rnd() >> 33, 1 + (rnd() >> 33), rnd());
		struct lagwlc_load b = load(rnd() >> 33, 1 + (rnd() >> 33), rnd());

		bad += lagwlc_costlier(&a, &b) != ref_costlier(&a, &b);
		bad += lagwlc_cost_cmp(&a, &b) != ref_cmp(&a, &b);
	}
	tap_ok(!bad, "1e6 random loads with 64-bit factors match the reference (%u wrong)",
	       bad);

	{
		struct lagwlc_load a = load(0x7fffffff, 0x7fffffff, UINT64_MAX);
		struct lagwlc_load b = a;

		tap_ok(!lagwlc_costlier(&a, &b) && !lagwlc_costlier(&b, &a),
		       "equal maximal costs: neither is costlier (first in list wins)");
	}
	{
		/* 1/1 vs 2/2: equal cost by cross-multiplication, not by value */
		struct lagwlc_load a = load(1, 1, 1), b = load(2, 2, 1);

		tap_ok(!lagwlc_costlier(&a, &b) && !lagwlc_costlier(&b, &a),
		       "1/1 and 2/2 compare equal");
	}
	{
		/* one more connection at the largest weight still counts */
		struct lagwlc_load a = load(0x7fffffff, 0x7fffffff, UINT64_MAX);
		struct lagwlc_load b = load(0x7ffffffe, 0x7fffffff, UINT64_MAX);

		tap_ok(lagwlc_costlier(&a, &b) && !lagwlc_costlier(&b, &a),
		       "a difference of one connection is seen at INT_MAX weight and U64_MAX factor");
	}

	{
		/* the fast loop's 128-bit fallback: 64-bit edges times 32-bit ones */
		static const u32 w32[] = { 0, 1, 2, 0x7fffffff, 0x80000000U, 0xffffffffU };
		int bad = 0;
		unsigned int i, j, k, l;

		for (i = 0; i < N_EDGES; i++)
			for (j = 0; j < 6; j++)
				for (k = 0; k < N_EDGES; k++)
					for (l = 0; l < 6; l++) {
						u128 x = (u128)edges[i] * w32[j];
						u128 y = (u128)edges[k] * w32[l];

						bad += lagwlc_cmp_mul_wide(edges[i], w32[j], edges[k], w32[l]) !=
						       (x > y) - (x < y);
					}
		tap_ok(!bad, "128-bit a*b against c*d at %u x 6 edges on each side (%d wrong)",
		       (unsigned int)N_EDGES, bad);
	}
	return tap_done();
}
