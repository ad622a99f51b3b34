#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the MariaDB replication fixture (lib/mariadb.sh): a primary
# and three GTID replicas in the LVS-DR lab, each mariadbd on 0.0.0.0:3306
# in its own namespace, and every lever the lag tests will pull: replication,
# pt-heartbeat rows, MASTER_DELAY, a stopped SQL thread, a killed and
# restarted server, a paused (SIGSTOP) server, and reads through the VIP.
#
#   client 198.18.0.1 ---+
#   director 198.18.0.2  |   VIP 198.18.0.100:3306, lagwlc, r1..r3 weight 1, -g
#     VIP 198.18.0.100   +-- br0
#   primary 198.18.0.10 -+   server_id 1, log-bin + GTID; heartbeat every 250 ms,
#                        |   app.counter +1 every 200 ms
#   r1 198.18.0.11 ------+   server_id 11 \
#   r2 198.18.0.12 ------+   server_id 12  > replicas of 198.18.0.10, VIP on lo
#   r3 198.18.0.13 ------+   server_id 13 /  (r3: MASTER_DELAY=8 from point 7 on)
#
# Timings (template install, starts, replication catch-up, restarts) are
# printed as diagnostics.
set -u
LAB_VM_ARGS=(--timeout 600)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
lab_boot_self "$@"

DELAY=8	# r3's MASTER_DELAY, seconds
PRIMARY_ID=1
REPLICAS=("r1 198.18.0.11 11" "r2 198.18.0.12 12" "r3 198.18.0.13 13")
ktap_plan 15

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 3
lab_add_host primary "$DB_PRIMARY_ADDR"

# ---- 1, 2. template and servers ------------------------------------------------
t=$SECONDS
db_template
rc=$?
diag "template installed in $((SECONDS - t)) s"
ktap_result $rc "mariadb-install-db makes the template"
[ -e "$DB_TEMPLATE/.done" ] || { echo "Bail out! no template"; exit 1; }

t=$SECONDS
ok=0
db_spawn_all $PRIMARY_ID "${REPLICAS[@]}" || ok=1
diag "primary and 3 replicas started together in $((SECONDS - t)) s"
ktap_result $ok "a primary and three replicas accept connections"
[ $ok -eq 0 ] || { echo "Bail out! servers did not start"; exit 1; }

# ---- 3, 4. replication --------------------------------------------------------
t=$SECONDS
ok=0
for name in r1 r2 r3; do
	db_replicate "$name" "$DB_PRIMARY_ADDR" || ok=1
done
diag "replication set up in $((SECONDS - t)) s"
ktap_result $ok "r1..r3 replicate from the primary (IO and SQL threads running)"

db_sql primary "INSERT INTO app.marks (tag) VALUES ('first')"
ok=0
for name in r1 r2 r3; do
	if s=$(db_wait_sql "$name" "SELECT COUNT(*) FROM app.marks WHERE tag = 'first'" 1 10); then
		diag "$name has the write after ${s} s (primary at $(db_sql primary 'SELECT @@gtid_binlog_pos'), $name at $(db_sql "$name" 'SELECT @@gtid_slave_pos'))"
	else
		diag "$name: no write after 10 s"
		ok=1
	fi
done
ktap_result $ok "a write on the primary reaches every replica within 10 s"

# ---- 5, 6. heartbeat, the prober's account -----------------------------------------
ok=0
db_heartbeat_start primary 250 || ok=1
db_writer_start primary 200 || ok=1
sleep 1
for name in r1 r2 r3; do
	age=$(db_heartbeat_age "$name" $PRIMARY_ID)
	diag "$name: heartbeat age $age s, Seconds_Behind_Master $(db_lag "$name")"
	awk -v a="$age" 'BEGIN { exit !(a != "NULL" && a > -0.5 && a < 2) }' || ok=1
done
ktap_result $ok "heartbeat rows replicate: each replica's newest is under 2 s old"

