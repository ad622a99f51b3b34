#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Concurrency stress (issue 13, item 4): every way into the module at once,
# for a bounded time, in one guest.
#
#   client 198.18.0.1: loadgen.py bursts  --> VIP 198.18.0.100:3306 lagwlc -> r1..r3 :3306
#                      cycleuser.py SYNs  --> VIP 198.18.0.100:4000..4007 lagwlc, 1..256
#                                             destinations 198.18.2.x/198.18.3.x (on a
#                                             dummy in the director: SYNs vanish there)
#   director 198.18.0.2, where these run side by side:
#     set/del/flush  3 writers, lagwlcctl set (1..4 replicas) / del / flush
#     owner          cycleuser.py: socket-owned reports, each own closes the
#                    previous socket (URELEASE), and deletes
#     tunables       every parameter of /sys/module/ip_vs_lagwlc/parameters,
#                    valid values, and invalid ones that must be refused
#     monitor        lagwlcctl -j monitor started and killed
#     ipvs           services 4000..4007 made with 1..256 destinations,
#                    destinations removed and edited, schedulers switched,
#                    services deleted
#     lagwlcd        lagwlcd -D started and stopped (SIGTERM); its replicas
#                    (:3390, nothing listens) are refused: down, pushed
#     rmmod          rmmod ip_vs_lagwlc, which must fail: the module is in use
#   netns            namespaces made with a lagwlc service, destinations and
#                    entries (and so a pending stale timer), then deleted
#
# Two rounds of the same mix: a warm-up (a sixth of the time) and the
# measured round. After each, everything goes (namespaces, services,
# entries) and the module unloads; SUnreclaim (slabs shrunk, less the debug
# kernel's checkers' own caches: lab_sunreclaim) after the warm-up is the
# baseline the measured round must come back to. Any kernel
# report fails the run (tests/vm/run; kmemleak on the debug kernel).
#
# Errors a worker expects (a race, a full table) are counted; any other
# error is unexpected and fails its point:
#   writers  ENOENT on del (nothing to delete), ENOSPC on set (max_entries)
#   owner    ENOSPC, ENOENT, "not in the dump" (a writer's flush came first)
#   monitor  "events were lost" (receive buffer overrun, ENOBUFS)
#   rmmod    "in use" is the only accepted outcome
#   ipvs     none: the worker owns its services
#
# LAGWLC_STRESS_SECONDS: the two rounds' time (default 60; make check-debug
# and make soak set longer ones).
set -u
# the guest's time limit grows with the stress's length (setup and teardown
# take minutes on a loaded 2-core host, more on the debug kernel)
LAB_VM_ARGS=(--timeout $((1200 + 3 * ${LAGWLC_STRESS_SECONDS:-60})))
. "$(dirname "$0")/lib/lab.sh"
# the environment does not reach the guest: the duration goes as an argument
[ -n "${LAGWLC_VM:-}" ] || set -- "${LAGWLC_STRESS_SECONDS:-60}"
lab_boot_self "$@"

