// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: a structure-aware fuzzer of the "lagwlc" generic netlink family,
 * with an oracle. Its grammar (commands, attribute sets, types, lengths,
 * checks, enums) is generated from docs/netlink/lagwlc.yaml (gen_spec.py);
 * the rules that the YAML cannot express (which replica attributes each
 * command takes, the key, the batch limit, max_entries, socket ownership)
 * mirror kmod/netlink.c and kmod/lag_table.c and are marked "model:" below.
 *
 * Every message is built from that grammar (valid, boundary, or mutated),
 * then predicted by a model of the kernel's strict netlink validation and
 * of the lag table, then sent on a raw NETLINK_GENERIC socket; the ack's
 * error must equal the prediction. After each phase (writers stopped) the
 * table is dumped and must equal the model's, entry for entry (key, lag,
 * health, state). See docs/netlink-fuzzer.md.
 *
 *   nlfuzz [--seed N] [--count N] [--phase N] [--threads N] [--params DIR]
 *   nlfuzz --selftest
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/lagwlc.h>

#include "nlfuzz.h"
#include "nlfuzz_spec.h"

/* the generated numbers are the header's: the YAML and the uapi agree */
_Static_assert(NLF_CMD_REPLICA_SET == LAGWLC_CMD_REPLICA_SET, "cmd");
_Static_assert(NLF_CMD_REPLICA_DEL == LAGWLC_CMD_REPLICA_DEL, "cmd");
_Static_assert(NLF_CMD_REPLICA_FLUSH == LAGWLC_CMD_REPLICA_FLUSH, "cmd");
_Static_assert(NLF_CMD_REPLICA_GET == LAGWLC_CMD_REPLICA_GET, "cmd");
_Static_assert(NLF_CMD_STATE_CHANGE == LAGWLC_CMD_STATE_CHANGE, "cmd");
_Static_assert(NLF_CMD_SVC_SET == LAGWLC_CMD_SVC_SET, "cmd");
_Static_assert(NLF_CMD_SVC_DEL == LAGWLC_CMD_SVC_DEL, "cmd");
_Static_assert(NLF_CMD_SVC_GET == LAGWLC_CMD_SVC_GET, "cmd");
_Static_assert(NLF_CMD_SVC_CHANGE == LAGWLC_CMD_SVC_CHANGE, "cmd");
_Static_assert(NLF_A_LAGWLC_SERVICE == LAGWLC_A_SERVICE, "attr");
_Static_assert(NLF_A_SERVICE_MAX == LAGWLC_S_MAX, "attrs");
_Static_assert(NLF_A_SERVICE_FAMILY == LAGWLC_S_FAMILY, "attr");
_Static_assert(NLF_A_SERVICE_ALL_LAGGING == LAGWLC_S_ALL_LAGGING, "attr");
_Static_assert(NLF_A_SERVICE_EFF_ALL_LAGGING == LAGWLC_S_EFF_ALL_LAGGING, "attr");
_Static_assert(NLF_A_LAGWLC_MAX == LAGWLC_A_MAX, "attrs");
_Static_assert(NLF_A_LAGWLC_REPLICA == LAGWLC_A_REPLICA, "attr");
_Static_assert(NLF_A_LAGWLC_SOCKET_OWNER == LAGWLC_A_SOCKET_OWNER, "attr");
_Static_assert(NLF_A_REPLICA_MAX == LAGWLC_R_MAX, "attrs");
_Static_assert(NLF_A_REPLICA_ADDR4 == LAGWLC_R_ADDR4, "attr");
_Static_assert(NLF_A_REPLICA_ADDR6 == LAGWLC_R_ADDR6, "attr");
_Static_assert(NLF_A_REPLICA_PORT == LAGWLC_R_PORT, "attr");
_Static_assert(NLF_A_REPLICA_LAG_MS == LAGWLC_R_LAG_MS, "attr");
_Static_assert(NLF_A_REPLICA_HEALTH == LAGWLC_R_HEALTH, "attr");
_Static_assert(NLF_A_REPLICA_STATE == LAGWLC_R_STATE, "attr");
_Static_assert(NLF_A_REPLICA_AGE_MS == LAGWLC_R_AGE_MS, "attr");
_Static_assert(NLF_HEALTH_UP == LAGWLC_HEALTH_UP && NLF_HEALTH_DOWN == LAGWLC_HEALTH_DOWN, "health");
_Static_assert(NLF_STATE_STALE == LAGWLC_STATE_STALE, "state");
_Static_assert(NLF_CONST_LAG_MAX_MS == LAGWLC_LAG_MAX_MS, "lag-max-ms");

#define NLA_TYPE_MASK_ (~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff)
#define MAX_TOP 300
#define MAX_KIDS 12
#define BUF_SZ 65536
#define MAX_ENTRIES 8192
#define MAX_THREADS 8

/* ---- model: what the YAML does not say (kmod/netlink.c) ------------- */

/* the replica attributes each command's nested policy takes */
static unsigned int nested_mask(int cmd)
{
	unsigned int key = 1u << NLF_A_REPLICA_ADDR4 | 1u << NLF_A_REPLICA_ADDR6 |
			   1u << NLF_A_REPLICA_PORT;

	if (cmd == NLF_CMD_SVC_SET || cmd == NLF_CMD_SVC_DEL ||
	    cmd == NLF_CMD_SVC_GET)	/* key and settings; bound, eff-*: reject */
		return ((1u << (NLF_A_SERVICE_ALL_LAGGING + 1)) - 1) & ~1u;
	if (cmd == NLF_CMD_REPLICA_SET)
		return key | 1u << NLF_A_REPLICA_LAG_MS | 1u << NLF_A_REPLICA_HEALTH;
	return key;
}

/* ---- random ------------------------------------------------------------ */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rn(uint64_t *s, unsigned int n)
{
	return n ? (unsigned int)(rnd(s) % n) : 0;
}

static bool pct(uint64_t *s, unsigned int p)
{
	return rn(s, 1000) < p * 10;
}

/* ---- keys, the model's table -------------------------------------------- */

struct key {
	uint8_t af;		/* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

struct ment {
	struct key k;
	uint32_t lag;
	uint32_t owner;		/* portid, 0: none */
	bool up, lagging, released;
};

static struct {
	pthread_mutex_t lock;
	struct ment e[MAX_ENTRIES];
	int n;
	uint32_t max_entries, max_lag_ms, readmit_lag_ms;
} model = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int opt_break;		/* NLFUZZ_BREAK=1: a wrong model, to see it fail */

static bool key_eq(const struct key *a, const struct key *b)
{
	return a->af == b->af && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->af == 4 ? 4 : 16);
}

static struct ment *model_find(const struct key *k)
{
	for (int i = 0; i < model.n; i++)
		if (key_eq(&model.e[i].k, k))
			return &model.e[i];
	return NULL;
}

/* model: lagwlc_derive_state(), with stale only by release (stale_ms is 7 days) */
static uint8_t model_state(struct ment *m)
{
	if (m->up && !m->released)
		m->lagging = m->lag > model.max_lag_ms ||
			     (m->lagging && m->lag > model.readmit_lag_ms);
	if (m->released)
		return NLF_STATE_STALE;
	if (!m->up)
		return NLF_STATE_DOWN;
	return m->lagging ? NLF_STATE_LAGGING : NLF_STATE_OK;
}

static void key_str(const struct key *k, char *buf, size_t len)
{
	const uint8_t *a = k->addr;

	if (k->af == 4)
		snprintf(buf, len, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], k->port);
	else
		snprintf(buf, len, "[%02x%02x:..:%02x%02x]:%u", a[0], a[1], a[14], a[15], k->port);
}

/* ---- the key pools --------------------------------------------------------- */

#define N_V4 27
#define N_V6 16
static const uint16_t special_ports[] = { 0, 3306, 65535 };
#define PORTS_PER_THREAD 4
#define THREAD_PORT(t, k) ((uint16_t)(20000 + (t) * PORTS_PER_THREAD + (k)))

static void pool_addr(uint64_t *s, struct key *k)
{
	unsigned int i;

	memset(k->addr, 0, sizeof(k->addr));
	if (rn(s, 10) < 7) {
		k->af = 4;
		i = rn(s, N_V4);
		if (i < 3) {	/* the lab's real servers, 198.18.0.11..13 */
			k->addr[0] = 198, k->addr[1] = 18, k->addr[3] = 11 + i;
		} else {
			k->addr[0] = 10, k->addr[2] = 1, k->addr[3] = i;
		}
	} else {
		k->af = 6;
		k->addr[0] = 0x20, k->addr[1] = 0x01, k->addr[2] = 0x0d, k->addr[3] = 0xb8;
		k->addr[15] = 1 + rn(s, N_V6);
	}
}

/* thread -1: any port of the pools; t >= 0: thread t's ports only */
static void pool_key(uint64_t *s, int t, int nthreads, struct key *k)
{
	pool_addr(s, k);
	if (t >= 0)
		k->port = THREAD_PORT(t, rn(s, PORTS_PER_THREAD));
	else if (pct(s, 40))
		k->port = special_ports[rn(s, 3)];
	else
		k->port = THREAD_PORT(rn(s, nthreads), rn(s, PORTS_PER_THREAD));
}

static bool key_mine(const struct key *k, int t)
{
	return t < 0 || (k->port >= THREAD_PORT(t, 0) &&
			 k->port < THREAD_PORT(t, PORTS_PER_THREAD));
}

/* ---- the message tree ---------------------------------------------------------- */

struct leaf {
	uint16_t type;		/* with its flags */
	uint16_t len;
	uint8_t data[40];
};

struct top {
	uint16_t type;
	uint16_t len;		/* of data, when not a nest of kids */
	bool kids_nest;
	int nkids;
	struct leaf kids[MAX_KIDS];
	uint8_t data[40];
};

