# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end lab: an LVS-DR virtual IP in front of three MariaDB replicas
# that follow a primary, lagwlcd on the director measuring their lag and
# pushing it into the module. Shared by the demo (scripts/demo), the e2e
# tests (tests/vm/t-e2e-*.sh) and the benchmarks (bench/run). Source it
# after lab.sh and mariadb.sh, in the guest.
#
#   client 198.18.0.1 ----+   dbreader.py: a new connection through the VIP per read
#   director 198.18.0.2   |   VIP 198.18.0.100:3306, -g, r1..r3; lagwlcd, heartbeat lag
#     VIP 198.18.0.100    |   source, explicit [replica] sections (so that it measures
#                         +-- br0   under rr and wlc too); lagwlcctl monitor -> events
#   primary 198.18.0.10 --+   server_id 1; lagwlcd --heartbeat-writer (pt-heartbeat's
#                         |   table) and a counter writer (app.counter: n, ts)
#   r1..r3 198.18.0.11-13 +   server_id 11-13, GTID replicas, VIP on lo
#
# IPv6 (dblab_up --ipv6): the same over IPv6 only (lab_setup nat 3 6), the
# replicas on their own segment so that one boot can serve both LVS-DR and
# LVS-NAT; dblab_fwd switches between them, the MariaDB servers running on:
#
#   client fd00::1 ------ br0 ---- fd00::2 director fd00:1::1 --- br1 ---+
#     fd00:1::5 (eth1)            VIP fd00::100:3306                      |
#       |                         lagwlcd probes [fd00:1::1N]:3306        |
#       +---------------------------------------------------------- br1 -+
#   primary fd00:1::10 (server_id 1), r1..r3 fd00:1::11-13, VIP on lo /128
#
#   dblab_fwd dr:  IPVS entries -g; the replicas' default route via
#                  fd00:1::5, the client's own leg on br1, so that replies
#                  from the VIP go straight to the client (its router, in a
#                  real network), never through the director
#   dblab_fwd nat: IPVS entries -m; the replicas' default route via the
#                  director, which un-NATs the replies
# Replication (primary and replicas on br1) and lagwlcd's probes (the
# director's br1 leg) stay on-link either way.
#
# dblab_up [--sched S] [--weights W1,W2,W3] [--poll MS] [--hb MS] [--writer MS]
#          [--conn-reuse auto|keep] [--ipv6]
#     builds it all (~30 s under TCG) and returns once the module holds every
#     replica as ok; files in DBLAB_W (below). Torn down at exit (lab.sh's and
#     mariadb.sh's traps). No sysctl is set by hand: lagwlcd sets bit 2 of
#     the director's conn_reuse_mode (checked here) unless --conn-reuse keep
#     (lagwlcd.conf's conn_reuse_mode = keep), which leaves the namespace's
#     default, 1.
# dblab_sched S: switch the service's scheduler (ipvsadm -E).
# dblab_fwd dr|nat: the forwarding method (--ipv6 only; see above).
# dblab_reader_start RATE FILE / dblab_reader_stop: dbreader.py in the client.
# dblab_lagwlcd_start / dblab_lagwlcd_kill [SIG]: (re)start or signal lagwlcd.
# dblab_event_ms ADDR STATE AFTER: epoch ms of the first event at or after
#     AFTER (epoch seconds) putting ADDR in STATE, empty if none.

DBLAB_W=${DBLAB_W:-/tmp/dblab}
DBLAB_VS=$LAB_VIP:3306
DBLAB_REPLICAS=("r1 198.18.0.11 11" "r2 198.18.0.12 12" "r3 198.18.0.13 13")
DBLAB_PRIMARY_ID=1
DBLAB_CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
DBLAB_LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
DBLAB_EVENTS=$DBLAB_W/events	# "EPOCH JSON" a line, from lagwlcctl -j monitor
DBLAB_LOG=$DBLAB_W/lagwlcd.log
DBLAB_CONF=$DBLAB_W/lagwlcd.conf
DBLAB_HB_PASSWORD=hb-pw
DBLAB_POLL=100
DBLAB_PID=''	# lagwlcd on the director
DBLAB_READER=''
DBLAB_REUSE=auto	# lagwlcd.conf's conn_reuse_mode
DBLAB_VIP=$LAB_VIP	# the VIP the readers connect to
DBLAB_V6=''	# dblab_up --ipv6
DBLAB_FWD=-g	# ipvsadm's forwarding flag for the replicas
DBLAB_DR_GW6=fd00:1::5	# --ipv6: the client's leg on br1, the replicas' DR route

