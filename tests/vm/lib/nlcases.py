#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The lagwlc generic netlink family, case by case, for tests/vm/t-netlink.sh.

    nlcases.py plan      each group's number of test points: "GROUP N" lines
    nlcases.py GROUP     run one group (in the order below, they share state)

A group prints diagnostics ("# ...": what is sent, what comes back) and one
"ok - DESC" or "not ok - DESC" line per test point, always as many as
"plan" says; the shell test numbers them. Every request goes through genl.py,
so every byte of it is chosen here. Needs the module loaded, root (but
"unpriv", which runs as nobody, "userns", which runs as root of a user
namespace of its own, and "userns_own", which also has a network namespace
of its own), and for "netns" the namespaces a and b.
"""
import ctypes
import errno
import os
import subprocess
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from genl import (A_REPLICA, A_SOCKET_OWNER, CMD_DEL, CMD_FLUSH, CMD_GET,  # noqa: E402
                  CMD_SET, HEALTH_DOWN, HEALTH_UP, R_ADDR4,
                  R_ADDR6, R_AGE_MS, R_HEALTH, R_LAG_MS, R_PORT, R_STATE, Genl,
                  addr4, addr6, attr_list, decode_replica, nest, nla, parse_attrs, replica,
                  u8, u16, u32)

PARAMS = "/sys/module/ip_vs_lagwlc/parameters"
LAG_MAX_MS = 604800000			# LAGWLC_LAG_MAX_MS
HDRS = 20				# nlmsghdr + genlmsghdr: payload offset
CMDS = {CMD_SET: "SET", CMD_DEL: "DEL", CMD_FLUSH: "FLUSH", CMD_GET: "GET"}
ATTRS = {R_ADDR4: "LAGWLC_R_ADDR4", R_PORT: "LAGWLC_R_PORT",
         R_LAG_MS: "LAGWLC_R_LAG_MS", A_REPLICA: "LAGWLC_A_REPLICA"}

GROUPS = {}				# group: [(description, function)]


def case(group, desc):
    def register(fn):
        GROUPS.setdefault(group, []).append((desc, fn))
        return fn
    return register


class Fail(Exception):
    pass


def diag(*lines):
    for line in lines:
        print("# " + line, flush=True)


def check(cond, why):
    if not cond:
        raise Fail(why)


def ename(err):
    return "0" if not err else errno.errorcode.get(-err, str(err))


def off(payload, part):
    """Offset, from the netlink header, of part (one attribute) in payload."""
    assert payload.count(part) == 1, "ambiguous attribute"
    return HDRS + payload.index(part)


def param(name, value=None):
    path = f"{PARAMS}/{name}"
    if value is not None:
        diag(f"echo {value} > {path}")
        with open(path, "w") as f:
            f.write(str(value))
    with open(path) as f:
        return f.read().strip()


def send(sock, cmd, payload=b"", what="", dump=False):
    """Send a request, tell the story, return (errno, messages, extack)."""
    diag(f"-> {CMDS[cmd]}{' dump' if dump else ''}{' ' + what if what else ''}")
    err, msgs, info = sock.request(cmd, payload, dump=dump)
    got = [ename(err)]
    if "msg" in info:
        got.append(f'"{info["msg"]}"')
    if "offs" in info:
        got.append(f"bad attribute at offset {info['offs']}")
    if "miss_type" in info:
        got.append(f"missing type {info['miss_type']}"
                   + (f" in the nest at offset {info['miss_nest']}" if "miss_nest" in info else ""))
    if msgs:
        got.append(f"{len(msgs)} message(s)")
    diag("<- " + ", ".join(got))
    return err, msgs, info


def expect(res, want_errno, msg=None, offs=None, miss_type=None, miss_nest=None):
    """Check errno and extack: message (it must be there and contain msg),
    bad attribute offset, missing attribute type and nest; None: no check."""
    err, _, info = res
    check(err == -want_errno, f"errno {ename(err)}, expected {ename(-want_errno)}")
    if msg is not None:
        check("msg" in info and msg in info["msg"],
              f"extack message {info.get('msg')!r}, expected one with {msg!r}")
    if offs is not None:
        check(info.get("offs") == offs,
              f"extack bad attribute offset {info.get('offs')}, expected {offs}")
    if miss_type is not None:
        check(info.get("miss_type") == miss_type,
              f"extack missing type {info.get('miss_type')}, expected {miss_type}"
              f" ({ATTRS.get(miss_type)})")
    if miss_nest is not None:
        check(info.get("miss_nest") == miss_nest,
              f"extack missing-attribute nest at {info.get('miss_nest')}, expected {miss_nest}")


def table(sock):
    """The dump, as a sorted list of (addr, port, lag_ms, health, state)."""
    err, msgs, _ = sock.request(CMD_GET, dump=True)
    check(err == 0, f"dump failed: {ename(err)}")
    rows = [decode_replica(parse_attrs(m)[A_REPLICA]) for m in msgs]
    return sorted((r["addr"], r["port"], r["lag_ms"], r["health"], r["state"]) for r in rows)


def show(rows):
    return "; ".join(f"{a}:{p} lag {lag} {h} {s}" for a, p, lag, h, s in rows) or "(empty)"


def expect_table(sock, want, what="table"):
    got = table(sock)
    diag(f"{what}: {show(got)}")
    check(got == sorted(want), f"{what} is not {show(sorted(want))}")


def get_one(sock, addr, port):
    res = send(sock, CMD_GET, replica(addr, port), f"{addr}:{port}")
    expect(res, 0)
    check(len(res[1]) == 1, f"{len(res[1])} replies to a GET doit, expected 1")
    r = decode_replica(parse_attrs(res[1][0])[A_REPLICA])
    diag(f"   {r}")
    return r


def flush(sock):
    expect(send(sock, CMD_FLUSH), 0)


class Ctx:
    pass


X = Ctx()


# ---- 1. unprivileged caller (this group runs as nobody) -------------------
# tests/vm/t-netlink.sh has root report 198.18.0.11:3306 lag 100 first.
BASE = "198.18.0.11"
BASE_ROWS = [(BASE, 3306, 100, "up", "ok")]


def unpriv_refused(cmd, payload, what, dump=False):
    check(os.geteuid() != 0, "running as root, not as an unprivileged user")
    if not hasattr(X, "nobody"):
        X.nobody = Genl("lagwlc")
    expect(send(X.nobody, cmd, payload, what, dump=dump), errno.EPERM)


def join_refused(sock):
    """Joining "events" fails with EPERM (the group needs CAP_NET_ADMIN)."""
    diag(f"-> join the \"events\" group ({sock.groups['events']})")
    try:
        sock.subscribe()
    except PermissionError as e:
        diag(f"<- {errno.errorcode[e.errno]}")
        return
    raise Fail("joined the events group without CAP_NET_ADMIN")


@case("unpriv", "SET as nobody fails with EPERM; root's replica is unchanged")
def _():
    unpriv_refused(CMD_SET, replica(BASE, 3306, 7), f"{BASE}:3306 lag 7")


@case("unpriv", "DEL as nobody fails with EPERM; root's replica is still there")
def _():
    unpriv_refused(CMD_DEL, replica(BASE, 3306), f"{BASE}:3306")


@case("unpriv", "FLUSH as nobody fails with EPERM; the table is intact")
def _():
    unpriv_refused(CMD_FLUSH, b"", "")


@case("unpriv", "a dump as nobody fails with EPERM: reads need CAP_NET_ADMIN, as in IPVS")
def _():
    unpriv_refused(CMD_GET, b"", "", dump=True)


@case("unpriv", "a GET doit as nobody fails with EPERM")
def _():
    unpriv_refused(CMD_GET, replica(BASE, 3306), f"{BASE}:3306")


@case("unpriv", "joining the events group as nobody fails with EPERM")
def _():
    join_refused(X.nobody)


@case("unpriv_after", "root's table is as before nobody's requests")
def _():
    expect_table(Genl("lagwlc"), BASE_ROWS)


# "userns": uid 0 of a user namespace of its own (unshare -Ur), in the root
# network namespace, which the initial user namespace owns: no CAP_NET_ADMIN
# over it, so every request and the group are refused.
@case("userns", "root of another user namespace: SET, dump and joining events are EPERM")
def _():
    check(os.geteuid() == 0, "not uid 0 in the user namespace")
    c = Genl("lagwlc")
    expect(send(c, CMD_SET, replica(BASE, 3306, 7), f"{BASE}:3306 lag 7"), errno.EPERM)
    expect(send(c, CMD_GET, b"", dump=True), errno.EPERM)
    join_refused(c)


# "userns_own": unshare -Urn, a network namespace that its own user
# namespace owns: its root administers that namespace's table.
@case("userns_own", "root of a user namespace in its own netns: SET, dump, events all work")
def _():
    c = Genl("lagwlc")
    listen = Genl("lagwlc")
    listen.subscribe()
    expect(send(c, CMD_SET, replica(BASE, 3306, 42), f"{BASE}:3306 lag 42"), 0)
    expect_table(c, [(BASE, 3306, 42, "up", "ok")], "own table")
    got = listen.events(1, timeout=3)
    diag(f"events: {got}")
    check(len(got) == 1 and got[0].get("state") == "ok", "no none -> ok event")


# ---- 2. malformed requests -------------------------------------------------
# Each is sent with the table holding one replica (198.18.0.11:3306 lag 100);
# each must fail with the errno and extack below and leave that table as is.
NEW = "198.18.0.21"			# a replica the bad requests would create


def rejected(what, cmd, payload, want_errno, msg, **kw):
    res = send(X.c, cmd, payload, what)
    expect(res, want_errno, msg, **kw)
    expect_table(X.c, BASE_ROWS, "table after")


def malformed_setup():
    X.c = Genl("lagwlc")
    flush(X.c)
    expect(send(X.c, CMD_SET, replica(BASE, 3306, 100), f"{BASE}:3306 lag 100 (the table)"), 0)


def bad_in_nest(bad, *rest):
    """A replica NEW:3306 lag 10 with bad in it (replacing its own kind)."""
    good = {R_ADDR4: addr4(NEW), R_PORT: u16(R_PORT, 3306), R_LAG_MS: u32(R_LAG_MS, 10)}
    btype = int.from_bytes(bad[2:4], "little") & 0x3FFF
    good.pop(btype, None)
    p = nest(A_REPLICA, *good.values(), bad, *rest)
    return p, off(p, bad)


@case("malformed", "PORT as u32: EINVAL \"invalid attribute length\" at PORT")
def _():
    p, o = bad_in_nest(u32(R_PORT, 3306))
    rejected(f"{NEW}:3306 with LAGWLC_R_PORT as 4 bytes", CMD_SET, p, errno.EINVAL,
             "invalid attribute length", offs=o)


@case("malformed", "ADDR4 of 5 bytes: ERANGE \"binary attribute size out of range\" at ADDR4")
def _():
    p, o = bad_in_nest(nla(R_ADDR4, bytes([198, 18, 0, 21, 9])))
    rejected("LAGWLC_R_ADDR4 of 5 bytes", CMD_SET, p, errno.ERANGE,
             "binary attribute size out of range", offs=o)


@case("malformed", "ADDR6 of 4 bytes: ERANGE \"binary attribute size out of range\" at ADDR6")
def _():
    bad = nla(R_ADDR6, bytes([198, 18, 0, 21]))
    p = nest(A_REPLICA, bad, u16(R_PORT, 3306), u32(R_LAG_MS, 10))
    rejected("LAGWLC_R_ADDR6 of 4 bytes", CMD_SET, p, errno.ERANGE,
             "binary attribute size out of range", offs=off(p, bad))


@case("malformed", "LAG_MS as u8: EINVAL \"invalid attribute length\" at LAG_MS")
def _():
    p, o = bad_in_nest(u8(R_LAG_MS, 10))
    rejected(f"{NEW}:3306 with LAGWLC_R_LAG_MS as 1 byte", CMD_SET, p, errno.EINVAL,
             "invalid attribute length", offs=o)


@case("malformed", "no PORT: EINVAL naming LAGWLC_R_PORT, missing type LAGWLC_R_PORT in the nest")
def _():
    p = nest(A_REPLICA, addr4(NEW), u32(R_LAG_MS, 10))
    rejected(f"{NEW} lag 10, no LAGWLC_R_PORT", CMD_SET, p, errno.EINVAL,
             "LAGWLC_R_PORT", miss_type=R_PORT, miss_nest=HDRS)


@case("malformed", "no address: EINVAL naming LAGWLC_R_ADDR4, missing type LAGWLC_R_ADDR4")
def _():
    p = nest(A_REPLICA, u16(R_PORT, 3306), u32(R_LAG_MS, 10))
    rejected("port 3306 lag 10, no address", CMD_SET, p, errno.EINVAL,
             "LAGWLC_R_ADDR4", miss_type=R_ADDR4, miss_nest=HDRS)


@case("malformed", "no LAG_MS with health up: EINVAL naming LAGWLC_R_LAG_MS, missing type LAG_MS")
def _():
    p = nest(A_REPLICA, addr4(NEW), u16(R_PORT, 3306), u8(R_HEALTH, HEALTH_UP))
    rejected(f"{NEW}:3306 health up, no LAGWLC_R_LAG_MS", CMD_SET, p, errno.EINVAL,
             "LAGWLC_R_LAG_MS", miss_type=R_LAG_MS, miss_nest=HDRS)


@case("malformed", "SET with no REPLICA: EINVAL naming LAGWLC_A_REPLICA, missing type A_REPLICA")
def _():
    rejected("with no attribute at all", CMD_SET, b"", errno.EINVAL,
             "LAGWLC_A_REPLICA", miss_type=A_REPLICA)


@case("malformed", "DEL with no REPLICA: EINVAL, missing type LAGWLC_A_REPLICA")
def _():
    rejected("with no attribute at all", CMD_DEL, b"", errno.EINVAL,
             "LAGWLC_A_REPLICA missing", miss_type=A_REPLICA)


@case("malformed", "unknown attribute 30 in the nest: EINVAL \"Unknown attribute type\" at it")
def _():
    p, o = bad_in_nest(u32(30, 1))
    rejected(f"{NEW}:3306 lag 10 plus attribute 30", CMD_SET, p, errno.EINVAL,
             "Unknown attribute type", offs=o)


@case("malformed", "unknown top-level attribute 30: EINVAL \"Unknown attribute type\" at it")
def _():
    bad = u32(30, 1)
    p = replica(NEW, 3306, 10) + bad
    rejected(f"{NEW}:3306 lag 10, then top-level attribute 30", CMD_SET, p, errno.EINVAL,
             "Unknown attribute type", offs=off(p, bad))


@case("malformed", "output-only STATE in a SET: EINVAL \"Unsupported attribute\" at STATE")
def _():
    p, o = bad_in_nest(u8(R_STATE, 1))
    rejected(f"{NEW}:3306 lag 10 with LAGWLC_R_STATE ok", CMD_SET, p, errno.EINVAL,
             "Unsupported attribute", offs=o)


@case("malformed", "output-only AGE_MS in a SET: EINVAL \"Unsupported attribute\" at AGE_MS")
def _():
    p, o = bad_in_nest(u32(R_AGE_MS, 5))
    rejected(f"{NEW}:3306 lag 10 with LAGWLC_R_AGE_MS 5", CMD_SET, p, errno.EINVAL,
             "Unsupported attribute", offs=o)


@case("malformed", "HEALTH 0: ERANGE \"integer out of range\" at HEALTH")
def _():
    p, o = bad_in_nest(u8(R_HEALTH, 0))
    rejected(f"{NEW}:3306 lag 10 health 0", CMD_SET, p, errno.ERANGE,
             "integer out of range", offs=o)


@case("malformed", "HEALTH 3: ERANGE \"integer out of range\" at HEALTH")
def _():
    p, o = bad_in_nest(u8(R_HEALTH, 3))
    rejected(f"{NEW}:3306 lag 10 health 3", CMD_SET, p, errno.ERANGE,
             "integer out of range", offs=o)


@case("malformed", "both ADDR4 and ADDR6: EINVAL naming both, at ADDR6")
def _():
    p, o = bad_in_nest(addr6("2001:db8::21"))
    rejected(f"{NEW} and 2001:db8::21, port 3306 lag 10", CMD_SET, p, errno.EINVAL,
             "both LAGWLC_R_ADDR4 and LAGWLC_R_ADDR6", offs=o)


@case("malformed", "REPLICA without NLA_F_NESTED: EINVAL \"NLA_F_NESTED is missing\" at it")
def _():
    p = nla(A_REPLICA, addr4(NEW) + u16(R_PORT, 3306) + u32(R_LAG_MS, 10))
    rejected(f"{NEW}:3306 lag 10 in a nest without NLA_F_NESTED", CMD_SET, p,
             errno.EINVAL, "NLA_F_NESTED is missing", offs=HDRS)


@case("malformed", "SOCKET_OWNER on DEL: EINVAL \"Unsupported attribute\" at it, no delete")
def _():
    bad = nla(A_SOCKET_OWNER, b"")
    p = replica(BASE, 3306) + bad
    rejected(f"{BASE}:3306 (the replica in the table) with LAGWLC_A_SOCKET_OWNER",
             CMD_DEL, p, errno.EINVAL, "Unsupported attribute", offs=off(p, bad))


@case("malformed", "SOCKET_OWNER on FLUSH: EINVAL at the flag, the table is not flushed")
def _():
    bad = nla(A_SOCKET_OWNER, b"")
    rejected("with LAGWLC_A_SOCKET_OWNER", CMD_FLUSH, bad, errno.EINVAL,
             "flush takes no attribute", offs=HDRS)


@case("malformed", "257 replicas in one SET: E2BIG \"too many replicas\", none created")
def _():
    p = b"".join(replica(f"198.18.{1 + i // 250}.{1 + i % 250}", 3306, 10) for i in range(257))
    rejected("of 257 replicas 198.18.1.1..198.18.2.7:3306", CMD_SET, p, errno.E2BIG,
             "too many replicas")


@case("malformed", "the same replica twice in one SET: EINVAL \"given twice\" at the second")
def _():
    second = replica(NEW, 3306, 20000)
    p = replica(NEW, 3306, 10) + second
    rejected(f"{NEW}:3306 lag 10, then {NEW}:3306 lag 20000", CMD_SET, p, errno.EINVAL,
             "replica given twice", offs=off(p, second))


@case("malformed", "all or nothing: an update, a new replica and a bad one: nothing changes")
def _():
    bad = nest(A_REPLICA, addr4("198.18.0.22"), u32(R_LAG_MS, 10))
    p = replica(BASE, 3306, 999) + replica(NEW, 3306, 10) + bad
    rejected(f"{BASE}:3306 lag 999, {NEW}:3306 lag 10, 198.18.0.22 with no port",
             CMD_SET, p, errno.EINVAL, "LAGWLC_R_PORT",
             miss_type=R_PORT, miss_nest=off(p, bad))


# ---- 3. well-formed requests ------------------------------------------------
@case("wellformed", "SET of 3 replicas (IPv4 and IPv6) in one message: all 3 in the dump, ok")
def _():
    X.c = Genl("lagwlc")
    flush(X.c)
    p = (replica("198.18.0.11", 3306, 100, HEALTH_UP) + replica("198.18.0.12", 3307, 200)
         + replica("2001:db8::13", 3306, 300))
    expect(send(X.c, CMD_SET, p, "198.18.0.11:3306 lag 100 up, 198.18.0.12:3307 lag 200, "
                "[2001:db8::13]:3306 lag 300"), 0)
    expect_table(X.c, [("198.18.0.11", 3306, 100, "up", "ok"),
                       ("198.18.0.12", 3307, 200, "up", "ok"),
                       ("2001:db8::13", 3306, 300, "up", "ok")])


@case("wellformed", "GET doit of [2001:db8::13]:3306: lag 300, health up, state ok, an age")
def _():
    r = get_one(X.c, "2001:db8::13", 3306)
    check((r.get("lag_ms"), r.get("health"), r.get("state")) == (300, "up", "ok"),
          "wrong lag, health or state")
    check("age_ms" in r and r["age_ms"] < 60000, "no age, or an age over a minute")


@case("wellformed", "DEL of a replica not in the table: ENOENT \"no such replica\" at the nest")
def _():
    res = send(X.c, CMD_DEL, replica("198.18.0.99", 3306), "198.18.0.99:3306")
    expect(res, errno.ENOENT, "no such replica", offs=HDRS)


@case("wellformed", "DEL of 198.18.0.12:3307 removes it alone; a GET of it is then ENOENT")
def _():
    expect(send(X.c, CMD_DEL, replica("198.18.0.12", 3307), "198.18.0.12:3307"), 0)
    expect_table(X.c, [("198.18.0.11", 3306, 100, "up", "ok"),
                       ("2001:db8::13", 3306, 300, "up", "ok")])
    res = send(X.c, CMD_GET, replica("198.18.0.12", 3307), "198.18.0.12:3307")
    expect(res, errno.ENOENT, "no such replica", offs=HDRS)


@case("wellformed", "HEALTH down with no LAG_MS is accepted: state down")
def _():
    p = replica("198.18.0.14", 3306, None, HEALTH_DOWN)
    expect(send(X.c, CMD_SET, p, "198.18.0.14:3306 health down, no lag"), 0)
    r = get_one(X.c, "198.18.0.14", 3306)
    check((r["health"], r["state"], r["lag_ms"]) == ("down", "down", 0),
          "not down with lag 0")


@case("wellformed", "FLUSH empties the table")
def _():
    flush(X.c)
    expect_table(X.c, [])


@case("wellformed", "port 0 is a key (IPVS real servers of fwmark services): SET, GET, DEL")
def _():
    p = replica("198.18.0.15", 0, 10) + replica("198.18.0.15", 3306, 20)
    expect(send(X.c, CMD_SET, p, "198.18.0.15:0 lag 10, 198.18.0.15:3306 lag 20"), 0)
    expect_table(X.c, [("198.18.0.15", 0, 10, "up", "ok"), ("198.18.0.15", 3306, 20, "up", "ok")])
    r = get_one(X.c, "198.18.0.15", 0)
    check((r["port"], r["lag_ms"]) == (0, 10), "GET of :0 is not lag 10")
    expect(send(X.c, CMD_DEL, replica("198.18.0.15", 0), "198.18.0.15:0"), 0)
    expect_table(X.c, [("198.18.0.15", 3306, 20, "up", "ok")])
    flush(X.c)


# ---- 4. lag clamp -------------------------------------------------------------
@case("clamp", "LAG_MS 0xffffffff and 604800001 are stored as 604800000 (LAGWLC_LAG_MAX_MS)")
def _():
    c = Genl("lagwlc")
    p = (replica("198.18.0.11", 3306, 0xFFFFFFFF) + replica("198.18.0.12", 3306, LAG_MAX_MS + 1)
         + replica("198.18.0.13", 3306, LAG_MAX_MS - 1))
    expect(send(c, CMD_SET, p, "lag 0xffffffff, 604800001 and 604799999"), 0)
    expect_table(c, [("198.18.0.11", 3306, LAG_MAX_MS, "up", "lagging"),
                     ("198.18.0.12", 3306, LAG_MAX_MS, "up", "lagging"),
                     ("198.18.0.13", 3306, LAG_MAX_MS - 1, "up", "lagging")])
    flush(c)


# ---- 5. max_entries -------------------------------------------------------------
def rep4(i, lag=10):
    return replica(f"198.18.0.4{i}", 3306, lag)


def rows4(*lags):
    return [(f"198.18.0.4{i + 1}", 3306, lag, "up", "ok") for i, lag in enumerate(lags)]


def refused_keys(res):
    """The replicas a SET's reply lists as refused (table full)."""
    keys = []
    for m in res[1]:
        for t, v in attr_list(m):
            if t == A_REPLICA:
                r = decode_replica(v)
                keys.append((r["addr"], r["port"]))
    diag(f"refused (the reply): {keys}")
    return keys


