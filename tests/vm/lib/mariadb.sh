# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# MariaDB replication fixture for the lab-VM tests. Source it after lab.sh,
# in the guest (it runs mariadbd as root, from the host's read-only root).
#
# Instances are named (primary, r1, ...); each lives in DB_DIR/db-NAME:
#
#   data/        the datadir, a copy of the template (cp -a, fast on tmpfs)
#   sock         unix socket; root logs in through it (unix_socket auth)
#   error.log    mariadbd's error log
#   cmd          the mariadbd command line, one argument per line (restarts)
#   ns, addr     the network namespace it runs in and its address there
#   pid          mariadbd's pid (ip netns exec execs, so it is mariadbd)
#   stdout.log   mariadbd's stdout/stderr (normally empty)
#   heartbeat.pid/.log, writer.pid/.log   the write loops on it, if any
#
# State is in files, not shell variables, so the functions work from
# subshells too and db_stop_all finds everything.
#
# Every instance listens on DB_BIND_ADDRESS (0.0.0.0; :: for IPv6, which
# takes IPv4 too) port 3306 in its namespace (in LVS-DR a replica receives
# packets addressed to the VIP on its lo). The primary
# writes a binary log with GTIDs; replicas follow it with
# MASTER_USE_GTID=slave_pos and write none.
#
# Accounts (the same on every instance, from the template):
#   root@localhost  unix socket only (db_sql, the write loops)
#   lab@'%'         DB_LAB_PASSWORD: BINLOG MONITOR (= REPLICATION CLIENT),
#                   REPLICA MONITOR (= SLAVE MONITOR; SHOW SLAVE STATUS),
#                   SELECT on heartbeat.*: what a lag prober needs
#   repl@'%'        DB_REPL_PASSWORD: REPLICATION SLAVE
#   app@'%'         DB_APP_PASSWORD: SELECT on app.* and heartbeat.*
#
# Schema (in the template, so identical everywhere before replication starts;
# the primary's binary log holds only what the tests write):
#   heartbeat.heartbeat  pt-heartbeat's table; db_heartbeat_start writes it
#   app.counter          one row, id 1, n counts up; db_writer_start
#   app.marks            (id auto, tag, ts): single writes tests look for

# shellcheck disable=SC2034 # (file-wide) variables for the scripts that source this
DB_DIR=${DB_DIR:-/tmp}
DB_TEMPLATE=$DB_DIR/db-template
DB_PORT=3306
DB_PRIMARY_ADDR=${DB_PRIMARY_ADDR:-198.18.0.10}
DB_BIND_ADDRESS=${DB_BIND_ADDRESS:-0.0.0.0}
DB_LAB_PASSWORD=lab-pw
DB_REPL_PASSWORD=repl-pw
DB_APP_PASSWORD=app-pw
DB_START_TIMEOUT=${DB_START_TIMEOUT:-90}	# seconds for mariadbd to accept connections
DB_SQL_TIMEOUT=${DB_SQL_TIMEOUT:-30}	# seconds for one db_sql

# Options shared by the template's bootstrap and every server: small and
# fast, nothing durable (it is all tmpfs), nothing read from /etc/mysql.
# InnoDB file sizes must be the same for the template and its copies.
DB_SERVER_OPTS=(
	--user=root
	--skip-name-resolve
	--performance-schema=OFF
	--innodb-buffer-pool-size=16M
	--innodb-log-file-size=8M
	--innodb-log-buffer-size=2M
	--innodb-flush-log-at-trx-commit=2
	--innodb-flush-method=fsync
	--innodb-doublewrite=0
	--innodb-use-native-aio=0
	--skip-innodb-adaptive-hash-index
	--key-buffer-size=1M
	--aria-pagecache-buffer-size=2M
	--max-connections=60
	--table-open-cache=200
)

# ---- helpers ------------------------------------------------------------------

_db_dir() { echo "$DB_DIR/db-$1"; }

