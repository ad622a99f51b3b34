// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcd.conf: parse from memory, one "FILE:LINE: PROBLEM" per error.
 *
 * Lines are "[SECTION]", "KEY = VALUE", blank, or comments from '#' or ';'
 * at the start of a line or after a blank. Keys are lower case; each may
 * appear once per section except adopt.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include "config.h"
#include "optfile.h"
#include "values.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/* The largest configuration file read (a sanity bound, 16 MiB). */
#define CONFIG_FILE_MAX (16u << 20)

enum key_id {
	K_POLL_INTERVAL,
	K_TIMEOUT,
	K_OPTION_FILE,
	K_OPTION_GROUP,
	K_LAG_SOURCE,
	K_HEARTBEAT_TABLE,
	K_HEARTBEAT_SERVER_ID,
	K_IO_THREAD_STOPPED,
	K_NOT_REPLICA,
	K_DISCOVER,
	K_ADOPT,
	K_PROBE,
	K_CONN_REUSE_MODE,
	K_METRICS_LISTEN,
	NKEYS
};

#define IN_GLOBAL	1u
#define IN_REPLICA	2u

static const struct {
	const char *name;
	unsigned int where;
	bool repeatable;
} keys[NKEYS] = {
	[K_POLL_INTERVAL]	= { "poll_interval", IN_GLOBAL, false },
	[K_TIMEOUT]		= { "timeout", IN_GLOBAL | IN_REPLICA, false },
	[K_OPTION_FILE]		= { "option_file", IN_GLOBAL | IN_REPLICA, false },
	[K_OPTION_GROUP]	= { "option_group", IN_GLOBAL | IN_REPLICA, false },
	[K_LAG_SOURCE]		= { "lag_source", IN_GLOBAL | IN_REPLICA, false },
	[K_HEARTBEAT_TABLE]	= { "heartbeat_table", IN_GLOBAL | IN_REPLICA, false },
	[K_HEARTBEAT_SERVER_ID]	= { "heartbeat_server_id", IN_GLOBAL | IN_REPLICA, false },
	[K_IO_THREAD_STOPPED]	= { "io_thread_stopped", IN_GLOBAL | IN_REPLICA, false },
	[K_NOT_REPLICA]		= { "not_replica", IN_GLOBAL | IN_REPLICA, false },
	[K_DISCOVER]		= { "discover", IN_GLOBAL, false },
	[K_ADOPT]		= { "adopt", IN_GLOBAL, true },
	[K_PROBE]		= { "probe", IN_REPLICA, false },
	[K_CONN_REUSE_MODE]	= { "conn_reuse_mode", IN_GLOBAL, false },
	[K_METRICS_LISTEN]	= { "metrics_listen", IN_GLOBAL, false },
};

/* A [replica] section while parsing: which keys it set, and where. */
struct rsec {
	unsigned int seen[NKEYS];
	struct settings s;
};

struct parser {
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
	struct config *cfg;
	unsigned int global_line;	/* of [lagwlcd], 0 before it */
	unsigned int global_seen[NKEYS];
	struct rsec *rsecs;		/* parallel to cfg->replicas */
	size_t rcap, acap, scap;
	long cur;			/* -1: [lagwlcd], >= 0: a replica, -2: none yet,
					 * -3: a [service] (cfg->services' last) */
	unsigned int sseen[LAGWLC_S_MAX + 1];	/* its settings' lines */
};

#define CUR_SERVICE	-3

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line);
	va_list ap;

	if (n >= 0 && (size_t)n < p->errlen) {
		char *c;

		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
		/* one printable line, whatever the file holds */
		for (c = p->err + n; *c; c++)
			if (!isprint((unsigned char)*c))
				*c = '?';
	}
	return -1;
}

/*
 * s for a message: at most 80 characters, anything unprintable as '?', and
 * "..." when cut.
 */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t i, max = len - 4 < 80 ? len - 4 : 80;

	for (i = 0; s[i] && i < max; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i])
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}

