#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS install and module autoload. On the host, the module is installed
# through DKMS for the lab kernel (make dkms-install, into
# /lib/modules/KVER/updates/dkms); the guest shares the host's root, so its
# modprobe finds it there. In the guest nothing loads the module by hand:
# ipvsadm asks for scheduler "lagwlc", IPVS calls request_module("ip_vs_lagwlc")
# and the kernel's modprobe loads it. Unloaded again, it comes back when
# lagwlcctl looks its generic netlink family up.
#
#   host:  make dkms-install KVER=<lab kernel>   (removed again afterwards
#          unless it was installed before the test; for another Debian
#          release's kernel, in its chroot: scripts/lab-kernels exec)
#   guest: ipvsadm -A -t 198.18.0.100:3306 -s lagwlc  ->  ip_vs_lagwlc loaded
set -u
. "$(dirname "$0")/lib/lab.sh"

if [ -z "${LAGWLC_VM:-}" ]; then
	kver=${LAGWLC_KVER:-$("$LAB_TOP/scripts/lab-kver")} || exit 1
	if [ "$(id -u)" != 0 ]; then
		echo "1..1"
		echo "not ok 1 - DKMS install needs root (run make check as root)"
		exit 1
	fi
	# Another Debian release's kernel (scripts/lab-kernels): DKMS runs in
	# its chroot, whose /lib/modules/KVER the host links to.
	where=host in=()
	if chroot=$("$LAB_TOP/scripts/lab-kernels" chroot "$kver" 2>/dev/null); then
		where="chroot ${chroot##*/}" in=("$LAB_TOP/scripts/lab-kernels" exec "$kver" --)
	fi
	had_dkms=$("${in[@]}" dkms status lagwlc -k "$kver" 2>/dev/null | grep -c installed)
	echo "# [$where] make dkms-install KVER=$kver"
	if ! "${in[@]}" make -s -C "$LAB_TOP" dkms-install KVER="$kver" >/tmp/lagwlc-dkms.log 2>&1; then
		echo "1..1"
		echo "not ok 1 - make dkms-install KVER=$kver"
		sed 's/^/# /' /tmp/lagwlc-dkms.log
		exit 1
	fi
	"$LAB_TOP/tests/vm/run" --kernel "$kver" --timeout 300 -- "$(realpath "$0")"
	rc=$?
	if [ "$had_dkms" = 0 ]; then
		echo "# [$where] make dkms-uninstall"
		"${in[@]}" make -s -C "$LAB_TOP" dkms-uninstall >/dev/null 2>&1
	fi
	exit $rc
fi

VS=$LAB_VIP:3306
ktap_plan 6

modinfo -n ip_vs_lagwlc | sed 's/^/# modinfo -n: /'
modinfo -n ip_vs_lagwlc | grep -q "/lib/modules/$(uname -r)/updates/dkms/ip_vs_lagwlc.ko"
ktap_result $? "DKMS put the module under /lib/modules/$(uname -r)/updates/dkms"

installed=$(modinfo -F srcversion ip_vs_lagwlc)
built=$(modinfo -F srcversion "$LAB_MODULE" 2>/dev/null)
diag "srcversion installed $installed, built in the checkout ${built:-(none)}"
[ -n "$installed" ] && [ "$installed" = "$built" ]
ktap_result $? "the installed module comes from the same sources as the checkout's"

! lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "the module is not loaded before ipvsadm asks for it"

ktap_check "ipvsadm -A -t $VS -s lagwlc succeeds with no explicit modprobe" \
	ipvsadm -A -t "$VS" -s lagwlc

lsmod | grep -E '^ip_vs' | sed 's/^/# /'
lsmod | grep -qw ip_vs_lagwlc && ipvsadm -Ln | grep -qE "^TCP +$VS +lagwlc"
ktap_result $? "ip_vs_lagwlc was autoloaded and the service runs lagwlc"

ipvsadm -C
rmmod ip_vs_lagwlc
# a generic netlink lookup of family "lagwlc" makes the kernel ask for
# net-pf-16-proto-16-family-lagwlc: MODULE_ALIAS_GENL_FAMILY answers it
out=$("$LAB_TOP/userspace/lagwlcctl/lagwlcctl" show 2>&1)
rc=$?
diag "lagwlcctl show with the module unloaded: rc $rc"
[ $rc -eq 0 ] && lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "a lookup of the lagwlc netlink family autoloads the module (lagwlcctl show)"
ktap_exit