_db_pid() { cat "$(_db_dir "$1")/pid" 2>/dev/null; }

# _db_gone PID: true when PID no longer runs (absent or a zombie)
_db_gone() {
	[ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# term_wait PID SECONDS: SIGTERM a child of this shell (lagwlcd, say) and
# wait for it: its exit status, or 124 when it still ran after SECONDS
# (it is then killed)
term_wait() {
	local i
	kill -TERM "$1"
	for ((i = 0; i < $2 * 10; i++)); do
		_db_gone "$1" && { wait "$1"; return; }
		sleep 0.1
	done
	kill -KILL "$1"
	wait "$1"
	return 124
}

# _db_wait_gone PID SECONDS: reap/wait for PID to end; false on timeout
_db_wait_gone() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		_db_gone "$pid" && { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	return 1
}

# _db_log_tail NAME: the end of NAME's error log, as KTAP diagnostics
_db_log_tail() {
	diag "tail of $(_db_dir "$1")/error.log:"
	tail -n 25 "$(_db_dir "$1")/error.log" 2>/dev/null | sed 's/^/#   /'
}

# _db_client NAME ARGS...: the mariadb client as root on NAME's socket
_db_client() {
	local name=$1
	shift
	timeout "$DB_SQL_TIMEOUT" mariadb --no-defaults -uroot \
		-S "$(_db_dir "$name")/sock" --connect-timeout=5 "$@"
}

# _db_trap: make sure db_stop_all runs at exit, before whatever EXIT trap is
# already set (lab_setup's lab_teardown)
_db_trap() {
	local cur
	cur=$(trap -p EXIT)
	case $cur in *db_stop_all*) return 0 ;; esac
	cur=${cur#trap -- \'}
	cur=${cur%\' EXIT}
	# shellcheck disable=SC2064 # expanded now, on purpose
	trap "db_stop_all; ${cur:-:}" EXIT
}

# ---- topology -------------------------------------------------------------------

# lab_add_host NAME ADDR [BRIDGE]: one more namespace NAME on BRIDGE (br0)
# at ADDR/24, or ADDR/64 for an IPv6 ADDR (after lab_setup; no VIP, no ARP
# tweaks). The primary: lab_add_host primary $DB_PRIMARY_ADDR.
lab_add_host() {
	case $2 in
	*:*) lab_ns "$1" "${3:-br0}" "$2/64" ;;
	*) lab_ns "$1" "${3:-br0}" "$2/24" ;;
	esac
}

# ---- template -------------------------------------------------------------------

# db_template: once per guest run (later calls return at once), install a
# datadir into DB_TEMPLATE with the accounts and schema above. Takes ~20 s
# under TCG; each instance then starts from a copy.
db_template() {
	local extra
	[ -e "$DB_TEMPLATE/.done" ] && return 0
	if [ -e "$DB_DIR/db-template.failed" ]; then
		diag "db_template: the template failed earlier (see $DB_DIR/db-template.log)"
		return 1
	fi
	rm -rf "$DB_TEMPLATE"
	mkdir -p "$DB_TEMPLATE"
	extra=$DB_DIR/db-template.sql
	cat >"$extra" <<EOF
FLUSH PRIVILEGES;
CREATE USER 'lab'@'%' IDENTIFIED BY '$DB_LAB_PASSWORD';
GRANT BINLOG MONITOR, REPLICA MONITOR ON *.* TO 'lab'@'%';
CREATE USER 'repl'@'%' IDENTIFIED BY '$DB_REPL_PASSWORD';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
CREATE USER 'app'@'%' IDENTIFIED BY '$DB_APP_PASSWORD';
CREATE DATABASE heartbeat;
CREATE TABLE heartbeat.heartbeat (
	ts varchar(26) NOT NULL,
	server_id int unsigned NOT NULL PRIMARY KEY,
	file varchar(255) DEFAULT NULL,
	position bigint unsigned DEFAULT NULL,
	relay_master_log_file varchar(255) DEFAULT NULL,
	exec_master_log_pos bigint unsigned DEFAULT NULL
) ENGINE=InnoDB;
CREATE DATABASE app;
CREATE TABLE app.counter (
	id int NOT NULL PRIMARY KEY,
	n bigint unsigned NOT NULL,
	ts datetime(6) DEFAULT NULL
) ENGINE=InnoDB;
INSERT INTO app.counter VALUES (1, 0, NULL);
CREATE TABLE app.marks (
	id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
	tag varchar(64) NOT NULL,
	ts datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
GRANT SELECT ON heartbeat.* TO 'lab'@'%';
GRANT SELECT ON heartbeat.* TO 'app'@'%';
GRANT SELECT ON app.* TO 'app'@'%';
EOF
	if ! mariadb-install-db --no-defaults "${DB_SERVER_OPTS[@]}" \
		--datadir="$DB_TEMPLATE" --auth-root-authentication-method=socket \
		--skip-test-db --extra-file="$extra" \
		>"$DB_DIR/db-template.log" 2>&1; then
		diag "mariadb-install-db failed:"
		head -n 20 "$DB_DIR/db-template.log" | sed 's/^/#   /'
		touch "$DB_DIR/db-template.failed"
		return 1
	fi
	touch "$DB_TEMPLATE/.done"
}

# ---- servers -----------------------------------------------------------------------

# db_spawn NAME NS ADDR SERVER_ID [primary|replica]: copy the template to a
# fresh DB_DIR/db-NAME and start mariadbd in namespace NS; do not wait
# (db_wait). A primary gets log-bin with GTIDs, log_slave_updates and
# gtid_strict_mode; a replica (the default) no binary log, a relay log, and
# a fast slave_net_timeout. ADDR is NS's address, kept for db_replicate.
db_spawn() {
	local name=$1 ns=$2 addr=$3 id=$4 role=${5:-replica} dir
	dir=$(_db_dir "$name")
	db_template || return 1
	_db_trap
	if [ -n "$(_db_pid "$name")" ] && ! _db_gone "$(_db_pid "$name")"; then
		diag "db_spawn $name: already running"
		return 1
	fi
	rm -rf "$dir"
	mkdir -p "$dir/tmp"
	cp -a "$DB_TEMPLATE" "$dir/data"
	rm -f "$dir/data/.done"
	echo "$ns" >"$dir/ns"
	echo "$addr" >"$dir/addr"
	echo "$role" >"$dir/role"
	{
		printf '%s\n' mariadbd --no-defaults "${DB_SERVER_OPTS[@]}" \
			--datadir="$dir/data" --socket="$dir/sock" \
			--pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
			--tmpdir="$dir/tmp" --bind-address="$DB_BIND_ADDRESS" --port="$DB_PORT" \
			--server-id="$id" --gtid-strict-mode=1 \
			--innodb-temp-data-file-path=ibtmp1:4M:autoextend
		if [ "$role" = primary ]; then
			printf '%s\n' --log-bin="$dir/data/binlog" --log-slave-updates \
				--binlog-format=ROW --sync-binlog=0
		else
			printf '%s\n' --skip-log-bin --relay-log="$dir/data/relay" \
				--slave-net-timeout=10
		fi
	} >"$dir/cmd"
	_db_launch "$name"
}

# _db_launch NAME: start mariadbd from DB_DIR/db-NAME/cmd in its namespace
_db_launch() {
	local dir args
	dir=$(_db_dir "$1")
	mapfile -t args <"$dir/cmd"
	# not through onq (a function): $! must be mariadbd itself
	ip netns exec "$(cat "$dir/ns")" "${args[@]}" </dev/null >>"$dir/stdout.log" 2>&1 &
	echo $! >"$dir/pid"
	LAB_PIDS+=($!)
	disown $!	# no "Killed" job reports from db_kill; _db_gone polls
}

# db_wait NAME: wait (DB_START_TIMEOUT) until NAME accepts connections;
# on failure say why, with the tail of its error log
db_wait() {
	local name=$1 pid i
	pid=$(_db_pid "$name")
	for ((i = 0; i < DB_START_TIMEOUT * 4; i++)); do
		if _db_gone "$pid"; then
			diag "mariadbd $name (pid $pid) exited while starting"
			_db_log_tail "$name"
			return 1
		fi
		_db_client "$name" -N -B -e 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	diag "mariadbd $name did not accept connections within $DB_START_TIMEOUT s"
	_db_log_tail "$name"
	return 1
}

# db_start NAME NS ADDR SERVER_ID [primary|replica]: db_spawn, then db_wait.
# To start several at once: db_spawn each, then db_wait each.
db_start() {
	db_spawn "$@" && db_wait "$1"
}

# db_sql NAME SQL: run SQL as root through NAME's socket; results
# tab-separated, no column names, NULL as "NULL"; the client's status
db_sql() {
	_db_client "$1" -N -B -e "$2"
}

# db_slave_status NAME: SHOW SLAVE STATUS, one "Field: value" a line
# (nothing if NAME does not replicate or does not answer)
db_slave_status() {
	_db_client "$1" -E -e 'SHOW SLAVE STATUS' 2>/dev/null | sed -n 's/^ *\([A-Za-z_]*\): \{0,1\}/\1: /p'
}

# db_slave_field NAME FIELD: one field of SHOW SLAVE STATUS (empty if none)
db_slave_field() {
	db_slave_status "$1" | sed -n "s/^$2: //p"
}

# db_lag NAME: Seconds_Behind_Master, or NULL (SQL or IO thread stopped, no
# replication configured, server not answering)
db_lag() {
	local v
	v=$(db_slave_field "$1" Seconds_Behind_Master)
	echo "${v:-NULL}"
}

# db_wait_slave NAME [SECONDS]: wait (30 s) until both replication threads
# run; else say what they report
db_wait_slave() {
	local name=$1 max=${2:-30} end st
	end=$((SECONDS + max))
	while :; do
		st=$(db_slave_status "$name")
		grep -qx 'Slave_IO_Running: Yes' <<<"$st" &&
			grep -qx 'Slave_SQL_Running: Yes' <<<"$st" && return 0
		[ $SECONDS -ge $end ] && break
		sleep 0.25
	done
	diag "$name: replication threads not both running after $max s:"
	grep -E '^(Slave_IO_Running|Slave_SQL_Running|Last_IO_Error|Last_SQL_Error):' <<<"$st" |
		sed 's/^/#   /'
	return 1
}

# db_wait_sql NAME SQL EXPECTED [SECONDS]: poll (10 s) until db_sql NAME SQL
# prints EXPECTED; print the seconds it took; false on timeout
db_wait_sql() {
	local start=$SECONDS end=$((SECONDS + ${4:-10}))
	while :; do
		[ "$(db_sql "$1" "$2" 2>/dev/null)" = "$3" ] && { echo $((SECONDS - start)); return 0; }
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# db_spawn_all PRIMARY_ID "NAME ADDR SERVER_ID"...: start the primary (in
# namespace primary, at DB_PRIMARY_ADDR) and the replicas (each in its own
# namespace NAME) together, so that their starts overlap, then wait for each.
# Returns 1 if any did not come up (db_spawn/db_wait said which).
db_spawn_all() {
	local primary_id=$1 entry name addr id ok=0
	shift
	db_spawn primary primary "$DB_PRIMARY_ADDR" "$primary_id" primary || ok=1
	for entry in "$@"; do
		read -r name addr id <<<"$entry"
		db_spawn "$name" "$name" "$addr" "$id" replica || ok=1
	done
	db_wait primary || ok=1
	for entry in "$@"; do
		db_wait "${entry%% *}" || ok=1
	done
	return $ok
}

# db_replicate REPLICA PRIMARY_ADDR: follow the primary at PRIMARY_ADDR:3306
# as repl, by GTID (slave_pos), retrying a lost primary every second; wait
# until both threads run. The setting persists: a restarted replica resumes.
db_replicate() {
	db_sql "$1" "CHANGE MASTER TO MASTER_HOST='$2', MASTER_PORT=$DB_PORT,
		MASTER_USER='repl', MASTER_PASSWORD='$DB_REPL_PASSWORD',
		MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE" &&
		db_wait_slave "$1"
}

# db_delay REPLICA SECONDS: apply events SECONDS after the primary wrote
# them (MASTER_DELAY); 0 for none. MariaDB 10.11 refuses CHANGE MASTER
# while either thread runs (error 1198), so both are stopped and restarted;
# with MASTER_USE_GTID the IO thread re-fetches from gtid_slave_pos.
db_delay() {
	db_sql "$1" "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=$2; START SLAVE" &&
		db_wait_slave "$1"
}

# db_stop_sql REPLICA / db_start_sql REPLICA: stop or start applying events
# (the IO thread keeps fetching); stopped, Seconds_Behind_Master is NULL
db_stop_sql() {
	db_sql "$1" 'STOP SLAVE SQL_THREAD'
}

db_start_sql() {
	db_sql "$1" 'START SLAVE SQL_THREAD' && db_wait_slave "$1"
}

# db_kill NAME: SIGKILL mariadbd and wait until it is gone
db_kill() {
	local pid
	pid=$(_db_pid "$1")
	[ -n "$pid" ] || return 1
	kill -CONT "$pid" 2>/dev/null
	kill -KILL "$pid" 2>/dev/null
	_db_wait_gone "$pid" 10 || { diag "mariadbd $1 (pid $pid) survived SIGKILL"; return 1; }
}

# db_restart NAME: stop NAME if it runs (SIGTERM, then SIGKILL after 30 s),
# start it again on the same datadir and wait for it. A replica resumes
# replicating (both threads) by itself.
db_restart() {
	local pid
	pid=$(_db_pid "$1")
	if [ -n "$pid" ] && ! _db_gone "$pid"; then
		kill -CONT "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
		_db_wait_gone "$pid" 30 || db_kill "$1" || return 1
	fi
	_db_launch "$1"
	db_wait "$1"
}

# db_pause NAME / db_resume NAME: SIGSTOP / SIGCONT mariadbd. Paused, the
# kernel still completes TCP handshakes (the listen backlog) but nothing
# answers: clients hang until their own timeouts.
db_pause() {
	kill -STOP "$(_db_pid "$1")"
}

db_resume() {
	kill -CONT "$(_db_pid "$1")"
}

# ---- write loops ----------------------------------------------------------------

# Python loop for db_heartbeat_start / db_writer_start: SOCKET INTERVAL_MS
# SQL. One statement per interval, autocommit, as root over the unix socket;
# reconnects when the server goes away (killed, restarted) and carries on.
# Prints "started" after its first successful write, errors as they come.
_DB_LOOP_PY='
import sys, time, pymysql
sock, interval, sql = sys.argv[1], int(sys.argv[2]) / 1000.0, sys.argv[3]
conn = None
started = False
while True:
    t = time.monotonic()
    try:
        if conn is None:
            conn = pymysql.connect(unix_socket=sock, user="root", autocommit=True,
                                   connect_timeout=2, read_timeout=5, write_timeout=5)
        with conn.cursor() as cur:
            cur.execute(sql)
        if not started:
            print("started", flush=True)
            started = True
    except Exception as e:
        print("error", repr(e), flush=True)
        try:
            if conn is not None:
                conn.close()
        except Exception:
            pass
        conn = None
    time.sleep(max(0.0, interval - (time.monotonic() - t)))
'

# _db_loop NAME KIND INTERVAL_MS SQL: start a write loop, pid in KIND.pid,
# log in KIND.log; wait (15 s) for its first write
_db_loop() {
	local dir i
	dir=$(_db_dir "$1")
	_db_stop_loop "$1" "$2"
	: >"$dir/$2.log"
	python3 -c "$_DB_LOOP_PY" "$dir/sock" "$3" "$4" </dev/null >>"$dir/$2.log" 2>&1 &
	echo $! >"$dir/$2.pid"
	LAB_PIDS+=($!)
	disown $!
	for ((i = 0; i < 150; i++)); do
		grep -qx started "$dir/$2.log" && return 0
		sleep 0.1
	done
	diag "$2 loop on $1: no successful write within 15 s:"
	tail -n 5 "$dir/$2.log" | sed 's/^/#   /'
	return 1
}

# _db_stop_loop NAME KIND
_db_stop_loop() {
	local f pid
	f=$(_db_dir "$1")/$2.pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	kill "$pid" 2>/dev/null
	_db_wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
	rm -f "$f"
}

# db_heartbeat_start PRIMARY INTERVAL_MS: pt-heartbeat's update every
# INTERVAL_MS: REPLACE INTO heartbeat.heartbeat (ts, server_id), ts in UTC
# with microseconds ("2024-01-02T03:04:05.123456"). Returns after the first
# write. db_heartbeat_stop PRIMARY.
db_heartbeat_start() {
	_db_loop "$1" heartbeat "$2" "REPLACE INTO heartbeat.heartbeat (ts, server_id) VALUES (DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f'), @@server_id)"
}

db_heartbeat_stop() {
	_db_stop_loop "$1" heartbeat
}

# db_heartbeat_age NAME PRIMARY_SERVER_ID: seconds (3 decimals) since the
# newest heartbeat row of that server that NAME holds; NULL if none
db_heartbeat_age() {
	db_sql "$1" "SELECT COALESCE((SELECT ROUND(TIMESTAMPDIFF(MICROSECOND,
		STR_TO_DATE(ts, '%Y-%m-%dT%H:%i:%s.%f'), UTC_TIMESTAMP(6)) / 1e6, 3)
		FROM heartbeat.heartbeat WHERE server_id = $2), 'NULL')"
}

