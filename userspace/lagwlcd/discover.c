// SPDX-License-Identifier: GPL-2.0
/* The replicas to probe: configured ones, then those IPVS has. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"

static int target_cmp(const void *a, const void *b)
{
	return ep_cmp(&((const struct target *)a)->key, &((const struct target *)b)->key);
}

static struct target *find(struct targets *ts, const struct endpoint *key)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (ep_equal(&ts->v[i].key, key))
			return &ts->v[i];
	return NULL;
}

static struct target *add(struct targets *ts)
{
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 16;
		struct target *v = realloc(ts->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ts->v = v;
		ts->cap = cap;
	}
	memset(&ts->v[ts->n], 0, sizeof(ts->v[0]));
	return &ts->v[ts->n++];
}

int targets_build(const struct config *cfg, const struct ipvs_table *t, struct targets *out)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < cfg->nreplicas; i++) {
		const struct replica_conf *rc = &cfg->replicas[i];
		struct target *tg = add(out);

		if (!tg)
			goto nomem;
		tg->key = rc->ep;
		tg->probe = rc->probe;
		tg->s = rc->s;
		snprintf(tg->origin, sizeof(tg->origin), "[replica] at line %u", rc->line);
	}
	if (cfg->discover && t) {
		/* a hash would beat find()'s scan, but a director has tens of real servers */
		for (i = 0; i < t->nsvcs; i++) {
			const struct ipvs_service *svc = &t->svcs[i];
			char p[8], e[EP_STRLEN];

			if (strcmp(svc->sched, LAGWLC_SCHED))
				continue;
			for (j = 0; j < svc->ndests; j++) {
				struct target *tg;

				if (find(out, &svc->dests[j].ep))
					continue;	/* configured, or in another service too */
				tg = add(out);
				if (!tg)
					goto nomem;
				tg->key = svc->dests[j].ep;
				tg->probe = tg->key;
				/* port 0 (fwmark): the client's port; MySQL's is the guess */
				if (!tg->probe.port)
					tg->probe.port = DISCOVER_PORT0_PROBE;
				tg->s = cfg->global;
				if (svc->fwmark)
					snprintf(tg->origin, sizeof(tg->origin),
						 "discovered in FWM %u", svc->fwmark);
				else
					snprintf(tg->origin, sizeof(tg->origin), "discovered in %s %s",
						 ipvs_proto_name(svc->protocol, p, sizeof(p)),
						 ep_format(&svc->vip, e, sizeof(e)));
			}
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), target_cmp);
	return 0;
nomem:
	targets_free(out);
	return -1;
}

void targets_free(struct targets *ts)
{
	free(ts->v);
	memset(ts, 0, sizeof(*ts));
}
