#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The lag rule at work on real connections. Replicas' lag is reported with
# lagwlcctl (and, for the staleness cases, by lib/feeder.py, a stand-in for
# a prober that owns its entries); connections come from the client through
# the VIP (LVS-DR), and the test counts where each new one lands.
#
#   client 198.18.0.1 --> director 198.18.0.2, VIP 198.18.0.100 --> r1 198.18.0.11
#                         one lagwlc service per case,            --> r2 198.18.0.12
#                         ports 3306..3313, weights 1             --> r3 198.18.0.13
#
# Lag entries are keyed by real server address and port, so each case's
# service (its own port) has its own entries and counts.
set -u
LAB_VM_ARGS=(--timeout 900)
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
ktap_plan 22

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 3
lab_realservers 3306 3307 3308 3309 3310 3311 3312 3313 || { echo "Bail out! real servers"; exit 1; }
on director ipvsadm --set 3600 3600 300

service() { lab_dr_service "$LAB_VIP" "$1"; }	# service PORT: r1..r3, weight 1

report() {	# report PORT r1-lag r2-lag r3-lag (a lag, "down" or "-" for none)
	local port=$1 i=1 args=() v
	shift
	for v in "$@"; do
		case $v in
		-) ;;
		down) args+=("198.18.0.1$i:$port" down) ;;
		*) args+=("198.18.0.1$i:$port" lag "$v") ;;
		esac
		i=$((i + 1))
	done
	on director "$CTL" set "${args[@]}"
}

# share PORT N: open and end N connections; print "r1 r2 r3 refused" counts
share() { lab_dr_share "$LAB_VIP" "$1" "$2"; }

state() {	# state ADDR:PORT: the replica's state, from a netlink dump
	onq director python3 "$LAB_TOP/tests/vm/lib/genl.py" dump |
		python3 -c 'import ast, sys
for line in sys.stdin:
    d = ast.literal_eval(line)
    if "%s:%d" % (d["addr"], d["port"]) == sys.argv[1]:
        print(d["state"])' "$1"
}

# ---- 1. exclusion and hysteresis --------------------------------------------
echo 600000 >$P/stale_ms	# one-shot reports in this test must not age
service 3306
report 3306 0 0 6000
diag "r3 reports 6000 ms (> max_lag_ms $(cat $P/max_lag_ms)): state $(state 198.18.0.13:3306)"
[ "$(state 198.18.0.13:3306)" = lagging ]
ktap_result $? "a replica over max_lag_ms is lagging"
read -r n1 n2 n3 nr < <(share 3306 30)
diag "30 connections: r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$n3" -eq 0 ] && [ $((n1 + n2)) -eq 30 ]
ktap_result $? "the lagging replica gets no new connection"

report 3306 0 0 3000
read -r n1 n2 n3 nr < <(share 3306 30)
diag "r3 at 3000 ms (between readmit $(cat $P/readmit_lag_ms) and max): r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$(state 198.18.0.13:3306)" = lagging ] && [ "$n3" -eq 0 ] && [ $((n1 + n2)) -eq 30 ]
ktap_result $? "hysteresis: below max_lag_ms but above readmit_lag_ms it stays out"

report 3306 0 0 2000
read -r n1 n2 n3 nr < <(share 3306 30)
diag "r3 at 2000 ms (= readmit): state $(state 198.18.0.13:3306), r1 $n1, r2 $n2, r3 $n3"
[ "$(state 198.18.0.13:3306)" = ok ] && [ "$n3" -gt 0 ]
ktap_result $? "at readmit_lag_ms it is readmitted and gets connections again"

# ---- 2. penalty ---------------------------------------------------------------
echo 600000 >$P/max_lag_ms	# no cut-off: only the penalty steers
service 3307
report 3307 0 1000 3000
read -r n1 n2 n3 nr < <(share 3307 280)
diag "lag 0 / 1000 / 3000 ms, penalty $(cat $P/lag_penalty_ms) ms, 280 connections: r1 $n1, r2 $n2, r3 $n3 (4:2:1 expected)"
[ "$n1" -gt "$n2" ] && [ "$n2" -gt "$n3" ] && [ "$n3" -gt 0 ]
ktap_result $? "shares of new connections fall as lag rises"
# cost = conns * (1000 + lag): equal costs at 4:2:1, give or take one connection each
[ $((n1 - 2 * n2)) -ge -3 ] && [ $((n1 - 2 * n2)) -le 3 ] &&
	[ $((n2 - 2 * n3)) -ge -3 ] && [ $((n2 - 2 * n3)) -le 3 ]
