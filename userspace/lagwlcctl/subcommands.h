/* SPDX-License-Identifier: GPL-2.0 */
/* lagwlcctl's subcommands, dispatched from lagwlcctl.c's table. */
#ifndef LAGWLCCTL_SUBCOMMANDS_H
#define LAGWLCCTL_SUBCOMMANDS_H

#include <stdbool.h>

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

struct ctl {
	bool json;	/* -j: JSON on stdout */
};

/* argv[0] is the subcommand's name; each returns the exit status. */
int cmd_set(int argc, char **argv, const struct ctl *ctl);
int cmd_del(int argc, char **argv, const struct ctl *ctl);
int cmd_flush(int argc, char **argv, const struct ctl *ctl);
int cmd_show(int argc, char **argv, const struct ctl *ctl);
int cmd_monitor(int argc, char **argv, const struct ctl *ctl);
int cmd_check(int argc, char **argv, const struct ctl *ctl);
int cmd_why(int argc, char **argv, const struct ctl *ctl);
int cmd_service(int argc, char **argv, const struct ctl *ctl);

struct json;
struct svc_info;

/*
 * A service's settings (cmd_service.c), as monitor prints a SVC_CHANGE:
 * one line "service KEY SETTING VALUE ..." (its own settings only), or the
 * JSON object of service show -j.
 */
void service_line(const struct svc_info *in);
void service_json(struct json *j, const struct svc_info *in);

/*
 * Print "lagwlcctl: REASON" (if reason is not NULL) and the usage line of
 * subcommand name to stderr; returns EXIT_USAGE.
 */
int usage_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
