#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The "use" of t-module-lifecycle.sh's and t-soak.sh's load/use/unload
cycles, in one long-lived process (a Python start per cycle would cost the
guest seconds).

    cycleuser.py       then commands on stdin, one a line; each is answered
                       with one line on stdout

  own ADDR:PORT LAG    close the previous lagwlc socket (if any), open a new
                       one (the family id changes with each load) and report
                       the replica on it with LAGWLC_A_SOCKET_OWNER, keeping
                       the socket open; then find it in a dump: "owned", or
                       "error MESSAGE"
  del ADDR:PORT        LAGWLC_CMD_REPLICA_DEL on that socket: "deleted", or
                       "error MESSAGE"
  connect VIP:PORT N   open N TCP connections to VIP:PORT without waiting for
                       an answer: each SYN leaves in connect(), so IPVS has
                       scheduled it when connect() returns; then drop them:
                       "connected N", or "error MESSAGE"
  udp VIP:PORT N        send one datagram to VIP:PORT from each of N sockets
                       (N flows: IPVS schedules each on its first
                       datagram, by the time sendto() returns), then count
                       IPVS's UDP connections to VIP:PORT: "sent N, M in IPVS"
  monitor              close the previous events socket (if any), open one
                       subscribed to the family's "events": "monitoring"
  event ADDR:PORT S    wait up to S seconds for an event about that replica
                       on the events socket: "event STATE REASON", or "error
                       MESSAGE"
  close                close the reporting and the events sockets: "closed"
"""
import errno
import os
import socket
import sys
import time

import genl


def own(words, state):
    host, port = words[1].rsplit(":", 1)
    if state.get("sock"):
        state["sock"].close()
        state["sock"] = None
    sock = genl.Genl("lagwlc")
    err, _, info = sock.request(
        genl.CMD_SET,
        genl.replica(host, int(port), int(words[2]), genl.HEALTH_UP) +
        genl.nla(genl.A_SOCKET_OWNER, b""))
    if err:
        sock.close()
        return f"error {info.get('msg', '')}: {os.strerror(-err)}"
    state["sock"] = sock
    held = [r for r in sock.replicas()
            if r.get("addr") == host and r.get("port") == int(port)]
    if len(held) != 1 or held[0].get("lag_ms") != int(words[2]):
        return f"error not in the dump as reported: {held}"
    return "owned"


def delete(words, state):
    host, port = words[1].rsplit(":", 1)
    if not state.get("sock"):
        return "error no socket (own first)"
    err, _, info = state["sock"].request(genl.CMD_DEL, genl.replica(host, int(port)))
    if err:
        return f"error {info.get('msg', '')}: {os.strerror(-err)}"
    return "deleted"


def connect(words):
    host, port = words[1].rsplit(":", 1)
    socks = []
    try:
        for _ in range(int(words[2])):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            socks.append(s)
            rc = s.connect_ex((host, int(port)))
            if rc not in (0, errno.EINPROGRESS):
                return f"error connect: {os.strerror(rc)}"
        return f"connected {len(socks)}"
    finally:
        for s in socks:
            s.close()


def udp(words):
    host, port = words[1].rsplit(":", 1)
    for _ in range(int(words[2])):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"x", (host, int(port)))
    vip = socket.inet_aton(host).hex().upper()
    with open("/proc/net/ip_vs_conn") as f:
        # Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires ...
        n = sum(1 for line in f
                if [line.split()[i] for i in (0, 3, 4)] == ["UDP", vip, f"{int(port):04X}"])
    return f"sent {words[2]}, {n} in IPVS"


def monitor(state):
    if state.get("mon"):
        state["mon"].close()
    state["mon"] = genl.Genl("lagwlc")
    state["mon"].subscribe()
    return "monitoring"


def event(words, state):
    host, port = words[1].rsplit(":", 1)
    if not state.get("mon"):
        return "error no events socket (monitor first)"
    deadline = time.monotonic() + float(words[2])
    while (left := deadline - time.monotonic()) > 0:
        for e in state["mon"].events(1, left):
            if e.get("addr") == host and e.get("port") == int(port):
                return f"event {e.get('state')} {e.get('reason')}"
    return "error no event"


def close(state):
    for name in ("sock", "mon"):
        if state.get(name):
            state[name].close()
            state[name] = None
    return "closed"


def main():
    state = {}
    for line in sys.stdin:
        words = line.split()
        try:
            if len(words) == 3 and words[0] == "own":
                reply = own(words, state)
            elif len(words) == 3 and words[0] == "connect":
                reply = connect(words)
            elif len(words) == 2 and words[0] == "del":
                reply = delete(words, state)
            elif len(words) == 3 and words[0] == "udp":
                reply = udp(words)
            elif words == ["monitor"]:
                reply = monitor(state)
            elif len(words) == 3 and words[0] == "event":
                reply = event(words, state)
            elif words == ["close"]:
                reply = close(state)
            else:
                reply = f"error unknown command {line.strip()!r}"
        except Exception as exc:  # report, keep serving the next cycle
            reply = f"error {exc.__class__.__name__}: {exc}"
        print(reply, flush=True)


if __name__ == "__main__":
    main()
