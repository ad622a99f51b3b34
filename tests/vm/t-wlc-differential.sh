#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Differential test against stock wlc. With no lag known, lagwlc must choose
# exactly as wlc does. Three services on one VIP share four real servers:
#
#   198.18.0.100:3306 wlc      (the reference)
#   198.18.0.100:3307 lagwlc   (under test)
#   198.18.0.100:3308 rr       (a control: proves the sequence tells
#                               schedulers apart, so the test can fail)
#
# conndriver.py drives one seeded sequence of connections, held open or
# ended (active and inactive counts that differ per server), weight changes
# among 0, 1, 3 and 65535, upper thresholds (OVERLOAD) and a stretch with
# every weight 0 (no destination available), through each service in turn.
# The driver reads the director's counters before each connection, so the
# test also asserts that the OVERLOAD branch ran: connections were made
# while a weighted real server stood at or over its upper threshold, and
# none went to it, under wlc and lagwlc alike.
# Run in LVS-DR and in LVS-NAT; see lib/lab.sh for both topologies:
#
#   client 198.18.0.1 --> director 198.18.0.2 (VIP) --> r1..r4 (weights 1,3,65535,0)
set -u
LAB_VM_ARGS=(--timeout 1200)
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

STEPS=${LAGWLC_DIFF_STEPS:-240}
SEED=${LAGWLC_DIFF_SEED:-20261126}
WEIGHTS=(1 3 65535 0)
ktap_plan 12

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }

seq_of() {	# seq_of FILE SERVICE
	sed -n "s/^SEQ $2 //p" "$1"
}

# conns_of SERVICE_PORT: "real active inactive" per real server, sorted
conns_of() {
	onq director ipvsadm -Ln -t "$LAB_VIP:$1" |
		awk '$1 == "->" && $5 ~ /^[0-9]+$/ { print $2, $5, $6 }' | sort
}

for mode in dr nat; do
	method=-g
	[ "$mode" = nat ] && method=-m
	lab_setup "$mode" 4
	lab_realservers 3306 3307 3308 || { echo "Bail out! real servers"; exit 1; }
	# long FIN_WAIT/ESTABLISHED timeouts: no entry may expire mid-run
	on director ipvsadm --set 3600 3600 300
	for svc in 3306:wlc 3307:lagwlc 3308:rr; do
		on director ipvsadm -A -t "$LAB_VIP:${svc%%:*}" -s "${svc#*:}"
		i=0
		for entry in "${LAB_REALS[@]}"; do
			onq director ipvsadm -a -t "$LAB_VIP:${svc%%:*}" \
				-r "${entry#* }:${svc%%:*}" $method -w "${WEIGHTS[$i]}"
			i=$((i + 1))
		done
	done
	on director ipvsadm -Ln | sed 's/^/# /'

	reals=()
	for entry in "${LAB_REALS[@]}"; do
		reals+=(--real "${entry% *}=${entry#* }")
	done
	out=/tmp/diff-$mode.out
	start=$SECONDS
	on client python3 "$LAB_TOP/tests/vm/lib/conndriver.py" \
		--fwd "$mode" --seed "$SEED" --steps "$STEPS" \
		--weights "$(IFS=,; echo "${WEIGHTS[*]}")" \
		--svc wlc=$LAB_VIP:3306 --svc lagwlc=$LAB_VIP:3307 --svc rr=$LAB_VIP:3308 \
		"${reals[@]}" --overload --log "/tmp/diff-$mode.log" >"$out" 2>&1
	rc=$?
	diag "$mode: driver exited $rc after $((SECONDS - start)) s"
	ktap_result $rc "$mode: the driver ran the whole sequence"
	[ $rc -ne 0 ] && sed 's/^/# /' "$out"

	wlc=$(seq_of "$out" wlc)
	lag=$(seq_of "$out" lagwlc)
	rr=$(seq_of "$out" rr)
	n=$(echo "$wlc" | wc -w)
	diag "$mode: wlc    chose: $(echo "$wlc" | tr ' ' '\n' | sort | uniq -c | tr -s ' \n' ' ')"
	diag "$mode: lagwlc chose: $(echo "$lag" | tr ' ' '\n' | sort | uniq -c | tr -s ' \n' ' ')"
	diag "$mode: rr     chose: $(echo "$rr" | tr ' ' '\n' | sort | uniq -c | tr -s ' \n' ' ')"

	if [ "$n" -gt 0 ] && [ "$wlc" = "$lag" ]; then
		ktap_result 0 "$mode: lagwlc chose the same real server as wlc for all $n connections"
	else
		paste <(echo "$wlc" | tr ' ' '\n') <(echo "$lag" | tr ' ' '\n') |
			awk '$1 != $2 { print "# first difference at connection " NR ": wlc " $1 ", lagwlc " $2; exit }'
		ktap_result 1 "$mode: lagwlc chose the same real server as wlc for all $n connections"
	fi

	# the sequence must be able to tell schedulers apart, or the test proves nothing
	distinct=$(echo "$wlc" | tr ' ' '\n' | grep -v none | sort -u | wc -l)
	nones=$(echo "$wlc" | tr ' ' '\n' | grep -c none)
	[ "$wlc" != "$rr" ] && [ "$distinct" -ge 3 ] && [ "$nones" -ge 1 ]
	ktap_result $? "$mode: the sequence discriminates (rr differs; $distinct servers and $nones refusals seen)"

	# OVERLOAD NAME OVER INTO: connections made while a real server of
	# weight > 0 was at or over its threshold, and how many went to it
	read -r _ _ wover winto < <(grep '^OVERLOAD wlc ' "$out")
	read -r _ _ lover linto < <(grep '^OVERLOAD lagwlc ' "$out")
	diag "$mode: connections made with a server over its threshold: wlc ${wover:-?} (${winto:-?} to it), lagwlc ${lover:-?} (${linto:-?} to it)"
	grep ' (over threshold: ' "/tmp/diff-$mode.log" | sed -n '1p;$p' | sed 's/^/#   /'
	[ "${wover:-0}" -ge 1 ] && [ "${winto:-1}" -eq 0 ] &&
		[ "${lover:-0}" -ge 1 ] && [ "${linto:-1}" -eq 0 ]
	ktap_result $? "$mode: the upper threshold was reached (OVERLOAD): no new connection to the server while over"

	wlc_conns=$(conns_of 3306 | sed 's/:3306//')
	lag_conns=$(conns_of 3307 | sed 's/:3307//')
	diag "$mode: wlc active/inactive per server: $(echo $wlc_conns)"
	diag "$mode: lagwlc active/inactive per server: $(echo $lag_conns)"
	[ -n "$wlc_conns" ] && [ "$wlc_conns" = "$lag_conns" ]
	ktap_result $? "$mode: per-server active and inactive counts end equal"

	dmesg | grep -q "lagwlc: TCP $LAB_VIP:3307 - no destination available"
	ktap_result $? "$mode: with every weight 0 lagwlc reports 'no destination available'"
	dmesg -C
	lab_teardown
done

ktap_exit
