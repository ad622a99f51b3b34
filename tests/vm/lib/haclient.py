#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Clients through the VIP for the HA tests (tests/vm/t-ha-*.sh), as the lab's
app account (SELECT @@server_id: which replica answered).

  haclient.py watch DEADLINE_S
      prints "ready", then opens a new session every 50 ms (each try 0.5 s
      at most) until stdin is closed or DEADLINE_S passes; a line each:
      "START END ok SERVER_ID" or "START END fail" (seconds since the
      epoch). Started ahead of a failover, its start-up (seconds under
      TCG) is not in the figures.
  haclient.py who SRC...
      one new session from each source address SRC; a line "SRC SERVER_ID"
      or "SRC error WHY" each
  haclient.py hold
      one session kept open; every line read from stdin runs SELECT
      @@server_id on it and prints "SERVER_ID" or "error WHY"; prints
      "connected SERVER_ID LOCAL_PORT" first
"""
import sys
import threading
import time

import pymysql

VIP = "198.18.0.100"
PORT = 3306


def connect(src=None, timeout=0.5):
    return pymysql.connect(host=VIP, port=PORT, user="app", password="app-pw",
                           connect_timeout=timeout, read_timeout=5, write_timeout=5,
                           bind_address=src)


def server_id(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT @@server_id")
        return cur.fetchone()[0]


def watch(deadline):
    done = threading.Event()

    def wait_stdin():
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    print("ready", flush=True)
    end = time.time() + deadline
    while not done.is_set() and time.time() < end:
        t = time.time()
        try:
            conn = connect()
            sid = server_id(conn)
            conn.close()
            print("%.3f %.3f ok %d" % (t, time.time(), sid), flush=True)
        except Exception:
            print("%.3f %.3f fail" % (t, time.time()), flush=True)
        time.sleep(0.05)
    return 0


def who(srcs):
    for src in srcs:
        try:
            conn = connect(src, timeout=3)
            print(src, server_id(conn), flush=True)
            conn.close()
        except Exception as e:
            print(src, "error", repr(e), flush=True)
    return 0


def hold():
    conn = connect(timeout=5)
    print("connected", server_id(conn), conn._sock.getsockname()[1], flush=True)
    for _ in sys.stdin:
        try:
            print(server_id(conn), flush=True)
        except Exception as e:
            print("error", repr(e), flush=True)
    return 0


def main():
    cmd = sys.argv[1]
    if cmd == "watch":
        return watch(float(sys.argv[2]))
    if cmd == "who":
        return who(sys.argv[2:])
    if cmd == "hold":
        return hold()
    print("usage: haclient.py watch|who|hold ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
