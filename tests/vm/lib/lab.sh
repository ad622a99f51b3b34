# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the lab-VM tests (tests/vm/t-*.sh) and the demo: KTAP output,
# booting a guest, the lab topology in network namespaces, and the module.
#
# A test script sources this file and calls lab_boot_self "$@" first: on the
# host that re-runs the script inside a fresh guest (tests/vm/run); in the
# guest (LAGWLC_VM=1) it returns and the script goes on.
#
# Topology, LVS-DR (lab_setup dr N): one L2 segment, the guest's bridge br0.
#
#   client 198.18.0.1 ---+
#   director 198.18.0.2  +-- br0
#     VIP 198.18.0.100   |
#   r1..rN 198.18.0.1N --+   each with the VIP on lo, arp_ignore=1, arp_announce=2
#
# Topology, LVS-NAT (lab_setup nat N): the director routes between two segments.
#
#   client 198.18.0.1 --- br0 --- 198.18.0.2 director 198.18.1.1 --- br1 --- r1..rN 198.18.1.1N
#                                  VIP 198.18.0.100                        (default via 198.18.1.1)
#
# 198.18.0.0/15 is the range set aside for benchmarking (RFC 2544); these
# addresses exist only inside the guest, which has no network device at all.
#
# IPv6 (lab_setup MODE N 6): the same topology dual-stack, every IPv4 address
# above with an IPv6 one of the unique local prefix fd00::/8 beside it, also
# only inside the guest. Added with nodad: usable at once, no DAD wait.
#
#   client fd00::1, director fd00::2, VIP fd00::100 (LAB_VIP6, /128)
#   DR:  r1..rN fd00::1N, the VIP on lo as /128 (the kernel answers neighbour
#        solicitations only for addresses of the interface they arrive on,
#        so the VIP on lo is never announced: no sysctl needed)
#   NAT: director fd00:1::1 on br1, r1..rN fd00:1::1N (default via
#        fd00:1::1), net.ipv6.conf.all.forwarding=1 on the director
# LAB_REALS6 holds "name address" of each real server's IPv6 address.

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
LAB_VIP=198.18.0.100
LAB_VIP6=fd00::100
LAB_MODULE=$LAB_TOP/ip_vs_lagwlc.ko
# The module for another Debian release's kernel (scripts/lab-kernels) is
# built in its chroot into build/KVER (make kmodule): use the one for the
# guest's kernel when there is one.
if [ -n "${LAGWLC_KVER:-}" ] && [ -f "$LAB_TOP/build/$LAGWLC_KVER/ip_vs_lagwlc.ko" ]; then
	LAB_MODULE=$LAB_TOP/build/$LAGWLC_KVER/ip_vs_lagwlc.ko
fi
LAB_NS=()
LAB_PIDS=()
LAB_REALS=()	# "name address" of each real server, in creation order
LAB_REALS6=()	# the same for their IPv6 addresses (lab_setup MODE N 6)
LAB_MODE=
# KTAP output: ktap_plan, ktap_result, ktap_check, ktap_exit, diag, ktap_show
# shellcheck source-path=SCRIPTDIR source=../../lib/ktap.sh
. "${BASH_SOURCE[0]%/*}/../../lib/ktap.sh"

# ---- host and guest ------------------------------------------------------

# Re-run the calling script in a guest unless already in one.
# LAB_VM_ARGS (an array) may add tests/vm/run options, e.g. (--timeout 900).
# LAGWLC_VM_TIMEOUT=S in the environment overrides the test's own limit (a
# loaded machine: qemu TCG shares its cores), LAGWLC_VM_MEM=MB its memory
# (the debug kernel: KASAN's shadow and kmemleak's objects, make check-debug).
lab_boot_self() {
	[ -n "${LAGWLC_VM:-}" ] && return 0
	exec "$LAB_TOP/tests/vm/run" "${LAB_VM_ARGS[@]}" \
		${LAGWLC_VM_TIMEOUT:+--timeout "$LAGWLC_VM_TIMEOUT"} \
		${LAGWLC_VM_MEM:+--mem "$LAGWLC_VM_MEM"} -- "$(realpath "$0")" "$@"
}