# dblab_ep ADDR PORT: ADDR:PORT, or [ADDR]:PORT for IPv6
dblab_ep() {
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# _dblab_conf POLL: lagwlcd's configuration on the director
_dblab_conf() {
	local entry addr
	{
		echo "# the e2e lab's lagwlcd (tests/vm/lib/dblab.sh)"
		echo "[lagwlcd]"
		echo "poll_interval = ${1}ms"
		echo "timeout = 1s"
		echo "option_file = $DBLAB_W/lab.cnf"
		echo "lag_source = heartbeat"
		echo "heartbeat_server_id = $DBLAB_PRIMARY_ID"
		echo "discover = no"
		echo "conn_reuse_mode = $DBLAB_REUSE"
		for entry in "${DBLAB_REPLICAS[@]}"; do
			read -r _ addr _ <<<"$entry"
			echo "[replica $(dblab_ep "$addr" 3306)]"
		done
	} >"$DBLAB_CONF.new" && mv "$DBLAB_CONF.new" "$DBLAB_CONF"
}

# _dblab_cnf FILE USER PASSWORD: a client option file, mode 0600
_dblab_cnf() {
	printf '[client]\nuser = %s\npassword = %s\n' "$2" "$3" >"$1"
	chmod 600 "$1"
}

dblab_up() {
	local sched=lagwlc weights=1,1,1 hb=100 writer=10 t=$SECONDS ok=0 entry name addr id i w
	while [ $# -gt 0 ]; do
		case $1 in
		--sched) sched=$2 ;;
		--weights) weights=$2 ;;
		--poll) DBLAB_POLL=$2 ;;
		--hb) hb=$2 ;;
		--writer) writer=$2 ;;
		--conn-reuse) DBLAB_REUSE=$2 ;;
		--ipv6) DBLAB_V6=1; shift; continue ;;
		*) diag "dblab_up: unknown option $1"; return 1 ;;
		esac
		shift 2
	done
	lab_load_module || { diag "dblab_up: cannot load the module"; return 1; }
	if [ -n "$DBLAB_V6" ]; then
		DBLAB_VIP=$LAB_VIP6
		DBLAB_VS=$(dblab_ep "$LAB_VIP6" 3306)
		DBLAB_REPLICAS=("r1 fd00:1::11 11" "r2 fd00:1::12 12" "r3 fd00:1::13 13")
		DB_PRIMARY_ADDR=fd00:1::10
		DB_BIND_ADDRESS=::
		lab_setup nat 3 6 >/dev/null
		lab_add_host primary "$DB_PRIMARY_ADDR" br1
		lab_ns client br1 "$DBLAB_DR_GW6/64" eth1
		for entry in "${DBLAB_REPLICAS[@]}"; do
			lab_addr6 "${entry%% *}" "$LAB_VIP6/128" lo
		done
		_dblab_routes dr
	else
		lab_setup dr 3 >/dev/null
		lab_add_host primary "$DB_PRIMARY_ADDR"
	fi
	rm -rf "$DBLAB_W"
	mkdir -p "$DBLAB_W"

	db_spawn_all $DBLAB_PRIMARY_ID "${DBLAB_REPLICAS[@]}" || ok=1
	for entry in "${DBLAB_REPLICAS[@]}"; do
		db_replicate "${entry%% *}" "$DB_PRIMARY_ADDR" || ok=1
	done
	[ $ok -eq 0 ] || { diag "dblab_up: the MariaDB fixture did not come up"; return 1; }
	# the heartbeat writer's account: the table only, what REPLACE needs (it
	# replicates too)
	db_sql primary "CREATE USER 'hb'@'%' IDENTIFIED BY '$DBLAB_HB_PASSWORD';
		GRANT SELECT, INSERT, UPDATE, DELETE ON heartbeat.heartbeat TO 'hb'@'%'" || return 1
	_dblab_cnf "$DBLAB_W/lab.cnf" lab "$DB_LAB_PASSWORD"
	_dblab_cnf "$DBLAB_W/hb.cnf" hb "$DBLAB_HB_PASSWORD"
	printf '[lagwlcd]\npoll_interval = %sms\ntimeout = 1s\noption_file = %s\n' \
		"$hb" "$DBLAB_W/hb.cnf" >"$DBLAB_W/hb.conf"
	ip netns exec primary "$DBLAB_LAGWLCD" --heartbeat-writer "$(dblab_ep "$DB_PRIMARY_ADDR" 3306)" \
		-D -c "$DBLAB_W/hb.conf" </dev/null >"$DBLAB_W/hbwriter.log" 2>&1 &
	LAB_PIDS+=($!)
	db_writer_start primary "$writer" || return 1
	for entry in "${DBLAB_REPLICAS[@]}"; do
		db_wait_sql "${entry%% *}" "SELECT COUNT(*) FROM heartbeat.heartbeat WHERE server_id = $DBLAB_PRIMARY_ID" 1 15 \
			>/dev/null || { diag "dblab_up: no heartbeat on ${entry%% *}:"; sed 's/^/#   /' "$DBLAB_W/hbwriter.log"; return 1; }
	done

	onq director ipvsadm -A -t "$DBLAB_VS" -s "$sched" || return 1
	i=0
	IFS=, read -r -a w <<<"$weights"
	for entry in "${DBLAB_REPLICAS[@]}"; do
		read -r name addr id <<<"$entry"
		onq director ipvsadm -a -t "$DBLAB_VS" -r "$(dblab_ep "$addr" 3306)" "$DBLAB_FWD" -w "${w[$i]:-1}" || return 1
		i=$((i + 1))
	done

	# every change of state in the director's table, stamped as it is read
	ip netns exec director "$DBLAB_CTL" -j monitor </dev/null 2>&1 |
		while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$DBLAB_EVENTS" &
	LAB_PIDS+=($!)
	_dblab_conf "$DBLAB_POLL"
	dblab_lagwlcd_start || return 1
	for ((i = 0; i < 100; i++)); do
		[ "$(onq director "$DBLAB_CTL" -j show 2>/dev/null | grep -o '"state":"ok"' | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	if [ $i -ge 100 ]; then
		diag "dblab_up: replicas not ok after 10 s:"
		onq director "$DBLAB_CTL" show 2>&1 | sed 's/^/#   /'
		sed 's/^/#   | /' "$DBLAB_LOG"
		return 1
	fi
	# LVS-DR: the director never sees a connection past FIN_WAIT, so with
	# the default conn_reuse_mode (1) a client port reused within tcpfin
	# (2 min) goes to the old real server unscheduled, lagging or not;
	# lagwlcd sets bit 2, which reschedules it (docs/scheduler.md, "LVS-DR
	# and port reuse"), in its first rescan
	DBLAB_REUSE_MODE=$(onq director cat /proc/sys/net/ipv4/vs/conn_reuse_mode)
	if [ "$DBLAB_REUSE" = auto ] && [ $((DBLAB_REUSE_MODE & 2)) -eq 0 ]; then
		diag "dblab_up: lagwlcd left conn_reuse_mode $DBLAB_REUSE_MODE in LVS-DR:"
		sed 's/^/#   | /' "$DBLAB_LOG"
		return 1
	fi
	diag "lab up in $((SECONDS - t)) s${DBLAB_V6:+ (IPv6, $DB_PRIMARY_ADDR, ${DBLAB_REPLICAS[*]})}: primary + r1..r3 (GTID), heartbeat every $hb ms, counter every $writer ms, $sched on $DBLAB_VS (weights $weights), lagwlcd polling every $DBLAB_POLL ms, conn_reuse_mode $DBLAB_REUSE_MODE (lagwlcd: $DBLAB_REUSE)"
}