#define Q(s) quote((s), (char[96]){ 0 }, 96)

const char *lag_source_name(enum lag_source s)
{
	switch (s) {
	case LAG_SOURCE_HEARTBEAT:
		return "heartbeat";
	case LAG_SOURCE_REPLICA_STATUS:
		return "replica_status";
	default:
		return "auto";
	}
}

bool settings_equal(const struct settings *a, const struct settings *b)
{
	return a->timeout_ms == b->timeout_ms && !strcmp(a->option_file, b->option_file) &&
	       !strcmp(a->option_group, b->option_group) && a->lag_source == b->lag_source &&
	       !strcmp(a->heartbeat_db, b->heartbeat_db) &&
	       !strcmp(a->heartbeat_tbl, b->heartbeat_tbl) &&
	       a->heartbeat_configured == b->heartbeat_configured &&
	       a->heartbeat_server_id == b->heartbeat_server_id &&
	       a->io_stopped_down == b->io_stopped_down &&
	       a->not_replica_primary == b->not_replica_primary;
}

enum lag_source lag_source_effective(const struct settings *s)
{
	if (s->lag_source != LAG_SOURCE_AUTO)
		return s->lag_source;
	return s->heartbeat_configured ? LAG_SOURCE_HEARTBEAT : LAG_SOURCE_REPLICA_STATUS;
}

const char *adopt_format(const struct adopt_conf *a, char *buf, size_t len)
{
	char e[EP_STRLEN];

	if (!a->protocol)
		snprintf(buf, len, "FWM %u", a->fwmark);
	else
		snprintf(buf, len, "%s %s",
			 a->protocol == IPPROTO_TCP ? "TCP" : a->protocol == IPPROTO_UDP ? "UDP" : "SCTP",
			 ep_format(&a->vip, e, sizeof(e)));
	return buf;
}

static int parse_bool(const char *v, bool *b)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(v, yes[i])) {
			*b = true;
			return 0;
		}
		if (!strcmp(v, no[i])) {
			*b = false;
			return 0;
		}
	}
	return -1;
}