@case("max_entries", "at 2 of max_entries 3: an update and 2 new; the update and the 1st new "
      "applied, the 2nd refused: ENOSPC at it, the reply lists it")
def _():
    X.c = Genl("lagwlc")
    flush(X.c)
    param("max_entries", 3)
    expect(send(X.c, CMD_SET, rep4(1) + rep4(2), "198.18.0.41 and .42 :3306"), 0)
    p = rep4(1, 77) + rep4(3) + rep4(4)
    res = send(X.c, CMD_SET, p, "198.18.0.41 lag 77, .43 and .44 :3306")
    expect(res, errno.ENOSPC, "max_entries", offs=off(p, rep4(4)))
    check(refused_keys(res) == [("198.18.0.44", 3306)], "the reply does not list .44 alone")
    expect_table(X.c, rows4(77, 10, 10))


@case("max_entries", "a full table: updates of 3 known replicas still applied, 2 new refused")
def _():
    p = rep4(5) + rep4(1, 500) + rep4(2, 600) + rep4(6) + rep4(3, 700)
    res = send(X.c, CMD_SET, p, ".45, .41 lag 500, .42 lag 600, .46, .43 lag 700")
    expect(res, errno.ENOSPC, "max_entries", offs=off(p, rep4(5)))
    check(refused_keys(res) == [("198.18.0.45", 3306), ("198.18.0.46", 3306)],
          "the reply does not list .45 and .46")
    expect_table(X.c, rows4(500, 600, 700))