# what lagwlcd will do from the director: TCP as lab, SHOW SLAVE STATUS, heartbeat
PROBE_PY='
import sys, pymysql
ok = True
for addr in sys.argv[2:]:
    try:
        c = pymysql.connect(host=addr, user="lab", password=sys.argv[1],
                            connect_timeout=5, read_timeout=5)
        cur = c.cursor(pymysql.cursors.DictCursor)
        cur.execute("SHOW SLAVE STATUS")
        st = cur.fetchone()
        cur.execute("SELECT server_id, ts FROM heartbeat.heartbeat")
        hb = cur.fetchall()
        print(addr, "io", st["Slave_IO_Running"], "sql", st["Slave_SQL_Running"],
              "lag", st["Seconds_Behind_Master"], "heartbeat", [(r["server_id"], r["ts"]) for r in hb])
        ok = ok and st["Slave_IO_Running"] == "Yes" and len(hb) == 1
        try:
            cur.execute("UPDATE app.counter SET n = 0")
            print(addr, "lab may write app.counter")
            ok = False
        except pymysql.MySQLError as e:
            print(addr, "write refused:", e.args[0])
        c.close()
    except Exception as e:
        print(addr, "error", repr(e))
        ok = False
sys.exit(0 if ok else 1)
'
ktap_check "the lab account reads SHOW SLAVE STATUS and heartbeat over TCP from the director, and nothing more" \
	ip netns exec director python3 -c "$PROBE_PY" "$DB_LAB_PASSWORD" 198.18.0.11 198.18.0.12 198.18.0.13

# ---- r3 delayed from here on; it settles while the next points run -------------------
db_delay r3 $DELAY
delay_set=$SECONDS
diag "r3: MASTER_DELAY=$DELAY set"

# ---- 7. reads through the VIP ---------------------------------------------------------
on director ipvsadm -A -t "$LAB_VIP:3306" -s lagwlc
for entry in "${REPLICAS[@]}"; do
	read -r name addr id <<<"$entry"
	onq director ipvsadm -a -t "$LAB_VIP:3306" -r "$addr:3306" -g -w 1
done
VIP_PY='
import sys, pymysql
for i in range(int(sys.argv[3])):
    try:
        c = pymysql.connect(host=sys.argv[1], user="app", password=sys.argv[2],
                            connect_timeout=5, read_timeout=5)
        cur = c.cursor()
        cur.execute("SELECT @@server_id, n FROM app.counter WHERE id = 1")
        sid, n = cur.fetchone()
        print("SERVED", sid, n)
        c.close()
    except Exception as e:
        print("FAILED", repr(e))
'
out=$(onq client python3 -c "$VIP_PY" "$LAB_VIP" "$DB_APP_PASSWORD" 12)
printf '%s\n' "$out" | grep -v '^SERVED' | sed 's/^/# /'
n11=$(grep -c '^SERVED 11 ' <<<"$out")
n12=$(grep -c '^SERVED 12 ' <<<"$out")
n13=$(grep -c '^SERVED 13 ' <<<"$out")
diag "12 connections to $LAB_VIP:3306 as app: r1 $n11, r2 $n12, r3 $n13; counter read: $(awk '/^SERVED/ { printf "%s:%s ", $2, $3 }' <<<"$out")"
onq director ipvsadm -Ln -t "$LAB_VIP:3306" | sed 's/^/# /'
[ "$n11" -ge 1 ] && [ "$n12" -ge 1 ] && [ "$n13" -ge 1 ] && [ $((n11 + n12 + n13)) -eq 12 ]
ktap_result $? "a client reads through the VIP (LVS-DR, lagwlc) from all three replicas on port 3306"

# ---- 8. stopped SQL thread ---------------------------------------------------------------
db_stop_sql r2
lag_stopped=$(db_lag r2)
sql_stopped=$(db_slave_field r2 Slave_SQL_Running)
db_start_sql r2
lag_started=$(db_lag r2)
diag "r2: SQL thread stopped: Slave_SQL_Running $sql_stopped, Seconds_Behind_Master $lag_stopped; started again: $lag_started"
[ "$lag_stopped" = NULL ] && [ "$sql_stopped" = No ] && [[ $lag_started =~ ^[0-9]+$ ]]
ktap_result $? "db_stop_sql: Seconds_Behind_Master NULL; db_start_sql: a number again"

