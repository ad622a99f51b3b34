#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lagwlcd's and lagwlcctl's command lines and lagwlcd's unit, on the host
# (the built binaries; nothing here needs the module or a database):
#   1-2  a bad option: one line saying what is wrong, then where the help is
#        (lagwlcd printed its whole 17-line help)
#   3    -f FILE is the configuration file (keepalived, haproxy, sshd);
#        the old -f (foreground) still works, with a deprecation warning
#   4    ExecReload as systemd runs it (each line in order, the first
#        failure fails the reload): a refused configuration fails the
#        reload and no SIGHUP is sent; a good one sends it
#   5    SIGUSR1 (keepalived's "dump state") is not lagwlcd's internal
#        wake-up any more: it is logged, and lagwlcd keeps running
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
LAGWLCD=$top/userspace/lagwlcd/lagwlcd
CTL=$top/userspace/lagwlcctl/lagwlcctl
UNIT=$top/userspace/lagwlcd/lagwlcd.service
W=$(mktemp -d "${TMPDIR:-/tmp}/lagwlc-cli.XXXXXX")
trap 'rm -rf "$W"' EXIT
# shellcheck source-path=SCRIPTDIR source=../lib/ktap.sh
. "$top/tests/lib/ktap.sh"
ktap_plan 5
for b in "$LAGWLCD" "$CTL"; do
	[ -x "$b" ] || { echo "Bail out! $b is not built (make userspace)"; exit 1; }
done

# ---- 1-2. bad options -----------------------------------------------------
r=0
for args in "-x" "--bogus" "-c" "extra" "--create-table" "--heartbeat-writer nohost"; do
	# shellcheck disable=SC2086
	"$LAGWLCD" $args >"$W/out" 2>"$W/err"
	st=$?
	echo "# lagwlcd $args: status $st"
	ktap_show "$W/err"
	[ $st -eq 2 ] && [ ! -s "$W/out" ] && [ "$(wc -l <"$W/err")" -eq 2 ] &&
		grep -q '^lagwlcd: ' "$W/err" &&
		[ "$(tail -n 1 "$W/err")" = "Try 'lagwlcd --help' for more information." ] || r=1
done
[ "$("$LAGWLCD" -x 2>&1 | head -n 1)" = "lagwlcd: unknown option -x" ] || r=1
ktap_result $r "lagwlcd: a bad option, argument or pairing is one line and \"Try 'lagwlcd --help'\", status 2"

r=0
for args in "--bogus" "bogus" "set 10.0.0.1:3306 lag 1d" "set"; do
	# shellcheck disable=SC2086
	"$CTL" $args >"$W/out" 2>"$W/err"
	st=$?
	echo "# lagwlcctl $args: status $st"
	ktap_show "$W/err"
	[ $st -eq 2 ] && [ ! -s "$W/out" ] && [ "$(wc -l <"$W/err")" -eq 2 ] &&
		grep -q '^lagwlcctl: ' "$W/err" && tail -n 1 "$W/err" | grep -q '^Usage: lagwlcctl ' || r=1
done
ktap_result $r "lagwlcctl: a bad option or command is one line and one usage line, status 2"

# ---- 3. -f FILE ------------------------------------------------------------
printf '[lagwlcd]\ndiscover = no\noption_file = none\n[replica 127.0.0.1:3306]\n' >"$W/good.conf"
printf '[lagwlcd]\ndiscover = no\noption_file = none\npoll_interval = 1x\n' >"$W/bad.conf"
r=0
"$LAGWLCD" -f "$W/good.conf" -t >"$W/out" 2>"$W/err"
st=$?
echo "# lagwlcd -f good.conf -t: status $st"; ktap_show "$W/out" "$W/err"
[ $st -eq 0 ] && grep -q "^$W/good.conf: configuration OK" "$W/out" && [ ! -s "$W/err" ] || r=1
"$LAGWLCD" --config "$W/bad.conf" -t >"$W/out" 2>"$W/err"
st=$?
echo "# lagwlcd --config bad.conf -t: status $st"; ktap_show "$W/err"
[ $st -eq 1 ] && grep -q "^$W/bad.conf:4: poll_interval" "$W/err" || r=1
for old in "-f -t -c" "-fn -t -c" "-D -t -c"; do
	# shellcheck disable=SC2086
	"$LAGWLCD" $old "$W/good.conf" >"$W/out" 2>"$W/err"
	st=$?
	echo "# lagwlcd $old good.conf: status $st"; ktap_show "$W/out" "$W/err"
	[ $st -eq 0 ] && grep -q "configuration OK" "$W/out" || r=1
	if [ "$old" = "-D -t -c" ]; then
		[ ! -s "$W/err" ] || r=1
	else
		grep -qx "lagwlcd: warning: -f for the foreground is deprecated: use -D (-f FILE is the configuration file)" "$W/err" || r=1
	fi
