#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, on the e2e lab (lib/dblab.sh): real MariaDB replication behind
# an LVS-DR VIP, lagwlcd on the director, a client opening a new connection
# through the VIP for every read (10 a second). What the client sees is what
# counts: which replica served each read and how old the value it read was.
#
#   1    the lab comes up; reads spread over r1..r3
#   2-3  r2 held by FLUSH TABLES WITH READ LOCK for 12 s: excluded once its
#        lag passes max_lag_ms (5 s), no reads after that; re-admitted after
#        the lock ends, reads again
#   4-5  r3's mariadbd SIGKILLed: down, no reads; restarted: back
#   6    r1 30 s behind (MASTER_DELAY): the share of stale reads (value older
#        than max_lag_ms) under rr, then lagwlc, in the same run
#   7-9  lagwlcd SIGKILLed: stale at once (its socket owned the reports), and
#        stale_policy=open serves r1 again; =closed serves none; lagwlcd
#        SIGSTOPped: stale within stale_ms by timeout
set -u
LAB_VM_ARGS=(--timeout 900 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
. "$(dirname "$0")/lib/dblab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
R=$DBLAB_W/reads
RATE=10
ktap_plan 9

# ev_reason ADDR STATE AFTER: the reason of that first event ("release",
# "timeout", ...; include/uapi/linux/lagwlc.h enum lagwlc_reason)
ev_reason() {
	awk -v t0="$3" -v a="\"address\":\"$1\"" -v s="\"state\":\"$2\"" '
		$1 >= t0 && index($0, a) && index($0, s) {
			if (match($0, /"reason":"[a-z_]*"/))
				print substr($0, RSTART + 10, RLENGTH - 11)
			exit
		}' "$DBLAB_EVENTS"
}
reads() { dblab_reads "$R" "$1" "$2"; }

# ---- 1. up ------------------------------------------------------------------------
dblab_up --poll 100 || { echo "Bail out! the e2e lab did not come up"; exit 1; }
dblab_reader_start $RATE "$R" || { echo "Bail out! no reader"; exit 1; }
t=$(now)
sleep 6
r=$(reads "$t" "$(now)")
diag "6 s of reads: total r1 r2 r3 errors stale = $r"
[ "$(field "$r" 1)" -ge 30 ] && [ "$(field "$r" 2)" -ge 5 ] && [ "$(field "$r" 3)" -ge 5 ] &&
	[ "$(field "$r" 4)" -ge 5 ] && [ "$(field "$r" 5)" -eq 0 ] && [ "$(field "$r" 6)" -eq 0 ]
ktap_result $? "reads spread over r1..r3, none failed, none stale"

# ---- 2, 3. FTWRL on r2 ----------------------------------------------------------------
dblab_lock r2 12
lock=$DBLAB_LOCKED hb=$DBLAB_LOCK_HB
cross=$(plus "$hb" 5)
ex=$(ev 198.18.0.12 lagging "$lock" 12)
sleep 3
r=$(reads "$(plus "${ex:-0}" 0.3)" "$(now)")
react=$(ms_between "$cross" "$ex")
diag "r2 locked at $lock, the newest heartbeat it applied $hb: its lag passed 5000 ms at $cross; lagging event at ${ex:-never}, $react ms after that; reads from 0.3 s after the event: total r1 r2 r3 errors stale = $r"
[ -n "$ex" ] && [ "$react" -ge -100 ] && [ "$react" -le 1000 ] &&
	[ "$(field "$r" 1)" -ge 15 ] && [ "$(field "$r" 3)" -eq 0 ] && [ "$(field "$r" 6)" -eq 0 ]
ktap_result $? "r2 under FTWRL: lagging within 1 s of its lag passing max_lag_ms; no read goes to it, none stale"

ok=$(ev 198.18.0.12 ok "${ex:-$lock}" 20)
end=$(plus "$lock" 12)
first=$(dblab_first_read "$R" 12 "${ok:-0}" 20)
sleep 2
r=$(reads "${ok:-0}" "$(now)")
diag "lock released at $end, r2 ok again at ${ok:-never} ($(ms_between "$end" "$ok") ms later, catching up included), its first read $(ms_between "$ok" "$first") ms after; reads since: $r"
[ -n "$ok" ] && [ "$(ms_between "$end" "$ok")" -le 15000 ] && [ -n "$first" ] &&
	[ "$(field "$r" 5)" -eq 0 ]
ktap_result $? "r2 re-admitted within 15 s of the lock's end (catching up included) and read from again"

# ---- 4, 5. r3 killed, restarted ---------------------------------------------------------
t=$(now)
db_kill r3
down=$(ev 198.18.0.13 down "$t" 5)
sleep 3
r=$(reads "$(plus "${down:-0}" 0.3)" "$(now)")
errs=$(reads "$t" "$(now)")
diag "r3 SIGKILLed at $t: down after $(ms_between "$t" "$down") ms; reads from 0.3 s after: $r; failed reads since the kill: $(field "$errs" 5)"
[ -n "$down" ] && [ "$(ms_between "$t" "$down")" -le 1500 ] && [ "$(field "$r" 4)" -eq 0 ] &&
	[ "$(field "$r" 5)" -eq 0 ] && [ "$(field "$r" 1)" -ge 15 ]
ktap_result $? "r3 killed: down within 1.5 s, then no read goes to it and none fails"

t=$(now)
db_restart r3
up=$(ev 198.18.0.13 ok "$t" 30)
first=$(dblab_first_read "$R" 13 "${up:-0}" 30)
sleep 2
r=$(reads "${up:-0}" "$(now)")
diag "r3 restarted: ok $(ms_between "$t" "$up") ms after the restart began, its first read $(ms_between "$up" "$first") ms later; reads since: $r"
[ -n "$up" ] && [ -n "$first" ] && [ "$(field "$r" 5)" -eq 0 ]
rc=$?
ktap_result $rc "r3 restarted: ok again and read from"
if [ $rc -ne 0 ]; then
	events 198.18.0.13
	onq director ipvsadm -Ln | sed 's/^/#   /'
	onq director "$DBLAB_CTL" show | sed 's/^/#   /'
fi

# ---- 6. stale reads: rr against lagwlc -------------------------------------------------
t=$(now)
db_delay r1 30
lg=$(ev 198.18.0.11 lagging "$t" 15)
diag "r1 MASTER_DELAY=30: lagging $(ms_between "$t" "$lg") ms later"
sleep 1
declare -A share
for sched in rr lagwlc; do
	dblab_sched $sched
	t=$(now)
	sleep 10
	r=$(reads "$t" "$(now)")
	share[$sched]=$(awk -v n="$(field "$r" 1)" -v s="$(field "$r" 6)" 'BEGIN { printf "%.1f", n ? 100 * s / n : 100 }')
	diag "$sched, 10 s: total r1 r2 r3 errors stale = $r: ${share[$sched]} % stale"
done
awk -v rr="${share[rr]}" -v l="${share[lagwlc]}" 'BEGIN { exit !(rr >= 20 && l <= 0.5) }'
rc=$?
ktap_result $rc "one replica 30 s behind: stale reads rr ${share[rr]} % (>= 20), lagwlc ${share[lagwlc]} % (<= 0.5)"
if [ $rc -ne 0 ]; then
	events 198.18.0.11
	awk -v a="$t" '$1 >= a && $2 == 11' "$R" | sed 's/^/#   read: /'
	onq director ipvsadm -Lcn | sed -n 1,3p | sed 's/^/#   /'
	for p in $(awk -v a="$t" '$1 >= a && $2 == 11 { print $6 }' "$R"); do
		onq director ipvsadm -Lcn | grep ":$p " | sed 's/^/#   conn: /'
		awk -v p="$p" '$6 == p' "$R" | sed 's/^/#   same port: /'
	done
fi

# ---- 7-9. lagwlcd killed or hung ----------------------------------------------------------
echo 3000 >$P/stale_ms
t=$(now)
dblab_lagwlcd_kill KILL
st=$(ev 198.18.0.11 stale "$t" 5)
why=$(ev_reason 198.18.0.11 stale "$t")
sleep 4
r=$(reads "$(plus "${st:-0}" 0.3)" "$(now)")
diag "lagwlcd SIGKILLed: r1 stale after $(ms_between "$t" "$st") ms (stale_ms 3000), reason ${why:-none}; stale_policy=open, reads since: $r"
events 198.18.0.11 | tail -n 2
# the reason tells the socket release from the stale_ms timeout, which
# would also come within 3000 ms of the kill
[ -n "$st" ] && [ "$why" = release ] && [ "$(ms_between "$t" "$st")" -le 3000 ] &&
	[ "$(field "$r" 2)" -ge 3 ] && [ "$(field "$r" 5)" -eq 0 ]
ktap_result $? "lagwlcd SIGKILLed: stale at once, reason release (its socket owned the reports); stale_policy=open serves every replica, r1 too"

echo closed >$P/stale_policy
t=$(now)
sleep 3
r=$(reads "$t" "$(now)")
echo open >$P/stale_policy
diag "stale_policy=closed, 3 s: total r1 r2 r3 errors stale = $r"
[ "$(field "$r" 1)" -ge 4 ] && [ "$(field "$r" 5)" -eq "$(field "$r" 1)" ]
ktap_result $? "stale_policy=closed: no replica is chosen, every read fails"

t0=$(now)
dblab_lagwlcd_start
ok=$(ev 198.18.0.12 ok "$t0" 10)
sleep 1
t=$(now)
kill -STOP "$DBLAB_PID"
st=$(ev 198.18.0.12 stale "$t" 8)
kill -CONT "$DBLAB_PID"
diag "lagwlcd restarted (r2 ok after $(ms_between "$t0" "$ok") ms); SIGSTOPped: r2 stale after $(ms_between "$t" "$st") ms (stale_ms 3000)"
[ -n "$ok" ] && [ -n "$st" ] && [ "$(ms_between "$t" "$st")" -ge 2500 ] &&
	[ "$(ms_between "$t" "$st")" -le 4000 ]
ktap_result $? "lagwlcd hung (SIGSTOP): its replicas go stale after stale_ms, by timeout"

dblab_reader_stop
dblab_lagwlcd_kill TERM
ktap_exit
