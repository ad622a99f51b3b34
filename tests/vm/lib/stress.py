#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One of t-stress.sh's netlink workers: many operations in one process
(a program's start costs the guest a good part of a second under TCG).

    stress.py MODE SECONDS SEED

  writer   SET (1..4 replicas, lag or down), DEL, FLUSH on one socket
  owner    SETs with LAGWLC_A_SOCKET_OWNER on up to 4 sockets at once; a
           socket is closed now and then (NETLINK_URELEASE) and a new one
           opened; DELs
  monitor  a socket subscribed to "events", read for 0..0.3 s, closed;
           then the next
  dump     LAGWLC_CMD_GET dumps, some abandoned half-way (socket closed)

Keys are those of t-stress.sh's services: 198.18.0.11..13:3306 and
198.18.2.1..198.18.3.254 on ports 4000..4007.

When SECONDS are over it prints one line, "OPS EXPECTED DETAIL", then one
"bad: ..." line per unexpected error (ENOSPC on SET when max_entries is
reached and ENOENT on DEL are expected; a dump marked interrupted too).
"""
import errno
import os
import random
import struct
import sys
import time

import genl


def key(rng):
    if rng.randrange(4) == 0:
        return f"198.18.0.1{rng.randrange(1, 4)}", 3306
    return f"198.18.{rng.randrange(2, 4)}.{rng.randrange(1, 255)}", 4000 + rng.randrange(8)


class Worker:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.ops = 0
        self.exp = 0
        self.bad = []
        self.n = {}

    def count(self, what, err, expected=()):
        self.ops += 1
        self.n[what] = self.n.get(what, 0) + 1
        if err in expected:
            self.exp += 1
        elif err:
            self.bad.append(f"{what}: {os.strerror(-err)}")

    def set_msg(self):
        rng = self.rng
        attrs = b""
        # each replica once: the module refuses a message naming one twice
        for host, port in {key(rng) for _ in range(rng.randrange(1, 5))}:
            if rng.randrange(8) == 0:
                attrs += genl.replica(host, port, None, genl.HEALTH_DOWN)
            else:
                attrs += genl.replica(host, port, rng.randrange(12000), genl.HEALTH_UP)
        return attrs


def writer(w, end):
    sock = genl.Genl("lagwlc")
    while time.monotonic() < end:
        r = w.rng.randrange(40)
        if r == 0:
            err, _, _ = sock.request(genl.CMD_FLUSH)
            w.count("FLUSH", err)
        elif r < 12:
            err, _, _ = sock.request(genl.CMD_DEL, genl.replica(*key(w.rng)))
            w.count("DEL", err, (-errno.ENOENT,))
        else:
            err, _, _ = sock.request(genl.CMD_SET, w.set_msg())
            w.count("SET", err, (-errno.ENOSPC,))
        time.sleep(0.005)


def owner(w, end):
    socks = []
    while time.monotonic() < end:
        if not socks or (len(socks) < 4 and w.rng.randrange(8) == 0):
            socks.append(genl.Genl("lagwlc"))
            w.n["socket"] = w.n.get("socket", 0) + 1
        sock = w.rng.choice(socks)
        if w.rng.randrange(4):
            err, _, _ = sock.request(genl.CMD_SET, w.set_msg() + genl.nla(genl.A_SOCKET_OWNER, b""))
            w.count("owned SET", err, (-errno.ENOSPC,))
        else:
            err, _, _ = sock.request(genl.CMD_DEL, genl.replica(*key(w.rng)))
            w.count("DEL", err, (-errno.ENOENT,))
        if w.rng.randrange(30) == 0:
            socks.remove(sock)
            sock.close()
            w.count("release", 0)
        time.sleep(0.005)
    for sock in socks:
        sock.close()


def monitor(w, end):
    while time.monotonic() < end:
        sock = genl.Genl("lagwlc")
        sock.subscribe()
        try:
            got = sock.events(None, w.rng.uniform(0, 0.3))
            w.n["events"] = w.n.get("events", 0) + len(got)
            w.count("subscribed socket", 0)
        except OSError as exc:
            # ENOBUFS: the kernel dropped events for a slow reader
            w.count("subscribed socket", -exc.errno, (-errno.ENOBUFS,))
        sock.close()


def dump(w, end):
    while time.monotonic() < end:
        sock = genl.Genl("lagwlc")
        if w.rng.randrange(3):
            try:
                err, msgs, info = sock.request(genl.CMD_GET, dump=True)
                w.n["entries dumped"] = w.n.get("entries dumped", 0) + len(msgs)
                w.count("dump", err)
            except OSError as exc:
                w.count("dump", -exc.errno)
        else:
            # the first part of a dump, then the socket goes away
            sock.send(genl.CMD_GET, b"", genl.NLM_F_REQUEST | genl.NLM_F_ACK | genl.NLM_F_DUMP)
            sock.sock.recv(4096)
            w.count("abandoned dump", 0)
        sock.close()
        time.sleep(0.005)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("writer", "owner", "monitor", "dump"):
        sys.exit(__doc__)
    mode, seconds, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    w = Worker(seed)
    end = time.monotonic() + seconds
    try:
        globals()[mode](w, end)
    except (OSError, genl.NetlinkError, struct.error) as exc:
        w.bad.append(f"{mode} stopped: {exc.__class__.__name__}: {exc}")
    detail = ", ".join(f"{v} {k}" for k, v in w.n.items())
    print(f"{w.ops} {w.exp} {detail}")
    for b in w.bad[:20]:
        print(f"bad: {b}")
    if len(w.bad) > 20:
        print(f"bad: ... {len(w.bad) - 20} more")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