dblab_sched() {
	onq director ipvsadm -E -t "$DBLAB_VS" -s "$1"
}

# _dblab_routes dr|nat: the replicas' IPv6 default route for that method
_dblab_routes() {
	local gw=$DBLAB_DR_GW6 entry
	[ "$1" = nat ] && gw=fd00:1::1
	for entry in "${DBLAB_REPLICAS[@]}"; do
		onq "${entry%% *}" ip -6 route replace default via "$gw" || return 1
	done
}

# dblab_fwd dr|nat: switch the replicas' IPVS entries to that forwarding
# method and their routes with them (--ipv6). Connections already made keep
# theirs.
dblab_fwd() {
	local entry addr rs w
	case $1 in
	dr) DBLAB_FWD=-g ;;
	nat) DBLAB_FWD=-m ;;
	*) diag "dblab_fwd: dr or nat, not $1"; return 1 ;;
	esac
	[ -n "$DBLAB_V6" ] || { diag "dblab_fwd: only in the IPv6 lab"; return 1; }
	_dblab_routes "$1" || return 1
	for entry in "${DBLAB_REPLICAS[@]}"; do
		read -r _ addr _ <<<"$entry"
		rs=$(dblab_ep "$addr" 3306)
		# ipvsadm -e sets what it is not given to its default: keep the weight
		w=$(onq director ipvsadm -Ln -t "$DBLAB_VS" | awk -v a="$rs" '$2 == a { print $4 }')
		onq director ipvsadm -e -t "$DBLAB_VS" -r "$rs" "$DBLAB_FWD" -w "${w:-1}" || return 1
	done
}

