#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Readers for the e2e lab: each read is a new connection through the VIP.

    dbreader.py --host VIP [--port 3306] --password PW [--user app]
                [--rate N] [--threads N] [--duration S]

RATE reads a second in all (spread over THREADS threads), until SIGTERM or
DURATION seconds. Each read connects, runs one query on the lab's counter
(app.counter, written on the primary every few ms) and disconnects. One line
a read, flushed:

    T SERVER_ID N AGE_MS CONNECT_MS PORT
                                        a read: T (epoch s) when it was sent,
                                        the replica's @@server_id, the counter
                                        it saw and how old that value was at
                                        the replica at the moment of the read,
                                        the connect's duration, the local port
    T ERR MESSAGE                       a failed read

A first line "# started" tells the caller it runs.
"""
import argparse
import signal
import sys
import threading
import time

import pymysql

QUERY = ("SELECT @@server_id, n, "
         "TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) FROM app.counter WHERE id = 1")

stop = threading.Event()
out_lock = threading.Lock()


def emit(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def read_once(args):
    t = time.time()
    try:
        conn = pymysql.connect(host=args.host, port=args.port, user=args.user,
                               password=args.password, connect_timeout=2,
                               read_timeout=2, write_timeout=2)
        c = time.time()
        port = conn._sock.getsockname()[1]
        try:
            with conn.cursor() as cur:
                cur.execute(QUERY)
                sid, n, age_us = cur.fetchone()
        finally:
            conn.close()
        emit("%.6f %d %d %d %d %d" % (t, sid, n, (age_us or 0) // 1000, (c - t) * 1000, port))
    except Exception as e:  # a failed read is a result too
        emit("%.6f ERR %s" % (t, repr(e).replace("\n", " ")))


def worker(args, period, offset, end):
    nxt = time.monotonic() + offset
    while not stop.is_set() and time.monotonic() < end:
        delay = nxt - time.monotonic()
        if delay > 0 and stop.wait(delay):
            break
        read_once(args)
        nxt += period
        if nxt < time.monotonic():  # fell behind: skip, don't burst
            nxt = time.monotonic()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=3306)
    ap.add_argument("--user", default="app")
    ap.add_argument("--password", required=True)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=float, default=1e9)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    period = args.threads / args.rate
    end = time.monotonic() + args.duration
    emit("# started")
    ts = [threading.Thread(target=worker, args=(args, period, i * period / args.threads, end))
          for i in range(args.threads)]
    for t in ts:
        t.start()
    for t in ts:
        while t.is_alive():
            t.join(0.2)


if __name__ == "__main__":
    main()
