# SPDX-License-Identifier: GPL-2.0
#
# lagwlc: the ip_vs_lagwlc scheduler module and its user-space tools.
# The module itself is described by ./Kbuild; this file drives it.
#
#   make                  module (for KVER) and user space
#   make check            everything, then all tests (lab VM included), on the
#                         lab kernel (bookworm's 6.1)
#   make check-kernels    the same, plus the kernel suite on trixie's 6.12 and
#                         sid's 7.x and the DKMS upgrade test (LAB_SUITES)
#   make check-debug      the kernel-side tests (DEBUG_TESTS) on the debug lab
#                         kernel: KASAN, lockdep, kmemleak, UBSAN (scripts/debug-kernel
#                         builds it, cold about half an hour, or reuses it)
#   make demo             the lab demo in a VM
#   make bench            lagwlc against rr and wlc in the lab VM (bench/results/latest),
#                         then make bench-scale
#   make bench-scale      lagwlcd at 1000 replicas (1 s poll) and 64 (100 ms): CPU,
#                         RSS, threads, fds, result age (bench/results/latest/scale)
#   make bench-decision   the cost of a decision and the connection rate, lagwlc
#                         against wlc (bench/results/hotpath; about 40 min under TCG;
#                         BENCH_BEFORE=REV also measures revision REV's module)
#   make install          user space, and the module for KVER
#   make dkms-install     register, build and install through DKMS for KVER
#   make install-userspace    user space only (PREFIX, DESTDIR; debian/rules)
#   make install-dkms-src     the module's sources for DKMS in
#                         DESTDIR/usr/src/lagwlc-VERSION (debian/rules)
#   make fuzz             fuzz lagwlcd's configuration parser (FUZZ_SECONDS, 20)
#   make soak             the long stress and load/unload soak on the lab kernel
#                         (SOAK_SECONDS, SOAK_CYCLES)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/lagwlc-$(VERSION)
# what DKMS (and make kmodule) builds the module from
MODULE_SRCS := Kbuild dkms.conf kmod include

# The lab boots Debian's own kernel: the newest one with image and headers.
LAB_KVER = $(shell scripts/lab-kver)

all: module userspace

kdir-check:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "No kernel headers for $(KVER) at $(KDIR)." >&2; \
		echo "Install them (Debian: apt-get install linux-headers-$(KVER), or linux-headers-amd64 for the current kernel)," >&2; \
		echo "or build for another kernel: make KVER=<version> (with headers here: $$(scripts/lab-kver 2>/dev/null || echo none))." >&2; \
		exit 1; \
	fi

module: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The module in a copy of its sources under build/KVER, so that modules for
# several kernels coexist (the lab's extra kernels; make check builds them
# inside each kernel's chroot: scripts/lab-kernels exec KVER make kmodule)
KBUILD_COPY := $(CURDIR)/build/$(KVER)
kmodule: kdir-check
	rm -rf $(KBUILD_COPY) && mkdir -p $(KBUILD_COPY)
	cp -r $(MODULE_SRCS) $(KBUILD_COPY)/
	$(MAKE) -C $(KDIR) M=$(KBUILD_COPY) modules

userspace:
	$(MAKE) -C userspace

# Static checks of the module; the tests in tests/static run these too.
sparse: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules

checkpatch:
	scripts/checkpatch

deps:
	scripts/install-deps

# The lab's extra kernels, other Debian releases' (scripts/lab-kernels):
# with LAB_SUITES set, make check runs the kernel suite (tests/run's
# extra_tests) on each suite's kernel too, and the DKMS upgrade test;
# tests/run sets their chroots up in the background while the lab kernel's
# tests run (cold: minutes, mostly downloads; warm: seconds) and builds the
# module in each. make check-kernels sets it to trixie and sid. Not in make
# check by default: the two extra kernels add about 23 min to CI's 42-47
# on a 2-core machine, against a budget of 45 (README, Supported kernels).
LAB_SUITES ?=

