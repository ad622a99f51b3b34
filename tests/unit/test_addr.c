// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for lagwlcctl's pure code: userspace/lib/addr.c (ADDR:PORT and
 * [ADDR]:PORT), userspace/lib/values.c (lag durations, names) and
 * userspace/lib/json.c (the JSON writer). Exact outputs, and bad input refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/lagwlc.h>

#include "addr.h"
#include "json.h"
#include "values.h"
#include "tap.h"

/* Parses, and formats back exactly as want. */
static void parses(const char *in, int family, const char *want)
{
	struct endpoint ep;
	char err[256] = "", buf[EP_STRLEN];
	int r = ep_parse(in, &ep, err, sizeof(err));

	if (!tap_ok(r == 0 && ep.family == family &&
		    !strcmp(ep_format(&ep, buf, sizeof(buf)), want),
		    "ep_parse(\"%s\") -> %s", in, want))
		printf("# got r=%d family=%d \"%s\" err \"%s\"\n", r, ep.family,
		       r ? "" : buf, err);
}

static void rejects(const char *in)
{
	struct endpoint ep;
	char err[256] = "";
	int r = ep_parse(in, &ep, err, sizeof(err));

	tap_ok(r == -1 && err[0] != '\0', "ep_parse(\"%s\") refused: %s", in, err);
}

static void rejects_with(const char *in, const char *want)
{
	struct endpoint ep;
	char err[256] = "";
	int r = ep_parse(in, &ep, err, sizeof(err));

	if (!tap_ok(r == -1 && !strcmp(err, want), "ep_parse(\"%s\") says: %s", in, want))
		printf("# got r=%d err \"%s\"\n", r, err);
}

