# SPDX-License-Identifier: GPL-2.0
# Flags shared by lib/, lagwlcctl/ and lagwlcd/ (each Makefile sets TOP to
# userspace/ first). Like iproute2's config.mk.

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Werror -I$(TOP)/lib -I$(TOP)/../include
# <linux/lagwlc.h> is include/uapi/linux/lagwlc.h, as the module sees it
CFLAGS += -I$(TOP)/../include/uapi
PKG_CONFIG ?= pkg-config
CFLAGS += $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
LDLIBS += $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(TOP)/../dkms.conf)
CPPFLAGS += -DLAGWLC_VERSION='"$(VERSION)"'
AR ?= ar

# the code both programs share
LIBLAGWLC := $(TOP)/lib/liblagwlc.a
LIB_HDRS := $(wildcard $(TOP)/lib/*.h) $(TOP)/../include/uapi/linux/lagwlc.h

