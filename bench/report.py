#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn bench/run's raw data (OUTDIR/raw) into OUTDIR/results.md and plots,
or bench/decision's and bench/connrate's (OUTDIR/decision.txt,
OUTDIR/connrate.txt) into OUTDIR/decision.md.

    bench/report.py OUTDIR
    bench/report.py --decision OUTDIR
"""
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SCHEDS = ["rr", "wlc", "lagwlc"]
REPLICAS = {11: "r1", 12: "r2", 13: "r3"}
MAX_LAG_MS = 5000


def reads(path):
    """(t, server_id or None, age_ms) per read."""
    out = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[1] == "ERR":
                out.append((float(w[0]), None, None))
            else:
                out.append((float(w[0]), int(w[1]), int(w[3])))
    return out


def pct(xs, p):
    """Nearest-rank percentile."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def save(fig, ax, raw, name, ylabel, title, **legend):
    """Label ax, write its figure next to results.md as NAME.png."""
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(**legend)
    fig.tight_layout()
    fig.savefig(os.path.join(os.path.dirname(raw), name + ".png"), dpi=110)


def shares(rs):
    n = len(rs)
    by = {sid: sum(1 for r in rs if r[1] == sid) for sid in REPLICAS}
    err = sum(1 for r in rs if r[1] is None)
    return n, by, err


