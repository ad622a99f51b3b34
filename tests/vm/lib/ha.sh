# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Two LVS-DR directors under keepalived for the HA tests (t-ha-*.sh).
# Source it after lab.sh and mariadb.sh, in the guest.
#
#   client 198.18.0.1 ------+   (+ 198.18.0.31..46: source addresses, one
#                           |    persistence template each)
#   d1 198.18.0.2 ----------+   keepalived, lagwlcd, IPVS service on the VIP
#   d2 198.18.0.3 ----------+   the same; VRRP moves VIP 198.18.0.100 between them
#   primary 198.18.0.10 ----+-- br0  MariaDB primary (the adopt setup's sorry_server)
#   r1..r3 198.18.0.11-13 --+   MariaDB replicas; these four with the VIP on lo,
#                               arp_ignore=1, arp_announce=2
#
# The VIP is never assigned by the test: keepalived's VRRP adds it to the
# master's eth0. Both directors define the IPVS service all the time (IPVS
# accepts a service on an address that is not local), so the backup
# forwards the moment the VIP arrives.
#
# The configurations are the files of examples/keepalived/, their
# addresses (10.0.0.x) and paths turned into the lab's by ha_conf.

HA_W=/tmp/ha
HA_EX=$LAB_TOP/examples/keepalived
HA_CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
HA_LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
HA_SRCS=()	# the client's extra source addresses
HA_REPLICAS=("r1 198.18.0.11 11" "r2 198.18.0.12 12" "r3 198.18.0.13 13")

# ha_setup: the topology above, MariaDB primary and replicas replicating
ha_setup() {
	local i ns addr entry ok=0
	trap lab_teardown EXIT
	rm -rf "$HA_W"
	mkdir -p "$HA_W"
	lab_bridge br0
	lab_ns client br0 198.18.0.1/24
	for i in $(seq 31 46); do
		onq client ip addr add "198.18.0.$i/24" dev eth0
		HA_SRCS+=("198.18.0.$i")
	done
	lab_ns d1 br0 198.18.0.2/24
	lab_ns d2 br0 198.18.0.3/24
	lab_add_host primary "$DB_PRIMARY_ADDR"
	for entry in "${HA_REPLICAS[@]}"; do
		read -r ns addr _ <<<"$entry"
		lab_ns "$ns" br0 "$addr/24"
	done
	# LVS-DR: a real server accepts the VIP but never answers ARP for it;
	# the primary too (keepalived's sorry_server)
	for ns in primary r1 r2 r3; do
		onq "$ns" ip addr add "$LAB_VIP/32" dev lo
		onq "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 \
			net.ipv4.conf.eth0.arp_announce=2
	done
	diag "lab: client 198.18.0.1, directors d1 198.18.0.2 and d2 198.18.0.3, VIP $LAB_VIP (VRRP), primary $DB_PRIMARY_ADDR, r1..r3 198.18.0.11-13"
	db_spawn_all 1 "${HA_REPLICAS[@]}" || ok=1
	for entry in "${HA_REPLICAS[@]}"; do
		db_replicate "${entry%% *}" "$DB_PRIMARY_ADDR" || ok=1
	done
	printf '[client]\nuser = lab\npassword = %s\n' "$DB_LAB_PASSWORD" >"$HA_W/client.cnf"
	chmod 600 "$HA_W/client.cnf"
	return $ok
}

# ha_conf FILE DIRECTOR: examples/keepalived/FILE for d1 or d2, on stdout:
# the lab's addresses and paths; d2 gets priority 100 and its router_id
ha_conf() {
	local prio=150 rid=lvs-db-1
	[ "$2" = d2 ] && prio=100 rid=lvs-db-2
	sed -e 's/\b10\.0\.0\.10\b/198.18.0.100/g' \
		-e 's/\b10\.0\.0\.20\b/198.18.0.10/g' \
		-e 's/\b10\.0\.0\.2\([123]\)\b/198.18.0.1\1/g' \
		-e 's/\b10\.0\.0\.\([23]\)\b/198.18.0.\1/g' \
		-e "s|/usr/local/sbin/lagwlcctl|$HA_CTL|" \
		-e "s|/etc/lagwlc/client.cnf|$HA_W/client.cnf|" \
		-e "s/priority 150/priority $prio/" \
		-e "s/router_id lvs-db-1/router_id $rid/" "$HA_EX/$1"
}

# ha_ms T0: milliseconds from T0 (an $EPOCHREALTIME) to now
ha_ms() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

# ---- keepalived and lagwlcd, one each per director --------------------------

