#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Setup 2 of docs/keepalived.md: keepalived owns the virtual server
# (examples/keepalived/adopt/keepalived.conf: lb_algo wlc, TCP_CHECK,
# persistence_timeout 50, quorum, sorry_server, lvs_sync_daemon, VRRP with
# nopreempt) and lagwlcd (adopt/lagwlcd.conf, poll 250 ms) adopts it on
# both directors. Topology: lib/ha.sh.
#
# Reaction times are bounded from the test's side: the scheduler is read
# from /proc/net/ip_vs every 20 ms, and a time runs from the start of the
# last reading before the change (keepalived creating the service, a reset)
# to lagwlcd logging its switch to lagwlc.
set -u
LAB_VM_ARGS=(--timeout 900 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
. "$(dirname "$0")/lib/ha.sh"
lab_boot_self "$@"

POLL_MS=250
ADOPT_MAX=$((POLL_MS + 750))	# lagwlcd's switch: one poll, plus a reading's time (TCG)
READBACK_MAX=1500	# off lagwlc as read every 20 ms (SIGHUP: keepalived may reset it)
FAILOVER_MAX=10000
ktap_plan 10

# sched_watch NS SECONDS: read NS's scheduler of the VIP's service from
# /proc/net/ip_vs every 20 ms for SECONDS, in NS, with shell builtins only
# (an ipvsadm takes 50-700 ms under TCG on a busy host); "EPOCH SCHED"
# lines ("none": no service), EPOCH taken before the reading: the first
# reading, and the two readings around each change
sched_watch() {
	rm -f "$HA_W/tick"
	mkfifo "$HA_W/tick"
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$1" bash -c '
		exec 7<>"$2"
		end=$((SECONDS + $1)) prev="" pt=""
		while [ $SECONDS -lt $end ]; do
			t=$EPOCHREALTIME s=none
			mapfile -t lines </proc/net/ip_vs
			for l in "${lines[@]}"; do
				[[ $l == "TCP  C6120064:0CEA "* ]] && { read -r _ _ s _ <<<"$l"; break; }
			done
			if [ -z "$prev" ]; then
				echo "$t $s"
			elif [ "$s" != "$prev" ]; then
				echo "$pt $prev"
				echo "$t $s"
			fi
			prev=$s pt=$t
			read -r -t 0.02 -u 7
		done' sched_watch "$2" "$HA_W/tick"
}

# watch_ready FILE: wait (10 s) for sched_watch's first reading
watch_ready() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# log_epoch NS FROM PATTERN: when NS's lagwlcd logged the first line
# after line FROM matching PATTERN (seconds since the epoch), or nothing
log_epoch() {
	local ts
	ts=$(tail -n +$(($2 + 1)) "$HA_W/lagwlcd-$1.log" | sed -n "s/^\([0-9:.]*\) .*$3.*/\1/p" | head -n 1)
	[ -n "$ts" ] && date -d "$ts" +%s.%3N
}

# adopted_ms WATCH NS FROM PATTERN: ms from the start of the last reading
# in WATCH before the scheduler first changed to NS's lagwlcd logging
# PATTERN (after line FROM): an upper bound of lagwlcd's reaction
adopted_ms() {
	local sw
	sw=$(log_epoch "$2" "$3" "$4") || return 1
	awk -v sw="$sw" 'NR == 1 { init = $2 }
		$2 != init { printf "%d\n", (sw - pt) * 1000; exit }
		{ pt = $1 }' "$1"
}

# off_lagwlc FILE: the longest stretch (ms) a sched_watch FILE shows a
# service not on lagwlc, from the reading before it to the one after;
# "-" if never
off_lagwlc() {
	awk 'BEGIN { worst = -1 }
		$2 != "lagwlc" && $2 != "none" && !off { off = 1; from = prev }
		$2 == "lagwlc" && off { off = 0; d = ($1 - from) * 1000; if (d > worst) worst = d }
		{ prev = $1 }
		END { if (off) print "open"; else if (worst < 0) print "-"; else printf "%d\n", worst }' "$1"
}

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
t=$SECONDS
ha_setup || { echo "Bail out! the lab did not come up"; exit 1; }
diag "MariaDB primary + r1..r3 replicating in $((SECONDS - t)) s"
for d in d1 d2; do
	ha_conf adopt/lagwlcd.conf $d >"$HA_W/$d-lagwlcd.conf"
	ha_conf adopt/keepalived.conf $d >"$HA_W/$d-keepalived.conf"
done
sed 's/^/#   | /' "$HA_W/d1-lagwlcd.conf"

# ---- 1. keepalived creates the service with wlc, lagwlcd adopts it ---------------------
ok=0
for d in d1 d2; do
	ha_lagwlcd_start $d "$HA_W/$d-lagwlcd.conf"
done
sleep 1
sched_watch d1 12 >"$HA_W/watch1" &
wp=$!
watch_ready "$HA_W/watch1"
# d1 first: with nopreempt the first to become master keeps the VIP
ha_keepalived_start d1 "$HA_W/d1-keepalived.conf" || ok=1
wait $wp
first=$(awk '$2 != "none" { print $2; exit }' "$HA_W/watch1")
ms=$(adopted_ms "$HA_W/watch1" d1 0 'scheduler switched from wlc to lagwlc')
onq d1 ipvsadm -Ln | sed 's/^/#   | /'
grep 'adopt' "$HA_W/lagwlcd-d1.log" | sed 's/^/#   | /'
diag "keepalived created the service (first read: ${first:-nothing}); lagwlcd switched it ${ms:-never} ms after the last reading without it began"
[ "$first" = wlc ] || [ "$first" = lagwlc ] || ok=1
sed 's/^/#   watch: /' "$HA_W/watch1"
[ -n "$ms" ] && [ "$ms" -le $ADOPT_MAX ] || ok=1
onq d1 ipvsadm -S -n | grep -q -- "-A -t $LAB_VIP:3306 -s lagwlc -p 50" || ok=1
[ "$(onq d1 ipvsadm -S -n | grep -c -- '-r 198.18.0.1[123]:3306 -g -w 1')" -eq 3 ] || ok=1
ADOPT_START=${ms:-never}
ktap_result $ok "keepalived creates the service (wlc): lagwlcd has it on lagwlc within $ADOPT_MAX ms, persistence 50 and weights kept"

# ---- 2. d2, the VIP, sessions ---------------------------------------------------------
ok=0
ms=$(ha_wait_vip d1 "$EPOCHREALTIME" 20) || ok=1
ha_keepalived_start d2 "$HA_W/d2-keepalived.conf" || ok=1
for ((i = 0; i < 60; i++)); do
	[ "$(ha_sched d2)" = lagwlc ] && break
	sleep 0.25
done
sleep 2
for d in d1 d2; do
	[ "$(ha_sched $d)" = lagwlc ] || { diag "$d: scheduler $(ha_sched $d)"; ok=1; }
	for n in 1 2 3; do
		ha_wait_state $d 198.18.0.1$n ok 15 || ok=1
	done
	out=$(onq $d "$HA_CTL" check --max-age 2000 2>&1) || { diag "$d: check: $out"; ok=1; }
done
res=$(ha_first "$EPOCHREALTIME" 10)
diag "VIP on $(ha_master); a session: $res"
[ "$(ha_master)" = d1 ] && [[ $res == ok* ]] || ok=1
[ $ok -ne 0 ] && ha_logs
ktap_result $ok "both directors: keepalived's service on lagwlc, replicas ok, check passes; VIP on d1, sessions work"

# ---- 3. keepalived reload (SIGHUP) ------------------------------------------------------
n0=$(wc -l <"$HA_W/lagwlcd-d1.log")
sched_watch d1 6 >"$HA_W/watch3" &
wp=$!
sleep 0.5
ha_keepalived_reload d1
wait $wp
off=$(off_lagwlc "$HA_W/watch3")
tail -n +$((n0 + 1)) "$HA_W/lagwlcd-d1.log" | grep adopt | sed 's/^/#   | /'
diag "keepalived SIGHUP: longest time off lagwlc: $off ms (-: never reset); scheduler now $(ha_sched d1)"
[ "$(ha_sched d1)" = lagwlc ] && { [ "$off" = - ] || [ "$off" -le $READBACK_MAX ]; }
ktap_result $? "keepalived reload (SIGHUP): the service is on lagwlc again within $READBACK_MAX ms, if it left it at all"

# ---- 4. a scheduler reset by hand ---------------------------------------------------------
n0=$(wc -l <"$HA_W/lagwlcd-d1.log")
sched_watch d1 5 >"$HA_W/watch4" &
wp=$!
sleep 0.5
T0=$EPOCHREALTIME
on d1 ipvsadm -E -t "$LAB_VIP:3306" -s wlc -p 50
wait $wp
off=$(off_lagwlc "$HA_W/watch4")
sw=$(adopted_ms "$HA_W/watch4" d1 "$n0" 'was reset to wlc')
log=$(tail -n +$((n0 + 1)) "$HA_W/lagwlcd-d1.log" | grep adopt)
printf '%s\n' "$log" | sed 's/^/#   | /'
sed 's/^/#   watch: /' "$HA_W/watch4"
diag "ipvsadm -E ... -s wlc: lagwlcd logged the switch back ${sw:-never} ms after the last reading before the reset began; off lagwlc for $off ms as read; $(onq d1 ipvsadm -S -n | head -n 1)"
ADOPT_RESET="${sw:-never} ms"
[ "$(ha_sched d1)" = lagwlc ] && [ -n "$sw" ] && [ "$sw" -le $ADOPT_MAX ] &&
	[[ $log == *"was reset to wlc"* ]] &&
	onq d1 ipvsadm -S -n | grep -q -- "-A -t $LAB_VIP:3306 -s lagwlc -p 50"
ktap_result $? "scheduler reset to wlc: switched back within $ADOPT_MAX ms (logged), persistence kept"

# ---- 5. keepalived's weights are the base ---------------------------------------------------
# r1 weight 3 in d1's keepalived.conf, reloaded: keepalived sets it, lagwlcd
# leaves it, lagwlc spreads new sessions by it (fresh sources: no template)
sed -i '/real_server 198.18.0.11 3306/,/}/s/weight 1/weight 3/' "$HA_W/d1-keepalived.conf"
ha_keepalived_reload d1
for ((i = 0; i < 50; i++)); do
	onq d1 ipvsadm -S -n | grep -q -- '-r 198.18.0.11:3306 -g -w 3' && break
	sleep 0.2
done
sleep 2
out=$(ha_who "${HA_SRCS[@]:0:10}")
dist=$(awk '{ print $2 }' <<<"$out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
c11=$(awk '$2 == 11' <<<"$out" | wc -l)
c12=$(awk '$2 == 12' <<<"$out" | wc -l)
c13=$(awk '$2 == 13' <<<"$out" | wc -l)
diag "r1 weight 3 by keepalived: $(onq d1 ipvsadm -S -n | grep -- '-r 198.18.0.11'); scheduler $(ha_sched d1); 10 new sessions, server_id: $dist"
onq d1 ipvsadm -S -n | grep -q -- '-r 198.18.0.11:3306 -g -w 3' && [ "$(ha_sched d1)" = lagwlc ] &&
	[ "$c11" -ge 5 ] && [ "$c12" -ge 1 ] && [ "$c13" -ge 1 ] && [ $((c11 + c12 + c13)) -eq 10 ]
ktap_result $? "a weight keepalived sets (r1: 3) stays, and lagwlc spreads by it (r1 gets >= 5 of 10, r2 and r3 some)"

# ---- 6. TCP_CHECK removes a dead replica, and puts it back ---------------------------------
T0=$EPOCHREALTIME
ok=0
db_kill r3
for ((i = 0; i < 100; i++)); do
	onq d1 ipvsadm -S -n | grep -q -- '-r 198.18.0.13:' || break
	sleep 0.2
done
gone=$(ha_ms "$T0")
out=$(ha_who "${HA_SRCS[@]:10:6}")
dist=$(awk '{ print $2 }' <<<"$out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
diag "r3's mariadbd killed: keepalived's TCP_CHECK took it out of d1's service after $gone ms; scheduler $(ha_sched d1); 6 new sessions, server_id: $dist"
onq d1 ipvsadm -S -n | grep -q -- '-r 198.18.0.13:' && ok=1
[ "$(ha_sched d1)" = lagwlc ] || ok=1
[ "$(awk '$2 == 11 || $2 == 12' <<<"$out" | wc -l)" -eq 6 ] || ok=1
T0=$EPOCHREALTIME
db_restart r3 || ok=1
for ((i = 0; i < 150; i++)); do
	onq d1 ipvsadm -S -n | grep -q -- '-r 198.18.0.13:3306' && break
	sleep 0.2
done
diag "r3 restarted: back in d1's service after $(ha_ms "$T0") ms, lagwlcd has it $(ha_wait_state d1 198.18.0.13 ok 15; ha_state d1 198.18.0.13)"
onq d1 ipvsadm -S -n | grep -q -- '-r 198.18.0.13:3306' && [ "$(ha_sched d1)" = lagwlc ] || ok=1
[ $ok -ne 0 ] && ha_logs
ktap_result $ok "TCP_CHECK takes a dead replica out (lagwlc sends it nothing) and back in, the service stays on lagwlc"

# ---- 7, 8. keepalived stopped on d1: failover, a held session -------------------------------
ha_hold_open
ha_hold_query >/dev/null	# more packets: IPVS syncs a connection at its 3rd
synced=$(ha_hold_synced d2 10)
diag "held session: server_id ${HELD:-none}, port ${HELD_PORT:-none}; on d1: $(ha_hold_entry d1); on d2 after ${synced:-never} ms: $(ha_hold_entry d2)"
ha_failover_stop
vip=$HA_VIP ms=$HA_FIRST gap=$HA_GAP fails=$HA_FAILS
diag "failover (keepalived stopped on d1): VIP on d2 after ${vip:-never} ms, first new session answered after ${ms} ms; outage $gap ms ($fails tries failed); d2's scheduler $(ha_sched d2)"
FAILOVER_STOP="VIP on d2 after ${vip:-never} ms, first session after $ms ms, outage $gap ms"
[ "$ms" != never ] && [ "$ms" -le $FAILOVER_MAX ] && ha_via d2 && [ "$(ha_sched d2)" = lagwlc ]
ktap_result $? "keepalived stopped on d1: VIP to d2, its service already on lagwlc, a new session within $FAILOVER_MAX ms"

after=$(ha_hold_query)
diag "keepalived's lvs_sync_daemon: after the failover the held session answers: $after (was $HELD); its entry on d2: $(ha_hold_entry d2)"
[ -n "$synced" ] && [ "$after" = "$HELD" ]
ktap_result $? "lvs_sync_daemon: a session held through the VIP survives the failover, on the same replica"

# ---- 9. nopreempt: d1 back, the VIP stays ----------------------------------------------------
ok=0
n0=$(wc -l <"$HA_W/lagwlcd-d1.log")
sched_watch d1 10 >"$HA_W/watch9" &
wp=$!
watch_ready "$HA_W/watch9"
ha_keepalived_start d1 "$HA_W/d1-keepalived.conf" || ok=1
wait $wp
ms=$(adopted_ms "$HA_W/watch9" d1 "$n0" 'scheduler switched from wlc to lagwlc')
ADOPT_AGAIN=${ms:-never}
diag "keepalived back on d1: its service re-created; lagwlcd switched it ${ms:-never} ms after the last reading without it began; after 10 s the VIP is on $(ha_master)"
[ "$(ha_master)" = d2 ] && [ -n "$ms" ] && [ "$ms" -le $ADOPT_MAX ] || ok=1
[ $ok -ne 0 ] && { sed 's/^/#   watch: /' "$HA_W/watch9"; tail -n +$((n0 + 1)) "$HA_W/lagwlcd-d1.log" | grep adopt | sed 's/^/#   | /'; }
[[ $(ha_first "$EPOCHREALTIME" 10) == ok* ]] && ha_via d2 || ok=1
ktap_result $ok "nopreempt: keepalived back on d1 leaves the VIP on d2; d1's new service is adopted again"

# ---- 10. quorum lost: the sorry server ------------------------------------------------------
# every replica dead: keepalived (d2, the master now) puts the primary in,
# and lagwlcd keeps it up (not_replica = primary) so lagwlc sends it reads
ok=0
T0=$EPOCHREALTIME
for n in r1 r2 r3; do
	db_kill $n || ok=1
done
for ((i = 0; i < 100; i++)); do
	onq d2 ipvsadm -S -n | grep -q -- "-r $DB_PRIMARY_ADDR:3306" && break
	sleep 0.2
done
sorry=$(ha_ms "$T0")
ha_wait_state d2 "$DB_PRIMARY_ADDR" ok 10 || ok=1
res=$(ha_first "$EPOCHREALTIME" 15)
onq d2 "$HA_CTL" show | sed 's/^/#   | /'
diag "r1..r3 killed: the sorry server (the primary) in d2's service after $sorry ms, state $(ha_state d2 "$DB_PRIMARY_ADDR"); a session: $res"
onq d2 ipvsadm -S -n | grep -q -- "-r $DB_PRIMARY_ADDR:3306" && [ "$(ha_sched d2)" = lagwlc ] || ok=1
[[ $res == "ok "*" 1" ]] || ok=1
ktap_result $ok "quorum lost: keepalived's sorry_server (the primary, not_replica = primary) takes the reads, on lagwlc"

ha_hold_close
diag "adopt: lagwlc ${ADOPT_START} ms after keepalived created the service (${ADOPT_AGAIN} ms when it did again), ${ADOPT_RESET} after a reset; failover: $FAILOVER_STOP"
diag "this test ran $SECONDS s in the guest"
ktap_exit
