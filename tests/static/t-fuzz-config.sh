#!/usr/bin/env bash
# lagwlcd's configuration parser under libFuzzer (make fuzz) for a short,
# fixed time: no crash, leak, timeout or sanitizer finding. The corpus
# starts from tests/unit/configs; longer runs: make fuzz FUZZ_SECONDS=600.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
log=$(mktemp "${TMPDIR:-/tmp}/lagwlc-fuzz.XXXXXX")
corpus=$(mktemp -d "${TMPDIR:-/tmp}/lagwlc-fuzz-corpus.XXXXXX")
trap 'rm -rf "$log" "$corpus"' EXIT

echo "1..1"
make -s -C "$top" fuzz FUZZ_SECONDS="${LAGWLC_FUZZ_SECONDS:-15}" \
	CORPUS="$corpus" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "# executed ${runs:-0} inputs"
if [ $rc -eq 0 ] && [ -n "$runs" ]; then
	echo "ok 1 - fuzzing the configuration parser finds nothing (${runs} inputs)"
else
	tail -n 30 "$log" | sed 's/^/#   /'
	echo "not ok 1 - fuzzing the configuration parser finds nothing"
	exit 1
fi
