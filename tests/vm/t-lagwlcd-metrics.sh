#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lagwlcd's Prometheus endpoint (metrics_listen) against real MariaDB
# replication (lib/mariadb.sh), read by the real Prometheus tools of Debian's
# prometheus package: promtool check metrics on what it serves, and a
# Prometheus server on the director's loopback scraping it every second and
# answering a query for a replica's lag over its HTTP API.
#
#   director 198.18.0.2    VIP 198.18.0.100:3306 lagwlc, -g: r1..r3
#     lagwlcd -D            poll 250 ms, timeout 1 s, discover = yes,
#                           metrics_listen = 127.0.0.1:9731
#     prometheus            127.0.0.1:9090, scrape_interval 1s, its data on
#                           the guest's tmpfs
#   primary 198.18.0.10    heartbeat row every 250 ms
#   r1 198.18.0.11         replicating
#   r2 198.18.0.12         killed in point 4; lagwlcctl why says why it is down (5)
#   r3 198.18.0.13         MASTER_DELAY=8: 8 s behind, over max_lag_ms (5000):
#                          lagging in the kernel
#
# Then, lagwlcd stopped, io_thread_stopped = ignore against r1 with its IO
# thread stopped (STOP SLAVE IO_THREAD; the SQL thread runs on, caught up),
# with dry runs (-n) of a configuration probing r1 only:
#
#   10  MariaDB reports Seconds_Behind_Master NULL with the IO thread
#       stopped: by the replica status the lag is unknown
#   11  so lagwlcd -t refuses io_thread_stopped = ignore with lag_source =
#       replica_status, at the line that sets it (it used to accept it, and
#       the replica stayed down: "lag unknown")
#   12  with the heartbeat, ignore does what it says: r1 up, its lag growing
#       while nothing arrives; io_thread_stopped = down: r1 down
set -u
LAB_VM_ARGS=(--timeout 1500 --mem 2048)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
lab_boot_self "$@"

DELAY=8
PRIMARY_ID=1
REPLICAS=("r1 198.18.0.11 11" "r2 198.18.0.12 12" "r3 198.18.0.13 13")
LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
W=/tmp/lagwlcd-metrics
CONF=$W/lagwlcd.conf CNF=$W/client.cnf LOG=$W/lagwlcd.log
MPORT=9731 PPORT=9090
URL=http://127.0.0.1:$MPORT/metrics
PROM_READY_S=400	# Prometheus under TCG on a loaded host: give it time
ktap_plan 12

# write_conf LISTEN: the test's configuration, replaced atomically
write_conf() {
	{
		echo "[lagwlcd]"
		echo "poll_interval = 250ms"
		echo "timeout = 1s"
		echo "option_file = $CNF"
		echo "discover = yes"
		echo "metrics_listen = $1"
	} >"$CONF.new" && mv "$CONF.new" "$CONF"
}

# scrape FILE [URL]: GET the metrics into FILE (body) and FILE.hdr (headers)
scrape() {
	onq director curl -g -s -m 20 -D "$1.hdr" -o "$1" "${2:-$URL}"
}

# mval FILE SERIES: the value of SERIES (name{labels}, exactly as served)
mval() {
	awk -v s="$2" '$1 == s { print $2; exit }' "$1"
}

# rep NAME: the label set of replica NAME (r1..r3)
rep() { echo "replica=\"198.18.0.1${1#r}:3306\""; }

# promq QUERY: the first result's value from Prometheus's HTTP API, or
# "none" (an empty result), or "error: ..."
promq() {
	onq director python3 - "$1" "$PPORT" <<'EOF'
import json, sys, urllib.parse, urllib.request
q = urllib.parse.urlencode({"query": sys.argv[1]})
try:
    with urllib.request.urlopen("http://127.0.0.1:%s/api/v1/query?%s" % (sys.argv[2], q), timeout=20) as f:
        d = json.load(f)
except Exception as e:
    print("error:", e)
    sys.exit(0)
if d.get("status") != "success":
    print("error:", d)
elif not d["data"]["result"]:
    print("none")
else:
    print(d["data"]["result"][0]["value"][1])
EOF
}

