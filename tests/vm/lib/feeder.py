#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A prober stand-in for the staleness tests.

    feeder.py ADDR:PORT LAG_MS [down]

Reports one replica once with LAGWLC_A_SOCKET_OWNER, prints "fed", then
stays alive and silent with its netlink socket open until killed: alive but
silent, it lets the entry age into "stale" after stale_ms; killed, its
socket closes and the kernel marks the entry stale at once.
"""
import os
import signal
import sys

import genl


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    host, port = sys.argv[1].rsplit(":", 1)
    health = genl.HEALTH_DOWN if sys.argv[3:4] == ["down"] else genl.HEALTH_UP
    sock = genl.Genl("lagwlc")
    err, _, info = sock.request(
        genl.CMD_SET,
        genl.replica(host.strip("[]"), int(port), int(sys.argv[2]), health) +
        genl.nla(genl.A_SOCKET_OWNER, b""))
    if err:
        sys.exit(f"feeder: {info.get('msg', '')}: {os.strerror(-err)}")
    print("fed", flush=True)
    signal.pause()


if __name__ == "__main__":
    main()