def stale_section(raw, md):
    rows = []
    for i, sched in enumerate(SCHEDS):
        rs = reads(os.path.join(raw, "stale-%d.reads" % i))
        n, by, err = shares(rs)
        stale = sum(1 for r in rs if r[2] is not None and r[2] > MAX_LAG_MS)
        rows.append((sched, n, by, err, stale))
    md.append("## 1. Stale reads: one replica (r1) 30 s behind\n")
    md.append("Three services over the same three replicas (weights 1:1:1), one per "
              "scheduler, read at the same time by three clients each; every read a new "
              "connection, from a 32-port ephemeral range, so client ports are reused "
              "within seconds (conn_reuse_mode as lagwlcd sets it). Stale: "
              "the value read was older than max_lag_ms (%d ms) when read.\n" % MAX_LAG_MS)
    md.append("| scheduler | reads | stale reads | stale share | r1 (30 s behind) | r2 | r3 | failed |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for sched, n, by, err, stale in rows:
        md.append("| %s | %d | %d | **%.2f %%** | %.1f %% | %.1f %% | %.1f %% | %d |" % (
            sched, n, stale, 100 * stale / max(n, 1),
            *(100 * by[s] / max(n, 1) for s in REPLICAS), err))
    md.append("")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = range(len(rows))
    ax.bar([i - 0.3 for i in x], [100 * r[4] / max(r[1], 1) for r in rows], 0.2,
           label="stale reads", color="crimson")
    for k, sid in enumerate(REPLICAS):
        ax.bar([i - 0.1 + 0.2 * k for i in x], [100 * r[2][sid] / max(r[1], 1) for r in rows],
               0.2, label="reads from %s%s" % (REPLICAS[sid], " (30 s behind)" if sid == 11 else ""))
    ax.set_xticks(list(x), [r[0] for r in rows])
    save(fig, ax, raw, "stale", "% of reads",
         "One replica 30 s behind: stale reads and where reads went", fontsize=8)
    return rows


def reaction_section(raw, md):
    trials = {}
    with open(os.path.join(raw, "reaction.txt")) as f:
        next(f)
        for line in f:
            p, _n, lock, _hb, cross, ex, unlock, ok = line.split()
            trials.setdefault(int(p), []).append(
                (float(lock), float(cross), float(ex), float(unlock), float(ok)))
    rs = reads(os.path.join(raw, "reaction.reads"))
    md.append("## 2. Reaction latency\n")
    md.append("r2's applier blocked by FLUSH TABLES WITH READ LOCK at a known moment. "
              "Reaction: from its lag crossing max_lag_ms (the newest heartbeat it applied + "
              "max_lag_ms, 1000 ms here) to the module's exclusion event (the moment the "
              "scheduler stops choosing it). Re-admission: from the lock's end to the "
              "event putting it back (catch-up included; readmit_lag_ms 500). A client opened "
              "20 new connections a second through the VIP meanwhile: reads served by r2 "
              "from 50 ms after its exclusion to 50 ms before its re-admission are counted "
              "(the events are stamped as user space reads them, a few ms late).\n")
    md.append("| poll interval | trials | reaction p50 | p99 | max | re-admission p50 | p99 | "
              "reads from r2 while excluded |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    res = {}
    for p in sorted(trials):
        tr = [t for t in trials[p] if t[2] > 0 and t[4] > 0]
        react = [(t[2] - t[1]) * 1000 for t in tr]
        readm = [(t[4] - t[3]) * 1000 for t in tr]
        leak = sum(1 for t in tr for r in rs
                   if r[1] == 12 and t[2] + 0.05 <= r[0] < t[4] - 0.05)
        missing = len(trials[p]) - len(tr)
        res[p] = (react, readm, leak, missing)
        md.append("| %d ms | %d%s | %d ms | **%d ms** | %d ms | %d ms | %d ms | %d |" % (
            p, len(tr), " (%d without events)" % missing if missing else "",
            pct(react, 50), pct(react, 99), max(react), pct(readm, 50), pct(readm, 99), leak))
        s = sorted(react)
        ax.step(s, [(i + 1) / len(s) for i in range(len(s))], where="post",
                label="poll %d ms" % p)
    md.append("")
    ax.set_xlabel("ms from lag crossing max_lag_ms to exclusion")
    ax.grid(alpha=0.3)
    save(fig, ax, raw, "reaction", "fraction of trials", "Reaction latency (CDF)")
    return res


def balance_section(raw, md):
    rows = []
    for i, sched in enumerate(SCHEDS):
        n, by, err = shares(reads(os.path.join(raw, "balance-%d.reads" % i)))
        rows.append((sched, n, by, err))
    md.append("## 3. Balance with no lag, weights 1:2:3\n")
    md.append("| scheduler | connections | r1 (w 1) | r2 (w 2) | r3 (w 3) | failed |")
    md.append("|---|---:|---:|---:|---:|---:|")
    md.append("| (by weight) | | 16.7 % | 33.3 % | 50.0 % | |")
    for sched, n, by, err in rows:
        md.append("| %s | %d | %s | %d |" % (sched, n, " | ".join(
            "%.1f %%" % (100 * by[s] / max(n, 1)) for s in REPLICAS), err))
    w, l = rows[1], rows[2]
    diff = max(abs(w[2][s] / max(w[1], 1) - l[2][s] / max(l[1], 1)) for s in REPLICAS) * 100
    md.append("\nLargest difference between wlc's and lagwlc's share of one replica: "
              "**%.1f percentage points**.\n" % diff)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for k, (sched, n, by, _e) in enumerate(rows):
        ax.bar([i + 0.25 * (k - 1) for i in range(3)], [100 * by[s] / max(n, 1) for s in REPLICAS],
               0.25, label=sched)
    ax.plot(range(3), [100 / 6, 200 / 6, 300 / 6], "k_", markersize=30, label="by weight")
    ax.set_xticks(range(3), ["r1 (w 1)", "r2 (w 2)", "r3 (w 3)"])
    save(fig, ax, raw, "balance", "% of new connections",
         "No lag: share of new connections, weights 1:2:3", fontsize=8)
    return diff


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def decision_rows(path):
    """{(module, af, table, n, mode, rep, sched): (median_ps, empty_ps)}"""
    out = {}
    with open(path) as f:
        for line in f:
            kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
            if "median_ps" not in kv:
                continue
            key = (kv["module"], kv["af"], kv["table"], int(kv["dests"]), kv["mode"],
                   int(kv["rep"]), kv["sched"])
            out[key] = (int(kv["median_ps"]), int(kv["empty_ps"]))
    return out


def ratio_cell(ratios):
    if not ratios:
        return "-"
    return f"{median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def decision_section(out, md):
    rows = decision_rows(os.path.join(out, "data", "decision.txt"))
    modules = sorted({k[0] for k in rows}, key=lambda m: m != "before")
    sizes = sorted({k[3] for k in rows})
    tables = ["empty", "populated", "unrelated"]
    reps = sorted({k[5] for k in rows})
    md.append("Each cell: lagwlc/wlc time per decision, median of the per-repetition "
              f"ratios over {len(reps)} repetitions (min-max in brackets). Raw ratio: "
              "the measured times as they are; the empty indirect call timed the same "
              "way (the method's floor) is in both.\n")
    worst = {}
    for af in ("4", "6"):
        for mode in ("warm", "cold"):
            md.append(f"### IPv{af}, {mode}\n")
            head = ["dests"]
            for t in tables:
                head += [f"{t} {m}" for m in modules]
            head.append("wlc ns (after)")
            head.append("rr/wlc")
            md.append("| " + " | ".join(head) + " |")
            md.append("|" + "---|" * len(head))
            for n in sizes:
                cells = [str(n)]
                for t in tables:
                    for m in modules:
                        rs = []
                        for rep in reps:
                            a = rows.get((m, af, t, n, mode, rep, "lagwlc"))
                            w = rows.get((m, af, t, n, mode, rep, "wlc"))
                            if a and w and w[0]:
                                rs.append(a[0] / w[0])
                        cells.append(ratio_cell(rs))
                        if rs:
                            k = (m, t, mode)
                            worst[k] = max(worst.get(k, 0), median(rs))
                last = modules[-1]
                wl = [rows[k][0] for k in rows
                      if k[0] == last and k[1] == af and k[3] == n and k[4] == mode
                      and k[6] == "wlc"]
                cells.append(f"{median(wl) / 1000:.1f}" if wl else "-")
                rr = []
                for t in tables:
                    for rep in reps:
                        a = rows.get((last, af, t, n, mode, rep, "rr"))
                        w = rows.get((last, af, t, n, mode, rep, "wlc"))
                        if a and w and w[0]:
                            rr.append(a[0] / w[0])
                cells.append(f"{median(rr):.2f}" if rr else "-")
                md.append("| " + " | ".join(cells) + " |")
            md.append("")
    md.append("Net of the method's floor (each time minus the empty indirect call "
              "timed with it: what the schedulers themselves cost), worst median "
              "ratio over every size and family:\n")
    md.append("| module | table | warm | cold |")
    md.append("|---|---|---|---|")
    for m in modules:
        for t in tables:
            cells = []
            for mode in ("warm", "cold"):
                worst_net = 0
                for af in ("4", "6"):
                    for n in sizes:
                        rs = []
                        for rep in reps:
                            a = rows.get((m, af, t, n, mode, rep, "lagwlc"))
                            w = rows.get((m, af, t, n, mode, rep, "wlc"))
                            if a and w and w[0] > w[1]:
                                rs.append(max(a[0] - a[1], 0) / (w[0] - w[1]))
                        if rs:
                            worst_net = max(worst_net, median(rs))
                cells.append(f"{worst_net:.2f}")
            md.append(f"| {m} | {t} | {cells[0]} | {cells[1]} |")
    md.append("")
    md.append("Worst median ratio over every size and family (raw):\n")
    md.append("| module | table | warm | cold |")
    md.append("|---|---|---|---|")
    for m in modules:
        for t in tables:
            md.append(f"| {m} | {t} | {worst.get((m, t, 'warm'), 0):.2f} | "
                      f"{worst.get((m, t, 'cold'), 0):.2f} |")
    md.append("")


def connrate_section(out, md):
    path = os.path.join(out, "data-connrate", "connrate.txt")
    if not os.path.exists(path):
        return
    rates = {}
    with open(path) as f:
        for line in f:
            kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
            if "rate" in kv:
                rates.setdefault(kv["sched"], []).append((int(kv["rep"]), float(kv["rate"])))
    md.append("## New connections per second through a director, 256 real servers\n")
    md.append("| scheduler | median conn/s | min-max |")
    md.append("|---|---|---|")
    for sched, v in sorted(rates.items()):
        r = [x for _, x in v]
        md.append(f"| {sched} | {median(r):.0f} | {min(r):.0f}-{max(r):.0f} |")
    w = dict(rates.get("wlc", []))
    a = dict(rates.get("lagwlc", []))
    ratios = [a[k] / w[k] for k in a if k in w and w[k]]
    if ratios:
        md.append(f"\nlagwlc/wlc per repetition: {', '.join(f'{x:.3f}' for x in ratios)}; "
                  f"median {median(ratios):.3f}\n")


def decision_main(out):
    md = ["# The cost of a scheduling decision: lagwlc against wlc\n",
          "Produced by `make bench-decision` (bench/decision, bench/connrate, "
          "bench/report.py --decision).\n", "```"]
    for name in ("data/decision-env.txt", "data-connrate/connrate-env.txt"):
        p = os.path.join(out, name)
        if os.path.exists(p):
            with open(p) as f:
                md += [line.rstrip("\n") for line in f]
    md.append("```\n")
    decision_section(out, md)
    connrate_section(out, md)
    with open(os.path.join(out, "decision.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


def main():
    if sys.argv[1] == "--decision":
        decision_main(sys.argv[2])
        return
    out = sys.argv[1]
    raw = os.path.join(out, "raw")
    md = ["# lagwlc benchmarks\n", "Produced by `make bench` (bench/run, bench/report.py).\n",
          "```"]
    with open(os.path.join(raw, "env.txt")) as f:
        md += [line.rstrip("\n") for line in f]
    md.append("```\n")
    stale_section(raw, md)
    md.append("![stale reads](stale.png)\n")
    reaction_section(raw, md)
    md.append("![reaction](reaction.png)\n")
    balance_section(raw, md)
    md.append("![balance](balance.png)\n")
    md.append("## The cost of a scheduling decision\n")
    md.append("`make bench-decision` times lagwlc's decisions against wlc's and rr's in one "
              "guest run, and the connection rate through a director with 256 real servers: "
              "[../hotpath/decision.md](../hotpath/decision.md).\n")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