@case("max_entries", "a 4th replica alone: ENOSPC, extack names max_entries at the replica")
def _():
    res = send(X.c, CMD_SET, rep4(4), "198.18.0.44:3306")
    expect(res, errno.ENOSPC, "max_entries", offs=HDRS)
    check(refused_keys(res) == [("198.18.0.44", 3306)], "the reply does not list .44")
    expect_table(X.c, rows4(500, 600, 700))


@case("max_entries", "at the limit, an update of an existing replica alone: no error")
def _():
    res = send(X.c, CMD_SET, rep4(1, 501), "198.18.0.41:3306 lag 501")
    expect(res, 0)
    check(not res[1], "a reply message although nothing was refused")
    expect_table(X.c, rows4(501, 600, 700))


@case("max_entries", "max_entries back to 4096: the 4th replica is accepted")
def _():
    check(param("max_entries", 4096) == "4096", "max_entries not restored")
    expect(send(X.c, CMD_SET, rep4(4), "198.18.0.44:3306"), 0)
    expect_table(X.c, rows4(501, 600, 700, 10))
    flush(X.c)


# ---- 6. resumable dump -------------------------------------------------------------
def addr1000(i):
    return f"198.18.{10 + i // 250}.{1 + i % 250}"


@case("dump", "1000 replicas inserted in 5 SETs of 200")
def _():
    X.c = Genl("lagwlc")
    flush(X.c)
    for s in range(0, 1000, 200):
        p = b"".join(replica(addr1000(i), 3306, i) for i in range(s, s + 200))
        expect(send(X.c, CMD_SET, p, f"{addr1000(s)}..{addr1000(s + 199)}:3306, lag {s}..{s + 199}"), 0)


