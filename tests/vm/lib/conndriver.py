#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive the same sequence of connections through several IPVS services.

    conndriver.py --svc NAME=VIP:PORT [--svc ...] --real NAME=IP [--real ...]
                  [--seed N] [--steps N] [--fwd dr|nat] [--director-ns NS]
                  [--log FILE]

Runs in the client's namespace against real servers from realserver.py.
A seeded random sequence of operations is generated once and applied, step
by step, to every service in turn, so each service sees the same history:

  hold      open a connection, read the server's name, keep it open (active)
  cycle     open, read the name, then end it as a client would; it stays an
            inactive connection in IPVS (FIN_WAIT)
  drop K    end the K-th held connection (active -> inactive)
  weight    set one real server's weight (0, 1, 3 or 65535) in every service
  thresh    set or clear one real server's upper connection threshold
            (-x), which makes IPVS flag it OVERLOAD
  zero      set every weight to 0 for a few steps (no destination available)

--ops hold,cycle (or one of them) makes a plain stream of connections.

How a connection is ended depends on what the director sees: in DR only
the client's packets, so the client half-closes (shutdown SHUT_WR); in NAT
both ways, so the client asks the server to half-close ("q"). Either way the
client waits for the server's "bye", so the director has processed the
packet that changes the connection's state before the next step.

An IPv6 VIP is written [VIP]:PORT, an IPv6 real server's IP bare.

Prints one line per service: "SEQ NAME choice choice ...", a choice being
the real server's name or "none" when the connection was refused.

--overload also reads, before each connection, the director's connection
counters (its /proc/net/ip_vs, through a sleeping process in its namespace)
and prints one more line per service: "OVERLOAD NAME over into", "over"
the connections made while a real server of weight > 0 stood at or above
its upper threshold (IPVS flags it OVERLOAD then: its ActiveConn +
InActConn, which never fall here, reached -x), and "into" how many of
those went to such a server anyway.
"""
import argparse
import ipaddress
import random
import resource
import signal
import socket
import subprocess
import sys
import time

WEIGHTS = (0, 1, 3, 65535)


def split_addr(addr):
    """("host", port) of "IP:PORT" or "[IPv6]:PORT"."""
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port)


def ipvs_addr(ip, port):
    """ip:port as ipvsadm takes it: an IPv6 address in brackets."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def parse_pairs(items):
    out = []
    for item in items:
        name, _, value = item.partition("=")
        if not value:
            sys.exit(f"conndriver: expected NAME=VALUE, got {item!r}")
        out.append((name, value))
    return out


def gen_ops(rng, steps, reals, kinds):
    if kinds != "all":
        allowed = kinds.split(",")
        return [(rng.choice(allowed),) for _ in range(steps)]
    ops = []
    zero_at = steps // 2
    for i in range(steps):
        if i == zero_at:
            ops.append(("zero",))
            ops += [("cycle",), ("hold",), ("cycle",)]
            ops.append(("weight_all", [rng.choice(WEIGHTS[1:]) for _ in reals]))
            continue
        r = rng.random()
        if r < 0.38:
            ops.append(("hold",))
        elif r < 0.72:
            ops.append(("cycle",))
        elif r < 0.87:
            ops.append(("drop", rng.randrange(1 << 30)))
        elif r < 0.96:
            ops.append(("weight", rng.randrange(len(reals)), rng.choice(WEIGHTS)))
        else:
            ops.append(("thresh", rng.randrange(len(reals)), rng.choice((0, 0, 10, 40))))
    return ops


