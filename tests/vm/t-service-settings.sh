#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-service settings (LAGWLC_CMD_SVC_*): two lagwlc services over the same
# three replicas, r3 2 s behind (reported with lagwlcctl set), each with its
# own limits, shown by real connections through both VIPs in the same run.
#
#   client 198.18.0.1 --> director 198.18.0.2 --> r1 198.18.0.11:3306
#     strict  tcp 198.18.0.100:3306  max-lag 500ms      --> r2 198.18.0.12:3306
#     relaxed tcp 198.18.0.101:3306  max-lag 60s, penalty 2s --> r3 198.18.0.13:3306 (lag 2000)
#
# (LVS-DR: both VIPs on the real servers' lo.) Then:
#   - lagwlcctl monitor (text and -j) saw the settings set and deleted;
#   - the settings and their sources with lagwlcctl service show;
#   - netlink errors with the kernel's extack (lagwlcctl, and raw requests
#     through lib/genl.py for what lagwlcctl never sends), and EPERM;
#   - a lagwlcd whose lagwlcd.conf has the two [service] sections: the
#     module is removed and loaded again (which forgets every setting) and
#     lagwlcd sets them again; scheduling checked again after it; then a
#     SIGHUP with one section changed and one removed.
set -u
LAB_VM_ARGS=(--timeout 900)
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
VIP2=198.18.0.101
STRICT="tcp $LAB_VIP:3306" RELAXED="tcp $VIP2:3306"
W=/tmp/svc-t
ktap_plan 16

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 3
onq director ip addr add "$VIP2/32" dev eth0
for entry in "${LAB_REALS[@]}"; do
	onq "${entry%% *}" ip addr add "$VIP2/32" dev lo
done
lab_realservers 3306 || { echo "Bail out! real servers"; exit 1; }
on director ipvsadm --set 3600 3600 300

service() { lab_dr_service "$1" 3306; }	# service VIP: r1..r3 at 3306, weight 1

# share VIP N: open and end N connections through VIP:3306; "r1 r2 r3 refused"
share() { lab_dr_share "$1" 3306 "$2"; }

lags() {	# r3 2 s behind, r1 and r2 in sync
	onq director "$CTL" set 198.18.0.11:3306 lag 0 198.18.0.12:3306 lag 0 \
		198.18.0.13:3306 lag 2s
}

# setting SERVICE NAME: "VALUE SOURCE" of one setting in lagwlcctl service show
setting() {
	local svc=$1 name=$2
	# shellcheck disable=SC2086 # SERVICE is two words
	onq director "$CTL" service show $svc | awk -v n="$name" '$1 == n { print $2, $3 }'
}

# ---- 1. two services, one replica 2 s behind ---------------------------------
echo 600000 >$P/stale_ms	# one-shot reports must not age
service "$LAB_VIP"
# monitors, text and JSON, of the settings' events (point 4); not through a
# shell function: $! must be lagwlcctl itself
mkdir -p $W
ip netns exec director "$CTL" monitor >$W/mon 2>&1 &
mon=$!
ip netns exec director "$CTL" -j monitor >$W/monj 2>&1 &
monj=$!
for _ in $(seq 60); do	# until both listen: a sentinel service's events
	onq director "$CTL" service set tcp "$LAB_VIP:9997" max-lag 1s
	onq director "$CTL" service del tcp "$LAB_VIP:9997"
	sleep 0.5
	grep -q ':9997' $W/mon && grep -q ':9997' $W/monj && break