# ha_keepalived_start NS CONF: keepalived in the foreground of NS (its own
# pid files), log in $HA_W/keepalived-NS.log; returns once it runs
ha_keepalived_start() {
	local ns=$1 i
	echo "# [$ns] keepalived -n -l -D -f $2"
	ip netns exec "$ns" keepalived -n -l -D -f "$2" -p "$HA_W/$ns-keepalived.pid" \
		-r "$HA_W/$ns-vrrp.pid" -c "$HA_W/$ns-checkers.pid" \
		</dev/null >>"$HA_W/keepalived-$ns.log" 2>&1 &
	echo $! >"$HA_W/$ns-keepalived.main"
	LAB_PIDS+=($!)
	disown $!
	for ((i = 0; i < 100; i++)); do
		[ -s "$HA_W/$ns-vrrp.pid" ] && return 0
		sleep 0.1
	done
	diag "keepalived in $ns did not start:"
	tail -n 20 "$HA_W/keepalived-$ns.log" | sed 's/^/#   /'
	return 1
}

# ha_keepalived_stop NS: SIGTERM (as systemctl stop), wait until it is gone
ha_keepalived_stop() {
	local pid
	pid=$(cat "$HA_W/$1-keepalived.main")
	kill -TERM "$pid"
	_db_wait_gone "$pid" 20 || { kill -KILL "$pid"; return 1; }
	rm -f "$HA_W/$1-vrrp.pid"
}

# ha_keepalived_reload NS: SIGHUP (as systemctl reload)
ha_keepalived_reload() {
	kill -HUP "$(cat "$HA_W/$1-keepalived.main")"
}

# ha_lagwlcd_start NS CONF: lagwlcd -D in NS, log in $HA_W/lagwlcd-NS.log
ha_lagwlcd_start() {
	echo "# [$1] lagwlcd -D -c $2"
	ip netns exec "$1" "$HA_LAGWLCD" -D -c "$2" </dev/null >>"$HA_W/lagwlcd-$1.log" 2>&1 &
	echo $! >"$HA_W/$1-lagwlcd.pid"
	LAB_PIDS+=($!)
	disown $!
}

# ha_lagwlcd_kill NS: SIGKILL (a crash), wait until it is gone
ha_lagwlcd_kill() {
	local pid
	pid=$(cat "$HA_W/$1-lagwlcd.pid")
	kill -KILL "$pid"
	_db_wait_gone "$pid" 10
}

# ---- where the VIP is, and whether it answers ---------------------------------

# ha_has_vip NS: NS's eth0 holds the VIP
ha_has_vip() {
	ip -n "$1" -o addr show dev eth0 | grep -q " $LAB_VIP/"
}

# ha_master: the director holding the VIP ("d1", "d2", "both" or "none")
ha_master() {
	local m=none
	ha_has_vip d1 && m=d1
	ha_has_vip d2 && { [ $m = d1 ] && m=both || m=d2; }
	echo $m
}

# ha_wait_vip NS T0 SECONDS: wait until NS holds the VIP; prints the ms
# from T0, false on timeout
ha_wait_vip() {
	local end=$((SECONDS + $3))
	until ha_has_vip "$1"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
	ha_ms "$2"
}

# ha_first T0 SECONDS: new sessions through the VIP until one answers:
# "ok MS SERVER_ID" (MS from T0, lib/haclient.py's start-up included)
# or "timeout MS"
ha_first() {
	local end=$((SECONDS + $2)) l
	while [ $SECONDS -lt $end ]; do
		l=$(ip netns exec client python3 "$LAB_TOP/tests/vm/lib/haclient.py" who 198.18.0.1)
		[[ $l == *error* ]] || { echo "ok $(ha_ms "$1") ${l#* }"; return 0; }
		sleep 0.1
	done
	echo "timeout $(ha_ms "$1")"
	return 1
}

# ha_watch_start SECONDS: sessions through the VIP every 50 ms in the
# background (lib/haclient.py watch), once it is ready; ha_watch_stop ends
# them; ha_watch_outage T0 then sums up the log.
ha_watch_start() {
	local i
	rm -f "$HA_W/watch.in" "$HA_W/watch.out"
	mkfifo "$HA_W/watch.in"
	ip netns exec client python3 "$LAB_TOP/tests/vm/lib/haclient.py" watch "$1" \
		<"$HA_W/watch.in" >"$HA_W/watch.out" 2>&1 &
	HA_WATCH=$!
	LAB_PIDS+=($!)
	exec 9>"$HA_W/watch.in"
	for ((i = 0; i < 200; i++)); do
		grep -q '^ready' "$HA_W/watch.out" && return 0
		sleep 0.05
	done
	return 1
}
ha_watch_stop() {
	exec 9>&-
	_db_wait_gone "$HA_WATCH" 10
}

# ha_watch_outage T0: "FIRST GAP FAILS": FIRST, ms from T0 to the first
# session answered after the last failed one (after T0 if none failed);
# GAP, ms between the last session answered before the first failure and
# that one (0 if none failed); FAILS, the failed tries. FIRST is "never"
# if none was answered after.
ha_watch_outage() {
	awk -v t0="$1" '
		$3 == "ok" && !nf { lastok = $2 }
		$3 == "fail" { nf++; lastfail = $1 }
		$3 == "ok" && $1 >= t0 { okt[++n] = $1; oke[n] = $2 }
		END {
			first = ""
			for (i = 1; i <= n; i++)
				if (!nf || okt[i] > lastfail) { first = oke[i]; break }
			if (first == "") { printf "never - %d\n", nf; exit }
			printf "%d %d %d\n", (first - t0) * 1000, nf ? (first - lastok) * 1000 : 0, nf
		}' "$HA_W/watch.out"
}

