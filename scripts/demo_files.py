# SPDX-License-Identifier: GPL-2.0
"""The demo's files, read the same way by demo-watch.py (in the guest) and
demo-plot.py (on the host)."""


def lines(path):
    """The lines of path, none if it does not exist (yet)."""
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def parse_read(line):
    """dbreader.py's line: (t, server_id or None for a failed read, age_ms),
    or None for anything else."""
    f = line.split()
    if len(f) < 2 or not f[0][0].isdigit():
        return None
    if f[1] == "ERR":
        return (float(f[0]), None, 0)
    if len(f) < 4:
        return None
    return (float(f[0]), int(f[1]), int(f[3]))


def read_phases(path):
    """The phases file: (epoch, scheduler, title) a line."""
    out = []
    for line in lines(path):
        p = line.split("\t")
        if len(p) == 3:
            out.append((float(p[0]), p[1], p[2]))
    return out