lab-kernels:
	scripts/lab-kernels setup $(LAB_SUITES)

check-kernels:
	$(MAKE) check LAB_SUITES="trixie sid"

# The debug kernel (scripts/debug-kernel: Debian's 6.1 sources, small, with
# KASAN, lockdep, RCU and atomic-sleep checking, debug objects, kmemleak,
# UBSAN, list debugging): the module built for it in build/KVER (make
# kmodule, W=1), then the kernel-side tests on it, each TAP line naming the
# kernel; any checker's report or a kmemleak finding after a test fails it
# (tests/vm/run). Not in make check: the kernel's cold build alone is about
# half an hour on a 2-core machine, and the checkers slow the guest down
# several times. DEBUG_VM_MEM/DEBUG_VM_TIMEOUT: each guest's memory (KASAN's
# shadow, kmemleak's objects) and time limit.
DEBUG_TESTS ?= t-module-lifecycle t-wlc-differential t-lag-scheduling t-netlink t-lagwlcctl \
	t-service-settings t-netlink-fuzz t-stress t-soak
# t-stress's time (s): 30 in make check (to keep .ci/run in its budget; the
# test's default is 60), longer on the debug kernel; make soak runs SOAK_SECONDS
STRESS_SECONDS ?= 30
DEBUG_STRESS_SECONDS ?= 300
SOAK_SECONDS ?= 3600
# t-soak's load/use/unload cycles: 20 in make check, SOAK_CYCLES in make soak
SOAK_CHECK_CYCLES ?= 20
DEBUG_SOAK_CYCLES ?= 100
SOAK_CYCLES ?= 1000
# t-netlink-fuzz's messages on the debug kernel: what fits in about 15 min
# under TCG there: 59 messages/s measured, so 1000000 would take 4.7 h
DEBUG_FUZZ_COUNT ?= 50000
# t-netlink-fuzz's messages in make check: 100000 take about 40 s of the
# lab kernel's guest (2750/s), keeping .ci/run within its budget
FUZZ_COUNT ?= 100000
DEBUG_VM_MEM ?= 2048
DEBUG_VM_TIMEOUT ?= 3600
debug-kernel:
	scripts/debug-kernel

# (the build on a line of its own: make -n runs every line naming $(MAKE))
check-debug: deps
	scripts/debug-kernel >/dev/null
	$(MAKE) kmodule W=1 KVER=$$(scripts/debug-kernel kver)
	$(MAKE) userspace
	$(MAKE) -C tests/nlfuzz
	LAGWLC_KVER=$$(scripts/debug-kernel kver) LAGWLC_VM_MEM=$(DEBUG_VM_MEM) \
		LAGWLC_VM_TIMEOUT=$(DEBUG_VM_TIMEOUT) LAGWLC_FUZZ_COUNT=$(DEBUG_FUZZ_COUNT) \
		LAGWLC_STRESS_SECONDS=$(DEBUG_STRESS_SECONDS) LAGWLC_SOAK_CYCLES=$(DEBUG_SOAK_CYCLES) \
		tests/run $(addprefix tests/vm/,$(addsuffix .sh,$(DEBUG_TESTS)))

# the long runs, on the lab kernel (on the debug kernel: make check-debug
# DEBUG_TESTS="t-stress t-soak" DEBUG_STRESS_SECONDS=... DEBUG_SOAK_CYCLES=...)
soak: deps
	$(MAKE) module W=1 KVER=$(LAB_KVER)
	$(MAKE) userspace
	LAGWLC_KVER=$(LAB_KVER) LAGWLC_STRESS_SECONDS=$(SOAK_SECONDS) \
		LAGWLC_SOAK_CYCLES=$(SOAK_CYCLES) tests/run tests/vm/t-stress.sh tests/vm/t-soak.sh

