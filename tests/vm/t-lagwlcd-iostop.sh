#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# io_thread_stopped = ignore against a real MariaDB replica whose IO thread
# is stopped (STOP SLAVE IO_THREAD; the SQL thread runs on, caught up):
#
#   director 198.18.0.2      lagwlcd -n (dry runs), discover = no
#   primary 198.18.0.10 -+-- br0   heartbeat row every 250 ms
#   r1 198.18.0.11 ------+   [replica] section
#
#   1  MariaDB reports Seconds_Behind_Master NULL with the IO thread
#      stopped: by the replica status the lag is unknown
#   2  so lagwlcd -t refuses io_thread_stopped = ignore with lag_source =
#      replica_status, at the line that sets it (it used to accept it, and
#      the replica stayed down: "lag unknown")
#   3  with the heartbeat, ignore does what it says: r1 up, its lag growing
#      while nothing arrives; io_thread_stopped = down: r1 down
set -u
LAB_VM_ARGS=(--timeout 600 --mem 1536)
. "$(dirname "$0")/lib/lab.sh"
. "$(dirname "$0")/lib/mariadb.sh"
lab_boot_self "$@"

LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
W=/tmp/lagwlcd-iostop
ktap_plan 3

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 1
lab_add_host primary "$DB_PRIMARY_ADDR"
rm -rf "$W"
mkdir -p "$W"
ok=0
db_spawn_all 1 "r1 198.18.0.11 11" || ok=1
db_replicate r1 "$DB_PRIMARY_ADDR" || ok=1
db_heartbeat_start primary 250 || ok=1
db_wait_sql r1 "SELECT COUNT(*) FROM heartbeat.heartbeat" 1 10 >/dev/null || ok=1
[ $ok -eq 0 ] || { echo "Bail out! the MariaDB fixture did not come up"; exit 1; }
printf '[client]\nuser = lab\npassword = %s\n' "$DB_LAB_PASSWORD" >$W/client.cnf
chmod 600 $W/client.cnf

# conf NAME SOURCE IO: a configuration probing r1 only
conf() {
	cat >"$W/$1.conf" <<EOF2
[lagwlcd]
poll_interval = 250ms
option_file = $W/client.cnf
discover = no
[replica 198.18.0.11:3306]
lag_source = $2
heartbeat_server_id = 1
io_thread_stopped = $3
EOF2
}
conf status replica_status ignore
conf hb heartbeat ignore
conf hbdown heartbeat down

# ---- 1. Seconds_Behind_Master with the IO thread stopped ----------------------------
before=$(db_slave_field r1 Seconds_Behind_Master)
db_sql r1 "STOP SLAVE IO_THREAD"
io=$(db_slave_field r1 Slave_IO_Running) sql=$(db_slave_field r1 Slave_SQL_Running)
sbm=$(db_slave_field r1 Seconds_Behind_Master)
diag "r1 replicating: Seconds_Behind_Master $before; after STOP SLAVE IO_THREAD: Slave_IO_Running $io, Slave_SQL_Running $sql, Seconds_Behind_Master $sbm"
[ "$before" != NULL ] && [ "$io" = No ] && [ "$sql" = Yes ] && [ "$sbm" = NULL ]
ktap_result $? "MariaDB, IO thread stopped, SQL thread running: Seconds_Behind_Master NULL"

# ---- 2. ignore with the replica status: refused ---------------------------------------
out=$("$LAGWLCD" -t -c "$W/status.conf" 2>&1)
rc=$?
diag "lagwlcd -t, lag_source = replica_status, io_thread_stopped = ignore: status $rc: $out"
# what it did with it: a dry run (the refusal stops it at once now)
"$LAGWLCD" -D -n -c "$W/status.conf" >$W/status.log 2>&1 &
pid=$!
sleep 3
kill -TERM $pid 2>/dev/null
wait $pid
sed 's/^/#   | /' $W/status.log
[ $rc -eq 1 ] && [[ $out == "$W/status.conf:8: [replica 198.18.0.11:3306]: io_thread_stopped = ignore needs the heartbeat lag source"* ]]
ktap_result $? "lagwlcd -t refuses io_thread_stopped = ignore with lag_source = replica_status, at $W/status.conf:8"

# ---- 3. ignore with the heartbeat -------------------------------------------------------
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

db_heartbeat_stop primary
ktap_exit
