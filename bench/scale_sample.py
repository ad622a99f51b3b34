#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Sample one running lagwlcd for bench/scale.

  scale_sample.py PID SECONDS METRICS_URL RUN_LABEL SAMPLES_CSV SUMMARY_CSV [SCRAPE_S]

Every second: CPU time (utime + stime from /proc/PID/stat), VmRSS, VmHWM,
threads, open file descriptors, appended to SAMPLES_CSV. Every SCRAPE_S
seconds (5 by default) it also scrapes the metrics endpoint and takes, for every
replica, the age of its newest result: the scrape's time minus
lagwlcd_replica_last_success_timestamp_seconds (set when the probe ended).
At the end one line for the window goes to SUMMARY_CSV: CPU as % of one
core, RSS, threads, fds, the ages' p50/p99/max over every replica and every
scrape, the replicas up at the last scrape, the mean probe duration in the
window (from the histogram's _sum and _count) and the probe errors in it.

The scrape is part of what is measured (it costs lagwlcd the formatting of
about 30 lines per replica); Prometheus scrapes every 15 s by default.
"""
import os
import sys
import time
import urllib.request

SCRAPE_S = 5


def proc(pid):
    with open(f"/proc/{pid}/stat") as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])   # utime, stime (fields 14, 15)
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.split()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return (ticks, int(status["VmRSS"][0]), int(status["VmHWM"][0]),
            int(status["Threads"][0]), fds)


def scrape(url):
    """(wall time, {replica: last success}, up count, sum, count, errors);
    a failed scrape is tried again (3 times), then given up"""
    for attempt in range(3):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read().decode()
            break
        except OSError as e:
            print(f"scale_sample: {url}: {e!r}", file=sys.stderr)
            if attempt == 2:
                raise
            time.sleep(0.2)
    now = time.time()
    last, up, psum, pcount, errs = {}, 0, 0.0, 0, 0
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        if name.startswith("lagwlcd_replica_last_success_timestamp_seconds{"):
            last[name] = float(value)
        elif name.startswith("lagwlcd_replica_up{"):
            up += value == "1"
        elif name.startswith("lagwlcd_probe_duration_seconds_sum{"):
            psum += float(value)
        elif name.startswith("lagwlcd_probe_duration_seconds_count{"):
            pcount += int(value)
        elif name.startswith("lagwlcd_probe_errors_total{"):
            errs += int(value)
    return now, last, up, psum, pcount, errs


def pct(v, q):
    """nearest-rank percentile of sorted v"""
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-q * len(v) // 100)) - 1))
    return v[k]


def main():
    global SCRAPE_S
    pid, secs, url, label, samples, summary = sys.argv[1:7]
    if len(sys.argv) > 7:
        SCRAPE_S = int(sys.argv[7])
    secs = int(secs)
    hz = os.sysconf("SC_CLK_TCK")
    ages = []
    first = None
    rows = []
    t0 = time.monotonic()
    c0 = proc(pid)[0]
    s0 = scrape(url)
    next_scrape = t0 + SCRAPE_S
    last_scrape = s0
    hwm = rss_max = thr_max = fd_max = 0
    i = 0
    while True:
        i += 1
        target = t0 + i
        time.sleep(max(0.0, target - time.monotonic()))
        now = time.monotonic()
        ticks, rss, hwm, thr, fds = proc(pid)
        rss_max, thr_max, fd_max = max(rss_max, rss), max(thr_max, thr), max(fd_max, fds)
        row = [label, f"{now - t0:.3f}", f"{100.0 * (ticks - c0) / hz / (now - t0):.2f}",
               str(rss), str(hwm), str(thr), str(fds), "", "", "", "", ""]
        if now >= next_scrape - 0.01:
            next_scrape += SCRAPE_S
            sc = scrape(url)
            last_scrape = sc
            a = sorted(1000.0 * (sc[0] - v) for v in sc[1].values())
            ages.extend(a)
            row[7:12] = [str(len(a)), str(sc[2]), f"{pct(a, 50):.0f}", f"{pct(a, 99):.0f}",
                         f"{a[-1] if a else float('nan'):.0f}"]
        rows.append(row)
        if now - t0 >= secs:
            break
    c1 = proc(pid)[0]
    with open("/proc/loadavg") as f:
        load1 = f.read().split()[0]
    wall = time.monotonic() - t0
    cpu = 100.0 * (c1 - c0) / hz / wall
    ages.sort()
    n_probes = last_scrape[4] - s0[4]
    mean_ms = 1000.0 * (last_scrape[3] - s0[3]) / n_probes if n_probes else float("nan")
    new = not os.path.exists(samples)
    with open(samples, "a") as f:
        if new:
            f.write("run,t_s,cpu_pct_so_far,rss_kb,hwm_kb,threads,fds,"
                    "ages,up,age_p50_ms,age_p99_ms,age_max_ms\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    new = not os.path.exists(summary)
    with open(summary, "a") as f:
        if new:
            f.write("run,window_s,cpu_pct,rss_max_kb,hwm_kb,threads,fds,"
                    "age_samples,age_p50_ms,age_p99_ms,age_max_ms,up,"
                    "probes,probe_mean_ms,probe_errors,loadavg1\n")
        f.write(f"{label},{wall:.1f},{cpu:.2f},{rss_max},{hwm},{thr_max},{fd_max},"
                f"{len(ages)},{pct(ages, 50):.0f},{pct(ages, 99):.0f},"
                f"{ages[-1] if ages else float('nan'):.0f},{last_scrape[2]},"
                f"{n_probes},{mean_ms:.2f},{last_scrape[5] - s0[5]},{load1}\n")
    print(f"{label}: cpu {cpu:.2f} %, rss {rss_max} kB (hwm {hwm}), {thr_max} threads, "
          f"{fd_max} fds, age p50 {pct(ages, 50):.0f} ms p99 {pct(ages, 99):.0f} ms "
          f"max {ages[-1] if ages else float('nan'):.0f} ms ({len(ages)} samples), load {load1}, "
          f"{last_scrape[2]} up, {n_probes} probes, mean {mean_ms:.2f} ms")


main()