@case("dump", "a dump returns the 1000, each once, over several messages and recv calls")
def _():
    res = send(X.c, CMD_GET, b"", "of the whole table", dump=True)
    expect(res, 0)
    rows = [decode_replica(parse_attrs(m)[A_REPLICA]) for m in res[1]]
    got = {(r["addr"], r["port"], r["lag_ms"]) for r in rows}
    want = {(addr1000(i), 3306, i) for i in range(1000)}
    diag(f"{len(rows)} messages, {len(got)} distinct, in {res[2]['recvs']} recv calls"
         f"{', NLM_F_DUMP_INTR' if res[2]['intr'] else ''}")
    check(len(rows) == 1000 and got == want, "not exactly the 1000 replicas inserted")
    check(res[2]["recvs"] > 1, "the dump came in one part: nothing was resumed")
    check(not res[2]["intr"], "NLM_F_DUMP_INTR on a table nobody changed")
    flush(X.c)


# ---- 7. network namespaces --------------------------------------------------------
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def genl_in(ns):
    """A Genl socket created in network namespace ns (ip netns), None for root's."""
    if ns is None:
        return Genl("lagwlc")
    with open("/proc/self/ns/net") as home, open(f"/run/netns/{ns}") as there:
        if libc.setns(there.fileno(), CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), f"setns {ns}")
        try:
            return Genl("lagwlc")
        finally:
            libc.setns(home.fileno(), CLONE_NEWNET)


