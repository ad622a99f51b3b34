#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion of lagwlcctl and lagwlcd (userspace/completion/), on
# the host. The completion functions run for real in a bash subprocess,
# with COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set as bash sets
# them (words split at blanks and at COMP_WORDBREAKS, a run of ':' or '='
# a word of its own, as readline does), points 1-7 with bash-completion
# loaded ("[bash-completion]"), 8-14 the same without ("[plain]"). What is
# expected comes from the programs themselves (lagwlcctl -h, lagwlcd
# --help), so that a command or option added without its completion fails
# here.
#   1  lagwlcctl COMMAND: exactly the commands lagwlcctl -h lists
#   2  lagwlcctl's options, and check's: exactly those -h documents
#   3  set's keywords (-h's "lag ... up | down") where the grammar has them
#   4  replica addresses from a lagwlcctl -j show output (see below):
#      set offers the table's and the lagwlc services' real servers, del
#      and show the table's; no VIP; IPv6 bracketed; cut after ':'
#   5  the real lagwlcctl, module absent: no candidates, nothing printed;
#      without /sys/module/ip_vs_lagwlc lagwlcctl is not even run (the
#      netlink family lookup would load the module)
#   6  lagwlcd's options: exactly those --help documents
#   7  lagwlcd -c/-f/--config/--config=: file names
#   15-16  readline itself (an interactive bash on a pty, TABs typed), with
#      and without bash-completion: the lines it builds, colons and all
#   17  make install puts both files where bash-completion's loader finds
#      them; make uninstall removes them
#   18  shellcheck finds nothing in them (nor in this test)
#
# lagwlcctl -j show needs the module, which the host cannot load (the lab
# VM can). So points 4 and 8 point the completion at a script that prints
# a recorded output instead of the real lagwlcctl (LAGWLC_COMP_CTL) and
# pretend the module is there (LAGWLC_COMP_SYSMOD): that stand-in is
# acceptable only because the real thing cannot run here. RECORDED is a
# real lagwlcctl -j show from the lab VM (t-lagwlcctl's topology);
# WRITTEN is in its format, written after cmd_show.c's json_show for what
# the lab does not have: IPv6, a real server with no replica entry, a
# firewall-mark service, a replica in no service.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
CTL=$top/userspace/lagwlcctl/lagwlcctl
LAGWLCD=$top/userspace/lagwlcd/lagwlcd
COMPDIR=${LAGWLC_COMPDIR:-$top/userspace/completion}
BC=/usr/share/bash-completion/bash_completion
W=$(mktemp -d "${TMPDIR:-/tmp}/lagwlc-completion.XXXXXX")
trap 'rm -rf "$W"' EXIT
# shellcheck source-path=SCRIPTDIR source=../lib/ktap.sh
. "$top/tests/lib/ktap.sh"
words() { tr '\n' ' ' <<<"$1" | sed 's/ $//'; }
ktap_plan 18
for b in "$LAGWLCD" "$CTL"; do
	[ -x "$b" ] || { echo "Bail out! $b is not built (make userspace)"; exit 1; }
done
[ -r "$BC" ] || { echo "Bail out! $BC missing (scripts/install-deps: bash-completion)"; exit 1; }

