#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""bench/scale's report: OUTDIR/summary-*.csv (one line per run, written by
bench/scale_sample.py) into OUTDIR/scale.md, also printed.

Each figure is min / median / max over the repetitions of a case.
Goals (issue 14): 1000 replicas at 1 s under 5 % of one core and 64 MB
RSS; 64 replicas at 100 ms under 3 %; no result older than 2 polls.
"""
import csv
import os
import statistics
import sys

GOALS = {  # replicas: (cpu %, rss MB or None)
    1000: (5.0, 64.0),
    64: (3.0, None),
}


def spread(vals, fmt="{:.1f}"):
    vals = sorted(vals)
    if len(vals) == 1:
        return fmt.format(vals[0])
    return "{} / {} / {}".format(fmt.format(vals[0]), fmt.format(statistics.median(vals)),
                                 fmt.format(vals[-1]))


def floor_lines(out, runs):
    """The floor (bench/probe_floor.c) beside lagwlcd -n, run by run: each
    lagwlcd run and the floor run just after it make a pair."""
    f = os.path.join(out, "floor-host.csv")
    if not os.path.exists(f):
        return []
    floors = {}
    with open(f) as fh:
        for row in csv.DictReader(fh):
            _where, _floor, case, rep = row["run"].split("/")
            floors.setdefault(case, {})[rep] = (float(row["cpu_pct"]), float(row["hwm_kb"]) / 1024)
    lines = [
        "",
        "The floor: bench/probe_floor.c on the same replicas, after each lagwlcd -n run",
        "(the same multi-statement query, the same spread, blocking libmariadb calls,",
        "results stored and freed, nothing else): the round trips' own cost on this",
        "machine. Ratio: lagwlcd / floor, pair by pair.",
        "",
        "| replicas @ poll | pairs | lagwlcd -n CPU % | floor CPU % | lagwlcd / floor "
        "| lagwlcd VmHWM MB | floor VmHWM MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in sorted(floors, key=lambda c: -int(c.split("@")[0])):
        rows = {r["run"].split("/")[3]: r for r in runs.get(("host", "dry", case), [])}
        lag = {rep: float(r["cpu_pct"]) for rep, r in rows.items()}
        reps = sorted(set(lag) & set(floors[case]))
        if not reps:
            continue
        n, poll = case.split("@")
        lines.append(
            f"| {n} @ {poll.rstrip('ms')} ms | {len(reps)} | "
            f"{spread([lag[r] for r in reps], '{:.2f}')} | "
            f"{spread([floors[case][r][0] for r in reps], '{:.2f}')} | "
            f"{spread([lag[r] / floors[case][r][0] for r in reps], '{:.2f}')} | "
            f"{spread([float(rows[r]['hwm_kb']) / 1024 for r in reps])} | "
            f"{spread([floors[case][r][1] for r in reps])} |")
    return lines


def main():
    out = sys.argv[1]
    runs = {}
    env = []
    for where in ("host", "vm"):
        f = os.path.join(out, f"summary-{where}.csv")
        if not os.path.exists(f):
            continue
        e = os.path.join(out, f"env-{where}.txt")
        if os.path.exists(e):
            env.append(f"{where}:\n" + "".join("    " + ln for ln in open(e)))
        with open(f) as fh:
            for row in csv.DictReader(fh):
                where_, mode, case, _rep = row["run"].split("/")
                runs.setdefault((where_, mode, case), []).append(row)
    if not runs:
        print("scale_report: no summary-*.csv in " + out, file=sys.stderr)
        return 1
    lines = [
        "# lagwlcd at scale (bench/scale)",
        "",
        "Each cell: min / median / max over the repetitions (one value: one run).",
        "CPU: utime + stime of lagwlcd over the window, as % of one core. RSS: the",
        "largest VmRSS seen in the window (VmHWM: the peak since start). Result age:",
        "a scrape's time minus each replica's last successful probe",
        "(lagwlcd_replica_last_success_timestamp_seconds), every replica, every 5 s",
        "(the scrapes are part of what is measured).",
        "dry = `lagwlcd -n` (nothing pushed); push = pushing into the module.",
        "",
        "| where | mode | replicas @ poll | runs | CPU % of a core | RSS MB | VmHWM MB | threads | fds "
        "| age p50 ms | age p99 ms | age max ms | samples/run | probe mean ms | up | load avg | goals |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {"host": 0, "vm": 1}
    for key in sorted(runs, key=lambda k: (order.get(k[0], 9), -int(k[2].split("@")[0]), k[1])):
        where, mode, case = key
        rs = runs[key]
        n = int(case.split("@")[0])
        poll = int(case.split("@")[1].rstrip("ms"))
        g = lambda c: [float(r[c]) for r in rs]
        cpu, rss = g("cpu_pct"), [v / 1024 for v in g("rss_max_kb")]
        agemax = g("age_max_ms")
        verdict = []
        gc, gr = GOALS.get(n, (None, None))
        if gc is not None:
            verdict.append(f"CPU < {gc:g} %: " + ("met" if max(cpu) < gc else
                           "met by the median" if statistics.median(cpu) < gc else "NOT met"))
        if gr is not None:
            verdict.append(f"RSS < {gr:g} MB: " + ("met" if max(rss) < gr else
                           "met by the median" if statistics.median(rss) < gr else "NOT met"))
        verdict.append(f"age < 2 polls: " + ("met" if max(agemax) < 2 * poll else "NOT met"))
        lines.append(
            f"| {where} | {mode} | {n} @ {poll} ms | {len(rs)} | {spread(cpu, '{:.2f}')} | "
            f"{spread(rss)} | {spread([v / 1024 for v in g('hwm_kb')])} | "
            f"{spread(g('threads'), '{:.0f}')} | {spread(g('fds'), '{:.0f}')} | "
            f"{spread(g('age_p50_ms'), '{:.0f}')} | {spread(g('age_p99_ms'), '{:.0f}')} | "
            f"{spread(agemax, '{:.0f}')} | {spread(g('age_samples'), '{:.0f}')} | "
            f"{spread(g('probe_mean_ms'), '{:.1f}')} | {spread(g('up'), '{:.0f}')} | "
            f"{spread(g('loadavg1'), '{:.1f}')} | {'; '.join(verdict)} |")
    lines += floor_lines(out, runs)
    lines += ["", "Machines and settings:", "", "```"] + "".join(env).splitlines() + ["```", ""]
    text = "\n".join(lines)
    with open(os.path.join(out, "scale.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


sys.exit(main())