struct msg {
	uint16_t nl_flags;
	uint32_t nl_pid;
	uint8_t cmd, version;
	uint16_t reserved;
	int ntop;
	struct top top[MAX_TOP];
	int ntrail;
	uint8_t trail[8];
	int trunc;		/* 16..19: nlmsg_len and the buffer cut there */
	int flips;		/* byte mutations after serialising */
	uint64_t flip_seed;
};

static void leaf_set(struct leaf *l, uint16_t type, const void *data, uint16_t len)
{
	l->type = type;
	l->len = len;
	memcpy(l->data, data, len);
}

static void leaf_u32(struct leaf *l, uint16_t type, uint32_t v)
{
	leaf_set(l, type, &v, 4);
}

static void leaf_u16(struct leaf *l, uint16_t type, uint16_t v)
{
	leaf_set(l, type, &v, 2);
}

static void leaf_u8(struct leaf *l, uint16_t type, uint8_t v)
{
	leaf_set(l, type, &v, 1);
}

static int put_attr_hdr(uint8_t *p, uint16_t len, uint16_t type)
{
	memcpy(p, &len, 2);
	memcpy(p + 2, &type, 2);
	return 4;
}

static int serialise(const struct msg *m, uint8_t *buf, uint32_t seq, uint16_t family)
{
	struct nlmsghdr nh = { 0 };
	struct genlmsghdr gh = { 0 };
	int off = NLMSG_HDRLEN, i, j;

	gh.cmd = m->cmd;
	gh.version = m->version;
	gh.reserved = m->reserved;
	memcpy(buf + off, &gh, sizeof(gh));
	off += GENL_HDRLEN;
	for (i = 0; i < m->ntop; i++) {
		const struct top *t = &m->top[i];
		int start = off;

		if (off + 4 + 40 + MAX_KIDS * 44 > BUF_SZ - 16)
			break;
		off += 4;
		if (t->kids_nest) {
			for (j = 0; j < t->nkids; j++) {
				const struct leaf *l = &t->kids[j];

				put_attr_hdr(buf + off, 4 + l->len, l->type);
				memcpy(buf + off + 4, l->data, l->len);
				memset(buf + off + 4 + l->len, 0, NLA_ALIGN(l->len) - l->len);
				off += NLA_ALIGN(4 + l->len);
			}
			put_attr_hdr(buf + start, off - start, t->type);
		} else {
			put_attr_hdr(buf + start, 4 + t->len, t->type);
			memcpy(buf + off, t->data, t->len);
			memset(buf + off + t->len, 0, NLA_ALIGN(t->len) - t->len);
			off += NLA_ALIGN(t->len);
		}
	}
	memcpy(buf + off, m->trail, m->ntrail);
	off += m->ntrail;
	if (m->flips) {
		uint64_t s = m->flip_seed;

		for (i = 0; i < m->flips && off > (int)(NLMSG_HDRLEN + GENL_HDRLEN); i++) {
			int at = NLMSG_HDRLEN + GENL_HDRLEN +
				 rn(&s, off - NLMSG_HDRLEN - GENL_HDRLEN);

			if (rn(&s, 2))
				buf[at] ^= 1u << rn(&s, 8);
			else
				buf[at] = rnd(&s);
		}
	}
	if (m->trunc)
		off = m->trunc;
	nh.nlmsg_len = off;
	nh.nlmsg_type = family;
	nh.nlmsg_flags = m->nl_flags;
	nh.nlmsg_seq = seq;
	nh.nlmsg_pid = m->nl_pid;
	memcpy(buf, &nh, sizeof(nh));
	return off;
}

/* ---- the prediction: the kernel's strict validation, then the handlers ---- */

struct rep {
	struct key k;
	bool has_lag, up;
	uint32_t lag;
};

enum eff { EFF_NONE, EFF_SET, EFF_DEL, EFF_FLUSH, EFF_GET, EFF_DUMP,
	   EFF_SVC_SET, EFF_SVC_DEL };

/*
 * Services' settings (LAGWLC_CMD_SVC_*). The generator builds no service
 * nest; these commands come only from mutations (a random command byte,
 * flipped bytes), so the model keeps the keys set, in wire form, and
 * counts no lagwlc service as bound (the fuzz guest's services are on
 * other addresses than random bytes give).
 */
struct svck {
	uint8_t b[32];		/* fwmark, family, protocol, port, address */
};

#define MAX_SVC LAGWLC_SVC_MAX
static struct {
	struct svck k[MAX_SVC];
	int n;
} svcs;

struct pred {
	int err;		/* the ack's (negative errno), or the dump's DONE */
	enum eff eff;
	bool owner;
	int n;
	struct rep reps[LAGWLC_SET_MAX];
	bool refused[LAGWLC_SET_MAX];
	struct svck svc;
};

static int attr_next(const uint8_t **p, int *rem, uint16_t *len, uint16_t *type)
{
	if (*rem < 4)
		return 0;
	memcpy(len, *p, 2);
	memcpy(type, *p + 2, 2);
	return *len >= 4 && *len <= *rem;
}

/* __nla_validate_parse(NL_VALIDATE_STRICT) over a policy that takes the
 * attributes of @mask from attribute set @set (the others: NLA_UNSPEC or
 * NLA_REJECT, refused alike); @nmask for the attributes of nested sets.
 */
static int validate(const uint8_t *p, int rem, int set, unsigned int mask,
		    unsigned int nmask)
{
	const struct nlf_set *s = &nlf_sets[set];
	uint16_t len, type;

	while (attr_next(&p, &rem, &len, &type)) {
		uint16_t t = type & NLA_TYPE_MASK_;
		int alen = len - 4;
		const struct nlf_attr *a;
		int fixed = 0;

		if (t == 0 || t > s->n)
			return -EINVAL;
		if (!(mask & 1u << t))
			return -EINVAL;
		a = &s->attrs[t];
		switch (a->type) {
		case NLF_U8: fixed = 1; break;
		case NLF_U16: fixed = 2; break;
		case NLF_U32: fixed = 4; break;
		}
		if (fixed && alen != fixed)
			return -EINVAL;
		if (a->type == NLF_NEST && !(type & NLA_F_NESTED))
			return -EINVAL;
		if (a->type != NLF_NEST && (type & NLA_F_NESTED))
			return -EINVAL;
		if (a->type == NLF_FLAG && alen > 0)
			return -ERANGE;
		if (a->type == NLF_NEST && alen) {
			int err;

			if (alen < 4)
				return -ERANGE;
			err = validate(p + 4, alen, a->nested, nmask, 0);
			if (err)
				return err;
		}
		if (a->type == NLF_BINARY && a->exact_len && alen != a->exact_len)
			return -ERANGE;
		if (a->has_range) {
			long long v = a->type == NLF_U8 ? p[4] :
				      a->type == NLF_U16 ? (p[4] | p[5] << 8) :
				      (long long)(p[4] | p[5] << 8 | p[6] << 16 |
						  (uint32_t)p[7] << 24);
			if (v < a->min || v > a->max)
				return -ERANGE;
		}
		p += NLA_ALIGN(len);
		rem -= NLA_ALIGN(len);
	}
	return rem > 0 ? -EINVAL : 0;
}

/* nla_parse_nested(): the last of each type wins */
static void parse_nest(const uint8_t *p, int rem, const uint8_t **tb, int max)
{
	uint16_t len, type;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (attr_next(&p, &rem, &len, &type)) {
		uint16_t t = type & NLA_TYPE_MASK_;

		if (t && t <= max)
			tb[t] = p;
		p += NLA_ALIGN(len);
		rem -= NLA_ALIGN(len);
	}
}

static uint16_t get16(const uint8_t *a)
{
	uint16_t v;

	memcpy(&v, a + 4, 2);
	return v;
}

static uint32_t get32(const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a + 4, 4);
	return v;
}

/* lagwlc_parse_key(), and the report's health and lag (lagwlc_parse_report) */
static int parse_rep(const uint8_t *nest, struct rep *r, bool report)
{
	const uint8_t *tb[NLF_A_REPLICA_MAX + 1];
	uint16_t len;

	memcpy(&len, nest, 2);
	parse_nest(nest + 4, len - 4, tb, NLF_A_REPLICA_MAX);
	memset(r, 0, sizeof(*r));
	if (tb[NLF_A_REPLICA_ADDR4] && tb[NLF_A_REPLICA_ADDR6])
		return -EINVAL;
	if (tb[NLF_A_REPLICA_ADDR4]) {
		r->k.af = 4;
		memcpy(r->k.addr, tb[NLF_A_REPLICA_ADDR4] + 4, 4);
	} else if (tb[NLF_A_REPLICA_ADDR6]) {
		r->k.af = 6;
		memcpy(r->k.addr, tb[NLF_A_REPLICA_ADDR6] + 4, 16);
	} else {
		return -EINVAL;
	}
	if (!tb[NLF_A_REPLICA_PORT])
		return -EINVAL;
	r->k.port = get16(tb[NLF_A_REPLICA_PORT]);
	if (!report)
		return 0;
	r->up = !tb[NLF_A_REPLICA_HEALTH] ||
		tb[NLF_A_REPLICA_HEALTH][4] == NLF_HEALTH_UP;
	r->has_lag = tb[NLF_A_REPLICA_LAG_MS];
	if (!r->has_lag && r->up)
		return -EINVAL;
	if (r->has_lag)
		r->lag = get32(tb[NLF_A_REPLICA_LAG_MS]);
	return 0;
}

static const struct nlf_op *find_op(int cmd)
{
	for (int i = 0; i < NLF_N_OPS; i++)
		if (nlf_ops[i].cmd == cmd && (nlf_ops[i].has_do || nlf_ops[i].has_dump))
			return &nlf_ops[i];
	return NULL;
}

static int svc_find(const struct svck *k)
{
	for (int i = 0; i < svcs.n; i++)
		if (!memcmp(&svcs.k[i], k, sizeof(*k)))
			return i;
	return -1;
}

