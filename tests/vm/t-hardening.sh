#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel review's findings (issue 10), each shown on the lab kernel:
#
#   1. load-time options in any order; a bad pair refused with one line;
#   2. lagwlcd with a full table: known replicas still refreshed, each
#      refused one logged once, accepted once there is room;
#   3. reads and events need CAP_NET_ADMIN: lagwlcctl says so;
#   4. a generic netlink socket that owns no entry closes without the
#      table's lock (function_graph of the release handler);
#   5. memory: entries charged to the reporter's memory cgroup; a network
#      namespace that never reports costs no table;
#   6. port 0: a fwmark service's real servers (port 0) scheduled by lag;
#   7. rmmod racing events, the stale timer, socket releases and tunable
#      writes: no warning.
#
#   guest root netns: ip_vs + ip_vs_lagwlc, lagwlcctl, lagwlcd, tracefs, cgroup2
#   client 198.18.0.1 --- br0 --- director 198.18.0.2 (VIP 198.18.0.100, fwmark 7
#                                  by tc on eth0) --- r1..r3 198.18.0.11-13 (DR)
set -u
LAB_VM_ARGS=(--timeout 900)
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
GENL=$LAB_TOP/tests/vm/lib/genl.py
W=$(mktemp -d /tmp/hardening.XXXXXX)
ktap_plan 17

modprobe ip_vs || { echo "Bail out! no ip_vs"; exit 1; }

# ---- 1. load-time options --------------------------------------------------------
for order in "max_lag_ms=1000 readmit_lag_ms=500" "readmit_lag_ms=500 max_lag_ms=1000"; do
	diag "insmod ip_vs_lagwlc.ko $order"
	# shellcheck disable=SC2086
	insmod "$LAB_MODULE" $order
	rc=$?
	got="$(cat $P/max_lag_ms 2>/dev/null)/$(cat $P/readmit_lag_ms 2>/dev/null)"
	diag "rc $rc, max_lag_ms/readmit_lag_ms: $got"
	[ $rc -eq 0 ] && [ "$got" = 1000/500 ]
	ktap_result $? "load with \"$order\": loads, 1000/500"
	rmmod ip_vs_lagwlc 2>/dev/null
done

dmesg -C
out=$(insmod "$LAB_MODULE" max_lag_ms=1000 readmit_lag_ms=1500 2>&1)
rc=$?
line=$(dmesg | grep -F 'ip_vs_lagwlc:' | tail -n 1)
diag "insmod max_lag_ms=1000 readmit_lag_ms=1500: rc $rc ($out); kernel: $line"
[ $rc -ne 0 ] && [ ! -d $P ] &&
	[[ $line == *"readmit_lag_ms=1500 is above max_lag_ms=1000"* ]]
ktap_result $? "a bad pair is refused, one kernel line naming both values"

insmod "$LAB_MODULE" || { echo "Bail out! cannot load the module"; exit 1; }
echo 500 >$P/readmit_lag_ms && echo 1000 >$P/max_lag_ms
bad=$( { echo 1500 >$P/readmit_lag_ms; } 2>&1)
rc=$?
now=$(cat $P/readmit_lag_ms)
diag "at run time: readmit_lag_ms 500, max_lag_ms 1000, then readmit_lag_ms 1500: rc $rc ($bad), readmit_lag_ms $now"
echo 5000 >$P/max_lag_ms && echo 2000 >$P/readmit_lag_ms
[ $rc -ne 0 ] && [ "$now" = 500 ]
ktap_result $? "at run time a write that breaks readmit <= max is still refused"

# ---- 2. lagwlcd and a full table ---------------------------------------------------
cat >"$W/lagwlcd.conf" <<EOF
[lagwlcd]
poll_interval = 100ms
timeout = 200ms
discover = no
option_file = none
[replica 198.18.50.1:3306]
[replica 198.18.50.2:3306]
[replica 198.18.50.3:3306]
[replica 198.18.50.4:3306]
EOF
echo 2 >$P/max_entries
echo "# lagwlcd -D -c lagwlcd.conf (4 replicas, nothing listens: all down), max_entries 2"
"$LAGWLCD" -D -c "$W/lagwlcd.conf" </dev/null >"$W/lagwlcd.log" 2>&1 &
LPID=$!
LAB_PIDS+=("$LPID")
# first its refusals (a loaded host may take seconds to start it), then 30 polls more
for i in $(seq 300); do
	[ "$(grep -c 'refused: the kernel' "$W/lagwlcd.log")" -ge 2 ] && break
	sleep 0.1