done
# the relaxed service's settings before it exists: they apply when it comes
on director "$CTL" service set $STRICT max-lag 500ms
on director "$CTL" service set $RELAXED max-lag 60s penalty 2s
service "$VIP2"
lags
read -r n1 n2 n3 nr < <(share "$LAB_VIP" 30)
diag "strict (max-lag 500ms), r3 2000 ms behind, 30 connections: r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$n3" -eq 0 ] && [ $((n1 + n2)) -eq 30 ]
ktap_result $? "the strict service (max-lag 500ms) gives the replica 2 s behind no connection"
read -r m1 m2 m3 mr < <(share "$VIP2" 100)
diag "relaxed (max-lag 60s, penalty 2s), same replicas, 100 connections: r1 $m1, r2 $m2, r3 $m3, refused $mr (2:2:1 expected)"
# factors 2000:2000:4000: equal costs at 2:2:1, give or take one connection each
[ "$m3" -gt 0 ] && [ $((m1 - 2 * m3)) -ge -3 ] && [ $((m1 - 2 * m3)) -le 3 ] &&
	[ $((m2 - 2 * m3)) -ge -3 ] && [ $((m2 - 2 * m3)) -le 3 ]
ktap_result $? "the relaxed service (max-lag 60s) keeps it, weighed by its own penalty (2:2:1)"
st=$(onq director python3 "$LAB_TOP/tests/vm/lib/genl.py" dump | grep -F "'198.18.0.13'")
diag "the table's entry for r3: $st"
grep -q "'state': 'ok'" <<<"$st"
ktap_result $? "the table's state of r3 is still the module parameters' (ok under max_lag_ms $(cat $P/max_lag_ms))"
for _ in $(seq 50); do
	grep -q ':3306 max-lag 60000ms' $W/mon && grep -q '"tcp 198.18.0.101:3306"' $W/monj && break
	sleep 0.2
done
kill -INT $mon $monj
wait $mon $monj
grep -v '^198' $W/mon | sed 's/^/# monitor: /'
grep -q '"tcp 198.18.0.101:3306"' $W/monj && sed 's/^/# monitor -j: /' $W/monj | grep -F '"tcp 198.18.0.101:3306"'
grep -qx 'service tcp 198.18.0.100:3306 max-lag 500ms' $W/mon &&
	grep -qx 'service tcp 198.18.0.101:3306 max-lag 60000ms penalty 2000ms (no lagwlc service now)' $W/mon &&
	grep -qx 'service tcp 198.18.0.100:9997 no settings of its own (no lagwlc service now)' $W/mon &&
	grep -q '^{"service":"tcp 198.18.0.101:3306","bound":false,"settings":{"max_lag":{"ms":60000,"source":"service"}' $W/monj
ktap_result $? "lagwlcctl monitor prints each service's settings as they are set and deleted (text and -j)"

# ---- 2. what lagwlcctl service show says ----------------------------------------
onq director "$CTL" service show | sed 's/^/# /'
[ "$(setting "$STRICT" max-lag)" = "500ms service" ] &&
	[ "$(setting "$STRICT" readmit-lag)" = "500ms global" ] &&
	[ "$(setting "$STRICT" penalty)" = "1000ms global" ] &&
	[ "$(setting "$RELAXED" max-lag)" = "60000ms service" ] &&
	[ "$(setting "$RELAXED" penalty)" = "2000ms service" ] &&
	[ "$(setting "$RELAXED" stale-policy)" = "open global" ]
ktap_result $? "service show: each value in force and its source (readmit-lag capped at the strict max-lag)"
json=$(onq director "$CTL" -j service show)
grep -q '"service":"tcp 198.18.0.101:3306","bound":true,"settings":{"max_lag":{"ms":60000,"source":"service"}' <<<"$json"
ktap_result $? "service show -j: the same, as JSON"

# ---- 3. errors: the kernel's extack -------------------------------------------------
out=$(onq director "$CTL" service set $STRICT max-lag 1s readmit-lag 2s 2>&1)
rc=$?
diag "readmit-lag above max-lag: status $rc: $out"
[ $rc -eq 1 ] && grep -q "readmit_lag_ms must be <= max_lag_ms" <<<"$out" &&
	[ "$(setting "$STRICT" max-lag)" = "500ms service" ]
