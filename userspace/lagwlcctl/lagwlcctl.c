// SPDX-License-Identifier: GPL-2.0
/*
 * lagwlcctl: report replicas' replication lag and health to the lagwlc IPVS
 * scheduler (ip_vs_lagwlc.ko) and show what it makes of them.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "subcommands.h"

#ifndef LAGWLC_VERSION
#define LAGWLC_VERSION "unknown"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, const struct ctl *ctl);
	const char *args;
	const char *what;
} subcommands[] = {
	{ "set", cmd_set, "ADDR:PORT { lag MS [up | down] | down } [ADDR:PORT ...]",
	  "report replicas' lag (ms, or with unit ms or s) and health" },
	{ "del", cmd_del, "ADDR:PORT", "forget a replica" },
	{ "flush", cmd_flush, "", "forget every replica" },
	{ "show", cmd_show, "[ADDR:PORT]",
	  "lagwlc services with their replicas' lag, or one replica" },
	{ "service", cmd_service,
	  "{ set SERVICE SETTING VALUE ... | del SERVICE | show [SERVICE] }",
	  "per-service settings (max-lag, readmit-lag, penalty, slow-start, stale-policy, all-lagging) overriding the module parameters; SERVICE: tcp|udp|sctp ADDR:PORT or fwmark N [inet6]" },
	{ "monitor", cmd_monitor, "", "print replicas' state changes as they happen" },
	{ "check", cmd_check, "[--max-age MS] [--conn-reuse]",
	  "exit 0 if the module answers (and lagwlcd reported a replica up within MS; and no lagwlc DR service lacks bit 2 of conn_reuse_mode), for keepalived" },
	{ "why", cmd_why, "[-m ADDR:PORT] [ADDR:PORT ...]",
	  "lagwlcd's own view of each replica and why it reports one down, from its metrics endpoint (127.0.0.1:9731)" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: lagwlcctl [-j] COMMAND [ARGS]\n\n");
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  lagwlcctl %s%s%s\n      %s\n", subcommands[i].name,
			*subcommands[i].args ? " " : "", subcommands[i].args,
			subcommands[i].what);
	fprintf(f, "\nOptions:\n"
		"  -j, --json     JSON output (show, monitor)\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version\n"
		"\nADDR:PORT is an IPv4 address and port, or [IPv6]:PORT.\n");
}

int usage_error(const char *name, const char *fmt, ...)
{
	size_t i;

	if (fmt) {
		va_list ap;

		fputs("lagwlcctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	for (i = 0; i < N_SUBCOMMANDS; i++) {
		if (name && !strcmp(name, subcommands[i].name)) {
			fprintf(stderr, "Usage: lagwlcctl [-j] %s%s%s\n", name,
				*subcommands[i].args ? " " : "", subcommands[i].args);
			return EXIT_USAGE;
		}
	}
	fprintf(stderr, "Usage: lagwlcctl [-j] { set | del | flush | show | service | monitor | check } ... (lagwlcctl -h for more)\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .json = false };
	size_t i;
	int c;

	opterr = 0;
	/* "+": options end at the subcommand, as with ip(8). */
	while ((c = getopt_long(argc, argv, "+jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("lagwlcctl %s\n", LAGWLC_VERSION);
			return EXIT_OK;
		default:
			if (optopt)
				return usage_error(NULL, "unknown option -%c", optopt);
			return usage_error(NULL, "unknown option %s", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage_error(NULL, "no command given");
	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < N_SUBCOMMANDS; i++)
		if (!strcmp(argv[0], subcommands[i].name))
			return subcommands[i].fn(argc, argv, &ctl);
	return usage_error(NULL, "unknown command \"%s\"", argv[0]);
}
