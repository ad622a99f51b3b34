#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Balance among healthy replicas, on the e2e lab (lib/dblab.sh): real
# MariaDB replication, heartbeats every 100 ms, lagwlcd polling every 100 ms,
# so every replica's lag jitters between 0 and a few hundred ms and none is
# behind. Two services per phase over the same three replicas, one lagwlc
# and one wlc, fed alternately by one client (a new connection through the
# VIP each time: connect, read the server's greeting, close), so that both
# see the same lags at the same moments. A phase gets fresh services: the
# connections of the one before (two minutes in FIN_WAIT in LVS-DR) are not
# counted.
#
#   1    lag_noise_ms 0 (lags weighed to the millisecond, as before it
#        existed): the shares, for the record, and the lags seen
#   2    lag_noise_ms 500 (the default): over 1000 connections to each
#        service, every replica's share under lagwlc is within 5 points of
#        its share under wlc, over the phase and on average over windows of
#        50 connections to each (5 s): the swings a heartbeat's jitter made
#        (a replica taking most new connections for seconds) are gone.
#        Each connection's real server comes from IPVS's connection table
#        (client port -> real server).
#   3    the lags seen in phase 2 were real: some replica's reported lag
#        moved by 50 ms or more (heartbeat jitter), and none passed
#        max_lag_ms
set -u
LAB_VM_ARGS=(--timeout 900 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
. "$(dirname "$0")/lib/dblab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
RATE=10		# new connections a second to each service (more starves replication
		# under TCG: the lags then are real, seconds, and rightly weigh)
ktap_plan 3

dblab_up || { echo "Bail out! the e2e lab did not come up"; exit 1; }

# vip IP SCHED: a service IP:3306 over r1..r3 (LVS-DR, weight 1)
vip() {
	local entry
	onq director ip addr add "$1/32" dev eth0
	onq director ipvsadm -A -t "$1:3306" -s "$2"
	for entry in "${DBLAB_REPLICAS[@]}"; do
		read -r name addr _ <<<"$entry"
		onq "$name" ip addr add "$1/32" dev lo
		onq director ipvsadm -a -t "$1:3306" -r "$addr:3306" -g -w 1
	done
}

# lags_start FILE / lags_stop: each replica's reported lag every 200 ms, "ADDR MS"
lags_start() {
	ip netns exec director python3 - "$LAB_TOP/tests/vm/lib" <<'EOF' >"$1" 2>&1 &
import sys, time
sys.path.insert(0, sys.argv[1]); import genl
s = genl.Genl("lagwlc")
while True:
    for r in s.replicas():
        if r.get("port") == 3306 and "lag_ms" in r:
            print(r["addr"], r["lag_ms"], flush=True)
    time.sleep(0.2)
EOF
	LAGS_PID=$!
}
lags_stop() { kill "$LAGS_PID" 2>/dev/null; wait "$LAGS_PID" 2>/dev/null; }
# lag_range FILE: "min-max" of each replica's reported lag, in ms
lag_range() {
	awk '{ a = $1; v = $2; if (!(a in lo) || v < lo[a]) lo[a] = v; if (!(a in hi) || v > hi[a]) hi[a] = v }
	     END { for (a in lo) printf "%s %d-%d  ", a, lo[a], hi[a]; print "" }' "$1"
}

# phase N VIP_LAGWLC VIP_WLC FILE: N new connections to each, alternately,
# paced at RATE a second each; FILE gets "VIP CLIENT_PORT" for each one that
# completed, then "failed N"
phase() {
	onq client python3 - "$1" "$2" "$3" "$RATE" <<'EOF' >"$4"
import socket, sys, time
n, a, b, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
fail = 0
t0 = time.monotonic()
for i in range(2 * n):
    due = t0 + i / (2 * rate)
    d = due - time.monotonic()
    if d > 0:
        time.sleep(d)
    vip = a if i % 2 == 0 else b
    try:
        s = socket.create_connection((vip, 3306), timeout=5)
        port = s.getsockname()[1]
        # the whole greeting (3-byte length, sequence, body): a close with
        # unread data would send a RST, not the FIN a client's QUIT ends with
        hdr = b""
        while len(hdr) < 4:
            hdr += s.recv(4 - len(hdr)) or b"x" * 4
        left = int.from_bytes(hdr[:3], "little")
        while left > 0:
            got = s.recv(left)
            if not got:
                break
            left -= len(got)
        s.close()
        print(vip, port, flush=True)
    except OSError:
        fail += 1
print("failed", fail)
EOF
}

# table_start FILE / table_stop: the director's connection table every 10 s
# (a closed connection stays in it two minutes in LVS-DR: none is missed)
table_start() {
	( while :; do onq director ipvsadm -Lnc; sleep 10; done ) >"$1" 2>&1 &
	TABLE_PID=$!
}
table_stop() {
	kill "$TABLE_PID" 2>/dev/null
	wait "$TABLE_PID" 2>/dev/null
	onq director ipvsadm -Lnc >>"$1"
}

# judge CONNS TABLE VIP_LAGWLC VIP_WLC: each connection's real server from
# the table; the shares of r1..r3 over the phase and in windows of 50 new
# connections to each service (5 s): "l1 l2 l3 w1 w2 w3 overall windows
# mean max unknown", where overall/mean/max are the largest difference
# between a replica's share under lagwlc and under wlc, in points
judge() {
	python3 - "$@" <<'EOF'
import sys
conns, table, vl, vw = sys.argv[1:5]
real = {}
for line in open(table):
    f = line.split()
    if len(f) == 6 and f[0] == "TCP":
        real[(f[4].rsplit(":", 1)[0], f[3].rsplit(":", 1)[1])] = f[5].rsplit(":", 1)[0]
names = {"198.18.0.11": 0, "198.18.0.12": 1, "198.18.0.13": 2}
seq = {vl: [], vw: []}
unknown = 0
for line in open(conns):
    f = line.split()
    if len(f) == 2 and f[0] in seq:
        r = real.get((f[0], f[1]))
        if r in names:
            seq[f[0]].append(names[r])
        else:
            unknown += 1

def shares(xs):
    c = [0, 0, 0]
    for x in xs:
        c[x] += 1
    return [100.0 * k / max(1, len(xs)) for k in c]

def diff(a, b):
    return max(abs(x - y) for x, y in zip(shares(a), shares(b)))

L, W = seq[vl], seq[vw]
n = min(len(L), len(W))
wins = [diff(L[i:i + 50], W[i:i + 50]) for i in range(0, n - 49, 50)]
sl, sw = shares(L), shares(W)
print(" ".join(f"{x:.1f}" for x in sl + sw), f"{diff(L, W):.1f}", len(wins),
      f"{sum(wins) / max(1, len(wins)):.1f}", f"{max(wins, default=0):.1f}", unknown)
EOF
}

# run NOISE N VIP_LAGWLC VIP_WLC: a phase; sets RES (judge's line) and LAGS (file)
run() {
	echo "$1" >$P/lag_noise_ms
	vip "$3" lagwlc
	vip "$4" wlc
	LAGS=$DBLAB_W/lags-$1
	lags_start "$LAGS"
	table_start "$DBLAB_W/table-$1"
	local t=$SECONDS
	phase "$2" "$3" "$4" "$DBLAB_W/conns-$1"
	table_stop "$DBLAB_W/table-$1"
	lags_stop
	RES=$(judge "$DBLAB_W/conns-$1" "$DBLAB_W/table-$1" "$3" "$4")
	read -r l1 l2 l3 w1 w2 w3 all nw mean max unk <<<"$RES"
	diag "lag_noise_ms $1, $2 connections to each service in $((SECONDS - t)) s ($(grep -c . "$DBLAB_W/conns-$1") lines, $(grep '^failed' "$DBLAB_W/conns-$1"), $unk not in the table)"
	diag "  shares r1 / r2 / r3: lagwlc $l1 / $l2 / $l3 %, wlc $w1 / $w2 / $w3 %: largest difference $all points"
	diag "  in $nw windows of 50 connections to each: largest difference $mean points on average, $max at most"
	diag "  lags reported meanwhile (min-max ms): $(lag_range "$LAGS")"
}

# ---- 1. lags to the millisecond --------------------------------------------------------
run 0 400 198.18.0.101 198.18.0.102
[ "$(echo "$RES" | wc -w)" -eq 11 ] && [ "$unk" -eq 0 ]
ktap_result $? "lag_noise_ms 0: shares measured for the record (differences from wlc: $all points overall, $mean in 5 s windows on average, $max at most)"

# ---- 2. the default --------------------------------------------------------------------
run 500 1000 198.18.0.103 198.18.0.104
awk -v a="$all" -v m="$mean" -v u="$unk" -v n="$nw" 'BEGIN { exit !(n >= 19 && u <= 10 && a <= 5 && m <= 5) }'
ktap_result $? "lag_noise_ms 500, 1000 connections to each service: every healthy replica's share within 5 points of wlc's, overall ($all) and in 5 s windows on average ($mean)"

# ---- 3. the lags were real -------------------------------------------------------------
spread=$(awk '{ if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if ($2 > hi[$1]) hi[$1] = $2 }
	END { for (a in lo) if (hi[a] - lo[a] > m) m = hi[a] - lo[a]; print m + 0 }' "$LAGS")
top=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$LAGS")
samples=$(wc -l <"$LAGS")
diag "phase 2: $samples lag samples, widest swing of one replica $spread ms, highest lag $top ms (max_lag_ms $(cat $P/max_lag_ms))"
[ "$samples" -ge 30 ] && [ "$spread" -ge 50 ] && [ "$top" -le "$(cat $P/max_lag_ms)" ]
ktap_result $? "the replicas' reported lags jittered (a swing of 50 ms or more) and stayed below max_lag_ms"

ktap_exit
