/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What lagwlcd tells systemd after each push: READY=1 once the first
 * complete push is done, and a STATUS= line with the replicas it probes
 * counted by the state the kernel holds for them ("64 replicas: 61 ok,
 * 2 lagging, 1 down"), sent when the counts change. Nothing at all, not
 * even the kernel read, when systemd is not listening (sdnotify.h).
 */
#ifndef LAGWLCD_SDSTATUS_H
#define LAGWLCD_SDSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "push.h"

/* The kernel's states are read again at most this often (ms). */
#define SDSTATUS_PERIOD_MS 1000

struct sdstatus {
	bool ready;		/* READY=1 sent */
	uint64_t next_ms;	/* the next read of the kernel's states */
	char line[256];		/* the STATUS= last sent */
	struct sdstatus_entry *v;	/* the last dump, sorted by key */
	size_t n, cap;
};

/*
 * After a push: items are the n replicas pushed out of count probed (the
 * others had no probe result yet), sent is pusher_send()'s result (0 or
 * -1; ignored in a dry run). The first push with every replica in it that
 * the kernel accepted (or with the module not loaded, which lagwlcd waits
 * for) sends READY=1 and the first STATUS=, if the kernel's table can be
 * read too (it cannot without CAP_NET_ADMIN).
 */
void sdstatus_push(struct sdstatus *s, struct pusher *ps, const struct push_item *items,
		   size_t n, size_t count, int sent, bool dry_run);

/* A reload begins (RELOADING=1) or ends (READY=1, STATUS= again). */
void sdstatus_reloading(struct sdstatus *s);
void sdstatus_reloaded(struct sdstatus *s, bool refused);

void sdstatus_free(struct sdstatus *s);

#endif
