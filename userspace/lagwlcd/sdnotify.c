// SPDX-License-Identifier: GPL-2.0
/*
 * sd_notify(3) by hand: lagwlcd needs five messages of it (READY, STATUS,
 * RELOADING, STOPPING, WATCHDOG), not a library. The protocol is a
 * datagram per notification on an AF_UNIX SOCK_DGRAM socket whose path
 * systemd puts in $NOTIFY_SOCKET; a leading '@' means the abstract
 * namespace (the '@' becomes a NUL byte). systemd attributes a datagram to
 * a process by its SCM_CREDENTIALS, which the kernel fills in by itself on
 * an AF_UNIX socket whose receiver asked for them (SO_PASSCRED): nothing
 * to attach here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"

/* The longest notification lagwlcd sends (a STATUS line is the longest). */
#define SDN_MAX 1024

static int sdn_fd = -1;
static struct sockaddr_un sdn_addr;
static socklen_t sdn_addrlen;
static uint64_t wd_ms;		/* keep-alive interval, 0: none */
static uint64_t wd_next;
static bool send_failed;

/* An unsigned decimal environment variable: true with *v set. */
static bool env_u64(const char *name, uint64_t *v)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long x;

	if (!s || !*s)
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || *s == '-') {
		log_warn("$%s=\"%s\" is not a number: ignored", name, s);
		return false;
	}
	*v = x;
	return true;
}

static void watchdog_init(void)
{
	uint64_t usec, pid;

	wd_ms = 0;
	if (!env_u64("WATCHDOG_USEC", &usec) || !usec)
		return;
	/* for another process (a wrapper's child, our parent): not ours */
	if (env_u64("WATCHDOG_PID", &pid) && pid != (uint64_t)getpid())
		return;
	/* half the timeout, as sd_watchdog_enabled(3) advises; at least 1 ms */
	wd_ms = usec / 2000 ? usec / 2000 : 1;
	wd_next = 0;
}

void sdn_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	sdn_close();
	if (!path || !*path)
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len > sizeof(sdn_addr.sun_path)) {
		log_warn("$NOTIFY_SOCKET=\"%s\" is neither an absolute path nor an abstract name (@...): not notifying systemd",
			 path);
		return;
	}
	memset(&sdn_addr, 0, sizeof(sdn_addr));
	sdn_addr.sun_family = AF_UNIX;
	memcpy(sdn_addr.sun_path, path, len);
	if (path[0] == '@')
		sdn_addr.sun_path[0] = '\0';
	/* abstract names are counted bytes, paths NUL-terminated */
	sdn_addrlen = offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/');
	if (sdn_addrlen > sizeof(sdn_addr))
		sdn_addrlen = sizeof(sdn_addr);
	sdn_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sdn_fd < 0) {
		log_err("cannot open the systemd notification socket: %s", strerror(errno));
		return;
	}
	watchdog_init();
}

bool sdn_enabled(void)
{
	return sdn_fd >= 0;
}

int sdn_send(const char *fmt, ...)
{
	char buf[SDN_MAX];
	va_list ap;
	ssize_t r;
	int len;

	if (sdn_fd < 0)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return -1;
	if ((size_t)len >= sizeof(buf))
		len = sizeof(buf) - 1;	/* a STATUS cut short beats none */
	/* never wait for systemd: a full queue loses this one notification */
	do
		r = sendto(sdn_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT,
			   (struct sockaddr *)&sdn_addr, sdn_addrlen);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (!send_failed)
			log_warn("cannot notify systemd: %s", strerror(errno));
		send_failed = true;
		return -1;
	}
	if (send_failed)
		log_info("notifying systemd again");
	send_failed = false;
	return 0;
}

void sdn_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdn_send("RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

uint64_t sdn_watchdog_ms(void)
{
	return sdn_fd >= 0 ? wd_ms : 0;
}

uint64_t sdn_watchdog_kick(uint64_t now_ms)
{
	if (sdn_fd < 0 || !wd_ms)
		return UINT64_MAX;
	if (now_ms >= wd_next) {
		/* late by half an interval: systemd's limit is one more away */
		if (wd_next && now_ms - wd_next > wd_ms / 2)
			log_warn("watchdog keep-alive %llu ms late (interval %llu ms): the main loop was held up",
				 (unsigned long long)(now_ms - wd_next), (unsigned long long)wd_ms);
		sdn_send("WATCHDOG=1");
		wd_next = now_ms + wd_ms;
	}
	return wd_next;
}

void sdn_close(void)
{
	if (sdn_fd >= 0)
		close(sdn_fd);
	sdn_fd = -1;
	wd_ms = 0;
}
