#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages (debian/, issue 16), on the host and in a guest:
#
#   host:  dpkg-buildpackage -us -uc -b in a clean copy of the tree (git
#          archive of the work tree's tracked files, never in the checkout);
#          lintian; apt-get install ./lagwlc*.deb: DKMS builds the module
#          for the lab kernel; the user, /etc/lagwlc, the unit (enabled, not
#          started, conditioned on the option file), lagwlcd -t on the
#          packaged configuration
#   guest: booted on the lab kernel, sees the host's /lib/modules: the
#          packaged module is the one in updates/dkms and ipvsadm -s lagwlc
#          autoloads it
#   host:  apt-get purge: nothing of lagwlc is left
#
# DKMS builds for every kernel in /lib/modules with headers. On the lab host
# /lib/modules also links other releases' kernels (scripts/lab-kernels'
# chroots, scripts/debug-kernel's), whose headers need their own toolchain
# and whose trees belong to those tools: install and purge run in a private
# mount namespace whose /lib/modules holds the lab kernel's directory only
# (the real one, bind-mounted), so DKMS sees the lab kernel alone.
#
# The host's DKMS state is left as found: the test refuses to start when
# lagwlc is already in DKMS or /usr/src (make dkms-install, which
# tests/vm/t-autoload.sh removes again afterwards), and its EXIT trap purges
# the packages and whatever DKMS state they left on every path.
set -u
. "$(dirname "$0")/lib/lab.sh"

GUEST_POINTS=3

if [ -n "${LAGWLC_VM:-}" ]; then
	# the guest: $1 is the number of the host's points before these
	KTAP_N=$1
	lab_installed_module_points "the packaged module"
	ktap_exit
fi

# ---- host ----------------------------------------------------------------

kver=${LAGWLC_KVER:-$("$LAB_TOP/scripts/lab-kver")} || exit 1
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$LAB_TOP/dkms.conf")
ktap_plan $((11 + GUEST_POINTS))
if [ "$(id -u)" != 0 ]; then
	ktap_result 1 "installing packages and DKMS need root (run make check as root)"
	exit 1
fi

work=$(mktemp -d /tmp/lagwlc-deb.XXXXXX)
chmod 0755 "$work"	# apt reads the .debs as _apt
log=$work/log
touched=	# set once dpkg may have changed something

# run CMD... with /lib/modules holding the lab kernel's directory only
lab_modules_only() {
	# shellcheck disable=SC2016 # the inner shell expands them
	unshare -m --propagation private sh -ec '
		k=$1 mnt=$2
		shift 2
		mkdir -p "$mnt"
		mount --bind "/lib/modules/$k" "$mnt"
		mount -t tmpfs -o mode=0755 lagwlc-modules /lib/modules
		mkdir "/lib/modules/$k"
		mount --move "$mnt" "/lib/modules/$k"
		exec "$@"' sh "$kver" "$work/modules" "$@"
}

