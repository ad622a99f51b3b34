#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lagwlcd under systemd's notification protocol, as an unprivileged user
# with only CAP_NET_ADMIN, against real MariaDB replication (lib/mariadb.sh).
# The guest has no systemd: lib/sdlisten.py plays its part (binds the
# socket $NOTIFY_SOCKET names, prints each datagram with the sender's pid
# from SCM_CREDENTIALS, and dumps the module's table the moment READY=1
# arrives), and setpriv does what User= + AmbientCapabilities=CAP_NET_ADMIN
# do in lagwlcd.service.
#
#   client 198.18.0.1 ---+
#   director 198.18.0.2  |   VIP 198.18.0.100:3306 lagwlc, -g, weight 1: r1, r2
#     lagwlcd -D         +-- br0   as uid 64000 (setpriv, ambient net_admin),
#     sdlisten.py        |         NOTIFY_SOCKET=/tmp/..., WATCHDOG_USEC=6 s,
#   primary 198.18.0.10 -+         poll 250 ms, timeout 1 s, discover = yes
#   r1 198.18.0.11 ------+   killed (4)
#   r2 198.18.0.12 ------+   MASTER_DELAY=8 (4)
#
#   1  the option file (0600): lagwlcd -t as lagwlcd's user accepts it owned
#      by that user, cannot read it owned by root (hence chown lagwlcd in
#      lagwlcd(8)); as root, refuses it owned by another user
#   2  READY=1 comes once, from lagwlcd's pid, after the first push: the
#      table dumped on its arrival already holds r1 and r2, each with a
#      state, and its STATUS= counts both ("2 replicas: 2 ok, 0 lagging,
#      0 down" unless a first probe was slow)
#   3  lagwlcd runs as uid 64000 with CAP_NET_ADMIN its only capability,
#      and as that user set the director's conn_reuse_mode to 3 (LVS-DR)
#   4  STATUS= follows the kernel's states: r1 killed, "1 ok, 0 lagging,
#      1 down" within 10 s;
#      r2 delayed 8 s, "0 ok, 1 lagging, 1 down"
#   5  WATCHDOG=1 every 3 s (half of WATCHDOG_USEC=6 s): over the run,
#      mean gap 2.4-3.9 s, none of 6 s (systemd's kill) or more. The
#      margins are wide on purpose: TCG on a loaded host leaves a vCPU
#      thread unscheduled for seconds at times; a reference sleeper pinned
#      to each vCPU (lib/sdlisten.py --stalls) logs such stalls, shown as
#      diagnostics next to the gaps
#   6  SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1; a refused
#      reload: RELOADING=1, then READY=1 with STATUS= saying so
#   7  SIGTERM: STOPPING=1, then lagwlcd exits 0
#   8  without CAP_NET_ADMIN (the same user, no ambient set), an abstract
#      socket (@name) and WATCHDOG_PID naming another process: pushes are
#      refused, so no READY=1 (STATUS= says why) and no WATCHDOG=1 in the
#      3 s after the first refusal,
#      but STOPPING=1 on SIGTERM arrives over the abstract socket
set -u
LAB_VM_ARGS=(--timeout 900 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
lab_boot_self "$@"

PRIMARY_ID=1
DELAY=8
LUID=64000		# lagwlcd's user: no passwd entry needed
REPLICAS=("r1 198.18.0.11 11" "r2 198.18.0.12 12")
LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
W=/tmp/lagwlcd-notify
CONF=$W/lagwlcd.conf CNF=$W/client.cnf LOG=$W/lagwlcd.log
SOCK=$W/notify N=$W/notify.log
ktap_plan 8

# as_user [--no-cap] CMD...: CMD as uid/gid LUID, no supplementary groups,
# with CAP_NET_ADMIN inherited and ambient (what systemd does for User= +
# AmbientCapabilities=), or with no capability at all
as_user() {
	local caps=(--inh-caps=-all,+net_admin --ambient-caps=+net_admin)
	if [ "$1" = --no-cap ]; then
		caps=(--inh-caps=-all)
		shift
	fi
	setpriv --reuid=$LUID --regid=$LUID --clear-groups "${caps[@]}" --bounding-set=-all,+net_admin \
		--no-new-privs -- "$@"
}

# listen ADDR LOG: sdlisten.py on the director, in the background (pid in
# LISTENER), once it listens
LISTENER=
listen() {
	local i
	ip netns exec director python3 "$LAB_TOP/tests/vm/lib/sdlisten.py" "$1" \
		"$CTL" -j show </dev/null >"$2" 2>&1 &
	LISTENER=$!
	LAB_PIDS+=("$LISTENER")
	for ((i = 0; i < 300; i++)); do
		grep -q '^listening' "$2" && return 0
		sleep 0.1
	done
	diag "sdlisten.py did not start: $(cat "$2")"
	return 1
}

# wait_note LOG REGEX SECONDS [SINCE]: the first notification line matching
# REGEX (extended, against the text after the pid), at or after SINCE (an
# epoch), waiting up to SECONDS
wait_note() {
	local i l
	for ((i = 0; i < $3 * 10; i++)); do
		l=$(awk -v re="$2" -v since="${4:-0}" '$2 ~ /^pid=/ && $1 >= since { t = $0; sub(/^[^ ]* [^ ]* /, "", t); if (t ~ re) { print; exit } }' "$1")
		[ -n "$l" ] && { echo "$l"; return 0; }
		sleep 0.1
	done
	return 1
}
# notes_after LOG EPOCH: the notifications after EPOCH
notes_after() { awk -v t="$2" '$2 ~ /^pid=/ && $1 >= t' "$1"; }
show() { sed 's/^/#   | /' "$@"; }
# stalled FROM TO: the guest's stall in seconds between two epochs: on
# each vCPU, the time between FROM and TO that the reference sleeper spent
# overdue (each late wake-up is a stall from when it was due to when it
# woke, counted where it overlaps FROM..TO); the larger of the two
stalled() {
	local cpu m=0 v
	for cpu in 0 1; do
		v=$(awk -v a="$1" -v b="$2" '$1 == "late" {
				lo = $2 > a ? $2 : a; hi = $2 + $3 < b ? $2 + $3 : b
				if (hi > lo) s += hi - lo
			} END { printf "%.3f", s + 0 }' $W/stalls$cpu.log)
		m=$(awk -v a="$m" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
	done
	echo "$m"
}


# ---- the fixture -------------------------------------------------------------------
lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 2
lab_add_host primary "$DB_PRIMARY_ADDR"
rm -rf "$W"
mkdir -p "$W"
chmod 755 "$W"
t=$SECONDS
ok=0
db_spawn_all $PRIMARY_ID "${REPLICAS[@]}" || ok=1
for name in r1 r2; do
	db_replicate "$name" "$DB_PRIMARY_ADDR" || ok=1
done
db_heartbeat_start primary 250 || ok=1
diag "MariaDB: primary + r1, r2 replicating, heartbeat every 250 ms, in $((SECONDS - t)) s"
[ $ok -eq 0 ] || { echo "Bail out! the MariaDB fixture did not come up"; exit 1; }
on director ipvsadm -A -t "$LAB_VIP:3306" -s lagwlc
for entry in "${REPLICAS[@]}"; do
	read -r name addr id <<<"$entry"
	onq director ipvsadm -a -t "$LAB_VIP:3306" -r "$addr:3306" -g -w 1
done
reuse0=$(onq director cat /proc/sys/net/ipv4/vs/conn_reuse_mode)

cat >"$CONF" <<EOF2
# t-lagwlcd-notify.sh
[lagwlcd]
poll_interval = 250ms
timeout = 1s
option_file = $CNF
discover = yes
EOF2
chmod 644 "$CONF"
printf '[client]\nuser = lab\npassword = %s\n' "$DB_LAB_PASSWORD" >"$CNF"
chmod 600 "$CNF"

# ---- 1. the option file's owner -----------------------------------------------------
chown $LUID:$LUID "$CNF"
out1=$(as_user "$LAGWLCD" -t -c "$CONF" 2>&1)
rc1=$?
chown 0:0 "$CNF"
out2=$(as_user "$LAGWLCD" -t -c "$CONF" 2>&1)
rc2=$?
chown $((LUID + 1)):$((LUID + 1)) "$CNF"
out3=$("$LAGWLCD" -t -c "$CONF" 2>&1)
rc3=$?
chown $LUID:$LUID "$CNF"
diag "as uid $LUID, owned by uid $LUID: status $rc1: $out1"
diag "as uid $LUID, owned by root: status $rc2: $out2"
diag "as root, owned by uid $((LUID + 1)): status $rc3: $out3"
[ $rc1 -eq 0 ] && [[ $out1 == "$CONF: configuration OK"* ]] &&
	[ $rc2 -eq 1 ] && [[ $out2 == *"option_file $CNF: Permission denied"* ]] &&
	[ $rc3 -eq 1 ] && [[ $out3 == *"owned by uid $((LUID + 1)), neither root nor lagwlcd's user (uid 0)"* ]]
ktap_result $? "option file: owned by lagwlcd's user (uid $LUID) accepted as that user; root's unreadable to it; another user's refused as root"

# ---- 2. READY=1 after the first push ---------------------------------------------------
listen "$SOCK" "$N" || { echo "Bail out! no listener"; exit 1; }
for cpu in 0 1; do
	taskset -c $cpu python3 "$LAB_TOP/tests/vm/lib/sdlisten.py" --stalls >$W/stalls$cpu.log 2>&1 &
	LAB_PIDS+=("$!")
done
echo "# [director] NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=6000000 setpriv (uid $LUID, ambient net_admin) $LAGWLCD -D -c $CONF"
T0=$EPOCHREALTIME
ip netns exec director env NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=6000000 \
	setpriv --reuid=$LUID --regid=$LUID --clear-groups --inh-caps=-all,+net_admin \
	--ambient-caps=+net_admin --bounding-set=-all,+net_admin --no-new-privs -- \
	"$LAGWLCD" -D -c "$CONF" </dev/null >"$LOG" 2>&1 &
MAIN=$!
LAB_PIDS+=("$MAIN")
ready=$(wait_note "$N" '^READY=1' 30)
sleep 0.5
table=$(awk '$2 == "ready-table" { sub(/^[^ ]* [^ ]* /, ""); print; exit }' "$N")
diag "READY after $(awk -v a="$T0" -v b="${ready%% *}" 'BEGIN { printf "%d", (b - a) * 1000 }') ms: ${ready#* }"
diag "the table when it came: $table"
show "$LOG"
first_push=$(grep -n 'told systemd: ready' "$LOG" | cut -d: -f1)
r=0
[ -n "$ready" ] || r=1
[[ $ready =~ \ pid=$MAIN\ READY=1\|STATUS=2\ replicas:\ ([0-9])\ ok,\ ([0-9])\ lagging,\ ([0-9])\ down$ ]] || r=1
[ $r -eq 0 ] && [ $((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3])) -eq 2 ] || r=1
[ "$(grep -c 'READY=1' "$N")" -eq 1 ] || r=1
for a in 198.18.0.11 198.18.0.12; do
	python3 -c '
import json, sys
t = json.loads(sys.argv[1]); a = sys.argv[2]
rs = [d for s in t.get("services", []) for d in s.get("destinations", [])]
sys.exit(0 if any(d.get("address") == a and d.get("state") in ("ok", "lagging", "down") for d in rs) else 1)
' "$table" "$a" || { diag "$a has no state in the table at READY"; r=1; }
done
[ -n "$first_push" ] || r=1
ktap_result $r "READY=1 once, from lagwlcd's pid, with r1 and r2 already in the module's table; its STATUS= counts both"

# ---- 3. unprivileged, CAP_NET_ADMIN only ---------------------------------------------
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$MAIN/status)
capeff=$(awk '/^CapEff:/ { print $2 }' /proc/$MAIN/status)
capamb=$(awk '/^CapAmb:/ { print $2 }' /proc/$MAIN/status)
reuse=$(onq director cat /proc/sys/net/ipv4/vs/conn_reuse_mode)
diag "lagwlcd (pid $MAIN): uids $uids, CapEff $capeff, CapAmb $capamb; conn_reuse_mode $reuse0 before, $reuse now"
[ "$uids" = "$LUID $LUID $LUID $LUID" ] && [ "$capeff" = 0000000000001000 ] &&
	[ "$capamb" = 0000000000001000 ] && [ "$reuse0" = 1 ] && [ "$reuse" = 3 ] &&
	grep -q 'conn_reuse_mode was 1: set to 3' "$LOG"