ktap_result $? "shares follow the cost function: 4:2:1 for factors 1000:2000:4000"
echo 0 >$P/lag_penalty_ms
service 3311
report 3311 0 1000 3000
read -r n1 n2 n3 nr < <(share 3311 90)
diag "lag_penalty_ms 0: r1 $n1, r2 $n2, r3 $n3"
[ "$n1" -eq 30 ] && [ "$n2" -eq 30 ] && [ "$n3" -eq 30 ]
ktap_result $? "lag_penalty_ms 0: lag does not weigh, shares are wlc's"
echo 1000 >$P/lag_penalty_ms
# services keep each destination's factor (penalty + lag): a run-time
# change must reach a service that already has its entries
service 3312
report 3312 0 1000 3000
echo 3000 >$P/lag_penalty_ms
read -r n1 n2 n3 nr < <(share 3312 270)
diag "lag_penalty_ms 1000 -> 3000 on a live service, 270 connections: r1 $n1, r2 $n2, r3 $n3 (4:3:2 expected, 4:2:1 had it kept 1000)"
[ $((3 * n1 - 4 * n2)) -ge -9 ] && [ $((3 * n1 - 4 * n2)) -le 9 ] &&
	[ $((2 * n2 - 3 * n3)) -ge -6 ] && [ $((2 * n2 - 3 * n3)) -le 6 ]
ktap_result $? "a run-time lag_penalty_ms change reaches live services: 4:3:2 for factors 3000:4000:6000"
echo 1000 >$P/lag_penalty_ms
echo 5000 >$P/max_lag_ms

# ---- 3. all lagging, down ----------------------------------------------------------
service 3308
report 3308 7000 6000 8000
read -r n1 n2 n3 nr < <(share 3308 20)
diag "all lagging (7000/6000/8000 ms), all_lagging=$(cat $P/all_lagging): r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$n2" -eq 20 ]
ktap_result $? "all_lagging=least_lag: every connection goes to the least lagged"
echo reject >$P/all_lagging
dmesg -C
read -r n1 n2 n3 nr < <(share 3308 5)
diag "all_lagging=reject: r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$nr" -eq 5 ] && dmesg | grep -q "lagwlc: TCP $LAB_VIP:3308 - every destination is lagging"
ktap_result $? "all_lagging=reject: connections refused, 'every destination is lagging' logged"
echo least_lag >$P/all_lagging

service 3309
report 3309 down 0 0
read -r n1 n2 n3 nr < <(share 3309 20)
diag "r1 down: state $(state 198.18.0.11:3309), r1 $n1, r2 $n2, r3 $n3"
[ "$(state 198.18.0.11:3309)" = down ] && [ "$n1" -eq 0 ] && [ $((n2 + n3)) -eq 20 ]
ktap_result $? "a replica reported down is never chosen"

# ---- 4. stale: silent feeder (TTL) and dead feeder (socket release) --------------------
service 3310
# long enough that a slow guest still reads "ok" first
echo 10000 >$P/stale_ms
# not through a shell function: $! must be the feeder itself
ip netns exec director python3 "$LAB_TOP/tests/vm/lib/feeder.py" 198.18.0.11:3310 0 >/tmp/feeder1 &
feeder=$!
LAB_PIDS+=("$feeder")
until grep -q fed /tmp/feeder1; do sleep 0.1; done
first=$(state 198.18.0.11:3310)
sleep 10.5
diag "feeder alive but silent: r1 was $first, after 10.5 s (stale_ms 10000) $(state 198.18.0.11:3310)"
[ "$first" = ok ] && [ "$(state 198.18.0.11:3310)" = stale ]
ktap_result $? "no report for stale_ms: stale"
echo closed >$P/stale_policy
read -r n1 n2 n3 nr < <(share 3310 20)
diag "stale_policy=closed: r1 $n1, r2 $n2, r3 $n3"
[ "$n1" -eq 0 ] && [ $((n2 + n3)) -eq 20 ]
ktap_result $? "stale_policy=closed: the stale replica is never chosen"
echo open >$P/stale_policy
read -r n1 n2 n3 nr < <(share 3310 30)
diag "stale_policy=open: r1 $n1, r2 $n2, r3 $n3"
[ "$n1" -gt 0 ]
ktap_result $? "stale_policy=open: the stale replica counts as lag 0 and is chosen"
kill "$feeder"

