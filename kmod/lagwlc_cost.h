/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cost arithmetic of the lagwlc scheduler. Pure integer code with no kernel
 * dependencies beyond fixed-width types and compiler attributes, so the
 * user-space unit tests compile this very file (tests/unit/test_cost.c,
 * with tests/unit/kshim.h) and check it at the extremes.
 *
 * The cost of a destination d is
 *
 *	cost(d) = overhead(d) * factor(d) / weight(d)
 *
 * overhead	ip_vs_dest_conn_overhead(d), as stock wlc; a negative value
 *		(IPVS's own int wrap past 2^23 active connections) counts as 0
 * weight	1 .. INT_MAX; destinations with weight <= 0 are never costed
 * factor	1 .. U64_MAX; the lag term multiplies in here and is 1 when
 *		no lag is known, which makes the cost exactly wlc's
 *
 * No floats in the kernel and no division either: cost(a) > cost(b) is
 * decided as
 *
 *	(overhead(a) * weight(b)) * factor(a) > (overhead(b) * weight(a)) * factor(b)
 *
 * The inner products are below 2^31 * 2^31 = 2^62 and fit a u64; multiplied
 * by a 64-bit factor they need up to 126 bits. The outer product uses the
 * compiler's unsigned __int128 where the architecture supports it
 * (CONFIG_ARCH_SUPPORTS_INT128: one or two multiply instructions on 64-bit
 * machines) and is done by hand from 32-bit partials otherwise (32-bit
 * builds). The unit tests build both (LAGWLC_COST_INT128 0 and 1).
 *
 * The scheduler's loop calls lagwlc_cost_cmp(), one three-way comparison
 * per candidate; equal factors (two replicas of the same lag, or no lag
 * term) reduce it to wlc's 64-bit comparison.
 */
#ifndef _LAGWLC_COST_H
#define _LAGWLC_COST_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/compiler.h>
#endif

#ifndef LAGWLC_COST_INT128
#if defined(__KERNEL__) && defined(CONFIG_ARCH_SUPPORTS_INT128) && \
	defined(__SIZEOF_INT128__)
#define LAGWLC_COST_INT128 1
#else
#define LAGWLC_COST_INT128 0
#endif
#endif

struct lagwlc_u128 {
	u64 hi;
	u64 lo;
};

/* Full 64 x 64 -> 128-bit product, from four 32 x 32 -> 64-bit partials. */
static inline struct lagwlc_u128 lagwlc_mul_u64(u64 a, u64 b)
{
	u64 a_lo = (u32)a, a_hi = a >> 32;
	u64 b_lo = (u32)b, b_hi = b >> 32;
	u64 lolo = a_lo * b_lo;
	u64 lohi = a_lo * b_hi;
	u64 hilo = a_hi * b_lo;
	u64 hihi = a_hi * b_hi;
	/* middle column: three terms below 2^32 each, so no carry is lost */
	u64 mid = (lolo >> 32) + (u32)lohi + (u32)hilo;
	struct lagwlc_u128 r;

	r.lo = (mid << 32) | (u32)lolo;
	r.hi = hihi + (lohi >> 32) + (hilo >> 32) + (mid >> 32);
	return r;
}

/* -1, 0 or 1 as a is below, equal to or above b. */
static inline int lagwlc_cmp_u128(struct lagwlc_u128 a, struct lagwlc_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* What the scheduler knows of one destination when it compares costs. */
struct lagwlc_load {
	u32 overhead;
	u32 weight;
	u64 factor;
};

/* -1, 0 or 1 as cost(a) is below, equal to or above cost(b). */
static inline int lagwlc_cost_cmp(const struct lagwlc_load *a,
				  const struct lagwlc_load *b)
{
	u64 l = (u64)a->overhead * b->weight;
	u64 r = (u64)b->overhead * a->weight;

	/* factors are >= 1: equal ones cancel out */
	if (a->factor == b->factor)
		return (l > r) - (l < r);
#if LAGWLC_COST_INT128
	{
		unsigned __int128 lhs = (unsigned __int128)l * a->factor;
		unsigned __int128 rhs = (unsigned __int128)r * b->factor;

		return (lhs > rhs) - (lhs < rhs);
	}
#else
	return lagwlc_cmp_u128(lagwlc_mul_u64(l, a->factor),
			       lagwlc_mul_u64(r, b->factor));
#endif
}

/*
 * -1, 0 or 1 as a * b is below, equal to or above c * d, in 128 bits. The
 * scheduler's loop compares overhead * factor (below 2^62) times a weight
 * (below 2^31): up to 93 bits, though on a real director overhead * factor
 * stays below 2^32 (3000 active connections at 4 s of lag, default
 * penalty) and the products fit 64 bits. The loop calls this only when
 * they may not, out of line so that the loop keeps its registers.
 */
static noinline int lagwlc_cmp_mul_wide(u64 a, u32 b, u64 c, u32 d)
{
#if LAGWLC_COST_INT128
	unsigned __int128 l = (unsigned __int128)a * b;
	unsigned __int128 r = (unsigned __int128)c * d;

	return (l > r) - (l < r);
#else
	return lagwlc_cmp_u128(lagwlc_mul_u64(a, b), lagwlc_mul_u64(c, d));
#endif
}

/* Is cost(a) strictly above cost(b)? Equal costs are not: the first wins. */
static inline bool lagwlc_costlier(const struct lagwlc_load *a,
				   const struct lagwlc_load *b)
{
	return lagwlc_cost_cmp(a, b) > 0;
}

#endif /* _LAGWLC_COST_H */