# db_writer_start PRIMARY INTERVAL_MS: app.counter row 1: n = n + 1 and
# ts = UTC_TIMESTAMP(6) every INTERVAL_MS (a replica's n shows how stale it
# reads). Returns after the first write. db_writer_stop PRIMARY.
db_writer_start() {
	_db_loop "$1" writer "$2" "UPDATE app.counter SET n = n + 1, ts = UTC_TIMESTAMP(6) WHERE id = 1"
}

db_writer_stop() {
	_db_stop_loop "$1" writer
}

# ---- teardown -------------------------------------------------------------------

# db_stop_all: end the write loops and SIGKILL every mariadbd this library
# started (paused ones too); false, naming it, if one survives. Installed in
# the EXIT trap by the first db_spawn; safe to call more than once.
db_stop_all() {
	local dir name pid rc=0
	for dir in "$DB_DIR"/db-*/; do
		[ -f "$dir/cmd" ] || continue
		name=${dir%/}
		name=${name##*/db-}
		_db_stop_loop "$name" heartbeat
		_db_stop_loop "$name" writer
	done
	for dir in "$DB_DIR"/db-*/; do
		[ -f "$dir/pid" ] || continue
		pid=$(cat "$dir/pid")
		kill -CONT "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done
	for dir in "$DB_DIR"/db-*/; do
		[ -f "$dir/pid" ] || continue
		pid=$(cat "$dir/pid")
		if ! _db_wait_gone "$pid" 10; then
			diag "mariadbd in $dir (pid $pid) is still running"
			rc=1
		fi
	done
	return $rc
}
