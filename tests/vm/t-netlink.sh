#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The "lagwlc" generic netlink family, request by request, in the lab VM.
# No IPVS service and no traffic: the lag table is driven through netlink
# alone, by lib/nlcases.py (raw requests built with lib/genl.py, so that
# wrong types, lengths and attributes can be sent), and every reply is
# checked for its errno and its extack (message, offending attribute or
# missing attribute) and followed by a dump proving the table changed, or
# did not. The story, in order:
#
#   1. an unprivileged caller (nobody), and root of another user namespace:
#      every request and the events group refused (EPERM); root of a user
#      namespace with its own network namespace: all allowed there;
#   2. malformed requests: each refused, table unchanged, no kernel warning;
#   3. well-formed SET, GET, DEL and FLUSH;  4. the lag clamp (7 days);
#   5. max_entries: known replicas always updated, new ones refused when full;
#   6. a 1000-replica dump, resumed over several parts;
#   7. network namespaces a and b, each with its own table and hash seed;
#   8. state-change events on the "events" multicast group, eviction;
#   9. a clean kernel log.
#
#   guest
#   +-- root netns ------------------------------------------------------+
#   |  ip_vs + ip_vs_lagwlc    lag table (root)                          |
#   |  nlcases.py  -- requests --> genl "lagwlc"                         |
#   |  nlcases.py as nobody (setpriv) -- every request, events: EPERM  |
#   |  listener socket on "events" <-- STATE_CHANGE multicasts          |
#   |  a child process (SOCKET_OWNER) that exits --> NETLINK_URELEASE   |
#   +--------------------------------------------------------------------+
#   +-- netns a --------------+   +-- netns b --------------+
#   |  lag table (a)          |   |  lag table (b)          |
#   |  socket made in a       |   |  socket made in b       |
#   +-------------------------+   +-------------------------+
#
# stale_ms is raised to 10 minutes for the run so that no one-shot report
# ages into "stale" behind the test's back (state checks and events stay
# exact); max_entries, max_lag_ms and stale_ms are restored at the end.
set -u
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
GENL=$LAB_TOP/tests/vm/lib/genl.py
NLCASES=$LAB_TOP/tests/vm/lib/nlcases.py
declare -A POINTS	# nlcases.py group -> its number of test points

while read -r group n; do
	POINTS[$group]=$n
done < <(python3 "$NLCASES" plan)
total=0
for n in "${POINTS[@]}"; do
	total=$((total + n))
done
ktap_plan $((total + 3))	# + module load, kernel log after 2. and at the end

# cases GROUP [PREFIX...]: run nlcases.py GROUP (under PREFIX, e.g. setpriv):
# its "ok - "/"not ok - " lines become test points, the rest diagnostics. A
# group that dies early has its missing points reported as failures.
cases() {
	local group=$1 got=0 line
	shift
	diag "---- nlcases.py $group${1:+ (under $*)}"
	while IFS= read -r line; do
		case $line in
		"ok - "*) got=$((got + 1)) && ktap_result 0 "$group: ${line#ok - }" ;;
		"not ok - "*) got=$((got + 1)) && ktap_result 1 "$group: ${line#not ok - }" ;;
		"#"*) printf '%s\n' "$line" ;;
		*) diag "$line" ;;
		esac
	done < <("$@" python3 "$NLCASES" "$group" 2>&1)
	while [ "$got" -lt "${POINTS[$group]}" ]; do
		got=$((got + 1))
		ktap_result 1 "$group: point $got never reported (nlcases.py died)"
	done
}

cleanup() {
	ip netns del a 2>/dev/null
	ip netns del b 2>/dev/null
	[ -d $P ] || return 0
	echo 4096 >$P/max_entries
	echo 5000 >$P/max_lag_ms
	echo 3000 >$P/stale_ms
	echo 600000 >$P/evict_ms
	echo open >$P/stale_policy
}
trap cleanup EXIT

ktap_check "ip_vs_lagwlc loads (after ip_vs)" lab_load_module

echo 600000 >$P/stale_ms
diag "stale_ms $(cat $P/stale_ms), max_lag_ms $(cat $P/max_lag_ms), readmit_lag_ms $(cat $P/readmit_lag_ms), max_entries $(cat $P/max_entries)"

# ---- 1. unprivileged caller --------------------------------------------------
diag "root reports 198.18.0.11:3306 lag 100: genl.py set 198.18.0.11:3306 100"
python3 "$GENL" set 198.18.0.11:3306 100
cases unpriv setpriv --reuid=65534 --regid=65534 --clear-groups
cases unpriv_after
cases userns unshare --user --map-root-user
cases userns_own unshare --user --map-root-user --net

# ---- 2. malformed requests ----------------------------------------------------
cases malformed
dmesg | grep -E 'netlink:' | sed 's/^/# kernel (expected, rate-limited): /'
ktap_check "no kernel warning after the malformed requests" lab_kernel_clean

# ---- 3. well-formed requests, 4. lag clamp, 5. max_entries, 6. dump -------------
cases wellformed
cases clamp
cases max_entries
echo 4096 >$P/max_entries
cases dump

# ---- 7. network namespaces ----------------------------------------------------------
diag "ip netns add a; ip netns add b"
ip netns add a && ip netns add b
cases netns
# b still holds a replica: its table goes with the namespace
diag "ip netns del a; ip netns del b (b with a replica in its table)"
ip netns del a
ip netns del b

# ---- 8. events -------------------------------------------------------------------------
cases events

# ---- 9. kernel log ------------------------------------------------------------------------
cleanup
sleep 1	# let the namespaces' cleanup_net run
ktap_check "no WARNING, BUG or Call Trace in the kernel log at the end" lab_kernel_clean
diag "$SECONDS s in the guest"

ktap_exit
