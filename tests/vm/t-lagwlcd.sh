#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lagwlcd, the prober, against real MariaDB replication (lib/mariadb.sh):
# it finds the replicas in IPVS, measures them over TCP from the director
# and pushes their lag and health into the module; the test reads what the
# module holds (lagwlcctl -j show, through lib/lagwatch.py) while it pulls
# the fixture's levers on the databases.
#
#   client 198.18.0.1 ---+
#   director 198.18.0.2  |   VIP 198.18.0.100:3306 lagwlc, -g, weight 1: r1..r3
#     VIP 198.18.0.100   |     (+ the primary from point 9 on)
#     lagwlcd -D         |   poll 250 ms, timeout 1 s, discover = yes,
#                        +-- br0  option file (mode 0600) with the lab account
#     lagwlcd -D -n      |   points 3-4: r3 by both lag sources, pushes nothing
#   primary 198.18.0.10 -+   server_id 1, heartbeat row every 250 ms
#   r1 198.18.0.11 ------+   replica_status (discovered); killed, restarted (7)
#   r2 198.18.0.12 ------+   replica_status (discovered); SQL thread stopped (6),
#                        |     mariadbd SIGSTOPped (8)
#   r3 198.18.0.13 ------+   [replica] section: lag_source = heartbeat;
#                            MASTER_DELAY=8 in points 3-5
#
# Times to a state run from T0, taken right before the action (a signal
# sent, a statement written to a session already open), to the event of
# `lagwlcctl -j monitor` (running throughout, each line stamped as read)
# that shows it. Ages and lags come from dumps (`lagwlcctl -j show`, back to
# back; "res" is how long one takes). Point 13 runs a second lagwlcd under
# valgrind (poll 1 s, timeout 3 s: valgrind under TCG is slow) through a
# reload, a refused reload and SIGTERM. Point 14 runs the heartbeat writer
# against the primary (-n) and a read_only r1.
set -u
LAB_VM_ARGS=(--timeout 900 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
lab_boot_self "$@"

DELAY=8			# r3's MASTER_DELAY, seconds
PRIMARY_ID=1
POLL_MS=250 TIMEOUT_MS=1000
AGE_MAX=500		# healthy replicas' report age bound: a poll + 250 ms for TCG
REPLICAS=("r1 198.18.0.11 11" "r2 198.18.0.12 12" "r3 198.18.0.13 13")
LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
W=/tmp/lagwlcd-t
CONF=$W/lagwlcd.conf CNF=$W/client.cnf LOG=$W/lagwlcd.log
P=/sys/module/ip_vs_lagwlc/parameters
ktap_plan 14

# ---- helpers ------------------------------------------------------------------

# write_conf FILE POLL TIMEOUT [LINE...]: the test's configuration, LINEs
# appended; replaced atomically (a SIGHUP never reads half a file)
write_conf() {
	local f=$1 poll=$2 to=$3
	shift 3
	{
		echo "# t-lagwlcd.sh"
		echo "[lagwlcd]"
		echo "poll_interval = $poll"
		echo "timeout = $to"
		echo "option_file = $CNF"
		echo "discover = yes"
		echo
		echo "[replica 198.18.0.13:3306]"
		echo "lag_source = heartbeat"
		echo "heartbeat_server_id = $PRIMARY_ID"
		printf '%s\n' "$@"
	} >"$f.new" && mv "$f.new" "$f"
}

# lagwlcd_start LOG CMD...: CMD (a lagwlcd) on the director, output to LOG,
# its pid in LPID
LPID=
lagwlcd_start() {
	local log=$1
	shift
	echo "# [director] $*"
	ip netns exec director "$@" </dev/null >"$log" 2>&1 &
	LPID=$!
	LAB_PIDS+=("$LPID")
}


# lw_start TIMEOUT [--hold S] COND...: lib/lagwatch.py on the director, in
# the background, output in $W/lw.out; returns once it dumps. lw_go then
# marks T0 (in T0, and for lagwatch), right before the action timed; lw_wait
# waits for lagwatch, its status. lw_get KIND NAME FIELD reads a figure.
LW='' T0=''
lw_start() {
	local i
	rm -f $W/t0
	ip netns exec director python3 "$LAB_TOP/tests/vm/lib/lagwatch.py" "$CTL" "@$W/t0" "$@" \
		>$W/lw.out 2>&1 &
	LW=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '^ready' $W/lw.out && return 0
		_db_gone $LW && break
		sleep 0.05
	done
	diag "lagwatch did not start:"
	lw_dump
	return 1
}
lw_go() {
	T0=$EPOCHREALTIME
	echo "$T0" >$W/t0.new && mv $W/t0.new $W/t0
}
lw_wait() { wait "$LW"; }
lw_ms() { awk '$1 == "met" || $1 == "timeout" { print $2 }' $W/lw.out; }
lw_res() { awk '$1 == "met" || $1 == "timeout" { print $4 }' $W/lw.out; }
lw_get() {
	awk -v k="$1" -v n="$2" -v f="$3" '$1 == k && $2 == n {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' $W/lw.out
}
lw_dump() { sed 's/^/#   /' $W/lw.out; }

# ev_ms ADDR STATE [FROM]: ms from T0 (or FROM, seconds since the epoch) to
# the first event after T0 of lagwlcctl monitor (in $EV, stamped as read)
# putting ADDR in STATE; empty if none within 2 s of asking. ev_line ADDR
# STATE: that event.
ev_line() {
	local i l
	for ((i = 0; i < 20; i++)); do
		l=$(awk -v t0="$T0" -v a="\"address\":\"$1\"" -v s="\"state\":\"$2\"" \
			'$1 >= t0 && index($0, a) && index($0, s) { print; exit }' "$EV")
		[ -n "$l" ] && { echo "$l"; return 0; }
		sleep 0.1
	done
	return 1
}
ev_ms() {
	ev_line "$1" "$2" | awk -v t0="${3:-$T0}" '{ printf "%d\n", ($1 - t0) * 1000 }'
}
# sql_open NAME: a root session on NAME, connected now, running each
# statement sql_send writes at once: a statement is timed from its start,
# not from the client's. sql_close ends it.
SQLPID=''
sql_open() {
	local i
	rm -f $W/sql.fifo $W/sql.out
	mkfifo $W/sql.fifo
	_db_client "$1" -N -B -n <$W/sql.fifo >$W/sql.out 2>&1 &
	SQLPID=$!
	exec 7>$W/sql.fifo
	echo "SELECT 'connected';" >&7
	for ((i = 0; i < 300; i++)); do
		grep -q '^connected' $W/sql.out && return 0
		sleep 0.1
	done
	diag "sql_open $1: no session: $(cat $W/sql.out)"
	return 1
}
sql_send() { echo "$1;" >&7; }
sql_close() {
	exec 7>&-
	wait "$SQLPID"
}

# log_since N: the lines of lagwlcd's log after line N
log_lines() { wc -l <"$LOG"; }
log_since() { tail -n +$(($1 + 1)) "$LOG"; }

# ---- 1. the fixture, the configuration ------------------------------------------
lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 3
lab_add_host primary "$DB_PRIMARY_ADDR"
rm -rf "$W"
mkdir -p "$W"
# every change of state in the director's table, stamped as it is read
EV=$W/events
ip netns exec director "$CTL" -j monitor </dev/null 2>&1 |
	while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$EV" &

t=$SECONDS
ok=0
db_spawn_all $PRIMARY_ID "${REPLICAS[@]}" || ok=1
for name in r1 r2 r3; do
	db_replicate "$name" "$DB_PRIMARY_ADDR" || ok=1
done
db_heartbeat_start primary 250 || ok=1
for name in r1 r2 r3; do
	db_wait_sql "$name" "SELECT COUNT(*) FROM heartbeat.heartbeat" 1 10 >/dev/null || ok=1
done
diag "MariaDB: primary + r1..r3 replicating, heartbeat every 250 ms on every replica, in $((SECONDS - t)) s"
[ $ok -eq 0 ] || { echo "Bail out! the MariaDB fixture did not come up"; exit 1; }

on director ipvsadm -A -t "$LAB_VIP:3306" -s lagwlc
for entry in "${REPLICAS[@]}"; do
	read -r name addr id <<<"$entry"
	onq director ipvsadm -a -t "$LAB_VIP:3306" -r "$addr:3306" -g -w 1
done

printf '[client]\nuser = lab\npassword = %s\n' "$DB_LAB_PASSWORD" >"$CNF"
chmod 600 "$CNF"
write_conf "$CONF" ${POLL_MS}ms 1s
sed 's/^/#   | /' "$CONF"
out=$("$LAGWLCD" -t -c "$CONF" 2>&1)
rc=$?
diag "lagwlcd -t: status $rc: $out"
chmod 644 "$CNF"
out2=$("$LAGWLCD" -t -c "$CONF" 2>&1)
rc2=$?
chmod 600 "$CNF"
optline=$(grep -n '^option_file' "$CONF" | cut -d: -f1)
diag "option file mode 0644: status $rc2: $out2"
# a key that would load code, in the option file: refused at its own line
cp "$CNF" "$W/client.cnf.good"
printf 'plugin_dir = /tmp\n' >>"$CNF"
out3=$("$LAGWLCD" -t -c "$CONF" 2>&1)
rc3=$?
cp "$W/client.cnf.good" "$CNF"
diag "option file with plugin_dir: status $rc3: $out3"
[ $rc -eq 0 ] && [[ $out == "$CONF: configuration OK"* ]] && [ $rc2 -eq 1 ] &&
	[[ $out2 == "$CONF:$optline: option_file $CNF: readable by everyone (mode 0644)"* ]] &&
	[ $rc3 -eq 1 ] && [[ $out3 == "$CNF:4: plugin-dir: refused"* ]]
ktap_result $? "lagwlcd -t: the configuration is good; a 0644 option file refused as $CONF:$optline, plugin_dir in it as $CNF:4"

# ---- 2. start ---------------------------------------------------------------------------
conds=()
for name in r1 r2 r3; do
	conds+=("$name.state=ok" "$name.health=up" "$name.lag<1500" "$name.age<1000")
done
lw_start 15 "${conds[@]}"
lw_go
lagwlcd_start "$LOG" "$LAGWLCD" -D -c "$CONF"
MAIN=$LPID
lw_wait
ok=$?
sed 's/^/#   | /' "$LOG"
# its first log line: its own start, once loaded (exec itself takes up to
# seconds under TCG, and more on a busy host)
first=$(sed -n '1s/^\([0-9:.]*\) lagwlcd: lagwlcd .*/\1/p' "$LOG")
first=$(date -d "$first" +%s.%3N)
figs='' worst=0
for i in 1 2 3; do
	ms=$(ev_ms 198.18.0.1$i ok "$first")
	figs="$figs r$i ${ms:-never}"
	[ "${ms:-99999}" -gt "$worst" ] && worst=${ms:-99999}
done
diag "lagwlcd logged its start $(awk -v a="$T0" -v b="$first" 'BEGIN { printf "%d", (b - a) * 1000 }') ms after exec; ok (monitor events) after, in ms from that:$figs; every condition seen in a dump $(lw_ms) ms after exec (res $(lw_res) ms):" \
	"$(awk '$1 == "last" { printf "%s %s %s; ", $2, $5, $6 }' $W/lw.out)"
[ $ok -ne 0 ] && lw_dump
reuse=$(onq director cat /proc/sys/net/ipv4/vs/conn_reuse_mode)
diag "director's conn_reuse_mode: $reuse (the new namespace's default is 1)"
[ $ok -eq 0 ] && [ "$worst" -le $((4 * POLL_MS)) ] && [ "$reuse" = 3 ] &&
	[ "$(grep -c 'conn_reuse_mode was 1: set to 3, since real server 198.18.0.1[123]:3306 is reached by Route' "$LOG")" -eq 1 ]
ktap_result $? "after start r1..r3 are up, ok within 4 polls, lag < 1500 ms and age < 1000 ms; conn_reuse_mode 1 under DR set to 3, logged once"

# ---- 3, 4. MASTER_DELAY on r3: heartbeat (pushed) and replica_status (dry run) ------------
DRYCONF=$W/dry.conf DRYLOG=$W/dry.log
cat >"$DRYCONF" <<EOF
[lagwlcd]
poll_interval = ${POLL_MS}ms
timeout = 1s
option_file = $CNF
discover = no
[replica 198.18.0.13:3306]
lag_source = replica_status
# r3 again, under a key no one else uses: the same server by the heartbeat
[replica 198.18.0.113:3306]
probe = 198.18.0.13:3306
lag_source = heartbeat
heartbeat_server_id = $PRIMARY_ID
EOF
lw_start 25 --hold 4 'r3.lag>=6500' r3.state=lagging
lw_go
db_delay r3 $DELAY
diag "r3: MASTER_DELAY=$DELAY set; a dry-run lagwlcd (-n) probes r3 by both lag sources"
lagwlcd_start "$DRYLOG" "$LAGWLCD" -D -n -c "$DRYCONF"
DRY=$LPID
lw_wait
ok=$?
met=$(lw_ms)
diag "r3 lagging $(ev_ms 198.18.0.13 lagging) ms after MASTER_DELAY=$DELAY was issued (lag over max_lag_ms $(cat $P/max_lag_ms)), lag >= 6500 ms after $met ms; then for 4 s: r3 lag $(lw_get hold r3 lag) ms, $(lw_get hold r3 states); meanwhile r1 $(lw_get all r1 states), lag $(lw_get all r1 lag) ms, r2 $(lw_get all r2 states), lag $(lw_get all r2 lag) ms"
[ $ok -ne 0 ] && lw_dump
range=$(lw_get hold r3 lag)
awk -v r="$range" -v d=$DELAY 'BEGIN { split(r, a, /\.\./); exit !(a[1] != "" && a[1] >= d * 1000 - 1500 && a[2] <= d * 1000 + 1500) }' || ok=1
[ "$(lw_get hold r3 states)" = lagging ] && [ "$(lw_get all r1 states)" = ok ] &&
	[ "$(lw_get all r2 states)" = ok ] || ok=1
grep -q '^last 198.18.0.113:3306 ' $W/lw.out && { diag "the dry run pushed 198.18.0.113:3306"; ok=1; }
ktap_result $ok "MASTER_DELAY=$DELAY on r3: its heartbeat lag $((DELAY * 1000)) +- 1500 ms, state lagging; r1, r2 stay ok"

# the dry run's lines of those 4 s: pairs (replica_status, heartbeat) within 0.5 s
met_wall=$(awk -v t="$T0" -v m="$met" 'BEGIN { printf "%.3f", t + m / 1000 }')
from=$(date -d "@$met_wall" +%H:%M:%S.%3N)
drc=0
term_wait "$DRY" 10 || drc=$?
pairs=$(awk -v from="$from" '
	function sod(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
	sod($1) < sod(from) { next }
	/dry run: replica 198\.18\.0\.13:3306: up, lag [0-9]+ ms \(replica_status\)/ {
		ns++; st[ns] = sod($1); sv[ns] = $(NF - 2) }
	/dry run: replica 198\.18\.0\.113:3306 \(probe 198\.18\.0\.13:3306\): up, lag [0-9]+ ms \(heartbeat\)/ {
		nh++; ht[nh] = sod($1); hv[nh] = $(NF - 2) }
	END {
		for (i = 1; i <= ns; i++) {
			best = 0
			for (j = 1; j <= nh; j++) {
				d = ht[j] - st[i]; if (d < 0) d = -d
				if (!best || d < bd) { best = j; bd = d }
			}
			if (best && bd <= 0.5) print sv[i], hv[best]
		}
	}' "$DRYLOG")
diag "dry run (exit status $drc), r3 as (replica_status, heartbeat) ms: $(tr '\n' ' ' <<<"$pairs")"
grep -E 'dry run: replica 198\.18\.0\.1?13' "$DRYLOG" | tail -n 2 | sed 's/^/#   | /'
# Seconds_Behind_Master is whole seconds, truncated: N stands for N..N+1 s,
# N + 0.5 s at its middle. Each pair may differ by more: the heartbeat's
# age saws over 1 s (MASTER_DELAY applies a second's events at once), and
# MariaDB rounds its clock offset to the primary to a second.
read -r n msbm mhb maxd < <(awk '{ n++; s += $1; h += $2; d = $2 - $1; if (d < 0) d = -d; if (d > m) m = d }
	END { if (n) printf "%d %d %d %d\n", n, s / n, h / n, m; else print "0 0 0 0" }' <<<"$pairs")
diag "$n pairs: mean replica_status $msbm ms (+ 500: $((msbm + 500))), mean heartbeat $mhb ms, largest difference in a pair $maxd ms"
[ "$drc" -eq 0 ] && [ "$n" -ge 3 ] &&
	awk -v a="$msbm" -v b="$mhb" 'BEGIN { d = a + 500 - b; if (d < 0) d = -d; exit !(d <= 1000) }' &&
	[ "$maxd" -le 3000 ]
ktap_result $? "on the delayed r3 heartbeat and replica_status (+ 0.5 s) agree within 1 s on average (a dry run, which pushes nothing, exits 0)"

# ---- 5. the delay lifted ------------------------------------------------------------------
lw_start 20 r3.state=ok 'r3.lag<2000'
lw_go
db_delay r3 0
lw_wait
rc=$?
diag "r3: MASTER_DELAY=0: ok again $(ev_ms 198.18.0.13 ok) ms after it was issued, lag $(lw_get last r3 lag) ms"
[ $rc -ne 0 ] && lw_dump
ktap_result $rc "MASTER_DELAY=0: r3 catches up and is readmitted (ok, lag < readmit_lag_ms $(cat $P/readmit_lag_ms))"

# ---- 6. stopped SQL thread --------------------------------------------------------------
n0=$(log_lines)
sql_open r2
lw_start 10 r2.state=down r2.health=down
lw_go
sql_send 'STOP SLAVE SQL_THREAD'	# db_stop_sql, on a session already open
lw_wait
ok=$?
sql_close || ok=1
down_ms=$(ev_ms 198.18.0.12 down)
why=$(log_since "$n0" | grep -m1 '198\.18\.0\.12:3306: down')
diag "r2 SQL thread stopped (Slave_SQL_Running $(db_slave_field r2 Slave_SQL_Running)): down ${down_ms:-never} ms after STOP SLAVE SQL_THREAD was sent; log: $why"
[ $ok -ne 0 ] && lw_dump
[ -n "$down_ms" ] && [ "$down_ms" -le $((POLL_MS + TIMEOUT_MS)) ] && [[ $why == *"SQL thread not running"* ]] || ok=1
lw_start 15 r2.state=ok r2.health=up
lw_go
db_start_sql r2
lw_wait || { lw_dump; ok=1; }
diag "r2 SQL thread started: ok again $(ev_ms 198.18.0.12 ok) ms after START SLAVE SQL_THREAD was issued, lag $(lw_get last r2 lag) ms"
ktap_result $ok "stopped SQL thread: r2 down within poll + timeout ($((POLL_MS + TIMEOUT_MS)) ms), saying why; started: ok again"

# ---- 7. killed replica -----------------------------------------------------------------------
n0=$(log_lines)
pid=$(_db_pid r1)
lw_start 10 r1.state=down
lw_go
kill -KILL "$pid"	# db_kill, T0 right at the signal; db_kill then waits it out
db_kill r1
lw_wait
ok=$?
down_ms=$(ev_ms 198.18.0.11 down)
why=$(log_since "$n0" | grep -m1 '198\.18\.0\.11:3306: down')
diag "r1 killed (SIGKILL): down ${down_ms:-never} ms later; log: $why"
[ $ok -ne 0 ] && lw_dump
[ -n "$down_ms" ] && [ "$down_ms" -le $((POLL_MS + TIMEOUT_MS)) ] || ok=1
lw_start 40 r1.state=ok r1.health=up
lw_go
t=$EPOCHREALTIME
db_restart r1 || ok=1
took=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
lw_wait || { lw_dump; ok=1; }
diag "r1 restarted: it accepted connections after $took ms, lagwlcd had it ok after $(ev_ms 198.18.0.11 ok) ms (reconnects back off from a poll up to 5 s)"
ktap_result $ok "killed replica: r1 down within poll + timeout ($((POLL_MS + TIMEOUT_MS)) ms); restarted: ok again"

# ---- 8. paused replica -----------------------------------------------------------------------
n0=$(log_lines)
pid=$(_db_pid r2)
lw_start 10 --hold 3 r2.state=down
lw_go
kill -STOP "$pid"	# db_pause, T0 right at the signal
lw_wait
ok=$?
down_ms=$(ev_ms 198.18.0.12 down)
why=$(log_since "$n0" | grep -m1 '198\.18\.0\.12:3306')
a1=$(lw_get all r1 maxage) a3=$(lw_get all r3 maxage)
diag "r2 paused (SIGSTOP): down ${down_ms:-never} ms later; log: $why"
diag "from the pause to 3 s after r2 was down ($(lw_get all r1 n) dumps, res $(lw_res) ms): largest report age r1 $a1 ms, r3 $a3 ms (poll $POLL_MS ms); r1 $(lw_get all r1 states), r3 $(lw_get all r3 states)"
[ $ok -ne 0 ] && lw_dump
[ -n "$down_ms" ] && [ "$down_ms" -le $((2 * POLL_MS + TIMEOUT_MS + 500)) ] &&
	[ "$a1" -lt $AGE_MAX ] && [ "$a3" -lt $AGE_MAX ] &&
	[ "$(lw_get all r1 states)" = ok ] && [ "$(lw_get all r3 states)" = ok ] &&
	[ "$(lw_get hold r2 states)" = down ] || ok=1
lw_start 30 r2.state=ok
lw_go
db_resume r2
lw_wait || { lw_dump; ok=1; }
diag "r2 resumed (SIGCONT): ok again $(ev_ms 198.18.0.12 ok) ms later"
ktap_result $ok "paused replica: r2 down within timeout + 2 polls + 500 ms, r1 and r3 reported every poll meanwhile (age < $AGE_MAX ms); resumed: ok again"

# ---- 9, 10. the primary in the read pool, not_replica by SIGHUP ----------------------------
PRIM=$DB_PRIMARY_ADDR:3306
n0=$(log_lines)
write_conf "$CONF" ${POLL_MS}ms 1s "" "[replica $PRIM]" "not_replica = primary"
lw_start 10 primary.state=ok primary.health=up primary.lag=0
lw_go
kill -HUP "$MAIN"
on director ipvsadm -a -t "$LAB_VIP:3306" -r "$PRIM" -g -w 1
lw_wait
rc=$?
log_since "$n0" | grep -E 'SIGHUP|reloaded|198\.18\.0\.10:3306' | sed 's/^/#   | /'
diag "the primary ($PRIM) in the service, not_replica = primary: $(lw_get last primary state), lag $(lw_get last primary lag) ms, $(ev_ms 198.18.0.10 ok) ms after SIGHUP"
[ $rc -ne 0 ] && lw_dump
ktap_result $rc "not_replica = primary (SIGHUP): the primary in the pool is up, ok, lag 0"

n0=$(log_lines)
write_conf "$CONF" ${POLL_MS}ms 1s "" "[replica $PRIM]" "not_replica = down"
lw_start 10 primary.state=down
lw_go
kill -HUP "$MAIN"
lw_wait
ok=$?
log_since "$n0" | grep -E 'SIGHUP|reloaded|198\.18\.0\.10:3306' | sed 's/^/#   | /'
diag "not_replica = down (SIGHUP): the primary down $(ev_ms 198.18.0.10 down) ms after the signal"
[ $ok -ne 0 ] && lw_dump
log_since "$n0" | grep -q "198\.18\.0\.10:3306: down: not a replica" || ok=1
ktap_result $ok "not_replica = down (SIGHUP): the primary is down, \"not a replica\""

# ---- 11. a bad configuration ------------------------------------------------------------------
n0=$(log_lines)
write_conf "$CONF" ${POLL_MS}ms 1s "" "[replica $PRIM]" "not_replica = primary" "polll_interval = 100ms"
bad=$(grep -n '^polll_interval' "$CONF" | cut -d: -f1)
lw_start 10 --hold 3 primary.state=down r1.state=ok r2.state=ok r3.state=ok
lw_go
kill -HUP "$MAIN"
lw_wait
ok=$?
errs=$(log_since "$n0" | grep 'error:')
printf '%s\n' "$errs" | sed 's/^/#   | /'
diag "for 3 s after the refused reload: largest report age r1 $(lw_get hold r1 maxage), r2 $(lw_get hold r2 maxage), r3 $(lw_get hold r3 maxage) ms; the primary $(lw_get hold primary states) (not_replica = down still in force)"
[ $ok -ne 0 ] && lw_dump
kill -0 "$MAIN" 2>/dev/null || { diag "lagwlcd is gone"; ok=1; }
grep -qF "error: $CONF:$bad: unknown key \"polll_interval\"" <<<"$errs" &&
	grep -q 'reload refused' <<<"$errs" || ok=1
[ "$(lw_get hold primary states)" = down ] || ok=1
for name in r1 r2 r3; do
	[ "$(lw_get hold $name maxage)" -lt $AGE_MAX ] || ok=1
done
ktap_result $ok "SIGHUP with a bad configuration: refused as $CONF:$bad, the old one kept, reports fresh"

# ---- 12. SIGTERM --------------------------------------------------------------------------------
lw_start 5 r1.state=stale r2.state=stale r3.state=stale primary.state=stale
lw_go
rc=0
term_wait "$MAIN" 10 || rc=$?
gone=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
lw_wait
ok=$?
ev=
for a in 198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13; do
	l=$(ev_line $a stale)
	[ -n "$l" ] && echo "#   | ${l#* }"
	ms=$(ev_ms $a stale)
	ev="$ev $a ${ms:-never}"
	age=$(sed -n 's/.*"age_ms":\([0-9]*\).*/\1/p' <<<"$l")
	[[ $l == *'"reason":"release"'* ]] && [ "${age:-99999}" -lt "$(cat $P/stale_ms)" ] || ok=1
done
tail -n 1 "$LOG" | sed 's/^/#   | /'
diag "SIGTERM: lagwlcd exit status $rc, gone after $gone ms; stale (ms after SIGTERM):$ev; stale_ms $(cat $P/stale_ms)"
[ $ok -ne 0 ] && lw_dump
[ $rc -eq 0 ] || ok=1
ktap_result $ok "SIGTERM: lagwlcd exits 0 and its replicas are stale at once (reason release, not the stale_ms timeout)"

# ---- 13. valgrind: start, two reloads, SIGTERM ------------------------------------------------
VGCONF=$W/vg.conf VGLOG=$W/vg.log
write_conf "$VGCONF" 1s 3s "" "[replica $PRIM]" "not_replica = down"
t=$SECONDS
ok=0
lw_start 180 r1.state=ok r2.state=ok r3.state=ok primary.state=down
lw_go
lagwlcd_start "$VGLOG" valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite "$LAGWLCD" -D -c "$VGCONF"
VG=$LPID
lw_wait || { lw_dump; ok=1; }
diag "under valgrind (poll 1 s, timeout 3 s): r1..r3 ok, the primary down, $(lw_ms) ms after exec"
write_conf "$VGCONF" 1s 3s "" "[replica $PRIM]" "not_replica = primary"
lw_start 60 primary.state=ok r1.state=ok
lw_go
kill -HUP "$VG"
lw_wait || { lw_dump; ok=1; }
diag "under valgrind: reloaded (not_replica = primary), the primary ok $(lw_ms) ms after SIGHUP"
write_conf "$VGCONF" 1s 3s "" "[replica $PRIM]" "not_replica = primary" "polll_interval = 1s"
kill -HUP "$VG"
for ((i = 0; i < 300; i++)); do
	grep -q 'reload refused' "$VGLOG" && break
	sleep 0.1
done
grep -q 'reload refused' "$VGLOG" || { diag "no refused reload in the log"; ok=1; }
t1=$SECONDS
rc=0
term_wait "$VG" 120 || rc=$?
diag "valgrind: lagwlcd exited with status $rc ($((SECONDS - t1)) s after SIGTERM; $((SECONDS - t)) s under valgrind in all)"
grep -E '==[0-9]+==|error:' "$VGLOG" | head -n 40 | sed 's/^/#   | /'
[ $rc -eq 0 ] || ok=1
ktap_result $ok "valgrind (definite leaks, errors): start, a reload, a refused reload, SIGTERM: exit 0, not 99"

# ---- 14. --heartbeat-writer: -n writes nothing; a read_only server is not written to ------------
# An account with every privilege (SUPER, READ ONLY ADMIN: it can write where
# read_only is ON), created on the primary, replicated; r1 made read_only.
# A: -n --create-table on the primary: nothing created. B: r1, read_only:
# nothing created or written, and an error says why. C: the same with
# --ignore-read-only does write: the account could, the guard is what held.
# C leaves a transaction of r1's own (hbguard): this is the last point.
ok=0
HBW=$W/hbw.conf HBCNF=$W/hbsuper.cnf
db_sql primary "CREATE USER 'hbsuper'@'%' IDENTIFIED BY 'hbsuper-pw'; GRANT ALL PRIVILEGES ON *.* TO 'hbsuper'@'%'" ||
	{ diag "CREATE USER hbsuper failed"; ok=1; }
for ((i = 0; i < 100; i++)); do
	[ "$(db_sql r1 "SELECT COUNT(*) FROM mysql.user WHERE user = 'hbsuper'")" = 1 ] && break
	sleep 0.1
done
db_sql r1 "SET GLOBAL read_only = 1" || { diag "SET GLOBAL read_only on r1 failed"; ok=1; }
printf '[client]\nuser = hbsuper\npassword = hbsuper-pw\n' >"$HBCNF"
chmod 600 "$HBCNF"
printf '[lagwlcd]\npoll_interval = 200ms\ntimeout = 1s\noption_file = %s\nheartbeat_table = hbguard.hb\n' \
	"$HBCNF" >"$HBW"
# hbw LOG TARGET ARGS...: the writer for 3 s, then SIGTERM; its status
hbw() {
	local log=$1 target=$2
	shift 2
	echo "# [director] $LAGWLCD --heartbeat-writer $target $* -D -c $HBW (3 s)"
	ip netns exec director timeout -s TERM 3 "$LAGWLCD" --heartbeat-writer "$target" "$@" \
		-D -c "$HBW" </dev/null >"$log" 2>&1
	local st=$?
	sed 's/^/#   | /' "$log"
	return $st
}
schemas() { db_sql "$1" "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'hbguard'"; }
hbw "$W/hbw-a.log" "$PRIM" --create-table -n
st=$?
a=$(schemas primary)
diag "A: -n on the primary: status $st, hbguard on the primary: $a"
# timeout's SIGTERM: lagwlcd exits 0; timeout then says 124
[ $st -eq 124 ] && [ "$a" = 0 ] && grep -q 'dry run: would write to' "$W/hbw-a.log" || ok=1
hbw "$W/hbw-b.log" 198.18.0.11:3306 --create-table
b=$(schemas r1)
diag "B: r1 read_only: hbguard on r1: $b"
[ "$b" = 0 ] && grep -q 'error: heartbeat writer: 198.18.0.11:3306 is read_only: not writing' "$W/hbw-b.log" || ok=1
hbw "$W/hbw-c.log" 198.18.0.11:3306 --create-table --ignore-read-only
c=$(db_sql r1 "SELECT COUNT(*) FROM hbguard.hb" 2>&1)
diag "C: r1 read_only, --ignore-read-only: rows in hbguard.hb on r1: $c"
[ "$c" = 1 ] || ok=1
db_sql r1 "SET GLOBAL read_only = 0"
ktap_result $ok "heartbeat writer: -n creates and writes nothing; a read_only replica is not written to (an account that can write there: only --ignore-read-only does)"

diag "lagwlcd's warnings: $(grep 'warning:' "$LOG" | sed 's/^[0-9:.]* lagwlcd: warning: //' | sort | uniq -c | sort -rn | tr -s ' ' | tr '\n' ';')"
diag "this test ran $SECONDS s in the guest"
ktap_exit
