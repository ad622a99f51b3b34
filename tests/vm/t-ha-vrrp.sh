#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Setup 1 of docs/keepalived.md: keepalived does VRRP only, the IPVS service
# (scheduler lagwlc, persistence 50 s) comes from Debian's ipvsadm init
# script with examples/keepalived/vrrp-only/{ipvsadm.rules,ipvsadm.default}
# (the sync daemons too, DAEMON=both), lagwlcd discovers the replicas on
# both directors, and keepalived's track_script runs `lagwlcctl check`.
# Topology: lib/ha.sh. r3 is delayed (MASTER_DELAY=8) from point 3 on, so a
# failover that lost the lag data would send reads to it.
#
# Times run from T0, taken right before the action (signal sent, link
# set down), to: the VIP on the new director's eth0 (polled every 50 ms),
# and the first new MariaDB session through the VIP answered after the
# failed ones (lib/haclient.py watch: a new session every 50 ms, 0.5 s
# each, from before T0). The outage runs from the last session answered
# before the failures to that one.
set -u
LAB_VM_ARGS=(--timeout 900 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
. "$(dirname "$0")/lib/ha.sh"
lab_boot_self "$@"

DELAY=8
FAILOVER_MAX=10000	# ms to a new session through the other director (VRRP: 3.6 s)
TRACK_MAX=20000		# ms for track_script (fall 2 at 1 s) + VRRP to move the VIP
ktap_plan 11

# ---- 1. the check without the module --------------------------------------------
out=$("$HA_CTL" check 2>&1)
rc=$?
diag "lagwlcctl check without the module: status $rc: $out"
[ $rc -eq 1 ] && [ "$out" = "lagwlcctl: check: the ip_vs_lagwlc module is not loaded" ]
ktap_result $? "lagwlcctl check: module missing: exit 1, saying so"

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
t=$SECONDS
ha_setup || { echo "Bail out! the lab did not come up"; exit 1; }
db_heartbeat_start primary 250 || { echo "Bail out! no heartbeat writer"; exit 1; }
diag "MariaDB primary + r1..r3 replicating in $((SECONDS - t)) s"

# ---- 2. boot both directors as the docs say ----------------------------------------
ok=0
for d in d1 d2; do
	ha_conf vrrp-only/ipvsadm.rules $d >"$HA_W/$d-ipvsadm.rules"
	ha_conf vrrp-only/ipvsadm.default $d >"$HA_W/$d-ipvsadm.default"
	# Debian's init script, reading these two files instead of /etc's
	sed -e "s|/etc/ipvsadm.rules|$HA_W/$d-ipvsadm.rules|" \
		-e "s|/etc/default/ipvsadm|$HA_W/$d-ipvsadm.default|" /etc/init.d/ipvsadm >"$HA_W/ipvsadm.init"
	on $d sh "$HA_W/ipvsadm.init" start || ok=1
	ha_conf vrrp-only/lagwlcd.conf $d >"$HA_W/$d-lagwlcd.conf"
	ha_lagwlcd_start $d "$HA_W/$d-lagwlcd.conf"
	ha_conf vrrp-only/keepalived.conf $d >"$HA_W/$d-keepalived.conf"
done
onq d1 ipvsadm -Ln | sed 's/^/#   | /'
onq d1 ipvsadm -L --daemon | sed 's/^/#   | /'
for d in d1 d2; do
	[ "$(ha_sched $d)" = lagwlc ] || { diag "$d: no lagwlc service"; ok=1; }
	[ "$(onq $d ipvsadm -S -n | grep -c -- '-r 198.18.0.1[123]:3306 -g -w 1')" -eq 3 ] || ok=1
	onq $d ipvsadm -S -n | grep -q -- "-A -t $LAB_VIP:3306 -s lagwlc -p 50" || ok=1
	[ "$(onq $d ipvsadm -L --daemon | grep -c 'syncid=51')" -eq 2 ] || { diag "$d: sync daemons not both running"; ok=1; }
done
T0=$EPOCHREALTIME
ha_keepalived_start d1 "$HA_W/d1-keepalived.conf" || ok=1
ha_keepalived_start d2 "$HA_W/d2-keepalived.conf" || ok=1
ms=$(ha_wait_vip d1 "$T0" 20) || ok=1
sleep 2
[ "$(ha_master)" = d1 ] || { diag "VIP on: $(ha_master)"; ok=1; }
for d in d1 d2; do
	for n in r1 r2 r3; do
		ha_wait_state $d "198.18.0.1${n#r}" ok 15 || { diag "$d: $n $(ha_state $d 198.18.0.1${n#r})"; ok=1; }
	done
	out=$(onq $d "$HA_CTL" check --max-age 2000 2>&1) || { diag "$d: check: $out"; ok=1; }
done
res=$(ha_first "$EPOCHREALTIME" 10)
diag "keepalived started: VIP on d1 after ${ms:-never} ms; a session through the VIP: $res"
[[ $res == ok* ]] && ha_via d1 || ok=1
[ $ok -ne 0 ] && ha_logs
ktap_result $ok "ipvsadm init script + lagwlcd + keepalived on d1 and d2: lagwlc service and sync daemons on both, VIP on d1, replicas ok on both, check passes, sessions work"

# ---- 3. a lagging replica, known to both directors ---------------------------------
T0=$EPOCHREALTIME
db_delay r3 $DELAY
ok=0
for d in d1 d2; do
	ha_wait_state $d 198.18.0.13 lagging 30 || ok=1
done
diag "r3 MASTER_DELAY=$DELAY: lagging on d1 and d2 after $(ha_ms "$T0") ms; d2: $(onq d2 "$HA_CTL" show 198.18.0.13:3306)"
ktap_result $ok "r3 delayed $DELAY s: lagging in both directors' tables (each lagwlcd probes for itself)"

# ---- 4. a held session, synced to the backup -----------------------------------------
ok=0
ha_hold_open || ok=1
ha_hold_query >/dev/null	# more packets: IPVS syncs a connection at its 3rd
synced=$(ha_hold_synced d2 10) || ok=1
diag "held session: server_id ${HELD:-none}, port ${HELD_PORT:-none}; on d1: $(ha_hold_entry d1); on d2 after ${synced:-never} ms: $(ha_hold_entry d2)"
onq d2 ipvsadm -Lcn | sed 's/^/#   | /'
onq d2 ipvsadm -Lcn | grep -q "^TCP.* 198.18.0.1:0 *$LAB_VIP:3306 *198.18.0.1$((HELD - 10)):3306" || ok=1
ktap_result $ok "sync daemon: a session held through the VIP (d1) has its connection entry and persistence template on d2"

# ---- 5. cut d1's link -------------------------------------------------------------------
ha_watch_start 120
sleep 1
T0=$EPOCHREALTIME
ip link set v-d1-eth0 down
vip=$(ha_wait_vip d2 "$T0" 30)
read -r ms gap fails < <(ha_watch_settle "$T0" 30)
diag "failover (d1's link cut): VIP on d2 after ${vip:-never} ms, first new session answered after ${ms} ms; outage $gap ms ($fails tries failed)"
FAILOVER_LINK="VIP on d2 after ${vip:-never} ms, first session after $ms ms, outage $gap ms"
[ "$ms" != never ] && [ "$ms" -le $FAILOVER_MAX ] && ha_via d2
ktap_result $? "link cut: the VIP moves to d2, a new session through it within $FAILOVER_MAX ms"

# ---- 6. d2 knows the lag at once ---------------------------------------------------------
st=$(ha_state d2 198.18.0.13)
out=$(ha_who "${HA_SRCS[@]}")
dist=$(awk '{ print $2 }' <<<"$out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
diag "right after the failover: r3 $st on d2; 16 new sessions from 16 sources, server_id: $dist"
[ "$st" = lagging ] && [ "$(awk '$2 == 11 || $2 == 12' <<<"$out" | wc -l)" -eq 16 ]
ktap_result $? "after the failover d2 still has r3 lagging: 16 new sessions, none to r3, all answered"

# ---- 7. the held session survives ---------------------------------------------------------
after=$(ha_hold_query)
diag "held session after the failover: $after (was $HELD); its entry on d2: $(ha_hold_entry d2)"
[ "$after" = "$HELD" ]
ktap_result $? "the session held through the VIP still answers through d2, on the same replica"

# ---- 8. link back: preempt, once d1 sees replicas again ---------------------------------
# cut off, d1's lagwlcd reports every replica down, and its check fails:
# d1 takes the VIP back only when it could serve
why=$(onq d1 "$HA_CTL" check --max-age 2000 2>&1)
rc=$?
ha_watch_start 120
T0=$EPOCHREALTIME
ip link set v-d1-eth0 up
vip=$(ha_wait_vip d1 "$T0" 40)
sleep 2	# failures, if any, start when the VIP moves
read -r ms gap fails < <(ha_watch_settle "$T0" 30)
diag "d1 cut off: its check: status $rc: $why"
diag "d1's link back: VIP back on d1 after ${vip:-never} ms (preempt, priority 150 > 100, once the check passes again); sessions: $fails tries failed, outage $gap ms; VIP on $(ha_master)"
FAILBACK_LINK="VIP on d1 after ${vip:-never} ms, outage $gap ms"
[ $rc -eq 1 ] && [[ $why == *"none of 3 replica(s) up"* ]] &&
	[ -n "$vip" ] && [ "$(ha_master)" = d1 ] && [ "$ms" != never ] && [ "$gap" -le 3000 ] && ha_via d1
ktap_result $? "failback (preempt): cut off, d1's check fails (no replica up); with its link back d1 takes the VIP back once it sees replicas, outage <= 3000 ms"

# ---- 9, 10. stop keepalived on d1, start it again -------------------------------------------
ha_failover_stop
vip=$HA_VIP ms=$HA_FIRST gap=$HA_GAP fails=$HA_FAILS
diag "failover (keepalived stopped on d1): VIP on d2 after ${vip:-never} ms, first new session answered after ${ms} ms; outage $gap ms ($fails tries failed)"
FAILOVER_STOP="VIP on d2 after ${vip:-never} ms, first session after $ms ms, outage $gap ms"
[ "$ms" != never ] && [ "$ms" -le $FAILOVER_MAX ] && ha_via d2 && [ "$(ha_master)" = d2 ]
ktap_result $? "keepalived stopped on d1: the VIP moves to d2, a new session through it within $FAILOVER_MAX ms"

ha_watch_start 120
T0=$EPOCHREALTIME
ha_keepalived_start d1 "$HA_W/d1-keepalived.conf"
vip=$(ha_wait_vip d1 "$T0" 30)
sleep 2
read -r ms gap fails < <(ha_watch_settle "$T0" 30)
diag "keepalived started again on d1: VIP back on d1 after ${vip:-never} ms; sessions: $fails tries failed, outage $gap ms; VIP on $(ha_master)"
FAILBACK_STOP="VIP on d1 after ${vip:-never} ms, outage $gap ms"
[ -n "$vip" ] && [ "$(ha_master)" = d1 ] && [ "$ms" != never ] && ha_via d1
ktap_result $? "failback (preempt): keepalived back on d1 takes the VIP back"

# ---- 11. lagwlcd dies on the master: track_script --------------------------------------------
T0=$EPOCHREALTIME
ha_lagwlcd_kill d1
why=$(onq d1 "$HA_CTL" check --max-age 2000 2>&1)
rc=$?
vip=$(ha_wait_vip d2 "$T0" 40)
diag "lagwlcd SIGKILLed on d1: check there: status $rc: $why; VIP on d2 after ${vip:-never} ms"
ok=0
[ $rc -eq 1 ] && [[ $why == *"is lagwlcd running?"* ]] && [ -n "$vip" ] && [ "$vip" -le $TRACK_MAX ] || ok=1
grep -E 'lagwlc_check|VI_DB' "$HA_W/keepalived-d1.log" | tail -n 4 | sed 's/^/#   | /'
T0=$EPOCHREALTIME
ha_lagwlcd_start d1 "$HA_W/d1-lagwlcd.conf"
back=$(ha_wait_vip d1 "$T0" 40) || ok=1
sleep 1
diag "lagwlcd started again on d1: VIP back on d1 after ${back:-never} ms; VIP on $(ha_master)"
[ "$(ha_master)" = d1 ] || ok=1
[ $ok -ne 0 ] && ha_logs
ktap_result $ok "lagwlcd killed on the master: check fails, track_script moves the VIP to d2 within $TRACK_MAX ms; lagwlcd back: VIP back"

ha_hold_close
diag "failover: link cut: $FAILOVER_LINK; keepalived stopped: $FAILOVER_STOP"
diag "failback (preempt): link back: $FAILBACK_LINK; keepalived started: $FAILBACK_STOP"
diag "this test ran $SECONDS s in the guest"
ktap_exit
