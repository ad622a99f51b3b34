#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Load/use/unload soak (issue 13, item 5): LAGWLC_SOAK_CYCLES cycles (20 in
# make check, 1000 in make soak) of the module loaded, used by everything
# that holds on to it, released and unloaded; unreclaimable slab must come
# back to its level after the first cycle (kmemleak, on the debug kernel,
# checks after the test: tests/vm/guest-init).
#
#   guest (root netns)
#     VIP 198.18.0.100 on lo; 198.18.0.11..14 behind lagwd0, a dummy
#     (SYNs and lagwlcd's probes vanish there)
#
# UDP, not TCP: IPVS keeps a TCP connection whose SYN went unanswered for a
# minute, a UDP one for the udp timeout, set to 5 s here, so that memory
# can be compared with no connection of the cycles left.
#
# Each cycle, on a port P of its own (3306 + cycle: IPVS revives a deleted
# destination that connections still use):
#   load     insmod stale_ms=60000 (a report arms the stale timer for a
#            minute: it is still pending at the unload)
#   use      a lagwlc service of .11...14:P; lagwlcd (-D, [replica] .11:P
#            and .12:P, probe timeout 300 ms) pushing them down; an events
#            socket, which must see lagwlcd's report of .11:P; a report of
#            .14:P owned by its socket (lib/cycleuser.py); 6 connections
#            (UDP flows) through VIP:P, all scheduled (/proc/net/ip_vs_conn)
#   release  lagwlcd stopped (SIGTERM, exit status 0), the sockets closed,
#            the service deleted
#   unload   rmmod, which must succeed (the entries and the pending stale
#            timer are the module's to free)
set -u
LAB_VM_ARGS=(--timeout $((900 + 3 * ${LAGWLC_SOAK_CYCLES:-20})))
. "$(dirname "$0")/lib/lab.sh"
# the environment does not reach the guest: the count goes as an argument
[ -n "${LAGWLC_VM:-}" ] || set -- "${LAGWLC_SOAK_CYCLES:-20}"
lab_boot_self "$@"

CYCLES=${1:-20} CONNS=6
LAGWLCD=$LAB_TOP/userspace/lagwlcd/lagwlcd
W=/tmp/soak
ktap_plan 6

mkdir -p $W
mkfifo $W/tick && exec {tick}<>$W/tick
nap() { read -r -t "$1" -u "$tick"; }	# a sleep without a fork

modprobe ip_vs && ip link add lagwd0 type dummy && ip addr add 198.18.0.1/24 dev lagwd0 &&
	ip link set lagwd0 up && ip addr add "$LAB_VIP/32" dev lo ||
	{ echo "Bail out! cannot set up ip_vs, the dummy device and the VIP"; exit 1; }
ipvsadm --set 0 0 5	# udp timeout 5 s
printf '[client]\nuser = soak\npassword = x\n' >$W/client.cnf
chmod 600 $W/client.cnf
coproc CU { exec python3 "$LAB_TOP/tests/vm/lib/cycleuser.py" 2>&1; }
# user CMD...: one command to cycleuser.py, its one-line answer in $said
user() {
	said=''
	echo "$*" >&"${CU[1]}" && IFS= read -r -t 60 said <&"${CU[0]}"
	said=${said:-error no answer}
}

conns_expire() {	# wait (up to 30 s) until IPVS has no connection left
	local k n
	for ((k = 0; k < 60; k++)); do
		n=$(awk 'NR > 1' /proc/net/ip_vs_conn | wc -l)
		[ "$n" -eq 0 ] && return 0
		nap 0.5
	done
	diag "IPVS connections left after 30 s: $n"
	return 1
}