static int parse_u32(const char *v, uint32_t *out)
{
	unsigned long long n = 0;
	const char *p;

	if (!*v)
		return -1;
	for (p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (unsigned long long)(*p - '0');
		if (n > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

/* An unquoted MySQL identifier: letters, digits, '_' and '$', 1..64 of them. */
static bool ident_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '$')
			return false;
	return true;
}

static int duration(struct parser *p, const char *key, const char *v, uint32_t lo,
		    uint32_t hi, uint32_t *out)
{
	char why[96];
	uint32_t ms;

	if (duration_parse_ms(v, &ms, why, sizeof(why)) < 0)
		return fail(p, "%s \"%s\": %s", key, Q(v), why);
	if (ms < lo || ms > hi)
		return fail(p, "%s %s: out of range %ums..%us", key, v, lo, hi / 1000);
	*out = ms;
	return 0;
}

/* A setting that [lagwlcd] and [replica] share, into s. */
static int set_setting(struct parser *p, enum key_id k, const char *v, struct settings *s)
{
	const char *key = keys[k].name;
	const char *dot;

	switch (k) {
	case K_TIMEOUT:
		return duration(p, key, v, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS, &s->timeout_ms);
	case K_OPTION_FILE:
		if (!strcmp(v, "none")) {
			s->option_file[0] = '\0';
		} else if (v[0] != '/') {
			return fail(p, "option_file \"%s\": expected an absolute path, or none", Q(v));
		} else if (strlen(v) >= sizeof(s->option_file)) {
			return fail(p, "option_file: path longer than %zu characters",
				    sizeof(s->option_file) - 1);
		} else {
			strcpy(s->option_file, v);
		}
		s->option_file_line = p->line;
		return 0;
	case K_OPTION_GROUP: {
		size_t i, n = strlen(v);

		if (n >= sizeof(s->option_group))
			return fail(p, "option_group: longer than %zu characters",
				    sizeof(s->option_group) - 1);
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)v[i]) && !strchr("_-.", v[i]))
				return fail(p, "option_group \"%s\": expected letters, digits, '_', '-' and '.'",
					    Q(v));
		strcpy(s->option_group, v);
		return 0;
	}
	case K_LAG_SOURCE:
		if (!strcmp(v, "auto"))
			s->lag_source = LAG_SOURCE_AUTO;
		else if (!strcmp(v, "heartbeat"))
			s->lag_source = LAG_SOURCE_HEARTBEAT;
		else if (!strcmp(v, "replica_status"))
			s->lag_source = LAG_SOURCE_REPLICA_STATUS;
		else
			return fail(p, "lag_source \"%s\": expected auto, heartbeat or replica_status",
				    Q(v));
		return 0;
	case K_HEARTBEAT_TABLE:
		dot = strchr(v, '.');
		if (!dot || !ident_ok(v, (size_t)(dot - v)) || !ident_ok(dot + 1, strlen(dot + 1)))
			return fail(p, "heartbeat_table \"%s\": expected DATABASE.TABLE (letters, digits, '_' and '$', at most 64 each)",
				    Q(v));
		memcpy(s->heartbeat_db, v, (size_t)(dot - v));
		s->heartbeat_db[dot - v] = '\0';
		strcpy(s->heartbeat_tbl, dot + 1);
		s->heartbeat_configured = true;
		return 0;
	case K_HEARTBEAT_SERVER_ID:
		if (parse_u32(v, &s->heartbeat_server_id) < 0)
			return fail(p, "heartbeat_server_id \"%s\": expected a number 0..4294967295 (0: the newest row)",
				    Q(v));
		return 0;
	case K_IO_THREAD_STOPPED:
		if (!strcmp(v, "down"))
			s->io_stopped_down = true;
		else if (!strcmp(v, "ignore"))
			s->io_stopped_down = false;
		else
			return fail(p, "io_thread_stopped \"%s\": expected down or ignore", Q(v));
		return 0;
	case K_NOT_REPLICA:
		if (!strcmp(v, "down"))
			s->not_replica_primary = false;
		else if (!strcmp(v, "primary"))
			s->not_replica_primary = true;
		else
			return fail(p, "not_replica \"%s\": expected down or primary", Q(v));
		return 0;
	default:
		return fail(p, "internal error: key %d", (int)k);
	}
}

/* The setting k of src into dst. */
static void copy_setting(enum key_id k, struct settings *dst, const struct settings *src)
{
	switch (k) {
	case K_TIMEOUT:
		dst->timeout_ms = src->timeout_ms;
		break;
	case K_OPTION_FILE:
		memcpy(dst->option_file, src->option_file, sizeof(dst->option_file));
		dst->option_file_line = src->option_file_line;
		break;
	case K_OPTION_GROUP:
		memcpy(dst->option_group, src->option_group, sizeof(dst->option_group));
		break;
	case K_LAG_SOURCE:
		dst->lag_source = src->lag_source;
		break;
	case K_HEARTBEAT_TABLE:
		memcpy(dst->heartbeat_db, src->heartbeat_db, sizeof(dst->heartbeat_db));
		memcpy(dst->heartbeat_tbl, src->heartbeat_tbl, sizeof(dst->heartbeat_tbl));
		dst->heartbeat_configured = src->heartbeat_configured;
		break;
	case K_HEARTBEAT_SERVER_ID:
		dst->heartbeat_server_id = src->heartbeat_server_id;
		break;
	case K_IO_THREAD_STOPPED:
		dst->io_stopped_down = src->io_stopped_down;
		break;
	case K_NOT_REPLICA:
		dst->not_replica_primary = src->not_replica_primary;
		break;
	default:
		break;
	}
}