ktap_result $? "lagwlcd runs as uid $LUID with CAP_NET_ADMIN (bit 12) its only capability, pushes, and set conn_reuse_mode 1 -> 3"

# ---- 4. STATUS= follows the kernel's states -----------------------------------------
T1=$EPOCHREALTIME
db_kill r1
down=$(wait_note "$N" '^STATUS=2 replicas: 1 ok, 0 lagging, 1 down$' 10 "$T1")
down_ms=$(awk -v a="$T1" -v b="${down%% *}" 'BEGIN { printf "%d", (b - a) * 1000 }')
down_stall=$(stalled "$T1" "${down%% *}")
down_net=$(awk -v a="$down_ms" -v s="$down_stall" 'BEGIN { printf "%d", a - s * 1000 }')
diag "r1 killed: STATUS ${down#* } after $down_ms ms; the guest stalled $down_stall s meanwhile: $down_net ms net"
T2=$EPOCHREALTIME
db_delay r2 $DELAY
lag=$(wait_note "$N" '^STATUS=2 replicas: 0 ok, 1 lagging, 1 down$' 30 "$T2")
diag "r2 MASTER_DELAY=$DELAY: STATUS ${lag#* } after $(awk -v a="$T2" -v b="${lag%% *}" 'BEGIN { printf "%d", (b - a) * 1000 }') ms"
diag "every STATUS= so far:"
grep -o 'STATUS=[^|]*' "$N" | uniq | show
[ -n "$down" ] && [ "$down_ms" -le 10000 ] && [ -n "$lag" ]
ktap_result $? "STATUS= counts: r1 killed, 1 ok, 0 lagging, 1 down within 10 s ($down_ms ms, $down_net ms net of the guest's stalls); r2 delayed, 0 ok, 1 lagging, 1 down"

