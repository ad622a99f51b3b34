#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# LVS-DR and client port reuse, on the e2e lab (lib/dblab.sh): real MariaDB
# replication behind an LVS-DR VIP, lagwlcd on the director. The director
# sees only the client's half of a connection, so a closed one stays in
# IPVS's table in FIN_WAIT for the tcpfin timeout (2 min); unless bit 2 of
# net.ipv4.vs.conn_reuse_mode is set, a SYN reusing its client port goes to
# the old real server unscheduled, lagging or not. lagwlcd sets that bit by
# default; this shows it holds, and that the test sees the leak without it.
#
#   clients  ip_local_port_range of 32 ports in the client's namespace
#            (50000-50031, then 50100-50131 so that the second phase starts
#            without connection entries of the first), tcp_tw_reuse 1: three
#            dbreader.py processes, 5 new connections a second each (2
#            threads), reuse a port within seconds, as a busy application
#            server's pool does
#   module   defaults (max_lag_ms 5000) but all_lagging=reject: a read is
#            stale when the value it saw was older than max_lag_ms + 250 ms.
#            With the default least_lag, a moment when r2 and r3 are both
#            reported down (probes time out on a loaded TCG host) sends a
#            connection to r1 by the rule's fail-open, which is not what this
#            test is about; with reject every read r1 serves is a bypass, and
#            such moments show up as failed reads, counted apart
#
#   1    make install's /etc/modprobe.d/lagwlc.conf (in /run/modprobe.d
#        here): modprobe ip_vs sets conn_reuse_mode 3 in the initial
#        namespace; a namespace created later has the default, 1
#   2    the lab up, no sysctl set by hand: lagwlcd set the director's to 3,
#        logged once; lagwlcctl show has no mark, check --conn-reuse passes
#   3-4  lagwlcd's default: readers warm up on r1..r3 for 8 s, then r1 30 s
#        behind (MASTER_DELAY): from 0.3 s after r1's lagging event, 12 s of
#        reads, ports reused; no read stale, none older than max_lag_ms +
#        250 ms
#   5    conn_reuse_mode = keep (SIGHUP) and the sysctl back to 1: lagwlcd
#        leaves it, warns once; show marks the service (text and JSON),
#        check --conn-reuse fails, plain check passes
#   6    the same reads as 3-4 with keep and 1: the leak is measured, > 0
#   7    conn_reuse_mode = auto again (SIGHUP), then sysctl -w back to 1:
#        lagwlcd sets 3 again at a rescan each time (5 s allowed), one line
#        each
set -u
LAB_VM_ARGS=(--timeout 1500 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
. "$(dirname "$0")/lib/dblab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
SYSCTL=/proc/sys/net/ipv4/vs/conn_reuse_mode
PORT_LO='' PORT_HI=''
READERS=3 RATE=5 WARM=8 MEASURE=12
LIMIT=''	# max_lag_ms + 250
ktap_plan 7

reuse() { onq director cat $SYSCTL; }
set_lines() { grep -c 'conn_reuse_mode was 1: set to 3' "$DBLAB_LOG"; }
# hup MODE: lagwlcd.conf's conn_reuse_mode = MODE, reloaded
hup() {
	DBLAB_REUSE=$1
	_dblab_conf "$DBLAB_POLL"
	kill -HUP "$DBLAB_PID"
}

# readers TAG: READERS dbreader.py processes in the client, RATE reads a
# second each, into $DBLAB_W/TAG-N.reads; returns once all have started
RPIDS=()
readers() {
	local n i f
	RPIDS=()
	for ((n = 0; n < READERS; n++)); do
		ip netns exec client python3 "$LAB_TOP/tests/vm/lib/dbreader.py" --host "$LAB_VIP" \
			--password "$DB_APP_PASSWORD" --rate $RATE --threads 2 </dev/null \
			>"$DBLAB_W/$1-$n.reads" 2>&1 &
		RPIDS+=($!)
		LAB_PIDS+=($!)
	done
	for ((n = 0; n < READERS; n++)); do
		f=$DBLAB_W/$1-$n.reads
		for ((i = 0; i < 200; i++)); do
			grep -q '^# started' "$f" && break
			sleep 0.1
		done
		[ $i -lt 200 ] || { diag "reader $f did not start: $(head -c 300 "$f")"; return 1; }
	done
}
readers_stop() {
	kill -TERM "${RPIDS[@]}" 2>/dev/null
	wait "${RPIDS[@]}" 2>/dev/null
	RPIDS=()
}

# stats TAG FROM TO: over every reader's reads sent in [FROM, TO):
# "total r1 r2 r3 errors stale oldest_ms reused ports out_of_range", where a
# read is stale when older than LIMIT ms and reused when its client port
# carried an earlier read (of any reader, the warm-up included) less than
# 120 s (tcpfin) before
stats() {
	cat "$DBLAB_W/$1"-*.reads | awk '$1 ~ /^[0-9]/' | sort -n -k1,1 |
		awk -v a="$2" -v b="$3" -v lim=$LIMIT -v lo="$PORT_LO" -v hi="$PORT_HI" '
		$2 != "ERR" && $1 >= a && $1 < b && ($6 in last) && $1 - last[$6] < 120 { reused++ }
		$2 != "ERR" { last[$6] = $1 }
		$1 < a || $1 >= b { next }
		{ n++ }
		$2 == "ERR" { err++; next }
		{
			by[$2]++
			if ($4 > lim) stale++
			if ($4 > old) old = $4
			if (!($6 in seen)) { seen[$6] = 1; ports++ }
			if ($6 < lo || $6 > hi) out++
		}
		END { printf "%d %d %d %d %d %d %d %d %d %d\n", n, by[11], by[12], by[13], err,
			stale, old, reused, ports, out }'
}
# why TAG: the stale reads of the last phase and what stood behind them
why() {
	diag "monitor events since r1 was delayed:"
	awk -v a="$PHASE_T" '$1 >= a' "$DBLAB_EVENTS" | sed 's/^/#   /'
	diag "stale reads (T SERVER_ID N AGE_MS CONNECT_MS PORT), the first 20:"
	cat "$DBLAB_W/$1"-*.reads | awk -v a="$PHASE_FROM" -v b="$PHASE_TO" -v lim="$LIMIT" \
		'$1 ~ /^[0-9]/ && $1 >= a && $1 < b && $2 != "ERR" && $4 > lim' | sort -n | head -n 20 |
		sed 's/^/#   /'
	diag "IPVS connection entries, the first 40:"
	onq director ipvsadm -Lcn | head -n 40 | sed 's/^/#   /'
	diag "lagwlcd's log, the last 20 lines:"
	tail -n 20 "$DBLAB_LOG" | sed 's/^/#   | /'
}
describe() {
	echo "total r1 r2 r3 errors stale oldest_ms reused ports out_of_range = $1"
}

# phase TAG LO: ports LO..LO+31; readers warm up with every replica current, r1 goes 30 s
# behind, MEASURE s of reads from 0.3 s after its lagging event; the stats
# in PHASE, r1 caught up again before it returns
PHASE='' PHASE_T='' PHASE_FROM='' PHASE_TO=''
phase() {
	local t lg from
	PHASE='' PHASE_FROM='' PHASE_TO=''
	PORT_LO=$2 PORT_HI=$(($2 + 31))
	onq client sysctl -qw net.ipv4.ip_local_port_range="$PORT_LO $PORT_HI" || return 1
	readers "$1" || return 1
	sleep $WARM
	t=$(now)
	PHASE_T=$t
	db_delay r1 30 || return 1
	lg=$(ev 198.18.0.11 lagging "$t" 30) || { diag "$1: r1 never lagging"; readers_stop; return 1; }
	from=$(plus "$lg" 0.3)
	sleep $MEASURE
	PHASE_FROM=$from PHASE_TO=$(now)
	PHASE=$(stats "$1" "$PHASE_FROM" "$PHASE_TO")
	readers_stop
	diag "$1: r1 delayed, lagging $(ms_between "$t" "$lg") ms later; $MEASURE s of reads from 0.3 s after: $(describe "$PHASE")"
	t=$(now)
	db_delay r1 0 || return 1
	ev 198.18.0.11 ok "$t" 60 >/dev/null || { diag "$1: r1 not ok again within 60 s"; return 1; }
}

# ---- 1. make install's modprobe.d file ------------------------------------------
# A fresh guest: ip_vs is not loaded yet (dblab_up loads it later).
inst=$(mktemp -d)
before=$(lsmod | grep -c '^ip_vs ')
# -o: install what the host built, never rebuild on the read-only root
make -s -C "$LAB_TOP/userspace" -o all install DESTDIR="$inst" PREFIX=/usr \
	>"$inst.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/#   make: /' "$inst.log"
mkdir -p /run/modprobe.d
cp "$inst/etc/modprobe.d/lagwlc.conf" /run/modprobe.d/lagwlc.conf 2>/dev/null
modprobe ip_vs
init=$(cat $SYSCTL 2>&1)
ip netns add later
later=$(ip netns exec later cat $SYSCTL 2>&1)
ip netns del later
rm -f /run/modprobe.d/lagwlc.conf
diag "make install: status $rc, $(find "$inst" -type f | sed "s|^$inst||" | paste -sd' ')"
diag "ip_vs loaded before: $before; after modprobe ip_vs with its modprobe.d file: conn_reuse_mode $init in the initial namespace, $later in a namespace created later"
[ $rc -eq 0 ] && [ "$before" -eq 0 ] && [ "$init" = 3 ] && [ "$later" = 1 ]
ktap_result $? "make install's /etc/modprobe.d/lagwlc.conf: modprobe ip_vs sets conn_reuse_mode 3 (initial namespace; a later one starts at 1)"

# ---- 2. the lab: lagwlcd sets it ------------------------------------------------------
dblab_up --poll 100 || { echo "Bail out! the e2e lab did not come up"; exit 1; }
LIMIT=$(($(cat $P/max_lag_ms) + 250))
echo reject >$P/all_lagging || { echo "Bail out! all_lagging"; exit 1; }
onq client sysctl -qw net.ipv4.tcp_tw_reuse=1
show=$(onq director "$DBLAB_CTL" show 2>&1)
onq director "$DBLAB_CTL" check --conn-reuse 2>&1
crc=$?
diag "director's conn_reuse_mode $(reuse); lagwlcd: $(grep 'conn_reuse_mode' "$DBLAB_LOG")"
diag "show: $(echo "$show" | head -n 1); check --conn-reuse: status $crc"
[ "$(reuse)" = 3 ] && [ "$(set_lines)" -eq 1 ] && [[ $show != *conn_reuse_mode* ]] && [ $crc -eq 0 ]
ktap_result $? "no sysctl by hand: lagwlcd set the director's conn_reuse_mode 1 to 3, logged once; show unmarked, check --conn-reuse passes"

# ---- 3, 4. lagwlcd's default ------------------------------------------------------------
phase auto 50000 || { echo "Bail out! phase auto"; exit 1; }
A=$PHASE
[ "$(field "$A" 1)" -ge $((MEASURE * READERS * RATE / 2)) ] && [ "$(field "$A" 8)" -ge $(($(field "$A" 1) * 3 / 4)) ] &&
	[ "$(field "$A" 9)" -le $((PORT_HI - PORT_LO + 1)) ] && [ "$(field "$A" 10)" -eq 0 ]
ktap_result $? "$READERS concurrent readers, 32-port ephemeral range: $(field "$A" 8) of $(field "$A" 1) reads reused a port used < 120 s before, every port in the range"
[ "$(field "$A" 6)" -eq 0 ] && [ "$(field "$A" 7)" -le $LIMIT ] && [ "$(field "$A" 2)" -eq 0 ] &&
	[ "$(field "$A" 1)" -gt 0 ]
rc=$?
ktap_result $rc "lagwlcd's default (conn_reuse_mode 3): stale $(field "$A" 6)/$(field "$A" 1), oldest read $(field "$A" 7) ms (<= $LIMIT), none to r1 ($(field "$A" 5) failed)"
[ $rc -eq 0 ] || why auto

# ---- 5. conn_reuse_mode = keep ----------------------------------------------------------
hup keep
sleep 1
onq director sysctl -qw net.ipv4.vs.conn_reuse_mode=1
sleep 2.5	# two rescans at least (every second with poll 100 ms)
show=$(onq director "$DBLAB_CTL" show 2>&1)
json=$(onq director "$DBLAB_CTL" -j show 2>&1)
cerr=$(onq director "$DBLAB_CTL" check --conn-reuse 2>&1)
crc=$?
onq director "$DBLAB_CTL" check
prc=$?
warned=$(grep -c 'conn_reuse_mode is 1 and real server .* left so (conn_reuse_mode = keep)' "$DBLAB_LOG")
grep -E 'conn_reuse_mode|SIGHUP|reload' "$DBLAB_LOG" | sed 's/^/#   | /' 
diag "keep: conn_reuse_mode $(reuse) 2.5 s after sysctl -w 1, warned $warned time(s); show: $(echo "$show" | head -n 1)"
diag "check --conn-reuse: status $crc: $cerr; plain check: status $prc"
[ "$(reuse)" = 1 ] && [ "$warned" -eq 1 ] && [ "$(set_lines)" -eq 1 ] &&
	echo "$show" | grep -qE "^TCP +$LAB_VIP:3306 lagwlc +\(conn_reuse_mode 1, bit 2 clear: a reused client port bypasses lagwlc\)$" &&
	echo "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["conn_reuse_mode"] == 1, d
assert [s["reuse_bypass"] for s in d["services"]] == [True], d["services"]' &&
	[ $crc -eq 1 ] && [[ $cerr == *"conn_reuse_mode is 1 (bit 2 clear) and lagwlc service TCP $LAB_VIP:3306 forwards by Route"* ]] &&
	[ $prc -eq 0 ]
ktap_result $? "conn_reuse_mode = keep: lagwlcd leaves 1, warns once; show marks the service (text, JSON), check --conn-reuse fails, plain check passes"

# ---- 6. the leak without bit 2 ------------------------------------------------------------
phase keep 50100 || { echo "Bail out! phase keep"; exit 1; }
K=$PHASE
[ "$(field "$K" 6)" -gt 0 ] && [ "$(field "$K" 7)" -gt $LIMIT ] && [ "$(reuse)" = 1 ]
ktap_result $? "keep and the kernel default 1: the leak shows: stale $(field "$K" 6)/$(field "$K" 1), oldest read $(field "$K" 7) ms, against $(field "$A" 6)/$(field "$A" 1) with lagwlcd's default"
[ "$(field "$K" 6)" -gt 0 ] || why keep

# ---- 7. auto again; the sysctl changed back -------------------------------------------------
hup auto
sleep 2.5
after_hup=$(reuse) lines_hup=$(set_lines)
# the write and the wait in one process: the time is lagwlcd's, not onq's
back=$(ip netns exec director bash -c "echo 1 >$SYSCTL; t=\$EPOCHREALTIME
	for ((i = 0; i < 200; i++)); do [ \"\$(<$SYSCTL)\" = 3 ] && break; sleep 0.05; done
	awk -v a=\$t -v b=\$EPOCHREALTIME 'BEGIN { printf \"%d\", (b - a) * 1000 }'")
sleep 2.5
grep -E 'conn_reuse_mode|SIGHUP|reload' "$DBLAB_LOG" | tail -n 4 | sed 's/^/#   | /'
diag "auto again: conn_reuse_mode $after_hup ($lines_hup set line(s) in all); sysctl -w 1: 3 again after $back ms; set lines now $(set_lines)"
# A rescan is due every second; on a loaded host the TCG guest's lagwlcd
# was seen taking 4.0-4.4 s (and 2.9 s for a SIGHUP reload) in this test
[ "$after_hup" = 3 ] && [ "$lines_hup" -eq 2 ] && [ "$(reuse)" = 3 ] && [ "$back" -le 5000 ] &&
	[ "$(set_lines)" -eq 3 ]
ktap_result $? "conn_reuse_mode = auto again and a sysctl -w back to 1: lagwlcd sets 3 again each time (rescans every second; <= 5000 ms), logs each once"

dblab_lagwlcd_kill TERM
ktap_exit
