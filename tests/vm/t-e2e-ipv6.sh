#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end over IPv6, on the e2e lab's IPv6 variant (lib/dblab.sh,
# dblab_up --ipv6): an IPv6 VIP, fd00::100:3306, over three MariaDB
# replicas that replicate from the primary over IPv6 (MASTER_HOST
# fd00:1::10), lagwlcd on the director probing them at [fd00:1::1N]:3306 and
# pushing their lag, a client opening a new connection through the VIP for
# every read (10 a second). One boot, two phases, the MariaDB servers
# running throughout: LVS-DR first, then LVS-NAT (dblab_fwd switches the
# IPVS entries and the replicas' default route). max_lag_ms 2000,
# readmit_lag_ms 1000 (to keep the run short).
#
# Each phase (DR: points 1-6, NAT: 7-12):
#   spread   reads spread over the replicas, none failed; in DR the
#            director forwards no IPv6 packet (replies go straight to the
#            client), in NAT it forwards the replies
#   lagging  a replica under FLUSH TABLES WITH READ LOCK: lagging within 1 s
#            of its lag passing max_lag_ms, no read goes to it; re-admitted
#            after the lock and read from again
#   down     a replica's mariadbd SIGKILLed: down within 1.5 s, no read goes
#            to it, none fails (DR: then restarted, before NAT; not a point)
#   shares   a second IPv6 service over the replicas' realserver.py (port
#            3307 DR, 3308 NAT), lag 0 / 1000 / 3000 ms set with lagwlcctl
#            on their IPv6 addresses: 280 connections split 4:2:1, as
#            t-lag-scheduling checks over IPv4
set -u
LAB_VM_ARGS=(--timeout 1200 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
. "$(dirname "$0")/lib/dblab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
R=$DBLAB_W/reads
RATE=10
R1=fd00:1::11 R2=fd00:1::12 R3=fd00:1::13
ktap_plan 12

reads() { dblab_reads "$R" "$1" "$2"; }
# forwarded: IPv6 packets the director has forwarded so far
forwarded() { onq director awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6; }
# col N: the read counts' field of replica N (fields: total r1 r2 r3 errors stale)
col() { echo $(($1 + 1)); }

# ---- the lab ----------------------------------------------------------------
t0=$SECONDS
dblab_up --ipv6 --poll 100 || { echo "Bail out! the IPv6 e2e lab did not come up"; exit 1; }
echo 2000 >$P/max_lag_ms
echo 1000 >$P/readmit_lag_ms
lab_realservers -6 3307 3308 || { echo "Bail out! real servers"; exit 1; }
dblab_reader_start $RATE "$R" || { echo "Bail out! no reader"; exit 1; }
master=$(db_slave_field r1 Master_Host)
diag "r1 replicates from $master; lagwlcd.conf's replicas: $(grep -o '^\[replica .*\]' "$DBLAB_CONF" | tr '\n' ' ')"
onq director ipvsadm -Ln | sed 's/^/#   /'
onq director "$DBLAB_CTL" show | sed 's/^/#   /'

# spread MODE RSS_CHECK: point "reads spread"
spread() {
	local t f0 f1 r fwd ok
	t=$(now)
	f0=$(forwarded)
	sleep 5
	f1=$(forwarded)
	r=$(reads "$t" "$(now)")
	fwd=$((f1 - f0))
	diag "$1, 5 s of reads through [$LAB_VIP6]:3306: total r1 r2 r3 errors stale = $r; the director forwarded $fwd IPv6 packets"
	[ "$(field "$r" 1)" -ge 25 ] && [ "$(field "$r" 2)" -ge 3 ] && [ "$(field "$r" 3)" -ge 3 ] &&
		[ "$(field "$r" 4)" -ge 3 ] && [ "$(field "$r" 5)" -eq 0 ] && [ "$(field "$r" 6)" -eq 0 ]
	ok=$?
	if [ "$1" = DR ]; then
		[ $ok -eq 0 ] && [ "$fwd" -eq 0 ] && onq director ipvsadm -Ln -t "$DBLAB_VS" | grep -c ' Route ' | grep -qx 3
		ktap_result $? "DR: reads through the IPv6 VIP spread over r1..r3, none failed or stale; replies bypass the director"
	else
		# each read's replies (handshake, greeting, result, FIN) come back through it
		[ $ok -eq 0 ] && [ "$fwd" -ge $((3 * $(field "$r" 1))) ] &&
			onq director ipvsadm -Ln -t "$DBLAB_VS" | grep -c ' Masq ' | grep -qx 3
		ktap_result $? "NAT: reads through the IPv6 VIP spread over r1..r3, none failed or stale; replies un-NATed by the director"
	fi
}

# lagging MODE NAME ADDR N: FTWRL on replica NAME (ADDR, server_id 1N) for 6 s
lagging() {
	local mode=$1 name=$2 addr=$3 n=$4 lock hb cross ex stop react r ok end first rc
	dblab_lock "$name" 6 || { ktap_result 1 "$mode: $name locked"; ktap_result 1 "$mode: $name re-admitted"; return; }
	lock=$DBLAB_LOCKED hb=$DBLAB_LOCK_HB
	cross=$(plus "$hb" 2)
	ex=$(ev "$addr" lagging "$lock" 6)
	sleep 3
	# reads sent from 0.3 s after the event for 3 s, and never past the
	# lock's end (a loaded guest may have slept longer than that)
	stop=$(awk -v a="$(plus "${ex:-0}" 3.3)" -v b="$(plus "$lock" 6)" 'BEGIN { printf "%.6f", a < b ? a : b }')
	r=$(reads "$(plus "${ex:-0}" 0.3)" "$stop")
	react=$(ms_between "$cross" "$ex")
	diag "$mode: $name locked at $lock, the newest heartbeat it applied $hb: its lag passed 2000 ms at $cross; lagging event at ${ex:-never}, $react ms after that; reads from 0.3 s after the event to $stop: total r1 r2 r3 errors stale = $r"
	[ -n "$ex" ] && [ "$react" -ge -100 ] && [ "$react" -le 1000 ] &&
		[ "$(field "$r" 1)" -ge 10 ] && [ "$(field "$r" "$(col "$n")")" -eq 0 ] &&
		[ "$(field "$r" 5)" -eq 0 ] && [ "$(field "$r" 6)" -eq 0 ]
	rc=$?
	ktap_result $rc "$mode: $name under FTWRL: lagging within 1 s of its lag passing max_lag_ms; no read goes to it, none fails"
	if [ $rc -ne 0 ]; then
		awk -v a="$lock" -v b="$(plus "$lock" 12)" -v s="1$n" '$1 >= a && $1 < b && ($2 == s || $2 == "ERR")' "$R" |
			sed 's/^/#   read: /'
		# every replica's events: with the others down or lagging too,
		# all_lagging=least_lag chooses a lagging one
		grep -F '"address":"fd00:1::1' "$DBLAB_EVENTS" |
			awk -v a="$lock" -v b="$(plus "$lock" 12)" '$1 >= a && $1 < b' | sed 's/^/#   /'
	fi

	ok=$(ev "$addr" ok "${ex:-$lock}" 20)
	end=$(plus "$lock" 6)
	first=$(dblab_first_read "$R" "1$n" "${ok:-0}" 10)
	r=$(reads "${ok:-0}" "$(now)")
	diag "$mode: lock released at $end, $name ok again at ${ok:-never} ($(ms_between "$end" "$ok") ms later), its first read $(ms_between "$ok" "$first") ms after; reads since: $r"
	[ -n "$ok" ] && [ "$(ms_between "$end" "$ok")" -le 15000 ] && [ -n "$first" ] &&
		[ "$(field "$r" 5)" -eq 0 ]
	ktap_result $? "$mode: $name re-admitted after the lock and read from again"
}

# down MODE NAME ADDR N: SIGKILL NAME's mariadbd
down() {
	local mode=$1 name=$2 addr=$3 n=$4 t dn r errs rc
	t=$(now)
	db_kill "$name"
	dn=$(ev "$addr" down "$t" 5)
	sleep 3
	r=$(reads "$(plus "${dn:-0}" 0.3)" "$(now)")
	errs=$(reads "$t" "$(now)")
	diag "$mode: $name SIGKILLed at $t: down after $(ms_between "$t" "$dn") ms; reads from 0.3 s after: $r; failed reads since the kill: $(field "$errs" 5)"
	[ -n "$dn" ] && [ "$(ms_between "$t" "$dn")" -le 1500 ] &&
		[ "$(field "$r" "$(col "$n")")" -eq 0 ] && [ "$(field "$r" 5)" -eq 0 ] &&
		[ "$(field "$r" 1)" -ge 15 ]
	rc=$?
	ktap_result $rc "$mode: $name killed: down within 1.5 s, then no read goes to it and none fails"
	if [ $rc -ne 0 ]; then
		awk -v a="$t" '$1 >= a && ($2 == "1'"$n"'" || $2 == "ERR")' "$R" | sed 's/^/#   read: /'
		events "$addr" | awk -v a="$t" '$2 >= a'
	fi
}

# shares MODE PORT FLAG: a lagwlc service [VIP6]:PORT over r1..r3's
# realserver.py, lag 0 / 1000 / 3000 ms from lagwlcctl, 280 connections
shares() {
	local mode=$1 port=$2 flag=$3 fwd=dr i seq n1 n2 n3 nr rc
	[ "$flag" = -m ] && fwd=nat
	onq director ipvsadm -A -t "[$LAB_VIP6]:$port" -s lagwlc
	for i in 1 2 3; do
		onq director ipvsadm -a -t "[$LAB_VIP6]:$port" -r "[fd00:1::1$i]:$port" "$flag" -w 1
	done
	# one-shot reports: they must not age, nor count as lagging
	echo 600000 >$P/stale_ms
	echo 600000 >$P/max_lag_ms
	on director "$DBLAB_CTL" set "[$R1]:$port" lag 0 "[$R2]:$port" lag 1000 "[$R3]:$port" lag 3000
	onq director "$DBLAB_CTL" show | grep ":$port" | sed 's/^/#   /'
	seq=$(onq client python3 "$LAB_TOP/tests/vm/lib/conndriver.py" --fwd "$fwd" \
		--ops cycle --steps 280 --weights 1,1,1 --svc "s=[$LAB_VIP6]:$port" \
		--real r1=$R1 --real r2=$R2 --real r3=$R3 | sed -n 's/^SEQ s //p' | tr ' ' '\n')
	echo 2000 >$P/max_lag_ms
	echo 3000 >$P/stale_ms
	n1=$(grep -cx r1 <<<"$seq") n2=$(grep -cx r2 <<<"$seq") n3=$(grep -cx r3 <<<"$seq")
	nr=$(grep -vcx 'r[123]' <<<"$seq")
	diag "$mode: lag 0 / 1000 / 3000 ms, penalty $(cat $P/lag_penalty_ms) ms, 280 connections through [$LAB_VIP6]:$port: r1 $n1, r2 $n2, r3 $n3, other $nr (4:2:1 expected)"
	onq director ipvsadm -Ln -t "[$LAB_VIP6]:$port" | sed 's/^/#   /'
	[ "$n1" -gt "$n2" ] && [ "$n2" -gt "$n3" ] && [ "$n3" -gt 0 ] && [ "$nr" -eq 0 ] &&
		[ $((n1 + n2 + n3)) -eq 280 ]
	ktap_result $? "$mode: IPv6 shares of new connections fall as lag rises, none refused"
	# cost = conns * (1000 + lag): equal costs at 4:2:1, give or take one connection each
	[ $((n1 - 2 * n2)) -ge -3 ] && [ $((n1 - 2 * n2)) -le 3 ] &&
		[ $((n2 - 2 * n3)) -ge -3 ] && [ $((n2 - 2 * n3)) -le 3 ]
	ktap_result $? "$mode: IPv6 shares follow the cost function: 4:2:1 for factors 1000:2000:4000"
}

# ---- LVS-DR -------------------------------------------------------------------
tp=$SECONDS
spread DR
lagging DR r2 $R2 2
down DR r3 $R3 3
# r3 comes back while the shares are measured
t=$(now)
(db_restart r3) >"$DBLAB_W/restart-r3.log" 2>&1 &
restart=$!
shares DR 3307 -g
wait $restart
up=$(ev $R3 ok "$t" 30)
# NAT's spread needs r3 read from again: the read the kill cut is still
# ESTABLISHED on the DR director (256 in wlc's cost, 15 minutes), on top
# of r3's last 2 minutes of reads, until the others' stock passes it
first=$(dblab_first_read "$R" 13 "${up:-$t}" 120)
diag "r3 restarted: ok $(ms_between "$t" "$up") ms after the restart began, its first read $(ms_between "${up:-$t}" "$first") ms later"
[ -n "$up" ] || { events $R3; sed 's/^/#   /' "$DBLAB_W/restart-r3.log"; }
diag "DR phase: $((SECONDS - tp)) s"

# ---- LVS-NAT ------------------------------------------------------------------
tp=$SECONDS
on director ipvsadm -D -t "[$LAB_VIP6]:3307"
dblab_fwd nat
spread NAT
lagging NAT r1 $R1 1
down NAT r2 $R2 2
shares NAT 3308 -m
diag "NAT phase: $((SECONDS - tp)) s; whole test $((SECONDS - t0)) s in the guest"

dblab_reader_stop
dblab_lagwlcd_kill TERM
ktap_exit