# dblab_lagwlcd_start [POLL]: lagwlcd on the director (again)
dblab_lagwlcd_start() {
	[ -n "${1:-}" ] && DBLAB_POLL=$1 && _dblab_conf "$1"
	ip netns exec director "$DBLAB_LAGWLCD" -D -c "$DBLAB_CONF" </dev/null >>"$DBLAB_LOG" 2>&1 &
	DBLAB_PID=$!
	LAB_PIDS+=("$DBLAB_PID")
}

# dblab_lagwlcd_kill [SIGNAL]: signal lagwlcd (TERM) and reap it
dblab_lagwlcd_kill() {
	kill "-${1:-TERM}" "$DBLAB_PID" 2>/dev/null
	wait "$DBLAB_PID" 2>/dev/null
	DBLAB_PID=''
}

# dblab_reader_start RATE FILE [ARGS]: new connections through the VIP, RATE a
# second, one line each in FILE (see dbreader.py)
dblab_reader_start() {
	local rate=$1 file=$2 i
	shift 2
	ip netns exec client python3 "$LAB_TOP/tests/vm/lib/dbreader.py" --host "$DBLAB_VIP" \
		--password "$DB_APP_PASSWORD" --rate "$rate" "$@" </dev/null >"$file" 2>&1 &
	DBLAB_READER=$!
	LAB_PIDS+=("$DBLAB_READER")
	for ((i = 0; i < 100; i++)); do
		grep -q '^#' "$file" && return 0
		sleep 0.1
	done
	diag "dbreader did not start: $(head -c 500 "$file")"
	return 1
}

dblab_reader_stop() {
	[ -n "$DBLAB_READER" ] || return 0
	kill -TERM "$DBLAB_READER" 2>/dev/null
	wait "$DBLAB_READER" 2>/dev/null
	DBLAB_READER=''
}

dblab_event_ms() {
	awk -v t0="$3" -v a="\"address\":\"$1\"" -v s="\"state\":\"$2\"" \
		'$1 >= t0 && index($0, a) && index($0, s) { printf "%d\n", $1 * 1000; exit }' "$DBLAB_EVENTS"
}