NS_A = [("198.18.0.11", 3306, 100, "up", "ok"), ("2001:db8::12", 3306, 200, "up", "ok")]
NS_B = [("198.18.0.11", 3306, 300, "up", "ok")]


@case("netns", "SETs in netns a (2 replicas) and b (1, same key as one of a's) succeed")
def _():
    X.root, X.a, X.b = genl_in(None), genl_in("a"), genl_in("b")
    flush(X.root)
    diag("[a]")
    expect(send(X.a, CMD_SET, replica("198.18.0.11", 3306, 100) + replica("2001:db8::12", 3306, 200),
                "198.18.0.11:3306 lag 100, [2001:db8::12]:3306 lag 200"), 0)
    diag("[b]")
    expect(send(X.b, CMD_SET, replica("198.18.0.11", 3306, 300), "198.18.0.11:3306 lag 300"), 0)


@case("netns", "each netns sees only its own: a's 2, b's 1, none in the root netns")
def _():
    expect_table(X.a, NS_A, "[a] table")
    expect_table(X.b, NS_B, "[b] table")
    expect_table(X.root, [], "[root] table")
    diag("[b]")
    expect(send(X.b, CMD_GET, replica("2001:db8::12", 3306), "[2001:db8::12]:3306 (a's)"),
           errno.ENOENT, "no such replica")
    diag("[root]")
    expect(send(X.root, CMD_DEL, replica("198.18.0.11", 3306), "198.18.0.11:3306 (a's and b's)"),
           errno.ENOENT, "no such replica")


