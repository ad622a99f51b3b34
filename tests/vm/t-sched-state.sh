#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lagwlc's per-service state (issue 11): each lagwlc service keeps a copy
# of its destinations' views, which the lag table updates when entries
# change. Each case checks, with real connections, that a service sees the
# right view whatever the order of events, and the kernel log stays clean
# through namespace deletion and module unload (the runner fails a run on
# any warning, KASAN or list corruption report).
#
#   client 198.18.0.1 --> director 198.18.0.2, VIP 198.18.0.100 --> r1 198.18.0.11
#                         (and VIP2 198.18.0.101)                --> r2 198.18.0.12
#                                                                --> r3 198.18.0.13
#
# The signal is r3 reported "down": a service that sees it gets no
# connection on r3; one that does not (no entry, or wlc) gives r3 its share.
set -u
LAB_VM_ARGS=(--timeout 1200)
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
CTL=$LAB_TOP/userspace/lagwlcctl/lagwlcctl
VIP2=198.18.0.101
ktap_plan 14

lab_load_module || { echo "Bail out! cannot load the module"; exit 1; }
lab_setup dr 3
lab_realservers 3306 3307 3308 || { echo "Bail out! real servers"; exit 1; }
on director ipvsadm --set 3600 3600 300
echo 600000 >$P/stale_ms	# one-shot reports must not age
onq director ip addr add "$VIP2/32" dev eth0
for entry in "${LAB_REALS[@]}"; do
	onq "${entry%% *}" ip addr add "$VIP2/32" dev lo
done

service() { lab_dr_service "$@"; }	# service VIP PORT [SCHED]: r1..r3, weight 1

# share VIP PORT N: open and end N connections; print "r1 r2 r3 refused"
share() { lab_dr_share "$@"; }

# sees_down DESC VIP PORT: r3 gets none of 12 connections, r1 and r2 all
sees_down() {
	local n1 n2 n3 nr
	read -r n1 n2 n3 nr < <(share "$2" "$3" 12)
	diag "$2:$3: r1 $n1, r2 $n2, r3 $n3, refused $nr"
	[ "$n3" -eq 0 ] && [ $((n1 + n2)) -eq 12 ]
	ktap_result $? "$1"
}

# sees_up DESC VIP PORT: r3 is chosen among the 12 (how often depends on
# the connections earlier cases left on each real server: wlc counts them)
sees_up() {
	local n1 n2 n3 nr
	read -r n1 n2 n3 nr < <(share "$2" "$3" 12)
	diag "$2:$3: r1 $n1, r2 $n2, r3 $n3, refused $nr"
	[ "$n3" -gt 0 ] && [ $((n1 + n2 + n3)) -eq 12 ]
	ktap_result $? "$1"
}

# 1. an entry before the destination exists
on director "$CTL" set 198.18.0.13:3306 down
service "$LAB_VIP" 3306
sees_down "entry before the destination: the new service sees it" "$LAB_VIP" 3306

# 2. the destination before the entry
service "$LAB_VIP" 3307
sees_up "destination with no entry: plain wlc" "$LAB_VIP" 3307
on director "$CTL" set 198.18.0.13:3307 down
sees_down "entry added after the destination: the service sees it" "$LAB_VIP" 3307
on director "$CTL" set 198.18.0.13:3307 lag 0 up
sees_up "the entry's view changes (down -> up): the service follows" "$LAB_VIP" 3307

# 3. one real server in two services of one namespace
service "$VIP2" 3306
sees_down "the same real server in a second service sees the same entry" "$VIP2" 3306

# ... and in another namespace: entries there do not leak here, and back
ip netns add d2
LAB_NS+=(d2)
ip -n d2 link set lo up
onq d2 ipvsadm -A -t "$LAB_VIP:3307" -s lagwlc
for entry in "${LAB_REALS[@]}"; do
	onq d2 ipvsadm -a -t "$LAB_VIP:3307" -r "${entry#* }:3307" -g -w 1
done
onq d2 "$CTL" set 198.18.0.13:3307 down 198.18.0.12:3307 lag 100
onq d2 "$CTL" show | sed 's/^/# d2: /'
sees_up "an entry for the same real server in another namespace does not reach this one" "$LAB_VIP" 3307

# 4. the destination removed while its entry stays, then added back
on director "$CTL" set 198.18.0.13:3307 down
on director ipvsadm -d -t "$LAB_VIP:3307" -r 198.18.0.13:3307
read -r n1 n2 n3 nr < <(share "$LAB_VIP" 3307 10)
diag "r3 removed from $LAB_VIP:3307: r1 $n1, r2 $n2, r3 $n3, refused $nr"
[ "$n3" -eq 0 ] && [ $((n1 + n2)) -eq 10 ] &&
	onq director "$CTL" show | grep -q '198.18.0.13:3307'
ktap_result $? "destination removed: the service goes on, its entry stays"
on director ipvsadm -a -t "$LAB_VIP:3307" -r 198.18.0.13:3307 -g -w 1
sees_down "destination added back: it sees its entry again" "$LAB_VIP" 3307

# 5. the entry deleted while the destination stays
on director "$CTL" del 198.18.0.13:3307
sees_up "entry deleted: the destination is plain wlc again" "$LAB_VIP" 3307

# 6. switching a service with entries to wlc and back
on director ipvsadm -E -t "$LAB_VIP:3306" -s wlc
sees_up "service switched to wlc: the entry no longer counts" "$LAB_VIP" 3306
on director ipvsadm -E -t "$LAB_VIP:3306" -s lagwlc
sees_down "switched back to lagwlc (destinations already there): it sees the entry" "$LAB_VIP" 3306

# 7. a namespace deleted with lagwlc services and entries in it
ip netns del d2
sleep 2	# cleanup_net runs from a work queue
ip netns add d3
ip -n d3 link set lo up
onq d3 ipvsadm -A -t "$LAB_VIP:3306" -s lagwlc
onq d3 ipvsadm -a -t "$LAB_VIP:3306" -r 198.18.0.11:3306 -g -w 1
onq d3 "$CTL" set 198.18.0.11:3306 down
ip netns del d3
sleep 2
sees_down "namespaces deleted with services and entries: this one unchanged" "$LAB_VIP" 3306

# 8. unload after all of it
on director ipvsadm -C
on director "$CTL" flush
lsmod | grep -w ip_vs_lagwlc | sed 's/^/# /'
rmmod ip_vs_lagwlc
ktap_result $? "rmmod after services, namespaces and entries came and went"
! lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "the module is gone"

ktap_exit
