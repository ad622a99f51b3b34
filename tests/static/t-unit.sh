#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lagwlcd's systemd unit, as make install puts it, checked by systemd's own
# tools on the host (systemd 252's systemd-analyze works on unit files
# offline; no systemd needs to run):
#   1  make install (DESTDIR) puts the unit, with SBINDIR in its paths, and
#      the sysusers.d file; systemd-sysusers --root creates the lagwlcd
#      user from it
#   2  systemd-analyze verify: no complaint (executables and man pages of
#      the installed tree)
#   3  Type=notify with NotifyAccess=main and a watchdog, User=lagwlcd with
#      CAP_NET_ADMIN as its only (ambient) capability, LimitNOFILE for
#      4096 replicas
#   4  systemd-analyze security --offline=yes: exposure 2.0 or less (the
#      unit of v0.1, root with a bounding set only, scored 5.9); the same
#      unit stripped of User= and its hardening must score above 2.0, so
#      that a broken parse of the score cannot pass
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/lagwlc-unit.XXXXXX")
trap 'rm -rf "$W"' EXIT
# shellcheck source-path=SCRIPTDIR source=../lib/ktap.sh
. "$top/tests/lib/ktap.sh"
ktap_plan 4
for t in systemd-analyze systemd-sysusers man; do
	command -v "$t" >/dev/null || { echo "Bail out! $t is missing (scripts/install-deps)"; exit 1; }
done
[ -x "$top/userspace/lagwlcd/lagwlcd" ] || { echo "Bail out! lagwlcd is not built (make userspace)"; exit 1; }

# ---- 1. make install --------------------------------------------------------
R=$W/root
make -s -C "$top/userspace" install DESTDIR="$R" PREFIX=/usr >"$W/install.log" 2>&1
st=$?
ktap_show "$W/install.log"
U=$R/usr/lib/systemd/system/lagwlcd.service
S=$R/usr/lib/sysusers.d/lagwlcd.conf
r=$st
for f in "$U" "$S" "$R/usr/sbin/lagwlcd"; do
	[ -f "$f" ] || { echo "# missing: ${f#"$R"}"; r=1; }
done
if [ -f "$U" ]; then
	grep -E '^Exec' "$U" | ktap_show
	if grep -E '^Exec' "$U" | grep -q /usr/local/; then echo "# unit still names /usr/local"; r=1; fi
	grep -q '^ExecStart=/usr/sbin/lagwlcd ' "$U" || { echo "# no ExecStart=/usr/sbin/lagwlcd"; r=1; }
fi
systemd-sysusers --root="$R" >"$W/sysusers.log" 2>&1 || r=1
ktap_show "$W/sysusers.log"
grep '^lagwlcd:' "$R/etc/passwd" | ktap_show
grep -q '^lagwlcd:x:[0-9]*:[0-9]*:[^:]*:[^:]*:/usr/sbin/nologin$' "$R/etc/passwd" || r=1
ktap_result "$r" "make install puts the unit (paths under SBINDIR) and the sysusers.d file; systemd-sysusers creates user lagwlcd"

# ---- 2. systemd-analyze verify ---------------------------------------------
# the installed unit with its paths pointing into the DESTDIR tree, so
# that verify finds the executables; MANPATH for its man: check
mkdir -p "$W/v"
sed "s|=/usr/sbin/|=$R/usr/sbin/|; s|^ExecStartPre=/usr/sbin/|ExecStartPre=$R/usr/sbin/|" "$U" >"$W/v/lagwlcd.service"
MANPATH=$R/usr/share/man systemd-analyze verify "$W/v/lagwlcd.service" >"$W/verify.log" 2>&1
st=$?
ktap_show "$W/verify.log"
r=$st
[ -s "$W/verify.log" ] && r=1
echo "# systemd-analyze verify: status $st, $(wc -l <"$W/verify.log") line(s)"
ktap_result "$r" "systemd-analyze verify finds nothing wrong with the installed unit"

# ---- 3. the properties the unit promises -----------------------------------
r=0
want() {	# want REGEX
	if grep -Eq "^$1\$" "$U"; then echo "# has $1"; else echo "# lacks $1"; r=1; fi
}
want 'Type=notify'
want 'NotifyAccess=main'
want 'WatchdogSec=[0-9]+s'
want 'User=lagwlcd'
want 'AmbientCapabilities=CAP_NET_ADMIN'
want 'CapabilityBoundingSet=CAP_NET_ADMIN'
want 'NoNewPrivileges=yes'
nofile=$(sed -n 's/^LimitNOFILE=\([0-9]*\)$/\1/p' "$U")
echo "# LimitNOFILE=${nofile:-unset}"
[ -n "$nofile" ] && [ "$nofile" -ge 8192 ] || r=1
# systemd's own reading of them (the security table names the ambient set)
systemd-analyze security --offline=yes "$W/v/lagwlcd.service" >"$W/sec.txt" 2>&1
grep -E 'AmbientCapabilities=|User=/DynamicUser=|CAP_NET_ADMIN' "$W/sec.txt" | ktap_show
grep -Eq '✓ User=/DynamicUser=' "$W/sec.txt" || { echo "# systemd-analyze: the service runs as root"; r=1; }
ktap_result "$r" "Type=notify, NotifyAccess=main, a watchdog, user lagwlcd with CAP_NET_ADMIN only, LimitNOFILE >= 8192"

# ---- 4. systemd-analyze security -------------------------------------------
score() {	# score UNIT: the overall exposure, e.g. 1.5
	systemd-analyze security --offline=yes "$1" 2>/dev/null |
		sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
cur=$(score "$W/v/lagwlcd.service")
# the stripped unit: [Service] without User= and every hardening line
sed -E '/^(User|Group|Protect|Private|Restrict|Remove|Lock|Memory|SystemCall|Device|Keyring|UMask|SecureBits|NoNewPriv|ReadWrite)/d' \
	"$W/v/lagwlcd.service" >"$W/v/lagwlcd-bare.service"
bare=$(score "$W/v/lagwlcd-bare.service")
echo "# exposure: the unit ${cur:-?}, stripped of its hardening ${bare:-?} (at most 2.0 wanted)"
grep '✗' "$W/sec.txt" | ktap_show
r=0
[ -n "$cur" ] && le "$cur" 2.0 || r=1
[ -n "$bare" ] && ! le "$bare" 2.0 || { echo "# the stripped unit scored ${bare:-nothing}: the check cannot tell"; r=1; }
systemd-analyze security --offline=yes --threshold=20 "$W/v/lagwlcd.service" >/dev/null 2>&1 || r=1
ktap_result "$r" "systemd-analyze security --offline=yes: exposure ${cur:-?} <= 2.0"

ktap_exit
