#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Watch what the module holds (lagwlcctl -j show), for the lagwlcd test.

    lagwatch.py CTL @T0FILE TIMEOUT [--hold SECONDS] COND...

Runs `CTL -j show` back to back (run it in the director's namespace) until
every COND holds at once, or TIMEOUT seconds after T0; with --hold it then
goes on sampling for SECONDS more. It prints "ready" after its first dump
and goes on dumping until T0FILE appears, holding T0: a wall-clock time in
seconds (bash's $EPOCHREALTIME, written right before the action being
timed). Only dumps begun at T0 or later count, so neither Python's start-up
nor anything before the action does.

COND is NAME.FIELD OP VALUE in one word: NAME is primary (198.18.0.10:3306),
rN (198.18.0.1N:3306) or ADDR:PORT; FIELD is state, health, lag (lag_ms) or
age (age_ms); OP is = != < <= > >=. A replica with no entry has state
"none" and no lag or age (numeric comparisons are false). With no COND the
conditions hold at once (sampling only, with --hold).

Output, one line each (after "ready"):
    met MS res MS          ms from T0 to the end of the dump that showed it,
                           and the mean time one dump takes (the resolution)
    timeout MS res MS
    all NAME n=N maxage=MS states=a,b lag=MIN..MAX    over every sample
    hold NAME n=N maxage=MS states=a,b lag=MIN..MAX   over the --hold samples
    last NAME state=S health=H lag=MS age=MS          the final sample
for every replica the module lists (NAME as above). Exit 0 when met, 1 on
timeout, 2 on usage or lagwlcctl errors.
"""
import json
import re
import subprocess
import sys
import time

OPS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
FIELDS = {"state": "state", "health": "health", "lag": "lag_ms", "age": "age_ms"}
COND_RE = re.compile(r"^(.*)\.(state|health|lag|age)(!=|<=|>=|=|<|>)(.*)$")


def key_of(name):
    if name == "primary":
        return "198.18.0.10:3306"
    m = re.fullmatch(r"r(\d+)", name)
    if m:
        return "198.18.0.%d:3306" % (10 + int(m.group(1)))
    return name


def name_of(key):
    if key == "198.18.0.10:3306":
        return "primary"
    m = re.fullmatch(r"198\.18\.0\.1(\d):3306", key)
    return "r" + m.group(1) if m else key


def parse_cond(s):
    m = COND_RE.match(s)
    if not m:
        sys.exit("lagwatch: bad condition %r" % s)
    name, field, op, val = m.groups()
    if field in ("lag", "age"):
        val = int(val)
    return key_of(name), FIELDS[field], OPS[op], val


def snapshot(ctl):
    out = subprocess.run([ctl, "-j", "show"], capture_output=True, text=True)
    if out.returncode:
        sys.exit("lagwatch: %s -j show: status %d: %s" % (ctl, out.returncode, out.stderr.strip()))
    snap = {}
    for r in json.loads(out.stdout)["replicas"]:
        snap["%s:%d" % (r["address"], r["port"])] = r
    return snap


def holds(snap, cond):
    key, field, op, val = cond
    r = snap.get(key)
    v = (r or {}).get(field)
    if field == "state" and r is None:
        v = "none"
    if v is None:
        return False
    return op(v, val)


class Stats:
    def __init__(self):
        self.by = {}

    def add(self, snap):
        for key, r in snap.items():
            s = self.by.setdefault(key, {"n": 0, "maxage": None, "states": [], "lags": []})
            s["n"] += 1
            if r["age_ms"] is not None:
                s["maxage"] = max(s["maxage"] or 0, r["age_ms"])
            if r["state"] not in s["states"]:
                s["states"].append(r["state"])
            if r["lag_ms"] is not None and r["health"] == "up":
                s["lags"].append(r["lag_ms"])

    def print(self, label):
        for key in sorted(self.by):
            s = self.by[key]
            lag = "%d..%d" % (min(s["lags"]), max(s["lags"])) if s["lags"] else "-"
            print("%s %s n=%d maxage=%s states=%s lag=%s" % (
                label, name_of(key), s["n"], "-" if s["maxage"] is None else s["maxage"],
                ",".join(s["states"]), lag))


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    ctl, t0file, timeout = args[0], args[1], float(args[2])
    if not t0file.startswith("@"):
        sys.exit(__doc__)
    t0file = t0file[1:]
    args = args[3:]
    hold = 0.0
    if args[:1] == ["--hold"]:
        hold = float(args[1])
        args = args[2:]
    conds = [parse_cond(a) for a in args]
    every, held = Stats(), Stats()
    met_at = None
    dumps, spent = 0, 0.0
    snap = {}
    t0 = None
    ready = False
    began = time.time()
    while True:
        start = time.time()
        snap = snapshot(ctl)
        now = time.time()
        if t0 is None:
            if not ready:
                print("ready", flush=True)
                ready = True
            if time.time() - began > 300:
                sys.exit("lagwatch: no T0 in %s after 300 s" % t0file)
            try:
                with open(t0file) as f:
                    t0 = float(f.read())
            except (OSError, ValueError):
                pass
            if t0 is None or start < t0:
                time.sleep(0.01)
                continue
        dumps += 1
        spent += now - start
        every.add(snap)
        if met_at is None:
            if all(holds(snap, c) for c in conds):
                met_at = now
            elif now - t0 > timeout:
                break
        else:
            held.add(snap)
        if met_at is not None and now - met_at >= hold:
            break
        time.sleep(0.02)
    res = spent * 1000 / dumps
    if met_at is None:
        print("timeout %d res %d" % ((now - t0) * 1000, res))
    else:
        print("met %d res %d" % ((met_at - t0) * 1000, res))
    every.print("all")
    if hold:
        held.print("hold")
    for key in sorted(snap):
        r = snap[key]
        print("last %s state=%s health=%s lag=%s age=%s" % (
            name_of(key), r["state"], r["health"], r["lag_ms"], r["age_ms"]))
    sys.exit(0 if met_at is not None else 1)


if __name__ == "__main__":
    main()