# ---- 6 (before 5, which measures the whole run). reloads ----------------------------
T3=$EPOCHREALTIME
kill -HUP $MAIN
rel=$(wait_note "$N" '^READY=1$' 10 "$T3")
sleep 0.3
good=$(notes_after "$N" "$T3" | grep -v WATCHDOG)
cp "$CONF" "$W/good.conf"
echo "poll_interval = nonsense" >>"$CONF"
T4=$EPOCHREALTIME
kill -HUP $MAIN
refused=$(wait_note "$N" '^READY=1[|]STATUS=reload refused' 10 "$T4")
sleep 0.3
bad=$(notes_after "$N" "$T4" | grep -v WATCHDOG)
cp "$W/good.conf" "$CONF"
diag "SIGHUP, good configuration:"
show <<<"$good"
diag "SIGHUP, refused configuration:"
show <<<"$bad"
r=0
[ -n "$rel" ] && [ -n "$refused" ] || r=1
# the first two notifications after each SIGHUP: RELOADING=1, then READY=1
echo "$good" | sed -n 1p | grep -Eq " pid=$MAIN RELOADING=1\|MONOTONIC_USEC=[0-9]+$" || r=1
echo "$good" | sed -n 2p | grep -Eq " pid=$MAIN READY=1$" || r=1
echo "$bad" | sed -n 1p | grep -Eq " pid=$MAIN RELOADING=1\|MONOTONIC_USEC=[0-9]+$" || r=1
echo "$bad" | sed -n 2p | grep -Eq " pid=$MAIN READY=1\|STATUS=reload refused" || r=1
grep -q 'reload refused' "$LOG" || r=1