static void test_addr(void)
{
	struct endpoint a, b;
	char err[256], buf[EP_STRLEN];
	const uint8_t v4[4] = { 198, 18, 0, 11 };

	parses("198.18.0.11:3306", AF_INET, "198.18.0.11:3306");
	parses("0.0.0.0:1", AF_INET, "0.0.0.0:1");
	parses("255.255.255.255:65535", AF_INET, "255.255.255.255:65535");
	parses("10.0.0.1:003306", AF_INET, "10.0.0.1:3306");
	parses("[2001:db8::1]:3306", AF_INET6, "[2001:db8::1]:3306");
	parses("[2001:DB8:0:0:0:0:0:1]:5", AF_INET6, "[2001:db8::1]:5");
	parses("[::]:1", AF_INET6, "[::]:1");
	parses("[::ffff:192.0.2.1]:3306", AF_INET6, "[::ffff:192.0.2.1]:3306");

	/* the key's bytes and host-order port, and IPv4's unused bytes zero */
	ep_parse("198.18.0.11:3306", &a, err, sizeof(err));
	tap_ok(!memcmp(a.addr.raw, v4, 4) && a.port == 3306 &&
	       !memcmp(a.addr.raw + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12),
	       "IPv4 key bytes 198.18.0.11, port 3306, rest zero");
	ep_parse("[2001:db8::ab]:65535", &a, err, sizeof(err));
	tap_ok(a.addr.raw[0] == 0x20 && a.addr.raw[1] == 0x01 && a.addr.raw[15] == 0xab &&
	       a.port == 65535, "IPv6 key bytes and port 65535");
	tap_ok(!strcmp(ep_format_addr(&a, buf, sizeof(buf)), "2001:db8::ab"),
	       "address alone is unbracketed");

	rejects_with("", "empty address: use ADDR:PORT, or [ADDR]:PORT for IPv6");
	rejects_with("10.0.0.1", "\"10.0.0.1\": missing :PORT (use ADDR:PORT, or [ADDR]:PORT for IPv6)");
	rejects_with("::1:3306", "\"::1:3306\": IPv6 addresses go in brackets: [ADDR]:PORT");
	rejects_with("db1:3306", "\"db1:3306\": \"db1\" is not an IPv4 address (names are not resolved)");
	rejects_with("10.0.0.1:0", "\"10.0.0.1:0\": port \"0\" is not a number in 1..65535");
	rejects_with("10.0.0.1:65536", "\"10.0.0.1:65536\": port \"65536\" is not a number in 1..65535");
	rejects_with("[::1", "\"[::1\": missing ']' (use [ADDR]:PORT)");
	rejects_with("[::1]", "\"[::1]\": missing :PORT after ']' (use [ADDR]:PORT)");
	rejects_with("[zz::1]:1", "\"[zz::1]:1\": \"zz::1\" is not an IPv6 address");

	rejects("10.0.0.1:");
	rejects(":3306");
	rejects("10.0.0.1:-1");
	rejects("10.0.0.1:+1");
	rejects("10.0.0.1: 1");
	rejects("10.0.0.1:1 ");
	rejects("10.0.0.1:0x10");
	rejects("10.0.0.1:99999999999999999999999");
	rejects("256.0.0.1:1");
	rejects("10.0.1:1");
	rejects("10.0.0.1.5:1");
	rejects(" 10.0.0.1:1");
	rejects("[10.0.0.1]:1");
	rejects("[]:1");
	rejects("[::1]:");
	rejects("[::1]3306");
	rejects("[::1]:3306x");
	rejects("[fe80::1%eth0]:3306");
	rejects("[1:2:3:4:5:6:7:8:9]:1");
	rejects("[0123456789abcdef0123456789abcdef0123456789abcdef]:1");

	/* a key may have port 0 (fwmark real servers); an address to connect to not */
	tap_ok(ep_parse_key("10.0.0.1:0", &a, err, sizeof(err)) == 0 && a.port == 0 &&
	       a.family == AF_INET && !strcmp(ep_format(&a, buf, sizeof(buf)), "10.0.0.1:0"),
	       "ep_parse_key takes 10.0.0.1:0, formatted back as such");
	tap_ok(ep_parse_key("[2001:db8::1]:0", &a, err, sizeof(err)) == 0 && a.port == 0 &&
	       a.family == AF_INET6, "ep_parse_key takes [2001:db8::1]:0");
	tap_ok(ep_parse_key("10.0.0.1:65536", &a, err, sizeof(err)) < 0 &&
	       !strcmp(err, "\"10.0.0.1:65536\": port \"65536\" is not a number in 0..65535") &&
	       ep_parse_key("10.0.0.1:x", &a, err, sizeof(err)) < 0 &&
	       ep_parse_key("10.0.0.1:3306", &a, err, sizeof(err)) == 0 && a.port == 3306,
	       "ep_parse_key: 65536 and x refused (0..65535), 3306 taken");

	/* order: IPv4 first, then address, then port */
	ep_parse("10.0.0.2:1", &a, err, sizeof(err));
	ep_parse("10.0.0.1:65535", &b, err, sizeof(err));
	tap_ok(ep_cmp(&a, &b) > 0 && ep_cmp(&b, &a) < 0, "ep_cmp orders by address before port");
	ep_parse("10.0.0.1:3306", &a, err, sizeof(err));
	ep_parse("10.0.0.1:3307", &b, err, sizeof(err));
	tap_ok(ep_cmp(&a, &b) < 0, "ep_cmp orders by port");
	ep_parse("[::]:1", &b, err, sizeof(err));
	tap_ok(ep_cmp(&a, &b) < 0 && ep_cmp(&b, &a) > 0, "ep_cmp puts IPv4 before IPv6");
	ep_parse("10.0.0.1:3306", &b, err, sizeof(err));
	tap_ok(ep_equal(&a, &b) && !ep_equal(&a, &(struct endpoint){ .family = AF_INET6 }),
	       "ep_equal");

	/* the socket address bind() and connect() get: port in network order */
	{
		struct sockaddr_storage ss;
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		socklen_t sl;

		memset(&ss, 0xa5, sizeof(ss));
		ep_parse("10.0.0.1:3306", &a, err, sizeof(err));
		sl = ep_sockaddr(&a, &ss);
		tap_ok(sl == sizeof(*sin) && sin->sin_family == AF_INET &&
		       sin->sin_port == htons(3306) && sin->sin_addr.s_addr == htonl(0x0a000001) &&
		       !sin->sin_zero[0] && !sin->sin_zero[7],
		       "ep_sockaddr: IPv4, port in network order, the rest zeroed");
		memset(&ss, 0xa5, sizeof(ss));
		ep_parse("[2001:db8::ab]:9731", &a, err, sizeof(err));
		sl = ep_sockaddr(&a, &ss);
		tap_ok(sl == sizeof(*sin6) && sin6->sin6_family == AF_INET6 &&
		       sin6->sin6_port == htons(9731) && sin6->sin6_addr.s6_addr[15] == 0xab &&
		       !sin6->sin6_flowinfo && !sin6->sin6_scope_id,
		       "ep_sockaddr: IPv6, port in network order, flow and scope zero");
	}
}