ktap_result $? "readmit-lag above max-lag: refused with the kernel's message, settings unchanged"
out=$(onq director "$CTL" service del tcp "$LAB_VIP:9999" 2>&1)
rc=$?
out2=$(onq director "$CTL" service show tcp "$LAB_VIP:9999" 2>&1)
rc2=$?
diag "del: status $rc: $out; show: status $rc2: $out2"
[ $rc -eq 1 ] && grep -q "no settings for this service" <<<"$out" &&
	[ $rc2 -eq 1 ] && grep -q "no such service" <<<"$out2"
ktap_result $? "del and show of a service with no settings: ENOENT with the kernel's message"
raw=$(onq director python3 - "$LAB_TOP/tests/vm/lib" <<'EOF'
import socket, sys
sys.path.insert(0, sys.argv[1])
import genl
from genl import nest, nla, u8, u16, u32
SET, A_SERVICE = 6, 3
PROTO, ADDR4, PORT, MAX_LAG, STALE, BOUND = 1, 2, 4, 7, 11, 13
g = genl.Genl("lagwlc")
vip = nla(ADDR4, socket.inet_pton(socket.AF_INET, "198.18.0.100"))
cases = [
    ("no protocol", nest(A_SERVICE, vip, u16(PORT, 3306), u32(MAX_LAG, 1))),
    ("stale-policy 3", nest(A_SERVICE, u8(PROTO, 6), vip, u16(PORT, 3306), u8(STALE, 3))),
    ("the bound flag", nest(A_SERVICE, u8(PROTO, 6), vip, u16(PORT, 3306), nla(BOUND, b""))),
    ("no setting", nest(A_SERVICE, u8(PROTO, 6), vip, u16(PORT, 3306))),
    ("protocol 1", nest(A_SERVICE, u8(PROTO, 1), vip, u16(PORT, 3306), u32(MAX_LAG, 1))),
]
for name, payload in cases:
    err, _, info = g.request(SET, payload)
    print("%s|%d|%s|%s" % (name, err, info.get("msg", ""), info.get("miss_type", "")))
EOF
)
sed 's/^/# /' <<<"$raw"
grep -qx "no protocol|-22|service protocol missing: LAGWLC_S_PROTOCOL|1" <<<"$raw" &&
	grep -qx "stale-policy 3|-34|.*|" <<<"$raw" &&
	grep -qx "the bound flag|-22|LAGWLC_S_BOUND is reply-only|" <<<"$raw" &&
	grep -qx "no setting|-22|no setting given: use LAGWLC_CMD_SVC_DEL to follow the module parameters|" <<<"$raw" &&
	grep -qx "protocol 1|-22|LAGWLC_S_PROTOCOL must be IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP|" <<<"$raw" &&
	[ "$(setting "$STRICT" max-lag)" = "500ms service" ]