# ---- 5. the watchdog's keep-alives, over the whole run ---------------------------------
sleep 2
gaps=$(awk '$3 == "WATCHDOG=1" { if (p) printf "%.3f %.6f\n", $1 - p, p; p = $1 }' "$N")
ngaps=$(echo "$gaps" | grep -c .)
wstat=$(echo "$gaps" | awk 'NF { s += $1; n++; if ($1 > m) m = $1 } END { if (n) printf "%.3f %.3f", s / n, m }')
diag "WATCHDOG=1: $((ngaps + 1)) keep-alives, mean gap and longest gap (s): ${wstat:-none}; all from pid $MAIN: $(awk '$3 == "WATCHDOG=1"' "$N" | grep -vc " pid=$MAIN ") from another"
diag "the guest's own stalls (reference sleepers on vCPU 0 and 1, wake-ups late by over 0.2 s: cpu, when due, by how much):"
for cpu in 0 1; do sed "s/^/cpu$cpu /" $W/stalls$cpu.log; done | show
grep 'watchdog keep-alive' "$LOG" | show
w=0
[ "$ngaps" -ge 5 ] || w=1
awk -v s="$wstat" 'BEGIN { split(s, a, " "); exit !(a[1] >= 2.4 && a[1] <= 3.9 && a[2] < 6.0) }' || w=1
# gaps of over 4 s, with the guest's stall within each, for the record
while read -r gap from; do
	awk -v g="$gap" 'BEGIN { exit !(g >= 4.0) }' || continue
	stall=$(stalled "$from" "$(awk -v f="$from" -v g="$gap" 'BEGIN { printf "%.6f", f + g }')")
	at=$(awk -v a="$T0" -v b="$from" 'BEGIN { printf "%.1f", b - a }')
	diag "gap of $gap s from T0 + $at s: the guest stalled $stall s in it"
