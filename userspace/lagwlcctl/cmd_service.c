// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl service set SERVICE SETTING VALUE [SETTING VALUE ...]
 * lagwlcctl service del SERVICE
 * lagwlcctl service show [SERVICE]
 *
 * SERVICE is "tcp|udp|sctp ADDR:PORT" or "fwmark N [inet6]". A set replaces
 * the service's settings with those given (LAGWLC_CMD_SVC_SET); the others
 * follow the module parameters. show lists each service that has settings
 * or is on lagwlc, with each value in force and where it comes from.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include <linux/lagwlc.h>

#include "json.h"
#include "nl.h"
#include "service.h"
#include "subcommands.h"

#define USAGE_NAME "service"

/* One request: SET (settings s), DEL (s NULL), GET (list: replies). */
static int request(const char *op, uint8_t cmd, int flags, const struct svc_key *k,
		   const struct svc_set *s, struct svc_list *list)
{
	struct lnl c = { 0 };
	struct lnl_err err;
	int r = 0, tries, status = EXIT_FAIL;

	if (lnl_open(&c))
		return EXIT_FAIL;
	for (tries = 0; tries < LNL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = lnl_msg(c.family, cmd, LAGWLC_GENL_VERSION, flags, 0);

		if (!msg) {
			r = -NLE_NOMEM;
			break;
		}
		r = k ? svc_put(msg, k, s) : 0;
		if (list)
			list->n = 0;
		if (!r)
			r = lnl_transact(&c, msg, list ? svc_list_add : NULL, list, &err);
		nlmsg_free(msg);
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r)
		lnl_report(op, r, &err, cmd != LAGWLC_CMD_SVC_GET);
	else
		status = EXIT_OK;
	lnl_close(&c);
	return status;
}

static void print_svc(const struct svc_info *in)
{
	char key[SVC_STRLEN], val[32];

	printf("%s%s\n", svc_key_format(&in->key, key, sizeof(key)),
	       in->bound ? "" : " (no lagwlc service now)");
	for (int a = SVC_FIRST; a <= SVC_LAST; a++) {
		bool own = in->s.set & 1u << a;

		printf("  %-13s %-10s %s\n", svc_setting_name(a),
		       svc_value_format(a, own ? in->s.v[a] : in->s.v[SVC_EFF(a)], val,
					sizeof(val)),
		       own ? "service" : "global");
	}
}

void service_line(const struct svc_info *in)
{
	char key[SVC_STRLEN], val[32];
	int own = 0;

	printf("service %s", svc_key_format(&in->key, key, sizeof(key)));
	for (int a = SVC_FIRST; a <= SVC_LAST; a++) {
		if (!(in->s.set & 1u << a))
			continue;
		printf(" %s %s", svc_setting_name(a),
		       svc_value_format(a, in->s.v[a], val, sizeof(val)));
		own++;
	}
	if (!own)
		printf(" no settings of its own");
	printf("%s\n", in->bound ? "" : " (no lagwlc service now)");
}

void service_json(struct json *j, const struct svc_info *in)
{
	char key[SVC_STRLEN], val[32], name[32];

	json_obj_begin(j, NULL);
	json_str(j, "service", svc_key_format(&in->key, key, sizeof(key)));
	json_bool(j, "bound", in->bound);
	json_obj_begin(j, "settings");
	for (int a = SVC_FIRST; a <= SVC_LAST; a++) {
		bool own = in->s.set & 1u << a;
		uint32_t v = own ? in->s.v[a] : in->s.v[SVC_EFF(a)];
		char *c;

		snprintf(name, sizeof(name), "%s", svc_setting_name(a));
		for (c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		json_obj_begin(j, name);
		if (a == LAGWLC_S_STALE_POLICY || a == LAGWLC_S_ALL_LAGGING)
			json_str(j, "value", svc_value_format(a, v, val, sizeof(val)));
		else
			json_uint(j, "ms", v);
		json_str(j, "source", own ? "service" : "global");
		json_obj_end(j);
	}
	json_obj_end(j);
	json_obj_end(j);
}

static int svc_cmp(const void *a, const void *b)
{
	char x[SVC_STRLEN], y[SVC_STRLEN];

	return strcmp(svc_key_format(&((const struct svc_info *)a)->key, x, sizeof(x)),
		      svc_key_format(&((const struct svc_info *)b)->key, y, sizeof(y)));
}

static int show(int argc, char **argv, const struct ctl *ctl)
{
	struct svc_list list = { 0 };
	struct svc_key k;
	char err[256];
	int status, used = 0;

	if (argc > 0) {
		used = svc_key_parse(argv, argc, &k, err, sizeof(err));
		if (used < 0)
			return usage_error(USAGE_NAME, "%s", err);
		if (used != argc)
			return usage_error(USAGE_NAME, "unexpected \"%s\"", argv[used]);
	}
	status = request("service show", LAGWLC_CMD_SVC_GET, argc ? 0 : NLM_F_DUMP,
			 argc ? &k : NULL, NULL, &list);
	if (status == EXIT_OK) {
		qsort(list.v, list.n, sizeof(*list.v), svc_cmp);
		if (ctl->json) {
			struct json j;

			json_init(&j, stdout);
			json_obj_begin(&j, NULL);
			json_arr_begin(&j, "services");
			for (size_t i = 0; i < list.n; i++)
				service_json(&j, &list.v[i]);
			json_arr_end(&j);
			json_obj_end(&j);
			putchar('\n');
		} else {
			for (size_t i = 0; i < list.n; i++)
				print_svc(&list.v[i]);
		}
		status = fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	free(list.v);
	return status;
}

int cmd_service(int argc, char **argv, const struct ctl *ctl)
{
	struct svc_set s = { 0 };
	struct svc_key k;
	char err[256];
	int used, i;

	if (argc < 2)
		return usage_error(USAGE_NAME, "expected set, del or show");
	if (!strcmp(argv[1], "show"))
		return show(argc - 2, argv + 2, ctl);
	if (strcmp(argv[1], "set") && strcmp(argv[1], "del"))
		return usage_error(USAGE_NAME, "unknown \"%s\": expected set, del or show",
				   argv[1]);
	used = svc_key_parse(argv + 2, argc - 2, &k, err, sizeof(err));
	if (used < 0)
		return usage_error(USAGE_NAME, "%s", err);
	i = 2 + used;
	if (!strcmp(argv[1], "del")) {
		if (i < argc)
			return usage_error(USAGE_NAME, "unexpected \"%s\"", argv[i]);
		return request("service del", LAGWLC_CMD_SVC_DEL, 0, &k, NULL, NULL);
	}
	for (; i < argc; i += 2) {
		int a = svc_setting_attr(argv[i]);

		if (!a)
			return usage_error(USAGE_NAME, "unknown setting \"%s\": expected max-lag, readmit-lag, penalty, slow-start, stale-policy or all-lagging",
					   argv[i]);
		if (s.set & 1u << a)
			return usage_error(USAGE_NAME, "%s given twice", argv[i]);
		if (i + 1 >= argc)
			return usage_error(USAGE_NAME, "%s needs a value", argv[i]);
		if (svc_setting_parse(a, argv[i + 1], &s, err, sizeof(err)) < 0)
			return usage_error(USAGE_NAME, "%s", err);
	}
	if (!s.set)
		return usage_error(USAGE_NAME, "no setting given (service del makes the service follow the module parameters)");
	/* readmit-lag above max-lag is the kernel's to refuse: one rule, one place */
	return request("service set", LAGWLC_CMD_SVC_SET, 0, &k, &s, NULL);
}
