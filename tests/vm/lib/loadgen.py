#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A steady stream of short connections, each one logged with its time.

    loadgen.py --svc VIP:PORT --duration S [--fwd dr|nat]

Runs in the client's namespace against realserver.py: opens a connection,
reads the real server's name, ends it the way the director must see (as
conndriver.py's "cycle": half-close in DR, "q" in NAT, then waits for
"bye"), and starts the next one at once, for S seconds. Every ended
connection is kept open to the end (as conndriver.py does) so that no RST
reaches the director: IPVS counts it as an inactive connection.

Prints "started" when the first connection is done, then one line per
connection, "TIME NAME" (TIME: the wall clock, seconds, when the real
server's name arrived; NAME "none" when the connection failed).
"""
import argparse
import resource
import socket
import time


def read_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(64)
        if not chunk:
            break
        buf += chunk
    return buf.decode().strip()


def one(host, port, fwd, kept):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    try:
        sock.connect((host, port))
        name = read_line(sock)
        now = time.time()
        if fwd == "dr":
            sock.shutdown(socket.SHUT_WR)
        else:
            sock.sendall(b"q\n")
        if read_line(sock) != "bye":
            raise OSError("no bye")
    except OSError:
        sock.close()
        return time.time(), "none"
    kept.append(sock)
    return now, name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--svc", required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--fwd", choices=("dr", "nat"), default="dr")
    args = ap.parse_args()
    host, port = args.svc.rsplit(":", 1)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    kept = []
    end = time.monotonic() + args.duration
    first = True
    while time.monotonic() < end:
        t, name = one(host, int(port), args.fwd, kept)
        if first:
            print("started", flush=True)
            first = False
        print("%.3f %s" % (t, name), flush=True)


if __name__ == "__main__":
    main()
