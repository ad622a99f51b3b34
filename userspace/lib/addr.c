// SPDX-License-Identifier: GPL-2.0
/* Replica endpoints: parse and format ADDR:PORT and [ADDR]:PORT. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

/* Decimal digits only, 0..65535 (min: the least allowed). */
static int port_parse(const char *s, unsigned long min, uint16_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (!*s)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
	}
	if (v < min)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int ep_parse_port(const char *s, uint16_t *port)
{
	return port_parse(s, 1, port);
}

/* ep_parse(), and with key, port 0 too: IPVS's real servers of fwmark services. */
static int parse(const char *s, struct endpoint *ep, bool key, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h, *colon, *portstr;
	size_t hlen;
	bool v6 = false;

	memset(ep, 0, sizeof(*ep));
	if (!*s) {
		snprintf(err, errlen, "empty address: use ADDR:PORT, or [ADDR]:PORT for IPv6");
		return -1;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close) {
			snprintf(err, errlen, "\"%s\": missing ']' (use [ADDR]:PORT)", s);
			return -1;
		}
		if (close[1] != ':') {
			snprintf(err, errlen,
				 "\"%s\": missing :PORT after ']' (use [ADDR]:PORT)", s);
			return -1;
		}
		h = s + 1;
		hlen = (size_t)(close - h);
		portstr = close + 2;
		v6 = true;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			snprintf(err, errlen,
				 "\"%s\": missing :PORT (use ADDR:PORT, or [ADDR]:PORT for IPv6)", s);
			return -1;
		}
		if (strchr(s, ':') != colon) {
			snprintf(err, errlen,
				 "\"%s\": IPv6 addresses go in brackets: [ADDR]:PORT", s);
			return -1;
		}
		h = s;
		hlen = (size_t)(colon - s);
		portstr = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "\"%s\": not an %s address", s, v6 ? "IPv6" : "IPv4");
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (v6) {
		if (inet_pton(AF_INET6, host, &ep->addr.v6) != 1) {
			snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv6 address", s, host);
			return -1;
		}
		ep->family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, host, &ep->addr.v4) != 1) {
			snprintf(err, errlen,
				 "\"%s\": \"%s\" is not an IPv4 address (names are not resolved)",
				 s, host);
			return -1;
		}
		ep->family = AF_INET;
	}
	if (port_parse(portstr, key ? 0 : 1, &ep->port) < 0) {
		snprintf(err, errlen, "\"%s\": port \"%s\" is not a number in %s..65535",
			 s, portstr, key ? "0" : "1");
		memset(ep, 0, sizeof(*ep));
		return -1;
	}
	return 0;
}

int ep_parse(const char *s, struct endpoint *ep, char *err, size_t errlen)
{
	return parse(s, ep, false, err, errlen);
}

int ep_parse_key(const char *s, struct endpoint *ep, char *err, size_t errlen)
{
	return parse(s, ep, true, err, errlen);
}

const char *ep_format_addr(const struct endpoint *ep, char *buf, size_t len)
{
	if ((ep->family != AF_INET && ep->family != AF_INET6) ||
	    !inet_ntop(ep->family, ep->addr.raw, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ep_format(const struct endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	ep_format_addr(ep, a, sizeof(a));
	if (ep->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	else
		snprintf(buf, len, "%s:%u", a, ep->port);
	return buf;
}

void ep_set(struct endpoint *ep, int family, const void *addr, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = family;
	memcpy(ep->addr.raw, addr, family == AF_INET6 ? 16 : 4);
	ep->port = port;
}

socklen_t ep_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = ep->addr.v4;
		sin->sin_port = htons(ep->port);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = ep->addr.v6;
		sin6->sin6_port = htons(ep->port);
		return sizeof(*sin6);
	}
}

int ep_cmp(const struct endpoint *a, const struct endpoint *b)
{
	int r;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : b->family == AF_INET ? 1 :
		       (a->family < b->family ? -1 : 1);
	r = memcmp(a->addr.raw, b->addr.raw, a->family == AF_INET6 ? 16 : 4);
	if (r)
		return r < 0 ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}
