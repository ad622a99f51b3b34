#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lagwlcctl against the module and IPVS: what an operator types and sees.
# Every command runs on the director; its output is checked line by line
# (table) or parsed (JSON), its errors by message and exit status, and its
# memory by valgrind.
#
#   director (netns): IPVS TCP 198.18.0.100:3306 lagwlc
#                       -> 198.18.0.11:3306 w1, 198.18.0.12:3306 w2, 198.18.0.13:3306 w3
#                     lag table: r1 120 ms, r2 9000 ms (lagging), r3 down,
#                                198.18.0.99:3306 (in no service)
set -u
LAB_VM_ARGS=(--timeout 600)
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
VG=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
ktap_plan 17

modprobe ip_vs
out=$("$CTL" show 2>&1)
rc=$?
diag "before the module: rc $rc: $out"
[ $rc -eq 1 ] && [ "$out" = "lagwlcctl: the lagwlc module is not loaded (modprobe ip_vs_lagwlc)" ]
ktap_result $? "without the module: one clear line, exit 1"

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 3 >/dev/null
echo 600000 >/sys/module/ip_vs_lagwlc/parameters/stale_ms
on director ipvsadm -A -t "$LAB_VIP:3306" -s lagwlc
w=1
for entry in "${LAB_REALS[@]}"; do
	onq director ipvsadm -a -t "$LAB_VIP:3306" -r "${entry#* }:3306" -g -w $w
	w=$((w + 1))
done

ktap_check "set: three replicas in one command, and one in no service" \
	on director "$CTL" set 198.18.0.11:3306 lag 120 198.18.0.12:3306 lag 9s \
	198.18.0.13:3306 down 198.18.0.99:3306 lag 0

onq director "$CTL" show >/tmp/show 2>&1
rc=$?
sed 's/^/# | /' /tmp/show
line() { grep -E "$1" /tmp/show >/dev/null; }
[ $rc -eq 0 ] && line "^TCP +$LAB_VIP:3306 +lagwlc" &&
	line "^ +-> +RemoteAddress:Port .*Lag\(ms\) +State" &&
	line "^ +-> +198\.18\.0\.11:3306 +Route +1 +0 +0 +120 +ok +[0-9]+$" &&
	line "^ +-> +198\.18\.0\.12:3306 +Route +2 +0 +0 +9000 +lagging +[0-9]+$" &&
	line "^ +-> +198\.18\.0\.13:3306 +Route +3 +0 +0 +[0-9]+ +down +[0-9]+$"
ktap_result $? "show: the lagwlc service with weight, connections, lag, state and age per real server"
grep -A3 -iE "^[A-Za-z].*(not|no) .*service" /tmp/show | grep -qE "198\.18\.0\.99:3306 .*ok"
ktap_result $? "show: a replica in no lagwlc service is listed apart"

onq director "$CTL" -j show >/tmp/show.json
python3 - /tmp/show.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
svc = [s for s in d["services"] if s["port"] == 3306 and s["scheduler"] == "lagwlc"]
assert len(svc) == 1, svc
dests = {x["address"]: x for x in svc[0]["destinations"]}
assert dests["198.18.0.11"]["lag_ms"] == 120 and dests["198.18.0.11"]["state"] == "ok", dests
assert dests["198.18.0.12"]["state"] == "lagging" and dests["198.18.0.12"]["weight"] == 2, dests
assert dests["198.18.0.13"]["health"] == "down" and dests["198.18.0.13"]["state"] == "down", dests
rep = {(r["address"], r["port"]): r for r in d["replicas"]}
assert rep[("198.18.0.99", 3306)]["in_service"] is False, rep
assert rep[("198.18.0.11", 3306)]["in_service"] is True, rep
print("# JSON: %d service(s), %d replica(s)" % (len(d["services"]), len(d["replicas"])))
PY
ktap_result $? "show -j: valid JSON with the same facts"

out=$(onq director "$CTL" show 198.18.0.12:3306 2>&1)
diag "show 198.18.0.12:3306: $out"
[[ $out == *198.18.0.12:3306* && $out == *9000* && $out == *lagging* ]]
ktap_result $? "show ADDR:PORT: one replica"

# monitor: started before the changes, stopped with SIGINT
# not through a shell function: $! must be lagwlcctl itself
ip netns exec director "$CTL" -j monitor >/tmp/mon.json 2>/tmp/mon.err &
mon=$!
# until it listens (a loaded host starts it late): a sentinel replica's
# events show up in its output
for _ in $(seq 60); do
	onq director "$CTL" set 198.18.0.97:3306 lag 1
	onq director "$CTL" del 198.18.0.97:3306
	sleep 0.5
	grep -q 198.18.0.97 /tmp/mon.json && break
