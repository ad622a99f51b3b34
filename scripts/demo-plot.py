#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Draw the demo's run: demo-plot.py DIR writes DIR/demo.png.

Run on the host by scripts/demo after the guest is done, with Debian's
python3 (/usr/bin/python3 and python3-matplotlib, scripts/install-deps).
Reads what the guest left in DIR:

    timeline.csv  t,replica,lag_ms,state,weight,share (demo-watch.py, ~4/s)
    reads         T SERVER_ID N AGE_MS CONNECT_MS PORT a read (dbreader.py)
    phases        EPOCH<TAB>SCHEDULER<TAB>TITLE, the last one "end"
    events        EPOCH JSON, the module's changes of state (lagwlcctl -j monitor)
    params        max_lag_ms=N, readmit_lag_ms=N

Top: each replica's lag as the module held it, max_lag_ms and
readmit_lag_ms, the phases shaded, exclusions and re-admissions marked.
Bottom: each replica's share of the new connections, 2 s bins.
"""
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend)

from demo_files import lines, parse_read, read_phases  # noqa: E402

REPLICAS = [("r1", "198.18.0.11", 11, "tab:blue"), ("r2", "198.18.0.12", 12, "tab:orange"),
            ("r3", "198.18.0.13", 13, "tab:green")]
BIN = 2.0
FLAP = 1.0      # a state held shorter than this (a probe timing out on a loaded host) is not marked


def load(d):
    params = {"max_lag_ms": 5000, "readmit_lag_ms": 2000}
    try:
        with open(os.path.join(d, "params")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                if v.isdigit():
                    params[k] = int(v)
    except OSError:
        pass
    timeline = {name: ([], []) for name, _, _, _ in REPLICAS}
    with open(os.path.join(d, "timeline.csv")) as f:
        for row in csv.DictReader(f):
            if row["replica"] in timeline:
                t, lag = timeline[row["replica"]]
                t.append(float(row["t"]))
                # a gap where the module knows no lag (down)
                lag.append(int(row["lag_ms"]) / 1000 if row["lag_ms"] else float("nan"))
    reads = [r[:2] for r in map(parse_read, lines(os.path.join(d, "reads"))) if r]
    phases = read_phases(os.path.join(d, "phases"))
    events = []
    for line in lines(os.path.join(d, "events")):
        t, _, js = line.partition(" ")
        try:
            e = json.loads(js)
        except ValueError:
            continue
        events.append((float(t), e.get("address"), e.get("old_state"), e.get("state")))
    return params, timeline, reads, phases, events


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "demo-out"
    params, timeline, reads, phases, events = load(d)
    t0 = phases[0][0] - 2 if phases else min(min(t) for t, _ in timeline.values() if t)
    t1 = phases[-1][0] + 1 if phases else max(max(t) for t, _ in timeline.values() if t)

    fig, (top, bot) = plt.subplots(2, 1, figsize=(13, 7.5), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 2]})
    fig.suptitle("lagwlc demo: three MariaDB replicas behind an LVS VIP, a new connection per read")

    for i in range(len(phases) - 1):
        a, sched, title = phases[i]
        b = phases[i + 1][0]
        for ax in (top, bot):
            ax.axvspan(a - t0, b - t0, facecolor="0.93" if i % 2 else "0.86", zorder=0,
                       hatch="//" if sched != "lagwlc" else None, edgecolor="0.75", lw=0)
        label = title.split(" ", 1)[1] if title[:1].isdigit() else title
        if sched != "lagwlc":
            label += " [%s]" % sched
        top.text((a + b) / 2 - t0, 1.01, label, transform=top.get_xaxis_transform(),
                 ha="center", va="bottom", fontsize=7, rotation=12)

    for name, addr, _, color in REPLICAS:
        t, lag = timeline[name]
        top.plot([x - t0 for x in t], lag, color=color, lw=1.6, label=name)
        # where the module changed its mind about this replica
        mine = [e for e in events if e[1] == addr]
        for k, (te, a, old, new) in enumerate(mine):
            held = (mine[k + 1][0] if k + 1 < len(mine) else t1) - te
            if t0 > te or te > t1 or old is None or held < FLAP:
                continue
            if new in ("lagging", "down", "stale"):
                top.axvline(te - t0, color=color, ls=":", lw=1.2)
                top.annotate("%s %s" % (name, new), (te - t0, 0.97), xycoords=("data", "axes fraction"),
                             fontsize=7, color=color, rotation=90, ha="right", va="top")
            elif new == "ok" and old in ("lagging", "down", "stale") and \
                    (k == 0 or te - mine[k - 1][0] >= FLAP):
                top.axvline(te - t0, color=color, ls="--", lw=0.8, alpha=0.7)
                top.annotate("%s ok" % name, (te - t0, 0.97), xycoords=("data", "axes fraction"),
                             fontsize=7, color=color, rotation=90, ha="left", va="top")
    top.axhline(params["max_lag_ms"] / 1000, color="red", lw=1, ls="--",
                label="max_lag_ms (%d ms): excluded above" % params["max_lag_ms"])
    top.axhline(params["readmit_lag_ms"] / 1000, color="darkgreen", lw=1, ls="-.",
                label="readmit_lag_ms (%d ms): taken back below" % params["readmit_lag_ms"])
    top.set_ylabel("replication lag (s), as lagwlc held it")
    top.set_ylim(bottom=0)
    top.legend(loc="center left", fontsize=7)
    top.grid(alpha=0.3)

    # share of the new connections, per 1 s bin, stacked
    n = max(1, int((t1 - t0) / BIN) + 1)
    counts = {sid: [0] * n for _, _, sid, _ in REPLICAS}
    counts[None] = [0] * n
    for t, sid in reads:
        i = int((t - t0) / BIN)
        if 0 <= i < n and sid in counts:
            counts[sid][i] += 1
    tot = [sum(counts[k][i] for k in counts) for i in range(n)]
    xs = [(i + 0.5) * BIN for i in range(n)]
    ys = [[counts[sid][i] / tot[i] if tot[i] else 0 for i in range(n)] for _, _, sid, _ in REPLICAS]
    ys.append([counts[None][i] / tot[i] if tot[i] else 0 for i in range(n)])
    bot.stackplot(xs, *ys, colors=[c for _, _, _, c in REPLICAS] + ["0.4"],
                  labels=[name for name, _, _, _ in REPLICAS] + ["failed"], alpha=0.85, step=None)
    bot.set_ylim(0, 1)
    bot.set_ylabel("share of new connections\n(2 s bins)")
    bot.set_xlabel("seconds since the story began")
    bot.set_xlim(0, t1 - t0)
    bot.legend(loc="lower left", fontsize=8, ncol=4)
    bot.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))

    fig.tight_layout()
    out = os.path.join(d, "demo.png")
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