static int parse_adopt(struct parser *p, const char *v)
{
	struct config *cfg = p->cfg;
	struct adopt_conf a = { .line = p->line };
	char proto[8], rest[CONFIG_LINE_MAX], why[256], f1[EP_STRLEN + 16];
	const char *sp = v;
	size_t n, i;

	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	n = (size_t)(sp - v);
	while (isspace((unsigned char)*sp))
		sp++;
	if (n == 0 || n >= sizeof(proto) || !*sp)
		return fail(p, "adopt \"%s\": expected tcp|udp|sctp ADDR:PORT or fwm MARK", Q(v));
	memcpy(proto, v, n);
	proto[n] = '\0';
	snprintf(rest, sizeof(rest), "%s", sp);
	if (!strcasecmp(proto, "fwm")) {
		if (parse_u32(rest, &a.fwmark) < 0 || a.fwmark == 0)
			return fail(p, "adopt fwm \"%s\": expected a firewall mark 1..4294967295",
				    Q(rest));
	} else {
		if (!strcasecmp(proto, "tcp"))
			a.protocol = IPPROTO_TCP;
		else if (!strcasecmp(proto, "udp"))
			a.protocol = IPPROTO_UDP;
		else if (!strcasecmp(proto, "sctp"))
			a.protocol = IPPROTO_SCTP;
		else
			return fail(p, "adopt \"%s\": protocol \"%s\": expected tcp, udp, sctp or fwm",
				    Q(v), Q(proto));
		if (ep_parse(rest, &a.vip, why, sizeof(why)) < 0)
			return fail(p, "adopt: %s", why);
	}
	for (i = 0; i < cfg->nadopts; i++) {
		const struct adopt_conf *o = &cfg->adopts[i];

		if (o->protocol == a.protocol && o->fwmark == a.fwmark &&
		    (a.fwmark || ep_equal(&o->vip, &a.vip)))
			return fail(p, "adopt %s given twice (first at line %u)",
				    adopt_format(&a, f1, sizeof(f1)), o->line);
	}
	if (cfg->nadopts == p->acap) {
		size_t cap = p->acap ? p->acap * 2 : 4;
		struct adopt_conf *na = realloc(cfg->adopts, cap * sizeof(*na));

		if (!na)
			return fail(p, "out of memory");
		cfg->adopts = na;
		p->acap = cap;
	}
	cfg->adopts[cfg->nadopts++] = a;
	return 0;
}

/* A setting of a [service] section, "max_lag = 500ms" (or max-lag). */
static int service_setting(struct parser *p, const char *key, const char *val)
{
	struct service_conf *sc = &p->cfg->services[p->cfg->nservices - 1];
	char name[32], why[256], f[SVC_STRLEN];
	int a = 0;

	if (strlen(key) < sizeof(name)) {
		char *c;

		snprintf(name, sizeof(name), "%s", key);
		for (c = name; *c; c++)
			if (*c == '_')
				*c = '-';
		a = svc_setting_attr(name);
	}
	if (!a)
		return fail(p, "unknown key \"%s\" in [service %s]: expected max_lag, readmit_lag, penalty, slow_start, stale_policy or all_lagging",
			    Q(key), svc_key_format(&sc->key, f, sizeof(f)));
	if (p->sseen[a])
		return fail(p, "duplicate key \"%s\" (first at line %u)", key, p->sseen[a]);
	if (!*val)
		return fail(p, "no value for \"%s\"", key);
	p->sseen[a] = p->line;
	if (svc_setting_parse(a, val, &sc->s, why, sizeof(why)) < 0)
		return fail(p, "%s", why);
	if ((sc->s.set & 1u << LAGWLC_S_MAX_LAG_MS) && (sc->s.set & 1u << LAGWLC_S_READMIT_LAG_MS) &&
	    sc->s.v[LAGWLC_S_READMIT_LAG_MS] > sc->s.v[LAGWLC_S_MAX_LAG_MS])
		return fail(p, "readmit_lag %u ms is above max_lag %u ms in [service %s]",
			    sc->s.v[LAGWLC_S_READMIT_LAG_MS], sc->s.v[LAGWLC_S_MAX_LAG_MS],
			    svc_key_format(&sc->key, f, sizeof(f)));
	return 0;
}