static void lag_ok(const char *in, uint32_t want)
{
	char err[256] = "";
	uint32_t ms = 12345;
	int r = lag_parse_ms(in, &ms, err, sizeof(err));

	if (!tap_ok(r == 0 && ms == want, "lag \"%s\" = %u ms", in, want))
		printf("# got r=%d ms=%u err \"%s\"\n", r, ms, err);
}

static void lag_bad(const char *in)
{
	char err[256] = "";
	uint32_t ms = 12345;
	int r = lag_parse_ms(in, &ms, err, sizeof(err));

	tap_ok(r == -1 && ms == 12345 && err[0], "lag \"%s\" refused: %s", in, err);
}

static void test_values(void)
{
	char err[256], buf[NAME_STRLEN];
	uint32_t ms;

	lag_ok("0", 0);
	lag_ok("250", 250);
	lag_ok("250ms", 250);
	lag_ok("30s", 30000);
	lag_ok("0s", 0);
	lag_ok("604800000", LAGWLC_LAG_MAX_MS);
	lag_ok("4294967295", UINT32_MAX);
	lag_ok("4294967ms", 4294967);
	lag_ok("4294967s", 4294967000U);
	lag_bad("");
	lag_bad("s");
	lag_bad("ms");
	lag_bad("-1");
	lag_bad("+1");
	lag_bad(" 1");
	lag_bad("1 ");
	/* the one grammar lagwlcd.conf shares (values.h): fractions, m, h */
	lag_ok("1.5s", 1500);
	lag_ok("0.05s", 50);
	lag_ok("5m", 300000);
	lag_ok("0.25h", 900000);
	lag_bad("2.5ms");
	lag_bad("1.5");
	lag_bad("1.");
	lag_bad(".5s");
	lag_bad("1.0000000001s");
	lag_bad("1e3");
	lag_bad("5S");
	lag_bad("5mss");
	lag_bad("5sms");
	lag_bad("0x10");
	lag_bad("4294967296");
	lag_bad("4294968s");
	lag_bad("99999999999999999999999");
	lag_parse_ms("1d", &ms, err, sizeof(err));
	tap_ok(!strcmp(err, "lag \"1d\": expected a duration: 250 (milliseconds), 250ms, 1.5s, 2m or 1h"),
	       "lag error message for a bad unit");
	lag_parse_ms("1.5ms", &ms, err, sizeof(err));
	tap_ok(!strcmp(err, "lag \"1.5ms\": finer than a millisecond"),
	       "lag error message for a fraction of a millisecond");
	lag_parse_ms("4294968s", &ms, err, sizeof(err));
	tap_ok(!strcmp(err, "lag \"4294968s\": too large (at most 4294967295 ms)"),
	       "lag error message for an overflow");

	tap_ok(health_parse("up") == LAGWLC_HEALTH_UP && health_parse("down") == LAGWLC_HEALTH_DOWN &&
	       !health_parse("UP") && !health_parse("") && !health_parse("downn"),
	       "health_parse: up, down, nothing else");

	tap_ok(!strcmp(state_name(LAGWLC_STATE_NONE, buf, sizeof(buf)), "none") &&
	       !strcmp(state_name(LAGWLC_STATE_OK, buf, sizeof(buf)), "ok") &&
	       !strcmp(state_name(LAGWLC_STATE_LAGGING, buf, sizeof(buf)), "lagging") &&
	       !strcmp(state_name(LAGWLC_STATE_DOWN, buf, sizeof(buf)), "down") &&
	       !strcmp(state_name(LAGWLC_STATE_STALE, buf, sizeof(buf)), "stale"),
	       "state names: none ok lagging down stale");
	tap_ok(!strcmp(state_name(LAGWLC_STATE_MAX + 1, buf, sizeof(buf)), "unknown(5)") &&
	       !strcmp(state_name(255, buf, sizeof(buf)), "unknown(255)"),
	       "an unknown state is named by number");
	tap_ok(!strcmp(reason_name(LAGWLC_REASON_REPORT, buf, sizeof(buf)), "report") &&
	       !strcmp(reason_name(LAGWLC_REASON_TUNABLE, buf, sizeof(buf)), "tunable") &&
	       !strcmp(reason_name(LAGWLC_REASON_TIMEOUT, buf, sizeof(buf)), "timeout") &&
	       !strcmp(reason_name(LAGWLC_REASON_RELEASE, buf, sizeof(buf)), "release") &&
	       !strcmp(reason_name(LAGWLC_REASON_DELETE, buf, sizeof(buf)), "delete") &&
	       !strcmp(reason_name(LAGWLC_REASON_FLUSH, buf, sizeof(buf)), "flush") &&
	       !strcmp(reason_name(LAGWLC_REASON_EVICT, buf, sizeof(buf)), "evict") &&
	       !strcmp(reason_name(LAGWLC_REASON_MAX + 1, buf, sizeof(buf)), "unknown(8)"),
	       "reason names: report tunable timeout release delete flush evict");
	tap_ok(!strcmp(health_name(LAGWLC_HEALTH_UP, buf, sizeof(buf)), "up") &&
	       !strcmp(health_name(LAGWLC_HEALTH_DOWN, buf, sizeof(buf)), "down") &&
	       !strcmp(health_name(0, buf, sizeof(buf)), "unknown(0)"),
	       "health names: up down");
	tap_ok(!strcmp(replica_attr_name(LAGWLC_R_LAG_MS, buf, sizeof(buf)), "LAGWLC_R_LAG_MS") &&
	       !strcmp(replica_attr_name(LAGWLC_R_AGE_MS, buf, sizeof(buf)), "LAGWLC_R_AGE_MS") &&
	       !strcmp(attr_name(LAGWLC_A_REPLICA, buf, sizeof(buf)), "LAGWLC_A_REPLICA") &&
	       !strcmp(attr_name(LAGWLC_A_SOCKET_OWNER, buf, sizeof(buf)), "LAGWLC_A_SOCKET_OWNER") &&
	       !strcmp(replica_attr_name(42, buf, sizeof(buf)), "attribute(42)"),
	       "attribute names for error messages");
}

