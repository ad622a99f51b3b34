#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The "lagwlc" generic netlink family under tests/nlfuzz/nlfuzz, a
# structure-aware fuzzer whose grammar is generated from
# docs/netlink/lagwlc.yaml, while connections are scheduled through a
# lagwlc service whose replicas' entries the fuzzer keeps changing.
#
#   client 198.18.0.1: a loop of connects --> VIP 198.18.0.100:3306 (lagwlc)
#   director 198.18.0.2: nlfuzz, in the director's network namespace:
#     one socket (phases 0, 1 with a small max_entries), then N writer
#     threads + a setuid-nobody child + a user-namespace-root child (EPERM)
#     + an "events" listener; sockets closed mid-stream and mid-dump
#   r1..r3 198.18.0.11..13:3306 (keys in the fuzzer's pool)
#
# nlfuzz predicts every ack (its model of the kernel's strict validation
# and of the lag table) and, after each phase, compares the dumped table
# with its model exactly; any difference fails it, printing the seed, the
# message number and the message in hex (docs/netlink-fuzzer.md: replay).
#
# LAGWLC_FUZZ_COUNT: messages (default 200000); LAGWLC_FUZZ_SEED: the seed;
# NLFUZZ_BREAK=1: the model clamps lags 1 ms too low (the oracle must fail).
# Memory: /proc/meminfo SUnreclaim, slabs shrunk, after the run and after
# 2 x COUNT/10 more messages (the replay check): no growth beyond 256 kB; and on
# the debug kernel tests/vm/guest-init's kmemleak scans after the test.
set -u
LAB_VM_ARGS=(--timeout 1800)
. "$(dirname "$0")/lib/lab.sh"
# the environment does not reach the guest: the count and seed go as arguments
[ -n "${LAGWLC_VM:-}" ] ||
	set -- "${LAGWLC_FUZZ_COUNT:-200000}" "${LAGWLC_FUZZ_SEED:-0x1a9c0ffee}" "${NLFUZZ_BREAK:-0}"
lab_boot_self "$@"

P=/sys/module/ip_vs_lagwlc/parameters
FUZZ=$LAB_TOP/tests/nlfuzz/nlfuzz
COUNT=${1:-200000}
SEED=${2:-0x1a9c0ffee}
export NLFUZZ_BREAK=${3:-0}	# 1: a wrong model, to see the test fail
ktap_plan 9

cleanup() {
	[ -n "${CONN_PID:-}" ] && kill "$CONN_PID" 2>/dev/null
	[ -d $P ] || return 0
	echo 4096 >$P/max_entries
	echo 3000 >$P/stale_ms
	echo 600000 >$P/evict_ms
	lab_teardown
}
trap cleanup EXIT

ktap_check "ip_vs_lagwlc loads (after ip_vs)" lab_load_module
lab_setup dr 3
lab_realservers 3306 || { echo "Bail out! real servers"; exit 1; }
onq director ipvsadm -A -t "$LAB_VIP:3306" -s lagwlc
for entry in "${LAB_REALS[@]}"; do
	onq director ipvsadm -a -t "$LAB_VIP:3306" -r "${entry#* }:3306" -g -w 1
done
# nothing ages behind the model's back: stale_ms 7 days, no eviction
echo 604800000 >$P/stale_ms
echo 0 >$P/evict_ms