# in_range V LO HI: V is a number and LO <= V <= HI. A word such as
# "none" (promq's empty result) is not 0: awk would read it as 0.
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN {
		exit !(v ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ &&
		       v + 0 >= lo && v + 0 <= hi) }'
}

# ---- 1. the fixture, lagwlcd serving ---------------------------------------------
for tool in curl promtool prometheus; do
	command -v $tool >/dev/null || { echo "Bail out! $tool missing (scripts/install-deps)"; exit 1; }
done
lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 3
lab_add_host primary "$DB_PRIMARY_ADDR"
rm -rf "$W"
mkdir -p "$W"

t=$SECONDS
ok=0
db_spawn_all $PRIMARY_ID "${REPLICAS[@]}" || ok=1
for name in r1 r2 r3; do
	db_replicate "$name" "$DB_PRIMARY_ADDR" || ok=1
done
db_heartbeat_start primary 250 || ok=1
db_delay r3 $DELAY || ok=1
diag "MariaDB: primary + r1..r3 replicating, r3 delayed $DELAY s, in $((SECONDS - t)) s"
[ $ok -eq 0 ] || { echo "Bail out! the MariaDB fixture did not come up"; exit 1; }

on director ipvsadm -A -t "$LAB_VIP:3306" -s lagwlc
for entry in "${REPLICAS[@]}"; do
	read -r _ addr _ <<<"$entry"
	onq director ipvsadm -a -t "$LAB_VIP:3306" -r "$addr:3306" -g -w 1
done
printf '[client]\nuser = lab\npassword = %s\n' "$DB_LAB_PASSWORD" >"$CNF"
chmod 600 "$CNF"
write_conf 127.0.0.1:$MPORT
echo "# [director] $LAGWLCD -D -c $CONF"
ip netns exec director "$LAGWLCD" -D -c "$CONF" </dev/null >"$LOG" 2>&1 &
LPID=$!
LAB_PIDS+=("$LPID")
ok=1
for ((i = 0; i < 300; i++)); do
	scrape $W/m1 && grep -q '^lagwlcd_replica_up' $W/m1 && { ok=0; break; }
	sleep 0.2
done
ctype=$(sed -n 's/^Content-Type: \(.*\)\r$/\1/Ip' $W/m1.hdr)
status=$(head -1 $W/m1.hdr | tr -d '\r')
diag "first answer after $((i / 5)) s: $status; Content-Type: $ctype; $(wc -l <$W/m1) lines"
[ $ok -eq 0 ] && [[ $status == "HTTP/1.1 200 OK" ]] &&
	[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] &&
	grep -q "metrics: serving http://127.0.0.1:$MPORT/metrics" "$LOG"
ktap_result $? "lagwlcd with metrics_listen = 127.0.0.1:$MPORT answers GET /metrics: 200, text format 0.0.4"