# ---- commands in namespaces, echoed so that a log reads like a story -----

# on NS CMD...: run CMD in namespace NS, echoing it first
on() {
	local ns=$1
	shift
	echo "# [$ns] $*"
	ip netns exec "$ns" "$@"
}

# onq NS CMD...: the same, not echoed (for loops and polling)
onq() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ---- topology -------------------------------------------------------------

lab_teardown() {
	local pid ns link
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ns in "${LAB_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	wait 2>/dev/null
	# delete the veths now: a namespace's devices go away asynchronously
	# after "ip netns del", too late for a topology built right after
	for link in $(ip -o link show type veth | sed -n 's/^[0-9]*: \(v-[^@:]*\).*/\1/p'); do
		ip link del "$link" 2>/dev/null
	done
	for ns in "${LAB_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	ip link del br0 2>/dev/null
	ip link del br1 2>/dev/null
	LAB_NS=() LAB_PIDS=() LAB_REALS=() LAB_REALS6=()
	return 0
}

# lab_ns NAME BRIDGE ADDR/PLEN [IFNAME]: a namespace with IFNAME (eth0) on
# BRIDGE; an IPv6 ADDR is added with nodad
lab_ns() {
	local ns=$1 br=$2 addr=$3 ifname=${4:-eth0}
	if ! ip netns list | grep -qw "^$ns"; then
		ip netns add "$ns"
		LAB_NS+=("$ns")
		onq "$ns" ip link set lo up
	fi
	ip link add "v-$ns-$ifname" type veth peer name "$ifname" netns "$ns"
	ip link set "v-$ns-$ifname" master "$br" up
	case $addr in
	*:*) lab_addr6 "$ns" "$addr" "$ifname" ;;
	*) onq "$ns" ip addr add "$addr" dev "$ifname" ;;
	esac
	onq "$ns" ip link set "$ifname" up
}

# lab_addr6 NS ADDR/PLEN [DEV]: an IPv6 address on DEV (eth0), no DAD
lab_addr6() {
	onq "$1" ip -6 addr add "$2" dev "${3:-eth0}" nodad
}

lab_bridge() {
	ip link add "$1" type bridge
	ip link set "$1" up
}

# lab_setup dr|nat N [6]: client, director and N real servers (r1..rN);
# with 6, IPv6 addresses beside the IPv4 ones (see the top of this file)
lab_setup() {
	local mode=$1 n=$2 v6=${3:-} i ns addr
	LAB_MODE=$mode
	trap lab_teardown EXIT
	lab_bridge br0
	lab_ns client br0 198.18.0.1/24
	lab_ns director br0 198.18.0.2/24
	onq director ip addr add "$LAB_VIP/32" dev eth0
	if [ -n "$v6" ]; then
		lab_addr6 client fd00::1/64
		lab_addr6 director fd00::2/64
		lab_addr6 director "$LAB_VIP6/128"
	fi
	if [ "$mode" = nat ]; then
		lab_bridge br1
		lab_ns director br1 198.18.1.1/24 eth1
		onq director sysctl -qw net.ipv4.ip_forward=1
		if [ -n "$v6" ]; then
			lab_addr6 director fd00:1::1/64 eth1
			onq director sysctl -qw net.ipv6.conf.all.forwarding=1
		fi
	fi
	for i in $(seq 1 "$n"); do
		ns=r$i
		if [ "$mode" = nat ]; then
			addr=198.18.1.$((10 + i))
			lab_ns "$ns" br1 "$addr/24"
			onq "$ns" ip route add default via 198.18.1.1
			if [ -n "$v6" ]; then
				lab_addr6 "$ns" "fd00:1::$((10 + i))/64"
				onq "$ns" ip -6 route add default via fd00:1::1
				LAB_REALS6+=("$ns fd00:1::$((10 + i))")
			fi
		else
			addr=198.18.0.$((10 + i))
			lab_ns "$ns" br0 "$addr/24"
			# LVS-DR: the real server accepts the VIP but never answers ARP for it
			onq "$ns" ip addr add "$LAB_VIP/32" dev lo
			onq "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
				net.ipv4.conf.all.arp_announce=2 \
				net.ipv4.conf.eth0.arp_ignore=1 \
				net.ipv4.conf.eth0.arp_announce=2
			if [ -n "$v6" ]; then
				lab_addr6 "$ns" "fd00::$((10 + i))/64"
				lab_addr6 "$ns" "$LAB_VIP6/128" lo
				LAB_REALS6+=("$ns fd00::$((10 + i))")
			fi
		fi
		LAB_REALS+=("$ns $addr")
	done
	diag "lab: $mode mode, client 198.18.0.1, director 198.18.0.2, VIP $LAB_VIP, $n real servers${v6:+; IPv6: client fd00::1, director fd00::2, VIP $LAB_VIP6, real servers ${LAB_REALS6[*]}}"
}