# ha_who SRC...: one new session from each source: "SRC SERVER_ID" lines
ha_who() {
	ip netns exec client python3 "$LAB_TOP/tests/vm/lib/haclient.py" who "$@"
}

# ha_via NS: the client's ARP entry for the VIP is NS's eth0 (the VIP is
# reached through NS)
ha_via() {
	local mac
	mac=$(ip -n "$1" -o link show dev eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ip -n client neigh show "$LAB_VIP" | grep -q "lladdr $mac"
}

# ha_state NS ADDR: the lag state NS's module holds for ADDR:3306
ha_state() {
	ip netns exec "$1" "$HA_CTL" show "$2:3306" 2>/dev/null |
		sed -n 's/.* state \([a-z]*\).*/\1/p'
}

# ha_wait_state NS ADDR STATE SECONDS: until ha_state says STATE
ha_wait_state() {
	local end=$((SECONDS + $4))
	until [ "$(ha_state "$1" "$2")" = "$3" ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# ha_sched NS: the scheduler of the VIP's service in NS ("" if none)
ha_sched() {
	ip netns exec "$1" ipvsadm -Ln -t "$LAB_VIP:3306" 2>/dev/null |
		awk '$1 == "TCP" { print $3; exit }'
}

# ha_logs: the tails of the daemons' logs, as diagnostics
ha_logs() {
	local f
	for f in "$HA_W"/keepalived-*.log "$HA_W"/lagwlcd-*.log; do
		[ -f "$f" ] || continue
		diag "tail of $f:"
		tail -n 15 "$f" | sed 's/^/#   | /'
	done
}

# ha_watch_settle T0 SECONDS: wait until a session has been answered after
# the failures that followed T0 (SECONDS at most), stop watching, print
# ha_watch_outage T0
ha_watch_settle() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		case $(ha_watch_outage "$1") in never*) sleep 0.1 ;; *) break ;; esac
	done
	sleep 0.5
	ha_watch_stop
	ha_watch_outage "$1"
}

# ha_failover_stop: stop keepalived on d1 (the master) while sessions are
# opened through the VIP every 50 ms; T0 is when the stop began, HA_VIP the
# ms until d2 held the VIP (empty: never), and HA_FIRST HA_GAP HA_FAILS the
# ms until a new session was answered, the outage and the failed tries
# (ha_watch_outage)
ha_failover_stop() {
	local kp
	ha_watch_start 120
	sleep 1
	T0=$EPOCHREALTIME
	ha_keepalived_stop d1 &
	kp=$!
	HA_VIP=$(ha_wait_vip d2 "$T0" 30)
	read -r HA_FIRST HA_GAP HA_FAILS < <(ha_watch_settle "$T0" 30)
	wait $kp
}

# ---- a session held open through the VIP (connection sync) ------------------

# ha_hold_open: one session from the client's 198.18.0.1, kept open
# (lib/haclient.py hold); sets HELD (its server_id) and HELD_PORT
ha_hold_open() {
	local i
	rm -f "$HA_W/hold.in" "$HA_W/hold.out"
	mkfifo "$HA_W/hold.in"
	ip netns exec client python3 "$LAB_TOP/tests/vm/lib/haclient.py" hold \
		<"$HA_W/hold.in" >"$HA_W/hold.out" 2>&1 &
	LAB_PIDS+=($!)
	exec 8>"$HA_W/hold.in"
	for ((i = 0; i < 200; i++)); do
		grep -q '^connected' "$HA_W/hold.out" && break
		sleep 0.05
	done
	read -r _ HELD HELD_PORT < <(grep '^connected' "$HA_W/hold.out")
	[ -n "${HELD_PORT:-}" ]
}

# ha_hold_query: one query on the held session; prints its answer
# (server_id, or "error ...")
ha_hold_query() {
	local n i
	n=$(wc -l <"$HA_W/hold.out")
	echo >&8
	for ((i = 0; i < 200; i++)); do
		[ "$(wc -l <"$HA_W/hold.out")" -gt "$n" ] && break
		sleep 0.05
	done
	tail -n 1 "$HA_W/hold.out"
}

ha_hold_close() {
	exec 8>&-
}

# ha_hold_entry NS: NS's IPVS connection entry of the held session
ha_hold_entry() {
	ip netns exec "$1" ipvsadm -Lcn | grep " 198\.18\.0\.1:$HELD_PORT "
}

# ha_hold_synced NS SECONDS: wait until NS has the held session's entry;
# prints the ms it took
ha_hold_synced() {
	local t0=$EPOCHREALTIME end=$((SECONDS + $2))
	until ha_hold_entry "$1" >/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
	ha_ms "$t0"
}