/* lagwlc_parse_svc() and the three handlers, for the last service nest. */
static void predict_svc(int cmd, const uint8_t *nest, struct pred *pr)
{
	const uint8_t *tb[NLF_A_SERVICE_MAX + 1];
	bool settings = cmd == NLF_CMD_SVC_SET, any = false;
	uint16_t len, af;
	uint32_t v;
	int i;

	pr->err = -EINVAL;
	if (!nest)
		return;
	memcpy(&len, nest, 2);
	parse_nest(nest + 4, len - 4, tb, NLF_A_SERVICE_MAX);
	memset(&pr->svc, 0, sizeof(pr->svc));
	if (tb[NLF_A_SERVICE_FWMARK]) {
		for (i = NLF_A_SERVICE_PROTOCOL; i <= NLF_A_SERVICE_PORT; i++)
			if (tb[i])
				return;
		af = tb[NLF_A_SERVICE_FAMILY] ? get16(tb[NLF_A_SERVICE_FAMILY]) : 2;
		if (af != 2 && af != 10)
			return;
		v = get32(tb[NLF_A_SERVICE_FWMARK]);
		memcpy(pr->svc.b, &v, 4);
		memcpy(pr->svc.b + 4, &af, 2);
	} else {
		if (tb[NLF_A_SERVICE_FAMILY] ||
		    (tb[NLF_A_SERVICE_ADDR4] && tb[NLF_A_SERVICE_ADDR6]))
			return;
		if (tb[NLF_A_SERVICE_ADDR4])
			memcpy(pr->svc.b + 12, tb[NLF_A_SERVICE_ADDR4] + 4, 4);
		else if (tb[NLF_A_SERVICE_ADDR6])
			memcpy(pr->svc.b + 12, tb[NLF_A_SERVICE_ADDR6] + 4, 16);
		else
			return;
		pr->svc.b[4] = tb[NLF_A_SERVICE_ADDR4] ? 2 : 10;
		if (!tb[NLF_A_SERVICE_PROTOCOL])
			return;
		pr->svc.b[6] = tb[NLF_A_SERVICE_PROTOCOL][4];
		if (pr->svc.b[6] != 6 && pr->svc.b[6] != 17 && pr->svc.b[6] != 132)
			return;
		if (!tb[NLF_A_SERVICE_PORT])
			return;
		memcpy(pr->svc.b + 8, tb[NLF_A_SERVICE_PORT] + 4, 2);
	}
	for (i = NLF_A_SERVICE_MAX_LAG_MS; i <= NLF_A_SERVICE_ALL_LAGGING; i++) {
		if (tb[i] && !settings)
			return;
		any |= tb[i] != NULL;
	}
	if (settings) {
		if (!any)
			return;
		if (tb[NLF_A_SERVICE_MAX_LAG_MS] && tb[NLF_A_SERVICE_READMIT_LAG_MS] &&
		    get32(tb[NLF_A_SERVICE_READMIT_LAG_MS]) >
		    get32(tb[NLF_A_SERVICE_MAX_LAG_MS]))
			return;
		pr->err = svc_find(&pr->svc) < 0 && svcs.n >= MAX_SVC ? -ENOSPC : 0;
		pr->eff = pr->err ? EFF_NONE : EFF_SVC_SET;
		return;
	}
	pr->err = svc_find(&pr->svc) < 0 ? -ENOENT : 0;
	if (!pr->err && cmd == NLF_CMD_SVC_DEL)
		pr->eff = EFF_SVC_DEL;
}