done
sleep 3
"$CTL" -j show >"$W/show.json" 2>&1
n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["replicas"]; print(len(r), max(x["age_ms"] for x in r) if r else -1)' "$W/show.json" 2>&1)
refused=$(grep -c 'refused: the kernel' "$W/lagwlcd.log")
diag "3 s (about 30 polls) after the refusals: table: $n (entries, oldest age ms); lagwlcd refusal lines: $refused"
grep -E 'refused|push' "$W/lagwlcd.log" | sed 's/^/#   /'
read -r entries oldest <<<"$n"
[ "${entries:-0}" -eq 2 ] && [ "${oldest:-99999}" -lt 1000 ] && [ "$refused" -eq 2 ]
ktap_result $? "max_entries 2 of 4: 2 entries kept fresh, each refused replica logged once in 30 polls"

echo 4 >$P/max_entries
for i in $(seq 100); do
	[ "$(grep -c 'accepted into the lag table' "$W/lagwlcd.log")" -ge 2 ] && break
	sleep 0.1
done
sleep 1
accepted=$(grep -c 'accepted into the lag table' "$W/lagwlcd.log")
entries=$(python3 "$GENL" dump | grep -c "198.18.50.")
diag "max_entries 4: entries $entries; \"accepted\" lines: $accepted"
[ "$entries" -eq 4 ] && [ "$accepted" -eq 2 ]
ktap_result $? "room again: all 4 in the table, each accepted replica logged once"
kill "$LPID"
wait "$LPID" 2>/dev/null
echo 4096 >$P/max_entries
"$CTL" flush

# ---- 3. reads need CAP_NET_ADMIN --------------------------------------------------------
"$CTL" set 198.18.0.11:3306 lag 10 >/dev/null
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
out=$("${NOBODY[@]}" "$CTL" show 2>&1)
rc=$?
diag "lagwlcctl show as nobody: rc $rc: $out"
[ $rc -eq 1 ] && [[ $out == *"reading the lag table needs CAP_NET_ADMIN"* ]] && [[ $out != *198.18.0.11* ]]
ktap_result $? "lagwlcctl show as nobody: exit 1, says CAP_NET_ADMIN is needed, shows nothing"

out=$(timeout 5 "${NOBODY[@]}" "$CTL" monitor 2>&1)
rc=$?
diag "lagwlcctl monitor as nobody: rc $rc: $out"
[ $rc -eq 1 ] && [[ $out == *"listening to lagwlc events needs CAP_NET_ADMIN"* ]]
ktap_result $? "lagwlcctl monitor as nobody: exit 1, says CAP_NET_ADMIN is needed"

out=$("${NOBODY[@]}" "$CTL" check 2>&1)
rc=$?
diag "lagwlcctl check as nobody: rc $rc: $out"
[ $rc -ne 0 ] && [[ $out == *CAP_NET_ADMIN* ]]
ktap_result $? "lagwlcctl check as nobody fails and says why (keepalived's script_user must be root)"
"$CTL" flush

# ---- 4. socket release: O(1) for a socket that owns nothing --------------------------------
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T
python3 - "$LAB_TOP/tests/vm/lib" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import genl
s = genl.Genl("lagwlc")
for b in range(0, 4000, 250):
    p = b"".join(genl.replica(f"198.18.{60 + i // 250}.{1 + i % 250}", 3306, 5) for i in range(b, b + 250))
    e = s.request(genl.CMD_SET, p)[0]
    assert e == 0, e
EOF
diag "lag table: $(python3 "$GENL" dump | wc -l) entries (one-shot, owned by no socket)"

# trace_release OUT CMD...: function_graph of the release handler while CMD runs
trace_release() {
	local out=$1
	shift
	echo 0 >$T/tracing_on
	# Patch only the functions the check reads: switching the whole kernel
	# to function_graph makes text_poke IPI the other vCPU tens of
	# thousands of times, which under TCG has tripped the soft-lockup
	# watchdog.
	echo 'lagwlc_netlink_event mutex_lock* mutex_unlock*' >$T/set_ftrace_filter
	echo lagwlc_netlink_event >$T/set_graph_function
	echo function_graph >$T/current_tracer
	echo >$T/trace
	echo 1 >$T/tracing_on
	"$@"
	echo 0 >$T/tracing_on
	cat $T/trace >"$out"
	echo nop >$T/current_tracer
	echo >$T/set_graph_function
	echo >$T/set_ftrace_filter
}

closes() {	# 50 generic netlink sockets that talk to lagwlc, then close
	python3 -c '
import sys; sys.path.insert(0, sys.argv[1]); import genl
for _ in range(50):
    s = genl.Genl("lagwlc"); s.request(genl.CMD_GET, genl.replica("198.18.60.1", 3306)); s.close()
' "$LAB_TOP/tests/vm/lib"
}
trace_release "$W/trace-nonowner" closes
calls=$(grep -c 'lagwlc_netlink_event' "$W/trace-nonowner")
locks=$(grep -cE 'mutex_lock|mutex_unlock' "$W/trace-nonowner")
diag "50 sockets that own nothing: $calls release handler calls traced, $locks mutex calls in them"
grep -A3 -m1 'lagwlc_netlink_event' "$W/trace-nonowner" | sed 's/^/#   /'
[ "$calls" -ge 50 ] && [ "$locks" -eq 0 ]
ktap_result $? "a closing socket that owns no entry: the handler takes no lock (4000 entries in the table)"

