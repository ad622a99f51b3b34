#!/usr/bin/env bash
# tests/run's arithmetic, on fake tests in a throw-away checkout: a point
# counts once, every planned point that never ran counts as failed (a bail
# out with plan 9 and 4 points reported is 5 more failures, not 1), a
# non-zero exit with no failure to show for it is one, and the closing line
# reads "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lagwlc-run-counts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/static"
cp "$top/tests/run" "$tmp/tests/run"

# fake NAME EXIT LINE...: a test that prints LINEs and exits EXIT
fake() {
	local f=$tmp/tests/static/t-$1.sh st=$2
	shift 2
	{
		echo '#!/bin/sh'
		printf "echo '%s'\n" "$@"
		echo "exit $st"
	} >"$f"
	chmod +x "$f"
}
fake bail 1 "1..9" "ok 1 - a" "ok 2 - b" "ok 3 - c" "ok 4 - d" "Bail out! gone"
fake clean 0 "1..3" "ok 1 - a" "ok 2 - b" "ok 3 - c"
fake onebad 1 "1..3" "ok 1 - a" "not ok 2 - b" "ok 3 - c"
fake badexit 2 "1..3" "ok 1 - a" "ok 2 - b" "ok 3 - c"
fake silent 1
fake short0 0 "1..4" "ok 1 - a" "not ok 2 - b"
fake early 1 "1..5" "Bail out! before any point"
fake skip 0 "1..2" "ok 1 - a" "ok 2 - b # SKIP why"

# case NAME "EXPECTED CLOSING LINE"
cases=(
	"bail|4 passed, 5 failed"
	"clean|3 passed, 0 failed"
	"onebad|2 passed, 1 failed"
	"badexit|3 passed, 1 failed"
	"silent|0 passed, 1 failed"
	"short0|1 passed, 3 failed"
	"early|0 passed, 5 failed"
	"skip|1 passed, 0 failed, 1 skipped"
	"t-|14 passed, 16 failed, 1 skipped"
)
echo "1..${#cases[@]}"
n=0 failed=0
for c in "${cases[@]}"; do
	n=$((n + 1))
	name=${c%%|*} want=${c#*|}
	out=$("$tmp/tests/run" "$name" 2>&1)
	rc=$?
	got=$(printf '%s\n' "$out" | tail -n 1)
	want_rc=1
	[[ $want == *" 0 failed"* ]] && want_rc=0
	if [ "$got" = "$want" ] && [ "$rc" -eq "$want_rc" ]; then
		echo "ok $n - tests/run $name: \"$want\", exit $rc"
	else
		printf '%s\n' "$out" | sed 's/^/#   | /'
		echo "not ok $n - tests/run $name: \"$want\", exit $want_rc (got \"$got\", exit $rc)"
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ]