static void test_json(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_arr_begin(&j, "services");
	json_obj_begin(&j, NULL);
	json_str(&j, "protocol", "TCP");
	json_uint(&j, "port", 3306);
	json_arr_begin(&j, "destinations");
	json_arr_end(&j);
	json_obj_end(&j);
	json_obj_begin(&j, NULL);
	json_null(&j, "lag_ms");
	json_str(&j, "state", NULL);
	json_obj_end(&j);
	json_arr_end(&j);
	json_arr_begin(&j, "n");
	json_uint(&j, NULL, 0);
	json_uint(&j, NULL, UINT64_MAX);
	json_bool(&j, NULL, true);
	json_bool(&j, NULL, false);
	json_arr_end(&j);
	json_str(&j, "esc", "q\" b\\ n\n t\t r\r c\x01 d\x7f \xc3\xa9");
	json_str(&j, "k\"ey", "");
	json_obj_end(&j);
	fclose(f);
	if (!tap_ok(!strcmp(out,
		    "{\"services\":[{\"protocol\":\"TCP\",\"port\":3306,\"destinations\":[]},"
		    "{\"lag_ms\":null,\"state\":null}],"
		    "\"n\":[0,18446744073709551615,true,false],"
		    "\"esc\":\"q\\\" b\\\\ n\\n t\\t r\\r c\\u0001 d\\u007f \xc3\xa9\","
		    "\"k\\\"ey\":\"\"}"),
		    "JSON writer: nesting, commas, null, numbers, escapes"))
		printf("# got %s\n", out);
	free(out);
}

int main(void)
{
	tap_plan(92);
	test_addr();
	test_values();
	test_json();
	return tap_done();
}
