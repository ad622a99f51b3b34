#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""systemd's side of sd_notify(3), for tests: bind an AF_UNIX datagram
socket where $NOTIFY_SOCKET will point and print each notification as it
arrives, one line each, stamped with the wall clock:

    EPOCH pid=PID KEY=VALUE|KEY=VALUE...

EPOCH is when the kernel queued the datagram (SO_TIMESTAMP), not when
this script read it: while CMD runs, datagrams wait in the queue.

The sender's pid comes from SCM_CREDENTIALS (SO_PASSCRED), as systemd
takes it for NotifyAccess=main. On the first READY=1 it runs CMD (e.g.
"lagwlcctl -j show") at once and prints "EPOCH ready-table OUTPUT" (one
line), so that a test can see what the kernel held when READY arrived.

Usage: sdlisten.py ADDRESS [CMD...]; ADDRESS is a path (made writable by
anyone: the daemon under test may run as another user) or @NAME (abstract).
Prints "listening" once bound; runs until killed.

sdlisten.py --stalls: the reference for a watchdog's timing instead: sleep
50 ms at a time and print "late EPOCH SECONDS" for each wake-up late by
over 0.2 s (EPOCH when it was due): stalls of the CPU it is pinned to
(taskset), which no daemon on it could help (TCG: a vCPU thread the
loaded host does not run).
"""
import os
import socket
import struct
import subprocess
import sys
import time

# SO_TIMESTAMP (SCM_TIMESTAMP, a struct timeval): Python names it on some
# builds only; 29 on Linux
SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)


def stalls():
    while True:
        due = time.time() + 0.05
        time.sleep(0.05)
        late = time.time() - due
        if late > 0.2:
            print("late %.6f %.3f" % (due, late), flush=True)


def main():
    if sys.argv[1] == "--stalls":
        stalls()
        return
    addr = sys.argv[1]
    cmd = sys.argv[2:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    if addr.startswith("@"):
        s.bind("\0" + addr[1:])
    else:
        try:
            os.unlink(addr)
        except FileNotFoundError:
            pass
        s.bind(addr)
        os.chmod(addr, 0o777)
    print("listening", flush=True)
    ready_seen = False
    creds_len = struct.calcsize("3i")
    tv_len = struct.calcsize("ll")
    while True:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(creds_len) + socket.CMSG_SPACE(tv_len))
        now = time.time()
        pid = "?"
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = str(struct.unpack("3i", cdata[:creds_len])[0])
            elif level == socket.SOL_SOCKET and typ == SO_TIMESTAMP:
                sec, usec = struct.unpack("ll", cdata[:tv_len])
                now = sec + usec / 1e6
        text = data.decode(errors="replace")
        print("%.6f pid=%s %s" % (now, pid, text.replace("\n", "|")), flush=True)
        if cmd and not ready_seen and "READY=1" in text.split("\n"):
            ready_seen = True
            out = subprocess.run(cmd, capture_output=True, text=True)
            print("%.6f ready-table %s" % (time.time(), (out.stdout + out.stderr).replace("\n", " ")),
                  flush=True)


if __name__ == "__main__":
    main()
