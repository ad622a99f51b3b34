/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel provides to kmod/lagwlc_cost.h and kmod/lagwlc_rule.h,
 * for the user-space unit tests that compile those headers.
 */
#ifndef LAGWLC_KSHIM_H
#define LAGWLC_KSHIM_H

#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

#ifndef noinline
#define noinline __attribute__((__noinline__))
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define likely(x) __builtin_expect(!!(x), 1)

#endif /* LAGWLC_KSHIM_H */
