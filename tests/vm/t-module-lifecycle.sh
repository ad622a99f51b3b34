#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The scheduler module's life cycle in the lab VM: it loads after ip_vs,
# registers "lagwlc" with IPVS, serves a service, cannot be removed while a
# service uses it, can be removed after, and survives 100 load/use/unload
# cycles with no kernel warning. No network topology: a service in the root
# netns, local connections to its VIP and real servers behind a dummy device
# that never answer are enough; IPVS schedules a connection on its first SYN.
#
#   guest (root netns)
#     ip_vs + ip_vs_lagwlc
#     VIP 198.18.0.100 on lo
#     TCP 198.18.0.100:P  lagwlc  -> 198.18.0.11:P .. 198.18.0.14:P
#                                    (on lagwd0, a dummy: SYNs vanish)
#     (P 3306 for the first checks, 3306 + N in cycle N)
#
# Each of the 100 cycles: load; a lagwlcctl monitor subscribed to events;
# the service with four real servers; lag entries set with lagwlcctl (.11
# 100 ms, .12 9000 ms lagging, .13 down) and one reported by a socket that
# owns it and stays open (.14, lib/cycleuser.py); 6 connections through the
# VIP, all scheduled (ipvsadm -Ln counts them), none to .12 or .13; one
# entry deleted (the monitor, once it has printed a first event, must show
# it); the service deleted; rmmod with the other entries, the owning socket
# and the monitor still there: the monitor sees the family go and exits on
# its own.
set -u
LAB_VM_ARGS=(--timeout 900)
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

VS=$LAB_VIP:3306
ktap_plan 11

modprobe ip_vs
ktap_check "module loads with insmod after ip_vs" insmod "$LAB_MODULE"

ktap_check "ipvsadm -A -s lagwlc creates a service" \
	ipvsadm -A -t "$VS" -s lagwlc
ipvsadm -a -t "$VS" -r 198.18.0.11:3306 -g -w 1

ipvsadm -Ln | sed 's/^/# /'
ipvsadm -Ln | grep -qE "^TCP +$VS +lagwlc"
ktap_result $? "ipvsadm -Ln shows the service with scheduler lagwlc"

out=$(rmmod ip_vs_lagwlc 2>&1)
rc=$?
diag "rmmod while in use: $out"
[ $rc -ne 0 ] && lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "rmmod is refused while a service uses the scheduler"

ipvsadm -E -t "$VS" -s wlc && ipvsadm -E -t "$VS" -s lagwlc &&
	ipvsadm -Ln | grep -qE "^TCP +$VS +lagwlc"
ktap_result $? "ipvsadm -E switches the service to wlc and back to lagwlc"

ipvsadm -D -t "$VS"
rmmod ip_vs_lagwlc && ! lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "rmmod succeeds once the service is deleted"

# The checkout's module is not in /lib/modules (unless DKMS put one there),
# so request_module() finds nothing and ipvsadm must fail cleanly.
installed=$(modinfo -n ip_vs_lagwlc 2>/dev/null)
out=$(ipvsadm -A -t "$VS" -s lagwlc 2>&1)
rc=$?
diag "ipvsadm -s lagwlc with the module unloaded: rc $rc ${out:-(no output)}"
ipvsadm -D -t "$VS" 2>/dev/null
if [ -z "$installed" ]; then
	[ $rc -ne 0 ] && [[ $out == *"Scheduler or persistence engine not found"* ]]
	ktap_result $? "with no module to load, ipvsadm -s lagwlc fails: scheduler not found"
else
	[ $rc -eq 0 ] && rmmod ip_vs_lagwlc
	ktap_result $? "with $installed installed, ipvsadm -s lagwlc autoloads it"
fi

CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
CYCLES=${1:-100} CONNS=6	# t-module-lifecycle.sh [CYCLES]: fewer, for a quick look
ip link add lagwd0 type dummy && ip addr add 198.18.0.1/24 dev lagwd0 &&
	ip link set lagwd0 up && ip addr add "$LAB_VIP/32" dev lo ||
	{ echo "Bail out! cannot set up the dummy device and the VIP"; exit 1; }
coproc CU { exec python3 "$LAB_TOP/tests/vm/lib/cycleuser.py" 2>&1; }
# user CMD...: one command to cycleuser.py, its one-line answer in $said
# (no command substitution: a fork per call counts in TCG)
user() {
	said=''
	echo "$*" >&"${CU[1]}" && IFS= read -r -t 30 said <&"${CU[0]}"
	said=${said:-error no answer}
}

# read -t on a FIFO nobody writes: a sleep without a fork
mkfifo /tmp/tick && exec {tick}<>/tmp/tick