owner_exit() {	# a reporter with LAGWLC_A_SOCKET_OWNER that exits
	python3 -c '
import sys; sys.path.insert(0, sys.argv[1]); import genl
s = genl.Genl("lagwlc"); e = s.request(genl.CMD_SET, genl.replica("198.18.59.1", 3306, 5) + genl.nla(genl.A_SOCKET_OWNER, b""))[0]
sys.exit(-e)
' "$LAB_TOP/tests/vm/lib"
}
trace_release "$W/trace-owner" owner_exit
locks=$(grep -cE 'mutex_lock' "$W/trace-owner")
state=$(python3 "$GENL" dump | grep -F "'198.18.59.1'" | grep -o "'state': '[a-z]*'")
diag "an owner's socket closes: $locks mutex_lock calls traced in the handler; 198.18.59.1: $state"
[ "$locks" -ge 1 ] && [ "$state" = "'state': 'stale'" ]
ktap_result $? "an owner's socket closes: the handler locks the table and its replica goes stale (the trace sees locks)"
"$CTL" flush

# ---- 5. memory -------------------------------------------------------------------------------
# 5a. entries are charged to the reporter's memory cgroup
CG=/sys/fs/cgroup
mountpoint -q $CG || mount -t cgroup2 none $CG
echo +memory >$CG/cgroup.subtree_control
mkdir -p $CG/t-lagwlc
slab_of() { sed -n 's/^slab \([0-9]*\)/\1/p' $CG/t-lagwlc/memory.stat; }

# cg_report N: in the cgroup, a process in a netns of its own reports N
# replicas and waits; print its cgroup's slab bytes while it holds them
cg_report() {
	python3 - "$LAB_TOP/tests/vm/lib" "$1" "$CG/t-lagwlc" "$W/cg.ready" <<'EOF' &
import ctypes, os, sys, time
sys.path.insert(0, sys.argv[1]); import genl
n = int(sys.argv[2])
open(sys.argv[3] + "/cgroup.procs", "w").write(str(os.getpid()))
assert ctypes.CDLL(None, use_errno=True).unshare(0x40000000) == 0  # CLONE_NEWNET
s = genl.Genl("lagwlc")
for b in range(0, n, 250):
    p = b"".join(genl.replica(f"10.{b // 250}.{i // 250}.{1 + i % 250}", 3306, 5) for i in range(b, min(n, b + 250)))
    assert s.request(genl.CMD_SET, p)[0] == 0
open(sys.argv[4], "w").write("ready")
time.sleep(30)
EOF
	local pid=$! i
	for i in $(seq 100); do [ -e "$W/cg.ready" ] && break; sleep 0.1; done
	sleep 2.5	# memory.stat is flushed at least every 2 s
	slab_of
	kill "$pid"
	wait "$pid" 2>/dev/null
	rm -f "$W/cg.ready"
}
base=$(cg_report 0)
full=$(cg_report 2000)
diag "cgroup slab: $base bytes for a reporter of 0 replicas, $full for one of 2000 (+$((full - base)))"
[ -n "$base" ] && [ -n "$full" ] && [ $((full - base)) -ge $((2000 * 96)) ]
ktap_result $? "2000 entries are charged to the reporter's memory cgroup (>= 96 bytes each)"

# 5b. a network namespace that never reports allocates no table. Each
# subsystem's per-netns data is one kzalloc in ops_init(): the kmalloc
# tracepoint shows those of 4 KiB or more (an 8 KiB table made one).
netns_big_allocs() {	# $1: a tag; prints the ops_init kmallocs >= 4 KiB for 16 new netns
	local i
	echo 'bytes_req >= 4096' >$T/events/kmem/kmalloc/filter
	echo 1 >$T/events/kmem/kmalloc/enable
	echo >$T/trace
	echo 1 >$T/tracing_on
	for i in $(seq 16); do ip netns add "t5b-$1-$i"; done
	echo 0 >$T/tracing_on
	echo 0 >$T/events/kmem/kmalloc/enable
	grep -o 'call_site=ops_init[^ ]* .*bytes_req=[0-9]*' $T/trace | sed 's/ ptr=[^ ]*//' >"$W/allocs-$1"
	for i in $(seq 16); do ip netns del "t5b-$1-$i"; done
	wc -l <"$W/allocs-$1"
}
with=$(netns_big_allocs with)
rmmod ip_vs_lagwlc
without=$(netns_big_allocs without)
insmod "$LAB_MODULE" || { echo "Bail out! cannot reload the module"; exit 1; }
diag "per-netns allocations of 4 KiB or more in 16 new netns: $with with the module, $without without"
sort "$W/allocs-with" | uniq -c | sed 's/^/#   with:    /'
sort "$W/allocs-without" | uniq -c | sed 's/^/#   without: /'
[ "$with" -eq "$without" ]
ktap_result $? "16 network namespaces that never report allocate no 8 KiB table (no more big allocations than without the module)"