/* Under model.lock (it reads the table for ENOSPC). */
static void predict(const uint8_t *buf, int len, bool priv, struct pred *pr)
{
	const struct nlmsghdr *nh = (const void *)buf;
	const uint8_t *attrs = buf + NLMSG_HDRLEN + GENL_HDRLEN, *p, *last = NULL;
	const uint8_t *svc = NULL;
	int alen = len - NLMSG_HDRLEN - GENL_HDRLEN, rem, n = 0, n_new = 0, i;
	const struct nlf_op *op;
	uint16_t l, type;
	bool dump;

	pr->err = 0;
	pr->eff = EFF_NONE;
	pr->n = 0;
	pr->owner = false;
	/* netlink_rcv_skb(): only requests are handled, acked 0 */
	if (!(nh->nlmsg_flags & NLM_F_REQUEST))
		return;
	/* genl_family_rcv_msg() */
	if (len < (int)(NLMSG_HDRLEN + GENL_HDRLEN)) {
		pr->err = -EINVAL;
		return;
	}
	/* genl_header_check(): the family sets no resv_start_op, so every
	 * command has its reserved byte and its nlmsg_flags checked
	 */
	if (buf[NLMSG_HDRLEN + 2] || buf[NLMSG_HDRLEN + 3]) {
		pr->err = -EINVAL;
		return;
	}
	if (((nh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP ?
	     nh->nlmsg_flags & ~NLM_F_DUMP : nh->nlmsg_flags) &
	    ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		pr->err = -EINVAL;
		return;
	}
	op = find_op(buf[NLMSG_HDRLEN]);
	if (!op) {
		pr->err = -EOPNOTSUPP;
		return;
	}
	if (op->admin && !priv) {
		pr->err = -EPERM;
		return;
	}
	dump = (nh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (dump ? !op->has_dump : !op->has_do) {
		pr->err = -EOPNOTSUPP;
		return;
	}
	pr->err = validate(attrs, alen, op->set, op->req_mask, nested_mask(op->cmd));
	if (pr->err)
		return;
	if (dump) {
		pr->eff = EFF_DUMP;
		return;
	}
	/* the handlers */
	p = attrs;
	rem = alen;
	while (attr_next(&p, &rem, &l, &type)) {
		if ((type & NLA_TYPE_MASK_) == NLF_A_LAGWLC_SERVICE)
			svc = p;
		if ((type & NLA_TYPE_MASK_) == NLF_A_LAGWLC_REPLICA) {
			n++;
			last = p;
		}
		if ((type & NLA_TYPE_MASK_) == NLF_A_LAGWLC_SOCKET_OWNER)
			pr->owner = true;
		p += NLA_ALIGN(l);
		rem -= NLA_ALIGN(l);
	}
	switch (op->cmd) {
	case NLF_CMD_SVC_SET:
	case NLF_CMD_SVC_DEL:
	case NLF_CMD_SVC_GET:
		predict_svc(op->cmd, svc, pr);
		return;
	case NLF_CMD_REPLICA_FLUSH:
		pr->eff = EFF_FLUSH;
		return;
	case NLF_CMD_REPLICA_DEL:
	case NLF_CMD_REPLICA_GET:
		if (!last) {
			pr->err = -EINVAL;
			return;
		}
		pr->err = parse_rep(last, &pr->reps[0], false);
		if (pr->err)
			return;
		pr->n = 1;
		if (!model_find(&pr->reps[0].k)) {
			pr->err = -ENOENT;
			return;
		}
		pr->eff = op->cmd == NLF_CMD_REPLICA_DEL ? EFF_DEL : EFF_GET;
		return;
	}
	/* NLF_CMD_REPLICA_SET */
	if (!n) {
		pr->err = -EINVAL;
		return;
	}
	if (n > LAGWLC_SET_MAX) {
		pr->err = -E2BIG;
		return;
	}
	p = attrs;
	rem = alen;
	n = 0;
	while (attr_next(&p, &rem, &l, &type)) {
		if ((type & NLA_TYPE_MASK_) == NLF_A_LAGWLC_REPLICA) {
			pr->err = parse_rep(p, &pr->reps[n], true);
			if (pr->err)
				return;
			for (i = 0; i < n; i++) {
				if (key_eq(&pr->reps[i].k, &pr->reps[n].k)) {
					pr->err = -EINVAL;
					return;
				}
			}
			n++;
		}
		p += NLA_ALIGN(l);
		rem -= NLA_ALIGN(l);
	}
	pr->n = n;
	pr->eff = EFF_SET;
	/* lagwlc_replica_set(): known ones updated, new ones while room */
	for (i = 0; i < n; i++) {
		pr->refused[i] = false;
		if (model_find(&pr->reps[i].k))
			continue;
		if ((uint32_t)(model.n + n_new) >= model.max_entries) {
			pr->refused[i] = true;
			pr->err = -ENOSPC;
			continue;
		}
		n_new++;
	}
}

/* Under model.lock. */
static void model_apply(const struct pred *pr, uint32_t portid)
{
	struct ment *m;
	int i;

	switch (pr->eff) {
	case EFF_SVC_SET:
		if (svc_find(&pr->svc) < 0)
			svcs.k[svcs.n++] = pr->svc;
		break;
	case EFF_SVC_DEL:
		svcs.k[svc_find(&pr->svc)] = svcs.k[--svcs.n];
		break;
	case EFF_FLUSH:
		model.n = 0;
		break;
	case EFF_DEL:
		m = model_find(&pr->reps[0].k);
		*m = model.e[--model.n];
		break;
	case EFF_SET:
		for (i = 0; i < pr->n; i++) {
			const struct rep *r = &pr->reps[i];

			if (pr->refused[i])
				continue;
			m = model_find(&r->k);
			if (!m) {
				m = &model.e[model.n++];
				memset(m, 0, sizeof(*m));
				m->k = r->k;
			}
			if (r->has_lag)
				m->lag = r->lag > NLF_CONST_LAG_MAX_MS - (opt_break ? 1 : 0) ?
					 NLF_CONST_LAG_MAX_MS - (opt_break ? 1 : 0) : r->lag;
			m->up = r->up;
			m->released = false;
			m->owner = pr->owner ? portid : 0;
			model_state(m);
		}
		break;
	default:
		break;
	}
}

/* the NETLINK_URELEASE of @portid: what it owned goes stale */
static void model_release(uint32_t portid)
{
	pthread_mutex_lock(&model.lock);
	for (int i = 0; i < model.n; i++) {
		if (model.e[i].owner == portid) {
			model.e[i].owner = 0;
			model.e[i].released = true;
			model_state(&model.e[i]);
		}
	}
	pthread_mutex_unlock(&model.lock);
}

/* ---- the generator -------------------------------------------------------------- */

struct gen {
	uint64_t s;
	int thread;		/* -1: single-socket phase */
	int nthreads;
	bool priv;
};

static void gen_key_leaves(struct gen *g, struct top *t, const struct key *k)
{
	(void)g;
	if (k->af == 4)
		leaf_set(&t->kids[t->nkids++], NLF_A_REPLICA_ADDR4, k->addr, 4);
	else
		leaf_set(&t->kids[t->nkids++], NLF_A_REPLICA_ADDR6, k->addr, 16);
	leaf_u16(&t->kids[t->nkids++], NLF_A_REPLICA_PORT, k->port);
}

static uint32_t edge_lag(struct gen *g)
{
	const uint32_t e[] = { 0, 1, model.readmit_lag_ms, model.readmit_lag_ms + 1,
			       model.max_lag_ms, model.max_lag_ms + 1,
			       NLF_CONST_LAG_MAX_MS - 1, NLF_CONST_LAG_MAX_MS,
			       NLF_CONST_LAG_MAX_MS + 1, UINT32_MAX };

	return e[rn(&g->s, sizeof(e) / sizeof(e[0]))];
}

static void pick_key(struct gen *g, struct key *k, bool existing)
{
	if (existing) {
		pthread_mutex_lock(&model.lock);
		for (int tries = 0; tries < 4 && model.n; tries++) {
			struct ment *m = &model.e[rn(&g->s, model.n)];

			if (key_mine(&m->k, g->thread)) {
				*k = m->k;
				pthread_mutex_unlock(&model.lock);
				return;
			}
		}
		pthread_mutex_unlock(&model.lock);
	}
	pool_key(&g->s, g->thread, g->nthreads, k);
}

static void gen_replica(struct gen *g, struct top *t, bool report, struct key *k,
			bool edges)
{
	memset(t, 0, sizeof(*t));
	t->type = NLF_A_LAGWLC_REPLICA | NLA_F_NESTED;
	t->kids_nest = true;
	if (!k->af)
		pick_key(g, k, pct(&g->s, 40));
	if (edges && g->thread < 0 && pct(&g->s, 30))
		k->port = pct(&g->s, 50) ? 0 : 65535;
	gen_key_leaves(g, t, k);
	if (report) {
		unsigned int h = rn(&g->s, 10);

		/* health absent (up), up, down */
		if (h >= 4)
			leaf_u8(&t->kids[t->nkids++], NLF_A_REPLICA_HEALTH,
				h >= 8 ? NLF_HEALTH_DOWN : NLF_HEALTH_UP);
		if (h < 8 || pct(&g->s, 50))
			leaf_u32(&t->kids[t->nkids++], NLF_A_REPLICA_LAG_MS,
				 edges ? edge_lag(g) : rn(&g->s, 8000));
	}
	/* attribute order does not matter */
	if (pct(&g->s, 30) && t->nkids > 1) {
		int a = rn(&g->s, t->nkids), b = rn(&g->s, t->nkids);
		struct leaf tmp = t->kids[a];

		t->kids[a] = t->kids[b];
		t->kids[b] = tmp;
	}
}

static void gen_valid(struct gen *g, struct msg *m, int cmd, bool edges)
{
	static __thread struct key keys[LAGWLC_SET_MAX];
	struct key k;
	int n, i;

	memset(m, 0, offsetof(struct msg, top));
	m->ntop = m->ntrail = m->trunc = m->flips = 0;
	m->nl_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->cmd = cmd;
	m->version = LAGWLC_GENL_VERSION;
	switch (cmd) {
	case NLF_CMD_REPLICA_SET:
		n = pct(&g->s, 2) ? (g->thread < 0 ? 200 + rn(&g->s, 57) : 60 + rn(&g->s, 40)) :
		    1 + rn(&g->s, pct(&g->s, 20) ? 32 : 4);
		for (i = 0; i < n; i++) {
			int tries = 0, j;

			/* no replica twice: a duplicate is a mutation of its own */
			do {
				pick_key(g, &keys[i], pct(&g->s, 40));
				for (j = 0; j < i && !key_eq(&keys[j], &keys[i]); j++)
					;
			} while (j < i && ++tries < 20);
			if (j < i)
				continue;
			gen_replica(g, &m->top[m->ntop++], true, &keys[i], edges);
		}
		if (pct(&g->s, 30)) {
			struct top *t = &m->top[m->ntop++];

			memset(t, 0, sizeof(*t));
			t->type = NLF_A_LAGWLC_SOCKET_OWNER;
		}
		break;
	case NLF_CMD_REPLICA_DEL:
	case NLF_CMD_REPLICA_GET:
		pick_key(g, &k, pct(&g->s, 70));
		gen_replica(g, &m->top[m->ntop++], false, &k, edges);
		break;
	default:
		break;
	}
}

static struct top *rand_top(struct gen *g, struct msg *m)
{
	return m->ntop ? &m->top[rn(&g->s, m->ntop)] : NULL;
}

static struct leaf *rand_leaf(struct gen *g, struct msg *m)
{
	struct top *t = rand_top(g, m);

	return t && t->kids_nest && t->nkids ? &t->kids[rn(&g->s, t->nkids)] : NULL;
}

static void rand_bytes(struct gen *g, uint8_t *p, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = rnd(&g->s);
}

static const char *mutate(struct gen *g, struct msg *m)
{
	struct top *t;
	struct leaf *l;
	const struct nlf_attr *a;

	switch (rn(&g->s, 24)) {
	case 0:		/* a boundary value from the YAML's checks/enums */
		l = rand_leaf(g, m);
		if (!l)
			return "none";
		a = &nlf_sets[NLF_SET_REPLICA].attrs[(l->type & NLA_TYPE_MASK_) <= NLF_A_REPLICA_MAX ?
						    l->type & NLA_TYPE_MASK_ : 0];
		if (a->type == NLF_U8 && (a->has_range || a->enum_last >= a->enum_first)) {
			long long lo = a->has_range ? a->min : a->enum_first;
			long long hi = a->has_range ? a->max : a->enum_last;
			const long long e[] = { lo - 1, lo, hi, hi + 1, 255 };

			l->data[0] = (uint8_t)e[rn(&g->s, 5)];
		} else if (a->type == NLF_U32) {
			uint32_t v = edge_lag(g);

			memcpy(l->data, &v, 4);
		} else if (a->type == NLF_U16) {
			uint16_t v = pct(&g->s, 50) ? 0 : 65535;

			memcpy(l->data, &v, 2);
		}
		return "edge";
	case 1:		/* a wrong length */
		l = rand_leaf(g, m);
		if (!l)
			return "none";
		l->len = rn(&g->s, 21);
		rand_bytes(g, l->data, l->len);
		return "len";
	case 2:		/* a wrong or unknown attribute type, nested */
		l = rand_leaf(g, m);
		if (!l)
			return "none";
		l->type = (l->type & ~NLA_TYPE_MASK_) |
			  (pct(&g->s, 80) ? rn(&g->s, NLF_A_REPLICA_MAX + 3) : rn(&g->s, 0x4000));
		return "type";
	case 3:		/* a wrong or unknown attribute type, top level */
		t = rand_top(g, m);
		if (!t)
			return "none";
		t->type = (t->type & ~NLA_TYPE_MASK_) | rn(&g->s, NLF_A_LAGWLC_MAX + 3);
		return "toptype";
	case 4:		/* NLA_F_NESTED where it is not, or missing */
		if (pct(&g->s, 50) && (l = rand_leaf(g, m)))
			l->type ^= NLA_F_NESTED;
		else if ((t = rand_top(g, m)))
			t->type ^= NLA_F_NESTED;
		return "nestedflag";
	case 5:		/* NLA_F_NET_BYTEORDER */
		if ((l = rand_leaf(g, m)))
			l->type |= NLA_F_NET_BYTEORDER;
		return "byteorder";
	case 6:		/* a nested attribute twice */
		t = rand_top(g, m);
		if (!t || !t->kids_nest || !t->nkids || t->nkids >= MAX_KIDS)
			return "none";
		t->kids[t->nkids] = t->kids[rn(&g->s, t->nkids)];
		if (pct(&g->s, 50))
			rand_bytes(g, t->kids[t->nkids].data, t->kids[t->nkids].len);
		t->nkids++;
		return "dupnested";
	case 7:		/* a top-level attribute twice (e.g. the same replica) */
		if (!m->ntop || m->ntop >= MAX_TOP)
			return "none";
		m->top[m->ntop] = m->top[rn(&g->s, m->ntop)];
		m->ntop++;
		return "duptop";
	case 8:		/* a nested attribute left out */
		t = rand_top(g, m);
		if (!t || !t->kids_nest || !t->nkids)
			return "none";
		{
			int victim = rn(&g->s, t->nkids);

			t->nkids--;
			t->kids[victim] = t->kids[t->nkids];
		}
		return "drop";
	case 9:		/* both addresses */
		t = rand_top(g, m);
		if (!t || !t->kids_nest || t->nkids >= MAX_KIDS)
			return "none";
		if (pct(&g->s, 50))
			leaf_u32(&t->kids[t->nkids++], NLF_A_REPLICA_ADDR4, 0x0b0012c6);
		else
			leaf_set(&t->kids[t->nkids++], NLF_A_REPLICA_ADDR6,
				 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		return "bothaddr";
	case 10:	/* nested garbage */
		t = rand_top(g, m);
		if (!t)
			return "none";
		t->kids_nest = false;
		t->len = rn(&g->s, 41);
		rand_bytes(g, t->data, t->len);
		return "garbage";
	case 11:	/* an empty nest */
		t = rand_top(g, m);
		if (!t)
			return "none";
		t->kids_nest = true;
		t->nkids = 0;
		return "emptynest";
	case 12:	/* an unknown top-level attribute */
		if (m->ntop >= MAX_TOP)
			return "none";
		t = &m->top[m->ntop++];
		memset(t, 0, sizeof(*t));
		t->type = NLF_A_LAGWLC_MAX + 1 + rn(&g->s, 4);
		t->len = rn(&g->s, 9);
		rand_bytes(g, t->data, t->len);
		return "unknowntop";
	case 13:	/* the flag with a payload, or where it does not belong */
		if (m->ntop >= MAX_TOP)
			return "none";
		t = &m->top[m->ntop++];
		memset(t, 0, sizeof(*t));
		t->type = NLF_A_LAGWLC_SOCKET_OWNER;
		t->len = pct(&g->s, 50) ? 0 : 1 + rn(&g->s, 4);
		return "flag";
	case 14:	/* trailing bytes */
		m->ntrail = 1 + rn(&g->s, 7);
		rand_bytes(g, m->trail, m->ntrail);
		return "trail";
	case 15:	/* an unknown command, or the last event's */
		m->cmd = pct(&g->s, 50) ? NLF_N_OPS + rn(&g->s, 2) :
			 pct(&g->s, 50) ? 0 : rnd(&g->s);
		return "cmd";
	case 16:	/* bad nlmsg flags */
		m->nl_flags |= 1u << (3 + rn(&g->s, 13));
		if (pct(&g->s, 15))
			m->nl_flags &= ~NLM_F_REQUEST;
		return "flags";
	case 17:	/* a dump of a command without one, or with attributes */
		m->nl_flags |= NLM_F_DUMP;
		return "dumpflag";
	case 18:	/* genl header: version, reserved; nlmsg_pid */
		m->version = rnd(&g->s);
		m->reserved = pct(&g->s, 50) ? rnd(&g->s) : 0;
		m->nl_pid = pct(&g->s, 50) ? rnd(&g->s) : 0;
		return "header";
	case 19:	/* a truncated genl header */
		m->trunc = NLMSG_HDRLEN + rn(&g->s, GENL_HDRLEN);
		return "trunc";
	case 20:	/* no replica at all */
		m->ntop = 0;
		return "noreplica";
	case 21:
	case 22:	/* bytes flipped anywhere past the headers */
		m->flips = 1 + rn(&g->s, 4);
		m->flip_seed = rnd(&g->s);
		return "flip";
	default:	/* a batch over the limit */
		if (m->cmd != NLF_CMD_REPLICA_SET)
			return "none";
		while (m->ntop < LAGWLC_SET_MAX + 1 + (int)rn(&g->s, 8)) {
			struct key k = { 0 };

			k.af = 4;
			k.addr[0] = 10, k.addr[1] = 9;
			k.addr[2] = m->ntop >> 8, k.addr[3] = m->ntop;
			k.port = 1;
			gen_replica(g, &m->top[m->ntop++], true, &k, false);
		}
		return "toobig";
	}
}

/* One message: its kind's name for the histogram. */
static const char *gen_msg(struct gen *g, struct msg *m)
{
	unsigned int r = rn(&g->s, 1000);
	int cmd;
	const char *what;

	if (g->thread < 0 && r < 1) {
		gen_valid(g, m, NLF_CMD_REPLICA_FLUSH, false);
		return "flush";
	}
	if (r < 50) {
		gen_valid(g, m, NLF_CMD_REPLICA_GET, false);
		m->nl_flags |= NLM_F_DUMP;
		return "dump";
	}
	cmd = rn(&g->s, 10);
	cmd = cmd < 6 ? NLF_CMD_REPLICA_SET : cmd < 8 ? NLF_CMD_REPLICA_DEL :
	      cmd < 9 ? NLF_CMD_REPLICA_GET : NLF_CMD_REPLICA_FLUSH;
	if (r < 450) {
		gen_valid(g, m, cmd == NLF_CMD_REPLICA_FLUSH ? NLF_CMD_REPLICA_SET : cmd,
			  false);
		return "valid";
	}
	if (r < 550) {
		gen_valid(g, m, cmd == NLF_CMD_REPLICA_FLUSH ? NLF_CMD_REPLICA_SET : cmd,
			  true);
		return "edge";
	}
	gen_valid(g, m, cmd, false);
	what = mutate(g, m);
	if (pct(&g->s, 30))
		mutate(g, m);
	return what;
}

/* ---- sockets --------------------------------------------------------------------- */

static uint16_t family_id;
static uint32_t mcgrp_id;
static uint64_t opt_seed;

static int nl_open(uint32_t *portid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int fd, one = 1, rcv = 1 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		close(fd);
		return -1;
	}
	if (portid)
		*portid = sa.nl_pid;
	return fd;
}

/* CTRL_CMD_GETFAMILY: the family's id and its events group's */
static int resolve(void)
{
	uint8_t buf[8192];
	struct nlmsghdr *nh = (void *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	struct nlattr *na;
	int fd, len;

	fd = nl_open(NULL);
	if (fd < 0)
		return -1;
	memset(buf, 0, 64);
	nh->nlmsg_type = GENL_ID_CTRL;
	nh->nlmsg_flags = NLM_F_REQUEST;
	nh->nlmsg_seq = 1;
	gh->cmd = CTRL_CMD_GETFAMILY;
	gh->version = 1;
	na = (void *)(buf + NLMSG_HDRLEN + GENL_HDRLEN);
	na->nla_type = CTRL_ATTR_FAMILY_NAME;
	na->nla_len = NLA_HDRLEN + sizeof(NLF_FAMILY_NAME);
	memcpy((uint8_t *)na + NLA_HDRLEN, NLF_FAMILY_NAME, sizeof(NLF_FAMILY_NAME));
	nh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(na->nla_len);
	if (send(fd, buf, nh->nlmsg_len, 0) < 0)
		goto err;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < (int)(NLMSG_HDRLEN + GENL_HDRLEN) || nh->nlmsg_type == NLMSG_ERROR)
		goto err;
	for (int off = NLMSG_HDRLEN + GENL_HDRLEN; off + 4 <= (int)nh->nlmsg_len;) {
		na = (void *)(buf + off);
		if (na->nla_len < 4)
			break;
		if (na->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(&family_id, (uint8_t *)na + 4, 2);
		if ((na->nla_type & NLA_TYPE_MASK_) == CTRL_ATTR_MCAST_GROUPS) {
			/* nest of nests of (name, id) */
			int end = off + na->nla_len;

			for (int o = off + 4; o + 4 <= end;) {
				struct nlattr *g = (void *)(buf + o);
				const char *name = NULL;
				uint32_t id = 0;

				if (g->nla_len < 4)
					break;
				for (int p = o + 4; p + 4 <= o + g->nla_len;) {
					struct nlattr *x = (void *)(buf + p);

					if (x->nla_len < 4)
						break;
					if (x->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
						name = (char *)x + 4;
					if (x->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						memcpy(&id, (uint8_t *)x + 4, 4);
					p += NLA_ALIGN(x->nla_len);
				}
				if (name && !strcmp(name, NLF_MCGRP))
					mcgrp_id = id;
				o += NLA_ALIGN(g->nla_len);
			}
		}
		off += NLA_ALIGN(na->nla_len);
	}
	close(fd);
	return family_id ? 0 : -1;
err:
	close(fd);
	return -1;
}

/* ---- failures ---------------------------------------------------------------------- */

static volatile int failed;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(uint64_t msgno, const uint8_t *buf, int len, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	failed = 1;
	printf("MISMATCH seed 0x%" PRIx64 " message %" PRIu64 ": ", opt_seed, msgno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (buf) {
		printf("message (%d bytes):", len);
		for (int i = 0; i < len && i < 4096; i++)
			printf("%s%02x", i % 32 ? " " : "\n  ", buf[i]);
		printf("\n");
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* ---- the dump -------------------------------------------------------------------- */

struct dent {
	struct key k;
	uint32_t lag;
	uint8_t health, state;
};

static int parse_entry(const uint8_t *p, int len, struct dent *d)
{
	const uint8_t *tb[NLF_A_REPLICA_MAX + 1];
	uint16_t l, type;
	int rem = len;

	while (attr_next(&p, &rem, &l, &type)) {
		if ((type & NLA_TYPE_MASK_) == NLF_A_LAGWLC_REPLICA) {
			memset(d, 0, sizeof(*d));
			parse_nest(p + 4, l - 4, tb, NLF_A_REPLICA_MAX);
			if (tb[NLF_A_REPLICA_ADDR4]) {
				d->k.af = 4;
				memcpy(d->k.addr, tb[NLF_A_REPLICA_ADDR4] + 4, 4);
			} else if (tb[NLF_A_REPLICA_ADDR6]) {
				d->k.af = 6;
				memcpy(d->k.addr, tb[NLF_A_REPLICA_ADDR6] + 4, 16);
			}
			if (!d->k.af || !tb[NLF_A_REPLICA_PORT] || !tb[NLF_A_REPLICA_LAG_MS] ||
			    !tb[NLF_A_REPLICA_HEALTH] || !tb[NLF_A_REPLICA_STATE] ||
			    !tb[NLF_A_REPLICA_AGE_MS])
				return -1;
			d->k.port = get16(tb[NLF_A_REPLICA_PORT]);
			d->lag = get32(tb[NLF_A_REPLICA_LAG_MS]);
			d->health = tb[NLF_A_REPLICA_HEALTH][4];
			d->state = tb[NLF_A_REPLICA_STATE][4];
			return 0;
		}
		p += NLA_ALIGN(l);
		rem -= NLA_ALIGN(l);
	}
	return -1;
}

/* the entry against the model's (under model.lock); NULL when equal */
static const char *entry_differs(const struct dent *d, char *why, size_t n)
{
	struct ment *m = model_find(&d->k);
	uint8_t st;

	if (!m)
		return "not in the model";
	st = model_state(m);
	if (d->lag != m->lag || d->health != (m->up ? NLF_HEALTH_UP : NLF_HEALTH_DOWN) ||
	    d->state != st) {
		snprintf(why, n, "lag %u health %u state %u, model lag %u health %u state %u",
			 d->lag, d->health, d->state, m->lag,
			 m->up ? NLF_HEALTH_UP : NLF_HEALTH_DOWN, st);
		return why;
	}
	return NULL;
}

/* ---- one transaction ------------------------------------------------------------- */

struct io {
	int fd;
	uint32_t portid;
	uint32_t seq;
	uint8_t *buf, *rbuf;
	struct dent *dents;	/* a dump's entries */
	int ndents;
	bool intr;		/* NLM_F_DUMP_INTR seen */
	char extack[256];
};

/* Read until the ack (or the dump's DONE) of @seq: 0 and *err, or -1. */
static int recv_result(struct io *io, uint32_t seq, int *err, int *got_done)
{
	io->ndents = 0;
	io->intr = false;
	io->extack[0] = 0;
	*got_done = 0;
	for (;;) {
		int len = recv(io->fd, io->rbuf, BUF_SZ, 0);
		struct nlmsghdr *nh;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)	/* events or acks lost: go on reading */
				continue;
			return -1;
		}
		for (nh = (void *)io->rbuf; NLMSG_OK(nh, (unsigned int)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
				io->intr = true;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);
				int off = sizeof(*e);

				*err = e->error;
				/* NETLINK_CAP_ACK: the request's header only; then TLVs */
				if (nh->nlmsg_flags & NLM_F_ACK_TLVS) {
					while (off + 4 <= (int)(nh->nlmsg_len - NLMSG_HDRLEN)) {
						struct nlattr *a = (void *)((uint8_t *)e + off);

						if (a->nla_len < 4)
							break;
						if (a->nla_type == NLMSGERR_ATTR_MSG)
							snprintf(io->extack, sizeof(io->extack), "%.*s",
								 a->nla_len - 4, (char *)a + 4);
						off += NLA_ALIGN(a->nla_len);
					}
				}
				return 0;
			}
			if (nh->nlmsg_type == NLMSG_DONE) {
				memcpy(err, NLMSG_DATA(nh), sizeof(*err));
				*got_done = 1;
				return 0;
			}
			if (nh->nlmsg_type == family_id && io->dents && io->ndents < MAX_ENTRIES &&
			    !parse_entry((uint8_t *)NLMSG_DATA(nh) + GENL_HDRLEN,
					 nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
					 &io->dents[io->ndents]))
				io->ndents++;
		}
	}
}

static int io_open(struct io *io)
{
	io->fd = nl_open(&io->portid);
	return io->fd < 0 ? -1 : 0;
}

/* A full dump of the table into io->dents: 0, or -1 */
static int dump_table(struct io *io)
{
	struct msg *m = calloc(1, sizeof(*m));
	int len, err, done;

	m->nl_flags = NLM_F_REQUEST | NLM_F_DUMP;
	m->cmd = NLF_CMD_REPLICA_GET;
	len = serialise(m, io->buf, ++io->seq, family_id);
	free(m);
	if (send(io->fd, io->buf, len, 0) < 0)
		return -1;
	if (recv_result(io, io->seq, &err, &done) || !done || err)
		return -1;
	return 0;
}

/* the dump (writers stopped) against the model, exactly */
static int compare_table(struct io *io, uint64_t msgno, const char *when)
{
	char why[160], ks[64];
	const char *d;
	int bad = 0;

	if (dump_table(io)) {
		fail(msgno, NULL, 0, "%s: the dump failed", when);
		return -1;
	}
	pthread_mutex_lock(&model.lock);
	if (io->ndents != model.n) {
		fail(msgno, NULL, 0, "%s: the dump has %d entries, the model %d",
		     when, io->ndents, model.n);
		bad = 1;
	}
	for (int i = 0; i < io->ndents && bad < 10; i++) {
		d = entry_differs(&io->dents[i], why, sizeof(why));
		for (int j = 0; !d && j < i; j++)
			if (key_eq(&io->dents[j].k, &io->dents[i].k))
				d = "dumped twice";
		if (d) {
			key_str(&io->dents[i].k, ks, sizeof(ks));
			fail(msgno, NULL, 0, "%s: %s: %s", when, ks, d);
			bad++;
		}
	}
	pthread_mutex_unlock(&model.lock);
	return bad ? -1 : 0;
}

/* ---- the senders -------------------------------------------------------------------- */

static uint64_t msg_counter;	/* message numbers, over every sender */
static uint64_t *shared_count;	/* the unprivileged children's, in shared memory */

struct stats {
	uint64_t sent, ok, dumps, intr, closed, middump, bursts;
	uint64_t err[64];
};

struct sender {
	struct gen g;
	struct io io;
	struct msg *m;
	struct stats st;
	uint64_t quota;
	bool check_dump;	/* compare own keys of dumps without INTR */
	pthread_t th;
};

static int count_err(struct stats *st, int err)
{
	int e = -err;

	st->err[e >= 0 && e < 64 ? e : 63]++;
	return 0;
}

/*
 * In a concurrent phase a message may touch, or ask about, only the
 * sender's keys: another writer's could change between the prediction and
 * the kernel's answer (a GET or DEL of them answers 0 or ENOENT by luck).
 */
static bool touches_others(const struct pred *pr, int thread)
{
	if (thread < 0)
		return false;
	if (pr->eff == EFF_FLUSH)
		return true;
	for (int i = 0; i < pr->n; i++)
		if (!key_mine(&pr->reps[i].k, thread))
			return true;
	return false;
}

static int check_dump_own(struct sender *s, uint64_t no)
{
	char why[160], ks[64];
	int mine = 0, found = 0;

	pthread_mutex_lock(&model.lock);
	for (int i = 0; i < model.n; i++)
		mine += key_mine(&model.e[i].k, s->g.thread);
	for (int i = 0; i < s->io.ndents; i++) {
		const char *d;

		if (!key_mine(&s->io.dents[i].k, s->g.thread))
			continue;
		found++;
		d = entry_differs(&s->io.dents[i], why, sizeof(why));
		if (d) {
			key_str(&s->io.dents[i].k, ks, sizeof(ks));
			pthread_mutex_unlock(&model.lock);
			fail(no, NULL, 0, "thread %d: a dump (not interrupted) under concurrent writers: %s: %s",
			     s->g.thread, ks, d);
			return -1;
		}
	}
	pthread_mutex_unlock(&model.lock);
	if (found != mine) {
		fail(no, NULL, 0, "thread %d: a dump (not interrupted) has %d of its entries, the model %d",
		     s->g.thread, found, mine);
		return -1;
	}
	return 0;
}

/* One message: generate, predict, send, check, apply. */
static int one(struct sender *s, bool read_ack)
{
	struct pred *pr = malloc(sizeof(*pr));
	const char *what;
	uint64_t no;
	int len, err = 0, done, tries = 0, rc = 0;

	do {
		what = gen_msg(&s->g, s->m);
		len = serialise(s->m, s->io.buf, s->io.seq + 1, family_id);
		pthread_mutex_lock(&model.lock);
		predict(s->io.buf, len, s->g.priv, pr);
		if (touches_others(pr, s->g.thread) && ++tries < 50) {
			pthread_mutex_unlock(&model.lock);
			continue;
		}
		break;
	} while (1);
	if (tries >= 50) {
		pthread_mutex_unlock(&model.lock);
		free(pr);
		return 0;
	}
	s->io.seq++;
	no = __atomic_add_fetch(&msg_counter, 1, __ATOMIC_RELAXED);
	/* the kernel handles a message inside send(): apply it with it */
	if (send(s->io.fd, s->io.buf, len, 0) < 0) {
		pthread_mutex_unlock(&model.lock);
		fail(no, s->io.buf, len, "send: %s", strerror(errno));
		free(pr);
		return -1;
	}
	if (s->g.priv)
		model_apply(pr, s->io.portid);
	pthread_mutex_unlock(&model.lock);
	s->st.sent++;
	if (!read_ack) {
		free(pr);
		return 0;
	}
	if (recv_result(&s->io, s->io.seq, &err, &done)) {
		fail(no, s->io.buf, len, "recv: %s", strerror(errno));
		free(pr);
		return -1;
	}
	count_err(&s->st, err);
	if (done != (pr->eff == EFF_DUMP) || err != pr->err) {
		fail(no, s->io.buf, len,
		     "%s (%s): expected %s %d (%s), the kernel answered %s %d (%s)%s%s",
		     what, s->g.priv ? "privileged" : "unprivileged",
		     pr->eff == EFF_DUMP ? "a dump, DONE" : "ack", pr->err, strerror(-pr->err),
		     done ? "a dump, DONE" : "ack", err, strerror(-err),
		     s->io.extack[0] ? ", extack: " : "", s->io.extack);
		rc = -1;
	} else if (pr->eff == EFF_GET) {
		char why[160];
		const char *d = "no replica in the reply";

		/* the reply's replica, against the model's */
		pthread_mutex_lock(&model.lock);
		if (s->io.ndents == 1)
			d = key_eq(&s->io.dents[0].k, &pr->reps[0].k) ?
			    entry_differs(&s->io.dents[0], why, sizeof(why)) :
			    "another replica in the reply";
		pthread_mutex_unlock(&model.lock);
		if (d) {
			fail(no, s->io.buf, len, "GET: %s", d);
			rc = -1;
		}
	} else if (pr->eff == EFF_DUMP) {
		s->st.dumps++;
		if (s->io.intr)
			s->st.intr++;
		else if (s->check_dump && s->g.thread >= 0)
			rc = check_dump_own(s, no);
	}
	free(pr);
	return rc;
}

/* a dump, read one part of, and the socket closed */
static void mid_dump_close(struct sender *s)
{
	struct io io = { .buf = s->io.buf, .rbuf = s->io.rbuf };
	struct msg *m = s->m;

	if (io_open(&io))
		return;
	gen_valid(&s->g, m, NLF_CMD_REPLICA_GET, false);
	m->ntop = 0;
	m->nl_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (send(io.fd, io.buf, serialise(m, io.buf, 1, family_id), 0) > 0)
		recv(io.fd, io.rbuf, 4096, 0);	/* a part, truncated */
	close(io.fd);
	s->st.middump++;
	__atomic_add_fetch(&msg_counter, 1, __ATOMIC_RELAXED);
	s->st.sent++;
}

static int sender_run(struct sender *s)
{
	while (s->st.sent < s->quota && !failed) {
		if (s->g.priv && pct(&s->g.s, 1) && rn(&s->g.s, 2)) {
			/* a burst without reading the acks, then the socket closed */
			int n = 1 + rn(&s->g.s, 16);

			for (int i = 0; i < n && !failed; i++)
				if (one(s, false))
					return -1;
			close(s->io.fd);
			model_release(s->io.portid);
			s->st.closed++;
			s->st.bursts++;
			if (io_open(&s->io))
				return -1;
			continue;
		}
		if (s->g.priv && rn(&s->g.s, 1000) < 3) {
			mid_dump_close(s);
			continue;
		}
		if (one(s, true))
			return -1;
	}
	return failed ? -1 : 0;
}

static void *sender_thread(void *arg)
{
	return (void *)(intptr_t)sender_run(arg);
}

static void sender_init(struct sender *s, uint64_t seed, int phase, int thread,
			int nthreads, bool priv)
{
	memset(s, 0, sizeof(*s));
	s->g.s = seed ^ (0x1000003ULL * (phase + 1)) ^ (0x9e3779b1ULL * (thread + 2));
	rnd(&s->g.s);
	s->g.thread = thread;
	s->g.nthreads = nthreads;
	s->g.priv = priv;
	s->m = calloc(1, sizeof(*s->m));
	s->io.buf = malloc(BUF_SZ);
	s->io.rbuf = malloc(BUF_SZ);
	s->io.dents = calloc(MAX_ENTRIES, sizeof(struct dent));
}

static void sender_fini(struct sender *s)
{
	if (s->io.fd > 0)
		close(s->io.fd);
	free(s->m);
	free(s->io.buf);
	free(s->io.rbuf);
	free(s->io.dents);
}

static void stats_add(struct stats *a, const struct stats *b)
{
	a->sent += b->sent;
	a->dumps += b->dumps;
	a->intr += b->intr;
	a->closed += b->closed;
	a->middump += b->middump;
	a->bursts += b->bursts;
	for (int i = 0; i < 64; i++)
		a->err[i] += b->err[i];
}

/* ---- unprivileged children: setuid nobody, root of a new user namespace ---- */

static int unpriv_child(int how, uint64_t seed, int phase, uint64_t quota)
{
	struct sender s;
	int rc;

	if (how == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			perror("nlfuzz: setresuid nobody");
			return 2;
		}
	} else {
		char map[64];
		int fd;

		if (unshare(CLONE_NEWUSER)) {
			perror("nlfuzz: unshare(CLONE_NEWUSER)");
			return 2;
		}
		fd = open("/proc/self/setgroups", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "deny", 4) < 0)
				perror("setgroups");
			close(fd);
		}
		snprintf(map, sizeof(map), "0 0 1");
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0) {
			perror("nlfuzz: uid_map");
			return 2;
		}
		close(fd);
	}
	sender_init(&s, seed, phase, 100 + how, 1, false);
	s.quota = quota;
	if (io_open(&s.io))
		return 2;
	rc = sender_run(&s);
	__atomic_add_fetch(shared_count, s.st.sent, __ATOMIC_RELAXED);
	__atomic_add_fetch(&shared_count[1 + how], s.st.err[EPERM], __ATOMIC_RELAXED);
	return rc ? 1 : 0;
}

/* ---- the events group: a listener, reopened now and then --------------------- */

static volatile int listen_stop;
static uint64_t events_seen;

static void *listener(void *arg)
{
	uint8_t *buf = malloc(BUF_SZ);
	int fd = -1, n = 0;
	struct timeval tv = { .tv_usec = 100000 };

	(void)arg;
	while (!listen_stop) {
		if (fd < 0) {
			fd = nl_open(NULL);
			if (fd < 0)
				break;
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &mcgrp_id,
				       sizeof(mcgrp_id)))
				perror("nlfuzz: join events");
		}
		if (recv(fd, buf, BUF_SZ, 0) > 0)
			events_seen++;
		if (++n % 500 == 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* ---- parameters ------------------------------------------------------------------- */

static const char *opt_params = "/sys/module/ip_vs_lagwlc/parameters";

static int param_read(const char *name, uint32_t *v)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", opt_params, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%u", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int param_write(const char *name, uint32_t v)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", opt_params, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%u\n", v);
	return fclose(f) ? -1 : 0;
}