echo 600000 >$P/stale_ms
ip netns exec director python3 "$LAB_TOP/tests/vm/lib/feeder.py" 198.18.0.11:3310 0 >/tmp/feeder2 &
feeder=$!
LAB_PIDS+=("$feeder")
until grep -q fed /tmp/feeder2; do sleep 0.1; done
before=$(state 198.18.0.11:3310)
kill -9 "$feeder"
wait "$feeder" 2>/dev/null
after=$(state 198.18.0.11:3310)
diag "feeder killed (stale_ms 600000): r1 $before -> $after"
[ "$before" = ok ] && [ "$after" = stale ]
ktap_result $? "the feeding process killed: stale at once (NETLINK_URELEASE), not after stale_ms"
echo closed >$P/stale_policy
read -r n1 n2 n3 nr < <(share 3310 20)
diag "stale_policy=closed after the release: r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$n1" -eq 0 ] && [ $((n2 + n3)) -eq 20 ]
ktap_result $? "and under stale_policy=closed it gets no connection, the others all 20"
echo open >$P/stale_policy

# lagging when its prober dies: stale, and under stale_policy=open back in
# as lag 0 (with no connection yet, it takes the next ones)
service 3313
ip netns exec director python3 "$LAB_TOP/tests/vm/lib/feeder.py" 198.18.0.11:3313 6000 >/tmp/feeder3 &
feeder=$!
LAB_PIDS+=("$feeder")
until grep -q fed /tmp/feeder3; do sleep 0.1; done
before=$(state 198.18.0.11:3313)
read -r n1 n2 n3 nr < <(share 3313 20)
diag "r1 reported 6000 ms by a feeder: $before; 20 connections: r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$before" = lagging ] && [ "$n1" -eq 0 ] && [ $((n2 + n3)) -eq 20 ]
ktap_result $? "a replica lagging in a feeder's report gets no connection"
kill -9 "$feeder"
wait "$feeder" 2>/dev/null
after=$(state 198.18.0.11:3313)
read -r n1 n2 n3 nr < <(share 3313 30)
diag "feeder killed: r1 $before -> $after; stale_policy=open, 30 connections: r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$after" = stale ] && [ "$n1" -ge 10 ]
ktap_result $? "lagging, then its feeder killed: stale, and under stale_policy=open it takes the next connections (>= 10 of 30)"

# ---- 5. tunables ---------------------------------------------------------------
bad=0
while read -r name value; do
	old=$(cat "$P/$name")
	if printf '%s' "$value" >"$P/$name" 2>/dev/null; then
		diag "accepted a bad write: $name=$value"
		bad=$((bad + 1))
	elif [ "$(cat "$P/$name")" != "$old" ]; then
		diag "refused $name=$value but the value changed: $old -> $(cat "$P/$name")"
		bad=$((bad + 1))
	fi
done <<'EOF_BAD'
max_lag_ms -1
max_lag_ms abc
max_lag_ms 12x
max_lag_ms 604800001
max_lag_ms 1999
max_lag_ms 99999999999
readmit_lag_ms 5001
readmit_lag_ms -5
lag_penalty_ms 604800001
lag_penalty_ms 1.5
stale_ms 0
stale_ms 9
stale_ms 604800001
max_entries 0
max_entries 1048577
stale_policy bogus
stale_policy openly
stale_policy 1
all_lagging least
all_lagging rejected
EOF_BAD
diag "20 bad writes, $bad mishandled"
[ $bad -eq 0 ]
ktap_result $? "every bad write fails with EINVAL and keeps the old value"

printf '1999\n' >"$P/readmit_lag_ms" && printf '4000\n' >"$P/max_lag_ms" &&
	[ "$(cat $P/readmit_lag_ms)" = 1999 ] && [ "$(cat $P/max_lag_ms)" = 4000 ] &&
	printf 'closed\n' >"$P/stale_policy" && [ "$(cat $P/stale_policy)" = closed ]
ktap_result $? "good writes (with or without a newline) are taken"
echo open >$P/stale_policy
echo 2000 >$P/readmit_lag_ms
echo 5000 >$P/max_lag_ms

report 3311 - - 6000
s1=$(state 198.18.0.13:3311)
echo 7000 >$P/max_lag_ms
echo 6000 >$P/readmit_lag_ms
s2=$(state 198.18.0.13:3311)
echo 2000 >$P/readmit_lag_ms
echo 5000 >$P/max_lag_ms
s3=$(state 198.18.0.13:3311)
diag "r3 at 6000 ms: $s1; readmit 6000 / max 7000: $s2; back to 2000 / 5000: $s3"
[ "$s1" = lagging ] && [ "$s2" = ok ] && [ "$s3" = lagging ]
ktap_result $? "a good write re-derives states at once"

echo 10 >$P/stale_ms
sleep 0.3
s=$(state 198.18.0.12:3306)
echo 600000 >$P/stale_ms
diag "stale_ms 10 then a read 300 ms later: r2:3306 $s; back to 600000: $(state 198.18.0.12:3306)"
[ "$s" = stale ] && [ "$(state 198.18.0.12:3306)" = ok ]
ktap_result $? "stale_ms lowered: silent replicas go stale; raised: fresh again"

ktap_exit