# lab_realservers PORT...: start realserver.py on every real server
lab_realservers() {
	local entry ns tries
	for entry in "${LAB_REALS[@]}"; do
		ns=${entry%% *}
		onq "$ns" python3 "$LAB_TOP/tests/vm/lib/realserver.py" "$ns" "$@" \
			>"/tmp/realserver-$ns.log" 2>&1 &
		LAB_PIDS+=($!)
	done
	for entry in "${LAB_REALS[@]}"; do
		ns=${entry%% *}
		tries=0
		until grep -q listening "/tmp/realserver-$ns.log" 2>/dev/null; do
			tries=$((tries + 1))
			if [ $tries -gt 100 ]; then
				diag "real server $ns did not start:"
				sed 's/^/# /' "/tmp/realserver-$ns.log"
				return 1
			fi
			sleep 0.1
		done
	done
}

# lab_dr_service VIP PORT [SCHED]: a DR service VIP:PORT (scheduler SCHED,
# lagwlc by default) with every real server at PORT, weight 1
lab_dr_service() {
	local entry
	onq director ipvsadm -A -t "$1:$2" -s "${3:-lagwlc}"
	for entry in "${LAB_REALS[@]}"; do
		onq director ipvsadm -a -t "$1:$2" -r "${entry#* }:$2" -g -w 1
	done
}

# lab_dr_share VIP PORT N: open and end N connections from the client
# through the DR service VIP:PORT; print how many each real server took, in
# LAB_REALS order, then how many were refused ("r1 r2 r3 refused")
lab_dr_share() {
	local entry seq reals=() weights='' counts=()
	for entry in "${LAB_REALS[@]}"; do
		reals+=(--real "${entry%% *}=${entry#* }")
		weights+=${weights:+,}1
	done
	seq=$(onq client python3 "$LAB_TOP/tests/vm/lib/conndriver.py" --fwd dr \
		--ops cycle --steps "$3" --weights "$weights" --svc "s=$1:$2" "${reals[@]}" |
		sed -n 's/^SEQ s //p' | tr ' ' '\n')
	for entry in "${LAB_REALS[@]}"; do
		counts+=("$(grep -cx "${entry%% *}" <<<"$seq")")
	done
	echo "${counts[*]} $(grep -cx none <<<"$seq")"
}

# ---- the module ------------------------------------------------------------

lab_load_module() {
	modprobe ip_vs || return 1
	if ! lsmod | grep -qw ip_vs_lagwlc; then
		insmod "$LAB_MODULE" || return 1
	fi
}

# lab_kernel_clean: false, printing them as diagnostics, when the guest's
# kernel log holds a warning, a bug or a trace (lockdep's and RCU's
# reports start "WARNING:"; not "lockdep" itself: the debug kernel's boot
# says "RCU lockdep checking is enabled")
lab_kernel_clean() {
	dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection|refcount_t:|list_del corruption|UBSAN:|KASAN' |
		sed 's/^/# /' | grep . && return 1
	return 0
}