/* ---- the selftest (host): the grammar and the model's predictions ------------- */

static int st_n, st_bad;

static void st_expect(const char *what, struct msg *m, bool priv, int want)
{
	uint8_t *buf = malloc(BUF_SZ);
	struct pred *pr = malloc(sizeof(*pr));
	int len = serialise(m, buf, 1, 0x20);

	predict(buf, len, priv, pr);
	st_n++;
	if (pr->err != want)
		st_bad++;
	printf("%sok %d - %s: %d%s\n", pr->err == want ? "" : "not ", st_n, what, pr->err,
	       pr->err == want ? "" : " (wrong)");
	free(buf);
	free(pr);
}

static int selftest(void)
{
	struct gen g = { .s = 42, .thread = -1, .nthreads = 2, .priv = true };
	struct msg *m = calloc(1, sizeof(*m));
	uint8_t *buf = malloc(BUF_SZ);
	uint64_t h1 = 0, h2 = 0;
	struct pred *pr = malloc(sizeof(*pr));
	int valid = 0;

	model.max_entries = 4096;
	model.max_lag_ms = 5000;
	model.readmit_lag_ms = 2000;
	gen_valid(&g, m, NLF_CMD_REPLICA_SET, false);
	st_expect("a valid SET", m, true, 0);
	st_expect("a valid SET, unprivileged", m, false, -EPERM);
	m->nl_flags |= NLM_F_DUMP;
	st_expect("SET as a dump", m, true, -EOPNOTSUPP);
	m->nl_flags &= ~NLM_F_DUMP;
	m->cmd = NLF_CMD_STATE_CHANGE;
	st_expect("the event's command", m, true, -EOPNOTSUPP);
	m->cmd = NLF_CMD_REPLICA_SET;
	m->top[0].kids[m->top[0].nkids++] = m->top[0].kids[0];
	st_expect("a duplicate nested attribute (the last wins)", m, true, 0);
	leaf_u8(&m->top[0].kids[m->top[0].nkids++], NLF_A_REPLICA_HEALTH, 3);
	st_expect("health 3", m, true, -ERANGE);
	m->top[0].kids[m->top[0].nkids - 1].data[0] = NLF_HEALTH_DOWN;
	m->top[0].kids[m->top[0].nkids - 1].len = 2;
	st_expect("health of 2 bytes", m, true, -EINVAL);
	m->top[0].nkids--;
	m->top[m->ntop++] = m->top[0];
	st_expect("the same replica twice", m, true, -EINVAL);
	m->ntop--;
	m->trunc = 18;
	st_expect("a truncated genl header", m, true, -EINVAL);
	m->trunc = 0;
	m->nl_flags &= ~NLM_F_REQUEST;
	st_expect("not a request", m, true, 0);
	gen_valid(&g, m, NLF_CMD_REPLICA_FLUSH, false);
	m->top[0].type = NLF_A_LAGWLC_SOCKET_OWNER;
	m->top[0].len = 0;
	m->top[0].kids_nest = false;
	m->ntop = 1;
	st_expect("FLUSH with an attribute", m, true, -EINVAL);
	m->top[0].len = 1;
	m->cmd = NLF_CMD_REPLICA_SET;
	st_expect("SET: only a flag, with a payload", m, true, -ERANGE);
	m->top[0].len = 0;
	st_expect("SET: no replica", m, true, -EINVAL);
	gen_valid(&g, m, NLF_CMD_REPLICA_DEL, false);
	st_expect("DEL of a replica not in the table", m, true, -ENOENT);
	m->top[0].type &= ~NLA_F_NESTED;
	st_expect("DEL: NLA_F_NESTED missing", m, true, -EINVAL);
	m->top[0].type |= NLA_F_NESTED;
	leaf_u32(&m->top[0].kids[m->top[0].nkids++], NLF_A_REPLICA_LAG_MS, 1);
	st_expect("DEL: a lag", m, true, -EINVAL);
	m->top[0].nkids--;
	for (int i = 0; i < m->top[0].nkids; i++)
		if ((m->top[0].kids[i].type & NLA_TYPE_MASK_) != NLF_A_REPLICA_PORT)
			m->top[0].kids[i].len = 5;
	st_expect("DEL: an address of 5 bytes", m, true, -ERANGE);
	gen_valid(&g, m, NLF_CMD_REPLICA_SET, false);
	m->ntop = 0;
	for (int i = 0; i <= LAGWLC_SET_MAX; i++) {
		struct key k = { .af = 4, .addr = { 10, 9, i >> 8, i }, .port = 1 };

		gen_replica(&g, &m->top[m->ntop++], true, &k, false);
	}
	st_expect("SET of 257 replicas", m, true, -E2BIG);
	m->ntop--;
	st_expect("SET of 256 replicas", m, true, 0);
	model.max_entries = 100;
	st_expect("SET of 256 new replicas, max_entries 100", m, true, -ENOSPC);
	model.max_entries = 4096;
	gen_valid(&g, m, NLF_CMD_REPLICA_GET, false);
	m->nl_flags |= NLM_F_DUMP;
	m->ntop = 0;
	st_expect("a dump", m, true, 0);
	/* the same seed, the same messages; and a share of them valid */
	for (int pass = 0; pass < 2; pass++) {
		struct gen gg = { .s = 0x5eed, .thread = -1, .nthreads = 2, .priv = true };

		for (int i = 0; i < 20000; i++) {
			int len;

			gen_msg(&gg, m);
			len = serialise(m, buf, i, 0x20);
			uint64_t *h = pass ? &h2 : &h1;

			for (int j = 0; j < len; j++)
				*h = *h * 1099511628211ULL + buf[j];
			if (!pass) {
				predict(buf, len, true, pr);
				valid += !pr->err;
			}
		}
	}
	st_n++;
	printf("%sok %d - the same seed gives the same 20000 messages (%016" PRIx64 ")\n",
	       h1 == h2 ? "" : "not ", st_n, h1);
	st_bad += h1 != h2;
	st_n++;
	printf("%sok %d - of 20000 generated messages %d are predicted accepted (20..80%%)\n",
	       valid > 4000 && valid < 16000 ? "" : "not ", st_n, valid);
	st_bad += !(valid > 4000 && valid < 16000);
	printf("1..%d\n", st_n);
	free(m);
	free(buf);
	free(pr);
	return st_bad ? 1 : 0;
}

