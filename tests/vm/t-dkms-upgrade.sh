#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS across a kernel upgrade, on trixie (its archive carries more than one
# 6.12 ABI; scripts/lab-kernels installs the headers of the newest one and
# of the one before, and keeps the newest headers' .debs). In the trixie
# chroot:
#
#   1  the newest kernel's headers are removed (dpkg -r), so only the older
#      kernel's are there: the machine before the upgrade;
#      make dkms-install KVER=<older> installs lagwlc for that kernel only
#   2  dpkg -i of the newest kernel's headers packages (the upgrade): their
#      postinst hook runs DKMS, which builds and installs lagwlc for the new
#      kernel on its own (AUTOINSTALL="yes" in dkms.conf)
#   then a guest boots the new kernel (host's userland, as after the
#   reboot into it):
#   3  the module is under /lib/modules/<new>/updates/dkms
#   4  it is built from the checkout's sources (srcversion)
#   5  ipvsadm -A ... -s lagwlc autoloads it, no modprobe
#
# lagwlc is removed from DKMS again afterwards, and the newest headers are
# reinstalled on every path.
set -u
. "$(dirname "$0")/lib/lab.sh"

suite=trixie
if [ -z "${LAGWLC_VM:-}" ]; then
	kl=$LAB_TOP/scripts/lab-kernels
	fail() {
		echo "1..1"
		echo "not ok 1 - ${new:+[$new] }$*"
		exit 1
	}
	[ "$(id -u)" = 0 ] || fail "DKMS in the $suite chroot needs root (run make check as root)"
	new=$("$kl" list $suite) || fail "the $suite kernel is not set up: scripts/lab-kernels setup $suite"
	chroot=$("$kl" chroot $suite) || fail "no $suite chroot"
	in=("$kl" exec "$suite" --)
	debs=/var/cache/lagwlc-debs
	old=$(cat "$chroot$debs/old-kver" 2>/dev/null)
	[ -n "$old" ] && [ -d "$chroot/usr/lib/modules/$old/build" ] ||
		fail "no older kernel's headers in the $suite chroot ($debs/old-kver); rerun scripts/lab-kernels setup $suite"
	ls "$chroot$debs/$new"/*.deb >/dev/null 2>&1 ||
		fail "no saved .debs of linux-headers-$new in the $suite chroot; rerun scripts/lab-kernels setup $suite"
	echo "# [$suite] upgrade from $old to $new"
	log=/tmp/lagwlc-dkms-upgrade.log
	: >"$log"

	reinstall_new() {
		"${in[@]}" sh -c "dpkg -i $debs/$new/*.deb" >>"$log" 2>&1
	}
	# shellcheck disable=SC2317 # the EXIT trap runs it
	cleanup() {
		"${in[@]}" make -s -C "$LAB_TOP" dkms-uninstall >>"$log" 2>&1
		"${in[@]}" dpkg -s "linux-headers-$new" >/dev/null 2>&1 || reinstall_new
	}
	trap cleanup EXIT

	# 1: before the upgrade
	"${in[@]}" make -s -C "$LAB_TOP" dkms-uninstall >>"$log" 2>&1
	"${in[@]}" dpkg -r linux-headers-amd64 "linux-headers-$new" >>"$log" 2>&1 &&
		[ ! -e "$chroot/usr/lib/modules/$new/build" ] &&
		"${in[@]}" make -s -C "$LAB_TOP" dkms-install KVER="$old" >>"$log" 2>&1 &&
		"${in[@]}" dkms status lagwlc -k "$old" | grep -q installed &&
		! "${in[@]}" dkms status lagwlc -k "$new" | grep -q installed
	r1=$?
	"${in[@]}" dkms status lagwlc >>"$log" 2>&1

	# 2: the upgrade: nothing but the new headers' packages
	r2=1
	if [ $r1 = 0 ]; then
		echo "# [$suite] dpkg -i $debs/$new/*.deb"
		reinstall_new
		"${in[@]}" dkms status lagwlc | tee -a "$log" | sed 's/^/# dkms status: /'
		"${in[@]}" dkms status lagwlc -k "$new" | grep -q installed
		r2=$?
	fi
	if [ $r1 != 0 ] || [ $r2 != 0 ]; then
		sed 's/^/# /' "$log"
		echo "1..2"
		[ $r1 = 0 ] && echo "ok 1 - [$new] DKMS-installed for $old only (before the upgrade)" ||
			echo "not ok 1 - [$new] DKMS-installed for $old only (before the upgrade)"
		echo "not ok 2 - [$new] installing linux-headers-$new builds and installs lagwlc for it (AUTOINSTALL)"
		exit 1
	fi
	"$LAB_TOP/tests/vm/run" --kernel "$new" --timeout 300 -- "$(realpath "$0")" "$old"
	exit $?
fi

old=$1
new=$(uname -r)
ktap_plan 5
# steps 1 and 2 passed on the host, or the guest would not have booted
ktap_result 0 "[$new] DKMS-installed for $old only (before the upgrade)"
ktap_result 0 "[$new] installing linux-headers-$new builds and installs lagwlc for it (AUTOINSTALL)"

lab_installed_module_points "[$new] the module"
ktap_exit
