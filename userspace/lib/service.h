/* SPDX-License-Identifier: GPL-2.0 */
/* Services' settings in netlink: the LAGWLC_A_SERVICE nest (svckey.h). */
#ifndef LAGWLC_SERVICE_H
#define LAGWLC_SERVICE_H

#include <netlink/msg.h>

#include "svckey.h"

/* The LAGWLC_A_SERVICE nest: the key, and s's settings unless s is NULL. */
int svc_put(struct nl_msg *msg, const struct svc_key *k, const struct svc_set *s);

/* The LAGWLC_A_SERVICE nest of a reply or event; 0, or -1 if malformed. */
int svc_parse(struct nl_msg *msg, struct svc_info *info);

/* The services of SVC_GET's replies, in the order they came (free v). */
struct svc_list {
	struct svc_info *v;
	size_t n, cap;
};

/* libnl's reply callback: appends the reply's service to @arg, a svc_list. */
int svc_list_add(struct nl_msg *msg, void *arg);

#endif