/* ---- main ---------------------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_stats(const char *name, const struct stats *st, double secs)
{
	static const int show[] = { 0, EINVAL, ERANGE, EPERM, EOPNOTSUPP, ENOENT, ENOSPC, E2BIG };

	printf("# %s: %" PRIu64 " messages in %.1f s (%.0f/s); dumps %" PRIu64
	       " (%" PRIu64 " interrupted), bursts closed %" PRIu64 ", mid-dump closes %" PRIu64 ";",
	       name, st->sent, secs, secs > 0 ? st->sent / secs : 0.0, st->dumps, st->intr,
	       st->bursts, st->middump);
	for (unsigned int i = 0; i < sizeof(show) / sizeof(show[0]); i++)
		printf(" %s%s %" PRIu64, i ? "-" : "", i ? strerrorname_np(show[i]) : "0",
		       st->err[show[i]]);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint64_t count = 200000, phase_len = 10000;
	int nthreads = 3, phase = 0;
	struct stats total = { 0 };
	struct io cio = { 0 };
	struct sender single;
	uint32_t stale_ms, evict_ms;
	double t0;

	opt_seed = 0x1a9c0ffee;
	opt_break = getenv("NLFUZZ_BREAK") && atoi(getenv("NLFUZZ_BREAK"));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--selftest"))
			return selftest();
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(argv[i], "--seed"))
			opt_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count"))
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--phase"))
			phase_len = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads"))
			nthreads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--params"))
			opt_params = argv[++i];
		else
			goto usage;
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || !phase_len)
		goto usage;
	printf("# nlfuzz: seed 0x%" PRIx64 ", %" PRIu64 " messages in phases of %" PRIu64
	       ", %d writer threads (replay: nlfuzz --seed 0x%" PRIx64 " --count %" PRIu64 ")\n",
	       opt_seed, count, phase_len, nthreads, opt_seed, count);
	fflush(stdout);
	if (resolve()) {
		fprintf(stderr, "nlfuzz: no generic netlink family \"%s\" (module not loaded?)\n",
			NLF_FAMILY_NAME);
		return 2;
	}
	if (param_read("max_entries", &model.max_entries) ||
	    param_read("max_lag_ms", &model.max_lag_ms) ||
	    param_read("readmit_lag_ms", &model.readmit_lag_ms) ||
	    param_read("stale_ms", &stale_ms) || param_read("evict_ms", &evict_ms)) {
		fprintf(stderr, "nlfuzz: cannot read the module's parameters in %s\n", opt_params);
		return 2;
	}
	if (stale_ms != NLF_CONST_LAG_MAX_MS || evict_ms != 0) {
		fprintf(stderr, "nlfuzz: the model needs stale_ms=%u and evict_ms=0 (nothing ages)\n",
			NLF_CONST_LAG_MAX_MS);
		return 2;
	}
	shared_count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cio.buf = malloc(BUF_SZ);
	cio.rbuf = malloc(BUF_SZ);
	cio.dents = calloc(MAX_ENTRIES, sizeof(struct dent));
	if (shared_count == MAP_FAILED || io_open(&cio))
		return 2;
	/* the model starts from the table as it is */
	if (dump_table(&cio))
		return 2;
	for (int i = 0; i < cio.ndents; i++) {
		struct ment *e = &model.e[model.n++];

		memset(e, 0, sizeof(*e));
		e->k = cio.dents[i].k;
		e->lag = cio.dents[i].lag;
		e->up = cio.dents[i].health == NLF_HEALTH_UP;
		e->lagging = cio.dents[i].state == NLF_STATE_LAGGING;
		e->released = cio.dents[i].state == NLF_STATE_STALE;
	}
	printf("# family %u, events group %u; max_entries %u, max_lag_ms %u, readmit_lag_ms %u; %d entries at the start\n",
	       family_id, mcgrp_id, model.max_entries, model.max_lag_ms, model.readmit_lag_ms,
	       model.n);
	t0 = now();
	sender_init(&single, opt_seed, 0, -1, nthreads, true);
	if (io_open(&single.io))
		return 2;
	while (msg_counter < count && !failed) {
		uint64_t quota = count - msg_counter < phase_len ? count - msg_counter : phase_len;
		int kind = phase % 3;
		double pt = now();
		struct stats st = { 0 };
		char name[96];

		if (kind == 0 || kind == 1) {
			/* one socket; 1: a small max_entries, ENOSPC */
			uint32_t saved = model.max_entries;

			if (kind == 1) {
				model.max_entries = model.n + 20 + rn(&single.g.s, 40);
				if (param_write("max_entries", model.max_entries))
					return 2;
			}
			single.quota = single.st.sent + quota;
			struct stats before = single.st;

			sender_run(&single);
			st = single.st;
			st.sent -= before.sent;
			st.dumps -= before.dumps;
			st.intr -= before.intr;
			st.bursts -= before.bursts;
			st.middump -= before.middump;
			for (int i = 0; i < 64; i++)
				st.err[i] -= before.err[i];
			if (kind == 1) {
				model.max_entries = saved;
				if (param_write("max_entries", saved))
					return 2;
			}
			snprintf(name, sizeof(name), "phase %d (one socket%s)", phase,
				 kind ? ", max_entries small" : "");
		} else {
			/* writers, unprivileged children, the events listener */
			struct sender *w = calloc(nthreads, sizeof(*w));
			pid_t kids[2];
			pthread_t lt;
			uint64_t uq = quota / (nthreads + 2) / 2;

			listen_stop = 0;
			pthread_create(&lt, NULL, listener, NULL);
			shared_count[0] = shared_count[1] = shared_count[2] = 0;
			for (int c = 0; c < 2; c++) {
				kids[c] = fork();
				if (kids[c] == 0)
					_exit(unpriv_child(c, opt_seed, phase, uq));
			}
			for (int t = 0; t < nthreads; t++) {
				sender_init(&w[t], opt_seed, phase, t, nthreads, true);
				w[t].quota = (quota - 2 * uq) / nthreads;
				w[t].check_dump = true;
				if (io_open(&w[t].io))
					return 2;
				pthread_create(&w[t].th, NULL, sender_thread, &w[t]);
			}
			for (int t = 0; t < nthreads; t++) {
				pthread_join(w[t].th, NULL);
				stats_add(&st, &w[t].st);
				close(w[t].io.fd);
				model_release(w[t].io.portid);
				w[t].io.fd = -1;
				sender_fini(&w[t]);
			}
			for (int c = 0; c < 2; c++) {
				int status;

				waitpid(kids[c], &status, 0);
				if (!WIFEXITED(status) || WEXITSTATUS(status)) {
					fail(msg_counter, NULL, 0, "the unprivileged child (%s) failed",
					     c ? "user namespace root" : "nobody");
				}
			}
			listen_stop = 1;
			pthread_join(lt, NULL);
			msg_counter += shared_count[0];
			st.sent += shared_count[0];
			free(w);
			snprintf(name, sizeof(name),
				 "phase %d (%d writers, 2 unprivileged: %" PRIu64 " EPERM)",
				 phase, nthreads, shared_count[1] + shared_count[2]);
		}
		print_stats(name, &st, now() - pt);
		stats_add(&total, &st);
		if (!failed) {
			char when[64];

			snprintf(when, sizeof(when), "after phase %d", phase);
			compare_table(&cio, msg_counter, when);
			printf("# %s: the table (%d entries) equals the model's\n", when, cio.ndents);
		}
		phase++;
	}
	/* the end: flush, nothing left */
	if (!failed) {
		struct msg *m = calloc(1, sizeof(*m));
		struct pred pr = { .eff = EFF_FLUSH };
		int len, err, done;

		gen_valid(&single.g, m, NLF_CMD_REPLICA_FLUSH, false);
		len = serialise(m, cio.buf, ++cio.seq, family_id);
		if (send(cio.fd, cio.buf, len, 0) < 0 || recv_result(&cio, cio.seq, &err, &done) || err)
			fail(msg_counter, cio.buf, len, "the final flush failed");
		model_apply(&pr, 0);
		compare_table(&cio, msg_counter, "after the final flush");
		free(m);
	}
	print_stats("total", &total, now() - t0);
	printf("# events received: %" PRIu64 "\n", events_seen);
	printf("# %s: %" PRIu64 " messages, seed 0x%" PRIx64 "\n",
	       failed ? "FAILED" : "passed", msg_counter, opt_seed);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: nlfuzz [--seed N] [--count N] [--phase N] [--threads N] [--params DIR] | --selftest\n");
	return 2;
}