# ---- 2. promtool -------------------------------------------------------------------
# wait for r3's lag to show its delay (and every replica its first figures)
for ((i = 0; i < 120; i++)); do
	scrape $W/m2
	tm2=$(date +%s.%N)	# (promtool below takes seconds to start under TCG)
	in_range "$(mval $W/m2 "lagwlcd_replica_lag_seconds{$(rep r3)}")" $((DELAY - 1)) $((DELAY + 3)) &&
		[ "$(mval $W/m2 "lagwlcd_replica_state{$(rep r3),state=\"lagging\"}")" = 1 ] && break
	sleep 0.5
done
sed 's/^/#   | /' $W/m2 | grep -v '_bucket{' | head -80
out=$(promtool check metrics <$W/m2 2>&1)
rc=$?
diag "promtool check metrics: status $rc${out:+: $out}"
missing=''
for f in lagwlcd_build_info lagwlcd_pushes_total lagwlcd_push_failures_total lagwlcd_replica_up \
	lagwlcd_replica_lag_seconds lagwlcd_replica_state lagwlcd_replica_last_success_timestamp_seconds \
	lagwlcd_probe_errors_total lagwlcd_probe_duration_seconds_bucket \
	lagwlcd_probe_duration_seconds_sum lagwlcd_probe_duration_seconds_count; do
	grep -q "^${f}[{ ]" $W/m2 || missing="$missing $f"
done
diag "families without a series:${missing:- none}"
[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$missing" ]
ktap_result $? "promtool check metrics passes on what lagwlcd serves (no lint finding), every family has series"

# ---- 3. the values match the replicas --------------------------------------------
ok=0
now=$tm2
for r in r1 r2 r3; do
	up=$(mval $W/m2 "lagwlcd_replica_up{$(rep $r)}")
	lag=$(mval $W/m2 "lagwlcd_replica_lag_seconds{$(rep $r)}")
	st=$(awk -v p="lagwlcd_replica_state{$(rep $r)," 'index($1, p) == 1 && $2 == 1 { sub(/.*state="/, "", $1); sub(/".*/, "", $1); print $1 }' $W/m2)
	inf=$(mval $W/m2 "lagwlcd_probe_duration_seconds_bucket{$(rep $r),le=\"+Inf\"}")
	cnt=$(mval $W/m2 "lagwlcd_probe_duration_seconds_count{$(rep $r)}")
	last=$(mval $W/m2 "lagwlcd_replica_last_success_timestamp_seconds{$(rep $r)}")
	sbm=$(db_lag $r)
	diag "$r: up $up, lag $lag s (Seconds_Behind_Master $sbm), state $st, probes $cnt (+Inf $inf), last success $(awk -v n="$now" -v l="$last" 'BEGIN { printf "%.1f", n - l }') s ago"
	[ "$up" = 1 ] && [ "$inf" = "$cnt" ] && [ "${cnt:-0}" -gt 0 ] &&
		in_range "$last" "$(awk -v n="$now" 'BEGIN { printf "%.3f", n - 5 }')" "$now" || ok=1
	if [ $r = r3 ]; then
		in_range "$lag" $((DELAY - 1)) $((DELAY + 3)) && [ "$st" = lagging ] || ok=1
	else
		in_range "$lag" 0 1.5 && [ "$st" = ok ] || ok=1
	fi
done
p1=$(mval $W/m2 lagwlcd_pushes_total)
pf=$(mval $W/m2 lagwlcd_push_failures_total)
diag "pushes $p1, push failures $pf"
[ "${p1:-0}" -gt 0 ] && [ "$pf" = 0 ] || ok=1
ktap_result $ok "values match the replicas: r1, r2 up, lag <= 1.5 s, state ok; r3 lag $DELAY s +-, lagging in the kernel; histogram +Inf == _count; last success within 5 s; pushes, no failure"

# ---- 4. a replica killed ------------------------------------------------------------
scrape $W/m3
c0=$(mval $W/m3 "lagwlcd_probe_errors_total{$(rep r2),reason=\"connect\"}")
db_kill r2
t=$SECONDS
for ((i = 0; i < 60; i++)); do
	scrape $W/m4
	[ "$(mval $W/m4 "lagwlcd_replica_up{$(rep r2)}")" = 0 ] &&
		[ "$(mval $W/m4 "lagwlcd_replica_state{$(rep r2),state=\"down\"}")" = 1 ] &&
		[ "$(mval $W/m4 "lagwlcd_probe_errors_total{$(rep r2),reason=\"connect\"}")" -gt "${c0:-0}" ] && break
	sleep 0.5
done
grep "$(rep r2)" $W/m4 | grep -v '_bucket{' | sed 's/^/#   | /'
lag2=$(mval $W/m4 "lagwlcd_replica_lag_seconds{$(rep r2)}")
p2=$(mval $W/m4 lagwlcd_pushes_total)
diag "r2 killed: seen down after $((SECONDS - t)) s; connect errors $c0 -> $(mval $W/m4 "lagwlcd_probe_errors_total{$(rep r2),reason=\"connect\"}"); lag series: ${lag2:-absent}; pushes $p1 -> $p2"
[ "$(mval $W/m4 "lagwlcd_replica_up{$(rep r2)}")" = 0 ] &&
	[ "$(mval $W/m4 "lagwlcd_replica_state{$(rep r2),state=\"down\"}")" = 1 ] &&
	[ "$(mval $W/m4 "lagwlcd_replica_state{$(rep r2),state=\"ok\"}")" = 0 ] &&
	[ "$(mval $W/m4 "lagwlcd_probe_errors_total{$(rep r2),reason=\"connect\"}")" -gt "${c0:-0}" ] &&
	[ -z "$lag2" ] && [ "${p2:-0}" -gt "$p1" ] && [ "$(mval $W/m4 "lagwlcd_replica_up{$(rep r1)}")" = 1 ] &&
	promtool check metrics <$W/m4 >/dev/null 2>&1
ktap_result $? "r2 killed: up 0, state down (kernel), connect errors counted, no lag series; r1 still up; promtool still passes"

# ---- 5. lagwlcctl why: lagwlcd's own view ------------------------------------------
all=$(onq director "$CTL" why -m 127.0.0.1:$MPORT 2>&1)
rca=$?
sed 's/^/#   | /' <<<"$all"
one=$(onq director "$CTL" why -m 127.0.0.1:$MPORT 198.18.0.12:3306 2>&1)
rc1=$?
js=$(onq director "$CTL" -j why -m 127.0.0.1:$MPORT 198.18.0.12:3306 2>&1)
jv=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(len(d), d[0]["replica"], d[0]["view"], d[0]["lag_ms"], "cannot connect to 198.18.0.12:3306" in (d[0]["reason"] or ""))' "$js" 2>&1)
none=$(onq director "$CTL" why -m 127.0.0.1:1 2>&1)
rcn=$?
diag "why 198.18.0.12:3306: status $rc1: $(tail -1 <<<"$one"); -j: $jv; from a closed port: status $rcn: $none"
[ $rca -eq 0 ] && grep -Eq '^198\.18\.0\.11:3306 +up +[0-9]+ *$' <<<"$all" &&
	grep -Eq '^198\.18\.0\.13:3306 +up +[0-9]{4,5} *$' <<<"$all" &&
	grep -Eq '^198\.18\.0\.12:3306 +down +- +cannot connect to 198\.18\.0\.12:3306: ' <<<"$all" &&
	[ $rc1 -eq 0 ] && [ "$(wc -l <<<"$one")" = 2 ] && [ "$jv" = "1 198.18.0.12:3306 down None True" ] &&
	[ $rcn -eq 1 ] && [[ $none == "lagwlcctl: cannot read lagwlcd's status at http://127.0.0.1:1/status: Connection refused"* ]]
ktap_result $? "lagwlcctl why (from the endpoint): r1 and r3 up with their lag, r2 down because lagwlcd cannot connect; one replica, -j; a closed port is one error line, status 1"

# ---- 6. a real Prometheus scrapes it -------------------------------------------------
PD=$W/prometheus
mkdir -p "$PD/data"
cat >"$PD/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lagwlcd
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
echo "# [director] prometheus --config.file=$PD/prometheus.yml --storage.tsdb.path=$PD/data --web.listen-address=127.0.0.1:$PPORT"
ip netns exec director prometheus --config.file="$PD/prometheus.yml" --storage.tsdb.path="$PD/data" \
	--web.listen-address=127.0.0.1:$PPORT </dev/null >"$PD/log" 2>&1 &
PPID_=$!
LAB_PIDS+=("$PPID_")
t=$SECONDS
ready=1
while [ $((SECONDS - t)) -lt $PROM_READY_S ]; do
	onq director curl -sf -m 5 http://127.0.0.1:$PPORT/-/ready >/dev/null && { ready=0; break; }
	_db_gone $PPID_ && break
	sleep 1
done
diag "prometheus $(prometheus --version 2>&1 | head -1 | cut -d' ' -f3): ready after $((SECONDS - t)) s (status $ready)"
[ $ready -eq 0 ] || tail -20 "$PD/log" | sed 's/^/#   | /'
t=$SECONDS
q3=none qup=none q2=none
while [ $ready -eq 0 ] && [ $((SECONDS - t)) -lt 120 ]; do
	q3=$(promq "lagwlcd_replica_lag_seconds{$(rep r3)}")
	qup=$(promq 'up{job="lagwlcd"}')
	q2=$(promq "lagwlcd_replica_up{$(rep r2)}")
	[ "$qup" = 1 ] && in_range "$q3" 0 1000 && [ "$q2" != none ] && break
	sleep 1
done
targets=$(onq director curl -s -m 10 http://127.0.0.1:$PPORT/api/v1/targets | python3 -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    print(t["scrapeUrl"], t["health"], repr(t.get("lastError", "")), t.get("lastScrapeDuration"))' 2>&1)
diag "Prometheus answered after $((SECONDS - t)) s: r3's lag $q3 s, r2 up $q2, up{job=lagwlcd} $qup; target: $targets"
[ $ready -eq 0 ] && [ "$qup" = 1 ] && in_range "$q3" $((DELAY - 1)) $((DELAY + 3)) && [ "$q2" = 0 ] &&
	[[ $targets == *" up ''"* ]]
ktap_result $? "a real Prometheus on 127.0.0.1:$PPORT scrapes lagwlcd every second: its API answers r3's lag ($DELAY s +-) and r2 down; the target is up"
kill -TERM $PPID_ 2>/dev/null
wait $PPID_ 2>/dev/null

# ---- 7. HTTP: other paths, methods, sizes; idle clients ------------------------------
res=$(onq director python3 - $MPORT <<'EOF'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
def raw(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    r = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:  # the unread rest of a refused request
            break
        if not b:
            break
        r += b
    s.close()
    return r.split(b"\r\n")[0].decode()
out = []
out.append(raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
out.append(raw(b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
out.append(raw(b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\n\r\n"))
out.append(raw(b"GET /metrics?x=1 HTTP/1.0\r\n\r\n"))
# 20 connections that send nothing, held open, then a scrape
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
half = socket.create_connection(("127.0.0.1", port))
half.sendall(b"GET /metrics HTTP/1.1\r\n")   # never finished
time.sleep(1)
t = time.time()
body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=20).read().decode()
dt = time.time() - t
def pushes(text):
    return int([l for l in text.splitlines() if l.startswith("lagwlcd_pushes_total ")][0].split()[1])
p0 = pushes(body)
time.sleep(3)
body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=20).read().decode()
out.append("scrape %.3f s with 21 idle; pushes +%d in 3 s" % (dt, pushes(body) - p0))
print("|".join(out))
EOF
)
diag "$res"
IFS='|' read -r a b c d e <<<"$res"
ds=$(sed -n 's/^scrape \([0-9.]*\) s.*/\1/p' <<<"$e")
dp=$(sed -n 's/.*pushes +\([0-9]*\) in 3 s/\1/p' <<<"$e")
[ "$a" = "HTTP/1.1 404 Not Found" ] && [ "$b" = "HTTP/1.1 405 Method Not Allowed" ] &&
	[ "$c" = "HTTP/1.1 431 Request Header Fields Too Large" ] && [ "$d" = "HTTP/1.1 200 OK" ] &&
	in_range "$ds" 0 2 && [ "${dp:-0}" -ge 6 ]
ktap_result $? "404 for /, 405 for POST, 431 past 4 KiB, 200 with a query string; 21 idle connections delay neither a scrape (< 2 s) nor the pushes (>= 6 in 3 s at a 250 ms poll)"

# ---- 8. SIGHUP moves the endpoint ---------------------------------------------------------
write_conf "[::1]:$((MPORT + 1))"
kill -HUP $LPID
for ((i = 0; i < 100; i++)); do
	scrape $W/m6 "http://[::1]:$((MPORT + 1))/metrics" && [ -s $W/m6 ] && break
	sleep 0.2
done
scrape $W/m7
old=$?
diag "after SIGHUP: [::1]:$((MPORT + 1)) answers $(head -1 $W/m6.hdr | tr -d '\r') ($(wc -l <$W/m6) lines); 127.0.0.1:$MPORT: curl status $old"
grep "metrics:" "$LOG" | sed 's/^/#   | /'
[ -s $W/m6 ] && [ $old -ne 0 ] && grep -q "^lagwlcd_replica_up{$(rep r1)} 1" $W/m6 &&
	promtool check metrics <$W/m6 >/dev/null 2>&1
ktap_result $? "SIGHUP with metrics_listen = [::1]:$((MPORT + 1)): served there over IPv6 (promtool passes), 127.0.0.1:$MPORT closed"

# ---- 9. SIGTERM with a client connected ---------------------------------------------------
rm -f $W/idle
onq director python3 -c "
import socket, time
s = socket.create_connection(('::1', $((MPORT + 1))))
open('$W/idle', 'w').write('connected')
time.sleep(30)" &
IDLE=$!
for ((i = 0; i < 300; i++)); do
	[ -s $W/idle ] && break
	sleep 0.1
done
diag "idle client: $(cat $W/idle 2>/dev/null || echo 'not connected')"
t=$EPOCHREALTIME
kill -TERM $LPID
for ((i = 0; i < 100; i++)); do
	_db_gone $LPID && break
	sleep 0.1
done
wait $LPID
st=$?
kill $IDLE 2>/dev/null
ms=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
diag "SIGTERM with an idle client: exit status $st after about $ms ms"
tail -3 "$LOG" | sed 's/^/#   | /'
[ -s $W/idle ] && [ $st -eq 0 ] && [ "$ms" -lt 5000 ] && grep -q "metrics: no longer serving on \[::1\]:$((MPORT + 1))" "$LOG"
ktap_result $? "SIGTERM with an idle metrics client: lagwlcd exits 0 within 5 s, the endpoint closed"

# ---- 10. Seconds_Behind_Master with the IO thread stopped --------------------------
# iostop NAME SOURCE IO: a configuration probing r1 only
iostop() {
	cat >"$W/$1.conf" <<EOF2
[lagwlcd]
poll_interval = 250ms
option_file = $CNF
discover = no
[replica 198.18.0.11:3306]
lag_source = $2
heartbeat_server_id = $PRIMARY_ID
io_thread_stopped = $3
EOF2
}
iostop status replica_status ignore
iostop hb heartbeat ignore
iostop hbdown heartbeat down
before=$(db_slave_field r1 Seconds_Behind_Master)
db_sql r1 "STOP SLAVE IO_THREAD"
io=$(db_slave_field r1 Slave_IO_Running) sql=$(db_slave_field r1 Slave_SQL_Running)
sbm=$(db_slave_field r1 Seconds_Behind_Master)
diag "r1 replicating: Seconds_Behind_Master $before; after STOP SLAVE IO_THREAD: Slave_IO_Running $io, Slave_SQL_Running $sql, Seconds_Behind_Master $sbm"
[ "$before" != NULL ] && [ "$io" = No ] && [ "$sql" = Yes ] && [ "$sbm" = NULL ]
ktap_result $? "MariaDB, IO thread stopped, SQL thread running: Seconds_Behind_Master NULL"

# ---- 11. ignore with the replica status: refused -------------------------------------
out=$("$LAGWLCD" -t -c "$W/status.conf" 2>&1)
rc=$?
diag "lagwlcd -t, lag_source = replica_status, io_thread_stopped = ignore: status $rc: $out"
# what it does with it: refused at once, no dry run
ip netns exec director timeout -s TERM 3 "$LAGWLCD" -D -n -c "$W/status.conf" >$W/status.log 2>&1
sed 's/^/#   | /' $W/status.log
[ $rc -eq 1 ] && [[ $out == "$W/status.conf:8: [replica 198.18.0.11:3306]: io_thread_stopped = ignore needs the heartbeat lag source"* ]] &&
	! grep -q 'dry run' $W/status.log
ktap_result $? "lagwlcd -t refuses io_thread_stopped = ignore with lag_source = replica_status, at $W/status.conf:8"

# ---- 12. ignore with the heartbeat -----------------------------------------------------
for c in hb hbdown; do
	ip netns exec director timeout -s TERM 4 "$LAGWLCD" -D -n -c "$W/$c.conf" >$W/$c.log 2>&1
	sed 's/^/#   | /' $W/$c.log | grep 'dry run'
done
lags=$(sed -n 's/.*dry run: replica 198.18.0.11:3306: up, lag \([0-9]*\) ms (heartbeat)$/\1/p' $W/hb.log)
diag "ignore, heartbeat: lags $(echo $lags) ms"
n=$(echo "$lags" | grep -c .)
first=$(echo "$lags" | head -1) last=$(echo "$lags" | tail -1)
[ "$n" -ge 2 ] && [ "$last" -gt "$first" ] &&
	! grep -q 'dry run: replica 198.18.0.11:3306: down' $W/hb.log &&
	grep -q 'dry run: replica 198.18.0.11:3306: down (IO thread not running (No)' $W/hbdown.log
ktap_result $? "lag_source = heartbeat: ignore keeps r1 up with a growing lag ($first -> $last ms); down reports it down"

diag "this test ran $SECONDS s in the guest"
ktap_exit