done
on director "$CTL" set 198.18.0.11:3306 lag 8000
on director "$CTL" del 198.18.0.99:3306
echo 9500 >/sys/module/ip_vs_lagwlc/parameters/max_lag_ms
echo 9000 >/sys/module/ip_vs_lagwlc/parameters/readmit_lag_ms	# r2 (9000 ms) readmitted
sleep 1
kill -INT $mon
for _ in $(seq 50); do kill -0 $mon 2>/dev/null || break; sleep 0.1; done
kill -KILL $mon 2>/dev/null && diag "monitor ignored SIGINT"
wait $mon
rc=$?
echo 2000 >/sys/module/ip_vs_lagwlc/parameters/readmit_lag_ms
echo 5000 >/sys/module/ip_vs_lagwlc/parameters/max_lag_ms
sed 's/^/# monitor: /' /tmp/mon.json /tmp/mon.err
python3 - /tmp/mon.json <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def has(addr, old, new, reason):
    return any(e["address"] == addr and e["old_state"] == old and e["state"] == new
               and e["reason"] == reason for e in ev)
assert has("198.18.0.11", "ok", "lagging", "report"), ev
assert has("198.18.0.99", "ok", "none", "delete"), ev
assert has("198.18.0.12", "lagging", "ok", "tunable"), ev
PY
[ $? -eq 0 ] && [ $rc -eq 0 ]
ktap_result $? "monitor -j: report, delete and tunable events, exit 0 on SIGINT"

out=$(onq director "$CTL" del 198.18.0.98:3306 2>&1)
rc=$?
diag "del of a missing replica: rc $rc: $out"
[ $rc -eq 1 ] && [[ $out == *"no such replica"* ]]
ktap_result $? "the kernel's extack message reaches the user: 'no such replica', exit 1"

out=$(onq director setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" set 198.18.0.11:3306 lag 0 2>&1)
rc=$?
diag "set as nobody: rc $rc: $out"
[ $rc -eq 1 ] && [[ $out == *"permission denied"*CAP_NET_ADMIN* ]]
ktap_result $? "no permission: one clear line, exit 1"

bad=0
for args in "set 198.18.0.11 lag 5" "set 198.18.0.11:65536 lag 5" "set 198.18.0.11:3306 lag -3" \
	"set 198.18.0.11:3306 lag 5 sideways" "set [::1:3306 lag 5" "set 198.18.0.11:3306" \
	"del" "frobnicate" "show 1.2.3.4.5:3306"; do
	# shellcheck disable=SC2086
	out=$(onq director "$CTL" $args 2>&1)
	rc=$?
	diag "lagwlcctl $args: rc $rc: ${out//$'\n'/ / }"
	{ [ $rc -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -le 2 ] && [ -n "$out" ]; } || bad=$((bad + 1))
done
[ $bad -eq 0 ]
ktap_result $? "bad command lines: a short message and exit 2 (9 cases)"

# vg_check STATUS CMD...: CMD under valgrind (memcheck) exits STATUS, the
# status lagwlcctl has without valgrind, and valgrind's own verdict, in its
# log, is "0 errors" (definite and indirect leaks count as errors). A missing
# valgrind, a crash or any finding fails.
vg_check() {
	local want=$1 rc verdict
	shift
	rm -f /tmp/vg.log
	onq director "${VG[@]}" --log-file=/tmp/vg.log "$@" </dev/null >/tmp/vg.out 2>&1
	rc=$?
	verdict=$(grep -hoE "ERROR SUMMARY: [0-9]+ errors from [0-9]+ contexts" /tmp/vg.log 2>/dev/null)
	diag "valgrind $*: exit $rc (expected $want), ${verdict:-no verdict: valgrind did not run to the end}"
	if [ $rc -eq "$want" ] && [ "$verdict" = "ERROR SUMMARY: 0 errors from 0 contexts" ]; then
		return 0
	fi
	sed 's/^/# output: /' /tmp/vg.out
	sed 's/^/# valgrind: /' /tmp/vg.log 2>/dev/null
	return 1
}

command -v valgrind >/dev/null || diag "valgrind is not installed (scripts/install-deps)"
while read -r want cmd; do
	# shellcheck disable=SC2086
	vg_check "$want" "$CTL" $cmd
	ktap_result $? "valgrind: lagwlcctl $cmd is clean, exit $want"
done <<'EOF_VG'
0 show
0 -j show
0 set 198.18.0.11:3306 lag 10 [2001:db8::1]:3306 lag 20
0 show [2001:db8::1]:3306
0 del [2001:db8::1]:3306
1 del 198.18.0.200:1
EOF_VG

# entries: the table's entries, one a line, as the kernel dumps them
# (lib/genl.py, not lagwlcctl: the command under test does not judge itself)
entries() { onq director python3 "$LAB_TOP/tests/vm/lib/genl.py" dump; }
before=$(entries)
rc_before=$?
on director "$CTL" flush
rc=$?
after=$(entries)
rc_after=$?
onq director "$CTL" -j show >/tmp/show.json
json=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["replicas"]))' /tmp/show.json)
diag "flush: exit $rc; entries before $(grep -c . <<<"$before") (dump exit $rc_before), after $(grep -c . <<<"$after") (dump exit $rc_after), lagwlcctl -j show lists ${json:-?}"
[ $rc -eq 0 ] && [ $rc_before -eq 0 ] && [ "$(grep -c . <<<"$before")" -ge 3 ] &&
	[ $rc_after -eq 0 ] && [ -z "$after" ] && [ "$json" = 0 ]
ktap_result $? "flush empties the table: entries before, none after (dump and show -j)"
ktap_exit