/* The [service] section just ended sets something? */
static int service_end(struct parser *p)
{
	struct service_conf *sc;
	char f[SVC_STRLEN];

	if (p->cur != CUR_SERVICE)
		return 0;
	sc = &p->cfg->services[p->cfg->nservices - 1];
	if (sc->s.set)
		return 0;
	p->line = sc->line;
	return fail(p, "[service %s] sets nothing: give max_lag, readmit_lag, penalty, slow_start, stale_policy or all_lagging",
		    svc_key_format(&sc->key, f, sizeof(f)));
}

/* "[service tcp VIP:PORT]", "[service fwmark N [inet6]]": name after "service". */
static int service_section(struct parser *p, char *name)
{
	struct config *cfg = p->cfg;
	char *tok[4], *save = NULL, *t, why[256], f[SVC_STRLEN];
	struct service_conf sc = { .line = p->line };
	int n = 0, used;
	size_t i;

	for (t = strtok_r(name, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	used = svc_key_parse(tok, n, &sc.key, why, sizeof(why));
	if (used < 0)
		return fail(p, "[service] header: %s", why);
	if (used < n || t)
		return fail(p, "[service] header: unexpected \"%s\" (expected [service tcp|udp|sctp VIP:PORT] or [service fwmark N [inet6]])",
			    Q(used < n ? tok[used] : t));
	for (i = 0; i < cfg->nservices; i++) {
		if (svc_key_equal(&cfg->services[i].key, &sc.key))
			return fail(p, "duplicate section [service %s] (first at line %u)",
				    svc_key_format(&sc.key, f, sizeof(f)), cfg->services[i].line);
	}
	if (cfg->nservices == LAGWLC_SVC_MAX)
		return fail(p, "more than %d [service] sections (the module keeps at most as many)",
			    LAGWLC_SVC_MAX);
	if (cfg->nservices == p->scap) {
		size_t cap = p->scap ? p->scap * 2 : 4;
		struct service_conf *ns = realloc(cfg->services, cap * sizeof(*ns));

		if (!ns)
			return fail(p, "out of memory");
		cfg->services = ns;
		p->scap = cap;
	}
	cfg->services[cfg->nservices++] = sc;
	memset(p->sseen, 0, sizeof(p->sseen));
	p->cur = CUR_SERVICE;
	return 0;
}

static int section(struct parser *p, char *s)
{
	struct config *cfg = p->cfg;
	/* the last ']': an IPv6 address has its own brackets */
	char *close = strrchr(s, ']'), *name, *end, why[256];
	size_t i;

	if (!close)
		return fail(p, "section header without closing ']'");
	if (close[1])
		return fail(p, "unexpected \"%s\" after the section header", Q(close + 1));
	*close = '\0';
	name = s + 1;
	while (isspace((unsigned char)*name))
		name++;
	end = name + strlen(name);
	while (end > name && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (service_end(p) < 0)
		return -1;
	if (!strncmp(name, "service", 7) && (!name[7] || isspace((unsigned char)name[7])))
		return service_section(p, name + 7);
	if (!strcmp(name, "lagwlcd")) {
		if (p->global_line)
			return fail(p, "duplicate section [lagwlcd] (first at line %u)", p->global_line);
		p->global_line = p->line;
		p->cur = -1;
		return 0;
	}
	if (strncmp(name, "replica", 7) || (name[7] && !isspace((unsigned char)name[7])))
		return fail(p, "unknown section [%s]: expected [lagwlcd], [replica ADDR:PORT] or [service PROTO VIP:PORT]",
			    Q(name));
	name += 7;
	while (isspace((unsigned char)*name))
		name++;
	if (!*name)
		return fail(p, "[replica] needs the real server's address: [replica ADDR:PORT]");
	if (cfg->nreplicas == p->rcap) {
		size_t cap = p->rcap ? p->rcap * 2 : 8;
		struct replica_conf *nr = realloc(cfg->replicas, cap * sizeof(*nr));
		struct rsec *ns;

		if (!nr)
			return fail(p, "out of memory");
		cfg->replicas = nr;
		ns = realloc(p->rsecs, cap * sizeof(*ns));
		if (!ns)
			return fail(p, "out of memory");
		p->rsecs = ns;
		p->rcap = cap;
	}
	memset(&cfg->replicas[cfg->nreplicas], 0, sizeof(cfg->replicas[0]));
	memset(&p->rsecs[cfg->nreplicas], 0, sizeof(p->rsecs[0]));
	if (ep_parse_key(name, &cfg->replicas[cfg->nreplicas].ep, why, sizeof(why)) < 0)
		return fail(p, "[replica] header: %s", why);
	for (i = 0; i < cfg->nreplicas; i++) {
		if (ep_equal(&cfg->replicas[i].ep, &cfg->replicas[cfg->nreplicas].ep)) {
			char e[EP_STRLEN];

			return fail(p, "duplicate section [replica %s] (first at line %u)",
				    ep_format(&cfg->replicas[i].ep, e, sizeof(e)),
				    cfg->replicas[i].line);
		}
	}
	cfg->replicas[cfg->nreplicas].line = p->line;
	cfg->replicas[cfg->nreplicas].probe = cfg->replicas[cfg->nreplicas].ep;
	p->cur = (long)cfg->nreplicas++;
	return 0;
}

static int assignment(struct parser *p, char *s)
{
	struct config *cfg = p->cfg;
	char *eq = strchr(s, '='), *key = s, *val, *end, why[256], e[EP_STRLEN];
	unsigned int *seen;
	int k;

	if (!eq)
		return fail(p, "missing '=' in \"%s\" (expected KEY = VALUE)", Q(s));
	*eq = '\0';
	end = eq;
	while (end > key && isspace((unsigned char)end[-1]))
		*--end = '\0';
	val = eq + 1;
	while (isspace((unsigned char)*val))
		val++;
	if (!*key)
		return fail(p, "missing key before '='");
	if (p->cur == CUR_SERVICE)
		return service_setting(p, key, val);
	for (k = 0; k < NKEYS; k++)
		if (!strcmp(key, keys[k].name))
			break;
	if (p->cur == -2)
		return fail(p, "\"%s\" outside any section: put it under [lagwlcd] or [replica ADDR:PORT]",
			    Q(key));
	if (k == NKEYS) {
		if (p->cur == -1)
			return fail(p, "unknown key \"%s\" in [lagwlcd]", Q(key));
		return fail(p, "unknown key \"%s\" in [replica %s]", Q(key),
			    ep_format(&cfg->replicas[p->cur].ep, e, sizeof(e)));
	}
	if (p->cur == -1 && !(keys[k].where & IN_GLOBAL))
		return fail(p, "\"%s\" belongs in a [replica ADDR:PORT] section, not in [lagwlcd]",
			    key);
	if (p->cur >= 0 && !(keys[k].where & IN_REPLICA))
		return fail(p, "\"%s\" belongs in [lagwlcd], not in a [replica] section", key);
	seen = p->cur == -1 ? &p->global_seen[k] : &p->rsecs[p->cur].seen[k];
	if (*seen && !keys[k].repeatable)
		return fail(p, "duplicate key \"%s\" (first at line %u)", key, *seen);
	if (!*val)
		return fail(p, "no value for \"%s\"", key);
	*seen = p->line;

	switch (k) {
	case K_POLL_INTERVAL:
		return duration(p, key, val, POLL_MIN_MS, POLL_MAX_MS, &cfg->poll_ms);
	case K_DISCOVER:
		if (parse_bool(val, &cfg->discover) < 0)
			return fail(p, "discover \"%s\": expected yes or no", Q(val));
		return 0;
	case K_ADOPT:
		return parse_adopt(p, val);
	case K_CONN_REUSE_MODE:
		if (!strcmp(val, "auto"))
			cfg->conn_reuse_keep = false;
		else if (!strcmp(val, "keep"))
			cfg->conn_reuse_keep = true;
		else
			return fail(p, "conn_reuse_mode \"%s\": expected auto (set bit 2 of net.ipv4.vs.conn_reuse_mode when a lagwlc service forwards by DR or TUN) or keep (never change it)",
				    Q(val));
		return 0;
	case K_METRICS_LISTEN:
		if (ep_parse(val, &cfg->metrics_ep, why, sizeof(why)) < 0)
			return fail(p, "metrics_listen: %s", why);
		cfg->metrics_on = true;
		return 0;
	case K_PROBE:
		if (ep_parse(val, &cfg->replicas[p->cur].probe, why, sizeof(why)) < 0)
			return fail(p, "probe: %s", why);
		return 0;
	default:
		return set_setting(p, (enum key_id)k,
				   val, p->cur == -1 ? &cfg->global : &p->rsecs[p->cur].s);
	}
}

/* One line, NUL-terminated, without its newline. */
static int parse_line(struct parser *p, char *s)
{
	char *c, *end;

	/* comments: '#' or ';' at the start or after a blank */
	for (c = s; *c; c++) {
		if ((*c == '#' || *c == ';') && (c == s || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			break;
		}
	}
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!*s)
		return 0;
	if (*s == '[')
		return section(p, s);
	return assignment(p, s);
}

/*
 * A replica whose IO thread is not running reports Seconds_Behind_Master
 * NULL (MariaDB at once; MySQL once the relay log is applied): with the
 * replica status as the lag source, "ignore" would still leave it down,
 * lag unknown. Only the heartbeat measures it then.
 */
#define IO_IGNORE_NEEDS "io_thread_stopped = ignore needs the heartbeat lag source (heartbeat_table, lag_source = heartbeat): with its IO thread stopped a replica reports Seconds_Behind_Master NULL, so by replica_status it would be down all the same"

static void defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->poll_ms = 250;
	cfg->discover = true;
	cfg->global.timeout_ms = 1000;
	strcpy(cfg->global.option_file, CONFIG_DEFAULT_OPTION_FILE);
	strcpy(cfg->global.option_group, "client");
	cfg->global.lag_source = LAG_SOURCE_AUTO;
	strcpy(cfg->global.heartbeat_db, "heartbeat");
	strcpy(cfg->global.heartbeat_tbl, "heartbeat");
	cfg->global.io_stopped_down = true;
}

int config_parse(const char *file, const char *buf, size_t len, struct config *cfg,
		 char *err, size_t errlen)
{
	struct parser p = { .file = file, .err = err, .errlen = errlen, .cfg = cfg, .cur = -2 };
	char *line = malloc(CONFIG_LINE_MAX + 1);
	size_t pos = 0, i;
	int r = 0, k;

	defaults(cfg);
	snprintf(cfg->file, sizeof(cfg->file), "%s", file);
	if (errlen)
		err[0] = '\0';
	if (!line) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	while (pos < len && !r) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		p.line++;
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;	/* CRLF */
		if (n > CONFIG_LINE_MAX - 1) {
			r = fail(&p, "line longer than %d characters", CONFIG_LINE_MAX - 1);
			break;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		if (memchr(line, '\0', n)) {
			r = fail(&p, "NUL byte in the line");
			break;
		}
		pos += (nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos);
		r = parse_line(&p, line);
	}
	free(line);
	if (!r)
		r = service_end(&p);
	if (!r && !cfg->discover && cfg->nreplicas == 0) {
		p.line = p.global_seen[K_DISCOVER];
		r = fail(&p, "nothing to probe: discover = no and no [replica ADDR:PORT] section");
	}
	if (!r) {
		/* each replica: its own settings over the global ones */
		for (i = 0; i < cfg->nreplicas && !r; i++) {
			struct settings s = cfg->global;

			if (!cfg->replicas[i].probe.port) {
				char e[EP_STRLEN];

				p.line = cfg->replicas[i].line;
				r = fail(&p, "[replica %s]: port 0 (a real server of a fwmark service) needs probe = ADDR:PORT, the port to probe",
					 ep_format(&cfg->replicas[i].ep, e, sizeof(e)));
				break;
			}

			for (k = 0; k < NKEYS; k++)
				if (p.rsecs[i].seen[k])
					copy_setting((enum key_id)k, &s, &p.rsecs[i].s);
			/* auto picks the heartbeat if a table is given globally or here */
			s.heartbeat_configured = cfg->global.heartbeat_configured ||
						 p.rsecs[i].seen[K_HEARTBEAT_TABLE];
			cfg->replicas[i].s = s;
			if (!s.io_stopped_down &&
			    lag_source_effective(&s) == LAG_SOURCE_REPLICA_STATUS) {
				char e[EP_STRLEN];

				p.line = p.rsecs[i].seen[K_IO_THREAD_STOPPED];
				if (!p.line)
					p.line = p.rsecs[i].seen[K_LAG_SOURCE];
				if (!p.line)
					p.line = cfg->replicas[i].line;
				r = fail(&p, "[replica %s]: " IO_IGNORE_NEEDS,
					 ep_format(&cfg->replicas[i].ep, e, sizeof(e)));
			}
		}
	}
	/* the global settings are the discovered replicas' */
	if (!r && cfg->discover && !cfg->global.io_stopped_down &&
	    lag_source_effective(&cfg->global) == LAG_SOURCE_REPLICA_STATUS) {
		p.line = p.global_seen[K_IO_THREAD_STOPPED];
		r = fail(&p, IO_IGNORE_NEEDS);
	}
	free(p.rsecs);
	if (r) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

int config_load(const char *file, struct config *cfg, char *err, size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, r;

	defaults(cfg);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= CONFIG_FILE_MAX) {
				snprintf(err, errlen, "%s: larger than %u bytes", file, CONFIG_FILE_MAX);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", file);
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = config_parse(file, buf, len, cfg, err, errlen);
	free(buf);
	return r;
fail:
	close(fd);
	free(buf);
	return -1;
}

static int check_file(const struct config *cfg, const struct settings *s, char *err,
		      size_t errlen)
{
	char where[2 * CONFIG_PATH_MAX + 64], e[CONFIG_ERR_MAX];
	size_t plen = strlen(s->option_file), len;
	char *text;

	if (!s->option_file[0])
		return 0;
	if (optfile_read(s->option_file, s->option_group, &text, &len, e, sizeof(e)) == 0) {
		free(text);
		return 0;
	}
	if (strncmp(e, s->option_file, plen) || strncmp(e + plen, ": ", 2)) {
		/* the file's content: "FILE:LINE: PROBLEM" as it is */
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	/* the file itself: where the configuration names it */
	if (s->option_file_line)
		snprintf(where, sizeof(where), "%s:%u: option_file %s", cfg->file,
			 s->option_file_line, s->option_file);
	else
		snprintf(where, sizeof(where), "%s: option_file %s (the default)", cfg->file,
			 s->option_file);
	snprintf(err, errlen, "%s: %s", where, e + plen + 2);
	return -1;
}

int config_check_files(const struct config *cfg, char *err, size_t errlen)
{
	size_t i;

	if ((cfg->discover || cfg->global.option_file_line) &&
	    check_file(cfg, &cfg->global, err, errlen) < 0)
		return -1;
	for (i = 0; i < cfg->nreplicas; i++) {
		const struct settings *s = &cfg->replicas[i].s;

		if (!strcmp(s->option_file, cfg->global.option_file) &&
		    (cfg->discover || cfg->global.option_file_line))
			continue;	/* checked above */
		if (check_file(cfg, s, err, errlen) < 0)
			return -1;
	}
	return 0;
}

void config_free(struct config *cfg)
{
	free(cfg->replicas);
	free(cfg->adopts);
	free(cfg->services);
	cfg->replicas = NULL;
	cfg->adopts = NULL;
	cfg->services = NULL;
	cfg->nreplicas = 0;
	cfg->nadopts = 0;
	cfg->nservices = 0;
}