leftovers() {	# what of lagwlc is on the host, one a line
	local f
	for f in /usr/src/lagwlc-* /lib/modules/*/updates/dkms/ip_vs_lagwlc.ko* \
		/var/lib/dkms/lagwlc /etc/lagwlc /etc/modprobe.d/lagwlc.conf \
		/etc/systemd/system/*.wants/lagwlcd.service \
		/var/lib/systemd/deb-systemd-helper-enabled/lagwlcd.service \
		/var/lib/systemd/deb-systemd-helper-enabled/*.wants/lagwlcd.service; do
		[ -e "$f" ] || [ -L "$f" ] && echo "$f"
	done
	getent passwd lagwlcd >/dev/null && echo "user lagwlcd"
	getent group lagwlcd >/dev/null && echo "group lagwlcd"
	dkms status lagwlc 2>/dev/null | sed 's/^/dkms status: /'
	dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' lagwlc lagwlc-dkms 2>/dev/null |
		grep -v '^un' | sed 's/^/dpkg: /'
}

# shellcheck disable=SC2317 # the EXIT trap runs it
cleanup() {
	if [ -n "$touched" ]; then
		rm -f /etc/lagwlc/client.cnf
		# a no-op for packages not installed
		lab_modules_only env DEBIAN_FRONTEND=noninteractive \
			apt-get purge -y -q lagwlc lagwlc-dkms >>"$log" 2>&1
		if dkms status lagwlc 2>/dev/null | grep -q .; then
			dkms remove "lagwlc/$version" --all >>"$log" 2>&1
		fi
		rm -rf "/usr/src/lagwlc-$version"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# 1: the host as t-autoload.sh and make dkms-uninstall leave it
before=$(leftovers)
[ -z "$before" ]
ktap_result $? "lagwlc is not on the host before the test (no package, DKMS module, /usr/src, user)"
if [ -n "$before" ]; then
	printf '%s\n' "$before" | sed 's/^/#   /'
	diag "remove it first (make dkms-uninstall; apt-get purge lagwlc lagwlc-dkms): the test would remove it"
	exit 1
fi

# 2: build from a clean copy: the tracked files of the work tree as they are
src=$work/src/lagwlc
mkdir -p "$src"
start=$SECONDS
stash=$(git -C "$LAB_TOP" stash create 2>/dev/null)
if git -C "$LAB_TOP" archive "${stash:-HEAD}" | tar -x -C "$src" &&
	(cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	rc=0
else
	rc=1
	tail -n 30 "$work/build.log" | sed 's/^/# /'
fi
changes=$(ls "$work"/src/lagwlc_*.changes 2>/dev/null)
debs=("$work"/src/lagwlc_*.deb "$work"/src/lagwlc-dkms_*.deb)
diag "dpkg-buildpackage: status $rc in $((SECONDS - start)) s: $(cd "$work/src" && echo ./*.deb)"
[ $rc = 0 ] && [ -n "$changes" ] && [ -f "${debs[0]}" ] && [ -f "${debs[1]}" ]
ktap_result $? "dpkg-buildpackage -us -uc -b in a clean copy of the tree builds lagwlc and lagwlc-dkms"

# 3: lintian
out=$(lintian --fail-on error,warning "$changes" 2>&1)
rc=$?
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# lintian: /'
[ -n "$changes" ] && [ $rc = 0 ]
ktap_result $? "lintian: no error, no warning ($(lintian --version 2>/dev/null))"

# 4: one version: dkms.conf's
v1=$(dpkg-deb -f "${debs[0]}" Version 2>/dev/null)
v2=$(dpkg-deb -f "${debs[1]}" Version 2>/dev/null)
diag "dkms.conf $version, lagwlc $v1, lagwlc-dkms $v2"
[ -n "$version" ] && [ "${v1%-*}" = "$version" ] && [ "$v2" = "$v1" ] &&
	dpkg-deb -c "${debs[1]}" | grep " ./usr/src/lagwlc-$version/dkms.conf$" >/dev/null
ktap_result $? "the packages' version is dkms.conf's PACKAGE_VERSION, and lagwlc-dkms ships /usr/src/lagwlc-$version"

# 5: install
touched=1
start=$SECONDS
lab_modules_only env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${debs[@]}" >"$work/install.log" 2>&1
rc=$?
grep -iE 'dkms|Building|Installing|error' "$work/install.log" | sed 's/^/# /'
[ $rc = 0 ] || tail -n 20 "$work/install.log" | sed 's/^/# /'
diag "apt-get install: status $rc in $((SECONDS - start)) s"
[ $rc = 0 ] && dpkg-query -W -f '${db:Status-Abbrev}\n' lagwlc lagwlc-dkms 2>/dev/null |
	grep -c '^ii' | grep -qx 2
installed=$?
ktap_result $installed "apt-get install ./lagwlc_*.deb ./lagwlc-dkms_*.deb"

# 6: DKMS built and installed it for the lab kernel
dkms status lagwlc | sed 's/^/# dkms status: /'
ko=/lib/modules/$kver/updates/dkms/ip_vs_lagwlc.ko
dkms status "lagwlc/$version" -k "$kver" | grep -q ': installed' &&
	[ -f "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$kver " &&
	dpkg -S "/usr/src/lagwlc-$version/dkms.conf" 2>/dev/null | grep -q '^lagwlc-dkms:'
ktap_result $? "DKMS built and installed lagwlc/$version for $kver: $ko"

# 7: the user, /etc/lagwlc, the conffiles
uid=$(getent passwd lagwlcd | cut -d: -f3)
diag "lagwlcd: $(getent passwd lagwlcd); /etc/lagwlc: $(stat -c '%U:%G %a' /etc/lagwlc 2>&1)"
dpkg-query -W -f '${Conffiles}\n' lagwlc 2>/dev/null | sed '/^$/d; s/^ */# conffile: /'
[ -n "$uid" ] && [ "$uid" -lt 1000 ] &&
	[ "$(stat -c '%U:%G' /etc/lagwlc)" = root:root ] &&
	[ $((0$(stat -c '%a' /etc/lagwlc) & 022)) = 0 ] &&
	dpkg-query -W -f '${Conffiles}\n' lagwlc | grep -q '^ /etc/lagwlc/lagwlcd.conf ' &&
	[ "$(dpkg -L lagwlc | grep -cE '^/usr/share/bash-completion/completions/(lagwlcctl|lagwlcd)$')" = 2 ]
ktap_result $? "system user lagwlcd; /etc/lagwlc root's, writable by no one else; lagwlcd.conf a conffile; bash completion for lagwlcctl and lagwlcd"

# 8: enabled, not started, conditioned on the option file
unit=$(dpkg -L lagwlc | grep '/systemd/system/lagwlcd.service$')
link=/etc/systemd/system/multi-user.target.wants/lagwlcd.service
# (systemctl --root: offline, from the unit files; no systemd runs here)
diag "$link -> $(readlink "$link"); systemctl is-enabled: $(systemctl --root=/ is-enabled lagwlcd.service 2>&1)"
[ -n "$unit" ] && [ "$(readlink "$link")" = "$unit" ] &&
	[ "$(systemctl --root=/ is-enabled lagwlcd.service 2>&1)" = enabled ] &&
	! grep -E 'deb-systemd-invoke.*(start|restart)' /var/lib/dpkg/info/lagwlc.postinst &&
	grep -qx 'ConditionPathExists=/etc/lagwlc/client.cnf' "$unit.d/debian.conf"
ktap_result $? "lagwlcd.service enabled, not started by the postinst, ConditionPathExists=/etc/lagwlc/client.cnf"

# 9: lagwlcd -t on the packaged configuration: refused until the option
# file exists, accepted with it, as the unit's ExecStartPre runs it
out1=$(/usr/sbin/lagwlcd -t 2>&1)
rc1=$?
diag "without client.cnf: status $rc1: $out1"
printf '[client]\nuser = lagwlc_probe\npassword = secret\n' >"$work/client.cnf"
install -m 0600 -o lagwlcd -g lagwlcd "$work/client.cnf" /etc/lagwlc/client.cnf
out=$(runuser -u lagwlcd -- /usr/sbin/lagwlcd -t 2>&1)
rc2=$?
diag "with client.cnf (lagwlcd's, 0600), as lagwlcd: status $rc2${out:+: $out}"
rm -f /etc/lagwlc/client.cnf
[ $rc1 != 0 ] && [[ $out1 == *"option_file /etc/lagwlc/client.cnf"* ]] && [ $rc2 = 0 ]
ktap_result $? "lagwlcd -t on /etc/lagwlc/lagwlcd.conf: refused without the option file, accepted with it (as lagwlcd)"

# 10..: the guest
if [ $installed = 0 ]; then
	"$LAB_TOP/tests/vm/run" --kernel "$kver" --timeout "${LAGWLC_VM_TIMEOUT:-300}" \
		-- "$(realpath "$0")" "$KTAP_N" || KTAP_FAILED=$((KTAP_FAILED + 1))
else
	echo "not ok $((KTAP_N + 1)) - the guest on $kver: not booted, the packages are not installed"
	KTAP_FAILED=$((KTAP_FAILED + 1))
fi
KTAP_N=$((KTAP_N + GUEST_POINTS))

# purge
start=$SECONDS
lab_modules_only env DEBIAN_FRONTEND=noninteractive \
	apt-get purge -y -q lagwlc lagwlc-dkms >"$work/purge.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 "$work/purge.log" | sed 's/^/# /'
diag "apt-get purge: status $rc in $((SECONDS - start)) s"
[ $rc = 0 ]
ktap_result $? "apt-get purge lagwlc lagwlc-dkms"

left=$(leftovers)
[ -n "$left" ] && printf '%s\n' "$left" | sed 's/^/# left: /'
[ -z "$left" ]
ktap_result $? "nothing left after the purge: /usr/src, updates/dkms, /var/lib/dkms, /etc/lagwlc, the unit's links, the user"
ktap_exit
