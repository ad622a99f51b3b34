#!/usr/bin/env bash
# The module builds with no finding from W=1, sparse (C=2) or
# checkpatch --strict. Builds a copy of the sources, so that an earlier
# in-tree build cannot hide a warning.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${LAGWLC_KVER:-$("$top/scripts/lab-kver")} || exit 1
kdir=/lib/modules/$kver/build
work=$(mktemp -d "${TMPDIR:-/tmp}/lagwlc-static.XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck source-path=SCRIPTDIR source=../lib/ktap.sh
. "$top/tests/lib/ktap.sh"
ktap_plan 3
report() {	# report STATUS DESCRIPTION LOG: the log as diagnostics when it failed
	ktap_result "$1" "$2"
	[ "$1" -eq 0 ] || sed 's/^/#   /' "$3"
}

fresh_copy() {
	rm -rf "$work/src" && mkdir -p "$work/src"
	cp -r "$top/Kbuild" "$top/dkms.conf" "$top/kmod" "$top/include" "$work/src/"
}

fresh_copy
make -C "$kdir" M="$work/src" W=1 modules >"$work/w1.log" 2>&1
rc=$?
grep -E 'warning:|error:' "$work/w1.log" >"$work/w1.findings"
[ $rc -eq 0 ] && [ ! -s "$work/w1.findings" ]
report $? "module builds for $kver with W=1 and no warning" "$work/w1.log"

fresh_copy
make -C "$kdir" M="$work/src" C=2 modules >"$work/sparse.log" 2>&1
rc=$?
grep -E 'warning:|error:' "$work/sparse.log" >"$work/sparse.findings"
[ $rc -eq 0 ] && [ ! -s "$work/sparse.findings" ]
report $? "sparse (C=2) finds nothing" "$work/sparse.log"

"$top/scripts/checkpatch" >"$work/checkpatch.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ ! -s "$work/checkpatch.log" ]
report $? "checkpatch.pl --strict --no-tree finds nothing" "$work/checkpatch.log"
ktap_exit
