/* SPDX-License-Identifier: GPL-2.0 */
/* The types of the tables gen_spec.py generates from the family's YAML. */
#ifndef NLFUZZ_H
#define NLFUZZ_H

enum nlf_type { NLF_UNSPEC, NLF_FLAG, NLF_U8, NLF_U16, NLF_U32, NLF_BINARY, NLF_NEST };

struct nlf_attr {
	const char *name;
	int type;
	int exact_len;		/* checks: exact-len, 0 when none */
	int has_range;		/* checks: min/max */
	long long min, max;
	int nested;		/* attribute set of a nest, -1 otherwise */
	int multi;		/* multi-attr */
	long long enum_first, enum_last;	/* the enum's values; last < first: none */
};

struct nlf_set {
	const char *name;
	int n;				/* attributes 1..n */
	const struct nlf_attr *attrs;	/* indexed by attribute id */
};

struct nlf_op {
	const char *name;
	int cmd;
	int has_do, has_dump;
	int set;
	unsigned int req_mask;	/* bit i: attribute i of the request */
	int admin;		/* (uns-)admin-perm */
};

#endif