# dblab_lock REPLICA SECONDS: FLUSH TABLES WITH READ LOCK on REPLICA, held
# SECONDS by a session in the background (what a backup tool does): its
# applier waits, its lag grows, reads still work. Returns once it holds the
# lock, with the epoch time it took it in DBLAB_LOCKED and, read by the same
# session right then, that of the newest heartbeat applied in DBLAB_LOCK_HB
# (its lag crosses L ms at DBLAB_LOCK_HB + L / 1000).
DBLAB_LOCKED='' DBLAB_LOCK_HB=''
dblab_lock() {
	local f=$DBLAB_W/lock-$1 i
	: >"$f"
	_db_client "$1" -n -N -B -e "SET time_zone = '+00:00'; FLUSH TABLES WITH READ LOCK;
		SELECT 'locked', UNIX_TIMESTAMP(NOW(6)), UNIX_TIMESTAMP(STR_TO_DATE(ts, '%Y-%m-%dT%H:%i:%s.%f'))
			FROM heartbeat.heartbeat WHERE server_id = $DBLAB_PRIMARY_ID;
		SELECT SLEEP($2); UNLOCK TABLES" </dev/null >"$f" 2>&1 &
	for ((i = 0; i < 200; i++)); do
		read -r DBLAB_LOCKED DBLAB_LOCK_HB < <(awk '$1 == "locked" { print $2, $3 }' "$f")
		[ -n "$DBLAB_LOCKED" ] && return 0
		sleep 0.05
	done
	diag "dblab_lock $1: no lock: $(cat "$f")"
	return 1
}

# dblab_reads FILE FROM TO: reads sent in [FROM, TO) (epoch s): "total r1 r2
# r3 errors stale", stale = reads of a value older than STALE_MS (5000)
dblab_reads() {
	awk -v a="$2" -v b="$3" -v lim="${STALE_MS:-5000}" '
		$1 !~ /^[0-9]/ || $1 < a || $1 >= b { next }
		{ n++ }
		$2 == "ERR" { err++; next }
		{ by[$2]++; if ($4 > lim) stale++ }
		END { printf "%d %d %d %d %d %d\n", n, by[11], by[12], by[13], err, stale }' "$1"
}

# dblab_first_read FILE SERVER_ID AFTER SECONDS: the epoch time of the first
# read in FILE sent at or after AFTER and served by SERVER_ID, waiting up to
# SECONDS for one; false if none. (A replica back from the dead may wait a
# while for its first connection: wlc counts the connections IPVS still holds
# for it, and one cut by the crash stays ESTABLISHED there for 15 minutes.)
dblab_first_read() {
	local i t
	for ((i = 0; i <= $4 * 10; i++)); do
		t=$(awk -v a="$3" -v s="$2" '$1 ~ /^[0-9]/ && $1 >= a && $2 == s { print $1; exit }' "$1")
		[ -n "$t" ] && { echo "$t"; return 0; }
		sleep 0.1
	done
	return 1
}

# ---- short helpers of the tests on this lab ---------------------------------------
now() { echo "$EPOCHREALTIME"; }
plus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a + b }'; }
ms_between() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
field() { echo "$1" | cut -d' ' -f"$2"; }
# events ADDR: the monitor's events for ADDR, as diagnostics
events() { grep "\"address\":\"$1\"" "$DBLAB_EVENTS" | sed 's/^/#   /'; }
# ev ADDR STATE AFTER SECONDS: epoch seconds of the first monitor event at
# or after AFTER putting ADDR in STATE, waiting up to SECONDS; empty if none
ev() {
	local i ms
	for ((i = 0; i < $4 * 10; i++)); do
		ms=$(dblab_event_ms "$1" "$2" "$3")
		[ -n "$ms" ] && { awk -v m="$ms" 'BEGIN { printf "%.3f\n", m / 1000 }'; return 0; }
		sleep 0.1
	done
	return 1
}
