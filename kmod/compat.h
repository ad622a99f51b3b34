/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shims for the kernels lagwlc builds against (Debian's 6.1, 6.12, 7.x).
 * Kbuild probes the headers for each feature and defines LAGWLC_HAVE_*;
 * no version numbers here, because stable backports move features between
 * versions (system_percpu_wq reached 6.12.y, GENL_MCAST_CAP_NET_ADMIN 6.1.y).
 */
#ifndef _LAGWLC_COMPAT_H
#define _LAGWLC_COMPAT_H

#include <linux/workqueue.h>
#include <net/genetlink.h>

/*
 * The per-cpu system workqueue. 7.x renamed system_wq to system_percpu_wq
 * and marks the old name deprecated (a warning on first use).
 */
#ifdef LAGWLC_HAVE_SYSTEM_PERCPU_WQ
#define lagwlc_wq system_percpu_wq
#else
#define lagwlc_wq system_wq
#endif

/*
 * Joining a multicast group with CAP_NET_ADMIN only. Kernels without the
 * flag cannot restrict a group; there the events group stays open to
 * every local user (the module says so once at load).
 */
#ifdef LAGWLC_HAVE_GENL_MCAST_CAP
#define LAGWLC_MCGRP_FLAGS GENL_MCAST_CAP_NET_ADMIN
#else
#define LAGWLC_MCGRP_FLAGS 0
#endif

#endif /* _LAGWLC_COMPAT_H */
