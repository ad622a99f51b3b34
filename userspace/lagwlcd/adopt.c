// SPDX-License-Identifier: GPL-2.0
/* adopt: keep listed IPVS services on the lagwlc scheduler. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "discover.h"
#include "log.h"

int adopt_memo_init(struct adopt_memo *m, const struct config *cfg)
{
	m->n = cfg->nadopts;
	m->seen = calloc(m->n + 1, sizeof(*m->seen));
	m->err = calloc(m->n + 1, sizeof(*m->err));
	if (!m->seen || !m->err) {
		adopt_memo_free(m);
		return -1;
	}
	return 0;
}

void adopt_memo_free(struct adopt_memo *m)
{
	free(m->seen);
	free(m->err);
	memset(m, 0, sizeof(*m));
}

static const struct ipvs_service *lookup(const struct ipvs_table *t, const struct adopt_conf *a)
{
	size_t i;

	for (i = 0; i < t->nsvcs; i++) {
		const struct ipvs_service *s = &t->svcs[i];

		if (a->fwmark ? s->fwmark == a->fwmark :
		    !s->fwmark && s->protocol == a->protocol && ep_equal(&s->vip, &a->vip))
			return s;
	}
	return NULL;
}

int adopt_run(struct lnl *nl, const struct config *cfg, const struct ipvs_table *t,
	      struct adopt_memo *m, bool dry_run)
{
	char name[EP_STRLEN + 16];
	struct lnl_err err;
	int switched = 0, r;
	size_t i;

	for (i = 0; i < cfg->nadopts && i < m->n; i++) {
		const struct adopt_conf *a = &cfg->adopts[i];
		const struct ipvs_service *svc = lookup(t, a);

		adopt_format(a, name, sizeof(name));
		if (!svc) {
			if (m->seen[i] != ADOPT_MISSING)
				log_warn("adopt %s (line %u): no such IPVS service (yet)", name, a->line);
			m->seen[i] = ADOPT_MISSING;
			continue;
		}
		if (!strcmp(svc->sched, LAGWLC_SCHED)) {
			if (m->seen[i] != ADOPT_OURS)
				log_info("adopt %s: scheduler is %s", name, LAGWLC_SCHED);
			m->seen[i] = ADOPT_OURS;
			continue;
		}
		if (dry_run) {
			if (m->seen[i] != ADOPT_FAILED)
				log_notice("adopt %s: dry run: would switch its scheduler from %s to %s",
					   name, svc->sched, LAGWLC_SCHED);
			m->seen[i] = ADOPT_FAILED;
			continue;
		}
		r = ipvs_set_sched(nl, svc, LAGWLC_SCHED, &err);
		if (r) {
			if (m->seen[i] != ADOPT_FAILED || m->err[i] != r) {
				if (r == ENOENT && !err.msg[0])
					log_err("adopt %s: cannot switch from %s to %s: %s (is ip_vs_lagwlc installed?)",
						name, svc->sched, LAGWLC_SCHED, strerror(r));
				else
					log_err("adopt %s: cannot switch from %s to %s: %s%s%s",
						name, svc->sched, LAGWLC_SCHED, err.msg,
						err.msg[0] ? ": " : "",
						r > 0 ? strerror(r) : nl_geterror(r));
			}
			m->seen[i] = ADOPT_FAILED;
			m->err[i] = r;
			continue;
		}
		if (m->seen[i] == ADOPT_OURS)
			log_warn("adopt %s: its scheduler was reset to %s (keepalived reload?): switched back to %s",
				 name, svc->sched, LAGWLC_SCHED);
		else
			log_notice("adopt %s: scheduler switched from %s to %s", name, svc->sched,
				   LAGWLC_SCHED);
		m->seen[i] = ADOPT_OURS;
		m->err[i] = 0;
		switched++;
	}
	return switched;
}