@case("netns", "FLUSH in a empties a and leaves b intact")
def _():
    diag("[a]")
    flush(X.a)
    expect_table(X.a, [], "[a] table")
    expect_table(X.b, NS_B, "[b] table")


@case("netns", "a hash seed per netns: the same 64 replicas dump in another order in a and b")
def _():
    keys = [f"198.18.20.{i}" for i in range(1, 65)]
    p = b"".join(replica(k, 3306, 5) for k in keys)
    orders = {}
    for name, sock in (("a", X.a), ("b", X.b)):
        diag(f"[{name}]")
        expect(send(sock, CMD_SET, p, "198.18.20.1..64:3306 lag 5"), 0)
        orders[name] = [r["addr"] for r in sock.replicas() if r["addr"] in keys]
        diag(f"[{name}] dump order: {' '.join(a.rsplit('.', 1)[1] for a in orders[name][:16])} ...")
    check(sorted(orders["a"]) == sorted(keys) == sorted(orders["b"]), "not the 64 in both")
    check(orders["a"] != orders["b"], "the same bucket order in both: one hash seed for all")
    for k in keys:
        X.b.request(CMD_DEL, replica(k, 3306))
    flush(X.a)
    expect_table(X.b, NS_B, "[b] table")


# ---- 8. events ---------------------------------------------------------------------
def ev(addr, old, new, reason):
    return (addr, 3306, old, new, reason)