TOTAL=${1:-60}
WARM=$((TOTAL / 6 > 5 ? TOTAL / 6 : 5))
MAIN=$((TOTAL - WARM > 10 ? TOTAL - WARM : 10))
P=/sys/module/ip_vs_lagwlc/parameters
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
LIB=$LAB_TOP/tests/vm/lib
S=/tmp/stress
WORKERS=(writer1 writer2 owner monitor dump ctl tunables ipvs lagwlcd rmmod netns loadgen syn)
ktap_plan $((5 + ${#WORKERS[@]}))
mkdir -p $S
# read -t on a FIFO nobody writes: a sleep without a fork
mkfifo $S/tick && exec {tick}<>$S/tick
nap() { read -r -t "$1" -u "$tick"; }

# ---- the workers: each loops until $END, then writes "OPS EXPECTED DETAIL"
# to $S/NAME.count; unexpected errors go to $S/NAME.bad

# w_py MODE NAME: lib/stress.py MODE in the director (many netlink
# operations in one process), at nice 10: as many as the CPU left over by
# the other workers allows (under TCG a Python loop would starve them)
w_py() {
	ip netns exec director nice -n 10 python3 "$LIB/stress.py" "$1" $((END - EPOCHSECONDS)) "$RANDOM" >$S/$2.out 2>&1
	if head -n 1 $S/$2.out | grep -qE '^[0-9]+ [0-9]+ '; then
		head -n 1 $S/$2.out >$S/$2.count
		tail -n +2 $S/$2.out | sed 's/^bad: //' >>$S/$2.bad
	else
		cat $S/$2.out >>$S/$2.bad
	fi
}
w_writer() { w_py writer "$1"; }
w_owner() { w_py owner "$1"; }
w_monitor() { w_py monitor "$1"; }
w_dump() { w_py dump "$1"; }

# key: a random replica key the services use
key() {
	case $((RANDOM % 4)) in
	0) echo "198.18.0.1$((1 + RANDOM % 3)):3306" ;;
	*) echo "198.18.$((2 + RANDOM % 2)).$((1 + RANDOM % 254)):$((4000 + RANDOM % 8))" ;;
	esac
}

# the real tools, each run a program start: lagwlcctl set/del/flush, and
# lagwlcctl -j monitor started and killed
w_ctl() {
	local ops=0 exp=0 sets=0 dels=0 flushes=0 mons=0 args seen k i r out pid
	while ((EPOCHSECONDS < END)); do
		r=$((RANDOM % 20))
		if ((r == 0)); then
			out=$(ip netns exec director "$CTL" flush 2>&1) && flushes=$((flushes + 1)) ||
				echo "flush: $out" >>$S/$1.bad
		elif ((r < 5)); then
			out=$(ip netns exec director "$CTL" del "$(key)" 2>&1)
			if [ $? -eq 0 ]; then
				dels=$((dels + 1))
			elif [[ $out == *"No such file or directory"* || $out == *"no such replica"* ]]; then
				dels=$((dels + 1)) exp=$((exp + 1))
			else
				echo "del: $out" >>$S/$1.bad
			fi
		elif ((r < 8)); then
			ip netns exec director "$CTL" -j monitor >/dev/null 2>$S/$1.err &
			pid=$!
			nap 0.$((5 + RANDOM % 5))
			if kill "$pid" 2>/dev/null; then
				wait "$pid"
			else
				wait "$pid"
				echo "monitor ended on its own, status $?: $(cat $S/$1.err)" >>$S/$1.bad
			fi
			grep -q 'events were lost' $S/$1.err && exp=$((exp + 1))
			grep -v 'events were lost' $S/$1.err >>$S/$1.bad
			mons=$((mons + 1))
		else
			args=() seen=' '
			for ((i = 0; i <= RANDOM % 4; i++)); do
				k=$(key)
				# each once: the module refuses a message naming one twice
				[[ $seen == *" $k "* ]] && continue
				seen+="$k "
				if ((RANDOM % 8 == 0)); then
					args+=("$k" down)
				else
					args+=("$k" lag $((RANDOM % 12000)))
				fi
			done
			out=$(ip netns exec director "$CTL" set "${args[@]}" 2>&1)
			if [ $? -eq 0 ]; then
				sets=$((sets + 1))
			elif [[ $out == *"No space left on device"* || $out == *"max_entries"* ]]; then
				sets=$((sets + 1)) exp=$((exp + 1))
			else
				echo "set ${args[*]}: $out" >>$S/$1.bad
			fi
		fi
		ops=$((ops + 1))
	done
	echo "$ops $exp $sets set, $dels del, $flushes flush, $mons monitor" >$S/$1.count
}

# "name value..." (valid values); readmit_lag_ms <= max_lag_ms holds for any pair
TUNABLES=("stale_ms 10 50 200 1000 3000 60000" "max_entries 16 256 4096 4096 65536"
	"all_lagging least_lag reject" "stale_policy open closed"
	"slow_start_ms 0 100 5000" "evict_ms 0 50 1000 600000" "lag_noise_ms 0 10 500"
	"lag_penalty_ms 0 1 1000" "max_lag_ms 2000 5000 9000" "readmit_lag_ms 0 1000 2000")
# "name value": each must be refused (EINVAL) and change nothing
BAD_TUNABLES=("stale_ms 9" "max_entries 0" "max_entries 1048577" "all_lagging maybe"
	"stale_policy ajar" "readmit_lag_ms 9001" "slow_start_ms -1" "evict_ms x")
w_tunables() {
	local ops=0 exp=0 t v now
	while ((EPOCHSECONDS < END)); do
		if ((RANDOM % 5)); then
			read -r -a t <<<"${TUNABLES[RANDOM % ${#TUNABLES[@]}]}"
			v=${t[1 + RANDOM % (${#t[@]} - 1)]}
			echo "$v" 2>>$S/$1.bad >$P/"${t[0]}" || echo "write $v to ${t[0]} failed" >>$S/$1.bad
		else
			read -r -a t <<<"${BAD_TUNABLES[RANDOM % ${#BAD_TUNABLES[@]}]}"
			if echo "${t[1]}" 2>/dev/null >$P/"${t[0]}"; then
				echo "${t[0]}: invalid ${t[1]} accepted" >>$S/$1.bad
			else
				exp=$((exp + 1))
			fi
			read -r now <$P/"${t[0]}"
			# (another write to it may come between: only a value
			# that is itself invalid shows the refused one landed)
			[ "$now" != "${t[1]}" ] || echo "${t[0]}: reads back invalid ${t[1]}" >>$S/$1.bad
		fi
		ops=$((ops + 1))
		nap 0.02
	done
	echo "$ops $exp tunable writes" >$S/$1.count
}

SIZES=(1 2 3 8 32 64 256)
# ipvs_batch PORT: ipvsadm -R lines for one change to service PORT (in
# DESTS[PORT] its destinations' numbers, unset when it has none)
declare -A DESTS=()
ipvs_batch() {
	local port=$1 vs=$LAB_VIP:$1 n i d keep=()
	if [ -z "${DESTS[$port]+x}" ]; then
		n=${SIZES[RANDOM % ${#SIZES[@]}]}
		echo "-A -t $vs -s lagwlc"
		DESTS[$port]=
		for ((i = 0; i < n; i++)); do
			echo "-a -t $vs -r 198.18.$((2 + i / 128)).$((1 + i % 128)):$port -g -w $((1 + RANDOM % 3))"
			DESTS[$port]+=" $i"
		done
		IPVS_N[svc]=$((IPVS_N[svc] + 1)) IPVS_N[add]=$((IPVS_N[add] + n))
		return
	fi
	case $((RANDOM % 4)) in
	0)	echo "-D -t $vs"
		unset "DESTS[$port]"
		IPVS_N[del]=$((IPVS_N[del] + 1)) ;;
	1)	echo "-E -t $vs -s wlc"
		echo "-E -t $vs -s lagwlc"
		IPVS_N[edit]=$((IPVS_N[edit] + 2)) ;;
	*)	for d in ${DESTS[$port]}; do
			i=198.18.$((2 + d / 128)).$((1 + d % 128)):$port
			case $((RANDOM % 8)) in
			0)	echo "-d -t $vs -r $i"
				IPVS_N[rm]=$((IPVS_N[rm] + 1))
				continue ;;
			1)	echo "-e -t $vs -r $i -g -w $((RANDOM % 4))"
				IPVS_N[edit]=$((IPVS_N[edit] + 1)) ;;
			esac
			keep+=("$d")
		done
		DESTS[$port]=${keep[*]} ;;
	esac
}

# ipvsadm -R batches: services 4000..4007 made with 1..256 destinations,
# destinations removed and re-weighted, schedulers switched, services deleted
w_ipvs() {
	local out
	declare -A IPVS_N=([svc]=0 [add]=0 [rm]=0 [edit]=0 [del]=0)
	while ((EPOCHSECONDS < END)); do
		{
			ipvs_batch $((4000 + RANDOM % 8))
			ipvs_batch $((4000 + RANDOM % 8))
		} >$S/$1.rules
		out=$(ip netns exec director ipvsadm -R <$S/$1.rules 2>&1) ||
			{ echo "ipvsadm -R: $out:"; cat $S/$1.rules; } >>$S/$1.bad
		IPVS_N[ops]=$((IPVS_N[ops] + $(wc -l <$S/$1.rules)))
		nap 0.1
	done
	echo "${IPVS_N[ops]} 0 ${IPVS_N[svc]} services made with ${IPVS_N[add]} destinations, ${IPVS_N[rm]} removed, ${IPVS_N[edit]} edits, ${IPVS_N[del]} services deleted" >$S/$1.count
}

# lagwlcd started, left to probe and push (its replicas refuse: down) and
# stopped with SIGTERM, which it must answer with exit status 0
w_lagwlcd() {
	local ops=0 pid rc i
	printf '[client]\nuser = stress\npassword = x\n' >$S/client.cnf
	chmod 600 $S/client.cnf
	{
		printf '[lagwlcd]\npoll_interval = 100ms\ntimeout = 500ms\noption_file = %s\ndiscover = no\n' $S/client.cnf
		printf '[replica 198.18.0.1%d:3390]\n' 1 2 3
	} >$S/lagwlcd.conf
	while ((EPOCHSECONDS < END)); do
		: >$S/lagwlcd.log
		ip netns exec director "$LAGWLCD" -D -c $S/lagwlcd.conf >$S/lagwlcd.log 2>&1 &
		pid=$!
		# SIGTERM once it runs (its first line) and has pushed a while
		for ((i = 0; i < 300; i++)); do
			grep -q 'lagwlcd .*: poll' $S/lagwlcd.log && break
			nap 0.1
		done
		nap 0.$((5 + RANDOM % 5))
		kill -TERM "$pid" 2>/dev/null || echo "lagwlcd ended on its own" >>$S/$1.bad
		wait "$pid"
		rc=$?
		[ $rc -eq 0 ] || { echo "lagwlcd exit status $rc after SIGTERM:"; cat $S/lagwlcd.log; } >>$S/$1.bad
		ops=$((ops + 1))
	done
	echo "$ops 0 lagwlcd runs" >$S/$1.count
}

w_rmmod() {
	local ops=0 exp=0 out
	while ((EPOCHSECONDS < END)); do
		if out=$(rmmod ip_vs_lagwlc 2>&1); then
			echo "rmmod succeeded while in use" >>$S/$1.bad
			insmod "$LAB_MODULE"
		elif [[ $out == *"in use"* ]]; then
			exp=$((exp + 1))
		else
			echo "rmmod: $out" >>$S/$1.bad
		fi
		ops=$((ops + 1))
		nap 0.3
	done
	echo "$ops $exp rmmod attempts refused (in use)" >$S/$1.count
}

# a network namespace (unshare) with a lagwlc service of 1..16
# destinations and entries, which ends with its shell: its services, lag
# table and stale timer go with it
w_netns() {
	local ops=0 n i out
	# a route to the destinations: IPVS refuses one it cannot reach
	printf '%s\n' "link set lo up" "link add d0 type dummy" "addr add 10.9.0.1/16 dev d0" "link set d0 up" >$S/$1.ip
	while ((EPOCHSECONDS < END)); do
		n=$((1 + RANDOM % 16))
		{
			echo "-A -t 10.9.0.1:80 -s lagwlc"
			for ((i = 1; i <= n; i++)); do
				echo "-a -t 10.9.0.1:80 -r 10.9.1.$i:80 -g -w 1"
			done
		} >$S/$1.rules
		out=$(unshare --net sh -c "ip -batch $S/$1.ip && ipvsadm -R <$S/$1.rules &&
			$CTL set 10.9.1.1:80 lag 100 10.9.1.2:80 lag 9000 10.9.1.3:80 down 10.9.1.4:80 lag 0" 2>&1) ||
			echo "netns: $out" >>$S/$1.bad
		ops=$((ops + 1))
	done
	echo "$ops 0 namespaces made and ended with a service and entries" >$S/$1.count
}

w_loadgen() {
	local ops=0 exp=0
	: >$S/loadgen.out
	while ((EPOCHSECONDS < END - 1)); do
		# bursts: the real servers hold a connection until loadgen exits
		onq client python3 "$LIB/loadgen.py" --svc "$LAB_VIP:3306" --fwd nat \
			--duration $((END - EPOCHSECONDS < 5 ? END - EPOCHSECONDS : 5)) >>$S/loadgen.out 2>>$S/$1.bad
	done
	ops=$(grep -cE '^[0-9.]+ r[123]$' $S/loadgen.out)
	exp=$(grep -cE '^[0-9.]+ none$' $S/loadgen.out)
	echo "$ops $exp connections through $LAB_VIP:3306 completed (the others refused: nothing to choose)" >$S/$1.count
}

w_syn() {
	local ops=0 said
	coproc SYN { exec ip netns exec client python3 "$LIB/cycleuser.py" 2>&1; }
	while ((EPOCHSECONDS < END)); do
		echo "connect $LAB_VIP:$((4000 + RANDOM % 8)) 8" >&"${SYN[1]}"
		said=''
		IFS= read -r -t 120 said <&"${SYN[0]}"
		[ "$said" = "connected 8" ] && ops=$((ops + 8)) || echo "${said:-no answer}" >>$S/$1.bad
		nap 0.02
	done
	eval "exec ${SYN[1]}>&-"
	wait "$SYN_PID"
	echo "$ops 0 SYNs to the services of 1 to 256 destinations" >$S/$1.count
}

# ---- a round ------------------------------------------------------------

defaults() {	# the tunables' defaults (readmit first: it is lowered)
	local kv
	for kv in readmit_lag_ms=2000 max_lag_ms=5000 lag_penalty_ms=1000 lag_noise_ms=500 \
		stale_ms=3000 stale_policy=open all_lagging=least_lag max_entries=4096 \
		evict_ms=600000 slow_start_ms=0; do
		echo "${kv#*=}" >$P/"${kv%%=*}" 2>/dev/null
	done
}

# round SECONDS: the lab, the workers for SECONDS, then everything away and
# the module unloaded; UNLOADED is 0 if it unloaded
round() {
	local w i
	local t0=$EPOCHSECONDS
	lab_load_module || return 1
	rm -f /tmp/realserver-*.log
	lab_setup dr 3 >/dev/null
	lab_realservers 3306 || return 1
	onq director ip link add stressd0 type dummy
	onq director ip addr add 198.18.2.1/23 dev stressd0
	onq director ip link set stressd0 up
	printf -- '-A -t %s -s lagwlc\n' "$LAB_VIP:3306" >$S/base.rules
	printf -- "-a -t $LAB_VIP:3306 -r 198.18.0.1%d:3306 -g -w 1\n" 1 2 3 >>$S/base.rules
	onq director ipvsadm -R <$S/base.rules || return 1
	rm -f $S/*.count $S/*.bad $S/*.log
	END=$((EPOCHSECONDS + $1))
	diag "round of $1 s: set up in $((EPOCHSECONDS - t0)) s"
	PIDS=()
	for w in "${WORKERS[@]}"; do
		(RANDOM=$((SEED + BASHPID)); "w_${w%[0-9]}" "$w") &
		PIDS+=($!)
	done
	wait "${PIDS[@]}"
	diag "workers done $((EPOCHSECONDS - END)) s after the end of the round"
	# connections IPVS scheduled in the director (hex)
	CONNS=$(onq director awk 'NR == 3 { print $1 }' /proc/net/ip_vs_stats)
	CONNS=$((16#${CONNS:-0}))
	defaults
	onq director ipvsadm -C
	onq director "$CTL" flush
	lab_teardown
	# a namespace's services go with it, a moment after
	UNLOADED=1
	t0=$EPOCHSECONDS
	while ((EPOCHSECONDS - t0 < 60)); do
		rmmod ip_vs_lagwlc 2>/dev/null && { UNLOADED=0; break; }
		nap 0.2
	done
	[ -d /sys/module/ip_vs_lagwlc ] && UNLOADED=1
	diag "torn down and unloaded $((EPOCHSECONDS - END)) s after the end of the round"
	return 0
}

SEED=${LAGWLC_STRESS_SEED:-$$}
diag "stress: $TOTAL s: warm-up $WARM s, measured round $MAIN s; workers ${WORKERS[*]}; seed $SEED"
round "$WARM" || { echo "Bail out! the warm-up round could not start"; exit 1; }
warm_unloaded=$UNLOADED
diag "warm-up: $CONNS connections scheduled"
for f in $S/*.bad; do
	[ -f "$f" ] && mv "$f" "${f%.bad}.warm"
done
lab_shrink_slabs
base=$(lab_sunreclaim)
lab_slabs /tmp/stress-slabs.base
diag "after the warm-up: SUnreclaim $base kB (without the debug checkers' caches), module unloaded: $([ $warm_unloaded -eq 0 ] && echo yes || echo no)"

start=$SECONDS
round "$MAIN"
ktap_result $? "the lab, the module and a lagwlc service of 3 real servers set up"
diag "measured round: $((SECONDS - start)) s, workers $MAIN s"
summary=()
for w in "${WORKERS[@]}"; do
	ops=0 exp=0 detail='did not report'
	[ -f $S/$w.count ] && read -r ops exp detail <$S/$w.count
	summary+=("$w $ops")
	bad=$(cat $S/$w.warm $S/$w.bad 2>/dev/null | wc -l)
	cat $S/$w.warm $S/$w.bad 2>/dev/null | head -n 5 | sed "s/^/# $w: unexpected: /"
	diag "stress: $w: $ops operations ($detail), $exp expected failures, $bad unexpected"
	[ "$ops" -gt 0 ] && [ "$bad" -eq 0 ]
	ktap_result $? "$w: $ops operations, none with an unexpected error"
done
# "# stress: 12345 SET, ..." over all workers
diag "stress: $(cat $S/*.count | awk '{ for (i = 3; i < NF; i++) if ($i ~ /^[0-9]+$/) { k = $(i + 1); sub(/,$/, "", k); if (k ~ /^(SET|DEL|FLUSH|set|del|flush|owned|release|subscribed|dump|abandoned)$/) n[toupper(k)] += $i } }
	END { for (k in n) printf "%d %s, ", n[k], k }')operations: ${summary[*]}"
diag "stress: $CONNS connections scheduled by IPVS in the director (/proc/net/ip_vs_stats)"
[ "$CONNS" -gt 0 ]
ktap_result $? "connections were scheduled through the lagwlc services all along ($CONNS)"
[ $warm_unloaded -eq 0 ] && [ $UNLOADED -eq 0 ]
ktap_result $? "the module unloads after each round once its services and namespaces are gone"

lab_shrink_slabs
now=$(lab_sunreclaim)
lab_slabs /tmp/stress-slabs.now
diag "SUnreclaim without the debug checkers' caches: $base kB after the warm-up, $now kB after the measured round ($((now - base)) kB); the caches that grew most:"
lab_slab_growth /tmp/stress-slabs.base /tmp/stress-slabs.now
[ $((now - base)) -lt 512 ]
ktap_result $? "unreclaimable slab back to the warm-up's baseline after the measured round (under 512 kB: $((now - base)) kB)"

lab_kernel_clean && bad=0 || bad=1
ktap_result $bad "no WARNING, BUG, KASAN, UBSAN or Call Trace in the kernel log"
diag "$SECONDS s in the guest"
ktap_exit
