#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The scheduler module's life cycle in the lab VM: it loads after ip_vs,
# registers "lagwlc" with IPVS, serves a service, cannot be removed while a
# service uses it, can be removed after, and survives 100 load/unload cycles
# with no kernel warning. No network topology: services on the guest's
# loopback are enough to bind and unbind the scheduler.
#
#   guest (root netns)
#     ip_vs + ip_vs_lagwlc
#     TCP 198.18.0.100:3306  lagwlc  -> 198.18.0.11:3306 (never contacted)
set -u
. "$(dirname "$0")/lib/lab.sh"
lab_boot_self "$@"

VS=$LAB_VIP:3306
ktap_plan 9

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

fails=0
for i in $(seq 1 100); do
	{ insmod "$LAB_MODULE" &&
	  ipvsadm -A -t "$VS" -s lagwlc &&
	  ipvsadm -a -t "$VS" -r 198.18.0.1$((i % 4)):3306 -g -w $((i % 3)) &&
	  ipvsadm -D -t "$VS" &&
	  rmmod ip_vs_lagwlc; } >/dev/null 2>&1 || fails=$((fails + 1))
done
diag "load, use and unload cycles failed: $fails of 100"
[ $fails -eq 0 ] && ! lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "100 load/use/unload cycles all succeed"

dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection|refcount_t:|list_del corruption' |
	sed 's/^/# /' | grep . && bad=1 || bad=0
ktap_result $bad "no warning in the kernel log after the cycles"

ktap_exit