ktap_result $? "malformed SVC_SET requests: EINVAL/ERANGE, each with its extack (message, missing attribute)"
out=$(onq director setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$CTL" service set $STRICT max-lag 1s 2>&1)
rc=$?
diag "as nobody: status $rc: $out"
[ $rc -eq 1 ] && grep -q "Operation not permitted\|CAP_NET_ADMIN" <<<"$out" &&
	[ "$(setting "$STRICT" max-lag)" = "500ms service" ]
ktap_result $? "an unprivileged caller is refused (EPERM)"

# ---- 4. lagwlcd keeps its [service] sections across a module reload ------------------
mkdir -p $W
printf '[client]\nuser = lagwlcd\n' >$W/client.cnf
chmod 600 $W/client.cnf
write_conf() {	# write_conf STRICT-MAX-LAG [RELAXED]: lagwlcd.conf
	{
		echo "[lagwlcd]"
		echo "discover = no"
		echo "option_file = $W/client.cnf"
		echo "[replica 198.18.0.50:3306]	# probed in vain, in no service"
		echo "[service $STRICT]"
		echo "max_lag = $1"
		if [ -n "${2:-}" ]; then
			echo "[service $RELAXED]"
			echo "max_lag = 60s"
			echo "penalty = 2s"
		fi
	} >$W/lagwlcd.conf.new && mv $W/lagwlcd.conf.new $W/lagwlcd.conf
}
write_conf 500ms relaxed
# not through onq: $! must be lagwlcd itself (ip netns exec execs it)
ip netns exec director "$LAGWLCD" -D -c $W/lagwlcd.conf >$W/lagwlcd.log 2>&1 &
LPID=$!
LAB_PIDS+=("$LPID")
# wait_for SECONDS CMD...: poll CMD every 0.2 s
wait_for() {
	local i n=$(($1 * 5))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
# lagwlcd logs "settings of line N pushed" when the module lacked them, and
# "... pushed (the module's differed)" when it had others. Both sections
# equal what lagwlcctl set above: at start it has nothing to push.
npushed() { grep -c 'service tcp .*: settings of line [0-9]* pushed$' $W/lagwlcd.log; }
sleep 3		# a few of lagwlcd's rescans (1 s)
before=$(npushed)
diag "lagwlcd at start: $before section(s) pushed (0 expected: the module had them)"
# the module forgets everything when it goes: services must go first (a
# netlink dump in flight holds the module a moment: retry)
onq director ipvsadm -C
for i in $(seq 50); do
	rmmod ip_vs_lagwlc 2>/dev/null && break
	sleep 0.2
done
unloaded=$(lsmod | grep -cw ip_vs_lagwlc)
lab_load_module
pushed() { [ "$(npushed)" -ge $((before + 2)) ] &&
	[ "$(setting "$STRICT" max-lag)" = "500ms service" ] &&
	[ "$(setting "$RELAXED" penalty)" = "2000ms service" ]; }
t0=$(date +%s%N)
wait_for 30 pushed
rc=$?
diag "module unloaded: $([ "$unloaded" = 0 ] && echo yes || echo NO); lagwlcd set both sections again (absent from the module: 'pushed', not 'differed') after $((($(date +%s%N) - t0) / 1000000)) ms"
grep 'service tcp' $W/lagwlcd.log | sed 's/^/# lagwlcd: /'
[ "$unloaded" = 0 ] && [ $rc -eq 0 ]
ktap_result $? "module removed and loaded (settings gone with it): lagwlcd set both [service] sections again"
service "$LAB_VIP"
service "$VIP2"
echo 600000 >$P/stale_ms
lags
read -r n1 n2 n3 nr < <(share "$LAB_VIP" 20)
read -r m1 m2 m3 mr < <(share "$VIP2" 30)
diag "after the reload, strict: r1 $n1, r2 $n2, r3 $n3, refused $nr; relaxed: r1 $m1, r2 $m2, r3 $m3, refused $mr"
[ "$n3" -eq 0 ] && [ $((n1 + n2)) -eq 20 ] && [ "$m3" -gt 0 ] && [ $((m1 + m2 + m3)) -eq 30 ]
ktap_result $? "after the reload the services, created again, get their settings: strict excludes r3, relaxed keeps it"

# a lagwlcctl change of a configured service is undone at the next rescan
on director "$CTL" service set $STRICT max-lag 9s
wait_for 10 eval '[ "$(setting "$STRICT" max-lag)" = "500ms service" ]'
ktap_result $? "lagwlcd restores its section's settings changed behind its back"

# SIGHUP: the strict section changed, the relaxed one removed
write_conf 700ms
kill -HUP "$LPID"
wait_for 10 eval '[ "$(setting "$STRICT" max-lag)" = "700ms service" ] &&
	[ "$(setting "$RELAXED" max-lag)" = "$(cat $P/max_lag_ms)ms global" ]'
rc=$?
onq director "$CTL" service show | sed 's/^/# /'
[ $rc -eq 0 ]
ktap_result $? "SIGHUP: a changed section is set again, a removed one's settings deleted (global values back)"
kill -0 "$LPID"
ktap_result $? "lagwlcd still runs"
kill "$LPID"
wait "$LPID" 2>/dev/null

# ---- 5. the kernel's log ----------------------------------------------------------
dmesg | grep -E "lagwlc.*(error|fail)" | sed 's/^/# /'
lab_kernel_clean
ktap_result $? "no warning, BUG or call trace in the kernel's log"
ktap_exit
