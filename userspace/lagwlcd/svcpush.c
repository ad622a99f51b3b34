// SPDX-License-Identifier: GPL-2.0
/* lagwlcd.conf's [service] sections, kept in the module (svcpush.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "log.h"
#include "service.h"
#include "svcpush.h"

static void log_failure(struct svcpush *sp, const char *what, int r,
			const struct lnl_err *err)
{
	if (r == sp->last_err)
		return;
	sp->last_err = r;
	log_err("%s: %s%s%s%s", what, err && err->msg[0] ? err->msg : "",
		err && err->msg[0] ? ": " : "", r > 0 ? strerror(r) : nl_geterror(r),
		"; retrying at the next rescan");
}

/* Do the module's settings for the service equal the section's? */
static bool same(const struct svc_info *in, const struct service_conf *sc)
{
	unsigned int mask = 0;

	for (int a = SVC_FIRST; a <= SVC_LAST; a++)
		mask |= 1u << a;
	if ((in->s.set & mask) != sc->s.set)
		return false;
	for (int a = SVC_FIRST; a <= SVC_LAST; a++)
		if ((sc->s.set & 1u << a) && in->s.v[a] != sc->s.v[a])
			return false;
	return true;
}

static int request(struct lnl *nl, uint8_t cmd, const struct svc_key *k, const struct svc_set *s,
		   struct lnl_err *err)
{
	struct nl_msg *msg = lnl_msg(nl->family, cmd, LAGWLC_GENL_VERSION, 0, 0);
	int r;

	memset(err, 0, sizeof(*err));
	if (!msg)
		return -NLE_NOMEM;
	r = svc_put(msg, k, s);
	if (!r)
		r = lnl_transact(nl, msg, NULL, NULL, err);
	nlmsg_free(msg);
	return r;
}

void svcpush_sync(struct svcpush *sp, struct lnl *nl, const struct config *cfg)
{
	struct svc_list l = { 0 };
	struct lnl_err err;
	char f[SVC_STRLEN], what[SVC_STRLEN + 32];
	int r = 0, tries;
	size_t i, j;

	if (!nl->family || !cfg->nservices)
		return;
	for (tries = 0; tries < LNL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = lnl_msg(nl->family, LAGWLC_CMD_SVC_GET, LAGWLC_GENL_VERSION,
					     NLM_F_DUMP, 0);

		if (!msg) {
			r = -NLE_NOMEM;
			break;
		}
		l.n = 0;
		memset(&err, 0, sizeof(err));
		r = lnl_transact(nl, msg, svc_list_add, &l, &err);
		nlmsg_free(msg);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r) {
		log_failure(sp, "reading the services' settings", r, &err);
		free(l.v);
		return;
	}
	for (i = 0; i < cfg->nservices; i++) {
		const struct service_conf *sc = &cfg->services[i];

		for (j = 0; j < l.n; j++)
			if (svc_key_equal(&l.v[j].key, &sc->key))
				break;
		if (j < l.n && same(&l.v[j], sc))
			continue;
		svc_key_format(&sc->key, f, sizeof(f));
		r = request(nl, LAGWLC_CMD_SVC_SET, &sc->key, &sc->s, &err);
		if (r) {
			snprintf(what, sizeof(what), "service %s", f);
			log_failure(sp, what, r, &err);
			break;
		}
		log_notice("service %s: settings of line %u %s", f, sc->line,
			   j < l.n ? "pushed (the module's differed)" : "pushed");
	}
	if (!r)
		sp->last_err = 0;
	free(l.v);
}

void svcpush_forget(struct svcpush *sp, struct lnl *nl, const struct config *old,
		    const struct config *new)
{
	struct lnl_err err;
	char f[SVC_STRLEN];
	size_t i, j;
	int r;

	(void)sp;
	if (!nl->family)
		return;
	for (i = 0; i < old->nservices; i++) {
		for (j = 0; j < new->nservices; j++)
			if (svc_key_equal(&old->services[i].key, &new->services[j].key))
				break;
		if (j < new->nservices)
			continue;
		svc_key_format(&old->services[i].key, f, sizeof(f));
		r = request(nl, LAGWLC_CMD_SVC_DEL, &old->services[i].key, NULL, &err);
		if (r && r != ENOENT)
			log_warn("service %s: cannot delete its settings: %s", f,
				 r > 0 ? strerror(r) : nl_geterror(r));
		else
			log_notice("service %s: no longer configured: its settings deleted", f);
	}
}