class Driver:
    def __init__(self, args):
        self.svcs = parse_pairs(args.svc)
        self.reals = parse_pairs(args.real)
        self.fwd = args.fwd
        self.ns = args.director_ns
        self.log = open(args.log, "w") if args.log else None
        self.held = {name: [] for name, _ in self.svcs}
        self.ended = []  # inactive connections: kept open until exit
        self.seq = {name: [] for name, _ in self.svcs}
        self.weights = [None] * len(self.reals)
        self.thresh = [0] * len(self.reals)
        self.t0 = time.monotonic()
        self.proc = None
        self.over = {name: [0, 0] for name, _ in self.svcs}
        if args.overload:
            self.watch_director()

    def watch_director(self):
        """A process in the director's namespace whose /proc/PID/net/ip_vs
        shows that namespace's IPVS table, read with no exec per step."""
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, "sleep", "infinity"])
        comm = f"/proc/{self.proc.pid}/comm"
        for _ in range(100):
            with open(comm) as f:
                if f.read().strip() == "sleep":
                    return
            time.sleep(0.05)
        raise RuntimeError("the director's sleeper did not start")

    def counts(self, addr):
        """{real name: ActiveConn + InActConn} for the service at addr,
        from the director's /proc/net/ip_vs (hex IP:port)."""
        host, port = addr.rsplit(":", 1)
        want = "%08X:%04X" % (int(ipaddress.IPv4Address(host)), int(port))
        names = {"%08X" % int(ipaddress.IPv4Address(ip)): name for name, ip in self.reals}
        out, cur = {}, None
        with open(f"/proc/{self.proc.pid}/net/ip_vs") as f:
            for line in f:
                fields = line.split()
                if fields and fields[0] in ("TCP", "UDP", "FWM"):
                    cur = fields[1]
                elif cur == want and len(fields) == 6 and fields[0] == "->":
                    ip = fields[1].split(":")[0]
                    if ip in names:
                        out[names[ip]] = int(fields[4]) + int(fields[5])
        return out

    def overloaded(self, addr):
        """Names of the real servers of weight > 0 at or over their upper
        threshold in the service at addr, by the kernel's counters."""
        if self.proc is None or not any(self.thresh):
            return set()
        conns = self.counts(addr)
        return {name for i, (name, _) in enumerate(self.reals)
                if self.thresh[i] > 0 and (self.weights[i] or 0) > 0
                and conns.get(name, 0) >= self.thresh[i]}

    def note(self, msg):
        if self.log:
            print(f"{time.monotonic() - self.t0:8.3f} {msg}", file=self.log, flush=True)

    def edit_reals(self, idxs):
        """Apply weights and thresholds of reals idxs to every service,
        in one ipvsadm -R (one process: the guest is slow at exec)."""
        method = "-g" if self.fwd == "dr" else "-m"
        lines = []
        for idx in idxs:
            rip = self.reals[idx][1]
            for _, addr in self.svcs:
                port = addr.rsplit(":", 1)[1]
                lines.append(f"-e -t {addr} -r {ipvs_addr(rip, port)} {method} "
                             f"-w {self.weights[idx]} -x {self.thresh[idx]}\n")
        cmd = ["ip", "netns", "exec", self.ns, "ipvsadm", "-R"]
        subprocess.run(cmd, input="".join(lines), text=True, check=True)

    def read_line(self, sock):
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = sock.recv(64)
            if not chunk:
                break
            buf += chunk
        return buf.decode().strip()

    def connect(self, addr):
        host, port = split_addr(addr)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(5)
        try:
            sock.connect((host, port))
            name = self.read_line(sock)
        except (ConnectionRefusedError, socket.timeout) as exc:
            sock.close()
            return None, f"none ({exc.__class__.__name__})"
        return sock, name

    def end(self, sock):
        """End a connection the way the director must see, then wait."""
        if self.fwd == "dr":
            sock.shutdown(socket.SHUT_WR)
        else:
            sock.sendall(b"q\n")
        reply = self.read_line(sock)
        if reply != "bye":
            raise RuntimeError(f"expected bye, got {reply!r}")
        self.ended.append(sock)

    def step(self, i, op):
        kind = op[0]
        if kind == "weight":
            self.weights[op[1]] = op[2]
            self.edit_reals([op[1]])
        elif kind == "weight_all":
            self.weights = list(op[1])
            self.edit_reals(range(len(self.reals)))
        elif kind == "zero":
            self.weights = [0] * len(self.reals)
            self.edit_reals(range(len(self.reals)))
        elif kind == "thresh":
            self.thresh[op[1]] = op[2]
            self.edit_reals([op[1]])
        if kind not in ("hold", "cycle", "drop"):
            self.note(f"{i} {op}")
            return
        for name, addr in self.svcs:
            held = self.held[name]
            if kind == "drop" and held:
                self.end(held.pop(op[1] % len(held)))
                self.note(f"{i} {name} drop")
                continue
            over = self.overloaded(addr)
            sock, got = self.connect(addr)
            self.seq[name].append(got.split()[0])
            self.note(f"{i} {name} {kind} -> {got}"
                      + (f" (over threshold: {' '.join(sorted(over))})" if over else ""))
            if over:
                self.over[name][0] += 1
                if got.split()[0] in over:
                    self.over[name][1] += 1
            if sock is None:
                continue
            if kind == "hold":
                held.append(sock)
            else:
                self.end(sock)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--svc", action="append", required=True)
    ap.add_argument("--real", action="append", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--fwd", choices=("dr", "nat"), default="dr")
    ap.add_argument("--director-ns", default="director")
    ap.add_argument("--weights", required=True, help="initial weights, comma-separated")
    ap.add_argument("--ops", default="all",
                    help="'all', or a subset of hold,cycle to open connections only")
    ap.add_argument("--linger", action="store_true",
                    help="stay alive, connections open, after the sequence")
    ap.add_argument("--overload", action="store_true",
                    help="count connections made while a real server is over its threshold")
    ap.add_argument("--log")
    args = ap.parse_args()

    # every connection stays open to the end: make room for them
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    drv = Driver(args)
    if args.weights:
        drv.weights = [int(w) for w in args.weights.split(",")]
    rng = random.Random(args.seed)
    for i, op in enumerate(gen_ops(rng, args.steps, drv.reals, args.ops)):
        drv.step(i, op)
    for name, _ in drv.svcs:
        print("SEQ", name, *drv.seq[name], flush=True)
    if drv.proc is not None:
        drv.proc.kill()
        drv.proc.wait()
        for name, _ in drv.svcs:
            print("OVERLOAD", name, *drv.over[name], flush=True)
    if args.linger:
        # keep the held connections open until killed
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