RECORDED='{"services":[{"family":"inet","protocol":"TCP","address":"198.18.0.100","port":3306,"fwmark":0,"scheduler":"lagwlc","reuse_bypass":false,"destinations":[{"address":"198.18.0.12","port":3306,"forward":"route","weight":1,"active":0,"inactive":0,"lag_ms":0,"health":"up","state":"ok","age_ms":1004},{"address":"198.18.0.11","port":3306,"forward":"route","weight":1,"active":0,"inactive":0,"lag_ms":0,"health":"up","state":"ok","age_ms":1004}]}],"replicas":[{"address":"198.18.0.11","port":3306,"lag_ms":0,"health":"up","state":"ok","age_ms":1004,"in_service":true},{"address":"198.18.0.12","port":3306,"lag_ms":0,"health":"up","state":"ok","age_ms":1004,"in_service":true}],"ipvs":"loaded","conn_reuse_mode":3}'
WRITTEN='{"services":[{"family":"inet6","protocol":"TCP","address":"2001:db8::100","port":3306,"fwmark":0,"scheduler":"lagwlc","reuse_bypass":false,"destinations":[{"address":"2001:db8::11","port":3306,"forward":"route","weight":1,"active":2,"inactive":0,"lag_ms":40,"health":"up","state":"ok","age_ms":120},{"address":"2001:db8::12","port":3307,"forward":"masq","weight":1,"active":0,"inactive":0,"lag_ms":null,"health":null,"state":null,"age_ms":null}]},{"family":"inet","protocol":null,"address":null,"port":null,"fwmark":7,"scheduler":"lagwlc","reuse_bypass":true,"destinations":[]}],"replicas":[{"address":"198.18.0.13","port":3306,"lag_ms":null,"health":"down","state":"down","age_ms":300,"in_service":false},{"address":"2001:db8::11","port":3306,"lag_ms":40,"health":"up","state":"ok","age_ms":120,"in_service":true}],"ipvs":"loaded","conn_reuse_mode":3}'
# fake_ctl NAME JSON: a stand-in lagwlcctl printing JSON for "-j show"
fake_ctl() {
	printf '#!/bin/sh\n[ "$*" = "-j show" ] || exit 2\necho called >>"%s"\ncat <<'"'"'EOF'"'"'\n%s\nEOF\n' \
		"$W/$1.calls" "$2" >"$W/$1"
	chmod +x "$W/$1"
}
fake_ctl recorded "$RECORDED"
fake_ctl written "$WRITTEN"
mkdir -p "$W/sysmod" "$W/cfg/sub"
: >"$W/cfg/lagwlcd.conf"
: >"$W/cfg/other.conf"

# the driver: comp MODE PROG LINE [VAR=VALUE...] completes LINE (cursor at
# its end) with PROG's completion, in a fresh bash, MODE bc (bash-completion
# loaded) or plain; prints COMPREPLY sorted, one a line; the completion's
# own stdout and stderr go to $W/fout and $W/ferr
cat >"$W/driver" <<'EOF'
# $1 MODE, $2 completion file, $3 program, $4 line, $5 $6 fout ferr
if [ "$1" = bc ]; then
	. /usr/share/bash-completion/bash_completion || exit 3
	declare -F _init_completion >/dev/null || exit 3
else
	! declare -F _init_completion >/dev/null || exit 3
