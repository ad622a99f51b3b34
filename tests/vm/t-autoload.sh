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

ktap_plan 4

lab_installed_module_points "the DKMS-installed module"

rmmod ip_vs_lagwlc
# a generic netlink lookup of family "lagwlc" makes the kernel ask for
# net-pf-16-proto-16-family-lagwlc: MODULE_ALIAS_GENL_FAMILY answers it
out=$("$LAB_TOP/userspace/lagwlcctl/lagwlcctl" show 2>&1)
rc=$?
diag "lagwlcctl show with the module unloaded: rc $rc"
[ $rc -eq 0 ] && lsmod | grep -qw ip_vs_lagwlc
ktap_result $? "a lookup of the lagwlc netlink family autoloads the module (lagwlcctl show)"
ktap_exit