# ---- 9. paused server ---------------------------------------------------------------------
# Connect to all three, then (once paused) query on those connections and on
# new ones with read_timeout 2 s.
PAUSE_PY='
import os, sys, time, pymysql
pw, go = sys.argv[1], sys.argv[2]
addrs = sys.argv[3:]
def conn(a):
    return pymysql.connect(host=a, user="app", password=pw, connect_timeout=2, read_timeout=2)
def ask(label, a, mk):
    t = time.monotonic()
    try:
        c = mk()
        cur = c.cursor()
        cur.execute("SELECT @@server_id")
        res = "ok %s" % cur.fetchone()[0]
    except pymysql.MySQLError as e:
        res = ("timeout" if "timed out" in str(e) else "error") + " " + repr(e).replace(" ", "_")
    print(label, a, "%.1f" % (time.monotonic() - t), res, flush=True)
held = {a: conn(a) for a in addrs}
print("connected", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
for a in addrs:
    ask("held", a, lambda: held[a])
for a in addrs:
    ask("new", a, lambda: conn(a))
'
rm -f /tmp/pause.go
onq client python3 -c "$PAUSE_PY" "$DB_APP_PASSWORD" /tmp/pause.go 198.18.0.11 198.18.0.12 198.18.0.13 >/tmp/pause.out 2>&1 &
pypid=$!
for ((i = 0; i < 100; i++)); do
	grep -q connected /tmp/pause.out && break
	sleep 0.1
done
db_pause r2
touch /tmp/pause.go
wait $pypid
sed 's/^/# /' /tmp/pause.out
db_resume r2
resumed=$(db_sql r2 'SELECT @@server_id')
diag "after db_resume r2 answers: $resumed"
bad=0
for kind in held new; do
	for a in 198.18.0.11 198.18.0.13; do
		grep -qE "^$kind $a [0-9.]+ ok " /tmp/pause.out || bad=1
	done
	awk -v k=$kind '$1 == k && $2 == "198.18.0.12" && $4 == "timeout" && $3 >= 1.5 && $3 <= 4 { f = 1 } END { exit !f }' /tmp/pause.out || bad=1
done
[ $bad -eq 0 ] && [ "$resumed" = 12 ]
ktap_result $? "db_pause r2: its queries time out (read_timeout 2 s), r1 and r3 answer; db_resume: it answers again"

# ---- 10-12. the delayed replica --------------------------------------------------------
wait_s=$((delay_set + DELAY + 3 - SECONDS))
[ $wait_s -gt 0 ] && { diag "waiting $wait_s s for r3 to settle"; sleep $wait_s; }
lags=()
for i in 1 2 3; do
	lags+=("$(db_lag r3)")
	sleep 1
done
diag "r3 Seconds_Behind_Master, 3 samples 1 s apart: ${lags[*]} (MASTER_DELAY=$DELAY); r1: $(db_lag r1)"
# Binlog event times are whole seconds, so DELAY - 1 and DELAY both show up
# (the clock offset measured at IO-thread connect cancels out: it shifts the
# delayed apply and Seconds_Behind_Master alike); + 1 is slack for TCG.
ok=0
for l in "${lags[@]}"; do
	[[ $l =~ ^[0-9]+$ ]] && [ "$l" -ge $((DELAY - 1)) ] && [ "$l" -le $((DELAY + 1)) ] || ok=1
done
ktap_result $ok "MASTER_DELAY=$DELAY on r3: Seconds_Behind_Master within $((DELAY - 1))..$((DELAY + 1))"

age3=$(db_heartbeat_age r3 $PRIMARY_ID)
age1=$(db_heartbeat_age r1 $PRIMARY_ID)
diag "heartbeat age: r3 $age3 s, r1 $age1 s"
# event times are whole seconds: the writes of second T are all applied at
# T + DELAY, so the newest applied one is DELAY - 1 to DELAY + 1 s old
awk -v a="$age3" -v b="$age1" -v d=$DELAY \
	'BEGIN { exit !(a != "NULL" && a >= d - 1.5 && a <= d + 1.5 && b != "NULL" && b < 2) }'
ktap_result $? "r3's newest heartbeat is about $DELAY s old (now - ts), r1's under 2 s"

read -r n1 age1 < <(db_sql r1 "SELECT n, TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) / 1e6 FROM app.counter")
read -r n3 age3 < <(db_sql r3 "SELECT n, TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) / 1e6 FROM app.counter")
np=$(db_sql primary "SELECT n FROM app.counter")
diag "app.counter: primary $np, r1 $n1 (written $age1 s ago), r3 $n3 (written $age3 s ago)"
awk -v n1="$n1" -v n3="$n3" -v a1="$age1" -v a3="$age3" -v d=$DELAY \
	'BEGIN { exit !(n3 + 10 < n1 && a3 >= d - 1.5 && a3 <= d + 1.5 && a1 < 2) }'
ktap_result $? "stale reads: r3's app.counter trails r1's by about $DELAY s of writes"

# ---- 13. kill and restart a replica ----------------------------------------------------
t=$SECONDS
db_kill r2
killed=$?
if db_sql r2 'SELECT 1' >/dev/null 2>&1; then answers=yes; else answers=no; fi
db_sql primary "INSERT INTO app.marks (tag) VALUES ('while-r2-down')"
t=$SECONDS
db_restart r2
restarted=$?
diag "r2 killed (status $killed, still answers: $answers), restarted in $((SECONDS - t)) s (status $restarted)"
s=$(db_wait_sql r2 "SELECT COUNT(*) FROM app.marks WHERE tag = 'while-r2-down'" 1 20)
got=$?
diag "r2: the write made while it was down arrived ${s:-never} s after the restart; threads: IO $(db_slave_field r2 Slave_IO_Running), SQL $(db_slave_field r2 Slave_SQL_Running)"
[ $killed -eq 0 ] && [ $answers = no ] && [ $restarted -eq 0 ] && [ $got -eq 0 ] && db_wait_slave r2 10
ktap_result $? "db_kill r2, a write, db_restart r2: it resumes replicating and catches up"

# ---- 14. kill and restart the primary ------------------------------------------------------
db_kill primary
killed=$?
sleep 1
io_down=$(db_slave_field r1 Slave_IO_Running)
t=$SECONDS
db_restart primary
restarted=$?
diag "primary killed (status $killed; r1's IO thread: $io_down), restarted in $((SECONDS - t)) s (status $restarted), at $(db_sql primary 'SELECT @@gtid_binlog_pos')"
db_sql primary "INSERT INTO app.marks (tag) VALUES ('after-primary-restart')"
ok=0
[ $killed -eq 0 ] && [ $restarted -eq 0 ] && [ "$io_down" != Yes ] || ok=1
for name in r1 r2; do
	if s=$(db_wait_sql "$name" "SELECT COUNT(*) FROM app.marks WHERE tag = 'after-primary-restart'" 1 20); then
		diag "$name has the new write after ${s} s"
	else
		diag "$name: no new write after 20 s; IO $(db_slave_field "$name" Slave_IO_Running): $(db_slave_field "$name" Last_IO_Error)"
		ok=1
	fi
done
sleep 1
age1=$(db_heartbeat_age r1 $PRIMARY_ID)
diag "r1 heartbeat age after the primary's restart: $age1 s"
awk -v a="$age1" 'BEGIN { exit !(a != "NULL" && a < 2) }' || ok=1
ktap_result $ok "db_kill primary, db_restart primary: replicas reconnect, writes and heartbeats flow again"

# ---- 15. teardown -----------------------------------------------------------------------
pids=$(cat "$DB_DIR"/db-*/pid "$DB_DIR"/db-*/*.pid 2>/dev/null | sort -u)
db_pause r1	# a stopped one must go too
db_stop_all
stopped=$?
left=
for pid in $pids; do
	_db_gone "$pid" || left="$left $pid"
done
diag "db_stop_all: status $stopped, processes left:${left:- none}; mariadbd processes: $(pgrep -c -x mariadbd)"
[ $stopped -eq 0 ] && [ -z "$left" ] && ! pgrep -x mariadbd >/dev/null
ktap_result $? "db_stop_all ends every mariadbd (a paused one included) and the write loops"

diag "this test ran $SECONDS s in the guest"
ktap_exit