fi
. "$2" || exit 3
# split as bash does: blanks separate words; a run of COMP_WORDBREAKS
# characters (':', '=') is a word of its own
line=$4 word='' kind=''
breaks=${COMP_WORDBREAKS//[[:space:]]/}
COMP_WORDS=()
for ((i = 0; i < ${#line}; i++)); do
	c=${line:i:1}
	if [[ $c == [[:space:]] ]]; then
		[[ -n $word ]] && COMP_WORDS+=("$word")
		word='' kind=''
	elif [[ $breaks == *"$c"* ]]; then
		[[ $kind == w ]] && { COMP_WORDS+=("$word"); word=''; }
		word+=$c kind=b
	else
		[[ $kind == b ]] && { COMP_WORDS+=("$word"); word=''; }
		word+=$c kind=w
	fi
done
COMP_WORDS+=("$word")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line COMP_POINT=${#line}
# the function complete -p names; readline's own word is $2 (what follows
# the last break character), $3 is the word before the current one
spec=$(complete -p "$3") || exit 3
[[ $spec =~ -F\ ([^ ]+) ]] || exit 3
cur=${COMP_WORDS[COMP_CWORD]}
[[ $kind == b ]] && cur=''
COMPREPLY=()
"${BASH_REMATCH[1]}" "$3" "$cur" "${COMP_WORDS[COMP_CWORD - 1]}" >"$5" 2>"$6"
[ ${#COMPREPLY[@]} -gt 0 ] && printf '%s\n' "${COMPREPLY[@]}" | sort
exit 0
EOF
comp() {	# comp MODE PROG LINE [VAR=VALUE...]
	local mode=$1 prog=$2 line=$3
	shift 3
	env -i PATH="$PATH" HOME="$W" "$@" bash --norc --noprofile "$W/driver" \
		"$mode" "$COMPDIR/$prog" "$prog" "$line" "$W/fout" "$W/ferr"
}
# expect MODE PROG LINE WANT [VAR=VALUE...]: COMPREPLY is WANT (words,
# any order), and the completion printed nothing
expect() {
	local mode=$1 prog=$2 line=$3 want got st w
	read -r -d "" -a w <<<"$4"	# words or lines; no globbing ("[2001:db8::11]:3306")
	want=$(printf '%s\n' "${w[@]}" | sed '/^$/d' | sort)
	shift 4
	got=$(comp "$mode" "$prog" "$line" "$@")
	st=$?
	if [ $st -eq 0 ] && [ "$got" = "$want" ] && [ ! -s "$W/fout" ] && [ ! -s "$W/ferr" ]; then
		diag "  \"$line<TAB>\": $(words "$got")"
		return 0
	fi
	diag "  \"$line<TAB>\": got \"$(words "$got")\" (status $st), want \"$(words "$want")\""
	[ -s "$W/fout" ] && diag "    printed: $(cat "$W/fout")"
	[ -s "$W/ferr" ] && diag "    on stderr: $(cat "$W/ferr")"
	return 1
}

# ---- what the programs say ------------------------------------------------
help_opts() {	# the options of a --help (lines starting with "-" after blanks)
	awk '/^ +-/ { sub(/^ +/, ""); sub(/  .*/, ""); n = split($0, a, /[ ,]+/)
		for (i = 1; i <= n; i++) if (a[i] ~ /^-/) print a[i] }'
}
ctl_help=$("$CTL" -h)
mapfile -t CMDS < <(sed -nE 's/^  lagwlcctl ([a-z]+).*/\1/p' <<<"$ctl_help")
mapfile -t CTL_OPTS < <(help_opts <<<"$ctl_help")
mapfile -t CHECK_OPTS < <(sed -nE 's/^  lagwlcctl check //p' <<<"$ctl_help" | grep -oE -- '--[a-z-]+')
mapfile -t SET_WORDS < <(sed -nE 's/^  lagwlcctl set //p' <<<"$ctl_help" | grep -oE '\b[a-z]+\b' | sort -u)
mapfile -t D_OPTS < <("$LAGWLCD" --help | help_opts)
diag "lagwlcctl -h: commands ${CMDS[*]}; options ${CTL_OPTS[*]}; check ${CHECK_OPTS[*]}; set keywords ${SET_WORDS[*]}"
diag "lagwlcd --help: options ${D_OPTS[*]}"
# a help that says nothing would make every comparison below trivial
if [ ${#CMDS[@]} -lt 6 ] || [ ${#CTL_OPTS[@]} -lt 6 ] || [ ${#CHECK_OPTS[@]} -lt 2 ] ||
	[ ${#SET_WORDS[@]} -lt 3 ] || [ ${#D_OPTS[@]} -lt 17 ]; then
	echo "Bail out! could not read the helps"
	exit 1
fi

starting() {	# starting PREFIX WORD...: the WORDs starting with PREFIX
	local p=$1 w
	shift
	for w in "$@"; do [[ $w == "$p"* ]] && printf '%s\n' "$w"; done
}
without() {	# without WORD LIST...: LIST less WORD
	local x=$1 w
	shift
	for w in "$@"; do [ "$w" = "$x" ] || printf '%s\n' "$w"; done
}

A1=198.18.0.11:3306 A2=198.18.0.12:3306
rec=(LAGWLC_COMP_CTL="$W/recorded" LAGWLC_COMP_SYSMOD="$W/sysmod")
wri=(LAGWLC_COMP_CTL="$W/written" LAGWLC_COMP_SYSMOD="$W/sysmod")

for mode in bc plain; do
	tag="[$mode]"
	[ $mode = bc ] && tag="[bash-completion]"

	# ---- 1. commands -------------------------------------------------------
	r=0
	expect $mode lagwlcctl "lagwlcctl " "${CMDS[*]}" || r=1
	expect $mode lagwlcctl "lagwlcctl -j s" "$(starting s "${CMDS[@]}")" || r=1
	expect $mode lagwlcctl "lagwlcctl --json m" "$(starting m "${CMDS[@]}")" || r=1
	expect $mode lagwlcctl "lagwlcctl -h " "" || r=1
	ktap_result $r "$tag lagwlcctl <TAB> offers exactly the commands lagwlcctl -h lists"

	# ---- 2. options --------------------------------------------------------
	r=0
	expect $mode lagwlcctl "lagwlcctl -" "${CTL_OPTS[*]}" || r=1
	expect $mode lagwlcctl "lagwlcctl check -" "${CHECK_OPTS[*]}" || r=1
	expect $mode lagwlcctl "lagwlcctl check --conn-reuse -" "$(without --conn-reuse "${CHECK_OPTS[@]}")" || r=1
	expect $mode lagwlcctl "lagwlcctl check --max-age " "" || r=1
	expect $mode lagwlcctl "lagwlcctl check --max-age=" "" || r=1
	expect $mode lagwlcctl "lagwlcctl show -" "" || r=1
	ktap_result $r "$tag lagwlcctl's options and check's options: exactly those lagwlcctl -h documents"

	# ---- 3. set's keywords ---------------------------------------------------
	r=0
	expect $mode lagwlcctl "lagwlcctl set 10.0.0.21:3306 " "${SET_WORDS[*]}" || r=1
	expect $mode lagwlcctl "lagwlcctl set [2001:db8::21]:3306 l" "lag" || r=1
	expect $mode lagwlcctl "lagwlcctl set 10.0.0.21:3306 lag " "" || r=1
	expect $mode lagwlcctl "lagwlcctl set 10.0.0.21:3306 lag 250 " "up down" || r=1
	expect $mode lagwlcctl "lagwlcctl set 10.0.0.21:3306 lag 1.5s up " "" || r=1
	expect $mode lagwlcctl "lagwlcctl set 10.0.0.21:3306 down " "lag" || r=1
	expect $mode lagwlcctl "lagwlcctl set 10.0.0.21:3306 up " "lag" || r=1
	expect $mode lagwlcctl "lagwlcctl set 10.0.0.21:3306 down 10.0.0.22:3306 " "${SET_WORDS[*]}" || r=1
	for c in "del 10.0.0.21:3306 " "show 10.0.0.21:3306 " "flush " "monitor "; do
		expect $mode lagwlcctl "lagwlcctl $c" "" || r=1
	done
	ktap_result $r "$tag set ADDR:PORT <TAB> offers lagwlcctl -h's keywords (lag, up, down) as the grammar allows; nothing after lag, flush, monitor"

	# ---- 4. replica addresses ---------------------------------------------
	r=0
	expect $mode lagwlcctl "lagwlcctl set " "$A1 $A2" "${rec[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl del " "$A1 $A2" "${rec[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl -j show 198.18.0.1" "$A1 $A2" "${rec[@]}" || r=1
	# bash replaces what follows the last ':' only
	expect $mode lagwlcctl "lagwlcctl del 198.18.0.11:" "3306" "${rec[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl set $A1 lag 5 " "up down $A2" "${rec[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl set $A1 lag 5 $A2 down " "lag" "${rec[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl set $A1 " "${SET_WORDS[*]}" "${rec[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl set " \
		"[2001:db8::11]:3306 [2001:db8::12]:3307 198.18.0.13:3306" "${wri[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl del " "[2001:db8::11]:3306 198.18.0.13:3306" "${wri[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl set [2001:db8::1" "11]:3306 12]:3307" "${wri[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl del [2001:db8::11]:" "3306" "${wri[@]}" || r=1
	expect $mode lagwlcctl "lagwlcctl show [2001:db8::11]:3306 " "" "${wri[@]}" || r=1
	ktap_result $r "$tag replica addresses from lagwlcctl -j show: set the table's and lagwlc real servers', del/show the table's, no VIP, IPv6 in brackets, cut after ':'"

	# ---- 5. the real lagwlcctl, module absent ---------------------------------
	r=0
	rm -f "$W/recorded.calls"
	for c in "set " "del " "show " "set 10.0.0.21:3306 lag 5 1"; do
		# the default /sys path: absent here, lagwlcctl not run
		expect $mode lagwlcctl "lagwlcctl $c" "" LAGWLC_COMP_CTL="$CTL" || r=1
		expect $mode lagwlcctl "lagwlcctl $c" "" LAGWLC_COMP_CTL="$W/recorded" || r=1
		# the module "there": the real lagwlcctl runs, and fails
		expect $mode lagwlcctl "lagwlcctl $c" "" \
			LAGWLC_COMP_CTL="$CTL" LAGWLC_COMP_SYSMOD="$W/sysmod" || r=1
		expect $mode lagwlcctl "$CTL $c" "" LAGWLC_COMP_SYSMOD="$W/sysmod" || r=1
	done
	if [ -e "$W/recorded.calls" ]; then
		diag "  lagwlcctl was run without /sys/module/ip_vs_lagwlc"
		r=1
	fi
	"$CTL" -j show >"$W/out" 2>"$W/err"
	st=$?
	diag "  (lagwlcctl -j show here: status $st, stderr: $(cat "$W/err"))"
	[ $st -ne 0 ] && [ -s "$W/err" ] && [ ! -s "$W/out" ] || r=1
	[ -e /sys/module/ip_vs_lagwlc ] && { diag "  the module is loaded on this host"; r=1; }
	ktap_result $r "$tag the real lagwlcctl, module absent: no candidates and nothing printed; not run at all without /sys/module/ip_vs_lagwlc"

	# ---- 6. lagwlcd's options -------------------------------------------------
	r=0
	expect $mode lagwlcd "lagwlcd " "${D_OPTS[*]}" || r=1
	expect $mode lagwlcd "lagwlcd -" "${D_OPTS[*]}" || r=1
	expect $mode lagwlcd "lagwlcd --test --" "$(without --test "${D_OPTS[@]}" | grep -- "^--")" || r=1
	expect $mode lagwlcd "lagwlcd -n --test -" "$(without --test "${D_OPTS[@]}" | grep -vx -- -n)" || r=1
	expect $mode lagwlcd "lagwlcd --heartbeat-writer " "" || r=1
	expect $mode lagwlcd "lagwlcd --heartbeat-writer=" "" || r=1
	ktap_result $r "$tag lagwlcd <TAB> offers exactly the options lagwlcd --help documents, each once"

	# ---- 7. configuration files ---------------------------------------------
	r=0
	c=$W/cfg
	expect $mode lagwlcd "lagwlcd -c $c/" "$c/lagwlcd.conf $c/other.conf $c/sub" || r=1
	expect $mode lagwlcd "lagwlcd -t --config $c/l" "$c/lagwlcd.conf" || r=1
	expect $mode lagwlcd "lagwlcd -t --config=$c/o" "$c/other.conf" || r=1
	expect $mode lagwlcd "lagwlcd -f $c/s" "$c/sub" || r=1
	expect $mode lagwlcd "lagwlcd -f -" "$(without -f "${D_OPTS[@]}")" || r=1
	ktap_result $r "$tag lagwlcd -c, --config, --config= and -f complete file names"
done

# ---- 8. readline ---------------------------------------------------------------
# An interactive bash on a pty: the lines below typed with their TABs, then
# Enter; lagwlcctl and lagwlcd are shell functions there that write down
# the line they got. With bash-completion, its loader finds the files by
# itself (BASH_COMPLETION_USER_DIR); without, they are sourced. (The
# "LAGWLC_COMP_CTL=..." line is typed but is no lagwlcctl line: wanted has
# none for it.)
mkdir -p "$W/bcuser"
ln -s "$COMPDIR" "$W/bcuser/completions"
c=$W/cfg
typed=("lagwlcctl fl	"
	"lagwlcctl -j sh	"
	"lagwlcctl check --max	250"
	"lagwlcctl del 198.18.0.11:	"
	"lagwlcctl set 198.18.0.11:3306 lag 20 198	"
	"LAGWLC_COMP_CTL=$W/written"
	"lagwlcctl del [2001:db8::1	"
	"lagwlcctl set [2001:db8::12]	 d	"
	"lagwlcd -t --conf	$c/lagw	")
wanted=("lagwlcctl flush"
	"lagwlcctl -j show"
	"lagwlcctl check --max-age 250"
	"lagwlcctl del 198.18.0.11:3306"
	"lagwlcctl set 198.18.0.11:3306 lag 20 198.18.0.12:3306"
	"lagwlcctl del [2001:db8::11]:3306"
	"lagwlcctl set [2001:db8::12]:3307 down"
	"lagwlcd -t --config $c/lagwlcd.conf")
for mode in bc plain; do
	tag="[$mode]"
	[ $mode = bc ] && tag="[bash-completion]"
	if [ $mode = bc ]; then
		setup=". $BC; BASH_COMPLETION_USER_DIR=$W/bcuser"
	else
		setup=". $COMPDIR/lagwlcctl; . $COMPDIR/lagwlcd"
	fi
	rm -f "$W/lines"
	setup+="; lagwlcctl() { echo \"lagwlcctl \$*\" >>$W/lines; }"
	setup+="; lagwlcd() { echo \"lagwlcd \$*\" >>$W/lines; }"
	setup+="; export LAGWLC_COMP_CTL=$W/recorded LAGWLC_COMP_SYSMOD=$W/sysmod"
	env -i PATH="$PATH" HOME="$W" TERM=dumb INPUTRC=/dev/null \
		timeout 60 python3 - "$setup" "${typed[@]}" >"$W/pty.log" 2>&1 <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
def drain(secs):
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                sys.stdout.buffer.write(os.read(fd, 65536))
            except OSError:
                return
for line in [sys.argv[1]] + sys.argv[2:] + ["exit"]:
    for part in line.split("\t")[:-1]:
        os.write(fd, part.encode() + b"\t")
        drain(0.4)
    os.write(fd, line.split("\t")[-1].encode() + b"\n")
    drain(0.4)
os.waitpid(pid, 0)
PY
	st=$?
	r=0
	[ $st -eq 0 ] || { diag "  the pty session: status $st"; r=1; }
	for i in "${!wanted[@]}"; do
		got=$(sed -n "$((i + 1))p" "$W/lines" 2>/dev/null)
		if [ "$got" = "${wanted[i]}" ]; then
			diag "  typed \"${typed[i + (i >= 5)]//	/<TAB>}\": $got"
		else
			diag "  typed \"${typed[i + (i >= 5)]//	/<TAB>}\": got \"$got\", want \"${wanted[i]}\""
			r=1
		fi
	done
	if [ $r -ne 0 ]; then
		diag "  the session:"
		tr -d '\r' <"$W/pty.log" | sed 's/^/#    | /'
	fi
	ktap_result $r "$tag readline completes typed lines as wanted (commands, options, ADDR:PORT after ':', IPv6, files)"
done

# ---- 9. make install ---------------------------------------------------------
R=$W/root
r=0
make -s -C "$top/userspace" install DESTDIR="$R" PREFIX=/usr >"$W/install.log" 2>&1 || {
	diag "  make install failed:"; sed 's/^/#    | /' "$W/install.log"; r=1; }
dir=$R/usr/share/bash-completion/completions
for prog in lagwlcctl lagwlcd; do
	f=$dir/$prog
	if [ ! -f "$f" ] || [ "$(stat -c %a "$f")" != 644 ] || ! cmp -s "$f" "$COMPDIR/$prog"; then
		diag "  $f: not installed as $COMPDIR/$prog, mode 0644"
		r=1
		continue
	fi
	# bash-completion's loader, as on the first TAB, looks in
	# XDG_DATA_DIRS; extdebug makes declare -F name the function's file
	# shellcheck disable=SC2016 # for the inner bash
	got=$(env -i PATH="$PATH" HOME="$W" XDG_DATA_DIRS="$R/usr/share" bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		__load_completion "$1" || exit 1
		complete -p "$1"
		shopt -s extdebug
		declare -F "_$1"' _ $prog 2>&1)
	want="complete -F _$prog $prog
_$prog 1 $f"
	if [ "$(sed -E 's/^(_[a-z]+) [0-9]+ /\1 1 /' <<<"$got")" = "$want" ]; then
		diag "  $f: loaded by bash-completion: $(words "$got")"
	else
		diag "  $f: bash-completion's loader gave \"$(words "$got")\""
		r=1
	fi
done
make -s -C "$top/userspace" uninstall DESTDIR="$R" PREFIX=/usr >>"$W/install.log" 2>&1 || r=1
for prog in lagwlcctl lagwlcd; do
	[ -e "$dir/$prog" ] && { diag "  make uninstall left $dir/$prog"; r=1; }
done
ktap_result $r "make install puts both files in PREFIX/share/bash-completion/completions, where bash-completion loads them; make uninstall removes them"

# ---- 10. shellcheck ---------------------------------------------------------------
shellcheck -x -s bash "$COMPDIR/lagwlcctl" "$COMPDIR/lagwlcd" "$0" >"$W/sc.log" 2>&1
st=$?
sed 's/^/#   /' "$W/sc.log"
ktap_result $st "shellcheck finds nothing in the completion files and this test"

ktap_exit