us_load=0 us_use=0 us_unload=0	# time spent per phase, in µs
fails=0 unscheduled=0 unmonitored=0 first=''
start=$SECONDS
for i in $(seq 1 "$CYCLES"); do
	why=''
	# a port of its own per cycle: IPVS keeps deleted real servers that
	# connections still use (60 s here) and revives them, counters and all,
	# when the same service adds them again
	port=$((3306 + i)) vs=$LAB_VIP:$((3306 + i))
	t0=${EPOCHREALTIME/./}
	# load, and a monitor subscribed for the whole cycle, rmmod included
	insmod "$LAB_MODULE" stale_ms=600000 || why="insmod failed"
	"$CTL" -j monitor >/tmp/mon.out 2>/tmp/mon.err &
	mon=$!
	ipvsadm -R <<-EOF_R || why=${why:-"the service could not be made"}
		-A -t $vs -s lagwlc
		-a -t $vs -r 198.18.0.11:$port -g -w 1
		-a -t $vs -r 198.18.0.12:$port -g -w 1
		-a -t $vs -r 198.18.0.13:$port -g -w 1
		-a -t $vs -r 198.18.0.14:$port -g -w 1
	EOF_R
	"$CTL" set 198.18.0.11:$port lag 100 198.18.0.12:$port lag 9000 198.18.0.13:$port down \
		>/dev/null || why=${why:-"lagwlcctl set failed"}
	user own 198.18.0.14:$port 50
	[ "$said" = owned ] || why=${why:-"the socket-owned report failed: $said"}
	# the monitor starts in parallel and may subscribe after these reports
	# on a loaded host: wait for its first event, re-creating .14 each
	# second (one event each) until it prints one
	for ((k = 0; k < 200; k++)); do	# up to 10 s
		[ -s /tmp/mon.out ] && break
		if ((k % 20 == 19)); then
			user del 198.18.0.14:$port
			user own 198.18.0.14:$port 50
		fi
		read -r -t 0.05 -u "$tick"
	done
	t1=${EPOCHREALTIME/./}

	# connections: all scheduled, none to the lagging or the down replica
	# (ActiveConn + InActConn, live; ipvsadm --stats lags behind by the
	# estimator's 2 s). Parsed with builtins: every fork counts in TCG.
	user connect "$vs" "$CONNS"
	conn=$said
	ipvsadm -Ln -t "$vs" >/tmp/list
	declare -A n=()
	total=0 list=''
	while read -r arrow addr fwd w act inact; do
		list+="$arrow $addr $fwd $w $act $inact / "
		[[ $arrow == "->" && $act =~ ^[0-9]+$ ]] || continue
		n[${addr%:*}]=$((act + inact))
		total=$((total + act + inact))
	done </tmp/list
	c11=${n[198.18.0.11]:-0} c12=${n[198.18.0.12]:-0} c13=${n[198.18.0.13]:-0} c14=${n[198.18.0.14]:-0}
	if [ "$conn" != "connected $CONNS" ] || [ "$total" -ne "$CONNS" ] ||
		[ $((c11 + c14)) -ne "$CONNS" ] || [ "$c12" -ne 0 ] || [ "$c13" -ne 0 ]; then
		unscheduled=$((unscheduled + 1))
		[ -n "$first" ] || first="cycle $i: $conn; scheduled $total (.11 $c11, .12 $c12, .13 $c13, .14 $c14): $list"
	fi

	t2=${EPOCHREALTIME/./}

	# the unload: one entry deleted, the service deleted, the rest left
	user del 198.18.0.11:$port
	[ "$said" = deleted ] || why=${why:-"the delete failed: $said"}
	ipvsadm -D -t "$vs" || why=${why:-"ipvsadm -D failed"}
	rmmod ip_vs_lagwlc || why=${why:-"rmmod failed"}
	for ((k = 0; k < 200; k++)); do	# up to 10 s
		kill -0 $mon 2>/dev/null || break
		read -r -t 0.05 -u "$tick"
	done
	kill -KILL $mon 2>/dev/null
	wait $mon
	mrc=$?
	t3=${EPOCHREALTIME/./}
	((us_load += t1 - t0, us_use += t2 - t1, us_unload += t3 - t2))
	# (builtins, no grep: a fork per check counts in TCG)
	seen='' events=''
	while IFS= read -r line; do
		[[ $line == *'"address":"198.18.0.11"'*'"reason":"delete"'* ]] && seen=1
		events+="$line "
	done </tmp/mon.out
	IFS= read -r -d '' errors </tmp/mon.err
	if [ -z "$seen" ] ||
		[ $mrc -ne 1 ] || [[ $errors != *"module was unloaded"* ]]; then
		unmonitored=$((unmonitored + 1))
		[ -n "$first" ] || first="cycle $i: monitor exit $mrc: $events${errors//$'\n'/ }"
	fi
	if [ -n "$why" ]; then
		fails=$((fails + 1))
		[ -n "$first" ] || first="cycle $i: $why"
		rmmod ip_vs_lagwlc 2>/dev/null
	fi
done
diag "$CYCLES cycles in $((SECONDS - start)) s: load and set up $((us_load / 1000000)) s, connections $((us_use / 1000000)) s, delete and unload $((us_unload / 1000000)) s"
diag "failed $fails, connections not as expected in $unscheduled, monitor not as expected in $unmonitored${first:+; first: $first}"
[ $fails -eq 0 ] && ! lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "$CYCLES load/use/unload cycles all succeed (entries set, one owned by an open socket)"
[ $unscheduled -eq 0 ]
ktap_result $? "in every cycle all $CONNS connections were scheduled, none to the lagging or the down replica"
[ $unmonitored -eq 0 ]
ktap_result $? "in every cycle the monitor saw the delete event and exited on its own at the unload"
eval "exec ${CU[1]}>&-"
lab_kernel_clean && bad=0 || bad=1
ktap_result $bad "no warning in the kernel log after the cycles"

ktap_exit