check: deps
	$(MAKE) module W=1 KVER=$(LAB_KVER)
	$(MAKE) userspace
	$(MAKE) -C tests/unit
	$(MAKE) -C tests/nlfuzz
	LAGWLC_KVER=$(LAB_KVER) LAGWLC_LAB_SUITES="$(strip $(LAB_SUITES))" \
		LAGWLC_FUZZ_COUNT=$(FUZZ_COUNT) LAGWLC_STRESS_SECONDS=$(STRESS_SECONDS) \
		LAGWLC_SOAK_CYCLES=$(SOAK_CHECK_CYCLES) tests/run

demo: deps
	$(MAKE) module KVER=$(LAB_KVER)
	$(MAKE) userspace
	LAGWLC_KVER=$(LAB_KVER) scripts/demo

bench: deps
	$(MAKE) module KVER=$(LAB_KVER)
	$(MAKE) userspace
	LAGWLC_KVER=$(LAB_KVER) bench/run $(BENCH_ARGS)
	LAGWLC_KVER=$(LAB_KVER) bench/scale $(SCALE_ARGS)

# lagwlcd's CPU, memory, threads, fds and result ages at 1000 replicas (1 s
# poll) and 64 (100 ms), on the host (-n) and in the lab VM (-n and pushing),
# bench/results/latest/scale; ~20 min. SCALE_ARGS: --quick, --host-only, --vm-only
bench-scale: deps
	$(MAKE) module KVER=$(LAB_KVER)
	$(MAKE) userspace
	LAGWLC_KVER=$(LAB_KVER) bench/scale $(SCALE_ARGS)

# healthy replicas' shares under lagwlc against wlc's (issue 15), ~6 min
bench-balance: deps
	$(MAKE) module KVER=$(LAB_KVER)
	$(MAKE) userspace
	LAGWLC_KVER=$(LAB_KVER) bench/balance

BENCH_HOTPATH ?= bench/results/hotpath
bench-decision: deps
	$(MAKE) module KVER=$(LAB_KVER)
	LAGWLC_KVER=$(LAB_KVER) bench/decision $(if $(BENCH_BEFORE),--before $(BENCH_BEFORE)) $(BENCH_ARGS) $(BENCH_HOTPATH)
	LAGWLC_KVER=$(LAB_KVER) bench/connrate $(BENCH_ARGS) $(BENCH_HOTPATH)
	/usr/bin/python3 bench/report.py --decision $(BENCH_HOTPATH)

install: module install-userspace
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates modules_install

# no kernel needed: the Debian package's lagwlc (debian/rules)
install-userspace: userspace
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# The sources DKMS builds from, as the lagwlc-dkms package and make
# dkms-install put them: the sources only, none of a build's objects in
# kmod/ (no build, no dkms call; files 0644)
install-dkms-src:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	set -e; for f in $$(find $(MODULE_SRCS) -type f \( -name '*.[ch]' -o -name Kbuild -o -name dkms.conf \) | sort); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMS_SRC)/$$f; \
	done

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/ip_vs_lagwlc.ko
	$(MAKE) -C userspace uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

dkms-install: kdir-check
	-dkms remove lagwlc/$(VERSION) --all >/dev/null 2>&1
	$(MAKE) install-dkms-src DESTDIR=
	dkms add lagwlc/$(VERSION)
	dkms build lagwlc/$(VERSION) -k $(KVER)
	dkms install lagwlc/$(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove lagwlc/$(VERSION) --all
	rm -rf $(DKMS_SRC)

# libFuzzer (clang) on the configuration parser, seeded with tests/unit/configs
FUZZ_SECONDS ?= 20
fuzz:
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

.PHONY: fuzz

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C userspace clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/nlfuzz clean

.PHONY: all kdir-check module kmodule userspace sparse checkpatch deps check check-kernels check-debug soak debug-kernel lab-kernels demo bench bench-scale bench-decision bench-balance \
	install install-userspace install-dkms-src uninstall dkms-install dkms-uninstall clean