def expect_events(want, what):
    got = X.listen.events(len(want), timeout=3)
    got += X.listen.events(timeout=0.2)	# and nothing more
    got = [(e.get("addr"), e.get("port"), e.get("old_state"), e.get("state"), e.get("reason"))
           for e in got]
    for e in got:
        diag(f"event: {e[0]}:{e[1]} {e[2]} -> {e[3]}, reason {e[4]}")
    if not got:
        diag("no event")
    check(got == want, f"events for {what} are not {want}")


def sub_set(addr, lag, owner):
    """SET from a child process that then exits."""
    code = ("import sys; sys.path.insert(0, %r); import genl; s = genl.Genl('lagwlc'); "
            "p = genl.replica(%r, 3306, %d)%s; e = s.request(genl.CMD_SET, p)[0]; "
            "sys.exit(-e)") % (os.path.dirname(os.path.abspath(__file__)), addr, lag,
                               " + genl.nla(genl.A_SOCKET_OWNER, b'')" if owner else "")
    diag(f"child process: SET {addr}:3306 lag {lag}"
         f"{' with LAGWLC_A_SOCKET_OWNER' if owner else ''}, then exit")
    rc = subprocess.run([sys.executable, "-c", code], timeout=30).returncode
    check(rc == 0, f"the child's SET failed: {errno.errorcode.get(rc, rc)}")


@case("events", "a new replica: none -> ok, reason report")
def _():
    X.c = Genl("lagwlc")
    flush(X.c)
    X.listen = Genl("lagwlc")
    X.listen.subscribe()
    diag(f"listener subscribed to \"events\" (group {X.listen.groups['events']})")
    expect(send(X.c, CMD_SET, replica("198.18.0.31", 3306, 100), "198.18.0.31:3306 lag 100"), 0)
    expect_events([ev("198.18.0.31", "none", "ok", "report")], "a new replica")


@case("events", "a lag over max_lag_ms: ok -> lagging, reason report")
def _():
    expect(send(X.c, CMD_SET, replica("198.18.0.31", 3306, 6000),
                f"198.18.0.31:3306 lag 6000 (max_lag_ms {param('max_lag_ms')})"), 0)
    expect_events([ev("198.18.0.31", "ok", "lagging", "report")], "lag over max_lag_ms")


