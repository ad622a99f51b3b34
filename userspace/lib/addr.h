/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replica endpoints: ADDR:PORT (IPv4) and [ADDR]:PORT (IPv6), parsed from
 * the command line and formatted back. Pure code, no netlink.
 */
#ifndef LAGWLCCTL_ADDR_H
#define LAGWLCCTL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* "[" IPv6 "]:" port and a NUL fit in this. */
#define EP_STRLEN (INET6_ADDRSTRLEN + 8)

struct endpoint {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t raw[16];	/* v4 in the first 4 bytes, rest zero */
	} addr;
	uint16_t port;			/* host byte order; 0 only in a key */
};

/*
 * Parse "A.B.C.D:PORT" or "[IPV6]:PORT" into *ep. Names are not resolved.
 * Returns 0, or -1 with a one-line reason (no trailing newline) in err.
 */
int ep_parse(const char *s, struct endpoint *ep, char *err, size_t errlen);

/*
 * The same for a replica's key, which may also have port 0: IPVS keeps
 * real servers of fwmark services with port 0 ("the client's port").
 */
int ep_parse_key(const char *s, struct endpoint *ep, char *err, size_t errlen);

/* Parse a port, 1..65535, decimal digits only. Returns 0 or -1. */
int ep_parse_port(const char *s, uint16_t *port);

/* "A.B.C.D:PORT" or "[IPV6]:PORT" into buf (EP_STRLEN); returns buf. */
const char *ep_format(const struct endpoint *ep, char *buf, size_t len);

/* The address alone, unbracketed, into buf (INET6_ADDRSTRLEN); returns buf. */
const char *ep_format_addr(const struct endpoint *ep, char *buf, size_t len);

/* Fill ep from a raw address of the given family (4 or 16 bytes). */
void ep_set(struct endpoint *ep, int family, const void *addr, uint16_t port);

/* ep as a socket address in *ss, zeroed first; returns its length. */
socklen_t ep_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss);

/* Total order: IPv4 before IPv6, then address bytes, then port. */
int ep_cmp(const struct endpoint *a, const struct endpoint *b);

static inline bool ep_equal(const struct endpoint *a, const struct endpoint *b)
{
	return ep_cmp(a, b) == 0;
}

#endif
