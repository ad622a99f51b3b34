# SPDX-License-Identifier: GPL-2.0
#
# KTAP output for the shell tests, host (tests/static) and guest
# (tests/vm/lib/lab.sh) alike: a plan, numbered results, diagnostics.
# Sourced, never run.

KTAP_N=0
KTAP_FAILED=0

ktap_plan() {
	echo "KTAP version 1"
	echo "1..$1"
}

# ktap_result STATUS DESCRIPTION: STATUS 0 is ok
ktap_result() {
	KTAP_N=$((KTAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $KTAP_N - $2"
	else
		echo "not ok $KTAP_N - $2"
		KTAP_FAILED=$((KTAP_FAILED + 1))
	fi
}

# ktap_check DESCRIPTION CMD...: run CMD (output as diagnostics), report it
ktap_check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
	ktap_result $rc "$desc"
}

# ktap_exit: exit 0 when every point passed
ktap_exit() {
	[ "$KTAP_FAILED" -eq 0 ]
	exit
}

diag() {
	printf '# %s\n' "$*"
}

# ktap_show FILE...: files (or stdin) as indented diagnostics
ktap_show() {
	sed 's/^/#   | /' "$@"
}