done
ktap_result $r "-f FILE is the configuration file; -f alone (or -fn) still the foreground, with a deprecation warning; -D none"

# ---- 4. ExecReload -----------------------------------------------------------
# run_reload CONF PID: the unit's ExecReload lines in order, as systemd runs
# them, lagwlcd pointed at CONF, $MAINPID = PID; the first failure fails it
run_reload() {
	local line cmd
	while IFS= read -r line; do
		cmd=${line#ExecReload=}
		cmd=${cmd//\$MAINPID/$2}
		cmd=${cmd//\/usr\/local\/sbin\/lagwlcd/$LAGWLCD}
		[[ $cmd == "$LAGWLCD"* ]] && cmd="$cmd -c $1"
		echo "#   ExecReload: $cmd"
		# shellcheck disable=SC2086
		$cmd >>"$W/reload.log" 2>&1 || return 1
	done < <(grep '^ExecReload=' "$UNIT")
}
# the "main process": counts the SIGHUPs it gets, and writes 0 once its
# handler is set. Perl, not a bash trap: bash cannot trap a signal that was
# ignored when it started, and a test run under nohup starts so.
perl -e '
	my $n = 0;
	sub put { open(my $f, ">", $ARGV[0]) or die; print $f "$n\n"; close($f) }
	$SIG{HUP} = sub { $n++; put() };
	put();
	sleep 1 while 1;' "$W/hups" &
main=$!
# hups_wait N: up to 5 s for the count to reach N; then what it is
hups_wait() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(cat "$W/hups" 2>/dev/null)" = "$1" ] && break
		sleep 0.1
	done
	cat "$W/hups"
}
hups_wait 0 >/dev/null
r=0
run_reload "$W/bad.conf" $main
st=$?
# a SIGHUP that was sent would be counted by now (the good case below waits as long)
sleep 0.5
echo "# reload with bad.conf: status $st, SIGHUPs $(cat "$W/hups")"; ktap_show "$W/reload.log"
[ $st -ne 0 ] && [ "$(cat "$W/hups")" -eq 0 ] || r=1
run_reload "$W/good.conf" $main
st=$?
hups_wait 1 >/dev/null
echo "# reload with good.conf: status $st, SIGHUPs $(cat "$W/hups")"
[ $st -eq 0 ] && [ "$(cat "$W/hups")" -eq 1 ] || r=1
kill $main 2>/dev/null
wait $main 2>/dev/null
ktap_result $r "ExecReload: a configuration lagwlcd -t refuses fails the reload, no SIGHUP sent; a good one is sent"

# ---- 5. SIGUSR1 -------------------------------------------------------------------
"$LAGWLCD" -D -n -c "$W/good.conf" </dev/null >"$W/d.log" 2>&1 &
pid=$!
sleep 1
kill -USR1 $pid
sleep 0.5
alive=1
kill -0 $pid 2>/dev/null || alive=0
kill -TERM $pid 2>/dev/null
wait $pid
st=$?
echo "# lagwlcd -D -n, SIGUSR1 then SIGTERM: status $st"; ktap_show "$W/d.log"
[ $alive -eq 1 ] && [ $st -eq 0 ] && grep -q 'User defined signal 1: lagwlcd dumps no state' "$W/d.log" &&
	grep -q 'Terminated: exiting' "$W/d.log"
ktap_result $? "SIGUSR1 is logged (no state dump) and lagwlcd keeps running; SIGTERM: exit 0"

ktap_exit