done <<<"$gaps"
[ "$(awk '$3 == "WATCHDOG=1"' "$N" | grep -vc " pid=$MAIN ")" -eq 0 ] || w=1
ktap_result $w "WATCHDOG=1 every 3 s (WATCHDOG_USEC=6 s): mean gap in 2.4-3.9 s, none of 6 s or more"
ktap_result $r "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1; a refused reload: RELOADING=1, then READY=1 and STATUS=reload refused"

# ---- 7. SIGTERM -------------------------------------------------------------------------
T5=$EPOCHREALTIME
term_wait $MAIN 20
st=$?
stop=$(notes_after "$N" "$T5" | grep -v WATCHDOG)
diag "SIGTERM: status $st; notifications after it:"
show <<<"$stop"
[ $st -eq 0 ] && echo "$stop" | sed -n 1p | grep -Eq " pid=$MAIN STOPPING=1\|STATUS=exiting on Terminated$" &&
	[ "$(echo "$stop" | grep -c .)" -eq 1 ]
ktap_result $? "SIGTERM: STOPPING=1 (and nothing after it), then exit status 0"
kill $LISTENER 2>/dev/null

# ---- 8. no CAP_NET_ADMIN, abstract socket, another process's watchdog ---------------------
N2=$W/notify2.log LOG2=$W/lagwlcd2.log CONF2=$W/nocap.conf
# a [replica] section: a push is tried even though IPVS cannot be read
{ cat "$CONF"; echo "[replica 198.18.0.12:3306]"; } >"$CONF2"
chmod 644 "$CONF2"
listen @lagwlc-notify-test "$N2" || { echo "Bail out! no listener"; exit 1; }
echo "# [director] NOTIFY_SOCKET=@lagwlc-notify-test WATCHDOG_USEC=2000000 WATCHDOG_PID=1 setpriv (uid $LUID, no capability) $LAGWLCD -D -c $CONF"
ip netns exec director env NOTIFY_SOCKET=@lagwlc-notify-test WATCHDOG_USEC=2000000 WATCHDOG_PID=1 \
	setpriv --reuid=$LUID --regid=$LUID --clear-groups --inh-caps=-all --bounding-set=-all \
	--no-new-privs -- "$LAGWLCD" -D -c "$CONF2" </dev/null >"$LOG2" 2>&1 &
P2=$!
LAB_PIDS+=("$P2")
# its first push refused (exec alone takes seconds under TCG on a busy
# host), then 3 s more for a READY or WATCHDOG that must not come
for ((i = 0; i < 300; i++)); do
	grep -q 'push refused' "$LOG2" && break
	sleep 0.1
done
sleep 3
term_wait $P2 20
st=$?
sleep 0.3
diag "status $st; log:"
show "$LOG2"
diag "notifications:"
grep pid= "$N2" | show
[ $st -eq 0 ] && ! grep -q 'READY=1\|WATCHDOG=1' "$N2" &&
	grep -q " pid=$P2 STATUS=1 replica: pushes to the kernel failing (see the log)$" "$N2" &&
	grep -Eq " pid=$P2 STOPPING=1" "$N2" && grep -q 'push refused: reporting to lagwlc needs CAP_NET_ADMIN' "$LOG2"
ktap_result $? "without CAP_NET_ADMIN: pushes refused, no READY=1 (STATUS= says why) nor WATCHDOG=1 (WATCHDOG_PID another's); STOPPING=1 over an abstract socket"
kill $LISTENER 2>/dev/null

db_heartbeat_stop primary
ktap_exit