@case("events", "max_lag_ms lowered under a replica's lag: ok -> lagging, reason tunable")
def _():
    expect(send(X.c, CMD_SET, replica("198.18.0.32", 3306, 3000), "198.18.0.32:3306 lag 3000"), 0)
    expect_events([ev("198.18.0.32", "none", "ok", "report")], "a new replica")
    old = param("max_lag_ms")
    try:
        param("max_lag_ms", 2500)
        expect_events([ev("198.18.0.32", "ok", "lagging", "tunable")], "max_lag_ms 2500")
    finally:
        param("max_lag_ms", old)
    diag(f"(lag 3000 is over readmit_lag_ms {param('readmit_lag_ms')}: still lagging)")
    expect_events([], f"max_lag_ms back to {old}")


@case("events", "a DEL: lagging -> none, reason delete")
def _():
    expect(send(X.c, CMD_DEL, replica("198.18.0.31", 3306), "198.18.0.31:3306"), 0)
    expect_events([ev("198.18.0.31", "lagging", "none", "delete")], "DEL")


@case("events", "a FLUSH: lagging -> none, reason flush")
def _():
    flush(X.c)
    expect_events([ev("198.18.0.32", "lagging", "none", "flush")], "FLUSH")


@case("events", "a SOCKET_OWNER reporter exits: none -> ok, then ok -> stale, reason release")
def _():
    sub_set("198.18.0.33", 100, owner=True)
    expect_events([ev("198.18.0.33", "none", "ok", "report"),
                   ev("198.18.0.33", "ok", "stale", "release")], "an owner that exits")
    expect_table(X.c, [("198.18.0.33", 3306, 100, "up", "stale")])


@case("events", "a one-shot reporter (no SOCKET_OWNER) exits: none -> ok, and it stays ok")
def _():
    sub_set("198.18.0.34", 100, owner=False)
    expect_events([ev("198.18.0.34", "none", "ok", "report")], "a one-shot reporter")
    expect_table(X.c, [("198.18.0.33", 3306, 100, "up", "stale"),
                       ("198.18.0.34", 3306, 100, "up", "ok")])
    flush(X.c)
    X.listen.events(timeout=0.2)


@case("events", "evict_ms 1000: a replica whose owner exited is forgotten 1 s later, "
      "stale -> none, reason evict")
def _():
    param("evict_ms", 1000)
    sub_set("198.18.0.35", 100, owner=True)
    expect_events([ev("198.18.0.35", "none", "ok", "report"),
                   ev("198.18.0.35", "ok", "stale", "release"),
                   ev("198.18.0.35", "stale", "none", "evict")], "an owner that exits, evict_ms 1000")
    expect_table(X.c, [])


@case("events", "stale_policy closed keeps it (its stale entry keeps the replica out); "
      "back to open, it is evicted at once")
def _():
    param("stale_policy", "closed")
    sub_set("198.18.0.36", 100, owner=True)
    expect_events([ev("198.18.0.36", "none", "ok", "report"),
                   ev("198.18.0.36", "ok", "stale", "release")], "an owner that exits")
    got = X.listen.events(timeout=2.5)
    check(not got, f"events within 2.5 s under stale_policy closed: {got}")
    expect_table(X.c, [("198.18.0.36", 3306, 100, "up", "stale")])
    param("stale_policy", "open")
    expect_events([ev("198.18.0.36", "stale", "none", "evict")], "stale_policy open")
    param("evict_ms", 600000)


@case("events", "after a release armed the 10-minute eviction, a new report still times out "
      "after stale_ms: ok -> stale, reason timeout")
def _():
    param("stale_ms", 1000)
    try:
        sub_set("198.18.0.37", 100, owner=True)
        expect_events([ev("198.18.0.37", "none", "ok", "report"),
                       ev("198.18.0.37", "ok", "stale", "release")], "an owner that exits")
        expect(send(X.c, CMD_SET, replica("198.18.0.38", 3306, 100), "198.18.0.38:3306 lag 100"), 0)
        expect_events([ev("198.18.0.38", "none", "ok", "report"),
                       ev("198.18.0.38", "ok", "stale", "timeout")], "stale_ms 1000")
    finally:
        param("stale_ms", 600000)
        flush(X.c)
        X.listen.events(timeout=0.2)


# ---------------------------------------------------------------------------------------
SETUP = {"malformed": malformed_setup}


def run(group):
    cases = GROUPS[group]
    try:
        if group in SETUP:
            SETUP[group]()
    except Exception:
        diag(*traceback.format_exc().splitlines())
        for desc, _ in cases:
            print(f"not ok - {desc} (group setup failed)", flush=True)
        return 1
    failed = 0
    for desc, fn in cases:
        try:
            fn()
            print(f"ok - {desc}", flush=True)
        except Fail as e:
            diag(f"FAIL: {e}")
            print(f"not ok - {desc}", flush=True)
            failed += 1
        except Exception:
            diag(*traceback.format_exc().splitlines())
            print(f"not ok - {desc}", flush=True)
            failed += 1
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ["plan"]:
        for group, cases in GROUPS.items():
            print(group, len(cases))
    elif len(sys.argv) == 2 and sys.argv[1] in GROUPS:
        sys.exit(run(sys.argv[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