# the connection loop: connect, read the name, close; counts in a file
cat >/tmp/connloop.py <<'EOF'
import signal, socket, sys
ok = fail = 0
def stop(*_):
    open(sys.argv[1], "w").write(f"{ok} {fail}\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    try:
        # realserver.py parks a socket the client closes without "q": ask
        # it to close its side, or its descriptors run out (EMFILE)
        with socket.create_connection(("198.18.0.100", 3306), timeout=5) as s:
            s.recv(64)
            s.sendall(b"q\n")
            while s.recv(64):
                pass
        ok += 1
        if ok == 1:
            open(sys.argv[1] + ".first", "w").write("1\n")
    except OSError:
        fail += 1
EOF

ip netns exec director "$FUZZ" --count 1 --seed 1 >/dev/null 2>&1	# warm the paths
ip netns exec director "$LAB_TOP/userspace/lagwlcctl/lagwlcctl" flush

ip netns exec client python3 /tmp/connloop.py /tmp/conncount &
CONN_PID=$!
# the fuzzer starts once the loop's first connection went through
for _ in $(seq 1 120); do
	[ -f /tmp/conncount.first ] && break
	sleep 0.5
done
diag "nlfuzz --seed $SEED --count $COUNT (in the director's namespace; connections through $LAB_VIP:3306)"
start=$SECONDS
ip netns exec director "$FUZZ" --seed "$SEED" --count "$COUNT" >/tmp/nlfuzz.out 2>&1
rc=$?
secs=$((SECONDS - start))
kill "$CONN_PID"
wait "$CONN_PID" 2>/dev/null
CONN_PID=
grep -v '^  ' /tmp/nlfuzz.out | sed 's/^\([^#]\)/# \1/' | grep -v '^# #' | head -60
grep '^#' /tmp/nlfuzz.out | sed 's/^# /# nlfuzz: /'
grep -q '^MISMATCH' /tmp/nlfuzz.out && grep -A40 -m3 '^MISMATCH' /tmp/nlfuzz.out | sed 's/^/# /'
ktap_result $rc "nlfuzz: $COUNT messages, every ack and every phase's table as the model predicts (seed $SEED)"
msgs=$(sed -n 's/^# passed: \([0-9]*\) messages.*/\1/p' /tmp/nlfuzz.out)
diag "$msgs messages in $secs s: $(( ${msgs:-0} / (secs > 0 ? secs : 1) )) messages/s"
[ "${msgs:-0}" -ge "$COUNT" ]
ktap_result $? "at least $COUNT messages sent (${msgs:-0})"

conn_ok=0 conn_fail=0
[ -f /tmp/conncount ] && read -r conn_ok conn_fail </tmp/conncount
diag "connections during the fuzz: $conn_ok scheduled, $conn_fail failed (refused: the fuzzer had all three reported down)"
[ "${conn_ok:-0}" -gt 0 ]
ktap_result $? "connections were scheduled through the lagwlc service during the fuzz ($conn_ok)"

# after the final flush: no entry, every real server plain wlc ("none") and
# reachable (which one wlc picks depends on the loop's inactive connections)
ok=0
for _ in 1 2 3 4 5 6; do
	onq client python3 -c 'import socket; s = socket.create_connection(("198.18.0.100", 3306), timeout=5); print(s.recv(64).decode().strip())' >>/tmp/after 2>&1 && ok=$((ok + 1))
done
diag "after: $(sort /tmp/after | uniq -c | tr '\n' ' ')"
ip netns exec director "$LAB_TOP/userspace/lagwlcctl/lagwlcctl" show >/tmp/show 2>&1
sed 's/^/# /' /tmp/show
none=$(grep -c '^  -> 198\.18\.0\.1[123]:3306 .* none ' /tmp/show)
[ "$ok" -eq 6 ] && [ "$none" -eq 3 ]
ktap_result $? "after the final flush the three real servers are plain wlc again and take connections ($none none, $ok of 6 connected)"

n=$(ip netns exec director python3 "$LAB_TOP/tests/vm/lib/genl.py" dump | wc -l)
[ "$n" -eq 0 ]
ktap_result $? "the table is empty after the run (genl.py dump: $n entries)"

# Memory: the baseline is taken now, after a full run (slab pages the run
# grew stay partly used: fragmentation, not a leak); then two more runs
# (the replay below, 20000 messages each by default) must not grow it. A
# leak of an entry, an owner or a reply per request would be MiBs over them.
lab_shrink_slabs
base=$(lab_sunreclaim)

# the replay: the same seed gives the same single-socket phases, errno for errno
# (COUNT/10 messages, 4000 to 20000: the debug kernel is many times slower)
REPLAY=$((COUNT / 10 < 4000 ? 4000 : COUNT / 10 > 20000 ? 20000 : COUNT / 10))
hist() {
	ip netns exec director "$FUZZ" --seed 0x5eed --count "$REPLAY" --phase $((REPLAY / 2)) |
		sed -n 's/^# \(phase [01] (one socket[^:]*\): \([0-9]*\) messages in [^;]*;.*bursts[^;]*;\(.*\)/\1 \2 \3/p'
}
h1=$(hist)
h2=$(hist)
printf '%s\n' "$h1" | sed 's/^/# replay: /'
[ -n "$h1" ] && [ "$h1" = "$h2" ]
ktap_result $? "the same seed replays: the single-socket phases' answers are the same twice"

lab_shrink_slabs
now=$(lab_sunreclaim)
diag "SUnreclaim: $base kB after the run, $now kB after $((2 * REPLAY)) more messages ($((now - base)) kB)"
[ $((now - base)) -lt 256 ]
ktap_result $? "unreclaimable slab does not grow over $((2 * REPLAY)) more messages (under 256 kB: $((now - base)) kB)"

ktap_check "no WARNING, BUG, KASAN, UBSAN or Call Trace in the kernel log" lab_kernel_clean
diag "$SECONDS s in the guest"
ktap_exit