# lab_sunreclaim: the kernel's unreclaimable slab memory (kB), less what the
# debug kernel's checkers hold in their own caches (none on Debian's kernel):
# DEBUG_OBJECTS keeps a pool sized to its peak of tracked objects, kmemleak a
# record per allocation; kmemleak itself says whether anything leaked
lab_sunreclaim() {
	local all checkers
	all=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
	checkers=$(awk '$1 == "debug_objects_cache" || $1 == "kmemleak_object" {
		kb += $15 * $6 * 4 } END { print kb + 0 }' /proc/slabinfo)
	echo $((all - checkers))
}

# lab_shrink_slabs: empty the slab caches' free lists, before and after a
# grace period (kfree_rcu, call_rcu), so that SUnreclaim counts live objects
lab_shrink_slabs() {
	local f
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f"
	done 2>/dev/null
	sleep 2
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f"
	done 2>/dev/null
}

# lab_slabs FILE: each slab cache's pages in bytes ("NAME BYTES"), to FILE
lab_slabs() {
	awk 'NR > 2 { print $1, $15 * $6 * 4096 }' /proc/slabinfo >"$1"
}

# lab_slab_growth OLD NEW: as diagnostics, the 10 caches that grew most
# from lab_slabs OLD to NEW (kB), for a slab check that failed
lab_slab_growth() {
	awk 'NR == FNR { old[$1] = $2; next }
		{ d = int(($2 - old[$1]) / 1024); if (d > 0) print d, $1 }' "$1" "$2" |
		sort -rn | head -n 10 | awk '{ printf "#   %+d kB %s\n", $1, $2 }'
}

# lab_installed_module_points WHAT: three points on a module installed by
# DKMS (t-autoload, t-dkms-upgrade, t-deb-packages' guest), each described
# after WHAT (e.g. "[KVER] the packaged module"): it is the one modprobe
# finds for this kernel, under updates/dkms; it was built from the
# checkout's sources (the srcversion of LAB_MODULE); and, not loaded
# before, ipvsadm -s lagwlc alone loads it. Leaves no service behind.
lab_installed_module_points() {
	local what=$1 kver path installed built vs=$LAB_VIP:3306

	kver=$(uname -r)
	path=$(modinfo -n ip_vs_lagwlc 2>&1)
	diag "modinfo -n: $path"
	# DKMS compresses as the kernel's own modules are (trixie's dkms 3.2.2
	# with CONFIG_MODULE_COMPRESS_XZ: .ko.xz)
	[[ $path =~ ^"/lib/modules/$kver/updates/dkms/ip_vs_lagwlc.ko"(\.xz|\.zst|\.gz)?$ ]]
	ktap_result $? "$what is the one modprobe finds on $kver, under /lib/modules/$kver/updates/dkms"

	installed=$(modinfo -F srcversion ip_vs_lagwlc 2>/dev/null)
	built=$(modinfo -F srcversion "$LAB_MODULE" 2>/dev/null)
	diag "srcversion installed ${installed:-(none)}, built in the checkout ${built:-(none)} ($LAB_MODULE)"
	[ -n "$installed" ] && [ "$installed" = "$built" ]
	ktap_result $? "$what comes from the checkout's sources (srcversion)"

	! lsmod | grep -qw ip_vs_lagwlc &&
		ipvsadm -A -t "$vs" -s lagwlc &&
		lsmod | grep -qw ip_vs_lagwlc &&
		ipvsadm -Ln | grep -qE "^TCP +$vs +lagwlc"
	ktap_result $? "$what, not loaded before, is autoloaded by ipvsadm -A -t $vs -s lagwlc alone"
	lsmod | grep -E '^ip_vs' | sed 's/^/# /'
	ipvsadm -C
}