fails=0 unloads=0 first='' base=''
us=(0 0 0 0)	# µs spent loading, using, releasing, unloading
start=$SECONDS
for ((i = 1; i <= CYCLES; i++)); do
	why=''
	port=$((3306 + i)) vs=$LAB_VIP:$((3306 + i))
	t0=${EPOCHREALTIME/./}
	insmod "$LAB_MODULE" stale_ms=60000 || why="insmod failed"
	t1=${EPOCHREALTIME/./}

	# use
	ipvsadm -R <<-EOF_R || why=${why:-"the service could not be made"}
		-A -u $vs -s lagwlc
		-a -u $vs -r 198.18.0.11:$port -g -w 1
		-a -u $vs -r 198.18.0.12:$port -g -w 1
		-a -u $vs -r 198.18.0.13:$port -g -w 1
		-a -u $vs -r 198.18.0.14:$port -g -w 1
	EOF_R
	user monitor
	[ "$said" = monitoring ] || why=${why:-"events socket: $said"}
	printf '[lagwlcd]\npoll_interval = 100ms\ntimeout = 300ms\noption_file = %s\ndiscover = no\n[replica 198.18.0.11:%d]\n[replica 198.18.0.12:%d]\n' \
		$W/client.cnf "$port" "$port" >$W/lagwlcd.conf
	"$LAGWLCD" -D -c $W/lagwlcd.conf >$W/lagwlcd.log 2>&1 &
	lpid=$!
	user own "198.18.0.14:$port" 50
	[ "$said" = owned ] || why=${why:-"the socket-owned report failed: $said"}
	user udp "$vs" $CONNS
	[ "$said" = "sent $CONNS, $CONNS in IPVS" ] || why=${why:-"connections: $said"}
	user event "198.18.0.11:$port" 30
	[[ $said == "event "*" report" ]] || why=${why:-"no event of lagwlcd's report of .11:$port: $said"}
	t2=${EPOCHREALTIME/./}

	# release
	kill -TERM $lpid
	wait $lpid
	rc=$?
	[ $rc -eq 0 ] || why=${why:-"lagwlcd exit status $rc: $(tail -n 3 $W/lagwlcd.log)"}
	user close
	ipvsadm -D -u "$vs" || why=${why:-"ipvsadm -D failed"}
	t3=${EPOCHREALTIME/./}

	# unload
	if rmmod ip_vs_lagwlc; then
		unloads=$((unloads + 1))
	else
		why=${why:-"rmmod failed"}
	fi
	t4=${EPOCHREALTIME/./}
	((us[0] += t1 - t0, us[1] += t2 - t1, us[2] += t3 - t2, us[3] += t4 - t3))
	if [ -n "$why" ]; then
		fails=$((fails + 1))
		[ -n "$first" ] || first="cycle $i: $why"
		rmmod ip_vs_lagwlc 2>/dev/null
	fi
	if [ $i -eq 1 ]; then
		# the baseline: after a first cycle (slabs the module's paths
		# grow once stay grown), its connections expired
		conns_expire
		lab_shrink_slabs
		base=$(lab_sunreclaim)
	fi
done
secs=$((SECONDS - start))
diag "$CYCLES cycles in $secs s: load $((us[0] / 1000000)) s, use $((us[1] / 1000000)) s, release $((us[2] / 1000000)) s, unload $((us[3] / 1000000)) s"
diag "$fails failed${first:+; first: $first}"
[ $fails -eq 0 ]
ktap_result $? "$CYCLES cycles: loaded; used by a service, lagwlcd, an events socket, a socket-owned entry and $CONNS connections; released"
[ $unloads -eq "$CYCLES" ] && [ ! -d /sys/module/ip_vs_lagwlc ]
ktap_result $? "the module unloaded at the end of every cycle, its stale timer pending ($unloads of $CYCLES)"

eval "exec ${CU[1]}>&-"
wait "$CU_PID"
ktap_result $? "lib/cycleuser.py ends cleanly"

# the cycles' connections expire (udp timeout 5 s), and with them the
# deleted destinations they held
conns_expire
ktap_result $? "IPVS's connections of the cycles expired"
lab_shrink_slabs
now=$(lab_sunreclaim)
diag "SUnreclaim: $base kB after the first cycle, $now kB after $CYCLES ($((now - base)) kB)"
[ -n "$base" ] && [ $((now - base)) -lt 256 ]
ktap_result $? "unreclaimable slab back to the first cycle's level after $CYCLES cycles (under 256 kB: $((now - base)) kB)"

lab_kernel_clean && bad=0 || bad=1
ktap_result $bad "no WARNING, BUG, KASAN, UBSAN or Call Trace in the kernel log"
diag "$SECONDS s in the guest"
ktap_exit
