#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The demo's live table and its summary (scripts/demo, in the guest).

    demo-watch.py watch --ctl LAGWLCCTL --reads FILE --phases FILE
                        --narration FILE --csv FILE [--tty] [--t0 EPOCH]
    demo-watch.py summary --reads FILE --phases FILE [--stale-ms 5000]

watch runs in the director's namespace until SIGTERM. Every 0.5 s it asks
the module (lagwlcctl -j show) for each replica's lag and state, counts the
reader's new connections per replica (dbreader.py's lines: T SERVER_ID N
AGE_MS CONNECT_MS PORT) and appends "t,replica,lag_ms,state,weight,share"
to the CSV. It is the only writer to the terminal while the story runs: the
story appends its narration to a file, and watch prints the new lines above
the table. On a terminal the table is redrawn in place every second; else
(a CI log) it is printed as a plain block every 5 s.

PHASES holds "EPOCH<TAB>SCHEDULER<TAB>TITLE" a line, the last one current;
summary counts the reads of each phase per replica.
"""
import argparse
import json
import signal
import subprocess
import sys
import time

from demo_files import parse_read, read_phases

REPLICAS = [("r1", "198.18.0.11", 11), ("r2", "198.18.0.12", 12), ("r3", "198.18.0.13", 13)]
WINDOW = 2.0    # seconds of reads behind the share column
BAR = 10


class Reads:
    """dbreader.py's output, read incrementally: (t, server_id or None, age_ms)"""

    def __init__(self, path):
        self.path, self.pos, self.rows = path, 0, []

    def update(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return
        # only complete lines: the reader may be half way through one
        end = data.rfind("\n") + 1
        self.pos += len(data[:end].encode())
        for line in data[:end].splitlines():
            self.rows.append(parse_read(line))
        self.rows = [r for r in self.rows if r]

    def window(self, a, b):
        return [r for r in self.rows if a <= r[0] < b]


def shares(rows):
    """{server_id or None: fraction} of ROWS"""
    n = len(rows)
    out = {}
    for _, sid, _ in rows:
        out[sid] = out.get(sid, 0) + 1
    return {k: v / n for k, v in out.items()} if n else {}


def show(ctl):
    """{address: (lag_ms, state, weight)} from the module, via lagwlcctl"""
    try:
        p = subprocess.run([ctl, "-j", "show"], capture_output=True, text=True, timeout=2)
        j = json.loads(p.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}
    weights = {}
    for svc in j.get("services", []):
        for d in svc.get("destinations", []):
            weights[d["address"]] = d.get("weight")
    out = {}
    for r in j.get("replicas", []):
        out[r["address"]] = (r.get("lag_ms"), r.get("state"), weights.get(r["address"]))
    for svc in j.get("services", []):
        for d in svc.get("destinations", []):
            out.setdefault(d["address"], (d.get("lag_ms"), d.get("state"), d.get("weight")))
    return out


class Watch:
    def __init__(self, a):
        self.a = a
        self.reads = Reads(a.reads)
        self.csv = open(a.csv, "a")
        if self.csv.tell() == 0:
            self.csv.write("t,replica,lag_ms,state,weight,share\n")
        self.narr_pos = 0
        self.drawn = 0          # table lines on screen, to move back over
        self.weights = {}       # last known: rr's services are not in show
        self.state = {}
        self.last_block = 0.0

    def narration(self):
        try:
            with open(self.a.narration) as f:
                f.seek(self.narr_pos)
                data = f.read()
        except OSError:
            return ""
        end = data.rfind("\n") + 1
        self.narr_pos += len(data[:end].encode())
        return data[:end]

    def sample(self, now):
        self.reads.update()
        st = show(self.a.ctl)
        if not st:
            return      # lagwlcctl timed out (a loaded host): no sample, not a gap
        sh = shares(self.reads.window(now - WINDOW, now))
        for name, addr, sid in REPLICAS:
            lag, state, w = st.get(addr, (None, None, None))
            if w is not None:
                self.weights[addr] = w
            w = self.weights.get(addr)
            self.state[addr] = (lag, state or "-", w)
            self.csv.write("%.3f,%s,%s,%s,%s,%.3f\n" % (
                now, name, "" if lag is None else lag, state or "", "" if w is None else w,
                sh.get(sid, 0.0)))
        self.csv.flush()

    def table(self, now):
        ph = read_phases(self.a.phases)
        sched, title = (ph[-1][1], ph[-1][2]) if ph else ("lagwlc", "setting up")
        rows = self.reads.window(now - WINDOW, now)
        sh = shares(rows)
        allr = self.reads.rows
        lines = [
            "  +%3d s  %-46.46s  scheduler %s" % (now - self.a.t0, title, sched),
            "  replica        weight  lag (ms)  state    new conns, last 2 s   reads stale",
        ]
        for name, addr, sid in REPLICAS:
            lag, state, w = self.state.get(addr, (None, "-", None))
            s = sh.get(sid, 0.0)
            n = round(s * BAR)
            total = sum(1 for r in allr if r[1] == sid)
            stale = sum(1 for r in allr if r[1] == sid and r[2] > self.a.stale_ms)
            lines.append("  %-2s %-11s %6s  %8s  %-7s  [%s%s] %3d %%   %6d %5d" % (
                name, addr, "-" if w is None else w, "-" if lag is None else lag, state,
                "#" * n, "." * (BAR - n), round(100 * s), total, stale))
        err = sh.get(None, 0.0)
        lines.append("  %d new connections in the last 2 s%s" % (
            len(rows), ", %d %% failed" % round(100 * err) if err else ""))
        return lines

    def tick(self, now, narr, table=True, final=False):
        if self.a.tty:
            out = ""
            if self.drawn:
                # back to the table's first line, clear it and what follows
                out += "\x1b[%dF\x1b[J" % self.drawn
            out += narr
            t = self.table(now)
            out += "\n".join(t) + "\n"
            self.drawn = len(t)
            # one write a frame: the host shows the guest's output as it
            # is flushed, half a frame would flicker
            sys.stdout.write(out)
        else:
            out = narr
            if final or (table and now - self.last_block >= 5):
                out += "\n".join(self.table(now)) + "\n"
                self.last_block = now
            sys.stdout.write(out)
        sys.stdout.flush()


def watch(a):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    w = Watch(a)
    w.last_block = time.time()
    nxt_draw = 0.0
    while not stop:
        now = time.time()
        w.sample(now)
        # narration as soon as it comes, the table once a second
        narr = w.narration()
        if narr or now >= nxt_draw:
            w.tick(now, narr, table=now >= nxt_draw)
            if now >= nxt_draw:
                nxt_draw = now + 1.0
        time.sleep(0.5)
    now = time.time()
    w.sample(now)
    w.tick(now, w.narration(), final=True)
    w.csv.close()


def summary(a):
    reads = Reads(a.reads)
    reads.update()
    ph = read_phases(a.phases)
    print("  %-40s %4s %5s %4s %4s %4s %6s %5s" % (
        "phase", "s", "reads", "r1", "r2", "r3", "failed", "stale"))
    for i in range(len(ph) - 1):
        t0, sched, title = ph[i]
        rows = reads.window(t0, ph[i + 1][0])
        if not rows:
            continue
        sh = shares(rows)
        stale = sum(1 for r in rows if r[1] is not None and r[2] > a.stale_ms)
        print("  %-40.40s %4d %5d %3d%% %3d%% %3d%% %6d %5d" % (
            title, ph[i + 1][0] - t0, len(rows),
            *(round(100 * sh.get(sid, 0)) for _, _, sid in REPLICAS),
            sum(1 for r in rows if r[1] is None), stale))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("watch")
    w.add_argument("--ctl", required=True)
    w.add_argument("--narration", required=True)
    w.add_argument("--csv", required=True)
    w.add_argument("--tty", action="store_true")
    w.add_argument("--t0", type=float, default=time.time())
    s = sub.add_parser("summary")
    for p in (w, s):
        p.add_argument("--reads", required=True)
        p.add_argument("--phases", required=True)
        p.add_argument("--stale-ms", type=int, default=5000)
    a = ap.parse_args()
    if a.cmd == "watch":
        watch(a)
    else:
        summary(a)


if __name__ == "__main__":
    main()