# ---- 6. port 0: a fwmark service ------------------------------------------------------------
lab_setup dr 3
lab_realservers 3320 || { echo "Bail out! real servers"; exit 1; }
echo 600000 >$P/stale_ms
on director tc qdisc add dev eth0 ingress
on director tc filter add dev eth0 ingress protocol ip flower ip_proto tcp \
	dst_ip "$LAB_VIP" dst_port 3320 action skbedit mark 7
on director ipvsadm -A -f 7 -s lagwlc
for entry in "${LAB_REALS[@]}"; do
	onq director ipvsadm -a -f 7 -r "${entry#* }" -g -w 1
done
on director ipvsadm -Ln | sed 's/^/# /'
on director "$CTL" set 198.18.0.11:0 down 198.18.0.12:0 lag 0 198.18.0.13:0 lag 0
on director "$CTL" show | sed 's/^/# /'
connect() {	# N new connections from the client to VIP:3320; count the answers
	onq client python3 -c '
import socket, sys, collections
c = collections.Counter()
for _ in range(int(sys.argv[2])):
    s = socket.create_connection((sys.argv[1], 3320), timeout=3)
    c[s.recv(16).decode().strip()] += 1
    s.close()
print(" ".join(f"{k}={v}" for k, v in sorted(c.items())))
' "$LAB_VIP" "$1"
}
got=$(connect 30)
diag "30 connections through FWM 7: $got"
[[ $got != *r1=* ]] && [[ $got == *r2=* ]] && [[ $got == *r3=* ]] &&
	[ $(( $(sed -n 's/.*r2=\([0-9]*\).*/\1/p' <<<"$got") + $(sed -n 's/.*r3=\([0-9]*\).*/\1/p' <<<"$got") )) -eq 30 ]
ktap_result $? "FWM 7, real servers with port 0: r1:0 reported down gets none of 30, r2 and r3 share them"

out=$(on director "$CTL" show 2>&1)
printf '%s\n' "$out" | sed 's/^/# /'
grep -qE '198\.18\.0\.11:0 .* down' <<<"$out"
ktap_result $? "lagwlcctl show lists r1:0 under FWM 7 as down"

# ---- 7. rmmod racing every writer ------------------------------------------------------------
lab_teardown >/dev/null
ipvsadm -C
echo "# 20 cycles: insmod; a monitor, an owner reporting every 10 ms, stale_ms 10, tunable"
echo "# writes in a loop; then the owner killed and rmmod at once"
rmmod ip_vs_lagwlc
fails=0
for i in $(seq 20); do
	insmod "$LAB_MODULE" stale_ms=10 || { fails=$((fails + 1)); continue; }
	"$CTL" monitor >/dev/null 2>&1 &
	mon=$!
	python3 -c '
import sys, time; sys.path.insert(0, sys.argv[1]); import genl
s = genl.Genl("lagwlc")
while True:
    s.request(genl.CMD_SET, genl.replica("198.18.70.1", 3306, int(time.time() * 1000) % 9000) + genl.nla(genl.A_SOCKET_OWNER, b""))
    time.sleep(0.01)
' "$LAB_TOP/tests/vm/lib" >/dev/null 2>&1 &
	feeder=$!
	( while :; do echo 3000 >$P/max_lag_ms; echo 5000 >$P/max_lag_ms; done ) 2>/dev/null &
	writer=$!
	sleep 0.3
	kill -9 "$feeder" "$mon"
	rmmod ip_vs_lagwlc 2>/dev/null || { sleep 0.2; rmmod ip_vs_lagwlc; } || fails=$((fails + 1))
	kill "$writer" 2>/dev/null
	wait "$feeder" "$mon" "$writer" 2>/dev/null
done
diag "cycles that failed: $fails of 20"
[ $fails -eq 0 ] && ! lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "20 rmmods racing events, the stale timer, a release and tunable writes all succeed"

ktap_check "no WARNING, BUG or Call Trace in the kernel log" lab_kernel_clean
rm -rf "$W"
rmdir $CG/t-lagwlc 2>/dev/null
ktap_exit
